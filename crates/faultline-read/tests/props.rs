//! Property tests: decoding and opening never panic, whatever the bytes.

use std::io::Read;

use faultline_read::{DecodeOptions, LineDecoder, Shape, open};
use proptest::prelude::*;

/// Pieces of every recognised layout, so that random lines get deep into
/// the parsers instead of failing at the first byte.
const PIECES: &[&str] = &[
    "[",
    "]",
    " ",
    "  ",
    "+",
    ".",
    ":",
    "-",
    "T",
    "C",
    "Z",
    ",",
    "(",
    ")",
    "<",
    ">",
    "> ",
    "\r",
    "^M",
    "\0",
    "0",
    "1",
    "7",
    "12",
    "123456",
    "9999999999999",
    "2026",
    "-11-",
    "22",
    "T01:15:29",
    " 01:15:29",
    ".123456",
    "+01:00",
    "+0100",
    "Nov ",
    "Dec30 15:17",
    "Jan  1 ",
    "Sun ",
    "Feb 29",
    "[  +0.000069]",
    "[ 1234.567890]",
    "[ T9456]",
    "(XEN)",
    "(XEN) [",
    "cpu2:2185)",
    "In(182) ",
    "vmkernel: ",
    "kernel: ",
    "host ",
    "sshd[1]:",
    "43:07:27:51.725 ",
    "<34>1 ",
    "<6>",
    "[a@1 k=\"",
    "\\]",
    "\"]",
    "{",
    "}",
    "\"MESSAGE\":",
    "\"__REALTIME_TIMESTAMP\":\"",
    "[104,255]",
    "null",
    "\u{feff}",
    "\u{e9}",
    "\u{fffd}",
];

fn line() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::collection::vec(any::<u8>(), 0..300),
        proptest::collection::vec(proptest::sample::select(PIECES), 0..30)
            .prop_map(|v| v.concat().into_bytes()),
        (
            proptest::collection::vec(proptest::sample::select(PIECES), 0..12),
            proptest::collection::vec(any::<u8>(), 0..40)
        )
            .prop_map(|(v, tail)| {
                let mut b = v.concat().into_bytes();
                b.extend(tail);
                b
            }),
    ]
}

fn options() -> impl Strategy<Value = DecodeOptions> {
    (
        proptest::option::of(-9999i16..=9999),
        proptest::option::of(-377_705_116_800i64..253_402_207_200),
        -25i32 * 3600..=25 * 3600,
    )
        .prop_map(|(year, mtime, off)| DecodeOptions {
            year,
            file_mtime: mtime.map(|s| jiff::Timestamp::from_second(s).unwrap()),
            time_zone: jiff::tz::TimeZone::fixed(jiff::tz::Offset::from_seconds(off).unwrap()),
        })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 2000,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn decode_never_panics_and_text_comes_from_the_line(
        opts in options(),
        lines in proptest::collection::vec(line(), 1..8),
    ) {
        let mut d = LineDecoder::new(opts);
        for (i, raw) in lines.iter().enumerate() {
            let r = d.decode(raw, i as u64 + 1);
            prop_assert_eq!(r.line, i as u64 + 1);
            prop_assert!(!r.text.ends_with('\n') && !r.text.ends_with('\r'));
            if r.shape != Shape::Journal {
                let whole = String::from_utf8_lossy(raw);
                prop_assert!(whole.contains(r.text.as_ref()), "{:?} not in {:?}", r.text, whole);
            }
            if let Some(u) = r.uptime {
                prop_assert!(u.is_finite() && u >= 0.0);
            }
        }
    }

    #[test]
    fn skip_never_panics(
        opts in options(),
        before in line(),
        region in proptest::collection::vec(line(), 0..10),
        after in line(),
    ) {
        let mut d = LineDecoder::new(opts);
        d.decode(&before, 1);
        d.skip(&region.join(&b'\n'));
        d.decode(&after, 2);
    }

    #[test]
    fn open_never_panics(
        magic in prop_oneof![
            Just(Vec::new()),
            Just(vec![0x1f, 0x8b]),
            Just(vec![0x1f, 0x8b, 8, 0]),
            Just(vec![0x28, 0xb5, 0x2f, 0xfd]),
        ],
        body in proptest::collection::vec(any::<u8>(), 0..2000),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("f");
        let mut bytes = magic.clone();
        bytes.extend(&body);
        std::fs::write(&p, &bytes).unwrap();
        let mut s = open(&p).unwrap();
        let mut out = Vec::new();
        let res = s.read_to_end(&mut out);
        if magic.is_empty() && !body.starts_with(&[0x1f, 0x8b]) && !body.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
            prop_assert!(res.is_ok());
            prop_assert_eq!(out, bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 24,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Long lines of random content with and without recognisable heads.
    #[test]
    fn long_lines(head in line(), fill in any::<u8>(), len in 100_000usize..400_000) {
        let mut raw = head.clone();
        raw.extend(std::iter::repeat_n(fill, len));
        let mut d = LineDecoder::new(DecodeOptions::default());
        let r = d.decode(&raw, 1);
        if r.shape != Shape::Journal {
            prop_assert!(String::from_utf8_lossy(&raw).contains(r.text.as_ref()));
        }
        d.skip(&raw);
    }
}
