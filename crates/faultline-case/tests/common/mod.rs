//! Building case folders for tests.

#![allow(dead_code)]

use std::path::Path;

use faultline_case::{Case, CaseError};

/// A case folder in a temporary directory holding `files` (path relative
/// to the case, content).
pub fn case_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, content) in files {
        write(dir.path(), path, content.as_bytes());
    }
    dir
}

pub fn write(root: &Path, path: &str, bytes: &[u8]) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

/// Loads a case made of `files`, which must load.
pub fn load(files: &[(&str, &str)]) -> Case {
    let dir = case_dir(files);
    let case = faultline_case::load(dir.path()).unwrap();
    // The case remembers its root; the folder may go now.
    drop(dir);
    case
}

/// The fatal error of a case made of `files`.
pub fn load_err(files: &[(&str, &str)]) -> CaseError {
    let dir = case_dir(files);
    faultline_case::load(dir.path()).unwrap_err()
}

/// Every problem of a case as its display string.
pub fn problems(case: &Case) -> Vec<String> {
    case.problems.iter().map(ToString::to_string).collect()
}

/// A `crashes.csv` with no rows: makes a folder a valid case.
pub const NO_CRASHES: (&str, &str) = ("crashes.csv", "machine,time,title\n");
