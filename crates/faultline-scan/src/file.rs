//! Scanning one input: chunked reading, the marker fast path, and one
//! detector console per machine.

use std::collections::HashMap;
use std::io::{self, Read};

use faultline_detect::{Console, Context, Detector, Finding, Line, Origin};
use faultline_read::{DecodeOptions, LineDecoder, Record, Shape, Source, Timestamp};

use crate::{FileSummary, FoundEvent, FoundReport, ScanOptions};

/// Bytes read at a time. Large enough that the multi-literal search runs
/// at full speed, small enough to stay in cache-friendly territory.
const CHUNK: usize = 4 << 20;
/// A line longer than this is cut: what follows up to its newline is dropped.
const MAX_LINE: usize = 16 << 20;
/// Lines fed before a marker line, so a report sees what preceded it.
const CONTEXT_LINES: usize = 6;
/// Line stamps are kept this many lines back (reports are shorter).
const STAMP_WINDOW: u64 = 4096;

pub struct FileScan {
    pub reports: Vec<FoundReport>,
    pub events: Vec<FoundEvent>,
    pub summary: FileSummary,
}

impl FileScan {
    pub(crate) fn failed(path: String, error: String) -> FileScan {
        FileScan {
            reports: Vec::new(),
            events: Vec::new(),
            summary: FileSummary {
                path,
                compression: "none",
                bytes: 0,
                lines: 0,
                reports: 0,
                events: 0,
                error: Some(error),
            },
        }
    }
}

#[derive(Clone, Copy)]
struct Stamp {
    time: Option<Timestamp>,
    uptime: Option<f64>,
}

struct State<'d> {
    det: &'d Detector,
    name: String,
    default_machine: Option<String>,
    decoder: LineDecoder,
    consoles: HashMap<Option<String>, Console<'d>>,
    stamps: HashMap<u64, Stamp>,
    findings: Vec<Finding>,
    reports: Vec<FoundReport>,
    events: Vec<FoundEvent>,
    /// Lines completed so far.
    line: u64,
    open: usize,
}

/// Scans one opened input. `path_machine` names the machine of lines
/// that name none, unless the options do.
pub fn scan_source(
    det: &Detector,
    mut src: Source,
    path_machine: Option<String>,
    opts: &ScanOptions,
) -> FileScan {
    let mut st = State {
        det,
        name: src.name.clone(),
        default_machine: opts.machine.clone().or(path_machine),
        decoder: LineDecoder::new(DecodeOptions {
            year: opts.year,
            file_mtime: src.mtime,
            time_zone: opts.time_zone.clone(),
        }),
        consoles: HashMap::new(),
        stamps: HashMap::new(),
        findings: Vec::new(),
        reports: Vec::new(),
        events: Vec::new(),
        line: 0,
        open: 0,
    };
    let mut buf = vec![0u8; CHUNK];
    let mut filled = 0usize;
    let mut bytes = 0u64;
    let mut eof = false;
    let mut error: Option<io::Error> = None;
    let mut dropping_long_line = false;
    loop {
        while filled < buf.len() && !eof {
            match src.read(&mut buf[filled..]) {
                Ok(0) => eof = true,
                Ok(n) => {
                    filled += n;
                    bytes += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    error = Some(e);
                    eof = true;
                }
            }
        }
        let mut start = 0;
        if dropping_long_line {
            match memchr::memchr(b'\n', &buf[..filled]) {
                Some(i) => {
                    start = i + 1;
                    dropping_long_line = false;
                }
                None => {
                    filled = 0;
                    if eof {
                        break;
                    }
                    continue;
                }
            }
        }
        let end = if eof {
            filled
        } else {
            match memchr::memrchr(b'\n', &buf[start..filled]) {
                Some(i) => start + i + 1,
                None if buf.len() < MAX_LINE => {
                    // One line longer than the buffer: grow it.
                    let new_len = (buf.len() * 2).min(MAX_LINE);
                    buf.resize(new_len, 0);
                    continue;
                }
                None => {
                    // Longer than anything a log line should be: keep its
                    // head as a line, drop the rest up to its newline.
                    dropping_long_line = true;
                    filled
                }
            }
        };
        st.region(&buf[start..end]);
        buf.copy_within(end..filled, 0);
        filled -= end;
        if eof && filled == 0 {
            break;
        }
    }
    st.finish();
    let error = error.map(|e| {
        format!(
            "{}: read failed after line {}: {e} (what came before was scanned)",
            st.name, st.line
        )
    });
    FileScan {
        summary: FileSummary {
            path: st.name.clone(),
            compression: src.compression.as_str(),
            bytes,
            lines: st.line,
            reports: st.reports.len(),
            events: st.events.len(),
            error,
        },
        reports: st.reports,
        events: st.events,
    }
}

impl<'d> State<'d> {
    /// Handles a run of whole lines (the last may lack its newline at the
    /// end of input, or when it was cut at the length limit).
    fn region(&mut self, region: &[u8]) {
        let mut pos = 0;
        while pos < region.len() {
            if self.open > 0 {
                pos = self.feed_while_open(region, pos, pos);
                continue;
            }
            let Some(hit) = self.det.marker_finder().find(&region[pos..]) else {
                self.skip(&region[pos..]);
                return;
            };
            let hit = pos + hit.start();
            let line_start = memchr::memrchr(b'\n', &region[pos..hit]).map_or(pos, |i| pos + i + 1);
            let from = back_lines(region, pos, line_start, CONTEXT_LINES);
            self.skip(&region[pos..from]);
            pos = self.feed_while_open(region, from, line_start);
        }
    }

    /// Feeds lines from `pos` at least through the line starting at
    /// `through`, and on while a report is open. Returns where it stopped.
    fn feed_while_open(&mut self, region: &[u8], mut pos: usize, through: usize) -> usize {
        while pos < region.len() {
            let end = memchr::memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i);
            self.line += 1;
            self.feed(&region[pos..end]);
            let done = pos >= through;
            pos = (end + 1).min(region.len());
            if done && self.open == 0 {
                break;
            }
        }
        pos
    }

    fn skip(&mut self, lines: &[u8]) {
        if lines.is_empty() {
            return;
        }
        let n = memchr::memchr_iter(b'\n', lines).count() as u64;
        // A last line without its newline still counts.
        self.line += n + u64::from(!lines.ends_with(b"\n"));
        self.decoder.skip(lines);
        for c in self.consoles.values_mut() {
            c.gap();
        }
    }

    fn feed(&mut self, raw: &[u8]) {
        let line = self.line;
        let rec = self.decoder.decode(raw, line);
        let machine = rec
            .machine
            .as_deref()
            .map(str::to_string)
            .or_else(|| self.default_machine.clone());
        let origin = origin(&rec);
        let caller = rec.context.as_deref().filter(|c| is_caller_id(c));
        let context = match caller {
            Some(id) => Context::Caller(id),
            None if rec.uptime.is_some() && origin == Origin::Linux => Context::Console,
            None => Context::None,
        };
        self.stamps.insert(
            line,
            Stamp {
                time: rec.time,
                uptime: rec.uptime,
            },
        );
        let det = self.det;
        let console = self
            .consoles
            .entry(machine.clone())
            .or_insert_with(|| det.console());
        let was_idle = console.is_idle();
        console.push(
            &Line {
                text: &rec.text,
                context,
                origin,
                at: line,
            },
            &mut self.findings,
        );
        let now_idle = console.is_idle();
        match (was_idle, now_idle) {
            (true, false) => self.open += 1,
            (false, true) => self.open -= 1,
            _ => {}
        }
        if !self.findings.is_empty() {
            self.collect(machine);
        }
        if line.is_multiple_of(STAMP_WINDOW) {
            self.stamps.retain(|l, _| *l + STAMP_WINDOW * 2 > line);
        }
    }

    fn collect(&mut self, machine: Option<String>) {
        for f in std::mem::take(&mut self.findings) {
            match f {
                Finding::Crash(r) => {
                    let stamp = self.stamps.get(&r.start).copied();
                    self.reports.push(FoundReport {
                        file: self.name.clone(),
                        line: r.start,
                        end_line: r.end,
                        machine: machine.clone(),
                        time: stamp.and_then(|s| s.time),
                        uptime: stamp.and_then(|s| s.uptime),
                        kind: r.kind,
                        title: r.title,
                        frame: r.frame,
                        frames: r.frames,
                        corrupted: r.corrupted,
                        corrupted_reason: r.corrupted_reason,
                        kernel: r.kernel,
                        taint: r.taint,
                        comm: r.comm,
                        pid: r.pid,
                        signature: r.signature,
                        text: r.text,
                    });
                }
                Finding::Event(e) => {
                    let stamp = self.stamps.get(&e.at).copied();
                    self.events.push(FoundEvent {
                        file: self.name.clone(),
                        line: e.at,
                        machine: machine.clone(),
                        time: stamp.and_then(|s| s.time),
                        uptime: stamp.and_then(|s| s.uptime),
                        kind: e.kind,
                        rule: e.rule,
                        template: e.template,
                        message: e.message,
                    });
                }
            }
        }
    }

    fn finish(&mut self) {
        let mut machines: Vec<Option<String>> = self.consoles.keys().cloned().collect();
        machines.sort();
        for m in machines {
            if let Some(c) = self.consoles.get_mut(&m) {
                c.finish(&mut self.findings);
            }
            self.collect(m);
        }
        self.open = 0;
        self.reports.sort_by_key(|r| r.line);
        self.events.sort_by_key(|e| e.line);
    }
}

/// Where the `n` lines before the line at `line_start` begin (not before `floor`).
fn back_lines(region: &[u8], floor: usize, line_start: usize, n: usize) -> usize {
    let mut at = line_start;
    for _ in 0..n {
        if at <= floor {
            return floor;
        }
        // `at - 1` is the newline ending the previous line.
        at = memchr::memrchr(b'\n', &region[floor..at - 1]).map_or(floor, |i| floor + i + 1);
    }
    at
}

/// printk caller ids: `T123` (task) or `C1` (CPU).
fn is_caller_id(c: &str) -> bool {
    let b = c.as_bytes();
    b.len() >= 2 && (b[0] == b'T' || b[0] == b'C') && b[1..].iter().all(u8::is_ascii_digit)
}

/// Which dialect a line is in, from its shape and syslog program.
fn origin(rec: &Record<'_>) -> Origin {
    match rec.shape {
        Shape::Vmkernel => Origin::Vmkernel,
        Shape::XenHypervisor => Origin::Xen,
        _ => match rec.program.as_deref() {
            None | Some("kernel") => Origin::Linux,
            Some(p) if p.eq_ignore_ascii_case("kernel") => Origin::Linux,
            Some(_) => Origin::Program,
        },
    }
}
