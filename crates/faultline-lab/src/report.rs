//! `faultline lab report`: the statistics of an experiment's runs.
//!
//! Per configuration: runs, failures (crash, freeze, corruption), censored (clean)
//! runs, total hours observed, failures per hour with the exact Poisson 95%
//! interval and the MTTF with its interval (`faultline_stats::poisson_rate`),
//! the Kaplan–Meier steps and median time to failure, the crash titles seen;
//! across configurations the log-rank test, and the configuration with the
//! highest failure rate named as worse. Times are from the first heartbeat.
//! When a (configuration, repetition) was recorded more than once (an
//! aborted run run again), the last record counts; `aborted` and `error`
//! runs are counted but left out of the statistics.

use std::collections::BTreeMap;
use std::io::Write;

use crate::error::Result;
use serde::Serialize;

use crate::results::RunRecord;
use crate::watch::Outcome;

#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub time_s: f64,
    pub at_risk: u64,
    pub failures: u64,
    pub survival: f64,
    pub low: f64,
    pub high: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct TitleCount {
    pub title: String,
    pub signature: Option<String>,
    pub count: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConfigReport {
    pub name: String,
    pub settings: serde_json::Value,
    /// Runs in the statistics (failures + censored).
    pub runs: u64,
    pub failures: u64,
    pub crashes: u64,
    pub freezes: u64,
    /// Runs whose stress workload found a block that did not read back as
    /// written.
    pub corruptions: u64,
    pub censored: u64,
    pub aborted: u64,
    pub errors: u64,
    pub total_hours: f64,
    pub failures_per_hour: Option<f64>,
    pub rate_low: Option<f64>,
    pub rate_high: Option<f64>,
    /// None (null) when there was no failure: unbounded.
    pub mttf_hours: Option<f64>,
    pub mttf_low_hours: Option<f64>,
    pub mttf_high_hours: Option<f64>,
    pub km: Vec<Step>,
    pub median_s: Option<f64>,
    pub titles: Vec<TitleCount>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogRankResult {
    pub statistic: f64,
    pub df: u64,
    pub p_value: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub experiment: String,
    pub configurations: Vec<ConfigReport>,
    pub logrank: Option<LogRankResult>,
    /// The configuration with the highest failure rate (None without any
    /// failure).
    pub worse: Option<String>,
    /// Time points of the terminal survival bars (seconds).
    pub survival_points_s: Vec<f64>,
    /// Every run the report is made from, as recorded.
    pub runs: Vec<RunRecord>,
}

fn finite(x: f64) -> Option<f64> {
    x.is_finite().then_some(x)
}

/// Builds the report from the records (in file order).
pub fn build(records: &[RunRecord]) -> Result<Report> {
    // Last record per (configuration, repetition); configurations in order
    // of first appearance.
    let mut order: Vec<String> = Vec::new();
    let mut last: BTreeMap<(String, u32), &RunRecord> = BTreeMap::new();
    for r in records {
        if !order.contains(&r.configuration) {
            order.push(r.configuration.clone());
        }
        last.insert((r.configuration.clone(), r.repetition), r);
    }
    let mut configurations = Vec::new();
    let mut groups: Vec<Vec<(f64, bool)>> = Vec::new();
    for name in &order {
        let runs: Vec<&RunRecord> = last
            .iter()
            .filter(|((c, _), _)| c == name)
            .map(|(_, r)| *r)
            .collect();
        let count = |o: Outcome| runs.iter().filter(|r| r.outcome == o).count() as u64;
        let data: Vec<(f64, bool)> = runs
            .iter()
            .filter(|r| r.outcome.is_failure() || r.outcome == Outcome::Clean)
            .map(|r| (r.time_s, r.outcome.is_failure()))
            .collect();
        let failures = data.iter().filter(|d| d.1).count() as u64;
        let total_s: f64 = data.iter().map(|d| d.0).sum();
        let total_hours = total_s / 3600.0;
        let rate = faultline_stats::poisson_rate(failures, total_hours).ok();
        let km = faultline_stats::kaplan_meier(&data)?;
        let mut titles: Vec<TitleCount> = Vec::new();
        for r in &runs {
            if let Some(t) = &r.title {
                // The same signature is the same failure, even where the
                // title carries a count (data corruption: N block(s)).
                let same = |x: &&mut TitleCount| match (&x.signature, &r.signature) {
                    (Some(a), Some(b)) => a == b,
                    _ => &x.title == t,
                };
                match titles.iter_mut().find(same) {
                    Some(x) => x.count += 1,
                    None => titles.push(TitleCount {
                        title: t.clone(),
                        signature: r.signature.clone(),
                        count: 1,
                    }),
                }
            }
        }
        titles.sort_by(|a, b| b.count.cmp(&a.count).then(a.title.cmp(&b.title)));
        configurations.push(ConfigReport {
            name: name.clone(),
            settings: runs
                .first()
                .map_or(serde_json::Value::Null, |r| r.settings.clone()),
            runs: data.len() as u64,
            failures,
            crashes: count(Outcome::Crash),
            freezes: count(Outcome::Freeze),
            corruptions: count(Outcome::Corruption),
            censored: count(Outcome::Clean),
            aborted: count(Outcome::Aborted),
            errors: count(Outcome::Error),
            total_hours,
            failures_per_hour: rate.map(|r| r.rate),
            rate_low: rate.map(|r| r.low),
            rate_high: rate.and_then(|r| finite(r.high)),
            mttf_hours: rate.and_then(|r| finite(r.mttf)),
            mttf_low_hours: rate.and_then(|r| finite(r.mttf_low)),
            mttf_high_hours: rate.and_then(|r| finite(r.mttf_high)),
            km: km
                .steps
                .iter()
                .map(|s| Step {
                    time_s: s.time,
                    at_risk: s.at_risk,
                    failures: s.failures,
                    survival: s.survival,
                    low: s.low,
                    high: s.high,
                })
                .collect(),
            median_s: km.median(),
            titles,
        });
        groups.push(data);
    }
    let usable: Vec<&[(f64, bool)]> = groups
        .iter()
        .filter(|g| !g.is_empty())
        .map(|g| g.as_slice())
        .collect();
    let logrank = if usable.len() >= 2 && groups.iter().flatten().any(|d| d.1) {
        faultline_stats::logrank(&usable)
            .ok()
            .map(|l| LogRankResult {
                statistic: l.statistic,
                df: l.df,
                p_value: l.p_value,
            })
    } else {
        None
    };
    let worse = configurations
        .iter()
        .filter(|c| c.failures > 0)
        .max_by(|a, b| {
            a.failures_per_hour
                .unwrap_or(0.0)
                .total_cmp(&b.failures_per_hour.unwrap_or(0.0))
        })
        .map(|c| c.name.clone());
    let longest = groups.iter().flatten().map(|d| d.0).fold(0.0_f64, f64::max);
    let survival_points_s = if longest > 0.0 {
        (1..=4).map(|i| longest * f64::from(i) / 4.0).collect()
    } else {
        Vec::new()
    };
    Ok(Report {
        experiment: records
            .first()
            .map_or(String::new(), |r| r.experiment.clone()),
        configurations,
        logrank,
        worse,
        survival_points_s,
        runs: records.to_vec(),
    })
}

/// `45s`, `12m 05s`, `3h 10m`, `2d 4h`.
pub fn human_s(s: f64) -> String {
    if !s.is_finite() {
        return "unbounded".into();
    }
    let secs = s.round() as u64;
    let (d, h, m, sec) = (
        secs / 86_400,
        secs % 86_400 / 3600,
        secs % 3600 / 60,
        secs % 60,
    );
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 {
        format!("{m}m {sec:02}s")
    } else if s < 10.0 {
        format!("{s:.1}s")
    } else {
        format!("{sec}s")
    }
}

fn rate_text(x: f64) -> String {
    if x >= 100.0 {
        format!("{x:.0}")
    } else if x >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

fn hours_opt(h: Option<f64>) -> String {
    h.map_or("unbounded".into(), |h| human_s(h * 3600.0))
}

/// Kaplan–Meier survival at `t` (1 before the first failure).
fn survival_at(km: &[Step], t: f64) -> f64 {
    km.iter()
        .take_while(|s| s.time_s <= t)
        .last()
        .map_or(1.0, |s| s.survival)
}

/// The report as text (fits 100 columns).
pub fn text(w: &mut impl Write, r: &Report) -> std::io::Result<()> {
    let total: u64 = r
        .configurations
        .iter()
        .map(|c| c.runs + c.aborted + c.errors)
        .sum();
    writeln!(
        w,
        "experiment {}: {total} run(s), {} configuration(s); times from the first heartbeat",
        r.experiment,
        r.configurations.len()
    )?;
    for c in &r.configurations {
        writeln!(w)?;
        writeln!(
            w,
            "{}: {} run(s): {} failure(s) ({} crash, {} freeze{}), {} censored; {} observed",
            c.name,
            c.runs,
            c.failures,
            c.crashes,
            c.freezes,
            if c.corruptions > 0 {
                format!(", {} DATA CORRUPTION", c.corruptions)
            } else {
                String::new()
            },
            c.censored,
            human_s(c.total_hours * 3600.0)
        )?;
        if c.aborted + c.errors > 0 {
            writeln!(
                w,
                "  left out: {} aborted, {} error (their notes: lab report --json, or the store)",
                c.aborted, c.errors
            )?;
        }
        match c.failures_per_hour {
            Some(rate) => writeln!(
                w,
                "  failures/hour {} [95% {} - {}]   MTTF {} [95% {} - {}]",
                rate_text(rate),
                rate_text(c.rate_low.unwrap_or(0.0)),
                c.rate_high.map_or("inf".into(), rate_text),
                hours_opt(c.mttf_hours),
                hours_opt(c.mttf_low_hours),
                hours_opt(c.mttf_high_hours),
            )?,
            None => writeln!(w, "  no time observed")?,
        }
        writeln!(
            w,
            "  median time to failure: {}",
            c.median_s
                .map_or("not reached (survival stays above 50%)".into(), human_s)
        )?;
        let steps: Vec<String> =
            c.km.iter()
                .map(|s| format!("{}:{:.2}", human_s(s.time_s), s.survival))
                .collect();
        if !steps.is_empty() {
            let mut line = String::from("  Kaplan-Meier (time:survival)");
            for s in steps {
                if line.len() + s.len() + 1 > 98 {
                    writeln!(w, "{line}")?;
                    line = String::from("   ");
                }
                line.push(' ');
                line.push_str(&s);
            }
            writeln!(w, "{line}")?;
        }
        for &t in r.survival_points_s.iter().filter(|_| c.runs > 0) {
            let s = survival_at(&c.km, t);
            let filled = (s * 40.0).round() as usize;
            writeln!(
                w,
                "  S({:>8}) |{}{}| {:.2}",
                human_s(t),
                "#".repeat(filled),
                " ".repeat(40 - filled),
                s
            )?;
        }
        for t in &c.titles {
            writeln!(w, "  crash: {} (x{})", t.title, t.count)?;
        }
    }
    writeln!(w)?;
    match &r.logrank {
        Some(l) => writeln!(
            w,
            "log-rank test across configurations: chi2 {:.2}, df {}, p = {:.4}",
            l.statistic, l.df, l.p_value
        )?,
        None => writeln!(
            w,
            "log-rank test: not computed (needs two configurations and a failure)"
        )?,
    }
    match &r.worse {
        Some(name) => {
            let c = r.configurations.iter().find(|c| &c.name == name);
            let sig = match &r.logrank {
                Some(l) if l.p_value < 0.05 => "the difference is significant at 5%",
                Some(_) => "the difference is NOT significant at 5%: run more repetitions",
                None => "no test",
            };
            writeln!(
                w,
                "worse: {name} (highest failure rate, {}/h; {sig})",
                c.and_then(|c| c.failures_per_hour)
                    .map_or("?".into(), rate_text)
            )?;
        }
        None => writeln!(w, "worse: none (no failures)")?,
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(config: &str, rep: u32, outcome: &str, t: f64, title: Option<&str>) -> String {
        serde_json::json!({
            "experiment": "t", "configuration": config, "settings": {"name": config},
            "repetition": rep, "outcome": outcome, "time_s": t, "boot_s": 5.0,
            "title": title, "signature": title.map(|_| "abc"), "note": null,
            "console": "c.log", "started_at": "2026-11-22T07:00:00Z", "seed": 1, "accel": "tcg"
        })
        .to_string()
    }

    #[test]
    fn arithmetic_on_recorded_results() {
        let p = "kernel panic: sysrq triggered crash";
        let lines = [
            rec("fast", 1, "crash", 10.0, Some(p)),
            rec("slow", 1, "clean", 90.0, None),
            rec("fast", 2, "crash", 20.0, Some(p)),
            rec("slow", 2, "crash", 60.0, Some(p)),
            rec("fast", 3, "aborted", 5.0, None),
            rec("slow", 3, "clean", 90.0, None),
            rec("fast", 3, "crash", 30.0, Some(p)),
        ];
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("results.jsonl");
        std::fs::write(&path, lines.join("\n") + "\n").unwrap();
        let records = crate::results::read(&path).unwrap();
        let r = build(&records).unwrap();
        let fast = &r.configurations[0];
        assert_eq!(fast.name, "fast");
        assert_eq!(
            (fast.runs, fast.failures, fast.censored, fast.aborted),
            (3, 3, 0, 0)
        );
        assert!((fast.total_hours - 60.0 / 3600.0).abs() < 1e-12);
        assert!((fast.failures_per_hour.unwrap() - 180.0).abs() < 1e-9);
        assert!((fast.mttf_hours.unwrap() * 3600.0 - 20.0).abs() < 1e-9);
        // Garwood: chi2(0.025, 6)/2 = 0.6187, chi2(0.975, 8)/2 = 8.7673.
        assert!((fast.rate_low.unwrap() * fast.total_hours - 0.618_69).abs() < 1e-4);
        assert!((fast.rate_high.unwrap() * fast.total_hours - 8.767_27).abs() < 1e-4);
        assert_eq!(fast.median_s, Some(20.0));
        assert_eq!(fast.km.len(), 3);
        assert!((fast.km[0].survival - 2.0 / 3.0).abs() < 1e-12);
        assert_eq!(fast.titles[0].count, 3);
        let slow = &r.configurations[1];
        assert_eq!((slow.runs, slow.failures, slow.censored), (3, 1, 2));
        assert!((slow.failures_per_hour.unwrap() - 3600.0 / 240.0).abs() < 1e-9);
        assert_eq!(slow.median_s, None);
        assert_eq!(r.worse.as_deref(), Some("fast"));
        let l = r.logrank.as_ref().unwrap();
        assert_eq!(l.df, 1);
        assert!(l.p_value > 0.0 && l.p_value < 0.1, "{}", l.p_value);
        let mut out = Vec::new();
        text(&mut out, &r).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert!(out.lines().all(|l| l.chars().count() <= 100), "{out}");
        assert!(out.contains("worse: fast"), "{out}");
        assert!(
            out.contains("crash: kernel panic: sysrq triggered crash (x3)"),
            "{out}"
        );
    }
}
