//! The parsers of untrusted text never panic.

use faultline_collect::{Kernel, Snapshot, Xen, cmdline_params, parse_esx_output, split_cmdline};
use proptest::prelude::*;

/// Lines built from the pieces the parsers look for, so that the
/// interesting branches are reached, plus arbitrary bytes.
fn esx_like() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just(b"   Path: /NFS/HeartbeatFrequency".to_vec()),
        Just(b"   Path: /".to_vec()),
        Just(b"Path:".to_vec()),
        Just(b"   Type: string".to_vec()),
        Just(b"   Int Value: ".to_vec()),
        Just(b"   String Value: x".to_vec()),
        Just(b"~ # esxcfg-advcfg -g /".to_vec()),
        Just(b"esxcfg-advcfg -g".to_vec()),
        Just(b"Value of ".to_vec()),
        Just(b" is ".to_vec()),
        Just(b"VMware ESX".to_vec()),
        Just(b"VMware ESXi 6.7.0 build-".to_vec()),
        Just(b"Product: VMware".to_vec()),
        Just(b"Version:".to_vec()),
        Just(b"Build: -".to_vec()),
        Just(b"Host Name:".to_vec()),
        Just(b"Fully Qualified Domain Name: .".to_vec()),
        Just(b"# hostname".to_vec()),
        Just(b"NFS.X = \"".to_vec()),
        Just(b"/A/ = 1".to_vec()),
        Just(b"=".to_vec()),
        Just(b"\n".to_vec()),
        Just(b"\r\n".to_vec()),
        Just(b"\0".to_vec()),
        Just(vec![0xff, 0xc3, 0x28]),
        proptest::collection::vec(any::<u8>(), 0..40),
    ];
    proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn esx_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let _ = parse_esx_output(&bytes);
    }

    #[test]
    fn esx_parser_never_panics_on_esx_like_text(bytes in esx_like()) {
        let out = parse_esx_output(&bytes);
        for key in out.advanced.keys() {
            prop_assert!(!key.is_empty());
        }
    }

    #[test]
    fn cmdline_splitter_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2000)) {
        let line = String::from_utf8_lossy(&bytes);
        let pairs = split_cmdline(&line);
        for (name, _) in &pairs {
            prop_assert!(!name.is_empty());
            prop_assert!(name != "--");
        }
        let params = cmdline_params(&line);
        prop_assert!(params.len() <= pairs.len());
        // And the facts built from such lines.
        let s = Snapshot {
            kernel: Some(Kernel { cmdline: line.to_string(), ..Kernel::default() }),
            xen: Some(Xen { cmdline: Some(line.to_string()), ..Xen::default() }),
            ..Snapshot::default()
        };
        let _ = s.facts();
    }

    #[test]
    fn cmdline_words_with_quotes_and_dashes(words in proptest::collection::vec("[a-z_=\",.:-]{0,12}| |--|\"\"", 0..30)) {
        let line = words.join(" ");
        let _ = cmdline_params(&line);
    }
}

#[test]
fn a_long_line_is_fine() {
    let mut bytes = b"Path: /NFS/X\nInt Value: ".to_vec();
    bytes.extend(std::iter::repeat_n(b'9', 5_000_000));
    bytes.extend_from_slice(b"\n");
    let out = parse_esx_output(&bytes);
    assert_eq!(out.advanced["NFS.X"].len(), 5_000_000);
    let line = "a=".to_string() + &"b".repeat(5_000_000);
    assert_eq!(cmdline_params(&line)["a"].len(), 5_000_000);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A machine whose /proc and /sys hold garbage (invalid UTF-8, NUL
    /// bytes, truncated numbers) still gives a snapshot, and its facts.
    #[test]
    fn collecting_from_a_garbage_tree_never_panics(
        bytes in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let root = tempfile::tempdir().unwrap();
        for rel in [
            "proc/cmdline", "proc/meminfo", "proc/swaps", "proc/cpuinfo", "proc/mounts",
            "proc/consoles", "proc/sys/kernel/osrelease", "proc/sys/kernel/hostname",
            "proc/sys/vm/swappiness", "proc/sys/kernel/panic", "proc/xen/capabilities",
            "sys/block/sda/queue/scheduler", "sys/block/sda/queue/rotational",
            "sys/block/sda/size", "sys/kernel/kexec_crash_size",
            "sys/devices/system/clocksource/clocksource0/current_clocksource",
        ] {
            let p = root.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &bytes).unwrap();
        }
        let opts = faultline_collect::CollectOptions {
            root: root.path().to_path_buf(),
            image_dirs: Vec::new(),
            machine: None,
        };
        let s = faultline_collect::collect_with(&opts, &faultline_collect::RecordedRunner::new());
        let _ = s.facts();
    }

    /// Whatever a snapshot file holds, loading it gives a snapshot or an
    /// error that names the file.
    #[test]
    fn loading_any_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.json");
        std::fs::write(&p, &bytes).unwrap();
        if let Err(e) = faultline_collect::load(&p) {
            prop_assert!(e.to_string().contains("s.json"));
        }
    }
}
