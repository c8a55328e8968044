//! The coarse prefilter of the fast path.
//!
//! The detector's markers are precise but many (crash headers plus event
//! markers, over 64), and aho-corasick's SIMD searcher is fast only for a
//! few dozen literals: up to 32 it runs at several GB/s, up to 64 at about
//! one, past that it is switched off. So the scanner runs two searchers of
//! at most 32 short literals each (crash and event), each literal a
//! substring of one or more markers, and asks the detector about a line
//! only where one of them occurs. A test checks that every marker contains
//! one of them: a marker not covered here would silently never be found.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The searchers over [`CRASH`] and [`EVENT`], built once. Leftmost-first
/// turns on the SIMD (Teddy) searcher; which literal matched does not
/// matter.
pub(crate) fn searchers() -> &'static [AhoCorasick; 2] {
    static S: OnceLock<[AhoCorasick; 2]> = OnceLock::new();
    S.get_or_init(|| {
        let build = |lits: &[&str]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(lits)
                .expect("coarse literals")
        };
        [build(CRASH), build(EVENT)]
    })
}

/// Literals of crash headers and of messages that dump a stack on purpose.
/// No literal is shorter than four bytes: a three-byte literal halves the
/// SIMD searcher's speed.
pub(crate) const CRASH: &[&str] = &[
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
    "oom-kill",
    "allocation failure",
    "FAULT_",
    "sysrq: ",
    "SysRq : ",
    "NMI ",
    "NMI:",
];

/// Literals of notable events.
pub(crate) const EVENT: &[&str] = &[
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
    use super::{CRASH, EVENT};
    use faultline_detect::Detector;

    #[test]
    fn every_marker_contains_a_coarse_literal() {
        let det = Detector::new();
        let uncovered: Vec<&str> = det
            .markers()
            .iter()
            .copied()
            .filter(|m| !CRASH.iter().chain(EVENT).any(|c| m.contains(c)))
            .collect();
        assert!(
            uncovered.is_empty(),
            "add coarse literals for {uncovered:?}"
        );
    }

    #[test]
    fn few_and_long_enough_for_the_fast_simd_searcher() {
        // Up to 32 literals aho-corasick uses its fastest (slim) Teddy; a
        // literal shorter than four bytes halves its speed.
        for set in [CRASH, EVENT] {
            assert!(set.len() <= 32, "{} coarse literals", set.len());
            let short: Vec<&str> = set.iter().copied().filter(|c| c.len() < 4).collect();
            assert!(short.is_empty(), "{short:?}");
        }
    }
}
