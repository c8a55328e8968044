//! The coarse prefilter of the fast path.
//!
//! The detector's markers are precise but many (crash headers plus event
//! markers, over 64), and aho-corasick's SIMD searcher only works for a
//! few dozen literals; past that a whole-buffer search crawls. So the
//! scanner searches for these few short literals instead, each a substring
//! of one or more markers, and asks the detector about the line only where
//! one of them occurs. A test checks that every marker contains one of
//! them: a marker not covered here would silently never be found.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The searcher over [`COARSE`], built once. Leftmost-first turns on the
/// SIMD (Teddy) searcher; which literal matched does not matter.
pub(crate) fn searcher() -> &'static AhoCorasick {
    static S: OnceLock<AhoCorasick> = OnceLock::new();
    S.get_or_init(|| {
        AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(COARSE)
            .expect("coarse literals")
    })
}

/// Literals at least one of which occurs in every detector marker.
pub(crate) const COARSE: &[&str] = &[
    // Crash headers. No literal is shorter than four bytes: a three-byte
    // literal halves the SIMD searcher's speed.
    "BUG:",
    "BUG ",
    "el BUG",
    "WARNING:",
    "INFO:",
    "anic",
    "PANIC:",
    "protection fault",
    "segment: ",
    "Unable to handle",
    "Unhandled fault",
    "error:",
    "opcode:",
    "trap:",
    "orruption",
    "UBSAN:",
    "SYZFAIL:",
    "Oops",
    "LOCKUP",
    "unregister_netdevice",
    "VFS: ",
    "race:",
    // Messages that print a stack on purpose.
    "oom-kill",
    "allocation failure",
    "FAULT_",
    "sysrq: ",
    "SysRq : ",
    "NMI ",
    "NMI:",
    // Notable events.
    "I/O ",
    "-fs error",
    "emounting filesystem",
    "Shutting down filesystem",
    "has been shut down",
    "CRC error",
    "nternal error",
    "NFS: ",
    "NFSLock",
    "atchdog",
    "WATCHDOG",
    "emory",
    "BTRFS",
    "DMAR",
    "AMD-Vi",
    "EDAC ",
    "Hardware Error",
    "H:0x",
    "Lost access",
    "All Paths Down",
    "Failing path",
    "SW-IOMMU",
    "swiotlb",
    "Emask",
    "hostbyte=",
    "hrtimer:",
    "not respond",
    "task abort",
    "unstable",
    "Aborting journal",
    "Uhhuh",
];

#[cfg(test)]
mod tests {
    use super::COARSE;
    use faultline_detect::Detector;

    #[test]
    fn every_marker_contains_a_coarse_literal() {
        let det = Detector::new();
        let uncovered: Vec<&str> = det
            .markers()
            .iter()
            .copied()
            .filter(|m| !COARSE.iter().any(|c| m.contains(c)))
            .collect();
        assert!(
            uncovered.is_empty(),
            "add coarse literals for {uncovered:?}"
        );
    }

    #[test]
    fn few_and_long_enough_for_the_simd_searcher() {
        // aho-corasick's Teddy searcher takes at most 64 literals, and
        // slows down by half when one is shorter than four bytes.
        assert!(COARSE.len() <= 64, "{} coarse literals", COARSE.len());
        let short: Vec<&str> = COARSE.iter().copied().filter(|c| c.len() < 4).collect();
        assert!(short.is_empty(), "{short:?}");
    }
}
