//! `faultline lab run` and `lab report` from the command line. The full run
//! needs QEMU and about 2.5 minutes: it is `#[ignore]`d here and run by
//! `scripts/lab-smoke` (part of `scripts/test`) through the same commands.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn workspace() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn record(config: &str, rep: u32, outcome: &str, t: f64, title: Option<&str>) -> String {
    serde_json::json!({
        "experiment": "t", "configuration": config, "settings": {"name": config},
        "repetition": rep, "outcome": outcome, "time_s": t, "boot_s": 5.0,
        "title": title, "signature": title.map(|_| "0123abcd"), "note": null,
        "console": "console.log", "started_at": "2026-11-22T07:00:00Z", "seed": 1,
        "accel": "tcg"
    })
    .to_string()
}

#[test]
fn report_of_recorded_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("results.jsonl");
    let p = Some("kernel panic: sysrq triggered crash");
    let lines = [
        record("fast", 1, "crash", 10.0, p),
        record("slow", 1, "clean", 90.0, None),
        record("fast", 2, "crash", 20.0, p),
        record("slow", 2, "freeze", 60.0, None),
        record("fast", 3, "crash", 30.0, p),
        record("slow", 3, "clean", 90.0, None),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["worse"], "fast");
    let fast = &v["configurations"][0];
    assert_eq!(fast["failures"], 3);
    assert!((fast["failures_per_hour"].as_f64().unwrap() - 180.0).abs() < 1e-9);
    assert_eq!(fast["median_s"], 20.0);
    let slow = &v["configurations"][1];
    assert_eq!(
        (slow["freezes"].as_u64(), slow["censored"].as_u64()),
        (Some(1), Some(2))
    );
    assert!((slow["mttf_hours"].as_f64().unwrap() * 3600.0 - 240.0).abs() < 1e-9);
    assert!(v["logrank"]["p_value"].as_f64().unwrap() < 0.2);

    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report"])
        .arg(&path)
        .assert()
        .success()
        .stdout(predicate::str::contains("worse: fast"))
        .stdout(predicate::str::contains(
            "crash: kernel panic: sysrq triggered crash (x3)",
        ))
        .stdout(predicate::str::contains(
            "log-rank test across configurations",
        ));
}

#[test]
fn experiment_errors_name_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        "name = \"bad\"\n[run]\nrepetitions = 2\n[[configuration]]\nname = \"a\"\ndisk_format = \"lvm\"\n",
    )
    .unwrap();
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "run"])
        .arg(&path)
        .arg("--work")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("bad.toml:6:"))
        .stderr(predicate::str::contains("not supported yet"));
}

#[test]
fn shipped_experiments_parse() {
    for name in ["injected.toml", "appliance.toml"] {
        let path = workspace().join("examples/lab").join(name);
        faultline_lab_parse(&path);
    }
}

/// Parses through the binary's report path (an experiment file with no
/// results yet says so, after parsing it).
fn faultline_lab_parse(path: &std::path::Path) {
    let dir = tempfile::tempdir().unwrap();
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report"])
        .arg(path)
        .arg("--work")
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("results.jsonl"))
        .stderr(predicate::str::contains(".toml:").not());
}

/// The CI end-to-end run (scripts/lab-smoke does the same with the shell).
#[test]
#[ignore = "needs QEMU and about 2.5 minutes: run by scripts/lab-smoke"]
fn injected_experiment_end_to_end() {
    let has_qemu = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("qemu-system-x86_64").is_file()));
    assert!(
        has_qemu,
        "qemu-system-x86_64 not on PATH: scripts/lab-smoke installs it (as root)"
    );
    let dir = tempfile::tempdir().unwrap();
    let exp = workspace().join("examples/lab/injected.toml");
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "run"])
        .arg(&exp)
        .arg("--work")
        .arg(dir.path())
        .timeout(std::time::Duration::from_secs(600))
        .assert()
        .success();
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report", "--json"])
        .arg(&exp)
        .arg("--work")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["worse"], "panic-8s");
    let fast = &v["configurations"][0];
    assert_eq!(fast["crashes"], 3);
    assert_eq!(
        fast["titles"][0]["title"],
        "kernel panic: sysrq triggered crash"
    );
    assert_eq!(v["configurations"][1]["censored"], 3);
}
