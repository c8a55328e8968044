//! Reading knowledge-base files: what a site writes, and every way it can be
//! wrong, named with the file and line.

use faultline_kb::{EventView, KnowledgeBase, ReportView, Severity};
use proptest::prelude::*;

const SITE: &str = r#"
[[issue]]
id = "site-mpt-reset"
title = "LSI HBA resets on the old firmware"
severity = "medium"
explanation = "Firmware 1.2 resets the HBA under load."
evidence = ["mpt2sas: ... reset"]
remediation = ["Upgrade the HBA firmware to 1.4"]
references = ["vendor advisory 42"]

[[issue.logs]]
line = 'mpt2sas\d+: .*reset'

[[issue.logs]]
title = "^BUG: .* in mpt2sas_"
frame = "^mpt2sas_"

[[issue.config]]
fact = "block.*.model"
matches = "^LSI"
"#;

fn report<'a>(title: &'a str, frames: &'a [String], text: &'a str) -> ReportView<'a> {
    ReportView {
        title,
        kind: "bug",
        frames,
        text,
    }
}

#[test]
fn a_site_entry_matches_lines_reports_and_facts() {
    let mut kb = KnowledgeBase::empty();
    kb.add_toml(SITE, "site.toml").unwrap();
    let issue = kb.get("site-mpt-reset").unwrap();
    assert_eq!(issue.severity, Severity::Medium);
    assert_eq!(issue.origin, "site.toml");
    let event = EventView {
        rule: "other",
        template: "x",
        message: "mpt2sas0: sending diag reset !!",
    };
    assert_eq!(kb.for_event(&event).len(), 1);
    let frames = vec!["mpt2sas_scsih_io_done".to_string()];
    assert_eq!(
        kb.for_report(&report(
            "BUG: unable to handle page fault in mpt2sas_scsih_io_done",
            &frames,
            ""
        ))
        .len(),
        1
    );
    // Both fields of a matcher must hold: the right title with other frames
    // is not it.
    let other = vec!["scsi_done".to_string()];
    assert!(
        kb.for_report(&report(
            "BUG: unable to handle page fault in mpt2sas_scsih_io_done",
            &other,
            ""
        ))
        .is_empty()
    );
    let facts = [("block.sda.model".to_string(), "LSI MR9361".to_string())]
        .into_iter()
        .collect();
    assert_eq!(kb.for_facts(&facts).len(), 1);
}

#[test]
fn a_site_entry_replaces_a_builtin_of_the_same_id() {
    let mut kb = KnowledgeBase::builtin();
    let before = kb.issues().len();
    let replaced = SITE.replace("site-mpt-reset", "xen-dom0-mem-unset");
    kb.add_toml(&replaced, "site.toml").unwrap();
    assert_eq!(kb.issues().len(), before);
    assert_eq!(kb.get("xen-dom0-mem-unset").unwrap().origin, "site.toml");
}

fn error(text: &str) -> String {
    KnowledgeBase::empty()
        .add_toml(text, "site.toml")
        .unwrap_err()
        .to_string()
}

const HEAD: &str =
    "[[issue]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"high\"\nexplanation = \"e\"\n";

#[test]
fn errors_name_the_file_the_line_and_the_fault() {
    assert_eq!(
        error(
            "[[issue]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"urgent\"\nexplanation = \"e\"\n[[issue.logs]]\nline = \"a\"\n"
        ),
        "site.toml:2: issue x: \"urgent\" is not a severity (info, low, medium, high, critical)"
    );
    assert!(error("[[issue]]\nid = \"x\"\ntitle = \n").starts_with("site.toml:3: "));
    assert_eq!(
        error(&format!(
            "{HEAD}[[issue.logs]]\nevent = \"oom-kill\"\ntitle = \"OOM\"\n"
        )),
        "site.toml:2: issue x: logs #1: a matcher is about crash reports (title, frame, kind) or about events (event, template), not both: make two [[issue.logs]]"
    );
    assert_eq!(
        error(&format!(
            "{HEAD}[[issue.config]]\nfact = \"a\"\nequals = 1\nabove = 2\n"
        )),
        "site.toml:2: issue x: config #1: fact \"a\": give exactly one test (present, missing, equals, not_equals, one_of, not_one_of, matches, not_matches, above, below, at_least, at_most), found 2"
    );
    assert_eq!(
        error(&format!(
            "{HEAD}[[issue.config]]\nfact = \"a\"\nabove = \"lots\"\n"
        )),
        "site.toml:2: issue x: config #1: above = \"lots\" is not a number"
    );
    assert_eq!(
        error(HEAD),
        "site.toml:2: issue x: matches nothing: give [[issue.logs]] or [[issue.config]]"
    );
    assert!(
        error(&format!(
            "{HEAD}colour = \"red\"\n[[issue.logs]]\nline = \"a\"\n"
        ))
        .contains("unknown field `colour`")
    );
    let twice = format!("{HEAD}[[issue.logs]]\nline = \"a\"\n");
    assert_eq!(
        error(&format!("{twice}\n{twice}")),
        "site.toml:10: issue x: this id is used twice in the file"
    );
}

#[test]
fn a_folder_keeps_the_good_files_and_names_the_bad() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.toml"), SITE).unwrap();
    std::fs::write(dir.path().join("b.toml"), "[[issue]]\nid = 3\n").unwrap();
    std::fs::write(dir.path().join("c.toml"), b"\xff\xfe not utf-8").unwrap();
    std::fs::write(dir.path().join("notes.txt"), "not a kb file").unwrap();
    let mut kb = KnowledgeBase::empty();
    let errors = kb.add_dir(dir.path());
    assert_eq!(kb.issues().len(), 1);
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(errors[0].to_string().contains("b.toml:2:"), "{}", errors[0]);
    assert!(
        errors[1].to_string().contains("c.toml: not UTF-8"),
        "{}",
        errors[1]
    );
    let missing = KnowledgeBase::empty().add_dir(&dir.path().join("nope"));
    assert!(
        missing[0]
            .to_string()
            .contains("cannot read the knowledge-base folder")
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever a file holds, loading it gives entries or an error, never a
    /// panic; matching the result against anything never panics either.
    #[test]
    fn loading_never_panics(text in "\\PC{0,400}", line in "\\PC{0,80}") {
        let mut kb = KnowledgeBase::empty();
        let _ = kb.add_toml(&text, "fuzz.toml");
        let mut spliced = SITE.to_string();
        spliced.insert_str(SITE.len() / 2, &text);
        let _ = kb.add_toml(&spliced, "fuzz.toml");
        let event = EventView { rule: &line, template: &line, message: &line };
        let _ = kb.for_event(&event);
    }
}
