//! The oops table on report formats of the kernels virtualization fleets
//! run, old and new. Texts are reconstructions of real console output
//! (field layout as the kernels of those versions print it).

use faultline_detect::{Detector, ReportKind};

fn first(text: &str) -> faultline_detect::CrashReport {
    let (reports, _) = Detector::shared().scan_text(text);
    reports.into_iter().next().expect("a report")
}

#[test]
fn i386_2_6_null_pointer_with_eip_line() {
    let r = first(
        "Unable to handle kernel NULL pointer dereference at virtual address 00000004
 printing eip:
c0144f4c
*pde = 00000000
Oops: 0002 [#1]
SMP 
Modules linked in: nfs lockd sunrpc e1000 ext3 jbd
CPU:    0
EIP:    0060:[<c0144f4c>]    Not tainted VLI
EFLAGS: 00010246   (2.6.9-42.ELsmp) 
EIP is at list_del+0x8/0x50
eax: 00000000   ebx: f7fd1000   ecx: 00000000   edx: 00000000
Process kswapd0 (pid: 52, threadinfo=c1f1e000 task=c1f1f230)
Stack: f7fd1000 c014a6de f7fd1000 00000001 c3e4a780 00000000 
Call Trace:
 [<c014a6de>] free_block+0x53/0x80
 [<c014a8b4>] drain_array_locked+0x63/0x90
 [<c014b5a2>] cache_reap+0xa2/0x1d0
 [<c0134b6d>] worker_thread+0x1c3/0x270
Code: 8b 48 04 8b 10 89 4a 04 89 11 c7 40 04 00 02 20 00 
",
    );
    assert_eq!(
        r.title,
        "BUG: unable to handle kernel NULL pointer dereference in free_block"
    );
    assert_eq!(r.kind, ReportKind::Oops);
    assert_eq!(r.kernel.as_deref(), Some("2.6.9-42.ELsmp"));
    assert_eq!(r.comm.as_deref(), Some("kswapd0"));
    assert_eq!(r.pid, Some(52));
    assert!(!r.corrupted);
}

#[test]
fn rhel5_soft_lockup_names_the_work_not_the_spinlock() {
    let r = first(
        "BUG: soft lockup - CPU#1 stuck for 10s! [nfsd:3311]
CPU 1:
Modules linked in: nfsd exportfs lockd nfs_acl auth_rpcgss sunrpc
Pid: 3311, comm: nfsd Tainted: G      2.6.18-194.el5 #1
RIP: 0010:[<ffffffff80064bd0>]  [<ffffffff80064bd0>] .text.lock.spinlock+0x2/0x30
RSP: 0018:ffff81012a8bdc38  EFLAGS: 00000286
Call Trace:
 [<ffffffff885d2a3b>] :nfsd:nfsd_cache_lookup+0x2b/0x2f0
 [<ffffffff885cf1a1>] :nfsd:nfsd_dispatch+0x81/0x1f0
 [<ffffffff884b76b5>] :sunrpc:svc_process+0x3b5/0x700
 [<ffffffff885cf6ad>] :nfsd:nfsd+0x1ad/0x2e0
 [<ffffffff8005dfb1>] child_rip+0xa/0x11
",
    );
    assert_eq!(r.kind, ReportKind::SoftLockup);
    assert_eq!(r.kernel.as_deref(), Some("2.6.18-194.el5"));
    assert_eq!(r.taint.as_deref(), Some("G"));
    assert_eq!(r.comm.as_deref(), Some("nfsd"));
    // A kernel thread's stack ends in child_rip: the thread function names it.
    assert_eq!(r.title, "BUG: soft lockup in nfsd");
    assert_eq!(r.frames[1], "nfsd_cache_lookup");
}

#[test]
fn hung_task_skips_the_scheduler() {
    let r = first(
        "INFO: task jbd2/dm-0-8:412 blocked for more than 120 seconds.
      Not tainted 2.6.32-754.el6.x86_64 #1
\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.
jbd2/dm-0-8   D 0000000000000001     0   412      2 0x00000000
Call Trace:
 [<ffffffff8154b0c5>] schedule+0x3b5/0x800
 [<ffffffff8154bd93>] io_schedule+0x73/0xc0
 [<ffffffff811c6e05>] sync_buffer+0x45/0x50
 [<ffffffff8154c8ff>] __wait_on_bit+0x5f/0x90
 [<ffffffff8154c9a8>] out_of_line_wait_on_bit+0x78/0x90
 [<ffffffffa00b0b9f>] jbd2_journal_commit_transaction+0x19f/0x1500 [jbd2]
 [<ffffffffa00b6a48>] kjournald2+0xb8/0x220 [jbd2]
 [<ffffffff810a640e>] kthread+0x9e/0xc0
",
    );
    assert_eq!(r.title, "INFO: task hung in sync_buffer");
    assert_eq!(r.kind, ReportKind::HungTask);
    assert_eq!(r.taint.as_deref(), Some(""));
}

#[test]
fn panics_without_an_oops() {
    let r =
        first("Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n");
    assert_eq!(
        r.title,
        "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)"
    );
    assert_eq!(r.kind, ReportKind::Panic);
    let r = first("Kernel panic - not syncing: Attempted to kill init! exitcode=0x0000000b\n");
    assert_eq!(r.title, "kernel panic: Attempted to kill init!");
}

#[test]
fn warning_then_panic_on_warn_is_one_report() {
    let text = "------------[ cut here ]------------
WARNING: CPU: 3 PID: 1877 at drivers/scsi/scsi_lib.c:1412 scsi_queue_rq+0x6f2/0x9c0
Modules linked in: virtio_scsi
CPU: 3 PID: 1877 Comm: kworker/3:1H Tainted: G        W         5.14.0-70.el9.x86_64 #1
RIP: 0010:scsi_queue_rq+0x6f2/0x9c0
Call Trace:
 blk_mq_dispatch_rq_list+0x11c/0x7f0
 __blk_mq_sched_dispatch_requests+0x100/0x160
 blk_mq_run_work_fn+0x17/0x20
 process_one_work+0x1e5/0x3c0
---[ end trace 5a2c3f7e7d1b0b9d ]---
Kernel panic - not syncing: panic_on_warn set ...
Kernel Offset: disabled
---[ end Kernel panic - not syncing: panic_on_warn set ... ]---
";
    let (reports, _) = Detector::shared().scan_text(text);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert_eq!(reports[0].title, "WARNING in scsi_queue_rq");
    assert_eq!(reports[0].taint.as_deref(), Some("GW"));
    assert_eq!(reports[0].kernel.as_deref(), Some("5.14.0-70.el9.x86_64"));
}

#[test]
fn user_space_warnings_are_not_crashes() {
    let (reports, _) = Detector::shared().scan_text(
        "WARNING: /etc/ssh/moduli does not exist, using fixed modulus\n\
         EXT4-fs (sda1): WARNING: mounting unchecked fs\n\
         INFO: lockdep is turned off.\n",
    );
    assert!(reports.is_empty(), "{reports:?}");
}

#[test]
fn same_bug_same_signature_across_addresses_and_pids() {
    let a = first(
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010\nIP: [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]\nCall Trace:\n [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]\n [<ffffffff81234567>] rpc_exit_task+0x30/0x90\n",
    );
    let b = first(
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000018\nIP: [<ffffffffa0999999>] nfs_readpage_result+0x24/0x90 [nfs]\nCall Trace:\n [<ffffffffa0999999>] nfs_readpage_result+0x24/0x90 [nfs]\n [<ffffffff81777777>] rpc_exit_task+0x31/0x90\n",
    );
    assert_eq!(a.title, b.title);
    assert_eq!(a.signature, b.signature);
    let c = first(
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010\nIP: [<ffffffffa0123456>] xfs_iflush+0x20/0x90 [xfs]\nCall Trace:\n [<ffffffffa0123456>] xfs_iflush+0x20/0x90 [xfs]\n",
    );
    assert_ne!(a.signature, c.signature);
}
