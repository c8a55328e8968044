//! Flattening a snapshot into the dotted facts the knowledge base tests, and
//! splitting kernel and hypervisor command lines.

use std::collections::BTreeMap;

use crate::snapshot::Snapshot;

/// Splits a kernel (or Xen) command line into `(name, value)` pairs in
/// order: `name=value` gives the value, a bare flag gives "". Double quotes
/// group words (`acpi_osi="!Windows 2012"`) and are dropped. Words after a
/// lone `--` are init's arguments, not parameters, and are left out.
pub fn split_cmdline(line: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for word in words(line) {
        if word == "--" {
            break;
        }
        let (name, value) = match word.split_once('=') {
            Some((n, v)) => (n, v),
            None => (word.as_str(), ""),
        };
        if name.is_empty() {
            continue;
        }
        out.push((name.to_string(), value.to_string()));
    }
    out
}

/// The parameters of a command line by name; a parameter given several
/// times (`console=tty0 console=ttyS0,115200`) has its values joined with
/// "," in order (`tty0,ttyS0,115200`); a flag given several times is "".
pub fn cmdline_params(line: &str) -> BTreeMap<String, String> {
    let mut values: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (name, value) in split_cmdline(line) {
        values.entry(name).or_default().push(value);
    }
    values
        .into_iter()
        .map(|(name, vs)| {
            // A flag given twice is still just a flag.
            let joined = if vs.iter().all(|v| v.is_empty()) {
                String::new()
            } else {
                vs.join(",")
            };
            (name, joined)
        })
        .collect()
}

/// Whitespace-separated words; double quotes protect whitespace and are
/// removed. A word that is only quotes (`""`) still counts as a word.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut quoted = false;
    for c in line.chars() {
        if c == '"' {
            quoted = !quoted;
            in_word = true;
        } else if !quoted && (c.is_whitespace() || c == '\0') {
            if in_word {
                out.push(std::mem::take(&mut current));
                in_word = false;
            }
        } else {
            current.push(c);
            in_word = true;
        }
    }
    if in_word {
        out.push(current);
    }
    out
}

fn yes_no(b: bool) -> String {
    if b { "true" } else { "false" }.to_string()
}

impl Snapshot {
    /// The snapshot as dotted facts (`sysctl.vm.swappiness` → `60`); what
    /// the snapshot does not know gives no fact. Booleans are `true`/`false`,
    /// numbers decimal. The keys are listed in the crate documentation.
    pub fn facts(&self) -> BTreeMap<String, String> {
        let mut f = BTreeMap::new();
        let mut put = |k: String, v: String| {
            f.insert(k, v);
        };
        for (key, value) in [
            ("machine", &self.machine),
            ("source", &self.source),
            ("role", &self.role),
        ] {
            if !value.is_empty() {
                put(key.into(), value.clone());
            }
        }
        if let Some(h) = &self.hypervisor {
            put("hypervisor".into(), h.clone());
        }
        if let Some(k) = self.kvm_device {
            put("kvm_device".into(), yes_no(k));
        }
        if let Some(k) = &self.kernel {
            if !k.release.is_empty() {
                put("kernel.release".into(), k.release.clone());
            }
            if !k.version.is_empty() {
                put("kernel.version".into(), k.version.clone());
            }
            if !k.cmdline.is_empty() {
                put("kernel.cmdline".into(), k.cmdline.clone());
                for (name, value) in cmdline_params(&k.cmdline) {
                    put(format!("kernel.cmdline.{name}"), value);
                }
            }
        }
        if let Some(x) = &self.xen {
            if let Some(v) = &x.version {
                put("xen.version".into(), v.clone());
            }
            if let Some(c) = &x.cmdline {
                put("xen.cmdline".into(), c.clone());
                for (name, value) in cmdline_params(c) {
                    put(format!("xen.cmdline.{name}"), value);
                }
            }
            if let Some(n) = x.total_memory_mb {
                put("xen.total_memory_mb".into(), n.to_string());
            }
            if let Some(n) = x.free_memory_mb {
                put("xen.free_memory_mb".into(), n.to_string());
            }
        }
        if let Some(m) = &self.memory {
            for (key, value) in [
                ("memory.total_kb", m.total_kb),
                ("memory.available_kb", m.available_kb),
                ("memory.swap_total_kb", m.swap_total_kb),
                ("memory.swap_free_kb", m.swap_free_kb),
                ("memory.commit_limit_kb", m.commit_limit_kb),
                ("memory.committed_as_kb", m.committed_as_kb),
            ] {
                if let Some(v) = value {
                    put(key.into(), v.to_string());
                }
            }
        }
        if self.memory.is_some() || !self.swaps.is_empty() {
            let from_meminfo = self
                .memory
                .as_ref()
                .and_then(|m| m.swap_total_kb)
                .is_some_and(|kb| kb > 0);
            let from_swaps = self.swaps.iter().any(|s| s.size_kb > 0);
            put("swap.enabled".into(), yes_no(from_meminfo || from_swaps));
            put("swap.count".into(), self.swaps.len().to_string());
        }
        for (name, value) in &self.sysctl {
            put(format!("sysctl.{name}"), value.clone());
        }
        if let Some(c) = &self.cpu {
            put("cpu.count".into(), c.count.to_string());
            if let Some(m) = &c.model {
                put("cpu.model".into(), m.clone());
            }
        }
        if let Some(c) = &self.clocksource {
            if !c.current.is_empty() {
                put("clocksource.current".into(), c.current.clone());
            }
            if !c.available.is_empty() {
                put("clocksource.available".into(), c.available.join(" "));
            }
        }
        if !self.consoles.is_empty() {
            put("console.active".into(), self.consoles.join(","));
        }
        for b in &self.block {
            let p = format!("block.{}", b.name);
            if let Some(s) = &b.scheduler {
                put(format!("{p}.scheduler"), s.clone());
            }
            if !b.schedulers.is_empty() {
                put(format!("{p}.schedulers"), b.schedulers.join(" "));
            }
            if let Some(r) = b.rotational {
                put(format!("{p}.rotational"), yes_no(r));
            }
            if let Some(n) = b.queue_depth {
                put(format!("{p}.queue_depth"), n.to_string());
            }
            if let Some(n) = b.nr_requests {
                put(format!("{p}.nr_requests"), n.to_string());
            }
            if let Some(n) = b.size_bytes {
                put(format!("{p}.size_bytes"), n.to_string());
            }
        }
        for m in &self.nfs_mounts {
            let p = format!("nfs.{}", m.mountpoint);
            put(format!("{p}.server"), m.server.clone());
            put(format!("{p}.export"), m.export.clone());
            put(format!("{p}.fstype"), m.fstype.clone());
            for (name, value) in &m.options {
                put(format!("{p}.option.{name}"), value.clone());
            }
        }
        if let Some(k) = &self.kdump {
            if let Some(c) = &k.crashkernel {
                put("kdump.crashkernel".into(), c.clone());
            }
            if let Some(n) = k.reserved_bytes {
                put("kdump.reserved_bytes".into(), n.to_string());
            }
            if let Some(l) = k.loaded {
                put("kdump.loaded".into(), yes_no(l));
            }
        }
        for i in &self.images {
            let p = format!("image.{}", i.path);
            put(format!("{p}.format"), i.format.clone());
            if let Some(n) = i.virtual_size {
                put(format!("{p}.virtual_size"), n.to_string());
            }
            if let Some(b) = &i.backing_file {
                put(format!("{p}.backing_file"), b.clone());
            }
        }
        if !self.images.is_empty() {
            put("image.count".into(), self.images.len().to_string());
        }
        for v in &self.lvm {
            let p = format!("lvm.{}/{}", v.vg, v.lv);
            if let Some(n) = v.size_bytes {
                put(format!("{p}.size_bytes"), n.to_string());
            }
            if let Some(a) = &v.attr {
                put(format!("{p}.attr"), a.clone());
            }
        }
        if let Some(e) = &self.esx {
            if let Some(v) = &e.version {
                put("esx.version".into(), v.clone());
            }
            if let Some(b) = &e.build {
                put("esx.build".into(), b.clone());
            }
            for (key, value) in &e.advanced {
                put(format!("esx.{key}"), value.clone());
            }
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_values_flags_quotes_and_stops_at_double_dash() {
        let got = split_cmdline(
            "BOOT_IMAGE=/vmlinuz ro acpi_osi=\"!Windows 2012\" =x console=tty0 -- single x=1",
        );
        let want: Vec<(String, String)> = [
            ("BOOT_IMAGE", "/vmlinuz"),
            ("ro", ""),
            ("acpi_osi", "!Windows 2012"),
            ("console", "tty0"),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn repeated_parameters_join_with_commas() {
        let p = cmdline_params("console=tty0 console=ttyS0,115200 quiet quiet");
        assert_eq!(p["console"], "tty0,ttyS0,115200");
        assert_eq!(p["quiet"], "");
    }
}
