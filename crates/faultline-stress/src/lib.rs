//! I/O stress with fio's options and verified data: the load that makes rare
//! races happen (story 2 of the design: random read/write with direct I/O
//! and five jobs, on the host and in a guest, froze a Xen appliance within
//! an hour).
//!
//! The workload speaks fio's vocabulary (`rw`, `bs`, `size`, `numjobs`,
//! `iodepth`, `direct`, `runtime`, `time_based`, `filename`, ...) and runs
//! fio's `psync` engine with parallelism: a job with `iodepth=N` is `N`
//! threads, each with one synchronous `pread`/`pwrite` outstanding. There is
//! no libaio or io_uring; the queue depth seen by the device is the same.
//!
//! Every block written carries a header (see [`block`]): a magic, the
//! block's offset, a per-block write generation, the writer's job and
//! thread, the run's seed and an xxh3 checksum of the block. Reads verify
//! it; a mismatch is the most important finding of a run
//! ([`Report::verify_failures`], exit code [`EXIT_VERIFY`]). An
//! [`Observer`] given to [`run_observed`] hears of each one as it is found,
//! and of the cumulative figures periodically ([`status`] has the lines
//! `--status-interval` prints from them).
//!
//! ```no_run
//! use faultline_stress::{run, Rw, StressOptions};
//! let opts = StressOptions {
//!     rw: Rw::RandRw,
//!     size: Some(64 << 20),
//!     numjobs: 5,
//!     runtime: Some(std::time::Duration::from_secs(10)),
//!     time_based: true,
//!     filename: Some("/var/tmp/stress.bin".into()),
//!     ..StressOptions::default()
//! };
//! let report = run(&opts, None)?;
//! println!("{}", report.to_text());
//! std::process::exit(report.exit_code.into());
//! # Ok::<(), faultline_stress::StressError>(())
//! ```

pub mod block;
mod engine;
pub mod hist;
mod mem;
mod options;
mod perm;
mod report;
pub mod status;
mod target;

pub use engine::{Observer, Progress, run, run_observed, stop_on_interrupt, stop_requested};
pub use options::{Rw, StressOptions, format_size, parse_bool, parse_duration, parse_size};
pub use report::{
    FileReport, IoErrorSample, JobReport, Latency, MemReport, Mismatch, MismatchKind, OpReport,
    OptionsEcho, Report, Totals,
};
pub use target::{FileKind, FilePlan, Plan, plan};

/// Exit code of a run that finished with no I/O error and no verification
/// failure.
pub const EXIT_OK: u8 = 0;
/// Exit code of a run that finished with I/O errors (and no verification
/// failure).
pub const EXIT_IO_ERRORS: u8 = 1;
/// Exit code of a bad option, a refused target, or a target that could not
/// be opened: the run did not start.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of a run in which a read found data that differs from what
/// was written: the most important finding.
pub const EXIT_VERIFY: u8 = 4;

use std::path::PathBuf;

/// Why a run could not start (or its setup failed).
#[derive(Debug, thiserror::Error)]
pub enum StressError {
    /// A bad option value; `option` is its name as on the command line.
    #[error("{option}: {message}")]
    Option {
        option: &'static str,
        message: String,
    },
    /// Writing would destroy data that is already there.
    #[error(
        "refusing to write to {}: {what}; its contents would be destroyed (pass --force to write anyway)",
        path.display()
    )]
    WouldDestroy { path: PathBuf, what: String },
    /// `--direct=1` on a filesystem without O_DIRECT (tmpfs, for one).
    #[error(
        "{}: the filesystem does not support O_DIRECT (--direct=1); use --direct=0 or a file on another filesystem",
        path.display()
    )]
    DirectUnsupported { path: PathBuf },
    /// A system call on the target failed during setup or layout.
    #[error("{}: {action}: {source}", path.display())]
    Io {
        path: PathBuf,
        action: &'static str,
        #[source]
        source: std::io::Error,
    },
    /// SIGINT or SIGTERM arrived before the workload started (during the
    /// layout).
    #[error("interrupted before the workload started")]
    Interrupted,
}

impl StressError {
    pub(crate) fn option(option: &'static str, message: impl Into<String>) -> Self {
        StressError::Option {
            option,
            message: message.into(),
        }
    }
}
