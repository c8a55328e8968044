//! `faultline lab soak`: the arithmetic of a clean soak, from the command
//! line. Reference values are worked out by hand or with scipy where said.

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

fn soak(args: &[&str]) -> Value {
    let out = Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "soak", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn close(v: &Value, want: f64) {
    let got = v.as_f64().unwrap();
    assert!(
        (got - want).abs() <= 1e-12 * want.abs().max(1.0),
        "{got} vs {want}"
    );
}

#[test]
fn one_hour_mttf_at_95_percent() {
    // No failure allowed: T = MTTF * -ln(0.05) = ln 20 hours.
    let p = soak(&["--mttf", "1h", "--run-length", "1h", "--elapsed", "90m"]);
    close(&p["soak_hours"], 20f64.ln());
    assert_eq!(p["runs"], 3);
    // A run clean for 1.5 MTTF has bought 1 - e^-1.5.
    close(&p["confidence_so_far"], 1.0 - (-1.5f64).exp());
    close(&p["remaining_hours"], 20f64.ln() - 1.5);
}

#[test]
fn failures_allowed_and_a_baseline() {
    // One failure allowed: T = chi2.ppf(0.95, 4) / 2 MTTFs
    // (scipy.stats.chi2.ppf(0.95, 4) = 9.487729036781154).
    let p = soak(&["--mttf", "2h", "--failures", "1"]);
    close(&p["soak_hours"], 9.487729036781154);
    // Baseline 3 failures in 12 h: MTTF upper limit 2T / chi2.ppf(0.025, 6)
    // (scipy: chi2.ppf(0.025, 6) = 1.2373442457912035), then ln 20 of it.
    let p = soak(&["--baseline", "3/12h"]);
    let upper = 24.0 / 1.2373442457912035;
    close(&p["baseline"]["mttf_upper_hours"], upper);
    close(&p["baseline"]["mttf_hours"], 4.0);
    close(&p["soak_hours"], upper * 20f64.ln());
}

#[test]
fn text_and_usage_errors() {
    Command::cargo_bin("faultline")
        .unwrap()
        .args(["lab", "soak", "--mttf", "1h", "--elapsed", "4h"])
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "soak 2h 59m in all without a failure",
        ))
        .stdout(predicate::str::contains("the soak is long enough"))
        .stdout(predicate::function(|s: &str| {
            s.lines().all(|l| l.chars().count() <= 100)
        }));
    for bad in [
        vec!["--mttf", "1x"],
        vec!["--mttf", "1h", "--confidence", "1"],
        vec!["--baseline", "0/12h"],
        vec![],
    ] {
        Command::cargo_bin("faultline")
            .unwrap()
            .args(["lab", "soak"])
            .args(&bad)
            .assert()
            .code(2);
    }
}
