//! LVM volumes for the `disk_format = "lvm"` level of an experiment: where a
//! run's volume is made, and the commands that make and remove it.
//!
//! This module owns:
//! - the placement decision ([`host_device_mapper`], [`lvm_placement`]): on
//!   the host when it has device-mapper, the `lvm` tool and root, else inside
//!   the guest on a raw disk, with a one-line note saying which and why;
//! - the host volume's life ([`HostVolume`]): a loop device over the run's
//!   sparse raw file, a PV, a VG with a name unique to the run, one LV of all
//!   the space, handed to QEMU as a raw device, torn down in
//!   [`HostVolume::remove`] or on drop;
//! - the guest's command sequence ([`make_guest_volume`]), run by the agent
//!   when the kernel command line says `faultline.lvm=guest`.
//!
//! Commands go through [`CommandRunner`], so the sequences are unit tested
//! against recorded commands without LVM or root.
//!
//! How the runner's `one_run` uses it (the disk file is made as for raw, since
//! [`crate::experiment::DiskFormat::host_format`] is `raw` for LVM):
//!
//! ```text
//! let mut drive = disk.clone();
//! let mut volume = None;
//! if c.disk_format == DiskFormat::Lvm {
//!     let placement = lvm::lvm_placement(&lvm::host_device_mapper());
//!     (o.say)(&format!("{}/{rep}: {}", c.name, placement.note()));  // and record it
//!     if placement == LvmPlacement::Host {
//!         let v = HostVolume::create(SystemRunner::default(), &disk, lvm::unique_vg_name())?;
//!         drive = v.lv_path();                     // -drive format=raw,file=<drive>
//!         volume = Some(v);
//!     }
//!     append.push(placement.kernel_word().into()); // faultline.lvm=host|guest
//! }
//! // ... after QEMU has exited, before the disk file is deleted:
//! if let Some(v) = volume { if let Err(e) = v.remove() { (o.say)(&format!("{e}")) } }
//! ```

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use serde::Serialize;

/// What went wrong making or removing a volume; every variant names the
/// command or file.
#[derive(Debug, thiserror::Error)]
pub enum LvmError {
    #[error("{command}: cannot start: {source}")]
    Spawn {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed ({status}): {stderr}")]
    Failed {
        command: String,
        status: String,
        stderr: String,
    },
    #[error("{command} printed no {what}: {stdout:?}")]
    Unexpected {
        command: String,
        what: &'static str,
        stdout: String,
    },
    /// Creating failed at `cause`, and undoing the steps already done failed
    /// too: what may be left on the host is listed.
    #[error("{cause}; teardown also failed: {}", teardown.join("; "))]
    Teardown {
        cause: Box<LvmError>,
        teardown: Vec<String>,
    },
    /// [`HostVolume::remove`]: some teardown steps failed (the others ran).
    #[error("removing the host LVM volume: {}", .0.join("; "))]
    Remove(Vec<String>),
}

/// Runs one program with arguments and returns its standard output; a
/// non-zero exit is an error carrying the standard error.
pub trait CommandRunner {
    fn run(&mut self, program: &str, args: &[&str]) -> Result<String, LvmError>;
}

/// The real thing: `std::process::Command`, with extra environment.
#[derive(Debug, Default, Clone)]
pub struct SystemRunner {
    pub env: Vec<(String, String)>,
}

impl SystemRunner {
    /// For `lvm` in the guest: the agent's inherited descriptors (the
    /// console pipes of other children) would make every command warn
    /// "File descriptor N leaked", which says nothing about the run.
    pub fn quiet_lvm() -> Self {
        Self {
            env: vec![("LVM_SUPPRESS_FD_WARNINGS".into(), "1".into())],
        }
    }
}

/// `program arg arg`, for messages.
pub fn command_line(program: &str, args: &[&str]) -> String {
    let mut s = program.to_string();
    for a in args {
        s.push(' ');
        s.push_str(a);
    }
    s
}

impl CommandRunner for SystemRunner {
    fn run(&mut self, program: &str, args: &[&str]) -> Result<String, LvmError> {
        let mut cmd = Command::new(program);
        cmd.args(args);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let out = cmd.output().map_err(|source| LvmError::Spawn {
            command: command_line(program, args),
            source,
        })?;
        if !out.status.success() {
            return Err(LvmError::Failed {
                command: command_line(program, args),
                status: out.status.to_string(),
                stderr: String::from_utf8_lossy(&out.stderr).trim().to_string(),
            });
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// Whether this host can make LVM volumes itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostLvm {
    Available,
    /// Why not, e.g. "host has no device-mapper (/dev/mapper/control
    /// missing)".
    Unavailable(String),
}

/// The facts [`host_device_mapper`] looks at, apart so the decision is
/// testable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HostProbe {
    pub mapper_control: bool,
    pub lvm_on_path: bool,
    pub losetup_on_path: bool,
    pub root: bool,
}

impl HostProbe {
    /// Looks at this host: `/dev/mapper/control`, `lvm` and `losetup` on
    /// PATH, the effective user.
    pub fn current() -> Self {
        Self {
            mapper_control: Path::new("/dev/mapper/control").exists(),
            lvm_on_path: on_path("lvm"),
            losetup_on_path: on_path("losetup"),
            // SAFETY: geteuid has no preconditions and cannot fail.
            root: unsafe { libc::geteuid() } == 0,
        }
    }

    /// The decision: the first missing requirement is the reason.
    pub fn decide(self) -> HostLvm {
        if !self.mapper_control {
            return HostLvm::Unavailable(
                "host has no device-mapper (/dev/mapper/control missing)".into(),
            );
        }
        if !self.lvm_on_path {
            return HostLvm::Unavailable("host has no lvm tool on PATH (package lvm2)".into());
        }
        if !self.losetup_on_path {
            return HostLvm::Unavailable("host has no losetup on PATH (package mount)".into());
        }
        if !self.root {
            return HostLvm::Unavailable(
                "not running as root (host LVM needs loop devices and device-mapper)".into(),
            );
        }
        HostLvm::Available
    }
}

fn on_path(name: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(name).is_file()))
        .unwrap_or(false)
}

/// Whether host LVM is possible here, and why not.
pub fn host_device_mapper() -> HostLvm {
    HostProbe::current().decide()
}

/// Where a run's LVM volume is made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LvmPlacement {
    /// On the host: QEMU gets the LV as a raw device; the guest sees a plain
    /// `/dev/vda`.
    Host,
    /// Inside the guest, on the raw disk `/dev/vda`; `reason` says why not
    /// on the host.
    Guest { reason: String },
}

impl LvmPlacement {
    /// The line the runner prints and records.
    pub fn note(&self) -> String {
        match self {
            LvmPlacement::Host => "LVM volume on the host (device-mapper present)".into(),
            LvmPlacement::Guest { reason } => {
                format!("LVM volume inside the guest on a raw disk: {reason}")
            }
        }
    }

    /// The kernel command-line word that tells the agent (see
    /// [`crate::cmdline`]).
    pub fn kernel_word(&self) -> &'static str {
        match self {
            LvmPlacement::Host => "faultline.lvm=host",
            LvmPlacement::Guest { .. } => "faultline.lvm=guest",
        }
    }
}

/// Host LVM when the host can, else inside the guest.
pub fn lvm_placement(host: &HostLvm) -> LvmPlacement {
    match host {
        HostLvm::Available => LvmPlacement::Host,
        HostLvm::Unavailable(reason) => LvmPlacement::Guest {
            reason: reason.clone(),
        },
    }
}

/// The LV's name inside its VG (host and guest alike).
pub const LV_NAME: &str = "stress";
/// The guest's VG name (one VG per guest, so a fixed name is fine there).
pub const GUEST_VG: &str = "faultline";

static VG_COUNTER: AtomicU32 = AtomicU32::new(0);

/// A VG name unique to this process and call, `faultline-<pid>-<n>`: runs
/// in parallel, or a leftover from a crashed faultline, must not collide on
/// the host's global VG namespace.
pub fn unique_vg_name() -> String {
    let n = VG_COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("faultline-{}-{n}", std::process::id())
}

/// The `/dev/mapper` name of an LV: device-mapper joins VG and LV with '-'
/// and doubles the dashes inside each.
pub fn dm_name(vg: &str, lv: &str) -> String {
    format!("{}-{}", vg.replace('-', "--"), lv.replace('-', "--"))
}

/// One host LV over a loop device over a raw file. Teardown runs in
/// [`HostVolume::remove`] or, failing that, on drop (errors then go to
/// standard error: a loop device or VG left behind must not pass silently).
pub struct HostVolume<R: CommandRunner> {
    runner: R,
    vg: String,
    loop_dev: Option<String>,
    pv: bool,
    vg_made: bool,
    lv_made: bool,
}

impl<R: CommandRunner> HostVolume<R> {
    /// Makes the volume over `backing` (an existing sparse raw file, e.g.
    /// from `qemu-img create -f raw`): `losetup --find --show`, `pvcreate`,
    /// `vgcreate` with `vg`, `lvcreate -l 100%FREE`. On failure the steps
    /// already done are undone before the error is returned.
    pub fn create(runner: R, backing: &Path, vg: String) -> Result<Self, LvmError> {
        let mut v = Self {
            runner,
            vg,
            loop_dev: None,
            pv: false,
            vg_made: false,
            lv_made: false,
        };
        match v.make(backing) {
            Ok(()) => Ok(v),
            Err(cause) => {
                let teardown = v.teardown();
                if teardown.is_empty() {
                    Err(cause)
                } else {
                    Err(LvmError::Teardown {
                        cause: Box::new(cause),
                        teardown,
                    })
                }
            }
        }
    }

    fn make(&mut self, backing: &Path) -> Result<(), LvmError> {
        let file = backing.to_string_lossy().into_owned();
        let args = ["--find", "--show", file.as_str()];
        let out = self.runner.run("losetup", &args)?;
        let dev = out.trim();
        if !dev.starts_with("/dev/") {
            return Err(LvmError::Unexpected {
                command: command_line("losetup", &args),
                what: "loop device",
                stdout: out.clone(),
            });
        }
        let dev = dev.to_string();
        self.loop_dev = Some(dev.clone());
        self.runner.run("lvm", &["pvcreate", "-y", &dev])?;
        self.pv = true;
        self.runner.run("lvm", &["vgcreate", &self.vg, &dev])?;
        self.vg_made = true;
        let vg = self.vg.clone();
        self.runner.run(
            "lvm",
            &["lvcreate", "-y", "-n", LV_NAME, "-l", "100%FREE", &vg],
        )?;
        self.lv_made = true;
        Ok(())
    }

    /// The VG's name.
    pub fn vg(&self) -> &str {
        &self.vg
    }

    /// The loop device under the PV.
    pub fn loop_device(&self) -> Option<&str> {
        self.loop_dev.as_deref()
    }

    /// The LV's device for QEMU (`-drive format=raw,file=...`); the
    /// `/dev/mapper` name, which device-mapper makes itself, rather than the
    /// `/dev/VG/LV` link, which depends on udev rules.
    pub fn lv_path(&self) -> PathBuf {
        PathBuf::from("/dev/mapper").join(dm_name(&self.vg, LV_NAME))
    }

    /// Removes LV, VG, PV and loop device (each step tried even when an
    /// earlier one failed), and says what failed.
    pub fn remove(mut self) -> Result<(), LvmError> {
        let failed = self.teardown();
        if failed.is_empty() {
            Ok(())
        } else {
            Err(LvmError::Remove(failed))
        }
    }

    /// Undoes the steps done, newest first; returns the failures. Each
    /// flag is cleared whatever the result, so a second call (drop after
    /// remove) repeats nothing.
    fn teardown(&mut self) -> Vec<String> {
        let mut failed = Vec::new();
        let vg = self.vg.clone();
        let mut step = |r: &mut R, program: &str, args: &[&str]| {
            if let Err(e) = r.run(program, args) {
                failed.push(e.to_string());
            }
        };
        if std::mem::take(&mut self.lv_made) {
            let lv = format!("{vg}/{LV_NAME}");
            step(&mut self.runner, "lvm", &["lvremove", "-f", &lv]);
        }
        if std::mem::take(&mut self.vg_made) {
            step(&mut self.runner, "lvm", &["vgremove", "-f", &vg]);
        }
        if let Some(dev) = self.loop_dev.take() {
            if std::mem::take(&mut self.pv) {
                step(&mut self.runner, "lvm", &["pvremove", "-y", &dev]);
            }
            step(&mut self.runner, "losetup", &["-d", &dev]);
        }
        failed
    }
}

impl<R: CommandRunner> Drop for HostVolume<R> {
    fn drop(&mut self) {
        for f in self.teardown() {
            eprintln!("faultline: host LVM teardown of {}: {f}", self.vg);
        }
    }
}

/// The guest's volume, made by [`make_guest_volume`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuestVolume {
    /// `/dev/faultline/stress`.
    pub path: String,
    /// The LV's size in bytes, as `lvs` reports it.
    pub bytes: u64,
}

/// Inside the guest: PV on `disk`, VG [`GUEST_VG`], LV [`LV_NAME`] of all the
/// space, activated, its size read back. Nothing is undone on failure: the
/// guest is thrown away after the run, and the agent then stresses the raw
/// disk and says so.
pub fn make_guest_volume(r: &mut impl CommandRunner, disk: &str) -> Result<GuestVolume, LvmError> {
    // -ff -y: the disk is fresh per run, but a PV left from an aborted
    // earlier setup on it must not stop the run at a prompt.
    r.run("lvm", &["pvcreate", "-ff", "-y", disk])?;
    r.run("lvm", &["vgcreate", GUEST_VG, disk])?;
    r.run(
        "lvm",
        &["lvcreate", "-y", "-n", LV_NAME, "-l", "100%FREE", GUEST_VG],
    )?;
    // lvcreate activates already; this makes sure of it (and of the device
    // nodes, which without udev lvm makes itself).
    r.run("lvm", &["vgchange", "-a", "y", GUEST_VG])?;
    let lv = format!("{GUEST_VG}/{LV_NAME}");
    let args = [
        "lvs",
        "--noheadings",
        "--nosuffix",
        "--units",
        "b",
        "-o",
        "lv_size",
        lv.as_str(),
    ];
    let out = r.run("lvm", &args)?;
    let bytes = out
        .trim()
        .parse::<u64>()
        .map_err(|_| LvmError::Unexpected {
            command: command_line("lvm", &args),
            what: "size in bytes",
            stdout: out.clone(),
        })?;
    Ok(GuestVolume {
        path: format!("/dev/{GUEST_VG}/{LV_NAME}"),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;
    use std::rc::Rc;

    /// Records every command; fails the one containing `fail_on`, answers
    /// `losetup --find` with a loop device and `lvs` with a size.
    #[derive(Clone, Default)]
    struct Recorder {
        log: Rc<RefCell<Vec<String>>>,
        fail_on: Vec<&'static str>,
    }

    impl CommandRunner for Recorder {
        fn run(&mut self, program: &str, args: &[&str]) -> Result<String, LvmError> {
            let line = command_line(program, args);
            self.log.borrow_mut().push(line.clone());
            if self.fail_on.iter().any(|f| line.contains(f)) {
                return Err(LvmError::Failed {
                    command: line,
                    status: "exit status: 5".into(),
                    stderr: "boom".into(),
                });
            }
            Ok(match args.first() {
                Some(&"--find") => "/dev/loop7\n".into(),
                Some(&"lvs") => "  62914560\n".into(),
                _ => String::new(),
            })
        }
    }

    fn log(r: &Recorder) -> Vec<String> {
        r.log.borrow().clone()
    }

    #[test]
    fn placement_and_notes() {
        let all = HostProbe {
            mapper_control: true,
            lvm_on_path: true,
            losetup_on_path: true,
            root: true,
        };
        assert_eq!(all.decide(), HostLvm::Available);
        let p = lvm_placement(&all.decide());
        assert_eq!(p, LvmPlacement::Host);
        assert_eq!(p.note(), "LVM volume on the host (device-mapper present)");
        assert_eq!(p.kernel_word(), "faultline.lvm=host");

        let no_dm = HostProbe {
            mapper_control: false,
            lvm_on_path: false,
            root: false,
            ..all
        };
        let p = lvm_placement(&no_dm.decide());
        assert_eq!(
            p.note(),
            "LVM volume inside the guest on a raw disk: host has no device-mapper \
             (/dev/mapper/control missing)"
        );
        assert_eq!(p.kernel_word(), "faultline.lvm=guest");

        let no_lvm = HostProbe {
            lvm_on_path: false,
            ..all
        };
        assert!(matches!(no_lvm.decide(), HostLvm::Unavailable(r) if r.contains("lvm2")));
        let no_root = HostProbe { root: false, ..all };
        assert!(matches!(no_root.decide(), HostLvm::Unavailable(r) if r.contains("root")));
        // This machine: whatever it is, the answer comes with a reason.
        if let HostLvm::Unavailable(r) = host_device_mapper() {
            assert!(!r.is_empty());
        }
    }

    #[test]
    fn names() {
        let a = unique_vg_name();
        let b = unique_vg_name();
        assert_ne!(a, b);
        assert!(a.starts_with(&format!("faultline-{}-", std::process::id())));
        assert_eq!(
            dm_name("faultline-12-0", "stress"),
            "faultline--12--0-stress"
        );
    }

    #[test]
    fn host_volume_sequence_and_remove() {
        let r = Recorder::default();
        let v = HostVolume::create(r.clone(), Path::new("/w/disk.raw"), "faultline-1-0".into())
            .unwrap();
        assert_eq!(v.loop_device(), Some("/dev/loop7"));
        assert_eq!(
            v.lv_path(),
            PathBuf::from("/dev/mapper/faultline--1--0-stress")
        );
        assert_eq!(
            log(&r),
            [
                "losetup --find --show /w/disk.raw",
                "lvm pvcreate -y /dev/loop7",
                "lvm vgcreate faultline-1-0 /dev/loop7",
                "lvm lvcreate -y -n stress -l 100%FREE faultline-1-0",
            ]
        );
        v.remove().unwrap();
        assert_eq!(
            log(&r)[4..],
            [
                "lvm lvremove -f faultline-1-0/stress",
                "lvm vgremove -f faultline-1-0",
                "lvm pvremove -y /dev/loop7",
                "losetup -d /dev/loop7",
            ]
        );
        // remove consumed the volume; its drop repeated nothing.
        assert_eq!(log(&r).len(), 8);
    }

    #[test]
    fn host_volume_drop_tears_down() {
        let r = Recorder::default();
        {
            let _v = HostVolume::create(r.clone(), Path::new("/w/d"), "vg".into()).unwrap();
        }
        assert_eq!(
            log(&r)[4..],
            [
                "lvm lvremove -f vg/stress",
                "lvm vgremove -f vg",
                "lvm pvremove -y /dev/loop7",
                "losetup -d /dev/loop7",
            ]
        );
    }

    #[test]
    fn host_volume_failure_midway_undoes_what_was_done() {
        let r = Recorder {
            fail_on: vec!["vgcreate"],
            ..Recorder::default()
        };
        let e = HostVolume::create(r.clone(), Path::new("/w/d"), "vg".into())
            .err()
            .unwrap();
        assert_eq!(
            e.to_string(),
            "lvm vgcreate vg /dev/loop7 failed (exit status: 5): boom"
        );
        // No VG was made: only the PV and the loop device are undone.
        assert_eq!(
            log(&r),
            [
                "losetup --find --show /w/d",
                "lvm pvcreate -y /dev/loop7",
                "lvm vgcreate vg /dev/loop7",
                "lvm pvremove -y /dev/loop7",
                "losetup -d /dev/loop7",
            ]
        );
    }

    #[test]
    fn host_volume_teardown_failures_are_reported_and_do_not_stop_it() {
        let r = Recorder {
            fail_on: vec!["lvcreate", "pvremove"],
            ..Recorder::default()
        };
        let e = HostVolume::create(r.clone(), Path::new("/w/d"), "vg".into())
            .err()
            .unwrap()
            .to_string();
        assert!(e.starts_with("lvm lvcreate"), "{e}");
        assert!(e.contains("teardown also failed: lvm pvremove"), "{e}");
        // The loop device is detached even though pvremove failed.
        assert_eq!(log(&r).last().unwrap(), "losetup -d /dev/loop7");

        let r = Recorder {
            fail_on: vec!["vgremove"],
            ..Recorder::default()
        };
        let v = HostVolume::create(r.clone(), Path::new("/w/d"), "vg".into()).unwrap();
        let e = v.remove().unwrap_err().to_string();
        assert!(
            e.starts_with("removing the host LVM volume: lvm vgremove"),
            "{e}"
        );
        assert_eq!(log(&r).len(), 8);
    }

    #[test]
    fn losetup_without_a_device_is_an_error() {
        struct Silent(Vec<String>);
        impl CommandRunner for Silent {
            fn run(&mut self, program: &str, args: &[&str]) -> Result<String, LvmError> {
                self.0.push(command_line(program, args));
                Ok(String::new())
            }
        }
        let e = HostVolume::create(Silent(Vec::new()), Path::new("/w/d"), "vg".into())
            .err()
            .unwrap();
        assert!(e.to_string().contains("printed no loop device"), "{e}");
    }

    #[test]
    fn guest_sequence() {
        let mut r = Recorder::default();
        let v = make_guest_volume(&mut r, "/dev/vda").unwrap();
        assert_eq!(
            v,
            GuestVolume {
                path: "/dev/faultline/stress".into(),
                bytes: 62_914_560
            }
        );
        assert_eq!(
            log(&r),
            [
                "lvm pvcreate -ff -y /dev/vda",
                "lvm vgcreate faultline /dev/vda",
                "lvm lvcreate -y -n stress -l 100%FREE faultline",
                "lvm vgchange -a y faultline",
                "lvm lvs --noheadings --nosuffix --units b -o lv_size faultline/stress",
            ]
        );

        let mut r = Recorder {
            fail_on: vec!["lvcreate"],
            ..Recorder::default()
        };
        let e = make_guest_volume(&mut r, "/dev/vda").unwrap_err();
        assert_eq!(
            e.to_string(),
            "lvm lvcreate -y -n stress -l 100%FREE faultline failed (exit status: 5): boom"
        );
        assert_eq!(log(&r).len(), 3);
    }
}
