//! The store keeps findings across runs and rescans only what changed.

use std::path::{Path, PathBuf};

use faultline_scan::{Input, ScanOptions, ScanOutput};
use faultline_store::{DETECTOR_REVISION, Store, StoreError, SyncSummary};

const OOPS: &str = "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010
IP: [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]
Call Trace:
 [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]
 [<ffffffff81234567>] rpc_exit_task+0x30/0x90
";
const EVENT: &str = "nfs: server filer01 not responding, still trying\n";

fn scan(files: &[PathBuf]) -> ScanOutput {
    let inputs: Vec<Input> = files.iter().cloned().map(Input::Path).collect();
    faultline_scan::scan(&inputs, &ScanOptions::default())
}

fn logs(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    v.sort();
    v
}

#[test]
fn second_run_reuses_unchanged_files_and_rescans_changed_ones() {
    let dir = tempfile::tempdir().unwrap();
    let logdir = dir.path().join("logs");
    std::fs::create_dir(&logdir).unwrap();
    std::fs::write(logdir.join("vm1.log"), OOPS).unwrap();
    std::fs::write(logdir.join("vm2.log"), EVENT).unwrap();
    let db = dir.path().join(".faultline/store.db");

    let mut store = Store::open(&db).unwrap();
    let s = store.sync(&logs(&logdir), scan).unwrap();
    assert_eq!(
        s,
        SyncSummary {
            scanned: 2,
            unchanged: 0,
            removed: 0
        }
    );
    let reports = store.reports().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(
        reports[0].report.title,
        "BUG: unable to handle kernel NULL pointer dereference in nfs_readpage_result"
    );
    assert_eq!(reports[0].machine.as_deref(), Some("vm1"));
    assert_eq!(store.events().unwrap().len(), 1);
    drop(store);

    // A new process: nothing to scan.
    let mut store = Store::open(&db).unwrap();
    let s = store
        .sync(&logs(&logdir), |_| {
            panic!("nothing changed, nothing to scan")
        })
        .unwrap();
    assert_eq!(
        s,
        SyncSummary {
            scanned: 0,
            unchanged: 2,
            removed: 0
        }
    );
    assert_eq!(store.reports().unwrap().len(), 1);

    // Same bytes, new modification time: the hash says unchanged.
    std::fs::write(logdir.join("vm2.log"), EVENT).unwrap();
    let f = std::fs::File::options()
        .write(true)
        .open(logdir.join("vm2.log"))
        .unwrap();
    f.set_modified(std::time::SystemTime::now() + std::time::Duration::from_secs(60))
        .unwrap();
    let s = store
        .sync(&logs(&logdir), |_| panic!("same content"))
        .unwrap();
    assert_eq!(s.unchanged, 2);

    // Changed content: only that file is scanned; a removed file is dropped.
    std::fs::write(logdir.join("vm2.log"), format!("{EVENT}{OOPS}")).unwrap();
    std::fs::remove_file(logdir.join("vm1.log")).unwrap();
    let mut seen = Vec::new();
    let s = store
        .sync(&logs(&logdir), |files| {
            seen = files.to_vec();
            scan(files)
        })
        .unwrap();
    assert_eq!(
        s,
        SyncSummary {
            scanned: 1,
            unchanged: 0,
            removed: 1
        }
    );
    assert_eq!(seen, [logdir.join("vm2.log")]);
    let reports = store.reports().unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].machine.as_deref(), Some("vm2"));
    assert_eq!(reports[0].line, 2);
    let files = store.files().unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(
        (files[0].reports, files[0].events, files[0].lines),
        (1, 1, 6)
    );
}

#[test]
fn stored_reports_round_trip_every_field() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("db02.log");
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/logs/centos5-db02/console.log"),
    )
    .unwrap();
    std::fs::write(&log, text).unwrap();
    let fresh = scan(std::slice::from_ref(&log));
    let mut store = Store::open_in_memory().unwrap();
    store.sync(std::slice::from_ref(&log), scan).unwrap();
    let back = store.reports().unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&fresh.reports).unwrap()
    );
}

#[test]
fn findings_of_another_detector_are_forgotten() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("vm1.log");
    std::fs::write(&log, OOPS).unwrap();
    let db = dir.path().join("store.db");
    let mut store = Store::open(&db).unwrap();
    store.sync(std::slice::from_ref(&log), scan).unwrap();
    drop(store);
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE meta SET value = 'older' WHERE key = 'detector_revision'",
        [],
    )
    .unwrap();
    drop(conn);
    let mut store = Store::open(&db).unwrap();
    assert!(store.reports().unwrap().is_empty());
    let s = store.sync(std::slice::from_ref(&log), scan).unwrap();
    assert_eq!(s.scanned, 1);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let rev: String = conn
        .query_row(
            "SELECT value FROM meta WHERE key = 'detector_revision'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rev, DETECTOR_REVISION);
}

#[test]
fn a_store_from_a_newer_faultline_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    drop(Store::open(&db).unwrap());
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.pragma_update(None, "user_version", 99).unwrap();
    drop(conn);
    match Store::open(&db) {
        Err(StoreError::Damaged { what, .. }) => assert!(what.contains("newer"), "{what}"),
        other => panic!("expected a refusal, got {:?}", other.err()),
    }
}

#[test]
fn a_file_that_is_not_a_database_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("store.db");
    std::fs::write(
        &db,
        b"this is not sqlite, just some text that is long enough",
    )
    .unwrap();
    let err = Store::open(&db).err().expect("an error");
    let msg = err.to_string();
    assert!(msg.contains("store.db"), "{msg}");
}
