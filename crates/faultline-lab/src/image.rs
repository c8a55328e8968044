//! `faultline lab image`: the guest kernel and initramfs, built in a cache
//! folder from Debian packages that are downloaded and unpacked, never
//! installed on the host.
//!
//! Layout of the work folder:
//!
//! | path | what |
//! |---|---|
//! | `debs/` | the downloaded `.deb` files |
//! | `unpack/kernel`, `unpack/busybox`, `unpack/lvm` | `dpkg-deb -x` of them (removed after a build) |
//! | `vmlinuz` | the kernel (copied from `boot/vmlinuz-*`) |
//! | `initramfs.gz` | newc cpio, gzip |
//! | `manifest.json` | the inputs the two were built from |
//! | `lvm-packages.txt` | the LVM packages (`name=version`) the image's `lvm` came from |
//!
//! Disk decision: the guest gets raw block devices (`/dev/vda` for the stress
//! workload, `/dev/vdb` for swap); no file system is mounted, so no ext4
//! modules (ext4 is built into Debian's cloud kernel anyway).
//!
//! LVM inside the guest (`disk_format = "lvm"` on a host without
//! device-mapper): the image carries Debian's `/sbin/lvm` (package `lvm2`)
//! with links for the commands the agent uses, [`LVM_CONF`], and the shared
//! libraries `lvm` needs. Those come from the `.deb`s of lvm2's library
//! dependencies (closure over `Depends`, minus libc6), not from the host,
//! which need not have LVM at all; `ldd` on the unpacked binary with
//! `LD_LIBRARY_PATH` on the unpacked libraries picks the files, and what it
//! resolves outside them (libc, libm, the loader) comes from the host like
//! the faultline binary's. Only the `lvm` binary and the library files are
//! put in the image, not the packages' other contents.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::error::{IoContext as _, LabError, OrInvalid as _, Result, bail};

use crate::cpio::CpioWriter;
use crate::manifest::{self, Manifest};
use crate::modules;

/// The `/init` script; bump [`INIT_VERSION`] when it changes meaning.
pub const INIT_SCRIPT: &str = r#"#!/bin/sh
# faultline guest /init: mount, load modules, run the agent.
export PATH=/bin:/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /tmp /run
for m in $(cat /etc/faultline/modules); do
    insmod "/lib/modules/$m" || echo "faultline-init: insmod $m failed"
done
echo "faultline-init: modules loaded"
/bin/faultline lab agent
echo "faultline-init: agent exited with status $?"
sync
poweroff -f
"#;
pub const INIT_VERSION: u32 = 1;

/// `/etc/lvm/lvm.conf` of the guest: an initramfs with no udev and no
/// daemons, where only the virtio disks are LVM's business.
pub const LVM_CONF: &str = r#"# faultline guest: no udev, no daemons, only the virtio disks.
# (lvmetad is gone from LVM 2.03, so there is no use_lvmetad to turn off;
# an unknown setting would only draw a warning.)
devices {
    dir = "/dev"
    scan = [ "/dev" ]
    # No udev database to ask: lvm scans /dev itself.
    obtain_device_list_from_udev = 0
    external_device_info_source = "none"
    filter = [ "a|^/dev/vd|", "r|.*|" ]
    global_filter = [ "a|^/dev/vd|", "r|.*|" ]
    # No /etc/lvm/devices/system.devices in the image: the filter decides.
    use_devicesfile = 0
    md_component_detection = 0
    multipath_component_detection = 0
}
global {
    # Local file locks (LVM 2.03 has no locking_type any more); /run/lock/lvm
    # is made by the agent.
    locking_dir = "/run/lock/lvm"
    use_lvmlockd = 0
    use_lvmpolld = 0
    event_activation = 0
}
activation {
    # No udev to wait for or to make nodes: lvm and libdevmapper make the
    # /dev/mapper nodes and /dev/VG/LV links themselves.
    udev_sync = 0
    udev_rules = 0
    verify_udev_operations = 0
    # No dmeventd.
    monitoring = 0
}
backup {
    # The guest is thrown away after the run.
    backup = 0
    archive = 0
}
"#;

/// The Debian package of the LVM tools.
pub const LVM_PACKAGE: &str = "lvm2";

/// Commands of `lvm` linked into `/sbin` (`lvm` dispatches on its name).
pub const LVM_LINKS: &[&str] = &[
    "pvcreate", "pvremove", "pvs", "vgcreate", "vgchange", "vgremove", "vgs", "lvcreate",
    "lvremove", "lvs",
];

/// Modules the guest loads: (name, required). pvpanic's core and its two
/// front ends, virtio over PCI with the block and console drivers, dm-mod
/// (LVM inside the guest) and loop.
pub const MODULES: &[(&str, bool)] = &[
    ("virtio", true),
    ("virtio_ring", true),
    ("virtio_pci", true),
    ("virtio_blk", true),
    ("virtio_console", false),
    ("pvpanic", false),
    ("pvpanic_mmio", false),
    ("pvpanic_pci", false),
    ("dm_mod", true),
    ("loop", true),
];

pub struct ImageOptions {
    pub work: PathBuf,
    pub kernel_package: String,
    pub force: bool,
    /// The faultline binary to put in the image (normally /proc/self/exe).
    pub faultline: PathBuf,
}

pub struct ImageResult {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    pub rebuilt: bool,
    pub manifest: Manifest,
}

/// `$XDG_CACHE_HOME/faultline/lab`, else `~/.cache/faultline/lab`.
pub fn default_work_dir() -> Result<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|x| !x.is_empty()) {
        return Ok(PathBuf::from(x).join("faultline/lab"));
    }
    let home = std::env::var_os("HOME")
        .or_invalid(|| "neither XDG_CACHE_HOME nor HOME is set: give --work".into())?;
    Ok(PathBuf::from(home).join(".cache/faultline/lab"))
}

fn progress(start: Instant, msg: &str) {
    eprintln!("[{:6.1}s] {msg}", start.elapsed().as_secs_f64());
}

fn need_tool(name: &str) -> Result<()> {
    let found = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false);
    if !found {
        return Err(LabError::Program(format!(
            "{name} not found: faultline lab image needs a Debian-like host with apt-get, apt-cache and dpkg-deb"
        )));
    }
    Ok(())
}

fn run(cmd: &mut Command, what: &str) -> Result<String> {
    let out = cmd
        .output()
        .map_err(|e| LabError::Program(format!("running {what}: {e}")))?;
    if !out.status.success() {
        return Err(LabError::Program(format!(
            "{what} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The versioned kernel package a metapackage depends on, from
/// `apt-cache depends` output.
pub fn parse_depends(text: &str, prefix: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(|d| {
            d.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
        .find(|d| d.starts_with(prefix))
}

/// The `Version:` of `apt-cache show --no-all-versions` output.
pub fn parse_version(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.strip_prefix("Version:"))
        .map(|v| v.trim().to_string())
}

fn candidate_version(pkg: &str) -> Result<String> {
    let out = run(
        Command::new("apt-cache").args(["show", "--no-all-versions", pkg]),
        &format!("apt-cache show {pkg}"),
    )?;
    parse_version(&out)
        .or_invalid(|| format!("apt-cache show {pkg}: no Version (run apt-get update?)"))
}

/// Downloads `pkg` into `debs` unless a `.deb` of that version is there.
fn download(debs: &Path, pkg: &str, version: &str, start: Instant) -> Result<PathBuf> {
    std::fs::create_dir_all(debs)?;
    let ver = version.replace(':', "%3a");
    let want = format!("{pkg}_{ver}_");
    let find = || -> Result<Option<PathBuf>> {
        for e in std::fs::read_dir(debs)? {
            let p = e?.path();
            let n = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            if n.starts_with(&want) && n.ends_with(".deb") {
                return Ok(Some(p));
            }
        }
        Ok(None)
    };
    if let Some(p) = find()? {
        progress(start, &format!("{pkg} {version}: already downloaded"));
        return Ok(p);
    }
    progress(start, &format!("downloading {pkg} {version}"));
    let t = Instant::now();
    run(
        Command::new("apt-get")
            .args(["download", "-q", &format!("{pkg}={version}")])
            .current_dir(debs),
        &format!("apt-get download {pkg} (network or apt sources?)"),
    )?;
    let p = find()?.or_invalid(|| format!("apt-get download {pkg} left no {want}*.deb"))?;
    progress(
        start,
        &format!(
            "downloaded {} in {:.1}s",
            p.display(),
            t.elapsed().as_secs_f64()
        ),
    );
    Ok(p)
}

fn unpack(deb: &Path, dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    run(
        Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir),
        &format!("dpkg-deb -x {}", deb.display()),
    )?;
    Ok(())
}

/// The libraries (and the loader) `ldd` lists for a binary: absolute paths.
pub fn parse_ldd(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        let path = if let Some((_, rest)) = line.split_once("=>") {
            rest.split_whitespace().next()
        } else {
            line.split_whitespace().next()
        };
        if let Some(p) = path.filter(|p| p.starts_with('/')) {
            out.push(p.to_string());
        }
    }
    out
}

/// The sonames `ldd` could not find (`libx.so.1 => not found`).
pub fn parse_ldd_missing(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.contains("=> not found"))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// One package stanza of `apt-cache show --no-all-versions A B ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    pub package: String,
    pub version: String,
    /// Package names of `Pre-Depends` and `Depends`: the first of each set
    /// of alternatives, without version or architecture qualifier.
    pub depends: Vec<String>,
}

/// The stanzas of `apt-cache show` output (separated by blank lines);
/// stanzas without a Package or Version are skipped.
pub fn parse_stanzas(text: &str) -> Vec<Stanza> {
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let (mut package, mut version, mut depends) = (None, None, Vec::new());
        for line in block.lines() {
            if let Some(v) = line.strip_prefix("Package:") {
                package = Some(v.trim().to_string());
            } else if let Some(v) = line.strip_prefix("Version:") {
                version = Some(v.trim().to_string());
            } else if let Some(v) = line
                .strip_prefix("Depends:")
                .or_else(|| line.strip_prefix("Pre-Depends:"))
            {
                for dep in v.split(',') {
                    let first = dep.split('|').next().unwrap_or("");
                    if let Some(name) = first.split_whitespace().next() {
                        let name = name.split(':').next().unwrap_or(name);
                        depends.push(name.to_string());
                    }
                }
            }
        }
        if let (Some(package), Some(version)) = (package, version) {
            out.push(Stanza {
                package,
                version,
                depends,
            });
        }
    }
    out
}

/// Whether a dependency of lvm2 is a library the image takes from its
/// `.deb`: `lib*` packages, except the C library, which must match the
/// loader and libc the faultline binary brings from the host.
pub fn is_image_library(package: &str) -> bool {
    package.starts_with("lib") && package != "libc6"
}

/// lvm2 and the closure of its library dependencies, `(name, version)`,
/// lvm2 first, the rest sorted by name. One `apt-cache show` per level of
/// the dependency tree.
fn lvm_packages() -> Result<Vec<(String, String)>> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut next = vec![LVM_PACKAGE.to_string()];
    // The tree is a few levels deep; the bound only guards against a loop
    // in broken apt data.
    for _ in 0..16 {
        if next.is_empty() {
            break;
        }
        let out = run(
            Command::new("apt-cache")
                .args(["show", "--no-all-versions"])
                .args(&next),
            &format!("apt-cache show {}", next.join(" ")),
        )?;
        let stanzas = parse_stanzas(&out);
        for want in &next {
            if !stanzas.iter().any(|s| &s.package == want) {
                bail!("apt-cache show {want}: no Version (run apt-get update?)");
            }
        }
        let mut deps = Vec::new();
        for st in stanzas {
            if found.iter().any(|(p, _)| *p == st.package) {
                continue;
            }
            deps.extend(st.depends.into_iter().filter(|d| is_image_library(d)));
            found.push((st.package, st.version));
        }
        deps.sort();
        deps.dedup();
        deps.retain(|d| !found.iter().any(|(p, _)| p == d));
        next = deps;
    }
    if !next.is_empty() {
        bail!(
            "lvm2's dependencies did not close after 16 levels: {}",
            next.join(" ")
        );
    }
    // lvm2 stays first (the bail above made sure it is there).
    if let Some(libs) = found.get_mut(1..) {
        libs.sort();
    }
    Ok(found)
}

/// The texts of the image's own making, the `/init` script and
/// `lvm.conf`: the manifest's `init_hash`.
pub fn userland_hash() -> String {
    manifest::hash_hex(format!("{INIT_SCRIPT}\0{LVM_CONF}").as_bytes())
}

/// The manifest's `lvm_packages`: a new lvm2 or library version rebuilds
/// the image.
pub fn lvm_package_list(lvm: &[(String, String)]) -> Vec<String> {
    lvm.iter().map(|(p, v)| format!("{p}={v}")).collect()
}

/// Unpacks several `.deb`s into one fresh folder.
fn unpack_all(debs: &[PathBuf], dir: &Path) -> Result<()> {
    if dir.exists() {
        std::fs::remove_dir_all(dir)?;
    }
    std::fs::create_dir_all(dir)?;
    for deb in debs {
        run(
            Command::new("dpkg-deb").arg("-x").arg(deb).arg(dir),
            &format!("dpkg-deb -x {}", deb.display()),
        )?;
    }
    Ok(())
}

/// The folders under `root` holding shared libraries (`*.so*` files).
fn library_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut has_lib = false;
        for e in std::fs::read_dir(&dir).at(|| format!("reading {}", dir.display()))? {
            let e = e?;
            let ty = e.file_type()?;
            if ty.is_dir() {
                stack.push(e.path());
            } else if e.file_name().to_string_lossy().contains(".so") {
                has_lib = true;
            }
        }
        if has_lib {
            out.push(dir);
        }
    }
    out.sort();
    Ok(out)
}

/// The files `lvm` needs, as (path in the image, path to read): the
/// unpacked binary's `ldd` libraries, those of the unpacked packages at
/// their package paths, the others from the host at theirs.
fn lvm_files(root: &Path) -> Result<Vec<(String, PathBuf)>> {
    let bin = root.join("sbin/lvm");
    if !bin.is_file() {
        bail!(
            "{LVM_PACKAGE} has no sbin/lvm (unpacked in {})",
            root.display()
        );
    }
    let dirs = library_dirs(root)?;
    let path = std::env::join_paths(&dirs).or_invalid(|| "joining library folders".into())?;
    let out = run(
        Command::new("ldd").arg(&bin).env("LD_LIBRARY_PATH", path),
        "ldd on lvm2's sbin/lvm",
    )?;
    let missing = parse_ldd_missing(&out);
    if !missing.is_empty() {
        bail!(
            "lvm needs {} which no downloaded package nor the host provides",
            missing.join(", ")
        );
    }
    let mut files = vec![("sbin/lvm".to_string(), bin)];
    for lib in parse_ldd(&out) {
        let p = PathBuf::from(&lib);
        let dest = match p.strip_prefix(root) {
            Ok(rel) => rel.to_string_lossy().into_owned(),
            Err(_) => lib.trim_start_matches('/').to_string(),
        };
        files.push((dest, p));
    }
    Ok(files)
}

/// Builds the image (or finds it up to date).
pub fn build(opts: &ImageOptions) -> Result<ImageResult> {
    let start = Instant::now();
    for t in ["apt-get", "apt-cache", "dpkg-deb"] {
        need_tool(t)?;
    }
    let work = &opts.work;
    std::fs::create_dir_all(work).at(|| format!("creating {}", work.display()))?;
    let kernel_out = work.join("vmlinuz");
    let initrd_out = work.join("initramfs.gz");
    let manifest_path = work.join("manifest.json");

    progress(start, &format!("resolving {}", opts.kernel_package));
    let deps = run(
        Command::new("apt-cache").args(["depends", &opts.kernel_package]),
        &format!("apt-cache depends {}", opts.kernel_package),
    )?;
    let kernel_pkg = parse_depends(&deps, "linux-image-").or_invalid(|| {
        format!(
            "{} names no linux-image-* dependency (run apt-get update?)",
            opts.kernel_package
        )
    })?;
    let kernel_version = candidate_version(&kernel_pkg)?;
    let busybox_version = candidate_version("busybox-static")?;
    let lvm_pkgs = lvm_packages()?;
    let faultline_bin =
        std::fs::read(&opts.faultline).at(|| format!("reading {}", opts.faultline.display()))?;
    let new = Manifest {
        format: manifest::FORMAT,
        kernel_package: kernel_pkg.clone(),
        kernel_version: kernel_version.clone(),
        busybox_version: busybox_version.clone(),
        faultline_hash: manifest::hash_hex(&faultline_bin),
        init_version: INIT_VERSION,
        init_hash: userland_hash(),
        modules: MODULES.iter().map(|(m, _)| m.to_string()).collect(),
        lvm_packages: lvm_package_list(&lvm_pkgs),
    };
    let old = manifest::load(&manifest_path);
    let present = kernel_out.is_file() && initrd_out.is_file();
    let Some(reason) = manifest::rebuild_reason(old.as_ref(), &new, present, opts.force) else {
        progress(start, "image up to date");
        return Ok(ImageResult {
            kernel: kernel_out,
            initramfs: initrd_out,
            rebuilt: false,
            manifest: new,
        });
    };
    progress(start, &format!("building image ({reason})"));
    // A half-built image must not look current.
    let _ = std::fs::remove_file(&manifest_path);

    let debs = work.join("debs");
    let kdeb = download(&debs, &kernel_pkg, &kernel_version, start)?;
    let bdeb = download(&debs, "busybox-static", &busybox_version, start)?;
    let mut lvm_debs = Vec::new();
    for (p, v) in &lvm_pkgs {
        lvm_debs.push(download(&debs, p, v, start)?);
    }
    let kdir = work.join("unpack/kernel");
    let bdir = work.join("unpack/busybox");
    let ldir = work.join("unpack/lvm");
    progress(start, "unpacking");
    unpack(&kdeb, &kdir)?;
    unpack(&bdeb, &bdir)?;
    unpack_all(&lvm_debs, &ldir)?;

    // Kernel.
    let boot = kdir.join("boot");
    let vmlinuz = std::fs::read_dir(&boot)
        .at(|| format!("reading {}", boot.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .or_invalid(|| format!("no boot/vmlinuz-* in {}", kdeb.display()))?;
    let kver =
        vmlinuz.file_name().unwrap_or_default().to_string_lossy()["vmlinuz-".len()..].to_string();
    let tree = kdir.join("lib/modules").join(&kver);

    // Modules.
    progress(start, "resolving module dependencies");
    let dep_text = match std::fs::read_to_string(tree.join("modules.dep")) {
        Ok(t) => t,
        Err(_) => modules::generate_dep(&tree)?,
    };
    let table = modules::DepTable::parse(&dep_text)?;
    let builtin = modules::parse_builtin(
        &std::fs::read_to_string(tree.join("modules.builtin")).unwrap_or_default(),
    );
    let order = table.resolve(MODULES, &builtin)?;
    progress(
        start,
        &format!(
            "{} modules: {}",
            order.len(),
            order
                .iter()
                .map(|p| modules::module_name(p))
                .collect::<Vec<_>>()
                .join(" ")
        ),
    );

    // Busybox.
    let busybox = bdir.join("bin/busybox");
    let applets = run(Command::new(&busybox).arg("--list"), "busybox --list")?;

    // Libraries of the faultline binary.
    let ldd = run(
        Command::new("ldd").arg(&opts.faultline),
        "ldd on the faultline binary",
    )
    .unwrap_or_default();
    let libs = parse_ldd(&ldd);

    // LVM.
    let lvm_files = lvm_files(&ldir)?;
    let lvm_list: String = lvm_pkgs.iter().map(|(p, v)| format!("{p}={v}\n")).collect();
    progress(
        start,
        &format!(
            "lvm: {} and {} library package(s); {} file(s) for the image",
            lvm_pkgs
                .first()
                .map_or(String::new(), |(p, v)| format!("{p} {v}")),
            lvm_pkgs.len().saturating_sub(1),
            lvm_files.len()
        ),
    );

    progress(start, "writing initramfs");
    let tmp = work.join("initramfs.gz.tmp");
    let file = std::fs::File::create(&tmp).at(|| format!("creating {}", tmp.display()))?;
    let gz =
        flate2::write::GzEncoder::new(std::io::BufWriter::new(file), flate2::Compression::new(6));
    let mut c = CpioWriter::new(gz);
    for d in ["dev", "proc", "sys", "tmp", "run", "sbin", "etc/faultline"] {
        c.dir(d, 0o755)?;
    }
    c.char_dev("dev/console", 0o600, 5, 1)?;
    c.char_dev("dev/null", 0o666, 1, 3)?;
    c.file("bin/busybox", 0o755, &std::fs::read(&busybox)?)?;
    for a in applets
        .lines()
        .map(str::trim)
        .filter(|a| !a.is_empty() && *a != "busybox")
    {
        c.symlink(&format!("bin/{a}"), "busybox")?;
    }
    c.file("init", 0o755, INIT_SCRIPT.as_bytes())?;
    c.file("bin/faultline", 0o755, &faultline_bin)?;
    let mut written = std::collections::HashSet::new();
    for lib in &libs {
        let data = std::fs::read(lib).at(|| format!("reading {lib}"))?;
        c.file(lib, 0o755, &data)?;
        written.insert(lib.trim_start_matches('/').to_string());
    }
    let mut lvm_libs = 0;
    for (dest, src) in &lvm_files {
        // libc and the loader are already there for faultline.
        if !written.insert(dest.clone()) {
            continue;
        }
        let data = std::fs::read(src).at(|| format!("reading {}", src.display()))?;
        c.file(dest, 0o755, &data)?;
        lvm_libs += usize::from(dest != "sbin/lvm");
    }
    for l in LVM_LINKS {
        c.symlink(&format!("sbin/{l}"), "lvm")?;
    }
    c.file("etc/lvm/lvm.conf", 0o644, LVM_CONF.as_bytes())?;
    c.file("etc/faultline/lvm-packages", 0o644, lvm_list.as_bytes())?;
    let mut list = String::new();
    for m in &order {
        let data = modules::read_module(&tree.join(m))?;
        let dest = modules::plain_ko(m);
        c.file(&format!("lib/modules/{dest}"), 0o644, &data)?;
        list.push_str(&dest);
        list.push('\n');
    }
    c.file("etc/faultline/modules", 0o644, list.as_bytes())?;
    c.file(
        "etc/faultline/manifest.json",
        0o644,
        serde_json::to_string_pretty(&new)?.as_bytes(),
    )?;
    let gz = c.finish()?;
    let mut buf = gz.finish()?;
    buf.flush()?;
    drop(buf);
    std::fs::rename(&tmp, &initrd_out)?;
    std::fs::copy(&vmlinuz, &kernel_out)?;
    std::fs::write(work.join("lvm-packages.txt"), &lvm_list)?;
    std::fs::write(&manifest_path, serde_json::to_string_pretty(&new)? + "\n")?;
    // The unpacked trees (about 110 MiB) are not needed any more; the .debs
    // stay for the next rebuild.
    let _ = std::fs::remove_dir_all(work.join("unpack"));
    let size = std::fs::metadata(&initrd_out)?.len();
    progress(
        start,
        &format!(
            "done: initramfs {:.1} MiB, {} libraries (+{} for lvm)",
            size as f64 / 1048576.0,
            libs.len(),
            lvm_libs
        ),
    );
    Ok(ImageResult {
        kernel: kernel_out,
        initramfs: initrd_out,
        rebuilt: true,
        manifest: new,
    })
}
