//! The factors two configurations differ in, and the configurations in
//! between: what `faultline lab bisect` varies.
//!
//! A factor is one setting: the disk format, swap, the I/O scheduler, vCPUs,
//! memory, the injected failure, host-side stress, and each sysctl and each
//! stress option on its own. A mixed configuration takes every factor from
//! the good configuration except the ones chosen, which come from the bad.

use std::collections::BTreeSet;

use crate::experiment::Configuration;

/// One setting that differs, with its two values as the user reads them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// `disk_format`, `swap`, `sysctl.vm.swappiness`, `stress.numjobs`, ...
    pub name: String,
    pub good: String,
    pub bad: String,
}

fn shown(v: Option<&str>) -> String {
    v.map_or_else(|| "(not set)".to_string(), str::to_string)
}

fn stress_value(c: &Configuration, key: &str) -> Option<String> {
    c.stress
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| if v.is_empty() { "on".into() } else { v.clone() })
}

/// The settings in which `good` and `bad` differ, in a fixed order.
pub fn differences(good: &Configuration, bad: &Configuration) -> Vec<Difference> {
    let mut out = Vec::new();
    let mut push = |name: &str, g: String, b: String| {
        if g != b {
            out.push(Difference {
                name: name.to_string(),
                good: g,
                bad: b,
            });
        }
    };
    push(
        "disk_format",
        good.disk_format.name().into(),
        bad.disk_format.name().into(),
    );
    let on = |b: bool| if b { "on" } else { "off" }.to_string();
    push("swap", on(good.swap), on(bad.swap));
    push(
        "scheduler",
        shown(good.scheduler.as_deref()),
        shown(bad.scheduler.as_deref()),
    );
    push("vcpus", good.vcpus.to_string(), bad.vcpus.to_string());
    push("memory", good.memory.clone(), bad.memory.clone());
    push(
        "inject",
        shown(good.inject.as_deref()),
        shown(bad.inject.as_deref()),
    );
    push("host_stress", on(good.host_stress), on(bad.host_stress));
    let keys: BTreeSet<&String> = good.sysctl.keys().chain(bad.sysctl.keys()).collect();
    for k in keys {
        push(
            &format!("sysctl.{k}"),
            shown(good.sysctl.get(k).map(String::as_str)),
            shown(bad.sysctl.get(k).map(String::as_str)),
        );
    }
    let keys: BTreeSet<&String> = good
        .stress
        .iter()
        .chain(bad.stress.iter())
        .map(|(k, _)| k)
        .collect();
    for k in keys {
        push(
            &format!("stress.{k}"),
            shown(stress_value(good, k).as_deref()),
            shown(stress_value(bad, k).as_deref()),
        );
    }
    out
}

/// The configuration with the factors marked `true` taken from `bad` and
/// the others from `good`; named `NAME` (the caller's).
pub fn mix(
    good: &Configuration,
    bad: &Configuration,
    factors: &[Difference],
    from_bad: &[bool],
    name: &str,
) -> Configuration {
    let mut c = good.clone();
    c.name = name.to_string();
    for (d, &b) in factors.iter().zip(from_bad) {
        if !b {
            continue;
        }
        match d.name.as_str() {
            "disk_format" => c.disk_format = bad.disk_format,
            "swap" => c.swap = bad.swap,
            "scheduler" => c.scheduler = bad.scheduler.clone(),
            "vcpus" => c.vcpus = bad.vcpus,
            "memory" => c.memory = bad.memory.clone(),
            "inject" => c.inject = bad.inject.clone(),
            "host_stress" => {
                c.host_stress = bad.host_stress;
                c.host_stress_options = bad.host_stress_options.clone();
            }
            n => {
                if let Some(k) = n.strip_prefix("sysctl.") {
                    match bad.sysctl.get(k) {
                        Some(v) => {
                            c.sysctl.insert(k.to_string(), v.clone());
                        }
                        None => {
                            c.sysctl.remove(k);
                        }
                    }
                } else if let Some(k) = n.strip_prefix("stress.") {
                    c.stress.retain(|(key, _)| key != k);
                    if let Some(kv) = bad.stress.iter().find(|(key, _)| key == k) {
                        c.stress.push(kv.clone());
                    }
                }
            }
        }
    }
    c
}

/// A short name for a mix: the bad factors' names joined, or `good`/`bad`
/// names for the pure ones. Only the characters configuration names allow.
pub fn mix_name(factors: &[Difference], from_bad: &[bool]) -> String {
    let chosen: Vec<String> = factors
        .iter()
        .zip(from_bad)
        .filter(|(_, b)| **b)
        .map(|(d, _)| {
            d.name
                .chars()
                .map(|ch| {
                    if ch.is_ascii_alphanumeric() || matches!(ch, '-' | '_' | '.') {
                        ch
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    if chosen.is_empty() {
        "mix-none".into()
    } else {
        format!("mix-{}", chosen.join("+").replace('+', "-and-"))
    }
}
