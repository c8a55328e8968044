//! `faultline lab bisect EXPERIMENT.toml --good A --bad B`: which of the
//! settings that separate configuration A (good) from B (bad) makes B fail.
//! The planner (`faultline_lab::bisect`) proposes each run, the runner
//! (`faultline_lab::runner::run_once`) makes it, and the store keeps it; a
//! bisection that is stopped goes on from the stored runs when started again.
//! `--simulate` answers "how long would this take?" without a guest.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use faultline_lab::bisect::{
    BisectOptions, Factor, HypothesisBelief, Observation, Planner, Truth, simulate,
};
use faultline_lab::experiment::{self, Configuration, Experiment, parse_seconds};
use faultline_lab::factors::{self, Difference};
use faultline_lab::report::human_s;
use faultline_lab::{results, runner};
use serde::Serialize;

use super::lab_run::{GuestArgs, prepare};

#[derive(Args)]
pub struct BisectArgs {
    /// The experiment holding both configurations (its [run] settings: time
    /// limit, memory, stress... apply to every run).
    #[arg(value_name = "EXPERIMENT.toml")]
    experiment: PathBuf,
    /// The configuration that does not fail.
    #[arg(long, value_name = "NAME")]
    good: String,
    /// The configuration that fails.
    #[arg(long, value_name = "NAME")]
    bad: String,
    /// Stop when one cause has this probability.
    #[arg(long, default_value_t = 0.95, value_name = "P")]
    confidence: f64,
    /// Stop after this many runs in all (earlier ones included), decided or
    /// not.
    #[arg(long, default_value_t = 40, value_name = "N")]
    max_runs: usize,
    /// Stop after this much guest time in all (90m, 12h, 2d).
    #[arg(long, value_name = "DURATION")]
    max_hours: Option<String>,
    /// The bad configuration's mean time to failure, if known (45m): a
    /// starting belief, still corrected by the runs.
    #[arg(long, value_name = "DURATION")]
    bad_mttf: Option<String>,
    /// How often, relative to the bad rate, a configuration without the
    /// cause may still fail (0.01: a hundred times less often).
    #[arg(long, default_value_t = 0.01, value_name = "FRACTION")]
    background: f64,
    /// Do not run guests: simulate the search with these factors as the
    /// cause (comma-separated names, or "none"), and say how long it takes.
    #[arg(long, value_name = "FACTORS")]
    simulate: Option<String>,
    /// The simulated bad configuration's MTTF (default: --bad-mttf, else
    /// the time limit / 3).
    #[arg(long, value_name = "DURATION")]
    simulate_mttf: Option<String>,
    /// Simulated searches to average over.
    #[arg(long, default_value_t = 20, value_name = "N")]
    simulations: u64,
    #[command(flatten)]
    guest: GuestArgs,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

fn duration(flag: &str, s: &str) -> Result<f64> {
    match parse_seconds(s) {
        Some(x) => Ok(x),
        None => bail!("{flag} {s:?}: not a duration (90s, 45m, 1h30m, 2d)"),
    }
}

fn find<'a>(e: &'a Experiment, name: &str, flag: &str) -> Result<&'a Configuration> {
    match e.configurations.iter().find(|c| c.name == name) {
        Some(c) => Ok(c),
        None => bail!(
            "{flag} {name}: no such configuration in {} (it has: {})",
            e.path.display(),
            e.configurations
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[derive(Serialize)]
struct RunLine {
    configuration: String,
    /// Every factor's level in this run.
    levels: Vec<String>,
    /// The factors at their bad level.
    bad_levels: Vec<String>,
    outcome: String,
    time_s: f64,
    title: Option<String>,
    /// Made now (false: found in the store).
    new: bool,
}

#[derive(Serialize)]
struct BisectReport {
    experiment: String,
    good: String,
    bad: String,
    factors: Vec<Difference>,
    /// The cause, when one reached the confidence.
    decision: Option<HypothesisBelief>,
    /// Every hypothesis, most likely first.
    posterior: Vec<HypothesisBelief>,
    runs: Vec<RunLine>,
    hours: f64,
    stop: Option<String>,
    bad_mttf_s: f64,
    bad_mttf_low_s: f64,
    bad_mttf_high_s: f64,
}

/// The configuration a run of `assignment` boots: the good or the bad one
/// itself when pure, else a mix named after its bad factors.
fn configuration_for(
    good: &Configuration,
    bad: &Configuration,
    diffs: &[Difference],
    assignment: &[bool],
) -> Configuration {
    if assignment.iter().all(|b| !b) {
        return good.clone();
    }
    if assignment.iter().all(|b| *b) {
        return bad.clone();
    }
    let name = factors::mix_name(diffs, assignment);
    factors::mix(good, bad, diffs, assignment, &name)
}

fn bad_levels(planner: &Planner, assignment: &[bool]) -> Vec<String> {
    planner
        .levels(assignment)
        .into_iter()
        .zip(assignment)
        .filter(|(_, b)| **b)
        .map(|(l, _)| l)
        .collect()
}

fn top(planner: &Planner, n: usize) -> String {
    planner
        .posterior()
        .iter()
        .take(n)
        .map(|b| format!("{} {:.0}%", b.label, b.probability * 100.0))
        .collect::<Vec<_>>()
        .join(", ")
}

pub fn run(a: BisectArgs) -> Result<ExitCode> {
    let e = experiment::load(&a.experiment)?;
    let good = find(&e, &a.good, "--good")?;
    let bad = find(&e, &a.bad, "--bad")?;
    let diffs = factors::differences(good, bad);
    if diffs.is_empty() {
        bail!(
            "{} and {} have the same settings: nothing to bisect",
            good.name,
            bad.name
        );
    }
    let max_hours = a
        .max_hours
        .as_deref()
        .map(|s| duration("--max-hours", s).map(|x| x / 3600.0))
        .transpose()?;
    let bad_mttf_s = a
        .bad_mttf
        .as_deref()
        .map(|s| duration("--bad-mttf", s))
        .transpose()?;
    let opts = BisectOptions {
        confidence: a.confidence,
        background: a.background,
        bad_mttf_s,
        time_limit_s: e.time_limit_s,
        budget_hours: max_hours,
        budget_runs: Some(a.max_runs),
        ..BisectOptions::default()
    };
    let plan_factors: Vec<Factor> = diffs
        .iter()
        .map(|d| Factor {
            name: d.name.clone(),
            good: d.good.clone(),
            bad: d.bad.clone(),
        })
        .collect();
    let mut planner = Planner::new(plan_factors.clone(), opts.clone())?;
    if let Some(cause) = &a.simulate {
        return simulated(&a, &e, &diffs, plan_factors, opts, cause);
    }

    let g = prepare(&a.guest)?;
    let root = runner::experiment_root(&a.guest.work, &e);
    eprintln!(
        "bisect {} (good) .. {} (bad) in experiment {}: {} factor(s): {}",
        good.name,
        bad.name,
        e.name,
        diffs.len(),
        diffs
            .iter()
            .map(|d| format!("{} {}->{}", d.name, d.good, d.bad))
            .collect::<Vec<_>>()
            .join(", ")
    );
    eprintln!("accelerator: {}", g.accel_note);
    eprintln!(
        "results: {} (runs folder {})",
        g.db.display(),
        root.display()
    );

    // Runs already in the store of any configuration this bisection can
    // make (the pure ones from `lab run` included) are evidence already.
    let mut lines = Vec::new();
    let candidates: Vec<(Vec<bool>, Configuration)> = {
        let k = diffs.len();
        let mut v = Vec::new();
        if k <= 12 {
            for mask in 0u32..(1 << k) {
                let asg: Vec<bool> = (0..k).map(|i| mask & (1 << (k - 1 - i)) != 0).collect();
                let c = configuration_for(good, bad, &diffs, &asg);
                v.push((asg, c));
            }
        } else {
            for asg in [vec![false; k], vec![true; k]] {
                let c = configuration_for(good, bad, &diffs, &asg);
                v.push((asg, c));
            }
        }
        v
    };
    {
        let store = g.store.lock().unwrap();
        let (stored, _) = results::stored(&store, Some(&e.name))?;
        for r in stored {
            if !(r.outcome.is_failure() || r.outcome == faultline_lab::watch::Outcome::Clean) {
                continue;
            }
            let Some((asg, c)) = candidates.iter().find(|(_, c)| c.name == r.configuration) else {
                continue;
            };
            // Only a run of exactly these settings counts (a configuration
            // edited since would not).
            if serde_json::to_value(c)? != r.settings {
                continue;
            }
            planner.observe(&Observation {
                bad: asg.clone(),
                failed: r.outcome.is_failure(),
                time_s: r.time_s.min(e.time_limit_s),
            })?;
            lines.push(RunLine {
                configuration: r.configuration.clone(),
                levels: planner.levels(asg),
                bad_levels: bad_levels(&planner, asg),
                outcome: r.outcome.name().into(),
                time_s: r.time_s,
                title: r.title.clone(),
                new: false,
            });
        }
    }
    if !lines.is_empty() {
        eprintln!(
            "{} earlier run(s) in the store count: {}",
            lines.len(),
            top(&planner, 3)
        );
    }
    let stop = runner::install_interrupt_handler();
    let start = std::time::Instant::now();
    let say = |msg: &str| {
        eprintln!("[{:7.1}s] {msg}", start.elapsed().as_secs_f64());
    };
    let options = g.run_options(&root, 1, stop, &say);
    let mut interrupted = false;
    while planner.stop().is_none() {
        if stop.load(std::sync::atomic::Ordering::SeqCst) {
            interrupted = true;
            break;
        }
        let p = planner.next_run();
        let c = configuration_for(good, bad, &diffs, &p.assignment);
        say(&format!(
            "next: {} ({}): {}",
            c.name,
            p.levels.join(", "),
            p.why
        ));
        let r = runner::run_once(&e, &c, &options)?;
        use faultline_lab::watch::Outcome;
        match r.outcome {
            o if o.is_failure() || o == Outcome::Clean => {
                planner.observe(&Observation {
                    bad: p.assignment.clone(),
                    failed: o.is_failure(),
                    time_s: r.time_s.min(e.time_limit_s),
                })?;
            }
            Outcome::Aborted => {
                interrupted = true;
                break;
            }
            _ => bail!(
                "run {}/{} ended in {}{}: fix that before bisecting (console: {})",
                r.configuration,
                r.repetition,
                r.outcome.name(),
                r.note.map_or(String::new(), |n| format!(" ({n})")),
                r.console
            ),
        }
        say(&format!(
            "{} after {}: {}",
            r.outcome.name(),
            human_s(r.time_s),
            top(&planner, 3)
        ));
        lines.push(RunLine {
            configuration: r.configuration.clone(),
            levels: p.levels.clone(),
            bad_levels: bad_levels(&planner, &p.assignment),
            outcome: r.outcome.name().into(),
            time_s: r.time_s,
            title: r.title.clone(),
            new: true,
        });
    }
    let rate = planner.rate_estimate();
    let report = BisectReport {
        experiment: e.name.clone(),
        good: good.name.clone(),
        bad: bad.name.clone(),
        factors: diffs.clone(),
        decision: planner.decided(),
        posterior: planner.posterior(),
        runs: lines,
        hours: planner.hours(),
        stop: planner
            .stop()
            .map(|s| format!("{s:?}").to_lowercase())
            .or(interrupted.then(|| "interrupted".to_string())),
        bad_mttf_s: rate.mean_mttf_s,
        bad_mttf_low_s: rate.low_mttf_s,
        bad_mttf_high_s: rate.high_mttf_s,
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.json {
        serde_json::to_writer(&mut w, &report)?;
        writeln!(w)?;
    } else {
        text(&mut w, &report, a.confidence)?;
    }
    w.flush()?;
    if interrupted {
        eprintln!("interrupted: run again to go on from the stored runs");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

fn text(w: &mut impl std::io::Write, r: &BisectReport, confidence: f64) -> std::io::Result<()> {
    writeln!(
        w,
        "bisect {} (good) .. {} (bad): {} run(s), {} of guest time",
        r.good,
        r.bad,
        r.runs.len(),
        human_s(r.hours * 3600.0)
    )?;
    writeln!(
        w,
        "  {:<9} {:>9}  settings from the bad configuration",
        "outcome", "time"
    )?;
    for l in &r.runs {
        let what = if l.bad_levels.is_empty() {
            format!("none ({})", r.good)
        } else if l.bad_levels.len() == r.factors.len() {
            format!("all ({})", r.bad)
        } else {
            l.bad_levels.join(" ")
        };
        writeln!(
            w,
            "  {:<9} {:>9}  {}{}",
            l.outcome,
            human_s(l.time_s),
            what,
            l.title
                .as_ref()
                .map_or(String::new(), |t| format!("  ({t})"))
        )?;
    }
    match &r.decision {
        Some(d) if d.factors.is_empty() => writeln!(
            w,
            "cause: none of the factors ({:.1}%): the good configuration fails as often as the \
             bad one",
            d.probability * 100.0
        )?,
        Some(d) => {
            let what: Vec<String> = d
                .factors
                .iter()
                .map(|f| {
                    let x = r.factors.iter().find(|x| &x.name == f);
                    x.map_or(f.clone(), |x| {
                        format!("{} = {} (good: {})", f, x.bad, x.good)
                    })
                })
                .collect();
            writeln!(
                w,
                "cause: {} ({:.1}%, confidence asked {:.0}%)",
                what.join(" together with "),
                d.probability * 100.0,
                confidence * 100.0
            )?
        }
        None => {
            let b = &r.posterior[0];
            writeln!(
                w,
                "undecided ({}): most likely {} at {:.1}%, below the {:.0}% asked; more runs \
                 (--max-runs, --max-hours) would tell",
                r.stop.as_deref().unwrap_or("stopped"),
                b.label,
                b.probability * 100.0,
                confidence * 100.0
            )?
        }
    }
    writeln!(
        w,
        "belief: {}",
        r.posterior
            .iter()
            .take(5)
            .map(|b| format!("{} {:.1}%", b.label, b.probability * 100.0))
            .collect::<Vec<_>>()
            .join(", ")
    )?;
    writeln!(
        w,
        "bad configuration MTTF about {} (90% {} - {})",
        human_s(r.bad_mttf_s),
        human_s(r.bad_mttf_low_s),
        human_s(r.bad_mttf_high_s)
    )?;
    Ok(())
}

#[derive(Serialize)]
struct SimulationSummary {
    experiment: String,
    factors: Vec<Difference>,
    cause: Vec<String>,
    mttf_s: f64,
    time_limit_s: f64,
    simulations: u64,
    correct: u64,
    undecided: u64,
    wrong: u64,
    mean_runs: f64,
    max_runs: usize,
    mean_hours: f64,
    max_hours: f64,
}

fn simulated(
    a: &BisectArgs,
    e: &Experiment,
    diffs: &[Difference],
    plan_factors: Vec<Factor>,
    opts: BisectOptions,
    cause: &str,
) -> Result<ExitCode> {
    let mut culprits = Vec::new();
    if cause != "none" {
        for name in cause.split(',').map(str::trim) {
            match diffs.iter().position(|d| d.name == name) {
                Some(i) => culprits.push(i),
                None => bail!(
                    "--simulate {name}: not one of the factors ({})",
                    diffs
                        .iter()
                        .map(|d| d.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    }
    let mttf_s = match (&a.simulate_mttf, opts.bad_mttf_s) {
        (Some(s), _) => duration("--simulate-mttf", s)?,
        (None, Some(m)) => m,
        (None, None) => e.time_limit_s / 3.0,
    };
    if a.simulations == 0 {
        bail!("--simulations 0: give at least 1");
    }
    let truth = Truth {
        culprits: culprits.clone(),
        mttf_s,
        background: 0.0,
    };
    let (mut correct, mut undecided, mut runs, mut hours) = (0, 0, Vec::new(), Vec::new());
    for seed in 1..=a.simulations {
        let s = simulate(plan_factors.clone(), opts.clone(), &truth, seed, a.max_runs)?;
        if s.correct {
            correct += 1;
        } else if s.decision.is_none() {
            undecided += 1;
        }
        runs.push(s.runs.len());
        hours.push(s.hours);
    }
    let n = a.simulations as f64;
    let summary = SimulationSummary {
        experiment: e.name.clone(),
        factors: diffs.to_vec(),
        cause: culprits.iter().map(|&i| diffs[i].name.clone()).collect(),
        mttf_s,
        time_limit_s: e.time_limit_s,
        simulations: a.simulations,
        correct,
        undecided,
        wrong: a.simulations - correct - undecided,
        mean_runs: runs.iter().sum::<usize>() as f64 / n,
        max_runs: runs.iter().copied().max().unwrap_or(0),
        mean_hours: hours.iter().sum::<f64>() / n,
        max_hours: hours.iter().copied().fold(0.0, f64::max),
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.json {
        serde_json::to_writer(&mut w, &summary)?;
        writeln!(w)?;
    } else {
        writeln!(
            w,
            "simulated {} bisection(s) of {} factor(s), cause {}, bad MTTF {}, time limit {}:",
            summary.simulations,
            diffs.len(),
            if summary.cause.is_empty() {
                "none of the factors".to_string()
            } else {
                summary.cause.join(" & ")
            },
            human_s(mttf_s),
            human_s(e.time_limit_s)
        )?;
        writeln!(
            w,
            "  right {} / undecided {} / wrong {}; runs: mean {:.1}, at most {}; guest time: mean \
             {}, at most {}",
            summary.correct,
            summary.undecided,
            summary.wrong,
            summary.mean_runs,
            summary.max_runs,
            human_s(summary.mean_hours * 3600.0),
            human_s(summary.max_hours * 3600.0)
        )?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
