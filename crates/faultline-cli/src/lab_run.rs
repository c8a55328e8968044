//! `faultline lab run EXPERIMENT.toml` and `faultline lab report`: see
//! `faultline_lab::experiment` (the file), `faultline_lab::runner` (the
//! runs) and `faultline_lab::report` (the statistics).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use faultline_lab::{experiment, report, results, runner};

#[derive(Args)]
pub struct RunArgs {
    /// The experiment: configurations, repetitions, time limit, stress.
    #[arg(value_name = "EXPERIMENT.toml")]
    experiment: PathBuf,
    /// Work folder: runs go to DIR/runs/<experiment>/ (results.jsonl, one
    /// folder per run with its console.log).
    #[arg(long, value_name = "DIR", default_value = "lab-work")]
    work: PathBuf,
    /// Guests at once (overrides [run] parallel).
    #[arg(long, value_name = "N")]
    parallel: Option<u32>,
    /// Image cache (default $XDG_CACHE_HOME/faultline/lab or
    /// ~/.cache/faultline/lab), as `faultline lab image --work`.
    #[arg(long, value_name = "DIR")]
    image_cache: Option<PathBuf>,
    /// Print the records of the runs made as JSON lines instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    /// A results.jsonl, or the experiment file (its results are read from
    /// the work folder).
    #[arg(value_name = "RESULTS.jsonl|EXPERIMENT.toml")]
    input: PathBuf,
    /// Work folder of `lab run` (when given the experiment file).
    #[arg(long, value_name = "DIR", default_value = "lab-work")]
    work: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let mut e = experiment::load(&a.experiment)?;
    if let Some(p) = a.parallel {
        if p == 0 {
            bail!("--parallel 0: give at least 1");
        }
        e.parallel = p;
    }
    let qemu = std::env::var("FAULTLINE_QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into());
    if !runner::on_path(&qemu) {
        bail!(
            "{qemu} not found: install QEMU (scripts/lab-smoke does, as root: \
             apt-get install -t bookworm-backports qemu-system-x86 qemu-utils)"
        );
    }
    let cache = match a.image_cache {
        Some(c) => c,
        None => faultline_lab::image::default_work_dir()?,
    };
    let exe = std::env::current_exe().context("finding the faultline binary")?;
    let image = faultline_lab::image::build(&faultline_lab::image::ImageOptions {
        work: cache,
        kernel_package: "linux-image-cloud-amd64".into(),
        force: false,
        faultline: exe,
    })?;
    let root = runner::experiment_root(&a.work, &e);
    let runs = e.configurations.len() * e.repetitions as usize;
    eprintln!(
        "experiment {}: {} configuration(s) x {} repetition(s) = {runs} run(s), time limit {}s, \
         {} at once",
        e.name,
        e.configurations.len(),
        e.repetitions,
        e.time_limit_s,
        e.parallel
    );
    eprintln!("accelerator: {}", runner::ACCEL_NOTE);
    eprintln!("results: {}", root.join("results.jsonl").display());
    let stop = runner::install_interrupt_handler();
    let start = std::time::Instant::now();
    let say = |msg: &str| {
        eprintln!("[{:7.1}s] {msg}", start.elapsed().as_secs_f64());
    };
    let records = runner::run_experiment(
        &e,
        &runner::RunOptions {
            kernel: image.kernel,
            initramfs: image.initramfs,
            root: root.clone(),
            qemu,
            parallel: e.parallel,
            stop,
            say: &say,
        },
    )?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.json {
        for r in &records {
            serde_json::to_writer(&mut w, r)?;
            writeln!(w)?;
        }
    } else {
        let count =
            |o: faultline_lab::watch::Outcome| records.iter().filter(|r| r.outcome == o).count();
        use faultline_lab::watch::Outcome::*;
        writeln!(
            w,
            "{} run(s) in {:.0}s: {} crash, {} freeze, {} clean, {} aborted, {} error",
            records.len(),
            start.elapsed().as_secs_f64(),
            count(Crash),
            count(Freeze),
            count(Clean),
            count(Aborted),
            count(Error)
        )?;
        writeln!(w, "results: {}", root.join("results.jsonl").display())?;
        writeln!(
            w,
            "report:  faultline lab report {}",
            root.join("results.jsonl").display()
        )?;
    }
    w.flush()?;
    if stop.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("interrupted: running runs recorded as aborted; run again to go on");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

fn results_path(input: &Path, work: &Path) -> Result<PathBuf> {
    if input.extension().is_some_and(|x| x == "toml") {
        let e = experiment::load(input)?;
        Ok(runner::experiment_root(work, &e).join("results.jsonl"))
    } else {
        Ok(input.to_path_buf())
    }
}

pub fn report(a: ReportArgs) -> Result<ExitCode> {
    let path = results_path(&a.input, &a.work)?;
    let records = results::read(&path)?;
    if records.is_empty() {
        bail!("{}: no runs recorded", path.display());
    }
    let r = report::build(&records)?;
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if a.json {
        serde_json::to_writer(&mut w, &r)?;
        writeln!(w)?;
    } else {
        report::text(&mut w, &r)?;
    }
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}
