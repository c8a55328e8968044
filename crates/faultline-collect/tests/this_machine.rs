//! Collection on the machine running the tests, checked against `/proc` and
//! `/sys` read directly. Needs no root.

use faultline_collect::{CollectOptions, collect};

fn read(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

#[test]
fn snapshot_of_this_machine_matches_proc_and_sys() {
    let s = collect(&CollectOptions::default());
    assert_eq!(s.source, "linux");
    assert!(
        ["host", "guest", "bare"].contains(&s.role.as_str()),
        "role {}",
        s.role
    );
    assert_eq!(
        s.kvm_device,
        Some(std::path::Path::new("/dev/kvm").exists())
    );

    let kernel = s.kernel.as_ref().expect("kernel");
    assert_eq!(
        kernel.release,
        read("/proc/sys/kernel/osrelease").unwrap().trim()
    );
    assert_eq!(kernel.cmdline, read("/proc/cmdline").unwrap().trim());
    if let Some(host) = read("/proc/sys/kernel/hostname") {
        assert_eq!(s.machine, host.trim());
    }

    let meminfo = read("/proc/meminfo").unwrap();
    let total: u64 = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert_eq!(s.memory.as_ref().unwrap().total_kb, Some(total));

    let cpuinfo = read("/proc/cpuinfo").unwrap();
    let processors = cpuinfo
        .lines()
        .filter(|l| l.split(':').next().map(str::trim) == Some("processor"))
        .count();
    if processors > 0 {
        assert_eq!(s.cpu.as_ref().unwrap().count as usize, processors);
    }

    let mut devices: Vec<String> = std::fs::read_dir("/sys/block")
        .map(|d| {
            d.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| !["loop", "ram", "zram"].iter().any(|p| n.starts_with(p)))
                .collect()
        })
        .unwrap_or_default();
    devices.sort();
    let collected: Vec<&str> = s.block.iter().map(|b| b.name.as_str()).collect();
    assert_eq!(collected, devices);
    for b in &s.block {
        let text = read(&format!("/sys/block/{}/queue/scheduler", b.name)).unwrap_or_default();
        let bracketed = text
            .split_whitespace()
            .find_map(|w| w.strip_prefix('[').and_then(|w| w.strip_suffix(']')));
        if let Some(want) = bracketed {
            assert_eq!(b.scheduler.as_deref(), Some(want), "{}", b.name);
        }
    }

    // The facts agree with the snapshot.
    let f = s.facts();
    assert_eq!(f.get("kernel.release"), Some(&kernel.release));
    assert_eq!(f.get("memory.total_kb"), Some(&total.to_string()));
    assert!(f.contains_key("swap.enabled"));
    for b in &s.block {
        assert_eq!(
            f.get(&format!("block.{}.scheduler", b.name)),
            b.scheduler.as_ref()
        );
    }
    // Collection never fails as a whole; what it could not read is named.
    for u in &s.unreadable {
        assert!(!u.what.is_empty() && !u.why.is_empty(), "{u:?}");
    }
}
