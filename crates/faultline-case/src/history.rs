//! What happened over time: `placements.csv` (which guest ran on which
//! host when), `events.csv` (scheduled work and the machines it touched)
//! and `crashes.csv` (crashes known without a log).
//!
//! Each row is checked whole against the inventory before it is kept:
//! times, machine and host names, and scopes.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::error::Problem;
use crate::inventory::Fleet;
use crate::names::NameIndex;
use crate::table::{self, Row, Table};
use crate::time::parse_time;
use crate::{
    AttrValue, FILE_CRASHES, FILE_EVENTS, FILE_PLACEMENTS, KnownCrash, Machine, MachineKind,
    Placement, ScheduledEvent, Scope,
};

/// Reads a hand-written file and finds its required columns; `None` when
/// the file cannot be used (after reporting why).
fn open(
    root: &Path,
    file: &str,
    required: &[&str],
    problems: &mut Vec<Problem>,
) -> Option<(Table, Vec<usize>)> {
    let table = table::read(root, file, true, problems)?;
    let mut columns = Vec::new();
    for name in required {
        columns.push(table.required(name, problems)?);
    }
    Some((table, columns))
}

/// A required value of a row, or the problem of its absence.
fn value<'r>(row: &'r Row, column: usize, name: &str) -> Result<&'r str, String> {
    let v = row.get(Some(column));
    if v.is_empty() {
        Err(format!("missing {name}; row skipped"))
    } else {
        Ok(v)
    }
}

/// A required time of a row.
fn time(row: &Row, column: usize, name: &str, tz: &TimeZone) -> Result<Timestamp, String> {
    parse_time(value(row, column, name)?, tz).map_err(|m| format!("{name}: {m}; row skipped"))
}

/// An optional time (an empty value is `None`).
fn optional_time(
    row: &Row,
    column: Option<usize>,
    name: &str,
    tz: &TimeZone,
) -> Result<Option<Timestamp>, String> {
    match row.get(column) {
        "" => Ok(None),
        text => parse_time(text, tz)
            .map(Some)
            .map_err(|m| format!("{name}: {m}; row skipped")),
    }
}

/// Reads `placements.csv`; a host that is not in the inventory is added
/// to the fleet as an implied host.
pub(crate) fn placements(
    root: &Path,
    fleet: &mut Fleet,
    tz: &TimeZone,
    problems: &mut Vec<Problem>,
) -> Vec<Placement> {
    let file = FILE_PLACEMENTS;
    let Some((table, cols)) = open(root, file, &["machine", "host", "from"], problems) else {
        return Vec::new();
    };
    let to_col = table.column(&["to"]);
    let mut placements: Vec<Placement> = Vec::new();
    let mut by_machine: HashMap<usize, Vec<usize>> = HashMap::new();
    for row in &table.rows {
        let read = |fleet: &mut Fleet| -> Result<(usize, Placement), String> {
            let machine = value(row, cols[0], "machine")?;
            let host = value(row, cols[1], "host")?;
            let from = time(row, cols[2], "from", tz)?;
            let to = optional_time(row, to_col, "to", tz)?;
            if let Some(to) = to
                && to < from
            {
                return Err(format!(
                    "to {:?} is before from {:?}; row skipped",
                    row.get(to_col),
                    row.get(Some(cols[2]))
                ));
            }
            let (m, kind) = fleet.find(machine).ok_or_else(|| {
                format!("unknown machine {machine} (not in the inventory); row skipped")
            })?;
            if kind == Some(MachineKind::Host) {
                return Err(format!(
                    "{} is a host; placements say where guests run; row skipped",
                    fleet.name(m)
                ));
            }
            if fleet.find(host).is_some_and(|(h, _)| h == m) {
                return Err(format!(
                    "{} cannot run on itself; row skipped",
                    fleet.name(m)
                ));
            }
            let h = fleet
                .host_ref(host)
                .map_err(|why| format!("host {host}: {why}; row skipped"))?;
            Ok((
                m,
                Placement {
                    machine: fleet.name(m).to_string(),
                    host: fleet.name(h).to_string(),
                    from,
                    to,
                    file: file.to_string(),
                    line: row.line,
                },
            ))
        };
        let (m, placement) = match read(fleet) {
            Ok(read) => read,
            Err(message) => {
                problems.push(Problem::at(file, row.line, message));
                continue;
            }
        };
        // A guest is in one place at a time; of two rows that say
        // otherwise the later one is skipped.
        let earlier = by_machine.entry(m).or_default();
        let overlap = earlier.iter().map(|&i| &placements[i]).find(|p| {
            let ends_after =
                |end: Option<Timestamp>, start: Timestamp| end.is_none_or(|e| e > start);
            ends_after(p.to, placement.from) && ends_after(placement.to, p.from)
        });
        if let Some(other) = overlap {
            problems.push(Problem::at(
                file,
                row.line,
                format!(
                    "{} is already placed on {} at that time (line {}); row skipped",
                    placement.machine, other.host, other.line
                ),
            ));
            continue;
        }
        earlier.push(placements.len());
        placements.push(placement);
    }
    placements
}

/// Up to a few items of a list, for messages.
fn some_of<'a>(items: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<&str> = items.collect();
    let mut out = items.iter().take(8).copied().collect::<Vec<_>>().join(", ");
    if items.len() > 8 {
        out.push_str(", ...");
    }
    out
}

/// What the inventory offers to scopes, gathered once so that checking a
/// scope does not walk every machine.
struct ScopeCheck<'a> {
    machines: &'a [Machine],
    index: &'a NameIndex,
    /// Attribute name to its values: lowercase text, and numbers.
    values: HashMap<String, (BTreeSet<String>, Vec<f64>)>,
}

impl<'a> ScopeCheck<'a> {
    fn new(machines: &'a [Machine], index: &'a NameIndex) -> Self {
        let mut values: HashMap<String, (BTreeSet<String>, Vec<f64>)> = HashMap::new();
        let mut add = |key: &str, value: &AttrValue| {
            let entry = values.entry(key.to_string()).or_default();
            match value {
                AttrValue::Number(n) => entry.1.push(*n),
                AttrValue::Text(t) => {
                    entry.0.insert(t.trim().to_lowercase());
                }
            }
        };
        for m in machines {
            for (key, value) in &m.attributes {
                add(key, value);
            }
            add("kind", &AttrValue::Text(m.kind.to_string()));
            if let Some(host) = &m.host {
                add("host", &AttrValue::Text(host.clone()));
            }
            if m.kind == MachineKind::Host {
                add("host", &AttrValue::Text(m.name.clone()));
            }
        }
        // Sorted and deduplicated so that a lookup is a binary search even
        // for a large fleet.
        for (_, numbers) in values.values_mut() {
            numbers.sort_by(f64::total_cmp);
            numbers.dedup();
        }
        ScopeCheck {
            machines,
            index,
            values,
        }
    }

    fn canonical(&self, name: &str) -> Option<&'a str> {
        self.index
            .find(name)
            .map(|i| self.machines[i].name.as_str())
    }

    /// Reads a scope and checks that it names something in the inventory.
    fn parse(&self, text: &str) -> Result<Scope, String> {
        if text == "*" {
            return Ok(Scope::All);
        }
        let Some((name, value)) = text.split_once('=') else {
            return match self.canonical(text) {
                Some(name) => Ok(Scope::Machine(name.to_string())),
                None => Err(format!(
                    "scope names unknown machine {text} (use *, a machine, or attribute=value); row skipped"
                )),
            };
        };
        let (name, value) = (name.trim().to_lowercase(), value.trim().to_string());
        if name.is_empty() || value.is_empty() {
            return Err(format!(
                "scope {text:?}: expected attribute=value; row skipped"
            ));
        }
        let Some((texts, numbers)) = self.values.get(&name) else {
            let known: BTreeSet<&str> = self.values.keys().map(String::as_str).collect();
            return Err(format!(
                "scope {text} names unknown attribute `{name}` (known: {}); row skipped",
                some_of(known.into_iter())
            ));
        };
        let written = if name == "host" {
            self.canonical(&value).unwrap_or(&value).to_lowercase()
        } else {
            value.to_lowercase()
        };
        let number = table::parse_number(&value);
        let has_number =
            number.is_some_and(|n| numbers.binary_search_by(|x| x.total_cmp(&n)).is_ok());
        if !texts.contains(&written) && !has_number {
            let mut shown: Vec<String> = texts.iter().cloned().collect();
            shown.extend(numbers.iter().map(ToString::to_string));
            return Err(format!(
                "scope {text} matches no machine (values of {name}: {}); row skipped",
                some_of(shown.iter().map(String::as_str))
            ));
        }
        Ok(Scope::Attribute { name, value })
    }
}

/// Reads `events.csv`.
pub(crate) fn events(
    root: &Path,
    machines: &[Machine],
    index: &NameIndex,
    tz: &TimeZone,
    problems: &mut Vec<Problem>,
) -> Vec<ScheduledEvent> {
    let file = FILE_EVENTS;
    let Some((table, cols)) = open(root, file, &["start", "kind", "scope"], problems) else {
        return Vec::new();
    };
    let end_col = table.column(&["end"]);
    let check = ScopeCheck::new(machines, index);
    let mut events = Vec::new();
    for row in &table.rows {
        let read = || -> Result<ScheduledEvent, String> {
            let start = time(row, cols[0], "start", tz)?;
            let end = optional_time(row, end_col, "end", tz)?;
            if let Some(end) = end
                && end < start
            {
                return Err(format!(
                    "end {:?} is before start {:?}; row skipped",
                    row.get(end_col),
                    row.get(Some(cols[0]))
                ));
            }
            let kind = value(row, cols[1], "kind")?.to_string();
            let scope = row.get(Some(cols[2]));
            if scope.is_empty() {
                return Err("missing scope (use * for every machine); row skipped".to_string());
            }
            let scope = check.parse(scope)?;
            Ok(ScheduledEvent {
                start,
                end,
                kind,
                scope,
                file: file.to_string(),
                line: row.line,
            })
        };
        match read() {
            Ok(event) => events.push(event),
            Err(message) => problems.push(Problem::at(file, row.line, message)),
        }
    }
    events
}

/// Reads `crashes.csv`. A machine missing from the inventory is kept as
/// written: the crash happened whether or not the inventory lists it.
pub(crate) fn crashes(
    root: &Path,
    machines: &[Machine],
    index: &NameIndex,
    tz: &TimeZone,
    problems: &mut Vec<Problem>,
) -> Vec<KnownCrash> {
    let file = FILE_CRASHES;
    let Some((table, cols)) = open(root, file, &["machine", "time"], problems) else {
        return Vec::new();
    };
    let title_col = table.column(&["title"]);
    let mut crashes: Vec<KnownCrash> = Vec::new();
    let mut seen: HashMap<(String, Timestamp, String), u64> = HashMap::new();
    for row in &table.rows {
        let read = || -> Result<KnownCrash, String> {
            let machine = value(row, cols[0], "machine")?;
            let time = time(row, cols[1], "time", tz)?;
            let machine = index
                .find(machine)
                .map_or(machine, |i| machines[i].name.as_str());
            Ok(KnownCrash {
                machine: machine.to_string(),
                time,
                title: row.get(title_col).to_string(),
                file: file.to_string(),
                line: row.line,
            })
        };
        let crash = match read() {
            Ok(crash) => crash,
            Err(message) => {
                problems.push(Problem::at(file, row.line, message));
                continue;
            }
        };
        let key = (
            crash.machine.to_lowercase(),
            crash.time,
            crash.title.clone(),
        );
        if let Some(first) = seen.get(&key) {
            problems.push(Problem::at(
                file,
                row.line,
                format!("the same crash as line {first}; row skipped"),
            ));
            continue;
        }
        seen.insert(key, row.line);
        crashes.push(crash);
    }
    crashes
}
