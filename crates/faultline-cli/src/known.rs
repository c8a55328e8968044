//! The knowledge base as the commands use it: built in, plus a case's kb/
//! folder and `--kb` folders, and matched against scan findings.

use std::path::PathBuf;

use faultline_kb::KnowledgeBase;
use faultline_scan::{FoundEvent, FoundReport};
use serde::Serialize;

/// The built-in knowledge base plus the entries of each folder (later ones
/// replace earlier ones with the same id). Bad files are named on stderr
/// and skipped; the bool says whether there were any.
pub fn load(dirs: impl IntoIterator<Item = PathBuf>) -> (KnowledgeBase, bool) {
    let mut kb = KnowledgeBase::builtin();
    let mut trouble = false;
    for dir in dirs {
        for e in kb.add_dir(&dir) {
            eprintln!("faultline: {e}");
            trouble = true;
        }
    }
    (kb, trouble)
}

pub use faultline_analyze::{event_view, report_view};

/// A known issue some findings match, for `scan` output.
#[derive(Debug, Serialize)]
pub struct KnownIssueSeen {
    pub id: String,
    pub title: String,
    pub severity: faultline_kb::Severity,
    /// `false` when the issue is a combination of a message and a setting
    /// (`combine = "all"`): only `faultline audit` with the machine's
    /// snapshot can confirm it.
    pub confirmed: bool,
    /// Indexes into the document's `reports` and `events`.
    pub reports: Vec<usize>,
    pub events: Vec<usize>,
    pub explanation: String,
    pub remediation: Vec<String>,
    pub references: Vec<String>,
}

/// Which known issues the reports and events match, in knowledge-base order.
pub fn seen(
    kb: &KnowledgeBase,
    reports: &[FoundReport],
    events: &[FoundEvent],
) -> Vec<KnownIssueSeen> {
    let mut out: Vec<KnownIssueSeen> = Vec::new();
    let mut slot = |issue: &faultline_kb::KnownIssue| -> usize {
        if let Some(i) = out.iter().position(|s| s.id == issue.id) {
            return i;
        }
        out.push(KnownIssueSeen {
            id: issue.id.clone(),
            title: issue.title.clone(),
            severity: issue.severity,
            confirmed: !issue.needs_both(),
            reports: Vec::new(),
            events: Vec::new(),
            explanation: issue.explanation.clone(),
            remediation: issue.remediation.clone(),
            references: issue.references.clone(),
        });
        out.len() - 1
    };
    let mut hits: Vec<(usize, bool, usize)> = Vec::new();
    for (i, r) in reports.iter().enumerate() {
        for issue in kb.for_report(&report_view(r)) {
            hits.push((slot(issue), true, i));
        }
    }
    for (i, e) in events.iter().enumerate() {
        for issue in kb.for_event(&event_view(e)) {
            hits.push((slot(issue), false, i));
        }
    }
    for (s, is_report, i) in hits {
        if is_report {
            out[s].reports.push(i);
        } else {
            out[s].events.push(i);
        }
    }
    let order = |id: &str| kb.issues().iter().position(|i| i.id == id);
    // Confirmed issues first: a candidate waits on a setting nobody checked.
    out.sort_by_key(|s| (!s.confirmed, std::cmp::Reverse(s.severity), order(&s.id)));
    out
}
