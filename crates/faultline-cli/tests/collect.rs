//! The `faultline collect` command contract.

use std::path::Path;

use assert_cmd::Command;
use predicates::prelude::*;

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A small KVM host: /proc and /sys as recorded, no Xen (so no command is
/// needed), one NFS mount.
fn fake_root() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let r = dir.path();
    write(r, "proc/sys/kernel/hostname", "kvm07\n");
    write(
        r,
        "proc/sys/kernel/osrelease",
        "5.14.0-362.8.1.el9_3.x86_64\n",
    );
    write(
        r,
        "proc/cmdline",
        "BOOT_IMAGE=(hd0,gpt2)/vmlinuz root=/dev/mapper/rl-root ro crashkernel=1G-4G:192M,4G-64G:256M console=tty0 console=ttyS0,115200\n",
    );
    write(
        r,
        "proc/meminfo",
        "MemTotal:       131899756 kB\nMemAvailable:   120000000 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n",
    );
    write(
        r,
        "proc/swaps",
        "Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n",
    );
    write(r, "proc/sys/vm/overcommit_memory", "1\n");
    write(
        r,
        "proc/cpuinfo",
        "processor\t: 0\nmodel name\t: AMD EPYC 7302\nflags\t\t: fpu svm\n\nprocessor\t: 1\nmodel name\t: AMD EPYC 7302\nflags\t\t: fpu svm\n",
    );
    write(
        r,
        "sys/block/sda/queue/scheduler",
        "[mq-deadline] kyber bfq none\n",
    );
    write(
        r,
        "proc/mounts",
        "filer01:/vol/vms /var/lib/libvirt/images nfs rw,vers=3,hard,timeo=600 0 0\n",
    );
    write(r, "dev/kvm", "");
    dir
}

#[test]
fn collect_into_a_case_folder() {
    let root = fake_root();
    let out = tempfile::tempdir().unwrap();
    let configs = out.path().join("case/configs");
    let mut arg = configs.display().to_string();
    arg.push('/');
    let assert = Command::cargo_bin("faultline")
        .unwrap()
        .args(["collect", "--root"])
        .arg(root.path())
        .args(["-o", &arg])
        .assert()
        .success()
        .stdout("");
    let written = configs.join("kvm07.json");
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    assert!(
        stderr.starts_with(&format!("faultline: wrote {} (", written.display())),
        "{stderr}"
    );
    assert!(stderr.contains(" facts"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let snapshot = faultline_collect_json(&written);
    assert_eq!(snapshot["machine"], "kvm07");
    assert_eq!(snapshot["source"], "linux");
    assert_eq!(snapshot["role"], "host");
    assert_eq!(snapshot["hypervisor"], "kvm");
    assert_eq!(snapshot["kvm_device"], true);
    assert_eq!(snapshot["memory"]["total_kb"], 131899756);
    assert_eq!(snapshot["block"][0]["scheduler"], "mq-deadline");
    assert_eq!(snapshot["nfs_mounts"][0]["server"], "filer01");
    assert_eq!(snapshot["kdump"]["crashkernel"], "1G-4G:192M,4G-64G:256M");
    assert_eq!(snapshot["sysctl"]["vm.overcommit_memory"], "1");

    // The same file read back as a snapshot gives the facts audit tests.
    let text = std::fs::read_to_string(&written).unwrap();
    assert!(
        text.contains("\n  \"machine\": \"kvm07\""),
        "pretty-printed"
    );
    let facts_line = stderr.trim_end();
    let n: usize = facts_line
        .rsplit_once('(')
        .and_then(|(_, t)| t.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(n >= 20, "{facts_line}");
}

fn faultline_collect_json(path: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn collect_to_a_named_file_lists_what_could_not_be_read() {
    let root = fake_root();
    // A sysctl that cannot be read as a file.
    std::fs::create_dir_all(root.path().join("proc/sys/kernel/tainted")).unwrap();
    let out = tempfile::tempdir().unwrap();
    let file = out.path().join("snap.json");
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["collect", "--machine", "renamed", "--root"])
        .arg(root.path())
        .arg("-o")
        .arg(&file)
        .assert()
        .success()
        // (lvs, run for real, may add itself to the list on some machines.)
        .stderr(predicate::str::contains(
            "facts; could not read: /proc/sys/kernel/tainted",
        ));
    let snapshot = faultline_collect_json(&file);
    assert_eq!(snapshot["machine"], "renamed");
    assert_eq!(
        snapshot["unreadable"][0]["what"],
        "/proc/sys/kernel/tainted"
    );
}

#[test]
fn collect_esx_prints_json() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("esx03-advanced.txt");
    std::fs::write(
        &file,
        "   Path: /NFS/HeartbeatFrequency\n   Type: integer\n   Int Value: 12\n   Default Int Value: 12\n   String Value:\n\n   Host Name: esx03\n",
    )
    .unwrap();
    let assert = Command::cargo_bin("faultline")
        .unwrap()
        .args(["collect", "--esx"])
        .arg(&file)
        .assert()
        .success();
    let out: serde_json::Value = serde_json::from_slice(&assert.get_output().stdout).unwrap();
    assert_eq!(out["source"], "esx");
    assert_eq!(out["role"], "host");
    assert_eq!(out["hypervisor"], "vmware");
    assert_eq!(out["machine"], "esx03");
    assert_eq!(out["esx"]["advanced"]["NFS.HeartbeatFrequency"], "12");
}

#[test]
fn a_bad_esx_file_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "nothing from an ESX host here\n").unwrap();
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["collect", "--esx"])
        .arg(&file)
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(format!(
            "{}: no ESX command output recognised",
            file.display()
        )));
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["collect", "--esx"])
        .arg(dir.path().join("missing.txt"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("missing.txt"));
}

/// The ESX example's snapshots are what `collect --esx` makes of its saved
/// sessions today (all but the collection time, which is the files' mtime).
#[test]
fn the_esx_example_configs_come_from_its_saved_sessions() {
    let case = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/esx-nfs-cluster");
    for host in ["esx01", "esx02", "esx03", "esx04"] {
        let out = Command::cargo_bin("faultline")
            .unwrap()
            .args(["collect", "--esx"])
            .arg(case.join(format!("esx-outputs/{host}.txt")))
            .output()
            .unwrap();
        assert!(out.status.success());
        let mut made: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let mut kept: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(case.join(format!("configs/{host}.json"))).unwrap(),
        )
        .unwrap();
        made["collected_at"] = serde_json::Value::Null;
        kept["collected_at"] = serde_json::Value::Null;
        assert_eq!(made, kept, "{host}");
        assert_eq!(kept["machine"], host);
        assert_eq!(kept["esx"]["advanced"]["NFS.HeartbeatFrequency"], "12");
    }
}
