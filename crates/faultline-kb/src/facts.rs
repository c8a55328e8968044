//! Facts of a config snapshot and the tests a known issue puts to them.

use std::collections::BTreeMap;

use regex::Regex;

/// The flattened facts of one snapshot: dotted name to value
/// (`sysctl.vm.swappiness` → `60`). Booleans are `true`/`false`.
pub type Facts = BTreeMap<String, String>;

/// One test on the value(s) of a fact.
#[derive(Debug, Clone)]
pub enum FactTest {
    /// Some fact of that name exists.
    Present,
    /// No fact of that name exists.
    Missing,
    Equals(String),
    NotEquals(String),
    OneOf(Vec<String>),
    NotOneOf(Vec<String>),
    /// The regex finds a match in the value.
    Matches(Regex),
    /// The value exists and the regex finds no match in it.
    NotMatches(Regex),
    /// Numeric comparisons; sizes may carry K/M/G/T suffixes (powers of
    /// 1024). A value that is not a number fails every comparison.
    Above(f64),
    Below(f64),
    AtLeast(f64),
    AtMost(f64),
}

/// What a condition saw: each matching fact with its value, or nothing.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Observed {
    pub fact: String,
    pub value: String,
}

impl FactTest {
    /// Whether the test holds, and the facts that made it hold (for
    /// `Missing`, none).
    pub fn check(&self, pattern: &str, facts: &Facts) -> (bool, Vec<Observed>) {
        let found: Vec<(&String, &String)> = matching(pattern, facts).collect();
        match self {
            FactTest::Present => (!found.is_empty(), observed(found.iter().copied())),
            FactTest::Missing => (found.is_empty(), Vec::new()),
            _ => {
                let passing: Vec<_> = found
                    .iter()
                    .copied()
                    .filter(|(_, v)| self.value_passes(v))
                    .collect();
                (!passing.is_empty(), observed(passing.into_iter()))
            }
        }
    }

    fn value_passes(&self, value: &str) -> bool {
        match self {
            FactTest::Present | FactTest::Missing => true,
            FactTest::Equals(want) => value == want,
            FactTest::NotEquals(want) => value != want,
            FactTest::OneOf(set) => set.iter().any(|w| w == value),
            FactTest::NotOneOf(set) => !set.iter().any(|w| w == value),
            FactTest::Matches(re) => re.is_match(value),
            FactTest::NotMatches(re) => !re.is_match(value),
            FactTest::Above(n) => number(value).is_some_and(|v| v > *n),
            FactTest::Below(n) => number(value).is_some_and(|v| v < *n),
            FactTest::AtLeast(n) => number(value).is_some_and(|v| v >= *n),
            FactTest::AtMost(n) => number(value).is_some_and(|v| v <= *n),
        }
    }

    /// The test in words, after the fact's name: "is not set", "is cfq".
    pub fn describe(&self) -> String {
        match self {
            FactTest::Present => "is set".into(),
            FactTest::Missing => "is not set".into(),
            FactTest::Equals(v) => format!("is {v:?}"),
            FactTest::NotEquals(v) => format!("is not {v:?}"),
            FactTest::OneOf(s) => format!("is one of {}", quoted(s)),
            FactTest::NotOneOf(s) => format!("is none of {}", quoted(s)),
            FactTest::Matches(r) => format!("matches /{}/", r.as_str()),
            FactTest::NotMatches(r) => format!("does not match /{}/", r.as_str()),
            FactTest::Above(n) => format!("is above {n}"),
            FactTest::Below(n) => format!("is below {n}"),
            FactTest::AtLeast(n) => format!("is at least {n}"),
            FactTest::AtMost(n) => format!("is at most {n}"),
        }
    }
}

fn quoted(s: &[String]) -> String {
    s.iter()
        .map(|v| format!("{v:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn observed<'a>(it: impl Iterator<Item = (&'a String, &'a String)>) -> Vec<Observed> {
    it.map(|(k, v)| Observed {
        fact: k.clone(),
        value: v.clone(),
    })
    .collect()
}

/// The facts whose names match a pattern in which `*` stands for any run of
/// characters (dots included: mount points and image paths hold them).
pub fn matching<'a>(
    pattern: &'a str,
    facts: &'a Facts,
) -> impl Iterator<Item = (&'a String, &'a String)> + 'a {
    let literal_prefix = pattern.split('*').next().unwrap_or("");
    // An exact name is one lookup; a pattern walks only the names that
    // start with its literal prefix.
    let (exact, walk) = if pattern.contains('*') {
        let walk = facts
            .range::<str, _>((
                std::ops::Bound::Included(literal_prefix),
                std::ops::Bound::Unbounded,
            ))
            .take_while(move |(k, _)| k.starts_with(literal_prefix))
            .filter(move |(k, _)| glob(pattern, k));
        (None, Some(walk))
    } else {
        (facts.get_key_value(pattern), None)
    };
    exact.into_iter().chain(walk.into_iter().flatten())
}

/// `*` matches any run of characters; everything else matches itself.
pub fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

/// A number, or a size with a K/M/G/T suffix (powers of 1024, an optional
/// trailing `B` or `iB`): `4096`, `256M`, `1.5G`, `512KiB`.
pub fn number(value: &str) -> Option<f64> {
    let v = value.trim();
    if let Ok(n) = v.parse::<f64>() {
        return n.is_finite().then_some(n);
    }
    let lower = v.to_ascii_lowercase();
    let stripped = lower
        .strip_suffix("ib")
        .or_else(|| lower.strip_suffix('b'))
        .unwrap_or(&lower);
    let (digits, unit) = stripped.split_at(stripped.len().checked_sub(1)?);
    let scale = match unit {
        "k" => 1024f64,
        "m" => 1024f64.powi(2),
        "g" => 1024f64.powi(3),
        "t" => 1024f64.powi(4),
        _ => return None,
    };
    let n: f64 = digits.trim().parse().ok()?;
    n.is_finite().then_some(n * scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(pairs: &[(&str, &str)]) -> Facts {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn glob_matches_runs_including_dots() {
        assert!(glob("block.*.scheduler", "block.sda.scheduler"));
        assert!(glob("nfs.*.option.timeo", "nfs./mnt/vm.data.option.timeo"));
        assert!(!glob("block.*.scheduler", "block.sda.schedulers"));
        assert!(glob("esx.NFS.*", "esx.NFS.HeartbeatFrequency"));
        assert!(glob("*", ""));
        assert!(!glob("a*b*c", "acb"));
        assert!(glob("a*b*c", "axbyc"));
    }

    #[test]
    fn numbers_and_sizes() {
        assert_eq!(number("4096"), Some(4096.0));
        assert_eq!(number("256M"), Some(268_435_456.0));
        assert_eq!(number("1.5G"), Some(1.5 * 1024f64.powi(3)));
        assert_eq!(number("512KiB"), Some(524_288.0));
        assert_eq!(number("4096M,max:4096M"), None);
        assert_eq!(number(""), None);
        assert_eq!(number("nan"), None);
    }

    #[test]
    fn tests_on_wildcard_facts() {
        let f = facts(&[
            ("block.sda.scheduler", "cfq"),
            ("block.sdb.scheduler", "noop"),
            ("sysctl.vm.swappiness", "60"),
        ]);
        let (ok, seen) = FactTest::Equals("cfq".into()).check("block.*.scheduler", &f);
        assert!(ok);
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].fact, "block.sda.scheduler");
        assert!(
            !FactTest::Equals("bfq".into())
                .check("block.*.scheduler", &f)
                .0
        );
        assert!(FactTest::Missing.check("xen.cmdline.dom0_mem", &f).0);
        assert!(!FactTest::Missing.check("block.*.scheduler", &f).0);
        assert!(FactTest::Above(10.0).check("sysctl.vm.swappiness", &f).0);
        assert!(!FactTest::Below(10.0).check("sysctl.vm.swappiness", &f).0);
        // A value test on a fact that is absent does not hold: unknown is not bad.
        assert!(
            !FactTest::NotEquals("0".into())
                .check("sysctl.kernel.panic", &f)
                .0
        );
    }
}
