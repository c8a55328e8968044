//! `faultline analyze CASE`: hypotheses for a case.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use faultline_analyze::AnalyzeOptions;

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
    /// Extra knowledge-base folder of *.toml entries (repeatable); a case's
    /// kb/ folder is read too.
    #[arg(long, value_name = "DIR")]
    kb: Vec<PathBuf>,
}

pub fn run(args: AnalyzeArgs) -> Result<ExitCode> {
    let case = faultline_case::load(&args.case)?;
    let mut trouble = false;
    for p in &case.problems {
        eprintln!("faultline: {p}");
        trouble = true;
    }
    let (kb, kb_trouble) = crate::known::load(
        case.kb_dir
            .clone()
            .into_iter()
            .chain(args.kb.iter().cloned()),
    );
    trouble |= kb_trouble;
    let found = crate::ingest::case_logs(&case, &args.case, args.db.as_ref())?;
    trouble |= found.trouble;
    let (reports, events) = (found.reports, found.events);
    let analysis = faultline_analyze::analyze(
        &case,
        &reports,
        &events,
        &AnalyzeOptions {
            precursor_minutes: args.precursor_window,
            draws: args.draws,
            seed: args.seed,
            kb: Some(std::sync::Arc::new(kb)),
            ..AnalyzeOptions::default()
        },
    );
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
