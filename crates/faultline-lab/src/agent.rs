//! The in-guest agent (`faultline lab agent`, run by the image's `/init`):
//! applies the settings of the kernel command line, prints a heartbeat line
//! `faultline-heartbeat SEQ UPTIME` on its standard output (the console)
//! every period, optionally runs the stress workload, and injects a failure
//! when asked.
//!
//! Injected failures:
//! - `panic`: `echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger`
//!   (the kernel prints `sysrq: Trigger a crash` and `Kernel panic - not
//!   syncing: sysrq triggered crash`; pvpanic tells QEMU).
//! - `freeze`: user space cannot disable interrupts, so the agent starves
//!   everything else instead: RT throttling off
//!   (`/proc/sys/kernel/sched_rt_runtime_us = -1`), then one SCHED_FIFO
//!   priority-99 thread pinned to each CPU spinning forever. The heartbeat
//!   (a normal thread) and all other tasks never run again; the kernel still
//!   answers interrupts, so the console may show soft-lockup or hung-task
//!   warnings later. Seen from outside: the heartbeat stops.

use std::io::BufRead as _;
use std::io::Write as _;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};

use crate::cmdline::{InjectKind, Settings, draw_exponential, sysctl_path};

fn say(msg: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "faultline-agent: {msg}");
    let _ = out.flush();
}

fn write_file(path: &str, value: &str) -> Result<()> {
    std::fs::write(path, value).with_context(|| format!("writing {value:?} to {path}"))
}

/// Applies swap, scheduler and sysctl settings; failures are reported on the
/// console and do not stop the agent.
pub fn apply(s: &Settings) {
    for (k, v) in &s.sysctls {
        match write_file(&sysctl_path(k), v) {
            Ok(()) => say(&format!("sysctl {k}={v}")),
            Err(e) => say(&format!("sysctl {k}={v} failed: {e:#}")),
        }
    }
    if let Some(sched) = &s.scheduler {
        let disks: Vec<String> = std::fs::read_dir("/sys/block")
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .filter(|n| n.starts_with("vd"))
                    .collect()
            })
            .unwrap_or_default();
        if disks.is_empty() {
            say("scheduler: no virtio disk");
        }
        for d in disks {
            let p = format!("/sys/block/{d}/queue/scheduler");
            match write_file(&p, sched) {
                Ok(()) => say(&format!("{d}: scheduler {sched}")),
                Err(e) => say(&format!("{d}: scheduler {sched} failed: {e:#}")),
            }
        }
    }
    match s.swap {
        Some(true) => {
            let dev = &s.swap_device;
            let ok = std::path::Path::new(dev).exists()
                && Command::new("mkswap")
                    .arg(dev)
                    .status()
                    .is_ok_and(|st| st.success())
                && Command::new("swapon")
                    .arg(dev)
                    .status()
                    .is_ok_and(|st| st.success());
            say(&if ok {
                format!("swap on {dev}")
            } else {
                format!("swap on {dev} failed")
            });
        }
        Some(false) => {
            let _ = Command::new("swapoff").arg("-a").status();
            say("swap off");
        }
        None => {}
    }
}

fn uptime() -> String {
    std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|t| t.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn start_stress(s: &Settings) -> Option<Child> {
    let params = s.stress.as_ref()?;
    let exe = std::env::current_exe().unwrap_or_else(|_| "/bin/faultline".into());
    let mut cmd = Command::new(exe);
    cmd.arg("stress");
    for (k, v) in params {
        if v.is_empty() {
            cmd.arg(format!("--{k}"));
        } else {
            cmd.arg(format!("--{k}={v}"));
        }
    }
    cmd.arg(format!("--filename={}", s.disk)).arg("--force");
    // A JSON status line every 10 s, and a line the moment a block fails
    // verification: the host learns the figures even if the guest dies.
    cmd.args(["--json", "--status-interval=10"]);
    say(&format!("stress: {cmd:?}"));
    // Piped, not the console: no progress lines (not a TTY), and every
    // line of the report is forwarded whole, so a heartbeat never lands in
    // the middle of one.
    cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
    match cmd.spawn() {
        Ok(mut c) => {
            if let Some(out) = c.stdout.take() {
                std::thread::spawn(move || forward(out));
            }
            if let Some(err) = c.stderr.take() {
                std::thread::spawn(move || forward(err));
            }
            Some(c)
        }
        Err(e) => {
            say(&format!("stress failed to start: {e}"));
            None
        }
    }
}

/// Copies a child's output to the console line by line, each line prefixed
/// with `faultline-stress: `.
fn forward(r: impl std::io::Read) {
    for line in std::io::BufReader::new(r).lines() {
        let Ok(line) = line else { break };
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "faultline-stress: {line}");
        let _ = out.flush();
    }
}

fn panic_now() {
    say("injecting panic (sysrq c)");
    let _ = write_file("/proc/sys/kernel/sysrq", "1");
    let _ = write_file("/proc/sysrq-trigger", "c");
}

fn freeze_now() {
    say("injecting freeze (SCHED_FIFO spinners on every CPU)");
    let _ = write_file("/proc/sys/kernel/sched_rt_runtime_us", "-1");
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut handles = Vec::new();
    for cpu in 0..cpus {
        handles.push(std::thread::spawn(move || {
            // SAFETY: plain libc calls on the current thread with valid,
            // initialised arguments.
            unsafe {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::CPU_SET(cpu, &mut set);
                libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
                let param = libc::sched_param { sched_priority: 99 };
                libc::sched_setscheduler(0, libc::SCHED_FIFO, &param);
            }
            loop {
                std::hint::spin_loop();
            }
        }));
    }
    for h in handles {
        let _ = h.join();
    }
}

/// Runs the agent forever (until the injected failure, or the stress run
/// ends with `faultline.stress` and no injection).
pub fn run(s: &Settings) -> Result<()> {
    say(&format!("settings {}", serde_json::to_string(s)?));
    apply(s);
    let mut stress = start_stress(s);
    let start = Instant::now();
    let mut deadline = s.inject.as_ref().map(|i| {
        let t = draw_exponential(i.mean_seconds, s.seed);
        say(&format!(
            "{:?} injection in {t:.1}s (mean {}s, seed {})",
            i.kind, i.mean_seconds, s.seed
        )
        .to_lowercase());
        (i.kind, start + Duration::from_secs_f64(t))
    });
    let period = Duration::from_secs_f64(s.heartbeat_seconds);
    let mut seq: u64 = 0;
    let mut next = start;
    loop {
        let now = Instant::now();
        if let Some((kind, at)) = deadline
            && now >= at
        {
            match kind {
                InjectKind::Panic => panic_now(),
                InjectKind::Freeze => freeze_now(),
            }
            say("injection did not take effect (not in a guest, or not root?)");
            deadline = None;
        }
        if now >= next {
            seq += 1;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "faultline-heartbeat {seq} {}", uptime());
            let _ = out.flush();
            next += period;
        }
        if let Some(child) = &mut stress
            && let Ok(Some(status)) = child.try_wait()
        {
            say(&format!("stress finished: {status}"));
            stress = None;
        }
        let mut wake = next;
        if let Some((_, at)) = deadline {
            wake = wake.min(at);
        }
        let now = Instant::now();
        if wake > now {
            std::thread::sleep((wake - now).min(Duration::from_millis(500)));
        }
    }
}
