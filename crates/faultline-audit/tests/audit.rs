//! The audit's rules: known issues on snapshots, the combination with log
//! sightings, drift between peers, and the crash rate of flagged machines.

use std::collections::BTreeMap;

use faultline_audit::{AuditOptions, CrashExposure, FindingKind, MachineConfig, Sighting, audit};
use faultline_kb::{KnowledgeBase, Severity};

fn config(machine: &str, pairs: &[(&str, &str)]) -> MachineConfig {
    MachineConfig {
        machine: machine.to_string(),
        file: format!("configs/{machine}.json"),
        facts: pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

fn xen_host(machine: &str, dom0_mem: Option<&str>) -> MachineConfig {
    let mut pairs = vec![
        ("source", "linux"),
        ("role", "host"),
        ("hypervisor", "xen"),
        ("xen.version", "4.17.3"),
        ("sysctl.vm.swappiness", "60"),
    ];
    let line;
    match dom0_mem {
        Some(v) => {
            line = format!("dom0_mem={v} console=com1");
            pairs.push(("xen.cmdline", &line));
            pairs.push(("xen.cmdline.dom0_mem", v));
        }
        None => pairs.push(("xen.cmdline", "console=com1")),
    }
    pairs.push(("xen.cmdline.console", "com1"));
    config(machine, &pairs)
}

fn squeeze_on(machine: &str, issue: &str) -> Sighting {
    Sighting {
        machine: machine.to_string(),
        issue: issue.to_string(),
        count: 4,
        first: format!("logs/{machine}/kern.log:3"),
    }
}

/// A knowledge base of the Xen entries alone, so that these tests do not
/// move when other built-in entries are added.
fn xen_kb() -> KnowledgeBase {
    let mut kb = KnowledgeBase::empty();
    kb.add_toml(
        faultline_kb::BUILTIN_FILES
            .iter()
            .find(|(n, _)| *n == "xen.toml")
            .unwrap()
            .1,
        "xen.toml",
    )
    .unwrap();
    kb
}

#[test]
fn dom0_without_dom0_mem_is_flagged_with_current_and_recommended_value() {
    let configs = vec![
        xen_host("xen01", Some("4096M,max:4096M")),
        xen_host("xen02", Some("4096M,max:4096M")),
        xen_host("xen03", None),
    ];
    let a = audit(&xen_kb(), &configs, &[], None, &AuditOptions::default());
    let f = a
        .findings
        .iter()
        .find(|f| f.id == "xen-dom0-mem-unset")
        .expect("finding");
    assert_eq!(f.kind, FindingKind::KnownIssue);
    assert_eq!(f.severity, Severity::High);
    let names: Vec<&str> = f.machines.iter().map(|m| m.machine.as_str()).collect();
    assert_eq!(names, ["xen03"]);
    let unset = f.machines[0]
        .current
        .iter()
        .find(|s| s.fact == "xen.cmdline.dom0_mem")
        .unwrap();
    assert_eq!(unset.value, None);
    assert_eq!(
        unset.recommended.as_deref(),
        Some("dom0_mem=4096M,max:4096M")
    );
    assert!(!f.remediation.is_empty());
    // No logs: the combination and the log-only entry stay silent.
    assert!(
        a.findings
            .iter()
            .all(|f| f.id.starts_with("drift:") || f.id == "xen-dom0-mem-unset")
    );
}

#[test]
fn the_combination_needs_the_message_on_the_host_without_the_setting() {
    let configs = vec![
        xen_host("xen01", Some("4096M,max:4096M")),
        xen_host("xen02", None),
    ];
    let sightings = vec![
        squeeze_on("xen01", "xen-netback-memory-squeeze"),
        squeeze_on("xen01", "xen-netback-squeeze-without-dom0-mem"),
        squeeze_on("xen02", "xen-netback-memory-squeeze"),
        squeeze_on("xen02", "xen-netback-squeeze-without-dom0-mem"),
    ];
    let a = audit(
        &xen_kb(),
        &configs,
        &sightings,
        None,
        &AuditOptions::default(),
    );
    let by_id: BTreeMap<&str, Vec<&str>> = a
        .findings
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.machines.iter().map(|m| m.machine.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(by_id["xen-netback-squeeze-without-dom0-mem"], ["xen02"]);
    assert_eq!(by_id["xen-netback-memory-squeeze"], ["xen01", "xen02"]);
    assert_eq!(by_id["xen-dom0-mem-unset"], ["xen02"]);
    // Most severe first: the combination is critical.
    assert_eq!(a.findings[0].id, "xen-netback-squeeze-without-dom0-mem");
    assert_eq!(a.worst(), Some(Severity::Critical));
    let combo = &a.findings[0].machines[0];
    assert_eq!(combo.log_matches, 4);
    assert_eq!(combo.first_seen.as_deref(), Some("logs/xen02/kern.log:3"));
    assert_eq!(a.at_least(Severity::High), 3);
}

/// Drift alone: no knowledge base, no logs, no crashes.
fn settings_only(configs: &[MachineConfig]) -> faultline_audit::Audit {
    audit(
        &KnowledgeBase::empty(),
        configs,
        &[],
        None,
        &AuditOptions::default(),
    )
}

/// Drift with the crash rate of the drifting machines.
fn drift_with_crashes(
    configs: &[MachineConfig],
    exposure: &CrashExposure,
) -> faultline_audit::Audit {
    audit(
        &KnowledgeBase::empty(),
        configs,
        &[],
        Some(exposure),
        &AuditOptions::default(),
    )
}

fn esx(machine: &str, heartbeat: &str) -> MachineConfig {
    config(
        machine,
        &[
            ("source", "esx"),
            ("role", "host"),
            ("hypervisor", "vmware"),
            ("esx.NFS.HeartbeatFrequency", heartbeat),
            ("esx.NFS.HeartbeatMaxFailures", "10"),
        ],
    )
}

#[test]
fn drift_flags_the_host_that_differs_from_the_majority() {
    let configs = vec![
        esx("esx01", "12"),
        esx("esx02", "12"),
        esx("esx03", "9"),
        esx("esx04", "12"),
    ];
    let a = settings_only(&configs);
    assert_eq!(a.findings.len(), 1, "{:#?}", a.findings);
    let f = &a.findings[0];
    assert_eq!(f.kind, FindingKind::Drift);
    assert_eq!(f.id, "drift:esx.NFS.HeartbeatFrequency");
    assert_eq!(f.machines.len(), 1);
    assert_eq!(f.machines[0].machine, "esx03");
    assert_eq!(f.machines[0].current[0].value.as_deref(), Some("9"));
    assert_eq!(f.machines[0].current[0].recommended.as_deref(), Some("12"));
    assert_eq!(
        f.remediation,
        [
            "esxcli system settings advanced set -o /NFS/HeartbeatFrequency -i 12 (or -s for a text option), like its peers"
        ]
    );
    assert!(
        f.explanation
            .starts_with("3 of 4 machines in peer group esx/host/vmware")
    );
}

#[test]
fn drift_needs_enough_peers_and_a_real_majority() {
    let kb = KnowledgeBase::empty();
    let opts = AuditOptions::default();
    // Two peers: nothing to call a majority.
    let two = vec![esx("esx01", "12"), esx("esx02", "9")];
    assert!(audit(&kb, &two, &[], None, &opts).findings.is_empty());
    // Two against two: no majority.
    let tie = vec![
        esx("esx01", "12"),
        esx("esx02", "12"),
        esx("esx03", "9"),
        esx("esx04", "9"),
    ];
    assert!(audit(&kb, &tie, &[], None, &opts).findings.is_empty());
    // Peers in different groups are not compared.
    let mut groups = BTreeMap::new();
    groups.insert("esx03".to_string(), "cluster-b".to_string());
    let split = vec![esx("esx01", "12"), esx("esx02", "12"), esx("esx03", "9")];
    let a = audit(
        &kb,
        &split,
        &[],
        None,
        &AuditOptions {
            peer_groups: groups,
            no_drift: false,
        },
    );
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn a_missing_setting_is_drift_only_where_the_machine_could_have_it() {
    // dom0_mem given on two hosts, absent on the third: "not set" drift.
    let configs = vec![
        xen_host("xen01", Some("4096M")),
        xen_host("xen02", Some("4096M")),
        xen_host("xen03", None),
    ];
    let a = settings_only(&configs);
    let f = a
        .findings
        .iter()
        .find(|f| f.id == "drift:xen.cmdline.dom0_mem")
        .expect("drift");
    assert_eq!(f.machines[0].machine, "xen03");
    assert_eq!(f.machines[0].current[0].value, None);
    // A block device only one machine has is not drift on the others.
    let with_disk = |m: &str, dev: &str| {
        config(
            m,
            &[
                ("source", "linux"),
                ("role", "guest"),
                (&format!("block.{dev}.scheduler"), "mq-deadline"),
            ],
        )
    };
    let disks = vec![
        with_disk("a", "vda"),
        with_disk("b", "vda"),
        with_disk("c", "vda"),
        with_disk("d", "nvme0n1"),
    ];
    let a = settings_only(&disks);
    assert!(a.findings.is_empty(), "{:#?}", a.findings);
}

#[test]
fn crash_rate_of_the_flagged_machines_is_an_exact_poisson_comparison() {
    let configs = vec![
        esx("esx01", "12"),
        esx("esx02", "12"),
        esx("esx03", "9"),
        esx("esx04", "12"),
    ];
    let mut exposure = CrashExposure::default();
    for h in ["esx01", "esx02", "esx03", "esx04"] {
        exposure.hours.insert(h.to_string(), 1000.0);
        exposure.crashes.insert(h.to_string(), 0);
    }
    exposure.crashes.insert("esx03".to_string(), 5);
    let a = drift_with_crashes(&configs, &exposure);
    let rate = a.findings[0].crash_rate.as_ref().expect("crash rate");
    assert_eq!((rate.flagged_machines, rate.flagged_crashes), (1, 5));
    assert_eq!((rate.other_machines, rate.other_crashes), (3, 0));
    assert_eq!(rate.flagged_hours, 1000.0);
    assert_eq!(rate.other_hours, 3000.0);
    // All five crashes on the flagged quarter of the exposure: by hand,
    // P(X >= 5 | n = 5, p = 1/4) = (1/4)^5 = 1/1024; the ratio is unbounded.
    assert!((rate.p - 1.0 / 1024.0).abs() < 1e-15, "{}", rate.p);
    assert_eq!(rate.rate_ratio, None);
    // One crash among the others: P(X >= 5 | n = 6, p = 1/4)
    // = 6 (1/4)^5 (3/4) + (1/4)^6 = 19/4096 (by hand).
    exposure.crashes.insert("esx01".to_string(), 1);
    let a = drift_with_crashes(&configs, &exposure);
    let rate = a.findings[0].crash_rate.as_ref().unwrap();
    assert!((rate.p - 19.0 / 4096.0).abs() < 1e-15, "{}", rate.p);
    assert_eq!(rate.rate_ratio, Some(15.0));
    // Nobody crashed: no rate to give.
    let quiet = CrashExposure {
        hours: exposure.hours.clone(),
        crashes: BTreeMap::new(),
        kind: BTreeMap::new(),
    };
    let a = drift_with_crashes(&configs, &quiet);
    assert!(a.findings[0].crash_rate.is_none());
}

#[test]
fn crash_rate_compares_like_with_like_over_the_right_population() {
    // Four Xen hosts with snapshots, a fifth host without one, and guests.
    let configs = vec![
        xen_host("xen01", Some("4096M")),
        xen_host("xen02", Some("4096M")),
        xen_host("xen03", None),
        xen_host("xen04", Some("4096M")),
    ];
    let mut exposure = CrashExposure::default();
    for (m, kind, crashes) in [
        ("xen01", "host", 0),
        ("xen02", "host", 0),
        ("xen03", "host", 2),
        ("xen04", "host", 0),
        ("xen05", "host", 1),
        ("vm1", "guest", 9),
    ] {
        exposure.hours.insert(m.to_string(), 100.0);
        exposure.crashes.insert(m.to_string(), crashes);
        exposure.kind.insert(m.to_string(), kind.to_string());
    }
    let sightings = vec![squeeze_on("xen03", "xen-netback-memory-squeeze")];
    let a = audit(
        &xen_kb(),
        &configs,
        &sightings,
        Some(&exposure),
        &AuditOptions::default(),
    );
    // The config side: xen03 against the three other hosts with snapshots
    // (xen05 has none, so its dom0_mem is unknown; the guest is not a host).
    let unset = a
        .findings
        .iter()
        .find(|f| f.id == "xen-dom0-mem-unset")
        .unwrap();
    let r = unset.crash_rate.as_ref().unwrap();
    assert_eq!(
        (r.flagged_crashes, r.other_machines, r.other_crashes),
        (2, 3, 0)
    );
    // By hand: P(X >= 2 | n = 2, p = 1/4) = 1/16.
    assert!((r.p - 1.0 / 16.0).abs() < 1e-15);
    // The log side was looked for on every machine of the case: xen05
    // counts among the others, the guest still does not.
    let squeeze = a
        .findings
        .iter()
        .find(|f| f.id == "xen-netback-memory-squeeze")
        .unwrap();
    let r = squeeze.crash_rate.as_ref().unwrap();
    assert_eq!(
        (r.flagged_crashes, r.other_machines, r.other_crashes),
        (2, 4, 1)
    );
    // By hand: P(X >= 2 | n = 3, p = 1/5) = 3 (1/5)^2 (4/5) + (1/5)^3 = 13/125.
    assert!((r.p - 13.0 / 125.0).abs() < 1e-15, "{}", r.p);
}

#[test]
fn an_issue_recognised_in_crash_reports_gets_no_circular_crash_rate() {
    let mut kb = KnowledgeBase::empty();
    kb.add_toml(
        r#"
[[issue]]
id = "list-corruption-in-mpt"
title = "list corruption in the mpt driver"
severity = "high"
explanation = "x"
[[issue.logs]]
title = "corrupted list"
"#,
        "t.toml",
    )
    .unwrap();
    let mut exposure = CrashExposure::default();
    for (m, c) in [("a", 3), ("b", 0), ("c", 0)] {
        exposure.hours.insert(m.to_string(), 10.0);
        exposure.crashes.insert(m.to_string(), c);
    }
    let sightings = vec![Sighting {
        machine: "a".into(),
        issue: "list-corruption-in-mpt".into(),
        count: 3,
        first: "logs/a/console.log:10".into(),
    }];
    let a = audit(
        &kb,
        &[],
        &sightings,
        Some(&exposure),
        &AuditOptions::default(),
    );
    assert_eq!(a.findings.len(), 1);
    assert!(a.findings[0].crash_rate.is_none());
}
