//! `faultline scan`: crashes and notable events in logs.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use faultline_scan::{FoundEvent, FoundReport, Input, ScanOptions, ScanOutput};

use crate::known::KnownIssueSeen;
use jiff::tz::TimeZone;

#[derive(Args)]
pub struct ScanArgs {
    /// Log files or folders (searched recursively); `-` reads standard input.
    /// Plain, gzip and zstd files are recognised by their content.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Print one JSON document (reports, events, files) instead of text.
    #[arg(long)]
    json: bool,
    /// Year of syslog stamps that carry none (default: from each file's
    /// modification time).
    #[arg(long, value_parser = clap::value_parser!(i16).range(1970..=9999))]
    year: Option<i16>,
    /// Time zone of stamps that carry none, as an IANA name.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    tz: String,
    /// Machine name of lines that do not name one (default: the folder
    /// under `logs/`, else the file name).
    #[arg(long)]
    machine: Option<String>,
    /// Extra knowledge-base folder of *.toml entries (repeatable).
    #[arg(long, value_name = "DIR")]
    kb: Vec<PathBuf>,
}

/// The JSON document: the scan's findings plus the known issues they match.
#[derive(serde::Serialize)]
struct Document<'a> {
    #[serde(flatten)]
    scan: &'a ScanOutput,
    known_issues: &'a [KnownIssueSeen],
}

pub fn run(args: ScanArgs) -> Result<ExitCode> {
    let time_zone = TimeZone::get(&args.tz)
        .with_context(|| format!("--tz {}: not a known IANA time zone", args.tz))?;
    if args.paths.iter().filter(|p| p.as_os_str() == "-").count() > 1 {
        bail!("`-` (standard input) can be given only once");
    }
    let inputs: Vec<Input> = args
        .paths
        .iter()
        .map(|p| {
            if p.as_os_str() == "-" {
                Input::Stdin
            } else {
                Input::Path(p.clone())
            }
        })
        .collect();
    let opts = ScanOptions {
        year: args.year,
        time_zone: time_zone.clone(),
        machine: args.machine,
        reference_time: None,
    };
    let (kb, kb_trouble) = crate::known::load(args.kb.iter().cloned());
    let out = faultline_scan::scan(&inputs, &opts);
    for f in out.failures() {
        eprintln!("faultline: {}", f.error.as_deref().unwrap_or("unreadable"));
    }
    let known = crate::known::seen(&kb, &out.reports, &out.events);
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    if args.json {
        let doc = Document {
            scan: &out,
            known_issues: &known,
        };
        serde_json::to_writer(&mut w, &doc)?;
        writeln!(w)?;
    } else {
        print_text(&mut w, &out, &known, &time_zone)?;
    }
    w.flush()?;
    Ok(if kb_trouble || out.failures().next().is_some() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn when(time: Option<jiff::Timestamp>, uptime: Option<f64>, tz: &TimeZone) -> String {
    match (time, uptime) {
        (Some(t), _) => t
            .to_zoned(tz.clone())
            .strftime("%Y-%m-%d %H:%M:%S")
            .to_string(),
        (None, Some(u)) => format!("uptime {u:.0}s"),
        (None, None) => "-".to_string(),
    }
}

fn where_(file: &str, line: u64) -> String {
    format!("{file}:{line}")
}

/// ` [known: id, id]` for a report or event, or nothing.
fn known_mark(known: &[KnownIssueSeen], hit: impl Fn(&KnownIssueSeen) -> bool) -> String {
    let ids: Vec<&str> = known
        .iter()
        .filter(|k| hit(k))
        .map(|k| k.id.as_str())
        .collect();
    if ids.is_empty() {
        String::new()
    } else {
        format!("  [known: {}]", ids.join(", "))
    }
}

fn print_text(
    w: &mut impl Write,
    out: &ScanOutput,
    known: &[KnownIssueSeen],
    tz: &TimeZone,
) -> io::Result<()> {
    let lines: u64 = out.files.iter().map(|f| f.lines).sum();
    writeln!(
        w,
        "{} crash report(s), {} notable event(s) in {} file(s), {} line(s)",
        out.reports.len(),
        out.events.len(),
        out.files.len(),
        lines
    )?;
    if !out.reports.is_empty() {
        writeln!(w, "\nCrashes")?;
        for (i, r) in out.reports.iter().enumerate() {
            writeln!(
                w,
                "  {:<19}  {:<14} {:<15} {}{}   [{}]{}",
                when(r.time, r.uptime, tz),
                r.machine.as_deref().unwrap_or("-"),
                r.report.kind.as_str(),
                r.report.title,
                if r.report.corrupted {
                    " (corrupted)"
                } else {
                    ""
                },
                where_(&r.file, r.line),
                known_mark(known, |k| k.reports.contains(&i))
            )?;
        }
        writeln!(w, "\nCrash groups (by signature)")?;
        for (sig, group) in group_reports(&out.reports) {
            let machines: std::collections::BTreeSet<&str> = group
                .iter()
                .map(|r| r.machine.as_deref().unwrap_or("-"))
                .collect();
            writeln!(
                w,
                "  {sig}  {:>3}x on {} machine(s)  {}",
                group.len(),
                machines.len(),
                group[0].report.title
            )?;
            writeln!(
                w,
                "      machines: {}",
                machines.into_iter().collect::<Vec<_>>().join(", ")
            )?;
        }
    }
    if !out.events.is_empty() {
        writeln!(w, "\nNotable events (by template)")?;
        for ((kind, template), group) in group_events(&out.events) {
            let machines: std::collections::BTreeSet<&str> = group
                .iter()
                .map(|(_, e)| e.machine.as_deref().unwrap_or("-"))
                .collect();
            writeln!(
                w,
                "  {:>5}x  {:<14} {}  (on {}; first {}){}",
                group.len(),
                kind,
                template,
                machines.into_iter().collect::<Vec<_>>().join(", "),
                when(group[0].1.time, group[0].1.uptime, tz),
                known_mark(known, |k| group.iter().any(|(i, _)| k.events.contains(i)))
            )?;
        }
    }
    if !known.is_empty() {
        writeln!(w, "\nKnown issues")?;
        for k in known {
            let seen = match (k.reports.len(), k.events.len()) {
                (0, e) => format!("{e} event(s)"),
                (r, 0) => format!("{r} crash report(s)"),
                (r, e) => format!("{r} crash report(s), {e} event(s)"),
            };
            writeln!(w, "  [{}] {}  {}", k.severity, k.id, k.title)?;
            if k.confirmed {
                writeln!(w, "      seen in {seen}")?;
            } else {
                writeln!(
                    w,
                    "      candidate: seen in {seen}; it needs a setting too, which only \
                     `faultline audit` with the machine's snapshot can check"
                )?;
            }
            if let Some(step) = k.remediation.first() {
                writeln!(w, "      fix: {step}")?;
            }
        }
        writeln!(
            w,
            "  (`faultline kb show ID` explains an issue in full: why, what to check, how to fix)"
        )?;
    }
    Ok(())
}

fn group_reports(reports: &[FoundReport]) -> Vec<(&str, Vec<&FoundReport>)> {
    let mut groups: BTreeMap<&str, Vec<&FoundReport>> = BTreeMap::new();
    for r in reports {
        groups.entry(&r.report.signature).or_default().push(r);
    }
    let mut v: Vec<_> = groups.into_iter().collect();
    v.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(b.0)));
    v
}

/// Events of one kind and template, with their indexes in the scan output.
type EventGroup<'a> = ((&'static str, &'a str), Vec<(usize, &'a FoundEvent)>);

fn group_events(events: &[FoundEvent]) -> Vec<EventGroup<'_>> {
    let mut groups: BTreeMap<(&'static str, &str), Vec<(usize, &FoundEvent)>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        groups
            .entry((e.kind.as_str(), &e.template))
            .or_default()
            .push((i, e));
    }
    let mut v: Vec<_> = groups.into_iter().collect();
    v.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    v
}
