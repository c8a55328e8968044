//! An [`Audit`] as people read it: findings most severe first, each with the
//! machines, the current and recommended values, the crash rate where the
//! case has crashes, why it matters and how to fix it.

use std::fmt::Write;

use faultline_audit::{Audit, CrashRate, Finding};
use faultline_kb::Severity;

use crate::{f1, p, wrap};

/// Plain text, wrapped at 100 columns. `fail_on` is named in the summary
/// so that a reader of a cron mail knows why the exit code was 3.
pub fn audit_text(a: &Audit, fail_on: Severity) -> String {
    let mut out = String::new();
    let counts: Vec<String> = Severity::ALL
        .iter()
        .rev()
        .filter_map(|s| {
            let n = a.findings.iter().filter(|f| f.severity == *s).count();
            (n > 0).then(|| format!("{n} {s}"))
        })
        .collect();
    let _ = writeln!(
        out,
        "Audit of {} machine(s): {} finding(s){}",
        a.machines.len(),
        a.findings.len(),
        if counts.is_empty() {
            String::new()
        } else {
            format!(" ({})", counts.join(", "))
        }
    );
    let failing = a.at_least(fail_on);
    let _ = writeln!(
        out,
        "{failing} at or above {fail_on} (--fail-on); peer groups: {}",
        peer_summary(a)
    );
    for f in &a.findings {
        finding(&mut out, f);
    }
    if a.findings.is_empty() {
        let _ = writeln!(
            out,
            "\nNo known issue matches these machines and no setting drifts from its peers."
        );
    }
    out
}

fn peer_summary(a: &Audit) -> String {
    let mut groups: std::collections::BTreeMap<&str, usize> = Default::default();
    for g in a.peer_groups.values() {
        *groups.entry(g.as_str()).or_insert(0) += 1;
    }
    if groups.is_empty() {
        return "none".into();
    }
    groups
        .iter()
        .map(|(g, n)| format!("{g} ({n})"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn finding(out: &mut String, f: &Finding) {
    let _ = writeln!(out, "\n[{}] {}", f.severity, f.id);
    wrap(out, "  ", "  ", &f.title);
    let machines: Vec<String> = f
        .machines
        .iter()
        .map(|m| match (&m.first_seen, m.log_matches) {
            (Some(first), n) if n > 0 => {
                format!("{} ({n} log match(es), first at {first})", m.machine)
            }
            _ => m.machine.clone(),
        })
        .collect();
    wrap(out, "  machines: ", "            ", &names(&machines));
    // One line per distinct setting, with the machines that have it: a fleet
    // of hundreds with the same bad value is one line, not hundreds.
    let mut settings: Vec<(String, Vec<String>)> = Vec::new();
    for m in &f.machines {
        for s in &m.current {
            let value = s.value.as_deref().unwrap_or("(not set)");
            let rec = s
                .recommended
                .as_deref()
                .map(|r| format!("; recommended: {r}"))
                .unwrap_or_default();
            let line = format!("{} = {value}{rec}", s.fact);
            match settings.iter_mut().find(|(l, _)| *l == line) {
                Some((_, who)) => who.push(m.machine.clone()),
                None => settings.push((line, vec![m.machine.clone()])),
            }
        }
    }
    for (line, who) in &settings {
        let text = if f.machines.len() == 1 {
            format!("{}  {line}", who[0])
        } else {
            format!("{line}  ({})", names(who))
        };
        wrap(out, "  setting:  ", "            ", &text);
    }
    if let Some(r) = &f.crash_rate {
        wrap(out, "  crashes:  ", "            ", &crash_rate(r));
    }
    wrap(
        out,
        "  why:      ",
        "            ",
        &f.explanation.replace('\n', " "),
    );
    for (i, step) in f.remediation.iter().enumerate() {
        let first = if i == 0 {
            "  fix:      "
        } else {
            "            "
        };
        wrap(out, &format!("{first}{}. ", i + 1), "               ", step);
    }
    if !f.evidence.is_empty() {
        wrap(out, "  check:    ", "            ", &f.evidence.join("; "));
    }
    if !f.references.is_empty() {
        wrap(
            out,
            "  see:      ",
            "            ",
            &f.references.join("; "),
        );
    }
}

/// Up to [`SHOWN`] names, then how many more.
fn names(all: &[String]) -> String {
    const SHOWN: usize = 12;
    if all.len() <= SHOWN {
        return all.join(", ");
    }
    format!(
        "{}, ... (+{} more)",
        all[..SHOWN].join(", "),
        all.len() - SHOWN
    )
}

fn crash_rate(r: &CrashRate) -> String {
    let ratio = r.rate_ratio.map_or("∞".to_string(), f1);
    let high = r.ci.1.map_or("∞".to_string(), f1);
    format!(
        "the flagged machine(s) crashed {} time(s) in {:.0} machine-hours ({} machine(s)), the \
         other {} audited machine(s) {} time(s) in {:.0}: rate ratio {ratio} (95% CI {}–{high}), \
         p = {} that they crash this much more by chance",
        r.flagged_crashes,
        r.flagged_hours,
        r.flagged_machines,
        r.other_machines,
        r.other_crashes,
        r.other_hours,
        f1(r.ci.0),
        p(r.p)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_audit::{Finding, FindingKind, Flagged, Setting};

    fn fleet_finding(n: usize) -> Audit {
        let machines: Vec<Flagged> = (0..n)
            .map(|i| Flagged {
                machine: format!("host{i:03}"),
                file: Some(format!("configs/host{i:03}.json")),
                current: vec![Setting {
                    fact: "kdump.crashkernel".into(),
                    value: None,
                    recommended: Some(if i % 10 == 0 { "512M" } else { "256M" }.into()),
                }],
                log_matches: 0,
                first_seen: None,
            })
            .collect();
        Audit {
            machines: machines.iter().map(|m| m.machine.clone()).collect(),
            peer_groups: Default::default(),
            findings: vec![Finding {
                kind: FindingKind::KnownIssue,
                id: "kdump-not-configured".into(),
                title: "kdump is not configured".into(),
                severity: Severity::Low,
                machines,
                explanation: "A panic leaves no dump.".into(),
                evidence: vec![],
                remediation: vec!["Add crashkernel=256M".into()],
                references: vec![],
                conditions: vec![],
                crash_rate: None,
                origin: "test".into(),
            }],
        }
    }

    #[test]
    fn a_fleet_with_one_bad_value_is_one_line_per_value() {
        let text = audit_text(&fleet_finding(300), Severity::High);
        let settings: Vec<&str> = text
            .lines()
            .filter(|l| l.starts_with("  setting:"))
            .collect();
        assert_eq!(settings.len(), 2, "{text}");
        assert!(settings[0].contains("kdump.crashkernel = (not set); recommended: 512M"));
        assert!(text.contains("(+288 more)"), "{text}");
        assert!(text.contains("0 at or above high"));
        assert!(text.lines().all(|l| l.chars().count() <= 100));
    }

    #[test]
    fn one_machine_is_named_on_its_setting_line() {
        let text = audit_text(&fleet_finding(1), Severity::Low);
        assert!(
            text.contains("  setting:  host000  kdump.crashkernel = (not set); recommended: 512M"),
            "{text}"
        );
        assert!(text.contains("1 at or above low"));
    }
}
