//! The lab's parsers on hostile input: experiment files, the guest's kernel
//! command line, console bytes (invalid UTF-8, NUL bytes, huge lines, any
//! chunking), stored run records, modules.dep and apt/ldd output. None may
//! panic; errors name the file and line; a console keeps working after
//! garbage.

use std::collections::HashSet;
use std::path::Path;

use faultline_lab::watch::{Limits, MAX_LINE, Outcome, Watcher};
use faultline_lab::{cmdline, experiment, image, modules, report, results};
use proptest::prelude::*;

const GOOD: &str = r#"name = "fz"
[run]
repetitions = 2
time_limit = "30s"
memory = "512M"
[stress]
rw = "randrw"
numjobs = 2
[[configuration]]
name = "a"
disk_format = "qcow2"
swap = true
scheduler = "mq-deadline"
sysctl = { "vm.swappiness" = 60 }
inject = "panic:15"
[[configuration]]
name = "b"
disk_format = "lvm"
host_stress = { numjobs = 1, size = "64M" }
"#;

fn limits() -> Limits {
    Limits {
        time_limit_s: 60.0,
        heartbeat_timeout_s: 10.0,
        boot_timeout_s: 30.0,
    }
}

/// Bytes that look like a console: pieces of real lines, garbage, NULs and
/// invalid UTF-8.
fn console_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"faultline-heartbeat 1 2.00\n".to_vec()),
        Just(b"[    5.1] Kernel panic - not syncing: sysrq triggered crash\n".to_vec()),
        Just(b"faultline-stress: {\"status\":{\"ops\":5,\"elapsed_s\":1.0}}\n".to_vec()),
        Just(b"faultline-stress: {\n".to_vec()),
        Just(b"faultline-stress:   \"total\": {\n".to_vec()),
        Just(b"faultline-stress: }\n".to_vec()),
        Just(b"faultline-stress: {\"corruption\":{\"verify_errors\":\"x\"}}\n".to_vec()),
        Just(b"\xff\xfe\x00\x00\xc3\n".to_vec()),
        Just(b"\r\n".to_vec()),
        proptest::collection::vec(any::<u8>(), 0..200),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn experiment_files_never_panic(text in "\\PC{0,400}") {
        if let Err(e) = experiment::parse(&text, Path::new("fz.toml")) {
            prop_assert!(e.to_string().starts_with("fz.toml"), "{e}");
        }
    }

    #[test]
    fn damaged_experiments_name_file_and_line(cut in 0..GOOD.len(), junk in "[ -~]{0,12}") {
        // A valid file with a piece replaced: parses or names where.
        // GOOD is ASCII: any index is a boundary. Up to 3 bytes give way.
        let resume = (cut + 3).min(GOOD.len());
        let text = format!("{}{junk}{}", &GOOD[..cut], &GOOD[resume..]);
        if let Err(e) = experiment::parse(&text, Path::new("fz.toml")) {
            let msg = e.to_string();
            prop_assert!(msg.starts_with("fz.toml:"), "{msg}");
        }
    }

    #[test]
    fn kernel_command_lines_never_panic(words in proptest::collection::vec(
        prop_oneof![
            "faultline\\.(heartbeat|swap|swapdev|scheduler|sysctl|inject|seed|stress|disk|lvm)=[ -~]{0,20}",
            "[!-~]{0,30}",
        ], 0..12)) {
        let line = words.join(" ");
        let _ = cmdline::parse(&line);
    }

    #[test]
    fn consoles_never_panic_and_heartbeats_still_count(
        bytes in console_bytes(),
        cuts in proptest::collection::vec(0usize..64, 0..20),
    ) {
        let mut w = Watcher::new(limits());
        // Fed in arbitrary chunks, as reads of the console file come.
        let mut rest = &bytes[..];
        let mut t = 0.0;
        for c in cuts {
            let n = c.min(rest.len());
            w.feed(t, &rest[..n]);
            rest = &rest[n..];
            t += 0.5;
            let _ = w.check(t);
        }
        w.feed(t, rest);
        let before = w.heartbeats();
        // After any garbage, a newline and a heartbeat line are seen.
        w.feed(t + 1.0, b"\nfaultline-heartbeat 99 1.00\n");
        prop_assert_eq!(w.heartbeats(), before + 1);
        let v = w.exited(t + 2.0, Some(0));
        prop_assert!(v.time_s.is_finite());
        if let Some(f) = w.stress() {
            prop_assert!(serde_json::to_string(&f).is_ok());
        }
    }

    #[test]
    fn run_record_files_never_panic(lines in proptest::collection::vec(
        prop_oneof![
            Just(String::new()),
            "\\PC{0,80}",
            Just("{\"experiment\":\"e\"}".to_string()),
        ], 0..6)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results.jsonl");
        std::fs::write(&p, lines.join("\n") + "\n").unwrap();
        match results::read(&p) {
            Ok(records) => {
                // Whatever was read, the report copes with it.
                let _ = report::build(&records);
            }
            Err(e) => {
                let msg = e.to_string();
                prop_assert!(msg.contains("results.jsonl:"), "{msg}");
                prop_assert!(msg.contains("not a run record"), "{msg}");
            }
        }
    }

    #[test]
    fn modules_dep_and_apt_output_never_panic(text in "\\PC{0,300}") {
        if let Ok(t) = modules::DepTable::parse(&text) {
            let _ = t.resolve(&[("virtio_blk", false), ("pvpanic", false)], &HashSet::new());
        }
        let _ = image::parse_stanzas(&text);
        let _ = image::parse_ldd(&text);
        let _ = image::parse_ldd_missing(&text);
        let _ = image::parse_depends(&text, "linux-image-");
        let _ = image::parse_version(&text);
        let _ = modules::modinfo_depends(text.as_bytes());
    }
}

#[test]
fn a_console_line_without_end_is_cut_not_kept() {
    let mut w = Watcher::new(limits());
    // 3 MiB of NUL-free garbage with no newline, in 64 KiB reads.
    let chunk = vec![b'x'; 64 * 1024];
    for i in 0..48 {
        w.feed(f64::from(i) * 0.1, &chunk);
        assert!(w.pending_bytes() <= MAX_LINE, "{}", w.pending_bytes());
    }
    // Then the agent's heartbeat on a line of its own still counts.
    w.feed(5.0, b"\nfaultline-heartbeat 1 5.00\n");
    assert_eq!(w.heartbeats(), 1);
    // And a panic after it is still read as one.
    w.feed(
        6.0,
        b"[    6.0] sysrq: Trigger a crash\n[    6.0] Kernel panic - not syncing: sysrq triggered crash\n",
    );
    let v = w.exited(7.0, Some(0));
    assert_eq!(v.outcome, Outcome::Crash, "{v:?}");
}
