//! The streaming state of one machine's console: which reports are open,
//! which lines belong to them, and when they end.

use std::collections::VecDeque;

use crate::frames;
use crate::oops::{FAMILIES, INFO_WINDOW};
use crate::report::{self, Block, CrashReport};
use crate::{Detector, NotableEvent};

/// Who printed a line, as far as the console says.
///
/// Kernels built with `CONFIG_PRINTK_CALLER` tag each line with the task
/// (`T123`) or CPU (`C1`) that printed it; lines of two CPUs spliced into
/// each other can then be told apart. Without a printk stamp at all a line
/// is `None` (user-space output, continuation lines); with a stamp but no
/// caller id it is `Console`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context<'a> {
    None,
    Console,
    Caller(&'a str),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum OwnedContext {
    None,
    Console,
    Task(String),
    Cpu(String),
}

impl OwnedContext {
    fn from(c: Context<'_>) -> Self {
        match c {
            Context::None => OwnedContext::None,
            Context::Console => OwnedContext::Console,
            Context::Caller(id) if id.starts_with('C') => OwnedContext::Cpu(id.to_string()),
            Context::Caller(id) => OwnedContext::Task(id.to_string()),
        }
    }

    fn same(&self, c: Context<'_>) -> bool {
        match (self, c) {
            (OwnedContext::None, Context::None) => true,
            (OwnedContext::Console, Context::Console) => true,
            (OwnedContext::Task(a) | OwnedContext::Cpu(a), Context::Caller(b)) => a == b,
            _ => false,
        }
    }

    fn has_stamp(&self) -> bool {
        !matches!(self, OwnedContext::None)
    }
}

/// Who wrote a line. Each is searched for its own crash formats only:
/// vmkernel says `WARNING: NFS: ...` for what Linux would call a notable
/// event, and the Xen hypervisor and vmkernel have panics of their own.
/// User-space programs are searched for notable events only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A Linux kernel, or text that may be one (a console capture).
    Linux,
    /// VMware ESX/ESXi vmkernel.
    Vmkernel,
    /// The Xen hypervisor (`xl dmesg`).
    Xen,
    /// A user-space program logging through syslog.
    Program,
}

/// One line of console text, its printk stamps and syslog header already
/// removed by the reader.
#[derive(Debug, Clone, Copy)]
pub struct Line<'a> {
    pub text: &'a str,
    pub context: Context<'a>,
    pub origin: Origin,
    /// Wall time of the line, seconds since the Unix epoch, when known.
    pub time: Option<f64>,
    /// Seconds since boot, when known.
    pub uptime: Option<f64>,
    /// The caller's tag for this line (a line number, an index into its
    /// own table), increasing from line to line; handed back in the
    /// findings so the caller can attach file, line, machine and time.
    pub at: u64,
}

impl<'a> Line<'a> {
    /// A line of plain text with no printk stamp.
    pub fn from_console_text(text: &'a str, at: u64) -> Self {
        Line {
            text,
            context: Context::None,
            origin: Origin::Linux,
            time: None,
            uptime: None,
            at,
        }
    }
}

/// What a console hands back.
#[derive(Debug, Clone)]
pub enum Finding {
    Crash(Box<CrashReport>),
    Event(NotableEvent),
}

/// Lines kept before a report header: kernel lines just before an oops
/// often carry the "cut here" marker and the first half of a split message.
const RING: usize = 50;
/// A report that never ends (a hung machine printing forever) is cut here.
const MAX_REPORT_LINES: usize = 1000;
/// The kernel prints a report in one burst: a line stamped this many
/// seconds after the report's first line belongs to something else.
pub const REPORT_SPAN_SECS: f64 = 10.0;
/// Lines a report keeps after `---[ end trace`: the panic, the kernel
/// offset and `---[ end Kernel panic` follow within a few lines.
const TAIL_LINES: usize = 8;
/// Ring lines taken into a report in plain console context, and in task context.
const PREFIX_CONSOLE: usize = 5;
const PREFIX_TASK: usize = 50;

struct Pending {
    family: usize,
    context: OwnedContext,
    start: u64,
    end: u64,
    prefix: Vec<String>,
    lines: Vec<String>,
    raw: Vec<String>,
    seen: usize,
    /// Lines left before the report ends, once `---[ end trace` was seen.
    tail: Option<usize>,
    start_time: Option<f64>,
    start_uptime: Option<f64>,
    text_lines: usize,
    skip_rest: bool,
    cpu_traceback: bool,
}

impl Pending {
    fn owns(&self, c: Context<'_>) -> bool {
        match &self.context {
            OwnedContext::Task(_) if self.cpu_traceback => {
                self.context.same(c) || matches!(c, Context::Caller(id) if id.starts_with('C'))
            }
            ctx => ctx.same(c),
        }
    }
}

pub struct Console<'d> {
    det: &'d Detector,
    ring: VecDeque<(String, OwnedContext, bool)>,
    open: Vec<Pending>,
    /// Where the last message that dumps a stack on purpose was seen.
    info_at: Option<u64>,
}

impl<'d> Console<'d> {
    pub(crate) fn new(det: &'d Detector) -> Self {
        Console {
            det,
            ring: VecDeque::with_capacity(RING),
            open: Vec::new(),
            info_at: None,
        }
    }

    /// True when no report is open: a line without any marker can then be
    /// skipped without being fed.
    pub fn is_idle(&self) -> bool {
        self.open.is_empty()
    }

    /// Feeds one line; findings that complete are pushed to `out`.
    pub fn push(&mut self, line: &Line<'_>, out: &mut Vec<Finding>) {
        let text = line.text;
        self.expire(line, out);
        if text.starts_with("** replaying previous printk message **") {
            // printk cut the previous line short and prints it again whole:
            // a report opened by the cut line is opened again by the replay.
            if let Some(i) = self
                .open
                .iter()
                .position(|p| p.seen <= 1 && p.raw.len() == 1)
            {
                self.open.swap_remove(i);
            }
            return;
        }
        let may_match = self.det.marker_finder().is_match(text);
        if may_match && let Some(ev) = self.det.events.find(text) {
            out.push(Finding::Event(NotableEvent {
                kind: ev.kind,
                rule: ev.rule,
                template: ev.template,
                message: text.to_string(),
                at: line.at,
            }));
        }
        if line.origin == Origin::Program {
            return;
        }
        let header = if may_match {
            self.det.oops.match_header(text, line.origin)
        } else {
            None
        };
        if may_match && self.det.oops.prints_stack_on_purpose(text) {
            self.info_at = Some(line.at);
        }
        let owner = self.open.iter().position(|p| p.owns(line.context));
        // A headerless trace only opens a report where nothing explains it.
        let explained = self
            .info_at
            .is_some_and(|at| line.at.saturating_sub(at) <= INFO_WINDOW);
        let header = header.filter(|&f| {
            !FAMILIES[f].bare || owner.is_some() || (frames::is_trace_start(text) && !explained)
        });
        match (header, owner) {
            (Some(family), owner) => match owner {
                Some(i) if self.det.oops.continues_report(text, self.open[i].seen) => {
                    self.append(i, line)
                }
                Some(i) => {
                    let done = self.open.swap_remove(i);
                    self.emit(done, out);
                    self.start(family, line);
                }
                None => self.start(family, line),
            },
            (None, Some(i)) => {
                if self.det.oops.ends_report(text) && !self.open[i].context.is_caller() {
                    let done = self.open.swap_remove(i);
                    self.emit(done, out);
                } else {
                    self.append(i, line);
                    let p = &mut self.open[i];
                    if let Some(left) = p.tail.as_mut() {
                        *left = left.saturating_sub(1);
                    } else if text.contains("---[ end trace") {
                        p.tail = Some(TAIL_LINES);
                    }
                    if self.det.oops.closes_report(text) || p.tail == Some(0) {
                        let done = self.open.swap_remove(i);
                        self.emit(done, out);
                    }
                }
            }
            (None, None) => {}
        }
        // Reports of other contexts still count lines, so none stays open forever.
        let mut i = 0;
        while i < self.open.len() {
            self.open[i].seen += 1;
            if self.open[i].seen > MAX_REPORT_LINES {
                let done = self.open.swap_remove(i);
                self.emit(done, out);
            } else {
                i += 1;
            }
        }
        self.remember(line);
    }

    /// Ends reports that the line's stamps show to be over: its clock is
    /// more than [`REPORT_SPAN_SECS`] past their start, or went back (a
    /// reboot).
    fn expire(&mut self, line: &Line<'_>, out: &mut Vec<Finding>) {
        if self.open.is_empty() {
            return;
        }
        let over = |p: &Pending| match (p.start_uptime, line.uptime, p.start_time, line.time) {
            (Some(a), Some(b), _, _) => b - a > REPORT_SPAN_SECS || b + 1.0 < a,
            (_, _, Some(a), Some(b)) => (b - a).abs() > REPORT_SPAN_SECS,
            _ => false,
        };
        self.close_where(over, out);
    }

    /// Tells the console the wall time elsewhere in the log (another
    /// machine's lines): reports that started longer than
    /// [`REPORT_SPAN_SECS`] ago are over, even if this machine went silent
    /// (as a crashed machine does).
    pub fn tick(&mut self, time: f64, out: &mut Vec<Finding>) {
        self.close_where(
            |p| p.start_time.is_some_and(|a| time - a > REPORT_SPAN_SECS),
            out,
        );
    }

    /// Ends every open report now (the caller knows the stream moved on).
    pub fn close_open(&mut self, out: &mut Vec<Finding>) {
        self.close_where(|_| true, out);
    }

    fn close_where(&mut self, over: impl Fn(&Pending) -> bool, out: &mut Vec<Finding>) {
        let mut done: Vec<Pending> = Vec::new();
        let mut i = 0;
        while i < self.open.len() {
            if over(&self.open[i]) {
                done.push(self.open.swap_remove(i));
            } else {
                i += 1;
            }
        }
        done.sort_by_key(|p| p.start);
        for p in done {
            self.emit(p, out);
        }
    }

    /// Tells the console that lines were skipped: the lines it remembers
    /// no longer come just before the next one.
    pub fn gap(&mut self) {
        self.ring.clear();
    }

    /// Ends the stream: open reports are completed.
    pub fn finish(&mut self, out: &mut Vec<Finding>) {
        let mut open = std::mem::take(&mut self.open);
        open.sort_by_key(|p| p.start);
        for p in open {
            self.emit(p, out);
        }
        self.ring.clear();
    }

    fn remember(&mut self, line: &Line<'_>) {
        let questionable = report::is_questionable(line.text);
        if self.ring.len() == RING {
            let (mut s, _, _) = self.ring.pop_front().expect("ring is full");
            s.clear();
            s.push_str(line.text);
            self.ring
                .push_back((s, OwnedContext::from(line.context), questionable));
        } else {
            self.ring.push_back((
                line.text.to_string(),
                OwnedContext::from(line.context),
                questionable,
            ));
        }
    }

    fn start(&mut self, family: usize, line: &Line<'_>) {
        let context = OwnedContext::from(line.context);
        let max_prefix = if matches!(context, OwnedContext::Task(_)) {
            PREFIX_TASK
        } else {
            PREFIX_CONSOLE
        };
        let mut prefix: Vec<String> = self
            .ring
            .iter()
            .rev()
            .filter(|(text, ctx, questionable)| {
                *ctx == context && !text.trim().is_empty() && !*questionable
            })
            .take(max_prefix)
            .map(|(text, _, _)| text.clone())
            .collect();
        prefix.reverse();
        self.open.push(Pending {
            family,
            context,
            start: line.at,
            end: line.at,
            prefix,
            lines: vec![line.text.to_string()],
            raw: vec![line.text.to_string()],
            seen: 0,
            tail: None,
            start_time: line.time,
            start_uptime: line.uptime,
            text_lines: 1,
            skip_rest: false,
            cpu_traceback: false,
        });
    }

    fn append(&mut self, i: usize, line: &Line<'_>) {
        let p = &mut self.open[i];
        p.end = line.at;
        p.raw.push(line.text.to_string());
        let text = line.text;
        // Unreliable `? func+0x` frames only add noise to titles.
        if p.context.has_stamp() && report::is_questionable(text) {
            return;
        }
        p.text_lines += 1;
        let mut skip = p.skip_rest;
        if text.contains("Disabling lock debugging due to kernel taint") {
            skip = true;
        } else if text.contains("Sending NMI from CPU") {
            p.cpu_traceback = true;
        } else if p.text_lines > 22
            && (text.contains("Kernel panic - not syncing")
                || text.contains("WARNING: possible circular locking dependency detected"))
        {
            // The panic that panic_on_warn adds repeats the stack we already have.
            p.skip_rest = true;
            skip = true;
        }
        if !skip {
            p.lines.push(text.to_string());
        }
    }

    fn emit(&self, p: Pending, out: &mut Vec<Finding>) {
        let block = Block {
            family: p.family,
            prefix: &p.prefix,
            lines: &p.lines,
            raw: &p.raw,
            start: p.start,
            end: p.end,
        };
        if let Some(rep) = report::analyze(self.det, &block) {
            out.push(Finding::Crash(Box::new(rep)));
        }
    }
}

impl OwnedContext {
    /// Reports of a task keep going past another task's oops (syzkaller's
    /// rule): only plain console reports end at foreign stack-bearing messages.
    fn is_caller(&self) -> bool {
        matches!(self, OwnedContext::Task(_) | OwnedContext::Cpu(_))
    }
}
