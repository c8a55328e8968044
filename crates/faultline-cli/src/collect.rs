//! `faultline collect`: a snapshot of this machine's settings (or of an ESX
//! host's saved command outputs) as JSON, for `faultline audit`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;
use faultline_collect::{CollectOptions, Snapshot};

#[derive(Args)]
pub struct CollectArgs {
    /// Write the snapshot to FILE instead of standard output. A folder (one
    /// that exists, or any path ending in `/`) gets `<machine>.json`, so
    /// `-o CASE/configs/` files it into a case.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// A folder searched (recursively) for VM disk images: *.qcow2, *.qcow,
    /// *.img, *.raw, *.vmdk, *.vdi, *.vhd, *.vhdx, *.qed. May be repeated.
    #[arg(long = "images", value_name = "DIR")]
    images: Vec<PathBuf>,
    /// The machine's name (default: this machine's host name; for --esx,
    /// the host name in the outputs, else the first file's name).
    #[arg(long)]
    machine: Option<String>,
    /// Read saved outputs of ESX commands (`esxcli system settings advanced
    /// list`, `esxcfg-advcfg -g PATH`, `vmware -v`, `esxcli system hostname
    /// get`, ...) instead of this machine.
    #[arg(long, value_name = "FILE", num_args = 1.., conflicts_with_all = ["images", "root"])]
    esx: Vec<PathBuf>,
    /// Read proc/ and sys/ under DIR instead of / (for tests).
    #[arg(long, value_name = "DIR", hide = true)]
    root: Option<PathBuf>,
}

pub fn run(args: CollectArgs) -> Result<ExitCode> {
    let snapshot = if args.esx.is_empty() {
        let mut opts = CollectOptions {
            image_dirs: args.images,
            machine: args.machine,
            ..CollectOptions::default()
        };
        if let Some(root) = args.root {
            opts.root = root;
        }
        faultline_collect::collect(&opts)
    } else {
        faultline_collect::collect_esx(&args.esx, args.machine)?
    };
    let mut json = serde_json::to_string_pretty(&snapshot)?;
    json.push('\n');

    let could_not_read = snapshot
        .unreadable
        .iter()
        .map(|u| u.what.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match &args.output {
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(json.as_bytes())?;
            out.flush()?;
            if !could_not_read.is_empty() {
                eprintln!("faultline: could not read: {could_not_read}");
            }
        }
        Some(output) => {
            let path = output_path(output, &snapshot)?;
            std::fs::write(&path, &json)
                .with_context(|| format!("cannot write {}", path.display()))?;
            let facts = snapshot.facts().len();
            if could_not_read.is_empty() {
                eprintln!("faultline: wrote {} ({facts} facts)", path.display());
            } else {
                eprintln!(
                    "faultline: wrote {} ({facts} facts; could not read: {could_not_read})",
                    path.display()
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The file to write: `output` itself, or `output/<machine>.json` when it
/// is a folder (created when given with a trailing `/`).
fn output_path(output: &Path, snapshot: &Snapshot) -> Result<PathBuf> {
    let as_dir = output.is_dir() || output.as_os_str().to_string_lossy().ends_with('/');
    if !as_dir {
        return Ok(output.to_path_buf());
    }
    std::fs::create_dir_all(output)
        .with_context(|| format!("cannot create folder {}", output.display()))?;
    Ok(output.join(format!("{}.json", file_name(&snapshot.machine))))
}

/// A machine name made safe as a file name.
fn file_name(machine: &str) -> String {
    let name: String = machine
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() || name.chars().all(|c| c == '.') {
        "unknown".into()
    } else {
        name
    }
}
