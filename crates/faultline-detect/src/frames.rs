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
    "__sanitizer",
    "__asan",
    "kasan",
    "__msan",
    "kmsan",
    "check_memory_region",
    "read_word_at_a_time",
    "print_address_description",
    "panic",
    "invalid_op",
    "report_bug",
    "fixup_bug",
    "do_error",
    "_trap",
    "dump_stack",
    "dump_backtrace",
    "show_stack",
    "warn_slowpath",
    "warn_alloc",
    "__warn",
    "debug_object",
    "timer_is_static_object",
    "work_is_static_object",
    "lockdep",
    "perf_trace",
    "lock_acquire",
    "lock_release",
    "lock_class",
    "mark_lock",
    "reacquire_held_locks",
    "spin_lock",
    "spin_trylock",
    "spin_unlock",
    "raw_read_lock",
    "raw_read_trylock",
    "raw_write_lock",
    "raw_write_trylock",
    "^down$",
    "down_read",
    "down_write",
    "down_read_trylock",
    "down_write_trylock",
    "up_read",
    "up_write",
    "mutex_lock",
    "mutex_trylock",
    "mutex_unlock",
    "mutex_remove_waiter",
    "osq_lock",
    "osq_unlock",
    "__wake_up",
    "refcount_add",
    "refcount_sub",
    "refcount_inc",
    "refcount_dec",
    "refcount_set",
    "refcount_read",
    "refcount_warn",
    "memcpy",
    "memcmp",
    "memset",
    "memchr",
    "memmove",
    "strcmp",
    "strncmp",
    "strcpy",
    "strlcpy",
    "strncpy",
    "strscpy",
    "strlen",
    "strnstr",
    "strnlen",
    "strchr",
    "copy_to_user",
    "copy_from_user",
    "put_user",
    "get_user",
    "might_fault",
    "might_sleep",
    "list_add",
    "list_del",
    "list_replace",
    "list_move",
    "list_splice",
    "_indirect_thunk_",
    "string",
    "pointer",
    "snprintf",
    "scnprintf",
    "kasprintf",
    "kvasprintf",
    "printk",
    "dev_info",
    "dev_notice",
    "dev_warn",
    "dev_err",
    "dev_alert",
    "dev_crit",
    "dev_emerg",
    "program_check_exception",
    "program_check_common",
    "del_timer",
    "flush_work",
    "__cancel_work_timer",
    "cancel_work_sync",
    "try_to_grab_pending",
    "flush_workqueue",
    "drain_workqueue",
    "destroy_workqueue",
    "finish_wait",
    "kthread_stop",
    "kobject_del",
    "kobject_put",
    "kobject_uevent_env",
    "add_uevent_var",
    "get_device_parent",
    "device_add",
    "device_del",
    "device_unregister",
    "device_destroy",
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
    "^die$",
    "__die",
    "die_body",
    "oops_end",
    "bad_area",
    "do_page_fault",
    "page_fault_oops",
    "kernelmode_fixup_or_oops",
    "no_context",
    "exc_page_fault",
    "asm_exc_",
    "exc_general_protection",
    "exc_invalid_op",
    "handle_bug",
    "^bug_handler",
    "nmi_panic",
    "bad_stack",
    "handle_bad_stack",
    "^el1_",
    "el1h_64_",
];

/// Generic entry points: in a stall, the frame just above one of these
/// names the looping work (a syscall, a work item, a timer).
const STALL_ANCHORS: &[&str] = &[
    "process_one_work",
    "do_syscall_",
    "do_fast_syscall_",
    "sysenter_dispatch",
    "tracesys_phase2",
    "netif_receive_skb",
    "do_softirq",
    "call_timer_fn",
    "_run_timers",
    "run_timer_softirq",
    "run_ksoftirqd",
    "smpboot_thread_fn",
    "^kthread$",
    "start_secondary",
    "cpu_startup_entry",
    "ret_from_fork",
    "vfs_write",
    "vfs_read",
    "vfs_iter_read",
    "vfs_iter_write",
    "do_iter_read",
    "do_iter_write",
    "vfs_ioctl",
    "blkdev_driver_ioctl",
    "blkdev_ioctl",
    "^call_read_iter",
    "^call_write_iter",
    "do_iter_readv_writev",
    "^call_mmap",
    "mmap_region",
    "do_mmap",
    "do_dentry_open",
    "vfs_open",
    "^sock_sendmsg",
    "^sock_recvmsg",
    "^sock_release",
    "^__sock_release",
    "__sys_setsockopt",
    "kernel_setsockopt",
    "sock_common_setsockopt",
    "__sys_listen",
    "kernel_listen",
    "sk_common_release",
    "^sock_mmap",
    "__sys_accept",
    "kernel_accept",
    "^sock_do_ioctl",
    "^sock_ioctl",
    "^compat_sock_ioctl",
    "^nfnetlink_rcv_msg",
    "^(compat_)?(SYSC|SyS|__sys|___sys|__do_sys|__se_sys|__x64_sys|__ia32_sys|__arm64_sys)_(socketpair|connect|ioctl)",
    "__do_fault",
    "handle_mm_fault",
    "do_page_fault",
    "^page_fault$",
    "__fput",
    "task_work_run",
    "exit_to_usermode",
    "exit_to_user_mode",
    "^el0_svc",
    "invoke_syscall",
];

/// Syscall wrappers differ per architecture and kernel version; titles
/// use one name: `__x64_sys_read` and `__arm64_sys_read` are `sys_read`,
/// the inner `__se_sys_read`, `__do_sys_read`, `SyS_read` are `read`.
const SYSCALL_PREFIXES: &[(&str, &str)] = &[
    ("__x64_sys_", "sys_"),
    ("__ia32_sys_", "sys_"),
    ("__arm64_sys_", "sys_"),
    ("__riscv_sys_", "sys_"),
    ("__se_sys_", ""),
    ("__do_sys_", ""),
    ("compat_SYSC_", ""),
    ("compat_SyS_", ""),
    ("SYSC_", ""),
    ("SyS_", ""),
];

struct Regexes {
    frame: Regex,
    corrupted_line: Regex,
    questionable: Regex,
    anchors: Regex,
    stack_frame: Regex,
}

fn regexes() -> &'static Regexes {
    static R: OnceLock<Regexes> = OnceLock::new();
    R.get_or_init(|| Regexes {
        frame: compile(r"^ *(?:{PC} ){0,2}{FUNC}"),
        corrupted_line: compile(
            r"^( \[<?(?:0x)?[0-9a-f]+>?\])? should_fail(slab)?(\.[a-z0-9.]+)?\+0x",
        ),
        questionable: compile(r"(\[<[0-9a-f]+>\])? \? +[a-zA-Z0-9_.]+\+0x[0-9a-f]+/[0-9a-f]+"),
        anchors: Regex::new(&STALL_ANCHORS.join("|")).expect("anchors"),
        stack_frame: compile(
            r"^ *(?:\[<?(?:[0-9a-f]+)>?\] ?){0,2}[ \t]*(?:[0-9]+:)?(\.?[a-zA-Z0-9_.]+)\+0x([0-9a-f]+)/0x([0-9a-f]+)",
        ),
    })
}

/// `? func+0x..` frames are guesses of the unwinder.
pub(crate) fn is_questionable(line: &str) -> bool {
    line.contains(" ? ") && !line.contains("<EOI>") && regexes().questionable.is_match(line)
}

/// Whether a line looks like a stack frame (used by corruption checks).
pub(crate) fn is_stack_frame(line: &str) -> bool {
    regexes().stack_frame.is_match(line)
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
        Pick::Hang => pick_hang(frames),
    }
}

fn pick_stall(frames: &[String]) -> Option<String> {
    let anchors = &regexes().anchors;
    let mut prev = &frames[0];
    for f in frames {
        if anchors.is_match(f) {
            return Some(prev.clone());
        }
        prev = f;
    }
    None
}

pub(crate) fn strip_syscall(name: &str) -> String {
    for (prefix, replacement) in SYSCALL_PREFIXES {
        if let Some(rest) = name.strip_prefix(prefix)
            && !rest.is_empty()
        {
            return format!("{replacement}{rest}");
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
            if f.starts_with(anchor) {
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

/// Every frame of the report's stack traces, normalised: function names
/// without offsets, `[module]` kept as `module:func`, compiler suffixes
/// (`.isra.0`, `.cold`, `.part.3`, `.constprop.7`) dropped, unreliable
/// `?` frames left out, 2.6-era `.text.lock.X` sections named `X`.
pub(crate) fn all_frames(text: &str) -> Vec<String> {
    static FRAME: OnceLock<Regex> = OnceLock::new();
    let re = FRAME.get_or_init(|| {
        Regex::new(
            r"(?:^|\s)(?:\[<?(?:0x)?[0-9a-f]+>?\]\s+)*(?:[0-9]+:)?(?::([A-Za-z0-9_]+):)?(\.?[A-Za-z_][A-Za-z0-9_.$]*)\+0x[0-9a-f]+/0x[0-9a-f]+(?:\s+\[([A-Za-z0-9_]+)\])?",
        )
        .expect("frame regex")
    });
    let mut out = Vec::new();
    for line in text.lines() {
        if is_questionable(line) {
            continue;
        }
        let Some(c) = re.captures(line) else { continue };
        let name = normalise(c.get(2).map_or("", |m| m.as_str()));
        if name.is_empty() {
            continue;
        }
        let module = c.get(3).or_else(|| c.get(1)).map(|m| m.as_str());
        out.push(match module {
            Some(m) => format!("{m}:{name}"),
            None => name,
        });
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
