//! Detection: finds kernel crash reports and notable events in console text.
//!
//! Pure library code: no I/O, no clocks, no global state. The caller feeds
//! the message text of one machine's console, line by line, into a
//! [`Console`]; out come [`CrashReport`]s (panics, oopses, warnings,
//! lockups, hung tasks, KASAN, list corruption, ...) and [`NotableEvent`]s
//! (I/O errors, NFS trouble, OOM kills, netback memory squeeze, ...).
//!
//! What a report is called follows syzkaller's `pkg/report` conventions, so
//! titles are comparable with the largest public corpus of kernel crashes.
//! Which headers open a report and how titles are built is data: the table
//! in [`oops`]; the notable events are another table in [`events`].
//!
//! Speed: a caller scanning gigabytes need not feed every line. While
//! [`Console::is_idle`] is true, lines that contain none of
//! [`Detector::markers`] cannot start anything and may be skipped;
//! [`Detector::classify`] tells whether a line needs the lines before it
//! (a crash marker) or only itself (an event marker).

mod console;
pub mod events;
mod frames;
pub mod oops;
mod report;
mod title;

pub use console::{Console, Context, Finding, Line, Origin};

pub use events::{EventKind, EventMatch, EventTable};
pub use report::{CrashReport, ReportKind};

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

/// A notable event found on one line.
#[derive(Debug, Clone, PartialEq)]
pub struct NotableEvent {
    pub kind: EventKind,
    /// Stable id of the rule that matched, e.g. `nfs-not-responding`.
    pub rule: &'static str,
    /// The message with numbers and addresses normalised, for grouping.
    pub template: String,
    /// The message as it was logged.
    pub message: String,
    /// The caller's position tag of the line (see [`Line::at`]).
    pub at: u64,
}

/// The compiled tables. Build once, share by reference between threads.
pub struct Detector {
    pub(crate) oops: oops::Compiled,
    pub(crate) events: EventTable,
    markers: Vec<&'static str>,
    marker_finder: AhoCorasick,
    crash_finder: AhoCorasick,
    event_finder: AhoCorasick,
}

/// What a raw line may be, judged by its markers alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Marked {
    /// No marker: the line cannot start a report or be an event.
    Nothing,
    /// Only event markers: the line may be a notable event.
    Event,
    /// A crash marker: the line may open (or end) a report, and the lines
    /// before it may belong to the report.
    Crash,
}

impl Default for Detector {
    fn default() -> Self {
        Self::new()
    }
}

impl Detector {
    pub fn new() -> Self {
        let oops = oops::Compiled::new();
        let events = EventTable::new();
        let crash_markers = oops.markers();
        let event_markers = events.markers();
        let mut markers: Vec<&'static str> = crash_markers.clone();
        markers.extend(&event_markers);
        markers.sort_unstable();
        markers.dedup();
        let build = |list: &[&str]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(list)
                .expect("marker literals are valid")
        };
        // Leftmost-first turns on the SIMD prefilter; we only need "any hit".
        let marker_finder = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&markers)
            .expect("marker literals are valid");
        Detector {
            oops,
            events,
            crash_finder: build(&crash_markers),
            event_finder: build(&event_markers),
            markers,
            marker_finder,
        }
    }

    /// One shared detector for callers that do not want to hold their own.
    pub fn shared() -> &'static Detector {
        static SHARED: OnceLock<Detector> = OnceLock::new();
        SHARED.get_or_init(Detector::new)
    }

    /// Literal substrings: a line containing none of them cannot open a
    /// report or be a notable event.
    pub fn markers(&self) -> &[&'static str] {
        &self.markers
    }

    /// A multi-literal searcher over [`Detector::markers`], built with
    /// leftmost-first matching so that it can run over whole buffers fast.
    pub fn marker_finder(&self) -> &AhoCorasick {
        &self.marker_finder
    }

    /// Classifies a raw line (stamps and all) by the markers it contains.
    pub fn classify(&self, line: &[u8]) -> Marked {
        if self.crash_finder.is_match(line) {
            Marked::Crash
        } else if self.event_finder.is_match(line) {
            Marked::Event
        } else {
            Marked::Nothing
        }
    }

    /// A new console: the state of one machine's stream of lines.
    pub fn console(&self) -> Console<'_> {
        Console::new(self)
    }

    /// Convenience for tests and small inputs: every finding in a text whose
    /// lines are plain messages (see [`Line::from_console_text`]). Stamped
    /// console output goes through faultline-read's decoder first, as
    /// `faultline scan` and the lab's watcher do: frames of old `[<addr>]`
    /// traces are not found behind a printk stamp.
    pub fn scan_text(&self, text: &str) -> (Vec<CrashReport>, Vec<NotableEvent>) {
        let mut console = self.console();
        let mut out = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = Line::from_console_text(raw, i as u64 + 1);
            console.push(&line, &mut out);
        }
        console.finish(&mut out);
        let mut reports = Vec::new();
        let mut events = Vec::new();
        for f in out {
            match f {
                Finding::Crash(r) => reports.push(*r),
                Finding::Event(e) => events.push(e),
            }
        }
        reports.sort_by_key(|r| r.start);
        (reports, events)
    }
}

/// Compiles a regex from the tables, expanding the shared placeholders.
pub(crate) fn compile(pattern: &str) -> Regex {
    let expanded = pattern
        .replace("{ADDR}", r"0x[0-9a-f]+")
        .replace("{PC}", r"\[<?(?:0x)?[0-9a-f]+>?\]")
        .replace("{FUNC}", r"([a-zA-Z0-9_]+)(?:\.|\+)")
        .replace("{SRC}", r"([a-zA-Z0-9\-_/.]+\.[a-z]+:[0-9]+)");
    Regex::new(&expanded).unwrap_or_else(|e| panic!("bad table regex {pattern:?}: {e}"))
}
