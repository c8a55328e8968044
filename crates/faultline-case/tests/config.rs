//! The case folder itself, `faultline.toml`, the fatal errors, and the
//! forms of time.

mod common;

use common::{NO_CRASHES, case_dir, load, load_err, problems};
use faultline_case::CaseError;

#[test]
fn a_folder_with_only_crashes_is_a_case_with_defaults() {
    let dir = case_dir(&[NO_CRASHES]);
    let case = faultline_case::load(dir.path()).unwrap();
    assert_eq!(
        case.name,
        dir.path().file_name().unwrap().to_string_lossy(),
        "the folder's name"
    );
    assert_eq!(case.time_zone_name, "UTC");
    assert!(case.window.is_none());
    assert!(case.machines.is_empty());
    assert!(case.logs_dir.is_none());
    assert!(case.configs_dir.is_none());
    assert!(case.problems.is_empty());
}

#[test]
fn logs_and_configs_are_located() {
    let dir = case_dir(&[
        ("logs/web01/messages", "x\n"),
        ("configs/web01/grub.conf", "x\n"),
    ]);
    let case = faultline_case::load(dir.path()).unwrap();
    assert_eq!(
        case.logs_dir.as_deref(),
        Some(dir.path().join("logs").as_path())
    );
    assert_eq!(
        case.configs_dir.as_deref(),
        Some(dir.path().join("configs").as_path())
    );
    assert!(case.known_crashes.is_empty());
}

#[test]
fn a_folder_of_config_snapshots_and_a_kb_is_an_audit_case() {
    let dir = case_dir(&[
        ("configs/xen01.json", "{}\n"),
        ("kb/site.toml", "\n"),
        ("inventory.csv", "name,kind,cluster\nxen01,host,farm\n"),
    ]);
    let case = faultline_case::load(dir.path()).unwrap();
    assert!(case.logs_dir.is_none());
    assert_eq!(
        case.configs_dir.as_deref(),
        Some(dir.path().join("configs").as_path())
    );
    assert_eq!(
        case.kb_dir.as_deref(),
        Some(dir.path().join("kb").as_path())
    );
    assert_eq!(case.machines.len(), 1);
}

#[test]
fn fatal_no_such_folder_and_not_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let err = faultline_case::load(&missing).unwrap_err();
    assert!(matches!(err, CaseError::NotFound { .. }));
    assert_eq!(
        err.to_string(),
        format!("{}: no such case folder", missing.display())
    );

    let file = dir.path().join("file");
    std::fs::write(&file, "x").unwrap();
    let err = faultline_case::load(&file).unwrap_err();
    assert!(matches!(err, CaseError::NotAFolder { .. }));
}

#[test]
fn fatal_neither_logs_nor_crashes() {
    let err = load_err(&[
        ("inventory.csv", "name\nweb01\n"),
        ("logs", "a file, not a folder"),
    ]);
    assert!(matches!(err, CaseError::NoCrashSource { .. }), "{err}");
    assert!(err.to_string().ends_with(
        ": the case has no logs/ folder, no configs/ folder and no crashes.csv file; one of them is needed"
    ));
}

#[test]
fn fatal_toml_syntax_error_has_line_and_column() {
    let err = load_err(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "name = \"esx\"\ntime_zone = Europe/Berlin\n",
        ),
    ]);
    let CaseError::InvalidConfig { line, column, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*line, *column), (2, 13), "{err}");
    assert!(err.to_string().contains("faultline.toml:2:13: "), "{err}");
}

#[test]
fn fatal_toml_wrong_type_has_line_and_column() {
    let err = load_err(&[NO_CRASHES, ("faultline.toml", "\nname = 3\n")]);
    let CaseError::InvalidConfig { line, column, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!((*line, *column), (2, 8), "{err}");
}

#[test]
fn fatal_toml_not_utf8() {
    let dir = case_dir(&[NO_CRASHES]);
    common::write(
        dir.path(),
        "faultline.toml",
        b"name = \"a\"\nx = \"\xff\"\n",
    );
    let err = faultline_case::load(dir.path()).unwrap_err();
    let CaseError::InvalidConfig {
        line,
        column,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((*line, *column), (2, 6));
    assert_eq!(message, "not valid UTF-8 (TOML files are UTF-8)");
}

#[test]
fn fatal_unknown_time_zone() {
    let err = load_err(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "name = \"x\"\ntime_zone = \"Europe/Pariss\"\n",
        ),
    ]);
    assert!(
        matches!(
            err,
            CaseError::UnknownTimeZone {
                line: 2,
                column: 13,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().ends_with(
        "faultline.toml:2:13: unknown time zone \"Europe/Pariss\" (expected an IANA name such as Europe/Berlin)"
    ), "{err}");
}

#[test]
fn fatal_bad_window() {
    let err = load_err(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "[window]\nstart = \"2009-11-01\"\nend = \"next week\"\n",
        ),
    ]);
    let CaseError::InvalidConfig {
        line,
        column,
        message,
        ..
    } = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!((*line, *column), (3, 7));
    assert_eq!(
        message,
        "window end: bad time \"next week\": the year must be 4 digits; expected RFC 3339 \
         (2009-11-20T22:14:03-05:00), or YYYY-MM-DD[ HH:MM[:SS]] in the case's time zone"
    );

    let err = load_err(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "[window]\nstart = 2009-11-30\nend = 2009-11-01\n",
        ),
    ]);
    assert!(
        err.to_string().ends_with(
            "faultline.toml:3:7: window end 2009-11-01T00:00:00Z is not after its start 2009-11-30T00:00:00Z"
        ),
        "{err}"
    );

    let err = load_err(&[
        NO_CRASHES,
        ("faultline.toml", "[window]\nstart = 2009-11-30\n"),
    ]);
    assert!(
        err.to_string()
            .contains("faultline.toml:1:1: missing field `end`"),
        "{err}"
    );

    let err = load_err(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "[window]\nstart = 12:00:00\nend = 2009-11-01\n",
        ),
    ]);
    assert!(
        err.to_string().ends_with(
            "faultline.toml:2:9: window start: 12:00:00 is a time of day without a date"
        ),
        "{err}"
    );
}

#[test]
fn window_takes_toml_datetimes_and_strings_in_the_case_zone() {
    let case = load(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "name = \"ESX NFS cluster\"\ntime_zone = \"America/New_York\"\n\
             [window]\nstart = 2009-11-01T00:00:00\nend = \"2009-12-01\"\n",
        ),
    ]);
    assert_eq!(case.name, "ESX NFS cluster");
    assert_eq!(case.time_zone_name, "America/New_York");
    let w = case.window.unwrap();
    assert_eq!(
        w.start.to_string(),
        "2009-11-01T04:00:00Z",
        "EDT until Nov 1 02:00"
    );
    assert_eq!(w.end.to_string(), "2009-12-01T05:00:00Z", "EST");

    let case = load(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "time_zone = \"Europe/Berlin\"\n[window]\nstart = 2009-11-01T00:00:00Z\n\
             end = 2009-11-02 # a local date\n",
        ),
    ]);
    let w = case.window.unwrap();
    assert_eq!(w.start.to_string(), "2009-11-01T00:00:00Z");
    assert_eq!(w.end.to_string(), "2009-11-01T23:00:00Z");
}

#[test]
fn unknown_keys_are_problems_not_errors() {
    let case = load(&[
        NO_CRASHES,
        (
            "faultline.toml",
            "name = \"x\"\ntimezone = \"Europe/Berlin\"\n\n[window]\nstart = 2009-11-01\nend = 2009-11-02\nstop = 2009-11-03\n",
        ),
    ]);
    assert_eq!(case.time_zone_name, "UTC");
    assert_eq!(
        problems(&case),
        [
            "faultline.toml:2: unknown key `timezone` ignored (known: name, time_zone, [window] start, end)",
            "faultline.toml:7: unknown key `window.stop` ignored (known: name, time_zone, [window] start, end)",
        ]
    );
}

#[test]
fn a_bom_before_the_toml_is_tolerated() {
    let case = load(&[NO_CRASHES, ("faultline.toml", "\u{feff}name = \"bom\"\n")]);
    assert_eq!(case.name, "bom");
}

/// Crash times of a case in New York, in UTC.
fn crash_times(times: &[&str]) -> (Vec<String>, Vec<String>) {
    let mut csv = String::from("machine,time,title\n");
    for t in times {
        csv.push_str(&format!("web01,{t},x\n"));
    }
    let case = load(&[
        ("faultline.toml", "time_zone = \"America/New_York\"\n"),
        ("crashes.csv", &csv),
    ]);
    (
        case.known_crashes
            .iter()
            .map(|c| c.time.to_string())
            .collect(),
        problems(&case),
    )
}

#[test]
fn time_forms() {
    let (times, problems) = crash_times(&[
        "2009-11-20T22:14:03-05:00",
        "2009-11-21T03:14:04Z",
        "2009-11-20 22:14:05",
        "2009-11-20T22:14:06",
        "2009-11-20 22:15",
        "2009-11-21",
        "2009-07-01 12:00",
        "2009-11-20T22:14:03.5+00:00",
    ]);
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(
        times,
        [
            "2009-11-21T03:14:03Z",
            "2009-11-21T03:14:04Z",
            "2009-11-21T03:14:05Z",
            "2009-11-21T03:14:06Z",
            "2009-11-21T03:15:00Z",
            "2009-11-21T05:00:00Z",
            "2009-07-01T16:00:00Z",
            "2009-11-20T22:14:03.5Z",
        ]
    );
}

#[test]
fn daylight_saving_gap_and_fold_resolve_the_compatible_way() {
    let (times, problems) = crash_times(&[
        // 2009-03-08 02:00 EST jumps to 03:00 EDT: 02:30 does not exist
        // and is read as 03:30 EDT.
        "2009-03-08 02:30",
        // 2009-11-01 01:30 happens twice; the earlier (EDT) is taken.
        "2009-11-01 01:30",
        "2009-11-01T01:30:00-05:00",
    ]);
    assert_eq!(problems, Vec::<String>::new());
    assert_eq!(
        times,
        [
            "2009-03-08T07:30:00Z",
            "2009-11-01T05:30:00Z",
            "2009-11-01T06:30:00Z"
        ]
    );
}

#[test]
fn wrong_times_are_problems_with_lines() {
    let (times, problems) = crash_times(&[
        "2009-11-20T22",
        "20/11/2009 22:14",
        "2009-02-29 10:00",
        "2009-11-20 25:00",
        "2009-11-20 22:14:03 EST",
        "2009-11-20 22:14:03",
    ]);
    assert_eq!(times.len(), 1);
    let forms = "expected RFC 3339 (2009-11-20T22:14:03-05:00), or YYYY-MM-DD[ HH:MM[:SS]] in the case's time zone";
    assert_eq!(
        problems,
        [
            format!("crashes.csv:2: time: bad time \"2009-11-20T22\": {forms}; row skipped"),
            format!(
                "crashes.csv:3: time: bad time \"20/11/2009 22:14\": the year must be 4 digits; {forms}; row skipped"
            ),
            "crashes.csv:4: time: bad time \"2009-02-29 10:00\": there is no date 2009-02-29; row skipped"
                .to_string(),
            "crashes.csv:5: time: bad time \"2009-11-20 25:00\": there is no time of day 25:00:00; row skipped"
                .to_string(),
            format!("crashes.csv:6: time: bad time \"2009-11-20 22:14:03 EST\": {forms}; row skipped"),
        ]
    );
}
