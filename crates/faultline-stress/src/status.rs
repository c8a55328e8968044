//! The live lines of `faultline stress --status-interval`: a status line
//! with the cumulative figures every interval, and a corruption line as soon
//! as a read fails verification. Each is one line on stdout, compact JSON
//! (`{"status": {...}}`, `{"corruption": {...}}`) or text.
//!
//! They exist for runs whose end is never seen: inside a lab guest the
//! machine crashes, freezes or is killed at the time limit, and the final
//! report is never printed. One object per line because the guest agent
//! forwards the output line by line to a serial console, where the host's
//! watcher (`faultline-lab`'s `watch.rs`) reads them back; a line lost or
//! cut there costs one update, not the stream. The fields are a contract:
//! add, never rename or remove.

use serde::{Deserialize, Serialize};

use crate::engine::Progress;
use crate::report::Mismatch;

/// Rounds to `places` decimals: the lines are read by people and parsed
/// from a slow serial console, and 17 digits of a rate say nothing more.
fn round(v: f64, places: i32) -> f64 {
    let k = 10f64.powi(places);
    let r = (v * k).round() / k;
    // Never a NaN or an infinity on the wire (serde_json would write null).
    if r.is_finite() { r } else { 0.0 }
}

/// The cumulative figures of the run so far (the `status` object). The lab's
/// watcher reads it back from the guest's console, so it deserializes too,
/// every field defaulting (an older or cut line still gives what it has).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Status {
    /// Seconds of workload so far (layout excluded, as the report's).
    pub elapsed_s: f64,
    /// Reads and writes completed (`read_ops + write_ops`).
    pub ops: u64,
    pub bytes: u64,
    pub read_ops: u64,
    pub write_ops: u64,
    /// Average since the start.
    pub iops: f64,
    /// Average since the start, MiB (2^20 bytes) per second.
    pub mib_s: f64,
    /// Since the previous status line.
    pub interval_iops: f64,
    pub interval_mib_s: f64,
    /// Reads that found other data than was written, so far.
    pub verify_errors: u64,
    /// Reads and writes that failed, so far.
    pub io_errors: u64,
}

impl Status {
    /// The figures of `p`; `prev` is the previous status line (None for the
    /// first: the interval is then the whole run so far).
    pub fn new(p: &Progress, prev: Option<&Status>) -> Status {
        let secs = p.elapsed.as_secs_f64();
        let per_s = |v: f64, dt: f64| if dt > 0.0 { v / dt } else { 0.0 };
        let (prev_s, prev_ops) = prev.map_or((0.0, 0), |s| (s.elapsed_s, s.ops));
        let dt = secs - prev_s;
        let d_ops = p.ops.saturating_sub(prev_ops) as f64;
        let bs = if p.ops > 0 {
            p.bytes as f64 / p.ops as f64
        } else {
            0.0
        };
        Status {
            elapsed_s: round(secs, 3),
            ops: p.ops,
            bytes: p.bytes,
            read_ops: p.read_ops,
            write_ops: p.write_ops,
            iops: round(per_s(p.ops as f64, secs), 1),
            mib_s: round(per_s(p.bytes as f64, secs) / 1_048_576.0, 2),
            interval_iops: round(per_s(d_ops, dt), 1),
            interval_mib_s: round(per_s(d_ops * bs, dt) / 1_048_576.0, 2),
            verify_errors: p.verify_failures,
            io_errors: p.io_errors,
        }
    }

    /// `{"status": {...}}`, without the newline.
    pub fn to_json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a> {
            status: &'a Status,
        }
        serde_json::to_string(&Line { status: self }).unwrap_or_default()
    }

    /// One line for people, without the newline.
    pub fn to_text_line(&self) -> String {
        let secs = self.elapsed_s as u64;
        format!(
            "status {:02}:{:02}:{:02}: {} ops ({} reads, {} writes), {:.0} IOPS, {:.2} MiB/s (last interval {:.0} IOPS), {} verification failure(s), {} I/O error(s)",
            secs / 3600,
            secs / 60 % 60,
            secs % 60,
            self.ops,
            self.read_ops,
            self.write_ops,
            self.iops,
            self.mib_s,
            self.interval_iops,
            self.verify_errors,
            self.io_errors
        )
    }
}

/// A read that failed verification, as soon as it was found (the
/// `corruption` object).
#[derive(Clone, Debug, Serialize)]
pub struct Corruption<'a> {
    /// Seconds of workload when it was told.
    pub elapsed_s: f64,
    /// Verification failures so far, this one included.
    pub verify_errors: u64,
    /// I/O errors so far.
    pub io_errors: u64,
    /// The block, as the report's `mismatches[]` has it.
    pub mismatch: &'a Mismatch,
}

impl<'a> Corruption<'a> {
    pub fn new(m: &'a Mismatch, p: &Progress) -> Corruption<'a> {
        Corruption {
            elapsed_s: round(p.elapsed.as_secs_f64(), 3),
            // The progress is taken after the worker counted it; at least
            // this one in any case.
            verify_errors: p.verify_failures.max(1),
            io_errors: p.io_errors,
            mismatch: m,
        }
    }

    /// `{"corruption": {...}}`, without the newline.
    pub fn to_json_line(&self) -> String {
        #[derive(Serialize)]
        struct Line<'a, 'b> {
            corruption: &'b Corruption<'a>,
        }
        serde_json::to_string(&Line { corruption: self }).unwrap_or_default()
    }

    /// One line for people, without the newline.
    pub fn to_text_line(&self) -> String {
        let m = self.mismatch;
        format!(
            "DATA CORRUPTION at {:.1} s: {} offset {}: {} check failed (re-read: {}), job {} thread {}; {} verification failure(s) so far",
            m.at_s,
            m.file,
            m.offset,
            m.kind.as_str(),
            m.reread,
            m.job,
            m.thread,
            self.verify_errors
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn progress(secs: f64, reads: u64, writes: u64) -> Progress {
        Progress {
            elapsed: Duration::from_secs_f64(secs),
            ops: reads + writes,
            bytes: (reads + writes) * 4096,
            read_ops: reads,
            write_ops: writes,
            ..Progress::default()
        }
    }

    #[test]
    fn status_rates_are_cumulative_and_per_interval() {
        let a = Status::new(&progress(2.0, 1000, 1000), None);
        assert_eq!(a.iops, 1000.0);
        assert_eq!(a.interval_iops, 1000.0);
        let b = Status::new(&progress(4.0, 3000, 3000), Some(&a));
        assert_eq!(b.iops, 1500.0);
        assert_eq!(b.interval_iops, 2000.0);
        assert_eq!(b.interval_mib_s, round(2000.0 * 4096.0 / 1_048_576.0, 2));
        let v: serde_json::Value = serde_json::from_str(&b.to_json_line()).unwrap();
        assert_eq!(v["status"]["ops"], 6000);
        assert_eq!(v["status"]["verify_errors"], 0);
        assert!(!b.to_json_line().contains('\n'));
        assert!(b.to_text_line().starts_with("status 00:00:04: 6000 ops"));
    }

    #[test]
    fn no_division_by_zero_at_the_start() {
        let s = Status::new(&Progress::default(), None);
        assert_eq!((s.iops, s.mib_s, s.interval_iops), (0.0, 0.0, 0.0));
        let again = Status::new(&Progress::default(), Some(&s));
        assert_eq!(again.interval_mib_s, 0.0);
        assert!(again.to_json_line().starts_with("{\"status\":{"));
    }
}
