//! When crashes happen: which host carried them, at what hour and day,
//! how long after scheduled events, and what notable events came before.

use std::collections::{BTreeMap, HashMap};

use faultline_case::Case;
use faultline_scan::FoundEvent;
use faultline_stats::Rng;
use jiff::Timestamp;
use serde::Serialize;

use crate::exposure::Exposure;
use crate::fleet::Fleet;
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
    /// Whether `p` is exact.
    pub exact: bool,
    /// How `p` was obtained: "exact", "union bound" (within 0.5%, above
    /// 5000 crashes when small) or "Monte Carlo" (seeded, `draws` of the options).
    pub method: &'static str,
    /// The naive figure: that many on one pre-chosen host, hosts equally
    /// likely (what a person computes first).
    pub naive_p: f64,
    /// The same question asked of crashed machines, each counted once on
    /// its host at its first crash: the host with the most of them, how
    /// many, out of how many, and the probability that some host gets that
    /// many. Repeated crashes of one guest are not independent, so this is
    /// the figure the hypotheses use.
    pub machines_host: String,
    pub machines: u64,
    pub machines_of: u64,
    pub p_machines: f64,
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
    /// Median over all the group's (sampled) crashes; a crash with no such
    /// event before it counts as the whole window, as a random time does.
    pub median_minutes_after: f64,
    /// Minutes after, for the crashes that had such an event (up to 50).
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
    /// Known issues the template's events match.
    pub known_issues: Vec<crate::KnownIssueRef>,
}

pub fn host_concentration(
    exposure: &Exposure,
    crashes: &[&Crash],
    opts: &AnalyzeOptions,
) -> Option<HostConcentration> {
    let total: f64 = exposure.host_hours.values().sum();
    if total <= 0.0 {
        return None;
    }
    let mut counts: BTreeMap<String, u64> =
        exposure.host_hours.keys().map(|h| (h.clone(), 0)).collect();
    let mut of = 0;
    // Each crashed machine once, on its host at its first crash: a guest
    // that crashes forty times is one piece of evidence about its host.
    let mut first: BTreeMap<&str, (Timestamp, String)> = BTreeMap::new();
    for c in crashes {
        if let Some((t, h)) = c
            .time
            .and_then(|t| exposure.host_at(&c.machine, t).map(|h| (t, h)))
        {
            *counts.entry(h.to_string()).or_insert(0) += 1;
            of += 1;
            let e = first
                .entry(c.machine.as_str())
                .or_insert_with(|| (t, h.to_string()));
            if t < e.0 {
                *e = (t, h.to_string());
            }
        }
    }
    let mut by_machine: BTreeMap<&str, u64> = BTreeMap::new();
    for (_, h) in first.values() {
        *by_machine.entry(h.as_str()).or_insert(0) += 1;
    }
    let machines_of = first.len() as u64;
    let (machines_host, machines) = by_machine
        .iter()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
        .map(|(h, n)| (h.to_string(), *n))
        .unwrap_or_default();
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
    // Above 5000 crashes and past the union bound, `--draws` draws are
    // enough: a p that large is only compared with 0.05.
    let tail = faultline_stats::max_count_tail_with_draws(of, &probs, top, opts.draws, opts.seed);
    let p_machines = faultline_stats::max_count_tail_with_draws(
        machines_of,
        &probs,
        machines,
        opts.draws,
        opts.seed,
    )
    .p;
    let hosts = shares.len() as u64;
    Some(HostConcentration {
        host: host.clone(),
        crashes: top,
        of,
        expected_share: shares.get(host).copied().unwrap_or(0.0),
        p: tail.p,
        exact: tail.exact,
        method: tail.method(),
        naive_p: faultline_stats::binomial_tail_ge(top, of, 1.0 / hosts.max(1) as f64),
        machines_host,
        machines,
        machines_of,
        p_machines,
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

/// Scheduled events by kind and scope, built once per run: for a machine,
/// the last event of a kind before a time is a binary search in each of
/// the few scopes that cover it.
pub struct Schedule {
    pub kinds: Vec<String>,
    /// Per kind: per scope, ascending start times (ms).
    starts: Vec<Vec<Vec<i64>>>,
    /// Per kind: per machine, the scopes (indexes into `starts[kind]`) covering it.
    covering: Vec<HashMap<usize, Vec<usize>>>,
}

impl Schedule {
    pub fn new(case: &Case, fleet: &Fleet) -> Schedule {
        let mut kinds: Vec<String> = case.events.iter().map(|e| e.kind.clone()).collect();
        kinds.sort();
        kinds.dedup();
        let mut starts = Vec::new();
        let mut covering = Vec::new();
        for kind in &kinds {
            let mut by_scope: BTreeMap<String, (Vec<i64>, &faultline_case::Scope)> =
                BTreeMap::new();
            for e in case.events.iter().filter(|e| &e.kind == kind) {
                by_scope
                    .entry(e.scope.to_string())
                    .or_insert_with(|| (Vec::new(), &e.scope))
                    .0
                    .push(e.start.as_millisecond());
            }
            let mut lists = Vec::new();
            let mut cover: HashMap<usize, Vec<usize>> = HashMap::new();
            for (i, (_, (mut v, scope))) in by_scope.into_iter().enumerate() {
                v.sort_unstable();
                lists.push(v);
                for m in fleet.scope_members(case, scope) {
                    cover.entry(m).or_default().push(i);
                }
            }
            starts.push(lists);
            covering.push(cover);
        }
        Schedule {
            kinds,
            starts,
            covering,
        }
    }

    /// Minutes from the last event of kind `k` covering machine `m` to `t`.
    fn minutes_since_last(&self, k: usize, m: usize, t: i64) -> Option<f64> {
        let scopes = self.covering[k].get(&m)?;
        scopes
            .iter()
            .filter_map(|s| {
                let v = &self.starts[k][*s];
                let i = v.partition_point(|x| *x <= t);
                (i > 0).then(|| v[i - 1])
            })
            .max()
            .map(|last| (t - last) as f64 / 60_000.0)
    }
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

fn random_ms(rng: &mut Rng, window: (Timestamp, Timestamp)) -> i64 {
    let (a, b) = (window.0.as_millisecond(), window.1.as_millisecond());
    a + (rng.next_f64() * (b - a) as f64) as i64
}

/// Crashes kept for a Monte Carlo statistic: all of them, or a seeded
/// sample of this many (the p-value of a median needs no more).
pub const MC_SAMPLE: usize = 200;

fn sample<T: Copy>(items: &[T], seed: u64) -> Vec<T> {
    if items.len() <= MC_SAMPLE {
        return items.to_vec();
    }
    let mut rng = Rng::new(seed);
    let mut v = items.to_vec();
    // Partial Fisher-Yates shuffle.
    for i in 0..MC_SAMPLE {
        let j = i + rng.below((v.len() - i) as u64) as usize;
        v.swap(i, j);
    }
    v.truncate(MC_SAMPLE);
    v
}

pub fn event_proximity(
    schedule: &Schedule,
    exposure: &Exposure,
    timed: &[(usize, Timestamp)],
    opts: &AnalyzeOptions,
) -> Vec<EventProximity> {
    let Some(window) = exposure.window else {
        return Vec::new();
    };
    if timed.is_empty() {
        return Vec::new();
    }
    let timed = sample(timed, opts.seed);
    let window_minutes = (window.1.as_millisecond() - window.0.as_millisecond()) as f64 / 60_000.0;
    let mut out = Vec::new();
    for (k, kind) in schedule.kinds.iter().enumerate() {
        let since: Vec<Option<f64>> = timed
            .iter()
            .map(|(m, t)| schedule.minutes_since_last(k, *m, t.as_millisecond()))
            .collect();
        let minutes_after: Vec<f64> = since.iter().flatten().copied().collect();
        if minutes_after.is_empty() {
            continue;
        }
        // A crash with no earlier event counts as "the whole window after",
        // exactly as a random time with no earlier event does below: both
        // sides must measure the same thing or rare kinds look significant.
        let mut observed: Vec<f64> = since.iter().map(|x| x.unwrap_or(window_minutes)).collect();
        let obs_median = median(&mut observed);
        let n = timed.len();
        let mut pooled = Vec::new();
        let tail = faultline_stats::monte_carlo_tail_le(obs_median, opts.draws, opts.seed, |rng| {
            let mut v: Vec<f64> = (0..n)
                .map(|_| {
                    let m = timed[rng.below(n as u64) as usize].0;
                    let t = random_ms(rng, window);
                    schedule
                        .minutes_since_last(k, m, t)
                        .unwrap_or(window_minutes)
                })
                .collect();
            let med = median(&mut v);
            if pooled.len() < 10_000 {
                pooled.push(med);
            }
            med
        });
        out.push(EventProximity {
            kind: kind.clone(),
            crashes: minutes_after.len() as u64,
            median_minutes_after: obs_median,
            minutes_after: if minutes_after.len() <= 50 {
                minutes_after
            } else {
                Vec::new()
            },
            random_median_minutes: median(&mut pooled),
            p: tail.p,
            draws: tail.draws,
        });
    }
    out.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.kind.cmp(&b.kind)));
    out
}

/// Timed notable events per machine, built once per run.
pub struct EventIndex {
    pub templates: Vec<(String, &'static str)>,
    /// Per machine: (time ms, template id), ascending.
    per_machine: HashMap<usize, Vec<(i64, u32)>>,
}

impl EventIndex {
    pub fn new(fleet: &Fleet, case: &Case, events: &[FoundEvent]) -> EventIndex {
        let mut ids: HashMap<&str, u32> = HashMap::new();
        let mut templates: Vec<(String, &'static str)> = Vec::new();
        let mut names: HashMap<&str, Option<usize>> = HashMap::new();
        let mut per_machine: HashMap<usize, Vec<(i64, u32)>> = HashMap::new();
        for e in events {
            let (Some(t), Some(m)) = (e.time, e.machine.as_deref()) else {
                continue;
            };
            let id = *names
                .entry(m)
                .or_insert_with(|| case.resolve(m).and_then(|x| fleet.id(&x.name)));
            let Some(id) = id else { continue };
            let tid = *ids.entry(e.template.as_str()).or_insert_with(|| {
                templates.push((e.template.clone(), e.kind.as_str()));
                (templates.len() - 1) as u32
            });
            per_machine
                .entry(id)
                .or_default()
                .push((t.as_millisecond(), tid));
        }
        for v in per_machine.values_mut() {
            v.sort_unstable();
        }
        EventIndex {
            templates,
            per_machine,
        }
    }

    /// Templates logged on `m` in `[t - span, t)`.
    fn seen(&self, m: usize, t: i64, span: i64, out: &mut Vec<u32>) {
        if let Some(v) = self.per_machine.get(&m) {
            let from = v.partition_point(|x| x.0 < t - span);
            let to = v.partition_point(|x| x.0 < t);
            out.extend(v[from..to].iter().map(|x| x.1));
        }
    }
}

pub fn precursors(
    index: &EventIndex,
    fleet: &Fleet,
    exposure: &Exposure,
    timed: &[(usize, Timestamp)],
    opts: &AnalyzeOptions,
) -> Vec<Precursor> {
    let Some(window) = exposure.window else {
        return Vec::new();
    };
    if timed.is_empty() || index.templates.is_empty() {
        return Vec::new();
    }
    let span = opts.precursor_minutes * 60_000;
    // Templates before a time on a machine or the host it was on then.
    let near = |m: usize, t: i64, out: &mut Vec<u32>| {
        out.clear();
        index.seen(m, t, span, out);
        if let Some(ts) = Timestamp::from_millisecond(t).ok()
            && let Some(h) = exposure
                .host_at(&fleet.names[m], ts)
                .and_then(|h| fleet.id(h))
        {
            index.seen(h, t, span, out);
        }
        out.sort_unstable();
        out.dedup();
    };
    let mut buf = Vec::new();
    let mut with: HashMap<u32, u64> = HashMap::new();
    for (m, t) in timed {
        near(*m, t.as_millisecond(), &mut buf);
        for tid in &buf {
            *with.entry(*tid).or_insert(0) += 1;
        }
    }
    if with.is_empty() {
        return Vec::new();
    }
    // Random windows: the same machines, times drawn over the window.
    let mut rng = Rng::new(opts.seed ^ 0x9e37_79b9);
    let mut background: HashMap<u32, u64> = HashMap::new();
    for _ in 0..opts.draws {
        let m = timed[rng.below(timed.len() as u64) as usize].0;
        near(m, random_ms(&mut rng, window), &mut buf);
        for tid in &buf {
            if with.contains_key(tid) {
                *background.entry(*tid).or_insert(0) += 1;
            }
        }
    }
    let n = timed.len() as u64;
    let mut out: Vec<Precursor> = with
        .into_iter()
        .map(|(tid, k)| {
            let bg = (background.get(&tid).copied().unwrap_or(0) as f64 + 1.0)
                / (opts.draws as f64 + 1.0);
            let (template, kind) = &index.templates[tid as usize];
            Precursor {
                kind: kind.to_string(),
                template: template.clone(),
                crashes_with: k,
                crashes: n,
                background: bg,
                p: faultline_stats::binomial_tail_ge(k, n, bg),
                window_minutes: opts.precursor_minutes,
                draws: opts.draws,
                known_issues: Vec::new(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.p.total_cmp(&b.p).then(a.template.cmp(&b.template)));
    out.truncate(50);
    out
}
