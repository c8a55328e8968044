//! The files or device a run works on: what is there, how much of it the
//! run uses, whether it must be laid out first, and whether writing it
//! would destroy something (the `--force` rule).

use std::fs::{File, OpenOptions};
use std::os::unix::fs::{FileTypeExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use crate::StressError;
use crate::options::{StressOptions, format_size};

/// Most blocks one file may have: the run keeps 4 bytes of state per block
/// (1 GiB at this limit).
pub const MAX_BLOCKS: u64 = 1 << 28;

/// What is at a target path before the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Nothing: the run creates a file.
    New,
    /// A regular file of `len` bytes.
    Regular { len: u64 },
    /// A block device of `len` bytes; `in_use` says who uses it, per
    /// /proc/mounts, /proc/swaps and /sys holders ("mounted on /data",
    /// "partition /dev/sdb1 mounted on /srv", "swap", "held by dm-0").
    BlockDevice { len: u64, in_use: Vec<String> },
}

/// One file or device of a run.
#[derive(Clone, Debug)]
pub struct FilePlan {
    pub path: PathBuf,
    pub kind: FileKind,
    /// Jobs that work on it (all of them with `--filename`).
    pub jobs: Vec<u32>,
    /// The run uses bytes `[0, region)`: `size` rounded down to the block
    /// size.
    pub region: u64,
    /// Whether the run writes the whole region with verifiable blocks
    /// before the workload: a new file, or one shorter than the region,
    /// when the pattern reads (as fio lays out files for reading jobs).
    pub layout: bool,
    /// Whether the file is shorter than the region and a write-only
    /// pattern extends it first (posix_fallocate, as fio's default
    /// `fallocate=native`; no data written).
    pub extend: bool,
    /// Whether the run writes to it at all (layout or workload).
    pub writes: bool,
}

/// All the targets of a run, checked.
#[derive(Clone, Debug)]
pub struct Plan {
    pub files: Vec<FilePlan>,
}

impl Plan {
    /// Index in `files` of job `job`'s file.
    pub fn file_of(&self, job: u32) -> usize {
        if self.files.len() == 1 {
            0
        } else {
            job as usize
        }
    }
}

/// Checks the options and the targets; refuses (without `force`) to write
/// to a block device or a non-empty file. Creates and writes nothing.
pub fn plan(opts: &StressOptions) -> Result<Plan, StressError> {
    opts.validate()?;
    let mut files = Vec::new();
    match &opts.filename {
        Some(path) => {
            let kind = inspect(path, "--filename")?;
            files.push(plan_one(
                opts,
                path.clone(),
                kind,
                (0..opts.numjobs).collect(),
                true,
            )?);
        }
        None => {
            let dir = &opts.directory;
            match std::fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(StressError::option(
                        "--directory",
                        format!("{} is not a directory", dir.display()),
                    ));
                }
                Err(e) => {
                    return Err(StressError::option(
                        "--directory",
                        format!("{}: {e}", dir.display()),
                    ));
                }
            }
            for job in 0..opts.numjobs {
                let path = dir.join(format!("{}.{job}.0", opts.name));
                let kind = inspect(&path, "--directory")?;
                files.push(plan_one(opts, path, kind, vec![job], false)?);
            }
        }
    }
    Ok(Plan { files })
}

fn plan_one(
    opts: &StressOptions,
    path: PathBuf,
    kind: FileKind,
    jobs: Vec<u32>,
    named: bool,
) -> Result<FilePlan, StressError> {
    let size = match (&kind, opts.size) {
        (FileKind::BlockDevice { len, .. }, Some(s)) if s > *len => {
            return Err(StressError::option(
                "--size",
                format!(
                    "{} is larger than {} ({})",
                    format_size(s),
                    path.display(),
                    format_size(*len)
                ),
            ));
        }
        (_, Some(s)) => s,
        (FileKind::BlockDevice { len, .. }, None) => *len,
        (FileKind::Regular { len }, None) if named && *len > 0 => *len,
        (FileKind::Regular { .. } | FileKind::New, None) => {
            return Err(StressError::option(
                "--size",
                if named {
                    format!("required: {} does not exist or is empty", path.display())
                } else {
                    "required (bytes per job) unless --filename names a block device or a non-empty file".into()
                },
            ));
        }
    };
    let region = size / opts.bs * opts.bs;
    if region == 0 {
        return Err(StressError::option(
            "--size",
            format!(
                "{} holds no whole block of --bs {}",
                format_size(size),
                format_size(opts.bs)
            ),
        ));
    }
    let blocks = region / opts.bs;
    if blocks > MAX_BLOCKS {
        return Err(StressError::option(
            "--size",
            format!(
                "{} is {blocks} blocks of {}; at most {MAX_BLOCKS} can be tracked: use a larger --bs or a smaller --size",
                format_size(region),
                format_size(opts.bs)
            ),
        ));
    }
    let short = match &kind {
        FileKind::New => true,
        FileKind::Regular { len } => *len < region,
        FileKind::BlockDevice { .. } => false,
    };
    let layout = short && opts.rw.reads();
    let extend = short && !opts.rw.reads();
    let writes = layout || opts.rw.writes();
    if writes && !opts.force {
        let why = if opts.rw.writes() {
            String::new()
        } else {
            format!(
                " (--rw={} lays out the file first: it is shorter than --size {})",
                opts.rw,
                format_size(region)
            )
        };
        match &kind {
            FileKind::Regular { len } if *len > 0 => {
                return Err(StressError::WouldDestroy {
                    path,
                    what: format!(
                        "it is an existing file of {} ({len} bytes){why}",
                        format_size(*len)
                    ),
                });
            }
            FileKind::BlockDevice { len, in_use } => {
                let usage = if in_use.is_empty() {
                    "not mounted per /proc/mounts".to_string()
                } else {
                    format!("{} per /proc/mounts", in_use.join(", "))
                };
                return Err(StressError::WouldDestroy {
                    path,
                    what: format!(
                        "it is a block device of {} ({len} bytes), {usage}",
                        format_size(*len)
                    ),
                });
            }
            _ => {}
        }
    }
    Ok(FilePlan {
        path,
        kind,
        jobs,
        region,
        layout,
        extend,
        writes,
    })
}

fn inspect(path: &Path, option: &'static str) -> Result<FileKind, StressError> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(StressError::option(
                    option,
                    format!(
                        "{}: the directory {} does not exist",
                        path.display(),
                        parent.display()
                    ),
                ));
            }
            return Ok(FileKind::New);
        }
        Err(e) => {
            return Err(StressError::option(
                option,
                format!("{}: {e}", path.display()),
            ));
        }
    };
    let ft = meta.file_type();
    if ft.is_file() {
        return Ok(FileKind::Regular { len: meta.len() });
    }
    if ft.is_block_device() {
        let len = device_size(path)?;
        return Ok(FileKind::BlockDevice {
            len,
            in_use: device_users(meta.rdev()),
        });
    }
    let what = if ft.is_dir() {
        "a directory"
    } else if ft.is_char_device() {
        "a character device"
    } else {
        "not a regular file or a block device"
    };
    Err(StressError::option(
        option,
        format!("{} is {what}", path.display()),
    ))
}

/// `_IOR(0x12, 114, size_t)`, the same on x86, arm and riscv (the `libc`
/// crate does not define it).
#[cfg(any(
    target_arch = "x86_64",
    target_arch = "x86",
    target_arch = "aarch64",
    target_arch = "arm",
    target_arch = "riscv64"
))]
const BLKGETSIZE64: libc::Ioctl = 0x8008_1272u32 as libc::Ioctl;

fn device_size(path: &Path) -> Result<u64, StressError> {
    let file = File::open(path).map_err(|source| StressError::Io {
        path: path.into(),
        action: "open",
        source,
    })?;
    #[cfg(any(
        target_arch = "x86_64",
        target_arch = "x86",
        target_arch = "aarch64",
        target_arch = "arm",
        target_arch = "riscv64"
    ))]
    {
        use std::os::fd::AsRawFd;
        let mut len: u64 = 0;
        // SAFETY: BLKGETSIZE64 writes one u64 to the pointer.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), BLKGETSIZE64, &mut len as *mut u64) };
        if rc == 0 {
            return Ok(len);
        }
    }
    use std::io::Seek;
    let mut file = file;
    file.seek(std::io::SeekFrom::End(0))
        .map_err(|source| StressError::Io {
            path: path.into(),
            action: "size of the block device",
            source,
        })
}

fn major_minor(dev: u64) -> (u64, u64) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major, minor)
}

fn sys_dir(dev: u64) -> Option<PathBuf> {
    let (ma, mi) = major_minor(dev);
    std::fs::canonicalize(format!("/sys/dev/block/{ma}:{mi}")).ok()
}

/// `\040` and friends in /proc/mounts fields.
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = u32::from(b[i + 1] - b'0') * 64
                + u32::from(b[i + 2] - b'0') * 8
                + u32::from(b[i + 3] - b'0');
            // The kernel escapes only bytes (space, tab, newline, '\\'); a
            // `\777` is not an escape and stays as written.
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// How this device relates to `source`: the same device, or a partition of
/// it.
fn relation(dev: u64, dev_sys: Option<&Path>, source: &str) -> Option<String> {
    let meta = std::fs::metadata(source).ok()?;
    if !meta.file_type().is_block_device() {
        return None;
    }
    if meta.rdev() == dev {
        return Some(String::new());
    }
    let src_sys = sys_dir(meta.rdev())?;
    if dev_sys.is_some_and(|d| src_sys.parent() == Some(d)) {
        return Some(format!("partition {source} "));
    }
    None
}

/// Who uses block device `dev`: mounts (of it or its partitions), swap,
/// and holders (device-mapper, md).
pub fn device_users(dev: u64) -> Vec<String> {
    let mut users = Vec::new();
    let dev_sys = sys_dir(dev);
    if let Ok(mounts) = std::fs::read_to_string("/proc/mounts") {
        for line in mounts.lines() {
            let mut f = line.split_whitespace();
            let (Some(src), Some(mp)) = (f.next(), f.next()) else {
                continue;
            };
            let src = unescape(src);
            if !src.starts_with('/') {
                continue;
            }
            if let Some(rel) = relation(dev, dev_sys.as_deref(), &src) {
                users.push(format!("{rel}mounted on {}", unescape(mp)));
            }
        }
    }
    if let Ok(swaps) = std::fs::read_to_string("/proc/swaps") {
        for line in swaps.lines().skip(1) {
            if let Some(src) = line.split_whitespace().next() {
                let src = unescape(src);
                if let Some(rel) = relation(dev, dev_sys.as_deref(), &src) {
                    users.push(format!("{rel}used as swap"));
                }
            }
        }
    }
    if let Some(d) = &dev_sys
        && let Ok(rd) = std::fs::read_dir(d.join("holders"))
    {
        for e in rd.flatten() {
            users.push(format!("held by {}", e.file_name().to_string_lossy()));
        }
    }
    users
}

/// Opens a target for the workload: read-only unless the run writes it,
/// O_DIRECT with `--direct=1`.
pub(crate) fn open(fp: &FilePlan, opts: &StressOptions) -> Result<File, StressError> {
    let mut oo = OpenOptions::new();
    oo.read(true);
    if opts.rw.writes() {
        oo.write(true).create(true);
    }
    if opts.direct {
        oo.custom_flags(libc::O_DIRECT);
    }
    oo.open(&fp.path).map_err(|source| {
        if opts.direct && source.raw_os_error() == Some(libc::EINVAL) {
            StressError::DirectUnsupported {
                path: fp.path.clone(),
            }
        } else {
            StressError::Io {
                path: fp.path.clone(),
                action: "open",
                source,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::unescape;

    #[test]
    fn mount_fields_unescape() {
        assert_eq!(unescape(r"/mnt/my\040vms"), "/mnt/my vms");
        assert_eq!(unescape(r"/a\134b"), r"/a\b");
        // Not escapes: too short, not octal, or above a byte.
        assert_eq!(unescape(r"/a\04"), r"/a\04");
        assert_eq!(unescape(r"/a\089"), r"/a\089");
        assert_eq!(unescape(r"/a\777"), r"/a\777");
        assert_eq!(unescape(r"\"), r"\");
    }
}
