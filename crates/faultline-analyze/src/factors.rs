//! Attribute enrichment at machine level and crash rates per machine-hour.

use std::collections::HashMap;

use faultline_case::MachineKind;
use serde::Serialize;

use crate::exposure::Exposure;
use crate::fleet::{AttrVal, Fleet};
use crate::{Crash, GroupAnalysis};

/// One attribute value among the crashed machines, against the whole
/// inventory of the same kind (a 2x2 table of machines).
#[derive(Debug, Clone, Serialize)]
pub struct Factor {
    pub attribute: String,
    pub value: String,
    /// Crashed machines with the value, and crashed machines in all.
    pub crashed_with: u64,
    pub crashed: u64,
    /// Machines of the inventory with the value, and in all.
    pub population_with: u64,
    pub population: u64,
    /// One-sided Fisher exact test: more crashed machines with the value
    /// than chance would give.
    pub p: f64,
    /// Benjamini-Hochberg q-value across every factor of the case.
    pub q: f64,
    /// Conditional maximum-likelihood odds ratio; null when infinite.
    #[serde(serialize_with = "finite_or_null")]
    pub odds_ratio: f64,
    /// Exact 95% interval; a null bound is infinite.
    #[serde(serialize_with = "finite_pair")]
    pub ci: [f64; 2],
}

/// Crashes per machine-hour of machines with a value against the rest.
#[derive(Debug, Clone, Serialize)]
pub struct Rate {
    pub attribute: String,
    pub value: String,
    pub crashes: u64,
    pub exposure_hours: f64,
    pub other_crashes: u64,
    pub other_hours: f64,
    /// Crashes per 1000 machine-hours, with the value and without.
    pub rate_per_1000h: f64,
    pub other_rate_per_1000h: f64,
    #[serde(serialize_with = "finite_or_null")]
    pub rate_ratio: f64,
    #[serde(serialize_with = "finite_pair")]
    pub ci: [f64; 2],
    /// Exact conditional (binomial) test that the rate is higher.
    pub p: f64,
}

pub(crate) fn finite_or_null<S: serde::Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
    if v.is_finite() {
        s.serialize_f64(*v)
    } else {
        s.serialize_none()
    }
}

fn finite_pair<S: serde::Serializer>(v: &[f64; 2], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeSeq;
    let mut seq = s.serialize_seq(Some(2))?;
    for x in v {
        if x.is_finite() {
            seq.serialize_element(x)?;
        } else {
            seq.serialize_element(&None::<f64>)?;
        }
    }
    seq.end()
}

/// The kind most crashed machines are: enrichment compares like with like.
pub(crate) fn population_kind(fleet: &Fleet, crashed: &[usize]) -> MachineKind {
    let hosts = crashed
        .iter()
        .filter(|m| fleet.kinds[**m] == MachineKind::Host)
        .count();
    if hosts * 2 > crashed.len() {
        MachineKind::Host
    } else {
        MachineKind::Guest
    }
}

/// Every attribute value that some crashed machine has, with how many
/// crashed machines (of the population's kind) have it.
pub(crate) fn crashed_counts(
    fleet: &Fleet,
    crashed: &[usize],
    kind: MachineKind,
) -> HashMap<AttrVal, u64> {
    let mut counts: HashMap<AttrVal, u64> = HashMap::new();
    for &m in crashed.iter().filter(|m| fleet.kinds[**m] == kind) {
        for av in &fleet.machine_values[m] {
            *counts.entry(*av).or_insert(0) += 1;
        }
    }
    counts
}

pub fn enrichment(fleet: &Fleet, crashed: &[usize]) -> Vec<Factor> {
    let kind = population_kind(fleet, crashed);
    let n_crashed = crashed.iter().filter(|m| fleet.kinds[**m] == kind).count() as u64;
    let n_pop = fleet.kind_size[crate::fleet::kind_slot(kind)];
    if n_crashed == 0 {
        return Vec::new();
    }
    let mut out: Vec<Factor> = crashed_counts(fleet, crashed, kind)
        .into_iter()
        .map(|(av, crashed_with)| {
            let population_with = fleet.holders_of_kind(av, kind);
            let (a, b) = (crashed_with, n_crashed - crashed_with);
            let c = population_with - crashed_with;
            let d = n_pop - n_crashed - c;
            let or = faultline_stats::odds_ratio(a, b, c, d);
            let (attr, value) = fleet.label(av);
            Factor {
                attribute: attr.to_string(),
                value: value.to_string(),
                crashed_with,
                crashed: n_crashed,
                population_with,
                population: n_pop,
                p: faultline_stats::fisher_greater(a, b, c, d),
                q: 1.0,
                odds_ratio: or.estimate,
                ci: [or.low, or.high],
            }
        })
        .collect();
    out.sort_by(|x, y| {
        x.p.total_cmp(&y.p)
            .then(x.attribute.cmp(&y.attribute))
            .then(x.value.cmp(&y.value))
    });
    out
}

/// Rates for each attribute value of the crashed machines; the host of a
/// crash is where the guest was at the time (placements), and host
/// exposure is the guest-hours spent there.
pub fn rates(
    fleet: &Fleet,
    exposure: &Exposure,
    crashes: &[&Crash],
    ids: &[Option<usize>],
) -> Vec<Rate> {
    if exposure.window.is_none() {
        return Vec::new();
    }
    let crashed: Vec<usize> = ids.iter().flatten().copied().collect();
    let kind = population_kind(fleet, &crashed);
    let host_attr = fleet.attr_id("host");
    // Crashes (not machines) per value, among machines of the population's kind.
    let mut per_value: HashMap<AttrVal, u64> = HashMap::new();
    let mut total = 0u64;
    for m in ids.iter().flatten().filter(|m| fleet.kinds[**m] == kind) {
        total += 1;
        for av in &fleet.machine_values[*m] {
            if Some(av.0) != host_attr {
                *per_value.entry(*av).or_insert(0) += 1;
            }
        }
    }
    let n_pop = fleet.kind_size[crate::fleet::kind_slot(kind)] as f64;
    let total_hours = exposure.machine_hours() * n_pop;
    let mut out: Vec<Rate> = per_value
        .into_iter()
        .map(|(av, x1)| {
            let hours = exposure.machine_hours() * fleet.holders_of_kind(av, kind) as f64;
            let (attr, value) = fleet.label(av);
            rate(
                attr.to_string(),
                value.to_string(),
                x1,
                hours,
                total - x1,
                total_hours - hours,
            )
        })
        .collect();
    // Hosts, by where the crashed guest was at the time.
    let guest_hours: f64 = exposure.host_hours.values().sum();
    if guest_hours > 0.0 {
        let mut per_host: HashMap<&str, u64> = HashMap::new();
        let mut timed = 0u64;
        for c in crashes {
            if let Some(h) = c.time.and_then(|t| exposure.host_at(&c.machine, t)) {
                *per_host.entry(h).or_insert(0) += 1;
                timed += 1;
            }
        }
        for (host, x1) in per_host {
            let hours = exposure.host_hours.get(host).copied().unwrap_or(0.0);
            out.push(rate(
                "host".into(),
                host.to_string(),
                x1,
                hours,
                timed - x1,
                guest_hours - hours,
            ));
        }
    }
    out.sort_by(|x, y| {
        x.p.total_cmp(&y.p)
            .then(x.attribute.cmp(&y.attribute))
            .then(x.value.cmp(&y.value))
    });
    out
}

fn rate(attribute: String, value: String, x1: u64, t1: f64, x2: u64, t2: f64) -> Rate {
    let r = faultline_stats::poisson_rate_ratio(x1, t1, x2, t2);
    let per = |x: u64, t: f64| if t > 0.0 { x as f64 / t * 1000.0 } else { 0.0 };
    Rate {
        attribute,
        value,
        crashes: x1,
        exposure_hours: t1,
        other_crashes: x2,
        other_hours: t2,
        rate_per_1000h: per(x1, t1),
        other_rate_per_1000h: per(x2, t2),
        rate_ratio: r.ratio,
        ci: [r.low, r.high],
        p: r.p_greater,
    }
}

/// Benjamini-Hochberg over every factor of every analysis of the case.
pub fn adjust_q(analyses: &mut [GroupAnalysis]) {
    let ps: Vec<f64> = analyses
        .iter()
        .flat_map(|a| a.factors.iter().map(|f| f.p))
        .collect();
    let qs = faultline_stats::benjamini_hochberg(&ps);
    let mut it = qs.into_iter();
    for a in analyses.iter_mut() {
        for f in &mut a.factors {
            f.q = it.next().unwrap_or(1.0);
        }
    }
}
