//! Byte-level pieces of time stamps and prefixes.
//!
//! Every function here looks at a fixed position of a line and either
//! recognises the complete layout or returns `None`; none of them searches,
//! so misreading ordinary text needs the whole layout to match by chance.

use jiff::civil::DateTime;
use jiff::tz::{Offset, TimeZone};
use jiff::{SignedDuration, Timestamp};

/// `n` ASCII digits at `at`, as a number.
#[inline]
pub(crate) fn fixed_digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let d = s.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &b in d {
        if !b.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(b - b'0');
    }
    Some(v)
}

/// Length of the run of ASCII digits starting at `at`.
#[inline]
pub(crate) fn digit_run(s: &[u8], at: usize) -> usize {
    s.get(at..)
        .map_or(0, |t| t.iter().take_while(|b| b.is_ascii_digit()).count())
}

/// Length of the run of spaces starting at `at`.
#[inline]
pub(crate) fn space_run(s: &[u8], at: usize) -> usize {
    s.get(at..)
        .map_or(0, |t| t.iter().take_while(|&&b| b == b' ').count())
}

/// Index just past one optional space at `at`.
#[inline]
pub(crate) fn one_space(s: &[u8], at: usize) -> usize {
    if s.get(at) == Some(&b' ') { at + 1 } else { at }
}

/// A digit run read as a number, refusing runs too long to be a count.
#[inline]
fn run_value(s: &[u8], at: usize, n: usize) -> Option<u64> {
    if n == 0 || n > 18 {
        return None;
    }
    let mut v = 0u64;
    for &b in &s[at..at + n] {
        v = v * 10 + u64::from(b - b'0');
    }
    Some(v)
}

/// Fraction digits at `at` as nanoseconds; digits past the ninth are read
/// and dropped. Returns (nanoseconds, digits consumed).
#[inline]
pub(crate) fn fraction_nanos(s: &[u8], at: usize) -> (i32, usize) {
    let n = digit_run(s, at);
    let mut ns = 0i32;
    for i in 0..9 {
        let d = if i < n {
            i32::from(s[at + i] - b'0')
        } else {
            0
        };
        ns = ns * 10 + d;
    }
    (ns, n)
}

/// Month from its English three-letter abbreviation, as syslog and ctime
/// print it.
#[inline]
pub(crate) fn month(s: &[u8], at: usize) -> Option<i8> {
    let m = s.get(at..at + 3)?;
    Some(match m {
        b"Jan" => 1,
        b"Feb" => 2,
        b"Mar" => 3,
        b"Apr" => 4,
        b"May" => 5,
        b"Jun" => 6,
        b"Jul" => 7,
        b"Aug" => 8,
        b"Sep" => 9,
        b"Oct" => 10,
        b"Nov" => 11,
        b"Dec" => 12,
        _ => return None,
    })
}

#[inline]
fn weekday(s: &[u8], at: usize) -> bool {
    matches!(
        s.get(at..at + 3),
        Some(b"Mon" | b"Tue" | b"Wed" | b"Thu" | b"Fri" | b"Sat" | b"Sun")
    )
}

/// A wall-clock time of day `HH:MM:SS` at `at`, checked for range.
#[inline]
fn hms(s: &[u8], at: usize) -> Option<(i8, i8, i8)> {
    let h = fixed_digits(s, at, 2)?;
    let m = fixed_digits(s, at + 3, 2)?;
    let sec = fixed_digits(s, at + 6, 2)?;
    if s[at + 2] != b':' || s[at + 5] != b':' || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    // A leap second is folded into the last ordinary one.
    Some((h as i8, m as i8, sec.min(59) as i8))
}

/// A day of the month as syslog and ctime print it: `20`, ` 2`, `02` or
/// `2`, followed by a space. Returns (day, index of that space).
#[inline]
fn padded_day(s: &[u8], at: usize) -> Option<(i8, usize)> {
    let (d, end) = if s.get(at) == Some(&b' ') {
        (fixed_digits(s, at + 1, 1)?, at + 2)
    } else if let Some(d) = fixed_digits(s, at, 2) {
        (d, at + 2)
    } else {
        (fixed_digits(s, at, 1)?, at + 1)
    };
    if !(1..=31).contains(&d) || s.get(end) != Some(&b' ') {
        return None;
    }
    Some((d as i8, end))
}

/// A civil time without a year: what RFC 3164 and `dmesg -H` print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct YearLess {
    pub month: i8,
    pub day: i8,
    pub hour: i8,
    pub minute: i8,
    pub second: i8,
    pub nanos: i32,
}

/// RFC 3164 stamp at the start: `Nov 20 22:14:03`, `Nov  2 22:14:03`,
/// optionally with a fraction (`journalctl -o short-precise`). It must be
/// followed by a space or the end. Returns the stamp and the index after it.
pub(crate) fn bsd_stamp(s: &[u8]) -> Option<(YearLess, usize)> {
    let month = month(s, 0)?;
    if s.get(3) != Some(&b' ') {
        return None;
    }
    let (day, sp) = padded_day(s, 4)?;
    let (hour, minute, second) = hms(s, sp + 1)?;
    let mut end = sp + 9;
    let mut nanos = 0;
    if s.get(end) == Some(&b'.') {
        let (ns, n) = fraction_nanos(s, end + 1);
        if n == 0 {
            return None;
        }
        nanos = ns;
        end += 1 + n;
    }
    if end < s.len() && s[end] != b' ' {
        return None;
    }
    let t = YearLess {
        month,
        day,
        hour,
        minute,
        second,
        nanos,
    };
    Some((t, end))
}

/// `dmesg -T` stamp: `[Sun Nov 22 01:15:29 2026]`. Returns the civil time
/// and the index after `]`.
pub(crate) fn ctime_bracket(s: &[u8]) -> Option<(DateTime, usize)> {
    if s.first() != Some(&b'[') || !weekday(s, 1) || s.get(4) != Some(&b' ') {
        return None;
    }
    let mon = month(s, 5)?;
    if s.get(8) != Some(&b' ') {
        return None;
    }
    let (day, sp) = padded_day(s, 9)?;
    let (h, m, sec) = hms(s, sp + 1)?;
    let y = sp + 9;
    if s.get(y) != Some(&b' ') {
        return None;
    }
    let year = fixed_digits(s, y + 1, 4)?;
    if s.get(y + 5) != Some(&b']') {
        return None;
    }
    let dt = DateTime::new(year as i16, mon, day, h, m, sec, 0).ok()?;
    Some((dt, y + 6))
}

/// `dmesg -H` absolute stamp: `[Dec30 15:17]` (util-linux prints `%b%d`);
/// `[Dec 30 15:17]` and `[Dec 3 15:17]` are taken too. Returns the stamp and
/// the index after `]`.
pub(crate) fn human_absolute(s: &[u8]) -> Option<(YearLess, usize)> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let month = month(s, 1)?;
    let at = one_space(s, 4);
    let n = digit_run(s, at);
    if !(1..=2).contains(&n) {
        return None;
    }
    let day = fixed_digits(s, at, n)?;
    let sp = at + n;
    if !(1..=31).contains(&day) || s.get(sp) != Some(&b' ') {
        return None;
    }
    let h = fixed_digits(s, sp + 1, 2)?;
    let m = fixed_digits(s, sp + 4, 2)?;
    if s[sp + 3] != b':' || s.get(sp + 6) != Some(&b']') || h > 23 || m > 59 {
        return None;
    }
    let t = YearLess {
        month,
        day: day as i8,
        hour: h as i8,
        minute: m as i8,
        second: 0,
        nanos: 0,
    };
    Some((t, sp + 7))
}

/// `dmesg -H` delta: `[  +0.000069]`, `[ +12.345678]`. Returns the delta
/// and the index after `]`.
pub(crate) fn human_delta(s: &[u8]) -> Option<(SignedDuration, usize)> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let plus = 1 + space_run(s, 1);
    if s.get(plus) != Some(&b'+') {
        return None;
    }
    let (secs, nanos, end) = seconds_dot(s, plus + 1)?;
    if s.get(end) != Some(&b']') {
        return None;
    }
    let secs = i64::try_from(secs).ok()?;
    Some((SignedDuration::new(secs, nanos), end + 1))
}

/// `digits.digits` at `at`: (whole seconds, nanoseconds, index after).
fn seconds_dot(s: &[u8], at: usize) -> Option<(u64, i32, usize)> {
    let n = digit_run(s, at);
    let secs = run_value(s, at, n)?;
    if s.get(at + n) != Some(&b'.') {
        return None;
    }
    let (nanos, f) = fraction_nanos(s, at + n + 1);
    if f == 0 {
        return None;
    }
    Some((secs, nanos, at + n + 1 + f))
}

/// printk stamp: `[ 1234.567890]` (any padding, at most 12 integer
/// digits). Returns seconds since boot and the index after `]`.
pub(crate) fn printk_stamp(s: &[u8]) -> Option<(f64, usize)> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let at = 1 + space_run(s, 1);
    let n = digit_run(s, at);
    if n == 0 || n > 12 || s.get(at + n) != Some(&b'.') {
        return None;
    }
    let f = digit_run(s, at + n + 1);
    if f == 0 || f > 9 || s.get(at + n + 1 + f) != Some(&b']') {
        return None;
    }
    let end = at + n + 1 + f;
    // The slice is ASCII digits and one dot; parsing it rounds correctly.
    let text = std::str::from_utf8(&s[at..end]).ok()?;
    Some((text.parse().ok()?, end + 1))
}

/// printk caller id: `[T123]`, `[ T9456]`, `[    C1]`. Returns the id
/// (`T9456`) as a range of `s` and the index after `]`.
pub(crate) fn caller_id(s: &[u8]) -> Option<(std::ops::Range<usize>, usize)> {
    if s.first() != Some(&b'[') {
        return None;
    }
    let at = 1 + space_run(s, 1);
    if !matches!(s.get(at), Some(b'T' | b'C')) {
        return None;
    }
    let n = digit_run(s, at + 1);
    if n == 0 || n > 10 || s.get(at + 1 + n) != Some(&b']') {
        return None;
    }
    Some((at..at + 1 + n, at + 2 + n))
}

/// A date-time `YYYY-MM-DD<sep>HH:MM:SS[.frac]` followed by an optional
/// zone (`Z`, `+01:00`, `+0100`), as RFC 3339 and its relatives print it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct IsoStamp {
    pub dt: DateTime,
    pub offset: Option<Offset>,
    /// The fraction was written with a comma (util-linux `dmesg` ISO).
    pub comma: bool,
    pub end: usize,
}

impl IsoStamp {
    /// The instant, reading a zone-less stamp in `tz`.
    pub fn timestamp(&self, tz: &TimeZone) -> Option<Timestamp> {
        match self.offset {
            Some(o) => o.to_timestamp(self.dt).ok(),
            None => tz.to_timestamp(self.dt).ok(),
        }
    }
}

/// See [`IsoStamp`]; `sep` is `T` for RFC 3339 and a space for Xen.
pub(crate) fn iso_stamp(s: &[u8], at: usize, sep: u8, zone: bool) -> Option<IsoStamp> {
    let year = fixed_digits(s, at, 4)?;
    let mon = fixed_digits(s, at + 5, 2)?;
    let day = fixed_digits(s, at + 8, 2)?;
    if s[at + 4] != b'-' || s[at + 7] != b'-' || s.get(at + 10) != Some(&sep) {
        return None;
    }
    let (h, m, sec) = hms(s, at + 11)?;
    let mut end = at + 19;
    let mut nanos = 0;
    let mut comma = false;
    if let Some(&c @ (b'.' | b',')) = s.get(end) {
        let (ns, n) = fraction_nanos(s, end + 1);
        if n == 0 {
            return None;
        }
        nanos = ns;
        comma = c == b',';
        end += 1 + n;
    }
    let dt = DateTime::new(year as i16, mon as i8, day as i8, h, m, sec, nanos).ok()?;
    let mut offset = None;
    if zone {
        match s.get(end) {
            Some(b'Z' | b'z') => {
                offset = Some(Offset::UTC);
                end += 1;
            }
            Some(&c @ (b'+' | b'-')) => {
                let oh = fixed_digits(s, end + 1, 2)?;
                let (om, len) = if s.get(end + 3) == Some(&b':') {
                    (fixed_digits(s, end + 4, 2)?, 6)
                } else {
                    (fixed_digits(s, end + 3, 2)?, 5)
                };
                if oh > 25 || om > 59 {
                    return None;
                }
                let secs = (oh * 3600 + om * 60) as i32;
                offset = Some(Offset::from_seconds(if c == b'-' { -secs } else { secs }).ok()?);
                end += len;
            }
            _ => {}
        }
    }
    Some(IsoStamp {
        dt,
        offset,
        comma,
        end,
    })
}

/// ESX 3 vmkernel uptime `43:07:27:51.725` (days:hours:minutes:seconds.ms)
/// at `at`. Returns seconds and the index after it.
pub(crate) fn esx_uptime(s: &[u8], at: usize) -> Option<(f64, usize)> {
    let dn = digit_run(s, at);
    let days = run_value(s, at, dn)?;
    if dn > 6 || s.get(at + dn) != Some(&b':') {
        return None;
    }
    let p = at + dn + 1;
    let (h, m, sec) = hms(s, p)?;
    if s.get(p + 8) != Some(&b'.') {
        return None;
    }
    let f = digit_run(s, p + 9);
    if f == 0 || f > 9 {
        return None;
    }
    let frac = run_value(s, p + 9, f)?;
    let whole = days * 86_400 + h as u64 * 3600 + m as u64 * 60 + sec as u64;
    let scale = 10u64.pow(f as u32);
    // One division of exact integers rounds correctly, so 51.725 stays 51.725.
    let units = whole.checked_mul(scale)?.checked_add(frac)?;
    Some((units as f64 / scale as f64, p + 9 + f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bsd_stamp_forms() {
        let (t, end) = bsd_stamp(b"Nov 20 22:14:03 host").unwrap();
        assert_eq!(
            (t.month, t.day, t.hour, t.minute, t.second),
            (11, 20, 22, 14, 3)
        );
        assert_eq!(end, 15);
        let (t, end) = bsd_stamp(b"Nov  2 01:02:03 h").unwrap();
        assert_eq!((t.day, end), (2, 15));
        let (t, end) = bsd_stamp(b"Jan 2 01:02:03.123456 h").unwrap();
        assert_eq!((t.day, t.nanos, end), (2, 123_456_000, 21));
        assert!(bsd_stamp(b"Nov 20 22:14").is_none());
        assert!(bsd_stamp(b"Nov 20 25:14:03 h").is_none());
        assert!(bsd_stamp(b"Nov 32 22:14:03 h").is_none());
        assert!(bsd_stamp(b"November 20 22:14:03").is_none());
        assert!(bsd_stamp(b"Nov 20 22:14:03x").is_none());
    }

    #[test]
    fn printk_and_caller() {
        assert_eq!(printk_stamp(b"[ 1234.567890] x"), Some((1234.56789, 14)));
        assert_eq!(printk_stamp(b"[12345.678901]"), Some((12345.678901, 14)));
        assert_eq!(printk_stamp(b"[    0.000000]"), Some((0.0, 14)));
        assert!(printk_stamp(b"[ 1234] x").is_none());
        assert!(printk_stamp(b"[ 12.] x").is_none());
        assert!(printk_stamp(b"[ 12.5 ] x").is_none());
        let s = b"[ T9456] BUG";
        let (r, end) = caller_id(s).unwrap();
        assert_eq!((&s[r], end), (&b"T9456"[..], 8));
        let s = b"[    C1]";
        let (r, _) = caller_id(s).unwrap();
        assert_eq!(&s[r], b"C1");
        assert!(caller_id(b"[ X12]").is_none());
        assert!(caller_id(b"[T]").is_none());
    }

    #[test]
    fn iso_forms() {
        let st = iso_stamp(b"2026-11-20T22:14:03.123456+01:00 h", 0, b'T', true).unwrap();
        assert_eq!(st.end, 32);
        assert_eq!(
            st.timestamp(&TimeZone::UTC).unwrap().to_string(),
            "2026-11-20T21:14:03.123456Z"
        );
        let st = iso_stamp(b"2026-11-22T01:15:29+0100", 0, b'T', true).unwrap();
        assert_eq!(
            st.timestamp(&TimeZone::UTC).unwrap().to_string(),
            "2026-11-22T00:15:29Z"
        );
        let st = iso_stamp(b"2026-11-22T01:15:29,5-02:30", 0, b'T', true).unwrap();
        assert!(st.comma);
        assert_eq!(
            st.timestamp(&TimeZone::UTC).unwrap().to_string(),
            "2026-11-22T03:45:29.5Z"
        );
        assert!(iso_stamp(b"2026-13-22T01:15:29Z", 0, b'T', true).is_none());
        assert!(iso_stamp(b"2026-11-22 01:15:29Z", 0, b'T', true).is_none());
        assert!(iso_stamp(b"2026-11-22T01:15", 0, b'T', true).is_none());
    }

    #[test]
    fn esx_uptime_exact() {
        let (u, end) = esx_uptime(b"43:07:27:51.725 cpu2", 0).unwrap();
        assert_eq!(u, 3_742_071.725);
        assert_eq!(end, 15);
        assert!(esx_uptime(b"43:07:27:51 cpu2", 0).is_none());
        assert!(esx_uptime(b"43:27:27:51.725", 0).is_none());
    }

    #[test]
    fn human_stamps() {
        let (t, end) = human_absolute(b"[Dec30 15:17] x").unwrap();
        assert_eq!(
            (t.month, t.day, t.hour, t.minute, end),
            (12, 30, 15, 17, 13)
        );
        assert!(human_absolute(b"[Dec 3 15:17]").is_some());
        assert!(human_absolute(b"[Dec30 15:17:00]").is_none());
        let (d, end) = human_delta(b"[  +0.000069] x").unwrap();
        assert_eq!((d, end), (SignedDuration::new(0, 69_000), 13));
        let (d, _) = human_delta(b"[ +12.345678]").unwrap();
        assert_eq!(d, SignedDuration::new(12, 345_678_000));
        assert!(human_delta(b"[  0.000069]").is_none());
    }

    #[test]
    fn ctime_form() {
        let (dt, end) = ctime_bracket(b"[Sun Nov 22 01:15:29 2026] x").unwrap();
        assert_eq!(dt.to_string(), "2026-11-22T01:15:29");
        assert_eq!(end, 26);
        let (dt, _) = ctime_bracket(b"[Mon Nov  2 01:15:29 2026]").unwrap();
        assert_eq!(dt.day(), 2);
        assert!(ctime_bracket(b"[Sun Nov 22 01:15:29]").is_none());
        assert!(ctime_bracket(b"[Xyz Nov 22 01:15:29 2026]").is_none());
    }
}
