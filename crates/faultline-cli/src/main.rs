//! The `faultline` command: wires the pipeline's crates to the command line.

mod analyze;
mod scan;

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Analyze(args) => analyze::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("faultline: {e:#}");
            ExitCode::from(2)
        }
    }
}
