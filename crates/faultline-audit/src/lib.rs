//! The audit: every knowledge-base rule against every machine's config
//! snapshot, drift between peers, and — inside a case with crashes — whether
//! the machines a finding flags crash more than the others.
//!
//! Inputs are plain data, so that this crate reads no files and knows
//! nothing of logs or the store: the facts of each snapshot
//! ([`MachineConfig`]), the known issues whose log side was seen on each
//! machine ([`Sighting`]), the peer group of each machine, and optionally the
//! crashes and observed hours per machine ([`CrashExposure`]).
//!
//! Decisions:
//!
//! * An issue with `combine = "all"` flags a machine only when its config
//!   side holds on that machine's snapshot *and* its log side was seen on
//!   that machine. Other issues flag a machine for either side.
//! * Drift compares a fact among the machines of one peer group (same role
//!   and cluster; see the CLI), when the group has at least
//!   [`MIN_PEERS`] machines that have the fact and one value is held by more
//!   than half of them and by at least two: the others drift. Which facts
//!   count, and when a missing fact means "not set" rather than "not
//!   applicable", is the table in `drift.rs`. Drift findings are `low`.
//! * Crash rate: crashes per machine-hour of the flagged machines against the
//!   other audited machines, with the exact conditional Poisson test
//!   (`faultline_stats::poisson_rate_ratio`, one-sided "flagged crash more").
//!   A host's figures include its guests' (see the analysis crate's
//!   `MachineExposure`).

mod drift;

use std::collections::{BTreeMap, BTreeSet};

use faultline_kb::{FactTest, Facts, KnowledgeBase, Severity};
use serde::Serialize;

pub use drift::MIN_PEERS;

/// Facts that say what a machine is rather than how it is set.
const SCOPE_FACTS: &[&str] = &["source", "role", "hypervisor", "kvm_device", "machine"];

/// One machine's config snapshot, as facts.
#[derive(Debug, Clone)]
pub struct MachineConfig {
    pub machine: String,
    /// The snapshot file (for messages).
    pub file: String,
    pub facts: Facts,
}

/// A known issue whose log side was seen on a machine.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Sighting {
    pub machine: String,
    pub issue: String,
    /// How many reports and events matched.
    pub count: u64,
    /// Where it was first seen (`file:line`).
    pub first: String,
}

/// Crashes and observed hours per machine, by machine name, for every
/// machine of the case.
#[derive(Debug, Clone, Default)]
pub struct CrashExposure {
    pub hours: BTreeMap<String, f64>,
    pub crashes: BTreeMap<String, u64>,
    /// What kind of machine each is (`host`, `guest`): flagged machines are
    /// compared with unflagged ones of the same kind only. Machines not
    /// listed are all of one kind.
    pub kind: BTreeMap<String, String>,
}

/// What the audit found.
#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    /// The audited machines, in name order.
    pub machines: Vec<String>,
    /// Peer group of each audited machine.
    pub peer_groups: BTreeMap<String, String>,
    /// Most severe first, then by id.
    pub findings: Vec<Finding>,
}

impl Audit {
    /// The most severe finding's severity.
    pub fn worst(&self) -> Option<Severity> {
        self.findings.iter().map(|f| f.severity).max()
    }

    /// Findings at or above a severity.
    pub fn at_least(&self, s: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity >= s).count()
    }
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// A knowledge-base issue: its config side, its log side, or both.
    KnownIssue,
    /// A setting that differs from the majority of its peers.
    Drift,
}

/// One finding and the machines it flags.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    /// The known issue's id, or `drift:<fact>`.
    pub id: String,
    pub title: String,
    pub severity: Severity,
    pub machines: Vec<Flagged>,
    pub explanation: String,
    /// What to look for to confirm it.
    pub evidence: Vec<String>,
    pub remediation: Vec<String>,
    pub references: Vec<String>,
    /// The issue's conditions in words (`xen.cmdline.dom0_mem is not set`).
    pub conditions: Vec<String>,
    /// Whether the flagged machines crash more than the other audited ones;
    /// absent outside a case with crashes and time.
    pub crash_rate: Option<CrashRate>,
    /// Where the rule came from (`built-in kb/xen.toml`, a file).
    pub origin: String,
}

/// A machine a finding flags, with what was seen on it.
#[derive(Debug, Clone, Serialize)]
pub struct Flagged {
    pub machine: String,
    /// The snapshot file, when the config side flagged it.
    pub file: Option<String>,
    /// The current values that made the config side hold.
    pub current: Vec<Setting>,
    /// Reports and events of the issue's log side on this machine.
    pub log_matches: u64,
    /// Where the log side was first seen (`file:line`).
    pub first_seen: Option<String>,
}

/// A fact's current value (None: not set) and what it should be.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Setting {
    pub fact: String,
    pub value: Option<String>,
    pub recommended: Option<String>,
}

/// Crashes per machine-hour of the flagged machines against the others.
#[derive(Debug, Clone, Serialize)]
pub struct CrashRate {
    pub flagged_machines: usize,
    pub flagged_crashes: u64,
    pub flagged_hours: f64,
    pub other_machines: usize,
    pub other_crashes: u64,
    pub other_hours: f64,
    /// `(flagged crashes / hours) / (other crashes / hours)`; null when the
    /// others had no crash (unbounded).
    pub rate_ratio: Option<f64>,
    /// Exact 95% interval of the rate ratio (upper null when unbounded).
    pub ci: (f64, Option<f64>),
    /// One-sided exact p-value for "the flagged machines crash more".
    pub p: f64,
}

/// How to run the audit.
#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Peer group of each machine; machines not listed are grouped by their
    /// `source`, `role` and `hypervisor` facts.
    pub peer_groups: BTreeMap<String, String>,
    /// Leave drift out.
    pub no_drift: bool,
}

/// Runs the audit. See the module documentation for the rules.
pub fn audit(
    kb: &KnowledgeBase,
    configs: &[MachineConfig],
    sightings: &[Sighting],
    exposure: Option<&CrashExposure>,
    opts: &AuditOptions,
) -> Audit {
    let machines: BTreeSet<String> = configs
        .iter()
        .map(|c| c.machine.clone())
        .chain(sightings.iter().map(|s| s.machine.clone()))
        .collect();
    let peer_groups: BTreeMap<String, String> = configs
        .iter()
        .map(|c| {
            let group = opts
                .peer_groups
                .get(&c.machine)
                .cloned()
                .unwrap_or_else(|| default_group(&c.facts));
            (c.machine.clone(), group)
        })
        .collect();

    let mut findings = Vec::new();
    for issue in kb.issues() {
        let mut flagged: BTreeMap<String, Flagged> = BTreeMap::new();
        let mut config_hits: BTreeMap<&str, Flagged> = BTreeMap::new();
        for c in configs {
            if let Some(m) = issue.match_facts(&c.facts) {
                // Conditions that only say where the rule applies (a Linux
                // host, a Xen dom0: what the machine is, or that a fact
                // exists) are not the finding; the settings are, unless the
                // rule tests nothing else.
                let scoping = |c: &faultline_kb::FactCondition| {
                    matches!(c.test, FactTest::Present) || SCOPE_FACTS.contains(&c.fact.as_str())
                };
                let only_scope = m.observed.iter().all(|(c, _)| scoping(c));
                let current = m
                    .observed
                    .iter()
                    .filter(|(c, _)| only_scope || !scoping(c))
                    .flat_map(|(cond, seen)| {
                        let rec = cond.recommended.clone();
                        if seen.is_empty() {
                            vec![Setting {
                                fact: cond.fact.clone(),
                                value: None,
                                recommended: rec,
                            }]
                        } else {
                            seen.iter()
                                .map(|o| Setting {
                                    fact: o.fact.clone(),
                                    value: Some(o.value.clone()),
                                    recommended: rec.clone(),
                                })
                                .collect()
                        }
                    })
                    .collect();
                config_hits.insert(
                    c.machine.as_str(),
                    Flagged {
                        machine: c.machine.clone(),
                        file: Some(c.file.clone()),
                        current,
                        log_matches: 0,
                        first_seen: None,
                    },
                );
            }
        }
        let seen: BTreeMap<&str, &Sighting> = sightings
            .iter()
            .filter(|s| s.issue == issue.id)
            .map(|s| (s.machine.as_str(), s))
            .collect();
        if issue.needs_both() {
            for (machine, mut f) in config_hits {
                if let Some(s) = seen.get(machine) {
                    f.log_matches = s.count;
                    f.first_seen = Some(s.first.clone());
                    flagged.insert(machine.to_string(), f);
                }
            }
        } else {
            for (machine, f) in config_hits {
                flagged.insert(machine.to_string(), f);
            }
            for (machine, s) in seen {
                let f = flagged
                    .entry(machine.to_string())
                    .or_insert_with(|| Flagged {
                        machine: machine.to_string(),
                        file: None,
                        current: Vec::new(),
                        log_matches: 0,
                        first_seen: None,
                    });
                f.log_matches = s.count;
                f.first_seen = Some(s.first.clone());
            }
        }
        if flagged.is_empty() {
            continue;
        }
        let flagged: Vec<Flagged> = flagged.into_values().collect();
        // Who could have been flagged: the machines with a snapshot when
        // the config side speaks, every machine of the case when only the
        // logs do. An issue recognised in crash reports flags machines
        // because they crashed: its crash rate would be circular.
        let config_side = issue.has_config();
        let circular = !config_side && issue.logs.iter().any(|m| m.about_reports());
        let population: BTreeSet<String> = match exposure {
            Some(e) if !config_side => e.hours.keys().cloned().collect(),
            _ => configs.iter().map(|c| c.machine.clone()).collect(),
        };
        let crash_rate = exposure
            .filter(|_| !circular)
            .and_then(|e| crash_rate(e, &flagged, &population));
        findings.push(Finding {
            kind: FindingKind::KnownIssue,
            id: issue.id.clone(),
            title: issue.title.clone(),
            severity: issue.severity,
            machines: flagged,
            explanation: issue.explanation.clone(),
            evidence: issue.evidence.clone(),
            remediation: issue.remediation.clone(),
            references: issue.references.clone(),
            conditions: issue.config.iter().map(|c| c.describe()).collect(),
            crash_rate,
            origin: issue.origin.clone(),
        });
    }
    let audited: BTreeSet<String> = configs.iter().map(|c| c.machine.clone()).collect();
    if !opts.no_drift {
        for mut d in drift::find(configs, &peer_groups) {
            d.crash_rate = exposure.and_then(|e| crash_rate(e, &d.machines, &audited));
            findings.push(d);
        }
    }
    // Within a severity, known issues before drift, and what goes with the
    // crashes (smallest p) before what does not.
    let p = |f: &Finding| f.crash_rate.as_ref().map_or(2.0, |r| r.p);
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(a.kind.cmp_rank().cmp(&b.kind.cmp_rank()))
            .then(p(a).total_cmp(&p(b)))
            .then(a.id.cmp(&b.id))
    });
    Audit {
        machines: machines.into_iter().collect(),
        peer_groups,
        findings,
    }
}

impl FindingKind {
    fn cmp_rank(self) -> u8 {
        match self {
            FindingKind::KnownIssue => 0,
            FindingKind::Drift => 1,
        }
    }
}

/// `source/role/hypervisor` from the facts, for machines without a group.
pub fn default_group(facts: &Facts) -> String {
    let get = |k: &str| facts.get(k).map(String::as_str).unwrap_or("unknown");
    format!(
        "{}/{}/{}",
        get("source"),
        get("role"),
        facts
            .get("hypervisor")
            .map(String::as_str)
            .unwrap_or("none")
    )
}

/// The flagged machines' crash rate against the unflagged machines of the
/// population of the same kind. None when either side has no hours or
/// nobody crashed.
fn crash_rate(
    exposure: &CrashExposure,
    flagged: &[Flagged],
    audited: &BTreeSet<String>,
) -> Option<CrashRate> {
    let flagged_names: BTreeSet<&str> = flagged.iter().map(|f| f.machine.as_str()).collect();
    let kind = |m: &str| exposure.kind.get(m).map(String::as_str).unwrap_or("");
    let kinds: BTreeSet<&str> = flagged_names.iter().map(|m| kind(m)).collect();
    let sum = |names: &mut dyn Iterator<Item = &str>| {
        let (mut n, mut x, mut t) = (0usize, 0u64, 0f64);
        for m in names {
            if let Some(h) = exposure.hours.get(m) {
                n += 1;
                t += h;
                x += exposure.crashes.get(m).copied().unwrap_or(0);
            }
        }
        (n, x, t)
    };
    let (n1, x1, t1) = sum(&mut flagged_names.iter().copied());
    let (n2, x2, t2) = sum(&mut audited
        .iter()
        .map(String::as_str)
        .filter(|m| !flagged_names.contains(m) && kinds.contains(kind(m))));
    if n1 == 0 || n2 == 0 || t1 <= 0.0 || t2 <= 0.0 || x1 + x2 == 0 {
        return None;
    }
    let rr = faultline_stats::poisson_rate_ratio(x1, t1, x2, t2);
    let finite = |v: f64| v.is_finite().then_some(v);
    Some(CrashRate {
        flagged_machines: n1,
        flagged_crashes: x1,
        flagged_hours: t1,
        other_machines: n2,
        other_crashes: x2,
        other_hours: t2,
        rate_ratio: finite(rr.ratio),
        ci: (rr.low, finite(rr.high)),
        p: rr.p_greater,
    })
}
