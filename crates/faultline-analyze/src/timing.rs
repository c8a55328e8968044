//! When crashes happen: which host carried them, at what hour and day,
//! how long after scheduled events, and what notable events came before.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use faultline_case::Case;
use faultline_scan::FoundEvent;
use faultline_stats::Rng;
use jiff::Timestamp;
use serde::Serialize;

use crate::exposure::Exposure;
use crate::{AnalyzeOptions, Crash};

/// The host that carried the most crashes, against an exposure-weighted
/// null in which any host could have been "the" host.
#[derive(Debug, Clone, Serialize)]
pub struct HostConcentration {
    pub host: String,
    pub crashes: u64,
    /// Crashes whose host at the time is known.
    pub of: u64,
    /// The host's share of guest-hours: what it would carry by chance.
    pub expected_share: f64,
    /// Probability that some host carries at least `crashes` of `of`
    /// crashes when each crash lands on a host in proportion to exposure.
    pub p: f64,
    /// Whether `p` is exact (else a seeded Monte Carlo).
    pub exact: bool,
    /// The naive figure: that many on one pre-chosen host, hosts equally
    /// likely (what a person computes first).
    pub naive_p: f64,
    pub counts: BTreeMap<String, u64>,
    pub shares: BTreeMap<String, f64>,
}

/// A histogram over the hours of the day (or the days of the week:
/// Monday first, `peak_hour` is then the day's index).
#[derive(Debug, Clone, Serialize)]
pub struct TimeOfDay {
    pub histogram: Vec<u64>,
    pub peak_hour: usize,
    pub peak_count: u64,
    /// Probability that some bin gets at least `peak_count` crashes when
    /// all bins are equally likely (corrected for choosing the fullest).
    pub p_max_bin: f64,
    /// Rayleigh test of a preferred time (circular), Zar's approximation.
    pub p_rayleigh: f64,
    pub n: u64,
}

/// Time from the last scheduled event of a kind (in the crash's scope) to
/// the crash, against the same at random times.
#[derive(Debug, Clone, Serialize)]
pub struct EventProximity {
    pub kind: String,
    /// Crashes with such an event before them in the window.
    pub crashes: u64,
    pub median_minutes_after: f64,
    pub minutes_after: Vec<f64>,
    /// Median of the same quantity at random times (all draws pooled).
    pub random_median_minutes: f64,
    /// Probability that random times give a median this small or smaller.
    pub p: f64,
    pub draws: u64,
}

/// A notable-event template seen before crashes on the crashed machine or
/// its host.
#[derive(Debug, Clone, Serialize)]
pub struct Precursor {
    pub kind: String,
    pub template: String,
    /// Crashes with the template in the window before them.
    pub crashes_with: u64,
    pub crashes: u64,
    /// Share of random windows (same machines, random times) with it.
    pub background: f64,
    /// Binomial tail: this many crashes or more with it by chance.
    pub p: f64,
    pub window_minutes: i64,
    pub draws: u64,
}

pub fn host_concentration(
    case: &Case,
    exposure: &Exposure,
    crashes: &[&Crash],
) -> Option<HostConcentration> {
    let _ = case;
    let total: f64 = exposure.host_hours.values().sum();
    if total <= 0.0 {
        return None;
    }
    let mut counts: BTreeMap<String, u64> =
        exposure.host_hours.keys().map(|h| (h.clone(), 0)).collect();
    let mut of = 0;
    for c in crashes {
        if let Some(h) = c.time.and_then(|t| exposure.host_at(&c.machine, t)) {
            *counts.entry(h.to_string()).or_insert(0) += 1;
            of += 1;
        }
    }
    if of == 0 {
        return None;
    }
    let (host, &top) = counts
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
    let shares: BTreeMap<String, f64> = exposure
        .host_hours
        .iter()
        .map(|(h, x)| (h.clone(), x / total))
        .collect();
    let probs: Vec<f64> = shares.values().copied().collect();
    let tail = faultline_stats::max_count_tail(of, &probs, top);
    let hosts = shares.len() as u64;
    Some(HostConcentration {
        host: host.clone(),
        crashes: top,
        of,
        expected_share: shares.get(host).copied().unwrap_or(0.0),
        p: tail.p,
        exact: tail.exact,
        naive_p: faultline_stats::binomial_tail_ge(top, of, 1.0 / hosts.max(1) as f64),
        counts,
        shares,
    })
}

fn local(case: &Case, t: Timestamp) -> jiff::Zoned {
    t.to_zoned(case.time_zone.clone())
}

pub fn time_of_day(case: &Case, crashes: &[&Crash]) -> Option<TimeOfDay> {
    let hours: Vec<f64> = crashes
        .iter()
        .filter_map(|c| c.time)
        .map(|t| {
            let z = local(case, t);
            f64::from(z.hour()) + f64::from(z.minute()) / 60.0 + f64::from(z.second()) / 3600.0
        })
        .collect();
    periodic(&hours, 24, 24.0)
}

pub fn day_of_week(case: &Case, crashes: &[&Crash]) -> Option<TimeOfDay> {
    let days: Vec<f64> = crashes
        .iter()
        .filter_map(|c| c.time)
        .map(|t| {
            let z = local(case, t);
            f64::from(z.weekday().to_monday_zero_offset())
                + (f64::from(z.hour()) + f64::from(z.minute()) / 60.0) / 24.0
        })
        .collect();
    periodic(&days, 7, 7.0)
}

fn periodic(values: &[f64], bins: usize, period: f64) -> Option<TimeOfDay> {
    if values.is_empty() {
        return None;
    }
    let mut histogram = vec![0u64; bins];
    for v in values {
        histogram[(v.floor() as usize).min(bins - 1)] += 1;
    }
    let (peak, &peak_count) = histogram
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))?;
    let n = values.len() as u64;
    let uniform = vec![1.0 / bins as f64; bins];
    let angles: Vec<f64> = values
        .iter()
        .map(|v| v / period * std::f64::consts::TAU)
        .collect();
    Some(TimeOfDay {
        histogram,
        peak_hour: peak,
        peak_count,
        p_max_bin: faultline_stats::max_count_tail(n, &uniform, peak_count).p,
        p_rayleigh: faultline_stats::rayleigh(&angles).p,
        n,
    })
}

/// Start times of scheduled events of one kind that cover a machine.
fn schedule(case: &Case, kind: &str, machine: &str) -> Vec<Timestamp> {
    let Some(m) = case.resolve(machine) else {
        return Vec::new();
    };
    let mut v: Vec<Timestamp> = case
        .events
        .iter()
        .filter(|e| e.kind == kind && case.in_scope(&e.scope, m))
        .map(|e| e.start)
        .collect();
    v.sort();
    v
}

fn minutes_since_last(starts: &[Timestamp], t: Timestamp) -> Option<f64> {
    let i = starts.partition_point(|s| *s <= t);
    (i > 0).then(|| (t.as_millisecond() - starts[i - 1].as_millisecond()) as f64 / 60_000.0)
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

fn random_time(rng: &mut Rng, window: (Timestamp, Timestamp)) -> Timestamp {
    let (a, b) = (window.0.as_millisecond(), window.1.as_millisecond());
    let at = a + (rng.next_f64() * (b - a) as f64) as i64;
    Timestamp::from_millisecond(at).unwrap_or(window.0)
}

pub fn event_proximity(
    case: &Case,
    exposure: &Exposure,
    crashes: &[&Crash],
    opts: &AnalyzeOptions,
) -> Vec<EventProximity> {
    let Some(window) = exposure.window else {
        return Vec::new();
    };
    let timed: Vec<(&str, Timestamp)> = crashes
        .iter()
        .filter(|c| c.known)
        .filter_map(|c| c.time.map(|t| (c.machine.as_str(), t)))
        .collect();
    if timed.is_empty() {
        return Vec::new();
    }
    let kinds: BTreeSet<&str> = case.events.iter().map(|e| e.kind.as_str()).collect();
    let window_minutes = (window.1.as_millisecond() - window.0.as_millisecond()) as f64 / 60_000.0;
    let mut out = Vec::new();
    for kind in kinds {
        let per_machine: HashMap<&str, Vec<Timestamp>> = timed
            .iter()
            .map(|(m, _)| (*m, schedule(case, kind, m)))
            .collect();
        let mut observed: Vec<f64> = timed
            .iter()
            .filter_map(|(m, t)| minutes_since_last(&per_machine[m], *t))
            .collect();
        if observed.is_empty() {
            continue;
        }
        let minutes_after = observed.clone();
        let obs_median = median(&mut observed);
        let n = timed.len();
        let machines: Vec<&str> = timed.iter().map(|(m, _)| *m).collect();
        let mut pooled = Vec::new();
        let tail = faultline_stats::monte_carlo_tail_le(obs_median, opts.draws, opts.seed, |rng| {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    let m = machines[rng.below(machines.len() as u64) as usize];
                    let t = random_time(rng, window);
                    minutes_since_last(&per_machine[m], t).unwrap_or(window_minutes)
                })
                .collect();
            let med = median(&mut v);
            if pooled.len() < 10_000 {
                pooled.push(med);
            }
            med
        });
        out.push(EventProximity {
            kind: kind.to_string(),
            crashes: minutes_after.len() as u64,
            median_minutes_after: obs_median,
            minutes_after,
            random_median_minutes: median(&mut pooled),
            p: tail.p,
            draws: tail.draws,
        });
    }
    out.sort_by(|a, b| a.p.total_cmp(&b.p));
    out
}

pub fn precursors(
    case: &Case,
    exposure: &Exposure,
    crashes: &[&Crash],
    events: &[FoundEvent],
    opts: &AnalyzeOptions,
) -> Vec<Precursor> {
    let Some(window) = exposure.window else {
        return Vec::new();
    };
    let span = opts.precursor_minutes * 60_000;
    // Timed notable events per (machine, template).
    let mut index: HashMap<(String, &str), Vec<i64>> = HashMap::new();
    let mut kinds: HashMap<&str, &str> = HashMap::new();
    for e in events {
        let (Some(t), Some(m)) = (e.time, e.machine.as_deref()) else {
            continue;
        };
        let name = case
            .resolve(m)
            .map_or_else(|| m.to_string(), |x| x.name.clone());
        index
            .entry((name, e.template.as_str()))
            .or_default()
            .push(t.as_millisecond());
        kinds.insert(e.template.as_str(), e.kind.as_str());
    }
    for v in index.values_mut() {
        v.sort_unstable();
    }
    let seen_in = |machine: &str, template: &str, t: i64| -> bool {
        index
            .get(&(machine.to_string(), template))
            .is_some_and(|v| {
                let i = v.partition_point(|x| *x < t);
                i > 0 && v[i - 1] >= t - span
            })
    };
    let near = |machine: &str, template: &str, t: Timestamp| -> bool {
        let ms = t.as_millisecond();
        seen_in(machine, template, ms)
            || exposure
                .host_at(machine, t)
                .is_some_and(|h| seen_in(h, template, ms))
    };
    let timed: Vec<(&str, Timestamp)> = crashes
        .iter()
        .filter_map(|c| c.time.map(|t| (c.machine.as_str(), t)))
        .collect();
    if timed.is_empty() {
        return Vec::new();
    }
    let mut candidates: BTreeSet<&str> = BTreeSet::new();
    for (m, t) in &timed {
        for (tmpl, _) in kinds.iter() {
            if near(m, tmpl, *t) {
                candidates.insert(tmpl);
            }
        }
    }
    let machines: Vec<&str> = timed.iter().map(|(m, _)| *m).collect();
    let mut out = Vec::new();
    for tmpl in candidates {
        let k = timed.iter().filter(|(m, t)| near(m, tmpl, *t)).count() as u64;
        let mut rng = Rng::new(opts.seed ^ 0x9e37_79b9);
        let mut hits = 0u64;
        for _ in 0..opts.draws {
            let m = machines[rng.below(machines.len() as u64) as usize];
            if near(m, tmpl, random_time(&mut rng, window)) {
                hits += 1;
            }
        }
        let background = (hits as f64 + 1.0) / (opts.draws as f64 + 1.0);
        out.push(Precursor {
            kind: kinds[tmpl].to_string(),
            template: tmpl.to_string(),
            crashes_with: k,
            crashes: timed.len() as u64,
            background,
            p: faultline_stats::binomial_tail_ge(k, timed.len() as u64, background),
            window_minutes: opts.precursor_minutes,
            draws: opts.draws,
        });
    }
    out.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.template.cmp(&b.template)));
    out
}
