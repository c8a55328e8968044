//! The accelerator probe with fake QEMUs (shell scripts that print a
//! heartbeat, hang, panic or fail), the cache and the `--accel` override; and
//! one real probe when QEMU and the lab image are present.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use faultline_lab::accel::{self, Accel, ProbeOptions};

/// A folder with a fake KVM device (a plain file opens read-write), fake
/// kernel and initramfs, and a fake QEMU whose boot behaviour is `boot`.
/// The script logs its PID to `runs` on each boot, so tests can count boots
/// and check the process is gone.
struct Fake {
    dir: tempfile::TempDir,
}

impl Fake {
    fn new(boot: &str) -> Fake {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::write(d.join("kvm"), b"").unwrap();
        std::fs::write(d.join("vmlinuz"), b"kernel").unwrap();
        std::fs::write(d.join("initramfs.gz"), b"initramfs").unwrap();
        let script = format!(
            "#!/bin/sh\n\
             if [ \"$1\" = --version ]; then echo 'QEMU emulator version 99.0 (fake)'; exit 0; fi\n\
             echo $$ >> '{}'\n\
             {boot}\n",
            d.join("runs").display()
        );
        let q = d.join("qemu");
        std::fs::write(&q, script).unwrap();
        std::fs::set_permissions(&q, std::fs::Permissions::from_mode(0o755)).unwrap();
        Fake { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn opts(&self) -> ProbeOptions {
        let mut o = ProbeOptions::new(
            self.path("qemu").to_str().unwrap(),
            &self.path("vmlinuz"),
            &self.path("initramfs.gz"),
        );
        o.timeout = Duration::from_secs(3);
        o.kvm_device = self.path("kvm");
        o.cache = Some(self.path("cache/accel-probe.json"));
        o
    }

    fn pids(&self) -> Vec<i32> {
        std::fs::read_to_string(self.path("runs"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.trim().parse().ok())
            .collect()
    }
}

fn alive(pid: i32) -> bool {
    // After the probe reaped it, the PID no longer exists (barring reuse in
    // the same instant).
    Path::new(&format!("/proc/{pid}")).exists()
}

fn timed(o: &ProbeOptions) -> (accel::AccelChoice, Duration) {
    let t = Instant::now();
    let c = accel::probe(o);
    (c, t.elapsed())
}

const HEARTBEAT: &str = "echo 'SeaBIOS (version fake)'\n\
     echo '[    0.000000] Linux version 6.1.0'\n\
     printf 'faultline-agent: up\\r\\nfaultline-heartbeat 1 0.51\\r\\n'\n\
     exec sleep 60";

#[test]
fn heartbeat_means_kvm_and_is_cached() {
    let f = Fake::new(HEARTBEAT);
    let (c, took) = timed(&f.opts());
    assert_eq!(c.accel, Accel::Kvm, "{}", c.note);
    assert!(!c.cached);
    assert!(c.note.starts_with("KVM"), "{}", c.note);
    assert!(took < Duration::from_secs(3), "{took:?}");
    let pids = f.pids();
    assert_eq!(pids.len(), 1);
    assert!(!alive(pids[0]), "the fake QEMU was left running");

    // Same key: answered from the cache, no boot.
    let (c2, _) = timed(&f.opts());
    assert_eq!(c2.accel, Accel::Kvm);
    assert!(c2.cached);
    assert!(c2.note.ends_with("(cached)"), "{}", c2.note);
    // The time is this decision's, a lookup.
    assert!(c2.probed_in_s < 1.0, "{}", c2.probed_in_s);
    assert_eq!(f.pids().len(), 1);

    // A rebuilt image (another size) is another key: probed again.
    std::fs::write(f.path("initramfs.gz"), b"initramfs, rebuilt").unwrap();
    let (c3, _) = timed(&f.opts());
    assert!(!c3.cached);
    assert_eq!(f.pids().len(), 2);

    // No cache file configured: always probes.
    let mut o = f.opts();
    o.cache = None;
    assert!(!accel::probe(&o).cached);
    assert_eq!(f.pids().len(), 3);
}

#[test]
fn hang_means_tcg_at_the_timeout() {
    let f = Fake::new("echo 'Booting the kernel.'\nexec sleep 60");
    let (c, took) = timed(&f.opts());
    assert_eq!(c.accel, Accel::Tcg);
    assert!(
        c.note
            .contains("KVM did not boot a standard guest kernel within 3 s"),
        "{}",
        c.note
    );
    assert!(c.note.contains("Booting the kernel."), "{}", c.note);
    assert!(
        took >= Duration::from_secs(3) && took < Duration::from_secs(5),
        "{took:?}"
    );
    assert!(!alive(f.pids()[0]), "the fake QEMU was left running");
    // A failed probe is cached too: the next experiment does not wait again.
    let (c2, took2) = timed(&f.opts());
    assert_eq!(c2.accel, Accel::Tcg);
    assert!(c2.cached && took2 < Duration::from_secs(1), "{}", c2.note);
}

#[test]
fn qemu_exiting_means_tcg_with_its_complaint() {
    let f = Fake::new(
        "echo 'qemu-system-x86_64: failed to initialize kvm: Operation not permitted' >&2\nexit 1",
    );
    let (c, took) = timed(&f.opts());
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("QEMU exited"), "{}", c.note);
    assert!(c.note.contains("failed to initialize kvm"), "{}", c.note);
    assert!(took < Duration::from_secs(2), "{took:?}");
}

#[test]
fn guest_panic_means_tcg() {
    let f = Fake::new(
        "echo '[    1.0] Kernel panic - not syncing: Attempted to kill init!'\nexec sleep 60",
    );
    let (c, took) = timed(&f.opts());
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("panicked under KVM"), "{}", c.note);
    assert!(c.note.contains("Attempted to kill init"), "{}", c.note);
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(!alive(f.pids()[0]));
}

#[test]
fn no_usable_kvm_device_means_tcg_without_booting() {
    let f = Fake::new(HEARTBEAT);
    let mut o = f.opts();
    o.kvm_device = f.path("no-such-kvm");
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("does not exist"), "{}", c.note);
    // A directory cannot be opened read-write.
    o.kvm_device = f.path("cache-dir");
    std::fs::create_dir(&o.kvm_device).unwrap();
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("cannot be opened read-write"), "{}", c.note);
    assert!(f.pids().is_empty());
    assert!(!f.path("cache/accel-probe.json").exists());
}

#[test]
fn forced_choices_never_probe() {
    let f = Fake::new(HEARTBEAT);
    let mut o = f.opts();
    o.qemu = "/nonexistent/qemu".into();
    o.kvm_device = f.path("no-such-kvm");
    o.force = Some(Accel::Tcg);
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("forced"), "{}", c.note);
    o.force = Some(Accel::Kvm);
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Kvm);
    assert!(c.note.contains("forced") && c.note.contains("not probed"));
    assert!(f.pids().is_empty());
}

#[test]
fn unusable_qemu_or_image_means_tcg() {
    let f = Fake::new(HEARTBEAT);
    let mut o = f.opts();
    o.qemu = f.path("missing-qemu").display().to_string();
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("cannot run"), "{}", c.note);
    let mut o = f.opts();
    o.kernel = f.path("missing-vmlinuz");
    let c = accel::probe(&o);
    assert_eq!(c.accel, Accel::Tcg);
    assert!(c.note.contains("missing-vmlinuz"), "{}", c.note);
}

#[test]
fn cache_file_round_trip_and_garbage() {
    let f = Fake::new(HEARTBEAT);
    let o = f.opts();
    let key = accel::cache_key(&o).unwrap();
    assert!(key.qemu_version.contains("99.0 (fake)"));
    assert_eq!(key.kernel.size, 6);
    assert!(!key.host_kernel.is_empty());
    let path = f.path("c/d/accel.json");
    assert!(accel::read_cache(&path, &key).is_none());
    let choice = accel::AccelChoice {
        accel: Accel::Tcg,
        note: "TCG (because)".into(),
        probed_in_s: 1.5,
        cached: false,
    };
    accel::write_cache(&path, &key, &choice).unwrap();
    let back = accel::read_cache(&path, &key).unwrap();
    assert_eq!(back.accel, Accel::Tcg);
    assert_eq!(back.note, "TCG (because) (cached)");
    let mut other = key.clone();
    other.host_kernel.push_str("-other");
    assert!(accel::read_cache(&path, &other).is_none());
    // A damaged cache file is a miss, and the probe rewrites it.
    std::fs::create_dir_all(o.cache.as_ref().unwrap().parent().unwrap()).unwrap();
    std::fs::write(o.cache.as_ref().unwrap(), b"{not json").unwrap();
    let c = accel::probe(&o);
    assert!(!c.cached && c.accel == Accel::Kvm, "{}", c.note);
    assert!(accel::probe(&o).cached);
}

#[test]
fn accel_names_and_args() {
    assert_eq!(Accel::Kvm.qemu_args(), ["-accel", "kvm", "-cpu", "host"]);
    assert_eq!(Accel::Tcg.qemu_args(), ["-accel", "tcg"]);
    assert_eq!(Accel::Kvm.name(), "kvm");
    assert_eq!("TCG".parse::<Accel>().unwrap(), Accel::Tcg);
    assert!("hvf".parse::<Accel>().is_err());
    assert!(accel::is_heartbeat("faultline-heartbeat 3 2.01"));
    assert!(accel::is_heartbeat(
        "[ 5.1] random: crng initfaultline-heartbeat 1 0.5"
    ));
    assert!(!accel::is_heartbeat("faultline.heartbeat=1 console=ttyS0"));
    assert!(!accel::is_heartbeat("faultline-heartbeat "));
    assert_eq!(
        accel::strip_escapes("\u{1b}c\u{1b}[?7l\u{1b}[2JBooting\r\t!"),
        "Booting!"
    );
}

#[test]
fn real_probe_returns_within_its_timeout() {
    let Ok(work) = faultline_lab::image::default_work_dir() else {
        eprintln!("skipped: no cache folder (neither XDG_CACHE_HOME nor HOME)");
        return;
    };
    let kernel = work.join("vmlinuz");
    let initramfs = work.join("initramfs.gz");
    if !faultline_lab::runner::on_path("qemu-system-x86_64")
        || !kernel.is_file()
        || !initramfs.is_file()
    {
        eprintln!(
            "skipped: needs qemu-system-x86_64 and a lab image in {} (faultline lab image)",
            work.display()
        );
        return;
    }
    let o = ProbeOptions::new("qemu-system-x86_64", &kernel, &initramfs);
    let (c, took) = timed(&o);
    eprintln!(
        "real probe: {} in {:.1} s: {}",
        c.accel,
        took.as_secs_f64(),
        c.note
    );
    assert!(took < o.timeout + Duration::from_secs(5), "{took:?}");
    assert!(!c.note.is_empty());
}
