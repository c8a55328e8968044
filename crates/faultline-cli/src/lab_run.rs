//! `faultline lab run EXPERIMENT.toml` and `faultline lab report`: see
//! `faultline_lab::experiment` (the file), `faultline_lab::runner` (the
//! runs) and `faultline_lab::report` (the statistics).

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result, bail};
use clap::Args;
use faultline_lab::accel::{self, Accel};
use faultline_lab::{experiment, report, results, runner};

/// Where runs go and what they boot: shared by `lab run` and `lab bisect`.
#[derive(Args)]
pub struct GuestArgs {
    /// Work folder: one folder per run under DIR/runs/<experiment>/ with
    /// its console.log; the store at DIR/store.db unless --db.
    #[arg(long, value_name = "DIR", default_value = "lab-work")]
    pub work: PathBuf,
    /// The store the runs are recorded in (default WORK/store.db; a case's
    /// CASE/.faultline/store.db keeps them with the case).
    #[arg(long, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Image cache (default $XDG_CACHE_HOME/faultline/lab or
    /// ~/.cache/faultline/lab), as `faultline lab image --work`.
    #[arg(long, value_name = "DIR")]
    image_cache: Option<PathBuf>,
    /// Boot this kernel instead of the lab image's (with --initrd: a guest
    /// of your own whose /init runs `faultline lab agent`).
    #[arg(long, value_name = "FILE", requires = "initrd")]
    kernel: Option<PathBuf>,
    /// The initramfs for --kernel.
    #[arg(long, value_name = "FILE", requires = "kernel")]
    initrd: Option<PathBuf>,
    /// Accelerator: auto (KVM when /dev/kvm boots the guest, tested once per
    /// host, QEMU and image; else TCG), kvm or tcg.
    #[arg(long, value_name = "auto|kvm|tcg", default_value = "auto")]
    accel: String,
}

#[derive(Args)]
pub struct RunArgs {
    /// The experiment: configurations, repetitions, time limit, stress.
    #[arg(value_name = "EXPERIMENT.toml")]
    experiment: PathBuf,
    #[command(flatten)]
    guest: GuestArgs,
    /// Guests at once (overrides [run] parallel).
    #[arg(long, value_name = "N")]
    parallel: Option<u32>,
    /// Print the records of the runs made as JSON lines instead of a summary.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct ReportArgs {
    /// The experiment file (its runs are read from the store of the work
    /// folder), a store (its only experiment, or --experiment), or a
    /// results.jsonl of an earlier faultline.
    #[arg(value_name = "EXPERIMENT.toml|STORE.db|RESULTS.jsonl")]
    input: PathBuf,
    /// Work folder of `lab run` (when given the experiment file).
    #[arg(long, value_name = "DIR", default_value = "lab-work")]
    work: PathBuf,
    /// The store (default WORK/store.db), when given the experiment file.
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Which experiment of a store holding several.
    #[arg(long, value_name = "NAME")]
    experiment: Option<String>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
}

/// What every run of a `lab run` or `lab bisect` shares.
pub struct Guest {
    pub qemu: String,
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    pub faultline: PathBuf,
    pub db: PathBuf,
    pub store: std::sync::Mutex<faultline_store::Store>,
    pub accel: Accel,
    pub accel_note: String,
}

impl Guest {
    /// The runner's options for runs of this guest under `root`.
    pub fn run_options<'a>(
        &'a self,
        root: &Path,
        parallel: u32,
        stop: &'a std::sync::atomic::AtomicBool,
        say: &'a (dyn Fn(&str) + Sync),
    ) -> runner::RunOptions<'a> {
        runner::RunOptions {
            kernel: self.kernel.clone(),
            initramfs: self.initramfs.clone(),
            root: root.to_path_buf(),
            store: &self.store,
            faultline: self.faultline.clone(),
            accel: self.accel,
            qemu: self.qemu.clone(),
            parallel,
            stop,
            say,
        }
    }
}

/// Finds QEMU, builds (or finds) the guest image, opens the store.
pub fn prepare(a: &GuestArgs) -> Result<Guest> {
    let qemu = std::env::var("FAULTLINE_QEMU").unwrap_or_else(|_| "qemu-system-x86_64".into());
    if !runner::on_path(&qemu) {
        bail!(
            "{qemu} not found: install QEMU (scripts/lab-smoke does, as root: \
             apt-get install -t bookworm-backports qemu-system-x86 qemu-utils)"
        );
    }
    let faultline = std::env::current_exe().context("finding the faultline binary")?;
    let force = match a.accel.as_str() {
        "auto" => None,
        other => Some(
            other
                .parse::<Accel>()
                .map_err(|e| anyhow::anyhow!("--accel {other}: {e} (auto, kvm or tcg)"))?,
        ),
    };
    // The probe's verdict is cached beside the image it booted.
    let (kernel, initramfs, probe_cache) = match (&a.kernel, &a.initrd) {
        (Some(k), Some(i)) => {
            for f in [k, i] {
                if !f.is_file() {
                    bail!("{}: no such file", f.display());
                }
            }
            (k.clone(), i.clone(), accel::default_cache_file(&a.work))
        }
        _ => {
            let cache = match &a.image_cache {
                Some(c) => c.clone(),
                None => faultline_lab::image::default_work_dir()?,
            };
            let probe_cache = accel::default_cache_file(&cache);
            let image = faultline_lab::image::build(&faultline_lab::image::ImageOptions {
                work: cache,
                kernel_package: "linux-image-cloud-amd64".into(),
                force: false,
                faultline: faultline.clone(),
            })?;
            (image.kernel, image.initramfs, probe_cache)
        }
    };
    let mut probe = accel::ProbeOptions::new(&qemu, &kernel, &initramfs);
    probe.cache = Some(probe_cache);
    probe.force = force;
    let choice = accel::probe(&probe);
    let db = a.db.clone().unwrap_or_else(|| a.work.join("store.db"));
    let store = std::sync::Mutex::new(faultline_store::Store::open(&db)?);
    Ok(Guest {
        qemu,
        kernel,
        initramfs,
        faultline,
        db,
        store,
        accel: choice.accel,
        accel_note: choice.note,
    })
}

pub fn run(a: RunArgs) -> Result<ExitCode> {
    let mut e = experiment::load(&a.experiment)?;
    if let Some(p) = a.parallel {
        if p == 0 {
            bail!("--parallel 0: give at least 1");
        }
        e.parallel = p;
    }
    let g = prepare(&a.guest)?;
    let a_work = &a.guest.work;
    let root = runner::experiment_root(a_work, &e);
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
    eprintln!("accelerator: {}", g.accel_note);
    eprintln!(
        "results: {} (runs folder {})",
        g.db.display(),
        root.display()
    );
    let db = &g.db;
    let stop = runner::install_interrupt_handler();
    let start = std::time::Instant::now();
    let say = |msg: &str| {
        eprintln!("[{:7.1}s] {msg}", start.elapsed().as_secs_f64());
    };
    let records = runner::run_experiment(&e, &g.run_options(&root, e.parallel, stop, &say))?;
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
        writeln!(w, "results: {} (experiment {})", db.display(), e.name)?;
        let mut again = format!("faultline lab report {}", a.experiment.display());
        if a_work != Path::new("lab-work") {
            again.push_str(&format!(" --work {}", a_work.display()));
        }
        if let Some(d) = &a.guest.db {
            again.push_str(&format!(" --db {}", d.display()));
        }
        writeln!(w, "report:  {again}")?;
    }
    w.flush()?;
    if stop.load(std::sync::atomic::Ordering::SeqCst) {
        eprintln!("interrupted: running runs recorded as aborted; run again to go on");
        return Ok(ExitCode::from(130));
    }
    Ok(ExitCode::SUCCESS)
}

/// The finished runs the report is about.
fn report_records(a: &ReportArgs) -> Result<Vec<results::RunRecord>> {
    stored_records(&a.input, &a.work, a.db.as_deref(), a.experiment.as_deref())
}

/// The finished runs of an experiment: from its file (the store of `work`,
/// or `db`), a store, or a results.jsonl of an earlier faultline.
pub fn stored_records(
    input: &Path,
    work: &Path,
    db: Option<&Path>,
    experiment: Option<&str>,
) -> Result<Vec<results::RunRecord>> {
    let a = ReportArgs {
        input: input.to_path_buf(),
        work: work.to_path_buf(),
        db: db.map(Path::to_path_buf),
        experiment: experiment.map(str::to_string),
        json: false,
    };
    let input = &a.input;
    let ext = input.extension().and_then(|x| x.to_str()).unwrap_or("");
    if ext == "jsonl" {
        return Ok(results::read(input)?);
    }
    let (db, wanted) = if ext == "toml" {
        let e = experiment::load(input)?;
        let db = a.db.clone().unwrap_or_else(|| a.work.join("store.db"));
        (db, Some(a.experiment.clone().unwrap_or(e.name)))
    } else {
        (input.clone(), a.experiment.clone())
    };
    if db.is_dir() {
        bail!(
            "{}: a folder; give EXPERIMENT.toml (with --work), a store (STORE.db) \
             or a results.jsonl",
            db.display()
        );
    }
    if !db.exists() {
        bail!(
            "{}: no store here (the runs of `faultline lab run` are recorded in WORK/store.db; \
             give --work or --db)",
            db.display()
        );
    }
    let store = faultline_store::Store::open(&db)?;
    let name = match wanted {
        Some(n) => n,
        None => {
            let all = store.lab_experiments()?;
            match all.as_slice() {
                [] => bail!("{}: no lab runs recorded", db.display()),
                [(n, _)] => n.clone(),
                _ => bail!(
                    "{}: several experiments ({}): choose one with --experiment",
                    db.display(),
                    all.iter()
                        .map(|(n, c)| format!("{n}: {c} run(s)"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }
        }
    };
    let (records, running) = results::stored(&store, Some(&name))?;
    if running > 0 {
        eprintln!(
            "{running} run(s) of {name} still going (or their faultline was killed): not counted"
        );
    }
    if records.is_empty() {
        bail!("{}: no finished runs of experiment {name}", db.display());
    }
    Ok(records)
}

pub fn report(a: ReportArgs) -> Result<ExitCode> {
    let records = report_records(&a)?;
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
