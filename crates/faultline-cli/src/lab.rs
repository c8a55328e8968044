//! `faultline lab`: the reproduction lab. `soak` is the arithmetic of "how
//! long must a clean run last before fixed means fixed".

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::{Args, Subcommand};
use faultline_lab::experiment::parse_seconds;
use faultline_lab::report::human_s;
use serde::Serialize;

#[path = "lab_agent.rs"]
mod lab_agent;
#[path = "lab_bisect.rs"]
mod lab_bisect;
#[path = "lab_image.rs"]
mod lab_image;
#[path = "lab_run.rs"]
mod lab_run;

#[derive(Args)]
pub struct LabArgs {
    #[command(subcommand)]
    command: LabCommand,
}

#[derive(Subcommand)]
enum LabCommand {
    /// How long a clean soak must run to claim a configuration fixed, and
    /// how much confidence a run still going has bought (failures assumed
    /// exponential in time).
    Soak(SoakArgs),
    /// Build the guest kernel and initramfs (cached; rebuilt when inputs
    /// change).
    Image(lab_image::ImageArgs),
    /// Run an experiment (EXPERIMENT.toml): configurations x repetitions of
    /// guests under QEMU, each until its first failure or the time limit.
    Run(lab_run::RunArgs),
    /// Per configuration: failure rate, MTTF, Kaplan-Meier survival; the
    /// log-rank test across configurations.
    Report(lab_run::ReportArgs),
    /// Find which of the settings separating a good configuration from a
    /// bad one makes it fail, in as few hours of runs as possible.
    Bisect(lab_bisect::BisectArgs),
    /// The in-guest agent, run by the guest's /init.
    #[command(hide = true)]
    Agent(lab_agent::AgentArgs),
}

#[derive(Args)]
struct SoakArgs {
    /// Mean time to failure of the configuration before the fix (90s, 45m,
    /// 1h, 1h30m, 2d).
    #[arg(long, value_parser = parse_duration, value_name = "DURATION",
          required_unless_present_any = ["baseline", "baseline_of"],
          conflicts_with_all = ["baseline", "baseline_of"])]
    mttf: Option<f64>,
    /// The baseline as observed instead of an MTTF: FAILURES in total run
    /// time, e.g. `3/12h` (three failures in twelve hours of runs). The soak
    /// then plans with the upper 95% limit of the baseline's MTTF.
    #[arg(long, value_parser = parse_baseline, value_name = "FAILURES/DURATION",
          conflicts_with = "baseline_of")]
    baseline: Option<(u64, f64)>,
    /// The baseline from a finished experiment: this configuration's
    /// failures and hours in the runs of --experiment.
    #[arg(long, value_name = "CONFIGURATION", requires = "experiment")]
    baseline_of: Option<String>,
    /// The experiment of --baseline-of: its file (runs read from the store
    /// of --work, or --db) or a store.
    #[arg(long, value_name = "EXPERIMENT.toml|STORE.db")]
    experiment: Option<std::path::PathBuf>,
    /// Work folder of `lab run` (with --experiment FILE).
    #[arg(long, value_name = "DIR", default_value = "lab-work")]
    work: std::path::PathBuf,
    /// The store (default WORK/store.db).
    #[arg(long, value_name = "PATH")]
    db: Option<std::path::PathBuf>,
    /// Confidence wanted that the fix works (0 < c < 1).
    #[arg(long, default_value_t = 0.95)]
    confidence: f64,
    /// Failures allowed during the soak (or already seen) and still call it
    /// fixed at that confidence.
    #[arg(long, default_value_t = 0, value_name = "N")]
    failures: u64,
    /// Length of one run: how many clean runs of this length it takes.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    run_length: Option<f64>,
    /// Clean time run so far (all runs together): the confidence it has
    /// bought and what is left.
    #[arg(long, value_parser = parse_duration, value_name = "DURATION")]
    elapsed: Option<f64>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// A duration in hours, from `90s`, `45m`, `1h`, `1h30m`, `2d`, `1.5h`
/// (the lab's duration syntax, `faultline_lab::experiment::parse_seconds`)
/// or a bare number of hours.
fn parse_duration(s: &str) -> Result<f64, String> {
    let t = s.trim();
    let hours = match t.parse::<f64>() {
        Ok(h) => Some(h),
        Err(_) => parse_seconds(t).map(|secs| secs / 3600.0),
    };
    match hours {
        Some(h) if h.is_finite() && h > 0.0 => Ok(h),
        Some(_) => Err(format!("{s:?}: a duration must be positive")),
        None => match t
            .chars()
            .find(|c| !(c.is_ascii_digit() || ".smhdw".contains(*c)))
        {
            Some(c) => Err(format!("{s:?}: unknown unit {c:?} (use s, m, h, d, w)")),
            None => Err(format!(
                "{s:?}: not a duration (examples: 90s, 45m, 1h30m, 2d)"
            )),
        },
    }
}

fn parse_baseline(s: &str) -> Result<(u64, f64), String> {
    let (k, t) = s
        .split_once('/')
        .ok_or_else(|| format!("{s:?}: give FAILURES/DURATION, e.g. 3/12h"))?;
    let k: u64 = k
        .trim()
        .parse()
        .map_err(|_| format!("{s:?}: {k:?} is not a number of failures"))?;
    Ok((k, parse_duration(t)?))
}

/// Hours as people read them (`3h 00m`, `45m 10s`, `2d 4h`).
fn human(hours: f64) -> String {
    human_s(hours * 3600.0)
}

#[derive(Serialize)]
struct Baseline {
    failures: u64,
    hours: f64,
    mttf_hours: Option<f64>,
    mttf_upper_hours: f64,
}

#[derive(Serialize)]
struct SoakPlan {
    mttf_hours: f64,
    confidence: f64,
    failures_allowed: u64,
    soak_hours: f64,
    run_length_hours: Option<f64>,
    runs: Option<u64>,
    elapsed_hours: Option<f64>,
    confidence_so_far: Option<f64>,
    remaining_hours: Option<f64>,
    baseline: Option<Baseline>,
}

pub fn run(args: LabArgs) -> Result<ExitCode> {
    match args.command {
        LabCommand::Soak(a) => soak(a),
        LabCommand::Image(a) => lab_image::run(a),
        LabCommand::Run(a) => lab_run::run(a),
        LabCommand::Report(a) => lab_run::report(a),
        LabCommand::Bisect(a) => lab_bisect::run(a),
        LabCommand::Agent(a) => lab_agent::run(a),
    }
}

fn soak(a: SoakArgs) -> Result<ExitCode> {
    if !(a.confidence > 0.0 && a.confidence < 1.0) {
        bail!(
            "--confidence {}: must be between 0 and 1 (0.95 for 95%)",
            a.confidence
        );
    }
    let observed = match (&a.baseline_of, &a.experiment) {
        (Some(name), Some(exp)) => {
            let records = lab_run::stored_records(exp, &a.work, a.db.as_deref(), None)?;
            let r = faultline_lab::report::build(&records)?;
            let Some(c) = r.configurations.iter().find(|c| &c.name == name) else {
                bail!(
                    "--baseline-of {name}: no runs of that configuration in experiment {} \
                     (it has: {})",
                    r.experiment,
                    r.configurations
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            };
            if c.failures == 0 {
                bail!(
                    "--baseline-of {name}: it never failed in {} of runs: there is no failure \
                     rate to prove a fix against",
                    human(c.total_hours)
                );
            }
            Some((c.failures, c.total_hours))
        }
        _ => a.baseline,
    };
    let baseline = match observed {
        Some((k, t)) => {
            let upper = faultline_stats::baseline_mttf_upper(k, t)
                .map_err(|e| anyhow::anyhow!("--baseline {k}/{}: {e}", human(t)))?;
            Some(Baseline {
                failures: k,
                hours: t,
                mttf_hours: (k > 0).then(|| t / k as f64),
                mttf_upper_hours: upper,
            })
        }
        None => None,
    };
    let mttf = match (&baseline, a.mttf) {
        (Some(b), _) => b.mttf_upper_hours,
        (None, Some(m)) => m,
        (None, None) => bail!("give --mttf, --baseline or --baseline-of"),
    };
    let total = faultline_stats::soak_time(mttf, a.confidence, a.failures).context("soak time")?;
    let runs = a
        .run_length
        .map(|r| faultline_stats::soak_runs(total, r))
        .transpose()
        .context("runs")?;
    let so_far = a
        .elapsed
        .map(|e| faultline_stats::soak_confidence(mttf, e, a.failures))
        .transpose()
        .context("confidence so far")?;
    let plan = SoakPlan {
        mttf_hours: mttf,
        confidence: a.confidence,
        failures_allowed: a.failures,
        soak_hours: total,
        run_length_hours: a.run_length,
        runs,
        elapsed_hours: a.elapsed,
        confidence_so_far: so_far,
        remaining_hours: a.elapsed.map(|e| (total - e).max(0.0)),
        baseline,
    };
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.json {
        serde_json::to_writer(&mut w, &plan)?;
        writeln!(w)?;
    } else {
        text(&mut w, &plan)?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn text(w: &mut impl Write, p: &SoakPlan) -> std::io::Result<()> {
    let pct = |c: f64| format!("{:.1}%", c * 100.0);
    if let Some(b) = &p.baseline {
        writeln!(
            w,
            "Baseline: {} failure(s) in {} of runs: MTTF {}, at most {} (upper 95% limit, used below).",
            b.failures,
            human(b.hours),
            b.mttf_hours.map_or("unknown".into(), human),
            human(b.mttf_upper_hours)
        )?;
    } else {
        writeln!(
            w,
            "Before the fix the configuration failed on average every {} (MTTF).",
            human(p.mttf_hours)
        )?;
    }
    let allowed = match p.failures_allowed {
        0 => "without a failure".to_string(),
        1 => "with at most 1 failure".to_string(),
        n => format!("with at most {n} failures"),
    };
    writeln!(
        w,
        "To claim it fixed with {} confidence, soak {} in all {allowed} ({:.2} x MTTF).",
        pct(p.confidence),
        human(p.soak_hours),
        p.soak_hours / p.mttf_hours
    )?;
    if let (Some(r), Some(n)) = (p.run_length_hours, p.runs) {
        writeln!(
            w,
            "That is {n} run(s) of {} each: failures are taken as memoryless, so clean runs add up.",
            human(r)
        )?;
    }
    if let (Some(e), Some(c), Some(left)) =
        (p.elapsed_hours, p.confidence_so_far, p.remaining_hours)
    {
        if left > 0.0 {
            writeln!(
                w,
                "After {} so far: {} confidence bought; {} more to go.",
                human(e),
                pct(c),
                human(left)
            )?;
        } else {
            writeln!(
                w,
                "After {} so far: {} confidence bought; the soak is long enough.",
                human(e),
                pct(c)
            )?;
        }
    }
    writeln!(
        w,
        "Model: a still-broken configuration fails as a Poisson process at the old rate;\n\
         the soak is long enough when this few failures would then have a probability of {}.",
        pct(1.0 - p.confidence)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h"), Ok(1.0));
        assert_eq!(parse_duration("90m"), Ok(1.5));
        assert_eq!(parse_duration("1h30m"), Ok(1.5));
        assert_eq!(parse_duration("2d"), Ok(48.0));
        assert_eq!(parse_duration("3600s"), Ok(1.0));
        assert_eq!(parse_duration("2.5"), Ok(2.5));
        assert!(parse_duration("0h").is_err());
        assert!(parse_duration("1x").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5").is_ok());
        assert!(parse_duration("15 ").is_ok());
        assert!(parse_duration("").is_err());
        assert_eq!(parse_baseline("3/12h"), Ok((3, 12.0)));
        assert!(parse_baseline("x/12h").is_err());
    }

    #[test]
    fn human_durations() {
        assert_eq!(human(3.0), "3h 00m");
        assert_eq!(human(20f64.ln()), "2h 59m");
        assert_eq!(human(0.5), "30m 00s");
        assert_eq!(human(50.0), "2d 2h");
        // Under ten seconds the lab shows tenths.
        assert_eq!(human(1.0 / 3600.0), "1.0s");
    }
}
