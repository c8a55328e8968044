#!/usr/bin/env python3
"""Write the two Xen example cases of the audit (stories 2 and 3 of DESIGN.md).

    python3 examples/tools/generate_xen.py

* examples/xen-dom0-squeeze: five Xen hosts of one web farm. xen03 was
  reinstalled from an old image whose boot loader has no dom0_mem= on the
  hypervisor line; its dom0 boots with all 64 GiB, is ballooned down as
  guests start, and weeks later netback drops guest traffic ("xen_net:
  Memory squeeze in netback driver") and the RAID driver fails DMA mappings.
  The admins rebooted it three times. xen01 had one unrelated crash.
* examples/appliance-io-freeze: six Xen-based hypervisor appliances. The two
  on release 0.9.7 keep VM disks on raw images and never freeze. The four on
  1.0 keep them on qcow2 files; two of those still run with swap, heuristic
  overcommit and the cfq scheduler and freeze every few weeks, two were
  tuned (swap off, strict overcommit, noop) and froze once between them.

Everything is invented; only the shapes follow the field reports. The
snapshots are what `faultline collect` writes (the same fields), so
`faultline audit` reads them as it would on a real fleet. Standard library
only, no randomness: running it twice gives the same bytes.
"""

import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def snapshot(machine, collected_at, kernel, cmdline, xen=None, memory_kb=None,
             swap_kb=0, sysctl=None, cpus=8, model=None, block=None,
             images=None, lvm=None, consoles=("hvc0",), crashkernel=None,
             crash_bytes=None, kdump_loaded=None, clocksource="xen"):
    """One snapshot in the shape `faultline collect` writes."""
    s = {
        "schema": 1,
        "machine": machine,
        "collected_at": collected_at,
        "source": "linux",
        "role": "host",
        "hypervisor": "xen",
        "kvm_device": False,
        "kernel": {"release": kernel[0], "version": kernel[1], "cmdline": cmdline},
        "xen": xen,
        "memory": {
            "total_kb": memory_kb,
            "available_kb": memory_kb // 2,
            "swap_total_kb": swap_kb,
            "swap_free_kb": swap_kb,
            "commit_limit_kb": memory_kb // 2 + swap_kb,
            "committed_as_kb": memory_kb // 3,
        },
        "swaps": ([{"name": "/dev/sda2", "kind": "partition", "size_kb": swap_kb,
                    "used_kb": 0, "priority": -2}] if swap_kb else []),
        "sysctl": sysctl or {},
        "cpu": {"count": cpus, "model": model},
        "clocksource": {"current": clocksource, "available": ["xen", "tsc", "hpet", "acpi_pm"]},
        "consoles": list(consoles),
        "block": block or [],
        "nfs_mounts": [],
        "kdump": {"crashkernel": crashkernel, "reserved_bytes": crash_bytes,
                  "loaded": kdump_loaded},
        "images": images or [],
        "lvm": lvm or [],
        "esx": None,
        "unreadable": [],
    }
    return json.dumps(s, indent=2) + "\n"


HOST_SYSCTL = {
    "kernel.hung_task_panic": "0",
    "kernel.hung_task_timeout_secs": "120",
    "kernel.panic": "30",
    "kernel.panic_on_oops": "1",
    "kernel.softlockup_panic": "0",
    "kernel.sysrq": "176",
    "kernel.watchdog_thresh": "10",
    "vm.dirty_background_ratio": "10",
    "vm.dirty_ratio": "20",
    "vm.min_free_kbytes": "67584",
    "vm.overcommit_memory": "0",
    "vm.panic_on_oom": "0",
    "vm.swappiness": "60",
}


# --- story 3: the dom0 sized for all of RAM -------------------------------

DOM0 = os.path.join(ROOT, "xen-dom0-squeeze")
FARM = [
    # name, dom0_mem (None: not set), model, swappiness
    ("xen01", "2048M,max:2048M", "PowerEdge R640"),
    ("xen02", "2048M,max:2048M", "PowerEdge R640"),
    ("xen03", None, "PowerEdge R640"),
    ("xen04", "2048M,max:2048M", "PowerEdge R640"),
    ("xen05", "4096M,max:4096M", "PowerEdge R650"),
]


def dom0_case():
    write(os.path.join(DOM0, "faultline.toml"), """\
# Story 3 of DESIGN.md: a Xen host whose dom0 was never given dom0_mem=.
# Written by examples/tools/generate_xen.py.
name = "xen-dom0-squeeze"
time_zone = "Australia/Melbourne"

[window]
start = "2026-08-01 00:00"
end = "2026-11-01 00:00"
""")
    rows = ["name,kind,host,cluster,model,ram_gb,xen"]
    for name, _, model in FARM:
        rows.append(f"{name},host,,web-farm,{model},64,4.17.3")
    write(os.path.join(DOM0, "inventory.csv"), "\n".join(rows) + "\n")
    write(os.path.join(DOM0, "crashes.csv"), """\
machine,time,title
xen03,2026-08-27 14:05,guests lost their network: host rebooted
xen03,2026-09-30 09:40,guests lost their network: host rebooted
xen03,2026-10-24 19:12,guests lost their network: host rebooted
xen01,2026-09-12 03:30,host hung after a firmware update: power-cycled
""")
    for name, dom0_mem, model in FARM:
        xen_line = "dom0_max_vcpus=4 dom0_vcpus_pin console=com1,vga com1=115200,8n1 loglvl=all guest_loglvl=all"
        if dom0_mem:
            xen_line = f"dom0_mem={dom0_mem} " + xen_line
        # Without dom0_mem, dom0 sees the whole machine minus what guests took.
        mem_kb = {None: 9_412_608, "2048M,max:2048M": 1_916_928,
                  "4096M,max:4096M": 3_971_072}[dom0_mem]
        write(os.path.join(DOM0, "configs", f"{name}.json"), snapshot(
            name, "2026-10-31T23:10:00Z",
            ("6.1.0-26-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)"),
            f"placeholder root=/dev/mapper/{name}--vg-root ro quiet",
            xen={"version": "4.17.3", "cmdline": xen_line,
                 "total_memory_mb": 65_157, "free_memory_mb": 1_210},
            memory_kb=mem_kb, swap_kb=0, sysctl=HOST_SYSCTL, cpus=4,
            model="Intel(R) Xeon(R) Silver 4214R CPU @ 2.40GHz",
            block=[{"name": "sda", "scheduler": "mq-deadline",
                    "schedulers": ["mq-deadline", "none"], "rotational": False,
                    "queue_depth": 256, "nr_requests": 64,
                    "size_bytes": 959_119_884_288, "model": "PERC H740P Mini"}],
            lvm=[{"vg": f"{name}-vg", "lv": "root", "size_bytes": 53_687_091_200,
                  "attr": "-wi-ao----"}],
            crashkernel=None, crash_bytes=0, kdump_loaded=False,
        ))
    # Logs: a quiet farm, and xen03's squeezes in the days before each reboot.
    for name, dom0_mem, _ in FARM:
        lines = []
        lines += [
            f"Aug  3 10:02:11 {name} kernel: [  812.114201] xen-blkback: backend/vbd/7/51712: using 4 queues, protocol 1 (x86_64-abi) persistent grants",
            f"Aug  3 10:02:12 {name} kernel: [  812.301877] vif vif-7-0 vif7.0: Guest Rx ready",
            f"Aug  3 10:02:12 {name} kernel: [  812.302010] xenbr0: port 5(vif7.0) entered forwarding state",
        ]
        if name == "xen03":
            for day, hh in (("Aug 27", 13), ("Sep 30", 9), ("Oct 24", 18)):
                for i, (mm, ss) in enumerate(((12, 4), (12, 5), (31, 40), (44, 2))):
                    up = 2_000_000 + i * 700
                    lines.append(f"{day} {hh:02d}:{mm:02d}:{ss:02d} {name} kernel: [{up}.{111 * (i + 1):06d}] xen_net: Memory squeeze in netback driver.")
                lines.append(f"{day} {hh:02d}:45:10 {name} kernel: [2003001.774102] DMA: Out of SW-IOMMU space for 65536 bytes at device 0000:18:00.0")
                lines.append(f"{day} {hh:02d}:45:10 {name} kernel: [2003001.774390] megaraid_sas 0000:18:00.0: scsi_dma_map failed")
        lines.append(f"Oct 31 12:00:01 {name} CRON[30112]: (root) CMD (   test -x /usr/sbin/xenstored && /usr/sbin/xl list > /dev/null)")
        write(os.path.join(DOM0, "logs", name, "kern.log"), "\n".join(lines) + "\n")


# --- story 2: the appliance that freezes under I/O -------------------------

FREEZE = os.path.join(ROOT, "appliance-io-freeze")
APPLIANCES = [
    # name, release, image format, tuned (swap off, strict overcommit, noop)
    ("hv01", "0.9.7", "raw", False),
    ("hv02", "0.9.7", "raw", False),
    ("hv03", "1.0.2", "qcow2", False),
    ("hv04", "1.0.2", "qcow2", False),
    ("hv05", "1.0.2", "qcow2", True),
    ("hv06", "1.0.2", "qcow2", True),
]

FREEZES = [
    ("hv03", "2017-01-09 04:12"), ("hv03", "2017-01-27 03:41"), ("hv03", "2017-02-19 02:55"),
    ("hv04", "2017-01-06 23:30"), ("hv04", "2017-01-21 01:10"), ("hv04", "2017-02-03 04:44"),
    ("hv04", "2017-02-24 22:05"),
    ("hv05", "2017-02-11 03:20"),
]


def freeze_console(name, when):
    """A dom0 console capture of one freeze: soft lockup, then a hung task."""
    day, hm = when.split(" ")
    h, m = hm.split(":")
    at = f"{day} {h}:{m}"
    up = 1_518_402
    return "\n".join([
        f"[{at}:01] [{up}.550121] BUG: soft lockup - CPU#1 stuck for 22s! [qemu-system-x86:4150]",
        f"[{at}:01] [{up}.550180] Modules linked in: xen_blkback xen_netback xen_gntdev xen_evtchn xenfs xen_privcmd bridge stp llc ext4 mbcache jbd2 sd_mod ahci libahci",
        f"[{at}:01] [{up}.550236] CPU: 1 PID: 4150 Comm: qemu-system-x86 Tainted: G        W       4.4.6-0-grsec #1-Alpine",
        f"[{at}:01] [{up}.550246] RIP: e030:[<ffffffff8100130a>]  [<ffffffff8100130a>] xen_hypercall_sched_op+0xa/0x20",
        f"[{at}:01] [{up}.550322] Call Trace:",
        f"[{at}:01] [{up}.550340]  [<ffffffff81416df0>] xen_poll_irq+0x10/0x20",
        f"[{at}:01] [{up}.550349]  [<ffffffff8101a5b5>] xen_qlock_wait+0x85/0xd0",
        f"[{at}:01] [{up}.550357]  [<ffffffff810b1e47>] __pv_queued_spin_lock_slowpath+0x2a7/0x2d0",
        f"[{at}:01] [{up}.550366]  [<ffffffff81161b3e>] _raw_spin_lock_irq+0x2e/0x40",
        f"[{at}:01] [{up}.550374]  [<ffffffff812e4a51>] blk_queue_bio+0x101/0x3b0",
        f"[{at}:01] [{up}.550382]  [<ffffffff812e2e06>] generic_make_request+0xe6/0x1d0",
        f"[{at}:01] [{up}.550390]  [<ffffffff812e2f55>] submit_bio+0x65/0x150",
        f"[{at}:01] [{up}.550399]  [<ffffffff811f4b51>] do_blockdev_direct_IO+0x1a61/0x2390",
        f"[{at}:01] [{up}.550416]  [<ffffffff81241a0e>] ext4_direct_IO+0x2be/0x5e0 [ext4]",
        f"[{at}:01] [{up}.550441]  [<ffffffff811b74f6>] vfs_write+0x86/0x130",
        f"[{at}:01] [{up}.550457]  [<ffffffff81658b9a>] entry_SYSCALL_64_fastpath+0x12/0x6a",
        "",
    ])


def freeze_case():
    write(os.path.join(FREEZE, "faultline.toml"), """\
# Story 2 of DESIGN.md: Xen-based appliances that freeze every few weeks
# after a release moved VM disks to qcow2 files. Written by
# examples/tools/generate_xen.py.
name = "appliance-io-freeze"
time_zone = "Europe/Berlin"

[window]
start = "2017-01-01 00:00"
end = "2017-03-01 00:00"
""")
    rows = ["name,kind,host,release,disk_format,site"]
    for name, release, fmt, _ in APPLIANCES:
        rows.append(f"{name},host,,{release},{fmt},customer-{name[-1]}")
    write(os.path.join(FREEZE, "inventory.csv"), "\n".join(rows) + "\n")
    rows = ["machine,time,title"]
    for name, when in FREEZES:
        rows.append(f"{name},{when},appliance froze: power-cycled")
    write(os.path.join(FREEZE, "crashes.csv"), "\n".join(rows) + "\n")
    for name, release, fmt, tuned in APPLIANCES:
        old = release == "0.9.7"
        sched = "noop" if tuned else "cfq"
        sysctl = dict(HOST_SYSCTL)
        sysctl["vm.overcommit_memory"] = "2" if tuned else "0"
        sysctl["vm.overcommit_ratio"] = "80" if tuned else "50"
        sysctl["kernel.panic"] = "0"
        ext = "img" if fmt == "raw" else "qcow2"
        images = [
            {"path": f"/var/lib/hypervisor/images/{vm}.{ext}", "format": fmt,
             "virtual_size": size, "actual_size": size if fmt == "raw" else size // 3,
             "backing_file": None}
            for vm, size in (("alpine-pbx", 8_589_934_592), ("win10-test", 34_359_738_368))
        ]
        kernel = ("4.4.6-0-grsec", "#1-Alpine SMP Mon Mar 21 09:13:43 GMT 2016") if not old else \
                 ("3.18.20-0-grsec", "#1-Alpine SMP Tue Aug 25 10:47:24 GMT 2015")
        elevator = " elevator=noop" if tuned else ""
        write(os.path.join(FREEZE, "configs", f"{name}.json"), snapshot(
            name, "2017-02-28T18:00:00Z", kernel,
            f"root=UUID=f75fac6a-cf4d-48bd-89c5-5a9fffd0e23f modules=sd-mod,usb-storage,ext4{elevator} quiet",
            xen={"version": "4.6.1" if not old else "4.4.2",
                 "cmdline": "dom0_mem=1024M", "total_memory_mb": 8_071,
                 "free_memory_mb": 1_644},
            memory_kb=1_003_520, swap_kb=0 if tuned else 2_097_148, sysctl=sysctl, cpus=4,
            model="Intel(R) Atom(TM) CPU  C2558  @ 2.40GHz",
            block=[{"name": "sda", "scheduler": sched,
                    "schedulers": ["noop", "deadline", "cfq"], "rotational": False,
                    "queue_depth": 31, "nr_requests": 128,
                    "size_bytes": 128_035_676_160, "model": "SSD 128GB"}],
            images=images, consoles=("hvc0", "ttyS0"),
            crashkernel=None, crash_bytes=0, kdump_loaded=False,
        ))
        lines = [f"[2017-01-02 09:00:00] [   12.104221] xen-blkback: backend/vbd/1/51712: using 1 queues, protocol 1 (x86_64-abi) persistent grants"]
        for who, when in FREEZES:
            if who == name:
                lines.append(freeze_console(name, when))
        write(os.path.join(FREEZE, "logs", name, "dom0-console.log"), "\n".join(lines) + "\n")


if __name__ == "__main__":
    dom0_case()
    freeze_case()
