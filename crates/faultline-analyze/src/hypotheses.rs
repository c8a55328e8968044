//! From factors to explanations: which significant factors travel together
//! in the inventory (and so cannot be told apart), the experiments that
//! would separate them, and a ranked list of hypotheses with the evidence
//! for and against each, in sentences that carry their numbers.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use faultline_case::MachineKind;
use serde::Serialize;

use crate::exposure::Exposure;
use crate::factors::{Factor, population_kind};
use crate::fleet::{AttrVal, Fleet};
use crate::{AnalyzeOptions, GroupAnalysis};

/// Significant factors compared pairwise for confounding: the strongest
/// few, so that a large fleet does not turn this quadratic.
const CONFOUNDING_FACTORS: usize = 6;

/// Machines and crashed machines in one cell of a cross-tabulation.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq)]
pub struct Cell {
    pub machines: u64,
    pub crashed: u64,
}

/// Two significant factors and how they co-occur in the inventory.
#[derive(Debug, Clone, Serialize)]
pub struct Confounding {
    pub first: String,
    pub second: String,
    pub both: Cell,
    pub first_only: Cell,
    pub second_only: Cell,
    pub neither: Cell,
    /// Whether the inventory has machines with one and not the other, in
    /// both directions.
    pub separable: bool,
    pub statement: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Hypothesis {
    pub rank: usize,
    pub category: String,
    pub statement: String,
    pub evidence: Vec<String>,
    pub against: Vec<String>,
    /// The smallest p-value behind the evidence (1 when there is none).
    pub p: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Experiment {
    pub machine: String,
    pub change: String,
    /// The factors it tells apart.
    pub separates: Vec<String>,
    pub statement: String,
}

fn label(f: &Factor) -> String {
    format!("{}={}", f.attribute, f.value)
}

fn num(p: f64) -> String {
    if p >= 0.01 {
        format!("{p:.3}")
    } else {
        format!("{p:.2e}")
    }
}

fn or_text(f: &Factor) -> String {
    let b = |x: f64| {
        if x.is_finite() {
            format!("{x:.1}")
        } else {
            "∞".to_string()
        }
    };
    format!("{} [{}, {}]", b(f.odds_ratio), b(f.ci[0]), b(f.ci[1]))
}

pub(crate) fn factor_sentence(f: &Factor) -> String {
    format!(
        "{} of {} crashed machines have {}, against {} of {} in the inventory (one-sided Fisher p={}, q={}, odds ratio {})",
        f.crashed_with,
        f.crashed,
        label(f),
        f.population_with,
        f.population,
        num(f.p),
        num(f.q),
        or_text(f)
    )
}

/// Which kind of explanation an attribute stands for.
fn category(attribute: &str) -> String {
    let a = attribute.to_ascii_lowercase();
    let is = |words: &[&str]| words.iter().any(|w| a.contains(w));
    if is(&[
        "host",
        "model",
        "cluster",
        "esx",
        "cpu_model",
        "bios",
        "hardware",
    ]) {
        "host hardware".into()
    } else if is(&["kernel", "os", "distro", "release"]) {
        "guest kernel".into()
    } else if is(&["vcpu", "cpus", "smp"]) {
        "vCPU/SMP".into()
    } else if is(&["datastore", "storage", "disk", "vmswap", "lun", "nfs"]) {
        "storage path".into()
    } else if is(&["memory", "mem_", "ram", "swap", "balloon"]) {
        "memory configuration".into()
    } else {
        format!("attribute {attribute}")
    }
}

fn find(fleet: &Fleet, f: &Factor) -> Option<AttrVal> {
    let a = fleet.attr_id(&f.attribute)?;
    let v = fleet.values[a as usize]
        .iter()
        .position(|x| *x == f.value)?;
    Some((a, v as u32))
}

/// Machines of a kind that have a value (ascending).
fn holders(fleet: &Fleet, av: AttrVal, kind: MachineKind) -> Vec<usize> {
    fleet
        .holders
        .get(&av)
        .map(|v| {
            v.iter()
                .copied()
                .filter(|m| fleet.kinds[*m] == kind)
                .collect()
        })
        .unwrap_or_default()
}

fn intersection(a: &[usize], b: &[usize]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

pub fn fill(
    fleet: &Fleet,
    exposure: &Exposure,
    a: &mut GroupAnalysis,
    crashed_ids: &[usize],
    opts: &AnalyzeOptions,
) {
    let kind = population_kind(fleet, crashed_ids);
    let crashed: HashSet<usize> = crashed_ids
        .iter()
        .copied()
        .filter(|m| fleet.kinds[*m] == kind)
        .collect();
    let pop = fleet.kind_size[crate::fleet::kind_slot(kind)];
    // The best value of each attribute that passes the bar.
    let mut best: BTreeMap<&str, &Factor> = BTreeMap::new();
    // Raw p here: confounding and experiments are exploratory, and a small
    // case (a handful of crashes) never clears q. Evidence uses q.
    for f in a.factors.iter().filter(|f| f.p < opts.alpha) {
        best.entry(f.attribute.as_str()).or_insert(f);
    }
    let sig: Vec<(&Factor, AttrVal, Vec<usize>)> = {
        let mut v: Vec<&Factor> = best.values().copied().collect();
        v.sort_by(|x, y| stronger(x, y));
        v.into_iter()
            .take(CONFOUNDING_FACTORS)
            .filter_map(|f| find(fleet, f).map(|av| (f, av, holders(fleet, av, kind))))
            .collect()
    };
    let crashed_in = |list: &[usize]| list.iter().filter(|m| crashed.contains(m)).count() as u64;
    let mut confounded = Vec::new();
    let mut experiments: Vec<Experiment> = Vec::new();
    for (i, (f1, av1, l1)) in sig.iter().enumerate() {
        for (f2, av2, l2) in &sig[i + 1..] {
            let both_n = intersection(l1, l2) as u64;
            // No machine has both: they do not travel together at all.
            if both_n == 0 {
                continue;
            }
            let both_c = l1
                .iter()
                .filter(|m| crashed.contains(m) && l2.binary_search(m).is_ok())
                .count() as u64;
            let (c1, c2) = (crashed_in(l1), crashed_in(l2));
            let both = Cell {
                machines: both_n,
                crashed: both_c,
            };
            let first_only = Cell {
                machines: l1.len() as u64 - both_n,
                crashed: c1 - both_c,
            };
            let second_only = Cell {
                machines: l2.len() as u64 - both_n,
                crashed: c2 - both_c,
            };
            let union = l1.len() as u64 + l2.len() as u64 - both_n;
            let neither = Cell {
                machines: pop - union,
                crashed: crashed.len() as u64 - (c1 + c2 - both_c),
            };
            let separable = first_only.machines > 0 && second_only.machines > 0;
            let (l1s, l2s) = (label(f1), label(f2));
            let statement = if first_only.machines == 0 && second_only.machines == 0 {
                format!(
                    "{l1s} and {l2s} cannot be told apart with this data: the same {} machines have both",
                    both.machines
                )
            } else if first_only.machines == 0 {
                format!(
                    "{l1s} cannot be told apart from {l2s}: every machine with {l1s} also has {l2s} ({} of them; {} without {l1s} have {l2s}, {} crashed)",
                    both.machines, second_only.machines, second_only.crashed
                )
            } else if second_only.machines == 0 {
                format!(
                    "{l2s} cannot be told apart from {l1s}: every machine with {l2s} also has {l1s} ({} of them; {} without {l2s} have {l1s}, {} crashed)",
                    both.machines, first_only.machines, first_only.crashed
                )
            } else {
                format!(
                    "{l1s} and {l2s} travel together but can be partly told apart: {} machines have both ({} crashed), {} only {l1s} ({} crashed), {} only {l2s} ({} crashed)",
                    both.machines,
                    both.crashed,
                    first_only.machines,
                    first_only.crashed,
                    second_only.machines,
                    second_only.crashed
                )
            };
            if first_only.crashed == 0 || second_only.crashed == 0 || !separable {
                for ((change, cav), (keep, kav)) in
                    [((f1, *av1), (f2, *av2)), ((f2, *av2), (f1, *av1))]
                {
                    if let Some(e) = experiment(
                        fleet,
                        exposure,
                        &crashed,
                        kind,
                        a.crashes,
                        (change, cav),
                        (keep, kav),
                    ) && !experiments
                        .iter()
                        .any(|x| x.machine == e.machine && x.change == e.change)
                    {
                        experiments.push(e);
                    }
                }
            }
            confounded.push(Confounding {
                first: l1s,
                second: l2s,
                both,
                first_only,
                second_only,
                neither,
                separable,
                statement,
            });
        }
    }
    a.confounded = confounded;
    a.experiments = experiments;
    a.hypotheses = hypotheses(fleet, a, &crashed, opts);
}

/// Change `change` on one crashed machine that has both factors, keeping
/// `keep`: if the crashes stop, `change` was it.
fn experiment(
    fleet: &Fleet,
    exposure: &Exposure,
    crashed: &HashSet<usize>,
    kind: MachineKind,
    crashes: usize,
    (change, cav): (&Factor, AttrVal),
    (keep, kav): (&Factor, AttrVal),
) -> Option<Experiment> {
    let mut candidates: Vec<usize> = crashed
        .iter()
        .copied()
        .filter(|m| {
            fleet.value_of(*m, cav.0) == Some(cav.1) && fleet.value_of(*m, kav.0) == Some(kav.1)
        })
        .collect();
    candidates.sort_by(|a, b| fleet.names[*a].cmp(&fleet.names[*b]));
    let machine = fleet.names[*candidates.first()?].clone();
    let target = if change.attribute == "host" {
        // The host with the most guest-hours that is not the suspect.
        exposure
            .host_hours
            .iter()
            .filter(|(h, _)| **h != change.value)
            .max_by(|a, b| a.1.total_cmp(b.1).then(b.0.cmp(a.0)))
            .map(|(h, _)| h.clone())
    } else {
        // The most common other value among machines that did not crash
        // and have the kept value: a value seen with it is a change that
        // can be made (no el5 kernel on a CentOS 6 guest). Sizes (vCPUs,
        // memory) can be set to any value seen in the fleet.
        let settable = change.attribute.contains("vcpu") || change.attribute.contains("memory");
        let most_common = |with_kept: bool| {
            (0..fleet.values[cav.0 as usize].len() as u32)
                .filter(|v| *v != cav.1)
                .map(|v| {
                    let holders = holders(fleet, (cav.0, v), kind);
                    let n = holders
                        .iter()
                        .filter(|m| !crashed.contains(m))
                        .filter(|m| !with_kept || fleet.value_of(**m, kav.0) == Some(kav.1))
                        .count();
                    (n, v)
                })
                .filter(|(n, _)| *n > 0)
                .max_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)))
                .map(|(_, v)| fleet.values[cav.0 as usize][v as usize].clone())
        };
        most_common(true).or_else(|| if settable { most_common(false) } else { None })
    }?;
    // How often one crashed machine crashed: the window times the crashed
    // machines, over the crashes. A change on one machine is believable
    // after about three such intervals without a crash (e^-3 = 5%).
    let rate_days = if exposure.hours > 0.0 && crashes > 0 {
        exposure.hours * crashed.len() as f64 / crashes as f64 / 24.0
    } else {
        f64::NAN
    };
    let change_text = match change.attribute.as_str() {
        "host" => format!("move {machine} to host {target}"),
        a if a.contains("vcpu") => format!("set {machine} to {target} vCPU"),
        a => format!("change {a} of {machine} from {} to {target}", change.value),
    };
    let watch = if rate_days.is_finite() {
        format!(
            " Each crashed machine crashed about once every {rate_days:.0} days; give {machine} {:.0} days: were nothing changed, it would crash in that time with probability about 95%.",
            3.0 * rate_days
        )
    } else {
        String::new()
    };
    Some(Experiment {
        machine: machine.clone(),
        change: change_text.clone(),
        separates: vec![label(change), label(keep)],
        statement: format!(
            "{change_text}, keeping {}: if {machine} stops crashing, {} mattered; if it keeps crashing, {} is the better suspect.{watch}",
            label(keep),
            label(change),
            label(keep)
        ),
    })
}

/// The odds ratio an attribute's interval must exclude, at its lower bound,
/// before the attribute counts as evidence for a hypothesis.
pub const MIN_ODDS_RATIO: f64 = 1.5;

fn slot<'a>(by_cat: &'a mut BTreeMap<String, Hypothesis>, cat: &str) -> &'a mut Hypothesis {
    by_cat.entry(cat.to_string()).or_insert_with(|| Hypothesis {
        rank: 0,
        category: cat.to_string(),
        statement: String::new(),
        evidence: Vec::new(),
        against: Vec::new(),
        p: 1.0,
    })
}

fn hypotheses(
    fleet: &Fleet,
    a: &GroupAnalysis,
    crashed: &HashSet<usize>,
    opts: &AnalyzeOptions,
) -> Vec<Hypothesis> {
    let mut by_cat: BTreeMap<String, Hypothesis> = BTreeMap::new();
    // Attributes present on crashed machines, grouped by category.
    let mut seen_attrs: BTreeSet<&str> = BTreeSet::new();
    for f in &a.factors {
        seen_attrs.insert(f.attribute.as_str());
    }
    for attr in &seen_attrs {
        let cat = category(attr);
        let h = slot(&mut by_cat, &cat);
        let best = a
            .factors
            .iter()
            .filter(|f| f.attribute == *attr)
            .min_by(|x, y| stronger(x, y));
        if let Some(f) = best {
            // q, not p: with thousands of values (kernels, hosts,
            // datastores) the best raw p of any attribute is small by chance.
            // And a real but tiny difference (2.0% against 1.5%, made
            // significant by ten thousand crashed machines) explains nothing.
            if f.q < opts.alpha && f.ci[0] >= MIN_ODDS_RATIO {
                h.evidence.push(factor_sentence(f));
                if f.p < h.p {
                    h.p = f.p;
                    h.statement = format!("{} ({})", cat, label(f));
                }
            } else if f.crashed_with == f.crashed {
                h.against.push(format!(
                    "every crashed machine has {}, but so do {} of {} machines: not unusual (p={})",
                    label(f),
                    f.population_with,
                    f.population,
                    num(f.p)
                ));
            }
        }
        let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
        if let Some(id) = fleet.attr_id(attr) {
            for m in crashed.iter() {
                if let Some(v) = fleet.value_of(*m, id) {
                    *counts
                        .entry(fleet.values[id as usize][v as usize].as_str())
                        .or_default() += 1;
                }
            }
        }
        let with_value: usize = counts.values().sum();
        let top = counts.values().copied().max().unwrap_or(0);
        let values: BTreeSet<&str> = counts.keys().copied().collect();
        // Only when no value holds most (80%) of the crashed machines: 53 of
        // 56 on one host is not an argument against the host.
        if values.len() > 1 && (top as f64) < 0.8 * with_value as f64 {
            let n = values.len();
            let mut shown: Vec<&str> = values.into_iter().take(6).collect();
            let more = if n > shown.len() {
                format!(" and {} more", n - shown.len())
            } else {
                String::new()
            };
            shown.sort_unstable();
            h.against.push(format!(
                "{attr} differs across the crashed machines ({}{more}): argues against one {attr}",
                shown.join(", ")
            ));
        }
    }
    if let Some(hc) = &a.host_concentration {
        let h = slot(&mut by_cat, "host hardware");
        let s = format!(
            "{} of {} crashes were on {} while it carried {:.0}% of guest-hours; the chance that some host carries that many is p={} ({}), not the naive {} of assuming uniform placement on a host chosen beforehand",
            hc.crashes,
            hc.of,
            hc.host,
            hc.expected_share * 100.0,
            num(hc.p),
            hc.method,
            num(hc.naive_p)
        );
        // Judged on machines: forty crashes of one guest are one machine.
        let s = if hc.machines_of == hc.of {
            s
        } else {
            format!(
                "{s}; counting each crashed machine once, {} of {} were on {} at their first crash (some host that full: p={})",
                hc.machines,
                hc.machines_of,
                hc.machines_host,
                num(hc.p_machines)
            )
        };
        if hc.p_machines < opts.alpha {
            h.evidence.push(s);
            if hc.p_machines < h.p {
                h.p = hc.p_machines;
                h.statement = format!("host hardware (host={})", hc.machines_host);
            }
        } else {
            h.against.push(s);
        }
    }
    for ep in &a.event_proximity {
        let cat = format!("a scheduled job ({})", ep.kind);
        let h = slot(&mut by_cat, &cat);
        let s = format!(
            "crashes came a median {:.0} minutes after the start of the last {} in their scope (random times: {:.0} minutes; p={}, {} draws)",
            ep.median_minutes_after,
            ep.kind,
            ep.random_median_minutes,
            num(ep.p),
            ep.draws
        );
        if ep.p < opts.alpha {
            h.evidence.push(s);
            h.p = h.p.min(ep.p);
            h.statement = format!("a scheduled job: {}", ep.kind);
        } else {
            h.against.push(s);
        }
    }
    if let Some(t) = &a.time_of_day {
        let s = format!(
            "{} of {} crashes fell in the {:02}:00 hour (any hour that full: p={}; Rayleigh p={})",
            t.peak_count,
            t.n,
            t.peak_hour,
            num(t.p_max_bin),
            num(t.p_rayleigh)
        );
        // The hour speaks for a schedule only where a scheduled event
        // explains it; it says nothing about the others.
        for h in by_cat
            .values_mut()
            .filter(|h| h.category.starts_with("a scheduled job") && h.p < opts.alpha)
        {
            if t.p_max_bin < opts.alpha {
                h.evidence.push(s.clone());
            } else {
                h.against.push(s.clone());
            }
        }
    }
    for pc in a.precursors.iter().filter(|p| p.p < opts.alpha) {
        let cat = match pc.kind.as_str() {
            "io_error" | "fs_error" | "nfs" | "storage" | "dma_error" => "storage path",
            "oom" | "memory_squeeze" => "memory configuration",
            "mce" | "clock" | "watchdog" => "host hardware",
            _ => continue,
        };
        let h = slot(&mut by_cat, cat);
        h.evidence.push(format!(
            "{} events were logged on the crashed machine or its host in the {} minutes before {} of {} crashes, against {:.1}% of random windows (p={}): {}",
            pc.kind,
            pc.window_minutes,
            pc.crashes_with,
            pc.crashes,
            pc.background * 100.0,
            num(pc.p),
            pc.template
        ));
        for k in &pc.known_issues {
            h.evidence.push(format!(
                "those events are known issue {} [{}]: {} (`faultline kb show {}`)",
                k.id, k.severity, k.title, k.id
            ));
        }
        if h.statement.is_empty() || h.p > pc.p {
            h.statement = format!("{cat} ({} before crashes)", pc.kind);
        }
        h.p = h.p.min(pc.p);
    }
    let mut v: Vec<Hypothesis> = by_cat.into_values().collect();
    for h in &mut v {
        for c in &a.confounded {
            if !c.separable
                && h.evidence
                    .iter()
                    .any(|e| e.contains(&c.first) || e.contains(&c.second))
            {
                h.against.push(c.statement.clone());
            }
        }
        if h.statement.is_empty() {
            h.statement = format!("{}: no evidence in this data", h.category);
        }
    }
    v.sort_by(|x, y| {
        x.p.total_cmp(&y.p)
            .then(y.evidence.len().cmp(&x.evidence.len()))
    });
    for (i, h) in v.iter_mut().enumerate() {
        h.rank = i + 1;
    }
    v
}

/// Ranks factors: smaller p first; p-values that underflow to the same
/// figure (often 0 at fleet scale) are told apart by the interval's lower
/// bound, the odds ratio the data can still vouch for.
fn stronger(x: &Factor, y: &Factor) -> std::cmp::Ordering {
    x.p.total_cmp(&y.p).then(y.ci[0].total_cmp(&x.ci[0]))
}
