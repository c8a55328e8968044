//! `faultline.toml`: the case's name, its time zone and its observation
//! window.
//!
//! Everything wrong in this file is fatal ([`CaseError`]) with the line and
//! column, because every other time in the case is read in the zone it
//! names: going on with a guessed zone would shift every civil time
//! silently. The one exception is a key this crate does not know, which is
//! reported as a [`Problem`] so that a newer case still loads.

use std::ops::Range;
use std::path::Path;

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use serde::Deserialize;
use toml::Spanned;

use crate::error::{CaseError, Problem};
use crate::time::{self, TimeParts};
use crate::{FILE_CONFIG, Window};

/// What `faultline.toml` says, with defaults applied.
pub(crate) struct Config {
    pub name: Option<String>,
    pub time_zone: TimeZone,
    pub time_zone_name: String,
    pub window: Option<Window>,
}

#[derive(Deserialize)]
struct RawConfig {
    name: Option<String>,
    time_zone: Option<Spanned<String>>,
    window: Option<Spanned<RawWindow>>,
}

#[derive(Deserialize)]
struct RawWindow {
    start: Spanned<toml::Value>,
    end: Spanned<toml::Value>,
}

const KNOWN_TOP: &[&str] = &["name", "time_zone", "window"];
const KNOWN_WINDOW: &[&str] = &["start", "end"];

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (u64, u64) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() as u64 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u64 + 1;
    (line, column)
}

/// Reads `faultline.toml`, or returns the defaults when there is none.
pub(crate) fn read(root: &Path, problems: &mut Vec<Problem>) -> Result<Config, CaseError> {
    let path = root.join(FILE_CONFIG);
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Config {
                name: None,
                time_zone: TimeZone::UTC,
                time_zone_name: "UTC".to_string(),
                window: None,
            });
        }
        Err(source) => return Err(CaseError::Unreadable { path, source }),
    };
    let invalid = |text: &str, span: Range<usize>, message: String| {
        let (line, column) = line_column(text, span.start);
        CaseError::InvalidConfig {
            path: path.clone(),
            line,
            column,
            message,
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(e) => {
            // The valid prefix is UTF-8 by definition; its end is the spot.
            let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
            let prefix = std::str::from_utf8(valid).unwrap_or_default();
            return Err(invalid(
                prefix,
                prefix.len()..prefix.len(),
                "not valid UTF-8 (TOML files are UTF-8)".to_string(),
            ));
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        invalid(
            text,
            e.span().unwrap_or(0..0),
            e.message().trim().to_string(),
        )
    })?;
    report_unknown_keys(text, problems);

    let (time_zone, time_zone_name) = match &raw.time_zone {
        None => (TimeZone::UTC, "UTC".to_string()),
        Some(spanned) => {
            let name = spanned.get_ref().trim();
            match TimeZone::get(name) {
                Ok(tz) => (tz, name.to_string()),
                Err(_) => {
                    let (line, column) = line_column(text, spanned.span().start);
                    return Err(CaseError::UnknownTimeZone {
                        path,
                        line,
                        column,
                        name: name.to_string(),
                    });
                }
            }
        }
    };

    let window = match &raw.window {
        None => None,
        Some(window) => {
            let window = window.get_ref();
            let start = window_time(&window.start, "start", &time_zone)
                .map_err(|m| invalid(text, window.start.span(), m))?;
            let end = window_time(&window.end, "end", &time_zone)
                .map_err(|m| invalid(text, window.end.span(), m))?;
            if end <= start {
                return Err(invalid(
                    text,
                    window.end.span(),
                    format!("window end {end} is not after its start {start}"),
                ));
            }
            Some(Window { start, end })
        }
    };

    let name = raw
        .name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    Ok(Config {
        name,
        time_zone,
        time_zone_name,
        window,
    })
}

/// A window bound: a TOML datetime or a string in one of the case's forms.
fn window_time(
    value: &Spanned<toml::Value>,
    which: &str,
    tz: &TimeZone,
) -> Result<Timestamp, String> {
    match value.get_ref() {
        toml::Value::String(s) => {
            time::parse_time(s, tz).map_err(|m| format!("window {which}: {m}"))
        }
        toml::Value::Datetime(dt) => {
            let parts = toml_parts(dt).map_err(|m| format!("window {which}: {m}"))?;
            time::to_timestamp(parts, tz).map_err(|m| format!("window {which}: {m}"))
        }
        other => Err(format!(
            "window {which} must be a date-time or a string, not a {}",
            other.type_str()
        )),
    }
}

/// The parts of a TOML datetime; a bare time of day names no instant.
fn toml_parts(dt: &toml::value::Datetime) -> Result<TimeParts, String> {
    let d = dt
        .date
        .ok_or_else(|| format!("{dt} is a time of day without a date"))?;
    let date = i16::try_from(d.year)
        .ok()
        .and_then(|y| Date::new(y, d.month as i8, d.day as i8).ok())
        .ok_or_else(|| format!("there is no date {dt}"))?;
    let time = match dt.time {
        None => None,
        Some(t) => Some(
            Time::new(
                t.hour as i8,
                t.minute as i8,
                // TOML allows a leap second (60); a case has no use for it
                // and jiff cannot hold it, so it is refused here.
                t.second.unwrap_or(0) as i8,
                t.nanosecond.unwrap_or(0) as i32,
            )
            .map_err(|_| format!("there is no time of day in {dt}"))?,
        ),
    };
    let offset = dt.offset.map(|o| match o {
        toml::value::Offset::Z => 0,
        toml::value::Offset::Custom { minutes } => i32::from(minutes) * 60,
    });
    Ok(TimeParts { date, time, offset })
}

/// Keys that this crate does not read are most likely typos (`timezone`
/// for `time_zone`); they are reported, not fatal.
fn report_unknown_keys(text: &str, problems: &mut Vec<Problem>) {
    let Ok(table) = toml::from_str::<toml::Table>(text) else {
        return;
    };
    for (key, value) in &table {
        if !KNOWN_TOP.contains(&key.as_str()) {
            problems.push(unknown_key(text, key, ""));
        } else if key == "window"
            && let toml::Value::Table(window) = value
        {
            for key in window.keys() {
                if !KNOWN_WINDOW.contains(&key.as_str()) {
                    problems.push(unknown_key(text, key, "window."));
                }
            }
        }
    }
}

/// A problem for an unknown key, on the first line that defines it (a
/// plain text search: good enough to point a reader at the spot, and the
/// line is left out when it cannot be found).
fn unknown_key(text: &str, key: &str, prefix: &str) -> Problem {
    let line = text.lines().position(|l| {
        let l = l.trim_start();
        let rest = l.strip_prefix(key).or_else(|| {
            l.strip_prefix('[')
                .and_then(|l| l.trim_start().strip_prefix(key))
        });
        rest.is_some_and(|r| {
            let r = r.trim_start();
            r.starts_with('=') || r.starts_with(']') || r.starts_with('.')
        })
    });
    let message = format!(
        "unknown key `{prefix}{key}` ignored (known: name, time_zone, [window] start, end)"
    );
    match line {
        Some(i) => Problem::at(FILE_CONFIG, i as u64 + 1, message),
        None => Problem::in_file(FILE_CONFIG, message),
    }
}
