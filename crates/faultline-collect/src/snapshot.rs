//! The snapshot: the JSON contract between `faultline collect` and
//! `faultline audit`, and loading it back from a file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The snapshot format this version writes and the newest it reads.
pub const SCHEMA: u32 = 1;

/// One machine's crash-relevant settings at one moment.
///
/// Every field has a default, so a hand-written snapshot that gives only
/// some parts loads; what is absent is simply not known.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Snapshot {
    /// Format version ([`SCHEMA`]); a missing field reads as 1.
    #[serde(default = "schema_one")]
    pub schema: u32,
    pub machine: String,
    /// When it was collected, RFC 3339 in UTC (`2026-11-20T22:14:03Z`).
    pub collected_at: String,
    /// `linux` or `esx`.
    pub source: String,
    /// `host`, `guest`, `bare` or `unknown`.
    pub role: String,
    /// `xen`, `kvm`, `vmware`, `hyperv`, `virtualbox` or another name: the
    /// hypervisor this machine runs (host) or runs under (guest).
    pub hypervisor: Option<String>,
    /// Whether `/dev/kvm` exists.
    pub kvm_device: Option<bool>,
    pub kernel: Option<Kernel>,
    pub xen: Option<Xen>,
    pub memory: Option<Memory>,
    pub swaps: Vec<Swap>,
    /// Dotted names (`vm.overcommit_memory`) to values, whitespace runs
    /// collapsed to one space (`kernel.printk` = `4 4 1 7`).
    pub sysctl: BTreeMap<String, String>,
    pub cpu: Option<Cpu>,
    pub clocksource: Option<Clocksource>,
    /// Console devices of `/proc/consoles` (`ttyS0`, `tty0`).
    pub consoles: Vec<String>,
    pub block: Vec<BlockDevice>,
    pub nfs_mounts: Vec<NfsMount>,
    pub kdump: Option<Kdump>,
    pub images: Vec<DiskImage>,
    pub lvm: Vec<LogicalVolume>,
    pub esx: Option<Esx>,
    /// What could not be read and why; the rest of the snapshot stands.
    pub unreadable: Vec<Unreadable>,
}

fn schema_one() -> u32 {
    SCHEMA
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Kernel {
    /// `uname -r`.
    pub release: String,
    /// `uname -v`.
    pub version: String,
    /// The whole kernel command line.
    pub cmdline: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Xen {
    /// `4.14.5`.
    pub version: Option<String>,
    /// The hypervisor's command line (`xl info` `xen_commandline`).
    pub cmdline: Option<String>,
    pub total_memory_mb: Option<u64>,
    pub free_memory_mb: Option<u64>,
}

/// From `/proc/meminfo`, in KiB.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Memory {
    pub total_kb: Option<u64>,
    pub available_kb: Option<u64>,
    pub swap_total_kb: Option<u64>,
    pub swap_free_kb: Option<u64>,
    pub commit_limit_kb: Option<u64>,
    pub committed_as_kb: Option<u64>,
}

/// One line of `/proc/swaps`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Swap {
    pub name: String,
    /// `partition` or `file`.
    pub kind: String,
    pub size_kb: u64,
    pub used_kb: u64,
    pub priority: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Cpu {
    /// Logical processors.
    pub count: u32,
    pub model: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Clocksource {
    pub current: String,
    pub available: Vec<String>,
}

/// One disk of `/sys/block`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BlockDevice {
    /// `sda`, `vda`, `nvme0n1`, `dm-0`.
    pub name: String,
    /// The I/O scheduler in use (the bracketed word of `queue/scheduler`).
    pub scheduler: Option<String>,
    /// Every scheduler the device offers.
    pub schedulers: Vec<String>,
    pub rotational: Option<bool>,
    pub queue_depth: Option<u32>,
    pub nr_requests: Option<u32>,
    pub size_bytes: Option<u64>,
    pub model: Option<String>,
}

/// One NFS mount of `/proc/mounts`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NfsMount {
    /// `server:/export`.
    pub device: String,
    pub server: String,
    pub export: String,
    pub mountpoint: String,
    /// `nfs` or `nfs4`.
    pub fstype: String,
    /// Mount options; a flag (`hard`) maps to "".
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Kdump {
    /// `crashkernel=` of the kernel command line.
    pub crashkernel: Option<String>,
    /// Memory reserved for the crash kernel (`/sys/kernel/kexec_crash_size`).
    pub reserved_bytes: Option<u64>,
    /// Whether a crash kernel is loaded (`/sys/kernel/kexec_crash_loaded`).
    pub loaded: Option<bool>,
}

/// A VM disk image file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DiskImage {
    pub path: String,
    /// `qcow2`, `qcow`, `raw`, `vmdk`, `vdi`, `vhd`, `vhdx`, `qed`, or
    /// `unknown` when the file could not be read.
    pub format: String,
    pub virtual_size: Option<u64>,
    /// Bytes the file occupies on disk.
    pub actual_size: Option<u64>,
    pub backing_file: Option<String>,
}

/// One LVM logical volume (`lvs`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LogicalVolume {
    pub vg: String,
    pub lv: String,
    pub size_bytes: Option<u64>,
    pub attr: Option<String>,
}

/// What an ESX host's saved command outputs say.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Esx {
    /// `6.7.0`.
    pub version: Option<String>,
    /// The build number alone (`8169922`).
    pub build: Option<String>,
    /// Advanced settings by dotted path: `NFS.HeartbeatFrequency` → `12`.
    pub advanced: BTreeMap<String, String>,
}

/// Something that could not be read, and why.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Unreadable {
    /// A file (`/proc/sys/kernel/tainted`) or a command (`xl info`).
    pub what: String,
    /// `permission denied`, `command not found`, `exit status 1: need root`.
    pub why: String,
}

/// Why a snapshot could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{}: cannot read: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}:{line}:{column}: not a faultline snapshot: {message}", path.display())]
    Json {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
    #[error(
        "{}: snapshot schema {found} is newer than this faultline reads (up to {SCHEMA}); use a newer faultline",
        path.display()
    )]
    Schema { path: PathBuf, found: u32 },
    #[error(
        "{}: no ESX command output recognised (expected `esxcli system settings advanced list`, `esxcfg-advcfg -g PATH`, `Group.Option = value` lines, `vmware -v`, `esxcli system version get` or `esxcli system hostname get`)",
        path.display()
    )]
    NothingRecognised { path: PathBuf },
    #[error("no ESX output files given")]
    NoFiles,
}

/// Reads a snapshot written by `faultline collect` (or by hand).
pub fn load(path: &Path) -> Result<Snapshot, SnapshotError> {
    let bytes = std::fs::read(path).map_err(|source| SnapshotError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let snapshot: Snapshot = serde_json::from_slice(&bytes).map_err(|e| SnapshotError::Json {
        path: path.to_path_buf(),
        line: e.line(),
        column: e.column(),
        message: strip_position(&e.to_string()),
    })?;
    if snapshot.schema > SCHEMA {
        return Err(SnapshotError::Schema {
            path: path.to_path_buf(),
            found: snapshot.schema,
        });
    }
    Ok(snapshot)
}

/// serde_json ends its messages with " at line L column C"; the error
/// already says where.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}
