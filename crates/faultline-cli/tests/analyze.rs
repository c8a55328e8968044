//! `faultline analyze` from the command line on the example case.

use std::path::PathBuf;

use assert_cmd::Command;
use predicates::prelude::*;

fn example_case() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/esx-nfs-cluster")
}

fn faultline() -> Command {
    Command::cargo_bin("faultline").expect("binary is built")
}

fn analyze_json(db: &std::path::Path) -> serde_json::Value {
    let out = faultline()
        .args(["analyze", "--json", "--db"])
        .arg(db)
        .arg(example_case())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON document")
}

/// The ESX story: five dual-vCPU guests on the NFS datastore crash on
/// esx03 in the 22:00 hour after backups.
#[test]
fn the_esx_story_comes_out() {
    let dir = tempfile::tempdir().unwrap();
    let a = analyze_json(&dir.path().join("store.db"));
    assert_eq!(a["crashes"].as_array().unwrap().len(), 5);
    assert_eq!(a["time_zone"], "America/New_York");
    let all = &a["analyses"][0];
    assert!(all["group"].is_null());
    let hc = &all["host_concentration"];
    assert_eq!(
        (
            hc["host"].as_str(),
            hc["crashes"].as_u64(),
            hc["of"].as_u64()
        ),
        (Some("esx03"), Some(5), Some(5))
    );
    // The right figure is larger than the naive 1/1024 (any host, exposure-weighted).
    assert!(hc["p"].as_f64().unwrap() > hc["naive_p"].as_f64().unwrap());
    assert!((hc["naive_p"].as_f64().unwrap() - 1.0 / 1024.0).abs() < 1e-12);
    let vcpus = all["factors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["attribute"] == "vcpus" && f["value"] == "2")
        .expect("vcpus=2 is a factor");
    assert_eq!(vcpus["crashed_with"], 5);
    assert!(vcpus["p"].as_f64().unwrap() < 0.001);
    let tod = &all["time_of_day"];
    assert_eq!(
        (tod["peak_hour"].as_u64(), tod["peak_count"].as_u64()),
        (Some(22), Some(5))
    );
    let backup = all["event_proximity"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "backup")
        .expect("backups are scheduled events");
    assert!(backup["p"].as_f64().unwrap() < 0.05);
    let nfs = all["precursors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "nfs")
        .expect("the vmkernel NFS warning precedes crashes");
    assert!(
        nfs["template"]
            .as_str()
            .unwrap()
            .contains("Can't find call with serial number")
    );
    assert!(!all["confounded"].as_array().unwrap().is_empty());
    assert!(!all["experiments"].as_array().unwrap().is_empty());
    let kernel = all["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["category"] == "guest kernel")
        .unwrap();
    assert!(
        kernel["against"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s.as_str().unwrap().contains("kernel differs"))
    );
    // 4 of the 5 crashed guests swap to nfs-gold: that one value holds most
    // of them, so "differs" would be no argument against it.
    let everything_against: Vec<&str> = all["hypotheses"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["against"].as_array().unwrap())
        .map(|s| s.as_str().unwrap())
        .collect();
    assert!(
        !everything_against
            .iter()
            .any(|s| s.contains("vmswap_datastore differs")),
        "{everything_against:?}"
    );
    // A pair that no machine has both of does not travel together.
    for c in all["confounded"].as_array().unwrap() {
        assert!(c["both"]["machines"].as_u64().unwrap() > 0, "{c}");
    }
}

/// A second run reads the store and gives the same answer.
#[test]
fn second_run_uses_the_store_and_agrees() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    let first = analyze_json(&db);
    assert!(db.exists());
    let second = analyze_json(&db);
    assert_eq!(first, second);
}

#[test]
fn markdown_and_text_outputs() {
    let dir = tempfile::tempdir().unwrap();
    faultline()
        .args(["analyze", "--markdown", "--db"])
        .arg(dir.path().join("s.db"))
        .arg(example_case())
        .assert()
        .success()
        .stdout(predicate::str::starts_with("# Case esx-nfs-cluster"))
        .stdout(predicate::str::contains(
            "## Hypotheses, best supported first",
        ))
        .stdout(predicate::str::contains("| vcpus=2 | 5/5 |"));
    let text = faultline()
        .args(["analyze", "--db"])
        .arg(dir.path().join("s.db"))
        .arg(example_case())
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Experiments that would tell them apart",
        ))
        .get_output()
        .stdout
        .clone();
    // The text report is laid out for a terminal of 100 columns.
    let text = String::from_utf8(text).unwrap();
    for line in text.lines() {
        assert!(line.chars().count() <= 100, "too wide: {line}");
    }
}

#[test]
fn bad_rows_are_named_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let case = dir.path();
    std::fs::write(
        case.join("faultline.toml"),
        "name = \"t\"\ntime_zone = \"UTC\"\n",
    )
    .unwrap();
    std::fs::write(
        case.join("inventory.csv"),
        "name,kind,host\nvm1,guest,h1\n,guest,h1\n",
    )
    .unwrap();
    std::fs::write(case.join("crashes.csv"), "machine,time,title\nvm1,2009-11-20 22:14,kernel panic: Fatal exception\nvm1,not a time,x\n").unwrap();
    let out = faultline().arg("analyze").arg(case).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("inventory.csv:3:"), "{err}");
    assert!(err.contains("crashes.csv:3:"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("1 crash(es)"));
}

#[test]
fn a_missing_case_is_a_usage_error() {
    faultline()
        .args(["analyze", "/no/such/case"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("/no/such/case"));
}
