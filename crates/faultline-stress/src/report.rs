//! The result of a run: per job and total figures, the mismatches and I/O
//! errors found, as a serde document (the `--json` contract) and as text.

use std::fmt::Write as _;

use serde::Serialize;

use crate::block::Header;
pub use crate::block::MismatchKind;
use crate::hist::Histogram;
use crate::options::format_size;

/// The options the run used, after defaults.
#[derive(Clone, Debug, Serialize)]
pub struct OptionsEcho {
    pub name: String,
    pub rw: String,
    pub rwmixread: u8,
    pub bs: u64,
    /// Bytes per job (the region each job works over).
    pub size: u64,
    pub numjobs: u32,
    pub iodepth: u32,
    /// Always `psync`: `iodepth` threads per job, one synchronous I/O each.
    pub ioengine: &'static str,
    pub direct: bool,
    pub runtime_s: Option<f64>,
    pub time_based: bool,
    pub filename: Option<String>,
    pub directory: Option<String>,
    pub mem: u64,
    pub seed: u64,
}

/// One target file or device.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: String,
    /// `file` or `block_device`.
    pub kind: &'static str,
    /// Bytes `[0, region_bytes)` are used.
    pub region_bytes: u64,
    pub jobs: Vec<u32>,
    /// Whether the run wrote the whole region first.
    pub laid_out: bool,
}

/// Latency figures in microseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Latency {
    pub min: f64,
    pub mean: f64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
}

impl Latency {
    pub(crate) fn of(h: &Histogram) -> Latency {
        let us = |ns: u64| ns as f64 / 1000.0;
        Latency {
            min: us(h.min()),
            mean: h.mean() / 1000.0,
            p50: us(h.percentile(50.0)),
            p90: us(h.percentile(90.0)),
            p99: us(h.percentile(99.0)),
            p99_9: us(h.percentile(99.9)),
            max: us(h.max()),
        }
    }
}

/// Reads or writes of a job or of the run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct OpReport {
    pub ops: u64,
    pub bytes: u64,
    pub iops: f64,
    /// MiB (2^20 bytes) per second.
    pub mib_s: f64,
    /// Time of the `pread`/`pwrite` call alone, in microseconds.
    pub lat_us: Latency,
}

impl OpReport {
    pub(crate) fn of(ops: u64, bytes: u64, lat: &Histogram, secs: f64) -> OpReport {
        let per_s = |v: u64| if secs > 0.0 { v as f64 / secs } else { 0.0 };
        OpReport {
            ops,
            bytes,
            iops: per_s(ops),
            mib_s: per_s(bytes) / 1_048_576.0,
            lat_us: Latency::of(lat),
        }
    }
}

/// One job.
#[derive(Clone, Debug, Serialize)]
pub struct JobReport {
    pub job: u32,
    pub file: String,
    pub elapsed_s: f64,
    pub read: OpReport,
    pub write: OpReport,
    /// Reads and writes together.
    pub iops: f64,
    pub mib_s: f64,
    pub errors: u64,
    pub verify_failures: u64,
    /// Reads whose block was checked (all checks passed or not).
    pub verified_reads: u64,
    /// Reads of blocks this run never wrote that carry no faultline header.
    pub unverified_reads: u64,
    /// Threads that stopped after 64 I/O errors in a row.
    pub abandoned_threads: u32,
}

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct Totals {
    pub elapsed_s: f64,
    pub read: OpReport,
    pub write: OpReport,
    pub iops: f64,
    pub mib_s: f64,
    pub errors: u64,
    pub verify_failures: u64,
    pub verified_reads: u64,
    pub unverified_reads: u64,
    pub abandoned_threads: u32,
}

/// A block that did not read back as written.
#[derive(Clone, Debug, Serialize)]
pub struct Mismatch {
    pub job: u32,
    pub thread: u32,
    pub file: String,
    /// Offset of the block in the file or device.
    pub offset: u64,
    /// The first check that failed: `magic`, `block_size`, `offset`,
    /// `checksum` or `generation`.
    pub kind: MismatchKind,
    /// Seconds since the workload started.
    pub at_s: f64,
    /// The generation this run last wrote there (`null`: not written by
    /// this run; the block carried an earlier run's header).
    pub expected_generation: Option<u64>,
    /// The header as read.
    pub found: Header,
    /// xxh3 of the bytes read (what `found.checksum` should be).
    pub computed_checksum: u64,
    /// For a checksum mismatch: the file offset of the first byte that
    /// differs from the block as written (rebuilt from its header), and how
    /// many bytes differ.
    pub first_bad_byte: Option<u64>,
    pub bad_bytes: Option<u64>,
    /// A second read of the block right after: `bad_again` (on the medium),
    /// `good` (the first read was wrong), `skipped` (written meanwhile),
    /// `failed` (the read failed).
    pub reread: &'static str,
}

/// An I/O that failed.
#[derive(Clone, Debug, Serialize)]
pub struct IoErrorSample {
    pub job: u32,
    pub thread: u32,
    pub file: String,
    /// `read` or `write`.
    pub op: &'static str,
    pub offset: u64,
    pub error: String,
    pub errno: Option<i32>,
    pub at_s: f64,
}

/// The memory pressure of `--mem`.
#[derive(Clone, Debug, Serialize)]
pub struct MemReport {
    pub bytes: u64,
    /// Passes over all pages (about one a second).
    pub passes: u64,
}

/// The result of a run: the `--json` document.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub options: OptionsEcho,
    pub files: Vec<FileReport>,
    /// Seconds spent laying out files (not part of `elapsed_s`).
    pub layout_s: f64,
    /// Seconds of workload.
    pub elapsed_s: f64,
    /// Stopped early by SIGINT or SIGTERM.
    pub interrupted: bool,
    pub jobs: Vec<JobReport>,
    pub total: Totals,
    /// The first mismatches (at most 16), in time order.
    pub mismatches: Vec<Mismatch>,
    /// The first I/O errors (at most 16), in time order.
    pub io_errors: Vec<IoErrorSample>,
    pub mem: Option<MemReport>,
    /// 0 done, 1 I/O errors, 4 verification failures.
    pub exit_code: u8,
}

fn lat_line(l: &Latency) -> String {
    format!(
        "p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}",
        l.p50, l.p90, l.p99, l.p99_9, l.max
    )
}

fn op_line(out: &mut String, label: &str, o: &OpReport) {
    if o.ops == 0 {
        return;
    }
    let _ = writeln!(
        out,
        "  {label:<5} IOPS {:>9.0}  {:>8.2} MiB/s  {:>10} ops  {:>10}  lat (us) {}",
        o.iops,
        o.mib_s,
        o.ops,
        format_size(o.bytes),
        lat_line(&o.lat_us)
    );
}

impl Report {
    /// Total verification failures.
    pub fn verify_failures(&self) -> u64 {
        self.total.verify_failures
    }

    /// The report as text for a terminal.
    pub fn to_text(&self) -> String {
        let o = &self.options;
        let mut out = String::new();
        let mix = if matches!(o.rw.as_str(), "randrw" | "readwrite") {
            format!(" ({}% reads)", o.rwmixread)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "faultline stress: {}{mix}, bs {}, {} job(s) x iodepth {} (psync), {}, {:.1} s{}, seed {}",
            o.rw,
            format_size(o.bs),
            o.numjobs,
            o.iodepth,
            if o.direct { "direct" } else { "buffered" },
            self.elapsed_s,
            if o.time_based { " time-based" } else { "" },
            o.seed
        );
        for f in &self.files {
            let jobs = if f.jobs.len() == 1 {
                format!("job {}", f.jobs[0])
            } else {
                format!("jobs {}-{}", f.jobs[0], f.jobs[f.jobs.len() - 1])
            };
            let _ = writeln!(
                out,
                "  {} {}: {} used by {jobs}{}",
                if f.kind == "block_device" {
                    "device"
                } else {
                    "file"
                },
                f.path,
                format_size(f.region_bytes),
                if f.laid_out { ", laid out first" } else { "" }
            );
        }
        if self.layout_s > 0.0 {
            let _ = writeln!(out, "  layout took {:.1} s", self.layout_s);
        }
        if self.jobs.len() > 1 {
            for j in &self.jobs {
                let _ = writeln!(
                    out,
                    "job {}: IOPS {:.0}, {:.2} MiB/s, {} errors, {} verification failures",
                    j.job, j.iops, j.mib_s, j.errors, j.verify_failures
                );
                op_line(&mut out, "read", &j.read);
                op_line(&mut out, "write", &j.write);
            }
        }
        let t = &self.total;
        let _ = writeln!(
            out,
            "total: IOPS {:.0}, {:.2} MiB/s over {:.1} s",
            t.iops, t.mib_s, t.elapsed_s
        );
        op_line(&mut out, "read", &t.read);
        op_line(&mut out, "write", &t.write);
        let _ = writeln!(
            out,
            "verification: {} reads verified, {} unverified (blocks without a faultline header), {} failures",
            t.verified_reads, t.unverified_reads, t.verify_failures
        );
        if let Some(m) = &self.mem {
            let _ = writeln!(
                out,
                "memory pressure: {} touched {} times",
                format_size(m.bytes),
                m.passes
            );
        }
        if t.errors > 0 {
            let _ = writeln!(out, "I/O ERRORS: {}", t.errors);
            for e in &self.io_errors {
                let _ = writeln!(
                    out,
                    "  {:.1} s job {} {} {} at offset {}: {}",
                    e.at_s, e.job, e.op, e.file, e.offset, e.error
                );
            }
        }
        if t.abandoned_threads > 0 {
            let _ = writeln!(
                out,
                "{} thread(s) stopped after 64 I/O errors in a row",
                t.abandoned_threads
            );
        }
        if t.verify_failures > 0 {
            let _ = writeln!(
                out,
                "DATA VERIFICATION FAILED: {} block read(s) differ from what was written",
                t.verify_failures
            );
            for m in &self.mismatches {
                let _ = writeln!(out, "  {}", mismatch_line(m));
            }
        }
        if self.interrupted {
            let _ = writeln!(out, "interrupted: stopped early by a signal");
        }
        out
    }
}

fn mismatch_line(m: &Mismatch) -> String {
    let f = &m.found;
    let expected = match m.expected_generation {
        Some(g) => format!("generation {g} written by this run"),
        None => "a block of an earlier run".into(),
    };
    let what = match m.kind {
        MismatchKind::Magic => format!(
            "no faultline header (found magic {:#018x}, offset field {})",
            f.magic, f.offset
        ),
        MismatchKind::BlockSize => format!("header of block size {}", f.bs),
        MismatchKind::Offset => format!("header of the block at offset {}", f.offset),
        MismatchKind::Checksum => {
            let mut s = format!(
                "checksum {:#018x} stored, {:#018x} computed",
                f.checksum, m.computed_checksum
            );
            if let (Some(first), Some(n)) = (m.first_bad_byte, m.bad_bytes) {
                let _ = write!(
                    s,
                    "; first bad byte at offset {first} (+{}), {n} byte(s) differ",
                    first - m.offset
                );
            }
            s
        }
        MismatchKind::Generation => format!(
            "intact block of generation {} (a lost or reordered write)",
            f.generation
        ),
    };
    format!(
        "{:.1} s {} offset {} ({}): expected {expected}, found {what} [job {} thread {} read it; re-read: {}]",
        m.at_s,
        m.file,
        m.offset,
        m.kind.as_str(),
        m.job,
        m.thread,
        m.reread
    )
}
