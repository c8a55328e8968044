//! The options of a run, in fio's vocabulary, and the parsers of fio's size,
//! time and boolean syntax.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use crate::StressError;

/// The I/O pattern (fio's `rw=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Rw {
    /// Sequential reads.
    Read,
    /// Sequential writes.
    Write,
    /// Random reads.
    RandRead,
    /// Random writes.
    RandWrite,
    /// Random mixed reads and writes (`rwmixread` percent reads).
    RandRw,
    /// Sequential mixed reads and writes (fio's `readwrite`, alias `rw`).
    ReadWrite,
}

impl Rw {
    /// fio's name of the pattern (`readwrite` for the sequential mix).
    pub fn as_str(self) -> &'static str {
        match self {
            Rw::Read => "read",
            Rw::Write => "write",
            Rw::RandRead => "randread",
            Rw::RandWrite => "randwrite",
            Rw::RandRw => "randrw",
            Rw::ReadWrite => "readwrite",
        }
    }

    /// Whether offsets are drawn at random (each pass a new permutation of
    /// the blocks, so a pass touches every block once, like fio's random
    /// map).
    pub fn is_random(self) -> bool {
        matches!(self, Rw::RandRead | Rw::RandWrite | Rw::RandRw)
    }

    /// Whether the pattern issues reads.
    pub fn reads(self) -> bool {
        !matches!(self, Rw::Write | Rw::RandWrite)
    }

    /// Whether the pattern issues writes.
    pub fn writes(self) -> bool {
        !matches!(self, Rw::Read | Rw::RandRead)
    }

    /// Percent of I/Os that are reads, given `rwmixread`.
    pub fn read_percent(self, rwmixread: u8) -> u8 {
        match self {
            Rw::Read | Rw::RandRead => 100,
            Rw::Write | Rw::RandWrite => 0,
            Rw::RandRw | Rw::ReadWrite => rwmixread.min(100),
        }
    }
}

impl fmt::Display for Rw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Rw {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "read" => Rw::Read,
            "write" => Rw::Write,
            "randread" => Rw::RandRead,
            "randwrite" => Rw::RandWrite,
            "randrw" => Rw::RandRw,
            "readwrite" | "rw" => Rw::ReadWrite,
            "trim" | "randtrim" | "trimwrite" | "randtrimwrite" => {
                return Err(format!("{s:?} is not supported (no trims)"));
            }
            _ => {
                return Err(format!(
                    "{s:?} is not one of read, write, randread, randwrite, randrw, readwrite (rw)"
                ));
            }
        })
    }
}

/// Everything a run needs. `Default` is fio's defaults where fio has one.
#[derive(Clone, Debug)]
pub struct StressOptions {
    /// Job name (fio's `name`); the files are `<directory>/<name>.<N>.0`
    /// when `filename` is not given.
    pub name: String,
    pub rw: Rw,
    /// Percent of reads in mixed patterns (default 50).
    pub rwmixread: u8,
    /// Block size in bytes (default 4096).
    pub bs: u64,
    /// Bytes per job. `None`: the size of the existing target (a block
    /// device, or a non-empty file given with `filename`).
    pub size: Option<u64>,
    pub numjobs: u32,
    /// Threads per job, each with one synchronous I/O outstanding.
    pub iodepth: u32,
    /// O_DIRECT, with buffers aligned to 4096 and `bs` a multiple of 512.
    pub direct: bool,
    /// Stop after this long (with `time_based`, run this long).
    pub runtime: Option<Duration>,
    /// Repeat passes over the region until `runtime` instead of stopping
    /// after `size` bytes.
    pub time_based: bool,
    /// One file or block device that all jobs share over `[0, size)`.
    pub filename: Option<PathBuf>,
    /// Where the per-job files go when `filename` is not given.
    pub directory: PathBuf,
    /// Anonymous memory to allocate and touch (one write per 4 KiB page
    /// every second) during the run, for memory pressure.
    pub mem: u64,
    /// Seed of offsets, the read/write mix and block contents (`None`: from
    /// the clock; the report gives the one used).
    pub seed: Option<u64>,
    /// Write to a block device or a non-empty file.
    pub force: bool,
    /// Drop the region from the page cache before the workload (fio's
    /// `invalidate`, default on).
    pub invalidate: bool,
}

impl Default for StressOptions {
    fn default() -> Self {
        StressOptions {
            name: "faultline-stress".into(),
            rw: Rw::Read,
            rwmixread: 50,
            bs: 4096,
            size: None,
            numjobs: 1,
            iodepth: 1,
            direct: false,
            runtime: None,
            time_based: false,
            filename: None,
            directory: PathBuf::from("."),
            mem: 0,
            seed: None,
            force: false,
            invalidate: true,
        }
    }
}

/// Largest block size accepted (64 MiB).
pub const MAX_BS: u64 = 64 << 20;
/// Most threads (numjobs × iodepth) a run may start.
pub const MAX_THREADS: u64 = 4096;

impl StressOptions {
    /// Checks the options against each other; the error names the option.
    pub fn validate(&self) -> Result<(), StressError> {
        if self.bs < crate::block::HEADER_LEN as u64 {
            return Err(StressError::option(
                "--bs",
                format!(
                    "{} is smaller than the {}-byte block header; use at least 512",
                    self.bs,
                    crate::block::HEADER_LEN
                ),
            ));
        }
        if self.bs > MAX_BS {
            return Err(StressError::option(
                "--bs",
                format!("{} is larger than 64 MiB", format_size(self.bs)),
            ));
        }
        if self.direct && !self.bs.is_multiple_of(512) {
            return Err(StressError::option(
                "--bs",
                format!(
                    "{} is not a multiple of 512, which --direct=1 needs",
                    self.bs
                ),
            ));
        }
        if self.rwmixread > 100 {
            return Err(StressError::option(
                "--rwmixread",
                format!("{} is not a percentage (0-100)", self.rwmixread),
            ));
        }
        if self.numjobs == 0 {
            return Err(StressError::option("--numjobs", "must be at least 1"));
        }
        if self.iodepth == 0 {
            return Err(StressError::option("--iodepth", "must be at least 1"));
        }
        if u64::from(self.numjobs) * u64::from(self.iodepth) > MAX_THREADS {
            return Err(StressError::option(
                "--iodepth",
                format!(
                    "numjobs × iodepth = {} threads; at most {MAX_THREADS}",
                    u64::from(self.numjobs) * u64::from(self.iodepth)
                ),
            ));
        }
        if let Some(size) = self.size
            && size < self.bs
        {
            return Err(StressError::option(
                "--size",
                format!(
                    "{} is smaller than one block (--bs {})",
                    format_size(size),
                    format_size(self.bs)
                ),
            ));
        }
        if self.runtime == Some(Duration::ZERO) {
            return Err(StressError::option("--runtime", "must be more than 0"));
        }
        if self.time_based && self.runtime.is_none() {
            return Err(StressError::option(
                "--time_based",
                "needs --runtime (how long to run)",
            ));
        }
        if self.name.is_empty() || self.name.contains('/') {
            return Err(StressError::option(
                "--name",
                format!("{:?} cannot name a file", self.name),
            ));
        }
        Ok(())
    }
}

/// Parses fio's size syntax: a number (decimal, or hex with `0x`) and an
/// optional unit `k`, `m`, `g`, `t`, `p` (any case), optionally followed by
/// `b`, `ib` or `iB`: `4096`, `4k`, `64KiB`, `1m`, `1G`, `1.5g`. Every unit
/// is a power of two (fio's default `kb_base=1024` makes `k` and `kB` 1024
/// too, but `KiB` 1000: here `KiB` is 1024, as everyone means it). A
/// trailing `b` alone means bytes.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    if t.is_empty() {
        return Err("empty size".into());
    }
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).map_err(|_| format!("{s:?} is not a size"));
    }
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(format!("{s:?} is not a size (like 4k, 64KiB, 1m, 10g)"));
    }
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        "t" | "tb" | "tib" => 40,
        "p" | "pb" | "pib" => 50,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use k, m, g, t, p; powers of 1024)"
            ));
        }
    };
    let too_big = || format!("{s:?} is too large");
    if num.contains('.') {
        let v: f64 = num
            .parse()
            .map_err(|_| format!("{s:?} is not a size (like 4k, 64KiB, 1m, 10g)"))?;
        let bytes = v * (1u64 << shift) as f64;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(too_big());
        }
        return Ok(bytes.round() as u64);
    }
    let v: u64 = num.parse().map_err(|_| too_big())?;
    v.checked_mul(1u64 << shift).ok_or_else(too_big)
}

/// Parses fio's time syntax: a number with an optional unit `us`, `ms`,
/// `s`, `m`, `h`, `d` (no unit: seconds, as fio's `runtime`): `30`, `30s`,
/// `5m`, `8h`, `1.5h`, `500ms`.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    if num.is_empty() {
        return Err(format!("{s:?} is not a time (like 30, 30s, 5m, 8h)"));
    }
    let v: f64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a time (like 30, 30s, 5m, 8h)"))?;
    let secs_per = match unit.trim().to_ascii_lowercase().as_str() {
        "us" | "usec" => 1e-6,
        "ms" | "msec" => 1e-3,
        "" | "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" | "hour" => 3600.0,
        "d" | "day" => 86400.0,
        _ => {
            return Err(format!(
                "{s:?}: unknown unit {unit:?} (use us, ms, s, m, h, d)"
            ));
        }
    };
    let secs = v * secs_per;
    // About 30 years: anything longer is a typo.
    if !secs.is_finite() || secs > 1e9 {
        return Err(format!("{s:?} is too long"));
    }
    Ok(Duration::from_secs_f64(secs))
}

/// Parses fio's booleans: `0`/`1`, also `true`/`false`, `yes`/`no`,
/// `on`/`off`.
pub fn parse_bool(s: &str) -> Result<bool, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("{s:?} is not 0 or 1")),
    }
}

/// A byte count for people: `4096` → `4 KiB`, `1073741824` → `1 GiB`,
/// `1536` → `1.5 KiB`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut v = bytes as f64;
    let mut u = 0;
    while v >= 1024.0 && u + 1 < UNITS.len() {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{bytes} B")
    } else if (v - v.round()).abs() < 0.005 {
        format!("{} {}", v.round(), UNITS[u])
    } else {
        format!("{v:.2} {}", UNITS[u])
    }
}
