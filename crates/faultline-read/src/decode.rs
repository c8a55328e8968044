//! Recognising the shape of one line and splitting it into a record.

use std::borrow::Cow;

use jiff::civil::DateTime;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};

use crate::stamp::{self, YearLess, one_space};
use crate::{Record, Shape, journal};

/// How year-less and zone-less stamps are completed.
#[derive(Debug, Clone)]
pub struct DecodeOptions {
    /// The year of the first year-less stamp (the user's `--year`).
    pub year: Option<i16>,
    /// The file's modification time: without `year`, year-less stamps take
    /// its year (or the one before, for stamps after it).
    pub file_mtime: Option<Timestamp>,
    /// Zone of stamps that carry none (RFC 3164, `dmesg -T`/`-H`, Xen).
    pub time_zone: TimeZone,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            year: None,
            file_mtime: None,
            time_zone: TimeZone::UTC,
        }
    }
}

/// Where the year of a year-less stamp comes from.
#[derive(Debug, Clone)]
enum Years {
    /// Given by the user, advanced when the months wrap around.
    Counted { year: i16, last_month: Option<i8> },
    /// The year of a reference instant (mtime or now); stamps later than
    /// `limit` belong to the year before.
    Reference { year: i16, limit: Timestamp },
}

/// Decodes the lines of one file, in order. Holds the little state that
/// crosses lines: the year of year-less stamps and the running `dmesg -H`
/// time.
#[derive(Debug, Clone)]
pub struct LineDecoder {
    tz: TimeZone,
    years: Years,
    /// Time of the latest `dmesg -H` line, when its base is known.
    human: Option<Timestamp>,
    /// Whether this file has shown `dmesg -H` lines, so skips must be
    /// looked into.
    human_seen: bool,
}

/// Programs whose syslog messages are vmkernel lines.
fn is_vmkernel(program: &[u8]) -> bool {
    program.eq_ignore_ascii_case(b"vmkernel") || program.eq_ignore_ascii_case(b"vmkwarning")
}

#[inline]
fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

impl Record<'_> {
    fn bare(shape: Shape, text: &[u8]) -> Record<'_> {
        Record {
            line: 0,
            shape,
            machine: None,
            program: None,
            time: None,
            uptime: None,
            context: None,
            text: lossy(text),
        }
    }
}

/// Removes what terminals and mail programs add around a line: trailing
/// CRs and `^M`, everything up to the last CR that a terminal would have
/// overwritten, leading NULs (serial consoles after a reset), and
/// `> `/`>> ` quoting.
pub(crate) fn clean(raw: &[u8]) -> &[u8] {
    let mut s = raw;
    loop {
        // A stray LF is tolerated too, so callers may pass lines with it.
        if let [rest @ .., b'\r' | b'\n'] = s {
            s = rest;
        } else if let [rest @ .., b'^', b'M'] = s {
            s = rest;
        } else {
            break;
        }
    }
    if let Some(i) = memchr::memrchr(b'\r', s) {
        s = &s[i + 1..];
    }
    let nul = s.iter().take_while(|&&b| b == 0).count();
    s = &s[nul..];
    unquote(s)
}

/// Strips Markdown/e-mail quoting: one or more `>` (possibly `> > `)
/// followed by a space or the end of the line.
fn unquote(s: &[u8]) -> &[u8] {
    let mut i = 0;
    while s.get(i) == Some(&b'>') {
        i += 1;
        if s.get(i) == Some(&b' ') && s.get(i + 1) == Some(&b'>') {
            i += 1;
        }
    }
    match s.get(i) {
        _ if i == 0 => s,
        None => &s[i..],
        Some(b' ') => &s[i + 1..],
        Some(_) => s,
    }
}

/// What follows a printk stamp: optional caller id, then the text after
/// one space. Returns (uptime, caller id range, text start).
struct ConsoleParts {
    uptime: Option<f64>,
    context: Option<std::ops::Range<usize>>,
    text: usize,
}

/// Parses an optional printk stamp and an optional caller id at the start
/// of `s`; `None` when neither is there.
fn console_parts(s: &[u8]) -> Option<ConsoleParts> {
    let mut at = 0;
    let mut uptime = None;
    // A stamp is followed by a space, a caller id or the end; `[12.5]x` is
    // text.
    if let Some((u, end)) =
        stamp::printk_stamp(s).filter(|&(_, end)| matches!(s.get(end), None | Some(b' ' | b'[')))
    {
        uptime = Some(u);
        at = end;
    }
    let mut context = None;
    // The caller id follows the stamp directly (`[ 70.3][ T9456]`), or after
    // one space in `dmesg` output.
    let id_at = if s.get(at) == Some(&b' ') && s.get(at + 1) == Some(&b'[') {
        at + 1
    } else {
        at
    };
    if let Some((range, end)) = stamp::caller_id(&s[id_at..])
        .filter(|&(_, end)| matches!(s.get(id_at + end), None | Some(b' ')))
    {
        context = Some(range.start + id_at..range.end + id_at);
        at = id_at + end;
    }
    if uptime.is_none() && context.is_none() {
        return None;
    }
    Some(ConsoleParts {
        uptime,
        context,
        text: one_space(s, at),
    })
}

/// A vmkernel message body: optional ESX 3 uptime, then `cpuN:W)` (the
/// world id may be followed by more, as in `cpu2:2097682 opID=8f1d1b9c)`).
struct VmkParts {
    uptime: Option<f64>,
    context: std::ops::Range<usize>,
    text: usize,
}

fn vmk_parts(s: &[u8]) -> Option<VmkParts> {
    let mut at = 0;
    let mut uptime = None;
    if let Some((u, end)) = stamp::esx_uptime(s, 0) {
        if s.get(end) != Some(&b' ') {
            return None;
        }
        uptime = Some(u);
        at = end + 1;
    }
    if !s[at..].starts_with(b"cpu") {
        return None;
    }
    let n = stamp::digit_run(s, at + 3);
    if n == 0 || s.get(at + 3 + n) != Some(&b':') || stamp::digit_run(s, at + 4 + n) == 0 {
        return None;
    }
    let window = &s[at..s.len().min(at + 80)];
    let close = memchr::memchr(b')', window)?;
    Some(VmkParts {
        uptime,
        context: at..at + close,
        text: at + close + 1,
    })
}

/// A syslog tag at the start of `s`: `kernel:`, `sshd[123]:`. Returns the
/// program name without `[pid]` and the index of the message after it.
fn syslog_tag(s: &[u8]) -> Option<(&[u8], usize)> {
    let end = memchr::memchr(b' ', s).unwrap_or(s.len());
    let token = &s[..end];
    let name = token.strip_suffix(b":")?;
    let name = match memchr::memchr(b'[', name) {
        Some(i) if name.ends_with(b"]") => &name[..i],
        Some(_) => return None,
        None => name,
    };
    if name.is_empty() || name.len() > 128 {
        return None;
    }
    Some((name, one_space(s, end)))
}

/// ESXi 8 severity field: `In(182) `, `Wa(180)+ `. Returns the index after
/// it.
fn esxi_severity(s: &[u8]) -> Option<usize> {
    if !matches!(
        s.get(..2),
        Some(b"Em" | b"Al" | b"Cr" | b"Er" | b"Wa" | b"No" | b"In" | b"Db")
    ) || s.get(2) != Some(&b'(')
    {
        return None;
    }
    let n = stamp::digit_run(s, 3);
    if n == 0 || s.get(3 + n) != Some(&b')') {
        return None;
    }
    let mut at = 4 + n;
    if s.get(at) == Some(&b'+') {
        at += 1;
    }
    (s.get(at) == Some(&b' ')).then_some(at + 1)
}

/// Skips one RFC 5424 structured-data field (`-` or `[id k="v"]...`).
/// Returns the index after it.
fn structured_data(s: &[u8]) -> Option<usize> {
    match s.first()? {
        b'-' => return Some(1),
        b'[' => {}
        _ => return None,
    }
    let mut i = 0;
    while s.get(i) == Some(&b'[') {
        i += 1;
        let mut quoted = false;
        loop {
            match *s.get(i)? {
                b'\\' if quoted => i += 1,
                b'"' => quoted = !quoted,
                b']' if !quoted => break,
                _ => {}
            }
            i += 1;
        }
        i += 1;
    }
    Some(i)
}

/// The next space-separated token of an RFC 5424 header at `at`. Returns
/// it and the index after the following space.
fn header_token(s: &[u8], at: usize) -> Option<(&[u8], usize)> {
    let rest = s.get(at..)?;
    let end = memchr::memchr(b' ', rest)?;
    if end == 0 {
        return None;
    }
    Some((&rest[..end], at + end + 1))
}

fn nil(token: &[u8]) -> Option<&[u8]> {
    (token != b"-").then_some(token)
}

impl LineDecoder {
    pub fn new(opts: DecodeOptions) -> Self {
        let years = match opts.year {
            Some(year) => Years::Counted {
                year,
                last_month: None,
            },
            None => {
                let reference = opts.file_mtime.unwrap_or_else(Timestamp::now);
                let year = opts.time_zone.to_datetime(reference).year();
                let limit = reference
                    .checked_add(SignedDuration::from_hours(24))
                    .unwrap_or(reference);
                Years::Reference { year, limit }
            }
        };
        LineDecoder {
            tz: opts.time_zone,
            years,
            human: None,
            human_seen: false,
        }
    }

    /// Decodes one line (without its `\n`). Never fails: a line that is
    /// not recognised is a [`Shape::Plain`] record of the cleaned line.
    pub fn decode<'a>(&mut self, raw: &'a [u8], line: u64) -> Record<'a> {
        let s = clean(raw);
        let found = match s.first() {
            Some(b'{') => self.journal(s),
            Some(b'(') => self.xen(s, None),
            Some(b'[') => self.bracket(s),
            Some(b'<') => self.angle(s),
            Some(b'0'..=b'9') => self.iso_line(s),
            Some(b'A'..=b'Z') => self.bsd_line(s),
            _ => None,
        };
        let found = found.or_else(|| self.console_after_junk(s));
        let mut rec = found.unwrap_or_else(|| Record::bare(Shape::Plain, s));
        rec.line = line;
        rec
    }

    /// A serial console often has a printk line glued to something that
    /// did not end in a newline: a login prompt (`host login: [ 12.3] ...`)
    /// or printk's own `** 5 printk messages dropped ** ` notice.
    fn console_after_junk<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        const GLUES: [&[u8]; 2] = [b" login: ", b" printk messages dropped ** "];
        for glue in GLUES {
            let Some(at) = memchr::memmem::find(s, glue) else {
                continue;
            };
            let rest = &s[at + glue.len()..];
            let rec = match rest.first() {
                Some(b'[') => self.bracket(rest),
                Some(b'<') => self.angle(rest),
                _ => None,
            };
            if let Some(rec) = rec.filter(|r| r.shape == Shape::Console) {
                return Some(rec);
            }
        }
        None
    }

    /// Brings the state up to date over lines the caller skipped without
    /// decoding (`region` holds whole lines separated by `\n`).
    ///
    /// Year-less syslog stamps need nothing: a month wrap inside the region
    /// shows when the next decoded stamp is compared with the last one.
    /// Only `dmesg -H` needs work: the running time is re-based on the
    /// last absolute stamp of the region plus the deltas after it. The
    /// region is looked into only when this file has shown `dmesg -H`
    /// lines (before or inside the region); otherwise this costs one
    /// vectorised search.
    pub fn skip(&mut self, region: &[u8]) {
        if region.is_empty() {
            return;
        }
        if !self.human_seen {
            if !has_human_delta(region) {
                return;
            }
            self.human_seen = true;
        }
        let mut acc = SignedDuration::ZERO;
        let mut end = region.len();
        loop {
            let start = memchr::memrchr(b'\n', &region[..end]).map_or(0, |i| i + 1);
            let line = clean(&region[start..end]);
            if let Some((t, _)) = stamp::human_absolute(line) {
                self.human = self
                    .year_less(t)
                    .and_then(|base| base.checked_add(acc).ok());
                return;
            }
            if let Some((d, _)) = stamp::human_delta(line) {
                acc = acc.saturating_add(d);
            }
            if start == 0 {
                break;
            }
            end = start - 1;
        }
        self.human = self.human.and_then(|t| t.checked_add(acc).ok());
    }

    /// Completes a year-less stamp (see the crate docs for the rules).
    fn year_less(&mut self, t: YearLess) -> Option<Timestamp> {
        let at = |year: i16| -> Option<DateTime> {
            DateTime::new(year, t.month, t.day, t.hour, t.minute, t.second, t.nanos).ok()
        };
        match &mut self.years {
            Years::Counted { year, last_month } => {
                let y = match *last_month {
                    None => {
                        *last_month = Some(t.month);
                        *year
                    }
                    Some(prev) => {
                        let delta = t.month - prev;
                        if delta <= -2 {
                            *year = year.saturating_add(1);
                            *last_month = Some(t.month);
                            *year
                        } else if delta >= 10 {
                            year.saturating_sub(1)
                        } else {
                            if delta >= 0 {
                                *last_month = Some(t.month);
                            }
                            *year
                        }
                    }
                };
                self.tz.to_timestamp(at(y)?).ok()
            }
            Years::Reference { year, limit } => {
                // A date that does not exist in the reference year (Feb 29)
                // or lies after the limit is tried in the year before.
                if let Some(dt) = at(*year) {
                    let ts = self.tz.to_timestamp(dt).ok()?;
                    if ts <= *limit {
                        return Some(ts);
                    }
                }
                self.tz.to_timestamp(at(year.checked_sub(1)?)?).ok()
            }
        }
    }

    fn journal<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let e = journal::parse(s)?;
        let text = match e.message {
            Some(Cow::Borrowed(m)) => Cow::Borrowed(m.trim_end_matches(['\n', '\r'])),
            Some(Cow::Owned(mut m)) => {
                let keep = m.trim_end_matches(['\n', '\r']).len();
                m.truncate(keep);
                Cow::Owned(m)
            }
            None => Cow::Borrowed(""),
        };
        let program = if e.kernel_transport {
            Some(Cow::Borrowed("kernel"))
        } else {
            e.identifier.or(e.comm)
        };
        let time = e
            .realtime
            .and_then(|us| i64::try_from(us).ok())
            .and_then(|us| Timestamp::from_microsecond(us).ok());
        Some(Record {
            line: 0,
            shape: Shape::Journal,
            machine: e.hostname,
            program,
            time,
            uptime: e.monotonic.map(|us| us as f64 / 1e6),
            context: None,
            text,
        })
    }

    /// `(XEN) ...`, with an optional `[date time(.ms)]` or `[ uptime]`
    /// stamp. `outer` is the time of a xenconsoled stamp in front.
    fn xen<'a>(&mut self, s: &'a [u8], outer: Option<Timestamp>) -> Option<Record<'a>> {
        let rest = s.strip_prefix(b"(XEN)")?;
        let rest = &rest[one_space(rest, 0)..];
        let mut rec = Record::bare(Shape::XenHypervisor, rest);
        rec.program = Some(Cow::Borrowed("xen"));
        rec.time = outer;
        if let Some(st) = stamp::iso_stamp(rest, 1, b' ', false)
            .filter(|st| rest[0] == b'[' && rest.get(st.end) == Some(&b']'))
        {
            rec.time = st.timestamp(&self.tz);
            rec.text = lossy(&rest[one_space(rest, st.end + 1)..]);
        } else if let Some((u, end)) = stamp::printk_stamp(rest) {
            rec.uptime = Some(u);
            rec.text = lossy(&rest[one_space(rest, end)..]);
        }
        Some(rec)
    }

    /// Lines starting with `[`: dmesg -T/-H, xenconsoled, printk.
    fn bracket<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let b1 = *s.get(1)?;
        if b1.is_ascii_uppercase() {
            if let Some((dt, end)) = stamp::ctime_bracket(s) {
                let mut rec = self.after_stamp(Shape::DmesgTime, s, end);
                rec.time = self.tz.to_timestamp(dt).ok();
                return Some(rec);
            }
            if let Some((t, end)) = stamp::human_absolute(s) {
                self.human_seen = true;
                self.human = self.year_less(t);
                let mut rec = self.after_stamp(Shape::DmesgHuman, s, end);
                rec.time = self.human;
                return Some(rec);
            }
        } else if b1.is_ascii_digit()
            && let Some(st) = stamp::iso_stamp(s, 1, b' ', false)
        {
            if s.get(st.end) != Some(&b']') {
                return None;
            }
            let time = st.timestamp(&self.tz);
            let rest = &s[one_space(s, st.end + 1)..];
            if rest.starts_with(b"(XEN)") {
                return self.xen(rest, time);
            }
            let mut rec = self.after_stamp(Shape::XenConsole, s, st.end + 1);
            rec.time = time;
            return Some(rec);
        }
        if let Some((d, end)) = stamp::human_delta(s) {
            self.human_seen = true;
            self.human = self.human.and_then(|t| t.checked_add(d).ok());
            let mut rec = self.after_stamp(Shape::DmesgHuman, s, end);
            rec.time = self.human;
            return Some(rec);
        }
        let parts = console_parts(s)?;
        Some(Self::console(Shape::Console, s, parts))
    }

    /// The text after a stamp ending at `end`, which may still carry a
    /// printk stamp and caller id of its own.
    fn after_stamp<'a>(&self, shape: Shape, s: &'a [u8], end: usize) -> Record<'a> {
        let rest = &s[one_space(s, end)..];
        match console_parts(rest) {
            Some(parts) => Self::console(shape, rest, parts),
            None => Record::bare(shape, rest),
        }
    }

    fn console(shape: Shape, s: &[u8], parts: ConsoleParts) -> Record<'_> {
        let mut rec = Record::bare(shape, &s[parts.text..]);
        rec.uptime = parts.uptime;
        rec.context = parts.context.map(|r| lossy(&s[r]));
        rec
    }

    /// Lines starting with `<N>`: a syslog priority (RFC 5424 or 3164
    /// follows) or a kernel log level (a console line follows).
    fn angle<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let n = stamp::digit_run(s, 1);
        if !(1..=3).contains(&n) || s.get(1 + n) != Some(&b'>') {
            return None;
        }
        let rest = &s[2 + n..];
        match rest.first() {
            Some(b'1') if rest.get(1) == Some(&b' ') => {
                if let Some(rec) = self.rfc5424(&rest[2..]) {
                    return Some(rec);
                }
            }
            Some(b'A'..=b'Z') => {
                if let Some(rec) = self.bsd_line(rest) {
                    return Some(rec);
                }
            }
            Some(b'0'..=b'9') => {
                if let Some(rec) = self.iso_line(rest) {
                    return Some(rec);
                }
            }
            _ => {}
        }
        match console_parts(rest) {
            Some(parts) => Some(Self::console(Shape::Console, rest, parts)),
            // A bare kernel level (`<4>Call Trace:`), as old consoles and
            // pstore print without time stamps.
            None if n == 1 => Some(Record::bare(Shape::Console, rest)),
            None => None,
        }
    }

    /// `Nov 20 22:14:03 host prog[pid]: message`.
    fn bsd_line<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let (t, end) = stamp::bsd_stamp(s)?;
        let time = self.year_less(t);
        let rest = &s[one_space(s, end)..];
        // A first token that is a tag means the host field was left out.
        let (host, rest) = if syslog_tag(rest).is_some() {
            (None, rest)
        } else {
            let e = memchr::memchr(b' ', rest).unwrap_or(rest.len());
            if e == 0 {
                return None;
            }
            (Some(&rest[..e]), &rest[one_space(rest, e)..])
        };
        let (program, msg) = match syslog_tag(rest) {
            Some((p, at)) => (Some(p), &rest[at..]),
            None => (None, rest),
        };
        Some(self.syslog(host, program, time, msg))
    }

    /// The parts every syslog form shares once the header is read. A
    /// vmkernel message becomes a [`Shape::Vmkernel`] record; a kernel
    /// message may start with its own printk stamp.
    fn syslog<'a>(
        &self,
        host: Option<&'a [u8]>,
        program: Option<&'a [u8]>,
        time: Option<Timestamp>,
        msg: &'a [u8],
    ) -> Record<'a> {
        let mut rec = match program
            .filter(|p| is_vmkernel(p))
            .and_then(|_| vmk_parts(msg))
        {
            Some(v) => {
                let mut rec = Record::bare(Shape::Vmkernel, &msg[v.text..]);
                rec.uptime = v.uptime;
                rec.context = Some(lossy(&msg[v.context]));
                rec
            }
            None => match console_parts(msg) {
                Some(parts) => Self::console(Shape::Syslog, msg, parts),
                None => Record::bare(Shape::Syslog, msg),
            },
        };
        if program.is_some_and(is_vmkernel) {
            rec.shape = Shape::Vmkernel;
        }
        rec.machine = host.map(lossy);
        rec.program = program.map(lossy);
        rec.time = time;
        rec
    }

    /// RFC 5424 after `<PRI>1 `: `TIMESTAMP HOST APP PROCID MSGID SD [MSG]`.
    fn rfc5424<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let (ts, at) = header_token(s, 0)?;
        let time = match nil(ts) {
            None => None,
            Some(ts) => {
                let st = stamp::iso_stamp(ts, 0, b'T', true)?;
                if st.end != ts.len() {
                    return None;
                }
                st.timestamp(&self.tz)
            }
        };
        let (host, at) = header_token(s, at)?;
        let (app, at) = header_token(s, at)?;
        let (_procid, at) = header_token(s, at)?;
        let (_msgid, at) = header_token(s, at)?;
        let sd_end = at + structured_data(&s[at..])?;
        let msg = match s.get(sd_end) {
            None => &s[sd_end..],
            Some(b' ') => &s[sd_end + 1..],
            Some(_) => return None,
        };
        let msg = msg.strip_prefix("\u{feff}".as_bytes()).unwrap_or(msg);
        Some(self.syslog(nil(host), nil(app), time, msg))
    }

    /// Lines starting with an RFC 3339 stamp: vmkernel (ESXi up to 7 and
    /// 8), rsyslog's precise format, `dmesg --time-format=iso`.
    fn iso_line<'a>(&mut self, s: &'a [u8]) -> Option<Record<'a>> {
        let st = stamp::iso_stamp(s, 0, b'T', true)?;
        if s.get(st.end) != Some(&b' ') {
            return None;
        }
        let time = st.timestamp(&self.tz);
        let rest = &s[st.end + 1..];
        if let Some(v) = vmk_parts(rest) {
            let mut rec = Record::bare(Shape::Vmkernel, &rest[v.text..]);
            rec.program = Some(Cow::Borrowed("vmkernel"));
            rec.time = time;
            rec.uptime = v.uptime;
            rec.context = Some(lossy(&rest[v.context]));
            return Some(rec);
        }
        if let Some(at) = esxi_severity(rest) {
            let (program, msg_at) = syslog_tag(&rest[at..])?;
            return Some(self.syslog(None, Some(program), time, &rest[at + msg_at..]));
        }
        if st.comma {
            let mut rec = self.after_stamp(Shape::DmesgTime, s, st.end);
            rec.time = time;
            return Some(rec);
        }
        let e = memchr::memchr(b' ', rest)?;
        let host = &rest[..e];
        if e == 0 || host.ends_with(b":") {
            return None;
        }
        let (program, msg_at) = syslog_tag(&rest[e + 1..])?;
        Some(self.syslog(Some(host), Some(program), time, &rest[e + 1 + msg_at..]))
    }
}

/// Whether `region` holds a `dmesg -H` delta line (`[  +0.000069]`) at the
/// start of some line. One vectorised search for ` +`, checked in place.
fn has_human_delta(region: &[u8]) -> bool {
    let finder = memchr::memmem::Finder::new(b" +");
    for i in finder.find_iter(region) {
        // Walk back over the padding to the `[`, which must open a line
        // (possibly after quoting, which this cheap check does not undo).
        let open = region[..i + 1]
            .iter()
            .rposition(|&b| b != b' ')
            .filter(|&j| region[j] == b'[');
        if let Some(j) = open {
            let line_start = j == 0 || region[j - 1] == b'\n';
            if line_start && stamp::human_delta(&region[j..]).is_some() {
                return true;
            }
        }
    }
    false
}
