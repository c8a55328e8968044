//! Property tests: the detector takes any text without panicking, and
//! what it reports stays consistent with what it was fed.

use faultline_detect::{Context, Detector, Finding, Line, Origin};
use proptest::prelude::*;

/// Pieces of real reports, so that random lines hit the table's formats
/// and not only its "nothing matched" path.
const PIECES: &[&str] = &[
    "BUG: unable to handle kernel NULL pointer dereference at 0000000000000008",
    "BUG: KASAN: use-after-free in foo+0x1/0x2",
    "Read of size 8 at addr ffff88801 by task x/1",
    "WARNING: CPU: 0 PID: 1 at fs/x.c:12 foo+0x1/0x2",
    "INFO: task a:1 blocked for more than 120 seconds.",
    "INFO: rcu_sched self-detected stall on CPU",
    "Kernel panic - not syncing: Fatal exception",
    "general protection fault: 0000 [#1] SMP",
    "RIP: 0010:foo+0x1/0x2",
    "RIP  [<ffffffff8014c562>] list_del+0x48/0x71",
    "Call Trace:",
    " [<ffffffff81000001>] bar+0x29/0x70",
    " baz+0x1/0x2",
    " ? qux+0x1/0x2",
    "list_del corruption. next->prev should be 1, but was 2",
    "kernel BUG at lib/list_debug.c:70!",
    "BUG: soft lockup - CPU#0 stuck for 22s!",
    "invoked oom-killer: gfp_mask=0x0",
    "** replaying previous printk message **",
    "---[ end Kernel panic - not syncing: Fatal exception ]---",
    "UBSAN: shift-out-of-bounds in x.c:1:2",
    "BUG: memory leak",
    "backtrace:",
    "xen_net: Memory squeeze in netback driver.",
    "",
];

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(PIECES).prop_map(str::to_string),
        2 => any::<String>(),
        1 => (prop::sample::select(PIECES), any::<String>()).prop_map(|(p, s)| {
            let cut = s.char_indices().nth(s.chars().count() / 2).map_or(0, |(i, _)| i);
            format!("{}{}{}", &s[..cut], p, &s[cut..])
        }),
        1 => "[ -~]{0,3000}",
    ]
}

fn context_strategy() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        Just(Some(String::new())),
        "[TC][0-9]{1,4}".prop_map(Some),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn console_never_panics_and_reports_fed_lines(
        lines in prop::collection::vec((line_strategy(), context_strategy(), prop::option::of(0.0f64..100.0)), 0..120)
    ) {
        let det = Detector::shared();
        let mut console = det.console();
        let mut out = Vec::new();
        for (i, (text, ctx, uptime)) in lines.iter().enumerate() {
            let context = match ctx {
                None => Context::None,
                Some(c) if c.is_empty() => Context::Console,
                Some(c) => Context::Caller(c),
            };
            let line = Line { text, context, origin: Origin::Linux, time: *uptime, uptime: *uptime, at: i as u64 + 1 };
            console.push(&line, &mut out);
            if i % 17 == 0 {
                console.tick(50.0, &mut out);
            }
        }
        console.finish(&mut out);
        prop_assert!(console.is_idle());
        for f in &out {
            match f {
                Finding::Crash(r) => {
                    prop_assert!(r.start >= 1 && r.end <= lines.len() as u64 && r.start <= r.end);
                    prop_assert!(!r.title.is_empty() && r.title.len() <= 120);
                    prop_assert!(r.title.bytes().all(|b| (0x20..0x7f).contains(&b)));
                    prop_assert_eq!(r.signature.len(), 16);
                }
                Finding::Event(e) => {
                    prop_assert_eq!(&e.message, &lines[e.at as usize - 1].0);
                }
            }
        }
    }
}
