//! `faultline analyze CASE`: hypotheses for a case.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;
use faultline_analyze::AnalyzeOptions;
use faultline_scan::{Input, ScanOptions};
use faultline_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Args)]
pub struct AnalyzeArgs {
    /// The case folder (faultline.toml, inventory, placements, events, logs/).
    #[arg(value_name = "CASE")]
    case: PathBuf,
    /// Print one JSON document instead of text.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print Markdown instead of text.
    #[arg(long)]
    markdown: bool,
    /// The store (default: CASE/.faultline/store.db).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
    /// Minutes before a crash in which notable events count as precursors.
    #[arg(long, default_value_t = 60, value_name = "MINUTES")]
    precursor_window: i64,
    /// Monte Carlo draws for event proximity and precursors.
    #[arg(long, default_value_t = 2000)]
    draws: u64,
    /// Seed of the Monte Carlo draws (results are reproducible).
    #[arg(long, default_value_t = 20091120)]
    seed: u64,
}

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let case = faultline_case::load(&args.case)?;
    let mut trouble = false;
    for p in &case.problems {
        eprintln!("faultline: {p}");
        trouble = true;
    }
    let files = match &case.logs_dir {
        Some(dir) => {
            let (files, errors) = faultline_read::expand(std::slice::from_ref(dir));
            for e in &errors {
                eprintln!("faultline: {e}");
                trouble = true;
            }
            files
        }
        None => Vec::new(),
    };
    let db = args
        .db
        .clone()
        .unwrap_or_else(|| args.case.join(".faultline").join("store.db"));
    let mut store =
        Store::open(&db).with_context(|| format!("cannot open the store {}", db.display()))?;
    let opts = ScanOptions {
        year: None,
        time_zone: case.time_zone.clone(),
        machine: None,
        reference_time: case.window.as_ref().map(|w| w.end),
    };
    let bar = if std::io::stderr().is_terminal() {
        ProgressBar::new(0)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("scanning {pos}/{len} files {wide_bar} {elapsed}")
            .expect("progress template"),
    );
    let sync = store.sync(&files, |todo| {
        bar.set_length(todo.len() as u64);
        let inputs: Vec<Input> = todo.iter().cloned().map(Input::Path).collect();
        faultline_scan::scan_with(&inputs, &opts, &|_| bar.inc(1))
    })?;
    bar.finish_and_clear();
    for f in store.files()? {
        if let Some(e) = &f.error {
            eprintln!("faultline: {e}");
            trouble = true;
        }
    }
    let reports = store.reports()?;
    let events = store.events()?;
    let analysis = faultline_analyze::analyze(
        &case,
        &reports,
        &events,
        &AnalyzeOptions {
            precursor_minutes: args.precursor_window,
            draws: args.draws,
            seed: args.seed,
            ..AnalyzeOptions::default()
        },
    );
    if std::io::stderr().is_terminal() {
        eprintln!(
            "faultline: {} file(s) scanned, {} unchanged, {} gone from the store ({})",
            sync.scanned,
            sync.unchanged,
            sync.removed,
            db.display()
        );
    }
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut w, &analysis)?;
        writeln!(w)?;
    } else if args.markdown {
        w.write_all(faultline_report::markdown(&analysis).as_bytes())?;
    } else {
        w.write_all(faultline_report::text(&analysis).as_bytes())?;
    }
    w.flush()?;
    Ok(if trouble {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
