//! A crash report: what a block of console lines says, once the console
//! has decided where the report starts and ends.

use std::sync::OnceLock;

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::frames;
use crate::oops::{BARE_MIN_FRAMES, FAMILIES, Format};
use crate::{Detector, title};

pub(crate) use crate::frames::is_questionable;

/// The fixed vocabulary of report kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReportKind {
    /// `Kernel panic - not syncing: ...` with no oops before it.
    Panic,
    /// A CPU exception in the kernel: bad paging request, NULL pointer,
    /// divide error, invalid opcode, double fault, arm `Internal error`.
    Oops,
    /// `BUG:` and `kernel BUG at`: the kernel caught its own inconsistency.
    Bug,
    /// General protection (or stack segment) fault.
    Gpf,
    /// `WARNING:` including lockdep's deadlock reports.
    Warning,
    SoftLockup,
    HardLockup,
    HungTask,
    RcuStall,
    /// Memory sanitizers: KASAN, KMSAN, KFENCE.
    Kasan,
    Ubsan,
    ListCorruption,
    /// Anything else: memory leaks, data races, a bare stack trace.
    Other,
}

impl ReportKind {
    pub const ALL: [ReportKind; 13] = [
        ReportKind::Panic,
        ReportKind::Oops,
        ReportKind::Bug,
        ReportKind::Gpf,
        ReportKind::Warning,
        ReportKind::SoftLockup,
        ReportKind::HardLockup,
        ReportKind::HungTask,
        ReportKind::RcuStall,
        ReportKind::Kasan,
        ReportKind::Ubsan,
        ReportKind::ListCorruption,
        ReportKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Panic => "panic",
            ReportKind::Oops => "oops",
            ReportKind::Bug => "bug",
            ReportKind::Gpf => "gpf",
            ReportKind::Warning => "warning",
            ReportKind::SoftLockup => "soft_lockup",
            ReportKind::HardLockup => "hard_lockup",
            ReportKind::HungTask => "hung_task",
            ReportKind::RcuStall => "rcu_stall",
            ReportKind::Kasan => "kasan",
            ReportKind::Ubsan => "ubsan",
            ReportKind::ListCorruption => "list_corruption",
            ReportKind::Other => "other",
        }
    }
}

/// One kernel crash report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CrashReport {
    pub kind: ReportKind,
    /// syzkaller-style title, e.g. `general protection fault in list_del`.
    pub title: String,
    /// The guilty function, when the title names one.
    pub frame: Option<String>,
    /// The stack frames of the report, normalised.
    pub frames: Vec<String>,
    /// Truncated, intermixed or missing its stack.
    pub corrupted: bool,
    pub corrupted_reason: Option<String>,
    /// Kernel release as printed (`2.6.18-128.7.1.el5`).
    pub kernel: Option<String>,
    /// Taint flags as letters (`GW`); empty for "Not tainted"; None when
    /// the report does not say.
    pub taint: Option<String>,
    pub comm: Option<String>,
    pub pid: Option<u32>,
    /// Stable hash of the title and the top frames, for grouping.
    pub signature: String,
    /// The report lines as logged.
    pub text: String,
    /// Caller's tags of the first and last line (see `Line::at`); the
    /// caller turns them into file positions.
    #[serde(skip)]
    pub start: u64,
    #[serde(skip)]
    pub end: u64,
}

/// The lines a console collected for one report.
pub(crate) struct Block<'a> {
    pub family: usize,
    pub prefix: &'a [String],
    pub lines: &'a [String],
    pub raw: &'a [String],
    pub start: u64,
    pub end: u64,
}

struct Description {
    title: String,
    corrupted: Option<String>,
    format: Option<&'static Format>,
}

pub(crate) fn analyze(det: &Detector, b: &Block<'_>) -> Option<CrashReport> {
    let family = &FAMILIES[b.family];
    let body = join(b.lines);
    let with_prefix = if b.prefix.is_empty() {
        body.clone()
    } else {
        let mut s = join(b.prefix);
        s.push_str(&body);
        s
    };
    let mut d = describe(det, b.family, &with_prefix);
    if d.title.is_empty() && !b.prefix.is_empty() {
        d = describe(det, b.family, &body);
    }
    if d.title.is_empty() {
        return None;
    }
    let title = title::normalise(&d.title);
    if title.is_empty() {
        return None;
    }
    let mut corrupted = d.corrupted;
    if corrupted.is_none() {
        corrupted = check_corrupted(det, &title, &body, d.format);
    }
    let kind = d.format.map_or(family.kind, |f| f.kind);
    let raw = join(b.raw);
    let frames = frames::all_frames(&raw);
    if family.bare && frames.len() < BARE_MIN_FRAMES {
        return None;
    }
    let meta = metadata(&raw);
    let frame = guilty_from_title(&title);
    let signature = signature(&title, &frames);
    Some(CrashReport {
        kind,
        title,
        frame,
        frames,
        corrupted: corrupted.is_some(),
        corrupted_reason: corrupted,
        kernel: meta.kernel,
        taint: meta.taint,
        comm: meta.comm,
        pid: meta.pid,
        signature,
        text: raw.trim_end().to_string(),
        start: b.start,
        end: b.end,
    })
}

fn join(lines: &[String]) -> String {
    let mut s = String::with_capacity(lines.iter().map(|l| l.len() + 1).sum());
    for l in lines {
        s.push_str(l);
        s.push('\n');
    }
    s
}

/// Tries the family's formats; the one whose title matches earliest in
/// the text wins (the first in table order on a tie).
fn describe(det: &Detector, family_idx: usize, text: &str) -> Description {
    let family = &FAMILIES[family_idx];
    let mut best_pos = usize::MAX;
    let mut desc = String::new();
    let mut corrupted = None;
    let mut chosen: Option<&'static Format> = None;
    let mut matched_title = false;
    for (i, f) in family.formats.iter().enumerate() {
        let rx = det.oops.format_regexes(family_idx, i);
        let Some(tm) = rx.title(f).captures(text) else {
            continue;
        };
        let pos = tm.get(0).expect("whole match").start();
        if pos > best_pos || (pos == best_pos && !desc.is_empty()) {
            continue;
        }
        if pos < best_pos {
            desc.clear();
            chosen = None;
            best_pos = pos;
        }
        matched_title = true;
        let caps = match rx.report(f) {
            Some(re) => match re.captures(text) {
                Some(c) => c,
                None => continue,
            },
            None => tm,
        };
        // Frames are looked for from the title on: a report pattern may
        // name what comes after the stack (Xen prints its panic reason last).
        let from = caps.get(0).expect("whole match").start().min(pos);
        let mut args: Vec<String> = caps
            .iter()
            .skip(1)
            .map(|m| m.map_or(String::new(), |m| m.as_str().to_string()))
            .collect();
        corrupted = None;
        if let Some(stack) = &f.stack {
            let skip = rx.skip(stack);
            let parts = rx.parts(stack.parts, false);
            let (mut found, mut ok) = frames::extract(
                &text[from..],
                stack,
                stack.parts,
                parts,
                skip,
                &det.oops.stack_starts,
            );
            if !ok && !stack.parts2.is_empty() {
                let parts2 = rx.parts(stack.parts2, true);
                (found, ok) = frames::extract(
                    &text[from..],
                    stack,
                    stack.parts2,
                    parts2,
                    skip,
                    &det.oops.stack_starts,
                );
            }
            if !ok {
                corrupted = Some("extracted no frames".to_string());
            }
            args.extend(found);
        }
        desc = render(f.fmt, &args);
        chosen = Some(f);
    }
    if desc.is_empty() {
        if matched_title {
            corrupted = Some("matched title but not report regexp".to_string());
        }
        // No format fits: the header line itself is the title.
        if let Some((pos, _)) = family
            .headers
            .iter()
            .filter_map(|h| text.find(h).map(|p| (p, h)))
            .min()
        {
            let end = text[pos..].find('\n').map_or(text.len(), |e| pos + e);
            desc = text[pos..end].to_string();
        }
    }
    if corrupted.is_none() && chosen.is_some_and(|f| f.corrupted) {
        corrupted = Some("report format is marked as corrupted".to_string());
    }
    Description {
        title: desc,
        corrupted,
        format: chosen,
    }
}

/// Fills `{1}`, `{2}`, ... from `args`.
fn render(fmt: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(fmt.len() + 32);
    let mut rest = fmt;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) if after[..close].bytes().all(|b| b.is_ascii_digit()) && close > 0 => {
                let n: usize = after[..close].parse().unwrap_or(0);
                if let Some(a) = n.checked_sub(1).and_then(|i| args.get(i)) {
                    out.push_str(a);
                }
                rest = &after[close + 1..];
            }
            _ => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn check_corrupted(
    det: &Detector,
    title: &str,
    report: &str,
    format: Option<&Format>,
) -> Option<String> {
    static STAMP: OnceLock<Regex> = OnceLock::new();
    let stamp = STAMP.get_or_init(|| Regex::new(r"\[ *[0-9]+\.[0-9]+\]").expect("stamp"));
    if stamp.is_match(title) {
        return Some("title matches corrupted regexp".into());
    }
    let format = format?;
    if format.no_stack_trace {
        return None;
    }
    if !report.contains("Call Trace")
        && !report.contains("Call trace")
        && !report.contains("backtrace")
    {
        return Some("no stack trace in report".into());
    }
    // Every stack heading must be followed by at least one frame.
    for key in &det.oops.stack_starts {
        let Some(m) = key.find(report) else { continue };
        let after: Vec<&str> = report[m.start()..].split('\n').collect();
        if after.len() < 4 {
            return Some("call trace is missed".into());
        }
        let mut found = false;
        for ln in after.iter().skip(1).take(15) {
            if det.oops.stack_starts.iter().any(|k| k.is_match(ln)) {
                found = true;
                break;
            }
            if ln.contains("(stack is not available)") || frames::is_stack_frame(ln) {
                found = true;
                break;
            }
        }
        if !found {
            return Some("no frames in a stack trace".into());
        }
    }
    None
}

fn guilty_from_title(title: &str) -> Option<String> {
    let (_, after) = title.rsplit_once(" in ")?;
    let name: String = after
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect();
    if name.is_empty() || name == "corrupted" {
        None
    } else {
        Some(name)
    }
}

#[derive(Default)]
struct Metadata {
    kernel: Option<String>,
    taint: Option<String>,
    comm: Option<String>,
    pid: Option<u32>,
}

fn metadata(text: &str) -> Metadata {
    static RE: OnceLock<[Regex; 3]> = OnceLock::new();
    let [modern, old, old_version] = RE.get_or_init(|| {
        [
            // CPU: 1 PID: 8377 Comm: syz-executor6 Not tainted 4.12.0-rc7+ #2
            // CPU: 0 UID: 0 PID: 298 Comm: x Tainted: G        W  6.12.23 #0
            Regex::new(r"CPU: *[0-9]+ (?:UID: [0-9]+ )?PID: *([0-9]+) Comm: (.+?) (Not tainted|Tainted: ([A-Z ]*?)) +([0-9]+\.[0-9]+\S*)").expect("meta"),
            // Pid: 0, comm: swapper Not tainted 2.6.18-128.7.1.el5 #1
            Regex::new(r"Pid: *([0-9]+), comm: *(\S+)\s+(Not tainted|Tainted: ([A-Z ]*?))\s+([0-9]+\.[0-9]+\S*)").expect("meta"),
            // 2.6.9 i386: EFLAGS: 00010046   (2.6.9-89.0.9.ELsmp)
            Regex::new(r"EFLAGS: [0-9a-f]+ +\(([0-9]+\.[0-9]+\.[0-9]+\S*)\)").expect("meta"),
        ]
    });
    let mut m = Metadata::default();
    if let Some(c) = modern.captures(text).or_else(|| old.captures(text)) {
        m.pid = c.get(1).and_then(|p| p.as_str().parse().ok());
        m.comm = c.get(2).map(|s| s.as_str().to_string());
        m.taint = Some(
            c.get(4)
                .map_or(String::new(), |t| t.as_str().split_whitespace().collect()),
        );
        m.kernel = c.get(5).map(|s| s.as_str().to_string());
    }
    if m.kernel.is_none()
        && let Some(c) = old_version.captures(text)
    {
        m.kernel = Some(c[1].to_string());
    }
    if m.comm.is_none() {
        // 2.6 i386: Process swapper (pid: 0, threadinfo=c03ed000 task=f7f2f0b0)
        static PROCESS: OnceLock<Regex> = OnceLock::new();
        let p =
            PROCESS.get_or_init(|| Regex::new(r"Process (\S+) \(pid: ([0-9]+),").expect("process"));
        if let Some(c) = p.captures(text) {
            m.comm = Some(c[1].to_string());
            m.pid = c[2].parse().ok();
        }
    }
    if m.taint.is_none() && text.contains("Not tainted") {
        m.taint = Some(String::new());
    }
    if m.taint.is_none() {
        static TAINT: OnceLock<Regex> = OnceLock::new();
        let t = TAINT.get_or_init(|| Regex::new(r"Tainted: ([A-Z]+(?: [A-Z]+)*)").expect("taint"));
        if let Some(c) = t.captures(text) {
            m.taint = Some(c[1].split_whitespace().collect());
        }
    }
    m
}

/// FNV-1a over the title and up to three top frames that are not generic
/// machinery: stable across runs, platforms and versions of this program.
fn signature(title: &str, frames: &[String]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    };
    feed(title.as_bytes());
    for f in frames.iter().filter(|f| !frames::is_generic(f)).take(3) {
        feed(f.as_bytes());
    }
    format!("{h:016x}")
}
