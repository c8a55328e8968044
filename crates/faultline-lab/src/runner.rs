//! Running an experiment: for each configuration × repetition, a row in the
//! store (begun before QEMU starts, completed when the run ends), fresh disks
//! (`qemu-img create`), one QEMU (`-device pvpanic`, `-action panic=pause`,
//! a QMP socket, the serial console on standard output captured to
//! `console.log`), the console watched by a [`Watcher`], QMP listened to for
//! GUEST_PANICKED and BLOCK_IO_ERROR, host-side stress beside it when the
//! configuration asks, and QEMU killed by its own PID when the run is over.
//!
//! Layout under the work folder: `runs/<experiment>/<configuration>/
//! <repetition>/{console.log, qemu.log, host-stress.log, disk.FMT,
//! swap.FMT}` (disks are deleted after the run, the logs kept; an earlier
//! attempt's folder is renamed `<repetition>.earlier-N`).
//!
//! Acceleration: the caller's choice ([`crate::accel::probe`]: KVM only when
//! `/dev/kvm` really boots the guest, else TCG).

use std::collections::VecDeque;
use std::io::Read as _;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
use std::time::{Duration, Instant};

use crate::error::{IoContext as _, LabError, Result};

use faultline_store::Store;

use crate::accel::Accel;
use crate::experiment::{Configuration, DiskFormat, Experiment, run_seed};
use crate::host_stress::HostStress;
use crate::lvm::{self, HostVolume, LvmPlacement, SystemRunner};
use crate::qmp::{GuestSignal, Qmp, QmpEvent};
use crate::results::{self, RunRecord};
use crate::watch::{Limits, Outcome, Verdict, Watcher};

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
    /// Where the runs are recorded.
    pub store: &'a Mutex<Store>,
    pub accel: Accel,
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    /// The experiment's folder (`WORK/runs/<experiment>`).
    pub root: PathBuf,
    pub qemu: String,
    /// The faultline binary (host-side stress runs it).
    pub faultline: PathBuf,
    pub parallel: u32,
    pub stop: &'a AtomicBool,
    /// Called with progress lines.
    pub say: &'a (dyn Fn(&str) + Sync),
}

/// Makes a QEMU ours alone: its own process group, so Ctrl-C in the
/// terminal reaches faultline only (which then kills it by its PID and
/// records the run as aborted); and if faultline itself dies without
/// cleaning up (SIGKILL), the kernel kills it rather than leave it running.
pub(crate) fn owned_by_us(cmd: &mut Command) {
    cmd.process_group(0);
    // SAFETY: prctl is async-signal-safe and touches no memory of ours.
    unsafe {
        cmd.pre_exec(|| {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
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

/// Runs every configuration × repetition the store does not already have
/// a result for (an `aborted` run counts as missing, so an interrupted
/// experiment goes on where it stopped; a run another live faultline is
/// making is left to it). Returns the records of the runs made now.
pub fn run_experiment(e: &Experiment, o: &RunOptions) -> Result<Vec<RunRecord>> {
    std::fs::create_dir_all(&o.root).at(|| format!("creating {}", o.root.display()))?;
    let (done, busy) = {
        let mut store = o.store.lock().unwrap();
        let orphans = store.lab_mark_orphans(&results::pid_alive)?;
        if orphans > 0 {
            (o.say)(&format!(
                "{orphans} run(s) of a faultline that stopped mid-run marked aborted"
            ));
        }
        let rows = store.lab_runs(Some(&e.name))?;
        let done: Vec<(String, u32)> = rows
            .iter()
            .filter(|r| r.outcome != "aborted" && r.outcome != faultline_store::RUNNING)
            .map(|r| (r.configuration.clone(), r.repetition))
            .collect();
        let busy: Vec<(String, u32)> = rows
            .iter()
            .filter(|r| r.outcome == faultline_store::RUNNING)
            .map(|r| (r.configuration.clone(), r.repetition))
            .collect();
        (done, busy)
    };
    // Repetition-major order: with few runs done, every configuration has
    // some.
    let mut queue = VecDeque::new();
    for rep in 1..=e.repetitions {
        for (i, c) in e.configurations.iter().enumerate() {
            let key = (c.name.clone(), rep);
            if !done.contains(&key) && !busy.contains(&key) {
                queue.push_back((i, rep));
            }
        }
    }
    let all = e.configurations.len() * e.repetitions as usize;
    if queue.len() < all {
        (o.say)(&format!(
            "{} run(s) already in the store{}; {} to go",
            all - queue.len() - busy.len(),
            if busy.is_empty() {
                String::new()
            } else {
                format!(", {} being run by another faultline", busy.len())
            },
            queue.len()
        ));
    }
    let queue = Mutex::new(queue);
    let records = Mutex::new(Vec::new());
    let first_error: Mutex<Option<LabError>> = Mutex::new(None);
    let workers = o.parallel.max(1);
    let pid = std::process::id();
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
                    let result = stored_run(e, c, rep, o, pid);
                    match result {
                        Ok(r) => records.lock().unwrap().push(r),
                        Err(err) => {
                            let err = LabError::InRun {
                                run: format!("{}/{rep}", c.name),
                                cause: Box::new(err),
                            };
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

/// One more run of `c` (the next repetition number the store has for it),
/// as `lab bisect` makes them one at a time.
pub fn run_once(e: &Experiment, c: &Configuration, o: &RunOptions) -> Result<RunRecord> {
    std::fs::create_dir_all(&o.root).at(|| format!("creating {}", o.root.display()))?;
    let rep = {
        let mut store = o.store.lock().unwrap();
        store.lab_mark_orphans(&results::pid_alive)?;
        store
            .lab_runs(Some(&e.name))?
            .iter()
            .filter(|r| r.configuration == c.name)
            .map(|r| r.repetition)
            .max()
            .unwrap_or(0)
            + 1
    };
    stored_run(e, c, rep, o, std::process::id())
}

/// One run, begun in the store before QEMU starts and completed after; a
/// run that fails to set up is completed as `error` with the reason.
fn stored_run(
    e: &Experiment,
    c: &Configuration,
    rep: u32,
    o: &RunOptions,
    pid: u32,
) -> Result<RunRecord> {
    let dir = o.root.join(&c.name).join(rep.to_string());
    if dir.exists() {
        // An earlier attempt (aborted, or an error): kept beside, and its
        // stored console path follows it, so nothing is lost.
        let old = (1..)
            .map(|k| o.root.join(&c.name).join(format!("{rep}.earlier-{k}")))
            .find(|p| !p.exists())
            .expect("some attempt number is free");
        std::fs::rename(&dir, &old)
            .at(|| format!("moving {} to {}", dir.display(), old.display()))?;
        o.store.lock().unwrap().lab_move_console(
            &dir.join("console.log").display().to_string(),
            &old.join("console.log").display().to_string(),
        )?;
    }
    std::fs::create_dir_all(&dir).at(|| format!("creating {}", dir.display()))?;
    let mut record = RunRecord {
        experiment: e.name.clone(),
        configuration: c.name.clone(),
        settings: serde_json::to_value(c)?,
        repetition: rep,
        outcome: Outcome::Error,
        time_s: 0.0,
        boot_s: None,
        title: None,
        signature: None,
        note: None,
        console: dir.join("console.log").display().to_string(),
        started_at: jiff::Timestamp::now().to_string(),
        seed: run_seed(&e.name, &c.name, rep),
        accel: o.accel.name().to_string(),
        id: None,
        ended_at: None,
        disk: Some(c.disk_format.name().to_string()),
        stress: None,
        host_stress: None,
    };
    let id = o.store.lock().unwrap().lab_begin(&record.to_stored(pid))?;
    record.id = Some(id);
    let made = one_run(e, c, rep, o, &mut record);
    if let Err(err) = &made {
        record.outcome = Outcome::Error;
        record.note = Some(format!("{err:#}"));
    }
    record.ended_at = Some(jiff::Timestamp::now().to_string());
    o.store
        .lock()
        .unwrap()
        .lab_finish(id, &record.to_stored(pid))?;
    made.map(|()| record)
}

/// What the QMP listener thread tells the run's loop.
enum QmpNews {
    Connected,
    Failed(String),
    Event(QmpEvent),
}

/// Connects to QEMU's QMP socket in a thread of its own (QEMU makes the
/// socket a moment after it starts) and forwards every event; the thread
/// ends when QEMU closes the socket or the run stops listening.
fn qmp_listener(path: PathBuf) -> mpsc::Receiver<QmpNews> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut qmp = match Qmp::connect(&path, Duration::from_secs(30)) {
            Ok(q) => q,
            Err(e) => {
                let _ = tx.send(QmpNews::Failed(e.to_string()));
                return;
            }
        };
        if tx.send(QmpNews::Connected).is_err() {
            return;
        }
        loop {
            match qmp.next_event(Duration::from_millis(200)) {
                Ok(Some(ev)) => {
                    if tx.send(QmpNews::Event(ev)).is_err() {
                        return;
                    }
                }
                Ok(None) => {}
                Err(_) => return,
            }
        }
    });
    rx
}

fn qemu_img(fmt: &str, path: &Path, size: &str) -> Result<()> {
    let out = Command::new("qemu-img")
        .args(["create", "-q", "-f", fmt])
        .arg(path)
        .arg(size)
        .output()
        .map_err(|e| {
            LabError::Program(format!(
                "running qemu-img (installed with QEMU: see scripts/lab-smoke): {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(LabError::Program(format!(
            "qemu-img create -f {fmt} {} {size} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

/// Boots the guest of one run, watches it to its end and fills in how it
/// ended.
fn one_run(
    e: &Experiment,
    c: &Configuration,
    rep: u32,
    o: &RunOptions,
    record: &mut RunRecord,
) -> Result<()> {
    let dir = o.root.join(&c.name).join(rep.to_string());
    let fmt = c.disk_format.host_format();
    let disk = dir.join(format!("disk.{fmt}"));
    qemu_img(fmt, &disk, &e.disk_size)?;
    let swap = dir.join(format!("swap.{fmt}"));
    if c.swap {
        qemu_img(fmt, &swap, &e.swap_size)?;
    }
    let seed = record.seed;
    let mut append = vec!["console=ttyS0".to_string(), "panic=-1".to_string()];
    append.extend(c.kernel_words(seed));
    // LVM: on the host when it has device-mapper (QEMU then opens the LV),
    // else the guest makes the volume on its raw disk; the record says which.
    let mut drive = disk.clone();
    let mut volume = None;
    if c.disk_format == DiskFormat::Lvm {
        let placement = lvm::lvm_placement(&lvm::host_device_mapper());
        (o.say)(&format!("{}/{rep}: {}", c.name, placement.note()));
        record.disk = Some(format!("lvm ({})", placement.note()));
        if placement == LvmPlacement::Host {
            let v = HostVolume::create(SystemRunner::default(), &disk, lvm::unique_vg_name())
                .map_err(|e| {
                    LabError::Program(format!(
                        "making the host LVM volume over {}: {e}",
                        disk.display()
                    ))
                })?;
            drive = v.lv_path();
            volume = Some(v);
        }
        append.push(placement.kernel_word().into());
    }
    let console_path = dir.join("console.log");
    let console = std::fs::File::create(&console_path)?;
    // In the run's folder like everything else, unless its path is too long
    // for a Unix socket (108 bytes): then in the temporary folder.
    let mut qmp_path = dir.join("qmp.sock");
    if qmp_path.as_os_str().len() >= 100 {
        qmp_path = std::env::temp_dir().join(format!(
            "faultline-qmp-{}-{}.sock",
            std::process::id(),
            record.id.unwrap_or(0)
        ));
    }
    let _ = std::fs::remove_file(&qmp_path);
    let qemu_log = std::fs::File::create(dir.join("qemu.log"))?;
    let mut cmd = Command::new(&o.qemu);
    cmd.args(o.accel.qemu_args())
        .args(["-m", &c.memory, "-smp", &c.vcpus.to_string()])
        // A panic pauses the guest (QMP says GUEST_PANICKED; the console
        // keeps the panic text); without QMP the console's report or the
        // stopped heartbeat still ends the run.
        .args(["-nographic", "-no-reboot", "-action", "panic=pause"])
        .arg("-qmp")
        .arg(format!("unix:{},server=on,wait=off", qmp_path.display()))
        .arg("-kernel")
        .arg(&o.kernel)
        .arg("-initrd")
        .arg(&o.initramfs)
        .args(["-append", &append.join(" ")])
        .args(["-device", "pvpanic"])
        .arg("-drive")
        .arg(format!("if=virtio,format={fmt},file={}", drive.display()));
    if c.swap {
        cmd.arg("-drive")
            .arg(format!("if=virtio,format={fmt},file={}", swap.display()));
    }
    cmd.stdin(Stdio::null()).stdout(console).stderr(qemu_log);
    owned_by_us(&mut cmd);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| LabError::Program(format!("starting {}: {e}", o.qemu)))?;
    (o.say)(&format!(
        "{}/{rep}: started (QEMU pid {}, seed {seed})",
        c.name,
        child.id()
    ));
    // The host's own load starts with the guest and lasts past any run.
    let mut host = if c.host_stress {
        let runtime = (e.boot_timeout_s + e.time_limit_s).ceil() as u64 + 60;
        match HostStress::start(&o.faultline, &c.host_stress_options, &dir, runtime) {
            Ok(h) => {
                (o.say)(&format!("{}/{rep}: host stress started", c.name));
                Some(h)
            }
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(err.into());
            }
        }
    } else {
        None
    };
    let qmp_events = qmp_listener(qmp_path.clone());
    let mut qmp_note: Option<String> = None;
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
        let mut panicked = None;
        for ev in qmp_events.try_iter() {
            match ev {
                QmpNews::Connected => {}
                QmpNews::Failed(why) => {
                    (o.say)(&format!("{}/{rep}: no QMP ({why})", c.name));
                    qmp_note.get_or_insert(format!("no QMP: {why}"));
                }
                QmpNews::Event(ev) => match ev.signal() {
                    GuestSignal::Panicked { detail } => {
                        panicked.get_or_insert(detail);
                    }
                    GuestSignal::IoError { device, reason } => {
                        qmp_note.get_or_insert(format!(
                            "host I/O error on {device}: {reason} (QMP BLOCK_IO_ERROR)"
                        ));
                    }
                    _ => {}
                },
            }
        }
        if let Some(detail) = panicked {
            // The console has the panic text already (the kernel prints it
            // before pvpanic); give the last bytes a moment to arrive.
            std::thread::sleep(Duration::from_millis(300));
            let _ = child.kill();
            let _ = child.wait();
            buf.clear();
            reader.read_to_end(&mut buf)?;
            watcher.feed(now, &buf);
            let mut v = watcher.exited(now, Some(1));
            if v.outcome == Outcome::Crash {
                v.note = Some(format!("pvpanic: {detail} (QMP GUEST_PANICKED)"));
            }
            break v;
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
    let _ = std::fs::remove_file(&qmp_path);
    record.stress = watcher.stress().and_then(|f| serde_json::to_value(f).ok());
    if let Some(n) = qmp_note {
        record.note = Some(n);
    }
    if let Some(h) = host.take() {
        let (figures, problem) = h.stop();
        record.host_stress = figures;
        if let Some(p) = problem {
            (o.say)(&format!("{}/{rep}: {p}", c.name));
            record.note = Some(match record.note.take() {
                Some(n) => format!("{n}; {p}"),
                None => p,
            });
        }
    }
    if let Some(v) = volume.take()
        && let Err(err) = v.remove()
    {
        (o.say)(&format!("{}/{rep}: {err}", c.name));
    }
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
    record.outcome = verdict.outcome;
    record.time_s = verdict.time_s;
    record.boot_s = verdict.boot_s;
    record.title = verdict.title;
    record.signature = verdict.signature;
    if let Some(n) = verdict.note {
        record.note = Some(match record.note.take() {
            Some(p) => format!("{n}; {p}"),
            None => n,
        });
    }
    Ok(())
}
