//! libvirt domains: `virsh dumpxml` output saved as `libvirt/HOST/*.xml`,
//! the folder naming the host the domains run on (files directly in
//! `libvirt/` are domains whose host is not known).
//!
//! Only what an analysis of crashes compares is read: `vcpus` (the
//! `current` count when `<vcpu>` has one, else the configured count),
//! `memory_mb` (`<memory>` in MiB, whatever its unit), `machine_type`
//! (`<os><type machine=...>`), and of the first `<disk device='disk'>`:
//! `disk_format` (driver type, e.g. qcow2 or raw), `disk_on` (the disk's
//! type: `file`, `block`, or `network`/`volume`/... as libvirt writes it)
//! and `disk_source` (the file, device, network name or pool/volume).
//!
//! The XML is read as a stream of events rather than into typed structs so
//! that a syntax error can be reported on its line and elements libvirt
//! adds in newer versions are passed over without a word.

use std::collections::BTreeMap;
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use crate::error::Problem;
use crate::inventory::Record;
use crate::names::NameIndex;
use crate::table;
use crate::{AttrValue, DIR_LIBVIRT, MachineKind};

/// Reads every domain file under `libvirt/`.
pub(crate) fn read(root: &Path, problems: &mut Vec<Problem>) -> Vec<Record> {
    let mut records = Vec::new();
    let mut files: Vec<(Option<String>, String)> = Vec::new();
    let list = |dir: &str, problems: &mut Vec<Problem>| -> Vec<(String, bool)> {
        match std::fs::read_dir(root.join(dir)) {
            Ok(entries) => {
                let mut entries: Vec<(String, bool)> = entries
                    .filter_map(Result::ok)
                    .map(|e| {
                        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
                        (e.file_name().to_string_lossy().into_owned(), is_dir)
                    })
                    .collect();
                entries.sort();
                entries
            }
            Err(e) => {
                problems.push(Problem::in_file(dir, format!("cannot list: {e}")));
                Vec::new()
            }
        }
    };
    let is_xml = |name: &str| name.to_lowercase().ends_with(".xml");
    for (name, is_dir) in list(DIR_LIBVIRT, problems) {
        let rel = format!("{DIR_LIBVIRT}/{name}");
        if !is_dir {
            if is_xml(&name) {
                files.push((None, rel));
            }
            continue;
        }
        for (file, is_dir) in list(&rel, problems) {
            if !is_dir && is_xml(&file) {
                files.push((Some(name.clone()), format!("{rel}/{file}")));
            }
        }
    }
    for (host, file) in files {
        let bytes = match std::fs::read(root.join(&file)) {
            Ok(bytes) => bytes,
            Err(e) => {
                problems.push(Problem::in_file(&file, format!("cannot read: {e}")));
                continue;
            }
        };
        match domain(&table::decode(&bytes)) {
            Ok(domain) => records.push(domain.into_record(host, file)),
            Err((line, message)) => problems.push(Problem::at(&file, line, message)),
        }
    }
    // The same domain saved twice (say, once under each host it migrated
    // between) cannot be told apart; the first file is kept.
    let mut index = NameIndex::default();
    let mut kept: Vec<Record> = Vec::with_capacity(records.len());
    for record in records {
        if let Some(first) = index.find(&record.name) {
            problems.push(Problem::at(
                &record.file,
                record.line,
                format!(
                    "domain {} is also in {}; this file is skipped",
                    record.name, kept[first].file
                ),
            ));
            continue;
        }
        index.insert(&record.name, kept.len());
        kept.push(record);
    }
    kept
}

/// What one domain file says.
#[derive(Default)]
struct Domain {
    line: u64,
    name: String,
    attributes: BTreeMap<String, AttrValue>,
}

impl Domain {
    fn into_record(self, host: Option<String>, file: String) -> Record {
        Record {
            name: self.name,
            kind: Some(MachineKind::Guest),
            host,
            attributes: self.attributes,
            file,
            line: self.line,
        }
    }
}

/// MiB per unit of `<memory unit=...>`, per libvirt's documented units
/// (`KB` is 1000 bytes, `KiB` and `k` are 1024; the default is KiB).
fn mib_per(unit: &str) -> Option<f64> {
    const MIB: f64 = 1024.0 * 1024.0;
    let bytes = match unit.to_lowercase().as_str() {
        "b" | "bytes" => 1.0,
        "kb" => 1e3,
        "" | "k" | "kib" => 1024.0,
        "mb" => 1e6,
        "m" | "mib" => MIB,
        "gb" => 1e9,
        "g" | "gib" => MIB * 1024.0,
        "tb" => 1e12,
        "t" | "tib" => MIB * 1024.0 * 1024.0,
        _ => return None,
    };
    Some(bytes / MIB)
}

/// The value of an attribute of an element, if it has it.
fn attr(e: &BytesStart, name: &str) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        if a.key.into_inner() == name {
            let v = a
                .normalized_value(quick_xml::XmlVersion::default())
                .map_err(|e| format!("bad value of attribute {name}: {e}"))?;
            return Ok(Some(v.trim().to_string()));
        }
    }
    Ok(None)
}

/// 1-based line of a byte offset.
fn line_at(text: &str, offset: u64) -> u64 {
    let offset = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(text.len());
    text.as_bytes()[..offset]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64
        + 1
}

/// The elements whose text is wanted.
#[derive(Clone, Copy, PartialEq)]
enum Wanted {
    Name,
    Memory,
    Vcpu,
}

/// The state of reading one domain document.
#[derive(Default)]
struct Parser {
    /// Names of the open elements, outermost first.
    path: Vec<String>,
    /// The element whose text is being gathered, and the text so far.
    wanted: Option<(Wanted, String)>,
    name: Option<String>,
    memory: Option<String>,
    memory_unit: Option<String>,
    vcpu: Option<String>,
    vcpu_current: Option<String>,
    /// Inside the first `<disk device='disk'>`.
    in_disk: bool,
    /// The first disk has been read; later ones are not.
    disk_done: bool,
    dom: Domain,
}

impl Parser {
    /// Enters an element and reads the attributes that matter.
    fn open(&mut self, e: &BytesStart) -> Result<(), String> {
        self.path.push(e.name().into_inner().to_string());
        let p: Vec<&str> = self.path.iter().map(String::as_str).collect();
        let mut set = |key: &str, value: String| {
            self.dom
                .attributes
                .insert(key.to_string(), AttrValue::Text(value));
        };
        match p.as_slice() {
            ["domain", "name"] => self.wanted = Some((Wanted::Name, String::new())),
            ["domain", "memory"] => {
                self.wanted = Some((Wanted::Memory, String::new()));
                self.memory_unit = attr(e, "unit")?;
            }
            ["domain", "vcpu"] => {
                self.wanted = Some((Wanted::Vcpu, String::new()));
                self.vcpu_current = attr(e, "current")?;
            }
            ["domain", "os", "type"] => {
                if let Some(m) = attr(e, "machine")? {
                    set("machine_type", m);
                }
            }
            ["domain", "devices", "disk"] if !self.disk_done => {
                // A disk without `device` is a disk; cdroms and floppies
                // say what they are.
                let device = attr(e, "device")?;
                if device.is_none_or(|d| d == "disk") {
                    self.in_disk = true;
                    set(
                        "disk_on",
                        attr(e, "type")?.unwrap_or_else(|| "file".to_string()),
                    );
                }
            }
            ["domain", "devices", "disk", "driver"] if self.in_disk => {
                if let Some(t) = attr(e, "type")? {
                    set("disk_format", t);
                }
            }
            ["domain", "devices", "disk", "source"] if self.in_disk => {
                let pool_volume = match (attr(e, "pool")?, attr(e, "volume")?) {
                    (Some(p), Some(v)) => Some(format!("{p}/{v}")),
                    _ => None,
                };
                let source = attr(e, "file")?
                    .or(attr(e, "dev")?)
                    .or(attr(e, "name")?)
                    .or(pool_volume)
                    .or(attr(e, "dir")?)
                    .filter(|s| !s.is_empty());
                if let Some(source) = source {
                    set("disk_source", source);
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Leaves the current element, keeping the text it had if wanted.
    fn close(&mut self) {
        if self.path.len() == 2
            && let Some((wanted, text)) = self.wanted.take()
        {
            let text = Some(text.trim().to_string());
            match wanted {
                Wanted::Name => self.name = text,
                Wanted::Memory => self.memory = text,
                Wanted::Vcpu => self.vcpu = text,
            }
        }
        if self.path.len() == 3 && self.in_disk {
            self.in_disk = false;
            self.disk_done = true;
        }
        self.path.pop();
    }

    fn text(&mut self, text: &str) {
        if let Some((_, buf)) = &mut self.wanted {
            buf.push_str(text);
        }
    }

    /// The domain, once the document has been read.
    fn finish(mut self) -> Result<Domain, String> {
        let name = self.name.take().filter(|n| !n.is_empty());
        self.dom.name = name.ok_or("the domain has no <name>")?;
        let count = |text: &str, what: &str| {
            text.trim()
                .parse::<u32>()
                .map_err(|_| format!("<vcpu> {what} {text:?} is not a whole number"))
        };
        if let Some(v) = &self.vcpu {
            let configured = count(v, "count")?;
            let current = self
                .vcpu_current
                .as_deref()
                .map(|c| count(c, "current"))
                .transpose()?;
            let n = current.unwrap_or(configured);
            self.dom
                .attributes
                .insert("vcpus".to_string(), AttrValue::Number(f64::from(n)));
        }
        if let Some(m) = &self.memory {
            let unit = self.memory_unit.clone().unwrap_or_default();
            let per = mib_per(&unit).ok_or_else(|| format!("unknown <memory> unit {unit:?}"))?;
            let amount = m
                .trim()
                .parse::<u64>()
                .map_err(|_| format!("<memory> {m:?} is not a whole number"))?;
            self.dom.attributes.insert(
                "memory_mb".to_string(),
                AttrValue::Number(amount as f64 * per),
            );
        }
        Ok(self.dom)
    }
}

/// Reads one domain document. Errors carry the line to report.
fn domain(text: &str) -> Result<Domain, (u64, String)> {
    let mut reader = Reader::from_str(text);
    let mut parser = Parser::default();
    let mut seen_root = false;
    loop {
        let at = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            (
                line_at(text, reader.error_position()),
                format!("not well-formed XML: {e}; the file is skipped"),
            )
        })?;
        // The position before an event may sit at the end of the previous
        // line; the event's own line is where its `<` is.
        let line = || {
            let from = usize::try_from(at).unwrap_or(usize::MAX).min(text.len());
            let lt = text
                .get(from..)
                .and_then(|rest| rest.find('<'))
                .map_or(from, |i| from + i);
            line_at(text, lt as u64)
        };
        let fail = |m: String| (line(), format!("{m}; the file is skipped"));
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                if parser.path.is_empty() {
                    let tag = e.name().into_inner();
                    if seen_root {
                        return Err(fail("more than one root element".to_string()));
                    }
                    if tag != "domain" {
                        return Err(fail(format!(
                            "not a libvirt domain (the root element is <{tag}>, expected <domain>)"
                        )));
                    }
                    seen_root = true;
                    parser.dom.line = line();
                }
                parser.open(e).map_err(fail)?;
                if matches!(event, Event::Empty(_)) {
                    parser.close();
                }
            }
            Event::End(_) => parser.close(),
            Event::Text(t) => parser.text(&t.xml10_content()),
            Event::CData(t) => parser.text(&t.xml10_content()),
            Event::GeneralRef(r) if parser.wanted.is_some() => {
                let name = r.xml10_content();
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    Ok(None) => {
                        quick_xml::escape::resolve_predefined_entity(&name).map(str::to_string)
                    }
                    Err(_) => None,
                };
                let resolved = resolved.ok_or_else(|| fail(format!("unknown entity &{name};")))?;
                parser.text(&resolved);
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !seen_root {
        return Err((
            1,
            "no XML element in the file; the file is skipped".to_string(),
        ));
    }
    let line = parser.dom.line;
    parser
        .finish()
        .map_err(|m| (line, format!("{m}; the file is skipped")))
}
