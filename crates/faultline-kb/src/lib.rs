//! The knowledge base: known issues as data.
//!
//! A known issue is a TOML table (`[[issue]]`) that says what it matches, how
//! bad it is, why it happens, what evidence to look for, how to fix it, and
//! where to read more. The built-in issues live in `kb/*.toml` beside this
//! crate and are compiled into the binary; a site adds or overrides entries
//! with `--kb DIR` or a case's `kb/` folder (an entry whose id equals a
//! built-in one replaces it).
//!
//! What an issue matches:
//!
//! * `[[issue.logs]]` matchers, any one of which is enough. A matcher is about
//!   crash reports (`title`, `frame`, `kind`) or about notable events
//!   (`event` rule ids, `template`), and every field it gives must hold; a
//!   `line` regex alone matches any line of a report or an event's message.
//! * `[[issue.config]]` conditions on the facts of a config snapshot (the
//!   flattened `faultline collect` JSON: `xen.cmdline.dom0_mem`,
//!   `sysctl.vm.overcommit_memory`, `block.*.scheduler`, ...), all of which
//!   must hold. A fact name may hold `*`, which matches any run of
//!   characters; a value test then holds when any matching fact passes it.
//! * `combine`: with `"any"` (the default) the log side and the config side
//!   each match on their own; with `"all"` the issue is the combination, "this
//!   message on a machine whose snapshot has these facts", and only the audit,
//!   which sees both, can confirm it. Elsewhere the log side shows it as a
//!   candidate whose config is still to be checked.
//!
//! This crate knows nothing of logs or snapshots as files: callers hand it
//! titles, frames, rule ids, lines and a map of facts. It does no I/O except
//! reading the TOML files it is pointed at.

mod facts;
mod issue;
mod load;

pub use facts::{FactTest, Facts, Observed, glob, matching, number};
pub use issue::{
    Combine, ConfigMatch, EventView, FactCondition, KnownIssue, LogMatcher, ReportView, Severity,
};
pub use load::{BUILTIN_FILES, KbError};

/// Every known issue faultline knows of: the built-in ones plus those a site
/// added.
#[derive(Debug, Clone)]
pub struct KnowledgeBase {
    issues: Vec<KnownIssue>,
}

impl KnowledgeBase {
    /// The issues compiled into faultline.
    pub fn builtin() -> KnowledgeBase {
        let mut issues = Vec::new();
        for (name, text) in BUILTIN_FILES {
            let origin = format!("built-in kb/{name}");
            // The built-in files are checked by this crate's tests; a broken
            // one is a build defect, not a user error.
            let parsed = load::parse(text, &origin)
                .unwrap_or_else(|e| panic!("built-in knowledge base is broken: {e}"));
            issues.extend(parsed);
        }
        let mut kb = KnowledgeBase { issues: Vec::new() };
        kb.merge(issues);
        kb
    }

    /// An empty knowledge base (for tests and `--no-builtin-kb` style use).
    pub fn empty() -> KnowledgeBase {
        KnowledgeBase { issues: Vec::new() }
    }

    /// Adds the issues of one TOML text; `origin` names it in errors.
    pub fn add_toml(&mut self, text: &str, origin: &str) -> Result<(), KbError> {
        let parsed = load::parse(text, origin)?;
        self.merge(parsed);
        Ok(())
    }

    /// Adds every `*.toml` file of a folder (not recursive, in name order).
    /// Files that fail are returned as errors; the others are kept.
    pub fn add_dir(&mut self, dir: &std::path::Path) -> Vec<KbError> {
        let (parsed, errors) = load::read_dir(dir);
        self.merge(parsed);
        errors
    }

    fn merge(&mut self, new: Vec<KnownIssue>) {
        for issue in new {
            match self.issues.iter_mut().find(|i| i.id == issue.id) {
                Some(old) => *old = issue,
                None => self.issues.push(issue),
            }
        }
    }

    pub fn issues(&self) -> &[KnownIssue] {
        &self.issues
    }

    pub fn get(&self, id: &str) -> Option<&KnownIssue> {
        self.issues.iter().find(|i| i.id == id)
    }

    /// Known issues whose log side matches a crash report.
    pub fn for_report(&self, report: &ReportView<'_>) -> Vec<&KnownIssue> {
        self.issues
            .iter()
            .filter(|i| i.logs.iter().any(|m| m.matches_report(report)))
            .collect()
    }

    /// Known issues whose log side matches a notable event.
    pub fn for_event(&self, event: &EventView<'_>) -> Vec<&KnownIssue> {
        self.issues
            .iter()
            .filter(|i| i.logs.iter().any(|m| m.matches_event(event)))
            .collect()
    }

    /// Known issues whose config side holds on a snapshot's facts, with what
    /// was seen for each condition.
    pub fn for_facts(&self, facts: &Facts) -> Vec<ConfigMatch<'_>> {
        self.issues
            .iter()
            .filter_map(|i| i.match_facts(facts))
            .collect()
    }
}
