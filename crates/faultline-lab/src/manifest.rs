//! The image cache: `manifest.json` beside the kernel and initramfs names the
//! inputs they were built from. The image is rebuilt when any input differs,
//! when an output is missing, or when `--force` is given.

use std::path::Path;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    /// Format of this file and of the image layout.
    pub format: u32,
    /// e.g. `linux-image-6.1.0-56-cloud-amd64`
    pub kernel_package: String,
    pub kernel_version: String,
    pub busybox_version: String,
    /// xxh3-64 (hex) of the faultline binary put in the image.
    pub faultline_hash: String,
    pub init_version: u32,
    /// xxh3-64 (hex) of the `/init` script and `lvm.conf` texts.
    pub init_hash: String,
    /// Module names asked for.
    pub modules: Vec<String>,
    /// lvm2 and its library packages, `name=version` (empty in manifests
    /// written before the image carried LVM: they rebuild once).
    #[serde(default)]
    pub lvm_packages: Vec<String>,
}

pub const FORMAT: u32 = 1;

/// Why the image must be (re)built, or `None` when the cache is good.
pub fn rebuild_reason(
    old: Option<&Manifest>,
    new: &Manifest,
    outputs_present: bool,
    force: bool,
) -> Option<String> {
    if force {
        return Some("--force".into());
    }
    let Some(old) = old else {
        return Some("no image yet".into());
    };
    if !outputs_present {
        return Some("image files missing".into());
    }
    let mut changed = Vec::new();
    if old.format != new.format {
        changed.push("format");
    }
    if old.kernel_package != new.kernel_package || old.kernel_version != new.kernel_version {
        changed.push("kernel");
    }
    if old.busybox_version != new.busybox_version {
        changed.push("busybox");
    }
    if old.faultline_hash != new.faultline_hash {
        changed.push("faultline binary");
    }
    if old.init_version != new.init_version || old.init_hash != new.init_hash {
        changed.push("init script");
    }
    if old.modules != new.modules {
        changed.push("module list");
    }
    if old.lvm_packages != new.lvm_packages {
        changed.push("LVM packages");
    }
    (!changed.is_empty()).then(|| format!("changed: {}", changed.join(", ")))
}

pub fn load(path: &Path) -> Option<Manifest> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

pub fn hash_hex(bytes: &[u8]) -> String {
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(bytes))
}
