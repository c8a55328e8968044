//! Running the few commands collection needs (`xl info`, `lvs`, `qemu-img
//! info`), for real or from recorded outputs.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a command gave no output to use. `Display` is the `why` of an
/// [`Unreadable`](crate::Unreadable) entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("command not found")]
    NotFound,
    #[error("timed out after {0} s")]
    TimedOut(u64),
    /// The command ran and failed; `message` is the last line of its
    /// standard error, if any.
    #[error("{status}{}", if message.is_empty() { String::new() } else { format!(": {message}") })]
    Failed { status: String, message: String },
    #[error("{0}")]
    Io(String),
}

/// Runs a command and returns its standard output (invalid UTF-8 replaced).
pub trait CommandRunner {
    fn run(&self, program: &str, args: &[&str]) -> Result<String, RunError>;
}

/// Runs real commands with `LC_ALL=C`, standard input closed, and a time
/// limit. Programs are looked up in `PATH` and in the `sbin` folders (where
/// `xl` and `lvs` live, often outside a normal user's `PATH`).
#[derive(Debug, Clone)]
pub struct SystemRunner {
    pub timeout: Duration,
}

impl Default for SystemRunner {
    fn default() -> Self {
        SystemRunner {
            timeout: Duration::from_secs(5),
        }
    }
}

fn find_program(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        let p = PathBuf::from(program);
        return is_executable(&p).then_some(p);
    }
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    for extra in ["/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/bin", "/bin"] {
        dirs.push(PathBuf::from(extra));
    }
    dirs.into_iter()
        .map(|d| d.join(program))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}

impl CommandRunner for SystemRunner {
    fn run(&self, program: &str, args: &[&str]) -> Result<String, RunError> {
        let path = find_program(program).ok_or(RunError::NotFound)?;
        let mut child = Command::new(&path)
            .args(args)
            .env("LC_ALL", "C")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => RunError::NotFound,
                _ => RunError::Io(e.to_string()),
            })?;
        let drain = |pipe: Option<Box<dyn Read + Send>>| {
            std::thread::spawn(move || {
                let mut buf = Vec::new();
                if let Some(mut p) = pipe {
                    let _ = p.read_to_end(&mut buf);
                }
                buf
            })
        };
        let out = drain(
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let err = drain(
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        );
        let deadline = Instant::now() + self.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    // The readers end when the pipes close; a grandchild
                    // that keeps them open must not hang us, so they are
                    // left to finish on their own.
                    return Err(RunError::TimedOut(self.timeout.as_secs().max(1)));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => return Err(RunError::Io(e.to_string())),
            }
        };
        let stdout = out.join().unwrap_or_default();
        let stderr = err.join().unwrap_or_default();
        if status.success() {
            return Ok(String::from_utf8_lossy(&stdout).into_owned());
        }
        let status = match status.code() {
            Some(code) => format!("exit status {code}"),
            None => "killed by a signal".to_string(),
        };
        let stderr = String::from_utf8_lossy(&stderr);
        let message = stderr
            .lines()
            .map(str::trim)
            .rfind(|l| !l.is_empty())
            .unwrap_or("")
            .to_string();
        Err(RunError::Failed { status, message })
    }
}

/// Recorded outputs for tests: keyed by the whole command line (program and
/// arguments joined by single spaces), else by the program name alone. A
/// command with no recording is [`RunError::NotFound`]. Remembers what was
/// asked for.
#[derive(Debug, Default)]
pub struct RecordedRunner {
    outputs: BTreeMap<String, Result<String, RunError>>,
    calls: Mutex<Vec<String>>,
}

impl RecordedRunner {
    pub fn new() -> Self {
        Self::default()
    }

    /// `command` prints `stdout` and succeeds.
    pub fn output(mut self, command: &str, stdout: &str) -> Self {
        self.outputs
            .insert(command.to_string(), Ok(stdout.to_string()));
        self
    }

    /// `command` fails with `error`.
    pub fn failure(mut self, command: &str, error: RunError) -> Self {
        self.outputs.insert(command.to_string(), Err(error));
        self
    }

    /// The command lines run so far, in order.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }
}

impl CommandRunner for RecordedRunner {
    fn run(&self, program: &str, args: &[&str]) -> Result<String, RunError> {
        let mut line = program.to_string();
        for a in args {
            line.push(' ');
            line.push_str(a);
        }
        if let Ok(mut calls) = self.calls.lock() {
            calls.push(line.clone());
        }
        self.outputs
            .get(&line)
            .or_else(|| self.outputs.get(program))
            .cloned()
            .unwrap_or(Err(RunError::NotFound))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_runner_reports_missing_programs_failures_and_timeouts() {
        let r = SystemRunner {
            timeout: Duration::from_millis(300),
        };
        assert_eq!(
            r.run("faultline-no-such-program", &[]),
            Err(RunError::NotFound)
        );
        if find_program("sh").is_some() {
            assert_eq!(r.run("sh", &["-c", "echo hi"]).as_deref(), Ok("hi\n"));
            assert_eq!(
                r.run("sh", &["-c", "echo warn >&2; echo need root >&2; exit 3"]),
                Err(RunError::Failed {
                    status: "exit status 3".into(),
                    message: "need root".into()
                })
            );
            assert_eq!(
                r.run("sh", &["-c", "exec sleep 5"]),
                Err(RunError::TimedOut(1))
            );
        }
        assert_eq!(
            RunError::Failed {
                status: "exit status 1".into(),
                message: "need root".into()
            }
            .to_string(),
            "exit status 1: need root"
        );
    }
}
