//! Reading: turns the log files an administrator has into records.
//!
//! This crate owns everything between a path on disk and a line of kernel or
//! hypervisor text: opening plain, gzip and zstd files (sniffed by magic
//! bytes, not by name), recognising the shape of every line (console
//! captures with printk stamps, `dmesg -T`/`-H`, syslog RFC 3164/5424,
//! journald JSON export, kdump and pstore dumps, VMware vmkernel, Xen),
//! and splitting each line into the machine it came from, its wall time,
//! its uptime and the message text.
//!
//! It knows nothing about crashes: the detector reads the message text that
//! comes out of here.
//!
//! Lines are handled as bytes; invalid UTF-8 is replaced only in the text
//! handed on. Nothing here holds more than one line (plus a small amount of
//! per-file state), so memory does not grow with input size.
//!
//! # Pieces
//!
//! - [`open`] / [`stdin`] give a [`Source`]: a streaming reader that undoes
//!   gzip (all members, as logrotate concatenates them) or zstd when the
//!   first bytes say so. A damaged or cut-off compressed stream yields every
//!   byte that could be decoded and then an [`std::io::Error`].
//! - [`expand`] turns the paths a user named into the files to read
//!   (folders walked recursively in a fixed order, hidden entries skipped),
//!   and [`machine_from_path`] guesses a machine name from a path.
//! - [`LineDecoder`] turns one line into a [`Record`]. Each line is
//!   recognised on its own, so one file may mix shapes; see [`Shape`] for
//!   what is recognised. Decoding borrows from the line and does not
//!   allocate unless the line is not UTF-8 or is a JSON line with escapes.
//!   A caller may skip lines without decoding them and report them with
//!   [`LineDecoder::skip`], which keeps the little state the decoder has.
//!
//! # Years and time zones
//!
//! Stamps without a zone (RFC 3164 syslog, `dmesg -T`/`-H`, Xen) are read in
//! [`DecodeOptions::time_zone`]. Stamps without a year (RFC 3164, `dmesg
//! -H`) get one this way:
//!
//! - with [`DecodeOptions::year`]: the first stamp takes that year; a later
//!   stamp whose month lies two or more months before the month of the
//!   latest stamp starts the next year (Dec -> Jan), one month back is taken
//!   as lines delivered out of order (same year), and ten or more months
//!   ahead right after a new year is taken as a late line of the old year;
//! - otherwise the year of [`DecodeOptions::file_mtime`] (or of now when
//!   that is unknown too), moved one year back for a stamp that would lie
//!   more than a day after that instant. Such files must span less than a
//!   year.
//!
//! `dmesg -H` prints an absolute stamp only to the minute, then deltas: the
//! times handed out are that minute plus the deltas, so they can be up to a
//! minute early. A delta whose base is unknown (no absolute stamp seen, or
//! lost across a skip) gives no time rather than a wrong one.

//!
//! # Not recognised
//!
//! These come out as [`Shape::Plain`] (or with their stamp left in the
//! text): `journalctl -o short-monotonic` (`[ 12.345678] host prog:` reads
//! as a console line whose text starts with the host), `-o short-full` and
//! `-o export`, syslog templates with a space instead of `T` in an ISO
//! stamp, lines wrapped in ANSI colour sequences, and year-carrying BSD
//! stamps (`Nov 20 2026 22:14:03`). A journald `MESSAGE` that holds several
//! lines is one record whose text contains `\n`.

mod decode;
mod journal;
mod source;
mod stamp;
mod walk;

use std::borrow::Cow;
use std::fmt;

pub use decode::{DecodeOptions, LineDecoder};
pub use jiff::Timestamp;
pub use source::{Compression, ReadError, Source, from_reader, open, stdin};
pub use walk::{expand, machine_from_path};

/// The shape a line was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// Nothing recognised: the text is the whole (cleaned) line.
    Plain,
    /// A console, serial, kdump or pstore line: `<N>` level, printk stamp
    /// `[ 1234.567890]` and/or caller id `[ T123]`.
    Console,
    /// `dmesg -T` (`[Sun Nov 22 01:15:29 2026] `) or `dmesg
    /// --time-format=iso` (`2026-11-22T01:15:29,123456+01:00 `).
    DmesgTime,
    /// `dmesg -H`: `[Dec30 15:17] ` then `[  +0.000069] ` deltas.
    DmesgHuman,
    /// Syslog: RFC 3164, RFC 5424, rsyslog's high-precision file format,
    /// ESXi 8 `In(14) prog[pid]:` lines of programs other than vmkernel.
    Syslog,
    /// `journalctl -o json` export, one object per line.
    Journal,
    /// VMware vmkernel and vmkwarning lines, in their own files or inside
    /// syslog (ESX 3 `d:hh:mm:ss.mmm cpuN:W)` uptime form included).
    Vmkernel,
    /// Xen hypervisor lines, `(XEN) ...` as `xl dmesg` prints them.
    XenHypervisor,
    /// A guest console log written by xenconsoled with time stamps:
    /// `[2026-11-22 01:15:29] ...`.
    XenConsole,
}

impl Shape {
    /// Every shape, in declaration order.
    pub const ALL: [Shape; 9] = [
        Shape::Plain,
        Shape::Console,
        Shape::DmesgTime,
        Shape::DmesgHuman,
        Shape::Syslog,
        Shape::Journal,
        Shape::Vmkernel,
        Shape::XenHypervisor,
        Shape::XenConsole,
    ];

    /// The stable lower-case name used in JSON output.
    pub fn as_str(self) -> &'static str {
        match self {
            Shape::Plain => "plain",
            Shape::Console => "console",
            Shape::DmesgTime => "dmesg_time",
            Shape::DmesgHuman => "dmesg_human",
            Shape::Syslog => "syslog",
            Shape::Journal => "journal",
            Shape::Vmkernel => "vmkernel",
            Shape::XenHypervisor => "xen_hypervisor",
            Shape::XenConsole => "xen_console",
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One decoded line. Strings borrow from the line unless it had to be
/// repaired (invalid UTF-8) or unescaped (JSON).
#[derive(Debug, Clone, PartialEq)]
pub struct Record<'a> {
    /// 1-based line number, as passed to [`LineDecoder::decode`].
    pub line: u64,
    pub shape: Shape,
    /// The host the line names itself (syslog host field, journald
    /// `_HOSTNAME`); `None` when the line names none.
    pub machine: Option<Cow<'a, str>>,
    /// Syslog tag or `SYSLOG_IDENTIFIER` without `[pid]`; `kernel` for
    /// journald kernel messages, `vmkernel` for vmkernel.log lines, `xen`
    /// for `(XEN)` lines.
    pub program: Option<Cow<'a, str>>,
    /// Wall time, when the line carries one.
    pub time: Option<Timestamp>,
    /// Seconds since boot, when the line carries them.
    pub uptime: Option<f64>,
    /// Caller context: printk caller id (`T123`, `C1`) or vmkernel
    /// `cpu2:2185`.
    pub context: Option<Cow<'a, str>>,
    /// The message with stamps and prefixes removed; no trailing CR/LF.
    pub text: Cow<'a, str>,
}

impl Record<'_> {
    /// The printk caller id of the line (`T123` a task, `C1` a CPU), when
    /// its context is one (a vmkernel `cpu2:2185` is not).
    pub fn caller_id(&self) -> Option<&str> {
        self.context.as_deref().filter(|c| {
            let b = c.as_bytes();
            b.len() >= 2 && (b[0] == b'T' || b[0] == b'C') && b[1..].iter().all(u8::is_ascii_digit)
        })
    }

    /// Detaches the record from the line it was decoded from.
    pub fn into_owned(self) -> Record<'static> {
        fn own(c: Cow<'_, str>) -> Cow<'static, str> {
            Cow::Owned(c.into_owned())
        }
        Record {
            line: self.line,
            shape: self.shape,
            machine: self.machine.map(own),
            program: self.program.map(own),
            time: self.time,
            uptime: self.uptime,
            context: self.context.map(own),
            text: own(self.text),
        }
    }
}
