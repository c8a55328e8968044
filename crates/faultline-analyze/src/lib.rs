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
mod fleet;
mod hypotheses;
mod known;
mod timing;

use faultline_case::Case;
use faultline_scan::{FoundEvent, FoundReport};
use rayon::prelude::*;
use serde::Serialize;

pub use crashes::{Crash, merge_crashes};
pub use exposure::{MachineExposure, machine_exposure};
pub use factors::{Factor, Rate};
pub use hypotheses::{Confounding, Experiment, Hypothesis};
pub use known::{KnownIssueRef, event_view, report_view};
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
    /// Crash groups analysed one by one (the largest); the others are
    /// listed and counted in the all-crashes analysis.
    pub max_groups: usize,
    /// Known issues to name next to crash groups and precursor events
    /// (none: no knowledge base).
    pub kb: Option<std::sync::Arc<faultline_kb::KnowledgeBase>>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            precursor_minutes: 60,
            draws: 2000,
            seed: 20091120,
            alpha: 0.05,
            max_groups: 20,
            kb: None,
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
    /// Known issues from the knowledge base that these crashes match.
    pub known_issues: Vec<KnownIssueRef>,
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

/// What every analysis of a run shares, built once.
struct Shared<'a> {
    case: &'a Case,
    fleet: fleet::Fleet,
    exposure: exposure::Exposure,
    schedule: timing::Schedule,
    events: timing::EventIndex,
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
    let fleet = fleet::Fleet::new(case);
    let shared = Shared {
        case,
        exposure: exposure::Exposure::compute(case, window),
        schedule: timing::Schedule::new(case, &fleet),
        events: timing::EventIndex::new(&fleet, case, events),
        fleet,
    };
    let groups = crashes::groups(&merged.crashes);
    let mut analyses = Vec::new();
    let all: Vec<&Crash> = merged.crashes.iter().collect();
    analyses.push(analyze_group(&shared, None, &all, opts));
    if groups.len() > 1 {
        let mut by_title: std::collections::HashMap<&str, Vec<&Crash>> =
            std::collections::HashMap::new();
        for c in &merged.crashes {
            by_title.entry(c.title.as_str()).or_default().push(c);
        }
        let work: Vec<(&Group, Vec<&Crash>)> = groups
            .iter()
            .take(opts.max_groups)
            .map(|g| (g, by_title.remove(g.title.as_str()).unwrap_or_default()))
            .collect();
        // Groups are independent and every one seeds its own draws, so the
        // result does not depend on the number of threads.
        analyses.par_extend(
            work.par_iter()
                .map(|(g, members)| analyze_group(&shared, Some(g), members, opts)),
        );
    }
    if let Some(kb) = &opts.kb {
        let index = known::KnownIndex::new(kb, reports, events, &merged.crashes);
        // Known issues follow crash titles: count the crashes of each title
        // once, rather than walking every crash for every group.
        let mut per_title: std::collections::HashMap<&str, usize> =
            std::collections::HashMap::new();
        for c in &merged.crashes {
            *per_title.entry(c.title.as_str()).or_insert(0) += 1;
        }
        for a in &mut analyses {
            a.known_issues = match &a.title {
                Some(t) => {
                    index.for_titles(per_title.get_key_value(t.as_str()).map(|(t, n)| (*t, *n)))
                }
                None => index.for_titles(per_title.iter().map(|(t, n)| (*t, *n))),
            };
            for p in &mut a.precursors {
                p.known_issues = index.for_template(&p.template);
            }
        }
    }
    // One family of tests: q-values across every factor of every analysis.
    factors::adjust_q(&mut analyses);
    analyses.par_iter_mut().for_each(|a| {
        let ids: Vec<usize> = a
            .crashed_machines
            .iter()
            .filter_map(|m| shared.fleet.id(m))
            .collect();
        hypotheses::fill(&shared.fleet, &shared.exposure, a, &ids, opts);
        if a.crashes > 0 && a.hypotheses.iter().all(|h| h.p >= opts.alpha) {
            a.notes.push(format!(
                "nothing stands out at p < {}: this data cannot support a conclusion",
                opts.alpha
            ));
        }
    });
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
    shared: &Shared<'_>,
    group: Option<&Group>,
    crashes: &[&Crash],
    opts: &AnalyzeOptions,
) -> GroupAnalysis {
    let fleet = &shared.fleet;
    let ids: Vec<Option<usize>> = crashes
        .iter()
        .map(|c| if c.known { fleet.id(&c.machine) } else { None })
        .collect();
    let mut crashed_ids: Vec<usize> = ids.iter().flatten().copied().collect();
    crashed_ids.sort_unstable();
    crashed_ids.dedup();
    let mut crashed: Vec<String> = crashed_ids
        .iter()
        .map(|i| fleet.names[*i].clone())
        .collect();
    crashed.sort();
    let timed: Vec<(usize, jiff::Timestamp)> = crashes
        .iter()
        .zip(&ids)
        .filter_map(|(c, id)| Some(((*id)?, c.time?)))
        .collect();
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
    if timed.len() > timing::MC_SAMPLE {
        notes.push(format!(
            "event proximity is computed on a seeded sample of {} of the {} timed crashes",
            timing::MC_SAMPLE,
            timed.len()
        ));
    }
    GroupAnalysis {
        group: group.map(|g| g.signature.clone()),
        title: group.map(|g| g.title.clone()),
        crashes: crashes.len(),
        factors: factors::enrichment(fleet, &crashed_ids),
        rates: factors::rates(fleet, &shared.exposure, crashes, &ids),
        host_concentration: timing::host_concentration(&shared.exposure, crashes, opts),
        time_of_day: timing::time_of_day(shared.case, crashes),
        day_of_week: timing::day_of_week(shared.case, crashes),
        event_proximity: timing::event_proximity(&shared.schedule, &shared.exposure, &timed, opts),
        precursors: timing::precursors(&shared.events, fleet, &shared.exposure, &timed, opts),
        crashed_machines: crashed,
        known_issues: Vec::new(),
        confounded: Vec::new(),
        hypotheses: Vec::new(),
        experiments: Vec::new(),
        notes,
    }
}
