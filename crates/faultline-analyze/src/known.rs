//! Known issues from the knowledge base, named next to the crash groups and
//! precursor events they match.

use std::collections::HashMap;

use faultline_kb::{EventView, KnowledgeBase, ReportView, Severity};
use faultline_scan::{FoundEvent, FoundReport};
use serde::Serialize;

use crate::Crash;

/// A known issue some crashes or events match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct KnownIssueRef {
    pub id: String,
    pub title: String,
    pub severity: Severity,
    /// `false` for a combination of a message and a setting that only
    /// `faultline audit` can confirm with the machine's snapshot.
    pub confirmed: bool,
    /// How many crashes (of a group) match it; 0 for a precursor.
    pub crashes: usize,
}

/// A found crash report as the knowledge base sees it.
pub fn report_view(r: &FoundReport) -> ReportView<'_> {
    ReportView {
        title: &r.report.title,
        kind: r.report.kind.as_str(),
        frames: &r.report.frames,
        text: &r.report.text,
    }
}

/// A found notable event as the knowledge base sees it.
pub fn event_view(e: &FoundEvent) -> EventView<'_> {
    EventView {
        rule: &e.rule,
        template: &e.template,
        message: &e.message,
    }
}

fn reference(i: &faultline_kb::KnownIssue) -> KnownIssueRef {
    KnownIssueRef {
        id: i.id.clone(),
        title: i.title.clone(),
        severity: i.severity,
        confirmed: !i.needs_both(),
        crashes: 0,
    }
}

/// Known issues by crash title (from the reports of that title; a title
/// known only from crashes.csv is matched on the title alone) and by event
/// template (from the first event of the template).
pub struct KnownIndex {
    by_title: HashMap<String, Vec<KnownIssueRef>>,
    by_template: HashMap<String, Vec<KnownIssueRef>>,
}

impl KnownIndex {
    pub fn new(
        kb: &KnowledgeBase,
        reports: &[FoundReport],
        events: &[FoundEvent],
        crashes: &[Crash],
    ) -> KnownIndex {
        let mut by_title: HashMap<String, Vec<KnownIssueRef>> = HashMap::new();
        for r in reports {
            let found = kb.for_report(&report_view(r));
            let slot = by_title.entry(r.report.title.clone()).or_default();
            for i in found {
                if !slot.iter().any(|k| k.id == i.id) {
                    slot.push(reference(i));
                }
            }
        }
        for c in crashes {
            if !by_title.contains_key(&c.title) {
                let kind = c.kind.map(|k| k.as_str()).unwrap_or("");
                let view = ReportView {
                    title: &c.title,
                    kind,
                    frames: &[],
                    text: "",
                };
                let refs = kb.for_report(&view).into_iter().map(reference).collect();
                by_title.insert(c.title.clone(), refs);
            }
        }
        let mut by_template: HashMap<String, Vec<KnownIssueRef>> = HashMap::new();
        for e in events {
            if by_template.contains_key(&e.template) {
                continue;
            }
            let refs = kb
                .for_event(&event_view(e))
                .into_iter()
                .map(reference)
                .collect();
            by_template.insert(e.template.clone(), refs);
        }
        KnownIndex {
            by_title,
            by_template,
        }
    }

    /// The known issues of crashes given as (title, how many crashes), with
    /// how many crashes match each.
    pub fn for_titles<'t>(
        &self,
        titles: impl IntoIterator<Item = (&'t str, usize)>,
    ) -> Vec<KnownIssueRef> {
        let mut out: Vec<KnownIssueRef> = Vec::new();
        for (title, n) in titles {
            for k in self
                .by_title
                .get(title)
                .map(Vec::as_slice)
                .unwrap_or_default()
            {
                match out.iter_mut().find(|o| o.id == k.id) {
                    Some(o) => o.crashes += n,
                    None => out.push(KnownIssueRef {
                        crashes: n,
                        ..k.clone()
                    }),
                }
            }
        }
        out.sort_by(|a, b| {
            b.crashes
                .cmp(&a.crashes)
                .then(b.severity.cmp(&a.severity))
                .then(a.id.cmp(&b.id))
        });
        out
    }

    pub fn for_template(&self, template: &str) -> Vec<KnownIssueRef> {
        self.by_template.get(template).cloned().unwrap_or_default()
    }
}
