//! Property tests: any bytes can be scanned, and the line count is exact.

use std::io::Cursor;

use faultline_detect::Detector;
use faultline_scan::{ScanOptions, scan_source};
use proptest::prelude::*;

fn bytes_strategy() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        4 => prop::collection::vec(any::<u8>(), 0..200),
        2 => prop::sample::select(vec![
            &b"[  12.345678] BUG: unable to handle kernel paging request at 0\n"[..],
            b"[  12.345679][ T12] Call Trace:\n",
            b" [<ffffffff81000001>] bar+0x29/0x70\n",
            b"Nov 20 22:14:03 esx03 vmkernel: 43:07:27:51.725 cpu2:2185)WARNING: NFS: 4590: x\n",
            b"{\"MESSAGE\":\"Kernel panic - not syncing: x\",\"_HOSTNAME\":\"h\"}\n",
            b"\x1f\x8b\x08\x00",
            b"\r\n",
            b"\0\0\0",
            b"\n\n",
        ]).prop_map(|s| s.to_vec()),
    ];
    prop::collection::vec(piece, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_scan_without_panic_and_count_lines(bytes in bytes_strategy()) {
        let newlines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let expected = newlines + u64::from(!bytes.is_empty() && !bytes.ends_with(b"\n"));
        let plain = !bytes.starts_with(&[0x1f, 0x8b]) && !bytes.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]);
        let src = faultline_read::from_reader("fuzz", Cursor::new(bytes));
        let f = scan_source(Detector::shared(), src, None, &ScanOptions::default());
        if plain {
            prop_assert_eq!(f.summary.lines, expected);
            prop_assert!(f.summary.error.is_none());
        }
        for r in &f.reports {
            prop_assert!(r.line >= 1 && r.line <= r.end_line && r.end_line <= f.summary.lines);
        }
        for e in &f.events {
            prop_assert!(e.line >= 1 && e.line <= f.summary.lines);
        }
    }
}
