//! One large file, several cores: a plain file is cut at line starts into
//! as many parts as there are worker threads, the parts are scanned at
//! once, and their findings stitched back in order.
//!
//! A part runs past its end while a report is open, and the next part
//! drops what it found in those lines, so a report that straddles a cut
//! is found once, whole. Files whose reading needs the lines before (a
//! `dmesg -H` capture, whose stamps count on from the last full one; the
//! year counting of `--year`) are not split.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use faultline_detect::Detector;
use rayon::prelude::*;

use crate::ScanOptions;
use crate::file::{self, FileScan};

/// Files smaller than this are not worth splitting.
const SPLIT_MIN: u64 = 64 << 20;

/// Scans a plain file in parallel parts when that is worth it and safe;
/// `None` when the caller should scan it whole.
pub(crate) fn scan_split(
    det: &Detector,
    path: &Path,
    machine: Option<String>,
    opts: &ScanOptions,
    compressed: bool,
) -> Option<FileScan> {
    scan_split_from(
        det,
        path,
        machine,
        opts,
        compressed,
        SPLIT_MIN,
        rayon::current_num_threads(),
    )
}

fn scan_split_from(
    det: &Detector,
    path: &Path,
    machine: Option<String>,
    opts: &ScanOptions,
    compressed: bool,
    min_len: u64,
    threads: usize,
) -> Option<FileScan> {
    if compressed || threads < 2 || opts.year.is_some() {
        return None;
    }
    let meta = std::fs::metadata(path).ok()?;
    let len = meta.len();
    if !meta.is_file() || len < min_len {
        return None;
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| jiff::Timestamp::try_from(t).ok());
    let mut f = File::open(path).ok()?;
    let mut head = vec![0u8; 64 << 10];
    let n = read_full(&mut f, &mut head).ok()?;
    if looks_like_dmesg_human(&head[..n]) {
        return None;
    }
    let starts = cut_points(&mut f, len, threads).ok()?;
    let name = path.display().to_string();
    let parts: Vec<(FileScan, file::PartEnd)> = starts
        .par_iter()
        .enumerate()
        .map(|(k, &start)| {
            let limit = starts.get(k + 1).map(|&next| next - start);
            let run_part = || -> io::Result<(FileScan, file::PartEnd)> {
                let mut f = File::open(path)?;
                f.seek(SeekFrom::Start(start))?;
                let mut reader = io::BufReader::with_capacity(0, f);
                Ok(file::run(
                    det,
                    &mut reader,
                    name.clone(),
                    "none",
                    mtime,
                    machine.clone(),
                    opts,
                    limit,
                ))
            };
            run_part().unwrap_or_else(|e| {
                let failed = FileScan::failed(name.clone(), format!("{name}: read failed: {e}"));
                (
                    failed,
                    file::PartEnd {
                        lines_at_limit: 0,
                        overrun_lines: 0,
                    },
                )
            })
        })
        .collect();
    Some(stitch(parts, len))
}

fn read_full(f: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// `dmesg -H` delta stamps: `[  +0.000069]`.
fn looks_like_dmesg_human(head: &[u8]) -> bool {
    memchr::memmem::find(head, b"[  +").is_some() || memchr::memmem::find(head, b"[ +").is_some()
}

/// Offsets where the parts start: 0, then the first line start at or
/// after each equal share of the file.
fn cut_points(f: &mut File, len: u64, parts: usize) -> io::Result<Vec<u64>> {
    let mut starts = vec![0u64];
    let mut buf = vec![0u8; 1 << 16];
    for k in 1..parts as u64 {
        let mut at = len * k / parts as u64;
        f.seek(SeekFrom::Start(at))?;
        loop {
            let n = f.read(&mut buf)?;
            if n == 0 {
                at = len;
                break;
            }
            if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
                at += i as u64 + 1;
                break;
            }
            at += n as u64;
        }
        if at < len && at > *starts.last().expect("starts has 0") {
            starts.push(at);
        }
    }
    Ok(starts)
}

/// Puts the parts' findings in file order with file-wide line numbers.
fn stitch(parts: Vec<(FileScan, file::PartEnd)>, len: u64) -> FileScan {
    let mut out: Option<FileScan> = None;
    let mut offset = 0u64;
    let mut overrun = 0u64;
    let mut errors = Vec::new();
    for (scan, end) in parts {
        let keep = |line: u64| line > overrun;
        let reports = scan
            .reports
            .into_iter()
            .filter(|r| keep(r.line))
            .map(|mut r| {
                r.line += offset;
                r.end_line += offset;
                r
            });
        let events = scan
            .events
            .into_iter()
            .filter(|e| keep(e.line))
            .map(|mut e| {
                e.line += offset;
                e
            });
        if let Some(err) = scan.summary.error.clone() {
            errors.push(err);
        }
        match &mut out {
            None => {
                let mut first = FileScan {
                    reports: reports.collect(),
                    events: events.collect(),
                    summary: scan.summary,
                };
                first.summary.error = None;
                out = Some(first);
            }
            Some(o) => {
                o.reports.extend(reports);
                o.events.extend(events);
            }
        }
        offset += end.lines_at_limit;
        overrun = end.overrun_lines;
    }
    let mut out = out.expect("at least one part");
    out.summary.lines = offset + overrun;
    out.summary.bytes = len;
    out.summary.reports = out.reports.len();
    out.summary.events = out.events.len();
    if !errors.is_empty() {
        out.summary.error = Some(errors.join("; "));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Write};

    fn whole(bytes: &[u8]) -> FileScan {
        let src = faultline_read::from_reader("x", Cursor::new(bytes.to_vec()));
        crate::scan_source(Detector::shared(), src, None, &ScanOptions::default())
    }

    type Keys = (Vec<(u64, u64, String)>, Vec<(u64, String)>, u64);

    fn keys(f: &FileScan) -> Keys {
        (
            f.reports
                .iter()
                .map(|r| (r.line, r.end_line, r.report.title.clone()))
                .collect(),
            f.events
                .iter()
                .map(|e| (e.line, e.template.clone()))
                .collect(),
            f.summary.lines,
        )
    }

    /// Split scans find exactly what a whole scan finds, wherever the cuts
    /// fall: inside a report, right before one, between events.
    #[test]
    fn parts_stitch_to_the_whole() {
        let report = "[ 20.000000] BUG: soft lockup - CPU#0 stuck for 22s! [fio:2311]\n\
                      [ 20.000001] RIP: 0010:blk_queue_bio+0x101/0x3b0\n\
                      [ 20.000002] Call Trace:\n\
                      [ 20.000003]  generic_make_request+0xe6/0x1d0\n\
                      [ 20.000004]  submit_bio+0x65/0x150\n\
                      [ 20.000005]  do_blockdev_direct_IO+0x1a61/0x2390\n\
                      [ 20.000006]  vfs_read+0x86/0x130\n";
        let noise = "[ 10.000000] e1000e 0000:00:19.0 eth0: 10/100 speed: disabling TSO\n";
        let event = "[ 11.000000] blk_update_request: I/O error, dev sdb, sector 4242\n";
        for threads in [2, 3, 5] {
            for shift in [0usize, 7, 33, 70, 150, 300] {
                let mut text = String::new();
                let mut k = 0;
                while text.len() < 40_000 {
                    k += 1;
                    text.push_str(if k % 97 == 0 { event } else { noise });
                    if k % 13 == 0 {
                        text.push_str(report);
                    }
                }
                // Move the content so that cuts fall in different places.
                let text = format!("{}{}", noise.repeat(shift), text);
                let mut f = tempfile::NamedTempFile::new().unwrap();
                f.write_all(text.as_bytes()).unwrap();
                f.flush().unwrap();
                let opts = ScanOptions::default();
                let split =
                    scan_split_from(Detector::shared(), f.path(), None, &opts, false, 0, threads)
                        .expect("split scan runs");
                let expected = whole(text.as_bytes());
                assert!(!expected.reports.is_empty());
                assert_eq!(
                    keys(&split),
                    keys(&expected),
                    "threads {threads} shift {shift}"
                );
            }
        }
    }
}
