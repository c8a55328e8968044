//! The crashes of a case: reports found in logs and rows of crashes.csv,
//! matched to inventory machines, the same crash counted once.

use std::collections::{BTreeMap, BTreeSet};

use faultline_case::Case;
use faultline_detect::ReportKind;
use faultline_scan::FoundReport;
use jiff::Timestamp;
use serde::Serialize;

use crate::Group;

/// A crash found in a log and a crashes.csv row this close in time on the
/// same machine are one crash.
const SAME_CRASH_MINUTES: i64 = 30;

#[derive(Debug, Clone, Serialize)]
pub struct Crash {
    /// The inventory name of the machine (or the name as logged, when the
    /// inventory lacks it).
    pub machine: String,
    /// Whether the inventory knows the machine.
    pub known: bool,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    pub title: String,
    pub signature: String,
    pub kind: Option<ReportKind>,
    /// Where the crash was seen: `file:line` of a log or of crashes.csv.
    pub sources: Vec<String>,
}

fn ser_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_string()),
        None => s.serialize_none(),
    }
}

pub struct Merged {
    pub crashes: Vec<Crash>,
    pub unknown: Vec<String>,
}

/// Resolves machine names, merges crashes.csv into the logged crashes and
/// sorts by time (untimed last).
pub fn merge_crashes(case: &Case, reports: &[FoundReport]) -> Merged {
    let mut unknown = BTreeSet::new();
    let mut resolve = |name: Option<&str>| -> (String, bool) {
        let name = name.unwrap_or("-");
        match case.resolve(name) {
            Some(m) => (m.name.clone(), true),
            None => {
                unknown.insert(name.to_string());
                (name.to_string(), false)
            }
        }
    };
    let mut crashes: Vec<Crash> = reports
        .iter()
        .map(|r| {
            let (machine, known) = resolve(r.machine.as_deref());
            Crash {
                machine,
                known,
                time: r.time,
                title: r.report.title.clone(),
                signature: r.report.signature.clone(),
                kind: Some(r.report.kind),
                sources: vec![format!("{}:{}", case.relative(&r.file), r.line)],
            }
        })
        .collect();
    for k in &case.known_crashes {
        let (machine, known) = resolve(Some(&k.machine));
        let source = format!("{}:{}", case.relative(&k.file), k.line);
        let same = crashes.iter_mut().find(|c| {
            c.machine == machine
                && c.time.is_some_and(|t| {
                    (t.as_second() - k.time.as_second()).abs() <= SAME_CRASH_MINUTES * 60
                })
        });
        match same {
            Some(c) => c.sources.push(source),
            None => crashes.push(Crash {
                machine,
                known,
                time: Some(k.time),
                title: k.title.clone(),
                signature: title_signature(&k.title),
                kind: None,
                sources: vec![source],
            }),
        }
    }
    crashes.sort_by(|a, b| {
        (a.time.is_none(), a.time, &a.machine).cmp(&(b.time.is_none(), b.time, &b.machine))
    });
    Merged {
        crashes,
        unknown: unknown.into_iter().collect(),
    }
}

/// Groups by title (titles already name the guilty function); the group's
/// signature is that of its first logged report.
pub fn groups(crashes: &[Crash]) -> Vec<Group> {
    let mut by_title: BTreeMap<&str, (String, usize, BTreeSet<String>)> = BTreeMap::new();
    for c in crashes {
        let e = by_title
            .entry(&c.title)
            .or_insert_with(|| (c.signature.clone(), 0, BTreeSet::new()));
        if c.kind.is_some() && e.1 == 0 {
            e.0 = c.signature.clone();
        }
        e.1 += 1;
        e.2.insert(c.machine.clone());
    }
    let mut v: Vec<Group> = by_title
        .into_iter()
        .map(|(title, (signature, n, machines))| Group {
            signature,
            title: title.to_string(),
            crashes: n,
            machines: machines.into_iter().collect(),
        })
        .collect();
    v.sort_by(|a, b| b.crashes.cmp(&a.crashes).then(a.title.cmp(&b.title)));
    v
}

/// A stable id for a crash known only by its title (FNV-1a, as reports').
fn title_signature(title: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in title.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}
