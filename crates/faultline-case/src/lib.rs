//! The case: a folder that holds everything faultline knows about one
//! investigation, loaded into typed data.
//!
//! ```text
//! case/
//!   faultline.toml     name, time_zone (IANA), [window] start/end
//!   inventory.csv      name,kind,host,<attribute columns...>  (or inventory.json)
//!   rvtools/           an RVTools CSV export (vInfo, vHost, vDisk tabs)
//!   libvirt/HOST/*.xml `virsh dumpxml` output of the domains on HOST
//!   placements.csv     machine,host,from,to
//!   events.csv         start,end,kind,scope
//!   crashes.csv        machine,time,title
//!   logs/              log files (only located here)
//!   configs/           config snapshots (only located here)
//! ```
//!
//! Everything is optional except that a case needs `logs/` or
//! `crashes.csv`. [`load`] fails only when the case cannot be read at all
//! ([`CaseError`]): no such folder, an unreadable or invalid
//! `faultline.toml`, an unknown time zone, or nothing to analyse. Every
//! other mistake is a [`Problem`] with its file and line, and the row or
//! file it is in is skipped whole: nothing half-read is used.
//!
//! How the pieces are read:
//!
//! - **Times** are RFC 3339 with an offset, or civil
//!   `YYYY-MM-DD[ HH:MM[:SS]]` (also with `T`) read in the case's time
//!   zone; a bare date means midnight. A civil time in a daylight-saving
//!   gap is moved forward by the gap, one in a fold takes the earlier
//!   instant. Without `faultline.toml` or its `time_zone` the zone is UTC.
//! - **Inventory** sources are merged in this order: `inventory.csv`,
//!   `inventory.json`, `rvtools/`, `libvirt/`. Records are the same machine
//!   when their names match the way [`Case::resolve`] matches them. An
//!   earlier source wins: a later one only fills attributes, a kind or a
//!   host that are missing, and a value that differs is a problem.
//!   Attribute names are lowercased; a CSV column is numeric when every
//!   value it has is a number (decided per column and per source).
//! - **Hosts**: every name in a `host` column or in `placements.csv` that
//!   is not in the inventory is added as a machine of kind host with no
//!   attributes and source `"implied"`, because an analysis of hosts needs
//!   the full list of them; a machine whose kind no source states becomes
//!   a host when something runs on it, else a guest.
//! - **Placements** say where a guest ran; [`Case::host_at`] falls back to
//!   the inventory's host at times no placement covers.
//! - **Scopes** of events are `*`, a machine, or `attribute=value`
//!   (`host` and `kind` may be used as attributes); a scope naming an
//!   unknown machine or attribute, or a value no machine has, is a problem.
//! - **Known crashes** may name machines missing from the inventory: a
//!   crash is evidence even when the inventory is incomplete.
//! - **CSV files** may start with a byte order mark, be Latin-1 or UTF-16
//!   instead of UTF-8, and use `;` or tabs instead of commas; column names
//!   are matched ignoring case and surrounding space, values are trimmed,
//!   and in the hand-written files a line starting with `#` is a comment.
//! - **Problems** are listed by file (in the order the files were read)
//!   and by line within a file; a row that is wrong in several ways is
//!   reported once, for the first thing found.

mod config;
mod error;
mod history;
mod inventory;
mod libvirt;
mod names;
mod rvtools;
mod table;
mod time;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use jiff::tz::TimeZone;
use serde::Serialize;

pub use error::{CaseError, Problem};
use names::NameIndex;

pub(crate) const FILE_CONFIG: &str = "faultline.toml";
pub(crate) const FILE_INVENTORY_CSV: &str = "inventory.csv";
pub(crate) const FILE_INVENTORY_JSON: &str = "inventory.json";
pub(crate) const DIR_RVTOOLS: &str = "rvtools";
pub(crate) const DIR_LIBVIRT: &str = "libvirt";
pub(crate) const FILE_PLACEMENTS: &str = "placements.csv";
pub(crate) const FILE_EVENTS: &str = "events.csv";
pub(crate) const FILE_CRASHES: &str = "crashes.csv";
const DIR_LOGS: &str = "logs";
const DIR_CONFIGS: &str = "configs";
const DIR_KB: &str = "kb";

/// A loaded case.
#[derive(Debug, Clone)]
pub struct Case {
    /// The case folder as given to [`load`].
    pub root: PathBuf,
    /// `name` from `faultline.toml`, else the folder's name.
    pub name: String,
    /// The zone civil times are read in and hours of day are reported in.
    pub time_zone: TimeZone,
    /// The IANA name of [`Case::time_zone`] as written (`UTC` by default).
    pub time_zone_name: String,
    /// The observation window, when `faultline.toml` sets one.
    pub window: Option<Window>,
    /// Every machine: the merged inventory plus implied hosts, in the
    /// order they were first seen.
    pub machines: Vec<Machine>,
    pub placements: Vec<Placement>,
    pub events: Vec<ScheduledEvent>,
    pub known_crashes: Vec<KnownCrash>,
    /// `logs/`, when the case has it.
    pub logs_dir: Option<PathBuf>,
    /// `configs/`, when the case has it.
    pub configs_dir: Option<PathBuf>,
    /// `kb/`, the case's own knowledge-base entries, when it has it.
    pub kb_dir: Option<PathBuf>,
    /// Everything that was wrong and skipped, in the order found.
    pub problems: Vec<Problem>,
    /// Name lookup over `machines`; see [`Case::reindex`].
    index: NameIndex,
    /// Positions in `placements` by canonical machine name.
    placements_by_machine: HashMap<String, Vec<usize>>,
}

/// The span of time the case is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: Timestamp,
    pub end: Timestamp,
}

/// Whether a machine runs others or runs on one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineKind {
    Host,
    Guest,
}

impl MachineKind {
    /// `host` or `guest`, as written in an inventory.
    pub fn as_str(self) -> &'static str {
        match self {
            MachineKind::Host => "host",
            MachineKind::Guest => "guest",
        }
    }
}

impl fmt::Display for MachineKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One machine of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Machine {
    pub name: String,
    pub kind: MachineKind,
    /// The host a guest runs on per the inventory (the canonical name of a
    /// machine in [`Case::machines`]).
    pub host: Option<String>,
    /// Lowercase attribute name to value; empty values are absent.
    pub attributes: BTreeMap<String, AttrValue>,
    /// The file (relative to the case) that first listed the machine,
    /// followed by `, ` and each later file that added to it; `implied`
    /// for a host known only from references to it.
    pub source: String,
}

/// An attribute's value.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum AttrValue {
    Number(f64),
    Text(String),
}

impl AttrValue {
    /// Whether the value is the one written as `text`: numbers compare by
    /// value (`2` is `2.0`), text ignoring case and surrounding space.
    pub fn matches(&self, text: &str) -> bool {
        match self {
            AttrValue::Number(n) => table::parse_number(text) == Some(*n),
            AttrValue::Text(t) => t.trim().to_lowercase() == text.trim().to_lowercase(),
        }
    }

    /// The same value, whichever way the two are typed (a number in one
    /// source may be text in another when that source's column was mixed).
    pub(crate) fn same_as(&self, other: &AttrValue) -> bool {
        match other {
            AttrValue::Number(n) => self.matches(&n.to_string()),
            AttrValue::Text(t) => self.matches(t),
        }
    }
}

impl fmt::Display for AttrValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AttrValue::Number(n) => write!(f, "{n}"),
            AttrValue::Text(t) => f.write_str(t),
        }
    }
}

/// A span of time a guest ran on a host.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    /// Canonical name of the guest.
    pub machine: String,
    /// Canonical name of the host.
    pub host: String,
    pub from: Timestamp,
    /// `None`: still there.
    pub to: Option<Timestamp>,
    pub file: String,
    pub line: u64,
}

/// Something scheduled that happened to some machines: a backup, a
/// snapshot, a migration, maintenance.
#[derive(Debug, Clone, PartialEq)]
pub struct ScheduledEvent {
    pub start: Timestamp,
    /// `None` for an event without a duration.
    pub end: Option<Timestamp>,
    /// As written (trimmed).
    pub kind: String,
    pub scope: Scope,
    pub file: String,
    pub line: u64,
}

/// Which machines an event touched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// `*`: every machine.
    All,
    /// One machine, by canonical name.
    Machine(String),
    /// Every machine whose attribute `name` (lowercase) has `value`.
    Attribute { name: String, value: String },
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Scope::All => f.write_str("*"),
            Scope::Machine(name) => f.write_str(name),
            Scope::Attribute { name, value } => write!(f, "{name}={value}"),
        }
    }
}

/// A crash known without a log.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownCrash {
    /// The canonical name when the machine is in the inventory, else the
    /// name as written.
    pub machine: String,
    pub time: Timestamp,
    /// May be empty.
    pub title: String,
    pub file: String,
    pub line: u64,
}

/// Loads the case in `dir`.
pub fn load(dir: &Path) -> Result<Case, CaseError> {
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(CaseError::NotAFolder {
                path: dir.to_path_buf(),
            });
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(CaseError::NotFound {
                path: dir.to_path_buf(),
            });
        }
        Err(source) => {
            return Err(CaseError::Unreadable {
                path: dir.to_path_buf(),
                source,
            });
        }
    }
    let root = dir.to_path_buf();
    let mut problems = Vec::new();
    let config = config::read(&root, &mut problems)?;

    let logs_dir = Some(root.join(DIR_LOGS)).filter(|p| p.is_dir());
    let configs_dir = Some(root.join(DIR_CONFIGS)).filter(|p| p.is_dir());
    let kb_dir = Some(root.join(DIR_KB)).filter(|p| p.is_dir());
    // A case of config snapshots alone is an audit case: nothing to
    // analyse, but everything to audit.
    if logs_dir.is_none() && configs_dir.is_none() && !root.join(FILE_CRASHES).is_file() {
        return Err(CaseError::NoCrashSource { path: root });
    }
    let tz = &config.time_zone;

    let mut fleet = inventory::Fleet::default();
    if root.join(FILE_INVENTORY_CSV).exists() {
        for record in inventory::read_csv(&root, &mut problems) {
            fleet.add(record, &mut problems);
        }
    }
    if root.join(FILE_INVENTORY_JSON).exists() {
        for record in inventory::read_json(&root, &mut problems) {
            fleet.add(record, &mut problems);
        }
    }
    if root.join(DIR_RVTOOLS).is_dir() {
        for record in rvtools::read(&root, &mut problems) {
            fleet.add(record, &mut problems);
        }
    }
    if root.join(DIR_LIBVIRT).is_dir() {
        for record in libvirt::read(&root, &mut problems) {
            fleet.add(record, &mut problems);
        }
    }
    fleet.link_hosts(&mut problems);

    let placements = if root.join(FILE_PLACEMENTS).exists() {
        history::placements(&root, &mut fleet, tz, &mut problems)
    } else {
        Vec::new()
    };
    let (machines, index) = fleet.finish();
    let events = if root.join(FILE_EVENTS).exists() {
        history::events(&root, &machines, &index, tz, &mut problems)
    } else {
        Vec::new()
    };
    let known_crashes = if root.join(FILE_CRASHES).exists() {
        history::crashes(&root, &machines, &index, tz, &mut problems)
    } else {
        Vec::new()
    };

    let name = config.name.unwrap_or_else(|| {
        root.canonicalize()
            .ok()
            .as_deref()
            .and_then(Path::file_name)
            .map_or_else(|| "case".to_string(), |n| n.to_string_lossy().into_owned())
    });
    sort_problems(&mut problems);
    let mut case = Case {
        root,
        name,
        time_zone: config.time_zone,
        time_zone_name: config.time_zone_name,
        window: config.window,
        machines,
        placements,
        events,
        known_crashes,
        logs_dir,
        configs_dir,
        kb_dir,
        problems,
        index,
        placements_by_machine: HashMap::new(),
    };
    case.reindex();
    Ok(case)
}

impl Case {
    /// Rebuilds the lookups behind [`Case::resolve`] and
    /// [`Case::host_at`]; call it after changing `machines` or
    /// `placements` by hand. (Until then lookups still answer, by a slower
    /// scan, when the number of machines changed; a rename in place is
    /// only seen after this call.)
    pub fn reindex(&mut self) {
        self.index = index_of(&self.machines);
        self.placements_by_machine.clear();
        for (i, p) in self.placements.iter().enumerate() {
            self.placements_by_machine
                .entry(p.machine.clone())
                .or_default()
                .push(i);
        }
    }

    fn find(&self, name: &str) -> Option<usize> {
        if self.index.len() == self.machines.len() {
            self.index.find(name)
        } else {
            index_of(&self.machines).find(name)
        }
    }

    /// The inventory machine a name from a log refers to: exact, else
    /// case-insensitive, else the short name of a fully qualified name
    /// (web01.example.com -> web01) or the other way round; None when
    /// unknown (or when a short name fits several qualified names).
    pub fn resolve(&self, name: &str) -> Option<&Machine> {
        self.find(name).and_then(|i| self.machines.get(i))
    }

    /// A file of the case as reports show it: relative to the case folder
    /// (`logs/web01/kern.log`), so it reads the same wherever the case lives;
    /// a file outside the case is left as it is.
    pub fn relative(&self, file: &str) -> String {
        Path::new(file)
            .strip_prefix(&self.root)
            .map_or_else(|_| file.to_string(), |p| p.display().to_string())
    }

    /// Whether an event's scope covers a machine (attribute scopes compare
    /// text case-insensitively; numbers by value). `host=X` covers the
    /// guests whose inventory host is X and X itself; `kind=host|guest`
    /// covers machines of that kind. The answer does not depend on time:
    /// for where a guest was when an event happened, see
    /// [`Case::host_at`].
    pub fn in_scope(&self, scope: &Scope, machine: &Machine) -> bool {
        covers(scope, machine, &|name| {
            self.resolve(name).map(|m| m.name.as_str())
        })
    }

    /// Where a guest was at a time: from placements, else the inventory's
    /// host. A placement covers `from <= t < to` (no `to`: from `from` on).
    pub fn host_at(&self, machine: &str, t: Timestamp) -> Option<&str> {
        let m = self.resolve(machine)?;
        let covering =
            |p: &&Placement| p.machine == m.name && p.from <= t && p.to.is_none_or(|to| t < to);
        let placed = match self.placements_by_machine.get(&m.name) {
            Some(at) => at
                .iter()
                .filter_map(|&i| self.placements.get(i))
                .find(covering),
            None if self.placements_by_machine.is_empty() && !self.placements.is_empty() => {
                self.placements.iter().find(covering)
            }
            None => None,
        };
        placed.map(|p| p.host.as_str()).or(m.host.as_deref())
    }
}

/// Orders problems for reading: files in the order they were first
/// reported on, and within a file by line (problems without a line first).
/// Rows are checked in passes (syntax, then values, then duplicates), so
/// the order of discovery alone would jump back and forth in a file.
fn sort_problems(problems: &mut [Problem]) {
    let mut rank: HashMap<String, usize> = HashMap::new();
    for p in problems.iter() {
        let next = rank.len();
        rank.entry(p.file.clone()).or_insert(next);
    }
    problems.sort_by_key(|p| (rank[&p.file], p.line));
}

fn index_of(machines: &[Machine]) -> NameIndex {
    let mut index = NameIndex::default();
    for (i, m) in machines.iter().enumerate() {
        index.insert(&m.name, i);
    }
    index
}

/// Whether `scope` covers `machine`, with `canonical` turning a written
/// name into a machine's canonical one.
pub(crate) fn covers<'a>(
    scope: &Scope,
    machine: &Machine,
    canonical: &dyn Fn(&str) -> Option<&'a str>,
) -> bool {
    let same = |written: &str, name: &str| {
        written.trim().eq_ignore_ascii_case(name) || canonical(written) == Some(name)
    };
    match scope {
        Scope::All => true,
        Scope::Machine(name) => same(name, &machine.name),
        Scope::Attribute { name, value } => match name.trim().to_lowercase().as_str() {
            "host" => {
                machine.host.as_deref().is_some_and(|h| same(value, h))
                    || (machine.kind == MachineKind::Host && same(value, &machine.name))
            }
            "kind" => value.trim().eq_ignore_ascii_case(machine.kind.as_str()),
            key => machine
                .attributes
                .get(key)
                .or_else(|| {
                    machine
                        .attributes
                        .iter()
                        .find(|(k, _)| k.to_lowercase() == key)
                        .map(|(_, v)| v)
                })
                .is_some_and(|v| v.matches(value)),
        },
    }
}
