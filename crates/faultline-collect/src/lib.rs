//! Config snapshots: what `faultline collect` records about a machine, and
//! the facts `faultline audit` tests against the knowledge base.
//!
//! This crate owns the [`Snapshot`] (a JSON document, one per machine, that
//! lives in a case's `configs/` folder), collecting it on Linux
//! ([`collect`]), building it from an ESX host's saved command outputs
//! ([`collect_esx`]), loading it back ([`load`]), and flattening it into
//! dotted facts ([`Snapshot::facts`]). It knows nothing of known issues, logs
//! or cases: the knowledge base receives the facts as a plain map.
//!
//! # Collecting on Linux
//!
//! [`collect`] reads, under [`CollectOptions::root`] (`/` normally, a
//! recorded tree in tests):
//!
//! | part | from |
//! |---|---|
//! | machine, kernel | `proc/sys/kernel/{hostname,osrelease,version}`, `proc/cmdline` |
//! | memory, swap | `proc/meminfo`, `proc/swaps` |
//! | sysctls | `proc/sys/...` for each name in [`SYSCTLS`] |
//! | cpu | `proc/cpuinfo` (processor count, model name, `hypervisor` flag) |
//! | clock source | `sys/devices/system/clocksource/clocksource0/` |
//! | consoles | `proc/consoles` |
//! | disks | `sys/block/*` except `loop*`, `ram*`, `zram*`: `queue/scheduler`, `queue/rotational`, `queue/nr_requests`, `device/queue_depth`, `device/model`, `size` |
//! | NFS | `nfs` and `nfs4` lines of `proc/mounts` |
//! | kdump | `crashkernel=` of the command line, `sys/kernel/kexec_crash_{size,loaded}` |
//! | role | `proc/xen/capabilities` (`control_d`: Xen dom0), the cpu flag, `sys/hypervisor/type`, `sys/class/dmi/id/{sys_vendor,product_name}`, `dev/kvm` |
//! | Xen (dom0 only) | `xl info`; without it, `sys/hypervisor/version/*` |
//! | LVM | `lvs` |
//! | VM disk images | files named `*.qcow2 .qcow .img .raw .vmdk .vdi .vhd .vhdx .qed` under [`CollectOptions::image_dirs`]; `qemu-img info`, else the files' first bytes |
//!
//! Role: `host` with hypervisor `xen` for a Xen dom0; else `guest` when the
//! cpu has the `hypervisor` flag, `sys/hypervisor/type` exists or DMI names a
//! virtual platform (hypervisor `kvm` for QEMU/KVM/Bochs, `vmware`, `xen`,
//! `hyperv`, `virtualbox`, else `sys/hypervisor/type`); else `host` with
//! hypervisor `kvm` when `/dev/kvm` exists; else `bare`.
//!
//! Root is not needed (only `xl info` wants it; without it a dom0's Xen
//! version still comes from `sys/hypervisor`, its command line stays
//! unknown), and nothing fails: a file that does not exist is simply absent
//! from the snapshot; a file that cannot be read, a command that fails or
//! times out (5 s), is listed in [`Snapshot::unreadable`] with the reason. Commands run through a [`CommandRunner`] ([`SystemRunner`]
//! for real, [`RecordedRunner`] with recorded outputs in tests).
//!
//! # ESX hosts
//!
//! [`collect_esx`] reads files of saved outputs of `esxcli system settings
//! advanced list`, `esxcfg-advcfg -g PATH`, `vmware -v`, `esxcli system
//! version get`, `esxcli system hostname get` and `hostname`, in any mix
//! (see [`parse_esx_output`]). A file in which nothing is recognised is an
//! error.
//!
//! # Facts
//!
//! [`Snapshot::facts`] gives these keys; absent data gives no key, booleans
//! are `true`/`false`, numbers decimal:
//!
//! * `machine`, `source`, `role`, `hypervisor`, `kvm_device`
//! * `kernel.release`, `kernel.version`, `kernel.cmdline` and
//!   `kernel.cmdline.<param>` (see [`cmdline_params`]: a flag is "", a
//!   repeated parameter has its values joined with ",", words after `--`
//!   are left out; names are kept as written, `-` and `_` are not unified)
//! * `xen.version`, `xen.cmdline`, `xen.cmdline.<param>`,
//!   `xen.total_memory_mb`, `xen.free_memory_mb`
//! * `memory.total_kb`, `memory.available_kb`, `memory.swap_total_kb`,
//!   `memory.swap_free_kb`, `memory.commit_limit_kb`,
//!   `memory.committed_as_kb`; `swap.enabled`, `swap.count` (whenever
//!   memory or swaps are known)
//! * `sysctl.<name>` (`sysctl.vm.overcommit_memory`)
//! * `cpu.count`, `cpu.model`, `clocksource.current`,
//!   `clocksource.available` (space-separated), `console.active`
//!   (comma-separated)
//! * `block.<dev>.scheduler`, `.schedulers` (space-separated),
//!   `.rotational`, `.queue_depth`, `.nr_requests`, `.size_bytes`
//! * `nfs.<mountpoint>.server`, `.export`, `.fstype`, `.option.<name>`
//! * `kdump.crashkernel`, `kdump.reserved_bytes`, `kdump.loaded`
//! * `image.<path>.format`, `.virtual_size`, `.backing_file`; `image.count`
//! * `lvm.<vg>/<lv>.size_bytes`, `lvm.<vg>/<lv>.attr`
//! * `esx.version`, `esx.build`, `esx.<Group.Option>`
//!   (`esx.NFS.HeartbeatFrequency`)

mod esx;
mod facts;
mod images;
mod linux;
mod runner;
mod snapshot;

pub use esx::{EsxOutput, collect_esx, parse_esx_output};
pub use facts::{cmdline_params, split_cmdline};
pub use images::{IMAGE_EXTENSIONS, MAX_DEPTH as IMAGE_MAX_DEPTH, collect_images, sniff};
pub use linux::{CollectOptions, SYSCTLS, collect, collect_with};
pub use runner::{CommandRunner, RecordedRunner, RunError, SystemRunner};
pub use snapshot::{
    BlockDevice, Clocksource, Cpu, DiskImage, Esx, Kdump, Kernel, LogicalVolume, Memory, NfsMount,
    SCHEMA, Snapshot, SnapshotError, Swap, Unreadable, Xen, load,
};
