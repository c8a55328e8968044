//! From the paths a user names to the files to read, and from a file's
//! path to the machine it probably belongs to.

use std::ffi::OsStr;
use std::fs;
use std::path::{Component, Path, PathBuf};

use crate::ReadError;

/// Expands paths into files: files are kept as given (hidden or not),
/// folders are walked recursively in byte order of the names, skipping
/// hidden entries (`.git`, `.faultline`, ...). Symbolic links to folders
/// met inside a walk are not followed, so a link loop cannot trap it; a
/// link named on the command line is. `-` (standard input) is passed
/// through. Paths that do not exist and folders that cannot be listed are
/// reported, and the rest is still expanded.
pub fn expand(paths: &[PathBuf]) -> (Vec<PathBuf>, Vec<ReadError>) {
    let mut files = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            files.push(path.clone());
            continue;
        }
        match fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk(path, &mut files, &mut errors),
            Ok(_) => files.push(path.clone()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                errors.push(ReadError::NotFound { path: path.clone() })
            }
            Err(error) => errors.push(ReadError::Open {
                path: path.clone(),
                error,
            }),
        }
    }
    (files, errors)
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>, errors: &mut Vec<ReadError>) {
    let list_err = |error| ReadError::List {
        path: dir.to_path_buf(),
        error,
    };
    let entries = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) => return errors.push(list_err(e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => {
                let name = entry.file_name();
                if !name.as_encoded_bytes().starts_with(b".") {
                    names.push(name);
                }
            }
            Err(e) => errors.push(list_err(e)),
        }
    }
    names.sort_unstable_by(|a, b| a.as_encoded_bytes().cmp(b.as_encoded_bytes()));
    for name in names {
        let path = dir.join(&name);
        // symlink_metadata: a link is looked at, not through, to decide
        // whether to descend.
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => walk(&path, files, errors),
            Ok(meta) if meta.file_type().is_symlink() => {
                if fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    files.push(path);
                }
            }
            Ok(meta) if meta.is_file() => files.push(path),
            // Sockets, fifos and devices inside a folder are not logs.
            Ok(_) => {}
            Err(error) => errors.push(ReadError::Open { path, error }),
        }
    }
}

/// Compression suffixes, stripped first.
const COMPRESSED: &[&str] = &["gz", "zst", "zstd"];
/// Suffixes that say "a log" rather than name anything.
const LOGGISH: &[&str] = &[
    "log", "txt", "out", "json", "jsonl", "ndjson", "csv", "dmesg", "console", "serial",
];

/// The machine a log file belongs to, by its path: the first folder under
/// the nearest folder named `logs` (`logs/esx03/vmkernel.log` -> `esx03`);
/// else the file name without compression, rotation and log-ish suffixes
/// (`web01.log.gz` -> `web01`, `messages.1` -> `messages`,
/// `console-vm07.txt` -> `console-vm07`, `syslog-20261120` -> `syslog`).
pub fn machine_from_path(path: &Path) -> Option<String> {
    let parts: Vec<&OsStr> = path
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(n),
            _ => None,
        })
        .collect();
    // The last `logs` that has a folder (not just the file) after it.
    if parts.len() >= 3 {
        for i in (0..parts.len() - 2).rev() {
            if parts[i] == "logs" {
                return Some(parts[i + 1].to_string_lossy().into_owned());
            }
        }
    }
    let name = path.file_name()?.to_string_lossy();
    let stem = strip_suffixes(&name);
    let stem = if stem.is_empty() { &name[..] } else { stem };
    Some(stem.to_owned())
}

fn strip_suffixes(name: &str) -> &str {
    let mut s = name;
    // Compression and rotation come last in a name; strip them first, and
    // repeatedly, since logrotate makes names like `syslog.2.gz`.
    loop {
        let before = s.len();
        if let Some((head, ext)) = s.rsplit_once('.') {
            let numeric = !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_digit());
            if !head.is_empty() && (COMPRESSED.contains(&ext) || numeric) {
                s = head;
            }
        }
        // logrotate's `dateext`: `messages-20261120`.
        if let Some((head, date)) = s.rsplit_once('-')
            && date.len() == 8
            && date.bytes().all(|b| b.is_ascii_digit())
            && !head.is_empty()
        {
            s = head;
        }
        if s.len() == before {
            break;
        }
    }
    loop {
        match s.rsplit_once('.') {
            Some((head, ext))
                if !head.is_empty() && LOGGISH.iter().any(|l| ext.eq_ignore_ascii_case(l)) =>
            {
                s = head
            }
            _ => break,
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        let m = |p: &str| machine_from_path(Path::new(p));
        assert_eq!(m("case/logs/esx03/vmkernel.log").as_deref(), Some("esx03"));
        assert_eq!(
            m("/srv/case/logs/esx03/old/vmkernel.1.gz").as_deref(),
            Some("esx03")
        );
        assert_eq!(m("logs/web01.log.gz").as_deref(), Some("web01"));
        assert_eq!(m("messages.1").as_deref(), Some("messages"));
        assert_eq!(m("console-vm07.txt").as_deref(), Some("console-vm07"));
        assert_eq!(m("/var/log/syslog.2.gz").as_deref(), Some("syslog"));
        assert_eq!(m("kern.log.1").as_deref(), Some("kern"));
        assert_eq!(m("messages-20261120.zst").as_deref(), Some("messages"));
        assert_eq!(m("dmesg-ramoops-0").as_deref(), Some("dmesg-ramoops-0"));
        assert_eq!(
            m("db01.example.com.log").as_deref(),
            Some("db01.example.com")
        );
        assert_eq!(m(".log").as_deref(), Some(".log"));
        assert_eq!(m("/").as_deref(), None);
    }
}
