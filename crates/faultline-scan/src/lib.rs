//! Scanning: reads log files and finds the crash reports and notable
//! events in them.
//!
//! This crate wires [`faultline_read`] (bytes to records) to
//! [`faultline_detect`] (records to findings) and owns the two things that
//! make scanning fast:
//!
//! - **the marker fast path**: a file is read in large chunks and a
//!   multi-literal search runs over each whole chunk; only the lines around
//!   a marker (and the lines of a report once one is open) are decoded and
//!   fed to the detector. The lines in between are skipped in bulk: their
//!   newlines are counted, nothing else.
//! - **parallel files**: every file is scanned on its own thread (rayon),
//!   results come back in the order the files were given.
//!
//! Memory stays flat: a file is never held whole, only one chunk, the open
//! reports and the findings.

mod file;
mod prefilter;
mod split;

use std::path::{Path, PathBuf};

use faultline_detect::{CrashReport, Detector, EventKind};
use faultline_read::{ReadError, Timestamp};
use jiff::tz::TimeZone;
use rayon::prelude::*;
use serde::Serialize;

pub use file::{FileScan, scan_source};

/// How to read what the logs leave unsaid.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Year of year-less syslog stamps (else from each file's mtime).
    pub year: Option<i16>,
    /// Zone of stamps that carry none.
    pub time_zone: TimeZone,
    /// Machine of lines that name none (else from the path).
    pub machine: Option<String>,
    /// The instant year-less stamps are judged against, instead of each
    /// file's modification time (a case's window end): a stamp more than a
    /// day after it belongs to the year before.
    pub reference_time: Option<Timestamp>,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            year: None,
            time_zone: TimeZone::UTC,
            machine: None,
            reference_time: None,
        }
    }
}

/// A crash report and where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct FoundReport {
    pub file: String,
    /// 1-based line of the report's first line in the (decompressed) file.
    pub line: u64,
    pub end_line: u64,
    pub machine: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    pub uptime: Option<f64>,
    #[serde(flatten)]
    pub report: CrashReport,
}

/// A notable event and where it was found.
#[derive(Debug, Clone, Serialize)]
pub struct FoundEvent {
    pub file: String,
    pub line: u64,
    pub machine: Option<String>,
    #[serde(serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    pub uptime: Option<f64>,
    pub kind: EventKind,
    pub rule: String,
    pub template: String,
    pub message: String,
}

/// What happened to one input.
#[derive(Debug, Clone, Serialize)]
pub struct FileSummary {
    pub path: String,
    pub compression: &'static str,
    /// Decompressed bytes read.
    pub bytes: u64,
    pub lines: u64,
    pub reports: usize,
    pub events: usize,
    /// Why the file could not be read (whole or in part); what was read
    /// before the error is still reported.
    pub error: Option<String>,
}

/// Everything a scan found, in input order.
#[derive(Debug, Default, Serialize)]
pub struct ScanOutput {
    pub reports: Vec<FoundReport>,
    pub events: Vec<FoundEvent>,
    pub files: Vec<FileSummary>,
}

impl ScanOutput {
    /// Inputs that could not be read, whole or in part.
    pub fn failures(&self) -> impl Iterator<Item = &FileSummary> {
        self.files.iter().filter(|f| f.error.is_some())
    }
}

fn ser_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_string()),
        None => s.serialize_none(),
    }
}

/// One input: a path, or standard input.
#[derive(Debug, Clone)]
pub enum Input {
    Path(PathBuf),
    Stdin,
}

/// Scans files, folders (recursively) and `-` (standard input).
pub fn scan(inputs: &[Input], opts: &ScanOptions) -> ScanOutput {
    scan_with(inputs, opts, &|_| {})
}

/// [`scan`], calling `done` as each input is finished (from any thread),
/// for progress reports.
pub fn scan_with(
    inputs: &[Input],
    opts: &ScanOptions,
    done: &(dyn Fn(&FileSummary) + Sync),
) -> ScanOutput {
    let det = Detector::shared();
    let mut out = ScanOutput::default();
    // Expand folders first, keeping the order the user gave.
    let mut work: Vec<Result<Input, ReadError>> = Vec::new();
    for input in inputs {
        match input {
            Input::Stdin => work.push(Ok(Input::Stdin)),
            Input::Path(p) => {
                let (files, errors) = faultline_read::expand(std::slice::from_ref(p));
                work.extend(files.into_iter().map(|f| Ok(Input::Path(f))));
                work.extend(errors.into_iter().map(Err));
            }
        }
    }
    let results: Vec<file::FileScan> = work
        .into_par_iter()
        .map(|w| match w {
            Ok(Input::Path(p)) => scan_path(det, &p, opts),
            Ok(Input::Stdin) => {
                let src = faultline_read::stdin();
                scan_source(det, src, None, opts)
            }
            Err(e) => file::FileScan::failed(e.path().display().to_string(), e.to_string()),
        })
        .inspect(|r| done(&r.summary))
        .collect();
    for r in results {
        out.reports.extend(r.reports);
        out.events.extend(r.events);
        out.files.push(r.summary);
    }
    out
}

fn scan_path(det: &Detector, path: &Path, opts: &ScanOptions) -> file::FileScan {
    match faultline_read::open(path) {
        Ok(src) => {
            let machine = faultline_read::machine_from_path(path);
            let compressed = src.compression != faultline_read::Compression::None;
            if let Some(done) = split::scan_split(det, path, machine.clone(), opts, compressed) {
                return done;
            }
            scan_source(det, src, machine, opts)
        }
        Err(e) => file::FileScan::failed(path.display().to_string(), e.to_string()),
    }
}
