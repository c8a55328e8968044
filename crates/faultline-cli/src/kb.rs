//! `faultline kb`: the knowledge base itself — list its entries, show one
//! in full, check a site's own entries.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};
use faultline_kb::{Combine, KnownIssue};

#[derive(Args)]
pub struct KbArgs {
    #[command(subcommand)]
    command: KbCommand,
    /// Extra knowledge-base folder of *.toml entries (repeatable).
    #[arg(long, value_name = "DIR", global = true)]
    kb: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum KbCommand {
    /// One line per known issue: severity, id, what it matches, title.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// One known issue in full: why, what to check, how to fix, references.
    Show {
        /// The issue's id (see `faultline kb list`).
        id: String,
    },
    /// Check knowledge-base files or folders; exit 2 if any entry is wrong.
    Check {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
    },
}

#[derive(serde::Serialize)]
struct Entry<'a> {
    id: &'a str,
    title: &'a str,
    severity: faultline_kb::Severity,
    matches: String,
    origin: &'a str,
}

fn sides(i: &KnownIssue) -> String {
    match (i.has_logs(), i.has_config(), i.combine) {
        (true, true, Combine::All) => "logs+config".into(),
        (true, true, Combine::Any) => "logs|config".into(),
        (true, false, _) => "logs".into(),
        _ => "config".into(),
    }
}

pub fn run(args: KbArgs) -> Result<ExitCode> {
    if let KbCommand::Check { paths } = &args.command {
        return check(paths);
    }
    let (kb, trouble) = crate::known::load(args.kb.iter().cloned());
    let stdout = std::io::stdout();
    let mut w = std::io::BufWriter::new(stdout.lock());
    match args.command {
        KbCommand::List { json } => {
            if json {
                let v: Vec<Entry> = kb
                    .issues()
                    .iter()
                    .map(|i| Entry {
                        id: &i.id,
                        title: &i.title,
                        severity: i.severity,
                        matches: sides(i),
                        origin: &i.origin,
                    })
                    .collect();
                serde_json::to_writer(&mut w, &v)?;
                writeln!(w)?;
            } else {
                for i in kb.issues() {
                    writeln!(
                        w,
                        "{:<8} {:<44} {:<11} {}",
                        i.severity.as_str(),
                        i.id,
                        sides(i),
                        i.title
                    )?;
                }
            }
        }
        KbCommand::Show { id } => {
            let Some(i) = kb.get(&id) else {
                bail!("no known issue {id:?} (see `faultline kb list`)");
            };
            writeln!(w, "{}  [{}]  {}", i.id, i.severity, i.title)?;
            writeln!(w, "from {}\n", i.origin)?;
            writeln!(w, "{}\n", i.explanation)?;
            if i.has_logs() {
                writeln!(w, "Matches in logs (any of):")?;
                for m in &i.logs {
                    writeln!(w, "  - {}", m.describe())?;
                }
            }
            if i.has_config() {
                writeln!(
                    w,
                    "Matches a config snapshot when all of these hold{}:",
                    if i.needs_both() {
                        ", together with the log side on the same machine"
                    } else {
                        ""
                    }
                )?;
                for c in &i.config {
                    match &c.recommended {
                        Some(r) => writeln!(w, "  - {} (recommended: {r})", c.describe())?,
                        None => writeln!(w, "  - {}", c.describe())?,
                    }
                }
            }
            writeln!(w, "\nWhat to check:")?;
            for e in &i.evidence {
                writeln!(w, "  - {e}")?;
            }
            writeln!(w, "\nHow to fix:")?;
            for (n, r) in i.remediation.iter().enumerate() {
                writeln!(w, "  {}. {r}", n + 1)?;
            }
            if !i.references.is_empty() {
                writeln!(w, "\nReferences:")?;
                for r in &i.references {
                    writeln!(w, "  - {r}")?;
                }
            }
        }
        KbCommand::Check { .. } => unreachable!("handled above"),
    }
    w.flush()?;
    Ok(if trouble {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn check(paths: &[PathBuf]) -> Result<ExitCode> {
    let mut kb = faultline_kb::KnowledgeBase::empty();
    let mut bad = 0;
    for p in paths {
        let errors = if p.is_dir() {
            kb.add_dir(p)
        } else {
            match std::fs::read_to_string(p) {
                Ok(text) => kb
                    .add_toml(&text, &p.display().to_string())
                    .err()
                    .into_iter()
                    .collect(),
                Err(e) => {
                    eprintln!("faultline: {}: cannot read: {e}", p.display());
                    bad += 1;
                    continue;
                }
            }
        };
        for e in &errors {
            eprintln!("faultline: {e}");
        }
        bad += errors.len();
    }
    println!(
        "{} known issue(s) read, {} file(s) with errors",
        kb.issues().len(),
        bad
    );
    Ok(if bad > 0 {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
