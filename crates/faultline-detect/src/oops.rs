//! The table of kernel crash report formats: which line opens a report,
//! how its title is built, and where its guilty frame is found.
//!
//! This is data, in the manner of syzkaller's `pkg/report`: a family is
//! opened by a literal header; its formats are tried against the report
//! text and the one matching earliest decides the title. Titles follow
//! syzkaller's spelling so they are comparable with its public corpus.
//!
//! Patterns may use placeholders: `{FUNC}` (a function name, captured),
//! `{PC}` (a `[<ffffffff81234567>]` address), `{SRC}` (`file.c:123`,
//! captured), `{ADDR}` (a `0x` number). A title template takes `{1}`,
//! `{2}`, ... for the captures of the title (or report) pattern, followed
//! by the guilty frame(s) the stack description yields.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use regex::Regex;

use crate::compile;
use crate::console::Origin;
use crate::report::ReportKind;

/// How to find the guilty frame.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// Scan forward to the first line matching; its first capture not
    /// skipped is a frame candidate.
    Line(&'static str),
    /// Parse a stack trace from here until the next stack heading.
    Trace,
}

/// Which frame of the candidates is the guilty one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// The first frame not skipped.
    First,
    /// Stalls and lockups loop over many functions: take the frame just
    /// above a generic entry point (syscall, workqueue, timer, ...).
    Stall,
    /// As `Stall`, but with no entry point in the stack (an idle CPU, a
    /// kernel thread, a loop in the block layer: common in field logs,
    /// where no fuzzer's syscall sits below) the top frame, rather than
    /// calling a whole lockup report corrupted.
    StallOrTop,
    /// Hung tasks are victims: group them on the lock they wait for.
    Hang,
}

#[derive(Debug, Clone, Copy)]
pub struct Stack {
    pub parts: &'static [Part],
    /// Tried when `parts` finds no frame.
    pub parts2: &'static [Part],
    /// Frames containing any of these are not guilty.
    pub skip: &'static [&'static str],
    pub pick: Pick,
}

#[derive(Debug, Clone, Copy)]
pub struct Format {
    pub kind: ReportKind,
    pub title: &'static str,
    pub report: Option<&'static str>,
    pub fmt: &'static str,
    pub stack: Option<Stack>,
    /// The format has no stack trace to check for corruption.
    pub no_stack_trace: bool,
    /// Matching this format means the report is damaged.
    pub corrupted: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Family {
    pub headers: &'static [&'static str],
    /// Lines that contain the header but are not crashes.
    pub suppress: &'static [&'static str],
    pub kind: ReportKind,
    /// A stack trace with no header of its own (lost to a full ring buffer
    /// or never printed, as in 2.6-era lockups): it opens a report only
    /// when none is open, when the line really is a frame or a `Call
    /// Trace:` heading, when no informational dump (OOM killer, sysrq)
    /// just printed it, and it needs a few frames to count.
    pub bare: bool,
    /// Whose text the family is looked for in: Linux, vmkernel or Xen.
    pub origin: Origin,
    pub formats: &'static [Format],
}

/// A `RIP:`/`IP:`/`pc :`/`PC is at` line naming the faulting function
/// (old x86_64 kernels print `RIP  [<addr>] func`, i386 `EIP is at func`;
/// Xen PV guests have code segment `e030`, hence a hex segment).
const RIP: &str = r"(?:(?:IP|NIP|pc |PC is at|EIP is at):? |RIP  )(?:(?:[0-9a-f]+:)?(?:{PC} +){0,2}{FUNC}|(?:[0-9]+:)?0x[0-9a-f]+|(?:[0-9]+:)?{PC} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))";
/// A WARNING's stack starts at its RIP line (x86) or `--- interrupt:` (powerpc).
const WARN_RIP: &str = r"(?:(?:IP|NIP|pc |PC is at|EIP is at):? |RIP  )(?:(?:[0-9a-f]+:)?(?:{PC} +){0,2}{FUNC}|(?:[0-9]+:)?0x[0-9a-f]+|(?:[0-9]+:)?{PC} +\[< *\(null\)>\] +\(null\)|[0-9]+: +\(null\))|--- interrupt: [0-9]+ at {FUNC}";
const CALL_TRACE: &str = r"Call [Tt]race:|Backtrace:";

const TRACE: &[Part] = &[Part::Line(CALL_TRACE), Part::Trace];
const RIP_TRACE: &[Part] = &[Part::Line(RIP), Part::Line(CALL_TRACE), Part::Trace];
const RIP_ONLY: &[Part] = &[Part::Line(RIP)];
const PC_TRACE: &[Part] = &[
    Part::Line(r"{PC} +{FUNC}"),
    Part::Line(CALL_TRACE),
    Part::Trace,
];
const WARN_PARTS: &[Part] = &[Part::Line(WARN_RIP), Part::Trace];
const KFENCE_PARTS: &[Part] = &[
    Part::Line(r"BUG: KFENCE: (?:[a-z\- ]+) in {FUNC}"),
    Part::Trace,
];
const KMSAN_PARTS: &[Part] = &[
    Part::Trace,
    Part::Line(r"(Local variable .* created at:|Uninit was created at:)"),
    Part::Trace,
];

const fn st(parts: &'static [Part], skip: &'static [&'static str]) -> Option<Stack> {
    Some(Stack {
        parts,
        parts2: &[],
        skip,
        pick: Pick::First,
    })
}

const fn st2(
    parts: &'static [Part],
    parts2: &'static [Part],
    skip: &'static [&'static str],
    pick: Pick,
) -> Option<Stack> {
    Some(Stack {
        parts,
        parts2,
        skip,
        pick,
    })
}

/// A WARNING's stack: from the RIP line, else from `Call Trace:`.
const fn warn(skip: &'static [&'static str]) -> Option<Stack> {
    Some(Stack {
        parts: WARN_PARTS,
        parts2: TRACE,
        skip,
        pick: Pick::First,
    })
}

const F: Format = Format {
    kind: ReportKind::Bug,
    title: "",
    report: None,
    fmt: "",
    stack: None,
    no_stack_trace: false,
    corrupted: false,
};
const W: Format = Format {
    kind: ReportKind::Warning,
    ..F
};
const P: Format = Format {
    kind: ReportKind::Panic,
    ..F
};
const O: Format = Format {
    kind: ReportKind::Oops,
    ..F
};

use ReportKind as K;

const USB_SKIP: &[&str] = &[
    "usb_submit_urb",
    "usb_start_wait_urb",
    "usb_bulk_msg",
    "usb_interrupt_msg",
    "usb_control_msg",
];

#[rustfmt::skip]
pub static FAMILIES: &[Family] = &[
    Family {
        headers: &["BUG:"],
        suppress: &["ODEBUG:", "Boot_DEBUG:", "xlog_status:", "DEBUG:", "BUG: no syscalls can create resource"],
        kind: K::Bug,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { kind: K::Kasan, title: r"BUG: KASAN:",
                report: Some(r"BUG: KASAN: ([a-z\-]+) in {FUNC}(?:.*\n)+?.*(Read|Write) (?:of size|at addr) (?:[0-9a-f]+)"),
                fmt: "KASAN: {1} {3} in {4}",
                // The skipped frames belong to tag-based KASAN's fault path.
                stack: st(&[Part::Line(r"BUG: KASAN: (?:[a-z\-]+) in {FUNC}"), Part::Line(CALL_TRACE), Part::Trace],
                          &["kernel_fault", "tag_check", "mem_abort", "^el1_", "^el1h_"]),
                ..F },
            Format { kind: K::Kasan, title: r"BUG: KASAN:",
                report: Some(r"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {FUNC}"),
                fmt: "KASAN: invalid-free in {2}",
                stack: st(&[Part::Line(r"BUG: KASAN: (?:double-free or invalid-free|double-free|invalid-free) in {FUNC}"), Part::Line(CALL_TRACE), Part::Trace],
                          &["slab_", "kfree", "vunmap", "vfree"]),
                ..F },
            Format { kind: K::Kasan, title: r"BUG: KASAN: ([a-z\-]+) on address(?:.*\n)+?.*(Read|Write) of size ([0-9]+)", fmt: "KASAN: {1} {2}", ..F },
            Format { kind: K::Kasan, title: r"BUG: KASAN: (.*)", fmt: "KASAN: {1}", corrupted: true, ..F },
            Format { kind: K::Kasan, title: r"BUG: KMSAN: kernel-usb-infoleak",
                report: Some(r"BUG: KMSAN: kernel-usb-infoleak in {FUNC}"),
                fmt: "KMSAN: kernel-usb-infoleak in {2}",
                stack: st(KMSAN_PARTS, &["alloc_skb", "usb_submit_urb", "usb_start_wait_urb", "usb_bulk_msg", "usb_interrupt_msg", "usb_control_msg"]),
                no_stack_trace: true, ..F },
            Format { kind: K::Kasan, title: r"BUG: KMSAN:",
                report: Some(r"BUG: KMSAN: ([a-z\-]+) in {FUNC}"),
                fmt: "KMSAN: {1} in {3}",
                // Crypto helpers are where uninit data is noticed, not where it comes from.
                stack: st(KMSAN_PARTS, &["alloc_skb", "netlink_ack", "netlink_rcv_skb", "_encrypt$", "^(?:crypto|cipher|drbg|rng)_"]),
                no_stack_trace: true, ..F },
            Format { kind: K::Other, title: r"BUG: KCSAN:", report: Some(r"BUG: KCSAN: (.*)"), fmt: "KCSAN: {1}", no_stack_trace: true, ..F },
            Format { kind: K::Kasan, title: r"BUG: KFENCE: (use-after-free|out-of-bounds) (read|write) in {FUNC}",
                fmt: "KFENCE: {1} {2} in {4}", stack: st(KFENCE_PARTS, &[]), ..F },
            Format { kind: K::Kasan, title: r"BUG: KFENCE: invalid free in {FUNC}",
                fmt: "KFENCE: invalid free in {2}", stack: st(KFENCE_PARTS, &[]), no_stack_trace: true, ..F },
            Format { kind: K::Kasan, title: r"BUG: KFENCE: invalid (read|write) in {FUNC}",
                fmt: "KFENCE: invalid {1} in {3}", stack: st(KFENCE_PARTS, &[]), ..F },
            Format { kind: K::Kasan, title: r"BUG: KFENCE: memory corruption in {FUNC}",
                fmt: "KFENCE: memory corruption in {2}", stack: st(KFENCE_PARTS, &[]), no_stack_trace: true, ..F },
            Format { title: r"BUG: (?:unable to handle kernel paging request|unable to handle page fault for address|Unable to handle kernel data access)",
                fmt: "BUG: unable to handle kernel paging request in {1}", stack: st(RIP_TRACE, &[]), ..O },
            Format { title: r"BUG: (?:unable to handle kernel NULL pointer dereference|kernel NULL pointer dereference|Kernel NULL pointer dereference)",
                fmt: "BUG: unable to handle kernel NULL pointer dereference in {1}", stack: st(RIP_TRACE, &[]), ..O },
            // The kernel prints this header in two pieces; the second can be lost.
            Format { title: r"BUG: (?:unable to handle kernel|Unable to handle kernel)", fmt: "BUG: unable to handle kernel", corrupted: true, ..O },
            Format { title: r"BUG: (spinlock|rwlock) (lockup suspected|already unlocked|recursion|cpu recursion|bad magic|wrong owner|wrong CPU|trylock failure on UP)",
                fmt: "BUG: {1} {2} in {3}", stack: st(TRACE, &["spin_", "_lock", "_unlock"]), ..F },
            Format { kind: K::SoftLockup, title: r"BUG: soft lockup", fmt: "BUG: soft lockup in {1}",
                stack: st2(RIP_TRACE, TRACE, &[], Pick::StallOrTop), ..F },
            Format { title: r"BUG: .*still has locks held!", report: Some(r"BUG: .*still has locks held!(?:.*\n)+?.*{PC} +{FUNC}"),
                fmt: "BUG: still has locks held in {1}", ..F },
            Format { title: r"BUG: scheduling while atomic", fmt: "BUG: scheduling while atomic in {1}", stack: st(TRACE, &["schedule"]), ..F },
            Format { title: r"BUG: lock held when returning to user space",
                report: Some(r"BUG: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"),
                fmt: "BUG: lock held when returning to user space in {1}", no_stack_trace: true, ..F },
            Format { title: r"BUG: bad unlock balance detected!", fmt: "BUG: bad unlock balance in {1}", stack: st(PC_TRACE, &[]), ..F },
            Format { title: r"BUG: held lock freed!", report: Some(r"BUG: held lock freed!(?:.*\n)+?.*{PC} +{FUNC}"),
                fmt: "BUG: held lock freed in {1}", ..F },
            Format { title: r"BUG: Bad rss-counter state", fmt: "BUG: Bad rss-counter state", no_stack_trace: true, ..F },
            Format { title: r"BUG: non-zero nr_ptes on freeing mm", fmt: "BUG: non-zero nr_ptes on freeing mm", no_stack_trace: true, ..F },
            Format { title: r"BUG: non-zero nr_pmds on freeing mm", fmt: "BUG: non-zero nr_pmds on freeing mm", no_stack_trace: true, ..F },
            // Device and filesystem names would split one bug into many.
            Format { title: r"BUG: Dentry .* still in use",
                report: Some(r"BUG: Dentry .* still in use \([0-9]+\) \[(unmount) of ([^\]]+)\]"),
                fmt: "BUG: Dentry still in use in {1}", ..F },
            Format { title: r"BUG: Bad page (state|cache)", fmt: "BUG: Bad page {1} in {2}",
                stack: st(&[Part::Line("page last allocated"), Part::Trace],
                          &["(free|put|get|update|release)_page", "free_unref", "^_*folio", "truncate_inode_pages", "page_frag_free", "alloc", "vmap", "page_owner"]),
                ..F },
            Format { title: r"BUG: Bad page map", fmt: "BUG: Bad page map", ..F },
            Format { title: r"BUG: workqueue lockup", fmt: "BUG: workqueue lockup", no_stack_trace: true, ..F },
            Format { title: r"BUG: sleeping function called from invalid context at (.*)",
                fmt: "BUG: sleeping function called from invalid context in {2}", stack: st(TRACE, &[]), ..F },
            Format { title: r"BUG: using ([a-z_]+)\(\) in preemptible", fmt: "BUG: using {1}() in preemptible code in {2}",
                stack: st(TRACE, &["dump_stack", "preemption", "preempt", "debug_", "processor_id", "this_cpu"]), ..F },
            Format { title: r"BUG: workqueue leaked lock or atomic",
                report: Some(r"BUG: workqueue leaked lock or atomic(?:.*\n)+?.*last function: ([a-zA-Z0-9_]+)\n"),
                fmt: "BUG: workqueue leaked lock or atomic in {1}", no_stack_trace: true, ..F },
            Format { kind: K::Other, title: r"BUG: memory leak", fmt: "memory leak in {1}",
                stack: st(&[Part::Line(r"backtrace(?: \(crc [[:xdigit:]]*\))?:"), Part::Trace],
                          &["kmemleak", "mmap", "kmem", "slab", "alloc", "create_object", "idr_get", "list_lru_init", "kasprintf", "kvasprintf", "pcpu_create", "strdup", "strndup", "memdup"]),
                ..F },
            Format { title: r"BUG: .*stack guard page was hit at", fmt: "BUG: stack guard page was hit in {1}",
                stack: st2(RIP_TRACE, &[], &[], Pick::Stall), ..F },
            // arm prints what x86 calls a locking bug this way.
            Format { title: r"BUG: Invalid wait context", fmt: "WARNING: locking bug in {1}", stack: st(TRACE, &["lock_sock", "release_sock"]), ..W },
            Format { kind: K::HardLockup, title: r"BUG: hard lockup", fmt: "BUG: hard lockup in {1}", stack: st2(RIP_TRACE, TRACE, &[], Pick::StallOrTop), ..F },
            Format { title: r"BUG:[[:space:]]*(?:\n|$)", fmt: "BUG: corrupted", corrupted: true, ..F },
        ],
    },
    Family {
        headers: &["WARNING:"],
        // User space and boot chatter that happens to say WARNING.
        suppress: &[
            "WARNING: /etc/ssh/moduli does not exist, using fixed modulus",
            "WARNING: workqueue cpumask: online intersect > possible intersect",
            "WARNING: [Tt]he mand mount option",
            r"WARNING: Unsupported flag value\(s\) of 0x%x in DT_FLAGS_1",
            "WARNING: Unprivileged eBPF is enabled with eIBRS",
            r"WARNING: fbcon: Driver '(.*)' missed to adjust virtual screen size",
            "WARNING: See https.* for mitigation options.",
            "WARNING: kernel not compiled with CPU_SRSO",
            r"EXT4-[Ff][Ss](?: \(.*\))?:",
            "(?i)warning: .* uses (deprecated v2 capabilities|wireless extensions)",
            r"XFS \(\w+\): WARNING",
        ],
        kind: K::Warning,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"WARNING: .*lib/debugobjects\.c.* (?:debug_print|debug_check|at)", fmt: "WARNING: ODEBUG bug in {1}",
                stack: warn(&["debug_", "rcu", "hrtimer_", "timer_", "work_", "percpu_", "vunmap", "vfree", "__free_", "debug_check", "kobject_"]), ..W },
            Format { title: r"WARNING: .*mm/usercopy\.c.* (?:usercopy_warn|at)", fmt: "WARNING: bad usercopy in {1}", stack: warn(&["usercopy", "__check"]), ..W },
            Format { title: r"WARNING: .*lib/kobject\.c.* (?:kobject_|at)", fmt: "WARNING: kobject bug in {1}", stack: warn(&["kobject_"]), ..W },
            Format { title: r"WARNING: .*fs/proc/generic\.c.* (?:proc_register|at)", fmt: "WARNING: proc registration bug in {1}", stack: warn(&["proc_"]), ..W },
            Format { title: r"WARNING: .*lib/refcount\.c.* (?:refcount_|at)", fmt: "WARNING: refcount bug in {1}", stack: warn(&["refcount", "kobject_"]), ..W },
            Format { title: r"WARNING: .*kernel/locking/lockdep\.c.*lock_", fmt: "WARNING: locking bug in {1}", stack: warn(&["lock_sock", "release_sock"]), ..W },
            Format { title: r"WARNING: .*still has locks held!", report: Some(r"WARNING: .*still has locks held!(?:.*\n)+?.*at: {FUNC}"),
                fmt: "WARNING: still has locks held in {1}", ..W },
            Format { title: r"WARNING: Nested lock was not taken", fmt: "WARNING: nested lock was not taken in {1}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: lock held when returning to user space",
                report: Some(r"WARNING: lock held when returning to user space(?:.*\n)+?.*leaving the kernel with locks still held(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"),
                fmt: "WARNING: lock held when returning to user space in {1}", no_stack_trace: true, ..W },
            Format { title: r"WARNING: .*mm/.*\.c.* k?.?malloc", fmt: "WARNING: kmalloc bug in {1}", stack: warn(&["kmalloc", "krealloc", "slab", "kmem"]), ..W },
            Format { title: r"WARNING: .*mm/vmalloc\.c.*__vmalloc_node", fmt: "WARNING: zero-size vmalloc in {1}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: .* usb_submit_urb", fmt: "WARNING in {1}/usb_submit_urb", stack: warn(USB_SKIP), ..W },
            // Since 6.19: `WARNING: net/core/dev.c:123 at 0x0, CPU#1: comm/123`.
            Format { title: r"WARNING: {SRC} at 0x\d+, CPU#\d+", fmt: "WARNING in {2}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: .* at {SRC} {FUNC}", fmt: "WARNING in {3}", stack: warn(&[]), ..W },
            // 2.6-era kernels: `WARNING: at lib/list_debug.c:48 list_del+0x5c/0x90()`.
            Format { title: r"WARNING: at {SRC} {FUNC}", fmt: "WARNING in {3}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: {SRC} at {FUNC}", fmt: "WARNING in {3}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: \[.*\] {SRC} at {FUNC}.*", fmt: "WARNING in {3}", stack: warn(&[]), ..W },
            Format { title: r"WARNING: possible circular locking dependency detected",
                report: Some(r"WARNING: possible circular locking dependency detected(?:.*\n)+?.*is trying to acquire lock"),
                fmt: "possible deadlock in {1}",
                // Work queue functions take the locks of the work items they run.
                stack: st(&[Part::Line(r"at: (?:{PC} +)?{FUNC}"), Part::Line(r"at: (?:{PC} +)?{FUNC}"), Part::Trace],
                          &["process_one_work", "flush_workqueue", "drain_workqueue", "destroy_workqueue"]),
                ..W },
            Format { title: r"WARNING: possible irq lock inversion dependency detected",
                report: Some(r"WARNING: possible irq lock inversion dependency detected(?:.*\n)+?.*just changed the state of lock(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"WARNING: .*-safe -> .*-unsafe lock order detected", fmt: "possible deadlock in {1}",
                stack: st(&[Part::Line(r"which became (?:.*) at:"), Part::Trace], &[]), ..W },
            Format { title: r"WARNING: possible recursive locking detected",
                report: Some(r"WARNING: possible recursive locking detected(?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"WARNING: inconsistent lock state",
                report: Some(r"WARNING: inconsistent lock state(?:.*\n)+?.*takes(?:.*\n)+?.*at: (?:{PC} +)?{FUNC}"),
                fmt: "inconsistent lock state in {2}", stack: st(TRACE, &[]), ..W },
            Format { title: r"WARNING: suspicious RCU usage", report: Some(r"WARNING: suspicious RCU usage(?:.*\n)+?.*?{SRC}"),
                fmt: "WARNING: suspicious RCU usage in {2}", stack: st(TRACE, &["rcu", "kmem", "slab"]), ..W },
            Format { title: r"WARNING: kernel stack regs at [0-9a-f]+ in [^ ]* has bad '([^']+)' value",
                fmt: "WARNING: kernel stack regs has bad '{1}' value", no_stack_trace: true, ..W },
            Format { title: r"WARNING: kernel stack frame pointer at [0-9a-f]+ in [^ ]* has bad value",
                fmt: "WARNING: kernel stack frame pointer has bad value", no_stack_trace: true, ..W },
            Format { title: r"WARNING: bad unlock balance detected!", fmt: "WARNING: bad unlock balance in {1}", stack: st(PC_TRACE, &[]), ..W },
            Format { title: r"WARNING: held lock freed!", report: Some(r"WARNING: held lock freed!(?:.*\n)+?.*at:(?: {PC})? +{FUNC}"),
                fmt: "WARNING: held lock freed in {1}", ..W },
            Format { title: r"WARNING: kernel stack regs .* has bad 'bp' value", fmt: "WARNING: kernel stack regs has bad value", no_stack_trace: true, ..W },
            Format { title: r"WARNING: kernel stack frame pointer .* has bad value", fmt: "WARNING: kernel stack regs has bad value", no_stack_trace: true, ..W },
            Format { title: r"WARNING:[[:space:]]*(?:\n|$)", fmt: "WARNING: corrupted", corrupted: true, ..W },
        ],
    },
    Family {
        headers: &["INFO:"],
        suppress: &[
            "INFO: lockdep is turned off",
            "INFO: Stall ended before state dump start",
            "INFO: NMI handler",
            "INFO: recovery required on readonly filesystem",
            "(handler|interrupt).*took too long",
            "INFO: sys_.* is not present in /proc/kallsyms",
            "INFO: no syscalls can create resource",
            "rmt_storage:INFO:",
            "_INFO:",
        ],
        kind: K::Bug,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"INFO: possible circular locking dependency detected",
                report: Some(r"INFO: possible circular locking dependency detected \](?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*at: {PC} +{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"INFO: possible irq lock inversion dependency detected",
                report: Some(r"INFO: possible irq lock inversion dependency detected \](?:.*\n)+?.*just changed the state of lock(?:.*\n)+?.*at: {PC} +{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected",
                report: Some(r"INFO: SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected \](?:.*\n)+?.*is trying to acquire(?:.*\n)+?.*at: {PC} +{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"INFO: possible recursive locking detected",
                report: Some(r"INFO: possible recursive locking detected \](?:.*\n)+?.*is trying to acquire lock(?:.*\n)+?.*at: {PC} +{FUNC}"),
                fmt: "possible deadlock in {1}", ..W },
            Format { title: r"INFO: inconsistent lock state",
                report: Some(r"INFO: inconsistent lock state \](?:.*\n)+?.*takes(?:.*\n)+?.*at: {PC} +{FUNC}"),
                fmt: "inconsistent lock state in {1}", ..W },
            Format { kind: K::RcuStall, title: r"INFO: rcu_(?:preempt|sched|bh)(?:_state)? (?:self-)?detected(?: expedited)? stall",
                fmt: "INFO: rcu detected stall in {1}",
                stack: st2(&[Part::Line("apic_timer_interrupt"), Part::Line(RIP), Part::Trace],
                           &[Part::Line("(?:apic_timer_interrupt|Exception stack|el1h_64_irq)"), Part::Trace],
                           &["apic_timer_interrupt", "rcu"], Pick::StallOrTop),
                ..F },
            Format { title: r"INFO: trying to register non-static key", fmt: "INFO: trying to register non-static key in {1}",
                stack: st(TRACE, &["stack", "lock", "IRQ"]), ..W },
            Format { title: r"INFO: suspicious RCU usage", report: Some(r"INFO: suspicious RCU usage(?:.*\n)+?.*?{SRC}"),
                fmt: "INFO: suspicious RCU usage in {2}", stack: st(TRACE, &["rcu", "kmem", "slab"]), ..W },
            Format { kind: K::HungTask, title: r"INFO: task .* blocked (?:in I/O wait )?for more than [0-9]+ seconds", fmt: "INFO: task hung in {1}",
                stack: st2(TRACE, &[], &[], Pick::Hang), ..F },
            Format { kind: K::HungTask, title: r"INFO: task .* can't die for more than .* seconds", fmt: "INFO: task can't die in {1}",
                stack: st(TRACE, &["schedule"]), ..F },
            // Old-style KASAN reports that lost their header.
            Format { kind: K::Kasan, title: r"INFO: (Freed|Allocated) in (.*)", fmt: "INFO: {1} in {2}", corrupted: true, ..F },
            Format { title: r"INFO:[[:space:]]*(?:\n|$)", fmt: "INFO: corrupted", corrupted: true, ..F },
        ],
    },
    Family {
        // arm, and i386/x86_64 kernels before 2.6.25.
        headers: &["Unable to handle kernel"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"Unable to handle kernel (paging request|NULL pointer dereference|access to user memory)",
                fmt: "BUG: unable to handle kernel {1} in {2}", stack: st2(RIP_TRACE, TRACE, &[], Pick::First), ..O },
        ],
    },
    Family {
        headers: &["general protection fault"],
        // User-space faults, printed as one line by show_signal.
        suppress: &[r"general protection fault .* error:\d+ in "],
        kind: K::Gpf,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::Gpf, title: r"general protection fault.*:", fmt: "general protection fault in {1}", stack: st(RIP_TRACE, &[]), ..F }],
    },
    Family {
        headers: &["stack segment: "],
        suppress: &[],
        kind: K::Gpf,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::Gpf, title: r"stack segment: ", fmt: "stack segment fault in {1}", stack: st(RIP_TRACE, &[]), ..F }],
    },
    Family {
        // RHEL 5 and older print "Kernel Panic".
        headers: &["Kernel panic", "Kernel Panic"],
        suppress: &[],
        kind: K::Panic,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"Kernel [Pp]anic - not syncing: stack-protector:",
                report: Some(r"Kernel [Pp]anic - not syncing: stack-protector: Kernel stack is corrupted in: {FUNC}"),
                fmt: "kernel panic: stack is corrupted in {1}", no_stack_trace: true, ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: stack-protector:",
                report: Some(r"Kernel [Pp]anic - not syncing: stack-protector: Kernel stack is corrupted in: [a-f0-9]+"),
                fmt: "kernel panic: stack is corrupted in {1}", stack: st(TRACE, &["stack_chk"]), ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: corrupted stack end",
                report: Some(r"Kernel [Pp]anic - not syncing: corrupted stack end detected inside scheduler"),
                fmt: "kernel panic: corrupted stack end in {1}", stack: st2(TRACE, &[], &["schedule", "retint_kernel"], Pick::Stall), ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: kernel stack overflow", fmt: "kernel stack overflow in {1}",
                stack: st2(TRACE, &[], &["bad_stack"], Pick::Stall), ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: Attempted to kill init!", fmt: "kernel panic: Attempted to kill init!", ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: Couldn't open N_TTY ldisc for [^ ]+ --- error -[0-9]+", fmt: "kernel panic: Couldn't open N_TTY ldisc", ..P },
            // Printed after an oops whose header was lost: the report lost its head.
            Format { title: r"Kernel [Pp]anic - not syncing: Fatal exception", fmt: "kernel panic: Fatal exception", corrupted: true, ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: panic_on_warn set", fmt: "kernel panic: panic_on_warn set", corrupted: true, ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: hung_task: blocked tasks", fmt: "kernel panic: hung_task: blocked tasks", corrupted: true, ..P },
            Format { title: r"Kernel [Pp]anic - not syncing: (.*)", fmt: "kernel panic: {1}", ..P },
        ],
    },
    Family {
        headers: &["PANIC: double fault"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"PANIC: double fault", fmt: "PANIC: double fault in {1}", stack: st(RIP_ONLY, &[]), ..O }],
    },
    Family {
        headers: &["rust_kernel: panicked"],
        suppress: &[],
        kind: K::Panic,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"rust_kernel: panicked", report: Some(r"rust_kernel: panicked at [^\n]*?\n(.+?)\n"),
            fmt: "{1} in {2}", stack: st(TRACE, &[r"__rustc::rust_begin_unwind"]), ..P }],
    },
    Family {
        // Kernels up to 2.6.x print "Kernel BUG at".
        headers: &["kernel BUG", "Kernel BUG"],
        suppress: &[],
        kind: K::Bug,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"[Kk]ernel BUG at mm/usercopy\.c", fmt: "BUG: bad usercopy in {1}", stack: st(TRACE, &["usercopy", "__check"]), ..F },
            Format { kind: K::ListCorruption, title: r"[Kk]ernel BUG at lib/list_debug\.c", fmt: "BUG: corrupted list in {1}",
                stack: st2(TRACE, RIP_ONLY, &[], Pick::First), ..F },
            // skb helpers BUG_ON bad arguments: the caller is at fault.
            Format { title: r"[Kk]ernel BUG at (.*)", fmt: "kernel BUG in {2}", stack: st2(RIP_TRACE, TRACE, &["^skb_"], Pick::First), ..F },
            Format { title: r"[Kk]ernel BUG (.*)", fmt: "kernel BUG {1}", ..F },
        ],
    },
    Family {
        // Newer kernels name the list corruption on a line of its own before the BUG.
        headers: &["list_del corruption", "list_add corruption"],
        suppress: &[],
        kind: K::ListCorruption,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::ListCorruption, title: r"list_(?:del|add) corruption", fmt: "BUG: corrupted list in {1}",
            stack: st2(RIP_TRACE, TRACE, &["__list_", "list_debug"], Pick::First), ..F }],
    },
    Family {
        headers: &["BUG kmalloc-"],
        suppress: &[],
        kind: K::Bug,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"BUG kmalloc-.*: Object already free", fmt: "BUG: Object already free", ..F }],
    },
    Family {
        // "divide_error:" is a misspelling some 5.x kernels print.
        headers: &["divide error:", "divide_error:"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"divide[ _]error: ", fmt: "divide error in {1}", stack: st(RIP_ONLY, &[]), ..O }],
    },
    Family {
        headers: &["invalid opcode:"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"invalid opcode: ", fmt: "invalid opcode in {1}", stack: st(RIP_ONLY, &[]), ..O }],
    },
    Family {
        headers: &["UBSAN:"],
        suppress: &[],
        kind: K::Ubsan,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { kind: K::Ubsan, title: r"UBSAN:", report: Some(r"UBSAN: Undefined behaviour in"),
                fmt: "UBSAN: undefined-behaviour in {1}", stack: st(TRACE, &["ubsan", "overflow"]), ..F },
            Format { kind: K::Ubsan, title: r"UBSAN: array-index-out-of-bounds in",
                fmt: "UBSAN: array-index-out-of-bounds in {1}", stack: st(TRACE, &["ubsan", "overflow"]), ..F },
            Format { kind: K::Ubsan, title: r"UBSAN:", report: Some(r"UBSAN: (.*?) in"),
                fmt: "UBSAN: {1} in {2}", stack: st(TRACE, &["ubsan", "overflow"]), ..F },
        ],
    },
    Family {
        headers: &["unregister_netdevice: waiting for"],
        suppress: &[],
        kind: K::Other,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::Other, title: r"unregister_netdevice: waiting for (?:.*) to become free",
            fmt: "unregister_netdevice: waiting for DEV to become free", no_stack_trace: true, ..F }],
    },
    Family {
        headers: &["VFS: Close: file count is 0", "VFS: Busy inodes after unmount"],
        suppress: &[],
        kind: K::Bug,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"VFS: Close: file count is 0", fmt: "VFS: Close: file count is zero (use-after-free)", no_stack_trace: true, ..F },
            Format { title: r"VFS: Busy inodes after unmount", fmt: "VFS: Busy inodes after unmount (use-after-free)", no_stack_trace: true, ..F },
        ],
    },
    Family {
        headers: &["Internal error:"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"Internal error:", fmt: "Internal error in {1}", stack: st(RIP_TRACE, &[]), ..O }],
    },
    Family {
        headers: &["Unhandled fault:"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"Unhandled fault:", fmt: "Unhandled fault in {1}", stack: st(RIP_TRACE, &[]), ..O }],
    },
    Family {
        headers: &["Alignment trap:"],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"Alignment trap:", fmt: "Alignment trap in {1}", stack: st(RIP_TRACE, &[]), ..O }],
    },
    Family {
        // 2.6 kernels: "NMI Watchdog detected LOCKUP on CPU 1";
        // newer: "Watchdog detected hard LOCKUP on cpu 1".
        headers: &["detected LOCKUP", "detected hard LOCKUP"],
        suppress: &[],
        kind: K::HardLockup,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::HardLockup, title: r"[Ww]atchdog detected (?:hard )?LOCKUP", fmt: "BUG: hard lockup in {1}",
            stack: st2(RIP_TRACE, TRACE, &["watchdog", "nmi"], Pick::First), ..F }],
    },
    Family {
        headers: &["trusty: panic"],
        suppress: &[],
        kind: K::Panic,
        bare: false,
        origin: Origin::Linux,
        formats: &[
            Format { title: r"trusty: panic.* ASSERT FAILED", report: Some(r"trusty: panic \(.*?\):(?: DEBUG)? ASSERT FAILED at \(.*?\): (.+)"),
                fmt: "trusty: ASSERT FAILED: {1}", no_stack_trace: true, ..P },
            Format { title: r"trusty: panic.* ASSERT FAILED.*: *(.*)", fmt: "trusty: ASSERT FAILED: {1}", corrupted: true, ..P },
            Format { title: r"trusty: panic", report: Some(r"trusty: panic \(.*?\): (.+)"), fmt: "trusty: panic: {1}", no_stack_trace: true, ..P },
        ],
    },
    Family {
        headers: &["SYZFAIL:"],
        suppress: &[],
        kind: K::Other,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { kind: K::Other, title: r"SYZFAIL:(.*)", fmt: "SYZFAIL:{1}", no_stack_trace: true, ..F }],
    },
    Family {
        // A bare "Oops:" only opens a report when no header named it first.
        headers: &["Oops: "],
        suppress: &[],
        kind: K::Oops,
        bare: false,
        origin: Origin::Linux,
        formats: &[Format { title: r"Oops: ", fmt: "Oops in {1}", stack: st(RIP_TRACE, &[]), ..O }],
    },
    Family {
        // Frames without a `Call Trace:` heading are not looked for: every
        // kernel since 2.6 prints the heading, and a three-byte `>] `
        // marker would halve the speed of the fast path.
        headers: &["Call Trace:", "Call trace:"],
        suppress: &[],
        kind: K::Other,
        bare: true,
        origin: Origin::Linux,
        formats: &[Format { kind: K::Other, title: r"Call [Tt]race:", fmt: "stack trace in {1}",
            stack: st(TRACE, &[]), corrupted: true, ..F }],
    },
    // Hypervisors. Their lines reach the detector without the `(XEN) `
    // prefix or the vmkernel stamp and `cpuN:world)`.
    Family {
        // Xen prints its register dump and call trace, then the reason.
        headers: &["----[ Xen-", "Panic on CPU"],
        suppress: &[],
        kind: K::Panic,
        bare: false,
        origin: Origin::Xen,
        formats: &[
            Format { title: r"----\[ Xen-", report: Some(r"Panic on CPU [0-9]+:\n(.+)"), fmt: "Xen panic: {1} in {2}",
                stack: st2(&[Part::Line(XEN_RIP)], &[Part::Line("Xen call trace:"), Part::Trace], &[], Pick::First), ..P },
            Format { title: r"----\[ Xen-", fmt: "Xen crash in {1}",
                stack: st2(&[Part::Line(XEN_RIP)], &[Part::Line("Xen call trace:"), Part::Trace], &[], Pick::First), corrupted: true, ..P },
            Format { title: r"Panic on CPU [0-9]+:\n(.+)", fmt: "Xen panic: {1}", no_stack_trace: true, ..P },
        ],
    },
    Family {
        // The purple screen: `@BlueScreen: #PF Exception 14 in world 2185:vmm0:vm01 IP 0x41802ac3c7d7 addr 0x0`.
        headers: &["@BlueScreen:"],
        suppress: &[],
        kind: K::Panic,
        bare: false,
        origin: Origin::Vmkernel,
        formats: &[
            Format { title: r"@BlueScreen: (.+?)(?: in world| IP 0x|$)", fmt: "PSOD: {1} in {2}",
                stack: st(&[Part::Line(VMK_FRAME), Part::Line(VMK_FRAME), Part::Line(VMK_FRAME), Part::Line(VMK_FRAME)],
                          &["^Panic", "^BlueScreen", "^Debug", "^Util_", "^PanicvPanic"]),
                no_stack_trace: true, ..P },
        ],
    },
];

/// Xen's register dump: `RIP:    e008:[<ffff82d080129e4b>] _spin_lock+0x1b/0x80`
/// (newer Xen puts `R`, `F` or `S` before the function).
const XEN_RIP: &str = r"RIP: +[0-9a-f]+:\[<[0-9a-f]+>\] +(?:[RFS] )?{FUNC}";
/// A vmkernel backtrace frame: `0x4390c7e9b0d0:[0x41802ac3c7d7]SCSIDeviceIOPDLCheck@vmkernel#nover+0x1f`.
const VMK_FRAME: &str = r"0x[0-9a-f]+:\[0x[0-9a-f]+\]([a-zA-Z0-9_]+)@";

/// Messages that print a stack trace on purpose, without a bug: a bare
/// trace right after one of these is part of it, not a crash.
pub(crate) const INFO_WITH_STACK: &[&str] = &[
    "invoked oom-killer",
    "page allocation failure",
    "vmalloc: allocation failure",
    "FAULT_INJECTION: forcing a failure",
    "FAULT_FLAG_ALLOW_RETRY missing",
    "sysrq: ",
    "SysRq : ",
    "NMI backtrace for cpu",
    "Sending NMI from CPU",
];
/// How many lines after such a message its trace may still come.
pub(crate) const INFO_WINDOW: u64 = 200;
/// Frames a bare trace needs to be reported.
pub(crate) const BARE_MIN_FRAMES: usize = 3;

/// Lines that contain a header but do not start a report of their own
/// when one is open: they are the tail of the report before them.
const CONTINUES: &[&str] = &[
    "Panic on CPU",
    "Call Trace:",
    "Call trace:",
    "invalid opcode: 0000",
    "Kernel panic - not syncing",
    "Kernel Panic - not syncing",
    "unregister_netdevice: waiting for",
    "PANIC: double fault",
];

/// Headers that follow another header within a few lines as part of the
/// same report (`BUG: unable to handle ...` then `Oops: 0000 [#1]`;
/// `list_del corruption` then `kernel BUG at lib/list_debug.c`), but that
/// later on mean a new crash.
const CONTINUES_EARLY: &[&str] = &[
    "Oops: ",
    "Internal error:",
    "Kernel BUG at",
    "kernel BUG at",
];
/// How many lines after a header `CONTINUES_EARLY` still continue it.
pub(crate) const EARLY_LINES: usize = 12;

/// Messages that are not bugs but print a stack: in a plain console the
/// report before them ends there.
const ENDS: &[&str] = &[
    "vmalloc: allocation failure:",
    "FAULT_INJECTION: forcing a failure",
    "FAULT_FLAG_ALLOW_RETRY missing",
];

/// Lines after which nothing more belongs to the report.
const CLOSES: &[&str] = &["---[ end Kernel panic", "---[ end kernel panic"];

/// Stack trace headings.
pub(crate) const STACK_STARTS: &[&str] = &[
    r"Call [Tt]race",
    r"Allocated:",
    r"Allocated by task [0-9]+:",
    r"Freed:",
    r"Freed by task [0-9]+:",
    r"[^k] backtrace(?: \(crc [0-9a-f]*\))?:",
    r"Backtrace:",
    r"Uninit was stored to memory at",
];

/// The table with its regexes compiled on first use.
pub struct Compiled {
    header_finder: AhoCorasick,
    header_family: Vec<usize>,
    suppress: Vec<Vec<Regex>>,
    continues: AhoCorasick,
    continues_early: AhoCorasick,
    ends: AhoCorasick,
    closes: AhoCorasick,
    info: AhoCorasick,
    regexes: Vec<Vec<FormatRegexes>>,
    pub(crate) stack_starts: Vec<Regex>,
}

pub(crate) struct FormatRegexes {
    pub title: OnceLock<Regex>,
    pub report: OnceLock<Option<Regex>>,
    pub parts: OnceLock<Vec<Option<Regex>>>,
    pub parts2: OnceLock<Vec<Option<Regex>>>,
    pub skip: OnceLock<Option<Regex>>,
}

fn literals(list: &[&str]) -> AhoCorasick {
    AhoCorasickBuilder::new()
        .match_kind(MatchKind::LeftmostFirst)
        .build(list)
        .expect("literal table")
}

impl Compiled {
    pub(crate) fn new() -> Self {
        let mut headers = Vec::new();
        let mut header_family = Vec::new();
        for (i, f) in FAMILIES.iter().enumerate() {
            for h in f.headers {
                headers.push(*h);
                header_family.push(i);
            }
        }
        Compiled {
            header_finder: AhoCorasickBuilder::new()
                .match_kind(MatchKind::Standard)
                .build(&headers)
                .expect("headers"),
            header_family,
            suppress: FAMILIES
                .iter()
                .map(|f| f.suppress.iter().map(|s| compile(s)).collect())
                .collect(),
            continues: literals(CONTINUES),
            continues_early: literals(CONTINUES_EARLY),
            ends: literals(ENDS),
            closes: literals(CLOSES),
            info: literals(INFO_WITH_STACK),
            regexes: FAMILIES
                .iter()
                .map(|f| {
                    f.formats
                        .iter()
                        .map(|_| FormatRegexes {
                            title: OnceLock::new(),
                            report: OnceLock::new(),
                            parts: OnceLock::new(),
                            parts2: OnceLock::new(),
                            skip: OnceLock::new(),
                        })
                        .collect()
                })
                .collect(),
            stack_starts: STACK_STARTS.iter().map(|s| compile(s)).collect(),
        }
    }

    pub(crate) fn markers(&self) -> Vec<&'static str> {
        let mut m: Vec<&'static str> = FAMILIES
            .iter()
            .flat_map(|f| f.headers.iter().copied())
            .collect();
        m.extend(CLOSES);
        m.extend(INFO_WITH_STACK);
        m
    }

    /// The family whose header this line carries, if it is not suppressed.
    /// When several headers occur, the table order decides (as syzkaller
    /// tries its oopses in order).
    pub(crate) fn match_header(&self, line: &str, origin: Origin) -> Option<usize> {
        let mut best: Option<usize> = None;
        for m in self.header_finder.find_overlapping_iter(line) {
            let fam = self.header_family[m.pattern().as_usize()];
            if best.is_some_and(|b| b <= fam) || FAMILIES[fam].origin != origin {
                continue;
            }
            if self.suppress[fam].iter().any(|re| re.is_match(line)) {
                continue;
            }
            best = Some(fam);
        }
        best
    }

    /// Whether a header line belongs to a report opened `age` lines ago.
    pub(crate) fn continues_report(&self, line: &str, age: usize) -> bool {
        self.continues.is_match(line) || (age <= EARLY_LINES && self.continues_early.is_match(line))
    }

    pub(crate) fn ends_report(&self, line: &str) -> bool {
        self.ends.is_match(line)
    }

    pub(crate) fn prints_stack_on_purpose(&self, line: &str) -> bool {
        self.info.is_match(line)
    }

    pub(crate) fn closes_report(&self, line: &str) -> bool {
        self.closes.is_match(line)
    }

    pub(crate) fn format_regexes(&self, family: usize, format: usize) -> &FormatRegexes {
        &self.regexes[family][format]
    }
}

impl FormatRegexes {
    pub(crate) fn title(&self, f: &Format) -> &Regex {
        self.title.get_or_init(|| compile(f.title))
    }
    pub(crate) fn report(&self, f: &Format) -> Option<&Regex> {
        self.report.get_or_init(|| f.report.map(compile)).as_ref()
    }
    pub(crate) fn parts(&self, parts: &[Part], second: bool) -> &[Option<Regex>] {
        let cell = if second { &self.parts2 } else { &self.parts };
        cell.get_or_init(|| {
            parts
                .iter()
                .map(|p| match p {
                    Part::Line(re) => Some(compile(re)),
                    Part::Trace => None,
                })
                .collect()
        })
    }
    pub(crate) fn skip(&self, stack: &Stack) -> Option<&Regex> {
        self.skip
            .get_or_init(|| {
                let all: Vec<&str> = crate::frames::SKIP
                    .iter()
                    .chain(stack.skip)
                    .copied()
                    .collect();
                if all.is_empty() {
                    None
                } else {
                    Some(Regex::new(&all.join("|")).expect("skip patterns"))
                }
            })
            .as_ref()
    }
}
