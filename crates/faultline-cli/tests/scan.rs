//! `faultline scan` from the command line: output, JSON contract, exit codes.

use std::io::Write;
use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/logs")
}

fn faultline() -> Command {
    Command::cargo_bin("faultline").expect("binary is built")
}

fn json(args: &[&str]) -> (serde_json::Value, i32) {
    let out = faultline().args(args).output().expect("runs");
    let doc = serde_json::from_slice(&out.stdout).expect("stdout is one JSON document");
    (doc, out.status.code().expect("exit code"))
}

#[test]
fn text_output_lists_crashes_groups_and_events() {
    faultline()
        .arg("scan")
        .arg(examples())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "BUG: corrupted list in mptscsih_io_done",
        ))
        .stdout(predicate::str::contains("centos5-db02"))
        .stdout(predicate::str::contains("Crash groups (by signature)"))
        .stdout(predicate::str::contains("Notable events (by template)"));
}

#[test]
fn json_document_has_the_documented_fields() {
    let ex = examples();
    let (doc, code) = json(&["scan", "--json", ex.to_str().unwrap()]);
    assert_eq!(code, 0);
    let reports = doc["reports"].as_array().expect("reports");
    assert!(reports.len() >= 6, "{reports:?}");
    for key in [
        "file",
        "line",
        "machine",
        "time",
        "uptime",
        "kind",
        "title",
        "frame",
        "frames",
        "corrupted",
        "kernel",
        "taint",
        "signature",
        "text",
    ] {
        assert!(reports[0].get(key).is_some(), "report field {key} missing");
    }
    let events = doc["events"].as_array().expect("events");
    assert!(!events.is_empty());
    for key in [
        "file", "line", "machine", "time", "kind", "template", "message",
    ] {
        assert!(events[0].get(key).is_some(), "event field {key} missing");
    }
    let files = doc["files"].as_array().expect("files");
    assert_eq!(files.len(), 8);
    // Journald export: wall time from __REALTIME_TIMESTAMP, host from _HOSTNAME.
    let gpf = reports
        .iter()
        .find(|r| r["kind"] == "gpf")
        .expect("the kvm-node4 general protection fault");
    assert_eq!(gpf["machine"], "kvm-node4");
    assert_eq!(
        gpf["title"],
        "general protection fault in kvm_mmu_page_unlink_children"
    );
    assert_eq!(gpf["time"], "2024-09-12T00:44:05.00771Z");
    // Compressed syslog with an ISO stamp and the host field.
    let hung = reports
        .iter()
        .find(|r| r["machine"] == "web07")
        .expect("the web07 hung task");
    assert_eq!(
        hung["title"],
        "INFO: task hung in jbd2_journal_commit_transaction"
    );
    assert_eq!(hung["time"], "2026-03-14T02:06:44.902313Z");
    assert_eq!(hung["kind"], "hung_task");
}

#[test]
fn stdin_is_read_and_sniffed() {
    let gz = std::fs::read(examples().join("web07/kern.log.gz")).unwrap();
    let out = faultline()
        .args(["scan", "--json", "--machine", "web07", "-"])
        .write_stdin(gz)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        doc["reports"][0]["title"],
        "INFO: task hung in jbd2_journal_commit_transaction"
    );
    assert_eq!(doc["files"][0]["path"], "-");
    assert_eq!(doc["files"][0]["compression"], "gzip");
}

#[test]
fn machine_comes_from_the_logs_folder_or_the_option() {
    let ex = examples();
    let (doc, _) = json(&["scan", "--json", ex.join("centos4-app11").to_str().unwrap()]);
    assert_eq!(doc["reports"][0]["machine"], "centos4-app11");
    let (doc, _) = json(&[
        "scan",
        "--json",
        "--machine",
        "app11.example.com",
        ex.join("centos4-app11/console.log").to_str().unwrap(),
    ]);
    assert_eq!(doc["reports"][0]["machine"], "app11.example.com");
}

#[test]
fn unreadable_inputs_exit_1_and_the_rest_is_still_scanned() {
    let dir = tempfile::tempdir().unwrap();
    // A gzip archive cut short.
    let text = std::fs::read(examples().join("centos5-db02/console.log")).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&text).unwrap();
    let gz = gz.finish().unwrap();
    let cut = dir.path().join("db02.log.gz");
    std::fs::write(&cut, &gz[..gz.len() - 30]).unwrap();
    let missing = dir.path().join("no-such.log");
    let good = examples().join("centos4-app11/console.log");
    let out = faultline()
        .args(["scan", "--json"])
        .arg(&missing)
        .arg(&cut)
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no-such.log"), "{stderr}");
    assert!(
        stderr.contains("db02.log.gz") && stderr.contains("gzip"),
        "{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let titles: Vec<&str> = doc["reports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["title"].as_str().unwrap())
        .collect();
    assert!(
        titles.contains(&"BUG: hard lockup in mptscsih_io_done"),
        "{titles:?}"
    );
    let cut_file = doc["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["path"].as_str().unwrap().ends_with("db02.log.gz"))
        .unwrap();
    assert!(cut_file["error"].as_str().unwrap().contains("truncated"));
}

#[test]
fn usage_errors_exit_2() {
    faultline().arg("scan").assert().code(2);
    faultline()
        .args(["scan", "--tz", "Mars/Olympus", "x.log"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Mars/Olympus"));
    faultline()
        .args(["scan", "--year", "99", "x.log"])
        .assert()
        .code(2);
    faultline().args(["scan", "-", "-"]).assert().code(2);
    faultline().arg("no-such-command").assert().code(2);
}

#[test]
fn year_and_zone_options_apply_to_syslog_stamps() {
    let ex = examples();
    let (doc, code) = json(&[
        "scan",
        "--json",
        "--year",
        "2009",
        "--tz",
        "America/New_York",
        ex.join("xen-host/kern.log").to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    // Feb 11 03:12:44 in New York (EST, UTC-5).
    assert_eq!(doc["events"][0]["time"], "2009-02-11T08:12:44Z");
    assert_eq!(doc["events"][0]["machine"], "xen-host");
}
