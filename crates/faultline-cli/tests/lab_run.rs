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
        "name = \"bad\"\n[run]\nrepetitions = 2\n[[configuration]]\nname = \"a\"\ndisk_format = \"lvm2\"\n",
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
        .stderr(predicate::str::contains("qcow2, raw or lvm"));
}

#[test]
fn report_says_what_it_reads() {
    let dir = tempfile::tempdir().unwrap();
    // A folder is neither an experiment nor a store.
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report"])
        .arg(dir.path())
        .assert()
        .failure()
        .stderr(predicate::str::contains("a folder; give EXPERIMENT.toml"));
    // A file that is not a store: named once, with SQLite's reason once.
    let bad = dir.path().join("bad.db");
    std::fs::write(&bad, "not a database, only text ".repeat(40)).unwrap();
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report"])
        .arg(&bad)
        .assert()
        .failure()
        .get_output()
        .stderr
        .clone();
    let text = String::from_utf8_lossy(&out);
    assert_eq!(text.matches("bad.db").count(), 1, "{text}");
    assert_eq!(text.matches("not a database").count(), 1, "{text}");
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
        .stderr(predicate::str::contains("no store here"))
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

/// A QEMU stand-in: prints the agent's heartbeat five times a second and,
/// when the kernel command line injects a panic, panics after three beats
/// and exits 1 as `-action panic=exit-failure` makes QEMU do. Plus a
/// `qemu-img` that makes empty disk files. The lab's bookkeeping (store
/// rows, aborted runs, report) is tested with them in seconds; the real
/// guest is `scripts/lab-smoke`'s.
fn fake_qemu(dir: &std::path::Path) -> (std::path::PathBuf, String) {
    use std::os::unix::fs::PermissionsExt as _;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let qemu = bin.join("fake-qemu");
    std::fs::write(
        &qemu,
        r#"#!/bin/bash
append=""
while [ $# -gt 0 ]; do
    [ "$1" = "-append" ] && append="$2"
    shift
done
echo "Linux version 6.1.0-fake (fake QEMU)"
for i in $(seq 1 1000); do
    echo "faultline-heartbeat $i $i.00"
    if [[ $append == *faultline.inject=panic* ]] && [ "$i" -ge 3 ]; then
        echo "sysrq: Trigger a crash"
        echo "Kernel panic - not syncing: sysrq triggered crash"
        exit 1
    fi
    sleep 0.2
done
"#,
    )
    .unwrap();
    let img = bin.join("qemu-img");
    std::fs::write(&img, "#!/bin/sh\n: > \"$5\"\n").unwrap();
    for p in [&qemu, &img] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    (qemu, path)
}

const TWO_CONFIGS: &str = r#"
name = "bookkeeping"
[run]
repetitions = 2
time_limit = "2s"
heartbeat_timeout = "1s"
boot_timeout = "10s"
[[configuration]]
name = "panics"
disk_format = "raw"
inject = "panic:1"
[[configuration]]
name = "steady"
disk_format = "qcow2"
"#;

fn lab_run(dir: &std::path::Path, exp: &std::path::Path) -> Command {
    Command::from_std(lab_cmd(dir, exp))
}

fn lab_cmd(dir: &std::path::Path, exp: &std::path::Path) -> std::process::Command {
    lab(dir, "run", exp)
}

/// `faultline lab SUB EXP` with the QEMU stand-in, its own work folder and
/// the kernel and initrd given (no image build).
fn lab(dir: &std::path::Path, sub: &str, exp: &std::path::Path) -> std::process::Command {
    let (qemu, path) = fake_qemu(dir);
    let kernel = dir.join("vmlinuz");
    std::fs::write(&kernel, "not a kernel").unwrap();
    let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("faultline"));
    c.env("FAULTLINE_QEMU", &qemu)
        .env("PATH", path)
        .args(["lab", sub])
        .arg(exp)
        .arg("--work")
        .arg(dir.join("work"))
        .arg("--kernel")
        .arg(&kernel)
        .arg("--initrd")
        .arg(&kernel)
        .args(["--accel", "tcg"]);
    c
}

fn report_json(dir: &std::path::Path, exp: &std::path::Path) -> Value {
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report", "--json"])
        .arg(exp)
        .arg("--work")
        .arg(dir.join("work"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn runs_are_rows_of_the_store_and_the_report_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("e.toml");
    std::fs::write(&exp, TWO_CONFIGS).unwrap();
    lab_run(dir.path(), &exp)
        .assert()
        .success()
        .stdout(predicate::str::contains("4 run(s)"))
        .stdout(predicate::str::contains("2 crash, 0 freeze, 2 clean"))
        .stdout(predicate::str::contains(
            "store.db (experiment bookkeeping)",
        ));
    let store = faultline_store::Store::open(&dir.path().join("work/store.db")).unwrap();
    let rows = store.lab_runs(Some("bookkeeping")).unwrap();
    assert_eq!(rows.len(), 4);
    for r in &rows {
        assert!(r.ended_at.is_some());
        assert_eq!(r.accel, "tcg");
        let expect = if r.configuration == "panics" {
            "crash"
        } else {
            "clean"
        };
        assert_eq!(r.outcome, expect, "{r:?}");
        assert!(std::path::Path::new(&r.console).is_file());
    }
    let v = report_json(dir.path(), &exp);
    assert_eq!(v["worse"], "panics");
    assert_eq!(v["configurations"][0]["crashes"], 2);
    assert_eq!(v["configurations"][1]["censored"], 2);
    // Everything is done: a second run makes no run.
    lab_run(dir.path(), &exp)
        .assert()
        .success()
        .stdout(predicate::str::contains("0 run(s)"));
    // The store itself is a report input too.
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "report"])
        .arg(dir.path().join("work/store.db"))
        .assert()
        .success()
        .stdout(predicate::str::contains("worse: panics"));
    // The soak of a fix, planned from the failing configuration's runs.
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args([
            "lab",
            "soak",
            "--json",
            "--baseline-of",
            "panics",
            "--experiment",
        ])
        .arg(&exp)
        .arg("--work")
        .arg(dir.path().join("work"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let soak: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(soak["baseline"]["failures"], 2);
    let hours = v["configurations"][0]["total_hours"].as_f64().unwrap();
    assert!((soak["baseline"]["hours"].as_f64().unwrap() - hours).abs() < 1e-12);
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "soak", "--baseline-of", "steady", "--experiment"])
        .arg(&exp)
        .arg("--work")
        .arg(dir.path().join("work"))
        .assert()
        .failure()
        .stderr(predicate::str::contains("never failed"));
}

#[test]
fn parallel_runs_share_the_store_and_keep_their_own_folders() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("e.toml");
    std::fs::write(
        &exp,
        TWO_CONFIGS.replace("repetitions = 2", "repetitions = 2\nparallel = 2"),
    )
    .unwrap();
    let db = dir.path().join("work/store.db");
    let child = lab_cmd(dir.path(), &exp)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Two QEMUs at once: two rows running together.
    wait_for_rows(&db, 2);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("2 crash, 0 freeze, 2 clean"), "{text}");
    let rows = faultline_store::Store::open(&db)
        .unwrap()
        .lab_runs(None)
        .unwrap();
    assert_eq!(rows.len(), 4);
    let consoles: std::collections::BTreeSet<&str> =
        rows.iter().map(|r| r.console.as_str()).collect();
    assert_eq!(consoles.len(), 4, "{rows:?}");
    for r in &rows {
        let console = std::fs::read_to_string(&r.console).unwrap();
        // Each console is its own guest's, whole.
        assert!(console.starts_with("Linux version"), "{console}");
        let want = if r.configuration == "panics" {
            "crash"
        } else {
            "clean"
        };
        assert_eq!(r.outcome, want, "{r:?}");
    }
}

fn wait_for_rows(db: &std::path::Path, running: usize) {
    for _ in 0..100 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(s) = faultline_store::Store::open(db)
            && s.lab_runs(None)
                .unwrap()
                .iter()
                .filter(|r| r.outcome == faultline_store::RUNNING)
                .count()
                >= running
        {
            return;
        }
    }
    panic!("no run started");
}

#[test]
fn an_interrupted_run_is_aborted_and_run_again() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("e.toml");
    std::fs::write(
        &exp,
        TWO_CONFIGS
            .replace("repetitions = 2", "repetitions = 1")
            .replace("time_limit = \"2s\"", "time_limit = \"30s\""),
    )
    .unwrap();
    let db = dir.path().join("work/store.db");
    // SIGTERM: faultline records the run it was making as aborted.
    let mut child = lab_cmd(dir.path(), &exp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&db, 1);
    // The panicking configuration ends on its own; wait for the steady one.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // SAFETY: a signal to our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130));
    let rows = faultline_store::Store::open(&db)
        .unwrap()
        .lab_runs(None)
        .unwrap();
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(outcomes, ["crash", "aborted"], "{rows:?}");
    assert!(rows[1].note.as_deref().unwrap().contains("interrupted"));

    // SIGKILL: nothing records the end; the next run finds the orphan.
    std::fs::write(
        &exp,
        std::fs::read_to_string(&exp)
            .unwrap()
            .replace("name = \"steady\"", "name = \"steady\"\nvcpus = 1"),
    )
    .unwrap();
    let mut child = lab_cmd(dir.path(), &exp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_for_rows(&db, 1);
    child.kill().unwrap();
    child.wait().unwrap();
    // Finish it with a short limit this time.
    std::fs::write(
        &exp,
        std::fs::read_to_string(&exp)
            .unwrap()
            .replace("time_limit = \"30s\"", "time_limit = \"1s\""),
    )
    .unwrap();
    lab_run(dir.path(), &exp)
        .assert()
        .success()
        .stderr(predicate::str::contains("stopped mid-run marked aborted"))
        .stdout(predicate::str::contains("1 run(s)"));
    let rows = faultline_store::Store::open(&db)
        .unwrap()
        .lab_runs(None)
        .unwrap();
    let outcomes: Vec<&str> = rows.iter().map(|r| r.outcome.as_str()).collect();
    assert_eq!(
        outcomes,
        ["crash", "aborted", "aborted", "clean"],
        "{rows:?}"
    );
    assert!(
        rows[2]
            .note
            .as_deref()
            .unwrap()
            .contains("without recording its end")
    );
    // The consoles of the earlier attempts are kept, and their rows say where.
    for r in &rows {
        assert!(std::path::Path::new(&r.console).is_file(), "{}", r.console);
    }
    assert!(
        rows[1].console.contains("1.earlier-"),
        "{}",
        rows[1].console
    );
}

const BISECT: &str = r#"
name = "bisect"
[run]
repetitions = 1
time_limit = "2s"
heartbeat_timeout = "1s"
boot_timeout = "10s"
[[configuration]]
name = "good"
disk_format = "raw"
[[configuration]]
name = "bad"
disk_format = "qcow2"
swap = true
inject = "panic:1"
"#;

#[test]
fn bisect_names_the_factor_that_fails_and_goes_on_from_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("e.toml");
    std::fs::write(&exp, BISECT).unwrap();
    // The pure bad configuration from an ordinary run is evidence already.
    let mut only_bad = lab_cmd(dir.path(), &exp);
    only_bad.arg("--json");
    let out = only_bad.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bisect = lab(dir.path(), "bisect", &exp);
    bisect.args(["--good", "good", "--bad", "bad", "--json"]);
    let out = bisect.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("earlier run(s) in the store count"),
        "{stderr}"
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let factors: Vec<&str> = v["factors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(factors, ["disk_format", "swap", "inject"]);
    assert_eq!(
        v["decision"]["factors"],
        serde_json::json!(["inject"]),
        "{v}"
    );
    assert!(v["decision"]["probability"].as_f64().unwrap() >= 0.95);
    let runs = v["runs"].as_array().unwrap();
    // The good and the bad run of `lab run` came first.
    let earlier = runs.iter().filter(|r| r["new"] == false).count();
    assert_eq!(earlier, 2, "{v}");
    // Every run is a row of the store, mixes under their own names.
    let store = faultline_store::Store::open(&dir.path().join("work/store.db")).unwrap();
    let rows = store.lab_runs(Some("bisect")).unwrap();
    assert_eq!(rows.len(), runs.len());
    assert!(rows.iter().any(|r| r.configuration.starts_with("mix-")));
    for r in &rows {
        let panics = r.settings["inject"].is_string();
        assert_eq!(r.outcome, if panics { "crash" } else { "clean" }, "{r:?}");
    }
    // Run again: decided from the store alone, no new run.
    let out = bisect.output().unwrap();
    assert!(out.status.success());
    let again: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(again["decision"]["factors"], serde_json::json!(["inject"]));
    assert!(
        again["runs"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["new"] == false)
    );
}

#[test]
fn bisect_simulation_and_its_errors() {
    let dir = tempfile::tempdir().unwrap();
    let exp = dir.path().join("e.toml");
    std::fs::write(&exp, BISECT).unwrap();
    let bisect = |extra: &[&str]| {
        let mut c = Command::cargo_bin("faultline").unwrap();
        c.args(["lab", "bisect"])
            .arg(&exp)
            .args(["--good", "good", "--bad", "bad"])
            .args(extra);
        c
    };
    let out = bisect(&["--simulate", "swap", "--simulate-mttf", "1s", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["cause"], serde_json::json!(["swap"]));
    assert_eq!(v["simulations"], 20);
    assert!(v["correct"].as_u64().unwrap() >= 19, "{v}");
    bisect(&["--simulate", "vcpus"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("not one of the factors"));
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "bisect"])
        .arg(&exp)
        .args(["--good", "good", "--bad", "nope", "--simulate", "swap"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("no such configuration"));
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "bisect"])
        .arg(&exp)
        .args(["--good", "good", "--bad", "good", "--simulate", "swap"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("nothing to bisect"));
}
