//! The coarse prefilter of the fast path.
//!
//! The detector's markers are precise but many (crash headers plus event
//! markers, about 80), and aho-corasick's SIMD (Teddy) searcher slows down
//! as literals are added, and more so when they begin with lowercase
//! letters: it fingerprints the first four bytes of each literal, and in
//! log text most positions look like lowercase words. So the scanner runs
//! two searchers of short literals, each literal a substring of one or
//! more markers: one over literals that begin with something rarer than a
//! lowercase word (an uppercase letter, a digit, punctuation), and a
//! small one over the literals that cannot. Only where one of them occurs
//! does it ask the detector about the line. Measured on generated
//! console/syslog noise: about 5.5 and 8 GB/s, against 2.9 GB/s for one
//! searcher of lowercase-led literals. A test checks that every marker
//! contains one of them: a marker not covered here would never be found.

use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// The searchers over [`RARE_LED`] and [`COMMON_LED`], built once.
/// Leftmost-first turns on the SIMD searcher; which literal matched does
/// not matter.
pub(crate) fn searchers() -> &'static [AhoCorasick; 2] {
    static S: OnceLock<[AhoCorasick; 2]> = OnceLock::new();
    S.get_or_init(|| {
        let build = |lits: &[&str]| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(lits)
                .expect("coarse literals")
        };
        [build(RARE_LED), build(COMMON_LED)]
    })
}

/// Literals with an uppercase letter, digit or punctuation in their first
/// four bytes.
pub(crate) const RARE_LED: &[&str] = &[
    // Crash headers.
    "BUG:",
    "BUG ",
    " BUG",
    "WARNING:",
    "INFO:",
    "Kernel ",
    ": panic",
    "---[ end",
    "PANIC:",
    "Unable to handle",
    "Unhandled fault",
    "Alignment trap",
    "UBSAN:",
    "SYZFAIL:",
    "Oops",
    "LOCKUP",
    "_netdevice",
    "VFS: ",
    "Call ",
    // Hypervisor crashes.
    "--[ Xen-",
    "Panic on CPU",
    "@BlueScreen:",
    // Messages that print a stack on purpose.
    "oom-kill",
    "FAULT_",
    "SysRq : ",
    "NMI ",
    "NMI:",
    // Notable events.
    "I/O ",
    "-fs error",
    "Shutting down filesystem",
    "CRC error",
    "NFS: ",
    "NFSLock",
    "WATCHDOG",
    "y: Kill",
    "Memory squeeze",
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
    "Emask",
    "Aborting journal",
    "Uhhuh",
    "r: interrupt",
];

/// Literals that begin with lowercase words whatever part of the marker
/// is taken; kept few, so their searcher stays fast.
pub(crate) const COMMON_LED: &[&str] = &[
    "protection fault",
    "segment: ",
    "error:",
    "invalid opcode",
    "orruption",
    "allocation failure",
    "sysrq: ",
    "emounting filesystem",
    "has been shut down",
    "nternal error",
    "atchdog",
    "swiotlb",
    "hostbyte=",
    "not respond",
    "task abort",
    "unstable",
];

#[cfg(test)]
mod tests {
    use super::{COMMON_LED, RARE_LED};
    use faultline_detect::Detector;

    #[test]
    fn every_marker_contains_a_coarse_literal() {
        let det = Detector::new();
        let uncovered: Vec<&str> = det
            .markers()
            .iter()
            .copied()
            .filter(|m| !RARE_LED.iter().chain(COMMON_LED).any(|c| m.contains(c)))
            .collect();
        assert!(
            uncovered.is_empty(),
            "add coarse literals for {uncovered:?}"
        );
    }

    #[test]
    fn literals_suit_the_simd_searcher() {
        // Teddy takes at most 64 literals; one shorter than four bytes
        // halves its speed; lowercase-led ones belong in the small set.
        assert!(RARE_LED.len() <= 64, "{} literals", RARE_LED.len());
        assert!(COMMON_LED.len() <= 16, "{} literals", COMMON_LED.len());
        for lit in RARE_LED.iter().chain(COMMON_LED) {
            assert!(lit.len() >= 4, "{lit:?} is shorter than four bytes");
        }
        for lit in RARE_LED {
            let rare = lit
                .bytes()
                .take(4)
                .any(|b| !(b.is_ascii_lowercase() || b == b' '));
            assert!(
                rare,
                "{lit:?} begins like a lowercase word: move it to COMMON_LED"
            );
        }
    }
}
