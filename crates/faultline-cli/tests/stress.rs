//! The `faultline stress` command contract: JSON fields, exit codes
//! (0 done, 1 I/O errors, 2 usage, 4 verification failed), the refusal,
//! and `--status-interval`: status lines on stdout while the run goes (also
//! when stdout is a pipe, as in a lab guest), a corruption line as soon as
//! a block reads back wrong, then the report as before.

use std::os::unix::fs::FileExt;
use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn faultline() -> Command {
    Command::cargo_bin("faultline").unwrap()
}

fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn json_of(out: &[u8]) -> Value {
    serde_json::from_slice(out).expect("one JSON document")
}

#[test]
fn json_has_the_documented_fields() {
    let dir = scratch();
    let file = dir.path().join("j.bin");
    let out = faultline()
        .args([
            "stress",
            "--rw=randrw",
            "--bs=4k",
            "--size=1m",
            "--numjobs=2",
        ])
        .args([
            "--iodepth=2",
            "--runtime=1",
            "--time_based",
            "--seed=3",
            "--json",
        ])
        .arg(format!("--filename={}", file.display()))
        .assert()
        .success()
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    let o = &j["options"];
    assert_eq!(o["rw"], "randrw");
    assert_eq!(o["bs"], 4096);
    assert_eq!(o["size"], 1 << 20);
    assert_eq!(o["numjobs"], 2);
    assert_eq!(o["iodepth"], 2);
    assert_eq!(o["ioengine"], "psync");
    assert_eq!(o["direct"], false);
    assert_eq!(o["time_based"], true);
    assert_eq!(o["runtime_s"], 1.0);
    assert_eq!(o["seed"], 3);
    assert_eq!(o["rwmixread"], 50);
    for key in [
        "files",
        "layout_s",
        "elapsed_s",
        "interrupted",
        "jobs",
        "total",
        "mismatches",
        "io_errors",
        "mem",
        "exit_code",
    ] {
        assert!(j.get(key).is_some(), "{key}");
    }
    assert_eq!(j["exit_code"], 0);
    assert_eq!(j["files"][0]["kind"], "file");
    assert_eq!(j["files"][0]["laid_out"], true);
    assert_eq!(j["jobs"].as_array().unwrap().len(), 2);
    let t = &j["total"];
    for key in [
        "elapsed_s",
        "iops",
        "mib_s",
        "errors",
        "verify_failures",
        "verified_reads",
        "unverified_reads",
        "abandoned_threads",
    ] {
        assert!(t.get(key).is_some(), "total.{key}");
    }
    for op in ["read", "write"] {
        for key in ["ops", "bytes", "iops", "mib_s"] {
            assert!(t[op][key].is_number(), "total.{op}.{key}");
        }
        for key in ["min", "mean", "p50", "p90", "p99", "p99_9", "max"] {
            assert!(t[op]["lat_us"][key].is_number(), "total.{op}.lat_us.{key}");
        }
        assert!(t[op]["ops"].as_u64().unwrap() > 0);
    }
    for key in [
        "job",
        "file",
        "elapsed_s",
        "read",
        "write",
        "iops",
        "mib_s",
        "errors",
        "verify_failures",
    ] {
        assert!(j["jobs"][0].get(key).is_some(), "jobs[0].{key}");
    }
    assert_eq!(t["verify_failures"], 0);
}

fn flip(file: &Path, at: u64) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, at).unwrap();
    b[0] ^= 1;
    f.write_all_at(&b, at).unwrap();
}

#[test]
fn exit_4_when_a_block_reads_back_wrong() {
    let dir = scratch();
    let file = dir.path().join("c.bin");
    let name = format!("--filename={}", file.display());
    faultline()
        .args(["stress", "--rw=write", "--size=256k", &name])
        .assert()
        .code(0)
        .stdout(predicate::str::contains("total: IOPS"));
    flip(&file, 5 * 4096 + 123);
    let out = faultline()
        .args(["stress", "--rw=randread", &name, "--json"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("DATA VERIFICATION FAILED"))
        .get_output()
        .stdout
        .clone();
    let j = json_of(&out);
    assert_eq!(j["exit_code"], 4);
    assert_eq!(j["total"]["verify_failures"], 1);
    let m = &j["mismatches"][0];
    assert_eq!(m["offset"], 5 * 4096);
    assert_eq!(m["kind"], "checksum");
    assert_eq!(m["first_bad_byte"], 5 * 4096 + 123);
    assert_eq!(m["reread"], "bad_again");
    // Text names the offset too.
    faultline()
        .args(["stress", "--rw=read", &name])
        .assert()
        .code(4)
        .stdout(predicate::str::contains("DATA VERIFICATION FAILED"))
        .stdout(predicate::str::contains(format!("offset {}", 5 * 4096)));
}

#[test]
fn refuses_to_overwrite_without_force() {
    let dir = scratch();
    let file = dir.path().join("keep.txt");
    std::fs::write(&file, "precious\n").unwrap();
    let name = format!("--filename={}", file.display());
    faultline()
        .args(["stress", "--rw=randwrite", "--size=64k", &name])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("refusing to write to"))
        .stderr(predicate::str::contains("keep.txt"))
        .stderr(predicate::str::contains("existing file of 9 B"))
        .stderr(predicate::str::contains("--force"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious\n");
    faultline()
        .args(["stress", "--rw=randwrite", "--size=64k", "--force", &name])
        .assert()
        .code(0);
}

#[test]
fn bad_options_exit_2_and_name_the_option() {
    let dir = scratch();
    let file = dir.path().join("never.bin");
    let name = format!("--filename={}", file.display());
    for (args, option) in [
        (vec!["--bs=abc", "--size=1m"], "--bs"),
        (vec!["--bs=1000", "--direct=1", "--size=1m"], "--bs"),
        (vec!["--rw=sideways", "--size=1m"], "--rw"),
        (vec!["--direct=2", "--size=1m"], "--direct"),
        (vec!["--runtime=5x", "--size=1m"], "--runtime"),
        (vec!["--time_based", "--size=1m"], "--time_based"),
        (vec!["--rwmixread=101", "--size=1m"], "--rwmixread"),
        (vec!["--numjobs=0", "--size=1m"], "--numjobs"),
        (vec!["--ioengine=libaio", "--size=1m"], "--ioengine"),
        (vec!["--rw=randrw"], "--size"),
        (vec!["--mem=lots", "--size=1m"], "--mem"),
    ] {
        faultline()
            .arg("stress")
            .args(&args)
            .arg(&name)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(option));
    }
    assert!(!file.exists());
}

#[test]
fn fio_spelling_and_a_positional_target() {
    let dir = scratch();
    let file = dir.path().join("p.bin");
    // Options as fio users paste them, the target as the design's synopsis.
    faultline()
        .args([
            "stress",
            "--name=test",
            "--rw=randrw",
            "--size=512k",
            "--numjobs=5",
        ])
        .args([
            "--time_based",
            "--runtime=500ms",
            "--direct=0",
            "--alloc-size=4096",
        ])
        .args(["--group_reporting", "--ioengine=psync"])
        .arg(&file)
        .assert()
        .code(0)
        .stdout(predicate::str::contains("5 job(s) x iodepth 1 (psync)"));
    assert_eq!(std::fs::metadata(&file).unwrap().len(), 512 << 10);
}

// --status-interval

/// Every JSON value on stdout, in order (one-line objects, then the
/// pretty-printed report).
fn values(out: &[u8]) -> Vec<Value> {
    serde_json::Deserializer::from_slice(out)
        .into_iter::<Value>()
        .collect::<Result<_, _>>()
        .expect("a stream of JSON values")
}

const STATUS_FIELDS: [&str; 11] = [
    "elapsed_s",
    "ops",
    "bytes",
    "read_ops",
    "write_ops",
    "iops",
    "mib_s",
    "interval_iops",
    "interval_mib_s",
    "verify_errors",
    "io_errors",
];

#[test]
fn json_status_lines_then_the_report() {
    let dir = scratch();
    let file = dir.path().join("s.bin");
    let out = faultline()
        .args(["stress", "--rw=randrw", "--size=1m", "--runtime=3"])
        .args(["--time_based", "--status-interval", "1", "--json"])
        .arg(format!("--filename={}", file.display()))
        .assert()
        .code(0)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out.clone()).unwrap();
    // Each status object is one whole line that parses on its own.
    let status: Vec<Value> = text
        .lines()
        .filter(|l| l.starts_with("{\"status\":"))
        .map(|l| serde_json::from_str::<Value>(l).expect(l)["status"].clone())
        .collect();
    assert!(status.len() >= 2, "{text}");
    for s in &status {
        for key in STATUS_FIELDS {
            assert!(s[key].is_number(), "status.{key}: {s}");
        }
        assert_eq!(s["verify_errors"], 0);
        assert_eq!(s["io_errors"], 0);
        let (r, w) = (s["read_ops"].as_u64(), s["write_ops"].as_u64());
        assert_eq!(s["ops"].as_u64(), Some(r.unwrap() + w.unwrap()));
    }
    let ops: Vec<u64> = status.iter().map(|s| s["ops"].as_u64().unwrap()).collect();
    assert!(ops.windows(2).all(|w| w[0] < w[1]), "{ops:?}");
    let secs: Vec<f64> = status
        .iter()
        .map(|s| s["elapsed_s"].as_f64().unwrap())
        .collect();
    assert!(secs[0] >= 1.0 && secs[1] >= 2.0, "{secs:?}");

    // Then the report, unchanged: the last value on stdout.
    let all = values(&out);
    assert_eq!(all.len(), status.len() + 1);
    let report = all.last().unwrap();
    assert_eq!(report["exit_code"], 0);
    assert!(report["total"]["read"]["ops"].as_u64().unwrap() > 0);
    let total = report["total"]["read"]["ops"].as_u64().unwrap()
        + report["total"]["write"]["ops"].as_u64().unwrap();
    assert!(*ops.last().unwrap() <= total);
}

#[test]
fn text_status_lines_on_a_pipe() {
    let dir = scratch();
    let file = dir.path().join("t.bin");
    faultline()
        .args(["stress", "--rw=randread", "--size=256k", "--runtime=1200ms"])
        .args(["--time_based", "--status-interval=500ms"])
        .arg(format!("--filename={}", file.display()))
        .assert()
        .code(0)
        .stdout(predicate::str::is_match(r"(?m)^status 00:00:00: \d+ ops \(\d+ reads, 0 writes\), .* 0 verification failure\(s\), 0 I/O error\(s\)$").unwrap())
        .stdout(predicate::str::contains("total: IOPS"));
}

#[test]
fn corruption_is_told_at_once_and_once_per_block() {
    let dir = scratch();
    let file = dir.path().join("c.bin");
    let name = format!("--filename={}", file.display());
    faultline()
        .args(["stress", "--rw=write", "--size=256k", &name])
        .assert()
        .code(0);
    flip(&file, 5 * 4096 + 123);
    // Time-based reads find the block again on every pass; the interval is
    // longer than the run, so any line before the report is the early one.
    let out = faultline()
        .args(["stress", "--rw=randread", "--runtime=1", "--time_based"])
        .args(["--status-interval=1h", "--json", &name])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    let text = String::from_utf8(out.clone()).unwrap();
    let first = text.lines().next().unwrap();
    let c: Value = serde_json::from_str(first).expect(first);
    let c = &c["corruption"];
    assert!(c["verify_errors"].as_u64().unwrap() >= 1, "{c}");
    assert!(c["elapsed_s"].as_f64().unwrap() < 0.9, "{c}");
    assert_eq!(c["io_errors"], 0);
    let m = &c["mismatch"];
    assert_eq!(m["offset"], 5 * 4096);
    assert_eq!(m["kind"], "checksum");
    assert_eq!(m["reread"], "bad_again");
    assert_eq!(m["file"], file.display().to_string());
    let all = values(&out);
    let corruptions = all.iter().filter(|v| v.get("corruption").is_some()).count();
    assert_eq!(corruptions, 1, "{text}");
    let report = all.last().unwrap();
    assert_eq!(report["exit_code"], 4);
    assert!(report["total"]["verify_failures"].as_u64().unwrap() >= 1);

    // Without --status-interval stdout stays one document, as before.
    let out = faultline()
        .args(["stress", "--rw=randread", &name, "--json"])
        .assert()
        .code(4)
        .get_output()
        .stdout
        .clone();
    assert_eq!(values(&out).len(), 1);

    // Text: one readable line, before the report.
    faultline()
        .args(["stress", "--rw=read", "--status-interval=1h", &name])
        .assert()
        .code(4)
        .stdout(
            predicate::str::is_match(
                r"^DATA CORRUPTION at [0-9.]+ s: .*c\.bin offset 20480: checksum check failed \(re-read: bad_again\)",
            )
            .unwrap(),
        );
}

#[test]
fn a_bad_interval_is_refused() {
    for bad in ["0", "abc", "5x", "1us"] {
        faultline()
            .args([
                "stress",
                "--size=64k",
                "--status-interval",
                bad,
                "never.bin",
            ])
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--status-interval"));
    }
}
