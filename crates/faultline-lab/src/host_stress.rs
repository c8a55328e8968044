//! Host-side stress: `faultline stress` on the host, beside the guest, for
//! the length of one run. The appliance story's race needed I/O pressure on
//! the host and inside the guest at once; a configuration with
//! `host_stress` gets it.
//!
//! The workload writes a file in the run's folder (so on the file system
//! that holds the guest's disk images), runs `time_based` past the run's
//! time limit, prints its figures as JSON status lines, and is killed (by
//! its own PID, in its own process group) when the run ends. Its last
//! figures go into the run's record.

use std::io::BufRead as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

/// Seconds between the host workload's status lines.
pub const STATUS_INTERVAL_S: u32 = 5;

/// A running host workload.
pub struct HostStress {
    child: Child,
    last: Arc<Mutex<Option<serde_json::Value>>>,
    reader: Option<std::thread::JoinHandle<()>>,
    file: PathBuf,
    stderr: PathBuf,
}

#[derive(Debug, thiserror::Error)]
#[error("host stress: starting {exe}: {source}")]
pub struct StartError {
    exe: String,
    #[source]
    source: std::io::Error,
}

/// The arguments of `faultline stress` for the host: the configuration's
/// options, then what the lab decides (target, JSON, status lines, run
/// length).
pub fn arguments(options: &[(String, String)], file: &Path, runtime_s: u64) -> Vec<String> {
    let mut args = vec!["stress".to_string()];
    for (k, v) in options {
        // The lab decides these; the configuration's would fight them.
        if matches!(
            k.as_str(),
            "filename"
                | "json"
                | "status-interval"
                | "status_interval"
                | "runtime"
                | "time_based"
                | "force"
        ) {
            continue;
        }
        if v.is_empty() {
            args.push(format!("--{k}"));
        } else {
            args.push(format!("--{k}={v}"));
        }
    }
    args.push(format!("--filename={}", file.display()));
    args.push("--json".into());
    args.push(format!("--status-interval={STATUS_INTERVAL_S}"));
    args.push("--time_based".into());
    args.push(format!("--runtime={runtime_s}"));
    args
}

/// The figures in one line of `faultline stress --json` output: a status
/// line's `status` object, or the final report document itself.
pub fn figures(line: &str) -> Option<serde_json::Value> {
    let v: serde_json::Value = serde_json::from_str(line.trim()).ok()?;
    let obj = v.as_object()?;
    match obj.get("status") {
        Some(s) if s.is_object() => Some(s.clone()),
        _ if obj.contains_key("jobs") || obj.contains_key("total") => Some(v),
        _ => None,
    }
}

impl HostStress {
    /// Starts `exe stress ...` writing `dir/host-stress.dat`; its errors go
    /// to `dir/host-stress.log`.
    pub fn start(
        exe: &Path,
        options: &[(String, String)],
        dir: &Path,
        runtime_s: u64,
    ) -> Result<HostStress, StartError> {
        let file = dir.join("host-stress.dat");
        let stderr_path = dir.join("host-stress.log");
        let err = |source| StartError {
            exe: exe.display().to_string(),
            source,
        };
        let stderr = std::fs::File::create(&stderr_path).map_err(err)?;
        let mut cmd = Command::new(exe);
        cmd.args(arguments(options, &file, runtime_s))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .process_group(0);
        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = cmd.spawn().map_err(err)?;
        let last = Arc::new(Mutex::new(None));
        let reader = child.stdout.take().map(|out| {
            let last = Arc::clone(&last);
            std::thread::spawn(move || {
                for line in std::io::BufReader::new(out).lines() {
                    let Ok(line) = line else { break };
                    if let Some(f) = figures(&line) {
                        *last.lock().unwrap() = Some(f);
                    }
                }
            })
        });
        Ok(HostStress {
            child,
            last,
            reader,
            file,
            stderr: stderr_path,
        })
    }

    /// Whether it is still running (a workload that stopped early, say on a
    /// setup error, is worth a note in the run).
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Stops it and returns its last figures (None if it printed none; its
    /// errors are then in `host-stress.log`). The data file is removed.
    pub fn stop(mut self) -> (Option<serde_json::Value>, Option<String>) {
        // SIGTERM first: the workload then stops its jobs and prints its
        // final report; SIGKILL when it does not within a few seconds.
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: a signal to our own child, which has not been reaped.
            unsafe { libc::kill(pid, libc::SIGTERM) };
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
        while std::time::Instant::now() < deadline && self.running() {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let status = self.child.wait().ok();
        if let Some(r) = self.reader.take() {
            let _ = r.join();
        }
        let _ = std::fs::remove_file(&self.file);
        let figures = self.last.lock().unwrap().take();
        let problem = if figures.is_none() {
            let text = std::fs::read_to_string(&self.stderr).unwrap_or_default();
            let last = text.lines().rev().find(|l| !l.trim().is_empty());
            Some(format!(
                "host stress gave no figures ({}){}",
                status.map_or("not waited for".into(), |s| s.to_string()),
                last.map_or(String::new(), |l| format!(": {l}"))
            ))
        } else {
            None
        };
        (figures, problem)
    }
}

impl Drop for HostStress {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lab_decides_target_length_and_output() {
        let opts = vec![
            ("rw".to_string(), "randrw".to_string()),
            ("numjobs".to_string(), "5".to_string()),
            ("direct".to_string(), String::new()),
            ("runtime".to_string(), "10".to_string()),
            ("filename".to_string(), "/dev/sda".to_string()),
        ];
        let a = arguments(&opts, Path::new("/w/run/host-stress.dat"), 3660);
        assert_eq!(
            a,
            [
                "stress",
                "--rw=randrw",
                "--numjobs=5",
                "--direct",
                "--filename=/w/run/host-stress.dat",
                "--json",
                "--status-interval=5",
                "--time_based",
                "--runtime=3660",
            ]
        );
    }

    #[test]
    fn figures_come_from_status_lines_or_the_final_report() {
        assert_eq!(
            figures(r#"{"status": {"ops": 12, "verify_errors": 0}}"#),
            Some(serde_json::json!({"ops": 12, "verify_errors": 0}))
        );
        assert!(figures(r#"{"jobs": [], "total": {"iops": 1.0}}"#).is_some());
        assert_eq!(figures("stress: 5 jobs"), None);
        assert_eq!(figures(r#"{"status": 3}"#), None);
        assert_eq!(figures("{\"status\": {\"ops\""), None);
    }
}
