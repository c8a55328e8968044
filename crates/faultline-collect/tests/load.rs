//! Loading snapshots written by `faultline collect` or by hand.

use faultline_collect::{SnapshotError, collect_esx, load};

#[test]
fn a_minimal_hand_written_snapshot_loads() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("esx01.json");
    std::fs::write(
        &p,
        r#"{"machine":"esx01","esx":{"advanced":{"NFS.HeartbeatFrequency":"12"}}}"#,
    )
    .unwrap();
    let s = load(&p).unwrap();
    assert_eq!(s.schema, 1);
    assert_eq!(s.machine, "esx01");
    let f = s.facts();
    let keys: Vec<(&str, &str)> = f.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    assert_eq!(
        keys,
        vec![("esx.NFS.HeartbeatFrequency", "12"), ("machine", "esx01")]
    );
}

#[test]
fn unknown_fields_are_ignored_and_partial_parts_load() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("x.json");
    std::fs::write(
        &p,
        r#"{"schema":1,"machine":"h","future_field":[1,2],"memory":{"total_kb":1024},"block":[{"name":"sda","scheduler":"cfq"}],"xen":{"cmdline":"dom0_mem=1G"}}"#,
    )
    .unwrap();
    let f = load(&p).unwrap().facts();
    assert_eq!(f["memory.total_kb"], "1024");
    assert_eq!(f["swap.enabled"], "false");
    assert_eq!(f["block.sda.scheduler"], "cfq");
    assert_eq!(f["xen.cmdline.dom0_mem"], "1G");
}

#[test]
fn bad_json_names_the_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("broken.json");
    std::fs::write(
        &p,
        "{\n  \"machine\": \"web01\",\n  \"swaps\": [\n    {\"size_kb\": \"big\"}\n  ]\n}\n",
    )
    .unwrap();
    let err = load(&p).unwrap_err();
    match &err {
        SnapshotError::Json { path, line, .. } => {
            assert_eq!(path, &p);
            assert_eq!(*line, 4);
        }
        other => panic!("{other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{}:4:", p.display())), "{msg}");
    assert!(!msg.contains(" at line "), "position said twice: {msg}");

    std::fs::write(&p, "{\"machine\": \"web01\",").unwrap();
    let msg = load(&p).unwrap_err().to_string();
    assert!(msg.starts_with(&format!("{}:1:", p.display())), "{msg}");
}

#[test]
fn newer_schema_and_missing_files_are_clear_errors() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("new.json");
    std::fs::write(&p, r#"{"schema":2,"machine":"a"}"#).unwrap();
    let err = load(&p).unwrap_err();
    assert!(matches!(err, SnapshotError::Schema { found: 2, .. }));
    assert!(err.to_string().contains("schema 2 is newer"), "{err}");

    let missing = dir.path().join("nope.json");
    let err = load(&missing).unwrap_err();
    assert!(matches!(err, SnapshotError::Read { .. }));
    assert!(err.to_string().starts_with(&missing.display().to_string()));
}

#[test]
fn what_collect_esx_makes_loads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("esx02.txt");
    std::fs::write(
        &input,
        "/NFS/HeartbeatTimeout = 5\nVMware ESXi 7.0.3 build-19193900\n",
    )
    .unwrap();
    let s = collect_esx(&[input], None).unwrap();
    let out = dir.path().join("esx02.json");
    std::fs::write(&out, serde_json::to_string_pretty(&s).unwrap()).unwrap();
    assert_eq!(load(&out).unwrap(), s);
}
