//! Kernel modules for the guest: which files, in which order.
//!
//! `modules.dep` (depmod's output: `kernel/a/b.ko: kernel/c.ko kernel/d.ko`,
//! the dependencies of b, loading order from last to first) is used when the
//! tree has one. Debian's kernel packages do not ship it (depmod runs at
//! install time), so [`generate_dep`] writes the same text from each module's
//! `.modinfo` section (`depends=a,b`). Module names treat `-` and `_` alike.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;

use crate::error::{IoContext as _, OrInvalid as _, Result, bail};

/// The name of a module from its path: `kernel/drivers/md/dm-mod.ko.xz` ->
/// `dm_mod`.
pub fn module_name(path: &str) -> String {
    let file = path.rsplit('/').next().unwrap_or(path);
    let stem = file.split(".ko").next().unwrap_or(file);
    stem.replace('-', "_")
}

/// Parsed `modules.dep`: module name -> (path, dependency paths).
#[derive(Debug, Default, Clone)]
pub struct DepTable {
    pub modules: BTreeMap<String, (String, Vec<String>)>,
}

impl DepTable {
    pub fn parse(text: &str) -> Result<Self> {
        let mut modules = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let (path, deps) = line
                .split_once(':')
                .or_invalid(|| format!("modules.dep line {}: no ':'", i + 1))?;
            let deps = deps.split_whitespace().map(str::to_string).collect();
            modules.insert(module_name(path), (path.trim().to_string(), deps));
        }
        Ok(Self { modules })
    }

    /// The module files to load for `wanted`, each after its dependencies,
    /// without repeats. Names in `builtin` (from `modules.builtin`) are
    /// skipped; a name neither built in nor present is an error when
    /// `required`, else skipped.
    pub fn resolve(
        &self,
        wanted: &[(&str, bool)],
        builtin: &HashSet<String>,
    ) -> Result<Vec<String>> {
        let mut order = Vec::new();
        let mut seen = HashSet::new();
        for &(name, required) in wanted {
            let name = module_name(name);
            if builtin.contains(&name) {
                continue;
            }
            let Some((path, _)) = self.modules.get(&name) else {
                if required {
                    bail!("module {name} is neither built in nor in modules.dep");
                }
                continue;
            };
            self.visit(path, &mut seen, &mut order, 0)?;
        }
        Ok(order)
    }

    fn visit(
        &self,
        path: &str,
        seen: &mut HashSet<String>,
        order: &mut Vec<String>,
        depth: usize,
    ) -> Result<()> {
        if depth > 64 {
            bail!("module dependency loop at {path}");
        }
        if seen.contains(path) {
            return Ok(());
        }
        let name = module_name(path);
        if let Some((_, deps)) = self.modules.get(&name) {
            // depmod lists the deepest dependency last: load from the end.
            for d in deps.iter().rev() {
                self.visit(d, seen, order, depth + 1)?;
            }
        }
        seen.insert(path.to_string());
        order.push(path.to_string());
        Ok(())
    }
}

/// The names in a `modules.builtin` text.
pub fn parse_builtin(text: &str) -> HashSet<String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(module_name)
        .collect()
}

/// The `depends=` field of a module's `.modinfo` (the strings are NUL
/// separated; a plain byte search is enough, no ELF parsing).
pub fn modinfo_depends(ko: &[u8]) -> Vec<String> {
    for field in ko.split(|&b| b == 0) {
        if let Some(rest) = field.strip_prefix(b"depends=") {
            return String::from_utf8_lossy(rest)
                .split(',')
                .filter(|s| !s.is_empty())
                .map(|s| s.replace('-', "_"))
                .collect();
        }
    }
    Vec::new()
}

/// Reads a module file, decompressing `.ko.zst` (zstd) in memory; `.ko.xz`
/// is refused with a clear error (no xz decoder here; Debian 12's kernels
/// ship uncompressed modules). busybox's `insmod` would load a compressed
/// module only if built with that support, so the initramfs always gets
/// plain `.ko` files.
pub fn read_module(path: &Path) -> Result<Vec<u8>> {
    let raw = std::fs::read(path).at(|| format!("reading {}", path.display()))?;
    let name = path.to_string_lossy();
    if name.ends_with(".ko.zst") {
        return zstd::decode_all(&raw[..]).at(|| format!("unzstd {}", path.display()));
    }
    if name.ends_with(".ko.xz") || name.ends_with(".ko.gz") {
        bail!(
            "{}: compressed modules other than zstd are not supported",
            path.display()
        );
    }
    Ok(raw)
}

/// The path a module gets in the initramfs (always uncompressed).
pub fn plain_ko(path: &str) -> String {
    match path.find(".ko") {
        Some(i) => format!("{}.ko", &path[..i]),
        None => path.to_string(),
    }
}

/// Writes `modules.dep` text for a module tree (`lib/modules/VERSION`) from
/// the `.modinfo` of every module under `kernel/`.
pub fn generate_dep(tree: &Path) -> Result<String> {
    let mut paths = Vec::new();
    walk(&tree.join("kernel"), tree, &mut paths)?;
    paths.sort();
    let by_name: BTreeMap<String, String> =
        paths.iter().map(|p| (module_name(p), p.clone())).collect();
    let mut out = String::new();
    for p in &paths {
        let deps = modinfo_depends(&read_module(&tree.join(p))?);
        let deps: Vec<&str> = deps
            .iter()
            .filter_map(|d| by_name.get(d).map(String::as_str))
            .collect();
        out.push_str(p);
        out.push(':');
        for d in deps {
            out.push(' ');
            out.push_str(d);
        }
        out.push('\n');
    }
    Ok(out)
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).at(|| format!("reading {}", dir.display()))? {
        let e = e?;
        let p = e.path();
        if e.file_type()?.is_dir() {
            walk(&p, root, out)?;
        } else if p.to_string_lossy().contains(".ko") {
            let rel = p.strip_prefix(root).unwrap_or(&p);
            out.push(rel.to_string_lossy().into_owned());
        }
    }
    Ok(())
}
