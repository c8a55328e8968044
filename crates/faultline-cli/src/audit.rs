//! `faultline audit CASE | SNAPSHOT...`: known-bad settings and drift
//! between peers, and, in a case with crashes, whether the flagged machines
//! crash more.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use faultline_audit::{AuditOptions, CrashExposure, MachineConfig, Sighting};
use faultline_case::{AttrValue, Case};
use faultline_kb::{KnowledgeBase, Severity};

#[derive(Args)]
pub struct AuditArgs {
    /// A case folder (its configs/ snapshots, logs/ and crashes), or
    /// snapshot files and folders of them from `faultline collect`.
    #[arg(required = true, value_name = "CASE|SNAPSHOT")]
    paths: Vec<PathBuf>,
    /// Print one JSON document instead of text.
    #[arg(long)]
    json: bool,
    /// Extra knowledge-base folder of *.toml entries (repeatable); a case's
    /// kb/ folder is read too.
    #[arg(long, value_name = "DIR")]
    kb: Vec<PathBuf>,
    /// Exit with 3 when a finding is at or above this severity
    /// (info, low, medium, high, critical).
    #[arg(long, default_value = "high", value_name = "SEVERITY",
          value_parser = parse_severity)]
    fail_on: Severity,
    /// Leave out drift between peers.
    #[arg(long)]
    no_drift: bool,
    /// Inventory attribute that groups peers with the role (default:
    /// `cluster` when the inventory has it).
    #[arg(long, value_name = "ATTRIBUTE")]
    peers_by: Option<String>,
    /// The store of a case (default: CASE/.faultline/store.db).
    #[arg(long, value_name = "PATH")]
    db: Option<PathBuf>,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse()
}

/// A folder is a case when it has any of the case's own files.
fn is_case(dir: &Path) -> bool {
    [
        "faultline.toml",
        "configs",
        "logs",
        "inventory.csv",
        "inventory.json",
        "crashes.csv",
    ]
    .iter()
    .any(|f| dir.join(f).exists())
}

pub fn run(args: AuditArgs) -> Result<ExitCode> {
    let mut trouble = false;
    let mut kb = KnowledgeBase::builtin();
    let case_dir = match args.paths.as_slice() {
        [one] if one.is_dir() && is_case(one) => Some(one.clone()),
        _ => None,
    };
    let case = match &case_dir {
        Some(dir) => {
            let case = faultline_case::load(dir)?;
            for p in &case.problems {
                eprintln!("faultline: {p}");
                trouble = true;
            }
            Some(case)
        }
        None => None,
    };
    for dir in case
        .as_ref()
        .and_then(|c| c.kb_dir.clone())
        .into_iter()
        .chain(args.kb.iter().cloned())
    {
        for e in kb.add_dir(&dir) {
            eprintln!("faultline: {e}");
            trouble = true;
        }
    }

    let snapshot_paths: Vec<PathBuf> = match &case {
        Some(c) => match &c.configs_dir {
            Some(d) => json_files(d, &mut trouble),
            None => Vec::new(),
        },
        None => {
            let mut v = Vec::new();
            for p in &args.paths {
                if p.is_dir() {
                    v.extend(json_files(p, &mut trouble));
                } else {
                    v.push(p.clone());
                }
            }
            v
        }
    };
    let mut configs = Vec::new();
    for path in &snapshot_paths {
        match faultline_collect::load(path) {
            Ok(s) => {
                let mut machine = if s.machine.trim().is_empty() {
                    path.file_stem()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default()
                } else {
                    s.machine.clone()
                };
                // Inside a case, snapshots speak of the case's machines.
                if let Some(m) = case.as_ref().and_then(|c| c.resolve(&machine)) {
                    machine = m.name.clone();
                }
                let mut facts = s.facts();
                facts.insert("machine".into(), machine.clone());
                configs.push(MachineConfig {
                    machine,
                    file: path.display().to_string(),
                    facts,
                });
            }
            Err(e) => {
                eprintln!("faultline: {e}");
                trouble = true;
            }
        }
    }
    let mut seen = HashMap::new();
    for c in &configs {
        if let Some(other) = seen.insert(c.machine.clone(), c.file.clone()) {
            eprintln!(
                "faultline: {} and {} are both snapshots of {}; both are audited",
                other, c.file, c.machine
            );
        }
    }

    let (sightings, exposure) = match (&case, &case_dir) {
        (Some(case), Some(dir)) => {
            let found = crate::ingest::case_logs(case, dir, args.db.as_ref())?;
            trouble |= found.trouble;
            let sightings = sightings(&kb, case, &found.reports, &found.events);
            let exposure = faultline_analyze::machine_exposure(case, &found.reports, &found.events);
            let any_crash = exposure.crashes.values().any(|&n| n > 0);
            let kind = case
                .machines
                .iter()
                .map(|m| (m.name.clone(), m.kind.as_str().to_string()))
                .collect();
            let exposure = (any_crash && exposure.window_hours > 0.0).then_some(CrashExposure {
                hours: exposure.hours,
                crashes: exposure.crashes,
                kind,
            });
            (sightings, exposure)
        }
        _ => (Vec::new(), None),
    };
    if configs.is_empty() && sightings.is_empty() {
        match &case_dir {
            Some(d) => bail!(
                "{}: nothing to audit: no snapshots in configs/ (make them with `faultline collect -o {}/configs/`) and no known issue in the logs",
                d.display(),
                d.display()
            ),
            None => bail!("nothing to audit: no snapshot could be read"),
        }
    }
    let peer_groups = match &case {
        Some(c) => peer_groups(c, &configs, args.peers_by.as_deref()),
        None => BTreeMap::new(),
    };
    let result = faultline_audit::audit(
        &kb,
        &configs,
        &sightings,
        exposure.as_ref(),
        &AuditOptions {
            peer_groups,
            no_drift: args.no_drift,
        },
    );
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    if args.json {
        serde_json::to_writer(&mut w, &result)?;
        writeln!(w)?;
    } else {
        w.write_all(faultline_report::audit_text(&result, args.fail_on).as_bytes())?;
    }
    w.flush()?;
    Ok(if result.at_least(args.fail_on) > 0 {
        ExitCode::from(3)
    } else if trouble {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The `*.json` files of a folder and its subfolders, in name order.
fn json_files(dir: &Path, trouble: &mut bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        match std::fs::read_dir(&d) {
            Ok(entries) => {
                for e in entries.flatten() {
                    let p = e.path();
                    if p.is_dir() {
                        stack.push(p);
                    } else if p
                        .extension()
                        .is_some_and(|x| x.eq_ignore_ascii_case("json"))
                    {
                        out.push(p);
                    }
                }
            }
            Err(e) => {
                eprintln!("faultline: {}: cannot read the folder: {e}", d.display());
                *trouble = true;
            }
        }
    }
    out.sort();
    out
}

/// Which known issues the logs show on which machine.
fn sightings(
    kb: &KnowledgeBase,
    case: &Case,
    reports: &[faultline_scan::FoundReport],
    events: &[faultline_scan::FoundEvent],
) -> Vec<Sighting> {
    let mut by: BTreeMap<(String, String), Sighting> = BTreeMap::new();
    let canonical = |m: &Option<String>| -> Option<String> {
        let m = m.as_deref()?;
        Some(
            case.resolve(m)
                .map_or_else(|| m.to_string(), |x| x.name.clone()),
        )
    };
    let mut note = |machine: String, id: &str, file: &str, line: u64| {
        let file = case.relative(file);
        let s = by
            .entry((machine.clone(), id.to_string()))
            .or_insert_with(|| Sighting {
                machine,
                issue: id.to_string(),
                count: 0,
                first: format!("{file}:{line}"),
            });
        s.count += 1;
    };
    for r in reports {
        let Some(machine) = canonical(&r.machine) else {
            continue;
        };
        for issue in kb.for_report(&crate::known::report_view(r)) {
            note(machine.clone(), &issue.id, &r.file, r.line);
        }
    }
    for e in events {
        let Some(machine) = canonical(&e.machine) else {
            continue;
        };
        for issue in kb.for_event(&crate::known::event_view(e)) {
            note(machine.clone(), &issue.id, &e.file, e.line);
        }
    }
    by.into_values().collect()
}

/// Peers: the same role and the same value of the grouping attribute
/// (`--peers-by`, else `cluster` when the inventory has it).
fn peer_groups(
    case: &Case,
    configs: &[MachineConfig],
    by: Option<&str>,
) -> BTreeMap<String, String> {
    let attr = by.map(str::to_ascii_lowercase).or_else(|| {
        case.machines
            .iter()
            .any(|m| m.attributes.contains_key("cluster"))
            .then(|| "cluster".to_string())
    });
    configs
        .iter()
        .map(|c| {
            let base = faultline_audit::default_group(&c.facts);
            let value = attr.as_deref().and_then(|a| {
                let m = case.resolve(&c.machine)?;
                Some(match m.attributes.get(a)? {
                    AttrValue::Text(t) => format!("{a}={t}"),
                    AttrValue::Number(n) => format!("{a}={n}"),
                })
            });
            let group = match value {
                Some(v) => format!("{base} {v}"),
                None => base,
            };
            (c.machine.clone(), group)
        })
        .collect()
}
