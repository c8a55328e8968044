//! Drift between peers: the same setting differing from the majority of the
//! machines of one peer group.
//!
//! Which facts are settings worth comparing is data, the table
//! [`DRIFT_FACTS`]: a fact pattern, the fact whose presence means the machine
//! could have had the setting (so that its absence reads "not set" rather
//! than "not applicable": a host without an NFS mount has no NFS options),
//! and the remediation line. [`IGNORED`] lists facts that differ by nature
//! (root devices, addresses, taint state).

use std::collections::{BTreeMap, HashMap};

use faultline_kb::{Severity, glob, matching};

use crate::{Finding, FindingKind, Flagged, MachineConfig, Setting};

/// The fewest machines with a fact for drift to be judged on it.
pub const MIN_PEERS: usize = 3;

struct DriftFact {
    /// Fact pattern (`*` any run of characters).
    pattern: &'static str,
    /// When a machine lacks the fact: it counts as "not set" if it has a fact
    /// matching this (with `{1}` replaced by what the pattern's first `*`
    /// matched), else it is left out of the comparison.
    scope: Option<&'static str>,
    /// The fix, with `{fact}` (the fact's name),
    /// `{value}` (the peers' value), `{1}` (the first `*`) and `{1/}` (the same
    /// with dots as slashes: an ESX option path).
    fix: &'static str,
}

const DRIFT_FACTS: &[DriftFact] = &[
    DriftFact {
        pattern: "kernel.release",
        scope: None,
        fix: "Run the peers' kernel ({value}), or record why this machine differs",
    },
    DriftFact {
        pattern: "kernel.cmdline.*",
        scope: Some("kernel.cmdline"),
        fix: "Give the kernel `{1}={value}` like its peers: GRUB_CMDLINE_LINUX in \
              /etc/default/grub, then update-grub (or grub2-mkconfig) and a reboot",
    },
    DriftFact {
        pattern: "xen.version",
        scope: None,
        fix: "Run the peers' Xen version ({value}), or record why this host differs",
    },
    DriftFact {
        pattern: "xen.cmdline.*",
        scope: Some("xen.cmdline"),
        fix: "Give the hypervisor `{1}={value}` like its peers: GRUB_CMDLINE_XEN_DEFAULT in \
              /etc/default/grub, then update-grub and a reboot",
    },
    DriftFact {
        pattern: "sysctl.*",
        scope: Some("sysctl.*"),
        fix: "sysctl -w {1}={value}, and the line `{1} = {value}` in \
              /etc/sysctl.d/90-local.conf to keep it",
    },
    DriftFact {
        pattern: "block.*.scheduler",
        scope: None,
        fix: "echo {value} > /sys/block/{1}/queue/scheduler, and a udev rule \
              (ACTION==\"add|change\", KERNEL==\"{1}\", ATTR{queue/scheduler}=\"{value}\") to keep it",
    },
    DriftFact {
        pattern: "block.*.nr_requests",
        scope: None,
        fix: "echo {value} > /sys/block/{1}/queue/nr_requests, and a udev rule to keep it",
    },
    DriftFact {
        pattern: "block.*.queue_depth",
        scope: None,
        fix: "echo {value} > /sys/block/{1}/device/queue_depth, or the HBA driver's \
              queue-depth module option like its peers",
    },
    DriftFact {
        pattern: "nfs.*.option.*",
        scope: Some("nfs.{1}.fstype"),
        fix: "Mount {1} with the peers' options (the option's value is {value}): edit its \
              line in /etc/fstab, then umount and mount it",
    },
    DriftFact {
        pattern: "nfs.*.fstype",
        scope: None,
        fix: "Mount {1} as {value} like its peers (/etc/fstab)",
    },
    DriftFact {
        pattern: "kdump.loaded",
        scope: Some("kdump.crashkernel"),
        fix: "Arm kdump like its peers: systemctl enable --now kdump (kdump-tools on Debian)",
    },
    DriftFact {
        pattern: "swap.enabled",
        scope: None,
        fix: "Match the peers' swap ({value}): swapoff -a and comment the swap line in \
              /etc/fstab, or add the swap the peers have",
    },
    DriftFact {
        pattern: "clocksource.current",
        scope: None,
        fix: "echo {value} > /sys/devices/system/clocksource/clocksource0/current_clocksource, \
              and clocksource={value} on the kernel command line to keep it",
    },
    DriftFact {
        pattern: "esx.*",
        scope: Some("esx.*"),
        fix: "esxcli system settings advanced set -o /{1/} -i {value} (or -s for a text \
              option), like its peers",
    },
];

/// Facts that differ between machines by nature.
const IGNORED: &[&str] = &[
    "kernel.cmdline.BOOT_IMAGE",
    "kernel.cmdline.root",
    "kernel.cmdline.resume",
    "kernel.cmdline.initrd",
    "kernel.cmdline.rd.*",
    "kernel.cmdline.ip",
    "kernel.cmdline.hostname",
    "sysctl.kernel.tainted",
    "sysctl.kernel.hostname",
    "sysctl.kernel.random.*",
    "nfs.*.option.addr",
    "nfs.*.option.clientaddr",
    "nfs.*.option.mountaddr",
    "esx.Misc.HostName",
    "esx.Misc.HostIPAddr",
    "esx.Net.ManagementAddr*",
];

/// What the first `*` of a pattern matched in a name, with the shortest
/// match for the text before it (so `nfs.*.option.*` gives the mount point).
fn first_star<'a>(pattern: &str, name: &'a str) -> Option<&'a str> {
    let (before, after) = pattern.split_once('*')?;
    let rest = name.strip_prefix(before)?;
    let next_literal = after.split('*').next().unwrap_or("");
    if next_literal.is_empty() {
        return Some(rest);
    }
    // The last occurrence, so that a mount point holding ".option." still
    // comes out whole for the last segment.
    rest.rfind(next_literal).map(|at| &rest[..at])
}

fn fill(template: &str, fact: &str, star: &str, value: &str) -> String {
    template
        .replace("{fact}", fact)
        .replace("{1/}", &star.replace('.', "/"))
        .replace("{1}", star)
        .replace("{value}", value)
}

/// Drift findings for every peer group.
///
/// Each machine's facts are walked once: the values of every comparable fact
/// are gathered per fact, so the cost grows with the number of facts in the
/// fleet, not with facts times machines.
pub fn find(configs: &[MachineConfig], groups: &BTreeMap<String, String>) -> Vec<Finding> {
    let mut by_group: BTreeMap<&str, Vec<&MachineConfig>> = BTreeMap::new();
    for c in configs {
        let g = groups.get(&c.machine).map(String::as_str).unwrap_or("");
        by_group.entry(g).or_default().push(c);
    }
    let mut out = Vec::new();
    // Which rule a fact name falls under (None: not compared), decided once
    // per name for the whole fleet.
    let mut rule_of: HashMap<&str, Option<&DriftFact>> = HashMap::new();
    for (group, members) in by_group {
        if members.len() < MIN_PEERS {
            continue;
        }
        let mut per_fact: BTreeMap<&str, Vec<(usize, &str)>> = BTreeMap::new();
        for (i, m) in members.iter().enumerate() {
            for (k, v) in &m.facts {
                let rule = *rule_of.entry(k.as_str()).or_insert_with(|| {
                    if IGNORED.iter().any(|p| glob(p, k)) {
                        None
                    } else {
                        DRIFT_FACTS.iter().find(|d| glob(d.pattern, k))
                    }
                });
                if rule.is_some() {
                    per_fact
                        .entry(k.as_str())
                        .or_default()
                        .push((i, v.as_str()));
                }
            }
        }
        // Which members could have a fact of a scope, by scope.
        let mut in_scope: HashMap<String, Vec<bool>> = HashMap::new();
        for (key, present) in per_fact {
            let rule = rule_of[key].expect("gathered facts have a rule");
            let star = first_star(rule.pattern, key).unwrap_or("");
            let mut absent: Vec<usize> = Vec::new();
            if let Some(scope) = rule.scope.map(|s| s.replace("{1}", star)) {
                let scoped = in_scope.entry(scope).or_insert_with_key(|scope| {
                    members
                        .iter()
                        .map(|m| matching(scope, &m.facts).next().is_some())
                        .collect()
                });
                let mut has = vec![false; members.len()];
                for (i, _) in &present {
                    has[*i] = true;
                }
                absent = (0..members.len())
                    .filter(|&i| scoped[i] && !has[i])
                    .collect();
            }
            let total = present.len() + absent.len();
            if total < MIN_PEERS {
                continue;
            }
            let mut counts: BTreeMap<Option<&str>, usize> = BTreeMap::new();
            for (_, v) in &present {
                *counts.entry(Some(*v)).or_insert(0) += 1;
            }
            if !absent.is_empty() {
                counts.insert(None, absent.len());
            }
            let (majority, count) = counts
                .iter()
                .max_by_key(|(v, n)| (**n, std::cmp::Reverse(**v)))
                .map(|(v, n)| (*v, *n))
                .expect("non-empty");
            if count * 2 <= total || count < 2 || count == total {
                continue;
            }
            // The drifting machines, in the order the configs were given.
            let mut drifting: Vec<(usize, Option<&str>)> = present
                .iter()
                .filter(|(_, v)| Some(*v) != majority)
                .map(|(i, v)| (*i, Some(*v)))
                .collect();
            if majority.is_some() {
                drifting.extend(absent.iter().map(|&i| (i, None)));
            }
            drifting.sort_by_key(|(i, _)| *i);
            let flagged: Vec<Flagged> = drifting
                .into_iter()
                .map(|(i, v)| Flagged {
                    machine: members[i].machine.clone(),
                    file: Some(members[i].file.clone()),
                    current: vec![Setting {
                        fact: key.to_string(),
                        value: v.map(str::to_string),
                        recommended: majority.map(str::to_string),
                    }],
                    log_matches: 0,
                    first_seen: None,
                })
                .collect();
            out.push(finding(
                group, key, rule, star, majority, count, total, flagged,
            ));
        }
    }
    out
}

/// The finding for one drifting fact of one peer group.
#[allow(clippy::too_many_arguments)]
fn finding(
    group: &str,
    key: &str,
    rule: &DriftFact,
    star: &str,
    majority: Option<&str>,
    count: usize,
    total: usize,
    flagged: Vec<Flagged>,
) -> Finding {
    let shown = majority.unwrap_or("(not set)");
    let remediation = match majority {
        Some(v) => vec![fill(rule.fix, key, star, v)],
        None => vec![format!(
            "Remove {key} like its peers, or record why this machine has it"
        )],
    };
    Finding {
        kind: FindingKind::Drift,
        id: format!("drift:{key}"),
        title: format!("{key} differs from its peers"),
        severity: Severity::Low,
        explanation: format!(
            "{count} of {total} machines in peer group {group} have {key} = {shown}; \
             {} differ{}. A setting that differs on a few machines of a group is \
             either deliberate (then record why) or drift; when the flagged \
             machines also crash more, it is a lead.",
            flagged.len(),
            if flagged.len() == 1 { "s" } else { "" },
        ),
        machines: flagged,
        evidence: vec![format!("{key} on each machine of peer group {group}")],
        remediation,
        references: Vec::new(),
        conditions: vec![format!("{key} is {shown} on most peers")],
        crash_rate: None,
        origin: format!("drift among peer group {group}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_star_takes_the_object_name() {
        assert_eq!(
            first_star("nfs.*.option.*", "nfs./mnt/vm.data.option.timeo"),
            Some("/mnt/vm.data")
        );
        assert_eq!(
            first_star("sysctl.*", "sysctl.vm.swappiness"),
            Some("vm.swappiness")
        );
        assert_eq!(
            first_star("block.*.scheduler", "block.sda.scheduler"),
            Some("sda")
        );
        assert_eq!(
            first_star("esx.*", "esx.NFS.HeartbeatFrequency"),
            Some("NFS.HeartbeatFrequency")
        );
    }
}
