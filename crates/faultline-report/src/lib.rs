//! Reports: an [`Analysis`] as people read it — plain text that fits a
//! 100-column terminal, and Markdown for tickets and post-mortems. (JSON is
//! the analysis itself, serialised by the caller.) Every figure printed
//! comes with the counts it was computed from, so a reader can check it.

mod audit;

use std::fmt::Write;

pub use audit::audit_text;
use faultline_analyze::{Analysis, GroupAnalysis, TimeOfDay};

fn p(x: f64) -> String {
    if x >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.1e}")
    }
}

fn f1(x: f64) -> String {
    if x.is_finite() {
        format!("{x:.1}")
    } else {
        "∞".into()
    }
}

/// One character per bin, scaled to the fullest.
fn spark(h: &[u64]) -> String {
    const BARS: [char; 9] = [' ', '▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = h.iter().copied().max().unwrap_or(0).max(1);
    h.iter()
        .map(|&c| {
            if c == 0 {
                '·'
            } else {
                BARS[((c * 8).div_ceil(max)).clamp(1, 8) as usize]
            }
        })
        .collect()
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// Which rendering: they differ in headings, tables and emphasis only.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Text,
    Markdown,
}

pub fn text(a: &Analysis) -> String {
    render(a, Style::Text)
}

pub fn markdown(a: &Analysis) -> String {
    render(a, Style::Markdown)
}

fn heading(out: &mut String, style: Style, level: usize, title: &str) {
    match style {
        Style::Text => {
            let _ = writeln!(out, "\n{title}");
            let ch = if level == 1 { '=' } else { '-' };
            let _ = writeln!(
                out,
                "{}",
                ch.to_string().repeat(title.chars().count().min(100))
            );
        }
        Style::Markdown => {
            let _ = writeln!(out, "\n{} {title}\n", "#".repeat(level + 1));
        }
    }
}

/// Terminal width the text report is laid out for.
const WIDTH: usize = 100;

/// A list item; both styles use `- `, so Markdown renders it as a list.
/// Text is wrapped at [`WIDTH`] columns with a hanging indent (Markdown
/// is left to its renderer).
fn bullet(out: &mut String, style: Style, indent: usize, text: &str) {
    let pad = "  ".repeat(indent);
    if style == Style::Markdown {
        let _ = writeln!(out, "{pad}- {text}");
        return;
    }
    wrap(out, &format!("{pad}- "), &format!("{pad}  "), text);
}

/// A paragraph of text, wrapped at [`WIDTH`] in the text style.
fn para(out: &mut String, style: Style, text: &str) {
    if style == Style::Markdown {
        let _ = writeln!(out, "{text}");
        return;
    }
    wrap(out, "", "  ", text);
}

/// Writes `text` wrapped at [`WIDTH`] columns: the first line starts with
/// `first`, the following ones with `hang`.
fn wrap(out: &mut String, first: &str, hang: &str, text: &str) {
    let mut line = first.to_string();
    let mut fresh = true;
    for word in text.split(' ') {
        let len = line.chars().count();
        if !fresh && len + 1 + word.chars().count() > WIDTH {
            // Double spaces split into empty words; none may end a line.
            let _ = writeln!(out, "{}", line.trim_end());
            line = format!("{hang}{word}");
        } else {
            if !fresh {
                line.push(' ');
            }
            line.push_str(word);
        }
        fresh = false;
    }
    let _ = writeln!(out, "{line}");
}

fn render(a: &Analysis, style: Style) -> String {
    let mut out = String::new();
    let machines: std::collections::BTreeSet<&str> =
        a.crashes.iter().map(|c| c.machine.as_str()).collect();
    match style {
        Style::Text => {
            let _ = writeln!(out, "Case {}", a.case);
        }
        Style::Markdown => {
            let _ = writeln!(out, "# Case {}", a.case);
        }
    }
    para(
        &mut out,
        style,
        &format!(
            "{} crash(es) in {} group(s) on {} machine(s); window {} .. {}; times in {}",
            a.crashes.len(),
            a.groups.len(),
            machines.len(),
            a.window_start.as_deref().unwrap_or("?"),
            a.window_end.as_deref().unwrap_or("?"),
            a.time_zone
        ),
    );
    if !a.unknown_machines.is_empty() {
        para(
            &mut out,
            style,
            &format!(
                "Machines in the logs but not in the inventory: {}",
                a.unknown_machines.join(", ")
            ),
        );
    }
    heading(&mut out, style, 1, "Crashes");
    let tz = jiff::tz::TimeZone::get(&a.time_zone).unwrap_or(jiff::tz::TimeZone::UTC);
    for c in &a.crashes {
        let when = c.time.map_or_else(
            || "(no time)".to_string(),
            |t| {
                t.to_zoned(tz.clone())
                    .strftime("%Y-%m-%d %H:%M:%S %Z")
                    .to_string()
            },
        );
        bullet(
            &mut out,
            style,
            0,
            &format!(
                "{when}  {}  {}  [{}]",
                c.machine,
                c.title,
                c.sources.join(", ")
            ),
        );
    }
    for g in &a.analyses {
        let title = match &g.title {
            Some(t) => format!("Group: {t} ({} crashes)", g.crashes),
            None => format!("All crashes ({})", g.crashes),
        };
        heading(&mut out, style, 1, &title);
        group(&mut out, style, g);
    }
    out
}

fn group(out: &mut String, style: Style, g: &GroupAnalysis) {
    for n in &g.notes {
        let _ = writeln!(out, "Note: {n}");
    }
    if !g.hypotheses.is_empty() {
        heading(out, style, 2, "Hypotheses, best supported first");
        for h in &g.hypotheses {
            let _ = writeln!(out, "{}. {} (p={})", h.rank, h.statement, p(h.p));
            for e in &h.evidence {
                bullet(out, style, 1, &format!("for: {e}"));
            }
            for e in &h.against {
                bullet(out, style, 1, &format!("against: {e}"));
            }
        }
    }
    if !g.known_issues.is_empty() {
        heading(out, style, 2, "Known issues these crashes match");
        for k in &g.known_issues {
            let confirm = if k.confirmed {
                String::new()
            } else {
                " — a candidate: it needs a setting too, which `faultline audit` checks".into()
            };
            bullet(
                out,
                style,
                0,
                &format!(
                    "[{}] {}: {} ({} of {} crashes; `faultline kb show {}`){confirm}",
                    k.severity, k.id, k.title, k.crashes, g.crashes, k.id
                ),
            );
        }
    }
    if !g.confounded.is_empty() {
        heading(out, style, 2, "Factors that travel together");
        for c in &g.confounded {
            bullet(out, style, 0, &c.statement);
            bullet(
                out,
                style,
                1,
                &format!(
                    "machines (crashed): both {} ({}), only {} {} ({}), only {} {} ({}), neither {} ({})",
                    c.both.machines,
                    c.both.crashed,
                    c.first,
                    c.first_only.machines,
                    c.first_only.crashed,
                    c.second,
                    c.second_only.machines,
                    c.second_only.crashed,
                    c.neither.machines,
                    c.neither.crashed
                ),
            );
        }
    }
    if !g.experiments.is_empty() {
        heading(out, style, 2, "Experiments that would tell them apart");
        for e in &g.experiments {
            bullet(out, style, 0, &e.statement);
        }
    }
    if !g.factors.is_empty() {
        heading(
            out,
            style,
            2,
            "Attribute values of the crashed machines (Fisher exact, one-sided)",
        );
        if style == Style::Markdown {
            let _ = writeln!(
                out,
                "| attribute=value | crashed | inventory | p | q | odds ratio [95% CI] |"
            );
            let _ = writeln!(out, "|---|---|---|---|---|---|");
        } else {
            let _ = writeln!(
                out,
                "{:<34} {:>8} {:>9} {:>8} {:>8}  odds ratio [95% CI]",
                "attribute=value", "crashed", "inventory", "p", "q"
            );
        }
        for f in g.factors.iter().take(15) {
            let av: String = format!("{}={}", f.attribute, f.value)
                .chars()
                .take(34)
                .collect();
            let or = format!("{} [{}, {}]", f1(f.odds_ratio), f1(f.ci[0]), f1(f.ci[1]));
            if style == Style::Markdown {
                let _ = writeln!(
                    out,
                    "| {av} | {}/{} | {}/{} | {} | {} | {or} |",
                    f.crashed_with,
                    f.crashed,
                    f.population_with,
                    f.population,
                    p(f.p),
                    p(f.q)
                );
            } else {
                let _ = writeln!(
                    out,
                    "{av:<34} {:>8} {:>9} {:>8} {:>8}  {or}",
                    format!("{}/{}", f.crashed_with, f.crashed),
                    format!("{}/{}", f.population_with, f.population),
                    p(f.p),
                    p(f.q)
                );
            }
        }
        if g.factors.len() > 15 {
            let _ = writeln!(out, "({} more in --json)", g.factors.len() - 15);
        }
    }
    if let Some(h) = &g.host_concentration {
        heading(out, style, 2, "Host concentration (exposure-weighted)");
        para(
            out,
            style,
            &format!(
                "{} carried {} of {} crashes with {:.0}% of guest-hours; P(some host carries {} or more) = {} ({}); naive figure for a host chosen beforehand, uniform placement: {}",
                h.host,
                h.crashes,
                h.of,
                h.expected_share * 100.0,
                h.crashes,
                p(h.p),
                h.method,
                p(h.naive_p)
            ),
        );
        let counts: Vec<String> = h
            .counts
            .iter()
            .map(|(host, n)| {
                format!(
                    "{host}: {n} ({:.0}%)",
                    h.shares.get(host).copied().unwrap_or(0.0) * 100.0
                )
            })
            .collect();
        let _ = writeln!(out, "crashes (share of guest-hours): {}", counts.join(", "));
    }
    if !g.rates.is_empty() {
        heading(
            out,
            style,
            2,
            "Crash rates per 1000 machine-hours (exact conditional Poisson test)",
        );
        for r in g.rates.iter().take(10) {
            bullet(
                out,
                style,
                0,
                &format!(
                    "{}={}: {} crashes in {:.0} h ({:.3}) against {} in {:.0} h ({:.3}); ratio {} [{}, {}], p={}",
                    r.attribute,
                    r.value,
                    r.crashes,
                    r.exposure_hours,
                    r.rate_per_1000h,
                    r.other_crashes,
                    r.other_hours,
                    r.other_rate_per_1000h,
                    f1(r.rate_ratio),
                    f1(r.ci[0]),
                    f1(r.ci[1]),
                    p(r.p)
                ),
            );
        }
    }
    if let Some(t) = &g.time_of_day {
        heading(out, style, 2, "Hour of day");
        periodic(out, t, |i| format!("{i:02}:00"));
    }
    if let Some(t) = &g.day_of_week {
        heading(out, style, 2, "Day of week");
        periodic(out, t, |i| DAYS[i.min(6)].to_string());
    }
    if !g.event_proximity.is_empty() {
        heading(
            out,
            style,
            2,
            "Time since the last scheduled event (Monte Carlo against random times)",
        );
        for e in &g.event_proximity {
            bullet(
                out,
                style,
                0,
                &format!(
                    "{}: {} crashes a median {:.0} min after one (random times: {:.0} min), p={} ({} draws)",
                    e.kind,
                    e.crashes,
                    e.median_minutes_after,
                    e.random_median_minutes,
                    p(e.p),
                    e.draws
                ),
            );
        }
    }
    if !g.precursors.is_empty() {
        heading(
            out,
            style,
            2,
            "Notable events in the hour before crashes (machine or its host)",
        );
        for e in g.precursors.iter().take(10) {
            bullet(
                out,
                style,
                0,
                &format!(
                    "{} before {} of {} crashes (random windows: {:.1}%), p={}: {}",
                    e.kind,
                    e.crashes_with,
                    e.crashes,
                    e.background * 100.0,
                    p(e.p),
                    e.template
                ),
            );
        }
    }
}

fn periodic(out: &mut String, t: &TimeOfDay, name: impl Fn(usize) -> String) {
    let _ = writeln!(
        out,
        "{}  (one mark per bin, from the first)",
        spark(&t.histogram)
    );
    let _ = writeln!(
        out,
        "fullest: {} with {} of {}; P(some bin that full) = {}; Rayleigh p = {}",
        name(t.peak_hour),
        t.peak_count,
        t.n,
        p(t.p_max_bin),
        p(t.p_rayleigh)
    );
}
