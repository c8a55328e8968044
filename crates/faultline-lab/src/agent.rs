//! The in-guest agent (`faultline lab agent`, run by the image's `/init`):
//! applies the settings of the kernel command line, makes the LVM volume
//! when asked (`faultline.lvm=guest`), prints a heartbeat line
//! `faultline-heartbeat SEQ UPTIME` on its standard output (the console)
//! every period, optionally runs the stress workload, and injects a failure
//! when asked.
//!
//! LVM inside the guest: PV on the stress disk, VG `faultline`, LV `stress`
//! of all the space (see [`crate::lvm::make_guest_volume`]); the stress then
//! runs on `/dev/faultline/stress`. The console says which device was
//! stressed: `lvm: volume ... made inside the guest on /dev/vda (N MiB)`, or
//! `lvm failed: ...; stressing the raw disk /dev/vda instead`, so a run
//! that did not measure LVM is visible in its console.
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

use crate::error::{IoContext as _, OrInvalid as _, Result, bail};

use crate::cmdline::{InjectKind, LvmSide, Settings, draw_exponential, sysctl_path};
use crate::lvm::{self, SystemRunner};

fn say(msg: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "faultline-agent: {msg}");
    let _ = out.flush();
}

fn write_file(path: &str, value: &str) -> Result<()> {
    std::fs::write(path, value).at(|| format!("writing {value:?} to {path}"))
}

/// Applies swap, scheduler and sysctl settings; failures are reported on the
/// console and do not stop the agent.
pub fn apply(s: &Settings) {
    for (k, v) in &s.sysctls {
        match write_file(&sysctl_path(k), v) {
            Ok(()) => say(&format!("sysctl {k}={v}")),
            Err(e) => say(&format!("sysctl {k}={v} failed: {e}")),
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
                Err(e) => say(&format!("{d}: scheduler {sched} failed: {e}")),
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

/// Makes the guest's LVM volume on `disk`; returns its device and size.
fn guest_lvm(disk: &str) -> Result<(String, u64)> {
    if !std::path::Path::new(disk).exists() {
        bail!("{disk} does not exist");
    }
    // lvm's file locks live here; /init makes /run but not /run/lock.
    std::fs::create_dir_all("/run/lock/lvm").at(|| "creating /run/lock/lvm".into())?;
    let v = lvm::make_guest_volume(&mut SystemRunner::quiet_lvm(), disk)?;
    // Without udev, lvm makes the /dev/VG/LV link itself; the /dev/mapper
    // node is device-mapper's own, so it is the fallback.
    let mapper = format!("/dev/mapper/{}", lvm::dm_name(lvm::GUEST_VG, lvm::LV_NAME));
    let path = [v.path.as_str(), mapper.as_str()]
        .into_iter()
        .find(|p| std::path::Path::new(p).exists())
        .or_invalid(|| format!("volume made, but neither {} nor {mapper} exists", v.path))?;
    Ok((path.to_string(), v.bytes))
}

/// The kernel name (`dm-0`) and I/O scheduler line of a block device node,
/// through `/sys/dev/block/MAJOR:MINOR` (the node's name under /dev/mapper
/// is not the kernel's).
fn block_queue(node: &str) -> Option<(String, String)> {
    use std::os::unix::fs::MetadataExt as _;
    let rdev = std::fs::metadata(node).ok()?.rdev();
    // The glibc encoding of dev_t (as libc's major()/minor()).
    let major = ((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff);
    let minor = (rdev & 0xff) | ((rdev >> 12) & !0xff);
    let sys = format!("/sys/dev/block/{major}:{minor}");
    let name = std::fs::read_link(&sys)
        .ok()?
        .file_name()?
        .to_string_lossy()
        .into_owned();
    let sched = std::fs::read_to_string(format!("{sys}/queue/scheduler")).ok()?;
    Some((name, sched.trim().to_string()))
}

/// The device the stress runs on: the LVM volume when asked for and made,
/// else the raw disk, with a console line saying which.
fn stress_target(s: &Settings) -> String {
    match s.lvm {
        None => s.disk.clone(),
        Some(LvmSide::Host) => {
            say(&format!(
                "lvm: volume made on the host, seen here as {}",
                s.disk
            ));
            s.disk.clone()
        }
        Some(LvmSide::Guest) => match guest_lvm(&s.disk) {
            Ok((path, bytes)) => {
                say(&format!(
                    "lvm: volume {path} made inside the guest on {} ({} MiB)",
                    s.disk,
                    bytes / 1_048_576
                ));
                // dm-linear is bio-based: the volume's own queue has no
                // scheduler ("none"); its I/O is scheduled on the disk
                // below, whose scheduler apply() set. Shown so the record
                // says what the stress went through.
                if let Some((dm, sched)) = block_queue(&path) {
                    say(&format!("lvm: {path} is {dm}, scheduler {sched}"));
                }
                path
            }
            Err(e) => {
                // Not silent: the run measured the raw disk, not LVM, and
                // the console (kept with the run record) must say so.
                say(&format!(
                    "lvm failed: {e}; stressing the raw disk {} instead",
                    s.disk
                ));
                s.disk.clone()
            }
        },
    }
}

fn start_stress(s: &Settings, target: &str) -> Option<Child> {
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
    cmd.arg(format!("--filename={target}")).arg("--force");
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
    let target = stress_target(s);
    let mut stress = start_stress(s, &target);
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
