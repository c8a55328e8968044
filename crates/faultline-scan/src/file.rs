//! Scanning one input: chunked reading, the marker fast path, and one
//! detector console per machine.

use std::collections::HashMap;
use std::io::{self, Read};

use faultline_detect::{Console, Context, Detector, Finding, Line, Marked, Origin};
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

/// A machine's console and the last line fed to it.
struct Fed<'d> {
    console: Console<'d>,
    last_line: u64,
}

/// A report of a machine that printed nothing for this many lines of the
/// file (other machines' lines) is over.
const STALE_LINES: u64 = 2000;

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
    consoles: HashMap<Option<String>, Fed<'d>>,
    stamps: HashMap<u64, Stamp>,
    findings: Vec<Finding>,
    reports: Vec<FoundReport>,
    events: Vec<FoundEvent>,
    /// Lines completed so far.
    line: u64,
    open: usize,
    /// Offset of the current region in the input.
    base: u64,
    /// Where this run's share of the input ends (when a file is split):
    /// past it, the run goes on only while a report is open.
    limit: Option<u64>,
    /// Lines completed when the run passed `limit`.
    lines_at_limit: Option<u64>,
    stopped: bool,
}

/// How a run over part of a file ended, for stitching parts together.
pub(crate) struct PartEnd {
    /// Lines from the part's start up to its limit.
    pub lines_at_limit: u64,
    /// Lines past the limit that this run consumed (a report went on into
    /// the next part); the next part drops what it found in them.
    pub overrun_lines: u64,
}

/// Scans one opened input. `path_machine` names the machine of lines
/// that name none, unless the options do.
pub fn scan_source(
    det: &Detector,
    mut src: Source,
    path_machine: Option<String>,
    opts: &ScanOptions,
) -> FileScan {
    let name = src.name.clone();
    let compression = src.compression.as_str();
    let mtime = src.mtime;
    run(
        det,
        &mut src,
        name,
        compression,
        mtime,
        path_machine,
        opts,
        None,
    )
    .0
}

/// Scans `reader` from its current position. With `limit`, stops at the
/// first line start at or past that many bytes once no report is open.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run(
    det: &Detector,
    src: &mut dyn Read,
    name: String,
    compression: &'static str,
    mtime: Option<Timestamp>,
    path_machine: Option<String>,
    opts: &ScanOptions,
    limit: Option<u64>,
) -> (FileScan, PartEnd) {
    let mut st = State {
        det,
        name,
        default_machine: opts.machine.clone().or(path_machine),
        decoder: LineDecoder::new(DecodeOptions {
            year: opts.year,
            file_mtime: opts.reference_time.or(mtime),
            time_zone: opts.time_zone.clone(),
        }),
        consoles: HashMap::new(),
        stamps: HashMap::new(),
        findings: Vec::new(),
        reports: Vec::new(),
        events: Vec::new(),
        line: 0,
        open: 0,
        base: 0,
        limit,
        lines_at_limit: None,
        stopped: false,
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
                    st.base += filled as u64;
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
        st.base += start as u64;
        st.region(&buf[start..end]);
        st.base += (end - start) as u64;
        if st.stopped {
            break;
        }
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
    let lines_at_limit = st.lines_at_limit.unwrap_or(st.line);
    let part = PartEnd {
        lines_at_limit,
        overrun_lines: st.line - lines_at_limit,
    };
    let scan = FileScan {
        summary: FileSummary {
            path: st.name.clone(),
            compression,
            bytes,
            lines: st.line,
            reports: st.reports.len(),
            events: st.events.len(),
            error,
        },
        reports: st.reports,
        events: st.events,
    };
    (scan, part)
}

impl<'d> State<'d> {
    /// Handles a run of whole lines (the last may lack its newline at the
    /// end of input, or when it was cut at the length limit).
    ///
    /// While no report is open, a coarse search finds the next line that
    /// may matter; the detector's markers then say whether it is nothing
    /// (skipped like the rest), an event (fed alone) or a crash line (fed
    /// with the lines before it, then line by line while a report is open).
    fn region(&mut self, region: &[u8]) {
        let [crash, event] = crate::prefilter::searchers();
        // The next hit of each searcher (`Some(None)`: none left in the
        // region); each searches again only once `pos` has passed its hit.
        let mut hits: [Option<Option<usize>>; 2] = [None, None];
        // Where this run's share ends, relative to the region.
        let limit = self
            .limit
            .filter(|&l| l >= self.base)
            .map_or(usize::MAX, |l| (l - self.base) as usize);
        let mut pos = 0;
        let mut skipped = pos;
        while pos < region.len() {
            if self.open > 0 {
                self.skip(&region[skipped..pos], limit.checked_sub(skipped));
                pos = self.feed_while_open(region, pos, pos, limit);
                skipped = pos;
                continue;
            }
            if pos >= limit {
                self.stop_at(region, skipped, limit);
                return;
            }
            for (k, ac) in [crash, event].into_iter().enumerate() {
                let stale = match hits[k] {
                    None => true,
                    Some(Some(h)) => h < pos,
                    Some(None) => false,
                };
                if stale {
                    hits[k] = Some(ac.find(&region[pos..]).map(|m| pos + m.start()));
                }
            }
            let Some(hit) = hits.iter().flatten().flatten().min().copied() else {
                break;
            };
            let line_start = memchr::memrchr(b'\n', &region[pos..hit]).map_or(pos, |i| pos + i + 1);
            if line_start >= limit {
                self.stop_at(region, skipped, limit);
                return;
            }
            let line_end = memchr::memchr(b'\n', &region[hit..]).map_or(region.len(), |i| hit + i);
            match self.det.classify(&region[line_start..line_end]) {
                Marked::Nothing => {
                    pos = (line_end + 1).min(region.len());
                }
                Marked::Event => {
                    self.skip(&region[skipped..line_start], None);
                    self.line += 1;
                    self.feed(&region[line_start..line_end]);
                    pos = (line_end + 1).min(region.len());
                    skipped = pos;
                    self.note_limit(pos, limit);
                }
                Marked::Crash => {
                    let from = back_lines(region, skipped, line_start, CONTEXT_LINES);
                    self.skip(&region[skipped..from], None);
                    pos = self.feed_while_open(region, from, line_start, limit);
                    skipped = pos;
                }
            }
        }
        if limit <= region.len() && self.open == 0 {
            self.stop_at(region, skipped, limit.max(skipped));
            return;
        }
        self.skip(&region[skipped..], limit.checked_sub(skipped));
    }

    /// Ends a run at its limit: the lines up to it are this run's.
    fn stop_at(&mut self, region: &[u8], skipped: usize, limit: usize) {
        if limit > skipped {
            self.skip(&region[skipped..limit.min(region.len())], None);
        }
        self.lines_at_limit.get_or_insert(self.line);
        self.stopped = true;
    }

    /// Records the line count when the run reaches its limit exactly.
    fn note_limit(&mut self, pos: usize, limit: usize) {
        if pos == limit {
            self.lines_at_limit.get_or_insert(self.line);
        }
    }

    /// Feeds lines from `pos` at least through the line starting at
    /// `through`, and on while a report is open. Returns where it stopped.
    fn feed_while_open(
        &mut self,
        region: &[u8],
        mut pos: usize,
        through: usize,
        limit: usize,
    ) -> usize {
        while pos < region.len() {
            let end = memchr::memchr(b'\n', &region[pos..]).map_or(region.len(), |i| pos + i);
            self.line += 1;
            self.feed(&region[pos..end]);
            let done = pos >= through;
            pos = (end + 1).min(region.len());
            self.note_limit(pos, limit);
            if done && self.open == 0 {
                break;
            }
        }
        pos
    }

    /// Counts skipped lines; `limit_at` is where in `lines` this run's
    /// limit falls, if it does.
    fn skip(&mut self, lines: &[u8], limit_at: Option<usize>) {
        if lines.is_empty() {
            return;
        }
        if let Some(at) = limit_at.filter(|&a| a < lines.len()) {
            self.skip(&lines[..at], None);
            self.lines_at_limit.get_or_insert(self.line);
            self.skip(&lines[at..], None);
            return;
        }
        let n = memchr::memchr_iter(b'\n', lines).count() as u64;
        // A last line without its newline still counts.
        self.line += n + u64::from(!lines.ends_with(b"\n"));
        self.decoder.skip(lines);
        for c in self.consoles.values_mut() {
            c.console.gap();
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
        let wall = rec.time.map(|t| t.as_millisecond() as f64 / 1000.0);
        // While another machine's report is open every line is fed; one of
        // this machine's that has no marker cannot matter to it.
        let idle_here = self
            .consoles
            .get(&machine)
            .is_none_or(|f| f.console.is_idle());
        if idle_here && self.det.classify(raw) == Marked::Nothing {
            if self.open > 0 && (wall.is_some() || line.is_multiple_of(256)) {
                self.expire_others(&machine, wall, line);
            }
            return;
        }
        let caller = rec.caller_id();
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
        let console = self.consoles.entry(machine.clone()).or_insert_with(|| Fed {
            console: det.console(),
            last_line: line,
        });
        console.last_line = line;
        let was_idle = console.console.is_idle();
        console.console.push(
            &Line {
                text: &rec.text,
                context,
                origin,
                time: wall,
                uptime: rec.uptime,
                at: line,
            },
            &mut self.findings,
        );
        let now_idle = console.console.is_idle();
        match (was_idle, now_idle) {
            (true, false) => self.open += 1,
            (false, true) => self.open -= 1,
            _ => {}
        }
        if !self.findings.is_empty() {
            self.collect(machine.clone());
        }
        // Reports of other machines end when the log moves on without them:
        // a crashed machine stops logging, but its report must not keep the
        // scanner reading every line.
        let others_open = self.open > usize::from(!now_idle);
        if others_open && (wall.is_some() || line.is_multiple_of(256)) {
            self.expire_others(&machine, wall, line);
        }
        if line.is_multiple_of(STAMP_WINDOW) {
            self.stamps.retain(|l, _| *l + STAMP_WINDOW * 2 > line);
        }
    }

    fn expire_others(&mut self, current: &Option<String>, wall: Option<f64>, line: u64) {
        let open: Vec<Option<String>> = self
            .consoles
            .iter()
            .filter(|(m, fed)| *m != current && !fed.console.is_idle())
            .map(|(m, _)| m.clone())
            .collect();
        for m in open {
            let Some(fed) = self.consoles.get_mut(&m) else {
                continue;
            };
            if let Some(t) = wall {
                fed.console.tick(t, &mut self.findings);
            }
            if !fed.console.is_idle() && line - fed.last_line > STALE_LINES {
                fed.console.close_open(&mut self.findings);
            }
            if fed.console.is_idle() {
                self.open -= 1;
            }
            if !self.findings.is_empty() {
                self.collect(m);
            }
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
                        report: *r,
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
                        rule: e.rule.to_string(),
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
                c.console.finish(&mut self.findings);
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
