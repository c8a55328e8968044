//! The record of one run ([`RunRecord`]) and where it is kept: the store's
//! `lab_runs` table (`faultline_store::LabRun`, one row per run, begun when
//! the guest starts and completed when it ends), converted here both ways.
//! `results.jsonl` files of earlier versions (one record per line) are still
//! read by [`read`].

use std::path::Path;

use crate::error::{IoContext as _, LabError, Result, bail};
use faultline_store::{LabRun, Store};
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
    /// The store's row id (None in a results.jsonl of earlier versions).
    #[serde(default)]
    pub id: Option<i64>,
    #[serde(default)]
    pub ended_at: Option<String>,
    /// How the stress disk was made: the format, and for LVM where the
    /// volume lives.
    #[serde(default)]
    pub disk: Option<String>,
    /// The guest's stress figures, as its last status line gave them.
    #[serde(default)]
    pub stress: Option<serde_json::Value>,
    /// The host-side stress figures, when the configuration had it.
    #[serde(default)]
    pub host_stress: Option<serde_json::Value>,
}

impl RunRecord {
    /// The store row of this record (`runner_pid`: the faultline making it).
    pub fn to_stored(&self, runner_pid: u32) -> LabRun {
        LabRun {
            id: self.id.unwrap_or(0),
            experiment: self.experiment.clone(),
            configuration: self.configuration.clone(),
            repetition: self.repetition,
            settings: self.settings.clone(),
            outcome: self.outcome.name().to_string(),
            time_s: self.time_s,
            boot_s: self.boot_s,
            title: self.title.clone(),
            signature: self.signature.clone(),
            note: self.note.clone(),
            console: self.console.clone(),
            started_at: self.started_at.clone(),
            ended_at: self.ended_at.clone(),
            seed: self.seed,
            accel: self.accel.clone(),
            disk: self.disk.clone(),
            stress: self.stress.clone(),
            host_stress: self.host_stress.clone(),
            runner_pid,
        }
    }

    /// The record of a stored run; None while it is still running.
    pub fn from_stored(r: LabRun) -> Result<Option<RunRecord>> {
        if r.outcome == faultline_store::RUNNING {
            return Ok(None);
        }
        let outcome: Outcome = serde_json::from_value(serde_json::Value::String(r.outcome.clone()))
            .map_err(|_| {
                LabError::Invalid(format!("lab run {}: unknown outcome {:?}", r.id, r.outcome))
            })?;
        Ok(Some(RunRecord {
            experiment: r.experiment,
            configuration: r.configuration,
            settings: r.settings,
            repetition: r.repetition,
            outcome,
            time_s: r.time_s,
            boot_s: r.boot_s,
            title: r.title,
            signature: r.signature,
            note: r.note,
            console: r.console,
            started_at: r.started_at,
            seed: r.seed,
            accel: r.accel,
            id: Some(r.id),
            ended_at: r.ended_at,
            disk: r.disk,
            stress: r.stress,
            host_stress: r.host_stress,
        }))
    }
}

/// The finished runs of an experiment (all when `None`) in the store, in
/// the order they were begun, and how many are still running.
pub fn stored(store: &Store, experiment: Option<&str>) -> Result<(Vec<RunRecord>, usize)> {
    let mut out = Vec::new();
    let mut running = 0;
    for r in store.lab_runs(experiment)? {
        match RunRecord::from_stored(r)? {
            Some(r) => out.push(r),
            None => running += 1,
        }
    }
    Ok((out, running))
}

/// Whether a process runs (signal 0 reaches it, or it is not ours to
/// signal).
pub fn pid_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: kill with signal 0 only checks that the process exists.
    let r = unsafe { libc::kill(pid, 0) };
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Reads every record; a last line cut short (a crash of faultline itself
/// mid-write) is skipped, any other bad line is an error naming it.
pub fn read(path: &Path) -> Result<Vec<RunRecord>> {
    let text = std::fs::read_to_string(path).at(|| format!("reading {}", path.display()))?;
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
