//! Scale benchmark of `faultline_analyze::analyze` (issue 3, "Proof").
//!
//! ```text
//! cargo run --release -p faultline-analyze --example scale -- \
//!     --machines 100000 --crashes 1000000 --events 10000000 [--seed N] [--draws N] [--no-json] [--out FILE]
//! ```
//!
//! Generates, in memory and deterministically from the seed, a fleet and
//! its history, then times one call of `analyze` with default options:
//!
//! - **Fleet**: 2% hosts in clusters of 16-32 hosts (one model and ESX
//!   version per cluster, two or three datastores per cluster: NFS, Fibre
//!   Channel, iSCSI, vSAN); the rest guests spread over the clusters (os of
//!   20, kernel of 60 (three per os), vcpus 1/2/4/8, memory_mb, datastore,
//!   role, created, cluster). About 200 datastores at full size.
//! - **Placements**: one row per stretch a guest spent on a host; most
//!   guests stay put, 4% move once or twice within their cluster, and now
//!   and then a host is evacuated for maintenance (its guests return
//!   afterwards, some stay away). The inventory's host is where a guest is
//!   at the end of the window.
//! - **Scheduled events**: a nightly backup per datastore (200 x 90 days =
//!   18k rows at full size), a weekly patch window per cluster, the
//!   maintenance windows and one migration per move.
//! - **Crash reports**: 300 titles with a Zipf(1) distribution; background
//!   crashes fall on a heavy-tailed 40% of guests (and a few on hosts), at
//!   any time with a mild afternoon bias. Five titles are planted so the
//!   analysis has something to find (see [`PLANTS`]): one on an NFS
//!   datastore shortly after its backup, one on guests while on one host
//!   with machine-check events on the host before, one on a kernel with two
//!   vCPUs, one on a cluster, and one preceded by NFS trouble on the guest.
//!   About 3% of names are fully qualified or upper case, 2% name machines
//!   missing from the inventory, 0.5% have no time. Report texts are one
//!   line (the analysis does not read them).
//! - **Notable events**: 500 templates over 33 real event rules (device,
//!   server and process names make the templates), Zipf(1); 30% come in
//!   bursts on one machine; host rules on hosts, the rest on guests.
//!
//! Prints the time of generation and of analysis, what the analysis
//! produced, the top finding of the all-crashes analysis, whether each
//! planted signal came out on top of its group, sanity checks (NaN,
//! oversized sentences, false positives among unplanted groups), and at
//! the end one line of JSON with the figures. Memory: resident size after
//! generation (the input) and the peak (VmHWM), from /proc/self/status.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::mem::MaybeUninit;
use std::time::Instant;

use faultline_analyze::{Analysis, AnalyzeOptions, GroupAnalysis, analyze};
use faultline_case::{AttrValue, Case, Machine, MachineKind, Placement, ScheduledEvent, Scope};
use faultline_detect::{CrashReport, EventKind, ReportKind};
use faultline_scan::{FoundEvent, FoundReport};
use jiff::Timestamp;

const USAGE: &str =
    "usage: scale [--machines N] [--crashes N] [--events N] [--seed N] [--draws N] [--no-json] [--out FILE]
  defaults: --machines 100000 --crashes 1000000 --events 10000000 --seed 1
  --draws N   Monte Carlo draws of the analysis (default: AnalyzeOptions::default)
  --no-json   skip timing the JSON serialisation of the result
  --out FILE  also write the analysis as JSON to FILE (after the timings)";

const DAY: i64 = 86_400;
const HOUR: i64 = 3_600;
const MINUTE: i64 = 60;
const WINDOW_DAYS: i64 = 90;

// ------------------------------------------------------------------ args

struct Args {
    machines: usize,
    crashes: usize,
    events: usize,
    seed: u64,
    draws: Option<u64>,
    json: bool,
    out: Option<std::path::PathBuf>,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        machines: 100_000,
        crashes: 1_000_000,
        events: 10_000_000,
        seed: 1,
        draws: None,
        json: true,
        out: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| -> Result<u64, String> {
            let v = it.next().ok_or_else(|| format!("{name} needs a value"))?;
            v.replace('_', "")
                .parse::<u64>()
                .map_err(|_| format!("{name}: not a whole number: {v}"))
        };
        match flag.as_str() {
            "--machines" => a.machines = value("--machines")? as usize,
            "--crashes" => a.crashes = value("--crashes")? as usize,
            "--events" => a.events = value("--events")? as usize,
            "--seed" => a.seed = value("--seed")?,
            "--draws" => a.draws = Some(value("--draws")?),
            "--no-json" => a.json = false,
            "--out" => {
                a.out = Some(it.next().ok_or("--out needs a path")?.into());
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.machines < 50 {
        return Err("--machines must be at least 50".into());
    }
    Ok(a)
}

// ------------------------------------------------------------------ random

/// xoshiro256** seeded through SplitMix64.
struct Rng {
    s: [u64; 4],
}

impl Rng {
    fn new(seed: u64) -> Rng {
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    fn next_u64(&mut self) -> u64 {
        let r = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        r
    }

    fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `lo..hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo).max(1) as usize) as i64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.f64() < p
    }

    fn exp(&mut self, mean: f64) -> f64 {
        -mean * (1.0 - self.f64()).ln()
    }

    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

/// Draws an index with probability proportional to its weight.
struct Weighted {
    cum: Vec<f64>,
}

impl Weighted {
    fn new(weights: impl IntoIterator<Item = f64>) -> Weighted {
        let mut total = 0.0;
        let cum = weights
            .into_iter()
            .map(|w| {
                total += w.max(0.0);
                total
            })
            .collect();
        Weighted { cum }
    }

    fn zipf(n: usize, s: f64) -> Weighted {
        Weighted::new((1..=n).map(|k| (k as f64).powf(-s)))
    }

    fn sample(&self, rng: &mut Rng) -> usize {
        let total = *self.cum.last().unwrap_or(&0.0);
        let x = rng.f64() * total;
        self.cum
            .partition_point(|c| *c <= x)
            .min(self.cum.len() - 1)
    }
}

fn pareto(rng: &mut Rng, alpha: f64, cap: f64) -> f64 {
    (1.0 - rng.f64()).powf(-1.0 / alpha).min(cap)
}

fn fnv(text: &str) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn ts(seconds: i64) -> Timestamp {
    Timestamp::from_second(seconds).expect("time in range")
}

/// Items generated per chunk: each chunk has its own random stream (from
/// the seed and the chunk's index), so the output does not depend on the
/// number of threads.
const CHUNK: usize = 1 << 18;

/// Fills a vector of `n` items in chunks on all cores: `fill(rng, first
/// index, slots)` must write every slot, and returns something per chunk
/// (in chunk order in the result).
fn par_fill<T: Send, R: Send>(
    n: usize,
    seed: u64,
    fill: impl Fn(&mut Rng, usize, &mut [MaybeUninit<T>]) -> R + Sync,
) -> (Vec<T>, Vec<R>) {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get().min(16));
    let mut out: Vec<T> = Vec::with_capacity(n);
    type Chunk<'a, T> = (usize, &'a mut [MaybeUninit<T>]);
    let mut work: Vec<Vec<Chunk<T>>> = (0..threads).map(|_| Vec::new()).collect();
    for (i, slots) in out.spare_capacity_mut()[..n].chunks_mut(CHUNK).enumerate() {
        work[i % threads].push((i, slots));
    }
    let fill = &fill;
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = work
            .into_iter()
            .map(|chunks| {
                s.spawn(move || {
                    chunks
                        .into_iter()
                        .map(|(i, slots)| {
                            let mut rng =
                                Rng::new(seed ^ (i as u64 + 1).wrapping_mul(0xA076_1D64_78BD_642F));
                            (i, fill(&mut rng, i * CHUNK, slots))
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("generator thread"))
            .collect()
    });
    // SAFETY: the first n slots were all handed out, in chunks, to `fill`,
    // and both callers write every slot of their chunk (their loops run to
    // the chunk's end); a panic in a thread propagates out of the scope
    // before this point, leaving the length 0 (the written items leak).
    unsafe { out.set_len(n) };
    results.sort_by_key(|r| r.0);
    (out, results.into_iter().map(|r| r.1).collect())
}

// ------------------------------------------------------------------ vocabularies

const OSES: [(&str, &str, &str); 20] = [
    // (os, kernel version, kernel suffix)
    ("CentOS 5.5", "2.6.18-194", "el5"),
    ("RHEL 6.5", "2.6.32-431", "el6.x86_64"),
    ("Ubuntu 12.04", "3.2.0-", "generic"),
    ("CentOS 6.4", "2.6.32-358", "el6.x86_64"),
    ("RHEL 5.3", "2.6.18-128", "el5"),
    ("Ubuntu 14.04", "3.13.0-", "generic"),
    ("CentOS 7.4", "3.10.0-693", "el7.x86_64"),
    ("Debian 7", "3.2.0-4-", "amd64"),
    ("SLES 11 SP3", "3.0.76-0.11", "default"),
    ("RHEL 7.6", "3.10.0-957", "el7.x86_64"),
    ("CentOS 4.8", "2.6.9-89", "ELsmp"),
    ("Ubuntu 16.04", "4.4.0-", "generic"),
    ("Debian 9", "4.9.0-", "amd64"),
    ("Ubuntu 10.04", "2.6.32-", "server"),
    ("SLES 12 SP4", "4.12.14-95", "default"),
    ("RHEL 8.2", "4.18.0-193", "el8_2.x86_64"),
    ("Debian 6", "2.6.32-5-", "amd64"),
    ("Ubuntu 18.04", "4.15.0-", "generic"),
    ("CentOS 5.3", "2.6.18-128", "el5"),
    ("Ubuntu 20.04", "5.4.0-", "generic"),
];

const ROLES: [&str; 12] = [
    "web", "app", "db", "cache", "mail", "dns", "ldap", "build", "batch", "mon", "proxy", "file",
];
const ROLE_WEIGHTS: [f64; 12] = [
    20.0, 25.0, 10.0, 6.0, 3.0, 2.0, 2.0, 6.0, 8.0, 4.0, 5.0, 4.0,
];
const CREATED: [(&str, f64); 4] = [
    ("new", 70.0),
    ("clone", 15.0),
    ("p2v", 10.0),
    ("import", 5.0),
];
const MODELS: [&str; 6] = [
    "PowerEdge R710",
    "PowerEdge R730",
    "ProLiant DL380 G7",
    "ProLiant DL380 Gen9",
    "UCS B200 M4",
    "ThinkSystem SR650",
];
const ESX: [&str; 5] = ["5.5 U3", "6.0 U3", "6.5 U2", "6.7 U3", "7.0 U2"];

const FUNCTIONS: [&str; 64] = [
    "list_del",
    "__list_add",
    "ext3_get_blocks_handle",
    "ext4_da_write_begin",
    "jbd2_journal_commit_transaction",
    "kmem_cache_alloc",
    "kfree",
    "__slab_free",
    "shrink_page_list",
    "try_to_unmap",
    "tcp_v4_rcv",
    "tcp_sendmsg",
    "skb_release_data",
    "dev_hard_start_xmit",
    "e1000_clean_rx_irq",
    "mptscsih_io_done",
    "scsi_dispatch_cmd",
    "blk_queue_bio",
    "submit_bio",
    "generic_make_request",
    "dm_request",
    "xfs_iflush_cluster",
    "xfs_trans_commit",
    "btrfs_commit_transaction",
    "smp_call_function_many",
    "do_page_fault",
    "handle_mm_fault",
    "copy_page_range",
    "unmap_vmas",
    "__do_softirq",
    "run_timer_softirq",
    "hrtimer_interrupt",
    "tick_sched_timer",
    "__schedule",
    "mutex_lock",
    "rwsem_down_write_failed",
    "futex_wait",
    "do_exit",
    "release_task",
    "inet_csk_accept",
    "sock_poll",
    "ep_poll",
    "fput",
    "dput",
    "iput",
    "d_alloc",
    "__d_lookup",
    "link_path_walk",
    "vfs_read",
    "vfs_write",
    "writeback_sb_inodes",
    "balance_dirty_pages",
    "memcpy",
    "strnlen",
    "radix_tree_lookup",
    "find_get_page",
    "__alloc_pages_nodemask",
    "kswapd",
    "nfs_file_write",
    "rpc_execute",
    "ata_scsi_queuecmd",
    "virtblk_done",
    "pvscsi_queue",
    "vmw_balloon_work",
];

const FORMS: [(&str, ReportKind); 14] = [
    ("general protection fault in ", ReportKind::Gpf),
    (
        "BUG: unable to handle kernel NULL pointer dereference in ",
        ReportKind::Oops,
    ),
    (
        "BUG: unable to handle kernel paging request in ",
        ReportKind::Oops,
    ),
    ("kernel BUG in ", ReportKind::Bug),
    ("WARNING in ", ReportKind::Warning),
    ("BUG: soft lockup in ", ReportKind::SoftLockup),
    ("INFO: task hung in ", ReportKind::HungTask),
    ("INFO: rcu detected stall in ", ReportKind::RcuStall),
    ("list_del corruption in ", ReportKind::ListCorruption),
    ("divide error in ", ReportKind::Oops),
    ("invalid opcode in ", ReportKind::Oops),
    ("BUG: scheduling while atomic in ", ReportKind::Bug),
    ("KASAN: use-after-free Read in ", ReportKind::Kasan),
    ("BUG: hard lockup in ", ReportKind::HardLockup),
];

const COMMS: [&str; 10] = [
    "java",
    "httpd",
    "mysqld",
    "postgres",
    "kworker/0:1",
    "swapper/1",
    "nfsd",
    "sshd",
    "python",
    "ksoftirqd/1",
];

/// The planted titles: (Zipf rank counted from 0, title, kind, what it
/// concentrates on).
const PLANTS: [(usize, &str, ReportKind, Plant); 5] = [
    (
        1,
        "general protection fault in nfs_update_inode",
        ReportKind::Gpf,
        Plant::DatastoreAfterBackup,
    ),
    (
        3,
        "BUG: soft lockup in native_flush_tlb_others",
        ReportKind::SoftLockup,
        Plant::KernelSmp,
    ),
    (
        6,
        "BUG: Bad page state in free_pages_prepare",
        ReportKind::Bug,
        Plant::HostWithMce,
    ),
    (
        11,
        "INFO: task hung in nfs_wait_bit_killable",
        ReportKind::HungTask,
        Plant::NfsPrecursor,
    ),
    (
        19,
        "WARNING in vmxnet3_xmit_frame",
        ReportKind::Warning,
        Plant::Cluster,
    ),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plant {
    /// On the guests of one NFS datastore, 5-60 minutes after its backup.
    DatastoreAfterBackup,
    /// On guests with one kernel and 2 vCPUs.
    KernelSmp,
    /// On guests while they run on one host, whose machine-check events
    /// come minutes before 60% of them.
    HostWithMce,
    /// On guests of the datastores of one NFS filer, 70% preceded by
    /// `nfs: server F not responding` on the guest.
    NfsPrecursor,
    /// On the guests of one cluster.
    Cluster,
}

const NFS_FILERS: [&str; 4] = ["filer01", "filer02", "filer03", "filer04"];

#[derive(Clone, Copy, PartialEq, Eq)]
enum On {
    Guest,
    Host,
}

/// Event rules: (rule, kind, where, message with `{}` for the variant and
/// `%` for a number, variants).
type Base = (
    &'static str,
    EventKind,
    On,
    &'static str,
    &'static [&'static str],
);

const DISKS: &[&str] = &[
    "sda", "sdb", "sdc", "sdd", "sde", "sdf", "sdg", "sdh", "sdi", "sdj", "sdk", "sdl", "vda",
    "vdb", "xvda", "xvdb", "dm-0", "dm-1", "dm-2", "dm-3",
];
const PARTS: &[&str] = &[
    "sda1", "sda2", "sdb1", "sdc1", "sdd1", "vda1", "vdb1", "xvda1", "dm-0", "dm-1", "dm-2",
    "dm-3", "dm-4", "dm-5",
];
const SCSI: &[&str] = &[
    "0:0:0:0", "0:0:1:0", "0:0:2:0", "1:0:0:0", "2:0:0:0", "2:0:1:0", "3:0:0:0", "3:0:1:0",
];
const PROCS: &[&str] = &[
    "java",
    "httpd",
    "mysqld",
    "postgres",
    "php-fpm",
    "python",
    "ruby",
    "node",
    "mongod",
    "redis",
    "memcached",
    "beam.smp",
    "clamd",
    "rsync",
    "tar",
    "gzip",
    "bacula-fd",
    "puppet",
    "chef-client",
    "collectd",
];
const SERVERS: &[&str] = &[
    "filer01", "filer02", "filer03", "filer04", "nas01", "nas02", "home01", "backup01",
];
const HBAS: &[&str] = &[
    "vmhba1", "vmhba2", "vmhba3", "vmhba32", "vmhba33", "vmhba64", "vmhba65",
];
const ATAS: &[&str] = &["ata1", "ata1.00", "ata2", "ata2.00", "ata3", "ata3.00"];
const CPUS: &[&str] = &["0", "1", "2", "3", "4", "5", "6", "7"];
const ONE: &[&str] = &[""];

const BASES: [Base; 33] = [
    (
        "blk-io-error",
        EventKind::IoError,
        On::Guest,
        "end_request: I/O error, dev {}, sector %",
        DISKS,
    ),
    (
        "buffer-io-error",
        EventKind::IoError,
        On::Guest,
        "Buffer I/O error on device {}, logical block %",
        PARTS,
    ),
    (
        "scsi-reject-offline",
        EventKind::IoError,
        On::Guest,
        "sd {}: rejecting I/O to offline device",
        SCSI,
    ),
    (
        "scsi-task-abort",
        EventKind::IoError,
        On::Guest,
        "sd {}: attempting task abort! scmd %",
        SCSI,
    ),
    (
        "ata-exception",
        EventKind::IoError,
        On::Guest,
        "{}: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen",
        ATAS,
    ),
    (
        "ext-fs-error",
        EventKind::FsError,
        On::Guest,
        "EXT3-fs error (device {}): ext3_find_entry: reading directory %",
        PARTS,
    ),
    (
        "ext-remount-ro",
        EventKind::FsError,
        On::Guest,
        "EXT3-fs ({}): error: remounting filesystem read-only",
        PARTS,
    ),
    (
        "jbd-abort",
        EventKind::FsError,
        On::Guest,
        "Aborting journal on device {}.",
        PARTS,
    ),
    (
        "xfs-shutdown",
        EventKind::FsError,
        On::Guest,
        "XFS ({}): Corruption of in-memory data detected. Shutting down filesystem",
        PARTS,
    ),
    (
        "nfs-not-responding",
        EventKind::Nfs,
        On::Guest,
        "nfs: server {} not responding, still trying",
        SERVERS,
    ),
    (
        "lockd-not-responding",
        EventKind::Nfs,
        On::Guest,
        "lockd: server {} not responding, timed out",
        SERVERS,
    ),
    (
        "cifs-not-responding",
        EventKind::Nfs,
        On::Guest,
        "CIFS VFS: Server {} has not responded in % seconds. Reconnecting...",
        SERVERS,
    ),
    (
        "oom-kill",
        EventKind::Oom,
        On::Guest,
        "Out of memory: Kill process % ({}) score % or sacrifice child",
        PROCS,
    ),
    (
        "oom-invoked",
        EventKind::Oom,
        On::Guest,
        "{} invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
        PROCS,
    ),
    (
        "page-alloc-failure",
        EventKind::MemorySqueeze,
        On::Guest,
        "{}: page allocation failure: order:2, mode:0x4020",
        PROCS,
    ),
    (
        "swiotlb-full",
        EventKind::DmaError,
        On::Guest,
        "{} swiotlb buffer is full (sz: % bytes)",
        SCSI,
    ),
    (
        "clocksource-unstable",
        EventKind::Clock,
        On::Guest,
        "Clocksource tsc unstable (delta = % ns){}",
        ONE,
    ),
    (
        "tsc-unstable",
        EventKind::Clock,
        On::Guest,
        "Marking TSC unstable due to clocksource watchdog{}",
        ONE,
    ),
    (
        "hrtimer-slow-interrupt",
        EventKind::Clock,
        On::Guest,
        "hrtimer: interrupt took % ns{}",
        ONE,
    ),
    (
        "watchdog-did-not-stop",
        EventKind::Watchdog,
        On::Guest,
        "watchdog{}: watchdog did not stop!",
        CPUS,
    ),
    (
        "dm-multipath-failing-path",
        EventKind::Storage,
        On::Guest,
        "device-mapper: multipath: Failing path {}.",
        &["8:16", "8:32", "8:48", "8:64", "65:0", "65:16"],
    ),
    (
        "vmk-nfs-lost-connection",
        EventKind::Nfs,
        On::Host,
        "NFS: %: Lost connection to the server {} mount point /vmfs/volumes/nfs",
        SERVERS,
    ),
    (
        "vmk-nfs-warning",
        EventKind::Nfs,
        On::Host,
        "WARNING: NFS: %: Got error % from mount call to {}",
        SERVERS,
    ),
    (
        "vmk-nfslock",
        EventKind::Nfs,
        On::Host,
        "NFSLock: %: Stop accessing fd {}",
        &["0x4100", "0x4101", "0x4102", "0x4103", "0x4104"],
    ),
    (
        "vmk-scsi-cmd-failed",
        EventKind::Storage,
        On::Host,
        "ScsiDeviceIO: %: Cmd 0x2a to dev on {} failed H:0x8 D:0x0 P:0x0",
        HBAS,
    ),
    (
        "vmk-nmp-cmd-failed",
        EventKind::Storage,
        On::Host,
        "NMP: nmp_ThrottleLogForDevice: Cmd 0x28 to dev on {} failed H:0x2 D:0x0 P:0x0",
        HBAS,
    ),
    (
        "vmk-lost-access",
        EventKind::Storage,
        On::Host,
        "Lost access to volume {} due to connectivity issues",
        &["lun01", "lun02", "lun03", "lun04", "lun05", "lun06"],
    ),
    (
        "vmk-apd",
        EventKind::Storage,
        On::Host,
        "Device {} has entered the All Paths Down state.",
        &["naa1", "naa2", "naa3", "naa4"],
    ),
    (
        "mce-events-logged",
        EventKind::Mce,
        On::Host,
        "[Hardware Error]: Machine check events logged{}",
        ONE,
    ),
    (
        "mce-record",
        EventKind::Mce,
        On::Host,
        "[Hardware Error]: CPU {}: Machine Check Exception: 5 Bank %",
        CPUS,
    ),
    (
        "edac-corrected",
        EventKind::Mce,
        On::Host,
        "EDAC MC0: 1 CE error on CPU#{}Channel#1_DIMM#0",
        CPUS,
    ),
    (
        "nmi-pci-serr",
        EventKind::Mce,
        On::Host,
        "NMI: PCI system error (SERR) for reason a1 on CPU {}.",
        CPUS,
    ),
    (
        "hrtimer-slow-interrupt",
        EventKind::Clock,
        On::Host,
        "hrtimer: interrupt took % ns on {}",
        &["pcpu0", "pcpu1", "pcpu2"],
    ),
];

// ------------------------------------------------------------------ fleet

struct Cluster {
    name: String,
    hosts: Vec<usize>,
    datastores: Vec<usize>,
    guests: Vec<usize>,
}

struct Datastore {
    name: String,
    nfs: bool,
    filer: usize,
    /// Minutes after local midnight of the nightly backup (may exceed a day).
    backup_minute: i64,
    /// Start times (seconds) of the backups in the window.
    backups: Vec<i64>,
}

struct Guest {
    name: String,
    cluster: usize,
    datastore: usize,
    kernel: usize,
    vcpus: u32,
    /// (from second, host), sorted; the first entry is the window start.
    timeline: Vec<(i64, usize)>,
}

impl Guest {
    fn host_at(&self, t: i64) -> usize {
        let i = self.timeline.partition_point(|(from, _)| *from <= t);
        self.timeline[i.max(1) - 1].1
    }
}

struct Fleet {
    start: i64,
    end: i64,
    hosts: Vec<String>,
    host_cluster: Vec<usize>,
    clusters: Vec<Cluster>,
    datastores: Vec<Datastore>,
    kernels: Vec<String>,
    guests: Vec<Guest>,
    case: Case,
}

fn build_fleet(args: &Args, rng: &mut Rng, mut case: Case) -> Fleet {
    let window = case.window.expect("the generated case has a window");
    let (start, end) = (window.start.as_second(), window.end.as_second());
    let n_hosts = ((args.machines as f64 * 0.02).round() as usize).max(2);
    let n_guests = args.machines - n_hosts;

    // Clusters of 16-32 hosts, each with 2-3 datastores.
    let ds_types = Weighted::new([40.0, 35.0, 20.0, 5.0]);
    let mut clusters: Vec<Cluster> = Vec::new();
    let mut datastores: Vec<Datastore> = Vec::new();
    let mut host_cluster = Vec::with_capacity(n_hosts);
    let mut hosts = Vec::with_capacity(n_hosts);
    let mut host_attrs: Vec<(usize, usize)> = Vec::new(); // (model, esx) per cluster
    while hosts.len() < n_hosts {
        let size = (rng.range(16, 33) as usize).min(n_hosts - hosts.len());
        let c = clusters.len();
        let mut ds = Vec::new();
        for _ in 0..rng.range(2, 4) {
            let i = datastores.len();
            let (name, nfs) = match ds_types.sample(rng) {
                0 => (format!("nfs-{i:03}"), true),
                1 => (format!("fc-lun{i:03}"), false),
                2 => (format!("iscsi-{i:03}"), false),
                _ => (format!("vsan-{i:03}"), false),
            };
            datastores.push(Datastore {
                name,
                nfs,
                filer: rng.below(NFS_FILERS.len()),
                backup_minute: 20 * 60 + 30 * rng.range(0, 16),
                backups: Vec::new(),
            });
            ds.push(i);
        }
        let mut members = Vec::new();
        for _ in 0..size {
            members.push(hosts.len());
            host_cluster.push(c);
            hosts.push(format!("esx{:04}", hosts.len() + 1));
        }
        host_attrs.push((rng.below(MODELS.len()), rng.below(ESX.len())));
        clusters.push(Cluster {
            name: format!("cl{:03}", c + 1),
            hosts: members,
            datastores: ds,
            guests: Vec::new(),
        });
    }

    let kernels: Vec<String> = (0..60)
        .map(|k| {
            let (_, ver, suffix) = OSES[k / 3];
            let build = [11, 24, 37][k % 3] + k / 3;
            if ver.ends_with('-') {
                format!("{ver}{build}-{suffix}")
            } else {
                format!("{ver}.{}.{}.{suffix}", k % 3 + 1, build % 10)
            }
        })
        .collect();
    let os_pick = Weighted::zipf(OSES.len(), 0.8);
    let kernel_pick = Weighted::new([0.6, 0.3, 0.1]);
    let vcpu_pick = Weighted::new([30.0, 40.0, 22.0, 8.0]);
    let role_pick = Weighted::new(ROLE_WEIGHTS);
    let created_pick = Weighted::new(CREATED.map(|c| c.1));
    let cluster_pick = Weighted::new(clusters.iter().map(|c| c.hosts.len() as f64));

    let mut machines: Vec<Machine> = Vec::with_capacity(args.machines);
    for (h, name) in hosts.iter().enumerate() {
        let c = host_cluster[h];
        let (model, esx) = host_attrs[c];
        let mut attributes = BTreeMap::new();
        // One odd host out in a few clusters: a newer model added later.
        let model = if rng.chance(0.03) {
            (model + 1) % MODELS.len()
        } else {
            model
        };
        attributes.insert("model".into(), AttrValue::Text(MODELS[model].into()));
        attributes.insert("esx_version".into(), AttrValue::Text(ESX[esx].into()));
        attributes.insert("cluster".into(), AttrValue::Text(clusters[c].name.clone()));
        machines.push(Machine {
            name: name.clone(),
            kind: MachineKind::Host,
            host: None,
            attributes,
            source: "inventory.csv".into(),
        });
    }

    let mut guests: Vec<Guest> = Vec::with_capacity(n_guests);
    let mut guest_attrs: Vec<BTreeMap<String, AttrValue>> = Vec::with_capacity(n_guests);
    for g in 0..n_guests {
        let c = cluster_pick.sample(rng);
        let os = os_pick.sample(rng);
        let kernel = os * 3 + kernel_pick.sample(rng);
        let vcpus = [1u32, 2, 4, 8][vcpu_pick.sample(rng)];
        let memory_mb = vcpus * [1024u32, 2048, 4096][rng.below(3)];
        let role = role_pick.sample(rng);
        let datastore = *rng.pick(&clusters[c].datastores);
        let host = *rng.pick(&clusters[c].hosts);
        let mut a = BTreeMap::new();
        a.insert("os".into(), AttrValue::Text(OSES[os].0.into()));
        a.insert("kernel".into(), AttrValue::Text(kernels[kernel].clone()));
        a.insert("vcpus".into(), AttrValue::Number(f64::from(vcpus)));
        a.insert("memory_mb".into(), AttrValue::Number(f64::from(memory_mb)));
        a.insert(
            "datastore".into(),
            AttrValue::Text(datastores[datastore].name.clone()),
        );
        a.insert("role".into(), AttrValue::Text(ROLES[role].into()));
        a.insert(
            "created".into(),
            AttrValue::Text(CREATED[created_pick.sample(rng)].0.into()),
        );
        a.insert("cluster".into(), AttrValue::Text(clusters[c].name.clone()));
        guest_attrs.push(a);
        clusters[c].guests.push(g);
        guests.push(Guest {
            name: format!("{}{:06}", ROLES[role], g + 1),
            cluster: c,
            datastore,
            kernel,
            vcpus,
            timeline: vec![(start, host)],
        });
    }

    let mut events: Vec<ScheduledEvent> = Vec::new();
    let mut line = 1u64;
    let mut event = |events: &mut Vec<ScheduledEvent>, a: i64, b: i64, kind: &str, scope| {
        line += 1;
        events.push(ScheduledEvent {
            start: ts(a),
            end: Some(ts(b)),
            kind: kind.to_string(),
            scope,
            file: "events.csv".into(),
            line,
        });
    };

    // DRS moves: 4% of guests move once or twice within their cluster.
    for g in guests.iter_mut() {
        let hs = &clusters[g.cluster].hosts;
        if hs.len() < 2 || !rng.chance(0.04) {
            continue;
        }
        let moves = if rng.chance(0.7) { 1 } else { 2 };
        let mut at = g.timeline[0].1;
        let mut times: Vec<i64> = (0..moves).map(|_| rng.range(start, end)).collect();
        times.sort_unstable();
        for t in times {
            let mut to = *rng.pick(hs);
            while to == at {
                to = *rng.pick(hs);
            }
            g.timeline.push((t, to));
            at = to;
            event(
                &mut events,
                t,
                t + rng.range(MINUTE, 5 * MINUTE),
                "migration",
                Scope::Machine(g.name.clone()),
            );
        }
    }
    // Maintenance evacuations: a host's guests leave for 2-8 hours; a fifth
    // of them stay where they went.
    let evacuations = (n_hosts / 45).max(1);
    for _ in 0..evacuations {
        let h = rng.below(n_hosts);
        let c = host_cluster[h];
        let others: Vec<usize> = clusters[c]
            .hosts
            .iter()
            .copied()
            .filter(|x| *x != h)
            .collect();
        if others.is_empty() {
            continue;
        }
        let t = rng.range(start + DAY, end - DAY);
        let back = t + rng.range(2 * HOUR, 8 * HOUR);
        event(
            &mut events,
            t,
            back,
            "maintenance",
            Scope::Attribute {
                name: "host".into(),
                value: hosts[h].clone(),
            },
        );
        for &gi in &clusters[c].guests {
            let g = &mut guests[gi];
            if g.host_at(t) != h {
                continue;
            }
            let to = *rng.pick(&others);
            let leave = t + rng.range(0, 20 * MINUTE);
            g.timeline.push((leave, to));
            event(
                &mut events,
                leave,
                leave + rng.range(MINUTE, 4 * MINUTE),
                "migration",
                Scope::Machine(g.name.clone()),
            );
            if !rng.chance(0.2) {
                let ret = back + rng.range(0, 30 * MINUTE);
                g.timeline.push((ret, h));
                event(
                    &mut events,
                    ret,
                    ret + rng.range(MINUTE, 4 * MINUTE),
                    "migration",
                    Scope::Machine(g.name.clone()),
                );
            }
            g.timeline.sort_by_key(|x| x.0);
        }
    }

    // Nightly backups per datastore; a weekly patch window per cluster.
    let days = (end - start) / DAY;
    for ds in datastores.iter_mut() {
        for d in 0..days {
            let a = start + d * DAY + ds.backup_minute * MINUTE + rng.range(0, 10 * MINUTE);
            let b = a + rng.range(30 * MINUTE, 150 * MINUTE);
            if a < end {
                ds.backups.push(a);
                event(
                    &mut events,
                    a,
                    b,
                    "backup",
                    Scope::Attribute {
                        name: "datastore".into(),
                        value: ds.name.clone(),
                    },
                );
            }
        }
    }
    for c in &clusters {
        let offset = rng.range(0, 7) * DAY + 2 * HOUR;
        let mut t = start + offset;
        while t < end {
            event(
                &mut events,
                t,
                t + 3 * HOUR,
                "patch",
                Scope::Attribute {
                    name: "cluster".into(),
                    value: c.name.clone(),
                },
            );
            t += 7 * DAY;
        }
    }
    events.sort_by_key(|e| e.start);

    // Placements: one row per stay; the first began before the window.
    let mut placements = Vec::new();
    let mut pline = 1u64;
    for (g, attrs) in guests.iter_mut().zip(guest_attrs) {
        g.timeline.dedup_by_key(|x| x.1);
        let n = g.timeline.len();
        for i in 0..n {
            let (from, host) = g.timeline[i];
            let from = if i == 0 {
                from - rng.range(DAY, 400 * DAY)
            } else {
                from
            };
            pline += 1;
            placements.push(Placement {
                machine: g.name.clone(),
                host: hosts[host].clone(),
                from: ts(from),
                to: g.timeline.get(i + 1).map(|x| ts(x.0)),
                file: "placements.csv".into(),
                line: pline,
            });
        }
        machines.push(Machine {
            name: g.name.clone(),
            kind: MachineKind::Guest,
            host: Some(hosts[g.timeline[n - 1].1].clone()),
            attributes: attrs,
            source: "inventory.csv".into(),
        });
    }

    case.machines = machines;
    case.placements = placements;
    case.events = events;
    case.reindex();
    Fleet {
        start,
        end,
        hosts,
        host_cluster,
        clusters,
        datastores,
        kernels,
        guests,
        case,
    }
}

// ------------------------------------------------------------------ crashes

struct Title {
    title: String,
    kind: ReportKind,
    signature: String,
    frames: Vec<String>,
    plant: Option<Plant>,
}

fn titles() -> Vec<Title> {
    // Fixed seed: the titles and their ranks do not depend on --seed.
    let mut rng = Rng::new(0x7469_746c_6573);
    let mut seen = std::collections::HashSet::new();
    for (_, t, _, _) in PLANTS {
        seen.insert(t.to_string());
    }
    let mut out: Vec<Title> = Vec::new();
    while out.len() < 300 - PLANTS.len() {
        let (form, kind) = FORMS[rng.below(FORMS.len())];
        let f = FUNCTIONS[rng.below(FUNCTIONS.len())];
        let title = format!("{form}{f}");
        if seen.insert(title.clone()) {
            let caller = FUNCTIONS[rng.below(FUNCTIONS.len())];
            out.push(Title {
                signature: fnv(&title),
                title,
                kind,
                frames: vec![f.to_string(), caller.to_string()],
                plant: None,
            });
        }
    }
    for (rank, t, kind, plant) in PLANTS {
        let f = t.rsplit(' ').next().unwrap_or(t);
        out.insert(
            rank,
            Title {
                title: t.to_string(),
                kind,
                signature: fnv(t),
                frames: vec![f.to_string(), "ret_from_fork".to_string()],
                plant: Some(plant),
            },
        );
    }
    out
}

/// The machines and times the planted titles favour.
struct Targets {
    datastore: usize,
    backup_guests: Vec<usize>,
    kernel: usize,
    smp_guests: Vec<usize>,
    host: usize,
    host_guests: Vec<usize>,
    filer: usize,
    filer_guests: Vec<usize>,
    cluster: usize,
    cluster_guests: Vec<usize>,
}

fn targets(fleet: &Fleet, rng: &mut Rng) -> Targets {
    let guests_of = |f: &dyn Fn(&Guest) -> bool| -> Vec<usize> {
        (0..fleet.guests.len())
            .filter(|&i| f(&fleet.guests[i]))
            .collect()
    };
    // An NFS datastore with guests (any datastore when there is none).
    let mut by_ds = vec![0usize; fleet.datastores.len()];
    for g in &fleet.guests {
        by_ds[g.datastore] += 1;
    }
    let nfs: Vec<usize> = (0..fleet.datastores.len())
        .filter(|&d| fleet.datastores[d].nfs && by_ds[d] > 0)
        .collect();
    let datastore = if nfs.is_empty() {
        (0..by_ds.len()).max_by_key(|&d| by_ds[d]).unwrap_or(0)
    } else {
        *rng.pick(&nfs)
    };
    // A kernel of a middling OS, on two vCPUs.
    let kernel = 3 * 3;
    let mut smp_guests = guests_of(&|g| g.kernel == kernel && g.vcpus == 2);
    if smp_guests.is_empty() {
        smp_guests = guests_of(&|g| g.vcpus == 2);
    }
    // A host with guests at the start, and a cluster of another one.
    let host = loop {
        let h = rng.below(fleet.hosts.len());
        if fleet.guests.iter().any(|g| g.timeline[0].1 == h) {
            break h;
        }
    };
    let host_guests = guests_of(&|g| g.timeline.iter().any(|x| x.1 == host));
    let cluster = if fleet.clusters.len() > 1 {
        loop {
            let c = rng.below(fleet.clusters.len());
            if c != fleet.host_cluster[host] && !fleet.clusters[c].guests.is_empty() {
                break c;
            }
        }
    } else {
        0
    };
    // The filer behind most NFS guests' datastores, other than the backup one's.
    let filer = (fleet.datastores[datastore].filer + 1) % NFS_FILERS.len();
    let mut filer_guests = guests_of(&|g| {
        let d = &fleet.datastores[g.datastore];
        d.nfs && d.filer == filer && g.datastore != datastore
    });
    if filer_guests.is_empty() {
        filer_guests = guests_of(&|g| fleet.datastores[g.datastore].nfs);
    }
    if filer_guests.is_empty() {
        filer_guests = (0..fleet.guests.len()).collect();
    }
    Targets {
        datastore,
        backup_guests: guests_of(&|g| g.datastore == datastore),
        kernel,
        smp_guests,
        host,
        host_guests,
        filer,
        filer_guests,
        cluster,
        cluster_guests: fleet.clusters[cluster].guests.clone(),
    }
}

enum Who {
    Guest(usize),
    Host(usize),
    Unknown(usize),
}

struct Crashes {
    reports: Vec<FoundReport>,
    /// Planted precursor events: (machine is host, index, time, rule index).
    precursors: Vec<(Who, i64, usize)>,
}

fn machine_name(fleet: &Fleet, who: &Who, rng: &mut Rng) -> String {
    let name = match who {
        Who::Guest(g) => fleet.guests[*g].name.as_str(),
        Who::Host(h) => fleet.hosts[*h].as_str(),
        Who::Unknown(u) => return format!("old-vm{u:04}"),
    };
    let r = rng.f64();
    if r < 0.02 {
        format!("{name}.corp.example.com")
    } else if r < 0.03 {
        name.to_uppercase()
    } else {
        name.to_string()
    }
}

/// A background time: uniform with a mild afternoon bias (local time is
/// about UTC-4 in the window).
fn busy_time(fleet: &Fleet, rng: &mut Rng) -> i64 {
    loop {
        let t = rng.range(fleet.start, fleet.end);
        let hour = ((t - 4 * HOUR).rem_euclid(DAY)) as f64 / HOUR as f64;
        let w = 1.0 + 0.25 * ((hour - 15.0) / 24.0 * std::f64::consts::TAU).cos();
        if rng.f64() * 1.25 < w {
            return t;
        }
    }
}

fn make_crashes(
    fleet: &Fleet,
    tg: &Targets,
    titles: &[Title],
    rules: &Rules,
    n: usize,
    rng: &mut Rng,
) -> Crashes {
    let zipf = Weighted::zipf(titles.len(), 1.0);
    // Background frailty: a heavy-tailed 40% of guests crash at all.
    let frail = Weighted::new(fleet.guests.iter().map(|_| {
        if rng.chance(0.4) {
            pareto(rng, 1.5, 50.0)
        } else {
            0.0
        }
    }));
    let unknown = (fleet.guests.len() / 200).max(1);
    let (reports, precursors) = par_fill(n, rng.next_u64(), |rng, first, slots| {
        let mut precursors = Vec::new();
        for (k, slot) in slots.iter_mut().enumerate() {
            let i = first + k;
            let title = &titles[zipf.sample(rng)];
            let (who, t) = match title.plant {
                None => {
                    let r = rng.f64();
                    let who = if r < 0.02 {
                        Who::Unknown(rng.below(unknown))
                    } else if r < 0.025 {
                        Who::Host(rng.below(fleet.hosts.len()))
                    } else {
                        Who::Guest(frail.sample(rng))
                    };
                    (who, busy_time(fleet, rng))
                }
                Some(Plant::DatastoreAfterBackup) => {
                    let ds = &fleet.datastores[tg.datastore];
                    let t = *rng.pick(&ds.backups) + 5 * MINUTE + rng.exp(20.0 * 60.0) as i64;
                    let g = *rng.pick(&tg.backup_guests);
                    (Who::Guest(g), t.min(fleet.end - 1))
                }
                Some(Plant::KernelSmp) => {
                    (Who::Guest(*rng.pick(&tg.smp_guests)), busy_time(fleet, rng))
                }
                Some(Plant::Cluster) => (
                    Who::Guest(*rng.pick(&tg.cluster_guests)),
                    busy_time(fleet, rng),
                ),
                Some(Plant::HostWithMce) => {
                    let mut tries = 0;
                    let (g, t) = loop {
                        let g = *rng.pick(&tg.host_guests);
                        let t = rng.range(fleet.start, fleet.end);
                        tries += 1;
                        if fleet.guests[g].host_at(t) == tg.host || tries > 1000 {
                            break (g, t);
                        }
                    };
                    if rng.chance(0.6) {
                        let before = rng.range(2 * MINUTE, 30 * MINUTE);
                        precursors.push((Who::Host(tg.host), t - before, rules.mce));
                    }
                    (Who::Guest(g), t)
                }
                Some(Plant::NfsPrecursor) => {
                    let g = *rng.pick(&tg.filer_guests);
                    let t = busy_time(fleet, rng);
                    if rng.chance(0.7) {
                        let before = rng.range(5 * MINUTE, 40 * MINUTE);
                        precursors.push((Who::Guest(g), t - before, rules.nfs[tg.filer]));
                    }
                    (Who::Guest(g), t)
                }
            };
            let name = machine_name(fleet, &who, rng);
            let kernel = match who {
                Who::Guest(g) => Some(fleet.kernels[fleet.guests[g].kernel].clone()),
                _ => None,
            };
            let time = (!rng.chance(0.005)).then(|| ts(t));
            let corrupted = rng.chance(0.01);
            slot.write(FoundReport {
                file: format!("logs/{name}/console.log"),
                line: 1000 + i as u64,
                end_line: 1030 + i as u64,
                time,
                uptime: Some(rng.range(60, 200 * DAY) as f64),
                machine: Some(name),
                report: CrashReport {
                    kind: title.kind,
                    title: title.title.clone(),
                    frame: title.frames.first().cloned(),
                    frames: title.frames.clone(),
                    corrupted,
                    corrupted_reason: corrupted.then(|| "no stack trace".to_string()),
                    kernel,
                    taint: Some(String::new()),
                    comm: Some(COMMS[rng.below(COMMS.len())].to_string()),
                    pid: Some(rng.range(1, 32768) as u32),
                    signature: title.signature.clone(),
                    text: title.title.clone(),
                    start: 0,
                    end: 0,
                },
            });
        }
        precursors
    });
    Crashes {
        reports,
        precursors: precursors.into_iter().flatten().collect(),
    }
}

// ------------------------------------------------------------------ events

struct Template {
    rule: &'static str,
    kind: EventKind,
    on: On,
    template: String,
    messages: Vec<String>,
}

/// Keeps a generated event family when its template is new.
fn add_template(
    seen: &mut std::collections::HashSet<String>,
    templates: &mut Vec<Template>,
    (rule, kind, on): (&'static str, EventKind, On),
    messages: Vec<String>,
) {
    let template = faultline_detect::events::template(&messages[0]);
    if seen.insert(template.clone()) {
        templates.push(Template {
            rule,
            kind,
            on,
            template,
            messages,
        });
    }
}

struct Rules {
    templates: Vec<Template>,
    /// Template index of `[Hardware Error]: Machine check events logged`.
    mce: usize,
    /// Template index of `nfs: server F not responding` per filer.
    nfs: Vec<usize>,
}

fn rules() -> Rules {
    let mut rng = Rng::new(0x0072_756c_6573);
    let mut templates: Vec<Template> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Round robin over the rules so every rule has templates, then shuffle
    // (the Zipf popularity should not follow the table's order).
    let mut v = 0;
    while templates.len() < 500 {
        let mut added = false;
        for (rule, kind, on, pattern, variants) in BASES {
            if templates.len() == 500 {
                break;
            }
            let Some(variant) = variants.get(v) else {
                continue;
            };
            added = true;
            let messages: Vec<String> = (0..6)
                .map(|_| {
                    let text = pattern.replacen("{}", variant, 1);
                    let mut out = String::with_capacity(text.len() + 16);
                    for (i, part) in text.split('%').enumerate() {
                        if i > 0 {
                            out.push_str(&rng.range(1, 999_999).to_string());
                        }
                        out.push_str(part);
                    }
                    out
                })
                .collect();
            add_template(&mut seen, &mut templates, (rule, kind, on), messages);
        }
        v += 1;
        if !added {
            break;
        }
    }
    // Not enough distinct templates for 500 (numbers in a variant become
    // NUM): more disks, as a big SAN guest has them (sdaa, sdab, ...).
    let mut k = 0;
    while templates.len() < 500 {
        let disk = format!(
            "sd{}{}",
            char::from(b'a' + (k / 26 % 26) as u8),
            char::from(b'a' + (k % 26) as u8)
        );
        let (rule, kind, on, pattern, _) = BASES[k % 2];
        let dev = if k % 2 == 0 { disk } else { format!("{disk}1") };
        let messages: Vec<String> = (0..6)
            .map(|_| {
                pattern
                    .replacen("{}", &dev, 1)
                    .replace('%', &rng.range(1, 999_999).to_string())
            })
            .collect();
        add_template(&mut seen, &mut templates, (rule, kind, on), messages);
        k += 1;
    }
    for i in (1..templates.len()).rev() {
        let j = rng.below(i + 1);
        templates.swap(i, j);
    }
    let find = |rule: &str, variant: &str| {
        templates
            .iter()
            .position(|t| t.rule == rule && t.messages[0].contains(variant))
            .expect("planted template exists")
    };
    let mce = find("mce-events-logged", "Machine check events logged");
    let nfs = NFS_FILERS
        .iter()
        .map(|f| find("nfs-not-responding", f))
        .collect();
    Rules {
        templates,
        mce,
        nfs,
    }
}

fn make_events(
    fleet: &Fleet,
    rules: &Rules,
    planted: &[(Who, i64, usize)],
    n: usize,
    rng: &mut Rng,
) -> Vec<FoundEvent> {
    let guest_files: Vec<String> = fleet
        .guests
        .iter()
        .map(|g| format!("logs/{}/messages", g.name))
        .collect();
    let host_files: Vec<String> = fleet
        .hosts
        .iter()
        .map(|h| format!("logs/{h}/vmkernel.log"))
        .collect();
    let guest_noise = Weighted::new(fleet.guests.iter().map(|_| pareto(rng, 1.2, 200.0)));
    let host_noise = Weighted::new(fleet.hosts.iter().map(|_| pareto(rng, 1.2, 200.0)));
    let zipf = Weighted::zipf(rules.templates.len(), 1.0);
    let event = |who: &Who, t: i64, tmpl: usize, line: usize, rng: &mut Rng| {
        let tp = &rules.templates[tmpl];
        let file = match who {
            Who::Guest(g) => &guest_files[*g],
            Who::Host(h) => &host_files[*h],
            Who::Unknown(_) => unreachable!("events are on known machines"),
        };
        FoundEvent {
            file: file.clone(),
            line: line as u64 + 1,
            machine: Some(machine_name(fleet, who, rng)),
            time: Some(ts(t.clamp(fleet.start, fleet.end - 1))),
            uptime: None,
            kind: tp.kind,
            rule: tp.rule.to_string(),
            template: tp.template.clone(),
            message: tp.messages[rng.below(tp.messages.len())].clone(),
        }
    };
    // The planted precursors come first, then the background, in bursts
    // (a failing device or a hung filer repeats itself) or alone.
    let (events, _) = par_fill(n, rng.next_u64(), |rng, first, slots| {
        let mut k = 0;
        while k < slots.len() {
            let i = first + k;
            if let Some((who, t, tmpl)) = planted.get(i) {
                slots[k].write(event(who, *t, *tmpl, i, rng));
                k += 1;
                continue;
            }
            let tmpl = zipf.sample(rng);
            let who = match rules.templates[tmpl].on {
                On::Guest => Who::Guest(guest_noise.sample(rng)),
                On::Host => Who::Host(host_noise.sample(rng)),
            };
            let t = rng.range(fleet.start, fleet.end);
            let size = if rng.chance(0.3) {
                ((1.0 + rng.exp(60.0)).min(3000.0) as usize).min(slots.len() - k)
            } else {
                1
            };
            let span = rng.range(5 * MINUTE, 2 * HOUR);
            for _ in 0..size {
                let at = if size == 1 { t } else { t + rng.range(0, span) };
                slots[k].write(event(&who, at, tmpl, first + k, rng));
                k += 1;
            }
        }
    });
    events
}

// ------------------------------------------------------------------ case

fn empty_case(dir: &std::path::Path) -> Case {
    std::fs::write(
        dir.join("faultline.toml"),
        "name = \"scale\"\ntime_zone = \"America/New_York\"\n[window]\nstart = \"2009-08-01 00:00\"\nend = \"2009-10-30 00:00\"\n",
    )
    .expect("write faultline.toml");
    std::fs::write(dir.join("crashes.csv"), "machine,time,title\n").expect("write crashes.csv");
    let case = faultline_case::load(dir).expect("load the empty case");
    assert!(case.problems.is_empty(), "{:?}", case.problems);
    let w = case.window.expect("window");
    assert_eq!(w.end.as_second() - w.start.as_second(), WINDOW_DAYS * DAY);
    case
}

// ------------------------------------------------------------------ report

/// VmRSS and VmHWM in MiB, when /proc says.
fn memory() -> (Option<f64>, Option<f64>) {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return (None, None);
    };
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse::<f64>().ok())
            .map(|kb| kb / 1024.0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let cut: String = s.chars().take(n).collect();
        format!("{cut}… ({} chars)", s.chars().count())
    }
}

fn p(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x >= 0.01 {
        format!("{x:.3}")
    } else {
        format!("{x:.1e}")
    }
}

/// Counts of non-finite numbers where there should be none, by field.
fn non_finite(a: &Analysis) -> BTreeMap<String, usize> {
    let mut bad: BTreeMap<String, usize> = BTreeMap::new();
    let mut check = |what: &str, x: f64| {
        if x.is_nan() {
            *bad.entry(what.to_string()).or_default() += 1;
        }
    };
    for g in &a.analyses {
        for f in &g.factors {
            check("factor.p", f.p);
            check("factor.q", f.q);
            check("factor.odds_ratio", f.odds_ratio);
        }
        for r in &g.rates {
            check("rate.p", r.p);
            check("rate.rate_ratio", r.rate_ratio);
            check("rate.exposure_hours", r.exposure_hours);
        }
        if let Some(h) = &g.host_concentration {
            check("host_concentration.p", h.p);
            check("host_concentration.naive_p", h.naive_p);
            check("host_concentration.expected_share", h.expected_share);
        }
        for t in g.time_of_day.iter().chain(&g.day_of_week) {
            check("time.p_max_bin", t.p_max_bin);
            check("time.p_rayleigh", t.p_rayleigh);
        }
        for e in &g.event_proximity {
            check("event_proximity.p", e.p);
            check("event_proximity.median", e.median_minutes_after);
            check("event_proximity.random_median", e.random_median_minutes);
        }
        for pc in &g.precursors {
            check("precursor.p", pc.p);
            check("precursor.background", pc.background);
        }
        for h in &g.hypotheses {
            check("hypothesis.p", h.p);
            for s in h.evidence.iter().chain(&h.against) {
                if s.contains("NaN") || s.contains("inf ") {
                    check("hypothesis text with NaN/inf", f64::NAN);
                }
            }
        }
    }
    bad
}

fn longest_sentence(a: &Analysis) -> (usize, usize) {
    let mut longest = 0;
    let mut over = 0;
    for g in &a.analyses {
        let texts = g
            .hypotheses
            .iter()
            .flat_map(|h| h.evidence.iter().chain(&h.against).chain([&h.statement]))
            .chain(g.confounded.iter().map(|c| &c.statement))
            .chain(g.experiments.iter().map(|e| &e.statement));
        for s in texts {
            longest = longest.max(s.len());
            if s.len() > 1000 {
                over += 1;
            }
        }
    }
    (longest, over)
}

fn print_group(g: &GroupAnalysis, indent: &str) {
    if let Some(h) = g.hypotheses.first() {
        println!(
            "{indent}top hypothesis: #{} {} (p={}; {} for, {} against)",
            h.rank,
            h.statement,
            p(h.p),
            h.evidence.len(),
            h.against.len()
        );
        if let Some(e) = h.evidence.first() {
            println!("{indent}  evidence: {}", short(e, 300));
        }
    }
    if let Some(f) = g.factors.first() {
        println!(
            "{indent}top factor: {}={}: {}/{} crashed vs {}/{} machines, p={} q={} OR={:.2}",
            f.attribute,
            f.value,
            f.crashed_with,
            f.crashed,
            f.population_with,
            f.population,
            p(f.p),
            p(f.q),
            f.odds_ratio
        );
    }
    if let Some(r) = g.rates.first() {
        println!(
            "{indent}top rate: {}={}: {} crashes in {:.0} h vs {} in {:.0} h, ratio {:.2}, p={}",
            r.attribute,
            r.value,
            r.crashes,
            r.exposure_hours,
            r.other_crashes,
            r.other_hours,
            r.rate_ratio,
            p(r.p)
        );
    }
    if let Some(h) = &g.host_concentration {
        println!(
            "{indent}host concentration: {} carried {} of {} (expected share {:.4}), p={} ({}), naive p={}",
            h.host,
            h.crashes,
            h.of,
            h.expected_share,
            p(h.p),
            if h.exact { "exact" } else { "Monte Carlo" },
            p(h.naive_p)
        );
    }
    if let Some(t) = &g.time_of_day {
        println!(
            "{indent}hour of day: peak {:02}:00 with {} of {}, p_max_bin={} p_rayleigh={}",
            t.peak_hour,
            t.peak_count,
            t.n,
            p(t.p_max_bin),
            p(t.p_rayleigh)
        );
    }
    if let Some(e) = g.event_proximity.first() {
        println!(
            "{indent}event proximity: {} median {:.0} min after (random {:.0}), p={} ({} draws)",
            e.kind,
            e.median_minutes_after,
            e.random_median_minutes,
            p(e.p),
            e.draws
        );
    }
    if let Some(pc) = g.precursors.first() {
        println!(
            "{indent}precursor: {} before {} of {} crashes (background {:.4}), p={}: {}",
            pc.kind,
            pc.crashes_with,
            pc.crashes,
            pc.background,
            p(pc.p),
            short(&pc.template, 80)
        );
    }
}

/// What a planted title's analysis should put first, as text to look for.
fn expected(plant: Plant, fleet: &Fleet, tg: &Targets, rules: &Rules) -> Vec<String> {
    match plant {
        Plant::DatastoreAfterBackup => vec![
            format!("datastore={}", fleet.datastores[tg.datastore].name),
            "backup".into(),
        ],
        Plant::KernelSmp => vec![
            format!("kernel={}", fleet.kernels[tg.kernel]),
            "vcpus=2".into(),
        ],
        Plant::HostWithMce => vec![
            format!("host={}", fleet.hosts[tg.host]),
            "mce events were logged".into(),
        ],
        Plant::NfsPrecursor => vec![
            "nfs events were logged".into(),
            rules.templates[rules.nfs[tg.filer]].template.clone(),
        ],
        // With one cluster there is nothing to find.
        Plant::Cluster if fleet.clusters.len() < 2 => Vec::new(),
        Plant::Cluster => vec![format!("cluster={}", fleet.clusters[tg.cluster].name)],
    }
}

/// Counts bytes written.
struct Count(u64);

impl Write for Count {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0 += b.len() as u64;
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("scale: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    let dir = tempfile::tempdir().expect("temporary folder");

    // ---------------------------------------------------------- generate
    let t0 = Instant::now();
    let mut rng = Rng::new(args.seed);
    let fleet = build_fleet(&args, &mut rng, empty_case(dir.path()));
    let t_fleet = t0.elapsed().as_secs_f64();
    let titles = titles();
    let rules = rules();
    let tg = targets(&fleet, &mut rng);
    let crashes = make_crashes(&fleet, &tg, &titles, &rules, args.crashes, &mut rng);
    let t_crashes = t0.elapsed().as_secs_f64() - t_fleet;
    let events = make_events(&fleet, &rules, &crashes.precursors, args.events, &mut rng);
    let gen_s = t0.elapsed().as_secs_f64();
    let t_events = gen_s - t_fleet - t_crashes;
    let reports = crashes.reports;
    let case = &fleet.case;
    let (rss_input, _) = memory();

    let hosts = fleet.hosts.len();
    let guests = fleet.guests.len();
    println!(
        "fleet: {} machines ({hosts} hosts in {} clusters, {guests} guests), {} datastores, {} placements, {} scheduled events",
        case.machines.len(),
        fleet.clusters.len(),
        fleet.datastores.len(),
        case.placements.len(),
        case.events.len()
    );
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &case.events {
        *by_kind.entry(e.kind.as_str()).or_default() += 1;
    }
    println!(
        "  scheduled events by kind: {}",
        by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "input: {} crash reports ({} titles), {} notable events ({} templates, {} planted precursors), seed {}",
        reports.len(),
        titles.len(),
        events.len(),
        rules.templates.len(),
        crashes.precursors.len(),
        args.seed
    );
    println!(
        "generation: {gen_s:.2} s (fleet {t_fleet:.2}, crashes {t_crashes:.2}, events {t_events:.2}); RSS {} MiB",
        rss_input.map_or("?".into(), |m| format!("{m:.0}"))
    );

    // ---------------------------------------------------------- analyse
    let mut opts = AnalyzeOptions::default();
    if let Some(d) = args.draws {
        opts.draws = d;
    }
    let _ = std::io::stdout().flush();
    let t1 = Instant::now();
    let analysis = analyze(case, &reports, &events, &opts);
    let analyze_s = t1.elapsed().as_secs_f64();
    let (_, peak_after_analysis) = memory();

    let (json_s, json_bytes) = if args.json {
        let t2 = Instant::now();
        let mut count = Count(0);
        serde_json::to_writer(&mut count, &analysis).expect("serialise");
        (Some(t2.elapsed().as_secs_f64()), Some(count.0))
    } else {
        (None, None)
    };
    let (_, peak) = memory();
    if let Some(path) = &args.out {
        let file = std::fs::File::create(path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        serde_json::to_writer(std::io::BufWriter::new(file), &analysis)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
    }

    let n = |f: &dyn Fn(&GroupAnalysis) -> usize| analysis.analyses.iter().map(f).sum::<usize>();
    let factors = n(&|g| g.factors.len());
    let rates = n(&|g| g.rates.len());
    let proximity = n(&|g| g.event_proximity.len());
    let precursors = n(&|g| g.precursors.len());
    let confounded = n(&|g| g.confounded.len());
    let experiments = n(&|g| g.experiments.len());
    let hypotheses = n(&|g| g.hypotheses.len());
    println!(
        "analysis: {analyze_s:.2} s (draws {}); peak RSS {} MiB{}",
        opts.draws,
        peak_after_analysis.map_or("?".into(), |m| format!("{m:.0}")),
        match (json_s, json_bytes) {
            (Some(s), Some(b)) => format!(
                "; JSON {:.0} MiB in {s:.2} s (peak RSS {} MiB)",
                b as f64 / 1048576.0,
                peak.map_or("?".into(), |m| format!("{m:.0}"))
            ),
            _ => String::new(),
        }
    );
    println!(
        "  {} groups, {} analyses, {} crashes merged, {} unknown machines; {factors} factors, {rates} rates, {proximity} event proximities, {precursors} precursors, {confounded} confounded pairs, {experiments} experiments, {hypotheses} hypotheses",
        analysis.groups.len(),
        analysis.analyses.len(),
        analysis.crashes.len(),
        analysis.unknown_machines.len()
    );

    // ---------------------------------------------------------- findings
    if let Some(all) = analysis.analyses.iter().find(|g| g.group.is_none()) {
        println!(
            "all crashes ({} crashes, {} crashed machines):",
            all.crashes,
            all.crashed_machines.len()
        );
        print_group(all, "  ");
    }
    let by_title: HashMap<&str, &GroupAnalysis> = analysis
        .analyses
        .iter()
        .filter_map(|g| g.title.as_deref().map(|t| (t, g)))
        .collect();
    let mut found = 0;
    let mut checked = 0;
    println!("planted signals (expected in the group's first hypothesis):");
    for (_, title, _, plant) in PLANTS {
        let want = expected(plant, &fleet, &tg, &rules);
        let Some(g) = by_title.get(title) else {
            println!("  {plant:?}: no group for {title:?}");
            continue;
        };
        let top = g.hypotheses.first();
        let text = top.map_or(String::new(), |h| {
            format!("{} {}", h.statement, h.evidence.join(" "))
        });
        let rank_of = |w: &str| {
            g.hypotheses
                .iter()
                .find(|h| h.statement.contains(w) || h.evidence.iter().any(|e| e.contains(w)))
                .map(|h| h.rank)
        };
        if want.is_empty() {
            println!(
                "  {:<22} {:>7} crashes: n/a (the fleet has one cluster)",
                format!("{plant:?}"),
                g.crashes
            );
            continue;
        }
        checked += 1;
        let ok = want.iter().any(|w| text.contains(w.as_str()));
        found += usize::from(ok);
        println!(
            "  {:<22} {:>7} crashes: {} — want {}",
            format!("{plant:?}"),
            g.crashes,
            if ok { "found" } else { "MISSED" },
            want.iter()
                .map(|w| format!(
                    "{w} (rank {})",
                    rank_of(w).map_or("-".into(), |r| r.to_string())
                ))
                .collect::<Vec<_>>()
                .join(", ")
        );
        print_group(g, "      ");
    }

    // ---------------------------------------------------------- sanity
    let bad = non_finite(&analysis);
    let (longest, over) = longest_sentence(&analysis);
    let planted: Vec<&str> = PLANTS.iter().map(|x| x.1).collect();
    let background: Vec<&GroupAnalysis> = analysis
        .analyses
        .iter()
        .filter(|g| g.title.as_deref().is_some_and(|t| !planted.contains(&t)))
        .collect();
    let with_evidence = background
        .iter()
        .filter(|g| g.hypotheses.iter().any(|h| !h.evidence.is_empty()))
        .count();
    let mut categories: BTreeMap<&str, usize> = BTreeMap::new();
    for g in &background {
        for h in g.hypotheses.iter().filter(|h| !h.evidence.is_empty()) {
            *categories.entry(h.category.as_str()).or_default() += 1;
        }
    }
    let with_q = background
        .iter()
        .filter(|g| g.factors.iter().any(|f| f.q < 0.05))
        .count();
    println!("sanity:");
    println!(
        "  NaN values: {}",
        if bad.is_empty() {
            "none".to_string()
        } else {
            bad.iter()
                .map(|(k, v)| format!("{k} {v}"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    println!("  longest hypothesis/confounding sentence: {longest} chars; {over} over 1000 chars");
    println!(
        "  unplanted groups (no real signal): {} of {} have a hypothesis with evidence (p < {}); {} have a factor with q < 0.05",
        with_evidence,
        background.len(),
        opts.alpha,
        with_q
    );
    let mut false_factors: Vec<String> = background
        .iter()
        .flat_map(|g| g.factors.iter().filter(|f| f.q < 0.05))
        .map(|f| {
            format!(
                "{}={} {}/{} vs {}/{} q={}",
                f.attribute,
                f.value,
                f.crashed_with,
                f.crashed,
                f.population_with,
                f.population,
                p(f.q)
            )
        })
        .collect();
    if !false_factors.is_empty() {
        let n = false_factors.len();
        false_factors.truncate(5);
        println!(
            "    {n} factors with q < 0.05 there, e.g. {}",
            false_factors.join("; ")
        );
    }
    if !categories.is_empty() {
        println!(
            "    their categories with evidence: {}",
            categories
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }

    let nan_total: usize = bad.values().sum();
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let json = serde_json::json!({
        "bench": "faultline-analyze-scale",
        "seed": args.seed,
        "machines": case.machines.len(),
        "hosts": hosts,
        "guests": guests,
        "clusters": fleet.clusters.len(),
        "datastores": fleet.datastores.len(),
        "placements": case.placements.len(),
        "scheduled_events": case.events.len(),
        "crashes": reports.len(),
        "events": events.len(),
        "titles": titles.len(),
        "templates": rules.templates.len(),
        "draws": opts.draws,
        "generate_s": round(gen_s),
        "analyze_s": round(analyze_s),
        "json_s": json_s.map(round),
        "json_mib": json_bytes.map(|b| round(b as f64 / 1048576.0)),
        "rss_input_mib": rss_input.map(|m| m.round()),
        "peak_rss_analyze_mib": peak_after_analysis.map(|m| m.round()),
        "peak_rss_mib": peak.map(|m| m.round()),
        "groups": analysis.groups.len(),
        "analyses": analysis.analyses.len(),
        "factors": factors,
        "rates": rates,
        "event_proximity": proximity,
        "precursors": precursors,
        "hypotheses": hypotheses,
        "planted_found": found,
        "planted": checked,
        "nan": nan_total,
        "unplanted_groups_with_evidence": with_evidence,
        "unplanted_groups": background.len(),
    });
    println!("{json}");
}
