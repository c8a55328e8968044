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

/// An RCU stall in a CentOS 7 guest whose CPU loops in the block layer: no
/// syscall below it, as is usual outside a fuzzer. The top frame names it;
/// the report is not corrupted. (Lines as `faultline scan` hands them on,
/// the printk stamps read off.)
#[test]
fn rcu_stall_without_a_syscall_names_the_top_frame() {
    let r = first(
        "INFO: rcu_sched self-detected stall on CPU
\t2-...: (21000 ticks this GP) idle=9e3/140000000000001/0 softirq=88123/88123 fqs=5201 
\t (t=21001 jiffies g=77123 c=77122 q=1923)
Task dump for CPU 2:
fio             R  running task        0  4411   4400 0x00000008
Call Trace:
 <IRQ>  [<ffffffff810c5c48>] sched_show_task+0xa8/0x110
 [<ffffffff810c97b9>] dump_cpu_task+0x39/0x70
 [<ffffffff81140b70>] rcu_dump_cpu_stacks+0x90/0xd0
 [<ffffffff811442f2>] rcu_check_callbacks+0x442/0x730
 [<ffffffff810a2a27>] update_process_times+0x47/0x80
 [<ffffffff810f35f0>] tick_sched_handle.isra.13+0x30/0x40
 [<ffffffff810f3629>] tick_sched_timer+0x39/0x80
 [<ffffffff810bb0f2>] __hrtimer_run_queues+0xd2/0x260
 [<ffffffff810bb690>] hrtimer_interrupt+0xb0/0x1e0
 [<ffffffff8104d017>] local_apic_timer_interrupt+0x37/0x60
 [<ffffffff8169bdcf>] smp_apic_timer_interrupt+0x3f/0x60
 [<ffffffff8169a29d>] apic_timer_interrupt+0x6d/0x80
 <EOI>  [<ffffffff812f4d1b>] blk_mq_queue_tag_busy_iter+0x5b/0xd0
 [<ffffffff812f0e70>] blk_mq_in_flight+0x30/0x40
 [<ffffffff81301c1d>] part_round_stats+0x4d/0x70
 [<ffffffff812eaf9a>] blk_account_io_done+0x7a/0x140
",
    );
    assert_eq!(r.kind, ReportKind::RcuStall);
    assert_eq!(
        r.title, "INFO: rcu detected stall in blk_mq_queue_tag_busy_iter",
        "{:?} {:?}",
        r.corrupted_reason, r.frames
    );
    assert!(!r.corrupted, "{:?} {:?}", r.corrupted_reason, r.frames);
}

/// The same with a read(2) below: the frame just above the generic entry
/// (`vfs_read`), as syzkaller titles stalls, not the top frame.
#[test]
fn rcu_stall_with_a_syscall_names_the_call() {
    let r = first(
        "rcu: INFO: rcu_preempt self-detected stall on CPU
rcu: \t0-....: (10500 ticks this GP) idle=8a2/1/0x4000000000000000 softirq=5123/5123 fqs=5249
\t(t=10502 jiffies g=9877 q=121 ncpus=2)
NMI backtrace for cpu 0
CPU: 0 PID: 4411 Comm: fio Not tainted 6.1.0-13-cloud-amd64 #1  Debian 6.1.55-1
Hardware name: QEMU Standard PC (i440FX + PIIX, 1996), BIOS 1.16.2-debian-1.16.2-1 04/01/2014
Call Trace:
 <IRQ>
 dump_stack_lvl+0x44/0x5c
 nmi_cpu_backtrace.cold+0x30/0x70
 rcu_dump_cpu_stacks+0xd8/0x110
 rcu_sched_clock_irq.cold+0x68/0x2a0
 update_process_times+0x8e/0xc0
 tick_sched_timer+0x85/0xa0
 __hrtimer_run_queues+0x12b/0x280
 hrtimer_interrupt+0xfe/0x220
 __sysvec_apic_timer_interrupt+0x55/0x110
 sysvec_apic_timer_interrupt+0x6d/0x90
 </IRQ>
 <TASK>
 asm_sysvec_apic_timer_interrupt+0x16/0x20
RIP: 0010:blk_mq_queue_tag_busy_iter+0x5b/0xd0
Code: 00 00 00 48 89 e5 41 57 41 56 41 55 41 54 53 48 83 ec 18
RSP: 0018:ffffb2a1c0b3fd08 EFLAGS: 00000246
 blk_mq_in_flight+0x30/0x40
 part_stat_show+0x4d/0x110
 dev_attr_show+0x19/0x40
 sysfs_kf_seq_show+0x9b/0x100
 seq_read_iter+0x11d/0x4c0
 vfs_read+0x1fc/0x2e0
 ksys_read+0x6b/0xf0
 do_syscall_64+0x58/0xc0
 entry_SYSCALL_64_after_hwframe+0x64/0xce
 </TASK>
",
    );
    assert_eq!(r.kind, ReportKind::RcuStall);
    assert_eq!(r.title, "INFO: rcu detected stall in seq_read_iter");
}
