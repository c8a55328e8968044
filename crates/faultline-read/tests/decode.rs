//! Line shapes, written from real samples of each format.

use std::borrow::Cow;

use faultline_read::{DecodeOptions, LineDecoder, Record, Shape, Timestamp};
use jiff::tz::{Offset, TimeZone};

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn opts_year(year: i16) -> DecodeOptions {
    DecodeOptions {
        year: Some(year),
        ..DecodeOptions::default()
    }
}

fn dec() -> LineDecoder {
    LineDecoder::new(opts_year(2026))
}

fn one(line: &[u8]) -> Record<'_> {
    dec().decode(line, 1)
}

/// Compact view of a record for exact comparison.
#[derive(Debug, PartialEq)]
struct View {
    shape: Shape,
    machine: Option<String>,
    program: Option<String>,
    time: Option<String>,
    uptime: Option<f64>,
    context: Option<String>,
    text: String,
}

fn view(r: &Record<'_>) -> View {
    View {
        shape: r.shape,
        machine: r.machine.as_deref().map(str::to_owned),
        program: r.program.as_deref().map(str::to_owned),
        time: r.time.map(|t| t.to_string()),
        uptime: r.uptime,
        context: r.context.as_deref().map(str::to_owned),
        text: r.text.to_string(),
    }
}

fn expect(shape: Shape, text: &str) -> View {
    View {
        shape,
        machine: None,
        program: None,
        time: None,
        uptime: None,
        context: None,
        text: text.to_owned(),
    }
}

// ---------------------------------------------------------------- console

#[test]
fn console_printk_stamp() {
    let r = one(b"[    0.000000] Linux version 5.14.0-70.13.1.el9_0.x86_64 (mockbuild@x86-vm-07.build.eng.bos.redhat.com)");
    assert_eq!(
        view(&r),
        View {
            uptime: Some(0.0),
            ..expect(
                Shape::Console,
                "Linux version 5.14.0-70.13.1.el9_0.x86_64 (mockbuild@x86-vm-07.build.eng.bos.redhat.com)"
            )
        }
    );
    assert_eq!(r.line, 1);
}

#[test]
fn console_keeps_indentation_after_stamp() {
    let r = one(b"[ 2809.666228]  ? __schedule+0x2d5/0x8b0");
    assert_eq!(r.uptime, Some(2809.666228));
    assert_eq!(r.text, " ? __schedule+0x2d5/0x8b0");
}

#[test]
fn console_syzkaller_caller_id() {
    let r = one(
        b"[   70.375384][ T9456] BUG: KASAN: use-after-free in __list_del_entry_valid+0xd3/0xf0",
    );
    assert_eq!(
        view(&r),
        View {
            uptime: Some(70.375384),
            context: Some("T9456".into()),
            ..expect(
                Shape::Console,
                "BUG: KASAN: use-after-free in __list_del_entry_valid+0xd3/0xf0"
            )
        }
    );
    let r = one(b"[    0.000000][    T0] Linux version 6.1.0");
    assert_eq!((r.uptime, r.context.as_deref()), (Some(0.0), Some("T0")));
    let r = one(b"[  123.456789][    C1] NMI watchdog: Watchdog detected hard LOCKUP on cpu 1");
    assert_eq!(r.context.as_deref(), Some("C1"));
    assert_eq!(
        r.text,
        "NMI watchdog: Watchdog detected hard LOCKUP on cpu 1"
    );
    // Caller id alone, when printk time stamps are off.
    let r = one(b"[T123] systemd[1]: started");
    assert_eq!(
        view(&r),
        View {
            context: Some("T123".into()),
            ..expect(Shape::Console, "systemd[1]: started")
        }
    );
}

#[test]
fn console_level_prefix_and_pstore() {
    let r = one(b"<6>[    0.000000] Booting Linux on physical CPU 0x0000000000 [0x410fd083]");
    assert_eq!(
        view(&r),
        View {
            uptime: Some(0.0),
            ..expect(
                Shape::Console,
                "Booting Linux on physical CPU 0x0000000000 [0x410fd083]"
            )
        }
    );
    let r = one(b"<0>[ 1042.117326] Kernel panic - not syncing: sysrq triggered crash");
    assert_eq!(r.shape, Shape::Console);
    assert_eq!(r.uptime, Some(1042.117326));
    assert_eq!(r.text, "Kernel panic - not syncing: sysrq triggered crash");
    // `dmesg -r` keeps the facility in the level of user-space messages.
    let r = one(b"<14>[   10.100000] systemd[1]: Started Journal Service.");
    assert_eq!((r.shape, r.uptime), (Shape::Console, Some(10.1)));
    // A bare level without a stamp, as old kernels print.
    assert_eq!(
        view(&one(b"<4>Call Trace:")),
        expect(Shape::Console, "Call Trace:")
    );
    // pstore header lines stay plain.
    assert_eq!(
        view(&one(b"Oops#1 Part1")),
        expect(Shape::Plain, "Oops#1 Part1")
    );
    assert_eq!(
        view(&one(b"Panic#2 Part1")),
        expect(Shape::Plain, "Panic#2 Part1")
    );
}

#[test]
fn console_carriage_returns() {
    let r = one(b"[   12.000001] sd 2:0:0:0: [sda] Attached SCSI disk\r");
    assert_eq!(r.text, "sd 2:0:0:0: [sda] Attached SCSI disk");
    assert_eq!(r.uptime, Some(12.000001));
    // A terminal shows only what was written after the last CR.
    let r = one(b"Loading 10%\rLoading 100%\r[    3.500000] random: crng init done\r\r");
    assert_eq!(
        view(&r),
        View {
            uptime: Some(3.5),
            ..expect(Shape::Console, "random: crng init done")
        }
    );
    // `cat -v` renders CR as ^M.
    let r = one(b"[    1.000000] ACPI: Core revision 20210730^M");
    assert_eq!(r.text, "ACPI: Core revision 20210730");
    let r = one(b"plain text^M\r");
    assert_eq!(view(&r), expect(Shape::Plain, "plain text"));
    assert_eq!(view(&one(b"\r")), expect(Shape::Plain, ""));
}

#[test]
fn console_quoted_in_mail_or_markdown() {
    let r = one(b"> [  105.172870] BUG: unable to handle page fault for address: ffffffffc0a01000");
    assert_eq!(
        view(&r),
        View {
            uptime: Some(105.17287),
            ..expect(
                Shape::Console,
                "BUG: unable to handle page fault for address: ffffffffc0a01000"
            )
        }
    );
    let r = one(b">> [  105.172871] #PF: supervisor write access in kernel mode");
    assert_eq!(r.text, "#PF: supervisor write access in kernel mode");
    let r = one(b"> > [  105.172872] #PF: error_code(0x0003) - permissions violation");
    assert_eq!(r.shape, Shape::Console);
    assert_eq!(view(&one(b">")), expect(Shape::Plain, ""));
    assert_eq!(
        view(&one(b"> some words")),
        expect(Shape::Plain, "some words")
    );
    // Not quoting: no space after the marker.
    assert_eq!(view(&one(b">foo")), expect(Shape::Plain, ">foo"));
    assert_eq!(view(&one(b"-> arrow")), expect(Shape::Plain, "-> arrow"));
}

#[test]
fn console_nul_and_invalid_utf8() {
    let r = one(b"\0\0\0[    0.000000] Linux version 4.18.0");
    assert_eq!(
        (r.shape, r.text.as_ref()),
        (Shape::Console, "Linux version 4.18.0")
    );
    let r = one(b"[    2.000000] caf\xe9 \x00ok");
    assert_eq!(r.text, "caf\u{fffd} \0ok");
    assert!(matches!(r.text, Cow::Owned(_)));
    let r = one(b"[    2.000000] all fine");
    assert!(
        matches!(r.text, Cow::Borrowed(_)),
        "valid lines are borrowed"
    );
}

#[test]
fn empty_and_huge_lines() {
    assert_eq!(view(&one(b"")), expect(Shape::Plain, ""));
    let mut big = b"[  999.000001] ".to_vec();
    big.extend(std::iter::repeat_n(b'x', 1 << 20));
    let r = one(&big);
    assert_eq!(
        (r.shape, r.uptime, r.text.len()),
        (Shape::Console, Some(999.000001), 1 << 20)
    );
    let plain = vec![b'['; 1 << 20];
    let r = one(&plain);
    assert_eq!((r.shape, r.text.len()), (Shape::Plain, 1 << 20));
}

#[test]
fn ordinary_text_is_not_misread() {
    for line in [
        "[INFO] Starting service",
        "[1] 12345",
        "[ 12.5 ] spaced",
        "[12.5]x",
        "[Dec30] nothing",
        "[2026-11-22] date only",
        "[2026-11-22 01:15:29 no close",
        "May the force be with you",
        "Nov 20 is the date",
        "Nov 20 22:14 short",
        "2026-11-22 not a stamp",
        "2011-08-30T04:00:01Z heartbeat: up 0d17h24m17s, 0 VMs",
        "2019-06-13T10:22:04.553Z info hostd[2099916] [Originator@6876 sub=Vimsvc]",
        "{not json}",
        "{\"foo\": 1}",
        "<html>",
        "<12345>too long",
        "(XENIAL) release",
        "Oops: 0002 [#1] SMP NOPTI",
    ] {
        let r = one(line.as_bytes());
        assert_eq!(view(&r), expect(Shape::Plain, line), "{line}");
    }
}

// ---------------------------------------------------------------- dmesg -T

#[test]
fn dmesg_ctime() {
    let r = one(
        b"[Sun Nov 22 01:15:29 2026] usb 1-1: new high-speed USB device number 2 using xhci_hcd",
    );
    assert_eq!(
        view(&r),
        View {
            time: Some("2026-11-22T01:15:29Z".into()),
            ..expect(
                Shape::DmesgTime,
                "usb 1-1: new high-speed USB device number 2 using xhci_hcd"
            )
        }
    );
    // Space-padded day, a local zone, and a caller id after the stamp.
    let mut d = LineDecoder::new(DecodeOptions {
        time_zone: TimeZone::fixed(Offset::constant(2)),
        ..DecodeOptions::default()
    });
    let r = d.decode(
        b"[Mon Nov  2 01:15:29 2026] [  T412] EXT4-fs (sda1): mounted",
        7,
    );
    assert_eq!(r.time, Some(ts("2026-11-01T23:15:29Z")));
    assert_eq!(r.context.as_deref(), Some("T412"));
    assert_eq!((r.line, r.text.as_ref()), (7, "EXT4-fs (sda1): mounted"));
}

#[test]
fn dmesg_iso() {
    let r = one(b"2026-11-22T01:15:29,123456+01:00 usb 1-1: new high-speed USB device");
    assert_eq!(
        view(&r),
        View {
            time: Some("2026-11-22T00:15:29.123456Z".into()),
            ..expect(Shape::DmesgTime, "usb 1-1: new high-speed USB device")
        }
    );
}

// ---------------------------------------------------------------- dmesg -H

const HUMAN: &[&str] = &[
    "[Dec30 15:17] Linux version 6.8.0-49-generic (buildd@lcy02-amd64-103)",
    "[  +0.000069] Command line: BOOT_IMAGE=/vmlinuz-6.8.0-49-generic",
    "[  +1.500000] x86/fpu: Supporting XSAVE feature 0x001: 'x87 floating point registers'",
    "[ +12.250000] e1000e: eth0 NIC Link is Up",
    "[Dec30 15:18] usb 1-1: USB disconnect, device number 2",
    "[  +0.100000] usb 1-1: new full-speed USB device",
];

#[test]
fn dmesg_human_running_time() {
    let mut d = dec();
    let got: Vec<_> = HUMAN
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let r = d.decode(l.as_bytes(), i as u64 + 1);
            assert_eq!(r.shape, Shape::DmesgHuman);
            r.time.unwrap().to_string()
        })
        .collect();
    assert_eq!(
        got,
        [
            "2026-12-30T15:17:00Z",
            "2026-12-30T15:17:00.000069Z",
            "2026-12-30T15:17:01.500069Z",
            "2026-12-30T15:17:13.750069Z",
            "2026-12-30T15:18:00Z",
            "2026-12-30T15:18:00.1Z",
        ]
    );
    let r = d.decode(HUMAN[1].as_bytes(), 2);
    assert_eq!(r.text, "Command line: BOOT_IMAGE=/vmlinuz-6.8.0-49-generic");
}

#[test]
fn dmesg_human_delta_without_base_has_no_time() {
    let mut d = dec();
    let r = d.decode(b"[  +0.000069] Command line: ro quiet", 1);
    assert_eq!(
        view(&r),
        expect(Shape::DmesgHuman, "Command line: ro quiet")
    );
}

#[test]
fn dmesg_human_year_rollover() {
    let mut d = dec();
    assert_eq!(
        d.decode(b"[Dec31 23:59] a", 1).time,
        Some(ts("2026-12-31T23:59:00Z"))
    );
    assert_eq!(
        d.decode(b"[Jan 1 00:00] b", 2).time,
        Some(ts("2027-01-01T00:00:00Z"))
    );
    assert_eq!(
        d.decode(b"[Jan01 00:01] c", 3).time,
        Some(ts("2027-01-01T00:01:00Z"))
    );
}

#[test]
fn dmesg_human_skip_deltas_only() {
    let mut d = dec();
    d.decode(HUMAN[0].as_bytes(), 1);
    d.skip(b"[  +1.000000] b\n[  +2.000000] c\n");
    let r = d.decode(b"[  +0.500000] d", 4);
    assert_eq!(r.time, Some(ts("2026-12-30T15:17:03.5Z")));
}

#[test]
fn dmesg_human_skip_rebases_on_last_absolute() {
    let mut d = dec();
    d.decode(HUMAN[0].as_bytes(), 1);
    d.skip(b"[  +1.000000] b\n[Dec30 15:19] c\n[  +9.000000] x\n[Dec30 15:20] c\n[  +2.000000] d\n[  +0.250000] e\n");
    let r = d.decode(b"[  +0.500000] f", 9);
    assert_eq!(r.time, Some(ts("2026-12-30T15:20:02.75Z")));
}

#[test]
fn dmesg_human_skip_from_the_start() {
    // Nothing decoded yet: the skip itself finds the -H lines.
    let mut d = dec();
    d.skip(b"[Dec30 15:20] c\n[  +2.000000] d\n");
    assert_eq!(
        d.decode(b"[  +0.5] e", 3).time,
        Some(ts("2026-12-30T15:20:02.5Z"))
    );
    // Deltas whose base was skipped unseen give no time, not a wrong one.
    let mut d = dec();
    d.skip(b"[  +1.000000] b\n[  +2.000000] c\n");
    assert_eq!(d.decode(b"[  +0.5] e", 3).time, None);
    // A region without -H lines changes nothing.
    let mut d = dec();
    d.decode(HUMAN[0].as_bytes(), 1);
    d.skip(b"[    1.000000] console\nplain words + more\n");
    assert_eq!(
        d.decode(b"[  +0.5] e", 4).time,
        Some(ts("2026-12-30T15:17:00.5Z"))
    );
}

// ---------------------------------------------------------------- syslog

#[test]
fn syslog_rfc3164_kernel_with_printk() {
    let r = one(b"Nov 20 22:14:03 web01 kernel: [12345.678901] BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:1234]");
    assert_eq!(
        view(&r),
        View {
            machine: Some("web01".into()),
            program: Some("kernel".into()),
            time: Some("2026-11-20T22:14:03Z".into()),
            uptime: Some(12345.678901),
            ..expect(
                Shape::Syslog,
                "BUG: soft lockup - CPU#1 stuck for 22s! [kworker/1:2:1234]"
            )
        }
    );
}

#[test]
fn syslog_rfc3164_forms() {
    let r = one(b"Nov  2 01:02:03 db01 sshd[4123]: Accepted publickey for root from 10.0.0.5 port 50412 ssh2");
    assert_eq!(
        view(&r),
        View {
            machine: Some("db01".into()),
            program: Some("sshd".into()),
            time: Some("2026-11-02T01:02:03Z".into()),
            ..expect(
                Shape::Syslog,
                "Accepted publickey for root from 10.0.0.5 port 50412 ssh2"
            )
        }
    );
    let r = one(b"<13>Nov 20 22:14:03 web01 app: hello");
    assert_eq!(
        (r.shape, r.machine.as_deref(), r.program.as_deref()),
        (Shape::Syslog, Some("web01"), Some("app"))
    );
    // No tag.
    let r = one(b"Nov 20 22:14:03 web01 last message repeated 5 times");
    assert_eq!(
        (r.program.as_deref(), r.text.as_ref()),
        (None, "last message repeated 5 times")
    );
    // No host field: the first word is already the tag.
    let r = one(b"Nov 20 22:14:03 su[123]: 'su root' failed");
    assert_eq!(
        (r.machine.as_deref(), r.program.as_deref()),
        (None, Some("su"))
    );
    // journalctl -o short-precise.
    let r = one(b"Nov 20 22:14:03.250000 web01 systemd[1]: Started Session 4 of user root.");
    assert_eq!(r.time, Some(ts("2026-11-20T22:14:03.25Z")));
    assert_eq!(r.program.as_deref(), Some("systemd"));
}

#[test]
fn syslog_local_zone() {
    let mut d = LineDecoder::new(DecodeOptions {
        year: Some(2026),
        time_zone: TimeZone::fixed(Offset::constant(-5)),
        ..DecodeOptions::default()
    });
    let r = d.decode(b"Nov 20 22:14:03 web01 kernel: x", 1);
    assert_eq!(r.time, Some(ts("2026-11-21T03:14:03Z")));
}

#[test]
fn syslog_interleaved_hosts() {
    let mut d = dec();
    let a = d.decode(b"Nov 20 22:14:03 esx01 vmkernel: cpu0:1)Boot", 1);
    let b = d.decode(b"Nov 20 22:14:04 web07 kernel: eth0: link down", 2);
    let c = d.decode(b"Nov 20 22:14:04 db02 kernel: eth0: link up", 3);
    assert_eq!(a.machine.as_deref(), Some("esx01"));
    assert_eq!(b.machine.as_deref(), Some("web07"));
    assert_eq!(c.machine.as_deref(), Some("db02"));
}

#[test]
fn syslog_rfc5424() {
    let r = one(b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - 'su root' failed for lonvick on /dev/pts/8");
    assert_eq!(
        view(&r),
        View {
            machine: Some("mymachine.example.com".into()),
            program: Some("su".into()),
            time: Some("2003-10-11T22:14:15.003Z".into()),
            ..expect(Shape::Syslog, "'su root' failed for lonvick on /dev/pts/8")
        }
    );
    let r = one(b"<165>1 2003-08-24T05:14:15.000003-07:00 192.0.2.1 myproc 8710 - - %% It's time to make the do-nuts.");
    assert_eq!(r.time, Some(ts("2003-08-24T12:14:15.000003Z")));
    assert_eq!(
        (r.machine.as_deref(), r.program.as_deref()),
        (Some("192.0.2.1"), Some("myproc"))
    );
    assert_eq!(r.text, "%% It's time to make the do-nuts.");
    let line = "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut=\"3\" eventSource=\"Application\" eventID=\"1011\"][examplePriority@32473 class=\"high\"] \u{feff}An application event log entry...";
    let r = one(line.as_bytes());
    assert_eq!(r.text, "An application event log entry...");
    assert_eq!(r.program.as_deref(), Some("evntslog"));
    // Escaped bracket inside a parameter value; no message at all; nil stamp.
    let r = one(br#"<13>1 2026-01-02T03:04:05Z h app 1 m [a@1 k="x\]y"] msg"#);
    assert_eq!(r.text, "msg");
    let r = one(b"<13>1 2026-01-02T03:04:05Z h app 1 m -");
    assert_eq!((r.shape, r.text.as_ref()), (Shape::Syslog, ""));
    let r = one(b"<13>1 - - - - - - text");
    assert_eq!(view(&r), expect(Shape::Syslog, "text"));
}

#[test]
fn syslog_rsyslog_precise() {
    let r = one(b"2026-11-20T22:14:03.123456+01:00 web01 kernel: [   42.000001] nfs: server nfs01 not responding, still trying");
    assert_eq!(
        view(&r),
        View {
            machine: Some("web01".into()),
            program: Some("kernel".into()),
            time: Some("2026-11-20T21:14:03.123456Z".into()),
            uptime: Some(42.000001),
            ..expect(
                Shape::Syslog,
                "nfs: server nfs01 not responding, still trying"
            )
        }
    );
    // journalctl -o short-iso writes the offset without a colon.
    let r =
        one(b"2026-11-22T01:15:29+0100 web01 systemd-logind[812]: New session 3 of user admin.");
    assert_eq!(r.time, Some(ts("2026-11-22T00:15:29Z")));
    assert_eq!(r.program.as_deref(), Some("systemd-logind"));
}

#[test]
fn syslog_year_rollover_with_given_year() {
    let mut d = dec();
    let mut t = |l: &str| d.decode(l.as_bytes(), 1).time.unwrap().to_string();
    assert_eq!(t("Dec 31 23:59:59 h k: a"), "2026-12-31T23:59:59Z");
    assert_eq!(t("Jan  1 00:00:01 h k: b"), "2027-01-01T00:00:01Z");
    // A late line from the old year does not start yet another year.
    assert_eq!(t("Dec 31 23:59:58 h k: late"), "2026-12-31T23:59:58Z");
    assert_eq!(t("Jan  1 00:00:03 h k: c"), "2027-01-01T00:00:03Z");
    // One month back is disorder, not a new year.
    assert_eq!(t("Mar  1 00:00:00 h k: d"), "2027-03-01T00:00:00Z");
    assert_eq!(t("Feb 28 23:59:59 h k: e"), "2027-02-28T23:59:59Z");
    assert_eq!(t("Mar  1 00:00:01 h k: f"), "2027-03-01T00:00:01Z");
}

#[test]
fn syslog_year_rollover_across_skip() {
    let mut d = dec();
    d.decode(b"Dec 30 10:00:00 h k: a", 1);
    d.skip(b"Dec 31 23:59:59 h k: b\nJan  1 00:00:01 h k: c\n");
    assert_eq!(
        d.decode(b"Jan  2 00:00:00 h k: d", 4).time,
        Some(ts("2027-01-02T00:00:00Z"))
    );
}

#[test]
fn syslog_year_from_mtime() {
    let mut d = LineDecoder::new(DecodeOptions {
        file_mtime: Some(ts("2027-01-05T08:00:00Z")),
        ..DecodeOptions::default()
    });
    assert_eq!(
        d.decode(b"Dec 30 10:00:00 h k: a", 1).time,
        Some(ts("2026-12-30T10:00:00Z"))
    );
    assert_eq!(
        d.decode(b"Jan  3 10:00:00 h k: b", 2).time,
        Some(ts("2027-01-03T10:00:00Z"))
    );
    // Up to a day after the mtime is still this year (clock skew, zones).
    assert_eq!(
        d.decode(b"Jan  6 07:00:00 h k: c", 3).time,
        Some(ts("2027-01-06T07:00:00Z"))
    );
    assert_eq!(
        d.decode(b"Jan  6 09:00:00 h k: d", 4).time,
        Some(ts("2026-01-06T09:00:00Z"))
    );
    // Feb 29 in a year after a leap year: the year before.
    let mut d = LineDecoder::new(DecodeOptions {
        file_mtime: Some(ts("2029-03-01T00:00:00Z")),
        ..DecodeOptions::default()
    });
    assert_eq!(
        d.decode(b"Feb 29 10:00:00 h k: e", 1).time,
        Some(ts("2028-02-29T10:00:00Z"))
    );
}

#[test]
fn syslog_year_from_now() {
    let now = Timestamp::now();
    let year = now.to_zoned(TimeZone::UTC).year();
    let mut d = LineDecoder::new(DecodeOptions::default());
    let r = d.decode(b"Jan  1 00:00:00 h k: a", 1);
    assert_eq!(r.time.unwrap().to_zoned(TimeZone::UTC).year(), year);
    // Dec 31 23:59:59 lies ahead of now except on that very day.
    let r = d.decode(b"Dec 31 23:59:59 h k: b", 2);
    let expect = if now.to_zoned(TimeZone::UTC).day_of_year() >= 365 {
        year
    } else {
        year - 1
    };
    assert_eq!(r.time.unwrap().to_zoned(TimeZone::UTC).year(), expect);
}

// ---------------------------------------------------------------- journald

#[test]
fn journal_kernel_entry() {
    let line = br#"{"__CURSOR":"s=739ad463348b4ceca5a9e69c95a3c93f;i=4ece7;b=6c7c6013a8b34d5e9a8ec2ac8b1fd7f8;m=1e6a6e4e2;t=5bd6e1d8f3a19;x=2f4ae9f1d8c7b6a5","__REALTIME_TIMESTAMP":"1700000000123456","__MONOTONIC_TIMESTAMP":"8165678306","_BOOT_ID":"6c7c6013a8b34d5e9a8ec2ac8b1fd7f8","PRIORITY":"6","_TRANSPORT":"kernel","SYSLOG_FACILITY":"0","_MACHINE_ID":"0f0e0d0c0b0a09080706050403020100","_HOSTNAME":"web01","MESSAGE":"e1000e: eth0 NIC Link is Down","_SOURCE_MONOTONIC_TIMESTAMP":"8165678000"}"#;
    let r = one(line);
    assert_eq!(
        view(&r),
        View {
            machine: Some("web01".into()),
            program: Some("kernel".into()),
            time: Some("2023-11-14T22:13:20.123456Z".into()),
            uptime: Some(8165.678306),
            ..expect(Shape::Journal, "e1000e: eth0 NIC Link is Down")
        }
    );
    assert!(matches!(r.text, Cow::Borrowed(_)));
}

#[test]
fn journal_user_entries() {
    let r = one(br#"{"_TRANSPORT":"syslog","SYSLOG_IDENTIFIER":"sshd","_PID":"4123","_HOSTNAME":"db01","MESSAGE":"Accepted publickey\tfor root\n","__REALTIME_TIMESTAMP":"1700000000000000"}"#);
    assert_eq!(r.program.as_deref(), Some("sshd"));
    assert_eq!(r.text, "Accepted publickey\tfor root");
    assert_eq!(r.uptime, None);
    // Binary message: an array of byte values.
    let r = one(br#"{"MESSAGE":[104,105,32,255],"_COMM":"weird","__REALTIME_TIMESTAMP":"1700000000000000"}"#);
    assert_eq!(r.text, "hi \u{fffd}");
    assert_eq!(r.program.as_deref(), Some("weird"));
    // Too large a field is written as null.
    let r = one(br#"{"MESSAGE":null,"__REALTIME_TIMESTAMP":"1700000000000000"}"#);
    assert_eq!((r.shape, r.text.as_ref()), (Shape::Journal, ""));
    // Quoted in mail, still an entry.
    let r = one(br#"> {"MESSAGE":"x","__REALTIME_TIMESTAMP":"1"}"#);
    assert_eq!(
        (r.shape, r.time),
        (Shape::Journal, Some(ts("1970-01-01T00:00:00.000001Z")))
    );
}

// ---------------------------------------------------------------- vmkernel

#[test]
fn vmkernel_esxi() {
    let r = one(b"2019-06-13T10:22:04.553Z cpu2:2185)WARNING: NFS: 4590: Can't find call with serial number -2146566055");
    assert_eq!(
        view(&r),
        View {
            program: Some("vmkernel".into()),
            time: Some("2019-06-13T10:22:04.553Z".into()),
            context: Some("cpu2:2185".into()),
            ..expect(
                Shape::Vmkernel,
                "WARNING: NFS: 4590: Can't find call with serial number -2146566055"
            )
        }
    );
    let r = one(b"2021-03-08T08:52:22.437Z cpu14:2098099)ScsiDeviceIO: 4176: Cmd(0x45b96d402508) 0x89, CmdSN 0x1578666 from world 3361402 to dev \"naa.600508b1001c\" failed H:0x0 D:0x2 P:0x0 Valid sense data: 0xe 0x1d 0x0");
    assert_eq!(r.context.as_deref(), Some("cpu14:2098099"));
    assert!(r.text.starts_with("ScsiDeviceIO: 4176: Cmd("));
    let r = one(b"2020-05-12T09:03:04.123Z cpu5:2097682 opID=8f1d1b9c)World: 12235: VC opID sps-Main-52618-962-a1-22 maps to vmkernel opID 8f1d1b9c");
    assert_eq!(r.context.as_deref(), Some("cpu5:2097682 opID=8f1d1b9c"));
    assert_eq!(
        r.text,
        "World: 12235: VC opID sps-Main-52618-962-a1-22 maps to vmkernel opID 8f1d1b9c"
    );
}

#[test]
fn vmkernel_esxi8() {
    let r = one(b"2023-01-01T00:00:00.000Z In(182) vmkernel: cpu14:2098099)NMP: nmp_ThrottleLogForDevice:3867: Cmd 0x28 (0x45d8c8b5b7c8, 2099486) to dev \"mpx.vmhba32:C0:T0:L0\"");
    assert_eq!(
        view(&r),
        View {
            program: Some("vmkernel".into()),
            time: Some("2023-01-01T00:00:00Z".into()),
            context: Some("cpu14:2098099".into()),
            ..expect(
                Shape::Vmkernel,
                "NMP: nmp_ThrottleLogForDevice:3867: Cmd 0x28 (0x45d8c8b5b7c8, 2099486) to dev \"mpx.vmhba32:C0:T0:L0\""
            )
        }
    );
    let r = one(b"2023-01-01T00:00:00.000Z Wa(180) vmkwarning: cpu1:2097741)WARNING: NFS: 4590: Can't find call with serial number -2146566055");
    assert_eq!(
        (r.shape, r.program.as_deref()),
        (Shape::Vmkernel, Some("vmkwarning"))
    );
    assert_eq!(
        r.text,
        "WARNING: NFS: 4590: Can't find call with serial number -2146566055"
    );
    // Early boot lines carry no cpu:world.
    let r =
        one(b"2023-03-01T10:00:00.001Z In(182)+ vmkernel: VMB: 65: Reserved 0 MPNs starting @ 0x0");
    assert_eq!(
        (r.shape, r.context.as_deref(), r.text.as_ref()),
        (
            Shape::Vmkernel,
            None,
            "VMB: 65: Reserved 0 MPNs starting @ 0x0"
        )
    );
    // Other ESXi 8 programs are syslog-like.
    let r = one(b"2025-03-01T10:00:00.737Z In(14) vobd[2097521]:  [UserLevelCorrelator] 1012726884193us: [vob.user.ssh.session.closed] SSH session was closed");
    assert_eq!(
        (r.shape, r.program.as_deref(), r.machine.as_deref()),
        (Shape::Syslog, Some("vobd"), None)
    );
    assert_eq!(
        r.text,
        " [UserLevelCorrelator] 1012726884193us: [vob.user.ssh.session.closed] SSH session was closed"
    );
}

#[test]
fn vmkernel_esx3_inside_syslog() {
    let r = one(b"Nov 20 22:14:03 esx03 vmkernel: 43:07:27:51.725 cpu2:2185)WARNING: NFS: 4590: Can't find call with serial number -2146566055");
    assert_eq!(
        view(&r),
        View {
            machine: Some("esx03".into()),
            program: Some("vmkernel".into()),
            time: Some("2026-11-20T22:14:03Z".into()),
            uptime: Some(3_742_071.725),
            context: Some("cpu2:2185".into()),
            ..expect(
                Shape::Vmkernel,
                "WARNING: NFS: 4590: Can't find call with serial number -2146566055"
            )
        }
    );
}

#[test]
fn vmkernel_forwarded() {
    let r = one(b"Nov 20 22:14:03 esx03.example.com vmkernel: cpu2:2185)WARNING: NFS: 4590: x");
    assert_eq!(
        (
            r.shape,
            r.machine.as_deref(),
            r.context.as_deref(),
            r.uptime
        ),
        (
            Shape::Vmkernel,
            Some("esx03.example.com"),
            Some("cpu2:2185"),
            None
        )
    );
    let r = one(b"<166>1 2023-01-01T00:00:00.000Z esx03.example.com vmkernel - - - cpu14:2098099)WARNING: NFS: 4590: x");
    assert_eq!(
        view(&r),
        View {
            machine: Some("esx03.example.com".into()),
            program: Some("vmkernel".into()),
            time: Some("2023-01-01T00:00:00Z".into()),
            context: Some("cpu14:2098099".into()),
            ..expect(Shape::Vmkernel, "WARNING: NFS: 4590: x")
        }
    );
}

// ---------------------------------------------------------------- xen

#[test]
fn xen_hypervisor() {
    let r = one(b"(XEN) Xen version 4.16.2 (mockbuild@) (gcc (GCC) 8.5.0) debug=n Tue Oct 11 2022");
    assert_eq!(
        view(&r),
        View {
            program: Some("xen".into()),
            ..expect(
                Shape::XenHypervisor,
                "Xen version 4.16.2 (mockbuild@) (gcc (GCC) 8.5.0) debug=n Tue Oct 11 2022"
            )
        }
    );
    let r = one(b"(XEN) [2026-11-22 01:15:29.123] Brought up 8 CPUs");
    assert_eq!(
        (r.time, r.text.as_ref()),
        (Some(ts("2026-11-22T01:15:29.123Z")), "Brought up 8 CPUs")
    );
    let r = one(b"(XEN) [2026-11-22 01:15:29] Dom0 has maximum 8 VCPUs");
    assert_eq!(r.time, Some(ts("2026-11-22T01:15:29Z")));
    let r = one(b"(XEN) [  123.456789] grant_table.c:1234:d0v1 Bad ref 0x123 for d1");
    assert_eq!((r.uptime, r.time), (Some(123.456789), None));
    assert_eq!(r.text, "grant_table.c:1234:d0v1 Bad ref 0x123 for d1");
    assert_eq!(
        view(&one(b"(XEN)")),
        View {
            program: Some("xen".into()),
            ..expect(Shape::XenHypervisor, "")
        }
    );
    // Indented hypervisor output keeps its indentation.
    let r = one(b"(XEN)    [<ffff82d04022c6a8>] R common/spinlock.c#_spin_lock+0x48/0x70");
    assert_eq!(
        r.text,
        "   [<ffff82d04022c6a8>] R common/spinlock.c#_spin_lock+0x48/0x70"
    );
}

#[test]
fn xen_console_log() {
    let mut d = LineDecoder::new(DecodeOptions {
        time_zone: TimeZone::fixed(Offset::constant(1)),
        ..DecodeOptions::default()
    });
    let r = d.decode(
        b"[2026-11-22 01:15:29] [   12.345678] xen_net: Memory squeeze in netback driver.",
        1,
    );
    assert_eq!(
        view(&r),
        View {
            time: Some("2026-11-22T00:15:29Z".into()),
            uptime: Some(12.345678),
            ..expect(
                Shape::XenConsole,
                "xen_net: Memory squeeze in netback driver."
            )
        }
    );
    let r = d.decode(b"[2026-11-22 01:15:30] CentOS Linux 7 (Core)", 2);
    assert_eq!(
        view(&r),
        View {
            time: Some("2026-11-22T00:15:30Z".into()),
            ..expect(Shape::XenConsole, "CentOS Linux 7 (Core)")
        }
    );
    // xenconsoled's hypervisor log.
    let r = d.decode(
        b"[2026-11-22 01:15:31] (XEN) d1 L1TF-vulnerable L1e 0000000000000000 - Shadowing",
        3,
    );
    assert_eq!(
        (r.shape, r.program.as_deref()),
        (Shape::XenHypervisor, Some("xen"))
    );
    assert_eq!(r.time, Some(ts("2026-11-22T00:15:31Z")));
    assert_eq!(
        r.text,
        "d1 L1TF-vulnerable L1e 0000000000000000 - Shadowing"
    );
}

#[test]
fn mixed_shapes_in_one_file() {
    let mut d = dec();
    let lines: &[&[u8]] = &[
        b"(XEN) Xen version 4.16.2",
        b"[    0.000000] Linux version 5.10.0",
        b"Nov 20 22:14:03 web01 kernel: hello",
        b"just words",
        br#"{"MESSAGE":"m","__REALTIME_TIMESTAMP":"0"}"#,
        b"2019-06-13T10:22:04.553Z cpu2:2185)x",
        b"[Sun Nov 22 01:15:29 2026] y",
    ];
    let shapes: Vec<Shape> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| d.decode(l, i as u64 + 1).shape)
        .collect();
    assert_eq!(
        shapes,
        [
            Shape::XenHypervisor,
            Shape::Console,
            Shape::Syslog,
            Shape::Plain,
            Shape::Journal,
            Shape::Vmkernel,
            Shape::DmesgTime
        ]
    );
}

#[test]
fn shape_names() {
    let names: Vec<&str> = Shape::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(
        names,
        [
            "plain",
            "console",
            "dmesg_time",
            "dmesg_human",
            "syslog",
            "journal",
            "vmkernel",
            "xen_hypervisor",
            "xen_console"
        ]
    );
    assert_eq!(Shape::DmesgHuman.to_string(), "dmesg_human");
}

#[test]
fn into_owned_keeps_fields() {
    let line = b"Nov 20 22:14:03 web01 kernel: [ 1.500000] x".to_vec();
    let owned = dec().decode(&line, 3).into_owned();
    drop(line);
    assert_eq!(owned.machine.as_deref(), Some("web01"));
    assert_eq!(
        (owned.line, owned.uptime, owned.text.as_ref()),
        (3, Some(1.5), "x")
    );
}
