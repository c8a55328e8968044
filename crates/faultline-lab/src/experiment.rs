//! `EXPERIMENT.toml`: what `faultline lab run` runs.
//!
//! An experiment is a set of configurations, each run `repetitions` times;
//! every run boots a fresh guest on fresh disks and lasts until its first
//! failure or the time limit.
//!
//! ```toml
//! name = "appliance"                 # names the work folder runs/<name>/
//!
//! [run]
//! repetitions = 10                   # runs per configuration (default 3)
//! time_limit = "1h"                  # per run, from the first heartbeat (90s, 45m, 1h30m)
//! parallel = 1                       # guests at once (default 1)
//! memory = "512M"                    # guest memory (QEMU -m; K, M, G)
//! vcpus = 2                          # guest vCPUs (QEMU -smp)
//! heartbeat_timeout = "15s"          # no heartbeat this long after the first: a freeze
//! boot_timeout = "3m"                # no first heartbeat this long: outcome error
//! disk_size = "1G"                   # the stress disk /dev/vda (sparse)
//! swap_size = "256M"                 # the swap disk /dev/vdb, when swap = true
//!
//! [stress]                           # defaults of `faultline.stress=` (faultline stress options)
//! rw = "randrw"
//! bs = "4k"
//! numjobs = 5
//! direct = true                      # booleans: time_based is a flag, others 1/0
//! size = "256M"
//!
//! [[configuration]]
//! name = "qcow2-swap"                # letters, digits, '-', '_', '.'
//! disk_format = "qcow2"              # "qcow2" | "raw" (host image, qemu-img create -f) | "lvm"
//!                                    # (an LVM volume: on the host when it has device-mapper,
//!                                    # else made inside the guest on a raw disk; see crate::lvm)
//! swap = true                        # a second disk /dev/vdb and faultline.swap=on
//! scheduler = "mq-deadline"          # guest I/O scheduler of every virtio disk
//! sysctl = { "vm.swappiness" = 60, "vm.overcommit_memory" = 0 }
//! vcpus = 2                          # overrides [run]
//! memory = "512M"                    # overrides [run]
//! inject = "panic:300"               # or "freeze:600": an exponential failure of that mean (s)
//! stress = { numjobs = 2 }           # overrides of [stress]
//! ```
//!
//! When `[stress]` (merged with the configuration's) sets no `runtime`, the
//! stress runs past the time limit (`runtime` = time limit + 60 s,
//! `time_based`), so the load lasts the whole run.
//! Configurations × repetitions = runs. Errors name the file and line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{LabError, Result, bail};
use serde::{Deserialize, Serialize};
use toml::Spanned;

/// One value of a `[stress]` or `sysctl` table, as given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Value {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(i) => write!(f, "{i}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Text(s) => f.write_str(s),
        }
    }
}

/// The stress disk's format, a factor of the experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DiskFormat {
    Qcow2,
    Raw,
    /// An LVM logical volume. The host side is a raw disk: either the LV
    /// itself (host LVM) or a raw file the guest makes the LV on (see
    /// [`crate::lvm::lvm_placement`]).
    Lvm,
}

impl DiskFormat {
    /// The name in `EXPERIMENT.toml` and in the run records.
    pub fn name(self) -> &'static str {
        match self {
            DiskFormat::Qcow2 => "qcow2",
            DiskFormat::Raw => "raw",
            DiskFormat::Lvm => "lvm",
        }
    }

    /// The format of the host file QEMU opens (`qemu-img create -f`,
    /// `-drive format=`): an LVM volume is a raw block device to QEMU,
    /// whichever side makes it.
    pub fn host_format(self) -> &'static str {
        match self {
            DiskFormat::Qcow2 => "qcow2",
            DiskFormat::Raw | DiskFormat::Lvm => "raw",
        }
    }
}

/// One configuration, its settings resolved (run defaults applied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Configuration {
    pub name: String,
    pub disk_format: DiskFormat,
    pub swap: bool,
    pub scheduler: Option<String>,
    pub sysctl: BTreeMap<String, String>,
    pub vcpus: u32,
    pub memory: String,
    pub inject: Option<String>,
    /// The merged stress options, as passed to the guest (`faultline.stress=`).
    pub stress: Vec<(String, String)>,
    /// `faultline stress` on the host too, for the length of each run.
    pub host_stress: bool,
    /// Its options: `[stress]` merged with the configuration's
    /// `host_stress = { ... }` table (the lab sets target and length).
    pub host_stress_options: Vec<(String, String)>,
}

impl Configuration {
    /// The `faultline.*` words of the kernel command line for one run.
    pub fn kernel_words(&self, seed: u64) -> Vec<String> {
        let mut w = vec![
            "faultline.heartbeat=1".to_string(),
            format!("faultline.seed={seed}"),
        ];
        if self.swap {
            w.push("faultline.swap=on".into());
        }
        if let Some(s) = &self.scheduler {
            w.push(format!("faultline.scheduler={s}"));
        }
        if !self.sysctl.is_empty() {
            let kv: Vec<String> = self
                .sysctl
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            w.push(format!("faultline.sysctl={}", kv.join(",")));
        }
        if let Some(i) = &self.inject {
            w.push(format!("faultline.inject={i}"));
        }
        if !self.stress.is_empty() {
            let kv: Vec<String> = self
                .stress
                .iter()
                .map(|(k, v)| {
                    if v.is_empty() {
                        k.clone()
                    } else {
                        format!("{k}={v}")
                    }
                })
                .collect();
            w.push(format!("faultline.stress={}", kv.join(",")));
        }
        w
    }
}

/// A parsed, validated experiment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Experiment {
    pub name: String,
    pub path: PathBuf,
    pub repetitions: u32,
    pub time_limit_s: f64,
    pub parallel: u32,
    pub heartbeat_timeout_s: f64,
    pub boot_timeout_s: f64,
    pub disk_size: String,
    pub swap_size: String,
    pub configurations: Vec<Configuration>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExperiment {
    name: Spanned<String>,
    #[serde(default)]
    run: Option<Spanned<RawRun>>,
    #[serde(default)]
    stress: BTreeMap<String, Spanned<Value>>,
    #[serde(default)]
    configuration: Vec<Spanned<RawConfiguration>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawRun {
    repetitions: Option<Spanned<i64>>,
    time_limit: Option<Spanned<String>>,
    parallel: Option<Spanned<i64>>,
    memory: Option<Spanned<String>>,
    vcpus: Option<Spanned<i64>>,
    heartbeat_timeout: Option<Spanned<String>>,
    boot_timeout: Option<Spanned<String>>,
    disk_size: Option<Spanned<String>>,
    swap_size: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfiguration {
    name: Spanned<String>,
    disk_format: Option<Spanned<String>>,
    swap: Option<bool>,
    scheduler: Option<Spanned<String>>,
    #[serde(default)]
    sysctl: BTreeMap<String, Spanned<Value>>,
    vcpus: Option<Spanned<i64>>,
    memory: Option<Spanned<String>>,
    inject: Option<Spanned<String>>,
    #[serde(default)]
    stress: BTreeMap<String, Spanned<Value>>,
    /// `true`, or a table of stress options for the host's workload.
    host_stress: Option<Spanned<toml::Value>>,
}

/// Reads and validates an experiment file.
pub fn load(path: &Path) -> Result<Experiment> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| LabError::Invalid(format!("{}: cannot read: {e}", path.display())))?;
    parse(&text, path)
}

struct Src<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Src<'_> {
    fn line(&self, offset: usize) -> usize {
        let end = offset.min(self.text.len());
        self.text.as_bytes()[..end]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1
    }

    fn err<T>(&self, span: std::ops::Range<usize>, msg: impl std::fmt::Display) -> Result<T> {
        Err(LabError::Invalid(format!(
            "{}:{}: {msg}",
            self.path.display(),
            self.line(span.start)
        )))
    }
}

/// Seconds from `90s`, `45m`, `1h30m`, `2d`, `1w` or a bare number of seconds.
pub fn parse_seconds(s: &str) -> Option<f64> {
    let t = s.trim();
    if let Ok(x) = t.parse::<f64>() {
        return (x.is_finite() && x > 0.0).then_some(x);
    }
    let (mut total, mut number, mut any) = (0.0, String::new(), false);
    for c in t.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let scale = match c {
            's' => 1.0,
            'm' => 60.0,
            'h' => 3600.0,
            'd' => 86_400.0,
            'w' => 604_800.0,
            _ => return None,
        };
        total += number.parse::<f64>().ok()? * scale;
        number.clear();
        any = true;
    }
    (number.is_empty() && any && total.is_finite() && total > 0.0).then_some(total)
}

fn size_ok(s: &str) -> bool {
    let digits = s.trim_end_matches(['K', 'M', 'G', 'T', 'k', 'm', 'g', 't']);
    !digits.is_empty() && digits.len() + 1 >= s.len() && digits.parse::<u64>().is_ok_and(|n| n > 0)
}

fn word_ok(s: &str) -> bool {
    !s.is_empty() && !s.contains([',', ' ', '\t', '\n', '"', '\'', '='])
}

fn name_ok(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with('.')
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

fn positive(src: &Src, v: &Option<Spanned<i64>>, what: &str, default: u32) -> Result<u32> {
    match v {
        None => Ok(default),
        Some(v) if *v.get_ref() >= 1 && *v.get_ref() <= 4096 => Ok(*v.get_ref() as u32),
        Some(v) => src.err(
            v.span(),
            format!("{what} = {}: give a whole number from 1", v.get_ref()),
        ),
    }
}

fn seconds(src: &Src, v: &Option<Spanned<String>>, what: &str, default: f64) -> Result<f64> {
    match v {
        None => Ok(default),
        Some(v) => match parse_seconds(v.get_ref()) {
            Some(s) => Ok(s),
            None => src.err(
                v.span(),
                format!(
                    "{what} = {:?}: not a duration (90s, 45m, 1h30m)",
                    v.get_ref()
                ),
            ),
        },
    }
}

fn size(src: &Src, v: &Option<Spanned<String>>, what: &str, default: &str) -> Result<String> {
    match v {
        None => Ok(default.to_string()),
        Some(v) if size_ok(v.get_ref()) => Ok(v.get_ref().clone()),
        Some(v) => src.err(
            v.span(),
            format!("{what} = {:?}: not a size (512M, 1G)", v.get_ref()),
        ),
    }
}

/// The stress options as `faultline stress` takes them: `time_based` is a
/// flag (true: given, false: left out); other booleans are 1/0.
fn stress_words(
    src: &Src,
    merged: &BTreeMap<String, Spanned<Value>>,
) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for (k, v) in merged {
        if !word_ok(k)
            || matches!(
                k.as_str(),
                "filename" | "json" | "force" | "status-interval" | "status_interval"
            )
        {
            return src.err(v.span(), format!("stress option {k:?} cannot be set here"));
        }
        let flag = k == "time_based" || k == "time-based";
        let value = match v.get_ref() {
            Value::Bool(true) if flag => String::new(),
            Value::Bool(false) if flag => continue,
            Value::Bool(b) => (if *b { "1" } else { "0" }).to_string(),
            other => other.to_string(),
        };
        if !value.is_empty() && !word_ok(&value) {
            return src.err(
                v.span(),
                format!("stress {k} = {value:?}: no spaces, commas, quotes or '='"),
            );
        }
        out.push((k.clone(), value));
    }
    Ok(out)
}

/// Parses an experiment from its text (`path` names it in errors).
pub fn parse(text: &str, path: &Path) -> Result<Experiment> {
    let src = Src { text, path };
    let raw: RawExperiment = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map_or(1, |s| src.line(s.start));
            bail!("{}:{line}: {}", path.display(), e.message());
        }
    };
    let name = raw.name.get_ref().clone();
    if !name_ok(&name) {
        return src.err(
            raw.name.span(),
            format!("name = {name:?}: letters, digits, '-', '_' and '.' only (it names a folder)"),
        );
    }
    let default_run = Spanned::new(0..0, RawRun::default());
    let run_spanned = raw.run.as_ref().unwrap_or(&default_run);
    let run = run_spanned.get_ref();
    let repetitions = positive(&src, &run.repetitions, "repetitions", 3)?;
    let parallel = positive(&src, &run.parallel, "parallel", 1)?;
    let vcpus = positive(&src, &run.vcpus, "vcpus", 2)?;
    let memory = size(&src, &run.memory, "memory", "512M")?;
    let time_limit_s = seconds(&src, &run.time_limit, "time_limit", 600.0)?;
    let heartbeat_timeout_s = seconds(&src, &run.heartbeat_timeout, "heartbeat_timeout", 15.0)?;
    let boot_timeout_s = seconds(&src, &run.boot_timeout, "boot_timeout", 180.0)?;
    let disk_size = size(&src, &run.disk_size, "disk_size", "1G")?;
    let swap_size = size(&src, &run.swap_size, "swap_size", "256M")?;
    if raw.configuration.is_empty() {
        bail!(
            "{}: no [[configuration]]: give at least one (a name and its settings)",
            path.display()
        );
    }
    let mut configurations: Vec<Configuration> = Vec::new();
    for c in &raw.configuration {
        let span = c.span();
        let c = c.get_ref();
        let cname = c.name.get_ref().clone();
        if !name_ok(&cname) {
            return src.err(
                c.name.span(),
                format!("configuration name {cname:?}: letters, digits, '-', '_' and '.' only"),
            );
        }
        if configurations.iter().any(|o| o.name == cname) {
            return src.err(
                c.name.span(),
                format!("configuration {cname:?} given twice"),
            );
        }
        let disk_format = match c.disk_format.as_ref() {
            None => DiskFormat::Raw,
            Some(f) => match f.get_ref().as_str() {
                "qcow2" => DiskFormat::Qcow2,
                "raw" => DiskFormat::Raw,
                "lvm" => DiskFormat::Lvm,
                other => {
                    return src.err(
                        f.span(),
                        format!("disk_format = {other:?}: qcow2, raw or lvm"),
                    );
                }
            },
        };
        let scheduler = match &c.scheduler {
            None => None,
            Some(s) if word_ok(s.get_ref()) => Some(s.get_ref().clone()),
            Some(s) => {
                return src.err(
                    s.span(),
                    format!("scheduler = {:?}: not a name", s.get_ref()),
                );
            }
        };
        let mut sysctl = BTreeMap::new();
        for (k, v) in &c.sysctl {
            let value = v.get_ref().to_string();
            if !word_ok(k) || !k.contains('.') || !word_ok(&value) {
                return src.err(
                    v.span(),
                    format!("sysctl {k:?} = {value:?}: give name.like.this = value (no spaces or commas)"),
                );
            }
            sysctl.insert(k.clone(), value);
        }
        let inject = match &c.inject {
            None => None,
            Some(i) => {
                let ok = i.get_ref().split_once(':').is_some_and(|(kind, mean)| {
                    (kind == "panic" || kind == "freeze")
                        && mean.parse::<f64>().is_ok_and(|m| m.is_finite() && m > 0.0)
                });
                if !ok {
                    return src.err(
                        i.span(),
                        format!(
                            "inject = {:?}: give \"panic:SECONDS\" or \"freeze:SECONDS\"",
                            i.get_ref()
                        ),
                    );
                }
                Some(i.get_ref().clone())
            }
        };
        let mut merged = raw.stress.clone();
        for (k, v) in &c.stress {
            merged.insert(k.clone(), v.clone());
        }
        if !merged.is_empty() && !merged.contains_key("runtime") {
            merged.insert(
                "runtime".into(),
                Spanned::new(
                    span.clone(),
                    Value::Text(format!("{}s", time_limit_s.ceil() as u64 + 60)),
                ),
            );
            merged.insert(
                "time_based".into(),
                Spanned::new(span.clone(), Value::Bool(true)),
            );
        }
        let stress = stress_words(&src, &merged)?;
        let (host_stress, host_stress_options) = match &c.host_stress {
            None => (false, Vec::new()),
            Some(h) => {
                let mut merged = raw.stress.clone();
                match h.get_ref() {
                    toml::Value::Boolean(b) => {
                        if !b {
                            merged.clear();
                        }
                    }
                    toml::Value::Table(t) => {
                        for (k, v) in t {
                            let v = match v {
                                toml::Value::Boolean(b) => Value::Bool(*b),
                                toml::Value::Integer(i) => Value::Int(*i),
                                toml::Value::Float(x) => Value::Float(*x),
                                toml::Value::String(s) => Value::Text(s.clone()),
                                _ => {
                                    return src.err(
                                        h.span(),
                                        format!("host_stress {k}: a number, text or true/false"),
                                    );
                                }
                            };
                            merged.insert(k.clone(), Spanned::new(h.span(), v));
                        }
                    }
                    _ => {
                        return src.err(
                            h.span(),
                            "host_stress: true, false, or a table of stress options",
                        );
                    }
                }
                let on = !matches!(h.get_ref(), toml::Value::Boolean(false));
                if on && !merged.contains_key("size") {
                    return src.err(
                        h.span(),
                        "host_stress: give the workload a size (in [stress] or here: \
                         host_stress = { size = \"1G\" })",
                    );
                }
                (on, stress_words(&src, &merged)?)
            }
        };
        configurations.push(Configuration {
            name: cname,
            disk_format,
            swap: c.swap.unwrap_or(false),
            scheduler,
            sysctl,
            vcpus: positive(&src, &c.vcpus, "vcpus", vcpus)?,
            memory: size(&src, &c.memory, "memory", &memory)?,
            inject,
            stress,
            host_stress,
            host_stress_options,
        });
    }
    Ok(Experiment {
        name,
        path: path.to_path_buf(),
        repetitions,
        time_limit_s,
        parallel,
        heartbeat_timeout_s,
        boot_timeout_s,
        disk_size,
        swap_size,
        configurations,
    })
}

/// The seed of one run's injected failure: the same experiment, configuration
/// and repetition always draw the same time (FNV-1a of the three).
pub fn run_seed(experiment: &str, configuration: &str, repetition: u32) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in experiment
        .bytes()
        .chain([0])
        .chain(configuration.bytes())
        .chain([0])
        .chain(repetition.to_le_bytes())
    {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Experiment> {
        parse(text, Path::new("x.toml"))
    }

    const GOOD: &str = r#"
name = "t"
[run]
repetitions = 2
time_limit = "90s"
heartbeat_timeout = "10s"
[stress]
rw = "randrw"
direct = true
numjobs = 5
[[configuration]]
name = "a"
disk_format = "qcow2"
swap = true
scheduler = "mq-deadline"
sysctl = { "vm.swappiness" = 60 }
inject = "panic:15"
[[configuration]]
name = "b"
memory = "1G"
stress = { numjobs = 1, runtime = "30s" }
"#;

    #[test]
    fn parses_and_merges() {
        let e = p(GOOD).unwrap();
        assert_eq!(e.repetitions, 2);
        assert_eq!(e.time_limit_s, 90.0);
        assert_eq!(e.heartbeat_timeout_s, 10.0);
        let a = &e.configurations[0];
        assert_eq!(a.disk_format, DiskFormat::Qcow2);
        assert_eq!(a.memory, "512M");
        let words = a.kernel_words(7).join(" ");
        assert!(words.contains("faultline.swap=on"), "{words}");
        assert!(
            words.contains("faultline.sysctl=vm.swappiness=60"),
            "{words}"
        );
        assert!(words.contains("faultline.inject=panic:15"), "{words}");
        assert!(
            words.contains("faultline.stress=direct=1,numjobs=5,runtime=150s,rw=randrw,time_based"),
            "{words}"
        );
        let b = &e.configurations[1];
        assert_eq!(b.disk_format, DiskFormat::Raw);
        assert_eq!(b.memory, "1G");
        assert!(!b.swap);
        let words = b.kernel_words(7).join(" ");
        assert!(
            words.ends_with("faultline.stress=direct=1,numjobs=1,runtime=30s,rw=randrw"),
            "{words}"
        );
    }

    #[test]
    fn errors_name_file_and_line() {
        let bad = GOOD.replace("disk_format = \"qcow2\"", "disk_format = \"lvm2\"");
        let e = p(&bad).unwrap_err().to_string();
        assert!(e.starts_with("x.toml:13: "), "{e}");
        assert!(e.contains("qcow2, raw or lvm"), "{e}");

        let bad = GOOD.replace("inject = \"panic:15\"", "inject = \"boom:15\"");
        let e = p(&bad).unwrap_err().to_string();
        assert!(e.starts_with("x.toml:17: "), "{e}");

        let bad = GOOD.replace("time_limit = \"90s\"", "time_limit = \"soon\"");
        let e = p(&bad).unwrap_err().to_string();
        assert!(
            e.starts_with("x.toml:5: ") && e.contains("not a duration"),
            "{e}"
        );

        let bad = GOOD.replace("swap = true", "swapp = true");
        let e = p(&bad).unwrap_err().to_string();
        assert!(e.starts_with("x.toml:") && e.contains("swapp"), "{e}");

        let bad = GOOD.replace("name = \"b\"", "name = \"a\"");
        let e = p(&bad).unwrap_err().to_string();
        assert!(e.starts_with("x.toml:19: ") && e.contains("twice"), "{e}");

        let e = p("name = \"t\"\n").unwrap_err().to_string();
        assert!(e.contains("no [[configuration]]"), "{e}");

        let e = p("name = \"t\"\n[run]\nrepetitions = 0\n[[configuration]]\nname = \"a\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("x.toml:3: "), "{e}");
    }

    #[test]
    fn lvm_is_a_disk_format() {
        let text = GOOD.replace("disk_format = \"qcow2\"", "disk_format = \"lvm\"");
        let e = p(&text).unwrap();
        let a = &e.configurations[0];
        assert_eq!(a.disk_format, DiskFormat::Lvm);
        assert_eq!(a.disk_format.name(), "lvm");
        // QEMU sees a raw block device, wherever the volume is made.
        assert_eq!(a.disk_format.host_format(), "raw");
        assert_eq!(DiskFormat::Qcow2.host_format(), "qcow2");
        assert_eq!(DiskFormat::Raw.host_format(), "raw");
        // The run records keep the factor's level, not the host format.
        let json = serde_json::to_value(a).unwrap();
        assert_eq!(json["disk_format"], "lvm");
        // Placement is decided per run (crate::lvm), so the configuration's
        // own words do not name it.
        assert!(!a.kernel_words(1).iter().any(|w| w.contains("lvm")));
    }

    #[test]
    fn seconds_and_seeds() {
        assert_eq!(parse_seconds("90s"), Some(90.0));
        assert_eq!(parse_seconds("1h30m"), Some(5400.0));
        assert_eq!(parse_seconds("10"), Some(10.0));
        assert_eq!(parse_seconds("x"), None);
        assert_eq!(parse_seconds("0s"), None);
        assert_ne!(run_seed("e", "a", 1), run_seed("e", "a", 2));
        assert_ne!(run_seed("e", "a", 1), run_seed("e", "b", 1));
        assert!(
            size_ok("512M") && size_ok("1G") && size_ok("1024") && !size_ok("M") && !size_ok("1GG")
        );
    }
}
