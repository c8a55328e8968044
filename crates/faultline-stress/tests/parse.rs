//! fio's size, time and boolean syntax.

use std::time::Duration;

use faultline_stress::{Rw, format_size, parse_bool, parse_duration, parse_size};
use proptest::prelude::*;

#[test]
fn sizes() {
    for (s, want) in [
        ("4096", 4096u64),
        ("4k", 4096),
        ("4K", 4096),
        ("4kb", 4096),
        ("64KiB", 65536),
        ("1m", 1 << 20),
        ("1M", 1 << 20),
        ("800M", 800 << 20),
        ("1g", 1 << 30),
        ("1GiB", 1 << 30),
        ("2t", 2 << 40),
        ("1.5k", 1536),
        ("512b", 512),
        ("0x1000", 4096),
        (" 8k ", 8192),
    ] {
        assert_eq!(parse_size(s), Ok(want), "{s}");
    }
    for bad in [
        "",
        "k",
        "4x",
        "4kk",
        "-1",
        "1e3",
        "99999999999999999999",
        "20000p",
    ] {
        assert!(parse_size(bad).is_err(), "{bad}");
    }
}

#[test]
fn times() {
    for (s, want) in [
        ("30", 30.0),
        ("30s", 30.0),
        ("5m", 300.0),
        ("8h", 28800.0),
        ("1d", 86400.0),
        ("1.5h", 5400.0),
        ("500ms", 0.5),
        ("250us", 0.00025),
    ] {
        assert_eq!(parse_duration(s), Ok(Duration::from_secs_f64(want)), "{s}");
    }
    for bad in ["", "s", "5x", "1e400", "-3"] {
        assert!(parse_duration(bad).is_err(), "{bad}");
    }
}

#[test]
fn booleans_and_patterns() {
    assert_eq!(parse_bool("1"), Ok(true));
    assert_eq!(parse_bool("0"), Ok(false));
    assert_eq!(parse_bool("true"), Ok(true));
    assert!(parse_bool("2").is_err());
    assert_eq!("rw".parse::<Rw>(), Ok(Rw::ReadWrite));
    assert_eq!("readwrite".parse::<Rw>(), Ok(Rw::ReadWrite));
    assert_eq!("randrw".parse::<Rw>(), Ok(Rw::RandRw));
    assert!("trim".parse::<Rw>().unwrap_err().contains("not supported"));
    assert!("random".parse::<Rw>().is_err());
    assert_eq!(format_size(1 << 30), "1 GiB");
    assert_eq!(format_size(1536), "1.50 KiB");
    assert_eq!(format_size(100), "100 B");
}

proptest! {
    #[test]
    fn never_panics(s in ".{0,24}") {
        let _ = parse_size(&s);
        let _ = parse_duration(&s);
        let _ = parse_bool(&s);
        let _ = s.parse::<Rw>();
    }

    #[test]
    fn units_are_powers_of_1024(n in 0u64..1_000_000, unit in 0usize..4) {
        let (suffixes, shift) = [(["k", "K", "KiB"], 10), (["m", "M", "MiB"], 20), (["g", "G", "GiB"], 30), (["t", "T", "TiB"], 40)][unit];
        for s in suffixes {
            prop_assert_eq!(parse_size(&format!("{n}{s}")), Ok(n << shift));
        }
    }
}
