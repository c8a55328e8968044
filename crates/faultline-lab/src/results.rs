//! `results.jsonl`: one JSON line per finished run, appended when the run
//! ends (a run is a whole line or absent; an interrupted run gets a line with
//! outcome `aborted`). A store table can come later.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context as _, Result, bail};
use serde::{Deserialize, Serialize};

use crate::watch::Outcome;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub experiment: String,
    pub configuration: String,
    /// The configuration's resolved settings.
    pub settings: serde_json::Value,
    /// 1-based.
    pub repetition: u32,
    pub outcome: Outcome,
    /// Seconds from the first heartbeat to the failure, or to the censoring
    /// (time limit, abort).
    pub time_s: f64,
    /// Seconds from QEMU's start to the first heartbeat.
    pub boot_s: Option<f64>,
    pub title: Option<String>,
    pub signature: Option<String>,
    pub note: Option<String>,
    pub console: String,
    pub started_at: String,
    pub seed: u64,
    pub accel: String,
}

/// Appends one record as one line (written with a single `write`).
pub fn append(path: &Path, r: &RunRecord) -> Result<()> {
    let mut line = serde_json::to_string(r)?;
    line.push('\n');
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    f.write_all(line.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    f.sync_data().ok();
    Ok(())
}

/// Reads every record; a last line cut short (a crash of faultline itself
/// mid-write) is skipped, any other bad line is an error naming it.
pub fn read(path: &Path) -> Result<Vec<RunRecord>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<RunRecord>(line) {
            Ok(r) => out.push(r),
            Err(_) if i + 1 == lines.len() && !text.ends_with('\n') => {}
            Err(e) => bail!("{}:{}: not a run record: {e}", path.display(), i + 1),
        }
    }
    Ok(out)
}
