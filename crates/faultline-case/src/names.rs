//! Matching machine names the way an administrator does: exactly, else
//! ignoring case, else a fully qualified name against its short name (and
//! the other way round).
//!
//! The same matching decides which records of different sources are one
//! machine, which host a `host` column means and which machine a log names,
//! so a name that resolves once resolves everywhere to the same machine.

use std::collections::HashMap;
use std::net::IpAddr;

/// An index from names to positions in a list of machines.
#[derive(Debug, Clone, Default)]
pub(crate) struct NameIndex {
    exact: HashMap<String, usize>,
    folded: HashMap<String, usize>,
    /// Short name (lowercase) of every machine whose name is qualified.
    short: HashMap<String, Vec<usize>>,
    len: usize,
}

/// The short name of a qualified name (`web01` of `WEB01.example.com.`),
/// lowercased; `None` for a name that is not qualified or is an IP address,
/// whose dots do not separate a domain.
fn short_of(name: &str) -> Option<String> {
    let name = name.trim_end_matches('.');
    if name.parse::<IpAddr>().is_ok() {
        return None;
    }
    let (short, _domain) = name.split_once('.')?;
    (!short.is_empty()).then(|| short.to_lowercase())
}

impl NameIndex {
    /// How many names were inserted.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Adds a machine's name; the first machine inserted under a name keeps
    /// it.
    pub fn insert(&mut self, name: &str, at: usize) {
        self.len += 1;
        self.exact.entry(name.to_string()).or_insert(at);
        self.folded.entry(name.to_lowercase()).or_insert(at);
        if let Some(short) = short_of(name) {
            self.short.entry(short).or_default().push(at);
        }
    }

    /// The machine a name refers to; `None` when unknown or when a short
    /// name would fit several qualified names.
    pub fn find(&self, name: &str) -> Option<usize> {
        let name = name.trim();
        if name.is_empty() {
            return None;
        }
        if let Some(&at) = self.exact.get(name) {
            return Some(at);
        }
        let folded = name.to_lowercase();
        if let Some(&at) = self.folded.get(&folded) {
            return Some(at);
        }
        let bare = folded.trim_end_matches('.');
        if let Some(&at) = self.folded.get(bare) {
            return Some(at);
        }
        match short_of(name) {
            // A qualified name: its short name may be in the inventory.
            Some(short) => self.folded.get(&short).copied(),
            // A short name: exactly one qualified name may carry it.
            None => match self.short.get(bare).map(Vec::as_slice) {
                Some([at]) => Some(*at),
                _ => None,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_rules() {
        let mut index = NameIndex::default();
        for (i, name) in [
            "web01",
            "DB01.example.com",
            "app01.a.com",
            "app01.b.com",
            "10.0.0.5",
        ]
        .iter()
        .enumerate()
        {
            index.insert(name, i);
        }
        assert_eq!(index.find("web01"), Some(0));
        assert_eq!(index.find("WEB01"), Some(0));
        assert_eq!(index.find("web01.example.com"), Some(0));
        assert_eq!(index.find("Web01.Example.Com."), Some(0));
        assert_eq!(index.find("db01"), Some(1));
        assert_eq!(index.find("db01.example.com"), Some(1));
        // Two qualified names share the short name: ambiguous.
        assert_eq!(index.find("app01"), None);
        assert_eq!(index.find("app01.b.com"), Some(3));
        // Different domains are different machines.
        assert_eq!(index.find("db01.other.org"), None);
        // IP addresses are not qualified names.
        assert_eq!(index.find("10.0.0.5"), Some(4));
        assert_eq!(index.find("10"), None);
        assert_eq!(index.find(""), None);
    }
}
