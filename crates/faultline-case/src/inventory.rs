//! The inventory: reading `inventory.csv` and `inventory.json`, and the
//! [`Fleet`] that merges the records of every inventory source (these two,
//! RVTools, libvirt) into one list of machines and adds the implied hosts.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::Value;

use crate::error::Problem;
use crate::names::NameIndex;
use crate::table::{self, Table};
use crate::{AttrValue, FILE_INVENTORY_CSV, FILE_INVENTORY_JSON, Machine, MachineKind};

/// One machine as one source describes it.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub name: String,
    /// `None` when the source does not say.
    pub kind: Option<MachineKind>,
    pub host: Option<String>,
    pub attributes: BTreeMap<String, AttrValue>,
    pub file: String,
    pub line: u64,
}

/// Columns with a meaning of their own; every other column is an attribute.
const RESERVED: &[&str] = &["name", "kind", "host"];

/// Reads a `kind` value; empty means the source does not say.
fn parse_kind(text: &str) -> Result<Option<MachineKind>, String> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "host" => Ok(Some(MachineKind::Host)),
        "guest" => Ok(Some(MachineKind::Guest)),
        _ => Err(format!("unknown kind {text:?} (expected host or guest)")),
    }
}

/// Drops the records of one file whose name is already taken by an earlier
/// record of the same file (matched as names are matched everywhere).
pub(crate) fn drop_duplicates<T>(
    items: Vec<T>,
    name_line: impl Fn(&T) -> (&str, u64),
    file: &str,
    problems: &mut Vec<Problem>,
) -> Vec<T> {
    let mut index = NameIndex::default();
    let mut lines = Vec::new();
    let mut kept = Vec::with_capacity(items.len());
    for item in items {
        let (name, line) = name_line(&item);
        if let Some(first) = index.find(name) {
            problems.push(Problem::at(
                file,
                line,
                format!(
                    "duplicate machine {name} (first on line {}); row skipped",
                    lines[first]
                ),
            ));
            continue;
        }
        index.insert(name, lines.len());
        lines.push(line);
        kept.push(item);
    }
    kept
}

/// Reads `inventory.csv`.
pub(crate) fn read_csv(root: &Path, problems: &mut Vec<Problem>) -> Vec<Record> {
    let Some(table) = table::read(root, FILE_INVENTORY_CSV, true, problems) else {
        return Vec::new();
    };
    records_from_table(&table, problems)
}

/// The records of a table with `name`, `kind`, `host` and attribute
/// columns.
fn records_from_table(table: &Table, problems: &mut Vec<Problem>) -> Vec<Record> {
    let file = table.file.as_str();
    let Some(name_col) = table.required("name", problems) else {
        return Vec::new();
    };
    let kind_col = table.column(&["kind"]);
    let host_col = table.column(&["host"]);
    let attr_cols: Vec<(usize, &String)> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_empty() && !RESERVED.contains(&c.as_str()))
        .collect();

    let mut raw = Vec::new();
    for row in &table.rows {
        let name = row.get(Some(name_col));
        if name.is_empty() {
            problems.push(Problem::at(file, row.line, "missing name; row skipped"));
            continue;
        }
        let kind = match parse_kind(row.get(kind_col)) {
            Ok(kind) => kind,
            Err(message) => {
                problems.push(Problem::at(
                    file,
                    row.line,
                    format!("{message}; row skipped"),
                ));
                continue;
            }
        };
        let host = Some(row.get(host_col).to_string()).filter(|h| !h.is_empty());
        if host
            .as_deref()
            .is_some_and(|h| h.eq_ignore_ascii_case(name))
        {
            problems.push(Problem::at(
                file,
                row.line,
                format!("machine {name} names itself as its host; row skipped"),
            ));
            continue;
        }
        let attributes: BTreeMap<String, String> = attr_cols
            .iter()
            .map(|&(c, column)| (column.clone(), row.get(Some(c)).to_string()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        raw.push((name.to_string(), kind, host, attributes, row.line));
    }
    let raw = drop_duplicates(raw, |r| (r.0.as_str(), r.4), file, problems);
    let (rest, attributes): (Vec<_>, Vec<_>) = raw
        .into_iter()
        .map(|(name, kind, host, attrs, line)| ((name, kind, host, line), attrs))
        .unzip();
    rest.into_iter()
        .zip(table::type_columns(attributes))
        .map(|((name, kind, host, line), attributes)| Record {
            name,
            kind,
            host,
            attributes,
            file: file.to_string(),
            line,
        })
        .collect()
}

/// Reads `inventory.json`: an array of objects with the keys of
/// `inventory.csv`. JSON numbers are numbers, strings are text, booleans
/// are the text `true`/`false`, `null` is absent.
pub(crate) fn read_json(root: &Path, problems: &mut Vec<Problem>) -> Vec<Record> {
    let file = FILE_INVENTORY_JSON;
    let bytes = match std::fs::read(root.join(file)) {
        Ok(bytes) => bytes,
        Err(e) => {
            problems.push(Problem::in_file(file, format!("cannot read: {e}")));
            return Vec::new();
        }
    };
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    // The whole file is parsed first: a syntax error anywhere makes every
    // object uncertain, so the file is skipped rather than half-read.
    let value: Value = match serde_json::from_slice(bytes) {
        Ok(value) => value,
        Err(e) => {
            let line = (e.line() as u64).max(1);
            problems.push(Problem::at(
                file,
                line,
                format!("invalid JSON: {e}; the file is skipped"),
            ));
            return Vec::new();
        }
    };
    let Value::Array(items) = value else {
        problems.push(Problem::at(
            file,
            1,
            "expected an array of objects; the file is skipped",
        ));
        return Vec::new();
    };
    let lines = element_lines(bytes, items.len());

    let mut records = Vec::new();
    for (item, line) in items.into_iter().zip(lines) {
        match json_record(item, line) {
            Ok(record) => records.push(record),
            Err(message) => problems.push(Problem::at(file, line, message)),
        }
    }
    drop_duplicates(records, |r| (r.name.as_str(), r.line), file, problems)
}

/// One object of `inventory.json`.
fn json_record(item: Value, line: u64) -> Result<Record, String> {
    let Value::Object(object) = item else {
        return Err("expected an object; skipped".to_string());
    };
    let mut name = None;
    let mut kind = None;
    let mut host = None;
    let mut attributes = BTreeMap::new();
    for (key, value) in object {
        let key = key.trim().to_lowercase();
        let value = match value {
            Value::Null => continue,
            Value::Number(n) => match n.as_f64() {
                Some(n) if n.is_finite() => AttrValue::Number(n),
                _ => return Err(format!("`{key}`: number {n} is out of range; skipped")),
            },
            Value::String(s) if s.trim().is_empty() => continue,
            Value::String(s) => AttrValue::Text(s.trim().to_string()),
            Value::Bool(b) => AttrValue::Text(b.to_string()),
            Value::Array(_) | Value::Object(_) => {
                return Err(format!(
                    "`{key}` must be a number or a string, not a list or object; skipped"
                ));
            }
        };
        let text = || match &value {
            AttrValue::Text(t) => Ok(t.clone()),
            AttrValue::Number(_) => Err(format!("`{key}` must be a string; skipped")),
        };
        match key.as_str() {
            "" => return Err("an empty key; skipped".to_string()),
            "name" => name = Some(text()?),
            "kind" => kind = parse_kind(&text()?).map_err(|m| format!("{m}; skipped"))?,
            "host" => host = Some(text()?),
            _ => {
                if attributes.insert(key.clone(), value).is_some() {
                    return Err(format!("key `{key}` appears twice; skipped"));
                }
            }
        }
    }
    let name = name.ok_or("missing name; skipped")?;
    if host
        .as_deref()
        .is_some_and(|h| h.eq_ignore_ascii_case(&name))
    {
        return Err(format!("machine {name} names itself as its host; skipped"));
    }
    Ok(Record {
        name,
        kind,
        host,
        attributes,
        file: FILE_INVENTORY_JSON.to_string(),
        line,
    })
}

/// The line on which each element of a top-level JSON array starts. The
/// document is known to be valid, so a scan that skips strings and counts
/// nesting finds every element start.
fn element_lines(bytes: &[u8], count: usize) -> Vec<u64> {
    let mut lines = Vec::with_capacity(count);
    let mut line = 1u64;
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let mut expect_element = false;
    for &b in bytes {
        if b == b'\n' {
            line += 1;
        }
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        if b.is_ascii_whitespace() {
            continue;
        }
        if expect_element && b != b']' {
            lines.push(line);
            expect_element = false;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth == 1 {
                    expect_element = true;
                }
            }
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                expect_element = false;
            }
            b',' if depth == 1 => expect_element = true,
            _ => {}
        }
    }
    // Every element was found unless the scan disagrees with the parser;
    // fall back to line 1 rather than losing an element.
    lines.resize(count, 1);
    lines
}

/// Whether two written names are the same machine's, as far as can be
/// told without an inventory (used for conflicts between host values).
fn same_name(a: &str, b: &str) -> bool {
    let mut index = NameIndex::default();
    index.insert(a, 0);
    index.find(b).is_some()
}

/// The machines of every inventory source, being merged.
#[derive(Default)]
pub(crate) struct Fleet {
    machines: Vec<Machine>,
    /// Stated kind of each machine; `None` until a source states one.
    kinds: Vec<Option<MachineKind>>,
    /// Where each machine's kind and host came from (`file:line`).
    kind_origin: Vec<String>,
    host_origin: Vec<(String, u64)>,
    /// Where each attribute came from (`file:line`).
    attr_origin: Vec<BTreeMap<String, String>>,
    index: NameIndex,
}

impl Fleet {
    /// Adds one source's record: a new machine, or more about a known one.
    pub fn add(&mut self, record: Record, problems: &mut Vec<Problem>) {
        let here = format!("{}:{}", record.file, record.line);
        let Some(at) = self.index.find(&record.name) else {
            let at = self.machines.len();
            self.index.insert(&record.name, at);
            self.kinds.push(record.kind);
            self.kind_origin.push(here.clone());
            self.host_origin.push((record.file.clone(), record.line));
            self.attr_origin.push(
                record
                    .attributes
                    .keys()
                    .map(|k| (k.clone(), here.clone()))
                    .collect(),
            );
            self.machines.push(Machine {
                name: record.name,
                kind: MachineKind::Guest,
                host: record.host,
                attributes: record.attributes,
                source: record.file,
            });
            return;
        };
        let name = self.machines[at].name.clone();
        let conflict =
            |what: &str, old: &dyn std::fmt::Display, origin: &str, new: &dyn std::fmt::Display| {
                Problem::at(
                    &record.file,
                    record.line,
                    format!(
                        "machine {name}: {what} is {new} here but {old} in {origin}; keeping {old}"
                    ),
                )
            };
        match (self.kinds[at], record.kind) {
            (None, Some(kind)) => {
                self.kinds[at] = Some(kind);
                self.kind_origin[at] = here.clone();
            }
            (Some(old), Some(new)) if old != new => {
                problems.push(conflict("kind", &old, &self.kind_origin[at], &new));
            }
            _ => {}
        }
        match (&self.machines[at].host, record.host) {
            (None, Some(host)) => {
                self.machines[at].host = Some(host);
                self.host_origin[at] = (record.file.clone(), record.line);
            }
            (Some(old), Some(new)) if !same_name(old, &new) => {
                let (file, line) = &self.host_origin[at];
                problems.push(conflict("host", old, &format!("{file}:{line}"), &new));
            }
            _ => {}
        }
        for (key, value) in record.attributes {
            match self.machines[at].attributes.get(&key) {
                None => {
                    self.attr_origin[at].insert(key.clone(), here.clone());
                    self.machines[at].attributes.insert(key, value);
                }
                Some(old) if !old.same_as(&value) => {
                    problems.push(conflict(&key, old, &self.attr_origin[at][&key], &value));
                }
                Some(_) => {}
            }
        }
        let machine = &mut self.machines[at];
        if !machine.source.split(", ").any(|s| s == record.file) {
            machine.source.push_str(", ");
            machine.source.push_str(&record.file);
        }
    }

    /// The machine a reference names as a host: a known machine, which
    /// becomes a host unless a source says it is a guest, or a new implied
    /// host. Errors name why the reference cannot be a host.
    pub fn host_ref(&mut self, name: &str) -> Result<usize, String> {
        match self.index.find(name) {
            Some(at) if self.kinds[at] == Some(MachineKind::Guest) => Err(format!(
                "{} is a guest (kind guest in {}), not a host",
                self.machines[at].name, self.kind_origin[at]
            )),
            Some(at) => {
                self.kinds[at] = Some(MachineKind::Host);
                Ok(at)
            }
            None => {
                let at = self.machines.len();
                self.index.insert(name, at);
                self.kinds.push(Some(MachineKind::Host));
                self.kind_origin.push("implied".to_string());
                self.host_origin.push(("implied".to_string(), 0));
                self.attr_origin.push(BTreeMap::new());
                self.machines.push(Machine {
                    name: name.to_string(),
                    kind: MachineKind::Host,
                    host: None,
                    attributes: BTreeMap::new(),
                    source: "implied".to_string(),
                });
                Ok(at)
            }
        }
    }

    /// Turns every machine's `host` into the canonical name of a host
    /// machine, adding implied hosts; a host that cannot be one is dropped
    /// with a problem on the line that gave it.
    pub fn link_hosts(&mut self, problems: &mut Vec<Problem>) {
        for at in 0..self.machines.len() {
            let Some(host) = self.machines[at].host.clone() else {
                continue;
            };
            let (file, line) = self.host_origin[at].clone();
            let name = self.machines[at].name.clone();
            let linked = match self.index.find(&host) {
                Some(h) if h == at => Err(format!("names itself as its host ({host})")),
                _ => self
                    .host_ref(&host)
                    .map_err(|why| format!("host {host}: {why}")),
            };
            match linked {
                Ok(h) => self.machines[at].host = Some(self.machines[h].name.clone()),
                Err(why) => {
                    problems.push(Problem::at(
                        &file,
                        line,
                        format!("machine {name} {why}; the host is not used"),
                    ));
                    self.machines[at].host = None;
                }
            }
        }
    }

    /// The position and stated kind of a machine by name.
    pub fn find(&self, name: &str) -> Option<(usize, Option<MachineKind>)> {
        self.index.find(name).map(|at| (at, self.kinds[at]))
    }

    pub fn name(&self, at: usize) -> &str {
        &self.machines[at].name
    }

    /// The final machines, each kind settled (a machine no source called a
    /// host and nothing runs on is a guest), and the name index over them.
    pub fn finish(mut self) -> (Vec<Machine>, NameIndex) {
        for (machine, kind) in self.machines.iter_mut().zip(&self.kinds) {
            machine.kind = kind.unwrap_or(MachineKind::Guest);
        }
        (self.machines, self.index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_element_lines() {
        let text = br#"[
  {"name": "a", "note": "has ] and , and { in it"},
  {"name": "b",
   "list": [1, 2]},

  3
]"#;
        assert_eq!(element_lines(text, 3), vec![2, 3, 6]);
        assert_eq!(element_lines(b"[]", 0), Vec::<u64>::new());
        assert_eq!(element_lines(b"[{\"name\":\"x\\\"]\"}]", 1), vec![1]);
    }
}
