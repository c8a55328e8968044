//! Exposure: how long each guest was observed, and on which host, over
//! the case's window. Rates and the host null model are per machine-hour,
//! not per machine: a host that carried more guests for longer is expected
//! to carry more crashes.

use std::collections::{BTreeMap, HashMap};

use faultline_case::{Case, MachineKind};
use faultline_scan::FoundEvent;
use jiff::Timestamp;

use crate::Crash;

/// The observation window, as instants.
pub type Window = (Timestamp, Timestamp);

/// The case's window, else the span of everything timed in the logs.
pub fn window(case: &Case, crashes: &[Crash], events: &[FoundEvent]) -> Option<Window> {
    if let Some(w) = &case.window {
        return Some((w.start, w.end));
    }
    let times = crashes
        .iter()
        .filter_map(|c| c.time)
        .chain(events.iter().filter_map(|e| e.time))
        .chain(case.events.iter().map(|e| e.start));
    let (mut lo, mut hi): (Option<Timestamp>, Option<Timestamp>) = (None, None);
    for t in times {
        lo = Some(lo.map_or(t, |l: Timestamp| l.min(t)));
        hi = Some(hi.map_or(t, |h: Timestamp| h.max(t)));
    }
    match (lo, hi) {
        (Some(a), Some(b)) if b > a => Some((a, b)),
        _ => None,
    }
}

pub struct Exposure {
    pub window: Option<Window>,
    /// Hours in the window.
    pub hours: f64,
    /// Per guest: (host, from, to) stretches inside the window.
    pub stays: HashMap<String, Vec<(String, Timestamp, Timestamp)>>,
    /// Guest-hours spent on each host.
    pub host_hours: BTreeMap<String, f64>,
}

fn hours(a: Timestamp, b: Timestamp) -> f64 {
    (b.as_millisecond() - a.as_millisecond()).max(0) as f64 / 3_600_000.0
}

impl Exposure {
    pub fn compute(case: &Case, window: Option<Window>) -> Exposure {
        let mut stays: HashMap<String, Vec<(String, Timestamp, Timestamp)>> = HashMap::new();
        let mut host_hours: BTreeMap<String, f64> = BTreeMap::new();
        for m in case.machines.iter().filter(|m| m.kind == MachineKind::Host) {
            host_hours.insert(m.name.clone(), 0.0);
        }
        let Some((start, end)) = window else {
            return Exposure {
                window,
                hours: 0.0,
                stays,
                host_hours,
            };
        };
        // Placements by guest, so that each guest's history is found at once.
        let mut by_machine: HashMap<&str, Vec<&faultline_case::Placement>> = HashMap::new();
        for p in &case.placements {
            by_machine.entry(p.machine.as_str()).or_default().push(p);
        }
        for m in case
            .machines
            .iter()
            .filter(|m| m.kind == MachineKind::Guest)
        {
            let mut rows: Vec<_> = by_machine
                .get(m.name.as_str())
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .map(|p| {
                    (
                        p.from.max(start),
                        p.to.unwrap_or(end).min(end),
                        p.host.clone(),
                    )
                })
                .filter(|(a, b, _)| b > a)
                .collect();
            rows.sort_by_key(|r| r.0);
            let mut v = Vec::new();
            let mut at = start;
            for (a, b, host) in rows {
                if a > at
                    && let Some(h) = &m.host
                {
                    // A gap in the history: the inventory's host holds.
                    v.push((h.clone(), at, a));
                }
                let a = a.max(at);
                if b > a {
                    v.push((host, a, b));
                    at = b;
                }
            }
            if at < end
                && let Some(h) = &m.host
            {
                v.push((h.clone(), at, end));
            }
            for (h, a, b) in &v {
                *host_hours.entry(h.clone()).or_insert(0.0) += hours(*a, *b);
            }
            stays.insert(m.name.clone(), v);
        }
        Exposure {
            window,
            hours: hours(start, end),
            stays,
            host_hours,
        }
    }

    /// Hours a machine was observed (the whole window for every machine).
    pub fn machine_hours(&self) -> f64 {
        self.hours
    }

    /// The host a guest was on at `t`, from its stays.
    pub fn host_at(&self, machine: &str, t: Timestamp) -> Option<&str> {
        self.stays
            .get(machine)?
            .iter()
            .find(|(_, a, b)| *a <= t && t < *b)
            .map(|(h, _, _)| h.as_str())
    }
}

/// Crashes and observed hours per machine, for comparing sets of machines
/// outside the main analysis (the audit's "do the flagged machines crash
/// more?"). A host stands for what ran on it: its figures are its own
/// crashes and window hours plus the crashes of guests while they were on it
/// and the guest-hours spent there, so that a host setting is judged by the
/// crashes it could have caused.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct MachineExposure {
    /// Hours in the window.
    pub window_hours: f64,
    pub hours: BTreeMap<String, f64>,
    pub crashes: BTreeMap<String, u64>,
}

/// See [`MachineExposure`]. Crashes with no time count against the guest's
/// inventory host.
pub fn machine_exposure(
    case: &Case,
    reports: &[faultline_scan::FoundReport],
    events: &[FoundEvent],
) -> MachineExposure {
    let merged = crate::merge_crashes(case, reports);
    let win = window(case, &merged.crashes, events);
    let exposure = Exposure::compute(case, win);
    let mut out = MachineExposure {
        window_hours: exposure.hours,
        ..MachineExposure::default()
    };
    for m in &case.machines {
        out.hours.insert(m.name.clone(), exposure.hours);
        out.crashes.insert(m.name.clone(), 0);
    }
    for (host, h) in &exposure.host_hours {
        *out.hours.entry(host.clone()).or_insert(exposure.hours) += h;
        out.crashes.entry(host.clone()).or_insert(0);
    }
    for c in &merged.crashes {
        *out.crashes.entry(c.machine.clone()).or_insert(0) += 1;
        out.hours.entry(c.machine.clone()).or_insert(exposure.hours);
        let host = match c.time {
            Some(t) => exposure.host_at(&c.machine, t),
            None => None,
        }
        .or_else(|| case.resolve(&c.machine).and_then(|m| m.host.as_deref()));
        if let Some(h) = host {
            *out.crashes.entry(h.to_string()).or_insert(0) += 1;
            out.hours.entry(h.to_string()).or_insert(exposure.hours);
        }
    }
    out
}
