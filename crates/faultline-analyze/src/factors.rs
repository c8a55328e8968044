//! Attribute enrichment at machine level and crash rates per machine-hour.

use std::collections::{BTreeMap, BTreeSet};

use faultline_case::{AttrValue, Case, Machine, MachineKind};
use serde::Serialize;

use crate::exposure::Exposure;
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

/// How a value is written: whole numbers without a decimal point.
pub(crate) fn value_text(v: &AttrValue) -> String {
    match v {
        AttrValue::Number(n) if n.fract() == 0.0 && n.abs() < 1e15 => format!("{}", *n as i64),
        AttrValue::Number(n) => format!("{n}"),
        AttrValue::Text(t) => t.clone(),
    }
}

/// A machine's attributes as text, with its inventory host as `host`.
pub(crate) fn attributes(m: &Machine) -> BTreeMap<String, String> {
    let mut a: BTreeMap<String, String> = m
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), value_text(v)))
        .filter(|(_, v)| !v.is_empty())
        .collect();
    if let Some(h) = &m.host {
        a.insert("host".into(), h.clone());
    }
    a
}

/// The kind most crashed machines are: enrichment compares like with like.
pub(crate) fn population<'c>(case: &'c Case, crashed: &[String]) -> Vec<&'c Machine> {
    let kinds: Vec<MachineKind> = crashed
        .iter()
        .filter_map(|n| case.resolve(n))
        .map(|m| m.kind)
        .collect();
    let hosts = kinds.iter().filter(|k| **k == MachineKind::Host).count();
    let kind = if hosts * 2 > kinds.len() {
        MachineKind::Host
    } else {
        MachineKind::Guest
    };
    case.machines.iter().filter(|m| m.kind == kind).collect()
}

pub fn enrichment(case: &Case, crashed: &[String]) -> Vec<Factor> {
    let pop = population(case, crashed);
    let crashed: BTreeSet<&str> = crashed.iter().map(String::as_str).collect();
    let in_pop: Vec<(&Machine, bool, BTreeMap<String, String>)> = pop
        .iter()
        .map(|m| (*m, crashed.contains(m.name.as_str()), attributes(m)))
        .collect();
    let n_crashed = in_pop.iter().filter(|(_, c, _)| *c).count() as u64;
    let n_pop = in_pop.len() as u64;
    if n_crashed == 0 {
        return Vec::new();
    }
    // Every attribute value that some crashed machine has.
    let mut values: BTreeSet<(String, String)> = BTreeSet::new();
    for (_, c, attrs) in &in_pop {
        if *c {
            for (k, v) in attrs {
                values.insert((k.clone(), v.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (attr, value) in values {
        let with =
            |(_, _, a): &&(&Machine, bool, BTreeMap<String, String>)| a.get(&attr) == Some(&value);
        let population_with = in_pop.iter().filter(with).count() as u64;
        let crashed_with = in_pop.iter().filter(|x| with(x) && x.1).count() as u64;
        let (a, b) = (crashed_with, n_crashed - crashed_with);
        let (c, d) = (
            population_with - crashed_with,
            n_pop - n_crashed - (population_with - crashed_with),
        );
        let or = faultline_stats::odds_ratio(a, b, c, d);
        out.push(Factor {
            attribute: attr,
            value,
            crashed_with,
            crashed: n_crashed,
            population_with,
            population: n_pop,
            p: faultline_stats::fisher_greater(a, b, c, d),
            q: 1.0,
            odds_ratio: or.estimate,
            ci: [or.low, or.high],
        });
    }
    out.sort_by(|x, y| x.p.total_cmp(&y.p).then(x.attribute.cmp(&y.attribute)));
    out
}

/// Rates for each attribute value of the crashed machines; the host of a
/// crash is where the guest was at the time (placements), and host
/// exposure is the guest-hours spent there.
pub fn rates(case: &Case, exposure: &Exposure, crashes: &[&Crash]) -> Vec<Rate> {
    let Some(_) = exposure.window else {
        return Vec::new();
    };
    let crashed: Vec<String> = crashes
        .iter()
        .filter(|c| c.known)
        .map(|c| c.machine.clone())
        .collect();
    let pop = population(case, &crashed);
    let attrs: BTreeMap<&str, BTreeMap<String, String>> = pop
        .iter()
        .map(|m| (m.name.as_str(), attributes(m)))
        .collect();
    let counted: Vec<&&Crash> = crashes
        .iter()
        .filter(|c| attrs.contains_key(c.machine.as_str()))
        .collect();
    let total = counted.len() as u64;
    let total_hours = exposure.machine_hours() * pop.len() as f64;
    let mut values: BTreeSet<(String, String)> = BTreeSet::new();
    for c in &counted {
        for (k, v) in &attrs[c.machine.as_str()] {
            if k != "host" {
                values.insert((k.clone(), v.clone()));
            }
        }
    }
    let mut out = Vec::new();
    for (attr, value) in values {
        let machines = attrs
            .values()
            .filter(|a| a.get(&attr) == Some(&value))
            .count();
        let hours = exposure.machine_hours() * machines as f64;
        let x1 = counted
            .iter()
            .filter(|c| attrs[c.machine.as_str()].get(&attr) == Some(&value))
            .count() as u64;
        out.push(rate(
            attr,
            value,
            x1,
            hours,
            total - x1,
            total_hours - hours,
        ));
    }
    // Hosts, by where the crashed guest was at the time.
    let guest_hours: f64 = exposure.host_hours.values().sum();
    if guest_hours > 0.0 {
        for (host, hours) in &exposure.host_hours {
            let x1 = counted
                .iter()
                .filter(|c| {
                    c.time.and_then(|t| exposure.host_at(&c.machine, t)) == Some(host.as_str())
                })
                .count() as u64;
            let timed = counted
                .iter()
                .filter(|c| {
                    c.time
                        .and_then(|t| exposure.host_at(&c.machine, t))
                        .is_some()
                })
                .count() as u64;
            if x1 > 0 {
                out.push(rate(
                    "host".into(),
                    host.clone(),
                    x1,
                    *hours,
                    timed - x1,
                    guest_hours - hours,
                ));
            }
        }
    }
    out.sort_by(|x, y| x.p.total_cmp(&y.p).then(x.attribute.cmp(&y.attribute)));
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
