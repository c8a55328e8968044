//! The image's LVM pieces that need no apt, network or QEMU: the parsers of
//! `apt-cache show` and `ldd` output, which dependencies become image
//! libraries, the cache key, and the guest's `lvm.conf`.

use faultline_lab::image::{self, Stanza};

const APT_SHOW: &str = "\
Package: lvm2
Version: 2.03.16-2
Installed-Size: 4009
Depends: libaio1 (>= 0.3.93), libblkid1 (>= 2.24.2), libc6 (>= 2.34), lsb-base, dmsetup (>= 2:1.02.185-2~)
Description: Linux Logical Volume Manager

Package: libdevmapper1.02.1
Version: 2:1.02.185-2
Pre-Depends: libselinux1:any
Depends: libudev1 (>= 183) | libfoo, dmsetup (>= 2:1.02.185-2~)

Package: broken-without-version
Depends: libx
";

#[test]
fn apt_stanzas() {
    let s = image::parse_stanzas(APT_SHOW);
    assert_eq!(
        s,
        [
            Stanza {
                package: "lvm2".into(),
                version: "2.03.16-2".into(),
                depends: ["libaio1", "libblkid1", "libc6", "lsb-base", "dmsetup"]
                    .map(String::from)
                    .to_vec(),
            },
            Stanza {
                package: "libdevmapper1.02.1".into(),
                version: "2:1.02.185-2".into(),
                // Pre-Depends too; the first alternative; no ":any".
                depends: ["libselinux1", "libudev1", "dmsetup"]
                    .map(String::from)
                    .to_vec(),
            },
        ]
    );
    assert!(image::parse_stanzas("").is_empty());
}

#[test]
fn which_dependencies_are_image_libraries() {
    assert!(image::is_image_library("libdevmapper1.02.1"));
    assert!(image::is_image_library("libaio1"));
    // libc comes with the loader from the host, as the faultline binary's.
    assert!(!image::is_image_library("libc6"));
    assert!(!image::is_image_library("dmsetup"));
    assert!(!image::is_image_library("lsb-base"));
}

#[test]
fn ldd_missing_libraries() {
    let out = "\tlinux-vdso.so.1 (0x00007ffc)\n\
               \tlibdevmapper-event.so.1.02.1 => not found\n\
               \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)\n\
               \tlibaio.so.1 => not found\n";
    assert_eq!(
        image::parse_ldd_missing(out),
        ["libdevmapper-event.so.1.02.1", "libaio.so.1"]
    );
    assert_eq!(image::parse_ldd(out), ["/lib/x86_64-linux-gnu/libc.so.6"]);
}

#[test]
fn a_new_lvm_version_changes_the_cache_key() {
    let a = vec![
        ("lvm2".to_string(), "2.03.16-2".to_string()),
        ("libaio1".to_string(), "0.3.113-4".to_string()),
    ];
    let mut b = a.clone();
    b[0].1 = "2.03.16-3".into();
    let mut c = a.clone();
    c[1].1 = "0.3.113-5".into();
    let list = image::lvm_package_list(&a);
    assert_eq!(list, ["lvm2=2.03.16-2", "libaio1=0.3.113-4"]);
    assert_ne!(list, image::lvm_package_list(&b));
    assert_ne!(list, image::lvm_package_list(&c));
    // The manifest says so when only the packages moved.
    let m = |lvm_packages: Vec<String>| faultline_lab::manifest::Manifest {
        format: 1,
        kernel_package: "k".into(),
        kernel_version: "1".into(),
        busybox_version: "1".into(),
        faultline_hash: "f".into(),
        init_version: 1,
        init_hash: image::userland_hash(),
        modules: vec![],
        lvm_packages,
    };
    assert_eq!(
        faultline_lab::manifest::rebuild_reason(
            Some(&m(list.clone())),
            &m(image::lvm_package_list(&b)),
            true,
            false
        )
        .as_deref(),
        Some("changed: LVM packages")
    );
    // A manifest from before LVM (no field) rebuilds once.
    let old: faultline_lab::manifest::Manifest = serde_json::from_str(
        r#"{"format":1,"kernel_package":"k","kernel_version":"1","busybox_version":"1",
            "faultline_hash":"f","init_version":1,"init_hash":"h","modules":[]}"#,
    )
    .unwrap();
    assert!(old.lvm_packages.is_empty());
}

#[test]
fn guest_lvm_conf_suits_an_initramfs_without_udev() {
    let conf = image::LVM_CONF;
    for want in [
        "obtain_device_list_from_udev = 0",
        "udev_sync = 0",
        "udev_rules = 0",
        "use_lvmpolld = 0",
        "monitoring = 0",
        "locking_dir = \"/run/lock/lvm\"",
        "filter = [ \"a|^/dev/vd|\", \"r|.*|\" ]",
    ] {
        assert!(conf.contains(want), "lvm.conf lacks {want}");
    }
    // Braces balance: lvm refuses a config it cannot parse.
    assert_eq!(conf.matches('{').count(), conf.matches('}').count());
    for cmd in ["pvcreate", "vgcreate", "lvcreate", "lvs", "vgchange"] {
        assert!(image::LVM_LINKS.contains(&cmd), "no /sbin/{cmd}");
    }
}
