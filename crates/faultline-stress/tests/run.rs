//! End-to-end runs on real files: mixed time-based load buffered and
//! direct, verification catching corruption behind the run's back, the
//! `--force` rule, per-job files.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use faultline_stress::{EXIT_OK, EXIT_VERIFY, MismatchKind, Rw, StressError, StressOptions, run};

/// A scratch folder on a real filesystem (the target dir: tmpfs has no
/// O_DIRECT on older kernels).
fn scratch() -> tempfile::TempDir {
    tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap()
}

fn opts(file: &Path, rw: Rw) -> StressOptions {
    StressOptions {
        rw,
        filename: Some(file.to_path_buf()),
        seed: Some(7),
        ..StressOptions::default()
    }
}

fn timed_randrw(direct: bool) -> Option<faultline_stress::Report> {
    let dir = scratch();
    let file = dir.path().join("mixed.bin");
    let o = StressOptions {
        size: Some(4 << 20),
        numjobs: 3,
        iodepth: 2,
        direct,
        runtime: Some(Duration::from_millis(700)),
        time_based: true,
        ..opts(&file, Rw::RandRw)
    };
    match run(&o, None) {
        Ok(r) => Some(r),
        Err(StressError::DirectUnsupported { path }) if direct => {
            eprintln!(
                "note: {} does not support O_DIRECT; direct=1 not tested here",
                path.display()
            );
            None
        }
        Err(e) => panic!("{e}"),
    }
}

fn check_mixed(r: &faultline_stress::Report) {
    assert_eq!(r.exit_code, EXIT_OK, "{}", r.to_text());
    assert_eq!(r.total.errors, 0);
    assert_eq!(r.total.verify_failures, 0, "{:?}", r.mismatches);
    assert!(r.total.read.ops > 0 && r.total.write.ops > 0);
    // Laid out first, so every read is of a block this run wrote.
    assert_eq!(r.total.unverified_reads, 0);
    assert_eq!(r.total.verified_reads, r.total.read.ops);
    assert_eq!(r.jobs.len(), 3);
    assert_eq!(r.files.len(), 1);
    assert!(r.files[0].laid_out);
    assert!(r.elapsed_s >= 0.69 && r.elapsed_s < 5.0, "{}", r.elapsed_s);
    let sum: u64 = r.jobs.iter().map(|j| j.read.ops + j.write.ops).sum();
    assert_eq!(sum, r.total.read.ops + r.total.write.ops);
    let l = &r.total.read.lat_us;
    assert!(l.min <= l.p50 && l.p50 <= l.p90 && l.p90 <= l.p99 && l.p99 <= l.p99_9);
    assert!(l.p99_9 <= l.max);
    // Roughly half reads.
    let reads = r.total.read.ops as f64 / (r.total.read.ops + r.total.write.ops) as f64;
    assert!((0.4..0.6).contains(&reads), "{reads}");
}

#[test]
fn time_based_randrw_buffered() {
    check_mixed(&timed_randrw(false).unwrap());
}

#[test]
fn time_based_randrw_direct() {
    if let Some(r) = timed_randrw(true) {
        assert!(r.options.direct);
        check_mixed(&r);
    }
}

/// Flips one byte of a file.
fn flip(file: &Path, at: u64) {
    let f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .unwrap();
    let mut b = [0u8];
    f.read_exact_at(&mut b, at).unwrap();
    b[0] ^= 0x5a;
    f.write_all_at(&b, at).unwrap();
    f.sync_all().unwrap();
}

#[test]
fn a_read_pass_finds_a_byte_flipped_behind_its_back() {
    let dir = scratch();
    let file = dir.path().join("flip.bin");
    let w = StressOptions {
        size: Some(1 << 20),
        ..opts(&file, Rw::Write)
    };
    let r = run(&w, None).unwrap();
    assert_eq!(r.exit_code, EXIT_OK);
    assert_eq!(r.total.write.ops, 256);

    let block = 37u64 * 4096;
    flip(&file, block + 1000);

    // Reading needs no --force: nothing is written.
    let r = run(&opts(&file, Rw::Read), None).unwrap();
    assert!(!r.files[0].laid_out);
    assert_eq!(r.total.read.ops, 256);
    assert_eq!(r.total.verified_reads, 256);
    assert_eq!(r.total.verify_failures, 1, "{}", r.to_text());
    assert_eq!(r.exit_code, EXIT_VERIFY);
    let m = &r.mismatches[0];
    assert_eq!(m.offset, block);
    assert_eq!(m.kind, MismatchKind::Checksum);
    assert_eq!(m.first_bad_byte, Some(block + 1000));
    assert_eq!(m.bad_bytes, Some(1));
    assert_eq!(m.reread, "bad_again");
    assert_ne!(m.found.checksum, m.computed_checksum);
    let text = r.to_text();
    assert!(text.contains("DATA VERIFICATION FAILED"), "{text}");
    assert!(text.contains(&format!("offset {block}")), "{text}");

    // A header overwritten with zeros is not ours any more: unverified
    // across runs (nothing says it was written)...
    let zero = vec![0u8; 4096];
    let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
    f.write_all_at(&zero, 3 * 4096).unwrap();
    drop(f);
    let r = run(&opts(&file, Rw::RandRead), None).unwrap();
    assert_eq!(r.total.unverified_reads, 1);
    assert_eq!(r.total.verify_failures, 1);
}

#[test]
fn corruption_during_a_run_is_caught() {
    let dir = scratch();
    let file = dir.path().join("live.bin");
    let o = StressOptions {
        size: Some(16 * 4096),
        numjobs: 2,
        rwmixread: 80,
        runtime: Some(Duration::from_millis(1500)),
        time_based: true,
        ..opts(&file, Rw::RandRw)
    };
    let path: PathBuf = file.clone();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop2 = stop.clone();
    let vandal = std::thread::spawn(move || {
        // Wait for the layout, then scribble.
        while std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0) < 16 * 4096 {
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(200));
        let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        let mut k = 0u64;
        while !stop2.load(std::sync::atomic::Ordering::Relaxed) {
            f.write_all_at(b"vandal", (k % 16) * 4096 + 2000).unwrap();
            k += 1;
            std::thread::sleep(Duration::from_millis(10));
        }
    });
    let r = run(&o, None).unwrap();
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    vandal.join().unwrap();
    assert!(r.total.verify_failures > 0, "{}", r.to_text());
    assert_eq!(r.exit_code, EXIT_VERIFY);
    assert!(r.mismatches.iter().all(|m| m.offset % 4096 == 0));
    assert!(r.mismatches.len() <= 16);
}

#[test]
fn refuses_a_non_empty_file_without_force() {
    let dir = scratch();
    let file = dir.path().join("precious.txt");
    std::fs::write(&file, vec![b'x'; 10_000]).unwrap();
    let o = StressOptions {
        size: Some(1 << 20),
        ..opts(&file, Rw::RandWrite)
    };
    let e = run(&o, None).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, StressError::WouldDestroy { .. }), "{msg}");
    assert!(msg.contains("precious.txt"), "{msg}");
    assert!(msg.contains("10000 bytes"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");
    assert_eq!(std::fs::read(&file).unwrap(), vec![b'x'; 10_000]);

    // A read-only run that would have to lay the file out is refused too.
    let e = run(
        &StressOptions {
            size: Some(1 << 20),
            ..opts(&file, Rw::Read)
        },
        None,
    )
    .unwrap_err();
    assert!(e.to_string().contains("lays out the file first"), "{e}");

    // Reading what is there is fine: nothing carries a header.
    let r = run(&opts(&file, Rw::Read), None).unwrap();
    assert_eq!(r.total.read.ops, 2); // 10000 bytes = 2 whole 4 KiB blocks
    assert_eq!(r.total.unverified_reads, 2);
    assert_eq!(r.exit_code, EXIT_OK);

    // An empty file is fair game, and --force overrides.
    let empty = dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    let r = run(
        &StressOptions {
            size: Some(64 << 10),
            ..opts(&empty, Rw::Write)
        },
        None,
    )
    .unwrap();
    assert_eq!(r.exit_code, EXIT_OK);
    let r = run(
        &StressOptions {
            size: Some(64 << 10),
            force: true,
            ..opts(&file, Rw::Write)
        },
        None,
    )
    .unwrap();
    assert_eq!(r.total.write.ops, 16);
}

#[test]
fn per_job_files_and_one_pass_per_job() {
    let dir = scratch();
    let o = StressOptions {
        rw: Rw::RandWrite,
        size: Some(1 << 20),
        numjobs: 3,
        iodepth: 3,
        directory: dir.path().to_path_buf(),
        name: "pj".into(),
        seed: Some(1),
        ..StressOptions::default()
    };
    let r = run(&o, None).unwrap();
    assert_eq!(r.files.len(), 3);
    // Write-only: the new files are extended (fallocate), not laid out.
    assert!(r.files.iter().all(|f| !f.laid_out));
    for (j, job) in r.jobs.iter().enumerate() {
        assert_eq!(job.write.ops, 256, "job {j}");
        let p = dir.path().join(format!("pj.{j}.0"));
        assert_eq!(std::fs::metadata(&p).unwrap().len(), 1 << 20);
        assert_eq!(job.file, p.display().to_string());
    }
    // The files now exist: writing again needs --force; reading does not,
    // and verifies every block of the earlier run.
    assert!(matches!(
        run(&o, None),
        Err(StressError::WouldDestroy { .. })
    ));
    let r = run(
        &StressOptions {
            rw: Rw::Read,
            iodepth: 2,
            ..o.clone()
        },
        None,
    )
    .unwrap();
    assert_eq!(r.total.read.ops, 3 * 256);
    assert_eq!(r.total.verified_reads, 3 * 256);
    assert_eq!(r.total.verify_failures, 0);
}

#[test]
fn bad_options_name_the_option() {
    let dir = scratch();
    let file = dir.path().join("x");
    let cases: Vec<(StressOptions, &str)> = vec![
        (
            StressOptions {
                bs: 1000,
                direct: true,
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--bs",
        ),
        (
            StressOptions {
                bs: 16,
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--bs",
        ),
        (opts(&file, Rw::Read), "--size"),
        (
            StressOptions {
                size: Some(100),
                ..opts(&file, Rw::Read)
            },
            "--size",
        ),
        (
            StressOptions {
                numjobs: 0,
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--numjobs",
        ),
        (
            StressOptions {
                time_based: true,
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--time_based",
        ),
        (
            StressOptions {
                filename: Some(dir.path().to_path_buf()),
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--filename",
        ),
        (
            StressOptions {
                filename: Some(dir.path().join("no/such/dir/f")),
                size: Some(1 << 20),
                ..opts(&file, Rw::Read)
            },
            "--filename",
        ),
    ];
    for (o, option) in cases {
        let e = run(&o, None).unwrap_err();
        assert!(e.to_string().starts_with(option), "{option}: {e}");
    }
    assert!(!file.exists());
}

#[test]
fn memory_pressure_is_reported() {
    let dir = scratch();
    let file = dir.path().join("mem.bin");
    let o = StressOptions {
        size: Some(256 << 10),
        mem: 8 << 20,
        runtime: Some(Duration::from_millis(300)),
        time_based: true,
        ..opts(&file, Rw::RandRw)
    };
    let r = run(&o, None).unwrap();
    let m = r.mem.unwrap();
    assert_eq!(m.bytes, 8 << 20);
    assert!(m.passes >= 1);
    assert_eq!(r.exit_code, EXIT_OK);
}

#[test]
fn progress_is_called_on_long_runs() {
    let dir = scratch();
    let file = dir.path().join("p.bin");
    let o = StressOptions {
        size: Some(256 << 10),
        runtime: Some(Duration::from_millis(2200)),
        time_based: true,
        ..opts(&file, Rw::RandRead)
    };
    let mut seen = Vec::new();
    let mut cb = |p: &faultline_stress::Progress| seen.push((p.elapsed, p.ops));
    let r = run(&o, Some(&mut cb)).unwrap();
    assert!(seen.len() >= 2, "{seen:?}");
    assert!(seen.windows(2).all(|w| w[0].1 <= w[1].1));
    assert!(seen.last().unwrap().1 <= r.total.read.ops);
}

/// Records what an [`faultline_stress::Observer`] is told, and when.
#[derive(Default)]
struct Seen {
    progress: Vec<faultline_stress::Progress>,
    mismatches: Vec<(u64, u64, std::time::Instant)>,
}

impl faultline_stress::Observer for Seen {
    fn progress(&mut self, p: &faultline_stress::Progress) {
        self.progress.push(p.clone());
    }

    fn mismatch(&mut self, m: &faultline_stress::Mismatch, p: &faultline_stress::Progress) {
        self.mismatches
            .push((m.offset, p.verify_failures, std::time::Instant::now()));
    }
}

#[test]
fn an_observer_hears_of_a_mismatch_before_the_run_ends() {
    let dir = scratch();
    let file = dir.path().join("early.bin");
    let w = StressOptions {
        size: Some(256 << 10),
        ..opts(&file, Rw::Write)
    };
    assert_eq!(run(&w, None).unwrap().exit_code, EXIT_OK);
    flip(&file, 9 * 4096 + 77);
    // A time-based read run: the first pass finds it within milliseconds,
    // the run goes on for a second and a half.
    let o = StressOptions {
        runtime: Some(Duration::from_millis(1500)),
        time_based: true,
        ..opts(&file, Rw::RandRead)
    };
    let mut seen = Seen::default();
    let r = faultline_stress::run_observed(&o, Duration::from_millis(200), &mut seen).unwrap();
    let ended = std::time::Instant::now();
    assert_eq!(r.exit_code, EXIT_VERIFY);
    let &(offset, failures, told) = seen.mismatches.first().expect("told of the mismatch");
    assert_eq!(offset, 9 * 4096);
    assert!(failures >= 1);
    assert!(ended.duration_since(told) > Duration::from_millis(700));
    // At most 8 per thread are told; later ones only count.
    assert!(seen.mismatches.len() <= 8);
    // Progress every 200 ms, cumulative, with the split and the failures.
    assert!(seen.progress.len() >= 4, "{}", seen.progress.len());
    assert!(seen.progress.windows(2).all(|w| w[0].ops <= w[1].ops));
    let last = seen.progress.last().unwrap();
    assert_eq!(last.ops, last.read_ops + last.write_ops);
    assert_eq!(last.write_ops, 0);
    assert!(last.verify_failures >= 1);
    assert!(last.read_ops <= r.total.read.ops);
    assert_eq!(last.io_errors, 0);
}
