//! Every built-in known issue against a real-looking log or snapshot that
//! must trigger it and one that must not.
//!
//! Logs go through the real scanner (reader and detector), so an entry is
//! tested the way `faultline scan` will meet it; snapshots are given as the
//! facts `faultline collect` produces (see faultline-collect's `facts()`).

use std::collections::BTreeSet;
use std::io::Write as _;

use faultline_kb::{EventView, Facts, KnowledgeBase, ReportView};
use faultline_scan::{Input, ScanOptions};

/// What an entry is tested on.
enum Subject {
    /// A log file's text.
    Log(&'static str),
    /// A snapshot's facts.
    Facts(&'static [(&'static str, &'static str)]),
    /// A log and the snapshot of the same machine (for `combine = "all"`).
    Both(&'static str, &'static [(&'static str, &'static str)]),
}

struct Case {
    issue: &'static str,
    triggers: Subject,
    /// Something close that must not match (a healthy setting, a lookalike
    /// message).
    quiet: Subject,
}

/// The ids of the issues the log's reports and events match.
fn log_hits(kb: &KnowledgeBase, text: &str) -> BTreeSet<String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let out = faultline_scan::scan(
        &[Input::Path(file.path().to_path_buf())],
        &ScanOptions {
            year: Some(2026),
            ..ScanOptions::default()
        },
    );
    assert!(out.failures().next().is_none(), "scan failed");
    let mut ids = BTreeSet::new();
    for r in &out.reports {
        let view = ReportView {
            title: &r.report.title,
            kind: r.report.kind.as_str(),
            frames: &r.report.frames,
            text: &r.report.text,
        };
        ids.extend(kb.for_report(&view).into_iter().map(|i| i.id.clone()));
    }
    for e in &out.events {
        let view = EventView {
            rule: &e.rule,
            template: &e.template,
            message: &e.message,
        };
        ids.extend(kb.for_event(&view).into_iter().map(|i| i.id.clone()));
    }
    ids
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fact_hits(kb: &KnowledgeBase, pairs: &[(&str, &str)]) -> BTreeSet<String> {
    kb.for_facts(&facts(pairs))
        .into_iter()
        .map(|m| m.issue.id.clone())
        .collect()
}

/// Whether the issue matches the subject the way its `combine` asks.
fn matches(kb: &KnowledgeBase, id: &str, subject: &Subject) -> bool {
    let issue = kb
        .get(id)
        .unwrap_or_else(|| panic!("no built-in issue {id}"));
    match subject {
        Subject::Log(text) => !issue.needs_both() && log_hits(kb, text).contains(id),
        Subject::Facts(pairs) => !issue.needs_both() && fact_hits(kb, pairs).contains(id),
        Subject::Both(text, pairs) => {
            let log = log_hits(kb, text).contains(id);
            let config = fact_hits(kb, pairs).contains(id);
            if issue.needs_both() {
                log && config
            } else {
                log || config
            }
        }
    }
}

const XEN_SQUEEZE_LOG: &str = "\
Feb 11 03:10:02 xen07 kernel: [1201933.140216] device vif12.0 entered promiscuous mode
Feb 11 03:12:44 xen07 kernel: [1202095.007211] xen_net: Memory squeeze in netback driver.
Feb 11 03:12:45 xen07 kernel: [1202096.230198] xen_net: Memory squeeze in netback driver.
";

const XEN_QUIET_LOG: &str = "\
Feb 11 03:10:02 xen07 kernel: [1201933.140216] device vif12.0 entered promiscuous mode
Feb 11 03:10:02 xen07 kernel: [1201933.152004] br0: port 6(vif12.0) entering forwarding state
Feb 11 03:11:40 xen07 kernel: [1202000.100000] xen:balloon: Cannot add additional memory (-17)
";

const XEN_HOST_NO_DOM0_MEM: &[(&str, &str)] = &[
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "placeholder=1 com1=115200,8n1 console=com1"),
    ("xen.cmdline.placeholder", "1"),
    ("xen.cmdline.com1", "115200,8n1"),
    ("xen.cmdline.console", "com1"),
];

const XEN_HOST_WITH_DOM0_MEM: &[(&str, &str)] = &[
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "dom0_mem=4096M,max:4096M console=com1"),
    ("xen.cmdline.dom0_mem", "4096M,max:4096M"),
    ("xen.cmdline.console", "com1"),
];

const CASES: &[Case] = &[
    Case {
        issue: "xen-netback-memory-squeeze",
        triggers: Subject::Log(XEN_SQUEEZE_LOG),
        quiet: Subject::Log(XEN_QUIET_LOG),
    },
    Case {
        issue: "xen-dom0-mem-unset",
        triggers: Subject::Facts(XEN_HOST_NO_DOM0_MEM),
        quiet: Subject::Facts(XEN_HOST_WITH_DOM0_MEM),
    },
    Case {
        issue: "xen-netback-squeeze-without-dom0-mem",
        triggers: Subject::Both(XEN_SQUEEZE_LOG, XEN_HOST_NO_DOM0_MEM),
        quiet: Subject::Both(XEN_SQUEEZE_LOG, XEN_HOST_WITH_DOM0_MEM),
    },
];

#[test]
fn every_builtin_issue_triggers_on_its_example_and_not_on_its_lookalike() {
    let kb = KnowledgeBase::builtin();
    let mut failures = Vec::new();
    for case in CASES {
        if !matches(&kb, case.issue, &case.triggers) {
            failures.push(format!("{}: did not trigger on its example", case.issue));
        }
        if matches(&kb, case.issue, &case.quiet) {
            failures.push(format!("{}: triggered on its lookalike", case.issue));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_builtin_issue_has_a_case_and_complete_prose() {
    let kb = KnowledgeBase::builtin();
    let tested: BTreeSet<&str> = CASES.iter().map(|c| c.issue).collect();
    for issue in kb.issues() {
        assert!(
            tested.contains(issue.id.as_str()),
            "{} has no test case",
            issue.id
        );
        assert!(
            !issue.remediation.is_empty(),
            "{}: no remediation",
            issue.id
        );
        assert!(!issue.evidence.is_empty(), "{}: no evidence", issue.id);
        assert!(!issue.references.is_empty(), "{}: no references", issue.id);
    }
}

#[test]
fn the_combination_is_not_claimed_from_one_side_alone() {
    let kb = KnowledgeBase::builtin();
    let issue = kb.get("xen-netback-squeeze-without-dom0-mem").unwrap();
    assert!(issue.needs_both());
    // Its log side alone matches (scan shows it as a candidate) ...
    assert!(log_hits(&kb, XEN_SQUEEZE_LOG).contains(issue.id.as_str()));
    // ... but a log without the message plus the bad setting is not it.
    assert!(!matches(
        &kb,
        &issue.id,
        &Subject::Both(XEN_QUIET_LOG, XEN_HOST_NO_DOM0_MEM)
    ));
}
