//! Benchmark input for `scripts/bench-scan`: realistic console and syslog
//! noise with kernel crash reports and notable events sprinkled in.
//!
//! Deterministic: the same seed and size give the same bytes, and a smaller
//! size gives a prefix of a larger one. No dependencies, so it builds with a
//! plain `rustc -O scripts/gen-noise.rs`.
//!
//! Usage:
//!   gen-noise --out FILE --size-mb N [--seed S] [--parts DIR --nparts K] [--quiet]
//!
//! Writes FILE (about N MiB; it stops at the first record boundary past
//! the size) and, with --parts, the same bytes again split into K files
//! DIR/part-NN.log (split only between records, never inside a crash
//! report, so every report lies whole in one part). Prints a manifest as
//! one JSON line on stdout: bytes, lines, the crash reports sprinkled in
//! (total and by kind), the notable events, and the decoy lines that
//! contain a report header word but are no crash. With --quiet, noise
//! only: no crash, no event, no decoy (to time the fast path alone).
//!
//! The noise comes in segments, as logs gathered from a fleet do:
//! - serial console captures of one machine: `[ 1234.567890] text`, on some
//!   machines with printk caller ids `[ 1234.567890][  T123] text`, starting
//!   with a boot, ending when the machine panics;
//! - RFC 3164 syslog of several hosts interleaved:
//!   `Nov 20 22:14:03 web07 kernel: [ 1234.567890] text`, plus sshd, cron,
//!   systemd, dhclient, postfix, dockerd, kubelet ... lines.
//!
//! Crash reports (one every 1-3 MiB; each is exactly one report):
//! WARNING with call trace, NULL pointer dereference oops, general
//! protection fault, hung task (sometimes two in a row: two reports), soft
//! lockup, and a 2.6-era `list_del corruption` / `kernel BUG at
//! lib/list_debug.c` oops ending in `Kernel panic - not syncing: Fatal
//! exception`. Notable events (one every 128-640 KiB): I/O errors, NFS
//! server not responding, OOM kills (with the oom-killer's own stack dump,
//! which is no crash), netback memory squeeze. The manifest counts I/O
//! error lines (`blk_update_request` and `Buffer I/O error`), NFS lines,
//! OOM kills (each is several lines: invoked, constraint, killed) and
//! squeeze lines.
//!
//! Mount messages and the like are rare in the noise, as in real logs, so
//! that a scanner's marker search meets a realistic number of false
//! candidates.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::PathBuf;

// ---------------------------------------------------------------- random

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        ((self.next() >> 32) * n) >> 32
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(1000) < percent * 10
    }
    fn pick<'a, T: ?Sized>(&mut self, xs: &'a [&'a T]) -> &'a T {
        xs[self.below(xs.len() as u64) as usize]
    }
    fn hex(&mut self, digits: usize) -> String {
        let v = self.next();
        let s = format!("{v:016x}");
        s[16 - digits.min(16)..].to_string()
    }
    fn kaddr(&mut self) -> String {
        format!("ffffffff8{:07x}", self.below(0x0fff_ffff))
    }
    fn heap(&mut self) -> String {
        format!("ffff88{:010x}", self.below(0xff_ffff_ffff) & !0xf)
    }
}

// ---------------------------------------------------------------- vocabulary

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];
const MDAYS: [u64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const HOSTS: &[&str] = &[
    "web01", "web02", "web03", "web05", "web07", "web11", "db01", "db02", "db04", "app03",
    "app08", "app13", "app17", "app20", "lb01", "lb02", "xen01", "xen02", "xen04", "build3",
    "ci-runner-2", "mq01", "cache06", "k8s-node-14", "k8s-node-21",
];
const KERNELS: &[&str] = &[
    "5.15.0-91-generic #101-Ubuntu",
    "5.4.0-150-generic #167-Ubuntu",
    "4.18.0-348.7.1.el8_5.x86_64 #1",
    "6.1.0-18-amd64 #1 Debian 6.1.76-1",
    "5.10.0-28-cloud-amd64 #1 Debian 5.10.209-2",
    "4.15.0-213-generic #224-Ubuntu",
    "3.10.0-1160.105.1.el7.x86_64 #1",
];
const HARDWARE: &[&str] = &[
    "QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.15.0-1 04/01/2014",
    "QEMU Standard PC (Q35 + ICH9, 2009), BIOS 1.16.2-debian-1.16.2-1 04/01/2014",
    "Xen HVM domU, BIOS 4.11.amazon 08/24/2006",
    "Dell Inc. PowerEdge R640/0W23H8, BIOS 2.17.1 11/15/2022",
    "HP ProLiant DL380 Gen9/ProLiant DL380 Gen9, BIOS P89 10/21/2019",
    "Supermicro SYS-1029P-WTR/X11DDW-L, BIOS 3.4 06/23/2020",
    "VMware, Inc. VMware Virtual Platform/440BX Desktop Reference Platform, BIOS 6.00 11/12/2020",
];
const USERS: &[&str] = &["deploy", "root", "ubuntu", "jenkins", "postgres", "ansible", "backup", "alice", "bob"];
const COMMS: &[&str] = &[
    "java", "httpd", "nginx", "postgres", "mysqld", "python3", "node", "kworker/0:1", "kworker/u16:2",
    "containerd-shim", "dockerd", "rsync", "tar", "qemu-system-x86", "ksoftirqd/1", "jbd2/sda1-8",
    "kswapd0", "redis-server", "memcached", "beam.smp",
];
const UNITS: &[&str] = &[
    "apt-daily.service", "apt-daily-upgrade.service", "logrotate.service", "man-db.service",
    "systemd-tmpfiles-clean.service", "fstrim.service", "certbot.service", "phpsessionclean.service",
    "sysstat-collect.service", "motd-news.service", "update-notifier-download.service",
    "docker.service", "kubelet.service", "node-exporter.service", "chrony.service",
];
const UNIT_DESC: &[&str] = &[
    "Daily apt download activities", "Daily apt upgrade and clean activities", "Rotate log files",
    "Daily man-db regeneration", "Cleanup of Temporary Directories", "Discard unused blocks on filesystems",
    "Certbot", "Clean php session files", "system activity accounting tool",
    "Message of the Day", "Refresh fwupd metadata and update motd",
];
const NICS: &[&str] = &["eth0", "eth1", "ens3", "ens5", "eno1", "enp3s0f0", "enp59s0f1", "bond0"];
const DISKS: &[&str] = &["sda", "sdb", "sdc", "vda", "vdb", "xvda", "nvme0n1", "dm-0", "dm-2"];
const SEL_TYPES: &[&str] = &[
    "httpd_t", "init_t", "sshd_t", "postgresql_t", "container_t", "crond_t", "named_t", "nginx_t",
];
const SEL_TARGETS: &[&str] = &[
    "user_home_t", "var_log_t", "etc_t", "httpd_sys_content_t", "tmp_t", "default_t", "shadow_t",
    "container_file_t",
];
const PERMS: &[&str] = &["read", "write", "open", "getattr", "name_connect", "execute", "search", "unlink"];
const TCLASS: &[&str] = &["file", "dir", "tcp_socket", "sock_file", "lnk_file", "chr_file"];
const FILES: &[&str] = &[
    "index.html", "config.php", "passwd", "resolv.conf", "pg_hba.conf", "app.sock", "access.log",
    "id_rsa", "cache.db", "random",
];
const MODULES: &[&str] = &[
    "xt_conntrack nf_nat nf_conntrack nf_defrag_ipv6 nf_defrag_ipv4 libcrc32c br_netfilter bridge stp llc overlay",
    "nfsv3 nfs_acl nfs lockd grace fscache netfs sunrpc intel_rapl_msr intel_rapl_common kvm_intel kvm",
    "ip6table_filter ip6_tables iptable_filter bpfilter isofs binfmt_misc nls_iso8859_1 dm_multipath scsi_dh_rdac",
    "xfs libcrc32c sd_mod t10_pi sg ahci libahci libata e1000e crc32c_intel ixgbe mdio dca i2c_algo_bit",
    "ext4 mbcache jbd2 virtio_net net_failover failover virtio_blk virtio_pci virtio_ring virtio",
    "xen_netfront xen_blkfront crct10dif_pclmul crc32_pclmul ghash_clmulni_intel aesni_intel crypto_simd cryptd",
];
/// Call chains, innermost first (`func+off/size`, a module sometimes).
const TRACES: &[&[&str]] = &[
    &[
        "dev_watchdog+0x21f/0x230", "call_timer_fn+0x29/0x120", "__run_timers.part.0+0x1d9/0x250",
        "run_timer_softirq+0x2a/0x50", "__do_softirq+0xd9/0x2e3", "irq_exit_rcu+0x8c/0xb0",
        "sysvec_apic_timer_interrupt+0x7c/0x90",
    ],
    &[
        "nfs_updatepage+0x3c/0x5a0 [nfs]", "nfs_write_end+0x63/0x4f0 [nfs]",
        "generic_perform_write+0x10b/0x1f0", "nfs_file_write+0x103/0x270 [nfs]", "new_sync_write+0x114/0x1a0",
        "vfs_write+0x1d5/0x270", "ksys_write+0x67/0xe0", "__x64_sys_write+0x1a/0x20", "do_syscall_64+0x5c/0xc0",
        "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "kmem_cache_alloc+0x7a/0x1d0", "__alloc_skb+0x46/0x1f0", "tcp_stream_alloc_skb+0x2a/0x120",
        "tcp_sendmsg_locked+0x2c8/0xd10", "tcp_sendmsg+0x2d/0x50", "sock_sendmsg+0x5e/0x70",
        "__sys_sendto+0x113/0x190", "__x64_sys_sendto+0x24/0x30", "do_syscall_64+0x5c/0xc0",
        "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "ext4_da_write_begin+0x1ab/0x310 [ext4]", "generic_perform_write+0xc2/0x1f0",
        "ext4_buffered_write_iter+0x98/0x160 [ext4]", "ext4_file_write_iter+0x53/0x240 [ext4]",
        "new_sync_write+0x114/0x1a0", "vfs_write+0x1d5/0x270", "ksys_write+0x67/0xe0",
        "do_syscall_64+0x5c/0xc0", "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "e1000_clean_rx_irq+0x1f4/0x4f0 [e1000]", "e1000_clean+0x265/0x8b0 [e1000]",
        "__napi_poll+0x33/0x180", "net_rx_action+0x126/0x280", "__do_softirq+0xd9/0x2e3",
        "irq_exit_rcu+0x8c/0xb0", "common_interrupt+0x8a/0xa0", "asm_common_interrupt+0x1e/0x40",
    ],
    &[
        "xfs_buf_ioend+0x1c2/0x3c0 [xfs]", "xfs_buf_ioend_work+0x15/0x20 [xfs]",
        "process_one_work+0x228/0x3d0", "worker_thread+0x4d/0x3f0", "kthread+0x127/0x150",
        "ret_from_fork+0x1f/0x30",
    ],
    &[
        "blk_mq_start_request+0x1cd/0x1e0", "scsi_queue_rq+0x2f3/0xb50", "blk_mq_dispatch_rq_list+0x13c/0x800",
        "__blk_mq_sched_dispatch_requests+0x10c/0x160", "blk_mq_sched_dispatch_requests+0x35/0x60",
        "__blk_mq_run_hw_queue+0x34/0x70", "process_one_work+0x228/0x3d0", "worker_thread+0x4d/0x3f0",
        "kthread+0x127/0x150", "ret_from_fork+0x1f/0x30",
    ],
];
const LOCKUP_TRACES: &[&[&str]] = &[
    &[
        "smp_call_function_many_cond+0x11e/0x2e0", "on_each_cpu_cond_mask+0x20/0x30",
        "flush_tlb_mm_range+0x13d/0x170", "change_protection+0x19a/0x3f0", "mprotect_fixup+0x1e6/0x340",
        "do_mprotect_pkey+0x1a5/0x330", "__x64_sys_mprotect+0x1b/0x20", "do_syscall_64+0x5c/0xc0",
        "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "_raw_spin_lock+0x1e/0x30", "xfs_log_force_seq+0x93/0x1b0 [xfs]", "xfs_file_fsync+0x1a1/0x1f0 [xfs]",
        "do_fsync+0x38/0x70", "__x64_sys_fsync+0x10/0x20", "do_syscall_64+0x5c/0xc0",
        "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "native_queued_spin_lock_slowpath+0x17e/0x1d0", "_raw_spin_lock_irqsave+0x3d/0x50",
        "xen_netbk_tx_action+0x8d/0x1a0", "net_rx_action+0x126/0x280", "__do_softirq+0xd9/0x2e3",
        "run_ksoftirqd+0x2b/0x40", "smpboot_thread_fn+0xc7/0x160", "kthread+0x127/0x150",
        "ret_from_fork+0x1f/0x30",
    ],
];
const HUNG_TRACES: &[&[&str]] = &[
    &[
        "__schedule+0x2e3/0x740", "schedule+0x42/0xb0", "io_schedule+0x16/0x40", "bit_wait_io+0x11/0x50",
        "__wait_on_bit+0x33/0xa0", "out_of_line_wait_on_bit+0x8e/0xb0",
        "jbd2_journal_commit_transaction+0x10b2/0x1b40", "kjournald2+0xb6/0x280", "kthread+0x104/0x140",
        "ret_from_fork+0x35/0x40",
    ],
    &[
        "__schedule+0x2e3/0x740", "schedule+0x42/0xb0", "rwsem_down_write_slowpath+0x244/0x4d0",
        "down_write+0x41/0x50", "do_truncate+0x70/0xc0", "path_openat+0x3a1/0x1140",
        "do_filp_open+0xa7/0x150", "do_sys_openat2+0x24a/0x310", "__x64_sys_openat+0x55/0x90",
        "do_syscall_64+0x5c/0xc0", "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
    &[
        "__schedule+0x2e3/0x740", "schedule+0x42/0xb0", "rpc_wait_bit_killable+0x25/0xb0 [sunrpc]",
        "__wait_on_bit+0x33/0xa0", "out_of_line_wait_on_bit+0x8e/0xb0",
        "__rpc_execute+0x11d/0x3c0 [sunrpc]", "rpc_run_task+0x134/0x170 [sunrpc]",
        "nfs4_call_sync_sequence+0x6a/0xa0 [nfsv4]", "_nfs4_proc_getattr+0xca/0xf0 [nfsv4]",
        "nfs4_proc_getattr+0x6e/0xf0 [nfsv4]", "__nfs_revalidate_inode+0x105/0x340 [nfs]",
        "nfs_getattr+0x1d4/0x300 [nfs]", "vfs_statx+0x89/0x110", "__do_sys_newstat+0x39/0x70",
        "do_syscall_64+0x5c/0xc0", "entry_SYSCALL_64_after_hwframe+0x61/0xcb",
    ],
];
const WARN_SITES: &[(&str, &str)] = &[
    ("net/sched/sch_generic.c:477", "dev_watchdog+0x21f/0x230"),
    ("fs/ext4/inode.c:3611", "ext4_da_write_begin+0x1ab/0x310 [ext4]"),
    ("mm/page_alloc.c:5344", "__alloc_pages+0x2e7/0x310"),
    ("fs/xfs/xfs_buf.c:1210", "xfs_buf_ioend+0x1c2/0x3c0 [xfs]"),
    ("block/blk-mq.c:1205", "blk_mq_start_request+0x1cd/0x1e0"),
    ("kernel/workqueue.c:3047", "__flush_work+0x2d9/0x2f0"),
];

// ---------------------------------------------------------------- output

struct Out {
    big: io::BufWriter<File>,
    parts: Option<(PathBuf, usize, usize, io::BufWriter<File>, u64)>,
    part_size: u64,
    buf: String,
    written: u64,
    lines: u64,
}

impl Out {
    /// Ends a record: a part may switch here.
    fn record_boundary(&mut self) -> io::Result<()> {
        if self.buf.len() >= 1 << 20 {
            self.flush()?;
        }
        Ok(())
    }
    fn flush(&mut self) -> io::Result<()> {
        let bytes = self.buf.as_bytes();
        self.big.write_all(bytes)?;
        if let Some((dir, idx, n, w, in_part)) = &mut self.parts {
            w.write_all(bytes)?;
            *in_part += bytes.len() as u64;
            if *in_part >= self.part_size && *idx + 1 < *n {
                w.flush()?;
                *idx += 1;
                *w = io::BufWriter::with_capacity(1 << 20, File::create(dir.join(format!("part-{idx:02}.log")))?);
                *in_part = 0;
            }
        }
        self.written += bytes.len() as u64;
        self.lines += bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        self.buf.clear();
        Ok(())
    }
    fn size(&self) -> u64 {
        self.written + self.buf.len() as u64
    }
}

// ---------------------------------------------------------------- streams

/// How a line is prefixed.
#[derive(Clone)]
enum Prefix {
    /// Serial console of one machine: printk stamp, maybe a caller id.
    Console { callers: bool },
    /// Syslog line of a host, kernel lines with or without printk stamps.
    Syslog { host: &'static str, stamps: bool },
}

struct Machine {
    prefix: Prefix,
    uptime_us: u64,
    kernel: &'static str,
    hardware: &'static str,
    ncpu: u64,
}

struct Gen {
    rng: Rng,
    /// Wall clock, seconds since Jan 1 00:00 (of a non-leap year) * 1000.
    wall_ms: u64,
    out: Out,
    stats: Stats,
}

#[derive(Default)]
struct Stats {
    crashes: u64,
    by_kind: [u64; 6],
    io_error: u64,
    nfs: u64,
    oom: u64,
    squeeze: u64,
    decoys: u64,
}

const KIND_NAMES: [&str; 6] = ["warning", "null_deref", "gpf", "hung_task", "soft_lockup", "list_del_panic"];

impl Gen {
    fn syslog_stamp(&mut self) -> String {
        let secs = self.wall_ms / 1000;
        let mut day = (secs / 86400) % 365;
        let mut m = 0;
        while day >= MDAYS[m] {
            day -= MDAYS[m];
            m += 1;
        }
        let t = secs % 86400;
        format!("{} {:>2} {:02}:{:02}:{:02}", MONTHS[m], day + 1, t / 3600, t / 60 % 60, t % 60)
    }

    /// Writes a kernel line of machine `m` (caller id `caller` if it prints them).
    fn kline(&mut self, m: &mut Machine, caller: &str, text: &str) {
        m.uptime_us += self.rng.below(40_000);
        self.wall_ms += self.rng.below(60);
        let up = m.uptime_us;
        match &m.prefix {
            Prefix::Console { callers } => {
                let _ = write!(self.out.buf, "[{:>5}.{:06}]", up / 1_000_000, up % 1_000_000);
                if *callers {
                    let _ = write!(self.out.buf, "[{caller:>6}]");
                }
                self.out.buf.push(' ');
            }
            Prefix::Syslog { host, stamps } => {
                let st = self.syslog_stamp();
                let _ = write!(self.out.buf, "{st} {host} kernel: ");
                if *stamps {
                    let _ = write!(self.out.buf, "[{:>5}.{:06}] ", up / 1_000_000, up % 1_000_000);
                }
            }
        }
        self.out.buf.push_str(text);
        self.out.buf.push('\n');
    }

    /// A user-space syslog line of `host`.
    fn pline(&mut self, host: &str, prog: &str, pid: Option<u64>, text: &str) {
        self.wall_ms += self.rng.below(400);
        let st = self.syslog_stamp();
        match pid {
            Some(p) => {
                let _ = writeln!(self.out.buf, "{st} {host} {prog}[{p}]: {text}");
            }
            None => {
                let _ = writeln!(self.out.buf, "{st} {host} {prog}: {text}");
            }
        }
    }

    fn task_caller(&mut self) -> String {
        format!("T{}", self.rng.range(1, 40000))
    }

    // ------------------------------------------------------------ noise

    /// One ordinary kernel message.
    fn kernel_text(&mut self, m: &Machine) -> String {
        let r = &mut self.rng;
        let nic = r.pick(NICS);
        let disk = r.pick(DISKS);
        match r.below(30) {
            0 | 1 | 2 => format!(
                "audit: type=1400 audit({}.{:03}:{}): avc:  denied  {{ {} }} for  pid={} comm=\"{}\" name=\"{}\" dev=\"{}\" ino={} scontext=system_u:system_r:{}:s0 tcontext=unconfined_u:object_r:{}:s0 tclass={} permissive={}",
                1_700_000_000 + r.below(9_000_000), r.below(1000), r.range(100, 99999), r.pick(PERMS),
                r.range(300, 65000), r.pick(COMMS), r.pick(FILES), disk, r.range(1000, 9_999_999),
                r.pick(SEL_TYPES), r.pick(SEL_TARGETS), r.pick(TCLASS), r.below(2)
            ),
            3 | 4 => format!(
                "audit: type={} audit({}.{:03}:{}): pid=1 uid=0 auid=4294967295 ses=4294967295 subj=system_u:system_r:init_t:s0 msg='unit={} comm=\"systemd\" exe=\"/usr/lib/systemd/systemd\" hostname=? addr=? terminal=? res=success'",
                r.pick(&["1130", "1131"]), 1_700_000_000 + r.below(9_000_000), r.below(1000),
                r.range(100, 99999), r.pick(UNITS).trim_end_matches(".service")
            ),
            5 | 6 | 7 => format!(
                "[UFW BLOCK] IN={nic} OUT= MAC=52:54:00:{:02x}:{:02x}:{:02x}:fa:16:3e:{:02x}:{:02x}:{:02x}:08:00 SRC={}.{}.{}.{} DST=10.{}.{}.{} LEN={} TOS=0x00 PREC=0x00 TTL={} ID={} {}PROTO=TCP SPT={} DPT={} WINDOW={} RES=0x00 SYN URGP=0",
                r.below(256), r.below(256), r.below(256), r.below(256), r.below(256), r.below(256),
                r.range(1, 223), r.below(256), r.below(256), r.range(1, 254), r.below(256), r.below(256),
                r.range(1, 254), r.pick(&["40", "44", "52", "60"]), r.range(30, 250), r.below(65536),
                r.pick(&["DF ", ""]), r.range(1024, 65535), r.pick(&["22", "23", "80", "443", "3389", "5432", "6379", "8080"]),
                r.pick(&["1024", "29200", "64240", "65535"])
            ),
            8 => format!("{nic}: NIC Link is Up {} Mbps Full Duplex, Flow Control: {}", r.pick(&["1000", "10000", "25000"]), r.pick(&["RX", "RX/TX", "None"])),
            9 => format!("e1000e 0000:00:{:02x}.0 {nic}: NIC Link is Down", r.range(0x10, 0x1f)),
            10 => format!("IPv6: ADDRCONF(NETDEV_CHANGE): {nic}: link becomes ready"),
            // Mounts happen at boot and now and then, not every minute.
            11 if r.below(12) == 0 => format!(
                "EXT4-fs ({disk}{}): mounted filesystem {}with ordered data mode. Quota mode: none.",
                r.pick(&["1", "2", "p1", ""]), r.pick(&["", "c1a2e3f4-5b6c-4d7e-8f90-a1b2c3d4e5f6 r/w "])
            ),
            11 => format!("loop{}: detected capacity change from 0 to {}", r.below(40), r.range(1000, 9_000_000)),
            12 => format!(
                "usb {}-{}: new {}-speed USB device number {} using {}",
                r.range(1, 4), r.range(1, 8), r.pick(&["high", "full", "super"]), r.range(2, 30), r.pick(&["xhci_hcd", "ehci-pci", "uhci_hcd"])
            ),
            13 => format!(
                "usb {}-{}: New USB device found, idVendor={:04x}, idProduct={:04x}, bcdDevice= {}.{:02}",
                r.range(1, 4), r.range(1, 8), r.below(0xffff), r.below(0xffff), r.range(0, 9), r.below(100)
            ),
            14 => {
                let h = r.below(4);
                let t = r.below(2);
                match r.below(4) {
                    0 => format!("sd {h}:0:{t}:0: [{}] {} 512-byte logical blocks: ({} GB/{} GiB)", disk, r.range(1, 9999) * 2097152, r.range(10, 4000), r.range(10, 3700)),
                    1 => format!("sd {h}:0:{t}:0: [{}] Write Protect is off", disk),
                    2 => format!("sd {h}:0:{t}:0: Attached scsi generic sg{} type 0", r.below(8)),
                    _ => format!("sd {h}:0:{t}:0: [{}] Attached SCSI disk", disk),
                }
            }
            15 => format!("{}: port {}({}) entered {} state", r.pick(&["br0", "docker0", "xenbr0", "cni0", "virbr0"]), r.range(1, 30), format_args!("veth{}", r.hex(7)), r.pick(&["blocking", "forwarding", "disabled"])),
            16 => format!("device vif{}.{} entered promiscuous mode", r.range(1, 300), r.below(2)),
            17 => format!("perf: interrupt took too long ({} > {}), lowering kernel.perf_event_max_sample_rate to {}", r.range(2501, 9000), 2500, r.range(20000, 79750)),
            18 => format!("TCP: request_sock_TCP: Possible SYN flooding on port {}. Sending cookies.  Check SNMP counters.", r.pick(&["80", "443", "8080", "5432"])),
            19 if r.below(12) == 0 => format!("XFS ({disk}): {}", r.pick(&["Mounting V5 Filesystem", "Ending clean mount", "Unmounting Filesystem", "Quotacheck: Done."])),
            20 => format!("systemd[1]: {}", { let u = r.pick(UNITS); match r.below(3) { 0 => format!("Started {}.", r.pick(UNIT_DESC)), 1 => format!("{u}: Succeeded."), _ => format!("{u}: Deactivated successfully.") } }),
            21 => format!("nf_conntrack: default automatic helper assignment has been turned off for security reasons and CT-based  firewall rule not found. Use the iptables CT target to attach helpers instead."),
            19 => format!("overlayfs: fs on '/var/lib/docker/overlay2/l/{}' does not support file handles, falling back to xino=off.", r.hex(16).to_uppercase()),
            22 => format!(
                "audit: type=1300 audit({}.{:03}:{}): arch=c000003e syscall={} success={} exit={} a0={} a1={} a2=0 a3=0 items=1 ppid={} pid={} auid={} uid=0 gid=0 euid=0 suid=0 fsuid=0 egid=0 sgid=0 fsgid=0 tty=(none) ses={} comm=\"{}\" exe=\"/usr/bin/{}\" subj=unconfined key=\"{}\"",
                1_700_000_000 + r.below(9_000_000), r.below(1000), r.range(100, 99999), r.pick(&["59", "2", "257", "42", "82"]),
                r.pick(&["yes", "no"]), r.pick(&["0", "-2", "-13", "3"]), r.hex(12), r.hex(12), r.range(1, 65000), r.range(300, 65000),
                r.range(1000, 1010), r.range(1, 9000), r.pick(COMMS).split('/').next().unwrap_or("sh"), r.pick(&["bash", "python3", "curl", "sudo", "rm"]),
                r.pick(&["exec", "identity", "perm_mod", "delete", "access"])
            ),
            23 => format!("bond0: (slave {nic}): link status definitely {}, {} Mbps full duplex", r.pick(&["up", "down"]), r.pick(&["1000", "10000", "25000"])),
            24 => format!("ata{}: SATA link up {} Gbps (SStatus 133 SControl 300)", r.range(1, 8), r.pick(&["1.5", "3.0", "6.0"])),
            25 => format!("kvm [{}]: vcpu{}, guest rIP: 0x{} unhandled rdmsr: 0x{:x}", r.range(1000, 60000), r.below(m.ncpu), r.hex(12), r.range(0x30, 0x1ff)),
            26 => format!("docker0: port {}(veth{}) entered disabled state", r.range(1, 40), r.hex(7)),
            27 => format!("xen-blkback: backend/vbd/{}/{}: using {} queues, protocol 1 (x86_64-abi) persistent grants", r.range(1, 400), r.pick(&["51712", "51728", "768"]), r.range(1, 4)),
            28 => format!("cgroup: fork rejected by pids controller in /kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice", r.hex(12)),
            _ => format!("{}: renamed from {}", nic, r.pick(&["eth0", "eth1", "veth0"])),
        }
    }

    /// A boot: the first lines a console sees.
    fn boot(&mut self, m: &mut Machine) {
        m.uptime_us = 0;
        let k = m.kernel;
        let r = &mut self.rng;
        let mem = r.range(2, 256) * 1024 * 1024;
        let cpus = m.ncpu;
        let lines = [
            format!("Linux version {} (buildd@lcy02-amd64-{:03}) (gcc (Ubuntu 11.4.0-1ubuntu1~22.04) 11.4.0, GNU ld (GNU Binutils for Ubuntu) 2.38) SMP Tue Nov 14 13:30:08 UTC 2023", k.split(' ').next().unwrap_or(k), r.below(100)),
            format!("Command line: BOOT_IMAGE=/boot/vmlinuz-{} root=UUID={}-{}-4{}-8{}-{} ro console=ttyS0,115200n8 net.ifnames=0", k.split(' ').next().unwrap_or(k), r.hex(8), r.hex(4), r.hex(3), r.hex(3), r.hex(12)),
            "x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'".to_string(),
            "x86/fpu: Supporting XSAVE feature 0x002: 'SSE registers'".to_string(),
            "BIOS-provided physical RAM map:".to_string(),
            "BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable".to_string(),
            format!("BIOS-e820: [mem 0x0000000000100000-0x{:016x}] usable", mem * 1024 - 1),
            "NX (Execute Disable) protection: active".to_string(),
            format!("DMI: {}", m.hardware),
            "Hypervisor detected: KVM".to_string(),
            format!("tsc: Detected {}.{:03} MHz processor", r.range(2000, 3600), r.below(1000)),
            format!("Memory: {}K/{}K available ({}K kernel code, {}K rwdata, {}K rodata, {}K init, {}K bss, {}K reserved, 0K cma-reserved)", mem - r.range(100_000, 400_000), mem, r.range(12000, 18000), r.range(2000, 5000), r.range(5000, 9000), r.range(2000, 4000), r.range(1000, 5000), r.range(100_000, 400_000)),
            format!("smp: Brought up 1 node, {cpus} CPUs"),
            format!("smpboot: Max logical packages: {}", r.range(1, 2)),
            "clocksource: Switched to clocksource kvm-clock".to_string(),
            "NET: Registered PF_INET protocol family".to_string(),
            "Freeing unused kernel image (initmem) memory: 3228K".to_string(),
            "Run /init as init process".to_string(),
            "random: crng init done".to_string(),
            "systemd[1]: systemd 249.11-0ubuntu3.11 running in system mode (+PAM +AUDIT +SELINUX +APPARMOR +IMA +SMACK +SECCOMP +GCRYPT +GNUTLS +OPENSSL +ACL +BLKID +CURL +ELFUTILS)".to_string(),
            "systemd[1]: Detected virtualization kvm.".to_string(),
            "EXT4-fs (vda1): mounted filesystem with ordered data mode. Quota mode: none.".to_string(),
        ];
        for l in lines {
            let c = format!("T{}", self.rng.range(0, 1));
            self.kline(m, &c, &l);
        }
    }

    /// One line of syslog noise from `host` (kernel or a program).
    fn syslog_noise(&mut self, m: &mut Machine) {
        let Prefix::Syslog { host, .. } = m.prefix else { unreachable!() };
        let sel = self.rng.below(20);
        if sel < 6 {
            let t = self.kernel_text(m);
            self.kline(m, "", &t);
            return;
        }
        let r = &mut self.rng;
        let pid = r.range(300, 65000);
        let user = r.pick(USERS);
        let ip = format!("{}.{}.{}.{}", r.pick(&["10", "172", "192", "203", "198"]), r.below(256), r.below(256), r.range(1, 254));
        let port = r.range(1024, 65535);
        let (prog, pid, text) = match sel {
            6 => ("sshd", Some(pid), format!("Accepted publickey for {user} from {ip} port {port} ssh2: RSA SHA256:{}", r.hex(16))),
            7 => ("sshd", Some(pid), format!("pam_unix(sshd:session): session {} for user {user}{}", if port % 2 == 0 { "opened" } else { "closed" }, if port % 2 == 0 { " by (uid=0)" } else { "" })),
            8 => ("sshd", Some(pid), format!("{} {ip} port {port}{}", r.pick(&["Invalid user admin from", "Connection closed by authenticating user root", "Disconnected from invalid user oracle", "Received disconnect from"]), r.pick(&[" [preauth]", ""]))),
            9 => ("CRON", Some(pid), format!("({user}) CMD ({})", r.pick(&["command -v debian-sa1 > /dev/null && debian-sa1 1 1", "   cd / && run-parts --report /etc/cron.hourly", "/usr/local/bin/backup.sh >/dev/null 2>&1", "[ -x /usr/lib/php/sessionclean ] && /usr/lib/php/sessionclean"]))),
            10 => ("CRON", Some(pid), format!("pam_unix(cron:session): session {} for user {user}", r.pick(&["opened", "closed"]))),
            11 | 12 => {
                let u = r.pick(UNITS);
                let d = r.pick(UNIT_DESC);
                let n = r.range(1, 99999);
                let t = match r.below(6) {
                    0 => format!("Starting {d}..."),
                    1 => format!("Started {d}."),
                    2 => format!("{u}: Deactivated successfully."),
                    3 => format!("Started Session {n} of User {user}."),
                    4 => format!("session-{n}.scope: Succeeded."),
                    _ => format!("Finished {d}."),
                };
                ("systemd", Some(1), t)
            }
            13 => ("systemd-logind", Some(pid), format!("{} {}.", r.pick(&["New session", "Removed session"]), r.range(1, 99999))),
            14 => ("dhclient", Some(pid), format!("DHCPREQUEST for 10.{}.{}.{} on {} to 10.0.0.1 port 67", r.below(256), r.below(256), r.range(2, 254), r.pick(NICS))),
            15 => ("postfix/smtpd", Some(pid), format!("{} from unknown[{ip}]", r.pick(&["connect", "disconnect", "lost connection after EHLO"]))),
            16 => ("dockerd", Some(pid), format!("time=\"2023-11-{:02}T{:02}:{:02}:{:02}.{:09}Z\" level=info msg=\"ignoring event\" container={}{} module=libcontainerd namespace=moby topic=/tasks/delete type=\"*events.TaskDelete\"", r.range(1, 30), r.below(24), r.below(60), r.below(60), r.below(1_000_000_000), r.hex(16), r.hex(16))),
            17 => ("kubelet", Some(pid), format!("I1120 {:02}:{:02}:{:02}.{:06} {:>7} kubelet.go:{}] \"SyncLoop (PLEG): event for pod\" pod=\"default/web-{}-{}\" event={{ID:{} Type:ContainerStarted}}", r.below(24), r.below(60), r.below(60), r.below(1_000_000), pid, r.range(1000, 2500), r.hex(8), r.hex(5), r.hex(12))),
            18 => ("chronyd", Some(pid), format!("Selected source {}", r.pick(&["169.254.169.123", "10.0.0.1", "162.159.200.1", "ntp.ubuntu.com"]))),
            _ => ("snmpd", Some(pid), format!("Connection from UDP: [10.0.{}.{}]:{}->[10.0.0.5]:161", r.below(256), r.range(1, 254), port)),
        };
        self.pline(host, prog, pid, &text);
    }

    // ------------------------------------------------------------ crashes

    fn regs(&mut self) -> Vec<String> {
        let r = &mut self.rng;
        vec![
            format!("RSP: 0018:ffffb3c0{:08x} EFLAGS: 000102{:02x}", r.below(0xffff_ffff) & !7, r.below(256) & 0x46),
            format!("RAX: {} RBX: {} RCX: {}", r.hex(16), r.heap(), r.hex(16)),
            format!("RDX: 0000000000000000 RSI: {} RDI: {}", r.heap(), r.heap()),
            format!("RBP: ffffb3c0{:08x} R08: {} R09: {}", r.below(0xffff_ffff), r.hex(16), r.hex(16)),
            format!("R10: {} R11: {} R12: {}", r.hex(16), r.hex(16), r.heap()),
            format!("R13: {} R14: 0000000000000000 R15: {}", r.heap(), r.heap()),
            format!("FS:  00007f{} GS:ffff8881{} knlGS:0000000000000000", r.hex(10), r.hex(8)),
            "CS:  0010 DS: 0000 ES: 0000 CR0: 0000000080050033".to_string(),
            format!("CR2: {} CR3: 0000000{}00{} CR4: 00000000003706e0", r.hex(16), r.hex(6), r.hex(1)),
        ]
    }

    fn head(&mut self, m: &Machine, comm: &str, pid: u64, taint: &str) -> Vec<String> {
        vec![
            format!("Modules linked in: {}", self.rng.pick(MODULES)),
            format!("CPU: {} PID: {pid} Comm: {comm} {taint} {}", self.rng.below(m.ncpu), m.kernel),
            format!("Hardware name: {}", m.hardware),
        ]
    }

    fn code(&mut self) -> String {
        let mut s = String::from("Code:");
        for i in 0..42 {
            if i == 21 {
                let _ = write!(s, " <{}>", self.rng.hex(2));
            } else {
                let _ = write!(s, " {}", self.rng.hex(2));
            }
        }
        s
    }

    /// Writes a crash's lines, interleaving other hosts' chatter in syslog.
    fn emit_crash(&mut self, m: &mut Machine, others: &mut [Machine], caller: &str, lines: &[String]) {
        for l in lines {
            self.kline(m, caller, l);
            if !others.is_empty() && self.rng.chance(15) {
                let i = self.rng.below(others.len() as u64) as usize;
                self.syslog_noise(&mut others[i]);
            }
        }
    }

    /// Sprinkles one crash; returns true if the machine panicked.
    fn crash(&mut self, m: &mut Machine, others: &mut [Machine]) -> bool {
        let kind = self.rng.below(6) as usize;
        let comm = self.rng.pick(COMMS).to_string();
        let pid = self.rng.range(2, 99999);
        let caller = self.task_caller();
        let mut n_reports = 1;
        let mut panicked = false;
        let mut lines: Vec<String> = Vec::new();
        let mut caller_used = caller.clone();
        match kind {
            0 => {
                let (site, func) = WARN_SITES[self.rng.below(WARN_SITES.len() as u64) as usize];
                let trace = TRACES[self.rng.below(TRACES.len() as u64) as usize];
                lines.push("------------[ cut here ]------------".into());
                if site.starts_with("net/sched") {
                    lines.push(format!("NETDEV WATCHDOG: {} ({}): transmit queue {} timed out", self.rng.pick(NICS), self.rng.pick(&["e1000e", "ixgbe", "virtio_net", "mlx5_core"]), self.rng.below(8)));
                }
                lines.push(format!("WARNING: CPU: {} PID: {pid} at {site} {func}", self.rng.below(m.ncpu)));
                lines.extend(self.head(m, &comm, pid, "Not tainted"));
                if comm.starts_with("kworker") {
                    lines.push("Workqueue: events_power_efficient neigh_periodic_work".into());
                }
                lines.push(format!("RIP: 0010:{func}"));
                lines.push(self.code());
                lines.extend(self.regs());
                lines.push("Call Trace:".into());
                lines.push(" <TASK>".into());
                for f in trace.iter().skip(1) {
                    lines.push(format!(" {f}"));
                }
                lines.push(" </TASK>".into());
                lines.push(format!("---[ end trace {} ]---", self.rng.hex(16)));
            }
            1 => {
                let trace = TRACES[1 + self.rng.below(TRACES.len() as u64 - 1) as usize];
                let off = [0x8u64, 0x10, 0x18, 0x30, 0x68, 0x0][self.rng.below(6) as usize];
                lines.push(format!("BUG: unable to handle kernel NULL pointer dereference at {off:016x}"));
                lines.push(format!("IP: {}", trace[0]));
                lines.push(format!("PGD {} P4D {} ", self.rng.hex(9), self.rng.hex(9)));
                lines.push(format!("Oops: 0000 [#1] SMP PTI"));
                lines.extend(self.head(m, &comm, pid, "Not tainted"));
                lines.push(format!("RIP: 0010:{}", trace[0]));
                lines.extend(self.regs());
                lines.push("Call Trace:".into());
                for f in trace.iter().skip(1) {
                    lines.push(format!(" {f}"));
                }
                lines.push(format!("RIP: 0033:0x7f{}", self.rng.hex(10)));
                lines.push(self.code());
                lines.push(format!("---[ end trace {} ]---", self.rng.hex(16)));
            }
            2 => {
                let trace = TRACES[2 + self.rng.below(TRACES.len() as u64 - 2) as usize];
                lines.push(format!("general protection fault, probably for non-canonical address 0x{}: 0000 [#1] SMP NOPTI", self.rng.hex(16)));
                lines.extend(self.head(m, &comm, pid, "Tainted: G           OE"));
                lines.push(format!("RIP: 0010:{}", trace[0]));
                lines.push(self.code());
                lines.extend(self.regs());
                lines.push("Call Trace:".into());
                for f in trace.iter().skip(1) {
                    lines.push(format!(" {f}"));
                }
                lines.push(format!("---[ end trace {} ]---", self.rng.hex(16)));
            }
            3 => {
                // khungtaskd prints it; sometimes for two tasks.
                caller_used = format!("T{}", self.rng.range(30, 120));
                n_reports = if self.rng.chance(30) { 2 } else { 1 };
                for _ in 0..n_reports {
                    let trace = HUNG_TRACES[self.rng.below(HUNG_TRACES.len() as u64) as usize];
                    let tcomm = self.rng.pick(&["jbd2/sda1-8", "java", "postgres", "kworker/u16:3", "rsync", "nfsd", "tar"]);
                    let tpid = self.rng.range(100, 99999);
                    let secs = [120u64, 241, 362, 483][self.rng.below(4) as usize];
                    lines.push(format!("INFO: task {tcomm}:{tpid} blocked for more than {secs} seconds."));
                    lines.push(format!("      Not tainted {}", m.kernel));
                    lines.push("\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.".into());
                    lines.push(format!("task:{tcomm:<15} state:D stack:    0 pid:{tpid:>5} ppid:     2 flags:0x00004000"));
                    lines.push("Call Trace:".into());
                    for f in trace {
                        lines.push(format!(" {f}"));
                    }
                }
            }
            4 => {
                let trace = LOCKUP_TRACES[self.rng.below(LOCKUP_TRACES.len() as u64) as usize];
                let cpu = self.rng.below(m.ncpu);
                caller_used = format!("C{cpu}");
                lines.push(format!("watchdog: BUG: soft lockup - CPU#{cpu} stuck for {}s! [{comm}:{pid}]", self.rng.range(22, 67)));
                lines.extend(self.head(m, &comm, pid, "Tainted: G             L"));
                lines.push(format!("RIP: 0010:{}", trace[0]));
                lines.push(self.code());
                lines.extend(self.regs());
                lines.push("Call Trace:".into());
                lines.push(" <TASK>".into());
                for f in trace.iter().skip(1) {
                    lines.push(format!(" {f}"));
                }
                lines.push(" </TASK>".into());
            }
            _ => {
                panicked = true;
                let a = self.rng.heap();
                let b = self.rng.heap();
                let rip = self.rng.kaddr();
                let k = "2.6.32-431.29.2.el6.x86_64 #1";
                lines.push(format!("list_del corruption. prev->next should be {a}, but was {b}"));
                lines.push("------------[ cut here ]------------".into());
                lines.push("kernel BUG at lib/list_debug.c:53!".into());
                lines.push("invalid opcode: 0000 [#1] SMP ".into());
                lines.push(format!("last sysfs file: /sys/devices/vif-{}-0/net/vif{}.0/statistics/rx_bytes", self.rng.range(1, 300), self.rng.range(1, 300)));
                lines.push(format!("CPU {}", self.rng.below(m.ncpu)));
                lines.push("Modules linked in: xen_netback xen_blkback xen_gntdev xen_evtchn xenfs bridge stp llc bonding ipv6 ext3 jbd dm_mirror dm_region_hash dm_log dm_mod".into());
                lines.push("".into());
                lines.push(format!("Pid: {pid}, comm: {comm} Not tainted {k} {}", m.hardware.split(',').next().unwrap_or("")));
                lines.push(format!("RIP: e030:[<{rip}>]  [<{rip}>] list_del+0x8c/0xa0"));
                lines.push(format!("RSP: e02b:{}  EFLAGS: 00010082", self.rng.heap()));
                lines.push(format!("RAX: 0000000000000058 RBX: {} RCX: 0000000000000000", self.rng.heap()));
                lines.push(format!("RDX: 0000000000000000 RSI: 0000000000000046 RDI: 0000000000000009"));
                lines.push(format!("Process {comm} (pid: {pid}, threadinfo {}, task {})", self.rng.heap(), self.rng.heap()));
                lines.push("Stack:".into());
                lines.push(format!(" {} {} {} {}", self.rng.heap(), self.rng.kaddr(), self.rng.heap(), self.rng.heap()));
                lines.push("Call Trace:".into());
                for f in ["free_block+0xc4/0x170", "drain_array+0xc1/0x100", "cache_reap+0x8e/0x250", "worker_thread+0x170/0x2a0", "kthread+0x96/0xa0", "child_rip+0xa/0x20"] {
                    let ad = self.rng.kaddr();
                    lines.push(format!(" [<{ad}>] {f}"));
                }
                lines.push(self.code());
                lines.push(format!("RIP  [<{rip}>] list_del+0x8c/0xa0"));
                lines.push(format!(" RSP <{}>", self.rng.heap()));
                lines.push(format!("---[ end trace {} ]---", self.rng.hex(16)));
                lines.push("Kernel panic - not syncing: Fatal exception".into());
                lines.push(format!("Pid: {pid}, comm: {comm} Tainted: G      D    ---------------    {k}"));
                lines.push("Call Trace:".into());
                for f in ["? panic+0xa7/0x16f", "? oops_end+0xe4/0x100", "? die+0x5b/0x90", "? do_trap+0xc4/0x160", "? do_invalid_op+0x95/0xb0", "? list_del+0x8c/0xa0", "? invalid_op+0x1b/0x20"] {
                    let ad = self.rng.kaddr();
                    lines.push(format!(" [<{ad}>] {f}"));
                }
            }
        }
        let caller_used = if matches!(m.prefix, Prefix::Console { callers: true }) { caller_used } else { caller };
        self.emit_crash(m, others, &caller_used, &lines);
        self.stats.crashes += n_reports;
        self.stats.by_kind[kind] += n_reports;
        panicked
    }

    // ------------------------------------------------------------ events

    fn event(&mut self, m: &mut Machine, others: &mut [Machine]) {
        let caller = self.task_caller();
        let mut lines: Vec<String> = Vec::new();
        match self.rng.below(4) {
            0 => {
                let disk = self.rng.pick(&["sda", "sdb", "sdc", "vdb"]);
                let n = self.rng.range(1, 4);
                let mut sector = self.rng.range(1000, 900_000_000);
                for _ in 0..n {
                    lines.push(format!("blk_update_request: I/O error, dev {disk}, sector {sector} op 0x1:(WRITE) flags 0x800 phys_seg {} prio class 0", self.rng.range(1, 32)));
                    sector += self.rng.range(8, 4096);
                }
                lines.push(format!("Buffer I/O error on dev {disk}1, logical block {}, lost async page write", sector / 8));
                self.stats.io_error += n + 1;
            }
            1 => {
                lines.push(format!("nfs: server {} not responding, still trying", self.rng.pick(&["filer01", "filer02", "nas-b.example.com", "10.0.4.20"])));
                self.stats.nfs += 1;
            }
            2 => {
                let comm = self.rng.pick(&["java", "mysqld", "node", "beam.smp", "python3", "chrome"]);
                let pid = self.rng.range(300, 99999);
                let trace = ["dump_stack_lvl+0x4a/0x63", "dump_header+0x4a/0x1f4", "oom_kill_process.cold+0xb/0x10", "out_of_memory+0x1bd/0x4e0", "__alloc_pages_slowpath.constprop.0+0xbcc/0xc90", "__alloc_pages+0x2e7/0x310", "pagecache_get_page+0x18a/0x490", "filemap_fault+0x6ea/0xa30", "__do_fault+0x3c/0x130", "handle_mm_fault+0xdb/0x2c0", "exc_page_fault+0x77/0x170", "asm_exc_page_fault+0x1e/0x30"];
                lines.push(format!("{comm} invoked oom-killer: gfp_mask=0x1100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0"));
                lines.push(format!("CPU: {} PID: {pid} Comm: {comm} Not tainted {}", self.rng.below(m.ncpu), m.kernel));
                lines.push(format!("Hardware name: {}", m.hardware));
                lines.push("Call Trace:".into());
                lines.push(" <TASK>".into());
                for f in trace {
                    lines.push(format!(" {f}"));
                }
                lines.push(" </TASK>".into());
                lines.push("Mem-Info:".into());
                lines.push(format!("active_anon:{} inactive_anon:{} isolated_anon:0", self.rng.range(100000, 4000000), self.rng.range(1000, 90000)));
                lines.push(format!("oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/{comm}.service,task={comm},pid={pid},uid={}", self.rng.range(0, 2000)));
                lines.push(format!("Out of memory: Killed process {pid} ({comm}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, shmem-rss:0kB, UID:{} pgtables:{}kB oom_score_adj:0", self.rng.range(1_000_000, 90_000_000), self.rng.range(500_000, 60_000_000), self.rng.range(0, 2000), self.rng.range(1000, 200_000)));
                self.stats.oom += 1;
            }
            _ => {
                lines.push("xen_net: Memory squeeze in netback driver.".into());
                self.stats.squeeze += 1;
            }
        }
        self.emit_crash(m, others, &caller, &lines);
    }

    /// A line that says WARNING:/INFO:/BUG: but is no kernel crash.
    fn decoy(&mut self, m: &mut Machine) {
        self.stats.decoys += 1;
        match &m.prefix {
            Prefix::Syslog { host, .. } => {
                let host = *host;
                let pid = self.rng.range(300, 65000);
                match self.rng.below(3) {
                    0 => self.pline(host, "sshd", Some(pid), "WARNING: /etc/ssh/moduli does not exist, using fixed modulus"),
                    1 => {
                        let t = format!("WARNING:root:retrying connection to 10.0.{}.{}:5432 (attempt {})", self.rng.below(256), self.rng.range(1, 254), self.rng.range(1, 9));
                        self.pline(host, "python3", Some(pid), &t)
                    }
                    _ => {
                        let t = format!("INFO: [{}] job {} finished, BUG: none", self.rng.hex(6), self.rng.range(1, 99999));
                        self.pline(host, "backup-agent", Some(pid), &t)
                    }
                }
            }
            Prefix::Console { .. } => {
                let c = self.task_caller();
                let t = if self.rng.chance(50) {
                    "WARNING: Unprivileged eBPF is enabled with eIBRS, data leaks possible via Spectre v2 BHB attacks!".to_string()
                } else {
                    format!("INFO: NMI handler (perf_event_nmi_handler) took too long to run: {}.{:03} msecs", self.rng.range(1, 9), self.rng.below(1000))
                };
                self.kline(m, &c, &t);
            }
        }
    }
}

// ---------------------------------------------------------------- main

fn main() -> io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut out_path: Option<PathBuf> = None;
    let mut size_mb: u64 = 1024;
    let mut seed: u64 = 20231120;
    let mut parts_dir: Option<PathBuf> = None;
    let mut nparts: usize = 16;
    let mut quiet = false;
    let mut i = 1;
    while i < args.len() {
        let v = args.get(i + 1).cloned().unwrap_or_default();
        match args[i].as_str() {
            "--out" => out_path = Some(PathBuf::from(v)),
            "--size-mb" => size_mb = v.parse().expect("--size-mb N"),
            "--seed" => seed = v.parse().expect("--seed N"),
            "--parts" => parts_dir = Some(PathBuf::from(v)),
            "--nparts" => nparts = v.parse().expect("--nparts N"),
            "--quiet" => {
                quiet = true;
                i += 1;
                continue;
            }
            other => {
                eprintln!("gen-noise: unknown argument {other}");
                std::process::exit(2);
            }
        }
        i += 2;
    }
    let Some(out_path) = out_path else {
        eprintln!("usage: gen-noise --out FILE --size-mb N [--seed S] [--parts DIR --nparts K] [--quiet]");
        std::process::exit(2);
    };
    let target = size_mb << 20;
    let parts = match parts_dir {
        Some(dir) => {
            if dir.exists() {
                fs::remove_dir_all(&dir)?;
            }
            fs::create_dir_all(&dir)?;
            let w = io::BufWriter::with_capacity(1 << 20, File::create(dir.join("part-00.log"))?);
            Some((dir, 0usize, nparts, w, 0u64))
        }
        None => None,
    };
    let mut g = Gen {
        rng: Rng(seed),
        wall_ms: (323 * 86400 + 22 * 3600) * 1000, // Nov 20 22:00
        out: Out {
            big: io::BufWriter::with_capacity(1 << 20, File::create(&out_path)?),
            parts,
            part_size: target / nparts as u64,
            buf: String::with_capacity(2 << 20),
            written: 0,
            lines: 0,
        },
        stats: Stats::default(),
    };

    let mut next_crash: u64 = g.rng.range(256 << 10, 2 << 20);
    let mut next_event: u64 = g.rng.range(64 << 10, 512 << 10);
    let mut next_decoy: u64 = g.rng.range(256 << 10, 1536 << 10);
    if quiet {
        // Noise only: nothing any report header or event marker matches.
        next_crash = u64::MAX;
        next_event = u64::MAX;
        next_decoy = u64::MAX;
    }
    let mut console_no = 0u64;
    while g.out.size() < target {
        // One segment.
        let seg_end = g.out.size() + g.rng.range(256 << 10, 8 << 20);
        if g.rng.chance(40) {
            console_no += 1;
            let mut m = Machine {
                prefix: Prefix::Console { callers: g.rng.chance(35) },
                uptime_us: 0,
                kernel: g.rng.pick(KERNELS),
                hardware: g.rng.pick(HARDWARE),
                ncpu: [2u64, 4, 8, 16, 32, 64][g.rng.below(6) as usize],
            };
            if g.rng.chance(50) {
                g.boot(&mut m);
            } else {
                m.uptime_us = g.rng.range(1, 90 * 86400) * 1_000_000;
            }
            let callers: Vec<String> = (0..12).map(|_| g.task_caller()).collect();
            while g.out.size() < seg_end.min(target) {
                let at = g.out.size();
                if at >= next_crash {
                    next_crash = at.saturating_add(g.rng.range(1 << 20, 3 << 20));
                    let panicked = g.crash(&mut m, &mut []);
                    g.out.record_boundary()?;
                    if panicked {
                        break; // the machine reboots: a new segment
                    }
                    continue;
                }
                if at >= next_event {
                    next_event = at + g.rng.range(128 << 10, 640 << 10);
                    g.event(&mut m, &mut []);
                    g.out.record_boundary()?;
                    continue;
                }
                if at >= next_decoy {
                    next_decoy = at + g.rng.range(512 << 10, 2 << 20);
                    g.decoy(&mut m);
                }
                for _ in 0..16 {
                    let c = callers[g.rng.below(callers.len() as u64) as usize].clone();
                    let t = g.kernel_text(&m);
                    g.kline(&mut m, &c, &t);
                }
                g.out.record_boundary()?;
            }
        } else {
            let nhosts = g.rng.range(3, 8) as usize;
            let mut ms: Vec<Machine> = (0..nhosts)
                .map(|_| Machine {
                    prefix: Prefix::Syslog { host: g.rng.pick(HOSTS), stamps: g.rng.chance(60) },
                    uptime_us: g.rng.range(1, 200 * 86400) * 1_000_000,
                    kernel: g.rng.pick(KERNELS),
                    hardware: g.rng.pick(HARDWARE),
                    ncpu: [2u64, 4, 8, 16, 32, 64][g.rng.below(6) as usize],
                })
                .collect();
            // Two machines of one segment must not share a host name.
            ms.sort_by_key(|m| match m.prefix { Prefix::Syslog { host, .. } => host, _ => "" });
            ms.dedup_by_key(|m| match m.prefix { Prefix::Syslog { host, .. } => host, _ => "" });
            while g.out.size() < seg_end.min(target) {
                let at = g.out.size();
                let k = g.rng.below(ms.len() as u64) as usize;
                let mut m = ms.swap_remove(k);
                if at >= next_crash {
                    next_crash = at.saturating_add(g.rng.range(1 << 20, 3 << 20));
                    g.crash(&mut m, &mut ms);
                } else if at >= next_event {
                    next_event = at + g.rng.range(128 << 10, 640 << 10);
                    g.event(&mut m, &mut ms);
                } else {
                    if at >= next_decoy {
                        next_decoy = at + g.rng.range(512 << 10, 2 << 20);
                        g.decoy(&mut m);
                    }
                    for _ in 0..16 {
                        let j = g.rng.below(ms.len() as u64 + 1) as usize;
                        if j == ms.len() {
                            g.syslog_noise(&mut m);
                        } else {
                            g.syslog_noise(&mut ms[j]);
                        }
                    }
                }
                ms.push(m);
                let last = ms.len() - 1;
                ms.swap(k.min(last), last);
                g.out.record_boundary()?;
            }
        }
    }
    g.out.flush()?;
    g.out.big.flush()?;
    if let Some((_, _, _, w, _)) = &mut g.out.parts {
        w.flush()?;
    }
    let s = &g.stats;
    let mut by_kind = String::new();
    for (i, n) in KIND_NAMES.iter().enumerate() {
        if i > 0 {
            by_kind.push(',');
        }
        let _ = write!(by_kind, "\"{n}\":{}", s.by_kind[i]);
    }
    println!(
        "{{\"bytes\":{},\"lines\":{},\"seed\":{seed},\"console_segments\":{console_no},\"crash_reports\":{},\"crash_by_kind\":{{{by_kind}}},\"events\":{{\"io_error\":{},\"nfs\":{},\"oom\":{},\"memory_squeeze\":{}}},\"decoys\":{}}}",
        g.out.written, g.out.lines, s.crashes, s.io_error, s.nfs, s.oom, s.squeeze, s.decoys
    );
    Ok(())
}
