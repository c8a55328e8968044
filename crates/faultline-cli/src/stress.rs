//! `faultline stress`: I/O stress with fio's options and verified data.
//! Owns the command line, the live output (progress on a terminal, the
//! `--status-interval` lines on stdout) and the printing of the report.

use std::io::{IsTerminal as _, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::Args;
use faultline_stress::status::{Corruption, Status};
use faultline_stress::{Mismatch, Observer, Progress, Rw, StressError, StressOptions};

fn size(s: &str) -> Result<u64, String> {
    faultline_stress::parse_size(s)
}

fn time(s: &str) -> Result<Duration, String> {
    faultline_stress::parse_duration(s)
}

fn boolean(s: &str) -> Result<bool, String> {
    faultline_stress::parse_bool(s)
}

fn rw(s: &str) -> Result<Rw, String> {
    s.parse()
}

fn interval(s: &str) -> Result<Duration, String> {
    let d = faultline_stress::parse_duration(s)?;
    // Shorter than the engine's shortest tick would only repeat lines.
    if d < Duration::from_millis(10) {
        return Err(format!("{s:?} is too short (10ms at least)"));
    }
    Ok(d)
}

#[derive(Args)]
#[command(after_help = "\
fio's psync engine with parallelism: a job with --iodepth=N is N threads, \
each with one synchronous pread/pwrite outstanding (no libaio, no io_uring). \
Every block written carries a header (magic, offset, write generation, job, \
seed, xxh3 checksum) that reads verify.

With --status-interval and --json, stdout is a stream of JSON values: \
one-line {\"status\": ...} and {\"corruption\": ...} objects, then the report.

Exit status: 0 done; 1 I/O errors during the run; 2 bad option, refused or \
unusable target; 4 data verification failed (a read differs from what was \
written); 130 interrupted during the layout.")]
pub struct StressArgs {
    /// The file or block device (the same as --filename).
    #[arg(value_name = "FILE|DEVICE", conflicts_with = "filename")]
    target: Option<PathBuf>,
    /// A file or block device that all jobs share over [0, size). Without
    /// it each job gets its own file DIR/NAME.N.0.
    #[arg(long, value_name = "PATH")]
    filename: Option<PathBuf>,
    /// Folder of the per-job files when --filename is not given.
    #[arg(long, value_name = "DIR", default_value = ".")]
    directory: PathBuf,
    /// Job name (names the per-job files).
    #[arg(long, default_value = "faultline-stress")]
    name: String,
    /// read, write, randread, randwrite, randrw, readwrite (alias rw).
    #[arg(long, value_name = "PATTERN", default_value = "read", value_parser = rw)]
    rw: Rw,
    /// Percent of reads in randrw and readwrite.
    #[arg(long, value_name = "PERCENT", value_parser = clap::value_parser!(u8).range(0..=100))]
    rwmixread: Option<u8>,
    /// Percent of writes in randrw and readwrite (100 - rwmixread).
    #[arg(long, value_name = "PERCENT", conflicts_with = "rwmixread",
          value_parser = clap::value_parser!(u8).range(0..=100))]
    rwmixwrite: Option<u8>,
    /// Block size: 4k, 64KiB, 1m (units are powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "4k", value_parser = size)]
    bs: u64,
    /// Bytes per job. Default: the size of the block device or existing file.
    #[arg(long, value_name = "SIZE", value_parser = size)]
    size: Option<u64>,
    /// Number of jobs.
    #[arg(long, value_name = "N", default_value_t = 1)]
    numjobs: u32,
    /// Threads per job, each with one synchronous I/O outstanding.
    #[arg(long, value_name = "N", default_value_t = 1)]
    iodepth: u32,
    /// 1: O_DIRECT (bs a multiple of 512).
    #[arg(long, value_name = "0|1", default_value = "0", value_parser = boolean,
          action = clap::ArgAction::Set)]
    direct: bool,
    /// Seconds, or 30s, 5m, 8h: stop after this long.
    #[arg(long, value_name = "TIME", value_parser = time)]
    runtime: Option<Duration>,
    /// Run for --runtime, repeating passes over the region.
    #[arg(long = "time_based", alias = "time-based")]
    time_based: bool,
    /// Also allocate this much memory and write every page of it every
    /// second (memory pressure, to make a host with swap or overcommit page).
    #[arg(long, value_name = "SIZE", value_parser = size)]
    mem: Option<u64>,
    /// 1: drop the file from the page cache before the run (as fio does).
    #[arg(long, value_name = "0|1", default_value = "1", value_parser = boolean,
          action = clap::ArgAction::Set)]
    invalidate: bool,
    /// Seed of offsets, mix and block contents (default: from the clock).
    #[arg(long)]
    seed: Option<u64>,
    /// Write to a block device or a non-empty file (destroys its contents).
    #[arg(long)]
    force: bool,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Every SECONDS (or 500ms, 1m), print the figures so far as one line
    /// on stdout (with --json a compact {"status": {...}} object), and a
    /// line as soon as a read fails verification ({"corruption": {...}});
    /// the report follows at the end as usual.
    #[arg(long, alias = "status_interval", value_name = "SECONDS", value_parser = interval)]
    status_interval: Option<Duration>,
    /// Accepted for pasted fio command lines: psync, sync or pvsync only.
    #[arg(long, value_name = "ENGINE", value_parser = ["psync", "sync", "pvsync"])]
    ioengine: Option<String>,
    /// Accepted and ignored (the report always has jobs and a total).
    #[arg(long = "group_reporting", hide = true)]
    group_reporting: bool,
    /// Accepted and ignored (fio's shared memory pool size).
    #[arg(
        long = "alloc-size",
        alias = "alloc_size",
        value_name = "KIB",
        hide = true
    )]
    alloc_size: Option<String>,
}

/// Most corruption lines one run prints, one per bad block: the engine
/// tells at most 8 per thread, and a dying disk would otherwise flood a
/// serial console; the status lines go on counting them all.
const MAX_CORRUPTION_LINES: usize = 16;

/// What the run shows while it goes.
struct Live {
    /// Progress on stderr, redrawn in place.
    tty: bool,
    json: bool,
    status_every: Option<Duration>,
    /// Elapsed time of the next status line.
    next_status: Duration,
    last_status: Option<Status>,
    /// Blocks (file, offset) a corruption line was printed for: a bad
    /// block read again on every pass is not news.
    told: Vec<(String, u64)>,
}

impl Live {
    /// How often the engine should call: every second for the terminal,
    /// every interval for the status lines, the shorter of the two.
    fn tick(&self) -> Duration {
        match (self.tty, self.status_every) {
            (true, Some(every)) => every.min(Duration::from_secs(1)),
            (false, Some(every)) => every,
            (_, None) => Duration::from_secs(1),
        }
    }

    /// Writes one line on stdout and flushes it at once: whoever reads the
    /// pipe (the lab's agent) must see it even if the machine dies next.
    fn say(&self, line: &str) {
        if self.tty {
            // The progress line shares the terminal: clear it first, the
            // next tick redraws it below.
            eprint!("\r\x1b[K");
        }
        let mut out = std::io::stdout().lock();
        // A closed stdout is not a reason to stop the workload.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

impl Observer for Live {
    fn progress(&mut self, p: &Progress) {
        if let Some(every) = self.status_every
            && p.elapsed >= self.next_status
        {
            let s = Status::new(p, self.last_status.as_ref());
            self.say(&if self.json {
                s.to_json_line()
            } else {
                s.to_text_line()
            });
            self.last_status = Some(s);
            // The next multiple of the interval after now: a slow tick
            // skips lines rather than bunching them.
            while self.next_status <= p.elapsed {
                self.next_status += every;
            }
        }
        if self.tty {
            progress_line(p);
        }
    }

    fn mismatch(&mut self, m: &Mismatch, p: &Progress) {
        let block = (m.file.clone(), m.offset);
        if self.status_every.is_none()
            || self.told.len() >= MAX_CORRUPTION_LINES
            || self.told.contains(&block)
        {
            return;
        }
        self.told.push(block);
        let c = Corruption::new(m, p);
        self.say(&if self.json {
            c.to_json_line()
        } else {
            c.to_text_line()
        });
    }
}

fn progress_line(p: &Progress) {
    let secs = p.elapsed.as_secs();
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r{:02}:{:02}:{:02}  {:>9.0} IOPS  {:>9.2} MiB/s  {} ops\x1b[K",
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        p.iops,
        p.mib_s,
        p.ops
    );
    let _ = err.flush();
}

pub fn run(args: StressArgs) -> Result<ExitCode> {
    let _ = (args.group_reporting, args.alloc_size, args.ioengine);
    let rwmixread = match (args.rwmixread, args.rwmixwrite) {
        (Some(r), _) => r,
        (None, Some(w)) => 100 - w,
        (None, None) => 50,
    };
    let opts = StressOptions {
        name: args.name,
        rw: args.rw,
        rwmixread,
        bs: args.bs,
        size: args.size,
        numjobs: args.numjobs,
        iodepth: args.iodepth,
        direct: args.direct,
        runtime: args.runtime,
        time_based: args.time_based,
        filename: args.filename.or(args.target),
        directory: args.directory,
        mem: args.mem.unwrap_or(0),
        seed: args.seed,
        force: args.force,
        invalidate: args.invalidate,
    };
    faultline_stress::stop_on_interrupt();
    let tty = std::io::stderr().is_terminal();
    let mut live = Live {
        tty,
        json: args.json,
        status_every: args.status_interval,
        next_status: args.status_interval.unwrap_or_default(),
        last_status: None,
        told: Vec::new(),
    };
    let tick = live.tick();
    let report = match faultline_stress::run_observed(&opts, tick, &mut live) {
        Ok(r) => r,
        Err(StressError::Interrupted) => {
            eprintln!("faultline: stress: interrupted during the layout");
            return Ok(ExitCode::from(130));
        }
        Err(e) => return Err(anyhow::anyhow!("stress: {e}")),
    };
    if tty {
        eprint!("\r\x1b[K");
    }
    let mut out = std::io::stdout().lock();
    if args.json {
        let mut json = serde_json::to_string_pretty(&report)?;
        json.push('\n');
        out.write_all(json.as_bytes())?;
    } else {
        out.write_all(report.to_text().as_bytes())?;
    }
    out.flush()?;
    if report.total.verify_failures > 0 && args.json {
        eprintln!(
            "faultline: stress: DATA VERIFICATION FAILED: {} block read(s) differ from what was written",
            report.total.verify_failures
        );
    }
    Ok(ExitCode::from(report.exit_code))
}
