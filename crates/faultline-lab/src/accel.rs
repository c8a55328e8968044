//! Choosing the accelerator for lab guests: KVM when `/dev/kvm` really runs
//! the lab's guest kernel, TCG otherwise.
//!
//! `/dev/kvm` existing is not enough: some hosts offer a paravirtual KVM on
//! which a standard guest kernel never boots. So [`probe`] boots the lab
//! image under KVM once and waits for the agent's first heartbeat. The answer
//! is cached in a small JSON file keyed by the host kernel release, QEMU's
//! version and the image files' sizes and mtimes, so it is paid once per
//! host, QEMU and image rather than once per experiment.

use std::os::unix::fs::MetadataExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc::{RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Accel {
    Kvm,
    Tcg,
}

#[derive(Debug, thiserror::Error)]
#[error("unknown accelerator {0:?}: expected kvm or tcg")]
pub struct UnknownAccel(String);

impl Accel {
    pub fn name(&self) -> &'static str {
        match self {
            Accel::Kvm => "kvm",
            Accel::Tcg => "tcg",
        }
    }

    /// QEMU arguments selecting it. KVM takes the host CPU model: the
    /// default model under KVM hides features for no gain here.
    pub fn qemu_args(&self) -> Vec<&'static str> {
        match self {
            Accel::Kvm => vec!["-accel", "kvm", "-cpu", "host"],
            Accel::Tcg => vec!["-accel", "tcg"],
        }
    }
}

impl std::str::FromStr for Accel {
    type Err = UnknownAccel;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "kvm" => Ok(Accel::Kvm),
            "tcg" => Ok(Accel::Tcg),
            _ => Err(UnknownAccel(s.to_string())),
        }
    }
}

impl std::fmt::Display for Accel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

pub struct ProbeOptions {
    /// The QEMU binary (a name on PATH or a path).
    pub qemu: String,
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    /// How long the guest gets to print its first heartbeat.
    pub timeout: Duration,
    /// Where the result is cached; `None` probes every time.
    pub cache: Option<PathBuf>,
    /// `--accel kvm|tcg`: no probe.
    pub force: Option<Accel>,
    /// The KVM device, `/dev/kvm` but for tests.
    pub kvm_device: PathBuf,
}

impl ProbeOptions {
    /// Defaults: a 30 s timeout, no cache, no override, `/dev/kvm`.
    pub fn new(qemu: &str, kernel: &Path, initramfs: &Path) -> Self {
        ProbeOptions {
            qemu: qemu.to_string(),
            kernel: kernel.to_path_buf(),
            initramfs: initramfs.to_path_buf(),
            timeout: Duration::from_secs(30),
            cache: None,
            force: None,
            kvm_device: PathBuf::from("/dev/kvm"),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct AccelChoice {
    pub accel: Accel,
    /// One line for the user: which accelerator and why.
    pub note: String,
    /// How long the decision took now (near 0 for a cache hit).
    pub probed_in_s: f64,
    /// Whether the answer came from the cache file.
    pub cached: bool,
}

/// The cache file's usual place in the lab's work folder.
pub fn default_cache_file(work: &Path) -> PathBuf {
    work.join("accel-probe.json")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_s: i64,
    pub mtime_ns: i64,
}

impl FileStamp {
    pub fn of(path: &Path) -> std::io::Result<FileStamp> {
        let m = std::fs::metadata(path)?;
        Ok(FileStamp {
            size: m.len(),
            mtime_s: m.mtime(),
            mtime_ns: m.mtime_nsec(),
        })
    }
}

/// What a cached answer depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CacheKey {
    /// `uname -r` of the host.
    pub host_kernel: String,
    /// `qemu --version`, trimmed.
    pub qemu_version: String,
    pub kernel: FileStamp,
    pub initramfs: FileStamp,
}

#[derive(Debug, Serialize, Deserialize)]
struct CacheEntry {
    format: u32,
    key: CacheKey,
    accel: Accel,
    note: String,
    probed_in_s: f64,
}

const CACHE_FORMAT: u32 = 1;

/// The host kernel release (`uname -r`).
pub fn host_kernel_release() -> Option<String> {
    // SAFETY: uname fills the zeroed struct it is given; nothing else.
    let mut u: libc::utsname = unsafe { std::mem::zeroed() };
    if unsafe { libc::uname(&mut u) } != 0 {
        return None;
    }
    let bytes: Vec<u8> = u
        .release
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    Some(String::from_utf8_lossy(&bytes).into_owned())
}

/// The key for these options, or why there is none (QEMU does not run, an
/// image file is missing).
pub fn cache_key(opts: &ProbeOptions) -> Result<CacheKey, String> {
    let host_kernel = host_kernel_release().ok_or("uname failed")?;
    let out = Command::new(&opts.qemu)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {} --version: {e}", opts.qemu))?;
    if !out.status.success() {
        return Err(format!("{} --version failed ({})", opts.qemu, out.status));
    }
    let qemu_version = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let stamp = |p: &Path| FileStamp::of(p).map_err(|e| format!("{}: {e}", p.display()));
    Ok(CacheKey {
        host_kernel,
        qemu_version,
        kernel: stamp(&opts.kernel)?,
        initramfs: stamp(&opts.initramfs)?,
    })
}

/// The cached choice if the file exists, parses and has this key.
pub fn read_cache(path: &Path, key: &CacheKey) -> Option<AccelChoice> {
    let text = std::fs::read_to_string(path).ok()?;
    let e: CacheEntry = serde_json::from_str(&text).ok()?;
    if e.format != CACHE_FORMAT || &e.key != key {
        return None;
    }
    Some(AccelChoice {
        accel: e.accel,
        note: format!("{} (cached)", e.note),
        probed_in_s: e.probed_in_s,
        cached: true,
    })
}

/// Writes the choice atomically (a temporary file renamed over the old one),
/// so parallel faultlines never read half a file.
pub fn write_cache(path: &Path, key: &CacheKey, choice: &AccelChoice) -> std::io::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)?;
    }
    let entry = CacheEntry {
        format: CACHE_FORMAT,
        key: key.clone(),
        accel: choice.accel,
        note: choice.note.clone(),
        probed_in_s: choice.probed_in_s,
    };
    let text = serde_json::to_string_pretty(&entry).map_err(std::io::Error::other)?;
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    std::fs::write(&tmp, text + "\n")?;
    std::fs::rename(&tmp, path)
}

/// Decides between KVM and TCG. Never fails: anything that goes wrong is a
/// reason for TCG, given in the note.
pub fn probe(opts: &ProbeOptions) -> AccelChoice {
    let start = Instant::now();
    let choice = |accel, note: String| AccelChoice {
        accel,
        note,
        probed_in_s: start.elapsed().as_secs_f64(),
        cached: false,
    };
    match opts.force {
        Some(Accel::Tcg) => return choice(Accel::Tcg, "TCG (forced by --accel tcg)".into()),
        Some(Accel::Kvm) => {
            return choice(Accel::Kvm, "KVM (forced by --accel kvm; not probed)".into());
        }
        None => {}
    }
    // Checked every time, not cached: cheap, and permissions change (a user
    // added to the kvm group).
    let dev = opts.kvm_device.display();
    if !opts.kvm_device.exists() {
        return choice(Accel::Tcg, format!("TCG ({dev} does not exist)"));
    }
    if let Err(e) = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(&opts.kvm_device)
    {
        return choice(
            Accel::Tcg,
            format!("TCG ({dev} cannot be opened read-write: {e})"),
        );
    }
    let key = match cache_key(opts) {
        Ok(k) => k,
        Err(why) => {
            // Without a key the probe would fail the same way; say so.
            return choice(Accel::Tcg, format!("TCG (KVM not probed: {why})"));
        }
    };
    if let Some(path) = &opts.cache
        && let Some(c) = read_cache(path, &key)
    {
        return AccelChoice {
            probed_in_s: start.elapsed().as_secs_f64(),
            ..c
        };
    }
    let (accel, note) = match boot_under_kvm(opts) {
        Ok(secs) => (
            Accel::Kvm,
            format!("KVM (the guest kernel booted under KVM in {secs:.1} s)"),
        ),
        Err(why) => (Accel::Tcg, format!("TCG ({why})")),
    };
    let c = choice(accel, note);
    if let Some(path) = &opts.cache {
        // A cache that cannot be written costs a probe next time, no more.
        let _ = write_cache(path, &key, &c);
    }
    c
}

/// Console lines longer than this are cut: a guest spewing without newlines
/// must not grow memory.
const MAX_CONSOLE_LINE: usize = 4096;

enum Out {
    Console(String),
    Stderr(String),
}

/// Splits a pipe into lines sent to `tx`; returns at end of file.
fn pump(mut r: impl std::io::Read, tx: Sender<Out>, console: bool) {
    let mut buf = [0u8; 4096];
    let mut line = Vec::new();
    let send = |line: &mut Vec<u8>| {
        let text = String::from_utf8_lossy(line).trim_end().to_string();
        line.clear();
        tx.send(if console {
            Out::Console(text)
        } else {
            Out::Stderr(text)
        })
        .is_ok()
    };
    loop {
        let n = match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        for &b in &buf[..n] {
            if b == b'\n' {
                if !send(&mut line) {
                    return;
                }
            } else if line.len() < MAX_CONSOLE_LINE {
                line.push(b);
            }
        }
    }
    if !line.is_empty() {
        send(&mut line);
    }
}

/// Whether a console line carries an agent heartbeat. Kernel messages may
/// share the line, so the marker is searched, not anchored.
pub fn is_heartbeat(line: &str) -> bool {
    line.match_indices("faultline-heartbeat ").any(|(i, m)| {
        line[i + m.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_digit())
    })
}

/// Boots the lab image under KVM and waits for the first heartbeat. Ok: the
/// seconds it took; Err: why not, in a phrase for the note.
fn boot_under_kvm(opts: &ProbeOptions) -> Result<f64, String> {
    let mut cmd = Command::new(&opts.qemu);
    cmd.args(Accel::Kvm.qemu_args())
        .args(["-m", "256M", "-smp", "1", "-nographic", "-no-reboot"])
        .arg("-kernel")
        .arg(&opts.kernel)
        .arg("-initrd")
        .arg(&opts.initramfs)
        .args(["-append", "console=ttyS0 panic=-1 faultline.heartbeat=1"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::runner::owned_by_us(&mut cmd);
    let start = Instant::now();
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", opts.qemu))?;
    let (tx, rx) = std::sync::mpsc::channel();
    // The pump threads are not joined: a process QEMU left behind may hold
    // the pipes open; they end at end of file or when `rx` is gone.
    if let Some(out) = child.stdout.take() {
        let tx = tx.clone();
        std::thread::spawn(move || pump(out, tx, true));
    }
    if let Some(err) = child.stderr.take() {
        std::thread::spawn(move || pump(err, tx, false));
    } else {
        drop(tx);
    }
    let secs = opts.timeout.as_secs_f64();
    let mut last_console = String::new();
    let mut last_stderr = String::new();
    let mut pipes_open = true;
    let mut exited = None;
    let result = loop {
        let elapsed = start.elapsed();
        if exited.is_none() && elapsed >= opts.timeout {
            break Err(format!(
                "KVM did not boot a standard guest kernel within {secs:.0} s: {}",
                last_words(&last_console, &last_stderr, false)
            ));
        }
        let got = if pipes_open {
            // After QEMU exited, only what its pipes still hold is awaited.
            let wait = match exited {
                Some(_) => Duration::from_millis(500),
                None => (opts.timeout - elapsed).min(Duration::from_millis(100)),
            };
            rx.recv_timeout(wait)
        } else {
            Err(RecvTimeoutError::Disconnected)
        };
        match got {
            Ok(Out::Console(line)) => {
                if is_heartbeat(&line) {
                    break Ok(start.elapsed().as_secs_f64());
                }
                if line.contains("Kernel panic - not syncing") {
                    break Err(format!(
                        "the guest kernel panicked under KVM: {}",
                        line.trim()
                    ));
                }
                if !line.trim().is_empty() {
                    last_console = line;
                }
                continue;
            }
            Ok(Out::Stderr(line)) => {
                if !line.trim().is_empty() {
                    last_stderr = line;
                }
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => pipes_open = false,
            Err(RecvTimeoutError::Timeout) => {}
        }
        if let Some(status) = exited {
            // Its output is all read (or a straggler holds the pipes).
            break Err(format!(
                "QEMU exited ({status}) before the guest booted under KVM: {}",
                last_words(&last_console, &last_stderr, true)
            ));
        }
        match child.try_wait() {
            Ok(Some(status)) => exited = Some(status),
            Ok(None) if !pipes_open => std::thread::sleep(Duration::from_millis(100)),
            Ok(None) => {}
            Err(e) => break Err(format!("waiting for QEMU: {e}")),
        }
    };
    // Kill by its own PID (if still running) and reap it.
    let _ = child.kill();
    let _ = child.wait();
    result
}

/// The line that best says what went wrong: QEMU's complaint first when it
/// exited, the guest's last console line first when it hung (QEMU may have
/// printed a harmless warning meanwhile).
fn last_words(console: &str, stderr: &str, exited: bool) -> String {
    let from_qemu = (!stderr.is_empty()).then(|| format!("qemu: {stderr}"));
    let from_guest = (!console.is_empty()).then(|| format!("last console line: {console}"));
    let pick = if exited {
        from_qemu.or(from_guest)
    } else {
        from_guest.or(from_qemu)
    }
    .unwrap_or_else(|| "no output".to_string());
    let clean = strip_escapes(&pick);
    let mut out: String = clean.chars().take(300).collect();
    if out.len() < clean.len() {
        out.push_str("...");
    }
    out
}

/// Drops terminal escapes and control characters: console lines carry them
/// (SeaBIOS clears the screen) and the note is one plain line.
pub fn strip_escapes(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI sequences run to a final byte in @..~; others are one char.
            if chars.next() == Some('[') {
                for f in chars.by_ref() {
                    if ('@'..='~').contains(&f) {
                        break;
                    }
                }
            }
        } else if !c.is_control() {
            out.push(c);
        }
    }
    out
}
