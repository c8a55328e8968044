//! Every built-in known issue against a real-looking log or snapshot that
//! must trigger it and one that must not.
//!
//! Logs go through the real scanner (reader and detector), so an entry is
//! tested the way `faultline scan` will meet it; snapshots are given as the
//! facts `faultline collect` produces (see faultline-collect's `facts()`).

use std::collections::BTreeSet;
use std::io::Write as _;

use faultline_kb::{EventView, Facts, KnowledgeBase, ReportView};
use faultline_scan::{Input, ScanOptions};

/// What an entry is tested on.
enum Subject {
    /// A log file's text.
    Log(&'static str),
    /// A snapshot's facts.
    Facts(&'static [(&'static str, &'static str)]),
    /// A log and the snapshot of the same machine (for `combine = "all"`).
    Both(&'static str, &'static [(&'static str, &'static str)]),
}

struct Case {
    issue: &'static str,
    triggers: Subject,
    /// Something close that must not match (a healthy setting, a lookalike
    /// message).
    quiet: Subject,
}

/// The ids of the issues the log's reports and events match.
fn log_hits(kb: &KnowledgeBase, text: &str) -> BTreeSet<String> {
    let mut file = tempfile::NamedTempFile::new().unwrap();
    file.write_all(text.as_bytes()).unwrap();
    let out = faultline_scan::scan(
        &[Input::Path(file.path().to_path_buf())],
        &ScanOptions {
            year: Some(2026),
            ..ScanOptions::default()
        },
    );
    assert!(out.failures().next().is_none(), "scan failed");
    let mut ids = BTreeSet::new();
    for r in &out.reports {
        let view = ReportView {
            title: &r.report.title,
            kind: r.report.kind.as_str(),
            frames: &r.report.frames,
            text: &r.report.text,
        };
        ids.extend(kb.for_report(&view).into_iter().map(|i| i.id.clone()));
    }
    for e in &out.events {
        let view = EventView {
            rule: &e.rule,
            template: &e.template,
            message: &e.message,
        };
        ids.extend(kb.for_event(&view).into_iter().map(|i| i.id.clone()));
    }
    ids
}

fn facts(pairs: &[(&str, &str)]) -> Facts {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn fact_hits(kb: &KnowledgeBase, pairs: &[(&str, &str)]) -> BTreeSet<String> {
    kb.for_facts(&facts(pairs))
        .into_iter()
        .map(|m| m.issue.id.clone())
        .collect()
}

/// Whether the issue matches the subject the way its `combine` asks.
fn matches(kb: &KnowledgeBase, id: &str, subject: &Subject) -> bool {
    let issue = kb
        .get(id)
        .unwrap_or_else(|| panic!("no built-in issue {id}"));
    match subject {
        Subject::Log(text) => !issue.needs_both() && log_hits(kb, text).contains(id),
        Subject::Facts(pairs) => !issue.needs_both() && fact_hits(kb, pairs).contains(id),
        Subject::Both(text, pairs) => {
            let log = log_hits(kb, text).contains(id);
            let config = fact_hits(kb, pairs).contains(id);
            if issue.needs_both() {
                log && config
            } else {
                log || config
            }
        }
    }
}

const XEN_SQUEEZE_LOG: &str = "\
Feb 11 03:10:02 xen07 kernel: [1201933.140216] device vif12.0 entered promiscuous mode
Feb 11 03:12:44 xen07 kernel: [1202095.007211] xen_net: Memory squeeze in netback driver.
Feb 11 03:12:45 xen07 kernel: [1202096.230198] xen_net: Memory squeeze in netback driver.
";

const XEN_QUIET_LOG: &str = "\
Feb 11 03:10:02 xen07 kernel: [1201933.140216] device vif12.0 entered promiscuous mode
Feb 11 03:10:02 xen07 kernel: [1201933.152004] br0: port 6(vif12.0) entering forwarding state
Feb 11 03:11:40 xen07 kernel: [1202000.100000] xen:balloon: Cannot add additional memory (-17)
";

const XEN_HOST_NO_DOM0_MEM: &[(&str, &str)] = &[
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "placeholder=1 com1=115200,8n1 console=com1"),
    ("xen.cmdline.placeholder", "1"),
    ("xen.cmdline.com1", "115200,8n1"),
    ("xen.cmdline.console", "com1"),
];

const XEN_HOST_WITH_DOM0_MEM: &[(&str, &str)] = &[
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "dom0_mem=4096M,max:4096M console=com1"),
    ("xen.cmdline.dom0_mem", "4096M,max:4096M"),
    ("xen.cmdline.console", "com1"),
];

// --- VMware ---

/// ESX 3.5 vmkernel lines inside the service console's syslog (story 1).
const ESX_CALL_SERIAL_LOG: &str = "\
Nov 20 22:01:05 esx03 vmkernel: 43:07:02:52.331 cpu3:1039)VSCSIFs: 439: fd 4123 status Busy
Nov 20 22:05:17 esx03 vmkernel: 43:07:07:04.118 cpu1:1038)WARNING: NFS: 4590: Can't find call with serial number -2146566321
Nov 20 22:05:17 esx03 vmkernel: 43:07:07:04.119 cpu1:1038)WARNING: NFS: 4590: Can't find call with serial number -2146566320
Nov 20 22:14:03 esx03 vmkernel: 43:07:27:51.725 cpu2:2185)WARNING: NFS: 4590: Can't find call with serial number -2146566055
";

/// The COS heartbeat failure of ESX 4.x: "Can't find serial#" from VmkDev,
/// about SCSI commands of the service console, not NFS.
const ESX_VMKDEV_SERIAL_LOG: &str = "\
Nov 20 22:09:33 esx03 vmkernel: 43:07:11:20.447 cpu2:1041)NFSLock: 2775: File is being locked by a consumer on host esx03 with exclusive lock.
Nov 20 22:14:03 esx03 vmkernel: 43:07:27:51.725 cpu0:4096)VMNIX: WARNING: VmkDev: 3102: Can't find serial# 4294967296 from virt handle 2000
Nov 20 22:14:03 esx03 vmkernel: 43:07:27:51.726 cpu0:4096)VMNIX: WARNING: VmkDev: 3102: Can't find serial# 4294967297 from virt handle 2000
";

/// ESXi 5.x vmkernel.log.
const ESX_NFS_LOST_LOG: &str = "\
2013-05-21T14:12:33.281Z cpu6:8198)NFS: 283: Lost connection to the server 192.168.10.20 mount point /vol/vm01, mounted as 8d1dcc85-3d3a3b08-0000-000000000000 (\"vm01\")
2013-05-21T14:12:33.500Z cpu2:8194)StorageApdHandler: 248: APD Timer started for ident [8d1dcc85-3d3a3b08]
";

const ESX_NFS_RESTORED_LOG: &str = "\
2013-05-21T14:13:05.102Z cpu6:8198)NFS: 292: Restored connection to the server 192.168.10.20 mount point /vol/vm01, mounted as 8d1dcc85-3d3a3b08-0000-000000000000 (\"vm01\")
2013-05-21T14:13:05.310Z cpu2:8194)StorageApdHandler: 421: APD Timer killed for ident [8d1dcc85-3d3a3b08]
";

/// The seed's ESX 3.5 hosts: NetApp's values, set by hand on every host.
const ESX35_SEED_SETTINGS: &[(&str, &str)] = &[
    ("machine", "esx03"),
    ("source", "esx"),
    ("role", "host"),
    ("hypervisor", "vmware"),
    ("esx.version", "3.5.0"),
    ("esx.NFS.HeartbeatFrequency", "12"),
    ("esx.NFS.HeartbeatTimeout", "5"),
    ("esx.NFS.HeartbeatDelta", "5"),
    ("esx.NFS.HeartbeatMaxFailures", "10"),
    ("esx.NFS.MaxVolumes", "8"),
    ("esx.NFS.SendBufferSize", "264"),
    ("esx.NFS.ReceiveBufferSize", "128"),
];

/// An ESX 3.5 host left with a short heartbeat timeout and the shipped
/// frequency and failure count.
const ESX35_HEARTBEAT_OFF: &[(&str, &str)] = &[
    ("machine", "esx04"),
    ("source", "esx"),
    ("role", "host"),
    ("hypervisor", "vmware"),
    ("esx.version", "3.5.0"),
    ("esx.NFS.HeartbeatFrequency", "9"),
    ("esx.NFS.HeartbeatTimeout", "3"),
    ("esx.NFS.HeartbeatDelta", "5"),
    ("esx.NFS.HeartbeatMaxFailures", "3"),
    ("esx.NFS.MaxVolumes", "8"),
];

const ESX41_MAXVOL_NO_HEAP: &[(&str, &str)] = &[
    ("machine", "esx11"),
    ("source", "esx"),
    ("role", "host"),
    ("esx.version", "4.1.0"),
    ("esx.NFS.MaxVolumes", "64"),
    ("esx.Net.TcpipHeapSize", "16"),
    ("esx.Net.TcpipHeapMax", "64"),
];

const ESX41_MAXVOL_WITH_HEAP: &[(&str, &str)] = &[
    ("machine", "esx11"),
    ("source", "esx"),
    ("role", "host"),
    ("esx.version", "4.1.0"),
    ("esx.NFS.MaxVolumes", "64"),
    ("esx.Net.TcpipHeapSize", "30"),
    ("esx.Net.TcpipHeapMax", "120"),
];

// --- storage ---

/// The CentOS 5 serial console of story 1 (examples/logs/centos5-db02).
const CENTOS5_LIST_DEL_CONSOLE: &str = "\
Linux version 2.6.18-128.7.1.el5 (mockbuild@builder10.centos.org) (gcc version 4.1.2 20080704 (Red Hat 4.1.2-44)) #1 SMP Mon Aug 24 08:21:56 EDT 2009
Command line: ro root=/dev/VolGroup00/LogVol00 console=tty0 console=ttyS0,9600n8
scsi0 : ioc0: LSI53C1030 B0, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169
db02 login: list_del corruption. next->prev should be ffff81007a3b9c28, but was ffff81000a0b1c28
----------- [cut here ] --------- [please bite here ] ---------
Kernel BUG at lib/list_debug.c:70
invalid opcode: 0000 [1] SMP 
last sysfs file: /devices/pci0000:00/0000:00:10.0/host0/target0:0:0/0:0:0:0/vendor
CPU 1 
Modules linked in: nfs lockd fscache nfs_acl sunrpc ipv6 dm_mirror dm_multipath dm_mod ata_piix libata mptspi mptscsih mptbase scsi_transport_spi sd_mod scsi_mod ext3 jbd
Pid: 0, comm: swapper Not tainted 2.6.18-128.7.1.el5 #1
RIP: 0010:[<ffffffff8014c562>]  [<ffffffff8014c562>] list_del+0x48/0x71
RSP: 0018:ffffffff80425d00  EFLAGS: 00010082
RAX: 0000000000000058 RBX: ffff81007a3b9c28 RCX: ffffffff802f7aa8
Process swapper (pid: 0, threadinfo ffff810037e3c000, task ffff810037e1f080)
Stack:  ffff81007a3b9c00 ffffffff880e0a7e ffff81007e9a8000 0000000000000000
Call Trace:
 <IRQ>  [<ffffffff880e0a7e>] :mptscsih:mptscsih_io_done+0x5ee/0x608
 [<ffffffff88070e8c>] :mptbase:mpt_interrupt+0x522/0x5a4
 [<ffffffff80010ad7>] handle_IRQ_event+0x51/0xa6
 [<ffffffff800bb2a5>] __do_IRQ+0xa4/0x103
 [<ffffffff8006c9e1>] do_IRQ+0xe7/0xf5
 [<ffffffff8005d615>] ret_from_intr+0x0/0xa
 <EOI>  [<ffffffff8006b6e1>] default_idle+0x29/0x50
 [<ffffffff80048f62>] cpu_idle+0x95/0xb8
 [<ffffffff80077991>] start_secondary+0x498/0x4a7


Code: 0f 0b 68 fd 8a 2b 80 c2 46 00 48 8b 03 48 8b 50 08 48 39 da 
RIP  [<ffffffff8014c562>] list_del+0x48/0x71
 RSP <ffffffff80425d00>
 <0>Kernel panic - not syncing: Fatal exception
";

/// The CentOS 4 serial console of story 1 (examples/logs/centos4-app11).
const CENTOS4_SCSI_ERROR_LOCKUP_CONSOLE: &str = "\
Linux version 2.6.9-89.0.9.ELsmp (mockbuild@builder16.centos.org) (gcc version 3.4.6 20060404 (Red Hat 3.4.6-11)) #1 SMP Mon Aug 24 08:11:10 EDT 2009
scsi0 : ioc0: LSI53C1030, FwRev=01032920h, Ports=1, MaxQ=128, IRQ=169
mptscsih: ioc0: attempting task abort! (sc=f6e1a2c0)
scsi0 : destination target 0, lun 0
        command = Write (10) 00 00 2c 69 3f 00 00 08 00 
mptscsih: ioc0: task abort: SUCCESS (sc=f6e1a2c0)
NMI Watchdog detected LOCKUP on CPU1, eip f883b299, registers:
Modules linked in: nfs lockd nfs_acl sunrpc dm_mirror dm_mod button battery ac pcnet32 mii floppy ext3 jbd mptscsi mptbase sd_mod scsi_mod
CPU:    1
EIP:    0060:[<f883b299>]    Not tainted VLI
EFLAGS: 00000086   (2.6.9-89.0.9.ELsmp) 
EIP is at .text.lock.scsi_error+0x19/0x34 [scsi_mod]
eax: f7d6a000   ebx: f6e1a2c0   ecx: 00000000   edx: f7d6a1c4
esi: f7d6a000   edi: f7d6a000   ebp: 00000000   esp: c03edf48
ds: 007b   es: 007b   ss: 0068
Process swapper (pid: 0, threadinfo=c03ed000 task=f7f2f0b0)
Stack: f6e1a2c0 00000000 f88c19ce f6e1a2c0 f7d6a000 00000000 00000001 f7c4e400 
Call Trace:
 [<f88c19ce>] mptscsih_io_done+0x5ee/0x608 [mptscsi]
 [<f886b0c9>] mpt_interrupt+0x6d6/0x7c3 [mptbase]
 [<c01074b2>] handle_IRQ_event+0x25/0x4f
 [<c0107a13>] do_IRQ+0x11c/0x1ae
 =======================
 [<c02de564>] common_interrupt+0x18/0x20
 [<c02ddb54>] system_call+0x0/0x30
Code: 00 e9 4a fc ff ff f3 90 80 bb 24 01 00 00 00 7e f5 e9 80 fc ff ff f3 90 80 bb 24 01 00 00 00 7e f5 e9 1b fd ff ff 
 <0>Kernel panic - not syncing: nmi watchdog
";

/// The same two shapes elsewhere: a CentOS 5 list_del corruption in the
/// slab allocator, then a CentOS 4 NMI lockup in a network driver's lock.
const LIST_DEL_AND_LOCKUP_ELSEWHERE_CONSOLE: &str = "\
Linux version 2.6.18-274.el5 (mockbuild@builder10.centos.org) (gcc version 4.1.2 20080704 (Red Hat 4.1.2-51)) #1 SMP Fri Jul 22 04:43:29 EDT 2011
list_del corruption. prev->next should be ffff810037a1c0c0, but was ffff81006b2f4ac0
----------- [cut here ] --------- [please bite here ] ---------
Kernel BUG at lib/list_debug.c:67
invalid opcode: 0000 [1] SMP 
CPU 0 
Modules linked in: ipv6 dm_mirror dm_mod ata_piix libata mptspi mptscsih mptbase scsi_transport_spi sd_mod scsi_mod ext3 jbd
Pid: 3121, comm: httpd Not tainted 2.6.18-274.el5 #1
RIP: 0010:[<ffffffff80155b9b>]  [<ffffffff80155b9b>] list_del+0x21/0x71
RSP: 0018:ffff81006a8d1d58  EFLAGS: 00010082
Process httpd (pid: 3121, threadinfo ffff81006a8d0000, task ffff81007f0a7080)
Stack:  ffff81007d9f8940 ffffffff800dc6d8 ffff81007e3c2000 ffff81007d9f8940
Call Trace:
 [<ffffffff800dc6d8>] free_block+0x11c/0x13b
 [<ffffffff800dc56d>] cache_flusharray+0x7d/0xb2
 [<ffffffff8002e26e>] kmem_cache_free+0x1de/0x215
 [<ffffffff80031b4a>] sock_destroy_inode+0x12/0x14
 [<ffffffff800234ef>] destroy_inode+0x28/0x3d
 [<ffffffff8003e02d>] dput+0xf6/0x114
 [<ffffffff80012a83>] __fput+0x147/0x1ca
 [<ffffffff80023c44>] filp_close+0x5c/0x64
 [<ffffffff8001d7f7>] sys_close+0x88/0xbd
 [<ffffffff8005d116>] system_call+0x7e/0x83

Code: 0f 0b 68 fd 8a 2b 80 c2 43 00 48 8b 13 48 8b 42 08 48 39 d8 
RIP  [<ffffffff80155b9b>] list_del+0x21/0x71
 RSP <ffff81006a8d1d58>
 <0>Kernel panic - not syncing: Fatal exception
Linux version 2.6.9-89.0.9.ELsmp (mockbuild@builder16.centos.org) (gcc version 3.4.6 20060404 (Red Hat 3.4.6-11)) #1 SMP Mon Aug 24 08:11:10 EDT 2009
NMI Watchdog detected LOCKUP on CPU0, eip c02d3f12, registers:
Modules linked in: nfs lockd nfs_acl sunrpc e1000 mptscsi mptbase sd_mod scsi_mod
CPU:    0
EIP:    0060:[<c02d3f12>]    Not tainted VLI
EFLAGS: 00000086   (2.6.9-89.0.9.ELsmp) 
EIP is at .text.lock.spinlock+0x20/0x4c
eax: f7d6a000   ebx: f6e1a2c0   ecx: 00000000   edx: f7d6a1c4
Process swapper (pid: 0, threadinfo=c03ed000 task=c0357bc0)
Call Trace:
 [<f88a41c3>] e1000_clean_tx_irq+0x73/0x2a0 [e1000]
 [<f88a5b0e>] e1000_intr+0x5e/0x100 [e1000]
 [<c01074b2>] handle_IRQ_event+0x25/0x4f
 [<c0107a13>] do_IRQ+0x11c/0x1ae
 [<c02de564>] common_interrupt+0x18/0x20
 [<c02ddb54>] system_call+0x0/0x30
 <0>Kernel panic - not syncing: nmi watchdog
";

/// A RHEL 7 NFS client whose filer stopped answering.
const NFS_HUNG_TASK_LOG: &str = "\
Mar  4 22:41:07 app03 kernel: nfs: server filer01 not responding, still trying
Mar  4 22:43:12 app03 kernel: INFO: task tar:21877 blocked for more than 120 seconds.
Mar  4 22:43:12 app03 kernel:       Not tainted 3.10.0-1160.el7.x86_64 #1
Mar  4 22:43:12 app03 kernel: \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
Mar  4 22:43:12 app03 kernel: tar             D ffff9a3b7fc1acc0     0 21877  21870 0x00000080
Mar  4 22:43:12 app03 kernel: Call Trace:
Mar  4 22:43:12 app03 kernel: [<ffffffff8a385da9>] schedule+0x29/0x70
Mar  4 22:43:12 app03 kernel: [<ffffffffc06b7a19>] rpc_wait_bit_killable+0x29/0xb0 [sunrpc]
Mar  4 22:43:12 app03 kernel: [<ffffffff8a383a31>] __wait_on_bit+0x61/0x90
Mar  4 22:43:12 app03 kernel: [<ffffffff8a383c43>] out_of_line_wait_on_bit+0x83/0x90
Mar  4 22:43:12 app03 kernel: [<ffffffffc06b8b75>] __rpc_execute+0x165/0x450 [sunrpc]
Mar  4 22:43:12 app03 kernel: [<ffffffffc06b8f7a>] rpc_execute+0x6a/0xd0 [sunrpc]
Mar  4 22:43:12 app03 kernel: [<ffffffffc06abc1d>] rpc_run_task+0x7d/0xa0 [sunrpc]
Mar  4 22:43:12 app03 kernel: [<ffffffffc077a6f4>] nfs4_call_sync_sequence+0x64/0xa0 [nfsv4]
Mar  4 22:43:12 app03 kernel: [<ffffffffc077b4ee>] _nfs4_proc_getattr+0xbe/0xd0 [nfsv4]
Mar  4 22:43:12 app03 kernel: [<ffffffffc0786e7a>] nfs4_proc_getattr+0x7a/0x100 [nfsv4]
Mar  4 22:43:12 app03 kernel: [<ffffffffc0745c9c>] __nfs_revalidate_inode+0xec/0x300 [nfs]
Mar  4 22:43:12 app03 kernel: [<ffffffffc0746288>] nfs_getattr+0x98/0x2a0 [nfs]
Mar  4 22:43:12 app03 kernel: [<ffffffff89e53f99>] vfs_getattr+0x49/0x80
Mar  4 22:43:12 app03 kernel: [<ffffffff89e54015>] vfs_fstatat+0x75/0xc0
Mar  4 22:43:12 app03 kernel: [<ffffffff89e5443e>] SYSC_newlstat+0x2e/0x60
Mar  4 22:43:12 app03 kernel: [<ffffffff89e5489e>] SyS_newlstat+0xe/0x10
Mar  4 22:43:12 app03 kernel: [<ffffffff8a392ed2>] system_call_fastpath+0x25/0x2a
";

/// A hung journal thread on a local disk, and the NFS server recovering.
const LOCAL_HUNG_TASK_LOG: &str = "\
Mar  4 22:41:07 db01 kernel: nfs: server filer01 OK
Mar  4 22:43:12 db01 kernel: INFO: task jbd2/dm-0-8:512 blocked for more than 120 seconds.
Mar  4 22:43:12 db01 kernel:       Not tainted 3.10.0-1160.el7.x86_64 #1
Mar  4 22:43:12 db01 kernel: \"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
Mar  4 22:43:12 db01 kernel: jbd2/dm-0-8     D ffff9a3b7fc1acc0     0   512      2 0x00000000
Mar  4 22:43:12 db01 kernel: Call Trace:
Mar  4 22:43:12 db01 kernel: [<ffffffff8a385da9>] schedule+0x29/0x70
Mar  4 22:43:12 db01 kernel: [<ffffffff8a3838b1>] schedule_timeout+0x221/0x2d0
Mar  4 22:43:12 db01 kernel: [<ffffffff8a38549d>] io_schedule_timeout+0xad/0x130
Mar  4 22:43:12 db01 kernel: [<ffffffff8a385538>] io_schedule+0x18/0x20
Mar  4 22:43:12 db01 kernel: [<ffffffff8a383f11>] bit_wait_io+0x11/0x50
Mar  4 22:43:12 db01 kernel: [<ffffffff8a383a31>] __wait_on_bit+0x61/0x90
Mar  4 22:43:12 db01 kernel: [<ffffffff8a383c43>] out_of_line_wait_on_bit+0x83/0x90
Mar  4 22:43:12 db01 kernel: [<ffffffff89e7d3ba>] __wait_on_buffer+0x2a/0x30
Mar  4 22:43:12 db01 kernel: [<ffffffffc02a1801>] jbd2_journal_commit_transaction+0x1781/0x19b0 [jbd2]
Mar  4 22:43:12 db01 kernel: [<ffffffffc02a7e89>] kjournald2+0xc9/0x260 [jbd2]
Mar  4 22:43:12 db01 kernel: [<ffffffff89cc5e61>] kthread+0xd1/0xe0
Mar  4 22:43:12 db01 kernel: [<ffffffff8a392df7>] ret_from_fork_nospec_end+0x0/0x39
";

/// Story 2's Xen appliance: dom0 with swap, heuristic overcommit, cfq and
/// qcow2 guest disks.
const XEN_APPLIANCE_QCOW_HOST: &[(&str, &str)] = &[
    ("machine", "bero-hv1"),
    ("source", "linux"),
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "dom0_mem=1024M"),
    ("xen.cmdline.dom0_mem", "1024M"),
    ("swap.enabled", "true"),
    ("swap.count", "1"),
    ("sysctl.vm.overcommit_memory", "0"),
    ("block.sda.scheduler", "cfq"),
    ("block.sda.rotational", "false"),
    ("image./var/lib/xen/images/vm01.qcow2.format", "qcow2"),
    ("image./var/lib/xen/images/vm02.qcow2.format", "qcow2"),
    ("image.count", "2"),
];

/// The same appliance after the fix: the disks are raw logical volumes
/// (the old images stay as raw files), swap and overcommit as before.
const XEN_APPLIANCE_LVM_HOST: &[(&str, &str)] = &[
    ("machine", "bero-hv1"),
    ("source", "linux"),
    ("role", "host"),
    ("hypervisor", "xen"),
    ("xen.cmdline", "dom0_mem=1024M"),
    ("xen.cmdline.dom0_mem", "1024M"),
    ("swap.enabled", "true"),
    ("swap.count", "1"),
    ("sysctl.vm.overcommit_memory", "0"),
    ("block.sda.scheduler", "cfq"),
    ("image./var/lib/xen/images/vm01.img.format", "raw"),
    ("image.count", "1"),
    ("lvm.vg0/vm01-disk0.size_bytes", "42949672960"),
    ("lvm.vg0/vm02-disk0.size_bytes", "21474836480"),
];

const GUEST_NFS_SOFT: &[(&str, &str)] = &[
    ("machine", "app03"),
    ("source", "linux"),
    ("role", "guest"),
    ("nfs./data.server", "filer01"),
    ("nfs./data.fstype", "nfs"),
    ("nfs./data.option.rw", ""),
    ("nfs./data.option.soft", ""),
    ("nfs./data.option.timeo", "600"),
    ("nfs./data.option.retrans", "2"),
    ("nfs./data.option.vers", "3"),
];

const GUEST_NFS_HARD: &[(&str, &str)] = &[
    ("machine", "app03"),
    ("source", "linux"),
    ("role", "guest"),
    ("nfs./data.server", "filer01"),
    ("nfs./data.fstype", "nfs"),
    ("nfs./data.option.rw", ""),
    ("nfs./data.option.hard", ""),
    ("nfs./data.option.timeo", "600"),
    ("nfs./data.option.retrans", "2"),
    ("nfs./data.option.vers", "3"),
];

// --- memory ---

const OOM_KILL_LOG: &str = "\
Sep  9 03:12:40 batch07 kernel: java invoked oom-killer: gfp_mask=0x6200ca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=0
Sep  9 03:12:40 batch07 kernel: CPU: 2 PID: 31337 Comm: java Not tainted 5.14.0-284.11.1.el9_2.x86_64 #1
Sep  9 03:12:40 batch07 kernel: Mem-Info:
Sep  9 03:12:40 batch07 kernel: active_anon:1702114 inactive_anon:201337 isolated_anon:0
Sep  9 03:12:40 batch07 kernel: oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/system.slice/batch.service,task=java,pid=31337,uid=1001
Sep  9 03:12:40 batch07 kernel: Out of memory: Killed process 31337 (java) total-vm:12582912kB, anon-rss:7340032kB, file-rss:0kB, shmem-rss:0kB, UID:1001 pgtables:15360kB oom_score_adj:0
Sep  9 03:12:41 batch07 kernel: oom_reaper: reaped process 31337 (java), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB
";

/// The JVM's own out-of-memory error: the heap limit, not the kernel.
const JAVA_OUT_OF_MEMORY_LOG: &str = "\
Sep  9 03:12:40 batch07 java[31337]: Exception in thread \"main\" java.lang.OutOfMemoryError: Java heap space
Sep  9 03:12:41 batch07 systemd[1]: batch.service: Main process exited, code=exited, status=1/FAILURE
";

const KVM_HOST_PANIC_ON_OOM: &[(&str, &str)] = &[
    ("machine", "kvm-node4"),
    ("source", "linux"),
    ("role", "host"),
    ("hypervisor", "kvm"),
    ("kvm_device", "true"),
    ("sysctl.vm.panic_on_oom", "1"),
];

const KVM_HOST_KILLS_ON_OOM: &[(&str, &str)] = &[
    ("machine", "kvm-node4"),
    ("source", "linux"),
    ("role", "host"),
    ("hypervisor", "kvm"),
    ("kvm_device", "true"),
    ("sysctl.vm.panic_on_oom", "0"),
];

// --- lockups ---

/// A soft lockup in a VMware guest (RHEL 8): the stack is wherever the vCPU
/// was when the host stopped running it.
const GUEST_SOFT_LOCKUP_LOG: &str = "\
Jun 12 02:14:51 web12 kernel: [812345.123456] NMI watchdog: BUG: soft lockup - CPU#1 stuck for 23s! [kworker/1:2:28761]
Jun 12 02:14:51 web12 kernel: [812345.123789] Modules linked in: xt_conntrack nf_conntrack vmw_balloon vmw_vmci vmxnet3 vmw_pvscsi
Jun 12 02:14:51 web12 kernel: [812345.124001] CPU: 1 PID: 28761 Comm: kworker/1:2 Not tainted 4.18.0-348.el8.x86_64 #1
Jun 12 02:14:51 web12 kernel: [812345.124102] Hardware name: VMware, Inc. VMware Virtual Platform/440BX Desktop Reference Platform, BIOS 6.00 12/12/2018
Jun 12 02:14:51 web12 kernel: [812345.124210] Workqueue: events_freezable vmballoon_work [vmw_balloon]
Jun 12 02:14:51 web12 kernel: [812345.124300] RIP: 0010:vmballoon_send_batched_lock+0x55/0x90 [vmw_balloon]
Jun 12 02:14:51 web12 kernel: [812345.124900] Call Trace:
Jun 12 02:14:51 web12 kernel: [812345.125000]  vmballoon_work+0x1a4/0x560 [vmw_balloon]
Jun 12 02:14:51 web12 kernel: [812345.125100]  process_one_work+0x1a7/0x360
Jun 12 02:14:51 web12 kernel: [812345.125200]  worker_thread+0x30/0x390
Jun 12 02:14:51 web12 kernel: [812345.125300]  kthread+0x112/0x130
Jun 12 02:14:51 web12 kernel: [812345.125400]  ret_from_fork+0x35/0x40
";

/// An RCU stall in a KVM guest whose grace-period kthread did not run
/// (Ubuntu 20.04 kernel console).
const RCU_KTHREAD_STARVED_CONSOLE: &str = "\
[ 9123.456789] rcu: INFO: rcu_sched self-detected stall on CPU
[ 9123.456790] rcu: \t3-....: (60001 ticks this GP) idle=c6a/1/0x4000000000000002 softirq=181201/181201 fqs=0
[ 9123.456791] \t(t=60001 jiffies g=2440965 q=2104)
[ 9123.456792] rcu: rcu_sched kthread starved for 60003 jiffies! g2440965 f0x0 RCU_GP_WAIT_FQS(5) ->state=0x402 ->cpu=0
[ 9123.456793] rcu: Unless rcu_sched kthread gets sufficient CPU time, OOM is now expected behavior.
[ 9123.456794] rcu: RCU grace-period kthread stack dump:
[ 9123.456795] task:rcu_sched       state:I stack:    0 pid:   11 ppid:     2 flags:0x00004000
[ 9123.456796] Call Trace:
[ 9123.456797]  __schedule+0x2c4/0x700
[ 9123.456798]  schedule+0x37/0xa0
[ 9123.456799]  schedule_timeout+0x16b/0x2c0
[ 9123.456800]  rcu_gp_kthread+0x4e8/0xb10
[ 9123.456801]  kthread+0x116/0x130
[ 9123.456802]  ret_from_fork+0x1f/0x40
[ 9123.456803] NMI backtrace for cpu 3
[ 9123.456804] CPU: 3 PID: 0 Comm: swapper/3 Not tainted 5.4.0-150-generic #167-Ubuntu
[ 9123.456805] Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.13.0-1ubuntu1.1 04/01/2014
[ 9123.456806] Call Trace:
[ 9123.456807]  <IRQ>
[ 9123.456808]  dump_stack+0x6d/0x8b
[ 9123.456809]  nmi_cpu_backtrace.cold+0x14/0x53
[ 9123.456810]  nmi_trigger_cpumask_backtrace+0xe8/0xf0
[ 9123.456811]  arch_trigger_cpumask_backtrace+0x19/0x20
[ 9123.456812]  rcu_dump_cpu_stacks+0x99/0xcb
[ 9123.456813]  rcu_sched_clock_irq.cold+0x1b0/0x39c
[ 9123.456814]  update_process_times+0x24/0x50
[ 9123.456815]  tick_sched_handle+0x22/0x60
[ 9123.456816]  tick_sched_timer+0x38/0x80
[ 9123.456817]  __hrtimer_run_queues+0xf7/0x270
[ 9123.456818]  hrtimer_interrupt+0x109/0x220
[ 9123.456819]  smp_apic_timer_interrupt+0x71/0x140
[ 9123.456820]  apic_timer_interrupt+0xf/0x20
[ 9123.456821]  </IRQ>
[ 9123.456822] RIP: 0010:native_safe_halt+0xe/0x10
[ 9123.456823] Call Trace:
[ 9123.456824]  default_idle+0x20/0x140
[ 9123.456825]  do_idle+0x1f0/0x270
[ 9123.456826]  cpu_startup_entry+0x20/0x30
[ 9123.456827]  start_secondary+0x167/0x1c0
[ 9123.456828]  secondary_startup_64+0xa4/0xb0
";

/// An RCU stall of a CPU busy in the block layer (CentOS 7): no starved
/// kthread.
const RCU_CPU_STALL_CONSOLE: &str = "\
[ 5521.004417] INFO: rcu_sched self-detected stall on CPU
[ 5521.004421] \t2-...: (21000 ticks this GP) idle=9e3/140000000000001/0 softirq=88123/88123 fqs=5201 
[ 5521.004424] \t (t=21001 jiffies g=77123 c=77122 q=1923)
[ 5521.004427] Task dump for CPU 2:
[ 5521.004428] fio             R  running task        0  4411   4400 0x00000008
[ 5521.004431] Call Trace:
[ 5521.004433]  <IRQ>  [<ffffffff810c5c48>] sched_show_task+0xa8/0x110
[ 5521.004440]  [<ffffffff810c97b9>] dump_cpu_task+0x39/0x70
[ 5521.004444]  [<ffffffff81140b70>] rcu_dump_cpu_stacks+0x90/0xd0
[ 5521.004448]  [<ffffffff811442f2>] rcu_check_callbacks+0x442/0x730
[ 5521.004451]  [<ffffffff810a2a27>] update_process_times+0x47/0x80
[ 5521.004455]  [<ffffffff810f35f0>] tick_sched_handle.isra.13+0x30/0x40
[ 5521.004458]  [<ffffffff810f3629>] tick_sched_timer+0x39/0x80
[ 5521.004461]  [<ffffffff810bb0f2>] __hrtimer_run_queues+0xd2/0x260
[ 5521.004464]  [<ffffffff810bb690>] hrtimer_interrupt+0xb0/0x1e0
[ 5521.004468]  [<ffffffff8104d017>] local_apic_timer_interrupt+0x37/0x60
[ 5521.004472]  [<ffffffff8169bdcf>] smp_apic_timer_interrupt+0x3f/0x60
[ 5521.004476]  [<ffffffff8169a29d>] apic_timer_interrupt+0x6d/0x80
[ 5521.004478]  <EOI>  [<ffffffff812f4d1b>] blk_mq_queue_tag_busy_iter+0x5b/0xd0
[ 5521.004485]  [<ffffffff812f0e70>] blk_mq_in_flight+0x30/0x40
[ 5521.004488]  [<ffffffff81301c1d>] part_round_stats+0x4d/0x70
[ 5521.004491]  [<ffffffff812eaf9a>] blk_account_io_done+0x7a/0x140
";

/// A VMware guest's snapshot.
const VMWARE_GUEST: &[(&str, &str)] = &[
    ("machine", "web12"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "vmware"),
    ("cpu.count", "2"),
    ("clocksource.current", "tsc"),
];

/// A bare-metal database server.
const BARE_METAL: &[(&str, &str)] = &[
    ("machine", "db-phys1"),
    ("source", "linux"),
    ("role", "bare"),
    ("cpu.count", "32"),
    ("clocksource.current", "tsc"),
];

const NFS_CLIENT_HUNG_TASK_PANIC: &[(&str, &str)] = &[
    ("machine", "app03"),
    ("source", "linux"),
    ("role", "guest"),
    ("sysctl.kernel.hung_task_panic", "1"),
    ("sysctl.kernel.hung_task_timeout_secs", "120"),
    ("nfs./data.server", "filer01"),
    ("nfs./data.fstype", "nfs4"),
    ("nfs./data.option.hard", ""),
];

const NFS_CLIENT_HUNG_TASK_WARN: &[(&str, &str)] = &[
    ("machine", "app03"),
    ("source", "linux"),
    ("role", "guest"),
    ("sysctl.kernel.hung_task_panic", "0"),
    ("sysctl.kernel.hung_task_timeout_secs", "120"),
    ("nfs./data.server", "filer01"),
    ("nfs./data.fstype", "nfs4"),
    ("nfs./data.option.hard", ""),
];

// --- panic ---

const GUEST_NO_CRASHKERNEL: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    (
        "kernel.cmdline",
        "BOOT_IMAGE=/vmlinuz-5.15.0-91-generic root=/dev/sda1 ro quiet",
    ),
    ("kernel.cmdline.root", "/dev/sda1"),
    ("kernel.cmdline.ro", ""),
    ("kernel.cmdline.quiet", ""),
    ("kdump.reserved_bytes", "0"),
    ("kdump.loaded", "false"),
];

const GUEST_CRASHKERNEL_LOADED: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    (
        "kernel.cmdline",
        "BOOT_IMAGE=/vmlinuz-5.15.0-91-generic root=/dev/sda1 ro crashkernel=512M-:192M",
    ),
    ("kernel.cmdline.crashkernel", "512M-:192M"),
    ("memory.total_kb", "4025868"),
    ("kdump.crashkernel", "512M-:192M"),
    ("kdump.reserved_bytes", "201326592"),
    ("kdump.loaded", "true"),
];

const GUEST_CRASHKERNEL_NOT_LOADED: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    (
        "kernel.cmdline",
        "BOOT_IMAGE=/vmlinuz-5.15.0-91-generic root=/dev/sda1 ro crashkernel=512M-:192M",
    ),
    ("kernel.cmdline.crashkernel", "512M-:192M"),
    ("memory.total_kb", "4025868"),
    ("kdump.crashkernel", "512M-:192M"),
    ("kdump.reserved_bytes", "201326592"),
    ("kdump.loaded", "false"),
];

/// A RHEL 7 guest below crashkernel=auto's threshold: nothing reserved.
const GUEST_CRASHKERNEL_AUTO_NOTHING: &[(&str, &str)] = &[
    ("machine", "tiny01"),
    ("source", "linux"),
    ("role", "guest"),
    (
        "kernel.cmdline",
        "BOOT_IMAGE=/vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/centos-root ro crashkernel=auto",
    ),
    ("kernel.cmdline.crashkernel", "auto"),
    ("memory.total_kb", "1882072"),
    ("kdump.crashkernel", "auto"),
    ("kdump.reserved_bytes", "0"),
    ("kdump.loaded", "false"),
];

const GUEST_CRASHKERNEL_64M: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    ("kernel.cmdline", "ro root=/dev/sda1 crashkernel=64M"),
    ("memory.total_kb", "2014856"),
    ("kdump.crashkernel", "64M"),
    ("kdump.reserved_bytes", "67108864"),
    ("kdump.loaded", "true"),
];

const GUEST_CRASHKERNEL_256M: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    ("kernel.cmdline", "ro root=/dev/sda1 crashkernel=256M"),
    ("memory.total_kb", "2014856"),
    ("kdump.crashkernel", "256M"),
    ("kdump.reserved_bytes", "268435456"),
    ("kdump.loaded", "true"),
];

const GUEST_16G_CRASHKERNEL_160M: &[(&str, &str)] = &[
    ("machine", "db02"),
    ("source", "linux"),
    ("role", "guest"),
    ("kernel.cmdline", "ro root=/dev/sda1 crashkernel=160M"),
    ("memory.total_kb", "16318480"),
    ("kdump.crashkernel", "160M"),
    ("kdump.reserved_bytes", "167772160"),
    ("kdump.loaded", "true"),
];

const GUEST_2G_CRASHKERNEL_160M: &[(&str, &str)] = &[
    ("machine", "web07"),
    ("source", "linux"),
    ("role", "guest"),
    ("kernel.cmdline", "ro root=/dev/sda1 crashkernel=160M"),
    ("memory.total_kb", "2014856"),
    ("kdump.crashkernel", "160M"),
    ("kdump.reserved_bytes", "167772160"),
    ("kdump.loaded", "true"),
];

const GUEST_PANIC_HANGS: &[(&str, &str)] = &[
    ("machine", "db02"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "vmware"),
    ("sysctl.kernel.panic", "0"),
    ("sysctl.kernel.panic_on_oops", "0"),
];

const GUEST_PANIC_REBOOTS: &[(&str, &str)] = &[
    ("machine", "db02"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "vmware"),
    ("sysctl.kernel.panic", "10"),
    ("sysctl.kernel.panic_on_oops", "1"),
];

const KDUMP_ARMED_LOCKUPS_WARN: &[(&str, &str)] = &[
    ("machine", "db-phys1"),
    ("source", "linux"),
    ("role", "bare"),
    ("kdump.crashkernel", "256M"),
    ("kdump.reserved_bytes", "268435456"),
    ("kdump.loaded", "true"),
    ("sysctl.kernel.softlockup_panic", "0"),
    ("sysctl.kernel.hung_task_panic", "0"),
];

/// The same settings without a loaded capture kernel: nothing to gain from
/// panicking (kdump-reserved-not-loaded covers this one).
const KDUMP_UNARMED_LOCKUPS_WARN: &[(&str, &str)] = &[
    ("machine", "db-phys1"),
    ("source", "linux"),
    ("role", "bare"),
    ("kdump.crashkernel", "256M"),
    ("kdump.reserved_bytes", "268435456"),
    ("kdump.loaded", "false"),
    ("sysctl.kernel.softlockup_panic", "0"),
    ("sysctl.kernel.hung_task_panic", "0"),
];

const GUEST_SCREEN_CONSOLE_ONLY: &[(&str, &str)] = &[
    ("machine", "app11"),
    ("source", "linux"),
    ("role", "guest"),
    ("kernel.cmdline", "ro root=LABEL=/ rhgb quiet"),
    ("console.active", "tty0"),
];

const GUEST_SERIAL_CONSOLE: &[(&str, &str)] = &[
    ("machine", "app11"),
    ("source", "linux"),
    ("role", "guest"),
    (
        "kernel.cmdline",
        "ro root=LABEL=/ console=tty0 console=ttyS0,9600",
    ),
    ("kernel.cmdline.console", "tty0,ttyS0,9600"),
    ("console.active", "tty0,ttyS0"),
];

// --- clock ---

const CLOCKSOURCE_UNSTABLE_LOG: &str = "\
Oct  2 11:20:31 kvm-guest4 kernel: [ 3711.400812] clocksource: timekeeping watchdog on CPU3: Marking clocksource 'tsc' as unstable because the skew is too large:
Oct  2 11:20:31 kvm-guest4 kernel: [ 3711.400825] clocksource:                       'hpet' wd_now: 3f2b19a1 wd_last: 3d5c7e21 mask: ffffffff
Oct  2 11:20:31 kvm-guest4 kernel: [ 3711.400829] clocksource:                       'tsc' cs_now: 2a4f1b7c8e10 cs_last: 2a4e2c6d0b12 mask: ffffffffffffffff
Oct  2 11:20:31 kvm-guest4 kernel: [ 3711.400835] tsc: Marking TSC unstable due to clocksource watchdog
Oct  2 11:20:31 kvm-guest4 kernel: [ 3711.401102] clocksource: Switched to clocksource hpet
";

const CLOCKSOURCE_BOOT_LOG: &str = "\
Oct  2 09:58:40 kvm-guest4 kernel: [    0.000000] kvm-clock: Using msrs 4b564d01 and 4b564d00
Oct  2 09:58:40 kvm-guest4 kernel: [    0.000000] clocksource: kvm-clock: mask: 0xffffffffffffffff max_cycles: 0x1cd42e4dffb, max_idle_ns: 881590591483 ns
Oct  2 09:58:41 kvm-guest4 kernel: [    1.112233] clocksource: Switched to clocksource kvm-clock
Oct  2 09:58:41 kvm-guest4 kernel: [    1.412233] tsc: Refined TSC clocksource calibration: 2394.454 MHz
";

const KVM_GUEST_ON_HPET: &[(&str, &str)] = &[
    ("machine", "kvm-guest4"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "kvm"),
    ("clocksource.current", "hpet"),
    ("clocksource.available", "kvm-clock tsc hpet acpi_pm"),
];

const KVM_GUEST_ON_KVM_CLOCK: &[(&str, &str)] = &[
    ("machine", "kvm-guest4"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "kvm"),
    ("clocksource.current", "kvm-clock"),
    ("clocksource.available", "kvm-clock tsc hpet acpi_pm"),
];

const XEN_GUEST_ON_TSC: &[(&str, &str)] = &[
    ("machine", "domu7"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "xen"),
    ("clocksource.current", "tsc"),
    ("clocksource.available", "xen tsc hpet acpi_pm"),
];

const XEN_GUEST_ON_XEN_CLOCK: &[(&str, &str)] = &[
    ("machine", "domu7"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "xen"),
    ("clocksource.current", "xen"),
    ("clocksource.available", "xen tsc hpet acpi_pm"),
];

/// Well-configured machines of each kind: no config entry may match them.
const HEALTHY_KVM_GUEST: &[(&str, &str)] = &[
    ("machine", "web21"),
    ("source", "linux"),
    ("role", "guest"),
    ("hypervisor", "kvm"),
    ("kernel.release", "5.14.0-362.el9.x86_64"),
    (
        "kernel.cmdline",
        "BOOT_IMAGE=(hd0,gpt2)/vmlinuz root=/dev/vda3 ro crashkernel=1G-4G:192M,4G-64G:256M,64G-:512M console=tty0 console=ttyS0,115200",
    ),
    (
        "kernel.cmdline.crashkernel",
        "1G-4G:192M,4G-64G:256M,64G-:512M",
    ),
    ("kernel.cmdline.console", "tty0,ttyS0,115200"),
    ("memory.total_kb", "8023764"),
    ("swap.enabled", "true"),
    ("swap.count", "1"),
    ("sysctl.vm.overcommit_memory", "0"),
    ("sysctl.vm.panic_on_oom", "0"),
    ("sysctl.kernel.panic", "10"),
    ("sysctl.kernel.panic_on_oops", "1"),
    ("sysctl.kernel.softlockup_panic", "0"),
    ("sysctl.kernel.hung_task_panic", "0"),
    ("console.active", "tty0,ttyS0"),
    ("clocksource.current", "kvm-clock"),
    ("clocksource.available", "kvm-clock tsc hpet acpi_pm"),
    ("block.vda.scheduler", "mq-deadline"),
    ("nfs./home.server", "filer01"),
    ("nfs./home.fstype", "nfs4"),
    ("nfs./home.option.hard", ""),
    ("kdump.crashkernel", "1G-4G:192M,4G-64G:256M,64G-:512M"),
    ("kdump.reserved_bytes", "268435456"),
    ("kdump.loaded", "true"),
];

const HEALTHY_KVM_HOST: &[(&str, &str)] = &[
    ("machine", "kvm-node5"),
    ("source", "linux"),
    ("role", "host"),
    ("hypervisor", "kvm"),
    ("kvm_device", "true"),
    ("kernel.cmdline", "ro root=/dev/md0 crashkernel=512M"),
    ("kernel.cmdline.crashkernel", "512M"),
    ("memory.total_kb", "263853184"),
    ("swap.enabled", "false"),
    ("swap.count", "0"),
    ("sysctl.vm.overcommit_memory", "0"),
    ("sysctl.vm.panic_on_oom", "0"),
    ("sysctl.kernel.panic", "0"),
    ("sysctl.kernel.softlockup_panic", "1"),
    ("sysctl.kernel.hung_task_panic", "0"),
    ("console.active", "tty0,ttyS1"),
    ("block.sda.scheduler", "mq-deadline"),
    ("image./var/lib/libvirt/images/web21.qcow2.format", "qcow2"),
    ("image.count", "1"),
    ("kdump.crashkernel", "512M"),
    ("kdump.reserved_bytes", "536870912"),
    ("kdump.loaded", "true"),
];

/// ESXi 7 with its shipped defaults (32 NFS volumes, heap set by VMware).
const HEALTHY_ESXI7_HOST: &[(&str, &str)] = &[
    ("machine", "esx21"),
    ("source", "esx"),
    ("role", "host"),
    ("hypervisor", "vmware"),
    ("esx.version", "7.0.3"),
    ("esx.NFS.HeartbeatFrequency", "12"),
    ("esx.NFS.HeartbeatTimeout", "5"),
    ("esx.NFS.HeartbeatMaxFailures", "10"),
    ("esx.NFS.MaxVolumes", "32"),
    ("esx.Net.TcpipHeapSize", "0"),
    ("esx.Net.TcpipHeapMax", "512"),
];

const CASES: &[Case] = &[
    Case {
        issue: "xen-netback-memory-squeeze",
        triggers: Subject::Log(XEN_SQUEEZE_LOG),
        quiet: Subject::Log(XEN_QUIET_LOG),
    },
    Case {
        issue: "xen-dom0-mem-unset",
        triggers: Subject::Facts(XEN_HOST_NO_DOM0_MEM),
        quiet: Subject::Facts(XEN_HOST_WITH_DOM0_MEM),
    },
    Case {
        issue: "xen-netback-squeeze-without-dom0-mem",
        triggers: Subject::Both(XEN_SQUEEZE_LOG, XEN_HOST_NO_DOM0_MEM),
        quiet: Subject::Both(XEN_SQUEEZE_LOG, XEN_HOST_WITH_DOM0_MEM),
    },
    // --- VMware ---
    Case {
        issue: "esx-nfs-call-serial",
        triggers: Subject::Log(ESX_CALL_SERIAL_LOG),
        quiet: Subject::Log(ESX_VMKDEV_SERIAL_LOG),
    },
    Case {
        issue: "esx-nfs-lost-connection",
        triggers: Subject::Log(ESX_NFS_LOST_LOG),
        quiet: Subject::Log(ESX_NFS_RESTORED_LOG),
    },
    Case {
        issue: "esx-nfs-heartbeat-frequency",
        triggers: Subject::Facts(ESX35_HEARTBEAT_OFF),
        quiet: Subject::Facts(ESX35_SEED_SETTINGS),
    },
    Case {
        issue: "esx-nfs-heartbeat-timeout",
        triggers: Subject::Facts(ESX35_HEARTBEAT_OFF),
        quiet: Subject::Facts(ESX35_SEED_SETTINGS),
    },
    Case {
        issue: "esx-nfs-heartbeat-max-failures",
        triggers: Subject::Facts(ESX35_HEARTBEAT_OFF),
        quiet: Subject::Facts(ESX35_SEED_SETTINGS),
    },
    Case {
        issue: "esx-nfs-maxvolumes-without-heap",
        triggers: Subject::Facts(ESX41_MAXVOL_NO_HEAP),
        quiet: Subject::Facts(ESX41_MAXVOL_WITH_HEAP),
    },
    // --- storage ---
    Case {
        issue: "rhel-mptscsih-list-corruption",
        triggers: Subject::Log(CENTOS5_LIST_DEL_CONSOLE),
        quiet: Subject::Log(LIST_DEL_AND_LOCKUP_ELSEWHERE_CONSOLE),
    },
    Case {
        issue: "rhel-mptscsih-list-corruption",
        triggers: Subject::Log(CENTOS4_SCSI_ERROR_LOCKUP_CONSOLE),
        quiet: Subject::Log(LIST_DEL_AND_LOCKUP_ELSEWHERE_CONSOLE),
    },
    Case {
        issue: "nfs-stall-hung-tasks",
        triggers: Subject::Log(NFS_HUNG_TASK_LOG),
        quiet: Subject::Log(LOCAL_HUNG_TASK_LOG),
    },
    Case {
        issue: "host-qcow-swap-overcommit-io-freeze",
        triggers: Subject::Facts(XEN_APPLIANCE_QCOW_HOST),
        quiet: Subject::Facts(XEN_APPLIANCE_LVM_HOST),
    },
    Case {
        issue: "nfs-soft-mount",
        triggers: Subject::Facts(GUEST_NFS_SOFT),
        quiet: Subject::Facts(GUEST_NFS_HARD),
    },
    // --- memory ---
    Case {
        issue: "oom-kill",
        triggers: Subject::Log(OOM_KILL_LOG),
        quiet: Subject::Log(JAVA_OUT_OF_MEMORY_LOG),
    },
    Case {
        issue: "host-panic-on-oom",
        triggers: Subject::Facts(KVM_HOST_PANIC_ON_OOM),
        quiet: Subject::Facts(KVM_HOST_KILLS_ON_OOM),
    },
    // --- lockups ---
    Case {
        issue: "guest-lockup-host-contention",
        triggers: Subject::Both(GUEST_SOFT_LOCKUP_LOG, VMWARE_GUEST),
        quiet: Subject::Both(GUEST_SOFT_LOCKUP_LOG, BARE_METAL),
    },
    Case {
        issue: "guest-lockup-host-contention",
        triggers: Subject::Both(RCU_KTHREAD_STARVED_CONSOLE, KVM_GUEST_ON_KVM_CLOCK),
        quiet: Subject::Both(OOM_KILL_LOG, KVM_GUEST_ON_KVM_CLOCK),
    },
    Case {
        issue: "rcu-gp-kthread-starved",
        triggers: Subject::Log(RCU_KTHREAD_STARVED_CONSOLE),
        quiet: Subject::Log(RCU_CPU_STALL_CONSOLE),
    },
    Case {
        issue: "hung-task-panic-on-nfs-client",
        triggers: Subject::Facts(NFS_CLIENT_HUNG_TASK_PANIC),
        quiet: Subject::Facts(NFS_CLIENT_HUNG_TASK_WARN),
    },
    // --- panic ---
    Case {
        issue: "kdump-not-configured",
        triggers: Subject::Facts(GUEST_NO_CRASHKERNEL),
        quiet: Subject::Facts(GUEST_CRASHKERNEL_LOADED),
    },
    Case {
        issue: "kdump-reserved-not-loaded",
        triggers: Subject::Facts(GUEST_CRASHKERNEL_NOT_LOADED),
        quiet: Subject::Facts(GUEST_CRASHKERNEL_LOADED),
    },
    Case {
        issue: "kdump-reserved-not-loaded",
        triggers: Subject::Facts(GUEST_CRASHKERNEL_NOT_LOADED),
        // Nothing reserved is a reservation problem, not a kdump service one.
        quiet: Subject::Facts(GUEST_CRASHKERNEL_AUTO_NOTHING),
    },
    Case {
        issue: "kdump-reservation-too-small",
        triggers: Subject::Facts(GUEST_CRASHKERNEL_64M),
        quiet: Subject::Facts(GUEST_CRASHKERNEL_256M),
    },
    Case {
        issue: "kdump-reservation-too-small",
        triggers: Subject::Facts(GUEST_CRASHKERNEL_AUTO_NOTHING),
        quiet: Subject::Facts(GUEST_NO_CRASHKERNEL),
    },
    Case {
        issue: "kdump-reservation-small-for-memory",
        triggers: Subject::Facts(GUEST_16G_CRASHKERNEL_160M),
        quiet: Subject::Facts(GUEST_2G_CRASHKERNEL_160M),
    },
    Case {
        issue: "guest-panic-no-reboot",
        triggers: Subject::Facts(GUEST_PANIC_HANGS),
        quiet: Subject::Facts(GUEST_PANIC_REBOOTS),
    },
    Case {
        issue: "guest-oops-no-panic",
        triggers: Subject::Facts(GUEST_PANIC_HANGS),
        quiet: Subject::Facts(GUEST_PANIC_REBOOTS),
    },
    Case {
        issue: "kdump-armed-lockups-do-not-panic",
        triggers: Subject::Facts(KDUMP_ARMED_LOCKUPS_WARN),
        quiet: Subject::Facts(KDUMP_UNARMED_LOCKUPS_WARN),
    },
    Case {
        issue: "guest-console-not-captured",
        triggers: Subject::Facts(GUEST_SCREEN_CONSOLE_ONLY),
        quiet: Subject::Facts(GUEST_SERIAL_CONSOLE),
    },
    // --- clock ---
    Case {
        issue: "clocksource-unstable",
        triggers: Subject::Log(CLOCKSOURCE_UNSTABLE_LOG),
        quiet: Subject::Log(CLOCKSOURCE_BOOT_LOG),
    },
    Case {
        issue: "kvm-guest-not-on-kvm-clock",
        triggers: Subject::Facts(KVM_GUEST_ON_HPET),
        quiet: Subject::Facts(KVM_GUEST_ON_KVM_CLOCK),
    },
    Case {
        issue: "xen-guest-not-on-xen-clock",
        triggers: Subject::Facts(XEN_GUEST_ON_TSC),
        quiet: Subject::Facts(XEN_GUEST_ON_XEN_CLOCK),
    },
];

#[test]
fn every_builtin_issue_triggers_on_its_example_and_not_on_its_lookalike() {
    let kb = KnowledgeBase::builtin();
    let mut failures = Vec::new();
    for case in CASES {
        if !matches(&kb, case.issue, &case.triggers) {
            failures.push(format!("{}: did not trigger on its example", case.issue));
        }
        if matches(&kb, case.issue, &case.quiet) {
            failures.push(format!("{}: triggered on its lookalike", case.issue));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_builtin_issue_has_a_case_and_complete_prose() {
    let kb = KnowledgeBase::builtin();
    let tested: BTreeSet<&str> = CASES.iter().map(|c| c.issue).collect();
    for issue in kb.issues() {
        assert!(
            tested.contains(issue.id.as_str()),
            "{} has no test case",
            issue.id
        );
        assert!(
            !issue.remediation.is_empty(),
            "{}: no remediation",
            issue.id
        );
        assert!(!issue.evidence.is_empty(), "{}: no evidence", issue.id);
        assert!(!issue.references.is_empty(), "{}: no references", issue.id);
    }
}

#[test]
fn the_combination_is_not_claimed_from_one_side_alone() {
    let kb = KnowledgeBase::builtin();
    let issue = kb.get("xen-netback-squeeze-without-dom0-mem").unwrap();
    assert!(issue.needs_both());
    // Its log side alone matches (scan shows it as a candidate) ...
    assert!(log_hits(&kb, XEN_SQUEEZE_LOG).contains(issue.id.as_str()));
    // ... but a log without the message plus the bad setting is not it.
    assert!(!matches(
        &kb,
        &issue.id,
        &Subject::Both(XEN_QUIET_LOG, XEN_HOST_NO_DOM0_MEM)
    ));
}

#[test]
fn healthy_snapshots_match_no_config_entry() {
    let kb = KnowledgeBase::builtin();
    for (name, pairs) in [
        ("kvm guest", HEALTHY_KVM_GUEST),
        ("kvm host", HEALTHY_KVM_HOST),
        ("esxi 7 host", HEALTHY_ESXI7_HOST),
        ("esx 3.5 host of story 1", ESX35_SEED_SETTINGS),
    ] {
        // The config side of a combination is no finding on its own.
        let hits: Vec<String> = fact_hits(&kb, pairs)
            .into_iter()
            .filter(|id| !kb.get(id).is_some_and(|i| i.needs_both()))
            .collect();
        assert!(hits.is_empty(), "{name}: {hits:?}");
    }
}

#[test]
fn every_config_entry_says_which_machines_it_is_for() {
    // A Linux setting must not be judged on an ESX snapshot, nor an ESX
    // option on a Linux one: the config side names its source (the Xen
    // entries test the hypervisor's command line, which only dom0 has).
    let kb = KnowledgeBase::builtin();
    for issue in kb.issues().iter().filter(|i| i.has_config()) {
        let source = issue.config.iter().any(|c| c.fact == "source");
        let xen = issue.config.iter().any(|c| c.fact.starts_with("xen."));
        assert!(source || xen, "{}: no source condition", issue.id);
    }
}

#[test]
fn shipped_example_logs_match_their_issues() {
    let kb = KnowledgeBase::builtin();
    for (log, id) in [
        (
            include_str!("../../../examples/logs/centos5-db02/console.log"),
            "rhel-mptscsih-list-corruption",
        ),
        (
            include_str!("../../../examples/logs/centos4-app11/console.log"),
            "rhel-mptscsih-list-corruption",
        ),
        (
            include_str!("../../../examples/logs/esx03/messages"),
            "esx-nfs-call-serial",
        ),
    ] {
        assert!(log_hits(&kb, log).contains(id), "{id}");
    }
}

#[test]
fn a_guest_lockup_is_a_candidate_until_the_snapshot_says_guest() {
    let kb = KnowledgeBase::builtin();
    let issue = kb.get("guest-lockup-host-contention").unwrap();
    assert!(issue.needs_both());
    assert!(log_hits(&kb, GUEST_SOFT_LOCKUP_LOG).contains(issue.id.as_str()));
    assert!(!matches(
        &kb,
        &issue.id,
        &Subject::Log(GUEST_SOFT_LOCKUP_LOG)
    ));
    assert!(!matches(
        &kb,
        &issue.id,
        &Subject::Both(RCU_CPU_STALL_CONSOLE, BARE_METAL)
    ));
}
