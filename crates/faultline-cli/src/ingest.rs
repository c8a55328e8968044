//! Bringing a case's logs into its store and reading back what they hold:
//! shared by `analyze` and `audit`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};
use faultline_case::Case;
use faultline_scan::{FoundEvent, FoundReport, Input, ScanOptions};
use faultline_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

/// The crash reports and notable events of a case's logs.
pub struct Findings {
    pub reports: Vec<FoundReport>,
    pub events: Vec<FoundEvent>,
    /// Some input could not be read (each was named on stderr).
    pub trouble: bool,
}

/// Scans the case's new and changed log files into the store (default
/// `CASE/.faultline/store.db`) and returns everything stored. Unreadable
/// files are named on stderr; a progress bar shows on a terminal.
pub fn case_logs(case: &Case, case_dir: &Path, db: Option<&PathBuf>) -> Result<Findings> {
    let mut trouble = false;
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
    let db = db
        .cloned()
        .unwrap_or_else(|| case_dir.join(".faultline").join("store.db"));
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
    if std::io::stderr().is_terminal() {
        eprintln!(
            "faultline: {} file(s) scanned, {} unchanged, {} gone from the store ({})",
            sync.scanned,
            sync.unchanged,
            sync.removed,
            db.display()
        );
    }
    Ok(Findings {
        reports: store.reports()?,
        events: store.events()?,
        trouble,
    })
}
