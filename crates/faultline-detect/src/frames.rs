//! Stack traces: parsing frames out of report lines, and picking the
//! guilty one.

use std::sync::OnceLock;

use regex::Regex;

use crate::compile;
use crate::oops::{Part, Pick, Stack};

/// Functions that are never the culprit: reporting machinery, sanitizers,
/// locking and string helpers that only carry the fault up the stack.
/// Matched as substrings, as syzkaller does.
pub(crate) const SKIP: &[&str] = &[
    // Sanitizers and reporting machinery.
    "__sanitizer",
    "__asan",
    "kasan",
    "hwasan",
    "__msan",
    "kmsan",
    "kcsan_setup_watchpoint",
    "check_memory_region",
    "check_heap_object",
    "check_object",
    "read_word_at_a_time",
    "(read|write)_once_.*nocheck",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "print_report",
    "print_usage_bug",
    "do_error",
    "_trap$|do_trap",
    "show_stack",
    "dump_stack",
    "walk_stack",
    "dump_backtrace",
    "warn_slowpath",
    "warn_alloc",
    "warn_bogus",
    "__warn",
    "print_tainted",
    "^get_taint$",
    "__fortify_report",
    "stack_trace_consume_entry",
    "arch_stack_walk",
    "stack_trace_save",
    "hex_dump_to_buffer",
    "print_hex_dump",
    "assertfail",
    // Allocators and the page cache: the caller asked for the memory.
    "alloc_page",
    "k?v?(?:m|z|c)alloc",
    "krealloc",
    "kmem_cache",
    "allocate_slab",
    "__alloc_frozen_pages_noprof",
    "folio_(?:alloc|unlock)",
    "filemap_alloc_folio",
    "__filemap_get_folio",
    "find_or_create_page",
    "do_read_cache_folio",
    "read_cache_page",
    "pagecache_get_page",
    "grab_cache_page_write_begin",
    "slab_",
    "^kv?free$",
    "kfree_skb",
    "xas_(?:start|load|find)",
    "find_lock_entries",
    "truncate_inode_pages_range",
    "__phys_addr",
    // Debug objects and locking.
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "__might_fault",
    "print_unlock",
    "imbalance_bug",
    "lockdep",
    "bh_enable",
    "bh_disable",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "mark_lock",
    "(reacquire|mark)_held_locks",
    "raw_spin_rq",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "read_lock",
    "read_trylock",
    "write_lock",
    "write_trylock",
    "read_unlock",
    "write_unlock",
    "^down$",
    "down_read",
    "down_write",
    "down_read_trylock",
    "down_write_trylock",
    "down_trylock",
    "up_read",
    "up_write",
    "^mutex_",
    "^__mutex_",
    "^rt_mutex_",
    "owner_on_cpu",
    "osq_lock",
    "osq_unlock",
    "atomic(64)?_(dec|inc|read|set|or|xor|and|add|sub|fetch|xchg|cmpxchg|try)",
    "(set|clear|change|test)_bit",
    "__wake_up",
    "^refcount_",
    "^kref_",
    "ref_tracker",
    "seqprop_assert",
    "(trace|lockdep)_(hard|soft)irq",
    "^(un)?lock_page",
    "__might_resched",
    "might_fault",
    "might_sleep",
    "^complete$",
    "wait_for_completion",
    "finish_wait",
    // String, copy and list helpers.
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "memdup",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strstr",
    "strnstr",
    "strnlen",
    "strchr",
    "strdup",
    "strndup",
    "copy_to_user",
    "copy_from_user",
    "copy_to_iter",
    "copy_from_iter",
    "copy_page_to_iter",
    "copy_page_from_iter",
    "copy_folio_to_iter",
    "^copyin$",
    "^copyout$",
    "put_user",
    "get_user",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "^rb_",
    "^__rb_",
    "^klist_",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "va_format",
    "rhashtable_lookup",
    "extract_(user|iter)_to_sg",
    "^crc\\d+",
    "crc_itu_t",
    "dev_info",
    "dev_notice",
    "dev_warn",
    "dev_err",
    "dev_alert",
    "dev_crit",
    "dev_emerg",
    "program_check_exception",
    "program_check_common",
    // Timers, work queues and the device model: generic teardown paths.
    "del_timer",
    "lock_timer_base",
    "__timer_delete_sync",
    "sk_stop_timer_sync",
    "__mod_timer",
    "flush_work",
    "__cancel_work_timer",
    "cancel_work_sync",
    "try_to_grab_pending",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
    "queue_work",
    "insert_work",
    "__queue_delayed_work",
    "queue_delayed_work_on",
    "kthread_stop",
    "kobject_",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
    "device_release",
    "devres_release_all",
    "^put_device$",
    "hwrng_unregister",
    "i2c_del_adapter",
    "__unregister_client",
    "device_for_each_child",
    "rollback_registered",
    "unregister_netdev",
    "sysfs_remove",
    "device_remove_file",
    "tty_unregister_device",
    "dummy_urb_enqueue",
    "usb_kill_urb",
    "usb_kill_anchored_urbs",
    "usb_control_msg",
    "usb_hcd_submit_urb",
    "usb_submit_urb",
    "ida_free",
    "cleanup_srcu_struct",
    "drop_nlink",
    "^iput$",
    "^iput_final$",
    "^ihold$",
    "fast_dput",
    "dput",
    // MMIO accessors: the driver calling them is at fault.
    "readb$",
    "readw$",
    "readl$",
    "readq$",
    "writeb$",
    "writew$",
    "writel$",
    "writeq$",
    "logic_in",
    "logic_out",
    // Exception entry paths.
    "do_(kernel|translation)_fault",
    "do_mem_abort",
    "el1_abort",
    "el1h_64_sync(?:_handler)?",
];

/// Generic entry points: in a stall, the frame just above one of these
/// names the looping work (a syscall, a work item, a timer).
const STALL_ANCHORS: &[&str] = &[
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "sysenter_dispatch",
    "tracesys_phase2",
    "el0_svc_handler",
    "invoke_syscall",
    "ret_fast_syscall",
    "netif_receive_skb",
    "do_softirq",
    "call_timer_fn",
    "_run_timers",
    "run_timer_softirq",
    "hrtimer_run",
    "run_ksoftirqd",
    "smpboot_thread_fn",
    "^kthread$",
    "start_secondary",
    "cpu_startup_entry",
    "ret_from_fork",
    // Entry points of 2.6-era kernels: thread start and system call entry.
    "^child_rip$",
    "^kernel_thread_helper$",
    "^system_call_fastpath$",
    "^system_call$",
    "^sysenter_do_call$",
    "^syscall_call$",
    // File and device operations: the frame above names the driver.
    "vfs_write",
    "vfs_read",
    "vfs_iter_read",
    "vfs_iter_write",
    "do_iter_read",
    "do_iter_write",
    "call_read_iter",
    "call_write_iter",
    "new_sync_read",
    "new_sync_write",
    "vfs_ioctl",
    "ksys_ioctl",
    "compat_ioctl",
    "compat_sys_ioctl",
    "blkdev_driver_ioctl",
    "blkdev_ioctl",
    "do_iter_readv_writev",
    "^call_mmap",
    "mmap_region",
    "do_mmap",
    "do_dentry_open",
    "vfs_open",
    // Sockets: the frame above names the protocol.
    "^sock_sendmsg",
    "^sock_recvmsg",
    "^sock_release",
    "^__sock_release",
    "^setsockopt$",
    "kernel_setsockopt",
    "sock_common_setsockopt",
    "^listen$",
    "kernel_listen",
    "sk_common_release",
    "^sock_mmap",
    "^accept$",
    "kernel_accept",
    "^sock_do_ioctl",
    "^sock_ioctl",
    "^compat_sock_ioctl",
    "^nfnetlink_rcv_msg",
    "^rtnetlink_rcv_msg",
    "^netlink_dump",
    "^(sys_)?(socketpair|connect|ioctl)",
    // Page faults and the return to user space.
    "__do_fault",
    "do_page_fault",
    "^page_fault$",
    "__fput",
    "task_work_run",
    "exit_to_usermode",
    "smp_call_function",
    "tasklet_action",
    "tasklet_hi_action",
];

/// Syscall wrappers differ per architecture and kernel version; they are
/// trimmed in this order, so `__x64_sys_read` becomes `sys_read` and
/// `__se_sys_read`, `__do_sys_read`, `SyS_read` become `read`.
const SYSCALL_PREFIXES: &[&str] = &[
    "SYSC_",
    "SyS_",
    "sys_",
    "__x64_",
    "__ia32_",
    "__arm64_",
    "____sys_",
    "___sys_",
    "__sys_",
    "__se_",
    "__se_sys_",
    "__do_sys_",
    "compat_SYSC_",
    "compat_SyS_",
    "ksys_",
];

struct Regexes {
    frame: Regex,
    arm_frame: Regex,
    corrupted_line: Regex,
    questionable: Regex,
    anchors: Regex,
}

fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| Regexes {
        // Kernels before 3.x put `<IRQ>`/`<EOI>` before the address and
        // `:module:` before module functions.
        frame: compile(r"^ *(?:<[A-Z]+> +)?(?:{PC} ){0,2} *(?::[a-zA-Z0-9_]+:)?{FUNC}"),
        // 32-bit arm prints "[<pc>] (callee) from [<pc>] (caller+0x..)".
        arm_frame: compile(r"^ *{PC} \(([a-zA-Z0-9_.]+)\) from {PC} \({FUNC}"),
        corrupted_line: compile(
            r"^( \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x",
        ),
        questionable: compile(r"(\[<[0-9a-f]+>\])? \? "),
        anchors: Regex::new(&STALL_ANCHORS.join("|")).expect("anchors"),
    })
}

/// `? func+0x..` frames (and powerpc's `(unreliable)`) are guesses of the unwinder.
pub(crate) fn is_questionable(line: &str) -> bool {
    !line.contains("<EOI>")
        && ((line.contains(" ? ") && regexes().questionable.is_match(line))
            || line.ends_with(" (unreliable)"))
}

/// Whether a line can begin a stack trace that has no header: a `Call
/// Trace:` heading or an old-style `[<address>] function+0x1/0x2` frame.
pub(crate) fn is_trace_start(line: &str) -> bool {
    static OLD_FRAME: OnceLock<Regex> = OnceLock::new();
    let old = OLD_FRAME.get_or_init(|| {
        compile(r"^\s*(?:<[A-Z]+> +)?\[<[0-9a-f]+>\] +(?::[a-zA-Z0-9_]+:)?\.?[a-zA-Z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+")
    });
    let t = line.trim_start();
    t.starts_with("Call Trace:") || t.starts_with("Call trace:") || old.is_match(line)
}

/// Whether a line looks like a stack frame (used by corruption checks).
pub(crate) fn is_stack_frame(line: &str) -> bool {
    let r = regexes();
    r.frame.is_match(line) || r.arm_frame.is_match(line)
}

/// Follows a format's stack description through the report text.
/// Returns the frames it yields and whether it found them all.
pub(crate) fn extract(
    text: &str,
    stack: &Stack,
    parts: &[Part],
    compiled: &[Option<Regex>],
    skip: Option<&Regex>,
    stack_starts: &[Regex],
) -> (Vec<String>, bool) {
    let r = regexes();
    let mut lines = text.lines();
    let mut frames: Vec<String> = Vec::new();
    let mut results = Vec::new();
    let mut ok = true;
    let mut traces = 0;
    let mut idx = 0;
    loop {
        if idx == parts.len() || (matches!(parts[idx], Part::Trace) && traces > 0) {
            let key = pick(stack.pick, &frames);
            match key {
                Some(k) => results.push(k),
                None => {
                    results.push("corrupted".to_string());
                    ok = false;
                }
            }
            frames.clear();
        }
        if idx == parts.len() {
            break;
        }
        match parts[idx] {
            Part::Trace => {
                traces += 1;
                let mut jumped = false;
                for ln in lines.by_ref() {
                    if r.corrupted_line.is_match(ln) {
                        ok = false;
                        break;
                    }
                    if stack_starts.iter().any(|s| s.is_match(ln)) {
                        break;
                    }
                    if let Some(Some(next)) = compiled.get(idx + 1)
                        && let Some(caps) = next.captures(ln)
                    {
                        push_capture(&mut frames, &caps, skip);
                        idx += 1;
                        jumped = true;
                        break;
                    }
                    if let Some(caps) = r.frame.captures(ln) {
                        push_capture(&mut frames, &caps, skip);
                    } else if let Some(caps) = r.arm_frame.captures(ln) {
                        // Both callee and caller: the top frame is only ever a callee.
                        for m in caps.iter().skip(1).flatten() {
                            if !skip.is_some_and(|s| s.is_match(m.as_str())) {
                                frames.push(strip_syscall(m.as_str()));
                            }
                        }
                    }
                }
                let _ = jumped;
            }
            Part::Line(_) => {
                let re = compiled[idx].as_ref().expect("line part has a regex");
                for ln in lines.by_ref() {
                    if r.corrupted_line.is_match(ln) {
                        ok = false;
                        break;
                    }
                    if let Some(caps) = re.captures(ln) {
                        push_capture(&mut frames, &caps, skip);
                        break;
                    }
                }
            }
        }
        idx += 1;
    }
    (results, ok)
}

fn push_capture(frames: &mut Vec<String>, caps: &regex::Captures<'_>, skip: Option<&Regex>) {
    for m in caps.iter().skip(1).flatten() {
        let name = m.as_str();
        if skip.is_some_and(|s| s.is_match(name)) {
            continue;
        }
        frames.push(strip_syscall(name));
        break;
    }
}

fn pick(how: Pick, frames: &[String]) -> Option<String> {
    if frames.is_empty() {
        return None;
    }
    match how {
        Pick::First => Some(frames[0].clone()),
        Pick::Stall => pick_stall(frames),
        Pick::StallOrTop => pick_stall(frames).or_else(|| Some(frames[0].clone())),
        Pick::Hang => pick_hang(frames),
    }
}

fn pick_stall(frames: &[String]) -> Option<String> {
    let anchors = &regexes().anchors;
    let mut prev = &frames[0];
    for f in frames {
        if anchors.is_match(f) {
            // Its callers vary (smp_call_function_single, _many): name it.
            if f.contains("smp_call_function") {
                return Some("smp_call_function".to_string());
            }
            return Some(prev.clone());
        }
        prev = f;
    }
    None
}

pub(crate) fn strip_syscall(name: &str) -> String {
    let mut name = name;
    for prefix in SYSCALL_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.is_empty()
        {
            name = rest;
        }
    }
    name.to_string()
}

fn pick_hang(frames: &[String]) -> Option<String> {
    // Hangs on RCU grace periods or the RTNL lock are one bug each,
    // whichever victim shows them.
    const ANCHORS: &[(&str, &str)] = &[
        ("rtnl_lock", ""),
        ("synchronize_rcu", "synchronize_rcu"),
        ("synchronize_srcu", "synchronize_rcu"),
        ("synchronize_net", "synchronize_rcu"),
        ("synchronize_sched", "synchronize_rcu"),
    ];
    for f in frames {
        for (anchor, replacement) in ANCHORS {
            if f.contains(anchor) {
                return Some(if replacement.is_empty() {
                    f.clone()
                } else {
                    replacement.to_string()
                });
            }
        }
    }
    const SKIP_HANG: &[&str] = &[
        "sched",
        "_lock",
        "_slowlock",
        "down",
        "rwsem",
        "completion",
        "kthread",
        "wait",
        "synchronize",
        "context_switch",
        "__switch_to",
        "cancel_delayed_work",
        "rcu_barrier",
    ];
    frames
        .iter()
        .find(|f| !SKIP_HANG.iter().any(|s| f.contains(s)))
        .cloned()
}

/// Every frame of the report's stack traces, normalised for comparison:
/// function names only — no offsets, no `[module]` or `:module:`, no
/// compiler suffixes (`.isra.0`, `.cold`, `.part.3`, `.constprop.7`), no
/// unreliable `?` frames; 2.6-era `.text.lock.X` sections are named `X`.
pub(crate) fn all_frames(text: &str) -> Vec<String> {
    static FRAME: OnceLock<Regex> = OnceLock::new();
    let re = FRAME.get_or_init(|| {
        Regex::new(
            r"(?:^|\s)(?:\[<?(?:0x)?[0-9a-f]+>?\]\s+)*(?:[0-9]+:)?(?::[A-Za-z0-9_]+:)?(\.?[A-Za-z_][A-Za-z0-9_.$]*)\+0x[0-9a-f]+/0x[0-9a-f]+",
        )
        .expect("frame regex")
    });
    let mut out = Vec::new();
    for line in text.lines() {
        if is_questionable(line) {
            continue;
        }
        let Some(c) = re.captures(line) else { continue };
        let name = normalise(c.get(1).map_or("", |m| m.as_str()));
        if name.is_empty() {
            continue;
        }
        out.push(name);
    }
    out
}

/// A function name as it should be compared: suffixes the compiler adds
/// to clones are dropped.
pub(crate) fn normalise(name: &str) -> String {
    let name = name.strip_prefix(".text.lock.").unwrap_or(name);
    let base = match name.find('.') {
        Some(0) => name.trim_start_matches('.'),
        Some(i) => &name[..i],
        None => name,
    };
    base.to_string()
}

/// Reporting and locking machinery that says nothing about the bug.
pub(crate) fn is_generic(frame: &str) -> bool {
    static SKIP_RE: OnceLock<Regex> = OnceLock::new();
    let re = SKIP_RE.get_or_init(|| Regex::new(&SKIP.join("|")).expect("skip"));
    let name = frame.rsplit(':').next().unwrap_or(frame);
    re.is_match(name)
}
