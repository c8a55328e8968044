//! Notable events: precursors and symptoms that are not crashes by
//! themselves but explain them (I/O errors, NFS trouble, OOM kills, ...).
//!
//! The detector sees the message text of one line at a time (stamps, syslog
//! header and host already removed) and asks [`EventTable::find`] whether it
//! is a notable event. The rules are data: the static table `RULES`, tried in
//! order, first match wins. Each rule names the literals (markers) of which
//! one occurs in every line it matches, so that a line without any marker is
//! rejected by one multi-literal search and no regex runs on it.
//!
//! Decisions, so that they are written down once:
//!
//! * Crash reports are not events. Lines that open a report (`Kernel panic`,
//!   `BUG:`, `WARNING: CPU:`, `INFO: task ...`, `general protection fault`,
//!   `NMI watchdog: Watchdog detected hard LOCKUP`, ...) never match, even if
//!   a rule's words occur in them; the oops table owns them. Xen's
//!   `Domain N (vcpu#M) crashed on cpu#K` and `domain_crash called from` are
//!   crash reports of a guest, seen by the hypervisor, so they are not events
//!   either. vmkernel's `WARNING: NFS: ...` is an event: only the Linux
//!   `WARNING: CPU:` / `WARNING: at` headers are reports.
//! * Recoveries are not events: `nfs: server X OK`, vmkernel `Restored
//!   connection`, `exited the All Paths Down state`. The trouble message
//!   marks the outage; its end carries no new cause.
//! * Follow-up lines of one incident are not separate events when the first
//!   line says it all (the `Killed process` line after `Out of memory: Kill
//!   process`, `[Hardware Error]: TSC/ADDR/PROCESSOR` lines of an MCE record,
//!   `ata1.00: failed command:` after `exception Emask`). Different stages
//!   that carry different facts stay separate rules: an OOM gives
//!   `oom-invoked` (who allocated), `oom-constraint` (global or cgroup) and
//!   `oom-kill` (who died); count by rule, not by kind.
//! * Page allocation failures are memory pressure without a kill, so they
//!   are [`EventKind::MemorySqueeze`] like netback's squeeze, not `Oom`. Xen
//!   balloon messages are not events: they report targets, not pressure.
//! * Watchdog events are resets or NMIs coming from outside the kernel's own
//!   lockup detector: `/dev/watchdog` left armed, Xen's domain watchdog,
//!   unknown-reason and IOCK NMIs (BMC buttons, hypervisor-injected NMIs).
//!   The kernel's soft/hard lockup reports are crashes. A PCI SERR NMI is a
//!   hardware error ([`EventKind::Mce`]).
//!
//! Markers are few on purpose: the caller merges them with the crash
//! headers into one Aho-Corasick searcher whose SIMD (Teddy) prefilter only
//! works up to 64 literals, and whose fingerprint uses the first four bytes,
//! so every marker has at least four. Where one literal serves many rules
//! (`I/O `, `atchdog` for both `watchdog` and `Watchdog`, `emory: Kill` for
//! every OOM-kill wording) the regexes tell them apart. Some messages are
//! left out to stay within that budget because another line of the same
//! incident is caught: `timing out command` and `SCSI error: return code`
//! (followed by `I/O error, dev`), `Device offlined` (followed by `rejecting
//! I/O to offline device`), vmkernel PDL and `vmw_ahci` failures (they show
//! as `failed H:... D:... P:...` with their sense data), HBX heartbeats
//! (followed by `Lost access to volume`), `multipathd: remaining active
//! paths` (after the kernel's `Failing path`), 2.6-era MCE lines without
//! `[Hardware Error]`, `CE: hpet increased min_delta_ns` (frequent and
//! harmless at boot).
//!
//! Templates group events: see [`template`].

use aho_corasick::AhoCorasick;
use regex::Regex;
use std::fmt;

/// What a notable event is about.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    IoError,
    FsError,
    Nfs,
    Storage,
    Oom,
    MemorySqueeze,
    DmaError,
    Mce,
    Clock,
    Watchdog,
    Other,
}

impl EventKind {
    pub const ALL: [EventKind; 11] = [
        EventKind::IoError,
        EventKind::FsError,
        EventKind::Nfs,
        EventKind::Storage,
        EventKind::Oom,
        EventKind::MemorySqueeze,
        EventKind::DmaError,
        EventKind::Mce,
        EventKind::Clock,
        EventKind::Watchdog,
        EventKind::Other,
    ];

    /// The stable name, the same as the serde form.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::IoError => "io_error",
            EventKind::FsError => "fs_error",
            EventKind::Nfs => "nfs",
            EventKind::Storage => "storage",
            EventKind::Oom => "oom",
            EventKind::MemorySqueeze => "memory_squeeze",
            EventKind::DmaError => "dma_error",
            EventKind::Mce => "mce",
            EventKind::Clock => "clock",
            EventKind::Watchdog => "watchdog",
            EventKind::Other => "other",
        }
    }

    /// One short phrase for humans.
    pub fn describe(self) -> &'static str {
        match self {
            EventKind::IoError => "disk or SCSI I/O error",
            EventKind::FsError => "filesystem error",
            EventKind::Nfs => "NFS or other network filesystem trouble",
            EventKind::Storage => "hypervisor or multipath storage path trouble",
            EventKind::Oom => "out-of-memory kill",
            EventKind::MemorySqueeze => "memory pressure without a kill",
            EventKind::DmaError => "DMA mapping or IOMMU fault",
            EventKind::Mce => "machine check or hardware memory error",
            EventKind::Clock => "clock or timer trouble",
            EventKind::Watchdog => "watchdog reset or external NMI",
            EventKind::Other => "other notable event",
        }
    }
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A line recognised as a notable event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventMatch {
    pub kind: EventKind,
    /// Stable rule id, e.g. `nfs-not-responding`.
    pub rule: &'static str,
    /// The normalised message, for grouping (see [`template`]).
    pub template: String,
}

/// One row of the table.
struct Rule {
    id: &'static str,
    kind: EventKind,
    /// At least one of these occurs in every line the rule matches.
    markers: &'static [&'static str],
    /// Confirms the line. A group named `t` picks the part that forms the
    /// template, else the whole message does. `None`: a marker decides.
    pattern: Option<&'static str>,
}

const fn rule(
    id: &'static str,
    kind: EventKind,
    markers: &'static [&'static str],
    pattern: Option<&'static str>,
) -> Rule {
    Rule {
        id,
        kind,
        markers,
        pattern,
    }
}

use EventKind::{
    Clock, DmaError, FsError, IoError, Mce, MemorySqueeze, Nfs, Oom, Other, Storage, Watchdog,
};

/// The rules, tried in this order. Where the message format comes from is
/// noted per group; the tests hold a real line for every rule.
static RULES: &[Rule] = &[
    // Block layer: end_request (2.6), blk_update_request (3.x-5.x),
    // print_req_error (4.17-5.0), bare "I/O error, dev" (5.18+).
    rule(
        "blk-io-error",
        IoError,
        &["I/O "],
        Some(r"\bI/O error, dev [^\s,]+, sector [0-9]+"),
    ),
    // fs/buffer.c; "device" before 3.x, "dev" after.
    rule(
        "buffer-io-error",
        IoError,
        &["I/O "],
        Some(r"Buffer I/O error on dev(?:ice)? [^\s,]+, logical block [0-9]+"),
    ),
    // scsi_lib.c, after error recovery gave up on the device.
    rule(
        "scsi-reject-offline",
        IoError,
        &["I/O "],
        Some(r"rejecting I/O to (?:offline|dead) device"),
    ),
    // drivers/nvme/host/pci.c: 3.x "Timeout I/O", 4.x-5.x "I/O n QID q
    // timeout", 6.x "I/O tag n (id) opcode ... QID q timeout".
    rule(
        "nvme-timeout",
        IoError,
        &["I/O "],
        Some(r"\bI/O (?:tag )?[0-9]+ (?:.* )?QID [0-9]+ timeout|Timeout I/O [0-9]+ QID [0-9]+"),
    ),
    // scsi_logging: "[sdb] Result:" (3.x), "[sdb] tag#5 FAILED Result:" (4.x+).
    rule(
        "scsi-result",
        IoError,
        &["hostbyte="],
        Some(r"Result: hostbyte=\w+"),
    ),
    // mptscsih (LSI in VMware guests), mpt2sas/mpt3sas.
    rule(
        "scsi-task-abort",
        IoError,
        &["task abort"],
        Some(r"attempting task abort|task abort: (?:SUCCESS|FAILED)"),
    ),
    // libata-eh.c; the failed-command lines that follow are not repeated.
    rule(
        "ata-exception",
        IoError,
        &["exception Emask"],
        Some(r"\bata[0-9]+(?:\.[0-9]+)?: exception Emask"),
    ),
    // fs/ext4/page-io.c: a write that the block layer failed.
    rule(
        "ext4-write-io-error",
        IoError,
        &["I/O "],
        Some(r"EXT4-fs warning \(device [^)]+\): ext4_end_bio:[0-9]+: I/O error"),
    ),
    // ext2/ext3/ext4 __ext*_error and ext*_std_error.
    rule(
        "ext-fs-error",
        FsError,
        &["-fs error"],
        Some(r"\bEXT[234]-fs error \(device [^)]+\)"),
    ),
    // ext4 (all), ext3 3.x "error: remounting"; bare 2.6 ext3 form follows
    // an EXT3-fs error line and is not repeated.
    rule(
        "ext-remount-ro",
        FsError,
        &["emounting filesystem read-only"],
        Some(r"\bEXT[234]-fs \([^)]+\): (?:error: )?[Rr]emounting filesystem read-only"),
    ),
    // jbd / jbd2 journal abort.
    rule("jbd-abort", FsError, &["Aborting journal"], None),
    // fs/jbd/journal.c (2.6) and jbd2 callers.
    rule(
        "jbd-commit-io-error",
        FsError,
        &["I/O "],
        Some(r"journal commit I/O error"),
    ),
    // xfs_do_force_shutdown: 2.6 'Filesystem "sda1":' prefix, 3.x+ "XFS (sda1):".
    rule(
        "xfs-shutdown",
        FsError,
        &["Shutting down filesystem", "has been shut down"],
        Some(
            r"XFS \([^)]+\): .*Shutting down filesystem|XFS \([^)]+\): Filesystem has been shut down|I/O Error Detected\.\s+Shutting down filesystem",
        ),
    ),
    rule(
        "xfs-corruption",
        FsError,
        &["orruption", "CRC error", "nternal error"],
        Some(
            r"XFS \([^)]+\): (?:Corruption detected|Metadata corruption detected|Metadata CRC error detected|Internal error|Corruption warning)|XFS internal error",
        ),
    ),
    // xfs_buf_ioerror_alert (3.x+) and xfs_ioerror_alert (2.6).
    rule(
        "xfs-io-error",
        FsError,
        &["I/O "],
        Some(r#"XFS \([^)]+\): (?:metadata|log) I/O error|I/O error in filesystem \(""#),
    ),
    rule(
        "btrfs-error",
        FsError,
        &["BTRFS"],
        Some(r"BTRFS(?: error| critical|: error) \(device "),
    ),
    // sunrpc clnt.c call_timeout: "<program>: server <name> not responding".
    rule(
        "nfs-not-responding",
        Nfs,
        &["not respond"],
        Some(r"\bnfs: server \S+ not responding"),
    ),
    rule(
        "lockd-not-responding",
        Nfs,
        &["not respond"],
        Some(r"\blockd: server \S+ not responding"),
    ),
    rule(
        "rpc-not-responding",
        Nfs,
        &["not respond"],
        Some(r"\b[\w.-]+: server \S+ not responding, (?:still trying|timed out)"),
    ),
    // fs/cifs connect.c echo timeout ("CIFS VFS:" 3.x-4.x, "CIFS: VFS:" 5.x+).
    rule(
        "cifs-not-responding",
        Nfs,
        &["not respond"],
        Some(r"\bCIFS:? VFS: .*has not responded in [0-9]+ seconds"),
    ),
    // fs/nfs/nfs4state.c state recovery failures.
    rule(
        "nfs4-state-error",
        Nfs,
        &["NFS: "],
        Some(r"NFS: nfs4_\w+:? (?:unhandled error|Lock reclaim failed)"),
    ),
    // vmkernel NFS client (ESX 3.x-6.x): "NFS: <source line>: ...".
    rule(
        "vmk-nfs-call-serial",
        Nfs,
        &["NFS: "],
        Some(r"NFS: [0-9]+: Can't find call with serial number"),
    ),
    rule(
        "vmk-nfs-lost-connection",
        Nfs,
        &["NFS: "],
        Some(r"NFS: [0-9]+: Lost connection to (?:the )?server"),
    ),
    rule(
        "vmk-nfslock",
        Nfs,
        &["NFSLock"],
        Some(r"NFSLock: [0-9]+: (?:failed to get lock|disk is being locked|Stop accessing fd)"),
    ),
    // Any other vmkernel NFS warning. Linux's "WARNING: at fs/nfs/..." and
    // "WARNING: CPU:" headers do not have "NFS: <number>:".
    rule(
        "vmk-nfs-warning",
        Nfs,
        &["NFS: "],
        Some(r"WARNING: NFS: [0-9]+: "),
    ),
    // vmkernel ScsiDeviceIO / NMP command failures with host, device and
    // plugin status (VMware KB 1029039, 289902).
    rule(
        "vmk-scsi-cmd-failed",
        Storage,
        &["H:0x"],
        Some(r"ScsiDeviceIO: .*\bfailed H:0x[0-9a-f]+ D:0x[0-9a-f]+ P:0x[0-9a-f]+"),
    ),
    rule(
        "vmk-nmp-cmd-failed",
        Storage,
        &["H:0x"],
        Some(r"NMP: nmp_\w+.*\bH:0x[0-9a-f]+ D:0x[0-9a-f]+ P:0x[0-9a-f]+"),
    ),
    // vobd/hostd: VMFS heartbeat lost.
    rule("vmk-lost-access", Storage, &["Lost access to volume"], None),
    // vobd: APD start and APD timeout (VMware KB 2004684).
    rule(
        "vmk-apd",
        Storage,
        &["All Paths Down"],
        Some(r"has entered the All Paths Down(?: Timeout)? state"),
    ),
    // drivers/md/dm-mpath.c fail_path.
    rule(
        "dm-multipath-failing-path",
        Storage,
        &["Failing path"],
        Some(r"multipath: Failing path [0-9]+:[0-9]+"),
    ),
    // mm/oom_kill.c: the victim, up to its name.
    rule(
        "memcg-oom-kill",
        Oom,
        &["emory: Kill"],
        Some(r"(?P<t>Memory cgroup out of memory: Kill(?:ed)? process [0-9]+ \([^)]*\))"),
    ),
    // "Out of Memory: Killed process N (x)." 2.6.9, ", UID 0, (x)" 2.6.18,
    // "Kill process N (x) score S or sacrifice child" 3.x-4.x, "Killed
    // process N (x) total-vm:..." 4.x+.
    rule(
        "oom-kill",
        Oom,
        &["emory: Kill"],
        Some(r"(?P<t>Out of [Mm]emory: Kill(?:ed)? process [0-9]+(?:, UID [0-9]+,)? \([^)]*\))"),
    ),
    // The allocating task; comm may contain spaces ("Web Content").
    rule(
        "oom-invoked",
        Oom,
        &["oom-kill"],
        Some(r"\S invoked oom-killer: "),
    ),
    // 5.x summary line: only the constraint groups, the cgroup paths vary.
    rule(
        "oom-constraint",
        Oom,
        &["oom-kill"],
        Some(r"(?P<t>oom-kill:constraint=\w+)"),
    ),
    // Xen netback (2.6.16-2.6.32 xen trees), with or without "xen_net: ".
    rule(
        "netback-memory-squeeze",
        MemorySqueeze,
        &["Memory squeeze"],
        Some(r"(?P<t>Memory squeeze in netback driver)"),
    ),
    // mm/page_alloc.c warn_alloc: "." before 2.6.3x, ":" after; the
    // nodemask/cpuset tail (5.x) is left out of the template.
    rule(
        "page-alloc-failure",
        MemorySqueeze,
        &["page allocation failure"],
        Some(r"(?P<t>.*page allocation failure[:.] order:[0-9]+, mode:0x[0-9a-f]+(?:\([^)]*\))?)"),
    ),
    // lib/swiotlb.c (2.6-5.x, "PCI-DMA:" in 2.6.18-xen), kernel/dma/swiotlb.c 5.x+.
    rule(
        "swiotlb-full",
        DmaError,
        &["SW-IOMMU", "swiotlb buffer"],
        Some(r"Out of SW-IOMMU space for [0-9]+ bytes|swiotlb buffer is full"),
    ),
    // drivers/iommu/intel (4.x+ "DMAR: " prefix everywhere).
    rule(
        "dmar-fault-status",
        DmaError,
        &["DMAR"],
        Some(r"DMAR: DRHD: handling fault status reg"),
    ),
    // 3.x "DMAR:[DMA Read]", 4.x "DMAR: [DMA Read]", 6.x "[DMA Write NO_PASID]".
    rule(
        "dmar-fault",
        DmaError,
        &["DMAR"],
        Some(r"DMAR: ?\[(?:DMA [Rr]ead|DMA [Ww]rite|INTR-REMAP)[^\]]*\] Request device \["),
    ),
    // drivers/iommu/amd_iommu.c event log.
    rule(
        "amd-vi-event",
        DmaError,
        &["AMD-Vi"],
        Some(r"AMD-Vi: Event logged \[[A-Z_]+"),
    ),
    // arch/x86/kernel/cpu/mce (3.x+).
    rule(
        "mce-events-logged",
        Mce,
        &["[Hardware Error]"],
        Some(r"\[Hardware Error\]: Machine check events logged"),
    ),
    rule(
        "mce-record",
        Mce,
        &["[Hardware Error]"],
        Some(r"\[Hardware Error\]: CPU [0-9]+: Machine Check(?: Exception)?: "),
    ),
    // drivers/acpi/apei/ghes.c.
    rule(
        "ghes-hardware-error",
        Mce,
        &["[Hardware Error]"],
        Some(r"\[Hardware Error\]: Hardware error from APEI"),
    ),
    // drivers/edac/edac_mc.c: 2.6 "MC0: UE page ...", 3.x+ "MC0: 1 UE memory ...".
    rule(
        "edac-uncorrected",
        Mce,
        &["EDAC "],
        Some(r"\bEDAC .*\bUE\b"),
    ),
    rule("edac-corrected", Mce, &["EDAC "], Some(r"\bEDAC .*\bCE\b")),
    // arch/x86/kernel/nmi.c; reason byte and CPU vary, so they are cut.
    rule(
        "nmi-pci-serr",
        Mce,
        &["NMI: "],
        Some(r"(?P<t>NMI: PCI system error \(SERR\))"),
    ),
    // kernel/time/clocksource.c: 4.x+ "Marking clocksource 'tsc' as
    // unstable because ...", 2.6.2x-3.x "Clocksource tsc unstable (delta".
    rule(
        "clocksource-unstable",
        Clock,
        &["unstable"],
        Some(
            r"(?P<t>Marking clocksource '[^']+' as unstable|[Cc]locksource \S+ unstable)(?: because| \(delta)",
        ),
    ),
    // arch/x86/kernel/tsc.c mark_tsc_unstable and the boot-time check.
    rule(
        "tsc-unstable",
        Clock,
        &["unstable"],
        Some(r"Marking TSC unstable due to|TSC found unstable"),
    ),
    // kernel/time/hrtimer.c: a timer interrupt that took too long, usually
    // a descheduled vCPU.
    rule(
        "hrtimer-slow-interrupt",
        Clock,
        &["hrtimer: interrupt took"],
        None,
    ),
    // drivers/watchdog/watchdog_dev.c (4.x+) and 2.6 drivers' own wording.
    rule(
        "watchdog-did-not-stop",
        Watchdog,
        &["atchdog"],
        Some(r"watchdog did not stop|not stopping watchdog"),
    ),
    // xen/common/schedule.c: "for domain N" before 4.14, "for dN" after.
    rule(
        "xen-watchdog-fired",
        Watchdog,
        &["atchdog"],
        Some(r"Watchdog timer (?:[0-9]+ )?fired for (?:domain [0-9]+|d[0-9]+)"),
    ),
    rule(
        "xen-watchdog-reboot",
        Watchdog,
        &["atchdog"],
        Some(r"watchdog rebooting machine"),
    ),
    rule(
        "nmi-unknown",
        Watchdog,
        &["Uhhuh"],
        Some(r"(?P<t>Uhhuh\. NMI received for unknown reason)"),
    ),
    rule(
        "nmi-iock",
        Watchdog,
        &["NMI: "],
        Some(r"(?P<t>NMI: IOCK error)"),
    ),
    // net/sched/sch_generic.c dev_watchdog; also vmkernel's LinNet copy.
    rule(
        "netdev-tx-timeout",
        Other,
        &["NETDEV WATCHDOG"],
        Some(r"NETDEV WATCHDOG: \S+"),
    ),
];

/// Headers of crash reports: a line that starts with one is never an event.
const CRASH_HEADERS: &str = r"^(?:Kernel [Pp]anic|[Kk]ernel BUG|BUG[: ]|WARNING: (?:CPU: |at )|INFO: |general protection fault|Oops|Unable to handle kernel|(?:NMI )?watchdog: (?:BUG: |Watchdog detected)|-+\[ cut here \])";

/// Transport prefixes some captures keep in front of the message: printk
/// level, dmesg stamp, Xen's "(XEN)", vmkernel's uptime, "cpuN:world)" and
/// ESXi 7's "In(182) vmkernel:". Stripped so templates do not carry them.
const PREFIXES: &str = r"^(?:\s+|<[0-9]>|\[\s*[0-9]+\.[0-9]+\]|\(XEN\)|[A-Z][a-z]\([0-9]+\) vmkernel:|[0-9]+:[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]+|cpu[0-9]+:[0-9]+(?: opID=[^)\s]*)?\))+";

struct Compiled {
    re: Regex,
    /// Whether the pattern has the template group `t`.
    has_t: bool,
}

/// The rules, compiled once; Send + Sync; cheap to share by reference.
pub struct EventTable {
    markers: Vec<&'static str>,
    /// Standard (overlapping) semantics: every marker in a line counts.
    finder: AhoCorasick,
    /// For each marker, the set of rules (bit i = `RULES[i]`) it admits.
    marker_rules: Vec<u128>,
    compiled: Vec<Option<Compiled>>,
    crash_headers: Regex,
    prefixes: Regex,
}

impl Default for EventTable {
    fn default() -> Self {
        Self::new()
    }
}

impl EventTable {
    pub fn new() -> Self {
        // The candidate set is one u128.
        assert!(RULES.len() <= 128, "too many event rules for the bitset");
        let mut markers: Vec<&'static str> = Vec::new();
        let mut marker_rules: Vec<u128> = Vec::new();
        for (i, r) in RULES.iter().enumerate() {
            for &m in r.markers {
                let at = match markers.iter().position(|&x| x == m) {
                    Some(at) => at,
                    None => {
                        markers.push(m);
                        marker_rules.push(0);
                        markers.len() - 1
                    }
                };
                marker_rules[at] |= 1u128 << i;
            }
        }
        let finder = AhoCorasick::new(&markers).expect("event markers are valid literals");
        let compiled = RULES
            .iter()
            .map(|r| {
                r.pattern.map(|p| {
                    let re =
                        Regex::new(p).unwrap_or_else(|e| panic!("bad event rule {}: {e}", r.id));
                    let has_t = re.capture_names().any(|n| n == Some("t"));
                    Compiled { re, has_t }
                })
            })
            .collect();
        EventTable {
            markers,
            finder,
            marker_rules,
            compiled,
            crash_headers: Regex::new(CRASH_HEADERS).expect("crash header regex"),
            prefixes: Regex::new(PREFIXES).expect("prefix regex"),
        }
    }

    /// Literal substrings such that a line containing none of them can match
    /// no rule. ASCII, case-sensitive, at least four bytes each.
    pub fn markers(&self) -> Vec<&'static str> {
        self.markers.clone()
    }

    /// Rule ids with their kinds, in table order.
    pub fn rules(&self) -> Vec<(&'static str, EventKind)> {
        RULES.iter().map(|r| (r.id, r.kind)).collect()
    }

    /// The notable event this line is, if any.
    pub fn find(&self, text: &str) -> Option<EventMatch> {
        let body = self.body(text);
        let mut candidates = 0u128;
        for m in self.finder.find_overlapping_iter(body) {
            candidates |= self.marker_rules[m.pattern().as_usize()];
        }
        if candidates == 0 || self.crash_headers.is_match(body) {
            return None;
        }
        while candidates != 0 {
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            if let Some(found) = self.try_rule(i, body) {
                return Some(found);
            }
        }
        None
    }

    /// The message without transport prefixes.
    fn body<'a>(&self, text: &'a str) -> &'a str {
        match self.prefixes.find(text) {
            Some(m) => &text[m.end()..],
            None => text,
        }
    }

    /// Rule `i` applied to a message body, without the marker prefilter.
    fn try_rule(&self, i: usize, body: &str) -> Option<EventMatch> {
        let rule = &RULES[i];
        let part = match &self.compiled[i] {
            None => body,
            Some(c) if c.has_t => {
                let caps = c.re.captures(body)?;
                caps.name("t").map_or(body, |m| m.as_str())
            }
            Some(c) => {
                if !c.re.is_match(body) {
                    return None;
                }
                body
            }
        };
        Some(EventMatch {
            kind: rule.kind,
            rule: rule.id,
            template: template(part),
        })
    }
}

/// The normalised template of a message, for grouping events.
///
/// * `0x…` values, bare hex of 8+ digits with a letter, and shorter hex
///   that starts with a digit and has a letter (`7cf2000`) become `ADDR`.
/// * Other numbers become `NUM`, also inside words that start with a digit
///   (`180s` gives `NUMs`); negative signs stay (`-NUM`).
/// * Words that start with a letter are kept whole with their digits, dots
///   and dashes, so device and driver names survive: `sda1`, `nvme0n1`,
///   `dm-3`, `eth0`, `ata1.00`, `ext4`, `ioc0`, `MC0`, `vmhba2`.
/// * Kept as written too: PCI addresses (`0000:05:00.0`, `00:1f.2`), SCSI
///   addresses (`2:0:0:0`), vmkernel status codes (`H:0x8`), allocation
///   orders (`order:3`): they say where or what failed.
/// * Device ids (`"naa.6000…"`, `t10.…`, `eui.…`) and UUID-like volume ids
///   become `ID`; IPv4 addresses become `IP`.
/// * Runs of whitespace become one space; the result is trimmed.
///
/// Total and deterministic on any `&str`, and idempotent. A hand-written
/// scanner: a regex with one capture group per token class costs tens of
/// times more, and event storms (a dying disk) call this per line.
pub fn template(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphanumeric() || c == b'_' {
            if at_boundary(text, i)
                && let Some((end, token)) = special(b, i)
            {
                out.push_str(token.unwrap_or(&text[i..end]));
                i = end;
            } else if c.is_ascii_digit() {
                out.push_str("NUM");
                i = number_end(b, i);
            } else {
                let end = word_end(b, i);
                out.push_str(&text[i..end]);
                i = end;
            }
        } else if c == b'"'
            && let Some(end) = quoted_id_end(b, i)
        {
            out.push_str("ID");
            i = end;
        } else {
            // Copy one char; a whitespace run becomes one space.
            let ch = text[i..].chars().next().unwrap_or(' ');
            if ch.is_whitespace() {
                while let Some(w) = text[i..].chars().next().filter(|w| w.is_whitespace()) {
                    i += w.len_utf8();
                }
                if !out.is_empty() && !out.ends_with(' ') {
                    out.push(' ');
                }
            } else {
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

fn is_hex(c: u8) -> bool {
    c.is_ascii_hexdigit()
}

/// Whether a token may start at `i`: the char before is not a word char.
fn at_boundary(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_none_or(|p| !(p.is_alphanumeric() || p == '_'))
}

/// Whether no word char follows position `i` (ASCII bytes suffice: every
/// caller ends on an ASCII token char, and a following non-ASCII letter is
/// rare enough to count as a separator).
fn ends_word(b: &[u8], i: usize) -> bool {
    b.get(i).is_none_or(|&c| !is_word_byte(c))
}

/// End of a run of bytes satisfying `f` from `i`.
fn run(b: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    let mut j = i;
    while j < b.len() && f(b[j]) {
        j += 1;
    }
    j
}

fn word_end(b: &[u8], i: usize) -> usize {
    let mut j = run(b, i, is_word_byte);
    // Inner dots and dashes join: dm-3, ata1.00, EXT4-fs, vif3.0.
    while j + 1 < b.len() && matches!(b[j], b'.' | b'-') && is_word_byte(b[j + 1]) {
        j = run(b, j + 1, is_word_byte);
    }
    j
}

fn number_end(b: &[u8], i: usize) -> usize {
    let mut j = run(b, i, |c| c.is_ascii_digit());
    while j + 1 < b.len() && b[j] == b'.' && b[j + 1].is_ascii_digit() {
        j = run(b, j + 1, |c| c.is_ascii_digit());
    }
    j
}

/// `"naa.…"`, `"eui.…"`, `"t10.…"`, `"mpx.…"` with its closing quote.
fn quoted_id_end(b: &[u8], i: usize) -> Option<usize> {
    let rest = &b[i + 1..];
    if !ID_PREFIXES
        .iter()
        .chain([&"mpx."])
        .any(|p| rest.starts_with(p.as_bytes()))
    {
        return None;
    }
    let close = rest.iter().position(|&c| c == b'"')?;
    Some(i + 1 + close + 1)
}

const ID_PREFIXES: [&str; 3] = ["naa.", "eui.", "t10."];

/// A token that is not a plain word or number, starting at a boundary:
/// its end and its replacement (`None`: keep as written).
fn special(b: &[u8], i: usize) -> Option<(usize, Option<&'static str>)> {
    let rest = &b[i..];
    if ID_PREFIXES.iter().any(|p| rest.starts_with(p.as_bytes())) {
        let end = run(b, i + 4, |c| {
            is_word_byte(c) || matches!(c, b'.' | b':' | b'#' | b'-')
        });
        if end > i + 4 {
            return Some((end, Some("ID")));
        }
    }
    if let Some(end) = uuid_end(b, i) {
        return Some((end, Some("ID")));
    }
    if let Some(end) = ipv4_end(b, i) {
        return Some((end, Some("IP")));
    }
    if let Some(end) = pci_end(b, i)
        .or_else(|| hctl_end(b, i))
        .or_else(|| status_end(b, i))
    {
        return Some((end, None));
    }
    if rest.starts_with(b"order") && matches!(b.get(i + 5), Some(b':' | b'=')) {
        let end = run(b, i + 6, |c| c.is_ascii_digit());
        if end > i + 6 && ends_word(b, end) {
            return Some((end, None));
        }
    }
    if matches!(rest, [b'0', b'x' | b'X', ..]) {
        let end = run(b, i + 2, is_hex);
        if end > i + 2 && ends_word(b, end) {
            return Some((end, Some("ADDR")));
        }
    }
    let end = run(b, i, is_hex);
    if !ends_word(b, end) {
        return None;
    }
    let hex = &b[i..end];
    let letter = hex.iter().any(|c| c.is_ascii_alphabetic());
    let digit = hex.iter().any(|c| c.is_ascii_digit());
    if hex.len() >= 8 {
        // An address, or a long number; all letters is a word.
        return match (letter, digit) {
            (true, true) => Some((end, Some("ADDR"))),
            (false, _) => Some((end, Some("NUM"))),
            (true, false) => Some((end, None)),
        };
    }
    if letter && hex[0].is_ascii_digit() {
        return Some((end, Some("ADDR")));
    }
    None
}

/// 8 hex digits, then one to four groups of `-` and 4 to 12 hex digits.
fn uuid_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = run(b, i, is_hex);
    if j - i != 8 {
        return None;
    }
    let mut groups = 0;
    while groups < 4 && b.get(j) == Some(&b'-') {
        let end = run(b, j + 1, is_hex);
        if !(4..=12).contains(&(end - j - 1)) || !ends_word(b, end) {
            break;
        }
        j = end;
        groups += 1;
    }
    (groups > 0).then_some(j)
}

/// Four dot-separated groups of one to three digits.
fn ipv4_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for part in 0..4 {
        if part > 0 {
            if b.get(j) != Some(&b'.') {
                return None;
            }
            j += 1;
        }
        let end = run(b, j, |c| c.is_ascii_digit());
        if !(1..=3).contains(&(end - j)) {
            return None;
        }
        j = end;
    }
    ends_word(b, j).then_some(j)
}

/// `dddd:bb:dd.f` or `bb:dd.f`, lowercase hex.
fn pci_end(b: &[u8], i: usize) -> Option<usize> {
    let lower_hex = |c: u8| c.is_ascii_digit() || (b'a'..=b'f').contains(&c);
    let fixed = |j: usize, n: usize| {
        (j + n <= b.len() && b[j..j + n].iter().all(|&c| lower_hex(c))).then_some(j + n)
    };
    let tail = |j: usize| -> Option<usize> {
        let j = fixed(j, 2)?;
        (b.get(j) == Some(&b':')).then_some(())?;
        let j = fixed(j + 1, 2)?;
        (b.get(j) == Some(&b'.') && matches!(b.get(j + 1), Some(b'0'..=b'7'))).then_some(())?;
        ends_word(b, j + 2).then_some(j + 2)
    };
    fixed(i, 4)
        .filter(|&j| b.get(j) == Some(&b':'))
        .and_then(|j| tail(j + 1))
        .or_else(|| tail(i))
}

/// SCSI host:channel:target:lun.
fn hctl_end(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    for part in 0..4 {
        if part > 0 {
            if b.get(j) != Some(&b':') {
                return None;
            }
            j += 1;
        }
        let end = run(b, j, |c| c.is_ascii_digit());
        if end == j {
            return None;
        }
        j = end;
    }
    ends_word(b, j).then_some(j)
}

/// vmkernel status `H:0x8`, `D:0x2`, `P:0x0`.
fn status_end(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(&b[i..], [b'H' | b'D' | b'P', b':', b'0', b'x', ..]) {
        return None;
    }
    let end = run(b, i + 4, is_hex);
    (end > i + 4 && ends_word(b, end)).then_some(end)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;
    use std::sync::OnceLock;

    /// Real message lines: (line, kind, rule, template, where the format is from).
    const SAMPLES: &[(&str, EventKind, &str, &str, &str)] = &[
        // --- io_error ---
        (
            "end_request: I/O error, dev sda, sector 2048",
            IoError,
            "blk-io-error",
            "end_request: I/O error, dev sda, sector NUM",
            "2.6 block/ll_rw_blk.c end_that_request",
        ),
        (
            "blk_update_request: I/O error, dev sdb, sector 976773120",
            IoError,
            "blk-io-error",
            "blk_update_request: I/O error, dev sdb, sector NUM",
            "3.x-4.16 block/blk-core.c",
        ),
        (
            "print_req_error: I/O error, dev vda, sector 1234567",
            IoError,
            "blk-io-error",
            "print_req_error: I/O error, dev vda, sector NUM",
            "4.17-5.0 block/blk-core.c",
        ),
        (
            "blk_update_request: I/O error, dev nvme0n1, sector 2048 op 0x1:(WRITE) flags 0x800 phys_seg 1 prio class 0",
            IoError,
            "blk-io-error",
            "blk_update_request: I/O error, dev nvme0n1, sector NUM op ADDR:(WRITE) flags ADDR phys_seg NUM prio class NUM",
            "5.x block/blk-core.c",
        ),
        (
            "I/O error, dev sda, sector 2048 op 0x0:(READ) flags 0x80700 phys_seg 1 prio class 2",
            IoError,
            "blk-io-error",
            "I/O error, dev sda, sector NUM op ADDR:(READ) flags ADDR phys_seg NUM prio class NUM",
            "5.18+ blk_print_req_error",
        ),
        (
            "Buffer I/O error on dev sda1, logical block 1234, lost async page write",
            IoError,
            "buffer-io-error",
            "Buffer I/O error on dev sda1, logical block NUM, lost async page write",
            "3.x+ fs/buffer.c",
        ),
        (
            "Buffer I/O error on device dm-0, logical block 5242880",
            IoError,
            "buffer-io-error",
            "Buffer I/O error on device dm-0, logical block NUM",
            "2.6 fs/buffer.c",
        ),
        (
            "sd 2:0:0:0: [sdb] tag#5 FAILED Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK cmd_age=30s",
            IoError,
            "scsi-result",
            "sd 2:0:0:0: [sdb] tag#NUM FAILED Result: hostbyte=DID_TIME_OUT driverbyte=DRIVER_OK cmd_age=NUMs",
            "5.x drivers/scsi/scsi_logging.c",
        ),
        (
            "sd 0:0:0:0: [sda] Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE",
            IoError,
            "scsi-result",
            "sd 0:0:0:0: [sda] Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE",
            "3.x drivers/scsi/constants.c",
        ),
        (
            "scsi 2:0:0:0: rejecting I/O to offline device",
            IoError,
            "scsi-reject-offline",
            "scsi 2:0:0:0: rejecting I/O to offline device",
            "drivers/scsi/scsi_lib.c scsi_prep_state_check",
        ),
        (
            "mptscsih: ioc0: attempting task abort! (sc=ffff810037d9a340)",
            IoError,
            "scsi-task-abort",
            "mptscsih: ioc0: attempting task abort! (sc=ADDR)",
            "drivers/message/fusion/mptscsih.c, RHEL5 guest on ESX",
        ),
        (
            "mptscsih: ioc0: task abort: SUCCESS (sc=ffff810037d9a340)",
            IoError,
            "scsi-task-abort",
            "mptscsih: ioc0: task abort: SUCCESS (sc=ADDR)",
            "drivers/message/fusion/mptscsih.c",
        ),
        (
            "sd 0:0:1:0: attempting task abort! scmd(ffff880428e0b480)",
            IoError,
            "scsi-task-abort",
            "sd 0:0:1:0: attempting task abort! scmd(ADDR)",
            "drivers/scsi/mpt2sas/mpt2sas_scsih.c",
        ),
        (
            "ata1.00: exception Emask 0x0 SAct 0x0 SErr 0x0 action 0x6 frozen",
            IoError,
            "ata-exception",
            "ata1.00: exception Emask ADDR SAct ADDR SErr ADDR action ADDR frozen",
            "drivers/ata/libata-eh.c ata_eh_link_report",
        ),
        (
            "ata3: exception Emask 0x10 SAct 0x0 SErr 0x4050000 action 0xe frozen",
            IoError,
            "ata-exception",
            "ata3: exception Emask ADDR SAct ADDR SErr ADDR action ADDR frozen",
            "drivers/ata/libata-eh.c, link-level",
        ),
        (
            "nvme nvme0: I/O 123 QID 4 timeout, aborting",
            IoError,
            "nvme-timeout",
            "nvme nvme0: I/O NUM QID NUM timeout, aborting",
            "4.x-5.x drivers/nvme/host/pci.c nvme_timeout",
        ),
        (
            "nvme nvme1: I/O 0 QID 0 timeout, reset controller",
            IoError,
            "nvme-timeout",
            "nvme nvme1: I/O NUM QID NUM timeout, reset controller",
            "4.x-5.x drivers/nvme/host/pci.c nvme_timeout",
        ),
        (
            "nvme nvme0: I/O tag 322 (0142) opcode 0x1 (Write) QID 2 timeout, aborting req_op:WRITE(1) size:131072",
            IoError,
            "nvme-timeout",
            "nvme nvme0: I/O tag NUM (NUM) opcode ADDR (Write) QID NUM timeout, aborting req_op:WRITE(NUM) size:NUM",
            "6.x drivers/nvme/host/pci.c nvme_timeout",
        ),
        (
            "nvme 0000:01:00.0: Timeout I/O 123 QID 4",
            IoError,
            "nvme-timeout",
            "nvme 0000:01:00.0: Timeout I/O NUM QID NUM",
            "3.x drivers/block/nvme-core.c",
        ),
        (
            "EXT4-fs warning (device sda1): ext4_end_bio:323: I/O error 10 writing to inode 1234 (offset 0 size 4096 starting block 5678)",
            IoError,
            "ext4-write-io-error",
            "EXT4-fs warning (device sda1): ext4_end_bio:NUM: I/O error NUM writing to inode NUM (offset NUM size NUM starting block NUM)",
            "4.x fs/ext4/page-io.c",
        ),
        // --- fs_error ---
        (
            "EXT4-fs error (device sda1): ext4_find_entry:1436: inode #2: comm bash: reading directory lblock 0",
            FsError,
            "ext-fs-error",
            "EXT4-fs error (device sda1): ext4_find_entry:NUM: inode #NUM: comm bash: reading directory lblock NUM",
            "4.x fs/ext4/super.c __ext4_error_inode",
        ),
        (
            "EXT3-fs error (device sda1): ext3_get_inode_loc: unable to read inode block - inode=12345, block=67890",
            FsError,
            "ext-fs-error",
            "EXT3-fs error (device sda1): ext3_get_inode_loc: unable to read inode block - inode=NUM, block=NUM",
            "2.6 fs/ext3/inode.c",
        ),
        (
            "EXT4-fs error (device dm-0) in ext4_reserve_inode_write:5741: Journal has aborted",
            FsError,
            "ext-fs-error",
            "EXT4-fs error (device dm-0) in ext4_reserve_inode_write:NUM: Journal has aborted",
            "fs/ext4/super.c __ext4_std_error",
        ),
        (
            "EXT2-fs error (device hda1): ext2_check_page: bad entry in directory #2: rec_len is smaller than minimal - offset=0, inode=0, rec_len=0, name_len=0",
            FsError,
            "ext-fs-error",
            "EXT2-fs error (device hda1): ext2_check_page: bad entry in directory #NUM: rec_len is smaller than minimal - offset=NUM, inode=NUM, rec_len=NUM, name_len=NUM",
            "2.6 fs/ext2/dir.c",
        ),
        (
            "EXT4-fs (sda1): Remounting filesystem read-only",
            FsError,
            "ext-remount-ro",
            "EXT4-fs (sda1): Remounting filesystem read-only",
            "fs/ext4/super.c ext4_handle_error",
        ),
        (
            "EXT3-fs (sdb1): error: remounting filesystem read-only",
            FsError,
            "ext-remount-ro",
            "EXT3-fs (sdb1): error: remounting filesystem read-only",
            "3.x fs/ext3/super.c ext3_handle_error",
        ),
        (
            "Aborting journal on device sda1-8.",
            FsError,
            "jbd-abort",
            "Aborting journal on device sda1-8.",
            "fs/jbd2/journal.c __jbd2_journal_abort_hard",
        ),
        (
            "Aborting journal on device sda1.",
            FsError,
            "jbd-abort",
            "Aborting journal on device sda1.",
            "2.6 fs/jbd/journal.c",
        ),
        (
            "journal commit I/O error",
            FsError,
            "jbd-commit-io-error",
            "journal commit I/O error",
            "2.6 fs/jbd/journal.c log_wait_commit",
        ),
        (
            "XFS (dm-0): Log I/O Error Detected. Shutting down filesystem",
            FsError,
            "xfs-shutdown",
            "XFS (dm-0): Log I/O Error Detected. Shutting down filesystem",
            "3.x+ fs/xfs/xfs_fsops.c xfs_do_force_shutdown",
        ),
        (
            "Filesystem \"hda6\": Log I/O Error Detected.  Shutting down filesystem: hda6",
            FsError,
            "xfs-shutdown",
            "Filesystem \"hda6\": Log I/O Error Detected. Shutting down filesystem: hda6",
            "2.6 fs/xfs/xfs_fsops.c (linux-xfs list, 2006)",
        ),
        (
            "XFS (sda1): Corruption of in-memory data detected.  Shutting down filesystem",
            FsError,
            "xfs-shutdown",
            "XFS (sda1): Corruption of in-memory data detected. Shutting down filesystem",
            "fs/xfs/xfs_fsops.c xfs_do_force_shutdown",
        ),
        (
            "XFS (dm-0): Corruption detected. Unmount and run xfs_repair",
            FsError,
            "xfs-corruption",
            "XFS (dm-0): Corruption detected. Unmount and run xfs_repair",
            "fs/xfs/xfs_error.c xfs_corruption_error",
        ),
        (
            "XFS (sda1): Internal error XFS_WANT_CORRUPTED_GOTO at line 1423 of file fs/xfs/libxfs/xfs_alloc.c.  Caller xfs_free_ag_extent+0x2a5/0x6c0 [xfs]",
            FsError,
            "xfs-corruption",
            "XFS (sda1): Internal error XFS_WANT_CORRUPTED_GOTO at line NUM of file fs/xfs/libxfs/xfs_alloc.c. Caller xfs_free_ag_extent+ADDR/ADDR [xfs]",
            "4.x fs/xfs/xfs_error.c xfs_error_report",
        ),
        (
            "Filesystem \"sda1\": XFS internal error xfs_trans_cancel at line 1138 of file fs/xfs/xfs_trans.c.  Caller 0xffffffff882e3a4c",
            FsError,
            "xfs-corruption",
            "Filesystem \"sda1\": XFS internal error xfs_trans_cancel at line NUM of file fs/xfs/xfs_trans.c. Caller ADDR",
            "2.6 fs/xfs/xfs_error.c",
        ),
        (
            "XFS (sda1): metadata I/O error in \"xfs_trans_read_buf_map\" at daddr 0x2441 len 1 error 5",
            FsError,
            "xfs-io-error",
            "XFS (sda1): metadata I/O error in \"xfs_trans_read_buf_map\" at daddr ADDR len NUM error NUM",
            "4.x+ fs/xfs/xfs_buf.c xfs_buf_ioerror_alert",
        ),
        (
            "XFS (vdd): log I/O error -5",
            FsError,
            "xfs-io-error",
            "XFS (vdd): log I/O error -NUM",
            "fs/xfs/xfs_log.c xlog_ioend_work",
        ),
        (
            "BTRFS error (device sda2): bad tree block start, want 952483840 have 0",
            FsError,
            "btrfs-error",
            "BTRFS error (device sda2): bad tree block start, want NUM have NUM",
            "fs/btrfs/disk-io.c (linux-btrfs list)",
        ),
        (
            "BTRFS critical (device sdc3): corrupt leaf: root=7 block=371567214592 slot=0, unexpected item end, have 16315 expect 16283",
            FsError,
            "btrfs-error",
            "BTRFS critical (device sdc3): corrupt leaf: root=NUM block=NUM slot=NUM, unexpected item end, have NUM expect NUM",
            "fs/btrfs/tree-checker.c",
        ),
        (
            "BTRFS: error (device sda2: state AL) in free_log_tree:3284: errno=-5 IO failure",
            FsError,
            "btrfs-error",
            "BTRFS: error (device sda2: state AL) in free_log_tree:NUM: errno=-NUM IO failure",
            "6.x fs/btrfs/messages.c __btrfs_handle_fs_error",
        ),
        // --- nfs ---
        (
            "nfs: server filer01 not responding, still trying",
            Nfs,
            "nfs-not-responding",
            "nfs: server filer01 not responding, still trying",
            "net/sunrpc/clnt.c call_timeout",
        ),
        (
            "nfs: server 10.1.2.3 not responding, timed out",
            Nfs,
            "nfs-not-responding",
            "nfs: server IP not responding, timed out",
            "net/sunrpc/clnt.c call_timeout (soft mount)",
        ),
        (
            "lockd: server filer01 not responding, still trying",
            Nfs,
            "lockd-not-responding",
            "lockd: server filer01 not responding, still trying",
            "net/sunrpc/clnt.c, NLM program",
        ),
        (
            "rpcbind: server localhost not responding, timed out",
            Nfs,
            "rpc-not-responding",
            "rpcbind: server localhost not responding, timed out",
            "net/sunrpc/clnt.c, rpcbind program",
        ),
        (
            "CIFS VFS: Server fileserver has not responded in 120 seconds. Reconnecting...",
            Nfs,
            "cifs-not-responding",
            "CIFS VFS: Server fileserver has not responded in NUM seconds. Reconnecting...",
            "3.x-4.x fs/cifs/connect.c server_unresponsive",
        ),
        (
            "NFS: nfs4_reclaim_open_state: unhandled error -5",
            Nfs,
            "nfs4-state-error",
            "NFS: nfs4_reclaim_open_state: unhandled error -NUM",
            "fs/nfs/nfs4state.c",
        ),
        (
            "NFS: nfs4_reclaim_open_state: Lock reclaim failed!",
            Nfs,
            "nfs4-state-error",
            "NFS: nfs4_reclaim_open_state: Lock reclaim failed!",
            "fs/nfs/nfs4state.c",
        ),
        (
            "WARNING: NFS: 4590: Can't find call with serial number -2146566055",
            Nfs,
            "vmk-nfs-call-serial",
            "WARNING: NFS: NUM: Can't find call with serial number -NUM",
            "ESX 3.5 vmkernel, seed esx-nfs-vm-crash-pattern",
        ),
        (
            "NFS: 283: Lost connection to the server 192.168.100.1 mount point /vol/datastore01, mounted as bf7ce3db-42c081a2-0000-000000000000 (\"datastore01\")",
            Nfs,
            "vmk-nfs-lost-connection",
            "NFS: NUM: Lost connection to the server IP mount point /vol/datastore01, mounted as ID (\"datastore01\")",
            "ESXi 5.x vmkernel NFS datastore disconnect",
        ),
        (
            "WARNING: NFSLock: 1883: disk is being locked by other consumer",
            Nfs,
            "vmk-nfslock",
            "WARNING: NFSLock: NUM: disk is being locked by other consumer",
            "ESX 3.x vmkernel (blog.scottlowe.org 2007, HA isolation)",
        ),
        (
            "NFSLock: 2479: failed to get lock on file vswim01-flat.vmdk 0x5a1b6a0 on 192.168.31.51 (192.168.31.51)",
            Nfs,
            "vmk-nfslock",
            "NFSLock: NUM: failed to get lock on file vswim01-flat.vmdk ADDR on IP (IP)",
            "ESX 3.x vmkernel (blog.scottlowe.org 2007, HA isolation)",
        ),
        (
            "WARNING: NFS: 898: RPC error 13 (RPC was aborted due to timeout) trying to get port for Mount Program (100005) Version (3) Protocol (TCP) on Server (10.1.1.1)",
            Nfs,
            "vmk-nfs-warning",
            "WARNING: NFS: NUM: RPC error NUM (RPC was aborted due to timeout) trying to get port for Mount Program (NUM) Version (NUM) Protocol (TCP) on Server (IP)",
            "ESX 4.x vmkernel NFS mount failure",
        ),
        // --- storage ---
        (
            "ScsiDeviceIO: 3449: Cmd(0x459a40b8e3c0) 0x2a, CmdSN 0x8000004c from world 2099829 to dev \"naa.600508b1001c4d5f9a7e8c3b2a1d0e0f\" failed H:0x8 D:0x0 P:0x0",
            Storage,
            "vmk-scsi-cmd-failed",
            "ScsiDeviceIO: NUM: Cmd(ADDR) ADDR, CmdSN ADDR from world NUM to dev ID failed H:0x8 D:0x0 P:0x0",
            "ESXi 6.x+ vmkernel (ryanjan.uk 2018; Broadcom KB 435349)",
        ),
        (
            "ScsiDeviceIO: 2927: Cmd(0x439500b9e200) 0x2a, CmdSN 0x75d from world 66300 to dev \"t10.ATA_____Crucial_CT1050MX300SSD4_________________________163713E82C00\" failed H:0x2 D:0x0 P:0x0 Invalid sense data: 0x75 0x70 0x64.",
            Storage,
            "vmk-scsi-cmd-failed",
            "ScsiDeviceIO: NUM: Cmd(ADDR) ADDR, CmdSN ADDR from world NUM to dev ID failed H:0x2 D:0x0 P:0x0 Invalid sense data: ADDR ADDR ADDR.",
            "ESXi 6.5 vmkernel on vmw_ahci (homelab blog 2017)",
        ),
        (
            "NMP: nmp_CompleteCommandForPath: Command 0x28 (0x4100070e8e80) to NMP device \"naa.600601601f70190016361881f3b4de11\" failed on physical path \"vmhba2:C0:T1:L27\" H:0x8 D:0x0 P:0x0 Possible sense data: 0x0 0x0 0x0",
            Storage,
            "vmk-nmp-cmd-failed",
            "NMP: nmp_CompleteCommandForPath: Command ADDR (ADDR) to NMP device ID failed on physical path \"vmhba2:C0:T1:L27\" H:0x8 D:0x0 P:0x0 Possible sense data: ADDR ADDR ADDR",
            "ESX 4.x vmkernel, VMware KB 1029039",
        ),
        (
            "NMP: nmp_ThrottleLogForDevice:3298: Cmd 0x2a (0x439d8c3c5b40, 2099829) to dev \"naa.60003ff44dc75adc9b1e1b5c1d9bdf1e\" on path \"vmhba2:C0:T1:L5\" Failed: H:0x8 D:0x0 P:0x0 Invalid sense data: 0x0 0x0 0x0. Act:EVAL",
            Storage,
            "vmk-nmp-cmd-failed",
            "NMP: nmp_ThrottleLogForDevice:NUM: Cmd ADDR (ADDR, NUM) to dev ID on path \"vmhba2:C0:T1:L5\" Failed: H:0x8 D:0x0 P:0x0 Invalid sense data: ADDR ADDR ADDR. Act:EVAL",
            "ESXi 6.x vmkernel NMP throttled log",
        ),
        (
            "Lost access to volume 5a1b2c3d-4e5f6a7b-8c9d-001e0bc1d2e3 (DS1234) due to connectivity issues. Recovery attempt is in progress and outcome will be reported shortly.",
            Storage,
            "vmk-lost-access",
            "Lost access to volume ID (DS1234) due to connectivity issues. Recovery attempt is in progress and outcome will be reported shortly.",
            "ESXi hostd/vobd VMFS heartbeat event (ryanjan.uk 2018)",
        ),
        (
            "Device or filesystem with identifier [8a5a1336-3d574c6d] has entered the All Paths Down state.",
            Storage,
            "vmk-apd",
            "Device or filesystem with identifier [ID] has entered the All Paths Down state.",
            "ESXi vobd vob.storage.apd.start (NFS datastore)",
        ),
        (
            "Device or filesystem with identifier [naa.600601601f70190016361881f3b4de11] has entered the All Paths Down Timeout state after being in the All Paths Down state for 140 seconds. I/Os will now be fast failed.",
            Storage,
            "vmk-apd",
            "Device or filesystem with identifier [ID] has entered the All Paths Down Timeout state after being in the All Paths Down state for NUM seconds. I/Os will now be fast failed.",
            "ESXi vobd esx.problem.storage.apd.timeout",
        ),
        (
            "device-mapper: multipath: Failing path 8:16.",
            Storage,
            "dm-multipath-failing-path",
            "device-mapper: multipath: Failing path NUM:NUM.",
            "drivers/md/dm-mpath.c fail_path",
        ),
        // --- oom ---
        (
            "Out of memory: Kill process 1234 (java) score 900 or sacrifice child",
            Oom,
            "oom-kill",
            "Out of memory: Kill process NUM (java)",
            "3.x-4.x mm/oom_kill.c oom_kill_process",
        ),
        (
            "Out of memory: Killed process 1234 (java) total-vm:8123456kB, anon-rss:4012345kB, file-rss:0kB, shmem-rss:0kB, UID:1000 pgtables:9876kB oom_score_adj:0",
            Oom,
            "oom-kill",
            "Out of memory: Killed process NUM (java)",
            "5.x mm/oom_kill.c __oom_kill_process",
        ),
        (
            "Out of memory: Killed process 2592, UID 0, (java).",
            Oom,
            "oom-kill",
            "Out of memory: Killed process NUM, UID NUM, (java)",
            "2.6.18 (RHEL5) mm/oom_kill.c",
        ),
        (
            "Out of Memory: Killed process 2592 (java).",
            Oom,
            "oom-kill",
            "Out of Memory: Killed process NUM (java)",
            "2.6.9 (RHEL4) mm/oom_kill.c",
        ),
        (
            "Memory cgroup out of memory: Killed process 4321 (node) total-vm:1234567kB, anon-rss:512000kB, file-rss:1234kB, shmem-rss:0kB, UID:0 pgtables:2048kB oom_score_adj:999",
            Oom,
            "memcg-oom-kill",
            "Memory cgroup out of memory: Killed process NUM (node)",
            "5.x mm/oom_kill.c, cgroup limit",
        ),
        (
            "Memory cgroup out of memory: Kill process 4321 (node) score 1000 or sacrifice child",
            Oom,
            "memcg-oom-kill",
            "Memory cgroup out of memory: Kill process NUM (node)",
            "3.x-4.x mm/oom_kill.c, cgroup limit",
        ),
        (
            "java invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0",
            Oom,
            "oom-invoked",
            "java invoked oom-killer: gfp_mask=ADDR, order=0, oom_score_adj=NUM",
            "3.x mm/oom_kill.c dump_header",
        ),
        (
            "Web Content invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0",
            Oom,
            "oom-invoked",
            "Web Content invoked oom-killer: gfp_mask=ADDR(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=NUM",
            "5.x mm/oom_kill.c dump_header",
        ),
        (
            "java invoked oom-killer: gfp_mask=0x201d2, order=0, oomkilladj=0",
            Oom,
            "oom-invoked",
            "java invoked oom-killer: gfp_mask=ADDR, order=0, oomkilladj=NUM",
            "2.6.18 mm/oom_kill.c",
        ),
        (
            "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=docker-1a2b3c.scope,mems_allowed=0,oom_memcg=/docker/1a2b3c,task_memcg=/docker/1a2b3c,task=java,pid=1234,uid=0",
            Oom,
            "oom-constraint",
            "oom-kill:constraint=CONSTRAINT_MEMCG",
            "5.x mm/oom_kill.c dump_oom_summary",
        ),
        // --- memory_squeeze ---
        (
            "xen_net: Memory squeeze in netback driver.",
            MemorySqueeze,
            "netback-memory-squeeze",
            "Memory squeeze in netback driver",
            "linux-2.6.18-xen drivers/xen/netback/netback.c, seed xen-dom0-memory-squeeze",
        ),
        (
            "Memory squeeze in netback driver.",
            MemorySqueeze,
            "netback-memory-squeeze",
            "Memory squeeze in netback driver",
            "2.6.16-xen netback.c plain printk",
        ),
        (
            "swapper/0: page allocation failure: order:0, mode:0x20",
            MemorySqueeze,
            "page-alloc-failure",
            "swapper/NUM: page allocation failure: order:0, mode:ADDR",
            "3.x mm/page_alloc.c warn_alloc_failed",
        ),
        (
            "java: page allocation failure. order:4, mode:0x20",
            MemorySqueeze,
            "page-alloc-failure",
            "java: page allocation failure. order:4, mode:ADDR",
            "2.6 mm/page_alloc.c __alloc_pages",
        ),
        (
            "kworker/u16:2: page allocation failure: order:0, mode:0xa20(GFP_ATOMIC), nodemask=(null),cpuset=/,mems_allowed=0",
            MemorySqueeze,
            "page-alloc-failure",
            "kworker/u16:NUM: page allocation failure: order:0, mode:ADDR(GFP_ATOMIC)",
            "5.x mm/page_alloc.c warn_alloc",
        ),
        // --- dma_error ---
        (
            "PCI-DMA: Out of SW-IOMMU space for 65536 bytes at device 0000:05:00.0",
            DmaError,
            "swiotlb-full",
            "PCI-DMA: Out of SW-IOMMU space for NUM bytes at device 0000:05:00.0",
            "2.6.18-xen lib/swiotlb-xen.c (RAID controller in dom0)",
        ),
        (
            "DMA: Out of SW-IOMMU space for 4224 bytes at device 0000:0b:00.0",
            DmaError,
            "swiotlb-full",
            "DMA: Out of SW-IOMMU space for NUM bytes at device 0000:0b:00.0",
            "2.6.27-5.x lib/swiotlb.c swiotlb_full",
        ),
        (
            "mpt3sas 0000:d8:00.0: swiotlb buffer is full (sz: 4096 bytes), total 0 (slots), used 0 (slots)",
            DmaError,
            "swiotlb-full",
            "mpt3sas 0000:d8:00.0: swiotlb buffer is full (sz: NUM bytes), total NUM (slots), used NUM (slots)",
            "5.x kernel/dma/swiotlb.c swiotlb_tbl_map_single",
        ),
        (
            "DMAR: DRHD: handling fault status reg 3",
            DmaError,
            "dmar-fault-status",
            "DMAR: DRHD: handling fault status reg NUM",
            "4.x+ drivers/iommu/intel dmar_fault",
        ),
        (
            "DMAR: [DMA Read] Request device [00:1f.2] fault addr ffcda000 [fault reason 06] PTE Read access is not set",
            DmaError,
            "dmar-fault",
            "DMAR: [DMA Read] Request device [00:1f.2] fault addr ADDR [fault reason NUM] PTE Read access is not set",
            "4.x drivers/iommu/dmar.c dmar_fault_do_one",
        ),
        (
            "DMAR: [DMA Write NO_PASID] Request device [00:1a.0] fault addr 0x0 [fault reason 0x05] PTE Write access is not set",
            DmaError,
            "dmar-fault",
            "DMAR: [DMA Write NO_PASID] Request device [00:1a.0] fault addr ADDR [fault reason ADDR] PTE Write access is not set",
            "6.x drivers/iommu/intel/dmar.c",
        ),
        (
            "dmar: DMAR:[DMA Read] Request device [01:00.0] fault addr 41a6aa000",
            DmaError,
            "dmar-fault",
            "dmar: DMAR:[DMA Read] Request device [01:00.0] fault addr ADDR",
            "3.x drivers/iommu/dmar.c (openSUSE forum, RocketRAID)",
        ),
        (
            "[VT-D]iommu.c:853: DMAR:[DMA Read] Request device [0000:00:1f.2] fault addr 7cf2000, iommu reg = ffff82c3ffd54000",
            DmaError,
            "dmar-fault",
            "[VT-D]iommu.c:NUM: DMAR:[DMA Read] Request device [0000:00:1f.2] fault addr ADDR, iommu reg = ADDR",
            "Xen hypervisor drivers/passthrough/vtd/iommu.c",
        ),
        (
            "AMD-Vi: Event logged [IO_PAGE_FAULT device=0a:00.0 domain=0x001d address=0x000000000637c000 flags=0x0000]",
            DmaError,
            "amd-vi-event",
            "AMD-Vi: Event logged [IO_PAGE_FAULT device=0a:00.0 domain=ADDR address=ADDR flags=ADDR]",
            "3.x-4.x drivers/iommu/amd_iommu.c iommu_print_event",
        ),
        (
            "ahci 0000:28:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=0x0035 address=0x7fffff00000 flags=0x0000]",
            DmaError,
            "amd-vi-event",
            "ahci 0000:28:00.0: AMD-Vi: Event logged [IO_PAGE_FAULT domain=ADDR address=ADDR flags=ADDR]",
            "5.x drivers/iommu/amd/iommu.c",
        ),
        // --- mce ---
        (
            "mce: [Hardware Error]: Machine check events logged",
            Mce,
            "mce-events-logged",
            "mce: [Hardware Error]: Machine check events logged",
            "3.x+ arch/x86/kernel/cpu/mce/core.c mce_notify_irq",
        ),
        (
            "[Hardware Error]: CPU 1: Machine Check: 0 Bank 5: be00000000800400",
            Mce,
            "mce-record",
            "[Hardware Error]: CPU NUM: Machine Check: NUM Bank NUM: ADDR",
            "3.x+ arch/x86/kernel/cpu/mce/core.c print_mce",
        ),
        (
            "mce: [Hardware Error]: CPU 0: Machine Check Exception: 5 Bank 4: b200000000070f0f",
            Mce,
            "mce-record",
            "mce: [Hardware Error]: CPU NUM: Machine Check Exception: NUM Bank NUM: ADDR",
            "arch/x86/kernel/cpu/mce/core.c print_mce, fatal record",
        ),
        (
            "{1}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: 0",
            Mce,
            "ghes-hardware-error",
            "{NUM}[Hardware Error]: Hardware error from APEI Generic Hardware Error Source: NUM",
            "drivers/acpi/apei/ghes.c __ghes_print_estatus",
        ),
        (
            "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x12345 offset:0x0 grain:32 syndrome:0x0 - area:DRAM err_code:0001:0091 socket:0 ha:0 channel_mask:2 rank:1)",
            Mce,
            "edac-corrected",
            "EDAC MC0: NUM CE memory read error on CPU_SrcID#NUM_Ha#NUM_Chan#NUM_DIMM#NUM (channel:NUM slot:NUM page:ADDR offset:ADDR grain:NUM syndrome:ADDR - area:DRAM err_code:NUM:NUM socket:NUM ha:NUM channel_mask:NUM rank:NUM)",
            "3.x+ drivers/edac/edac_mc.c with sb_edac",
        ),
        (
            "EDAC MC0: CE page 0x1f4a3, offset 0x8c0, grain 128, syndrome 0x5e, row 2, channel 0, label \"\": e752x CE",
            Mce,
            "edac-corrected",
            "EDAC MC0: CE page ADDR, offset ADDR, grain NUM, syndrome ADDR, row NUM, channel NUM, label \"\": e752x CE",
            "2.6 drivers/edac/edac_mc.c edac_mc_handle_ce",
        ),
        (
            "EDAC MC1: 1 UE memory read error on CPU_SrcID#1_Ha#0_Chan#0_DIMM#1 (channel:0 slot:1 page:0x5a3b offset:0x0 grain:32 - area:DRAM err_code:0001:0090 socket:1 ha:0 channel_mask:1 rank:4)",
            Mce,
            "edac-uncorrected",
            "EDAC MC1: NUM UE memory read error on CPU_SrcID#NUM_Ha#NUM_Chan#NUM_DIMM#NUM (channel:NUM slot:NUM page:ADDR offset:ADDR grain:NUM - area:DRAM err_code:NUM:NUM socket:NUM ha:NUM channel_mask:NUM rank:NUM)",
            "3.x+ drivers/edac/edac_mc.c with sb_edac",
        ),
        (
            "EDAC MC0: UE page 0x3d2f0, offset 0x0, grain 4096, row 3, labels \":\": i5000 UE",
            Mce,
            "edac-uncorrected",
            "EDAC MC0: UE page ADDR, offset ADDR, grain NUM, row NUM, labels \":\": i5000 UE",
            "2.6 drivers/edac/edac_mc.c edac_mc_handle_ue",
        ),
        (
            "NMI: PCI system error (SERR) for reason a1 on CPU 0.",
            Mce,
            "nmi-pci-serr",
            "NMI: PCI system error (SERR)",
            "3.x+ arch/x86/kernel/nmi.c pci_serr_error",
        ),
        // --- clock ---
        (
            "clocksource: timekeeping watchdog on CPU0: Marking clocksource 'tsc' as unstable because the skew is too large:",
            Clock,
            "clocksource-unstable",
            "Marking clocksource 'tsc' as unstable",
            "4.x+ kernel/time/clocksource.c clocksource_watchdog",
        ),
        (
            "Clocksource tsc unstable (delta = -95443157 ns)",
            Clock,
            "clocksource-unstable",
            "Clocksource tsc unstable",
            "2.6.2x-3.x kernel/time/clocksource.c",
        ),
        (
            "tsc: Marking TSC unstable due to clocksource watchdog",
            Clock,
            "tsc-unstable",
            "tsc: Marking TSC unstable due to clocksource watchdog",
            "arch/x86/kernel/tsc.c mark_tsc_unstable",
        ),
        (
            "TSC found unstable after boot, most likely due to broken BIOS. Use 'tsc=unstable'.",
            Clock,
            "tsc-unstable",
            "TSC found unstable after boot, most likely due to broken BIOS. Use 'tsc=unstable'.",
            "arch/x86/kernel/tsc.c check_tsc_unstable",
        ),
        (
            "hrtimer: interrupt took 10817714 ns",
            Clock,
            "hrtimer-slow-interrupt",
            "hrtimer: interrupt took NUM ns",
            "kernel/time/hrtimer.c hrtimer_interrupt (Xen HVM guest, xen-devel)",
        ),
        // --- watchdog ---
        (
            "watchdog: watchdog0: watchdog did not stop!",
            Watchdog,
            "watchdog-did-not-stop",
            "watchdog: watchdog0: watchdog did not stop!",
            "4.x+ drivers/watchdog/watchdog_dev.c watchdog_release",
        ),
        (
            "iTCO_wdt: Unexpected close, not stopping watchdog!",
            Watchdog,
            "watchdog-did-not-stop",
            "iTCO_wdt: Unexpected close, not stopping watchdog!",
            "2.6 drivers/char/watchdog/iTCO_wdt.c",
        ),
        (
            "Watchdog timer fired for domain 0",
            Watchdog,
            "xen-watchdog-fired",
            "Watchdog timer fired for domain NUM",
            "Xen < 4.14 common/schedule.c domain_watchdog_timeout",
        ),
        (
            "Watchdog timer 1 fired for d3",
            Watchdog,
            "xen-watchdog-fired",
            "Watchdog timer NUM fired for d3",
            "Xen 4.14+ common/sched/core.c",
        ),
        (
            "(XEN) Hardware Dom0 shutdown: watchdog rebooting machine",
            Watchdog,
            "xen-watchdog-reboot",
            "Hardware Dom0 shutdown: watchdog rebooting machine",
            "Xen common/shutdown.c (xen-devel)",
        ),
        (
            "Uhhuh. NMI received for unknown reason 3d on CPU 0.",
            Watchdog,
            "nmi-unknown",
            "Uhhuh. NMI received for unknown reason",
            "arch/x86/kernel/nmi.c unknown_nmi_error",
        ),
        (
            "NMI: IOCK error (debug interrupt?) for reason 71 on CPU 0.",
            Watchdog,
            "nmi-iock",
            "NMI: IOCK error",
            "arch/x86/kernel/nmi.c io_check_error",
        ),
        // --- other ---
        (
            "NETDEV WATCHDOG: eth0 (e1000): transmit queue 0 timed out",
            Other,
            "netdev-tx-timeout",
            "NETDEV WATCHDOG: eth0 (e1000): transmit queue NUM timed out",
            "3.x+ net/sched/sch_generic.c dev_watchdog",
        ),
        (
            "NETDEV WATCHDOG: eth0: transmit timed out",
            Other,
            "netdev-tx-timeout",
            "NETDEV WATCHDOG: eth0: transmit timed out",
            "2.6 net/sched/sch_generic.c dev_watchdog",
        ),
        (
            "WARNING: LinNet: netdev_watchdog: NETDEV WATCHDOG: vmnic3: transmit timed out",
            Other,
            "netdev-tx-timeout",
            "WARNING: LinNet: netdev_watchdog: NETDEV WATCHDOG: vmnic3: transmit timed out",
            "ESX 4 vmkernel vmklinux (blog.festag.de)",
        ),
    ];

    /// Lines that must not be events, with the reason.
    const NOT_EVENTS: &[(&str, &str)] = &[
        // Crash report headers belong to the oops table.
        (
            "BUG: soft lockup - CPU#0 stuck for 22s! [java:1234]",
            "crash header",
        ),
        (
            "watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [kworker/1:1:42]",
            "crash header, has a marker",
        ),
        (
            "NMI watchdog: Watchdog detected hard LOCKUP on cpu 0",
            "crash header, has a marker",
        ),
        (
            "Kernel panic - not syncing: Watchdog detected hard LOCKUP on cpu 3",
            "crash header, has a marker",
        ),
        (
            "Kernel panic - not syncing: Fatal exception",
            "crash header",
        ),
        (
            "RIP  [<ffffffff8014c562>] list_del+0x48/0x71 RSP <ffffffff80425d00> <0>Kernel Panic - not syncing: Fatal exception",
            "crash line from the ESX seed",
        ),
        (
            "WARNING: CPU: 0 PID: 1 at fs/nfs/write.c:123 nfs_commit_release+0x10/0x20 [nfs]",
            "Linux WARNING header, not vmkernel's",
        ),
        (
            "WARNING: at fs/nfs/inode.c:123 nfs_update_inode+0x20/0x30()",
            "2.6 Linux WARNING header",
        ),
        (
            "WARNING: CPU: 2 PID: 0 at net/sched/sch_generic.c:320 dev_watchdog+0x248/0x250",
            "crash header, has a marker",
        ),
        (
            "INFO: task java:1234 blocked for more than 120 seconds.",
            "hung task is a crash",
        ),
        (
            "INFO: task jbd2/sda1-8:345 blocked for more than 120 seconds.",
            "hung task is a crash",
        ),
        ("general protection fault: 0000 [#1] SMP", "crash header"),
        (
            "Kernel panic - not syncing: Out of memory and no killable processes...",
            "panic",
        ),
        (
            "Kernel panic - not syncing: NMI IOCK error: Not continuing",
            "panic",
        ),
        (
            "Kernel panic - not syncing: An NMI occurred, please see the Integrated Management Log for details.",
            "hpwdt panic",
        ),
        (
            "[<f88c19ce>] mptscsih_io_done+0x5ee/0x608 [mptscsi]",
            "stack frame from the ESX seed",
        ),
        (
            "Domain 3 (vcpu#0) crashed on cpu#1:",
            "guest crash seen by Xen: a crash",
        ),
        // Recoveries.
        ("nfs: server filer01 OK", "recovery"),
        ("lockd: server filer01 OK", "recovery"),
        (
            "NFS: 292: Restored connection to the server 192.168.100.1 mount point /vol/datastore01, mounted as bf7ce3db-42c081a2-0000-000000000000 (\"datastore01\")",
            "recovery",
        ),
        (
            "Successfully restored access to volume 5a1b2c3d-4e5f6a7b-8c9d-001e0bc1d2e3 (DS1234) following connectivity issues.",
            "recovery",
        ),
        (
            "Device or filesystem with identifier [8a5a1336-3d574c6d] has exited the All Paths Down state.",
            "recovery",
        ),
        // Follow-up lines of an incident already reported.
        (
            "Killed process 1234 (java) total-vm:8123456kB, anon-rss:4012345kB, file-rss:0kB",
            "second line of a 4.x OOM kill",
        ),
        (
            "oom_reaper: reaped process 1234 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB",
            "after the kill",
        ),
        (
            "Memory cgroup stats for /docker/1a2b3c: cache:0KB rss:1234KB",
            "OOM dump",
        ),
        (
            "[Hardware Error]: TSC 0 ADDR 1234abcd MISC 88",
            "rest of an MCE record",
        ),
        (
            "ata1.00: failed command: READ FPDMA QUEUED",
            "rest of an ATA exception",
        ),
        (
            "NMP: nmp_ThrottleLogForDevice:3825: last error status from device naa.600601601f70190016361881f3b4de11 repeated 10 times",
            "repeat counter",
        ),
        // Boot chatter with marker words.
        (
            "EXT4-fs (sda1): mounted filesystem with ordered data mode. Opts: (null)",
            "boot",
        ),
        (
            "EXT4-fs (sda1): re-mounted. Opts: errors=remount-ro",
            "boot",
        ),
        ("XFS (dm-0): Mounting V5 Filesystem", "boot"),
        ("XFS (dm-0): Ending clean mount", "boot"),
        (
            "BTRFS info (device sda2): disk space caching is enabled",
            "boot",
        ),
        ("NFS: Registering the id_resolver key type", "boot"),
        (
            "NFS: 157: Command: (mount) Server: (10.0.0.1) IP: (10.0.0.1) Path: (/vol/ds1) Label: (ds1) Options: (None)",
            "vmkernel mount info",
        ),
        ("DMAR: IOMMU enabled", "boot"),
        ("DMAR: Host address width 46", "boot"),
        ("AMD-Vi: Found IOMMU at 0000:00:00.2 cap 0x40", "boot"),
        ("EDAC MC: Ver: 3.0.0", "boot"),
        (
            "EDAC MC0: Giving out device to module sb_edac controller Sandy Bridge SrcID#0_Ha#0: DEV 0000:3f:0e.0 (INTERRUPT)",
            "boot",
        ),
        ("mce: CPU supports 22 MCE banks", "boot"),
        (
            "NMI watchdog: Enabled. Permanently consumes one hw-PMU counter.",
            "boot",
        ),
        (
            "systemd[1]: Hardware watchdog 'iTCO_wdt', version 0",
            "boot",
        ),
        ("iTCO_wdt: Intel TCO WatchDog Timer Driver v1.11", "boot"),
        (
            "sched_clock: Marking unstable (2476023566, -3406)<-(2493690400, -21048)",
            "boot, sched_clock not clocksource",
        ),
        ("clocksource: Switched to clocksource tsc", "boot"),
        (
            "perf: interrupt took too long (2501 > 2500), lowering kernel.perf_event_max_sample_rate to 79750",
            "perf sampling, not hrtimer",
        ),
        ("xen_balloon: Initialising balloon driver.", "boot"),
        ("sd 2:0:0:0: [sdb] Attached SCSI disk", "boot"),
        (
            "ata1: SATA link up 6.0 Gbps (SStatus 133 SControl 300)",
            "boot",
        ),
        ("I/O scheduler mq-deadline registered", "boot"),
        (
            "Dazed and confused, but trying to continue",
            "follow-up text without the NMI",
        ),
        ("", "empty"),
    ];

    fn table() -> &'static EventTable {
        static T: OnceLock<EventTable> = OnceLock::new();
        T.get_or_init(EventTable::new)
    }

    /// `find` without the marker prefilter: every rule in order.
    fn slow_find(t: &EventTable, text: &str) -> Option<EventMatch> {
        let body = t.body(text);
        if t.crash_headers.is_match(body) {
            return None;
        }
        (0..RULES.len()).find_map(|i| {
            let marker_only = RULES[i].pattern.is_none();
            if marker_only && !RULES[i].markers.iter().any(|m| body.contains(m)) {
                return None;
            }
            t.try_rule(i, body)
        })
    }

    /// Whether every rule whose regex matches `text` has a marker in it.
    fn assert_sound(t: &EventTable, text: &str) {
        let body = t.body(text);
        for (i, r) in RULES.iter().enumerate() {
            if let Some(c) = &t.compiled[i]
                && c.re.is_match(body)
            {
                assert!(
                    r.markers.iter().any(|m| body.contains(m)),
                    "rule {} matches without any of its markers {:?}: {text:?}",
                    r.id,
                    r.markers
                );
            }
        }
    }

    #[test]
    fn samples_match_rule_kind_and_template() {
        let t = table();
        for &(line, kind, rule, tpl, source) in SAMPLES {
            let m = t
                .find(line)
                .unwrap_or_else(|| panic!("no event for {line:?} ({source})"));
            assert_eq!(
                (m.kind, m.rule, m.template.as_str()),
                (kind, rule, tpl),
                "{line:?} ({source})"
            );
        }
    }

    #[test]
    fn every_rule_has_a_sample_and_samples_are_many() {
        let sampled: BTreeSet<&str> = SAMPLES.iter().map(|s| s.2).collect();
        for r in RULES {
            assert!(sampled.contains(r.id), "rule {} has no sample line", r.id);
        }
        let known: BTreeSet<&str> = RULES.iter().map(|r| r.id).collect();
        for s in &sampled {
            assert!(known.contains(s), "sample names unknown rule {s}");
        }
        assert!(SAMPLES.len() >= 60);
        for kind in EventKind::ALL {
            assert!(RULES.iter().any(|r| r.kind == kind), "no rule for {kind}");
        }
    }

    #[test]
    fn non_events_do_not_match() {
        let t = table();
        for &(line, why) in NOT_EVENTS {
            assert_eq!(t.find(line), None, "{line:?} ({why})");
        }
    }

    #[test]
    fn some_non_events_reach_the_regexes() {
        // Those that carry a marker test the regexes and the header check,
        // not just the prefilter.
        let t = table();
        let with_marker = NOT_EVENTS
            .iter()
            .filter(|(l, _)| t.markers().iter().any(|m| l.contains(m)))
            .count();
        assert!(
            with_marker >= 12,
            "only {with_marker} negatives carry a marker"
        );
    }

    #[test]
    fn crash_headers_win_over_rules() {
        let t = table();
        let headers = [
            "Kernel panic - not syncing: ",
            "BUG: ",
            "WARNING: CPU: 0 PID: 1 at ",
            "WARNING: at ",
            "INFO: ",
            "general protection fault: ",
            "Oops: ",
            "Unable to handle kernel ",
            "NMI watchdog: Watchdog detected ",
        ];
        for &(line, ..) in SAMPLES {
            for h in headers {
                let text = format!("{h}{line}");
                assert_eq!(t.find(&text), None, "{text:?}");
            }
        }
    }

    #[test]
    fn transport_prefixes_do_not_change_the_result() {
        let t = table();
        let prefixes = [
            "<3>",
            "[  123.456789] ",
            "(XEN) ",
            "43:07:27:51.725 cpu2:2185)",
            "cpu2:72098 opID=62289008)",
            "In(182) vmkernel: cpu70:2098575)",
            "  \t",
        ];
        for &(line, ..) in SAMPLES {
            let plain = t.find(line);
            for p in prefixes {
                assert_eq!(t.find(&format!("{p}{line}")), plain, "{p:?} + {line:?}");
            }
        }
    }

    #[test]
    fn seed_vmkernel_line_matches() {
        // As it appears in the ESX seed, uptime and world still attached.
        let m = table()
            .find("43:07:27:51.725 cpu2:2185)WARNING: NFS: 4590: Can't find call with serial number -2146566055")
            .expect("seed line");
        assert_eq!(m.rule, "vmk-nfs-call-serial");
        assert_eq!(m.kind, Nfs);
    }

    #[test]
    fn prefilter_is_sound_on_all_test_lines() {
        let t = table();
        let lines = SAMPLES
            .iter()
            .map(|s| s.0)
            .chain(NOT_EVENTS.iter().map(|n| n.0));
        for line in lines {
            assert_sound(t, line);
            assert_eq!(t.find(line), slow_find(t, line), "{line:?}");
        }
    }

    #[test]
    fn markers_are_few_ascii_and_specific() {
        let markers = table().markers();
        // They are checked on every line a scanner feeds; the scanner's own
        // coarse prefilter (faultline-scan) must cover each of them.
        assert!(markers.len() <= 48, "{} markers", markers.len());
        let unique: BTreeSet<&str> = markers.iter().copied().collect();
        assert_eq!(unique.len(), markers.len(), "duplicate markers");
        for m in &markers {
            assert!(m.is_ascii() && m.len() >= 4, "marker {m:?}");
        }
        for r in RULES {
            assert!(!r.markers.is_empty(), "rule {} has no marker", r.id);
            for m in r.markers {
                assert!(markers.contains(m));
            }
        }
    }

    #[test]
    fn rule_ids_are_unique_and_kebab_case() {
        let mut seen = BTreeSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(
                r.id.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "rule id {}",
                r.id
            );
        }
        assert_eq!(table().rules().len(), RULES.len());
    }

    #[test]
    fn kinds_have_stable_names() {
        let names: BTreeSet<&str> = EventKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), EventKind::ALL.len());
        let phrases: BTreeSet<&str> = EventKind::ALL.iter().map(|k| k.describe()).collect();
        assert_eq!(phrases.len(), EventKind::ALL.len());
        for k in EventKind::ALL {
            let json = serde_json::to_string(&k).unwrap();
            assert_eq!(json, format!("\"{}\"", k.as_str()));
            assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), k);
            assert_eq!(k.to_string(), k.as_str());
        }
        assert_eq!(IoError.as_str(), "io_error");
        assert_eq!(MemorySqueeze.as_str(), "memory_squeeze");
    }

    #[test]
    fn table_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<EventTable>();
    }

    #[test]
    fn template_numbers_and_addresses() {
        assert_eq!(template("sector 2048"), "sector NUM");
        assert_eq!(template("took 1.5 s, -5 errno"), "took NUM s, -NUM errno");
        assert_eq!(template("waited 180s for 4096kB"), "waited NUMs for NUMkB");
        assert_eq!(template("at 0xffff8800 and 0X1F"), "at ADDR and ADDR");
        assert_eq!(template("sc=ffff810037d9a340 <f883b299>"), "sc=ADDR <ADDR>");
        // Eight digits without a letter are a number; without a digit, a word.
        assert_eq!(template("69974000 deadbeef cafe0123"), "NUM deadbeef ADDR");
        assert_eq!(template("addr 7cf2000 reason 3d"), "addr ADDR reason ADDR");
        assert_eq!(template("tag#5 #12"), "tag#NUM #NUM");
    }

    #[test]
    fn template_keeps_names_places_and_failure_codes() {
        for kept in [
            "sda",
            "sdb1",
            "nvme0n1p2",
            "eth0",
            "vif3.0",
            "dm-3",
            "md127",
            "xvda",
            "ext4",
            "EXT4-fs",
            "ioc0",
            "ata1.00",
            "vmhba2:C0:T0:L152",
            "e1000e",
            "x86_64",
            "sda1-8",
            "0000:05:00.0",
            "[00:1f.2]",
            "2:0:0:0",
            "H:0x8 D:0x2 P:0x0",
            "order:3",
            "order=0",
        ] {
            assert_eq!(template(kept), kept);
        }
    }

    #[test]
    fn template_ids_and_ips() {
        assert_eq!(
            template("to dev \"naa.600508b1001c4d5f9a7e8c3b2a1d0e0f\" failed"),
            "to dev ID failed"
        );
        assert_eq!(
            template("from device naa.60a98000572d5472 repeated"),
            "from device ID repeated"
        );
        assert_eq!(template("dev \"t10.ATA_____SSD_163713E82C00\""), "dev ID");
        assert_eq!(
            template("volume 4a1b2c3d-5e6f7a8b-9c0d-001e0bc1d2e3 (ds)"),
            "volume ID (ds)"
        );
        assert_eq!(template("ident [8a5a1336-3d574c6d]"), "ident [ID]");
        assert_eq!(
            template("server 10.0.0.5 port 10.0.0.5:2049"),
            "server IP port IP:NUM"
        );
        assert_eq!(
            template("nfs: server filer01.example.com"),
            "nfs: server filer01.example.com"
        );
    }

    #[test]
    fn template_whitespace_unicode_and_empty() {
        assert_eq!(template(""), "");
        assert_eq!(template(" \t \n "), "");
        assert_eq!(template("  a \t\t b  "), "a b");
        assert_eq!(template("a\u{a0}\u{2003}b"), "a b");
        assert_eq!(
            template("Ошибка ввода-вывода 42 на устройстве sda ✓"),
            "Ошибка ввода-вывода NUM на устройстве sda ✓"
        );
        assert_eq!(template("é12345678 ٣٤"), "éNUM ٣٤");
    }

    #[test]
    fn template_of_samples_is_idempotent() {
        for &(_, _, _, tpl, _) in SAMPLES {
            assert_eq!(template(tpl), tpl);
        }
    }

    /// The token rules of [`template`] written as one regex: the reference
    /// the scanner is checked against (on ASCII, where `\b` agrees).
    fn regex_template(text: &str) -> String {
        const TOKENS: &[&str] = &[
            r#"(?P<id>"(?:naa|eui|t10|mpx)\.[^"]*"|\b(?:naa|eui|t10)\.[0-9A-Za-z_.:#-]+)"#,
            r"(?P<uuid>\b[0-9A-Fa-f]{8}(?:-[0-9A-Fa-f]{4,12}){1,4}\b)",
            r"(?P<ip>\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b)",
            r"(?P<keep>\b(?:[0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]\b|\b[0-9]+:[0-9]+:[0-9]+:[0-9]+\b|\b[HDP]:0x[0-9A-Fa-f]+\b|\border[:=][0-9]+\b)",
            r"(?P<hex>\b0[xX][0-9A-Fa-f]+\b)",
            r"(?P<bare>\b[0-9A-Fa-f]{8,}\b)",
            r"(?P<dhex>\b[0-9][0-9A-Fa-f]*[A-Fa-f][0-9A-Fa-f]*\b)",
            r"(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:[.-][A-Za-z0-9_]+)*)",
            r"(?P<num>[0-9]+(?:\.[0-9]+)*)",
            r"(?P<ws>\s+)",
        ];
        static RE: OnceLock<Regex> = OnceLock::new();
        let re = RE.get_or_init(|| Regex::new(&TOKENS.join("|")).unwrap());
        let mut out = String::new();
        let mut last = 0;
        for caps in re.captures_iter(text) {
            let whole = caps.get(0).unwrap();
            out.push_str(&text[last..whole.start()]);
            last = whole.end();
            let s = whole.as_str();
            let has = |n: &str| caps.name(n).is_some();
            if has("id") || has("uuid") {
                out.push_str("ID");
            } else if has("ip") {
                out.push_str("IP");
            } else if has("hex") || has("dhex") {
                out.push_str("ADDR");
            } else if has("bare") {
                let letter = s.bytes().any(|b| b.is_ascii_alphabetic());
                let digit = s.bytes().any(|b| b.is_ascii_digit());
                out.push_str(match (letter, digit) {
                    (true, true) => "ADDR",
                    (false, _) => "NUM",
                    (true, false) => s,
                });
            } else if has("num") {
                out.push_str("NUM");
            } else if has("ws") {
                out.push(' ');
            } else {
                out.push_str(s);
            }
        }
        out.push_str(&text[last..]);
        out.trim().to_string()
    }

    #[test]
    fn template_agrees_with_its_regex_definition_on_samples() {
        for &(line, ..) in SAMPLES {
            assert_eq!(template(line), regex_template(line), "{line:?}");
        }
        for &(line, _) in NOT_EVENTS {
            assert_eq!(template(line), regex_template(line), "{line:?}");
        }
    }

    /// Lines made of pieces of real lines, so that markers and rule words
    /// occur in odd places.
    fn spliced() -> impl Strategy<Value = String> {
        let lines: Vec<&'static str> = SAMPLES
            .iter()
            .map(|s| s.0)
            .chain(NOT_EVENTS.iter().map(|n| n.0))
            .collect();
        (
            prop::sample::select(lines.clone()),
            prop::sample::select(lines),
            0usize..400,
            0usize..400,
            "[ -~]{0,12}",
        )
            .prop_map(|(a, b, i, j, glue)| {
                let cut = |s: &str, n: usize| {
                    let n = n.min(s.len());
                    let n = (0..=n).rev().find(|&k| s.is_char_boundary(k)).unwrap_or(0);
                    s[..n].to_string()
                };
                let tail = b.len() - j.min(b.len());
                let tail = (tail..=b.len())
                    .find(|&k| b.is_char_boundary(k))
                    .unwrap_or(b.len());
                format!("{}{glue}{}", cut(a, i), &b[tail..])
            })
    }

    proptest! {
        #[test]
        fn find_and_template_never_panic(s in any::<String>()) {
            let _ = table().find(&s);
            let _ = template(&s);
        }

        #[test]
        fn template_is_idempotent(s in any::<String>()) {
            let once = template(&s);
            prop_assert_eq!(template(&once), once.clone());
            prop_assert!(!once.starts_with(' ') && !once.ends_with(' '));
            prop_assert!(!once.contains("  "));
        }

        #[test]
        fn template_agrees_with_its_regex_definition(
            s in "[ -~\t]{0,60}|[0-9a-fA-FxX.:\"#_ -]{0,40}|(naa|eui|t10|mpx|order|H:0x)[0-9a-f.:=\"-]{0,20}",
        ) {
            prop_assert_eq!(template(&s), regex_template(&s));
        }

        #[test]
        fn template_agrees_with_regex_on_spliced_lines(s in spliced()) {
            prop_assume!(s.is_ascii());
            prop_assert_eq!(template(&s), regex_template(&s));
        }

        #[test]
        fn prefilter_is_sound_on_spliced_lines(s in spliced()) {
            let t = table();
            assert_sound(t, &s);
            prop_assert_eq!(t.find(&s), slow_find(t, &s));
        }
    }
}
