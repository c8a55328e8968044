//! Watching one run's serial console: when the guest booted, whether and
//! when it failed, and how.
//!
//! The [`Watcher`] is fed the console's bytes as they arrive, each chunk
//! with the time (seconds since QEMU started) it was read; [`Watcher::check`]
//! decides at a given time whether the run is over. Rules:
//!
//! - the first `faultline-heartbeat` line marks the boot; times to failure
//!   are measured from it (boot excluded);
//! - `crash`: faultline's detector found a crash report in the console (the
//!   time is when its first line arrived), or QEMU exited with status 1
//!   (`-action panic=exit-failure`: pvpanic reported GUEST_PANICKED);
//! - `freeze`: no heartbeat for the heartbeat timeout after the first one;
//!   the failure time is the last heartbeat's;
//! - `corruption`: the stress workload inside found a block that did not
//!   read back as written (see below); the time is when the first line
//!   saying so arrived;
//! - `clean`: the time limit was reached without a failure (censored);
//! - `error`: no heartbeat within the boot timeout, a crash before the first
//!   heartbeat, or QEMU exiting any other way.
//!
//! The stress workload's output reaches the console through the agent,
//! each line prefixed `faultline-stress: ` (run with `--json
//! --status-interval=N`). The watcher reads from it:
//!
//! - `{"status": {...}}` lines: the cumulative figures, the latest kept
//!   ([`Watcher::stress`], [`StressFigures`]);
//! - `{"corruption": {...}}` lines: a read failed verification;
//! - the final report (pretty-printed JSON, one console line per line of
//!   it, put back together), seen only when the workload ended before the
//!   run did: its totals, and `final_report: true`;
//! - as a fallback for runs without `--json`, the text report's and the
//!   stderr's `DATA VERIFICATION FAILED: N ...` and the text corruption
//!   line `DATA CORRUPTION at ...`.
//!
//! Any of them showing a verification failure is a corruption. A line that
//! does not parse (cut by a kernel message, garbage) is ignored.
//!
//! Crash against corruption: the first failure wins, in console order. A
//! corruption line before a crash report's first line (the usual way: the
//! bad data came first, then the machine fell over) makes the run a
//! `corruption`, with the crash's title in the note; a crash report that
//! began before the corruption line makes it a `crash`. A crash or a
//! corruption seen wins over a freeze and over the time limit, as a crash
//! always has here. A crash report is only known once the detector closes
//! it, so when a corruption is seen while a report is open, `check` waits
//! for it up to [`CORRUPTION_GRACE_S`] (or for QEMU's exit) before deciding.
//! Otherwise the runner ends a run at the first [`Watcher::check`] that
//! returns a verdict, so a failure that follows is only seen when it arrived
//! in the same read of the console, or while the run was being stopped.

use faultline_detect::{Console, Context, Detector, Finding, Line, Origin};
use faultline_read::{DecodeOptions, LineDecoder};
use faultline_stress::status::Status;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What precedes every line of the stress workload on the console (the
/// agent's forwarder adds it).
const STRESS_PREFIX: &str = "faultline-stress: ";

/// Most bytes of a pretty-printed report put back together: a real one
/// is tens of kilobytes; more is a console gone wrong.
const MAX_REPORT_BYTES: usize = 1 << 20;

/// Seconds [`Watcher::check`] waits, after a corruption line, for a crash
/// report still open to close: it may have begun before the corruption
/// line, and then the crash came first. A panicking guest ends the wait
/// sooner (pvpanic exits QEMU).
pub const CORRUPTION_GRACE_S: f64 = 5.0;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Crash,
    Freeze,
    /// The stress workload found data that differs from what it wrote.
    Corruption,
    Clean,
    Aborted,
    Error,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Crash => "crash",
            Outcome::Freeze => "freeze",
            Outcome::Corruption => "corruption",
            Outcome::Clean => "clean",
            Outcome::Aborted => "aborted",
            Outcome::Error => "error",
        }
    }

    /// A failure for the statistics (crash, freeze or corruption).
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Crash | Outcome::Freeze | Outcome::Corruption)
    }
}

/// How a run ended, as the watcher saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub outcome: Outcome,
    /// Seconds from the first heartbeat to the failure or the censoring
    /// (0 when the guest never booted).
    pub time_s: f64,
    /// Seconds from QEMU's start to the first heartbeat.
    pub boot_s: Option<f64>,
    pub title: Option<String>,
    pub signature: Option<String>,
    pub note: Option<String>,
}

/// The stress workload's figures as the console last showed them: the
/// latest status line, or the final report's totals. Cumulative since the
/// workload started; the fields are those of the status line (flattened, so
/// a run record's `stress` object reads as the line did), plus whether the
/// final report was seen.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StressFigures {
    #[serde(flatten)]
    pub status: Status,
    /// The final report was seen (the workload ended by itself).
    pub final_report: bool,
}

/// The first sign of corruption on the console.
#[derive(Debug, Clone)]
struct Corruption {
    /// Arrival time and console line number of the line that said so.
    at: f64,
    line: u64,
    /// The file or device, when the line named it.
    file: Option<String>,
    /// The first check that failed (`checksum`, `offset`, ...), when known.
    kind: Option<String>,
}

/// The first crash report the detector found.
#[derive(Debug, Clone)]
struct Crash {
    /// Arrival time and console line number of its first line.
    at: f64,
    line: u64,
    title: String,
    signature: String,
}

/// The longest console line kept whole; longer ones are cut (kernel lines
/// are under 1 KiB, the stress's JSON lines a few).
pub const MAX_LINE: usize = 256 * 1024;

pub struct Limits {
    pub time_limit_s: f64,
    pub heartbeat_timeout_s: f64,
    pub boot_timeout_s: f64,
}

pub struct Watcher {
    limits: Limits,
    console: Console<'static>,
    decoder: LineDecoder,
    partial: Vec<u8>,
    /// Arrival time of each complete line (index = line number - 1).
    line_times: Vec<f64>,
    first_beat: Option<f64>,
    last_beat: Option<f64>,
    heartbeats: u64,
    crash: Option<Crash>,
    findings: Vec<Finding>,
    stress: Option<StressFigures>,
    corruption: Option<Corruption>,
    /// A pretty-printed final report being put back together, line by line.
    report: Option<String>,
}

impl Watcher {
    pub fn new(limits: Limits) -> Self {
        Watcher {
            limits,
            console: Detector::shared().console(),
            decoder: LineDecoder::new(DecodeOptions::default()),
            partial: Vec::new(),
            line_times: Vec::new(),
            first_beat: None,
            last_beat: None,
            heartbeats: 0,
            crash: None,
            findings: Vec::new(),
            stress: None,
            corruption: None,
            report: None,
        }
    }

    /// The stress workload's latest figures (None: no status line, report
    /// or corruption line seen; after a corruption line alone only
    /// `verify_errors` is set).
    pub fn stress(&self) -> Option<StressFigures> {
        self.stress.clone()
    }

    /// Bytes of a console line not ended yet (at most [`MAX_LINE`]).
    pub fn pending_bytes(&self) -> usize {
        self.partial.len()
    }

    pub fn heartbeats(&self) -> u64 {
        self.heartbeats
    }

    /// Console bytes read at time `now`.
    pub fn feed(&mut self, now: f64, bytes: &[u8]) {
        self.partial.extend_from_slice(bytes);
        while let Some(nl) = self.partial.iter().position(|&b| b == b'\n') {
            let raw: Vec<u8> = self.partial.drain(..=nl).collect();
            let text = String::from_utf8_lossy(&raw);
            self.line(now, text.trim_end_matches(['\n', '\r']));
        }
        // A guest spewing bytes with no newline (a crash dumping memory to
        // the console) must not grow this without end: cut it into lines.
        while self.partial.len() > MAX_LINE {
            let raw: Vec<u8> = self.partial.drain(..MAX_LINE).collect();
            self.line(now, &String::from_utf8_lossy(&raw));
        }
    }

    fn line(&mut self, now: f64, text: &str) {
        self.line_times.push(now);
        let n = self.line_times.len() as u64;
        // The heartbeat may follow other output on the same console line
        // (kernel messages are not line-buffered with the agent's).
        if text.contains("faultline-heartbeat ") {
            self.heartbeats += 1;
            self.first_beat.get_or_insert(now);
            self.last_beat = Some(now);
        }
        // A kernel message may precede it on the same console line.
        if let Some(i) = text.find(STRESS_PREFIX) {
            self.stress_line(now, n, &text[i + STRESS_PREFIX.len()..]);
        }
        // The line as `faultline scan` would see it (printk stamp and
        // caller id read off), so a run's title is the one scan gives its
        // console.log.
        let rec = self.decoder.decode(text.as_bytes(), n);
        let context = match rec.caller_id() {
            Some(c) => Context::Caller(c),
            None if rec.uptime.is_some() => Context::Console,
            None => Context::None,
        };
        let line = Line {
            text: &rec.text,
            context,
            origin: Origin::Linux,
            time: None,
            uptime: rec.uptime,
            at: n,
        };
        self.console.push(&line, &mut self.findings);
        self.take_findings();
    }

    fn take_findings(&mut self) {
        for f in self.findings.drain(..) {
            if let Finding::Crash(r) = f
                && self.crash.is_none()
            {
                let at = self
                    .line_times
                    .get((r.start as usize).saturating_sub(1))
                    .copied()
                    .unwrap_or(0.0);
                self.crash = Some(Crash {
                    at,
                    line: r.start,
                    title: r.title.clone(),
                    signature: r.signature.clone(),
                });
            }
        }
    }

    /// One line of the stress workload (without the prefix), line `n`.
    fn stress_line(&mut self, now: f64, n: u64, payload: &str) {
        let payload = payload.trim_end();
        // The final report, pretty-printed: `{` alone, indented lines,
        // `}` alone. Other stress lines (stderr) may come in between: the
        // agent forwards stdout and stderr from two threads.
        if payload == "{" {
            self.report = Some(String::from("{"));
            return;
        }
        if let Some(buf) = self.report.as_mut()
            && (payload.starts_with(' ') || payload == "}")
        {
            buf.push('\n');
            buf.push_str(payload);
            if buf.len() > MAX_REPORT_BYTES {
                self.report = None;
            } else if payload == "}" {
                let doc = self.report.take().unwrap_or_default();
                if let Ok(v) = serde_json::from_str::<Value>(&doc) {
                    self.final_report(now, n, &v);
                }
            }
            return;
        }
        if payload.starts_with('{') {
            // Anything that is not an object of a known kind is ignored.
            let Ok(v) = serde_json::from_str::<Value>(payload) else {
                return;
            };
            if let Some(s) = v.get("status") {
                self.status(now, n, s);
            } else if let Some(c) = v.get("corruption") {
                self.corruption_line(now, n, c);
            } else if v.get("total").is_some() {
                self.final_report(now, n, &v);
            }
            return;
        }
        // Text fallbacks: the report's or stderr's summary, the live line.
        if let Some(i) = payload.find("DATA VERIFICATION FAILED: ") {
            let rest = &payload[i + "DATA VERIFICATION FAILED: ".len()..];
            let count = rest
                .split_whitespace()
                .next()
                .and_then(|w| w.parse::<u64>().ok())
                .unwrap_or(1);
            self.note_corruption(now, n, None, None, count);
        } else if let Some(rest) = payload.strip_prefix("DATA CORRUPTION at ") {
            // `... s: FILE offset N: KIND check failed ...`
            let file = rest
                .split_once(" s: ")
                .and_then(|(_, r)| r.split_once(" offset "))
                .map(|(f, _)| f.to_string());
            self.note_corruption(now, n, file, None, 1);
        }
    }

    /// A `status` object: the latest figures.
    fn status(&mut self, now: f64, n: u64, s: &Value) {
        // Both must be there: `{"status": {}}` is not a status.
        if s.get("ops").is_none() || s.get("elapsed_s").is_none() {
            return;
        }
        let Ok(mut f) = serde_json::from_value::<StressFigures>(s.clone()) else {
            return;
        };
        f.final_report = false;
        let errors = f.status.verify_errors;
        self.stress = Some(f);
        if errors > 0 {
            // The corruption line should have come first; it may have been
            // cut on the console.
            self.note_corruption(now, n, None, None, errors);
        }
    }

    /// A `corruption` object.
    fn corruption_line(&mut self, now: f64, n: u64, c: &Value) {
        if !c.is_object() {
            return;
        }
        let m = &c["mismatch"];
        let file = m["file"].as_str().map(str::to_string);
        let kind = m["kind"].as_str().map(str::to_string);
        let count = c["verify_errors"].as_u64().unwrap_or(1).max(1);
        self.note_corruption(now, n, file, kind, count);
    }

    /// The final report: its totals become the figures.
    fn final_report(&mut self, now: f64, n: u64, v: &Value) {
        let t = &v["total"];
        let (Some(elapsed_s), Some(read_ops), Some(write_ops)) = (
            t["elapsed_s"].as_f64(),
            t["read"]["ops"].as_u64(),
            t["write"]["ops"].as_u64(),
        ) else {
            return;
        };
        let last = self.stress.take().unwrap_or_default();
        let f = StressFigures {
            status: Status {
                elapsed_s,
                ops: read_ops.saturating_add(write_ops),
                bytes: t["read"]["bytes"]
                    .as_u64()
                    .unwrap_or(0)
                    .saturating_add(t["write"]["bytes"].as_u64().unwrap_or(0)),
                read_ops,
                write_ops,
                iops: t["iops"].as_f64().unwrap_or(0.0),
                mib_s: t["mib_s"].as_f64().unwrap_or(0.0),
                interval_iops: last.status.interval_iops,
                interval_mib_s: last.status.interval_mib_s,
                verify_errors: t["verify_failures"].as_u64().unwrap_or(0),
                io_errors: t["errors"].as_u64().unwrap_or(0),
            },
            final_report: true,
        };
        let errors = f.status.verify_errors;
        self.stress = Some(f);
        if errors > 0 {
            let m = &v["mismatches"][0];
            let file = m["file"]
                .as_str()
                .or_else(|| v["options"]["filename"].as_str())
                .map(str::to_string);
            let kind = m["kind"].as_str().map(str::to_string);
            self.note_corruption(now, n, file, kind, errors);
        }
    }

    /// A sign of corruption on line `n`: the first one is kept (what a
    /// later one adds, a file or a kind, fills in the gaps); the count goes
    /// into the figures.
    fn note_corruption(
        &mut self,
        now: f64,
        n: u64,
        file: Option<String>,
        kind: Option<String>,
        count: u64,
    ) {
        let f = self.stress.get_or_insert_with(StressFigures::default);
        f.status.verify_errors = f.status.verify_errors.max(count);
        match &mut self.corruption {
            Some(c) => {
                if c.file.is_none() {
                    c.file = file;
                }
                if c.kind.is_none() {
                    c.kind = kind;
                }
            }
            None => {
                self.corruption = Some(Corruption {
                    at: now,
                    line: n,
                    file,
                    kind,
                })
            }
        }
    }

    /// Closes the console (QEMU is gone): a report still open is found now.
    fn flush(&mut self, now: f64) {
        if !self.partial.is_empty() {
            let rest = std::mem::take(&mut self.partial);
            let text = String::from_utf8_lossy(&rest).into_owned();
            self.line(now, text.trim_end_matches('\r'));
        }
        self.console.finish(&mut self.findings);
        self.take_findings();
    }

    fn since_boot(&self, t: f64) -> f64 {
        self.first_beat.map_or(0.0, |b| (t - b).max(0.0))
    }

    fn verdict(&self, outcome: Outcome, t: f64, note: Option<String>) -> Verdict {
        let (title, signature) = match &self.crash {
            Some(c) => (Some(c.title.clone()), Some(c.signature.clone())),
            None => (None, None),
        };
        Verdict {
            outcome,
            time_s: self.since_boot(t),
            boot_s: self.first_beat,
            title,
            signature,
            note,
        }
    }

    fn crash_verdict(&self) -> Option<Verdict> {
        let at = self.crash.as_ref()?.at;
        Some(match self.first_beat {
            Some(b) if at >= b => self.verdict(Outcome::Crash, at, None),
            _ => self.verdict(
                Outcome::Error,
                at,
                Some("crash report before the first heartbeat (boot failed)".into()),
            ),
        })
    }

    fn corruption_verdict(&self, c: &Corruption, after: Option<String>) -> Verdict {
        let n = self
            .stress
            .as_ref()
            .map_or(1, |f| f.status.verify_errors.max(1));
        let on = c.file.as_deref().unwrap_or("the stress target");
        let mut notes = Vec::new();
        if self.first_beat.is_none_or(|b| c.at < b) {
            notes.push("found before the first heartbeat".to_string());
        }
        notes.extend(after);
        Verdict {
            outcome: Outcome::Corruption,
            time_s: self.since_boot(c.at),
            boot_s: self.first_beat,
            title: Some(format!(
                "data corruption: {n} block(s) failed verification on {on}"
            )),
            // Stable across runs (the title's count is not): the kind of
            // the first failed check.
            signature: Some(match &c.kind {
                Some(k) => format!("corruption-{k}"),
                None => "corruption".into(),
            }),
            note: (!notes.is_empty()).then(|| notes.join("; ")),
        }
    }

    /// The first of a crash report and a corruption, in console order
    /// (see the module doc). `then` notes what came after a corruption
    /// when no crash report did (QEMU's exit).
    fn failure_verdict(&self, then: Option<String>) -> Option<Verdict> {
        match (&self.crash, &self.corruption) {
            (Some(crash), Some(c)) if c.line < crash.line => {
                Some(self.corruption_verdict(c, Some(format!("then a crash: {}", crash.title))))
            }
            (Some(_), _) => self.crash_verdict(),
            (None, Some(c)) => Some(self.corruption_verdict(c, then)),
            (None, None) => None,
        }
    }

    /// Whether the run is over at `now` (QEMU still running).
    pub fn check(&self, now: f64) -> Option<Verdict> {
        if self.crash.is_none()
            && !self.console.is_idle()
            && self
                .corruption
                .as_ref()
                .is_some_and(|c| now - c.at < CORRUPTION_GRACE_S)
        {
            return None;
        }
        if let Some(v) = self.failure_verdict(None) {
            return Some(v);
        }
        let Some(first) = self.first_beat else {
            return (now >= self.limits.boot_timeout_s).then(|| {
                self.verdict(
                    Outcome::Error,
                    now,
                    Some(format!(
                        "no heartbeat within the boot timeout ({}s)",
                        self.limits.boot_timeout_s
                    )),
                )
            });
        };
        let last = self.last_beat.unwrap_or(first);
        // A freeze that began before the time limit counts even when it is
        // noticed after it.
        if now - last >= self.limits.heartbeat_timeout_s && last - first < self.limits.time_limit_s
        {
            return Some(self.verdict(
                Outcome::Freeze,
                last,
                Some(format!(
                    "no heartbeat for {:.0}s",
                    self.limits.heartbeat_timeout_s
                )),
            ));
        }
        if now - first >= self.limits.time_limit_s {
            let mut v = self.verdict(Outcome::Clean, now, None);
            v.time_s = self.limits.time_limit_s;
            return Some(v);
        }
        None
    }

    /// QEMU exited at `now` with `status` (None: killed by a signal).
    pub fn exited(&mut self, now: f64, status: Option<i32>) -> Verdict {
        self.flush(now);
        let then = match status {
            Some(1) => Some("then QEMU exited with status 1 (pvpanic: guest panicked)".into()),
            _ => None,
        };
        if let Some(v) = self.failure_verdict(then) {
            return v;
        }
        match (status, self.first_beat) {
            (Some(1), Some(_)) => self.verdict(
                Outcome::Crash,
                now,
                Some("QEMU exited with status 1 (pvpanic: guest panicked)".into()),
            ),
            (Some(1), None) => self.verdict(
                Outcome::Error,
                now,
                Some("guest panicked before the first heartbeat (boot failed)".into()),
            ),
            (s, _) => self.verdict(
                Outcome::Error,
                now,
                Some(match s {
                    Some(0) => {
                        "QEMU exited with status 0 (the guest rebooted or powered off)".into()
                    }
                    Some(c) => format!("QEMU exited with status {c}"),
                    None => "QEMU was killed by a signal".into(),
                }),
            ),
        }
    }

    /// Seconds from the first heartbeat to `now` (0 before it).
    pub fn since_first_heartbeat(&self, now: f64) -> f64 {
        self.since_boot(now)
    }

    /// The first crash report found so far: title and signature.
    pub fn crash_title(&self) -> Option<(String, String)> {
        self.crash
            .as_ref()
            .map(|c| (c.title.clone(), c.signature.clone()))
    }

    /// The run was stopped by us at `now` (after [`check`](Self::check)
    /// said it is over, or on Ctrl-C): a report still open is read.
    pub fn stopped(&mut self, now: f64) {
        self.flush(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits {
            time_limit_s: 60.0,
            heartbeat_timeout_s: 10.0,
            boot_timeout_s: 30.0,
        }
    }

    const PANIC: &str = "\
[    9.561220] sysrq: Trigger a crash\r
[    9.562012] Kernel panic - not syncing: sysrq triggered crash\r
[    9.562780] CPU: 0 PID: 101 Comm: faultline Not tainted 6.1.0-27-cloud-amd64 #1  Debian 6.1.115-1\r
[    9.563520] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014\r
[    9.564120] Call Trace:\r
[    9.564500]  <TASK>\r
[    9.564900]  dump_stack_lvl+0x44/0x5c\r
[    9.565300]  panic+0x118/0x2ed\r
[    9.565700]  sysrq_handle_crash+0x16/0x20\r
[    9.566100]  __handle_sysrq.cold+0x43/0x11b\r
[    9.566500]  write_sysrq_trigger+0x24/0x40\r
[    9.566900]  proc_reg_write+0x56/0xa0\r
[    9.567300]  vfs_write+0xc7/0x400\r
[    9.567700]  ksys_write+0x6b/0xf0\r
[    9.568100]  do_syscall_64+0x55/0xb0\r
[    9.568500]  entry_SYSCALL_64_after_hwframe+0x6e/0xd8\r
[    9.568900]  </TASK>\r
[    9.569300] Kernel Offset: 0x1e000000 from 0xffffffff81000000 (relocation range: 0xffffffff80000000-0xffffffffbfffffff)\r
";

    fn boot(w: &mut Watcher, beats: u32) {
        w.feed(
            0.5,
            b"[    0.000000] Linux version 6.1.0-27-cloud-amd64\r\n",
        );
        for i in 0..beats {
            let line = format!("faultline-heartbeat {} {}.00\r\n", i + 1, 5 + i);
            w.feed(5.0 + f64::from(i), line.as_bytes());
            assert_eq!(w.check(5.0 + f64::from(i)), None);
        }
    }

    #[test]
    fn heartbeats_then_a_panic() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 5);
        w.feed(9.5, PANIC.as_bytes());
        let v = w
            .check(9.6)
            .or_else(|| Some(w.exited(9.7, Some(1))))
            .unwrap();
        assert_eq!(v.outcome, Outcome::Crash);
        assert_eq!(
            v.title.as_deref(),
            Some("kernel panic: sysrq triggered crash")
        );
        assert!(v.signature.is_some());
        assert!((v.time_s - 4.5).abs() < 0.3, "{}", v.time_s);
        assert_eq!(v.boot_s, Some(5.0));
    }

    /// A stall report with printk stamps, as a guest console prints it:
    /// read as `faultline scan` reads the saved console.log (stamps off),
    /// so the run's title is the one scan gives.
    #[test]
    fn titles_are_the_ones_scan_gives() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(
            9.0,
            b"[  812.100001] INFO: rcu_sched self-detected stall on CPU
[  812.100002] \t1-...: (20999 ticks this GP) idle=1f3/140000000000001/0 softirq=4410/4410 fqs=5243
[  812.100003] Task dump for CPU 1:
[  812.100004] faultline       R  running task        0   131    101 0x00000008
[  812.100005] Call Trace:
[  812.100006]  <IRQ>  [<ffffffff810c5c48>] sched_show_task+0xa8/0x110
[  812.100007]  [<ffffffff8169bdcf>] smp_apic_timer_interrupt+0x3f/0x60
[  812.100008]  [<ffffffff8169a29d>] apic_timer_interrupt+0x6d/0x80
[  812.100009]  <EOI>  [<ffffffff812f4d1b>] blk_mq_queue_tag_busy_iter+0x5b/0xd0
[  812.100010]  [<ffffffff812f0e70>] blk_mq_in_flight+0x30/0x40
",
        );
        w.stopped(10.0);
        let (title, _) = w.crash_title().expect("a report");
        assert_eq!(
            title,
            "INFO: rcu detected stall in blk_mq_queue_tag_busy_iter"
        );
    }

    #[test]
    fn pvpanic_exit_without_a_report_is_a_crash() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        let v = w.exited(8.0, Some(1));
        assert_eq!(v.outcome, Outcome::Crash);
        assert_eq!(v.time_s, 3.0);
        assert_eq!(v.title, None);
    }

    #[test]
    fn heartbeats_then_silence_is_a_freeze() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 4);
        assert_eq!(w.check(17.9), None);
        let v = w.check(18.1).unwrap();
        assert_eq!(v.outcome, Outcome::Freeze);
        assert_eq!(v.time_s, 3.0); // the last heartbeat, 3 s after the first
    }

    #[test]
    fn clean_at_the_time_limit_and_boot_errors() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        for t in 8..66 {
            w.feed(
                f64::from(t),
                format!("faultline-heartbeat {t} 0\n").as_bytes(),
            );
        }
        let v = w.check(65.0).unwrap();
        assert_eq!(v.outcome, Outcome::Clean);
        assert_eq!(v.time_s, 60.0);

        let mut w = Watcher::new(limits());
        w.feed(1.0, b"booting\n");
        assert_eq!(w.check(29.0), None);
        assert_eq!(w.check(31.0).unwrap().outcome, Outcome::Error);

        let mut w = Watcher::new(limits());
        boot(&mut w, 2);
        let v = w.exited(7.0, Some(0));
        assert_eq!(v.outcome, Outcome::Error);
        assert!(v.note.unwrap().contains("status 0"));
    }
    fn status(secs: u32, ops: u64, verify: u64) -> String {
        format!(
            "faultline-stress: {{\"status\":{{\"elapsed_s\":{secs}.0,\"ops\":{ops},\"bytes\":{},\"read_ops\":{},\"write_ops\":{},\"iops\":{}.0,\"mib_s\":1.5,\"interval_iops\":900.0,\"interval_mib_s\":3.5,\"verify_errors\":{verify},\"io_errors\":0}}}}\r\n",
            ops * 4096,
            ops / 2,
            ops - ops / 2,
            ops / u64::from(secs.max(1))
        )
    }

    const CORRUPTION: &str = "faultline-stress: {\"corruption\":{\"elapsed_s\":3.2,\"verify_errors\":1,\"io_errors\":0,\"mismatch\":{\"job\":1,\"thread\":0,\"file\":\"/dev/vda\",\"offset\":20480,\"kind\":\"checksum\",\"at_s\":3.19,\"expected_generation\":4,\"found\":{\"checksum\":1,\"magic\":2,\"offset\":20480,\"generation\":4,\"seed\":3,\"job\":1,\"thread\":0,\"bs\":4096},\"computed_checksum\":5,\"first_bad_byte\":20600,\"bad_bytes\":1,\"reread\":\"bad_again\"}}}\r\n";

    /// Feeds `text` in pieces of `step` bytes, all at time `now`.
    fn feed_in_chunks(w: &mut Watcher, now: f64, text: &str, step: usize) {
        for piece in text.as_bytes().chunks(step) {
            w.feed(now, piece);
        }
    }

    #[test]
    fn status_lines_keep_the_latest_figures() {
        let mut w = Watcher::new(limits());
        assert_eq!(w.stress(), None);
        boot(&mut w, 3);
        // The first status line split across two reads of the console.
        let first = status(10, 10_000, 0);
        let (a, b) = first.split_at(first.len() / 2);
        w.feed(7.2, a.as_bytes());
        assert_eq!(w.stress(), None);
        w.feed(7.4, b.as_bytes());
        let f = w.stress().unwrap();
        assert_eq!(f.status.ops, 10_000);
        assert_eq!(f.status.elapsed_s, 10.0);
        assert_eq!((f.status.read_ops, f.status.write_ops), (5_000, 5_000));
        assert_eq!(f.status.interval_iops, 900.0);
        assert!(!f.final_report);
        // A later one in small chunks, with heartbeats around it.
        let later = format!(
            "faultline-heartbeat 4 8.00\r\n{}faultline-heartbeat 5 9.00\r\n",
            status(20, 25_000, 0)
        );
        feed_in_chunks(&mut w, 8.0, &later, 7);
        let f = w.stress().unwrap();
        assert_eq!(f.status.ops, 25_000);
        assert_eq!(f.status.bytes, 25_000 * 4096);
        assert_eq!(f.status.iops, 1250.0);
        assert_eq!(w.heartbeats(), 5);
        assert_eq!(w.check(9.0), None);
        // The figures serialise with the documented names.
        let j = serde_json::to_value(&f).unwrap();
        for key in [
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
            "final_report",
        ] {
            assert!(j.get(key).is_some(), "{key}");
        }
        let back: StressFigures = serde_json::from_value(j).unwrap();
        assert_eq!(back, f);
    }

    #[test]
    fn garbage_stress_lines_are_ignored() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 2);
        for junk in [
            "faultline-stress: {\"status\":{\"ops\":12,\r\n",
            "faultline-stress: {\"status\": 5}\r\n",
            "faultline-stress: {\"status\": {}}\r\n",
            "faultline-stress: {\"status\":{\"elapsed_s\":\"x\",\"ops\":-3}}\r\n",
            "faultline-stress: {\"corruption\": []}\r\n",
            "faultline-stress: {\"total\": {\"read\": 1}}\r\n",
            "faultline-stress: {\"something\": \"else\"}\r\n",
            "faultline-stress: {{{{{{]]]\r\n",
            "faultline-stress: \u{fffd}\u{0}\x1b[K\r\n",
            "faultline-stress: \r\n",
            "faultline-stress: DATA VERIFICATION FAILED\r\n",
            "faultline-stress: }\r\n",
            "faultline-stress:   \"indented\": true\r\n",
        ] {
            w.feed(6.5, junk.as_bytes());
        }
        // Invalid UTF-8 too.
        w.feed(6.6, b"faultline-stress: {\"status\":\xff\xfe}\r\n");
        assert_eq!(w.stress(), None);
        assert_eq!(w.check(6.7), None);
        // A status line cut by a kernel message is lost, the next one counts.
        w.feed(
            6.8,
            b"faultline-stress: {\"status\":{\"elapsed_s\":1.0,[  12.3] virtio_blk virtio1: x\r\n",
        );
        assert_eq!(w.stress(), None);
        w.feed(6.9, status(2, 100, 0).as_bytes());
        assert_eq!(w.stress().unwrap().status.ops, 100);
        // A kernel message before the prefix on the same line is fine.
        w.feed(
            7.0,
            format!("[   13.0] random: crng init done{}", status(3, 300, 0)).as_bytes(),
        );
        assert_eq!(w.stress().unwrap().status.ops, 300);
        assert_eq!(w.check(7.0), None);
    }

    #[test]
    fn a_corruption_line_is_a_failure_at_its_time() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 4);
        w.feed(8.5, status(3, 3_000, 0).as_bytes());
        feed_in_chunks(&mut w, 8.7, CORRUPTION, 50);
        let v = w.check(8.8).unwrap();
        assert_eq!(v.outcome, Outcome::Corruption);
        assert!(v.outcome.is_failure());
        assert_eq!(v.outcome.name(), "corruption");
        assert_eq!(serde_json::to_string(&v.outcome).unwrap(), "\"corruption\"");
        assert_eq!(
            v.title.as_deref(),
            Some("data corruption: 1 block(s) failed verification on /dev/vda")
        );
        assert_eq!(v.signature.as_deref(), Some("corruption-checksum"));
        assert!((v.time_s - 3.7).abs() < 1e-9, "{}", v.time_s);
        assert_eq!(v.note, None);
        let f = w.stress().unwrap();
        assert_eq!(f.status.verify_errors, 1);
        assert_eq!(f.status.ops, 3_000);
        // The count follows later lines; the time stays the first line's.
        w.feed(9.5, status(4, 4_000, 7).as_bytes());
        let v = w.check(9.6).unwrap();
        assert_eq!(
            v.title.as_deref(),
            Some("data corruption: 7 block(s) failed verification on /dev/vda")
        );
        assert!((v.time_s - 3.7).abs() < 1e-9);
    }

    #[test]
    fn a_corruption_then_a_crash_is_a_corruption() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 5);
        // Both in one read of the console: the corruption came first.
        w.feed(9.5, format!("{CORRUPTION}{PANIC}").as_bytes());
        let v = w.exited(9.7, Some(1));
        assert_eq!(v.outcome, Outcome::Corruption);
        assert_eq!(
            v.note.as_deref(),
            Some("then a crash: kernel panic: sysrq triggered crash")
        );
        assert!((v.time_s - 4.5).abs() < 1e-9);
        assert_eq!(
            w.crash_title().map(|t| t.0).as_deref(),
            Some("kernel panic: sysrq triggered crash")
        );

        // pvpanic without a report after a corruption: still the corruption.
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(7.5, CORRUPTION.as_bytes());
        let v = w.exited(8.0, Some(1));
        assert_eq!(v.outcome, Outcome::Corruption);
        assert!(v.note.unwrap().contains("status 1"));

        // A corruption seen after the heartbeat stopped is still one.
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(12.0, CORRUPTION.as_bytes());
        assert_eq!(w.check(30.0).unwrap().outcome, Outcome::Corruption);
    }

    #[test]
    fn a_crash_then_a_corruption_is_a_crash() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 5);
        let (head, tail) = PANIC.split_at(PANIC.find("Call Trace").unwrap());
        w.feed(9.5, head.as_bytes());
        w.feed(9.6, CORRUPTION.as_bytes());
        w.feed(9.6, tail.as_bytes());
        // The report is still open: the corruption waits for it.
        assert_eq!(w.check(9.7), None);
        let v = w.exited(9.8, Some(1));
        assert_eq!(v.outcome, Outcome::Crash);
        assert_eq!(
            v.title.as_deref(),
            Some("kernel panic: sysrq triggered crash")
        );
        // The figures still say what the workload saw.
        assert_eq!(w.stress().unwrap().status.verify_errors, 1);

        // A report that stays open (the guest went silent) holds the
        // corruption for the grace period only, and freezes and the time
        // limit with it.
        let mut w = Watcher::new(limits());
        boot(&mut w, 5);
        w.feed(9.5, head.as_bytes());
        w.feed(9.6, CORRUPTION.as_bytes());
        assert_eq!(w.check(9.6 + CORRUPTION_GRACE_S - 0.1), None);
        let v = w.check(9.6 + CORRUPTION_GRACE_S).unwrap();
        assert_eq!(v.outcome, Outcome::Corruption);
        assert!((v.time_s - 4.6).abs() < 1e-9);
    }

    /// The report as `faultline stress --json` prints it (pretty), cut to
    /// what the watcher reads, one console line per line.
    fn final_report(verify: u64) -> String {
        let mismatches = if verify > 0 {
            "[\n    {\n      \"file\": \"/dev/vda\",\n      \"offset\": 4096,\n      \"kind\": \"generation\"\n    }\n  ]"
        } else {
            "[]"
        };
        let doc = format!(
            "{{\n  \"options\": {{\n    \"filename\": \"/dev/vda\"\n  }},\n  \"elapsed_s\": 30.0,\n  \"total\": {{\n    \"elapsed_s\": 30.0,\n    \"read\": {{\n      \"ops\": 600,\n      \"bytes\": 2457600\n    }},\n    \"write\": {{\n      \"ops\": 400,\n      \"bytes\": 1638400\n    }},\n    \"iops\": 33.3,\n    \"mib_s\": 0.13,\n    \"errors\": 2,\n    \"verify_failures\": {verify}\n  }},\n  \"mismatches\": {mismatches},\n  \"exit_code\": 0\n}}\n"
        );
        doc.lines()
            .map(|l| format!("faultline-stress: {l}\r\n"))
            .collect()
    }

    #[test]
    fn the_final_report_is_put_back_together() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(7.5, status(20, 500, 0).as_bytes());
        // With a heartbeat and a stderr line in the middle of it.
        let mut text = final_report(0);
        let at = text.find("faultline-stress:     \"read\"").unwrap();
        text.insert_str(
            at,
            "faultline-heartbeat 4 8.00\r\nfaultline-stress: faultline: stress: note\r\n",
        );
        feed_in_chunks(&mut w, 8.0, &text, 13);
        let f = w.stress().unwrap();
        assert!(f.final_report);
        assert_eq!(
            (f.status.ops, f.status.read_ops, f.status.write_ops),
            (1000, 600, 400)
        );
        assert_eq!(f.status.bytes, 4_096_000);
        assert_eq!(f.status.io_errors, 2);
        assert_eq!(
            f.status.interval_iops, 900.0,
            "kept from the last status line"
        );
        assert_eq!(w.heartbeats(), 4);
        assert_eq!(w.check(8.1), None);

        // One with verification failures and no live line before it.
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        feed_in_chunks(&mut w, 8.0, &final_report(3), 64);
        let v = w.check(8.1).unwrap();
        assert_eq!(v.outcome, Outcome::Corruption);
        assert_eq!(
            v.title.as_deref(),
            Some("data corruption: 3 block(s) failed verification on /dev/vda")
        );
        assert_eq!(v.signature.as_deref(), Some("corruption-generation"));
        assert!(w.stress().unwrap().final_report);

        // A report that never ends (the guest died while printing it).
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        let text = final_report(3);
        w.feed(8.0, &text.as_bytes()[..text.len() / 2]);
        let v = w.exited(8.5, Some(0));
        assert_eq!(v.outcome, Outcome::Error);
        assert_eq!(w.stress(), None);
    }

    #[test]
    fn text_fallbacks_are_corruption_too() {
        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(
            7.5,
            b"faultline-stress: faultline: stress: DATA VERIFICATION FAILED: 2 block read(s) differ from what was written\r\n",
        );
        let v = w.check(7.6).unwrap();
        assert_eq!(v.outcome, Outcome::Corruption);
        assert_eq!(
            v.title.as_deref(),
            Some("data corruption: 2 block(s) failed verification on the stress target")
        );

        let mut w = Watcher::new(limits());
        boot(&mut w, 3);
        w.feed(
            7.5,
            b"faultline-stress: DATA CORRUPTION at 1.2 s: /dev/vda offset 20480: checksum check failed (re-read: bad_again), job 0 thread 0; 1 verification failure(s) so far\r\n",
        );
        let v = w.check(7.6).unwrap();
        assert_eq!(
            v.title.as_deref(),
            Some("data corruption: 1 block(s) failed verification on /dev/vda")
        );
    }
}
