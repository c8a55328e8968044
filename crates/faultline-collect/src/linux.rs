//! Collecting a Linux machine's snapshot from `/proc`, `/sys` and a few
//! commands.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::facts::cmdline_params;
use crate::images::{collect_images, io_why};
use crate::runner::{CommandRunner, RunError, SystemRunner};
use crate::snapshot::{
    BlockDevice, Clocksource, Cpu, Kdump, Kernel, LogicalVolume, Memory, NfsMount, SCHEMA,
    Snapshot, Swap, Unreadable, Xen,
};

/// What to collect and from where.
#[derive(Debug, Clone)]
pub struct CollectOptions {
    /// Folder under which `proc/...`, `sys/...` and `dev/kvm` are read
    /// (`/` for this machine; a recorded tree in tests).
    pub root: PathBuf,
    /// Folders searched for VM disk images.
    pub image_dirs: Vec<PathBuf>,
    /// The machine's name (default: `proc/sys/kernel/hostname`).
    pub machine: Option<String>,
}

impl Default for CollectOptions {
    fn default() -> Self {
        CollectOptions {
            root: PathBuf::from("/"),
            image_dirs: Vec::new(),
            machine: None,
        }
    }
}

/// The sysctls collected (dotted names, read from `proc/sys/...`).
pub const SYSCTLS: &[&str] = &[
    "vm.swappiness",
    "vm.overcommit_memory",
    "vm.overcommit_ratio",
    "vm.overcommit_kbytes",
    "vm.dirty_ratio",
    "vm.dirty_background_ratio",
    "vm.dirty_bytes",
    "vm.dirty_background_bytes",
    "vm.dirty_expire_centisecs",
    "vm.dirty_writeback_centisecs",
    "vm.min_free_kbytes",
    "vm.panic_on_oom",
    "vm.oom_kill_allocating_task",
    "vm.zone_reclaim_mode",
    "vm.vfs_cache_pressure",
    "vm.nr_hugepages",
    "vm.max_map_count",
    "kernel.panic",
    "kernel.panic_on_oops",
    "kernel.panic_on_warn",
    "kernel.softlockup_panic",
    "kernel.hardlockup_panic",
    "kernel.hung_task_panic",
    "kernel.hung_task_timeout_secs",
    "kernel.hung_task_warnings",
    "kernel.watchdog",
    "kernel.watchdog_thresh",
    "kernel.nmi_watchdog",
    "kernel.soft_watchdog",
    "kernel.panic_on_rcu_stall",
    "kernel.unknown_nmi_panic",
    "kernel.panic_on_io_nmi",
    "kernel.panic_on_unrecovered_nmi",
    "kernel.sysrq",
    "kernel.printk",
    "kernel.tainted",
    "kernel.kptr_restrict",
    "kernel.numa_balancing",
];

/// Block devices whose names start with these are not disks and are left
/// out.
const SKIPPED_BLOCK: &[&str] = &["loop", "ram", "zram"];

/// Collects this machine's snapshot (commands run for real, with a time
/// limit of 5 s each). Never fails: what cannot be read is listed in
/// [`Snapshot::unreadable`].
pub fn collect(opts: &CollectOptions) -> Snapshot {
    collect_with(opts, &SystemRunner::default())
}

/// [`collect`] with the given command runner (a
/// [`RecordedRunner`](crate::RecordedRunner) in tests).
pub fn collect_with(opts: &CollectOptions, runner: &dyn CommandRunner) -> Snapshot {
    let mut r = Reader {
        root: &opts.root,
        unreadable: Vec::new(),
    };
    let mut s = Snapshot {
        schema: SCHEMA,
        collected_at: jiff::Timestamp::now()
            .strftime("%Y-%m-%dT%H:%M:%SZ")
            .to_string(),
        source: "linux".into(),
        ..Snapshot::default()
    };
    if !r.path("proc").is_dir() {
        r.unreadable.push(Unreadable {
            what: "/proc".into(),
            why: format!("not found under {}", opts.root.display()),
        });
    }

    let hostname = r
        .read("proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string());
    s.machine = opts.machine.clone().or(hostname).unwrap_or_default();

    // Kernel.
    let release = r.read("proc/sys/kernel/osrelease");
    let version = r.read("proc/sys/kernel/version");
    let cmdline = r.read("proc/cmdline");
    if release.is_some() || version.is_some() || cmdline.is_some() {
        s.kernel = Some(Kernel {
            release: release.as_deref().map(trim).unwrap_or_default(),
            version: version.as_deref().map(trim).unwrap_or_default(),
            cmdline: cmdline.as_deref().map(trim).unwrap_or_default(),
        });
    }
    let params = cmdline.as_deref().map(cmdline_params).unwrap_or_default();

    // Memory and swap.
    if let Some(text) = r.read("proc/meminfo") {
        s.memory = Some(parse_meminfo(&text));
    }
    if let Some(text) = r.read("proc/swaps") {
        s.swaps = parse_swaps(&text);
    }

    for name in SYSCTLS {
        let rel = format!("proc/sys/{}", name.replace('.', "/"));
        if let Some(v) = r.read(&rel) {
            s.sysctl.insert(
                name.to_string(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            );
        }
    }

    // CPU.
    let mut hypervisor_flag = false;
    if let Some(text) = r.read("proc/cpuinfo") {
        let (cpu, flag) = parse_cpuinfo(&text);
        s.cpu = Some(cpu);
        hypervisor_flag = flag;
    }

    let current = r.read("sys/devices/system/clocksource/clocksource0/current_clocksource");
    let available = r.read("sys/devices/system/clocksource/clocksource0/available_clocksource");
    if current.is_some() || available.is_some() {
        s.clocksource = Some(Clocksource {
            current: current.as_deref().map(trim).unwrap_or_default(),
            available: available
                .as_deref()
                .map(|a| a.split_whitespace().map(str::to_string).collect())
                .unwrap_or_default(),
        });
    }

    if let Some(text) = r.read("proc/consoles") {
        s.consoles = text
            .lines()
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect();
    }

    s.block = r.block_devices();

    if let Some(text) = r.read("proc/mounts") {
        s.nfs_mounts = parse_nfs_mounts(&text);
    }

    // kdump.
    let crash_size = r.read("sys/kernel/kexec_crash_size");
    let crash_loaded = r.read("sys/kernel/kexec_crash_loaded");
    let crashkernel = params.get("crashkernel").cloned();
    if crashkernel.is_some() || crash_size.is_some() || crash_loaded.is_some() {
        s.kdump = Some(Kdump {
            crashkernel,
            reserved_bytes: crash_size.as_deref().and_then(|v| v.trim().parse().ok()),
            loaded: crash_loaded.as_deref().and_then(|v| match v.trim() {
                "1" => Some(true),
                "0" => Some(false),
                _ => None,
            }),
        });
    }

    // Role and hypervisor.
    s.kvm_device = Some(r.path("dev/kvm").exists());
    let dom0 = r
        .read("proc/xen/capabilities")
        .is_some_and(|c| c.contains("control_d"));
    if dom0 {
        s.role = "host".into();
        s.hypervisor = Some("xen".into());
    } else {
        let dmi = [
            r.read("sys/class/dmi/id/sys_vendor"),
            r.read("sys/class/dmi/id/product_name"),
        ];
        let dmi_name = hypervisor_from_dmi(
            dmi[0].as_deref().unwrap_or(""),
            dmi[1].as_deref().unwrap_or(""),
        );
        let hv_type = r
            .read("sys/hypervisor/type")
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        if hypervisor_flag || hv_type.is_some() || dmi_name.is_some() {
            s.role = "guest".into();
            s.hypervisor = dmi_name.map(str::to_string).or(hv_type);
        } else if s.kvm_device == Some(true) {
            s.role = "host".into();
            s.hypervisor = Some("kvm".into());
        } else {
            s.role = "bare".into();
        }
    }

    if dom0 {
        s.xen = r.xen(runner);
    }

    s.lvm = r.logical_volumes(runner);
    s.images = collect_images(&opts.image_dirs, runner, &mut r.unreadable);
    s.unreadable = r.unreadable;
    s
}

fn trim(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\0')
        .to_string()
}

struct Reader<'a> {
    root: &'a Path,
    unreadable: Vec<Unreadable>,
}

impl Reader<'_> {
    fn path(&self, rel: &str) -> PathBuf {
        self.root.join(rel)
    }

    /// A file's text; a missing file is `None` without comment, any other
    /// failure is noted in `unreadable`.
    fn read(&mut self, rel: &str) -> Option<String> {
        match std::fs::read(self.path(rel)) {
            Ok(bytes) => Some(String::from_utf8_lossy(&bytes).into_owned()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                self.unreadable.push(Unreadable {
                    what: format!("/{rel}"),
                    why: io_why(&e),
                });
                None
            }
        }
    }

    fn read_num<T: std::str::FromStr>(&mut self, rel: &str) -> Option<T> {
        self.read(rel).and_then(|v| v.trim().parse().ok())
    }

    fn block_devices(&mut self) -> Vec<BlockDevice> {
        let dir = self.path("sys/block");
        let mut names: Vec<String> = match std::fs::read_dir(&dir) {
            Ok(entries) => entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !SKIPPED_BLOCK.iter().any(|p| n.starts_with(p)))
                .collect(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => {
                self.unreadable.push(Unreadable {
                    what: "/sys/block".into(),
                    why: io_why(&e),
                });
                Vec::new()
            }
        };
        names.sort();
        names
            .into_iter()
            .map(|name| {
                let b = format!("sys/block/{name}");
                let (scheduler, schedulers) = self
                    .read(&format!("{b}/queue/scheduler"))
                    .map(|t| parse_scheduler(&t))
                    .unwrap_or_default();
                BlockDevice {
                    scheduler,
                    schedulers,
                    rotational: self
                        .read_num::<u8>(&format!("{b}/queue/rotational"))
                        .map(|v| v != 0),
                    queue_depth: self.read_num(&format!("{b}/device/queue_depth")),
                    nr_requests: self.read_num(&format!("{b}/queue/nr_requests")),
                    size_bytes: self
                        .read_num::<u64>(&format!("{b}/size"))
                        .map(|sectors| sectors.saturating_mul(512)),
                    model: self
                        .read(&format!("{b}/device/model"))
                        .map(|m| trim(&m))
                        .filter(|m| !m.is_empty()),
                    name,
                }
            })
            .collect()
    }

    fn xen(&mut self, runner: &dyn CommandRunner) -> Option<Xen> {
        let mut xen = Xen::default();
        match runner.run("xl", &["info"]) {
            Ok(out) => xen = parse_xl_info(&out),
            Err(e) => self.unreadable.push(Unreadable {
                what: "xl info".into(),
                why: e.to_string(),
            }),
        }
        if xen.version.is_none() {
            let major = self.read("sys/hypervisor/version/major");
            let minor = self.read("sys/hypervisor/version/minor");
            let extra = self.read("sys/hypervisor/version/extra");
            if let (Some(major), Some(minor)) = (major, minor) {
                xen.version = Some(format!(
                    "{}.{}{}",
                    major.trim(),
                    minor.trim(),
                    extra.as_deref().map(str::trim).unwrap_or("")
                ));
            }
        }
        (xen != Xen::default()).then_some(xen)
    }

    fn logical_volumes(&mut self, runner: &dyn CommandRunner) -> Vec<LogicalVolume> {
        let args = [
            "--noheadings",
            "--units",
            "b",
            "--nosuffix",
            "--separator",
            ";",
            "-o",
            "vg_name,lv_name,lv_size,lv_attr",
        ];
        match runner.run("lvs", &args) {
            Ok(out) => parse_lvs(&out),
            // No LVM tools, no LVM worth reporting.
            Err(RunError::NotFound) => Vec::new(),
            Err(e) => {
                self.unreadable.push(Unreadable {
                    what: "lvs".into(),
                    why: e.to_string(),
                });
                Vec::new()
            }
        }
    }
}

/// `queue/scheduler`: the bracketed word is the one in use; a file with a
/// single word and no brackets (`none`) names it too.
pub(crate) fn parse_scheduler(text: &str) -> (Option<String>, Vec<String>) {
    let words: Vec<&str> = text.split_whitespace().collect();
    let mut selected = None;
    let mut all = Vec::new();
    for w in &words {
        if let Some(inner) = w.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
            selected = Some(inner.to_string());
            all.push(inner.to_string());
        } else {
            all.push(w.to_string());
        }
    }
    if selected.is_none() && all.len() == 1 {
        selected = Some(all[0].clone());
    }
    (selected, all)
}

fn parse_meminfo(text: &str) -> Memory {
    let mut m = Memory::default();
    for line in text.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let Some(value) = rest
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<u64>().ok())
        else {
            continue;
        };
        let slot = match key.trim() {
            "MemTotal" => &mut m.total_kb,
            "MemAvailable" => &mut m.available_kb,
            "SwapTotal" => &mut m.swap_total_kb,
            "SwapFree" => &mut m.swap_free_kb,
            "CommitLimit" => &mut m.commit_limit_kb,
            "Committed_AS" => &mut m.committed_as_kb,
            _ => continue,
        };
        *slot = Some(value);
    }
    m
}

/// `/proc/swaps` (header line, then name, type, size, used, priority; a
/// space in a name is written `\040`).
fn parse_swaps(text: &str) -> Vec<Swap> {
    text.lines()
        .filter(|l| !l.starts_with("Filename"))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 5 {
                return None;
            }
            Some(Swap {
                name: unescape_octal(f[0]),
                kind: f[1].to_string(),
                size_kb: f[2].parse().ok()?,
                used_kb: f[3].parse().ok()?,
                priority: f[4].parse().ok()?,
            })
        })
        .collect()
}

fn parse_cpuinfo(text: &str) -> (Cpu, bool) {
    let mut count = 0u32;
    let mut declared = None;
    let mut model = None;
    let mut flag = false;
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "processor" => count += 1,
            // s390 has no per-processor blocks.
            "# processors" => declared = value.parse().ok(),
            "model name" | "cpu model" if model.is_none() && !value.is_empty() => {
                model = Some(value.to_string())
            }
            "flags" | "features" => {
                flag |= value.split_whitespace().any(|w| w == "hypervisor");
            }
            _ => {}
        }
    }
    if count == 0 {
        count = declared.unwrap_or(0);
    }
    (Cpu { count, model }, flag)
}

/// The hypervisor a guest runs under, from its DMI vendor and product.
fn hypervisor_from_dmi(vendor: &str, product: &str) -> Option<&'static str> {
    let v = vendor.to_ascii_lowercase();
    let p = product.to_ascii_lowercase();
    let either = |s: &str| v.contains(s) || p.contains(s);
    if either("qemu") || either("kvm") || either("bochs") {
        Some("kvm")
    } else if either("vmware") {
        Some("vmware")
    } else if either("xen") {
        Some("xen")
    } else if v.contains("microsoft") && p.contains("virtual machine") {
        Some("hyperv")
    } else if either("innotek") || either("virtualbox") {
        Some("virtualbox")
    } else {
        None
    }
}

/// `\040`-style octal escapes of `/proc/mounts` and `/proc/swaps`.
fn unescape_octal(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_nfs_mounts(text: &str) -> Vec<NfsMount> {
    let mut out = Vec::new();
    for line in text.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 4 || !(f[2] == "nfs" || f[2] == "nfs4") {
            continue;
        }
        let device = unescape_octal(f[0]);
        let (server, export) = split_nfs_device(&device);
        let options = f[3]
            .split(',')
            .filter(|o| !o.is_empty())
            .map(|o| match o.split_once('=') {
                Some((k, v)) => (k.to_string(), v.to_string()),
                None => (o.to_string(), String::new()),
            })
            .collect::<BTreeMap<_, _>>();
        out.push(NfsMount {
            server,
            export,
            mountpoint: unescape_octal(f[1]),
            fstype: f[2].to_string(),
            options,
            device,
        });
    }
    out
}

/// `server:/export`, with an IPv6 server in brackets (`[fd00::5]:/vol`).
fn split_nfs_device(device: &str) -> (String, String) {
    if let Some(rest) = device.strip_prefix('[')
        && let Some((server, tail)) = rest.split_once(']')
    {
        return (
            server.to_string(),
            tail.strip_prefix(':').unwrap_or(tail).to_string(),
        );
    }
    match device.split_once(':') {
        Some((s, e)) => (s.to_string(), e.to_string()),
        None => (String::new(), device.to_string()),
    }
}

/// `xl info`: `key : value` lines.
fn parse_xl_info(text: &str) -> Xen {
    let mut kv = BTreeMap::new();
    for line in text.lines() {
        if let Some((k, v)) = line.split_once(':') {
            kv.insert(k.trim().to_string(), v.trim().to_string());
        }
    }
    let version = kv
        .get("xen_version")
        .filter(|v| !v.is_empty())
        .cloned()
        .or_else(|| {
            let major = kv.get("xen_major")?;
            let minor = kv.get("xen_minor")?;
            let extra = kv.get("xen_extra").map(String::as_str).unwrap_or("");
            Some(format!("{major}.{minor}{extra}"))
        });
    Xen {
        version,
        cmdline: kv.get("xen_commandline").cloned(),
        total_memory_mb: kv.get("total_memory").and_then(|v| v.parse().ok()),
        free_memory_mb: kv.get("free_memory").and_then(|v| v.parse().ok()),
    }
}

fn parse_lvs(text: &str) -> Vec<LogicalVolume> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.trim().split(';').map(str::trim).collect();
            if f.len() < 2 || f[0].is_empty() || f[1].is_empty() {
                return None;
            }
            Some(LogicalVolume {
                vg: f[0].to_string(),
                lv: f[1].to_string(),
                size_bytes: f.get(2).and_then(|s| s.trim_end_matches('B').parse().ok()),
                attr: f.get(3).filter(|a| !a.is_empty()).map(|a| a.to_string()),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedulers_old_new_and_single() {
        assert_eq!(
            parse_scheduler("noop deadline [cfq]\n"),
            (
                Some("cfq".into()),
                vec!["noop".into(), "deadline".into(), "cfq".into()]
            )
        );
        assert_eq!(
            parse_scheduler("mq-deadline kyber [bfq] none").0.as_deref(),
            Some("bfq")
        );
        assert_eq!(parse_scheduler("none\n").0.as_deref(), Some("none"));
        assert_eq!(parse_scheduler("").0, None);
    }

    #[test]
    fn octal_escapes_and_ipv6_servers() {
        assert_eq!(unescape_octal(r"/mnt/my\040vms"), "/mnt/my vms");
        assert_eq!(unescape_octal(r"a\04"), r"a\04");
        assert_eq!(
            split_nfs_device("[fd00::5]:/vol/a"),
            ("fd00::5".into(), "/vol/a".into())
        );
    }

    #[test]
    fn dmi_names() {
        assert_eq!(
            hypervisor_from_dmi("QEMU", "Standard PC (i440FX + PIIX, 1996)"),
            Some("kvm")
        );
        assert_eq!(
            hypervisor_from_dmi("VMware, Inc.", "VMware Virtual Platform"),
            Some("vmware")
        );
        assert_eq!(
            hypervisor_from_dmi("Microsoft Corporation", "Virtual Machine"),
            Some("hyperv")
        );
        assert_eq!(
            hypervisor_from_dmi("Microsoft Corporation", "Surface Pro 7"),
            None
        );
        assert_eq!(
            hypervisor_from_dmi("innotek GmbH", "VirtualBox"),
            Some("virtualbox")
        );
        assert_eq!(hypervisor_from_dmi("Dell Inc.", "PowerEdge R740"), None);
    }
}
