//! The `faultline` command: wires the pipeline's crates to the command line.

mod analyze;
mod audit;
mod collect;
mod ingest;
mod kb;
mod known;
mod lab;

mod scan;
mod stress;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Finds out why virtual machines and their hosts crash.
#[derive(Parser)]
#[command(name = "faultline", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Find crash reports and notable events in kernel and hypervisor logs.
    Scan(scan::ScanArgs),
    /// Hypotheses for a case: which machines, settings, hosts, hours and
    /// events the crashes go with, and how surprising that is.
    Analyze(analyze::AnalyzeArgs),
    /// Known-bad settings and drift between peers, from `faultline collect`
    /// snapshots (a case's configs/ or snapshot files); in a case with
    /// crashes, whether the flagged machines crash more.
    Audit(audit::AuditArgs),
    /// Snapshot of this machine's settings (kernel, memory, sysctls, disks,
    /// NFS mounts, kdump, VM images) as JSON, for `faultline audit`.
    Collect(collect::CollectArgs),
    /// The knowledge base of known issues: list, show one, check a site's
    /// own entries.
    Kb(kb::KbArgs),
    /// The reproduction lab: `soak` says how long a clean run must last
    /// before "fixed" is believable.
    Lab(lab::LabArgs),
    /// I/O stress with fio's options and verified data: the load that makes
    /// rare races happen.
    Stress(stress::StressArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Analyze(args) => analyze::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Collect(args) => collect::run(args),
        Command::Kb(args) => kb::run(args),
        Command::Lab(args) => lab::run(args),
        Command::Stress(args) => stress::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("faultline: {e:#}");
            ExitCode::from(2)
        }
    }
}
