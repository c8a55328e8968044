//! Tests of the lab's pieces that need no QEMU and no network: the cpio
//! writer, the command-line settings, the cache decision, module dependency
//! resolution, and the parsers of apt/ldd output. The image build itself is
//! `image_build` (ignored: needs apt and the network) and `scripts/lab-smoke`.

use std::collections::HashSet;

use faultline_lab::cmdline::{self, InjectKind};
use faultline_lab::cpio::{self, CpioWriter};
use faultline_lab::image;
use faultline_lab::manifest::{Manifest, rebuild_reason};
use faultline_lab::modules::{self, DepTable};

fn sample_archive() -> Vec<u8> {
    let mut c = CpioWriter::new(Vec::new());
    c.dir("dev", 0o755).unwrap();
    c.char_dev("dev/console", 0o600, 5, 1).unwrap();
    c.file("bin/busybox", 0o755, b"\x7fELF fake").unwrap();
    c.symlink("bin/sh", "busybox").unwrap();
    c.file("/init", 0o755, b"#!/bin/sh\n").unwrap();
    c.file("lib/modules/kernel/a/b.ko", 0o644, &[1, 2, 3, 4, 5])
        .unwrap();
    c.file("empty", 0o644, b"").unwrap();
    c.finish().unwrap()
}

#[test]
fn cpio_newc_round_trip() {
    let a = sample_archive();
    assert_eq!(&a[..6], b"070701");
    assert_eq!(a.len() % 4, 0);
    let e = cpio::read_newc(&a).unwrap();
    let names: Vec<&str> = e.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "dev",
            "dev/console",
            "bin",
            "bin/busybox",
            "bin/sh",
            "init",
            "lib",
            "lib/modules",
            "lib/modules/kernel",
            "lib/modules/kernel/a",
            "lib/modules/kernel/a/b.ko",
            "empty"
        ]
    );
    let get = |n: &str| e.iter().find(|e| e.name == n).unwrap();
    assert_eq!(get("dev/console").mode, cpio::S_IFCHR | 0o600);
    assert_eq!(get("dev/console").rdev, (5, 1));
    assert_eq!(get("bin/sh").mode, cpio::S_IFLNK | 0o777);
    assert_eq!(get("bin/sh").data, b"busybox");
    assert_eq!(get("bin/busybox").data, b"\x7fELF fake");
    assert_eq!(get("lib/modules/kernel/a/b.ko").data, [1, 2, 3, 4, 5]);
    assert_eq!(get("lib").mode, cpio::S_IFDIR | 0o755);
    assert!(get("empty").data.is_empty());
    // Ends with the trailer entry.
    let tail = String::from_utf8_lossy(&a[a.len() - 16..]).into_owned();
    assert!(tail.contains("TRAILER!!!"), "{tail:?}");
}

#[test]
fn cpio_first_header_fields() {
    let mut c = CpioWriter::new(Vec::new());
    c.file("ab", 0o644, b"xyz").unwrap();
    let a = c.finish().unwrap();
    let h = std::str::from_utf8(&a[..110]).unwrap();
    // ino 1, mode 0100644, uid 0, gid 0, nlink 1, mtime 0, size 3, ..., namesize 3.
    assert_eq!(&h[6..14], "00000001");
    assert_eq!(&h[14..22], "000081a4");
    assert_eq!(&h[38..46], "00000001");
    assert_eq!(&h[54..62], "00000003");
    assert_eq!(&h[94..102], "00000003");
    // 110 + 3 = 113 -> name padded to 116, data 3 -> padded to 120.
    assert_eq!(&a[110..116], b"ab\0\0\0\0");
    assert_eq!(&a[116..120], b"xyz\0");
    assert_eq!(&a[120..126], b"070701");
}

/// GNU cpio (when installed) lists the same archive.
#[test]
fn cpio_matches_system_cpio() {
    let Ok(mut child) = std::process::Command::new("cpio")
        .args(["-it", "--quiet"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
    else {
        eprintln!("cpio not installed: skipped");
        return;
    };
    use std::io::Write as _;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(&sample_archive())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let listed = String::from_utf8(out.stdout).unwrap();
    let ours: Vec<String> = cpio::read_newc(&sample_archive())
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(listed.lines().collect::<Vec<_>>(), ours);
}

#[test]
fn settings_from_cmdline() {
    let s = cmdline::parse(
        "BOOT_IMAGE=/vmlinuz console=ttyS0 panic=-1 faultline.swap=on faultline.scheduler=noop \
         faultline.sysctl=vm.overcommit_memory=2,vm.swappiness=10 faultline.heartbeat=2 \
         faultline.inject=freeze:300 faultline.seed=7 faultline.stress=rw=randrw,bs=4k,numjobs=5,time_based",
    )
    .unwrap();
    assert_eq!(s.swap, Some(true));
    assert_eq!(s.scheduler.as_deref(), Some("none"));
    assert_eq!(
        s.sysctls,
        [
            ("vm.overcommit_memory".to_string(), "2".to_string()),
            ("vm.swappiness".to_string(), "10".to_string())
        ]
    );
    assert_eq!(s.heartbeat_seconds, 2.0);
    let i = s.inject.unwrap();
    assert_eq!(i.kind, InjectKind::Freeze);
    assert_eq!(i.mean_seconds, 300.0);
    assert_eq!(s.seed, 7);
    let stress = s.stress.unwrap();
    assert_eq!(stress.len(), 4);
    assert_eq!(stress[3], ("time_based".to_string(), String::new()));
    assert_eq!(s.disk, "/dev/vda");
    assert_eq!(
        cmdline::sysctl_path("vm.swappiness"),
        "/proc/sys/vm/swappiness"
    );

    let d = cmdline::parse("console=ttyS0 quiet").unwrap();
    assert_eq!(d.heartbeat_seconds, 1.0);
    assert!(d.inject.is_none() && d.swap.is_none() && d.stress.is_none());

    for bad in [
        "faultline.swap=maybe",
        "faultline.heartbeat=0",
        "faultline.heartbeat=x",
        "faultline.inject=panic",
        "faultline.inject=boom:5",
        "faultline.inject=panic:-1",
        "faultline.sysctl=vm.swappiness",
        "faultline.seed=x",
        "faultline.colour=blue",
    ] {
        assert!(cmdline::parse(bad).is_err(), "{bad} accepted");
    }
}

#[test]
fn injection_time_is_seeded_exponential() {
    assert_eq!(
        cmdline::draw_exponential(5.0, 1),
        cmdline::draw_exponential(5.0, 1)
    );
    assert_ne!(
        cmdline::draw_exponential(5.0, 1),
        cmdline::draw_exponential(5.0, 2)
    );
    let n = 20_000;
    let mean: f64 = (0..n)
        .map(|s| cmdline::draw_exponential(10.0, s))
        .sum::<f64>()
        / n as f64;
    assert!((mean - 10.0).abs() < 0.3, "mean {mean}");
    assert!((0..1000).all(|s| cmdline::draw_exponential(1.0, s) >= 0.0));
}

fn manifest() -> Manifest {
    Manifest {
        format: 1,
        kernel_package: "linux-image-6.1.0-56-cloud-amd64".into(),
        kernel_version: "6.1.192-2".into(),
        busybox_version: "1:1.35.0-4+deb12u1+b1".into(),
        faultline_hash: "0123456789abcdef".into(),
        init_version: 1,
        init_hash: "fedcba9876543210".into(),
        modules: vec!["virtio_blk".into()],
        lvm_packages: vec!["lvm2=2.03.16-2".into()],
    }
}

#[test]
fn cache_decision() {
    let m = manifest();
    assert_eq!(rebuild_reason(Some(&m), &m, true, false), None);
    assert_eq!(
        rebuild_reason(Some(&m), &m, true, true).as_deref(),
        Some("--force")
    );
    assert_eq!(
        rebuild_reason(None, &m, true, false).as_deref(),
        Some("no image yet")
    );
    assert_eq!(
        rebuild_reason(Some(&m), &m, false, false).as_deref(),
        Some("image files missing")
    );
    let mut n = m.clone();
    n.kernel_version = "6.1.200-1".into();
    n.faultline_hash = "ffff".into();
    assert_eq!(
        rebuild_reason(Some(&m), &n, true, false).as_deref(),
        Some("changed: kernel, faultline binary")
    );
    let mut n = m.clone();
    n.init_hash = "x".into();
    n.busybox_version = "y".into();
    assert_eq!(
        rebuild_reason(Some(&m), &n, true, false).as_deref(),
        Some("changed: busybox, init script")
    );
    // The manifest survives a JSON round trip (it is stored as JSON).
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("manifest.json");
    std::fs::write(&p, serde_json::to_string(&m).unwrap()).unwrap();
    assert_eq!(faultline_lab::manifest::load(&p), Some(m));
    std::fs::write(&p, "{broken").unwrap();
    assert_eq!(faultline_lab::manifest::load(&p), None);
}

/// Lines as depmod writes them for Debian's 6.1 cloud kernel (dependencies
/// of each module, the deepest last).
const MODULES_DEP: &str = "\
kernel/drivers/virtio/virtio.ko:
kernel/drivers/virtio/virtio_ring.ko:
kernel/drivers/virtio/virtio_pci_modern_dev.ko:
kernel/drivers/virtio/virtio_pci_legacy_dev.ko:
kernel/drivers/virtio/virtio_pci.ko: kernel/drivers/virtio/virtio_pci_legacy_dev.ko kernel/drivers/virtio/virtio_pci_modern_dev.ko kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/block/virtio_blk.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/char/virtio_console.ko: kernel/drivers/virtio/virtio_ring.ko kernel/drivers/virtio/virtio.ko
kernel/drivers/misc/pvpanic/pvpanic.ko:
kernel/drivers/misc/pvpanic/pvpanic-pci.ko: kernel/drivers/misc/pvpanic/pvpanic.ko
kernel/drivers/misc/pvpanic/pvpanic-mmio.ko: kernel/drivers/misc/pvpanic/pvpanic.ko
kernel/drivers/md/dm-mod.ko:
kernel/drivers/block/loop.ko:
kernel/fs/ext4/ext4.ko.xz: kernel/fs/jbd2/jbd2.ko.xz kernel/fs/mbcache.ko.xz kernel/lib/crc16.ko.xz
kernel/fs/jbd2/jbd2.ko.xz:
kernel/fs/mbcache.ko.xz:
kernel/lib/crc16.ko.xz:
";

#[test]
fn module_dependencies() {
    let t = DepTable::parse(MODULES_DEP).unwrap();
    let none = HashSet::new();
    let order = t
        .resolve(
            &[
                ("virtio_blk", true),
                ("virtio_pci", true),
                ("pvpanic-pci", true),
                ("dm_mod", true),
            ],
            &none,
        )
        .unwrap();
    let names: Vec<String> = order.iter().map(|p| modules::module_name(p)).collect();
    assert_eq!(
        names,
        [
            "virtio",
            "virtio_ring",
            "virtio_blk",
            "virtio_pci_modern_dev",
            "virtio_pci_legacy_dev",
            "virtio_pci",
            "pvpanic",
            "pvpanic_pci",
            "dm_mod"
        ]
    );
    // Every module comes after its dependencies, once.
    let pos = |n: &str| names.iter().position(|x| x == n).unwrap();
    assert!(pos("virtio_ring") < pos("virtio_pci"));
    assert_eq!(names.len(), names.iter().collect::<HashSet<_>>().len());

    // Built-in modules are skipped; a missing optional one too; a missing
    // required one is an error.
    let builtin = modules::parse_builtin("kernel/fs/ext4/ext4.ko\nkernel/fs/jbd2/jbd2.ko\n");
    assert!(
        t.resolve(&[("ext4", true), ("nosuch", false)], &builtin)
            .unwrap()
            .is_empty()
    );
    assert!(t.resolve(&[("nosuch", true)], &none).is_err());
    let ext4 = t.resolve(&[("ext4", true)], &none).unwrap();
    assert_eq!(ext4.last().unwrap(), "kernel/fs/ext4/ext4.ko.xz");
    assert_eq!(ext4.len(), 4);
    assert_eq!(
        modules::plain_ko("kernel/fs/ext4/ext4.ko.xz"),
        "kernel/fs/ext4/ext4.ko"
    );
    assert_eq!(
        modules::module_name("kernel/drivers/md/dm-mod.ko.zst"),
        "dm_mod"
    );
}

#[test]
fn modinfo_and_generated_dep() {
    let ko = b"\x7fELF\0\0license=GPL\0depends=virtio,virtio_ring\0retpoline=Y\0name=virtio_blk\0";
    assert_eq!(modules::modinfo_depends(ko), ["virtio", "virtio_ring"]);
    assert!(modules::modinfo_depends(b"\0depends=\0name=loop\0").is_empty());

    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("kernel/drivers/virtio")).unwrap();
    std::fs::create_dir_all(root.join("kernel/drivers/block")).unwrap();
    std::fs::write(
        root.join("kernel/drivers/virtio/virtio.ko"),
        b"\0depends=\0",
    )
    .unwrap();
    std::fs::write(
        root.join("kernel/drivers/virtio/virtio_ring.ko"),
        b"\0depends=\0",
    )
    .unwrap();
    std::fs::write(root.join("kernel/drivers/block/virtio_blk.ko"), ko).unwrap();
    let dep = modules::generate_dep(root).unwrap();
    let t = DepTable::parse(&dep).unwrap();
    let order = t.resolve(&[("virtio_blk", true)], &HashSet::new()).unwrap();
    assert_eq!(order.last().unwrap(), "kernel/drivers/block/virtio_blk.ko");
    assert_eq!(order.len(), 3);
}

#[test]
fn apt_and_ldd_output() {
    let deps = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
    assert_eq!(
        image::parse_depends(deps, "linux-image-").as_deref(),
        Some("linux-image-6.1.0-56-cloud-amd64")
    );
    assert_eq!(
        image::parse_depends("x\n  Recommends: y\n", "linux-image-"),
        None
    );
    let show = "Package: busybox-static\nVersion: 1:1.35.0-4+deb12u1+b1\nArchitecture: amd64\n";
    assert_eq!(
        image::parse_version(show).as_deref(),
        Some("1:1.35.0-4+deb12u1+b1")
    );
    let ldd = "\tlinux-vdso.so.1 (0x00007ffd6b1f2000)
\tlibgcc_s.so.1 => /lib/x86_64-linux-gnu/libgcc_s.so.1 (0x00007f0b1c9e0000)
\tlibm.so.6 => /lib/x86_64-linux-gnu/libm.so.6 (0x00007f0b1c900000)
\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f0b1c600000)
\t/lib64/ld-linux-x86-64.so.2 (0x00007f0b1d6a0000)
";
    assert_eq!(
        image::parse_ldd(ldd),
        [
            "/lib/x86_64-linux-gnu/libgcc_s.so.1",
            "/lib/x86_64-linux-gnu/libm.so.6",
            "/lib/x86_64-linux-gnu/libc.so.6",
            "/lib64/ld-linux-x86-64.so.2"
        ]
    );
    assert!(image::INIT_SCRIPT.starts_with("#!/bin/sh\n"));
}

/// The real build: needs apt-get, dpkg-deb and the network
/// (`cargo test -p faultline-lab -- --ignored`).
#[test]
#[ignore]
fn image_build() {
    let dir = tempfile::tempdir().unwrap();
    let opts = image::ImageOptions {
        work: dir.path().to_path_buf(),
        kernel_package: "linux-image-cloud-amd64".into(),
        force: false,
        faultline: "/bin/true".into(),
    };
    let r = image::build(&opts).unwrap();
    assert!(r.rebuilt);
    let again = image::build(&opts).unwrap();
    assert!(!again.rebuilt);
    let gz = std::fs::read(&r.initramfs).unwrap();
    let mut raw = Vec::new();
    use std::io::Read as _;
    flate2::read::GzDecoder::new(&gz[..])
        .read_to_end(&mut raw)
        .unwrap();
    let names: Vec<String> = cpio::read_newc(&raw)
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    for want in [
        "init",
        "bin/busybox",
        "bin/sh",
        "bin/faultline",
        "dev/console",
        "etc/faultline/modules",
    ] {
        assert!(names.iter().any(|n| n == want), "{want} missing");
    }
}
