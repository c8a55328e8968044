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
//! - `clean`: the time limit was reached without a failure (censored);
//! - `error`: no heartbeat within the boot timeout, a crash before the first
//!   heartbeat, or QEMU exiting any other way.

use faultline_detect::{Console, Detector, Finding, Line};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Crash,
    Freeze,
    Clean,
    Aborted,
    Error,
}

impl Outcome {
    pub fn name(self) -> &'static str {
        match self {
            Outcome::Crash => "crash",
            Outcome::Freeze => "freeze",
            Outcome::Clean => "clean",
            Outcome::Aborted => "aborted",
            Outcome::Error => "error",
        }
    }

    /// A failure for the statistics (crash or freeze).
    pub fn is_failure(self) -> bool {
        matches!(self, Outcome::Crash | Outcome::Freeze)
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

pub struct Limits {
    pub time_limit_s: f64,
    pub heartbeat_timeout_s: f64,
    pub boot_timeout_s: f64,
}

pub struct Watcher {
    limits: Limits,
    console: Console<'static>,
    partial: Vec<u8>,
    /// Arrival time of each complete line (index = line number - 1).
    line_times: Vec<f64>,
    first_beat: Option<f64>,
    last_beat: Option<f64>,
    heartbeats: u64,
    crash: Option<(f64, String, String)>,
    findings: Vec<Finding>,
}

impl Watcher {
    pub fn new(limits: Limits) -> Self {
        Watcher {
            limits,
            console: Detector::shared().console(),
            partial: Vec::new(),
            line_times: Vec::new(),
            first_beat: None,
            last_beat: None,
            heartbeats: 0,
            crash: None,
            findings: Vec::new(),
        }
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
        self.console
            .push(&Line::from_console_text(text, n), &mut self.findings);
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
                self.crash = Some((at, r.title.clone(), r.signature.clone()));
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
            Some((_, title, sig)) => (Some(title.clone()), Some(sig.clone())),
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
        let (at, ..) = self.crash.as_ref()?;
        Some(match self.first_beat {
            Some(b) if *at >= b => self.verdict(Outcome::Crash, *at, None),
            _ => self.verdict(
                Outcome::Error,
                *at,
                Some("crash report before the first heartbeat (boot failed)".into()),
            ),
        })
    }

    /// Whether the run is over at `now` (QEMU still running).
    pub fn check(&self, now: f64) -> Option<Verdict> {
        if let Some(v) = self.crash_verdict() {
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
        if let Some(v) = self.crash_verdict() {
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
        self.crash.as_ref().map(|(_, t, s)| (t.clone(), s.clone()))
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
}
