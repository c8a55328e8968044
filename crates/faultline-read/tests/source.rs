//! Opening files, decompression, folder walks and machine names.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use faultline_read::{Compression, ReadError, expand, machine_from_path, open};

fn sample() -> Vec<u8> {
    (0..50_000u32)
        .flat_map(|i| {
            format!("[{:5}.{:06}] line {i} of the console\n", i / 100, i % 1000).into_bytes()
        })
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn zstd(data: &[u8]) -> Vec<u8> {
    zstd::encode_all(data, 3).unwrap()
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&p, bytes).unwrap();
    p
}

/// Reads until EOF or error, in small pieces, keeping what came before an
/// error.
fn drain(r: &mut impl Read) -> (Vec<u8>, Option<io::Error>) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match r.read(&mut buf) {
            Ok(0) => return (got, None),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => return (got, Some(e)),
        }
    }
}

#[test]
fn plain_file_and_metadata() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "messages",
        b"Nov 20 22:14:03 web01 kernel: hi\n",
    );
    let mut s = open(&p).unwrap();
    assert_eq!(s.compression, Compression::None);
    assert_eq!(s.name, p.display().to_string());
    let mtime = s.mtime.expect("files have an mtime");
    let now = jiff::Timestamp::now();
    assert!(mtime <= now && now.duration_since(mtime).as_secs() < 3600);
    let (got, err) = drain(&mut s);
    assert!(err.is_none());
    assert_eq!(got, b"Nov 20 22:14:03 web01 kernel: hi\n");
}

#[test]
fn short_and_empty_files() {
    let dir = tempfile::tempdir().unwrap();
    for content in [&b""[..], b"a", b"ab\n", b"\x1f", b"\x28\xb5\x2f"] {
        let p = write(dir.path(), "f", content);
        let mut s = open(&p).unwrap();
        assert_eq!(s.compression, Compression::None, "{content:?}");
        let (got, err) = drain(&mut s);
        assert!(err.is_none());
        assert_eq!(got, content);
    }
}

#[test]
fn gzip_is_sniffed_not_named() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let p = write(dir.path(), "console.txt", &gzip(&data));
    let mut s = open(&p).unwrap();
    assert_eq!(s.compression, Compression::Gzip);
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, data);
    // And a plain file named .gz is read as it is.
    let p = write(dir.path(), "plain.gz", b"not compressed\n");
    let mut s = open(&p).unwrap();
    assert_eq!(s.compression, Compression::None);
    let mut got = String::new();
    s.read_to_string(&mut got).unwrap();
    assert_eq!(got, "not compressed\n");
}

#[test]
fn gzip_two_members() {
    let dir = tempfile::tempdir().unwrap();
    let mut both = gzip(b"first member\n");
    both.extend(gzip(b"second member\n"));
    let p = write(dir.path(), "syslog.2.gz", &both);
    let mut got = String::new();
    open(&p).unwrap().read_to_string(&mut got).unwrap();
    assert_eq!(got, "first member\nsecond member\n");
}

#[test]
fn zstd_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let p = write(dir.path(), "vmkernel.log.zst", &zstd(&data));
    let mut s = open(&p).unwrap();
    assert_eq!(s.compression, Compression::Zstd);
    let mut got = Vec::new();
    s.read_to_end(&mut got).unwrap();
    assert_eq!(got, data);
}

#[test]
fn truncated_gzip_errors_after_the_complete_part() {
    let dir = tempfile::tempdir().unwrap();
    let first = b"first member is complete\n".repeat(1000);
    let mut bytes = gzip(&first);
    let second = gzip(&sample());
    bytes.extend_from_slice(&second[..second.len() / 2]);
    let p = write(dir.path(), "cut.gz", &bytes);
    let (got, err) = drain(&mut open(&p).unwrap());
    let err = err.expect("a cut stream is an error, not EOF");
    assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    assert!(err.to_string().contains("gzip"), "{err}");
    assert!(
        got.len() > first.len(),
        "the first member and part of the second were returned"
    );
    assert_eq!(&got[..first.len()], &first[..]);
    assert!(sample().starts_with(&got[first.len()..]));
}

#[test]
fn truncated_zstd_errors_after_the_complete_part() {
    let dir = tempfile::tempdir().unwrap();
    let data = sample();
    let whole = zstd(&data);
    for cut in [whole.len() / 2, whole.len() - 1] {
        let p = write(dir.path(), "cut.zst", &whole[..cut]);
        let (got, err) = drain(&mut open(&p).unwrap());
        let err = err.expect("a cut stream is an error, not EOF");
        assert!(err.to_string().contains("zstd"), "{err}");
        assert!(
            !got.is_empty() && data.starts_with(&got),
            "a prefix was returned first"
        );
    }
    // A complete first frame followed by a cut one gives the first whole.
    let mut two = zstd(b"complete frame\n");
    let second = zstd(&data);
    two.extend_from_slice(&second[..second.len() / 2]);
    let p = write(dir.path(), "two.zst", &two);
    let (got, err) = drain(&mut open(&p).unwrap());
    assert!(err.is_some());
    assert!(got.starts_with(b"complete frame\n"));
}

#[test]
fn garbage_after_magic_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "bad",
        b"\x1f\x8bthis is not deflate at all, just text\n",
    );
    let mut s = open(&p).unwrap();
    assert_eq!(s.compression, Compression::Gzip);
    let (_, err) = drain(&mut s);
    assert!(err.is_some());
}

#[test]
fn open_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope.log");
    let e = open(&missing).unwrap_err();
    assert!(matches!(e, ReadError::NotFound { .. }));
    assert_eq!(e.path(), missing);
    assert_eq!(
        e.to_string(),
        format!("{}: no such file or folder", missing.display())
    );
    let e = open(dir.path()).unwrap_err();
    assert!(matches!(e, ReadError::Open { .. }));
    assert_eq!(
        e.to_string(),
        format!("{}: cannot open: is a folder", dir.path().display())
    );
    let e = ReadError::read("x.gz", io::Error::new(io::ErrorKind::UnexpectedEof, "cut"));
    assert_eq!(e.to_string(), "x.gz: read failed: cut");
}

#[test]
fn expand_walks_folders_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for name in [
        "case/logs/esx03/vmkernel.log",
        "case/logs/esx03/vmkernel.1.gz",
        "case/logs/b/nested/deeper/console.txt",
        "case/logs/a.log",
        "case/logs/.hidden.log",
        "case/.faultline/cache.db",
        "case/logs/.git/HEAD",
        "case/logs/esx03/.swp",
        "loose.log",
        ".dotfile",
    ] {
        write(d, name, b"x\n");
    }
    let (files, errors) = expand(&[
        d.join("case"),
        d.join("loose.log"),
        d.join(".dotfile"),
        d.join("missing"),
    ]);
    let rel: Vec<String> = files
        .iter()
        .map(|p| p.strip_prefix(d).unwrap().display().to_string())
        .collect();
    assert_eq!(
        rel,
        [
            "case/logs/a.log",
            "case/logs/b/nested/deeper/console.txt",
            "case/logs/esx03/vmkernel.1.gz",
            "case/logs/esx03/vmkernel.log",
            "loose.log",
            ".dotfile",
        ]
    );
    assert_eq!(errors.len(), 1);
    assert!(matches!(&errors[0], ReadError::NotFound { path } if path == &d.join("missing")));
    // The same input gives the same order again.
    assert_eq!(expand(&[d.join("case")]).0, files[..4]);
}

#[cfg(unix)]
#[test]
fn expand_does_not_follow_link_loops() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "top/a.log", b"x\n");
    std::os::unix::fs::symlink(d.join("top"), d.join("top/loop")).unwrap();
    std::os::unix::fs::symlink(d.join("top/a.log"), d.join("top/b.log")).unwrap();
    let (files, errors) = expand(&[d.join("top")]);
    assert!(errors.is_empty());
    assert_eq!(files, [d.join("top/a.log"), d.join("top/b.log")]);
}

#[test]
fn expand_passes_stdin_through() {
    let (files, errors) = expand(&[PathBuf::from("-")]);
    assert_eq!(files, [PathBuf::from("-")]);
    assert!(errors.is_empty());
}

#[test]
fn machine_names() {
    let m = |p: &str| machine_from_path(Path::new(p));
    assert_eq!(m("logs/esx03/vmkernel.log").as_deref(), Some("esx03"));
    assert_eq!(
        m("/cases/incident-7/logs/esx03/2026/vmkernel.0.gz").as_deref(),
        Some("esx03")
    );
    assert_eq!(m("web01.log.gz").as_deref(), Some("web01"));
    assert_eq!(m("messages.1").as_deref(), Some("messages"));
    assert_eq!(m("console-vm07.txt").as_deref(), Some("console-vm07"));
    assert_eq!(m("case/logs/vm12.console.zst").as_deref(), Some("vm12"));
}
