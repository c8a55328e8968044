//! Reading the times written in a case: RFC 3339 with an offset, civil
//! date-times in the case's time zone, and bare dates (midnight).
//!
//! The parser is written out by hand rather than handed to a general
//! date parser so that only the documented forms are accepted (a stray
//! `2009-11-20T22` is a mistake, not an hour) and the message for a wrong
//! time can say what exactly is wrong.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::{Offset, TimeZone};

/// The pieces of a written time, before a zone turns them into an instant.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TimeParts {
    pub date: Date,
    /// `None` for a bare date, which means midnight.
    pub time: Option<Time>,
    /// Offset from UTC in seconds; `None` means "in the case's time zone".
    pub offset: Option<i32>,
}

/// What the forms are, for messages.
pub(crate) const FORMS: &str = "expected RFC 3339 (2009-11-20T22:14:03-05:00), \
     or YYYY-MM-DD[ HH:MM[:SS]] in the case's time zone";

/// Reads one time as written in a case file.
pub(crate) fn parse_time(text: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    let parts = parse_parts(text).map_err(|why| format!("bad time {text:?}: {why}"))?;
    to_timestamp(parts, tz).map_err(|why| format!("bad time {text:?}: {why}"))
}

/// Turns parsed parts into an instant. A civil time that falls into a
/// daylight-saving gap is moved forward by the gap and one that falls into
/// a fold takes the earlier instant (the "compatible" rule RFC 5545 and
/// most calendars use), so every civil time names exactly one instant.
pub(crate) fn to_timestamp(parts: TimeParts, tz: &TimeZone) -> Result<Timestamp, String> {
    let dt = DateTime::from_parts(parts.date, parts.time.unwrap_or(Time::midnight()));
    match parts.offset {
        Some(seconds) => {
            let offset = Offset::from_seconds(seconds).map_err(|e| e.to_string())?;
            offset.to_timestamp(dt).map_err(|e| e.to_string())
        }
        None => tz
            .to_ambiguous_timestamp(dt)
            .compatible()
            .map_err(|e| e.to_string()),
    }
}

/// A small cursor over the ASCII bytes of a time.
struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Cursor<'_> {
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// Exactly `n` decimal digits.
    fn digits(&mut self, n: usize, what: &str) -> Result<i32, String> {
        let end = self.pos + n;
        let slice = self
            .bytes
            .get(self.pos..end)
            .filter(|s| s.iter().all(u8::is_ascii_digit))
            .ok_or_else(|| format!("{what} must be {n} digits; {FORMS}"))?;
        self.pos = end;
        Ok(slice
            .iter()
            .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0')))
    }

    fn expect(&mut self, b: u8) -> Result<(), String> {
        if self.eat(b) {
            Ok(())
        } else {
            Err(FORMS.to_string())
        }
    }
}

/// Splits a written time into its parts without deciding its zone.
pub(crate) fn parse_parts(text: &str) -> Result<TimeParts, String> {
    let mut c = Cursor {
        bytes: text.trim().as_bytes(),
        pos: 0,
    };
    if c.bytes.is_empty() {
        return Err("empty".to_string());
    }
    let year = c.digits(4, "the year")?;
    c.expect(b'-')?;
    let month = c.digits(2, "the month")?;
    c.expect(b'-')?;
    let day = c.digits(2, "the day")?;
    // Ranges were checked by digit count, so these narrowing casts are exact.
    let date = Date::new(year as i16, month as i8, day as i8)
        .map_err(|_| format!("there is no date {year:04}-{month:02}-{day:02}"))?;
    if c.peek().is_none() {
        return Ok(TimeParts {
            date,
            time: None,
            offset: None,
        });
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return Err(FORMS.to_string());
    }
    let hour = c.digits(2, "the hour")?;
    c.expect(b':')?;
    let minute = c.digits(2, "the minute")?;
    let mut second = 0;
    let mut nanos = 0;
    if c.eat(b':') {
        second = c.digits(2, "the second")?;
        if c.eat(b'.') || c.eat(b',') {
            let start = c.pos;
            while c.peek().is_some_and(|b| b.is_ascii_digit()) {
                c.pos += 1;
            }
            let frac = &c.bytes[start..c.pos];
            if frac.is_empty() || frac.len() > 9 {
                return Err(format!("a fraction of a second has 1 to 9 digits; {FORMS}"));
            }
            let scale = 10i32.pow(9 - frac.len() as u32);
            nanos = frac
                .iter()
                .fold(0i32, |acc, d| acc * 10 + i32::from(d - b'0'))
                * scale;
        }
    }
    let time = Time::new(hour as i8, minute as i8, second as i8, nanos)
        .map_err(|_| format!("there is no time of day {hour:02}:{minute:02}:{second:02}"))?;
    // One space before the offset is tolerated: "2009-11-20 22:14:03 -05:00"
    // is what several tools print.
    let before_offset = c.pos;
    c.eat(b' ');
    let offset = match c.peek() {
        None if c.pos == before_offset => None,
        Some(b'Z' | b'z') => {
            c.pos += 1;
            Some(0)
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            let hours = c.digits(2, "the offset's hours")?;
            let minutes = if c.eat(b':') || c.peek().is_some_and(|b| b.is_ascii_digit()) {
                c.digits(2, "the offset's minutes")?
            } else {
                0
            };
            if hours > 25 || minutes > 59 {
                return Err(format!("offset {hours:02}:{minutes:02} is out of range"));
            }
            let seconds = hours * 3600 + minutes * 60;
            Some(if sign == b'-' { -seconds } else { seconds })
        }
        _ => return Err(FORMS.to_string()),
    };
    if c.peek().is_some() {
        return Err(FORMS.to_string());
    }
    Ok(TimeParts {
        date,
        time: Some(time),
        offset,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(text: &str) -> Result<String, String> {
        parse_time(text, &TimeZone::UTC).map(|t| t.to_string())
    }

    #[test]
    fn forms() {
        assert_eq!(
            utc("2009-11-20T22:14:03-05:00").unwrap(),
            "2009-11-21T03:14:03Z"
        );
        assert_eq!(utc("2009-11-20T22:14:03Z").unwrap(), "2009-11-20T22:14:03Z");
        assert_eq!(utc("2009-11-20 22:14").unwrap(), "2009-11-20T22:14:00Z");
        assert_eq!(utc("2009-11-20").unwrap(), "2009-11-20T00:00:00Z");
        assert_eq!(
            utc("2009-11-20T22:14:03.25+0130").unwrap(),
            "2009-11-20T20:44:03.25Z"
        );
        assert_eq!(
            utc("2009-11-20 22:14:03 +01").unwrap(),
            "2009-11-20T21:14:03Z"
        );
    }

    #[test]
    fn wrong_forms_say_why() {
        assert!(
            utc("2009-11-20T22")
                .unwrap_err()
                .contains("expected RFC 3339")
        );
        assert!(
            utc("2009-02-30")
                .unwrap_err()
                .contains("there is no date 2009-02-30")
        );
        assert!(
            utc("2009-11-20 24:10")
                .unwrap_err()
                .contains("no time of day 24:10:00")
        );
        assert!(utc("yesterday").unwrap_err().contains("the year must be 4"));
        assert!(utc("2009-11-20 22:14:03x").is_err());
        assert!(utc("2009-11-20 22:14:03.").is_err());
        assert!(utc("").unwrap_err().contains("empty"));
    }

    proptest::proptest! {
        #[test]
        fn any_text_is_read_or_refused_without_panic(text in "\\PC{0,40}") {
            let _ = parse_time(&text, &TimeZone::UTC);
        }

        #[test]
        fn near_misses_are_read_or_refused_without_panic(
            text in "[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}(:[0-9]{2}([.,][0-9]{0,12})?)?( ?(Z|[+-][0-9]{2}(:?[0-9]{2})?))?)?x?"
        ) {
            let _ = parse_time(&text, &TimeZone::UTC);
        }
    }
}
