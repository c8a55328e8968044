//! What can go wrong while loading a case: the fatal [`CaseError`], which
//! stops loading, and the [`Problem`], one wrong row or file that was
//! skipped while the rest of the case was read.

use std::fmt;
use std::path::PathBuf;

/// One thing in the case that was wrong and therefore not used: a row that
/// was skipped, a file that was skipped, or a conflict between sources.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Problem {
    /// The file, relative to the case folder, with `/` separators.
    pub file: String,
    /// The 1-based line the problem is on, when it is on one.
    pub line: Option<u64>,
    /// What is wrong, in words an operator can act on.
    pub message: String,
}

impl Problem {
    pub(crate) fn at(file: &str, line: u64, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: Some(line),
            message: message.into(),
        }
    }

    pub(crate) fn in_file(file: &str, message: impl Into<String>) -> Problem {
        Problem {
            file: file.to_string(),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

/// Why a case could not be loaded at all.
#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    /// The case folder does not exist.
    #[error("{}: no such case folder", path.display())]
    NotFound { path: PathBuf },
    /// The case path exists but is not a folder.
    #[error("{}: not a folder (a case is a folder)", path.display())]
    NotAFolder { path: PathBuf },
    /// The case folder or its `faultline.toml` exists but cannot be read.
    #[error("{}: cannot read: {source}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `faultline.toml` is not valid: a TOML syntax error, a value of the
    /// wrong type, or a window time that cannot be read.
    #[error("{}:{line}:{column}: {message}", path.display())]
    InvalidConfig {
        path: PathBuf,
        line: u64,
        column: u64,
        message: String,
    },
    /// `time_zone` in `faultline.toml` names no zone in the time zone
    /// database.
    #[error("{}:{line}:{column}: unknown time zone {name:?} (expected an IANA name such as Europe/Berlin)", path.display())]
    UnknownTimeZone {
        path: PathBuf,
        line: u64,
        column: u64,
        name: String,
    },
    /// The case has nothing to analyse or audit: no `logs/` or `configs/`
    /// folder and no `crashes.csv`.
    #[error("{}: the case has no logs/ folder, no configs/ folder and no crashes.csv file; one of them is needed", path.display())]
    NoCrashSource { path: PathBuf },
}
