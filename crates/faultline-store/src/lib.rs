//! The store: what scanning a case's logs found, kept in SQLite inside the
//! case (`CASE/.faultline/store.db`) so that a second run only scans the
//! files that changed.
//!
//! This module owns all the SQL of faultline. The schema is created and
//! upgraded by numbered migrations recorded in SQLite's `user_version`.
//! A file is current when its size and modification time are the ones
//! stored, or, failing that, when its content hash (xxh3) is; a file that
//! changed is scanned again whole (a report may span the old end). Results
//! of an older detector (the tables changed) are thrown away and rescanned:
//! the detector revision is stored with them.
//!
//! The lab's runs live here too (`lab_runs`, see [`LabRun`]), one row per
//! run of `faultline lab run`, written when the run starts and completed
//! when it ends.

use std::collections::HashMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;

use faultline_detect::{CrashReport, EventKind, ReportKind};
use faultline_scan::{FileSummary, FoundEvent, FoundReport, ScanOutput};
use jiff::Timestamp;
use rusqlite::{Connection, OptionalExtension, params};

mod lab;
pub use lab::{LabRun, RUNNING};

/// Bumped whenever detection changes what it finds in the same bytes, so
/// that stored findings of an older detector are not reused.
pub const DETECTOR_REVISION: &str = concat!(env!("CARGO_PKG_VERSION"), "+d1");

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {cause}")]
    Sqlite {
        path: String,
        cause: rusqlite::Error,
    },
    #[error("{path}: {cause}")]
    Io { path: String, cause: io::Error },
    #[error("{path}: stored data is damaged: {what}")]
    Damaged { path: String, what: String },
}

/// Numbered schema migrations; the index + 1 is the `user_version` they
/// bring the database to. Never edit one that has shipped: add another.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE files (
    id          INTEGER PRIMARY KEY,
    path        TEXT NOT NULL UNIQUE,
    size        INTEGER NOT NULL,
    mtime_ns    INTEGER,
    hash        TEXT NOT NULL,
    compression TEXT NOT NULL,
    bytes       INTEGER NOT NULL,
    lines       INTEGER NOT NULL,
    error       TEXT,
    scanned_at  TEXT NOT NULL
);
CREATE TABLE reports (
    id               INTEGER PRIMARY KEY,
    file_id          INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    line             INTEGER NOT NULL,
    end_line         INTEGER NOT NULL,
    machine          TEXT,
    time_ms          INTEGER,
    uptime           REAL,
    kind             TEXT NOT NULL,
    title            TEXT NOT NULL,
    frame            TEXT,
    frames           TEXT NOT NULL,
    corrupted        INTEGER NOT NULL,
    corrupted_reason TEXT,
    kernel           TEXT,
    taint            TEXT,
    comm             TEXT,
    pid              INTEGER,
    signature        TEXT NOT NULL,
    text             TEXT NOT NULL
);
CREATE INDEX reports_by_signature ON reports(signature);
CREATE INDEX reports_by_file ON reports(file_id);
CREATE TABLE events (
    id       INTEGER PRIMARY KEY,
    file_id  INTEGER NOT NULL REFERENCES files(id) ON DELETE CASCADE,
    line     INTEGER NOT NULL,
    machine  TEXT,
    time_ms  INTEGER,
    uptime   REAL,
    kind     TEXT NOT NULL,
    rule     TEXT NOT NULL,
    template TEXT NOT NULL,
    message  TEXT NOT NULL
);
CREATE INDEX events_by_machine_time ON events(machine, time_ms);
CREATE INDEX events_by_file ON events(file_id);
"#,
    r#"
CREATE TABLE lab_runs (
    id            INTEGER PRIMARY KEY,
    experiment    TEXT NOT NULL,
    configuration TEXT NOT NULL,
    repetition    INTEGER NOT NULL,
    settings      TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    time_s        REAL NOT NULL,
    boot_s        REAL,
    title         TEXT,
    signature     TEXT,
    note          TEXT,
    console       TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ended_at      TEXT,
    seed          INTEGER NOT NULL,
    accel         TEXT NOT NULL,
    disk          TEXT,
    stress        TEXT,
    host_stress   TEXT,
    runner_pid    INTEGER NOT NULL
);
CREATE INDEX lab_runs_by_experiment ON lab_runs(experiment, configuration, repetition);
"#,
];

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncSummary {
    /// Files scanned this time (new or changed).
    pub scanned: usize,
    /// Files whose stored findings were reused.
    pub unchanged: usize,
    /// Stored files that are gone from the inputs.
    pub removed: usize,
}

pub struct Store {
    conn: Connection,
    path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct FileKey {
    size: u64,
    mtime_ns: Option<i64>,
}

impl Store {
    /// Opens (creating it and its folder if needed) the store at `path`
    /// and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let name = path.display().to_string();
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.display().to_string(),
                cause: source,
            })?;
        }
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: name.clone(),
            cause: source,
        })?;
        Store::init(conn, name)
    }

    /// A store that lives in memory only (tests, one-off runs).
    pub fn open_in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: ":memory:".into(),
            cause: source,
        })?;
        Store::init(conn, ":memory:".into())
    }

    fn init(conn: Connection, path: String) -> Result<Store, StoreError> {
        // Two faultline processes on one store (a lab run and a report)
        // wait for each other's short transactions instead of failing.
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                cause: source,
            })?;
        let mut store = Store { conn, path };
        store.migrate()?;
        let rev: Option<String> = store
            .conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'detector_revision'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| store.sql(e))?;
        if rev.as_deref() != Some(DETECTOR_REVISION) {
            // Findings of another detector: forget them, keep the schema.
            let tx = store
                .conn
                .transaction()
                .map_err(|e| sql_err(&store.path, e))?;
            tx.execute_batch("DELETE FROM events; DELETE FROM reports; DELETE FROM files;")
                .map_err(|e| sql_err(&store.path, e))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('detector_revision', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![DETECTOR_REVISION],
            )
            .map_err(|e| sql_err(&store.path, e))?;
            tx.commit().map_err(|e| sql_err(&store.path, e))?;
        }
        Ok(store)
    }

    fn sql(&self, source: rusqlite::Error) -> StoreError {
        sql_err(&self.path, source)
    }

    fn migrate(&mut self) -> Result<(), StoreError> {
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;",
            )
            .map_err(|e| self.sql(e))?;
        let version: i64 = self
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .map_err(|e| self.sql(e))?;
        if version as usize > MIGRATIONS.len() {
            return Err(StoreError::Damaged {
                path: self.path.clone(),
                what: format!(
                    "schema version {version} is newer than this faultline knows ({}); use a newer faultline or another --db",
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, m) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = self
                .conn
                .transaction()
                .map_err(|e| sql_err(&self.path, e))?;
            tx.execute_batch(m).map_err(|e| sql_err(&self.path, e))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(|e| sql_err(&self.path, e))?;
            tx.commit().map_err(|e| sql_err(&self.path, e))?;
        }
        Ok(())
    }

    /// Brings the store up to date with `files`: files not stored yet or
    /// changed since are handed to `scan` (all at once, so it can run them
    /// in parallel); stored files missing from `files` are removed.
    pub fn sync(
        &mut self,
        files: &[PathBuf],
        scan: impl FnOnce(&[PathBuf]) -> ScanOutput,
    ) -> Result<SyncSummary, StoreError> {
        let stored = self.stored_files()?;
        let mut summary = SyncSummary::default();
        let mut to_scan = Vec::new();
        let mut keys: HashMap<String, (FileKey, String)> = HashMap::new();
        let mut touched = Vec::new();
        for f in files {
            let name = f.display().to_string();
            let key = file_key(f).map_err(|source| StoreError::Io {
                path: name.clone(),
                cause: source,
            })?;
            match stored.get(&name) {
                Some((k, _)) if *k == key => summary.unchanged += 1,
                Some((_, hash)) => {
                    let h = content_hash(f).map_err(|source| StoreError::Io {
                        path: name.clone(),
                        cause: source,
                    })?;
                    if *hash == h {
                        summary.unchanged += 1;
                        touched.push((name.clone(), key.clone()));
                    } else {
                        keys.insert(name.clone(), (key, h));
                        to_scan.push(f.clone());
                    }
                }
                None => {
                    let h = content_hash(f).map_err(|source| StoreError::Io {
                        path: name.clone(),
                        cause: source,
                    })?;
                    keys.insert(name.clone(), (key, h));
                    to_scan.push(f.clone());
                }
            }
        }
        let present: std::collections::HashSet<String> =
            files.iter().map(|f| f.display().to_string()).collect();
        let gone: Vec<&String> = stored.keys().filter(|p| !present.contains(*p)).collect();
        summary.removed = gone.len();
        let out = if to_scan.is_empty() {
            ScanOutput::default()
        } else {
            scan(&to_scan)
        };
        summary.scanned = to_scan.len();
        let path = self.path.clone();
        let tx = self.conn.transaction().map_err(|e| sql_err(&path, e))?;
        for p in gone {
            tx.execute("DELETE FROM files WHERE path = ?1", params![p])
                .map_err(|e| sql_err(&path, e))?;
        }
        for (p, k) in touched {
            tx.execute(
                "UPDATE files SET size = ?2, mtime_ns = ?3 WHERE path = ?1",
                params![p, k.size as i64, k.mtime_ns],
            )
            .map_err(|e| sql_err(&path, e))?;
        }
        write_scan(&tx, &path, &out, &keys)?;
        tx.commit().map_err(|e| sql_err(&path, e))?;
        Ok(summary)
    }

    fn stored_files(&self) -> Result<HashMap<String, (FileKey, String)>, StoreError> {
        let mut st = self
            .conn
            .prepare("SELECT path, size, mtime_ns, hash FROM files")
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    FileKey {
                        size: r.get::<_, i64>(1)? as u64,
                        mtime_ns: r.get(2)?,
                    },
                    r.get::<_, String>(3)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = HashMap::new();
        for row in rows {
            let (p, k, h) = row.map_err(|e| self.sql(e))?;
            out.insert(p, (k, h));
        }
        Ok(out)
    }

    /// Every stored file, in path order.
    pub fn files(&self) -> Result<Vec<FileSummary>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT f.path, f.compression, f.bytes, f.lines, f.error,
                        (SELECT COUNT(*) FROM reports r WHERE r.file_id = f.id),
                        (SELECT COUNT(*) FROM events e WHERE e.file_id = f.id)
                 FROM files f ORDER BY f.path",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| {
                Ok(FileSummary {
                    path: r.get(0)?,
                    compression: compression_name(&r.get::<_, String>(1)?),
                    bytes: r.get::<_, i64>(2)? as u64,
                    lines: r.get::<_, i64>(3)? as u64,
                    error: r.get(4)?,
                    reports: r.get::<_, i64>(5)? as usize,
                    events: r.get::<_, i64>(6)? as usize,
                })
            })
            .map_err(|e| self.sql(e))?;
        rows.collect::<Result<_, _>>().map_err(|e| self.sql(e))
    }

    /// Every stored crash report, by file path then line.
    pub fn reports(&self) -> Result<Vec<FoundReport>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT f.path, r.line, r.end_line, r.machine, r.time_ms, r.uptime, r.kind, r.title,
                        r.frame, r.frames, r.corrupted, r.corrupted_reason, r.kernel, r.taint,
                        r.comm, r.pid, r.signature, r.text
                 FROM reports r JOIN files f ON f.id = r.file_id
                 ORDER BY f.path, r.line",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| {
                let kind: String = r.get(6)?;
                let frames: String = r.get(9)?;
                Ok((
                    FoundReport {
                        file: r.get(0)?,
                        line: r.get::<_, i64>(1)? as u64,
                        end_line: r.get::<_, i64>(2)? as u64,
                        machine: r.get(3)?,
                        time: r.get::<_, Option<i64>>(4)?.and_then(from_ms),
                        uptime: r.get(5)?,
                        report: CrashReport {
                            kind: ReportKind::Other,
                            title: r.get(7)?,
                            frame: r.get(8)?,
                            frames: Vec::new(),
                            corrupted: r.get::<_, i64>(10)? != 0,
                            corrupted_reason: r.get(11)?,
                            kernel: r.get(12)?,
                            taint: r.get(13)?,
                            comm: r.get(14)?,
                            pid: r.get::<_, Option<i64>>(15)?.map(|p| p as u32),
                            signature: r.get(16)?,
                            text: r.get(17)?,
                            start: 0,
                            end: 0,
                        },
                    },
                    kind,
                    frames,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (mut rep, kind, frames) = row.map_err(|e| self.sql(e))?;
            rep.report.kind =
                parse_kind(&kind).ok_or_else(|| self.damaged(format!("report kind {kind:?}")))?;
            rep.report.frames = serde_json::from_str(&frames)
                .map_err(|e| self.damaged(format!("frames of a report: {e}")))?;
            rep.report.start = rep.line;
            rep.report.end = rep.end_line;
            out.push(rep);
        }
        Ok(out)
    }

    /// Every stored notable event, by file path then line.
    pub fn events(&self) -> Result<Vec<FoundEvent>, StoreError> {
        let mut st = self
            .conn
            .prepare(
                "SELECT f.path, e.line, e.machine, e.time_ms, e.uptime, e.kind, e.rule, e.template, e.message
                 FROM events e JOIN files f ON f.id = e.file_id
                 ORDER BY f.path, e.line",
            )
            .map_err(|e| self.sql(e))?;
        let rows = st
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)? as u64,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, Option<f64>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, String>(6)?,
                    r.get::<_, String>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .map_err(|e| self.sql(e))?;
        let mut out = Vec::new();
        for row in rows {
            let (file, line, machine, time_ms, uptime, kind, rule, template, message) =
                row.map_err(|e| self.sql(e))?;
            let kind = parse_event_kind(&kind)
                .ok_or_else(|| self.damaged(format!("event kind {kind:?}")))?;
            out.push(FoundEvent {
                file,
                line,
                machine,
                time: time_ms.and_then(from_ms),
                uptime,
                kind,
                rule,
                template,
                message,
            });
        }
        Ok(out)
    }

    fn damaged(&self, what: String) -> StoreError {
        StoreError::Damaged {
            path: self.path.clone(),
            what,
        }
    }
}

fn sql_err(path: &str, source: rusqlite::Error) -> StoreError {
    StoreError::Sqlite {
        path: path.to_string(),
        cause: source,
    }
}

fn write_scan(
    tx: &rusqlite::Transaction<'_>,
    path: &str,
    out: &ScanOutput,
    keys: &HashMap<String, (FileKey, String)>,
) -> Result<(), StoreError> {
    let now = Timestamp::now().to_string();
    let mut ids: HashMap<&str, i64> = HashMap::new();
    for f in &out.files {
        let Some((key, hash)) = keys.get(&f.path) else {
            continue;
        };
        tx.execute("DELETE FROM files WHERE path = ?1", params![f.path])
            .map_err(|e| sql_err(path, e))?;
        tx.execute(
            "INSERT INTO files (path, size, mtime_ns, hash, compression, bytes, lines, error, scanned_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                f.path,
                key.size as i64,
                key.mtime_ns,
                hash,
                f.compression,
                f.bytes as i64,
                f.lines as i64,
                f.error,
                now
            ],
        )
        .map_err(|e| sql_err(path, e))?;
        ids.insert(&f.path, tx.last_insert_rowid());
    }
    let mut ins_report = tx
        .prepare(
            "INSERT INTO reports (file_id, line, end_line, machine, time_ms, uptime, kind, title, frame,
                 frames, corrupted, corrupted_reason, kernel, taint, comm, pid, signature, text)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
        )
        .map_err(|e| sql_err(path, e))?;
    for r in &out.reports {
        let Some(&id) = ids.get(r.file.as_str()) else {
            continue;
        };
        let frames = serde_json::to_string(&r.report.frames).expect("strings serialise");
        ins_report
            .execute(params![
                id,
                r.line as i64,
                r.end_line as i64,
                r.machine,
                r.time.map(|t| t.as_millisecond()),
                r.uptime,
                r.report.kind.as_str(),
                r.report.title,
                r.report.frame,
                frames,
                r.report.corrupted as i64,
                r.report.corrupted_reason,
                r.report.kernel,
                r.report.taint,
                r.report.comm,
                r.report.pid.map(i64::from),
                r.report.signature,
                r.report.text
            ])
            .map_err(|e| sql_err(path, e))?;
    }
    let mut ins_event = tx
        .prepare(
            "INSERT INTO events (file_id, line, machine, time_ms, uptime, kind, rule, template, message)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )
        .map_err(|e| sql_err(path, e))?;
    for e in &out.events {
        let Some(&id) = ids.get(e.file.as_str()) else {
            continue;
        };
        ins_event
            .execute(params![
                id,
                e.line as i64,
                e.machine,
                e.time.map(|t| t.as_millisecond()),
                e.uptime,
                e.kind.as_str(),
                e.rule,
                e.template,
                e.message
            ])
            .map_err(|err| sql_err(path, err))?;
    }
    Ok(())
}

fn file_key(path: &Path) -> io::Result<FileKey> {
    let meta = std::fs::metadata(path)?;
    let mtime_ns = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
        .map(|d| d.as_nanos() as i64);
    Ok(FileKey {
        size: meta.len(),
        mtime_ns,
    })
}

/// xxh3-128 of the file's bytes as they are on disk (compressed or not).
fn content_hash(path: &Path) -> io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = xxhash_rust::xxh3::Xxh3::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(format!("{:032x}", h.digest128()))
}

fn from_ms(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

fn parse_kind(s: &str) -> Option<ReportKind> {
    ReportKind::ALL.into_iter().find(|k| k.as_str() == s)
}

fn parse_event_kind(s: &str) -> Option<EventKind> {
    EventKind::ALL.into_iter().find(|k| k.as_str() == s)
}

fn compression_name(s: &str) -> &'static str {
    match s {
        "gzip" => "gzip",
        "zstd" => "zstd",
        _ => "none",
    }
}
