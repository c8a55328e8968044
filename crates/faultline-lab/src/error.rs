//! The lab's error type, [`LabError`]: what went wrong building the guest,
//! reading an experiment or running it. Every message names the file,
//! program or setting, and carries its cause in its own text (the CLI
//! prints the message, and nothing is said twice).

use std::fmt::Display;

/// What went wrong in the lab.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    /// A file or device could not be read, written or made; `what` names
    /// it ("reading /path").
    #[error("{what}: {cause}")]
    Io { what: String, cause: std::io::Error },
    /// An I/O error whose own message says enough (a pipe, a console read).
    #[error(transparent)]
    BareIo(#[from] std::io::Error),
    /// Input that is not what the lab expects: an experiment file, a kernel
    /// command line, `modules.dep`, a run record. The message names the file
    /// and line, or the setting.
    #[error("{0}")]
    Invalid(String),
    /// A program the lab needs (apt-get, dpkg-deb, qemu-img, QEMU, busybox,
    /// ldd) is missing or failed; the message has what it printed.
    #[error("{0}")]
    Program(String),
    /// What went wrong in one run of an experiment ("run NAME/REP").
    #[error("run {run}: {cause}")]
    InRun { run: String, cause: Box<LabError> },
    #[error(transparent)]
    Store(#[from] faultline_store::StoreError),
    #[error(transparent)]
    Lvm(#[from] crate::lvm::LvmError),
    #[error(transparent)]
    HostStress(#[from] crate::host_stress::StartError),
    #[error(transparent)]
    Survival(#[from] faultline_stats::SurvivalError),
    #[error(transparent)]
    Json(#[from] serde_json::Error),
}

/// The lab's results.
pub type Result<T, E = LabError> = std::result::Result<T, E>;

/// `return Err(LabError::Invalid(format!(...)))`.
macro_rules! bail {
    ($($arg:tt)*) => {
        return Err($crate::error::LabError::Invalid(format!($($arg)*)))
    };
}
pub(crate) use bail;

/// Names the file or device of an I/O error.
pub(crate) trait IoContext<T> {
    fn at(self, what: impl FnOnce() -> String) -> Result<T>;
}

impl<T> IoContext<T> for std::io::Result<T> {
    fn at(self, what: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|cause| LabError::Io {
            what: what(),
            cause,
        })
    }
}

/// Turns a missing value or a parse error into [`LabError::Invalid`] with
/// the message given (a parse error's own text follows it).
pub(crate) trait OrInvalid<T> {
    fn or_invalid(self, msg: impl FnOnce() -> String) -> Result<T>;
}

impl<T> OrInvalid<T> for Option<T> {
    fn or_invalid(self, msg: impl FnOnce() -> String) -> Result<T> {
        self.ok_or_else(|| LabError::Invalid(msg()))
    }
}

impl<T, E: Display> OrInvalid<T> for std::result::Result<T, E> {
    fn or_invalid(self, msg: impl FnOnce() -> String) -> Result<T> {
        self.map_err(|e| LabError::Invalid(format!("{}: {e}", msg())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_carry_their_cause_once() {
        let e = std::fs::read("/nonexistent/faultline-x")
            .at(|| "reading /nonexistent/faultline-x".into())
            .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with("reading /nonexistent/faultline-x: "),
            "{text}"
        );
        // The cause is in the text, not repeated as a source.
        assert!(std::error::Error::source(&e).is_none());

        let e = "x"
            .parse::<f64>()
            .or_invalid(|| "faultline.heartbeat=x: not a number".into());
        assert_eq!(
            e.unwrap_err().to_string(),
            "faultline.heartbeat=x: not a number: invalid float literal"
        );
        let e = None::<u8>.or_invalid(|| "no Version".into());
        assert_eq!(e.unwrap_err().to_string(), "no Version");
    }
}
