//! `faultline audit` and `faultline kb` from the command line, and the
//! known issues `scan` names: the Xen dom0 example case, snapshot files,
//! a site's own knowledge base, exit codes.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn faultline() -> Command {
    Command::cargo_bin("faultline").expect("binary is built")
}

/// Copies a case without its store, so tests do not share one.
fn copy_case(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == ".faultline" || name == "tools" {
            continue;
        }
        let dest = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
            copy_case(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

fn audit_json(args: &[&str]) -> (Value, i32, String) {
    let out = faultline()
        .arg("audit")
        .arg("--json")
        .args(args)
        .output()
        .expect("runs");
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (
        doc,
        out.status.code().expect("exit code"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn finding<'a>(doc: &'a Value, id: &str) -> Option<&'a Value> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
}

fn flagged(f: &Value) -> Vec<&str> {
    f["machines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["machine"].as_str().unwrap())
        .collect()
}

const RANK: [&str; 5] = ["info", "low", "medium", "high", "critical"];

fn rank(s: &str) -> usize {
    RANK.iter().position(|r| *r == s).expect("a severity")
}

#[test]
fn the_dom0_story_names_the_host_the_setting_and_the_crash_rate() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(&examples().join("xen-dom0-squeeze"), dir.path());
    let (doc, code, _) = audit_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 3, "high findings exit 3 by default");
    let combo = finding(&doc, "xen-netback-squeeze-without-dom0-mem").expect("combination");
    assert_eq!(combo["severity"], "critical");
    assert_eq!(flagged(combo), ["xen03"]);
    let m = &combo["machines"][0];
    assert_eq!(m["log_matches"], 12);
    let setting = m["current"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["fact"] == "xen.cmdline.dom0_mem")
        .expect("the missing setting");
    assert!(setting["value"].is_null());
    assert!(
        setting["recommended"]
            .as_str()
            .unwrap()
            .starts_with("dom0_mem=")
    );
    // Crash rate: xen03 had 3 of the 4 crashes, every host the same hours;
    // by hand, P(X >= 3 | n = 4, p = 1/5) = 4 (1/5)^3 (4/5) + (1/5)^4 = 17/625.
    let rate = &combo["crash_rate"];
    assert_eq!(rate["flagged_crashes"], 3);
    assert_eq!(rate["other_crashes"], 1);
    assert_eq!(rate["other_machines"], 4);
    let p = rate["p"].as_f64().unwrap();
    assert!((p - 17.0 / 625.0).abs() < 1e-12, "{p}");
    assert!((rate["rate_ratio"].as_f64().unwrap() - 12.0).abs() < 1e-9);
    // The log-only and config-only entries flag the same host.
    assert_eq!(
        flagged(finding(&doc, "xen-dom0-mem-unset").unwrap()),
        ["xen03"]
    );
    assert_eq!(
        flagged(finding(&doc, "xen-netback-memory-squeeze").unwrap()),
        ["xen03"]
    );
    // Most severe first.
    let sev: Vec<usize> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| rank(f["severity"].as_str().unwrap()))
        .collect();
    assert!(sev.windows(2).all(|w| w[0] >= w[1]), "{sev:?}");
}

#[test]
fn fixing_the_setting_clears_the_host() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(&examples().join("xen-dom0-squeeze"), dir.path());
    let path = dir.path().join("configs/xen03.json");
    let text = std::fs::read_to_string(&path).unwrap();
    let fixed = text.replace(
        "\"cmdline\": \"dom0_max_vcpus=4",
        "\"cmdline\": \"dom0_mem=2048M,max:2048M dom0_max_vcpus=4",
    );
    assert_ne!(text, fixed);
    std::fs::write(&path, fixed).unwrap();
    let (doc, _, _) = audit_json(&[dir.path().to_str().unwrap()]);
    assert!(finding(&doc, "xen-dom0-mem-unset").is_none());
    assert!(finding(&doc, "xen-netback-squeeze-without-dom0-mem").is_none());
    // The message is still in the logs: the log-side entry still says so.
    assert!(finding(&doc, "xen-netback-memory-squeeze").is_some());
}

#[test]
fn exit_code_follows_fail_on() {
    let case = examples().join("xen-dom0-squeeze");
    let configs: Vec<String> = (1..=5)
        .map(|i| {
            case.join(format!("configs/xen0{i}.json"))
                .display()
                .to_string()
        })
        .collect();
    for fail_on in RANK {
        let mut args = vec!["--fail-on", fail_on];
        args.extend(configs.iter().map(String::as_str));
        let (doc, code, _) = audit_json(&args);
        let worst = doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| rank(f["severity"].as_str().unwrap()))
            .max();
        let expect = if worst.is_some_and(|w| w >= rank(fail_on)) {
            3
        } else {
            0
        };
        assert_eq!(code, expect, "--fail-on {fail_on}");
    }
    faultline()
        .args(["audit", "--fail-on", "severe"])
        .args(&configs)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("not a severity"));
}

#[test]
fn snapshot_files_are_audited_without_a_case() {
    let case = examples().join("xen-dom0-squeeze");
    let (doc, _, _) = audit_json(&[case.join("configs").to_str().unwrap()]);
    assert_eq!(doc["machines"].as_array().unwrap().len(), 5);
    let f = finding(&doc, "xen-dom0-mem-unset").expect("config side");
    assert_eq!(flagged(f), ["xen03"]);
    assert!(f["crash_rate"].is_null(), "no case, no crashes");
    // Without logs the combination cannot be confirmed.
    assert!(finding(&doc, "xen-netback-squeeze-without-dom0-mem").is_none());
}

#[test]
fn a_bad_snapshot_is_named_and_the_others_are_still_audited() {
    let dir = tempfile::tempdir().unwrap();
    let case = examples().join("xen-dom0-squeeze/configs");
    std::fs::copy(case.join("xen03.json"), dir.path().join("xen03.json")).unwrap();
    std::fs::write(
        dir.path().join("broken.json"),
        "{\n  \"machine\": \"x\",\n  oops\n}\n",
    )
    .unwrap();
    let (doc, code, stderr) = audit_json(&[dir.path().to_str().unwrap()]);
    assert!(stderr.contains("broken.json:3:"), "{stderr}");
    assert_eq!(code, 3, "findings still decide the exit code");
    assert_eq!(
        flagged(finding(&doc, "xen-dom0-mem-unset").unwrap()),
        ["xen03"]
    );
    let (_, code, _) = audit_json(&[
        "--fail-on",
        "critical",
        dir.path().join("broken.json").to_str().unwrap(),
        dir.path().join("xen03.json").to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "unreadable input without failing findings");
}

#[test]
fn a_case_kb_folder_adds_site_rules() {
    let dir = tempfile::tempdir().unwrap();
    copy_case(&examples().join("xen-dom0-squeeze"), dir.path());
    std::fs::create_dir_all(dir.path().join("kb")).unwrap();
    std::fs::write(
        dir.path().join("kb/site.toml"),
        r#"
[[issue]]
id = "site-dom0-swappiness"
title = "dom0 swappiness above our standard"
severity = "medium"
explanation = "Our standard keeps dom0 from swapping guests' I/O buffers."
evidence = ["sysctl vm.swappiness"]
remediation = ["sysctl -w vm.swappiness=10 and /etc/sysctl.d/90-site.conf"]
references = ["internal runbook XEN-12"]

[[issue.config]]
fact = "sysctl.vm.swappiness"
above = 10
recommended = "10"
"#,
    )
    .unwrap();
    let (doc, _, _) = audit_json(&[dir.path().to_str().unwrap()]);
    let f = finding(&doc, "site-dom0-swappiness").expect("site rule");
    assert_eq!(flagged(f).len(), 5);
    assert!(f["origin"].as_str().unwrap().ends_with("site.toml"));
    // A broken site file is named with its line, and the audit goes on.
    std::fs::write(
        dir.path().join("kb/bad.toml"),
        "[[issue]]\nid = \"Bad Id\"\n",
    )
    .unwrap();
    let (doc, _, stderr) = audit_json(&[dir.path().to_str().unwrap()]);
    assert!(stderr.contains("bad.toml:"), "{stderr}");
    assert!(finding(&doc, "site-dom0-swappiness").is_some());
}

#[test]
fn text_report_shows_values_fix_and_crash_rate() {
    faultline()
        .arg("audit")
        .arg(examples().join("xen-dom0-squeeze"))
        .arg("--db")
        .arg(tempfile::tempdir().unwrap().path().join("store.db"))
        .assert()
        .code(3)
        .stdout(predicate::str::contains(
            "[critical] xen-netback-squeeze-without-dom0-mem",
        ))
        .stdout(predicate::str::contains(
            "xen03  xen.cmdline.dom0_mem = (not set); recommended: dom0_mem=",
        ))
        .stdout(predicate::str::contains("rate ratio 12.0"))
        // Relative to the case, so the report reads the same wherever the
        // case lives (an absolute path once pushed a line past 100 columns).
        .stdout(predicate::str::contains("first at logs/xen03/kern.log:4)"))
        .stdout(predicate::str::contains("fix:"))
        .stdout(predicate::function(|s: &str| {
            s.lines().all(|l| l.chars().count() <= 100)
        }));
}

#[test]
fn nothing_to_audit_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("crashes.csv"), "machine,time,title\n").unwrap();
    faultline()
        .arg("audit")
        .arg(dir.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nothing to audit"));
}

#[test]
fn scan_names_known_issues_next_to_events() {
    let log = examples().join("xen-dom0-squeeze/logs/xen03/kern.log");
    let out = faultline()
        .args(["scan", "--json", "--year", "2026"])
        .arg(&log)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let known = doc["known_issues"].as_array().unwrap();
    let squeeze = known
        .iter()
        .find(|k| k["id"] == "xen-netback-memory-squeeze")
        .expect("known issue");
    assert_eq!(squeeze["confirmed"], true);
    let idx: Vec<usize> = squeeze["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();
    assert_eq!(idx.len(), 12);
    for i in idx {
        assert_eq!(doc["events"][i]["rule"], "netback-memory-squeeze");
    }
    let combo = known
        .iter()
        .find(|k| k["id"] == "xen-netback-squeeze-without-dom0-mem")
        .expect("candidate");
    assert_eq!(combo["confirmed"], false);
    faultline()
        .args(["scan", "--year", "2026"])
        .arg(&log)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "[known: xen-netback-memory-squeeze",
        ))
        .stdout(predicate::str::contains("Known issues"))
        .stdout(predicate::str::contains("candidate:"));
}

#[test]
fn kb_lists_shows_and_checks_entries() {
    faultline()
        .args(["kb", "list"])
        .assert()
        .success()
        .stdout(predicate::str::contains("xen-dom0-mem-unset"));
    faultline()
        .args(["kb", "show", "xen-dom0-mem-unset"])
        .assert()
        .success()
        .stdout(predicate::str::contains("How to fix:"))
        .stdout(predicate::str::contains("xen.cmdline.dom0_mem is not set"));
    faultline()
        .args(["kb", "show", "no-such-issue"])
        .assert()
        .code(2);
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    std::fs::write(
        &bad,
        "[[issue]]\nid = \"x\"\ntitle = \"t\"\nseverity = \"high\"\nexplanation = \"e\"\n\n[[issue.logs]]\ntitle = \"(unclosed\"\n",
    )
    .unwrap();
    faultline()
        .args(["kb", "check"])
        .arg(&bad)
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "bad.toml:2: issue x: logs #1: title: bad regex",
        ));
}

#[test]
fn the_appliance_story_flags_the_untuned_qcow_hosts_and_their_freezes() {
    let db = tempfile::tempdir().unwrap();
    let (doc, _, _) = audit_json(&[
        examples().join("appliance-io-freeze").to_str().unwrap(),
        "--db",
        db.path().join("s.db").to_str().unwrap(),
    ]);
    let f = finding(&doc, "host-qcow-swap-overcommit-io-freeze").expect("io-freeze rule");
    assert_eq!(flagged(f), ["hv03", "hv04"]);
    let facts: Vec<&str> = f["machines"][0]["current"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["fact"].as_str().unwrap())
        .collect();
    assert!(facts.contains(&"swap.enabled"), "{facts:?}");
    assert!(facts.contains(&"block.sda.scheduler"), "{facts:?}");
    assert!(
        !facts.contains(&"role"),
        "scoping facts are not settings: {facts:?}"
    );
    // 7 of the 8 freezes on the two flagged of six equally observed
    // appliances; by hand P(X >= 7 | n = 8, p = 1/3) = 17/6561.
    let rate = &f["crash_rate"];
    assert_eq!(
        (
            rate["flagged_crashes"].as_u64(),
            rate["other_crashes"].as_u64()
        ),
        (Some(7), Some(1))
    );
    assert!((rate["p"].as_f64().unwrap() - 17.0 / 6561.0).abs() < 1e-12);
    // The tuned hosts drift from the majority, and crash less, not more.
    let swap = finding(&doc, "drift:swap.enabled").expect("swap drift");
    assert_eq!(flagged(swap), ["hv05", "hv06"]);
    assert!(swap["crash_rate"]["p"].as_f64().unwrap() > 0.5);
}

#[test]
fn the_esx_story_finds_the_nfs_settings_consistent_and_the_warning_on_esx03() {
    let db = tempfile::tempdir().unwrap();
    let (doc, _, _) = audit_json(&[
        examples().join("esx-nfs-cluster").to_str().unwrap(),
        "--db",
        db.path().join("s.db").to_str().unwrap(),
    ]);
    // The administrator's hand check, on every host at once: nothing off.
    for f in doc["findings"].as_array().unwrap() {
        let id = f["id"].as_str().unwrap();
        assert!(!id.starts_with("esx-nfs-heartbeat"), "{id}");
        assert!(!id.starts_with("drift:"), "{id}");
    }
    let serial = finding(&doc, "esx-nfs-call-serial").expect("the vmkernel warning");
    assert!(flagged(serial).contains(&"esx03"));
    let esx03 = serial["machines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["machine"] == "esx03")
        .unwrap();
    assert!(esx03["log_matches"].as_u64().unwrap() >= 20);
    let mpt = finding(&doc, "rhel-mptscsih-list-corruption").expect("the guest crashes");
    assert_eq!(flagged(mpt), ["db04", "db06", "mail01", "web03"]);
    assert!(mpt["crash_rate"].is_null(), "flagged because they crashed");
}

#[test]
fn analyze_names_the_known_issues_of_crashes_and_precursors() {
    let db = tempfile::tempdir().unwrap();
    let out = faultline()
        .arg("analyze")
        .arg("--json")
        .arg(examples().join("esx-nfs-cluster"))
        .arg("--db")
        .arg(db.path().join("s.db"))
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let all = &doc["analyses"][0];
    let known: Vec<&str> = all["known_issues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["id"].as_str().unwrap())
        .collect();
    assert!(
        known.contains(&"rhel-mptscsih-list-corruption"),
        "{known:?}"
    );
    let nfs = all["precursors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["template"].as_str().unwrap().contains("Can't find call"))
        .expect("the NFS precursor");
    assert_eq!(nfs["known_issues"][0]["id"], "esx-nfs-call-serial");
    let storage = all["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["category"] == "storage path")
        .unwrap();
    assert!(
        storage["evidence"].as_array().unwrap().iter().any(|e| e
            .as_str()
            .unwrap()
            .contains("known issue esx-nfs-call-serial")),
        "{storage:#}"
    );
}

#[test]
fn peers_by_an_inventory_attribute() {
    let db = tempfile::tempdir().unwrap();
    let case = examples().join("xen-dom0-squeeze");
    let db_path = db.path().join("s.db");
    let (doc, _, _) = audit_json(&[case.to_str().unwrap(), "--db", db_path.to_str().unwrap()]);
    assert_eq!(
        flagged(finding(&doc, "drift:xen.cmdline.dom0_mem").unwrap()),
        ["xen03", "xen05"]
    );
    // By model, the newer R650 is a group of its own: only xen03 drifts.
    let (doc, _, _) = audit_json(&[
        case.to_str().unwrap(),
        "--db",
        db_path.to_str().unwrap(),
        "--peers-by",
        "model",
    ]);
    assert_eq!(
        doc["peer_groups"]["xen05"],
        "linux/host/xen model=PowerEdge R650"
    );
    assert_eq!(
        flagged(finding(&doc, "drift:xen.cmdline.dom0_mem").unwrap()),
        ["xen03"]
    );
    let (doc, _, _) = audit_json(&[
        case.to_str().unwrap(),
        "--db",
        db_path.to_str().unwrap(),
        "--no-drift",
    ]);
    assert!(
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["kind"] == "known_issue")
    );
}
