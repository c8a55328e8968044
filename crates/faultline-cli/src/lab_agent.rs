//! `faultline lab agent` (hidden): the agent inside the lab's guest, run by
//! its `/init` (see `faultline_lab::agent`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

#[derive(Args)]
pub struct AgentArgs {
    /// Where to read the kernel command line from.
    #[arg(long, value_name = "FILE", default_value = "/proc/cmdline")]
    cmdline: PathBuf,
    /// Print the settings as JSON and exit.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(a: AgentArgs) -> Result<ExitCode> {
    let text = std::fs::read_to_string(&a.cmdline)
        .with_context(|| format!("reading {}", a.cmdline.display()))?;
    let settings = faultline_lab::cmdline::parse(&text)?;
    if a.dry_run {
        println!("{}", serde_json::to_string(&settings)?);
        return Ok(ExitCode::SUCCESS);
    }
    faultline_lab::agent::run(&settings)?;
    Ok(ExitCode::SUCCESS)
}
