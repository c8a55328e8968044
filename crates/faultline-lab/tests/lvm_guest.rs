//! End to end: one run of a `disk_format = "lvm"` configuration under QEMU
//! (TCG) on a host without device-mapper use, the volume made inside the
//! guest. About 20 s. Skipped (with a line saying so) unless QEMU is
//! installed and a cached image carries LVM (`lvm-packages.txt` beside it):
//! build one with `faultline lab image`, and point `FAULTLINE_LAB_IMAGE` at
//! its folder when it is not the default cache.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use faultline_lab::lvm::{LvmPlacement, host_device_mapper, lvm_placement};
use faultline_lab::{experiment, image, runner, watch::Outcome};

const EXPERIMENT: &str = r#"
name = "lvm-e2e"
[run]
repetitions = 1
time_limit = "12s"
memory = "512M"
vcpus = 2
disk_size = "64M"
[stress]
rw = "randrw"
bs = "4k"
size = "32M"
numjobs = 1
direct = true
runtime = "8s"
[[configuration]]
name = "lvm"
disk_format = "lvm"
"#;

fn image_dir() -> Option<PathBuf> {
    match std::env::var_os("FAULTLINE_LAB_IMAGE") {
        Some(d) => Some(PathBuf::from(d)),
        None => image::default_work_dir().ok(),
    }
}

#[test]
fn lvm_volume_made_inside_the_guest_and_stressed() {
    if !runner::on_path("qemu-system-x86_64") || !runner::on_path("qemu-img") {
        println!("skipped: qemu-system-x86_64 or qemu-img not installed");
        return;
    }
    let Some(dir) = image_dir() else {
        println!("skipped: no image cache folder (HOME unset?)");
        return;
    };
    let (kernel, initramfs) = (dir.join("vmlinuz"), dir.join("initramfs.gz"));
    if !kernel.is_file() || !initramfs.is_file() || !dir.join("lvm-packages.txt").is_file() {
        println!(
            "skipped: no image with LVM in {} (faultline lab image; FAULTLINE_LAB_IMAGE)",
            dir.display()
        );
        return;
    }
    // This test checks the guest path; a host that can do LVM itself gets
    // host volumes once the runner makes them.
    if lvm_placement(&host_device_mapper()) == LvmPlacement::Host {
        println!("skipped: this host has device-mapper (host LVM placement)");
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let e = experiment::parse(EXPERIMENT, &work.path().join("lvm-e2e.toml")).unwrap();
    let stop = AtomicBool::new(false);
    let say = |l: &str| println!("{l}");
    let records = runner::run_experiment(
        &e,
        &runner::RunOptions {
            kernel,
            initramfs,
            root: runner::experiment_root(work.path(), &e),
            qemu: "qemu-system-x86_64".into(),
            parallel: 1,
            stop: &stop,
            say: &say,
        },
    )
    .unwrap();
    assert_eq!(records.len(), 1);
    let r = &records[0];
    let console = std::fs::read_to_string(&r.console).unwrap();
    let agent: Vec<&str> = console
        .lines()
        .filter(|l| l.starts_with("faultline-agent:") || l.starts_with("faultline-stress:"))
        .collect();
    let shown = agent.join("\n");
    println!("{shown}");
    assert_eq!(r.outcome, Outcome::Clean, "{shown}");
    assert!(
        shown.contains(
            "faultline-agent: lvm: volume /dev/faultline/stress made inside the guest on /dev/vda ("
        ),
        "{shown}"
    );
    assert!(!shown.contains("lvm failed"), "{shown}");
    assert!(
        shown.contains("faultline-stress:   device /dev/faultline/stress:"),
        "{shown}"
    );
    assert!(
        shown.contains("faultline-agent: stress finished: exit status: 0"),
        "{shown}"
    );
}
