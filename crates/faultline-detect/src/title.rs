//! Title normalisation: the parts of a title that change from one crash
//! to the next (addresses, numbers, line numbers, PIDs) are replaced by
//! fixed words, so that the same bug always gets the same title.

use std::sync::OnceLock;

use regex::Regex;

fn table() -> &'static [(Regex, &'static str)] {
    static T: OnceLock<Vec<(Regex, &'static str)>> = OnceLock::new();
    T.get_or_init(|| {
        [
            (r"syz-executor\.?[0-9]+((/|:)[0-9]+)?", "syz-executor"),
            (r"syzkaller[0-9]+((/|:)[0-9]+)?", "syzkaller"),
            // Anything that looks like an address.
            (r"([^a-zA-Z0])(?:0x)?[0-9a-f]{6,}", "${1}ADDR"),
            (r"([0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3})", "IP"),
            // file.c:123 -> file.c:LINE
            (r"(\.\w+)(:[0-9]+)+", "${1}:LINE"),
            // func+0x12/0x34 -> func
            (r"([a-zA-Z][a-zA-Z0-9_.]+)\+0x[0-9a-z]+/0x[0-9a-z]+", "${1}"),
            (r"CPU#[0-9]+", "CPU"),
            // Remaining decimal numbers; applied until nothing changes, as
            // matches overlap in lists such as "0,1,2".
            (r"(\W)(\d+)(\W|$)", "${1}NUM${3}"),
        ]
        .into_iter()
        .map(|(re, with)| (Regex::new(re).expect("title regex"), with))
        .collect()
    })
}

/// Longer titles come from intermixed or corrupted lines.
const MAX_TITLE: usize = 120;

pub(crate) fn normalise(title: &str) -> String {
    let mut s = title.to_string();
    for (re, with) in table() {
        loop {
            let next = re.replace_all(&s, *with).into_owned();
            if next == s {
                break;
            }
            s = next;
        }
    }
    sanitize(&s)
}

/// Printable ASCII only, tabs as spaces, no runs of spaces, trimmed.
fn sanitize(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_TITLE));
    let mut prev = b' ';
    for &b in s.as_bytes().iter().take(MAX_TITLE) {
        let c = if b == b'\t' { b' ' } else { b };
        if !(0x20..0x7f).contains(&c) {
            continue;
        }
        if c == b' ' && prev == b' ' {
            continue;
        }
        out.push(c as char);
        prev = c;
    }
    out.trim().to_string()
}

#[cfg(test)]
mod tests {
    use super::normalise;

    // Expected values worked out by hand from syzkaller's documented
    // replacements (pkg/report/report.go, dynamicTitleReplacement).
    #[test]
    fn replaces_what_changes_between_crashes() {
        assert_eq!(
            normalise("kernel BUG at mm/slab.c:1234!"),
            "kernel BUG at mm/slab.c:LINE!"
        );
        assert_eq!(
            normalise("KASAN: slab-out-of-bounds in foo at addr ffff8801d0c6b080"),
            "KASAN: slab-out-of-bounds in foo at addr ADDR"
        );
        assert_eq!(
            normalise("trusty: panic: failed(-5) to start app 7"),
            "trusty: panic: failed(-NUM) to start app NUM"
        );
        assert_eq!(
            normalise("task syz-executor3:1234 hung"),
            "task syz-executor hung"
        );
        assert_eq!(
            normalise("nfs: server 10.1.2.3 not responding"),
            "nfs: server IP not responding"
        );
        assert_eq!(normalise("list 0,1,2 done"), "list NUM,NUM,NUM done");
        assert_eq!(normalise("soft lockup on CPU#3"), "soft lockup on CPU");
        assert_eq!(
            normalise("x in ip6_fragment+0x1052/0x2d80"),
            "x in ip6_fragment"
        );
    }

    #[test]
    fn sanitizes() {
        assert_eq!(normalise("  a\tb\u{1}c  \u{e9}d  "), "a bc d");
        assert_eq!(normalise(&"x".repeat(500)).len(), 120);
        assert_eq!(normalise(""), "");
    }
}
