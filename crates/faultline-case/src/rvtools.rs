//! RVTools exports: the vInfo (virtual machines), vHost (ESX hosts) and
//! vDisk (virtual disks) tabs of an `ExportAll2csv` folder, turned into
//! inventory records.
//!
//! `rvtools/` may hold one export, or one export per subfolder (one per
//! vCenter); disks are joined to machines within the same export only. A
//! tab is recognised by the end of its file name (`RVTools_tabvInfo.csv`,
//! `tabvInfo.csv` and `vInfo.csv` all are vInfo). Column names differ a
//! little between RVTools 3.x and 4.x (`Memory` in MB or MiB, `Path` or
//! `Disk Path` for the disk file), so each attribute lists the spellings
//! it accepts. Of the ninety-odd columns only the ones an analysis of
//! crashes uses become attributes; the rest would be noise in every test.
//! Templates are skipped: they never run, so they are not part of the
//! population that could crash.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::Problem;
use crate::inventory::{Record, drop_duplicates};
use crate::names::NameIndex;
use crate::table::{self, Row, Table};
use crate::{AttrValue, DIR_RVTOOLS, MachineKind};

/// vInfo columns that become attributes: attribute, accepted headers.
const VINFO_ATTRS: &[(&str, &[&str])] = &[
    ("vcpus", &["cpus", "num cpu", "numcpu"]),
    (
        "memory_mb",
        &[
            "memory",
            "memory mb",
            "memory (mb)",
            "memory mib",
            "memory size mib",
        ],
    ),
    ("cluster", &["cluster"]),
    ("datacenter", &["datacenter"]),
    ("powerstate", &["powerstate", "power state"]),
];

/// The guest OS: what VMware Tools reports is what runs, so it is
/// preferred; the configuration file's value is what was declared at
/// creation and is the fallback.
const OS_TOOLS: &[&str] = &["os according to the vmware tools"];
const OS_CONFIG: &[&str] = &["os according to the configuration file", "os"];

/// vHost columns that become attributes.
const VHOST_ATTRS: &[(&str, &[&str])] = &[
    ("cluster", &["cluster"]),
    ("datacenter", &["datacenter"]),
    ("cpu_model", &["cpu model"]),
    ("cpu_mhz", &["speed"]),
    ("cpu_sockets", &["# cpu"]),
    ("cores_per_cpu", &["cores per cpu"]),
    ("cores", &["# cores"]),
    ("memory_mb", &["# memory"]),
    ("esx_version", &["esx version"]),
    ("vendor", &["vendor"]),
    ("model", &["model"]),
];

const VM_NAME: &[&str] = &["vm", "vm name"];
const HOST_NAME: &[&str] = &["host", "host name"];
const VM_UUID: &[&str] = &["vm uuid", "uuid"];
/// The disk file as `[datastore] folder/file.vmdk`; 4.x has both columns
/// and the one that holds a bracketed datastore is used.
const DISK_PATH: &[&str] = &["path", "disk path"];

/// Reads every export under `rvtools/`.
pub(crate) fn read(root: &Path, problems: &mut Vec<Problem>) -> Vec<Record> {
    let mut records = Vec::new();
    export(root, DIR_RVTOOLS, problems, &mut records);
    records
}

/// Reads the export in one folder, then the exports in its subfolders.
fn export(root: &Path, dir: &str, problems: &mut Vec<Problem>, out: &mut Vec<Record>) {
    let entries = match std::fs::read_dir(root.join(dir)) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(Problem::in_file(dir, format!("cannot list: {e}")));
            return;
        }
    };
    let mut entries: Vec<(String, bool)> = entries
        .filter_map(Result::ok)
        .map(|e| {
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            (e.file_name().to_string_lossy().into_owned(), is_dir)
        })
        .collect();
    entries.sort();

    let mut tabs: [Option<String>; 3] = [None, None, None];
    let mut subdirs = Vec::new();
    for (name, is_dir) in entries {
        let rel = format!("{dir}/{name}");
        if is_dir {
            subdirs.push(rel);
            continue;
        }
        let lower = name.to_lowercase();
        let Some(tab) = ["vinfo.csv", "vhost.csv", "vdisk.csv"]
            .iter()
            .position(|suffix| lower.ends_with(suffix))
        else {
            continue;
        };
        match &tabs[tab] {
            None => tabs[tab] = Some(rel),
            Some(first) => problems.push(Problem::in_file(
                &rel,
                format!(
                    "a second {} tab in the same export (the first is {first}); ignored",
                    ["vInfo", "vHost", "vDisk"][tab]
                ),
            )),
        }
    }
    let [vinfo, vhost, vdisk] = tabs;

    if let Some(file) = vhost
        && let Some(table) = table::read(root, &file, false, problems)
    {
        out.extend(hosts(&table, problems));
    }
    match (vinfo, vdisk) {
        (Some(file), vdisk) => {
            let guests = table::read(root, &file, false, problems)
                .and_then(|table| guests(&table, problems));
            match (guests, vdisk) {
                (Some(mut guests), Some(vdisk)) => {
                    if let Some(disks) = table::read(root, &vdisk, false, problems) {
                        join_disks(&mut guests, &disks, problems);
                    }
                    out.extend(guests.records);
                }
                (Some(guests), None) => out.extend(guests.records),
                // Without the machines, every disk would be reported as
                // belonging to an unknown VM; one line says it better.
                (None, Some(vdisk)) => problems.push(Problem::in_file(
                    &vdisk,
                    format!("not joined: the vInfo tab {file} could not be used; ignored"),
                )),
                (None, None) => {}
            }
        }
        (None, Some(vdisk)) => problems.push(Problem::in_file(
            &vdisk,
            "a vDisk tab without a vInfo tab in the same folder; ignored",
        )),
        (None, None) => {}
    }
    for sub in subdirs {
        export(root, &sub, problems, out);
    }
}

/// The first of a list of accepted headers that the table has, reporting
/// the file as skipped when none is there.
fn required(table: &Table, names: &[&str], problems: &mut Vec<Problem>) -> Option<usize> {
    let found = table.column(names);
    if found.is_none() {
        problems.push(Problem::at(
            &table.file,
            table.header_line,
            format!("missing column `{}`; the file is skipped", names[0]),
        ));
    }
    found
}

/// The mapped attributes of one row, as text.
fn mapped(table: &Table, row: &Row, attrs: &[(&str, &[&str])]) -> BTreeMap<String, String> {
    attrs
        .iter()
        .filter_map(|(attr, headers)| {
            let v = row.get(table.column(headers));
            (!v.is_empty()).then(|| (attr.to_string(), v.to_string()))
        })
        .collect()
}

/// Records of one tab, typed per column.
fn typed(raw: Vec<(Record, BTreeMap<String, String>)>) -> Vec<Record> {
    let (records, attrs): (Vec<_>, Vec<_>) = raw.into_iter().unzip();
    records
        .into_iter()
        .zip(table::type_columns(attrs))
        .map(|(mut record, attributes)| {
            record.attributes = attributes;
            record
        })
        .collect()
}

fn record(table: &Table, row: &Row, name: &str, kind: MachineKind, host: Option<String>) -> Record {
    Record {
        name: name.to_string(),
        kind: Some(kind),
        host,
        attributes: BTreeMap::new(),
        file: table.file.clone(),
        line: row.line,
    }
}

/// The ESX hosts of a vHost tab.
fn hosts(table: &Table, problems: &mut Vec<Problem>) -> Vec<Record> {
    let Some(name_col) = required(table, HOST_NAME, problems) else {
        return Vec::new();
    };
    let mut raw = Vec::new();
    for row in &table.rows {
        let name = row.get(Some(name_col));
        if name.is_empty() {
            problems.push(Problem::at(
                &table.file,
                row.line,
                "missing host name; row skipped",
            ));
            continue;
        }
        let record = record(table, row, name, MachineKind::Host, None);
        raw.push((record, mapped(table, row, VHOST_ATTRS)));
    }
    let raw = drop_duplicates(
        raw,
        |(r, _)| (r.name.as_str(), r.line),
        &table.file,
        problems,
    );
    typed(raw)
}

/// The guests of a vInfo tab, with what the disk join needs.
struct Guests {
    records: Vec<Record>,
    /// Lowercase VM UUID of each record, when the tab has one.
    uuids: Vec<Option<String>>,
    /// Names and UUIDs of templates, whose disks are skipped quietly.
    templates: NameIndex,
    template_uuids: Vec<String>,
}

/// The guests of a vInfo tab; `None` when the tab cannot be used.
fn guests(table: &Table, problems: &mut Vec<Problem>) -> Option<Guests> {
    let mut out = Guests {
        records: Vec::new(),
        uuids: Vec::new(),
        templates: NameIndex::default(),
        template_uuids: Vec::new(),
    };
    let name_col = required(table, VM_NAME, problems)?;
    let host_col = table.column(&["host"]);
    let uuid_col = table.column(VM_UUID);
    let template_col = table.column(&["template"]);
    let (tools_col, config_col) = (table.column(OS_TOOLS), table.column(OS_CONFIG));
    let mut raw = Vec::new();
    for row in &table.rows {
        let name = row.get(Some(name_col));
        let uuid = Some(row.get(uuid_col).to_lowercase()).filter(|u| !u.is_empty());
        if name.is_empty() {
            problems.push(Problem::at(
                &table.file,
                row.line,
                "missing VM name; row skipped",
            ));
            continue;
        }
        if row.get(template_col).eq_ignore_ascii_case("true") {
            out.templates.insert(name, 0);
            out.template_uuids.extend(uuid);
            continue;
        }
        let host = Some(row.get(host_col).to_string()).filter(|h| !h.is_empty());
        let record = record(table, row, name, MachineKind::Guest, host);
        let mut attrs = mapped(table, row, VINFO_ATTRS);
        let os = Some(row.get(tools_col))
            .filter(|v| !v.is_empty())
            .unwrap_or(row.get(config_col));
        if !os.is_empty() {
            attrs.insert("os".to_string(), os.to_string());
        }
        raw.push(((record, attrs), uuid));
    }
    let raw = drop_duplicates(
        raw,
        |((r, _), _)| (r.name.as_str(), r.line),
        &table.file,
        problems,
    );
    let (raw, uuids): (Vec<_>, Vec<_>) = raw.into_iter().unzip();
    out.records = typed(raw);
    out.uuids = uuids;
    Some(out)
}

/// One disk of a guest.
struct Disk {
    /// The number in a label such as `Hard disk 2`, so disks sort as
    /// vSphere numbers them whatever the row order.
    number: u64,
    line: u64,
    datastore: String,
    thin: Option<bool>,
}

/// `datastore1` of `[datastore1] web01/web01.vmdk`.
fn datastore_of(path: &str) -> Option<&str> {
    let rest = path.trim().strip_prefix('[')?;
    let (datastore, _) = rest.split_once(']')?;
    Some(datastore.trim()).filter(|d| !d.is_empty())
}

/// Adds `datastore`, `datastores` and `thin` from a vDisk tab. A disk is
/// joined by VM UUID when both tabs have one, else by VM name.
fn join_disks(guests: &mut Guests, table: &Table, problems: &mut Vec<Problem>) {
    let Some(vm_col) = required(table, VM_NAME, problems) else {
        return;
    };
    let uuid_col = table.column(VM_UUID);
    let path_cols: Vec<usize> = DISK_PATH
        .iter()
        .filter_map(|h| table.column(&[h]))
        .collect();
    if path_cols.is_empty() {
        required(table, DISK_PATH, problems);
        return;
    }
    let label_col = table.column(&["disk"]);
    let thin_col = table.column(&["thin"]);

    let mut by_uuid: HashMap<&str, usize> = HashMap::new();
    for (i, uuid) in guests.uuids.iter().enumerate() {
        if let Some(uuid) = uuid {
            by_uuid.entry(uuid.as_str()).or_insert(i);
        }
    }
    let mut by_name = NameIndex::default();
    for (i, r) in guests.records.iter().enumerate() {
        by_name.insert(&r.name, i);
    }

    let mut disks: BTreeMap<usize, Vec<Disk>> = BTreeMap::new();
    for row in &table.rows {
        let vm = row.get(Some(vm_col));
        let uuid = row.get(uuid_col).to_lowercase();
        let guest = match by_uuid.get(uuid.as_str()) {
            Some(&i) if !uuid.is_empty() => Some(i),
            _ => by_name.find(vm),
        };
        let Some(guest) = guest else {
            let template = guests.templates.find(vm).is_some()
                || (!uuid.is_empty() && guests.template_uuids.contains(&uuid));
            if !template {
                problems.push(Problem::at(
                    &table.file,
                    row.line,
                    format!("disk of VM {vm:?}, which the vInfo tab does not list; row skipped"),
                ));
            }
            continue;
        };
        let path = path_cols
            .iter()
            .map(|&c| row.get(Some(c)))
            .find(|p| p.starts_with('['));
        let Some(datastore) = path.and_then(datastore_of) else {
            problems.push(Problem::at(
                &table.file,
                row.line,
                format!(
                    "disk of {vm} has no datastore path like \"[datastore] folder/disk.vmdk\" ({:?}); row skipped",
                    path.unwrap_or_else(|| row.get(Some(path_cols[0])))
                ),
            ));
            continue;
        };
        let thin = match row.get(thin_col).to_lowercase().as_str() {
            "" => None,
            "true" => Some(true),
            "false" => Some(false),
            other => {
                problems.push(Problem::at(
                    &table.file,
                    row.line,
                    format!("Thin is {other:?} (expected True or False); row skipped"),
                ));
                continue;
            }
        };
        let number = row
            .get(label_col)
            .rsplit(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or(u64::MAX);
        disks.entry(guest).or_default().push(Disk {
            number,
            line: row.line,
            datastore: datastore.to_string(),
            thin,
        });
    }

    for (guest, mut list) in disks {
        list.sort_by_key(|d| (d.number, d.line));
        let attrs = &mut guests.records[guest].attributes;
        let text = |s: &str| AttrValue::Text(s.to_string());
        attrs.insert("datastore".to_string(), text(&list[0].datastore));
        let mut all: Vec<&str> = Vec::new();
        for d in &list {
            if !all.contains(&d.datastore.as_str()) {
                all.push(&d.datastore);
            }
        }
        if all.len() > 1 {
            attrs.insert("datastores".to_string(), text(&all.join(",")));
        }
        let thin: Vec<bool> = list.iter().filter_map(|d| d.thin).collect();
        let thin = match (thin.iter().all(|&t| t), thin.iter().any(|&t| t)) {
            _ if thin.is_empty() => None,
            (true, _) => Some("true"),
            (false, true) => Some("mixed"),
            (false, false) => Some("false"),
        };
        if let Some(thin) = thin {
            attrs.insert("thin".to_string(), text(thin));
        }
    }
}
