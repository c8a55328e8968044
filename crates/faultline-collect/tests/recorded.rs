//! Collection from a recorded `/proc` and `/sys` tree and recorded command
//! outputs: a Xen dom0 with an NFS mount, an old-style I/O scheduler and
//! kdump, with and without `dom0_mem=`.

use std::collections::BTreeMap;
use std::path::Path;

use faultline_collect::{
    CollectOptions, LogicalVolume, RecordedRunner, RunError, Snapshot, Unreadable, collect_with,
};

const CMDLINE: &str = "BOOT_IMAGE=/vmlinuz ro root=/dev/sda1 console=tty0 console=ttyS0,115200 crashkernel=256M elevator=cfq -- single";

const NFS_LINE: &str = "filer01:/vol/vms /mnt/vms nfs rw,relatime,vers=3,rsize=65536,wsize=65536,namlen=255,hard,proto=tcp,timeo=600,retrans=2,sec=sys,mountaddr=10.1.1.5 0 0";

const XL_INFO_HEAD: &str = "\
host                   : xenhost01
release                : 4.19.0-21-amd64
version                : #1 SMP Debian 4.19.249-2 (2022-06-30)
machine                : x86_64
nr_cpus                : 16
max_cpu_id             : 15
nr_nodes               : 1
cores_per_socket       : 8
threads_per_core       : 2
cpu_mhz                : 2394.374
hw_caps                : bfebfbff:77fef3ff:2c100800:00000121:00000001:001c27ab:00000000:00000100
virt_caps              : pv hvm hvm_directio pv_directio hap shadow
total_memory           : 65431
free_memory            : 1024
sharing_freed_memory   : 0
sharing_used_memory    : 0
outstanding_claims     : 0
free_cpus              : 0
xen_major              : 4
xen_minor              : 11
xen_extra              : .4
";

const XL_INFO_TAIL: &str = "\
xen_caps               : xen-3.0-x86_64 xen-3.0-x86_32p hvm-3.0-x86_32 hvm-3.0-x86_32p hvm-3.0-x86_64
xen_scheduler          : credit
xen_pagesize           : 4096
platform_params        : virt_start=0xffff800000000000
xen_changeset          :
cc_compiler            : gcc (Debian 8.3.0-6) 8.3.0
cc_compile_by          : pkg-xen-devel
cc_compile_date        : Fri Dec 11 21:33:51 UTC 2020
build_id               : 6d8e0fa3ddb825695eb6c6832631b4fa2331fe41
xend_config_format     : 4
";

/// `xl info` of a Xen 4.11 whose xl prints no `xen_version` line, with the
/// given hypervisor command line.
fn xl_info(xen_commandline: &str) -> String {
    format!("{XL_INFO_HEAD}xen_commandline        : {xen_commandline}\n{XL_INFO_TAIL}")
}

const LVS: &str = "  vg0;root;21474836480;-wi-ao----\n  vg_vms;web01-disk;53687091200;-wi-ao----\n  vg_vms;db01-disk;107374182400;-wi-a-----\n";

const LVS_COMMAND: &str =
    "lvs --noheadings --units b --nosuffix --separator ; -o vg_name,lv_name,lv_size,lv_attr";

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A Xen dom0's `/proc` and `/sys`.
fn dom0_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "proc/sys/kernel/hostname", "xenhost01\n");
    write(r, "proc/sys/kernel/osrelease", "4.19.0-21-amd64\n");
    write(
        r,
        "proc/sys/kernel/version",
        "#1 SMP Debian 4.19.249-2 (2022-06-30)\n",
    );
    write(r, "proc/cmdline", &format!("{CMDLINE}\n"));
    write(
        r,
        "proc/meminfo",
        "MemTotal:        4012345 kB\nMemFree:          123456 kB\nMemAvailable:    2500000 kB\nBuffers:           10000 kB\nSwapTotal:       2097148 kB\nSwapFree:        2096124 kB\nCommitLimit:     4103320 kB\nCommitted_AS:    5200000 kB\nHugePages_Total:       0\n",
    );
    write(
        r,
        "proc/swaps",
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n/dev/sda2                               partition\t2097148\t\t1024\t\t-2\n",
    );
    write(r, "proc/sys/vm/swappiness", "60\n");
    write(r, "proc/sys/vm/overcommit_memory", "0\n");
    write(r, "proc/sys/kernel/panic", "0\n");
    write(r, "proc/sys/kernel/printk", "4\t4\t1\t7\n");
    // A sysctl that exists but cannot be read as a file.
    std::fs::create_dir_all(r.join("proc/sys/kernel/tainted")).unwrap();
    write(
        r,
        "proc/cpuinfo",
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz\nflags\t\t: fpu de tsc msr pae\n\nprocessor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz\nflags\t\t: fpu de tsc msr pae\n\n",
    );
    write(
        r,
        "sys/devices/system/clocksource/clocksource0/current_clocksource",
        "xen\n",
    );
    write(
        r,
        "sys/devices/system/clocksource/clocksource0/available_clocksource",
        "xen tsc hpet acpi_pm \n",
    );
    write(
        r,
        "proc/consoles",
        "ttyS0                -W- (EC p a)    4:64\ntty0                 -WU (E  p  )    4:1\n",
    );
    write(r, "sys/block/sda/queue/scheduler", "noop deadline [cfq] \n");
    write(r, "sys/block/sda/queue/rotational", "1\n");
    write(r, "sys/block/sda/queue/nr_requests", "128\n");
    write(r, "sys/block/sda/device/queue_depth", "32\n");
    write(r, "sys/block/sda/device/model", "ST1000NM0033-9ZM\n");
    write(r, "sys/block/sda/size", "1953525168\n");
    write(
        r,
        "sys/block/nvme0n1/queue/scheduler",
        "[none] mq-deadline\n",
    );
    write(r, "sys/block/nvme0n1/queue/rotational", "0\n");
    write(r, "sys/block/loop0/queue/scheduler", "[none]\n");
    write(r, "sys/block/ram0/size", "8192\n");
    write(r, "sys/block/zram0/size", "8192\n");
    write(
        r,
        "proc/mounts",
        &format!(
            "/dev/sda1 / ext4 rw,relatime,errors=remount-ro 0 0\nproc /proc proc rw,nosuid,nodev,noexec,relatime 0 0\n{NFS_LINE}\nfiler02:/export/iso /mnt/iso\\040images nfs4 ro,vers=4.1,hard 0 0\n"
        ),
    );
    write(r, "sys/kernel/kexec_crash_size", "268435456\n");
    write(r, "sys/kernel/kexec_crash_loaded", "1\n");
    write(r, "proc/xen/capabilities", "control_d\n");
    write(r, "sys/hypervisor/type", "xen\n");
    write(r, "sys/hypervisor/version/major", "4\n");
    write(r, "sys/hypervisor/version/minor", "11\n");
    write(r, "sys/hypervisor/version/extra", ".4\n");
    dir
}

fn opts(root: &Path) -> CollectOptions {
    CollectOptions {
        root: root.to_path_buf(),
        ..CollectOptions::default()
    }
}

fn fact<'a>(f: &'a BTreeMap<String, String>, k: &str) -> Option<&'a str> {
    f.get(k).map(String::as_str)
}

#[test]
fn xen_dom0_without_dom0_mem() {
    let root = dom0_root();
    let runner = RecordedRunner::new()
        .output("xl info", &xl_info("placeholder no-real-mode edd=off"))
        .output(LVS_COMMAND, LVS);
    let s = collect_with(&opts(root.path()), &runner);

    assert_eq!(s.schema, 1);
    assert_eq!(s.machine, "xenhost01");
    assert_eq!(s.source, "linux");
    assert_eq!(s.role, "host");
    assert_eq!(s.hypervisor.as_deref(), Some("xen"));
    assert_eq!(s.kvm_device, Some(false));
    assert!(
        s.collected_at.parse::<jiff::Timestamp>().is_ok()
            && s.collected_at.len() == 20
            && s.collected_at.ends_with('Z'),
        "{}",
        s.collected_at
    );
    assert_eq!(
        runner.calls(),
        vec!["xl info".to_string(), LVS_COMMAND.into()]
    );

    let kernel = s.kernel.as_ref().unwrap();
    assert_eq!(kernel.release, "4.19.0-21-amd64");
    assert_eq!(kernel.cmdline, CMDLINE);

    let xen = s.xen.as_ref().unwrap();
    assert_eq!(xen.version.as_deref(), Some("4.11.4"));
    assert_eq!(
        xen.cmdline.as_deref(),
        Some("placeholder no-real-mode edd=off")
    );
    assert_eq!(xen.total_memory_mb, Some(65431));
    assert_eq!(xen.free_memory_mb, Some(1024));

    let mem = s.memory.as_ref().unwrap();
    assert_eq!(mem.total_kb, Some(4012345));
    assert_eq!(mem.committed_as_kb, Some(5200000));
    assert_eq!(s.swaps.len(), 1);
    assert_eq!(s.swaps[0].name, "/dev/sda2");
    assert_eq!(s.swaps[0].kind, "partition");
    assert_eq!(s.swaps[0].priority, -2);

    assert_eq!(s.consoles, vec!["ttyS0", "tty0"]);
    let names: Vec<&str> = s.block.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(
        names,
        vec!["nvme0n1", "sda"],
        "loop, ram and zram are skipped"
    );
    let sda = &s.block[1];
    assert_eq!(sda.scheduler.as_deref(), Some("cfq"));
    assert_eq!(sda.schedulers, vec!["noop", "deadline", "cfq"]);
    assert_eq!(sda.model.as_deref(), Some("ST1000NM0033-9ZM"));
    assert_eq!(sda.size_bytes, Some(1953525168 * 512));

    assert_eq!(s.nfs_mounts.len(), 2);
    let vms = &s.nfs_mounts[0];
    assert_eq!(vms.device, "filer01:/vol/vms");
    assert_eq!(vms.server, "filer01");
    assert_eq!(vms.export, "/vol/vms");
    assert_eq!(vms.mountpoint, "/mnt/vms");
    assert_eq!(vms.options.len(), 12);
    assert_eq!(s.nfs_mounts[1].mountpoint, "/mnt/iso images");

    assert_eq!(
        s.lvm[1],
        LogicalVolume {
            vg: "vg_vms".into(),
            lv: "web01-disk".into(),
            size_bytes: Some(53687091200),
            attr: Some("-wi-ao----".into()),
        }
    );
    assert_eq!(
        s.unreadable,
        vec![Unreadable {
            what: "/proc/sys/kernel/tainted".into(),
            why: "is a directory".into(),
        }]
    );
    assert!(s.images.is_empty());

    let f = s.facts();
    let want: &[(&str, &str)] = &[
        ("machine", "xenhost01"),
        ("source", "linux"),
        ("role", "host"),
        ("hypervisor", "xen"),
        ("kvm_device", "false"),
        ("kernel.release", "4.19.0-21-amd64"),
        ("kernel.version", "#1 SMP Debian 4.19.249-2 (2022-06-30)"),
        ("kernel.cmdline", CMDLINE),
        ("kernel.cmdline.BOOT_IMAGE", "/vmlinuz"),
        ("kernel.cmdline.ro", ""),
        ("kernel.cmdline.root", "/dev/sda1"),
        ("kernel.cmdline.console", "tty0,ttyS0,115200"),
        ("kernel.cmdline.crashkernel", "256M"),
        ("kernel.cmdline.elevator", "cfq"),
        ("xen.version", "4.11.4"),
        ("xen.cmdline", "placeholder no-real-mode edd=off"),
        ("xen.cmdline.placeholder", ""),
        ("xen.cmdline.no-real-mode", ""),
        ("xen.cmdline.edd", "off"),
        ("xen.total_memory_mb", "65431"),
        ("xen.free_memory_mb", "1024"),
        ("memory.total_kb", "4012345"),
        ("memory.available_kb", "2500000"),
        ("memory.swap_total_kb", "2097148"),
        ("memory.swap_free_kb", "2096124"),
        ("memory.commit_limit_kb", "4103320"),
        ("memory.committed_as_kb", "5200000"),
        ("swap.enabled", "true"),
        ("swap.count", "1"),
        ("sysctl.vm.swappiness", "60"),
        ("sysctl.vm.overcommit_memory", "0"),
        ("sysctl.kernel.panic", "0"),
        ("sysctl.kernel.printk", "4 4 1 7"),
        ("cpu.count", "2"),
        ("cpu.model", "Intel(R) Xeon(R) CPU E5-2630 v3 @ 2.40GHz"),
        ("clocksource.current", "xen"),
        ("clocksource.available", "xen tsc hpet acpi_pm"),
        ("console.active", "ttyS0,tty0"),
        ("block.sda.scheduler", "cfq"),
        ("block.sda.schedulers", "noop deadline cfq"),
        ("block.sda.rotational", "true"),
        ("block.sda.queue_depth", "32"),
        ("block.sda.nr_requests", "128"),
        ("block.sda.size_bytes", "1000204886016"),
        ("block.nvme0n1.scheduler", "none"),
        ("block.nvme0n1.rotational", "false"),
        ("nfs./mnt/vms.server", "filer01"),
        ("nfs./mnt/vms.export", "/vol/vms"),
        ("nfs./mnt/vms.fstype", "nfs"),
        ("nfs./mnt/vms.option.hard", ""),
        ("nfs./mnt/vms.option.vers", "3"),
        ("nfs./mnt/vms.option.timeo", "600"),
        ("nfs./mnt/vms.option.proto", "tcp"),
        ("nfs./mnt/iso images.fstype", "nfs4"),
        ("nfs./mnt/iso images.option.vers", "4.1"),
        ("kdump.crashkernel", "256M"),
        ("kdump.reserved_bytes", "268435456"),
        ("kdump.loaded", "true"),
        ("lvm.vg0/root.size_bytes", "21474836480"),
        ("lvm.vg_vms/db01-disk.attr", "-wi-a-----"),
    ];
    for (k, v) in want {
        assert_eq!(fact(&f, k), Some(*v), "fact {k}");
    }
    for absent in [
        "kernel.cmdline.single",
        "kernel.cmdline.--",
        "xen.cmdline.dom0_mem",
        "image.count",
        "console",
        "block.loop0.scheduler",
        "block.zram0.size_bytes",
        "sysctl.kernel.tainted",
        "esx.version",
    ] {
        assert_eq!(fact(&f, absent), None, "fact {absent} should be absent");
    }
    // Every fact comes from the lists above or the sysctl/block/nfs/lvm
    // families; nothing unexpected slips in.
    for k in f.keys() {
        assert!(
            want.iter().any(|(w, _)| w == k)
                || ["block.", "nfs./mnt/", "lvm.", "sysctl."]
                    .iter()
                    .any(|p| k.starts_with(p)),
            "unexpected fact {k}"
        );
    }
}

#[test]
fn xen_dom0_with_dom0_mem() {
    let root = dom0_root();
    let line =
        "placeholder dom0_mem=4096M,max:4096M dom0_max_vcpus=4 dom0_vcpus_pin no-real-mode edd=off";
    let info = xl_info(line).replace(
        "xen_extra              : .4\n",
        "xen_extra              : .4\nxen_version            : 4.11.4-pre\n",
    );
    let runner = RecordedRunner::new().output("xl info", &info);
    let s = collect_with(&opts(root.path()), &runner);
    let f = s.facts();
    assert_eq!(fact(&f, "xen.cmdline"), Some(line));
    assert_eq!(fact(&f, "xen.cmdline.dom0_mem"), Some("4096M,max:4096M"));
    assert_eq!(fact(&f, "xen.cmdline.dom0_vcpus_pin"), Some(""));
    assert_eq!(fact(&f, "xen.version"), Some("4.11.4-pre"));
    // No lvs here: it is simply not there, not unreadable.
    assert!(s.lvm.is_empty());
    assert!(!s.unreadable.iter().any(|u| u.what == "lvs"));
}

#[test]
fn xl_that_fails_is_noted_and_the_version_comes_from_sys() {
    let root = dom0_root();
    let runner = RecordedRunner::new()
        .failure(
            "xl info",
            RunError::Failed {
                status: "exit status 1".into(),
                message: "need root".into(),
            },
        )
        .failure(
            LVS_COMMAND,
            RunError::Failed {
                status: "exit status 5".into(),
                message: "/run/lock/lvm/P_global:aux: open failed: Permission denied".into(),
            },
        );
    let s = collect_with(&opts(root.path()), &runner);
    let xen = s.xen.as_ref().unwrap();
    assert_eq!(xen.version.as_deref(), Some("4.11.4"));
    assert_eq!(xen.cmdline, None);
    let f = s.facts();
    assert_eq!(fact(&f, "xen.cmdline"), None);
    assert_eq!(fact(&f, "xen.cmdline.dom0_mem"), None);
    let why: BTreeMap<&str, &str> = s
        .unreadable
        .iter()
        .map(|u| (u.what.as_str(), u.why.as_str()))
        .collect();
    assert_eq!(why.get("xl info"), Some(&"exit status 1: need root"));
    assert_eq!(
        why.get("lvs"),
        Some(&"exit status 5: /run/lock/lvm/P_global:aux: open failed: Permission denied")
    );
}

#[test]
fn xl_missing_is_noted() {
    let root = dom0_root();
    let s = collect_with(&opts(root.path()), &RecordedRunner::new());
    assert!(s.unreadable.contains(&Unreadable {
        what: "xl info".into(),
        why: "command not found".into(),
    }));
}

fn role_of(files: &[(&str, &str)], kvm: bool) -> (String, Option<String>) {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "proc/cpuinfo",
        "processor\t: 0\nflags\t\t: fpu\n",
    );
    for (rel, text) in files {
        write(dir.path(), rel, text);
    }
    if kvm {
        write(dir.path(), "dev/kvm", "");
    }
    let s = collect_with(&opts(dir.path()), &RecordedRunner::new());
    (s.role, s.hypervisor)
}

#[test]
fn roles_and_hypervisors() {
    let r = |role: &str, hv: Option<&str>| (role.to_string(), hv.map(str::to_string));
    assert_eq!(role_of(&[], false), r("bare", None));
    assert_eq!(role_of(&[], true), r("host", Some("kvm")));
    assert_eq!(
        role_of(
            &[
                ("sys/class/dmi/id/sys_vendor", "QEMU\n"),
                (
                    "sys/class/dmi/id/product_name",
                    "Standard PC (Q35 + ICH9, 2009)\n"
                )
            ],
            true
        ),
        r("guest", Some("kvm"))
    );
    assert_eq!(
        role_of(
            &[
                ("sys/class/dmi/id/sys_vendor", "VMware, Inc.\n"),
                ("sys/class/dmi/id/product_name", "VMware Virtual Platform\n")
            ],
            false
        ),
        r("guest", Some("vmware"))
    );
    assert_eq!(
        role_of(&[("sys/hypervisor/type", "xen\n")], false),
        r("guest", Some("xen"))
    );
    assert_eq!(
        role_of(
            &[(
                "proc/cpuinfo",
                "processor\t: 0\nflags\t\t: fpu hypervisor\n"
            )],
            false
        ),
        r("guest", None)
    );
    assert_eq!(
        role_of(
            &[
                ("proc/xen/capabilities", "control_d\n"),
                ("sys/hypervisor/type", "xen\n")
            ],
            false
        ),
        r("host", Some("xen"))
    );
    // A Xen guest also has proc/xen, without control_d.
    assert_eq!(
        role_of(
            &[
                ("proc/xen/capabilities", "\n"),
                ("sys/hypervisor/type", "xen\n")
            ],
            false
        ),
        r("guest", Some("xen"))
    );
}

#[test]
fn an_empty_root_gives_a_thin_snapshot_and_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let s = collect_with(
        &CollectOptions {
            root: dir.path().to_path_buf(),
            machine: Some("given".into()),
            ..CollectOptions::default()
        },
        &RecordedRunner::new(),
    );
    assert_eq!(s.machine, "given");
    assert_eq!(s.kernel, None);
    assert_eq!(s.memory, None);
    assert_eq!(s.unreadable.len(), 1);
    assert_eq!(s.unreadable[0].what, "/proc");
    let f = s.facts();
    let keys: Vec<&str> = f.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        vec!["kvm_device", "machine", "role", "source"],
        "no swap.* without memory or swaps"
    );
}

#[test]
fn snapshot_round_trips_through_json() {
    let root = dom0_root();
    let runner = RecordedRunner::new().output("xl info", &xl_info("dom0_mem=2G"));
    let s = collect_with(&opts(root.path()), &runner);
    let json = serde_json::to_string_pretty(&s).unwrap();
    let back: Snapshot = serde_json::from_str(&json).unwrap();
    assert_eq!(back, s);
    assert_eq!(back.facts(), s.facts());
}
