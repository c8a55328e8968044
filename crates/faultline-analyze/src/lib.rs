//! Analysis: joins the crashes found in a case's logs (and the ones it
//! lists without a log) with the fleet and the timeline, and runs the
//! statistics of DESIGN.md: attribute enrichment, exposure rates, host
//! concentration, hour and weekday, closeness to scheduled events,
//! precursor events, confounding, and a ranked list of hypotheses with the
//! experiments that would tell them apart.
//!
//! Everything here is computed from data handed in (the case, the stored
//! findings); it reads no files. Small numbers are the normal case: every
//! test is exact or a seeded Monte Carlo with a stated number of draws, and
//! every result carries the counts it was computed from.

mod crashes;
mod exposure;
mod factors;
mod hypotheses;
mod timing;

use faultline_case::Case;
use faultline_scan::{FoundEvent, FoundReport};
use serde::Serialize;

pub use crashes::{Crash, merge_crashes};
pub use factors::{Factor, Rate};
pub use hypotheses::{Confounding, Experiment, Hypothesis};
pub use timing::{EventProximity, HostConcentration, Precursor, TimeOfDay};

/// How to run the analyses.
#[derive(Debug, Clone)]
pub struct AnalyzeOptions {
    /// Minutes before a crash in which notable events count as precursors.
    pub precursor_minutes: i64,
    /// Monte Carlo draws for event proximity and precursors.
    pub draws: u64,
    pub seed: u64,
    /// Factors with a p-value below this are called significant.
    pub alpha: f64,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            precursor_minutes: 60,
            draws: 2000,
            seed: 20091120,
            alpha: 0.05,
        }
    }
}

/// A crash group: crashes with the same title.
#[derive(Debug, Clone, Serialize)]
pub struct Group {
    pub signature: String,
    pub title: String,
    pub crashes: usize,
    pub machines: Vec<String>,
}

/// The analyses of one crash group, or of all crashes (`group: null`).
#[derive(Debug, Clone, Serialize)]
pub struct GroupAnalysis {
    pub group: Option<String>,
    pub title: Option<String>,
    pub crashes: usize,
    pub crashed_machines: Vec<String>,
    pub factors: Vec<Factor>,
    pub rates: Vec<Rate>,
    pub host_concentration: Option<HostConcentration>,
    pub time_of_day: Option<TimeOfDay>,
    pub day_of_week: Option<TimeOfDay>,
    pub event_proximity: Vec<EventProximity>,
    pub precursors: Vec<Precursor>,
    pub confounded: Vec<Confounding>,
    pub hypotheses: Vec<Hypothesis>,
    pub experiments: Vec<Experiment>,
    /// Plain-language caveats: too few crashes, crashes without times, ...
    pub notes: Vec<String>,
}

/// The whole result.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub case: String,
    pub time_zone: String,
    pub window_start: Option<String>,
    pub window_end: Option<String>,
    pub groups: Vec<Group>,
    pub analyses: Vec<GroupAnalysis>,
    /// Machines named in logs or crashes.csv that the inventory lacks.
    pub unknown_machines: Vec<String>,
    /// Every crash, merged from logs and crashes.csv.
    pub crashes: Vec<Crash>,
}

/// Runs every analysis for all crashes together and for each group.
pub fn analyze(
    case: &Case,
    reports: &[FoundReport],
    events: &[FoundEvent],
    opts: &AnalyzeOptions,
) -> Analysis {
    let merged = merge_crashes(case, reports);
    let window = exposure::window(case, &merged.crashes, events);
    let exposure = exposure::Exposure::compute(case, window);
    let groups = crashes::groups(&merged.crashes);
    let mut analyses = Vec::new();
    let all: Vec<&Crash> = merged.crashes.iter().collect();
    analyses.push(analyze_group(case, &exposure, None, &all, events, opts));
    if groups.len() > 1 {
        for g in &groups {
            let members: Vec<&Crash> = merged
                .crashes
                .iter()
                .filter(|c| c.title == g.title)
                .collect();
            analyses.push(analyze_group(
                case,
                &exposure,
                Some(g),
                &members,
                events,
                opts,
            ));
        }
    }
    // One family of tests: q-values across every factor of every analysis.
    factors::adjust_q(&mut analyses);
    for a in &mut analyses {
        hypotheses::fill(case, &exposure, a, opts);
    }
    Analysis {
        case: case.name.clone(),
        time_zone: case.time_zone_name.clone(),
        window_start: window.map(|w| w.0.to_string()),
        window_end: window.map(|w| w.1.to_string()),
        groups,
        analyses,
        unknown_machines: merged.unknown,
        crashes: merged.crashes,
    }
}

fn analyze_group(
    case: &Case,
    exposure: &exposure::Exposure,
    group: Option<&Group>,
    crashes: &[&Crash],
    events: &[FoundEvent],
    opts: &AnalyzeOptions,
) -> GroupAnalysis {
    let mut crashed: Vec<String> = crashes
        .iter()
        .filter(|c| c.known)
        .map(|c| c.machine.clone())
        .collect();
    crashed.sort();
    crashed.dedup();
    let mut notes = Vec::new();
    if crashes.len() < 3 {
        notes.push(format!(
            "only {} crash(es): no test here can support a conclusion on its own",
            crashes.len()
        ));
    }
    let untimed = crashes.iter().filter(|c| c.time.is_none()).count();
    if untimed > 0 {
        notes.push(format!(
            "{untimed} crash(es) have no wall time (console without stamps): left out of the time analyses"
        ));
    }
    GroupAnalysis {
        group: group.map(|g| g.signature.clone()),
        title: group.map(|g| g.title.clone()),
        crashes: crashes.len(),
        factors: factors::enrichment(case, &crashed),
        rates: factors::rates(case, exposure, crashes),
        host_concentration: timing::host_concentration(case, exposure, crashes),
        time_of_day: timing::time_of_day(case, crashes),
        day_of_week: timing::day_of_week(case, crashes),
        event_proximity: timing::event_proximity(case, exposure, crashes, opts),
        precursors: timing::precursors(case, exposure, crashes, events, opts),
        crashed_machines: crashed,
        confounded: Vec::new(),
        hypotheses: Vec::new(),
        experiments: Vec::new(),
        notes,
    }
}
