//! Running an experiment: for each configuration × repetition, fresh disks
//! (`qemu-img create`), one QEMU booted as `scripts/lab-smoke` does (TCG,
//! `-action panic=exit-failure`, `-device pvpanic`, the serial console on
//! standard output captured to `console.log`), the console watched by a
//! [`Watcher`], QEMU killed by its own PID when the run is over, one line
//! appended to `results.jsonl`.
//!
//! Layout under the work folder: `runs/<experiment>/results.jsonl` and
//! `runs/<experiment>/<configuration>/<repetition>/{console.log, qemu.log,
//! disk.FMT, swap.FMT}` (disks are deleted after the run, the logs kept).
//!
//! Acceleration: always TCG for now. KVM needs a test that `/dev/kvm` really
//! runs a standard guest kernel (on the machines this was built on it exists
//! but does not); that test is not written yet.

use std::collections::VecDeque;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use crate::experiment::{Configuration, Experiment, run_seed};
use crate::results::{self, RunRecord};
use crate::watch::{Limits, Outcome, Verdict, Watcher};

/// What the output says about acceleration.
pub const ACCEL_NOTE: &str = "TCG (software emulation; KVM is not tried yet: /dev/kvm on this \
     kind of host does not run standard guest kernels, and the test for it is not written)";

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Makes Ctrl-C (SIGINT) and SIGTERM set a flag that stops the running runs
/// (marked `aborted`, their QEMUs killed) instead of killing faultline.
pub fn install_interrupt_handler() -> &'static AtomicBool {
    // SAFETY: the handler only stores to an atomic, which is
    // async-signal-safe.
    unsafe {
        libc::signal(libc::SIGINT, on_signal as *const () as libc::sighandler_t);
        libc::signal(libc::SIGTERM, on_signal as *const () as libc::sighandler_t);
    }
    &INTERRUPTED
}

pub struct RunOptions<'a> {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    /// The experiment's folder (`WORK/runs/<experiment>`).
    pub root: PathBuf,
    pub qemu: String,
    pub parallel: u32,
    pub stop: &'a AtomicBool,
    /// Called with progress lines.
    pub say: &'a (dyn Fn(&str) + Sync),
}

/// The folder of the runs of an experiment under a work folder.
pub fn experiment_root(work: &Path, e: &Experiment) -> PathBuf {
    work.join("runs").join(&e.name)
}

/// Whether a program is on PATH (or is a path to a file).
pub fn on_path(name: &str) -> bool {
    if name.contains('/') {
        return Path::new(name).is_file();
    }
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

/// Runs every configuration × repetition not already in `results.jsonl`
/// with an outcome other than `aborted` (so an interrupted experiment goes
/// on where it stopped). Returns the records of the runs made now.
pub fn run_experiment(e: &Experiment, o: &RunOptions) -> Result<Vec<RunRecord>> {
    std::fs::create_dir_all(&o.root).with_context(|| format!("creating {}", o.root.display()))?;
    let results_path = o.root.join("results.jsonl");
    let done: Vec<(String, u32)> = if results_path.exists() {
        results::read(&results_path)?
            .into_iter()
            .filter(|r| r.outcome != Outcome::Aborted && r.experiment == e.name)
            .map(|r| (r.configuration, r.repetition))
            .collect()
    } else {
        Vec::new()
    };
    // Repetition-major order: with few runs done, every configuration has
    // some.
    let mut queue = VecDeque::new();
    for rep in 1..=e.repetitions {
        for (i, c) in e.configurations.iter().enumerate() {
            if !done.contains(&(c.name.clone(), rep)) {
                queue.push_back((i, rep));
            }
        }
    }
    if queue.len() < e.configurations.len() * e.repetitions as usize {
        (o.say)(&format!(
            "{} run(s) already in {}; {} to go",
            e.configurations.len() * e.repetitions as usize - queue.len(),
            results_path.display(),
            queue.len()
        ));
    }
    let queue = Mutex::new(queue);
    let records = Mutex::new(Vec::new());
    let first_error: Mutex<Option<anyhow::Error>> = Mutex::new(None);
    let workers = o.parallel.max(1);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    if o.stop.load(Ordering::SeqCst) || first_error.lock().unwrap().is_some() {
                        break;
                    }
                    let Some((ci, rep)) = queue.lock().unwrap().pop_front() else {
                        break;
                    };
                    let c = &e.configurations[ci];
                    match one_run(e, c, rep, o) {
                        Ok(r) => {
                            if let Err(err) = results::append(&results_path, &r) {
                                first_error.lock().unwrap().get_or_insert(err);
                            }
                            records.lock().unwrap().push(r);
                        }
                        Err(err) => {
                            let err = err.context(format!("run {}/{rep}", c.name));
                            first_error.lock().unwrap().get_or_insert(err);
                        }
                    }
                }
            });
        }
    });
    if let Some(err) = first_error.into_inner().unwrap() {
        return Err(err);
    }
    Ok(records.into_inner().unwrap())
}

fn qemu_img(fmt: &str, path: &Path, size: &str) -> Result<()> {
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", fmt])
        .arg(path)
        .arg(size)
        .output()
        .context("running qemu-img (installed with QEMU: see scripts/lab-smoke)")?;
    if !out.status.success() {
        bail!(
            "qemu-img create -f {fmt} {} {size} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(())
}

fn one_run(e: &Experiment, c: &Configuration, rep: u32, o: &RunOptions) -> Result<RunRecord> {
    let dir = o.root.join(&c.name).join(rep.to_string());
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("clearing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let fmt = c.disk_format.host_format();
    let disk = dir.join(format!("disk.{fmt}"));
    qemu_img(fmt, &disk, &e.disk_size)?;
    let swap = dir.join(format!("swap.{fmt}"));
    if c.swap {
        qemu_img(fmt, &swap, &e.swap_size)?;
    }
    let seed = run_seed(&e.name, &c.name, rep);
    let mut append = vec!["console=ttyS0".to_string(), "panic=-1".to_string()];
    append.extend(c.kernel_words(seed));
    if c.disk_format == crate::experiment::DiskFormat::Lvm {
        // Guest placement only, until host volumes are wired in (lvm.rs).
        append.push("faultline.lvm=guest".into());
    }
    let console_path = dir.join("console.log");
    let console = std::fs::File::create(&console_path)?;
    let qemu_log = std::fs::File::create(dir.join("qemu.log"))?;
    let mut cmd = Command::new(&o.qemu);
    cmd.args([
        "-accel",
        "tcg",
        "-m",
        &c.memory,
        "-smp",
        &c.vcpus.to_string(),
    ])
    .args(["-nographic", "-no-reboot", "-action", "panic=exit-failure"])
    .arg("-kernel")
    .arg(&o.kernel)
    .arg("-initrd")
    .arg(&o.initramfs)
    .args(["-append", &append.join(" ")])
    .args(["-device", "pvpanic"])
    .arg("-drive")
    .arg(format!("if=virtio,format={fmt},file={}", disk.display()));
    if c.swap {
        cmd.arg("-drive")
            .arg(format!("if=virtio,format={fmt},file={}", swap.display()));
    }
    // Its own process group: Ctrl-C in the terminal reaches faultline only,
    // which then kills this QEMU by its PID and records the run as aborted.
    cmd.stdin(Stdio::null())
        .stdout(console)
        .stderr(qemu_log)
        .process_group(0);
    // And if faultline itself dies without cleaning up (SIGKILL), the kernel
    // kills this QEMU rather than leave it running.
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let started_at = jiff::Timestamp::now().to_string();
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .with_context(|| format!("starting {}", o.qemu))?;
    (o.say)(&format!(
        "{}/{rep}: started (QEMU pid {}, seed {seed})",
        c.name,
        child.id()
    ));
    let mut reader = std::fs::File::open(&console_path)?;
    let mut watcher = Watcher::new(Limits {
        time_limit_s: e.time_limit_s,
        heartbeat_timeout_s: e.heartbeat_timeout_s,
        boot_timeout_s: e.boot_timeout_s,
    });
    let mut buf = Vec::new();
    let mut announced_boot = false;
    let verdict: Verdict = loop {
        std::thread::sleep(Duration::from_millis(100));
        let now = start.elapsed().as_secs_f64();
        buf.clear();
        reader.read_to_end(&mut buf)?;
        watcher.feed(now, &buf);
        if !announced_boot && watcher.heartbeats() > 0 {
            announced_boot = true;
            (o.say)(&format!(
                "{}/{rep}: first heartbeat after {now:.1}s",
                c.name
            ));
        }
        if let Some(status) = child.try_wait()? {
            // Whatever QEMU wrote last.
            buf.clear();
            reader.read_to_end(&mut buf)?;
            watcher.feed(now, &buf);
            break watcher.exited(now, status.code());
        }
        let stop = o.stop.load(Ordering::SeqCst);
        let over = watcher.check(now);
        if stop || over.is_some() {
            let _ = child.kill();
            let _ = child.wait();
            buf.clear();
            reader.read_to_end(&mut buf)?;
            watcher.feed(now, &buf);
            watcher.stopped(now);
            let mut v = match over {
                Some(v) => v,
                None => {
                    let mut v = watcher.check(now).unwrap_or(Verdict {
                        outcome: Outcome::Aborted,
                        time_s: 0.0,
                        boot_s: None,
                        title: None,
                        signature: None,
                        note: None,
                    });
                    v.outcome = Outcome::Aborted;
                    v.time_s = watcher.since_first_heartbeat(now);
                    v.note = Some("interrupted (Ctrl-C)".into());
                    v
                }
            };
            if v.title.is_none()
                && let Some((title, sig)) = watcher.crash_title()
            {
                // A report the detector closed only now (a freeze's
                // soft-lockup warning): kept with the outcome decided.
                v.title = Some(title);
                v.signature = Some(sig);
            }
            break v;
        }
    };
    let _ = std::fs::remove_file(&disk);
    if c.swap {
        let _ = std::fs::remove_file(&swap);
    }
    (o.say)(&format!(
        "{}/{rep}: {} at {:.1}s{}{}",
        c.name,
        verdict.outcome.name(),
        verdict.time_s,
        verdict
            .title
            .as_ref()
            .map_or(String::new(), |t| format!(" ({t})")),
        verdict
            .note
            .as_ref()
            .map_or(String::new(), |n| format!(" [{n}]"))
    ));
    Ok(RunRecord {
        experiment: e.name.clone(),
        configuration: c.name.clone(),
        settings: serde_json::to_value(c)?,
        repetition: rep,
        outcome: verdict.outcome,
        time_s: verdict.time_s,
        boot_s: verdict.boot_s,
        title: verdict.title,
        signature: verdict.signature,
        note: verdict.note,
        console: console_path.display().to_string(),
        started_at,
        seed,
        accel: "tcg".into(),
    })
}
