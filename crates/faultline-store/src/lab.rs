//! The lab's runs (`lab_runs`): one row per run of `faultline lab run`.
//!
//! A row is inserted with outcome [`RUNNING`] when the guest starts and
//! completed when the run ends, so a faultline that is killed mid-run leaves
//! a row that says so; [`Store::lab_mark_orphans`] turns such rows into
//! `aborted` once their process is gone. The store knows nothing of the
//! lab's types: outcomes are words, settings and figures are JSON.

use rusqlite::{Row, params};

use crate::{Store, StoreError};

/// The outcome of a run that has not ended (or whose faultline died).
pub const RUNNING: &str = "running";

/// One run as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct LabRun {
    /// Assigned by the store (0 before [`Store::lab_begin`]).
    pub id: i64,
    pub experiment: String,
    pub configuration: String,
    /// 1-based.
    pub repetition: u32,
    /// The configuration's resolved settings.
    pub settings: serde_json::Value,
    /// `running`, then crash, freeze, corruption, clean, aborted or error.
    pub outcome: String,
    /// Seconds from the first heartbeat to the failure or the censoring.
    pub time_s: f64,
    /// Seconds from QEMU's start to the first heartbeat.
    pub boot_s: Option<f64>,
    pub title: Option<String>,
    pub signature: Option<String>,
    pub note: Option<String>,
    /// The run's console log.
    pub console: String,
    pub started_at: String,
    pub ended_at: Option<String>,
    pub seed: u64,
    /// `kvm` or `tcg`.
    pub accel: String,
    /// How the stress disk was made (format, and where an LVM volume lives).
    pub disk: Option<String>,
    /// The guest's stress figures (JSON), when it reported any.
    pub stress: Option<serde_json::Value>,
    /// The host-side stress figures (JSON), when the configuration had it.
    pub host_stress: Option<serde_json::Value>,
    /// The faultline process that made the run.
    pub runner_pid: u32,
}

const COLUMNS: &str = "id, experiment, configuration, repetition, settings, outcome, time_s, \
     boot_s, title, signature, note, console, started_at, ended_at, seed, accel, disk, stress, \
     host_stress, runner_pid";

fn json_text(v: &Option<serde_json::Value>) -> Option<String> {
    v.as_ref().map(|v| v.to_string())
}

impl Store {
    /// Records the start of a run (its outcome [`RUNNING`]); returns its id.
    pub fn lab_begin(&mut self, r: &LabRun) -> Result<i64, StoreError> {
        self.conn
            .execute(
                "INSERT INTO lab_runs (experiment, configuration, repetition, settings, outcome,
                   time_s, boot_s, title, signature, note, console, started_at, ended_at, seed,
                   accel, disk, stress, host_stress, runner_pid)
                 VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL, NULL, NULL, NULL, ?6, ?7, NULL, ?8, ?9,
                   ?10, NULL, NULL, ?11)",
                params![
                    r.experiment,
                    r.configuration,
                    r.repetition,
                    r.settings.to_string(),
                    RUNNING,
                    r.console,
                    r.started_at,
                    // SQLite integers are signed: the seed's bits are kept.
                    r.seed as i64,
                    r.accel,
                    r.disk,
                    r.runner_pid,
                ],
            )
            .map_err(|e| self.sql(e))?;
        Ok(self.conn.last_insert_rowid())
    }

    /// Completes run `id` with how it ended.
    pub fn lab_finish(&mut self, id: i64, r: &LabRun) -> Result<(), StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE lab_runs SET outcome = ?2, time_s = ?3, boot_s = ?4, title = ?5,
                   signature = ?6, note = ?7, ended_at = ?8, disk = ?9, stress = ?10,
                   host_stress = ?11, accel = ?12
                 WHERE id = ?1",
                params![
                    id,
                    r.outcome,
                    r.time_s,
                    r.boot_s,
                    r.title,
                    r.signature,
                    r.note,
                    r.ended_at,
                    r.disk,
                    json_text(&r.stress),
                    json_text(&r.host_stress),
                    r.accel,
                ],
            )
            .map_err(|e| self.sql(e))?;
        if n != 1 {
            return Err(StoreError::Damaged {
                path: self.path.clone(),
                what: format!("lab run {id} is not stored"),
            });
        }
        Ok(())
    }

    /// The runs of one experiment (all experiments when `None`), oldest
    /// first.
    pub fn lab_runs(&self, experiment: Option<&str>) -> Result<Vec<LabRun>, StoreError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM lab_runs WHERE ?1 IS NULL OR experiment = ?1 ORDER BY id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map(params![experiment], |row| Ok(self.lab_row(row)))
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for r in rows {
            out.push(r.map_err(|e| self.sql(e))??);
        }
        Ok(out)
    }

    /// Records that the console logs of earlier runs moved from `old` to
    /// `new` (their run folder was renamed to make room for a new attempt).
    pub fn lab_move_console(&mut self, old: &str, new: &str) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE lab_runs SET console = ?2 WHERE console = ?1",
                params![old, new],
            )
            .map_err(|e| self.sql(e))
    }

    /// The experiments with runs, and how many runs each.
    pub fn lab_experiments(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT experiment, COUNT(*) FROM lab_runs GROUP BY experiment ORDER BY 1")
            .map_err(|e| self.sql(e))?;
        let rows = stmt
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<Vec<_>, _>>().map_err(|e| self.sql(e))
    }

    /// Rows still [`RUNNING`] whose faultline process is gone (`alive` says
    /// whether a PID runs) become `aborted`; returns how many. A faultline
    /// killed with SIGKILL cannot record its own runs' end; this does.
    pub fn lab_mark_orphans(&mut self, alive: &dyn Fn(u32) -> bool) -> Result<usize, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, runner_pid FROM lab_runs WHERE outcome = ?1")
            .map_err(|e| self.sql(e))?;
        let running: Vec<(i64, u32)> = stmt
            .query_map(params![RUNNING], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.sql(e))?
            .collect::<Result<_, _>>()
            .map_err(|e| self.sql(e))?;
        drop(stmt);
        let mut n = 0;
        for (id, pid) in running {
            if alive(pid) {
                continue;
            }
            n += self
                .conn
                .execute(
                    "UPDATE lab_runs SET outcome = 'aborted', note = ?2 WHERE id = ?1 AND outcome = ?3",
                    params![
                        id,
                        format!(
                            "faultline (pid {pid}) stopped during the run without recording its end"
                        ),
                        RUNNING
                    ],
                )
                .map_err(|e| self.sql(e))?;
        }
        Ok(n)
    }

    fn lab_row(&self, row: &Row) -> Result<LabRun, StoreError> {
        let get = |e: rusqlite::Error| self.sql(e);
        let json = |col: &str,
                    text: Option<String>|
         -> Result<Option<serde_json::Value>, StoreError> {
            match text {
                None => Ok(None),
                Some(t) => serde_json::from_str(&t)
                    .map(Some)
                    .map_err(|e| StoreError::Damaged {
                        path: self.path.clone(),
                        what: format!("lab_runs.{col}: {e}"),
                    }),
            }
        };
        let settings: String = row.get(4).map_err(get)?;
        Ok(LabRun {
            id: row.get(0).map_err(get)?,
            experiment: row.get(1).map_err(get)?,
            configuration: row.get(2).map_err(get)?,
            repetition: row.get(3).map_err(get)?,
            settings: json("settings", Some(settings))?.unwrap_or_default(),
            outcome: row.get(5).map_err(get)?,
            time_s: row.get(6).map_err(get)?,
            boot_s: row.get(7).map_err(get)?,
            title: row.get(8).map_err(get)?,
            signature: row.get(9).map_err(get)?,
            note: row.get(10).map_err(get)?,
            console: row.get(11).map_err(get)?,
            started_at: row.get(12).map_err(get)?,
            ended_at: row.get(13).map_err(get)?,
            seed: row.get::<_, i64>(14).map_err(get)? as u64,
            accel: row.get(15).map_err(get)?,
            disk: row.get(16).map_err(get)?,
            stress: json("stress", row.get(17).map_err(get)?)?,
            host_stress: json("host_stress", row.get(18).map_err(get)?)?,
            runner_pid: row.get(19).map_err(get)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(conf: &str, rep: u32) -> LabRun {
        LabRun {
            id: 0,
            experiment: "e".into(),
            configuration: conf.into(),
            repetition: rep,
            settings: serde_json::json!({"disk_format": "raw"}),
            outcome: RUNNING.into(),
            time_s: 0.0,
            boot_s: None,
            title: None,
            signature: None,
            note: None,
            console: format!("runs/e/{conf}/{rep}/console.log"),
            started_at: "2026-11-22T08:00:00Z".into(),
            ended_at: None,
            seed: u64::MAX - 5,
            accel: "tcg".into(),
            disk: Some("raw".into()),
            stress: None,
            host_stress: None,
            runner_pid: 4242,
        }
    }

    #[test]
    fn a_run_is_begun_then_finished() {
        let mut s = Store::open_in_memory().unwrap();
        let id = s.lab_begin(&run("a", 1)).unwrap();
        let stored = s.lab_runs(Some("e")).unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].outcome, RUNNING);
        assert_eq!(stored[0].seed, u64::MAX - 5);
        let mut end = run("a", 1);
        end.outcome = "crash".into();
        end.time_s = 12.5;
        end.boot_s = Some(5.1);
        end.title = Some("kernel panic: sysrq triggered crash".into());
        end.signature = Some("abc".into());
        end.ended_at = Some("2026-11-22T08:01:00Z".into());
        end.stress = Some(serde_json::json!({"ops": 1000, "verify_errors": 0}));
        s.lab_finish(id, &end).unwrap();
        let got = &s.lab_runs(None).unwrap()[0];
        end.id = id;
        assert_eq!(got, &end);
        assert!(s.lab_runs(Some("other")).unwrap().is_empty());
        assert_eq!(s.lab_experiments().unwrap(), vec![("e".to_string(), 1)]);
        assert!(s.lab_finish(id + 1, &end).is_err());
        assert_eq!(s.lab_move_console(&end.console, "elsewhere").unwrap(), 1);
        assert_eq!(s.lab_runs(None).unwrap()[0].console, "elsewhere");
    }

    #[test]
    fn orphans_of_a_dead_faultline_become_aborted() {
        let mut s = Store::open_in_memory().unwrap();
        let mut live = run("a", 1);
        live.runner_pid = 1;
        s.lab_begin(&live).unwrap();
        s.lab_begin(&run("b", 1)).unwrap();
        let n = s.lab_mark_orphans(&|pid| pid == 1).unwrap();
        assert_eq!(n, 1);
        let runs = s.lab_runs(None).unwrap();
        assert_eq!(runs[0].outcome, RUNNING);
        assert_eq!(runs[1].outcome, "aborted");
        assert!(runs[1].note.as_deref().unwrap().contains("pid 4242"));
        assert_eq!(s.lab_mark_orphans(&|_| false).unwrap(), 1);
        assert_eq!(s.lab_mark_orphans(&|_| false).unwrap(), 0);
    }

    #[test]
    fn a_store_of_the_first_schema_is_upgraded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("store.db");
        {
            let c = rusqlite::Connection::open(&path).unwrap();
            c.execute_batch(crate::MIGRATIONS[0]).unwrap();
            c.pragma_update(None, "user_version", 1).unwrap();
        }
        let mut s = Store::open(&path).unwrap();
        s.lab_begin(&run("a", 1)).unwrap();
        assert_eq!(s.lab_runs(None).unwrap().len(), 1);
    }
}
