//! `faultline lab image`: builds the guest kernel + initramfs in a cache
//! folder (see `faultline_lab::image`).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, Result};
use clap::Args;

#[derive(Args)]
pub struct ImageArgs {
    /// Cache folder (default $XDG_CACHE_HOME/faultline/lab or
    /// ~/.cache/faultline/lab).
    #[arg(long, value_name = "DIR")]
    work: Option<PathBuf>,
    /// Kernel metapackage whose versioned linux-image-* dependency is used.
    #[arg(long, value_name = "NAME", default_value = "linux-image-cloud-amd64")]
    kernel_package: String,
    /// Rebuild even when the inputs did not change.
    #[arg(long)]
    force: bool,
}

pub fn run(a: ImageArgs) -> Result<ExitCode> {
    let work = match a.work {
        Some(w) => w,
        None => faultline_lab::image::default_work_dir()?,
    };
    let exe = std::env::current_exe().context("finding the faultline binary")?;
    let r = faultline_lab::image::build(&faultline_lab::image::ImageOptions {
        work,
        kernel_package: a.kernel_package,
        force: a.force,
        faultline: exe,
    })?;
    println!("kernel {}", r.kernel.display());
    println!("initramfs {}", r.initramfs.display());
    println!(
        "{} {} ({}), busybox {}",
        if r.rebuilt { "built" } else { "cached" },
        r.manifest.kernel_package,
        r.manifest.kernel_version,
        r.manifest.busybox_version
    );
    Ok(ExitCode::SUCCESS)
}
