//! End-to-end detection on logs as they arrive in the wild: spliced CPUs,
//! wrapped and quoted lines, truncated reports, CR characters, many hosts
//! in one syslog file, compressed input.

use std::io::{Cursor, Write};

use faultline_detect::{Detector, ReportKind};
use faultline_scan::{FileScan, ScanOptions, scan_source};

fn scan(name: &str, bytes: impl Into<Vec<u8>>) -> FileScan {
    scan_with(name, bytes, &ScanOptions::default())
}

fn scan_with(name: &str, bytes: impl Into<Vec<u8>>, opts: &ScanOptions) -> FileScan {
    let src = faultline_read::from_reader(name, Cursor::new(bytes.into()));
    scan_source(Detector::shared(), src, Some(name.to_string()), opts)
}

fn example(path: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples/logs")
        .join(path);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn titles(f: &FileScan) -> Vec<&str> {
    f.reports.iter().map(|r| r.report.title.as_str()).collect()
}

/// The RHEL 5 oops of the ESX story: list corruption from the mptscsih
/// interrupt handler, ending in `Kernel panic - not syncing: Fatal exception`.
#[test]
fn rhel5_list_corruption_is_one_report() {
    let f = scan("db02", example("centos5-db02/console.log"));
    assert_eq!(titles(&f), ["BUG: corrupted list in mptscsih_io_done"]);
    let r = &f.reports[0];
    assert_eq!(r.report.kind, ReportKind::ListCorruption);
    assert_eq!(r.report.kernel.as_deref(), Some("2.6.18-128.7.1.el5"));
    assert_eq!(r.report.taint.as_deref(), Some(""));
    assert_eq!(r.report.comm.as_deref(), Some("swapper"));
    assert!(!r.report.corrupted);
    assert_eq!(
        r.line, 22,
        "the report starts at the list_del corruption line"
    );
    assert!(
        r.report
            .text
            .contains("Kernel panic - not syncing: Fatal exception")
    );
    assert!(r.report.frames.contains(&"mptscsih_io_done".to_string()));
}

#[test]
fn rhel4_nmi_lockup_names_the_interrupt_handler() {
    let f = scan("app11", example("centos4-app11/console.log"));
    assert_eq!(titles(&f), ["BUG: hard lockup in mptscsih_io_done"]);
    assert_eq!(f.reports[0].report.kind, ReportKind::HardLockup);
    assert_eq!(
        f.reports[0].report.kernel.as_deref(),
        Some("2.6.9-89.0.9.ELsmp")
    );
    assert_eq!(f.reports[0].report.comm.as_deref(), Some("swapper"));
    assert_eq!(f.reports[0].report.frames[0], "scsi_error");
}

/// The CentOS 4 trace as the field report quotes it: frames under their
/// heading, no header.
#[test]
fn bare_stack_trace_is_reported_as_corrupted_other() {
    let log = "Call Trace:\n\
               [<f883b299>] .text.lock.scsi_error+0x19/0x34 [scsi_mod]\n\
               [<f88c19ce>] mptscsih_io_done+0x5ee/0x608 [mptscsi]\n\
               [<c02de564>] common_interrupt+0x18/0x20\n\
               [<c02ddb54>] system_call+0x0/0x30\n";
    let f = scan("vm", log);
    assert_eq!(titles(&f), ["stack trace in mptscsih_io_done"]);
    assert_eq!(f.reports[0].report.kind, ReportKind::Other);
    assert!(f.reports[0].report.corrupted);
    assert_eq!(
        f.reports[0].report.frame.as_deref(),
        Some("mptscsih_io_done")
    );
}

/// A stack dumped on purpose (the OOM killer) is not a crash.
#[test]
fn oom_killer_stack_is_not_a_crash() {
    let log = "[ 100.000001] java invoked oom-killer: gfp_mask=0x201da, order=0, oom_score_adj=0\n\
               [ 100.000002] java cpuset=/ mems_allowed=0\n\
               [ 100.000003] CPU: 1 PID: 4242 Comm: java Not tainted 3.10.0-1160.el7.x86_64 #1\n\
               [ 100.000004] Hardware name: VMware, Inc. VMware Virtual Platform/440BX Desktop Reference Platform, BIOS 6.00 12/12/2018\n\
               [ 100.000005] Call Trace:\n\
               [ 100.000006]  [<ffffffff81781b41>] dump_stack+0x19/0x1b\n\
               [ 100.000007]  [<ffffffff8177ca6a>] dump_header+0x90/0x229\n\
               [ 100.000008]  [<ffffffff811c1a6d>] oom_kill_process+0x2cd/0x490\n\
               [ 100.000009]  [<ffffffff811c2202>] out_of_memory+0x4b2/0x4f0\n\
               [ 100.000010] Out of memory: Kill process 4242 (java) score 912 or sacrifice child\n";
    let f = scan("vm", log);
    assert!(f.reports.is_empty(), "{:?}", titles(&f));
}

/// The seed's CentOS 5 line: two lines spliced into one by the console.
#[test]
fn spliced_panic_line_is_a_corrupted_panic() {
    let log = "RIP  [<ffffffff8014c562>] list_del+0x48/0x71 RSP <ffffffff80425d00> <0>Kernel Panic - not syncing: Fatal exception\n";
    let f = scan("vm", log);
    assert_eq!(titles(&f), ["kernel panic: Fatal exception"]);
    assert!(f.reports[0].report.corrupted);
    assert_eq!(f.reports[0].report.kind, ReportKind::Panic);
    assert_eq!(f.reports[0].report.frames, ["list_del"]);
}

/// Lines of another task printed in the middle of a report (printk
/// caller ids) do not leak into it.
#[test]
fn interleaved_tasks_stay_apart() {
    let log = "\
[   55.950418][ T8377] ------------[ cut here ]------------
[   55.967976][ T8377] WARNING: CPU: 1 PID: 8377 at fs/ext4/inode.c:3210 ext4_set_page_dirty+0x1f7/0x250
[   55.968001][ T9001] audit: type=1400 audit(1501234.123:9): avc:  denied  { read } for  pid=9001
[   55.968101][ T8377] CPU: 1 PID: 8377 Comm: fio Not tainted 5.4.0 #2
[   55.968201][ T9001] Call Trace:
[   55.968301][ T8377] RIP: 0010:ext4_set_page_dirty+0x1f7/0x250
[   55.968401][ T9001]  other_task_frame+0x10/0x20
[   55.968501][ T8377] Call Trace:
[   55.968601][ T8377]  set_page_dirty+0x10/0x50
[   55.968701][ T9001]  another_unrelated_frame+0x10/0x20
[   55.968801][ T8377]  ext4_write_end+0x20/0x80
[   55.968901][ T8377]  generic_perform_write+0x30/0x90
";
    let f = scan("vm", log);
    assert_eq!(titles(&f), ["WARNING in ext4_set_page_dirty"]);
    let text = &f.reports[0].report.text;
    assert!(!text.contains("other_task_frame"), "{text}");
    assert!(text.contains("generic_perform_write"));
    assert_eq!(f.reports[0].uptime, Some(55.967976));
}

/// A report that the end of the ring buffer cut off keeps its title and
/// says it is corrupted.
#[test]
fn truncated_report_is_corrupted() {
    let log = "[ 3301.120012] BUG: unable to handle kernel NULL pointer dereference at 0000000000000008\n\
               [ 3301.120101] IP: [<ffffffffa01d2e4b>] nfs_commit_release_pages+0x2b/0x1d0 [nfs]\n\
               [ 3301.120140] PGD 7b0d5067 PUD 7b0d6067 PMD 0 \n";
    let f = scan("vm", log);
    assert_eq!(
        titles(&f),
        ["BUG: unable to handle kernel NULL pointer dereference in nfs_commit_release_pages"]
    );
    assert!(f.reports[0].report.corrupted);
    assert_eq!(f.reports[0].report.kind, ReportKind::Oops);
}

/// A report whose head was overwritten starts mid-trace.
#[test]
fn report_missing_its_head_is_reported_from_what_is_left() {
    let log = "[  812.100001]  [<ffffffff8106b9e4>] process_one_work+0x17b/0x470\n\
               [  812.100002]  [<ffffffff8106c7a6>] worker_thread+0x126/0x410\n\
               [  812.100003]  [<ffffffff81073b6f>] kthread+0xcf/0xe0\n\
               [  812.100004] Code: 48 8b 47 08 48 85 c0 74 2f \n\
               [  812.100005] Kernel panic - not syncing: Fatal exception\n";
    let f = scan("vm", log);
    assert_eq!(f.reports.len(), 1, "{:?}", titles(&f));
    assert!(f.reports[0].report.corrupted);
    assert!(f.reports[0].report.text.contains("Kernel panic"));
}

fn wrap(text: &str, width: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        if chars.is_empty() {
            out.push('\n');
        }
        for piece in chars.chunks(width) {
            out.extend(piece);
            out.push('\n');
        }
    }
    out
}

/// A terminal capture wraps long lines at 80 columns.
#[test]
fn wrapped_lines_keep_the_title() {
    let f = scan("db02", wrap(&example("centos5-db02/console.log"), 80));
    assert_eq!(titles(&f), ["BUG: corrupted list in mptscsih_io_done"]);
}

/// Pasted into an e-mail or a Markdown issue, with quoting and fences.
#[test]
fn markdown_quoted_report() {
    let quoted: String = example("centos5-db02/console.log")
        .lines()
        .map(|l| format!("> {l}\n"))
        .collect();
    let md = format!("Our db02 died again:\n\n```\n{quoted}```\n");
    let f = scan("db02", md);
    assert_eq!(titles(&f), ["BUG: corrupted list in mptscsih_io_done"]);
}

/// Serial captures end lines with CR LF, and `cat -v` shows `^M`.
#[test]
fn carriage_returns_and_caret_m() {
    let crlf = example("centos5-db02/console.log").replace('\n', "\r\n");
    assert_eq!(
        titles(&scan("db02", crlf)),
        ["BUG: corrupted list in mptscsih_io_done"]
    );
    let caret = example("centos5-db02/console.log").replace('\n', "^M\n");
    assert_eq!(
        titles(&scan("db02", caret)),
        ["BUG: corrupted list in mptscsih_io_done"]
    );
}

/// Two hosts' kernel messages interleaved line by line in one syslog file.
#[test]
fn syslog_of_many_hosts_is_split_by_host() {
    let a = [
        "BUG: unable to handle kernel NULL pointer dereference at 0000000000000010",
        "IP: [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]",
        "Oops: 0000 [#1] SMP ",
        "Call Trace:",
        " [<ffffffffa0123456>] nfs_readpage_result+0x20/0x90 [nfs]",
        " [<ffffffff81234567>] rpc_exit_task+0x30/0x90",
    ];
    let b = [
        "INFO: task java:4411 blocked for more than 120 seconds.",
        "\"echo 0 > /proc/sys/kernel/hung_task_timeout_secs\" disables this message.",
        "Call Trace:",
        " [<ffffffff81000001>] schedule+0x29/0x70",
        " [<ffffffff81000002>] rwsem_down_read_failed+0xf5/0x165",
        " [<ffffffff81000003>] xfs_ilock+0x9c/0xd0",
    ];
    let mut log = String::new();
    for (i, (la, lb)) in a.iter().zip(b.iter()).enumerate() {
        log.push_str(&format!("Nov 20 22:14:0{i} vm-a kernel: {la}\n"));
        log.push_str(&format!("Nov 20 22:14:0{i} vm-b kernel: {lb}\n"));
    }
    let opts = ScanOptions {
        year: Some(2009),
        ..ScanOptions::default()
    };
    let f = scan_with("messages", log, &opts);
    let got: Vec<(Option<&str>, &str)> = f
        .reports
        .iter()
        .map(|r| (r.machine.as_deref(), r.report.title.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                Some("vm-a"),
                "BUG: unable to handle kernel NULL pointer dereference in nfs_readpage_result"
            ),
            (Some("vm-b"), "INFO: task hung in xfs_ilock"),
        ]
    );
    assert_eq!(
        f.reports[0].time.unwrap().to_string(),
        "2009-11-20T22:14:00Z"
    );
}

/// vmkernel's `WARNING: NFS:` is not a Linux WARNING.
#[test]
fn vmkernel_warnings_are_not_linux_crashes() {
    let f = scan("esx03", example("esx03/messages"));
    assert!(f.reports.is_empty(), "{:?}", titles(&f));
}

#[test]
fn gzip_input_and_truncated_gzip() {
    let text = example("centos5-db02/console.log");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).unwrap();
    let gz = gz.finish().unwrap();
    let f = scan("db02.log.gz", gz.clone());
    assert_eq!(titles(&f), ["BUG: corrupted list in mptscsih_io_done"]);
    assert_eq!(f.summary.compression, "gzip");
    assert!(f.summary.error.is_none());
    // Cut the archive short: what was readable is kept, the error is named.
    let cut = &gz[..gz.len() - 40];
    let f = scan("db02.log.gz", cut.to_vec());
    let err = f
        .summary
        .error
        .as_deref()
        .expect("a truncated archive is an error");
    assert!(err.contains("db02.log.gz") && err.contains("gzip"), "{err}");
    assert!(f.summary.lines > 10);
}

/// Garbage bytes in and around a report: NUL, invalid UTF-8, a 2 MiB line.
#[test]
fn binary_junk_and_huge_lines_do_not_hide_a_report() {
    let mut log: Vec<u8> = Vec::new();
    log.extend_from_slice(b"\0\0\0\xff\xfe garbage \xc3\x28 more\n");
    log.extend(std::iter::repeat_n(b'x', 2 << 20));
    log.push(b'\n');
    log.extend_from_slice(example("centos5-db02/console.log").as_bytes());
    log.extend_from_slice(b"\xff\xff\n");
    let f = scan("db02", log);
    assert_eq!(titles(&f), ["BUG: corrupted list in mptscsih_io_done"]);
    assert_eq!(f.reports[0].line, 24);
}

/// Reading in chunks must not lose a report that straddles a chunk edge,
/// and line numbers stay exact over skipped stretches.
#[test]
fn reports_across_chunk_edges_keep_line_numbers() {
    let noise_line = "[ 10.000000] e1000e 0000:00:19.0 eth0: 10/100 speed: disabling TSO\n";
    let report = "[ 20.000000] BUG: soft lockup - CPU#0 stuck for 22s! [fio:2311]\n\
                  [ 20.000001] RIP: 0010:blk_queue_bio+0x101/0x3b0\n\
                  [ 20.000002] Call Trace:\n\
                  [ 20.000003]  generic_make_request+0xe6/0x1d0\n\
                  [ 20.000004]  submit_bio+0x65/0x150\n\
                  [ 20.000005]  do_blockdev_direct_IO+0x1a61/0x2390\n\
                  [ 20.000006]  vfs_read+0x86/0x130\n";
    let per_chunk = (4 << 20) / noise_line.len();
    let mut log = String::new();
    let mut expected = Vec::new();
    let mut line = 0u64;
    for k in 0..3 {
        // Put a report right across each 4 MiB chunk edge.
        let n = per_chunk - 3 + k;
        for _ in 0..n {
            log.push_str(noise_line);
        }
        line += n as u64;
        expected.push(line + 1);
        log.push_str(report);
        line += 7;
    }
    let f = scan("vm", log);
    let lines: Vec<u64> = f.reports.iter().map(|r| r.line).collect();
    assert_eq!(lines, expected);
    assert!(
        f.reports
            .iter()
            .all(|r| r.report.title == "BUG: soft lockup in do_blockdev_direct_IO")
    );
    assert_eq!(f.summary.lines, line);
}

/// A Xen hypervisor crash as `xl dmesg` or the serial console shows it:
/// register dump and call trace first, the reason last.
#[test]
fn xen_hypervisor_panic() {
    let log = "\
(XEN) [2017-01-27 03:41:50.112] ----[ Xen-4.6.1  x86_64  debug=n  Not tainted ]----
(XEN) [2017-01-27 03:41:50.112] CPU:    1
(XEN) [2017-01-27 03:41:50.112] RIP:    e008:[<ffff82d080129e4b>] _spin_lock+0x1b/0x80
(XEN) [2017-01-27 03:41:50.112] RFLAGS: 0000000000010086   CONTEXT: hypervisor
(XEN) [2017-01-27 03:41:50.113] Xen call trace:
(XEN) [2017-01-27 03:41:50.113]    [<ffff82d080129e4b>] _spin_lock+0x1b/0x80
(XEN) [2017-01-27 03:41:50.113]    [<ffff82d08011f0a5>] csched_schedule+0x2b5/0xa50
(XEN) [2017-01-27 03:41:50.113]    [<ffff82d0801290b6>] schedule+0x106/0x5e0
(XEN) [2017-01-27 03:41:50.113] 
(XEN) [2017-01-27 03:41:50.113] ****************************************
(XEN) [2017-01-27 03:41:50.113] Panic on CPU 1:
(XEN) [2017-01-27 03:41:50.113] FATAL TRAP: vector = 14 (page fault)
(XEN) [2017-01-27 03:41:50.113] ****************************************
(XEN) [2017-01-27 03:41:50.113] Reboot in five seconds...
";
    let f = scan("xen-appliance", log);
    assert_eq!(
        titles(&f),
        ["Xen panic: FATAL TRAP: vector = NUM (page fault) in csched_schedule"]
    );
    assert_eq!(f.reports[0].report.kind, ReportKind::Panic);
    assert_eq!(
        f.reports[0].time.unwrap().to_string(),
        "2017-01-27T03:41:50.112Z"
    );
}

/// ESXi's purple screen in vmkernel.log.
#[test]
fn vmware_psod() {
    let log = "\
2019-06-13T10:22:04.553Z cpu2:2185)WARNING: NFS: 4590: Can't find call with serial number -2146566055
2019-06-13T10:22:09.101Z cpu2:2185)@BlueScreen: #PF Exception 14 in world 2185:vmm0:db02 IP 0x41802ac3c7d7 addr 0x0
2019-06-13T10:22:09.101Z cpu2:2185)Code start: 0x418028000000 VMK uptime: 43:07:27:56.893
2019-06-13T10:22:09.102Z cpu2:2185)0x4390c7e9b0d0:[0x41802ac3c7d7]NFSVolumeCheckCall@nfsclient#1+0x1f stack: 0x0
2019-06-13T10:22:09.102Z cpu2:2185)0x4390c7e9b140:[0x41802ac41a2e]NFSSchedulerCallback@nfsclient#1+0x82 stack: 0x430a1c2e1d40
2019-06-13T10:22:09.102Z cpu2:2185)0x4390c7e9b1b0:[0x41802a8c0b7c]HelperQueueFunc@vmkernel#nover+0x30c stack: 0x0
";
    let f = scan("esx03", log);
    assert_eq!(
        titles(&f),
        ["PSOD: #PF Exception NUM in NFSVolumeCheckCall"]
    );
    assert_eq!(
        f.events.len(),
        1,
        "the NFS warning is an event, not a crash"
    );
}
