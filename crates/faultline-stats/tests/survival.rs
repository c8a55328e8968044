//! Survival, rate, soak and chi-square functions checked against values
//! computed independently, plus their edge cases and properties.
//!
//! Sources (regenerate with the scripts in `reference/`; their printed
//! output is kept beside them as `survival_R.out` and `survival_py.out`):
//! - R 4.2.2 with survival 3.5.3: `reference/generate_survival.R`
//!   (survfit with `conf.type = "log-log"`, survdiff, poisson.test, qchisq);
//! - scipy 1.17.1, lifelines 0.30.3 and mpmath 1.4.1 (50 digits):
//!   `reference/generate_survival.py`, which also writes the chi-square
//!   grids `reference/chi2_ppf.tsv` (scipy) and `reference/chi2_cdf.tsv`
//!   (mpmath) read here.

// Reference values are quoted with all the digits their source printed.
#![allow(clippy::excessive_precision)]

use faultline_stats::*;
use proptest::prelude::*;

#[track_caller]
fn assert_rel(actual: f64, expected: f64, rel: f64) {
    let ok = if expected == 0.0 || expected.is_infinite() {
        actual == expected
    } else {
        (actual - expected).abs() <= rel * expected.abs()
    };
    assert!(
        ok,
        "got {actual:e}, expected {expected:e} (relative error {:e}, allowed {rel:e})",
        ((actual - expected) / expected).abs()
    );
}

/// Parses a tab-separated reference grid, skipping `#` lines.
fn grid(text: &str) -> Vec<Vec<&str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split('\t').collect())
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse()
        .unwrap_or_else(|_| panic!("bad number {s:?} in a reference grid"))
}

// ------------------------------------------------------------ chi-square

// Quantiles: 1183 points, df 1..30, every 10 to 200, 2k + 2 for k up to
// 1000 and a few non-integer df down to 0.001; p from 1e-10 to 1 - 1e-10 and
// upper tails down to 1e-300. scipy
// inverts Boost's incomplete gamma; the two agree to 6e-15 at worst, so 1e-12
// only leaves room for other platforms' libm.
#[test]
fn chi2_quantiles_match_scipy_grid() {
    let mut worst = (0.0_f64, String::new());
    for row in grid(include_str!("../reference/chi2_ppf.tsv")) {
        let (df, p, want) = (num(row[1]), num(row[2]), num(row[3]));
        let got = match row[0] {
            "ppf" => chi2_quantile(p, df).unwrap(),
            _ => chi2_quantile_upper(p, df).unwrap(),
        };
        // scipy returns subnormal quantiles (df 0.001); we return 0 below
        // the smallest normal number (documented on chi2_quantile).
        // Below df = 2 the quantile goes like p^(2/df), so its condition
        // number is about 2/df: scipy is 1.3e-12 off mpmath at df = 0.001,
        // p = 0.9, where we are within 1.1e-14 (chi2_named_values).
        let scale = (2.0 / df).max(1.0);
        let err = if want < f64::MIN_POSITIVE {
            if got == 0.0 { 0.0 } else { 1.0 }
        } else {
            ((got - want) / want).abs() / scale
        };
        if err > worst.0 {
            worst = (
                err,
                format!("{} df={df} p={p}: got {got:e} want {want:e}", row[0]),
            );
        }
    }
    assert!(worst.0 < 1e-12, "worst {:e}: {}", worst.0, worst.1);
}

// CDF and upper tail against mpmath at 50 digits, both tails in relative
// terms. The worst point (2.7e-13, df 2002 at x = 500, a value of 1e-279) is
// as far as the problem's own conditioning allows: a relative change of one
// ulp in x moves that value by about (df/2 - x/2) ulps = 8e-14.
#[test]
fn chi2_cdf_matches_mpmath_grid() {
    let mut worst = (0.0_f64, String::new());
    for row in grid(include_str!("../reference/chi2_cdf.tsv")) {
        let (df, x, cdf, sf) = (num(row[0]), num(row[1]), num(row[2]), num(row[3]));
        let (got_cdf, got_sf) = (chi2_cdf(x, df).unwrap(), chi2_sf(x, df).unwrap());
        for (got, want, what) in [(got_cdf, cdf, "cdf"), (got_sf, sf, "sf")] {
            let err = ((got - want) / want).abs();
            if err > worst.0 {
                worst = (
                    err,
                    format!("{what} df={df} x={x}: got {got:e} want {want:e}"),
                );
            }
        }
    }
    assert!(worst.0 < 1e-12, "worst {:e}: {}", worst.0, worst.1);
}

#[test]
fn chi2_named_values() {
    // mpmath values solve P(df/2, x/2) = p for the f64 p given (not the
    // decimal), by bisection at 50 digits.
    // R 4.2.2: qchisq(0.95, 1); mpmath: 3.8414588206941244691
    assert_rel(chi2_quantile(0.95, 1.0).unwrap(), 3.841458820694124, 1e-14);
    assert_rel(
        chi2_quantile(0.95, 1.0).unwrap(),
        3.8414588206941244691,
        1e-14,
    );
    // R: qchisq(0.975, 2) = -2 ln 0.025; mpmath 7.3777589082278708293
    assert_rel(
        chi2_quantile(0.975, 2.0).unwrap(),
        7.3777589082278708293,
        1e-14,
    );
    // R: qchisq(0.025, 4); mpmath 0.4844185570879298204
    assert_rel(
        chi2_quantile(0.025, 4.0).unwrap(),
        0.4844185570879298204,
        1e-14,
    );
    // mpmath (R: 1625.3966124563583, 2127.9042720326038)
    assert_rel(
        chi2_quantile(1e-10, 2002.0).unwrap(),
        1625.39661245635856,
        1e-14,
    );
    assert_rel(
        chi2_quantile(0.975, 2002.0).unwrap(),
        2127.9042720326039355,
        1e-14,
    );
    // mpmath: pi/2 * 1e-20 to first order (R: 1.5707963267948935e-20).
    assert_rel(
        chi2_quantile(1e-10, 1.0).unwrap(),
        1.5707963267948967337e-20,
        1e-13,
    );
    // mpmath; R 199.33372983863086 (R's qchisq stops at ~1e-15).
    assert_rel(
        chi2_quantile(0.5, 200.0).unwrap(),
        199.33372983863097749,
        1e-14,
    );
    // Non-integer df, off the half-integer table. mpmath.
    assert_rel(
        chi2_quantile(0.5, 0.3).unwrap(),
        0.012469611517980432875,
        1e-13,
    );
    // mpmath; scipy's 3.431988699163809e-92 is 1.3e-12 off.
    assert_rel(
        chi2_quantile(0.9, 0.001).unwrap(),
        3.4319886991683497746e-92,
        1e-13,
    );
    // R 4.2.2: qchisq(1e-10, 3, lower.tail = FALSE)
    assert_rel(
        chi2_quantile_upper(1e-10, 3.0).unwrap(),
        49.542155927523666,
        1e-13,
    );
    // Deep upper tails. mpmath; R: pchisq(150, 3, lower.tail=FALSE) = 2.6349139284880449e-32
    assert_rel(
        chi2_sf(150.0, 3.0).unwrap(),
        2.634913928488043582e-32,
        1e-13,
    );
    assert_rel(
        chi2_sf(1000.0, 1.0).unwrap(),
        1.7958327848007261946e-219,
        1e-12,
    );
    assert_rel(
        chi2_sf(4000.0, 2002.0).unwrap(),
        1.3708352872280239209e-135,
        1e-12,
    );
}

#[test]
fn chi2_edges_and_errors() {
    assert_eq!(chi2_quantile(0.0, 3.0), Ok(0.0));
    assert_eq!(chi2_quantile(1.0, 3.0), Ok(f64::INFINITY));
    assert_eq!(chi2_quantile_upper(0.0, 3.0), Ok(f64::INFINITY));
    assert_eq!(chi2_quantile_upper(1.0, 3.0), Ok(0.0));
    assert_eq!(chi2_cdf(0.0, 3.0), Ok(0.0));
    assert_eq!(chi2_cdf(-5.0, 3.0), Ok(0.0));
    assert_eq!(chi2_sf(-5.0, 3.0), Ok(1.0));
    assert_eq!(chi2_cdf(f64::INFINITY, 3.0), Ok(1.0));
    assert_eq!(chi2_sf(f64::INFINITY, 3.0), Ok(0.0));
    for p in [f64::NAN, -0.1, 1.5, f64::INFINITY] {
        assert_eq!(
            chi2_quantile(p, 2.0).map_err(|e| matches!(e, SurvivalError::InvalidProbability(_))),
            Err(true)
        );
        assert!(chi2_quantile_upper(p, 2.0).is_err());
    }
    for df in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            chi2_quantile(0.5, df),
            Err(SurvivalError::InvalidDegreesOfFreedom(_))
        ));
        assert!(chi2_cdf(1.0, df).is_err());
        assert!(chi2_sf(1.0, df).is_err());
    }
    assert!(matches!(
        chi2_cdf(f64::NAN, 2.0),
        Err(SurvivalError::InvalidQuantity(_))
    ));
    // Tiny df and p: the quantile underflows to (nearly) 0, without panic.
    let x = chi2_quantile(1e-300, 0.01).unwrap();
    assert!((0.0..1e-300).contains(&x));
}

// ------------------------------------------------------------ Kaplan-Meier

fn pairs(time: &[f64], status: &[u8]) -> Vec<(f64, bool)> {
    time.iter()
        .zip(status)
        .map(|(&t, &s)| (t, s == 1))
        .collect()
}

/// R's `aml` data (survival package), maintained arm: a failure and a
/// censoring tied at 13.
fn aml_maintained() -> Vec<(f64, bool)> {
    pairs(
        &[9., 13., 13., 18., 23., 28., 31., 34., 45., 48., 161.],
        &[1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0],
    )
}

fn aml_nonmaintained() -> Vec<(f64, bool)> {
    pairs(
        &[5., 5., 8., 8., 12., 16., 23., 27., 30., 33., 43., 45.],
        &[1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1],
    )
}

/// A lab configuration: hours to crash, runs stopped clean at 4 h; two
/// failures and a censoring tied at 1.2, a failure and a censoring at 2.7.
fn lab() -> Vec<(f64, bool)> {
    pairs(
        &[0.35, 0.9, 1.2, 1.2, 2.7, 4., 4., 4., 3.1, 0.05, 1.2, 2.7],
        &[1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0],
    )
}

/// Expected step columns, as R's `summary(survfit(..., conf.type =
/// "log-log"))` prints them.
struct RSteps<'a> {
    time: &'a [f64],
    n_risk: &'a [u64],
    n_event: &'a [u64],
    surv: &'a [f64],
    std_err: &'a [f64],
    lower: &'a [f64],
    upper: &'a [f64],
}

// survival and std.err are products and sums of a few terms, matched to
// 1e-13; the interval adds exp(-exp(...)), 1e-12.
#[track_caller]
fn check_steps(km: &KaplanMeier, r: RSteps) {
    assert_eq!(km.steps.len(), r.time.len());
    for (j, s) in km.steps.iter().enumerate() {
        assert_eq!(s.time, r.time[j], "step {j}");
        assert_eq!(s.at_risk, r.n_risk[j], "step {j}");
        assert_eq!(s.failures, r.n_event[j], "step {j}");
        assert_rel(s.survival, r.surv[j], 1e-13);
        if r.surv[j] > 0.0 {
            assert_rel(s.std_err, r.std_err[j], 1e-13);
            assert_rel(s.low, r.lower[j], 1e-12);
            assert_rel(s.high, r.upper[j], 1e-12);
        }
    }
}

#[test]
fn km_aml_maintained_matches_r() {
    let km = kaplan_meier(&aml_maintained()).unwrap();
    // R 4.2.2, survival 3.5.3 (reference/survival_R.out, "km aml_maintained")
    check_steps(
        &km,
        RSteps {
            time: &[9., 13., 18., 23., 31., 48.],
            n_risk: &[11, 10, 8, 7, 5, 2],
            n_event: &[1, 1, 1, 1, 1, 1],
            surv: &[
                0.90909090909090906,
                0.81818181818181812,
                0.71590909090909083,
                0.61363636363636354,
                0.49090909090909085,
                0.24545454545454543,
            ],
            std_err: &[
                0.08667841720414475,
                0.11629129983033294,
                0.13966497055722782,
                0.152632331027312,
                0.16419326722113581,
                0.19199954216699733,
            ],
            lower: &[
                0.50808020576992974,
                0.44742861468218142,
                0.35019038590793838,
                0.26575204000128611,
                0.16733090977685081,
                0.015238454700612334,
            ],
            upper: &[
                0.98667382266782311,
                0.95116222858249166,
                0.8990239741910534,
                0.83529924325022142,
                0.75339979037081128,
                0.62402088752875828,
            ],
        },
    );
    // lifelines 0.30.3 agrees on every survival value to 1e-15.
    assert_rel(km.steps[5].survival, 0.24545454545454548, 1e-14);
    // The tie at 13: the censored run was at risk of the failure at 13 and
    // counts as censored since that step, in the step at 18; 28 comes
    // before 31, 34 and 45 before 48, and 161 after the last step.
    let censored: Vec<u64> = km.steps.iter().map(|s| s.censored).collect();
    assert_eq!(censored, [0, 0, 1, 0, 1, 2]);
    assert_eq!(km.censored_after, 1);
    assert_eq!((km.n, km.failures, km.censored), (11, 6, 5));
    // R: median 31, 0.95LCL 13, 0.95UCL NA.
    assert_eq!(km.median(), Some(31.0));
    assert_eq!(km.median_interval(), (Some(13.0), None));
    // R: print(fit, rmean = 161): 61.297727272727272, se 24.008372935128381
    let rm = km.restricted_mean(161.0).unwrap();
    assert_rel(rm.mean, 61.297727272727272, 1e-13);
    assert_rel(rm.std_err, 24.008372935128381, 1e-13);
    // R: rmean = 85: 42.643181818181816, se 10.029545005669751
    let rm = km.restricted_mean(85.0).unwrap();
    assert_rel(rm.mean, 42.643181818181816, 1e-13);
    assert_rel(rm.std_err, 10.029545005669751, 1e-13);
    assert_eq!(km.last_time, 161.0);
}

#[test]
fn km_aml_nonmaintained_ends_at_zero() {
    let km = kaplan_meier(&aml_nonmaintained()).unwrap();
    // R 4.2.2, survival 3.5.3 ("km aml_nonmaintained"); ties of two
    // failures at 5 and 8.
    check_steps(
        &km,
        RSteps {
            time: &[5., 8., 12., 23., 27., 30., 33., 43., 45.],
            n_risk: &[12, 10, 8, 6, 5, 4, 3, 2, 1],
            n_event: &[2, 2, 1, 1, 1, 1, 1, 1, 1],
            surv: &[
                0.83333333333333337,
                0.66666666666666674,
                0.58333333333333337,
                0.48611111111111116,
                0.38888888888888895,
                0.29166666666666674,
                0.19444444444444448,
                0.097222222222222238,
                0.0,
            ],
            std_err: &[
                0.1075828707279838,
                0.13608276348795437,
                0.14231876063832777,
                0.14813006255348293,
                0.14698618394803281,
                0.13871516913498738,
                0.12187450538044615,
                0.091866364967520514,
                f64::NAN,
            ],
            lower: &[
                0.48171494219537886,
                0.33701893254140197,
                0.27013892408549733,
                0.19187661961872829,
                0.12627201219539366,
                0.072401608907771836,
                0.03119864293121194,
                0.0057463056958638346,
                f64::NAN,
            ],
            upper: &[
                0.95550936572806489,
                0.85971179908443984,
                0.80094019233338687,
                0.72967156977948544,
                0.64981740828931511,
                0.56088605267140923,
                0.46142947623811392,
                0.34890386111074972,
                f64::NAN,
            ],
        },
    );
    // At S = 0 R has std.err NaN and an NA interval; we give 0 and
    // [0, the previous step's upper limit] (documented on KaplanMeier).
    let last = km.steps[8];
    assert_eq!((last.survival, last.std_err, last.low), (0.0, 0.0, 0.0));
    assert_eq!(last.high, km.steps[7].high);
    assert_eq!(km.steps[5].censored, 0);
    assert_eq!(km.steps[3].censored, 1); // 16, between 12 and 23
    assert_eq!(km.censored_after, 0);
    // R: median 23, 0.95LCL 5, 0.95UCL 33.
    assert_eq!(km.median(), Some(23.0));
    assert_eq!(km.median_interval(), (Some(5.0), Some(33.0)));
    // R: rmean = 45: 22.708333333333336 (se 4.1809419810331541); rmean = 25
    let rm = km.restricted_mean(45.0).unwrap();
    assert_rel(rm.mean, 22.708333333333336, 1e-13);
    assert_rel(rm.std_err, 4.1809419810331541, 1e-13);
    let rm = km.restricted_mean(25.0).unwrap();
    assert_rel(rm.mean, 17.555555555555557, 1e-13);
    assert_rel(rm.std_err, 2.4822673575922281, 1e-13);
    assert_eq!(km.survival_at(1e9), Some(0.0));
}

#[test]
fn km_lab_with_ties_matches_r_and_lifelines() {
    let km = kaplan_meier(&lab()).unwrap();
    // R 4.2.2, survival 3.5.3 ("km lab")
    check_steps(
        &km,
        RSteps {
            time: &[0.05, 0.35, 0.9, 1.2, 2.7, 3.1],
            n_risk: &[12, 11, 10, 9, 6, 4],
            n_event: &[1, 1, 1, 2, 1, 1],
            surv: &[
                0.91666666666666663,
                0.83333333333333326,
                0.75,
                0.58333333333333337,
                0.48611111111111116,
                0.36458333333333337,
            ],
            std_err: &[
                0.079785592313028175,
                0.10758287072798378,
                0.125,
                0.14231876063832777,
                0.14813006255348293,
                0.15303403382665981,
            ],
            lower: &[
                0.53897718057074129,
                0.48171494219537891,
                0.40841591315159503,
                0.27013892408549733,
                0.19187661961872829,
                0.10225110541298273,
            ],
            upper: &[
                0.98782556540045796,
                0.95550936572806489,
                0.91172040612569827,
                0.80094019233338687,
                0.72967156977948544,
                0.63988712293125372,
            ],
        },
    );
    // lifelines 0.30.3: survival at the failure times, median 2.7.
    let lifelines = [
        0.9166666666666667,
        0.8333333333333335,
        0.7500000000000001,
        0.5833333333333333,
        0.48611111111111105,
        0.3645833333333333,
    ];
    for (s, want) in km.steps.iter().zip(lifelines) {
        assert_rel(s.survival, want, 1e-14);
    }
    // Censored at 1.2 (tied with two failures) counts toward the step at
    // 2.7; the clean run at 2.7 toward 3.1; the three at 4 after the end.
    let censored: Vec<u64> = km.steps.iter().map(|s| s.censored).collect();
    assert_eq!(censored, [0, 0, 0, 0, 1, 1]);
    assert_eq!(km.censored_after, 3);
    // R: median 2.7, LCL 0.35, UCL NA.
    assert_eq!(km.median(), Some(2.7));
    assert_eq!(km.median_interval(), (Some(0.35), None));
    // R: rmean = 4: 2.4059027777777779 (se 0.43674517390907752);
    // rmean = 2.025: 1.4895833333333333 (se 0.20229710199815482)
    let rm = km.restricted_mean(4.0).unwrap();
    assert_rel(rm.mean, 2.4059027777777779, 1e-13);
    assert_rel(rm.std_err, 0.43674517390907752, 1e-13);
    let rm = km.restricted_mean(2.0249999999999999).unwrap();
    assert_rel(rm.mean, 1.4895833333333333, 1e-13);
    assert_rel(rm.std_err, 0.20229710199815482, 1e-13);
    // The step function.
    assert_eq!(km.survival_at(0.0), Some(1.0));
    assert_eq!(km.survival_at(0.05), Some(km.steps[0].survival));
    assert_eq!(km.survival_at(1.0), Some(0.75));
    assert_eq!(km.survival_at(f64::NEG_INFINITY), Some(1.0));
    assert_eq!(km.survival_at(f64::NAN), None);
    // Input order does not matter.
    let mut reversed = lab();
    reversed.reverse();
    assert_eq!(kaplan_meier(&reversed).unwrap(), km);
}

#[test]
fn km_median_exactly_one_half() {
    // Four runs failing at 1, 2, 3, 4: S = 1/2 on [2, 3).
    let km = kaplan_meier(&pairs(&[1., 2., 3., 4.], &[1, 1, 1, 1])).unwrap();
    // R 4.2.2 ("km half"): survival and its interval at each step.
    check_steps(
        &km,
        RSteps {
            time: &[1., 2., 3., 4.],
            n_risk: &[4, 3, 2, 1],
            n_event: &[1, 1, 1, 1],
            surv: &[0.75, 0.5, 0.25, 0.0],
            std_err: &[0.21650635094610965, 0.25, 0.21650635094610965, f64::NAN],
            lower: &[
                0.12794691759514587,
                0.057847082995144627,
                0.0089478244166031722,
                f64::NAN,
            ],
            upper: &[
                0.96054864228507841,
                0.84486128119037396,
                0.66532534278886535,
                f64::NAN,
            ],
        },
    );
    // lifelines 0.30.3: median 2.0 (first time S <= 1/2). R says 2.5, the
    // midpoint of the stretch where S is exactly 1/2; we follow lifelines
    // (documented on KaplanMeier::median).
    assert_eq!(km.median(), Some(2.0));
    // R: LCL 1, UCL NA (the S = 0 step is skipped, R's NA).
    assert_eq!(km.median_interval(), (Some(1.0), None));
    // R: rmean = 4: 2.5 (se 0.55901699437494745); rmean = 2.5: 2 (se
    // 0.30618621784789724)
    let rm = km.restricted_mean(4.0).unwrap();
    assert_rel(rm.mean, 2.5, 1e-14);
    assert_rel(rm.std_err, 0.55901699437494745, 1e-13);
    let rm = km.restricted_mean(2.5).unwrap();
    assert_rel(rm.mean, 2.0, 1e-14);
    assert_rel(rm.std_err, 0.30618621784789724, 1e-13);
}

#[test]
fn km_small_cases_match_r() {
    // R ("km all_failed"): unsorted input, all three fail.
    let km = kaplan_meier(&pairs(&[3., 1., 2.], &[1, 1, 1])).unwrap();
    let s: Vec<f64> = km.steps.iter().map(|s| s.survival).collect();
    assert_eq!(s, [2.0 / 3.0, 1.0 / 3.0, 0.0]);
    assert_rel(km.steps[1].std_err, 0.27216552697590868, 1e-13);
    assert_rel(km.steps[1].low, 0.0089616283309790837, 1e-12);
    assert_rel(km.steps[1].high, 0.77414865036083258, 1e-12);
    assert_eq!(km.median(), Some(2.0));
    assert_eq!(km.median_interval(), (Some(1.0), None));
    // R: rmean = 3: 2 (se 0.47140452079103168)
    let rm = km.restricted_mean(3.0).unwrap();
    assert_rel(rm.mean, 2.0, 1e-14);
    assert_rel(rm.std_err, 0.47140452079103168, 1e-13);

    // R ("km one_failure"): one failure, two censored after it.
    let km = kaplan_meier(&pairs(&[2., 3., 3.], &[1, 0, 0])).unwrap();
    assert_eq!(km.steps.len(), 1);
    assert_rel(km.steps[0].survival, 0.66666666666666663, 1e-15);
    assert_rel(km.steps[0].std_err, 0.27216552697590868, 1e-13);
    assert_rel(km.steps[0].low, 0.054073426786516755, 1e-12);
    assert_rel(km.steps[0].high, 0.94520638727204698, 1e-12);
    assert_eq!(km.censored_after, 2);
    // R: median NA, LCL 2, UCL NA.
    assert_eq!(km.median(), None);
    assert_eq!(km.median_interval(), (Some(2.0), None));
    // R: rmean = 3: 2.6666666666666665 (se 0.27216552697590868);
    // rmean = 2.5: 2.3333333333333335 (se 0.13608276348795434)
    let rm = km.restricted_mean(3.0).unwrap();
    assert_rel(rm.mean, 2.6666666666666665, 1e-14);
    assert_rel(rm.std_err, 0.27216552697590868, 1e-13);
    let rm = km.restricted_mean(2.5).unwrap();
    assert_rel(rm.mean, 2.3333333333333335, 1e-14);
    assert_rel(rm.std_err, 0.13608276348795434, 1e-13);

    // R ("km early_censoring"): censored at 0 and 0.5 before any failure.
    let km = kaplan_meier(&pairs(
        &[0., 0.5, 1., 1., 2., 5., 6.],
        &[0, 0, 1, 1, 0, 1, 0],
    ))
    .unwrap();
    assert_eq!(km.steps[0].at_risk, 5);
    assert_eq!(km.steps[0].censored, 2);
    assert_eq!(km.steps[1].at_risk, 2);
    assert_eq!(km.steps[1].censored, 1);
    assert_rel(km.steps[0].survival, 0.59999999999999998, 1e-15);
    assert_rel(km.steps[1].survival, 0.29999999999999999, 1e-15);
    assert_rel(km.steps[0].std_err, 0.21908902300206642, 1e-13);
    assert_rel(km.steps[1].std_err, 0.23874672772626643, 1e-13);
    assert_rel(km.steps[0].low, 0.12573018299443142, 1e-12);
    assert_rel(km.steps[1].low, 0.012301529425416086, 1e-12);
    assert_rel(km.steps[0].high, 0.88175640739353223, 1e-12);
    assert_rel(km.steps[1].high, 0.71921802081041486, 1e-12);
    assert_eq!(km.median(), Some(5.0));
    assert_eq!(km.median_interval(), (Some(1.0), None));
    // R: rmean = 6: 3.6999999999999997 (se 1.0084641788382964);
    // rmean = 3.25: 2.3500000000000001 (se 0.49295030175464954)
    let rm = km.restricted_mean(6.0).unwrap();
    assert_rel(rm.mean, 3.6999999999999997, 1e-14);
    assert_rel(rm.std_err, 1.0084641788382964, 1e-13);
    let rm = km.restricted_mean(3.25).unwrap();
    assert_rel(rm.mean, 2.3500000000000001, 1e-14);
    assert_rel(rm.std_err, 0.49295030175464954, 1e-13);
}

#[test]
fn km_edge_cases() {
    // No runs: no steps, no median, a restricted mean of tau itself (S = 1).
    let km = kaplan_meier(&[]).unwrap();
    assert!(km.steps.is_empty());
    assert_eq!(
        (km.n, km.failures, km.censored, km.censored_after),
        (0, 0, 0, 0)
    );
    assert_eq!(km.last_time, 0.0);
    assert_eq!(km.median(), None);
    assert_eq!(km.median_interval(), (None, None));
    assert_eq!(km.survival_at(5.0), Some(1.0));
    let rm = km.restricted_mean(3.0).unwrap();
    assert_eq!((rm.mean, rm.std_err), (3.0, 0.0));

    // All censored (every run clean): no step, all in censored_after.
    let km = kaplan_meier(&pairs(&[4., 4., 4.], &[0, 0, 0])).unwrap();
    assert!(km.steps.is_empty());
    assert_eq!((km.failures, km.censored, km.censored_after), (0, 3, 3));
    assert_eq!(km.median(), None);
    assert_eq!(km.survival_at(100.0), Some(1.0));
    assert_eq!(km.last_time, 4.0);

    // One run that failed: one step to 0.
    let km = kaplan_meier(&[(2.5, true)]).unwrap();
    assert_eq!(km.steps.len(), 1);
    let s = km.steps[0];
    assert_eq!((s.time, s.at_risk, s.failures, s.censored), (2.5, 1, 1, 0));
    assert_eq!((s.survival, s.std_err, s.low, s.high), (0.0, 0.0, 0.0, 1.0));
    assert_eq!(km.median(), Some(2.5));
    assert_eq!(km.median_interval(), (None, None));
    let rm = km.restricted_mean(10.0).unwrap();
    assert_eq!((rm.mean, rm.std_err), (2.5, 0.0));

    // A failure at time 0 is a step at 0.
    let km = kaplan_meier(&[(0.0, true), (1.0, false)]).unwrap();
    assert_eq!(km.steps[0].time, 0.0);
    assert_eq!(km.steps[0].survival, 0.5);
    assert_eq!(km.survival_at(0.0), Some(0.5));

    // A tie of a failure and a censoring: the censored run is at risk.
    let km = kaplan_meier(&[(3.0, false), (3.0, true)]).unwrap();
    assert_eq!((km.steps[0].at_risk, km.steps[0].survival), (2, 0.5));
    assert_eq!(km.censored_after, 1);
}

#[test]
fn km_rejects_unusable_times() {
    for bad in [f64::NAN, -1.0, f64::INFINITY, f64::NEG_INFINITY, -0.0001] {
        let data = [(1.0, true), (2.0, false), (bad, true)];
        match kaplan_meier(&data) {
            Err(SurvivalError::InvalidTime { group, index, time }) => {
                assert_eq!((group, index), (0, 2));
                assert!(time.is_nan() || time == bad);
            }
            other => panic!("{bad}: expected InvalidTime, got {other:?}"),
        }
    }
    // -0.0 is 0.
    assert!(kaplan_meier(&[(-0.0, true)]).is_ok());
    let km = kaplan_meier(&[(1.0, true), (2.0, true)]).unwrap();
    for tau in [f64::NAN, -1.0, f64::INFINITY] {
        assert!(matches!(
            km.restricted_mean(tau),
            Err(SurvivalError::InvalidDuration(_))
        ));
    }
    let msg = kaplan_meier(&[(f64::NAN, true)]).unwrap_err().to_string();
    assert!(msg.contains("observation 0"), "{msg}");
}

// ------------------------------------------------------------ log-rank

#[test]
fn logrank_two_groups_matches_r_scipy_lifelines() {
    let (a, b) = (aml_maintained(), aml_nonmaintained());
    let lr = logrank(&[&a, &b]).unwrap();
    // R 4.2.2: survdiff(Surv(time, status) ~ x, aml): chisq
    // 4.2748914399401947, p 0.038679434587535866.
    // scipy 1.17.1: logrank Z^2 = 4.274891439940191, p 0.03867943458753593;
    // lifelines 0.30.3: 4.274891439940196, p 0.03867943458753586.
    assert_rel(lr.statistic, 4.2748914399401947, 1e-13);
    assert_rel(lr.statistic, 4.274891439940191, 1e-13);
    assert_rel(lr.statistic, 4.274891439940196, 1e-13);
    assert_eq!(lr.df, 1);
    assert_rel(lr.p_value, 0.038679434587535866, 1e-13);
    assert_rel(lr.p_value, 0.03867943458753593, 1e-13);
    assert_eq!(lr.observed, [6, 11]);
    // R: exp = 10.022669325634059, 6.977330674365942; var = +-3.7853285237165122
    assert_rel(lr.expected[0], 10.022669325634059, 1e-13);
    assert_rel(lr.expected[1], 6.977330674365942, 1e-13);
    assert_rel(lr.variance[0][0], 3.7853285237165122, 1e-13);
    assert_rel(lr.variance[0][1], -3.7853285237165126, 1e-13);
    assert_rel(lr.variance[1][1], 3.7853285237165113, 1e-13);
    // The statistic does not depend on the order of the groups.
    let swapped = logrank(&[&b, &a]).unwrap();
    assert_rel(swapped.statistic, lr.statistic, 1e-13);
}

#[test]
fn logrank_small_case_by_hand() {
    // Group 1: failed at 2, clean at 3. Group 2: failed at 1 and 4, clean at 4.
    // t = 1: 5 at risk (2 of group 1), 1 failure: E1 = 2/5, V = 1 * 4/4 *
    //        2/5 * 3/5 = 6/25.
    // t = 2: 4 at risk (2 of group 1), 1 failure: E1 += 1/2, V += 1/4.
    // t = 4: 2 at risk (none of group 1): adds nothing.
    // O1 - E1 = 1 - 9/10 = 1/10; chi2 = (1/10)^2 / (49/100) = 1/49.
    // scipy 1.17.1: logrank(...) Z^2 = 0.020408163265306114, p 0.8864030063670636
    let g1 = [(2.0, true), (3.0, false)];
    let g2 = [(1.0, true), (4.0, true), (4.0, false)];
    let lr = logrank(&[&g1, &g2]).unwrap();
    assert_rel(lr.statistic, 1.0 / 49.0, 1e-14);
    assert_rel(lr.statistic, 0.020408163265306114, 1e-14);
    assert_rel(lr.p_value, 0.8864030063670636, 1e-13);
    assert_eq!(lr.observed, [1, 2]);
    assert_rel(lr.expected[0], 0.9, 1e-14);
    assert_rel(lr.expected[1], 2.1, 1e-14);
    assert_rel(lr.variance[0][0], 0.49, 1e-14);
}

fn three_configs() -> [Vec<(f64, bool)>; 3] {
    [
        pairs(
            &[0.2, 0.5, 0.5, 1.1, 1.7, 2.0, 3.3, 4., 4.],
            &[1, 1, 1, 1, 1, 1, 1, 0, 0],
        ),
        pairs(
            &[0.9, 1.4, 2.6, 3.0, 4., 4., 4., 4.],
            &[1, 1, 1, 1, 0, 0, 0, 0],
        ),
        pairs(
            &[2.2, 4., 4., 4., 4., 4., 4., 0.5, 3.9],
            &[1, 0, 0, 0, 0, 0, 0, 1, 1],
        ),
    ]
}

#[test]
fn logrank_three_groups_matches_r_and_lifelines() {
    let [g1, g2, g3] = three_configs();
    let lr = logrank(&[&g1, &g2, &g3]).unwrap();
    // R 4.2.2: survdiff chisq 5.083734849525575, p 0.078719260151616427
    // lifelines 0.30.3 multivariate_logrank_test: 5.083734849525576, df 2,
    // p 0.07871926015161639.
    assert_rel(lr.statistic, 5.083734849525575, 1e-13);
    assert_rel(lr.statistic, 5.083734849525576, 1e-13);
    assert_eq!(lr.df, 2);
    assert_rel(lr.p_value, 0.078719260151616427, 1e-13);
    assert_eq!(lr.observed, [7, 4, 3]);
    // R: exp and var.
    let exp = [3.5320779779216314, 4.6184659148900638, 5.8494561071883053];
    for (got, want) in lr.expected.iter().zip(exp) {
        assert_rel(*got, want, 1e-13);
    }
    let var = [
        [2.5376227558400366, -1.1350217634389304, -1.402600992401106],
        [-1.1350217634389304, 3.0329039453725986, -1.8978821819336686],
        [-1.402600992401106, -1.8978821819336689, 3.3004831743347749],
    ];
    for (got_row, want_row) in lr.variance.iter().zip(var) {
        for (got, want) in got_row.iter().zip(want_row) {
            assert_rel(*got, want, 1e-13);
        }
    }
    // Any order of the groups gives the same test.
    let permuted = logrank(&[&g3, &g1, &g2]).unwrap();
    assert_rel(permuted.statistic, lr.statistic, 1e-12);
    assert_eq!(permuted.df, 2);
}

#[test]
fn logrank_group_expecting_nothing_is_dropped() {
    // A fourth group censored before any failure expects 0 failures.
    // R 4.2.2: survdiff gives the three-group chisq 5.083734849525575,
    // p 0.078719260151616427, exp 0 for it, df 2.
    let [g1, g2, g3] = three_configs();
    let g4 = [(0.1, false), (0.15, false)];
    let lr = logrank(&[&g1, &g2, &g3, &g4]).unwrap();
    assert_rel(lr.statistic, 5.083734849525575, 1e-13);
    assert_rel(lr.p_value, 0.078719260151616427, 1e-13);
    assert_eq!(lr.df, 2);
    assert_eq!((lr.observed[3], lr.expected[3]), (0, 0.0));
    // An empty group too, kept in the output with zeros.
    let lr = logrank(&[&g1, &[], &g2, &g3]).unwrap();
    assert_rel(lr.statistic, 5.083734849525575, 1e-13);
    assert_eq!(lr.df, 2);
    assert_eq!((lr.observed[1], lr.expected[1]), (0, 0.0));
}

#[test]
fn logrank_edge_cases() {
    let [g1, g2, _] = three_configs();
    let uninformative = |lr: &LogRank| lr.statistic == 0.0 && lr.df == 0 && lr.p_value == 1.0;
    // No groups, one group, groups without failures, empty groups.
    assert!(uninformative(&logrank(&[]).unwrap()));
    assert!(uninformative(&logrank(&[&g1]).unwrap()));
    let clean = [(4.0, false), (4.0, false)];
    assert!(uninformative(&logrank(&[&clean, &clean]).unwrap()));
    assert!(uninformative(&logrank(&[&[], &[]]).unwrap()));
    assert!(uninformative(&logrank(&[&g1, &[]]).unwrap()));
    // Identical groups: O = E, statistic 0 (up to rounding), p 1.
    let lr = logrank(&[&g2, &g2]).unwrap();
    assert!(lr.statistic.abs() < 1e-20 && (lr.p_value - 1.0).abs() < 1e-9);
    // One failure in all: df 1, finite statistic.
    let lr = logrank(&[&[(1.0, true)], &[(2.0, false)]]).unwrap();
    // t = 1: 2 at risk, 1 each; E1 = 1/2, V = 1 * 1/1 * 1/4 = 1/4; chi2 = 1.
    assert_rel(lr.statistic, 1.0, 1e-15);
    assert_eq!(lr.df, 1);
    // Ties across groups at one time.
    let lr = logrank(&[&[(1.0, true), (1.0, true)], &[(1.0, true), (1.0, false)]]).unwrap();
    // t = 1: n = 4, d = 3, n1 = 2: E1 = 3/2, V = 3 * 1/3 * 1/2 * 1/2 = 1/4;
    // O1 - E1 = 1/2, chi2 = 1.
    assert_rel(lr.statistic, 1.0, 1e-15);
}

#[test]
fn logrank_rejects_unusable_times() {
    let [g1, _, _] = three_configs();
    let bad = [(1.0, true), (f64::INFINITY, false)];
    assert_eq!(
        logrank(&[&g1, &bad]).map(|_| ()),
        Err(SurvivalError::InvalidTime {
            group: 1,
            index: 1,
            time: f64::INFINITY
        })
    );
    assert!(logrank(&[&[(f64::NAN, true)], &g1]).is_err());
}

// ------------------------------------------------------------ Poisson rate

// R's poisson.test inverts qgamma, ours P(a, x) by root finding; both are
// within a few ulps of the exact limits, so 1e-13.
#[test]
fn poisson_rate_matches_r_poisson_test() {
    // (k, T, R low, R high, R qchisq(0.95, 2k+2) / 2 / T)
    let cases = [
        (0, 10.0, 0.0, 0.36888794541139353, 0.29957322735539899),
        (
            1,
            10.0,
            0.0025317807984289896,
            0.55716433909388985,
            0.4743864518390577,
        ),
        (
            2,
            7.5,
            0.032294570472528671,
            0.96329168902986106,
            0.83943914958293187,
        ),
        (
            5,
            120.0,
            0.01352905325098684,
            0.097236100661022229,
            0.087608624239512753,
        ),
        (
            10,
            1000.0,
            0.0047953886961324341,
            0.018390356042017778,
            0.016962219235721897,
        ),
        (
            100,
            250.0,
            0.32545596500369267,
            0.48650717516970549,
            0.47231709112838832,
        ),
        (
            1000,
            3e4,
            0.031299100613589842,
            0.035465071200543395,
            0.035120104071110027,
        ),
    ];
    for (k, t, low, high, one_sided) in cases {
        let r = poisson_rate(k, t).unwrap();
        assert_eq!((r.failures, r.exposure), (k, t));
        assert_rel(r.rate, k as f64 / t, 1e-15);
        assert_rel(r.low, low, 1e-13);
        assert_rel(r.high, high, 1e-13);
        assert_rel(r.high_one_sided, one_sided, 1e-13);
        assert_rel(r.mttf, t / k as f64, 1e-15);
        assert_rel(r.mttf_low, 1.0 / high, 1e-13);
        assert_rel(
            r.mttf_high,
            if k == 0 { f64::INFINITY } else { 1.0 / low },
            1e-13,
        );
        assert_rel(r.mttf_low_one_sided, 1.0 / one_sided, 1e-13);
    }
    // scipy 1.17.1 for the same (chi2.ppf formula), e.g. k = 2, T = 7.5:
    let r = poisson_rate(2, 7.5).unwrap();
    assert_rel(r.low, 0.032294570472528664, 1e-13);
    assert_rel(r.high, 0.9632916890298613, 1e-13);
}

#[test]
fn poisson_rate_zero_failures() {
    // Two-sided 95%: upper = -ln(0.025) / T; one-sided 95% ("rule of
    // three"): -ln(0.05) / T. mpmath: 3.6888794541139363, 2.995732273553991.
    let r = poisson_rate(0, 2.0).unwrap();
    assert_eq!((r.rate, r.low), (0.0, 0.0));
    assert_rel(r.high, 3.6888794541139363 / 2.0, 1e-14);
    assert_rel(r.high_one_sided, 2.995732273553991 / 2.0, 1e-14);
    assert_eq!((r.mttf, r.mttf_high), (f64::INFINITY, f64::INFINITY));
    assert_rel(r.mttf_low, 2.0 / 3.6888794541139363, 1e-14);
    // One failure: MTTF = T.
    let r = poisson_rate(1, 5.0).unwrap();
    assert_eq!(r.mttf, 5.0);
    assert!(r.mttf_low < 5.0 && 5.0 < r.mttf_high);
}

#[test]
fn poisson_rate_rejects_unusable_exposure() {
    for t in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            poisson_rate(3, t),
            Err(SurvivalError::InvalidExposure(_))
        ));
    }
}

// ------------------------------------------------------------ soak

#[test]
fn soak_time_matches_scipy() {
    // scipy 1.17.1: m * chi2.ppf(c, 2k + 2) / 2
    assert_rel(soak_time(1.0, 0.95, 0).unwrap(), 2.9957322735539895, 1e-14);
    assert_rel(soak_time(2.5, 0.99, 0).unwrap(), 11.512925464970225, 1e-14);
    assert_rel(soak_time(1.0, 0.95, 1).unwrap(), 4.743864518390577, 1e-13);
    assert_rel(soak_time(3.0, 0.9, 2).unwrap(), 15.966961013502633, 1e-13);
    assert_rel(
        soak_time(0.5, 0.999, 10).unwrap(),
        12.066985572708795,
        1e-13,
    );
    // mpmath: -ln(1 - 1e-12) = 1.0000000000005e-12 (small c keeps its digits).
    assert_rel(
        soak_time(1.0, 1e-12, 0).unwrap(),
        1.0000000000005e-12,
        1e-14,
    );
    // k = 0 is -ln(1 - c) MTTFs: 3 MTTFs for 95%.
    assert_eq!(soak_time(7.0, 0.0, 0), Ok(0.0));
    assert_eq!(soak_time(7.0, 0.0, 3), Ok(0.0));
}

#[test]
fn soak_runs_rounds_up() {
    let t = soak_time(1.0, 0.95, 0).unwrap(); // 2.996 h
    assert_eq!(soak_runs(t, 1.0), Ok(3));
    assert_eq!(soak_runs(t, 0.5), Ok(6));
    assert_eq!(soak_runs(t, 4.0), Ok(1));
    assert_eq!(soak_runs(3.0, 1.0), Ok(3));
    // 0.1 * 3 / 0.1 is 3.0000000000000004: rounding, not a fourth run.
    assert_eq!(soak_runs(0.1 * 3.0, 0.1), Ok(3));
    assert_eq!(soak_runs(3.0000001, 1.0), Ok(4));
    assert_eq!(soak_runs(0.0, 1.0), Ok(0));
    assert_eq!(soak_runs(1e300, 1e-300), Ok(u64::MAX));
    for (total, run) in [
        (f64::INFINITY, 1.0),
        (-1.0, 1.0),
        (f64::NAN, 1.0),
        (1.0, 0.0),
        (1.0, -2.0),
        (1.0, f64::NAN),
        (1.0, f64::INFINITY),
    ] {
        assert!(matches!(
            soak_runs(total, run),
            Err(SurvivalError::InvalidDuration(_))
        ));
    }
}

#[test]
fn soak_confidence_matches_scipy() {
    // scipy 1.17.1: poisson.sf(k, t / m)
    assert_rel(
        soak_confidence(1.0, 3.0, 0).unwrap(),
        0.950212931632136,
        1e-14,
    );
    assert_rel(
        soak_confidence(2.0, 1.0, 0).unwrap(),
        0.3934693402873665,
        1e-14,
    );
    assert_rel(
        soak_confidence(1.0, 4.0, 1).unwrap(),
        0.9084218055563291,
        1e-14,
    );
    assert_rel(
        soak_confidence(3.0, 20.0, 2).unwrap(),
        0.9619623897155102,
        1e-14,
    );
    // mpmath: 1 - exp(-1e-9) = 9.999999995e-10.
    assert_rel(
        soak_confidence(1.0, 1e-9, 0).unwrap(),
        9.999999995e-10,
        1e-14,
    );
    assert_eq!(soak_confidence(1.0, 0.0, 0), Ok(0.0));
    assert_eq!(soak_confidence(1.0, 0.0, 4), Ok(0.0));
    assert_eq!(soak_confidence(1.0, 1e6, 0), Ok(1.0));
}

#[test]
fn soak_rejects_unusable_input() {
    for m in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            soak_time(m, 0.95, 0),
            Err(SurvivalError::InvalidDuration(_))
        ));
        assert!(soak_confidence(m, 1.0, 0).is_err());
    }
    for c in [1.0, 1.5, -0.1, f64::NAN] {
        assert!(matches!(
            soak_time(1.0, c, 0),
            Err(SurvivalError::InvalidProbability(_))
        ));
    }
    for t in [-1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            soak_confidence(1.0, t, 0),
            Err(SurvivalError::InvalidDuration(_))
        ));
    }
}

#[test]
fn soak_from_baseline_matches_scipy() {
    // scipy 1.17.1: mttf_upper = 2 T0 / chi2.ppf(0.025, 2 k0), then as above.
    assert_rel(
        baseline_mttf_upper(3, 12.0).unwrap(),
        19.396380660948182,
        1e-13,
    );
    assert_rel(
        soak_time_from_baseline(3, 12.0, 0.95, 0).unwrap(),
        58.10636353614093,
        1e-13,
    );
    assert_rel(
        soak_confidence_from_baseline(3, 12.0, 10.0, 0).unwrap(),
        0.4028339732017096,
        1e-13,
    );
    assert_rel(
        baseline_mttf_upper(1, 2.0).unwrap(),
        78.99578041041443,
        1e-13,
    );
    assert_rel(
        soak_time_from_baseline(1, 2.0, 0.95, 0).unwrap(),
        236.6502088500625,
        1e-13,
    );
    assert_rel(
        soak_confidence_from_baseline(1, 2.0, 10.0, 0).unwrap(),
        0.118904306640625,
        1e-13,
    );
    assert_rel(
        baseline_mttf_upper(20, 40.0).unwrap(),
        3.274254972569373,
        1e-13,
    );
    assert_rel(
        soak_time_from_baseline(20, 40.0, 0.99, 1).unwrap(),
        21.735657268294915,
        1e-13,
    );
    assert_rel(
        soak_confidence_from_baseline(20, 40.0, 10.0, 0).unwrap(),
        0.9528362597353605,
        1e-13,
    );
    // Always at least the plain estimate's soak.
    assert!(soak_time_from_baseline(3, 12.0, 0.95, 0).unwrap() > soak_time(4.0, 0.95, 0).unwrap());
    // A baseline that never failed, or without exposure.
    assert_eq!(
        baseline_mttf_upper(0, 12.0),
        Err(SurvivalError::BaselineNeverFailed)
    );
    assert_eq!(
        soak_time_from_baseline(0, 12.0, 0.95, 0),
        Err(SurvivalError::BaselineNeverFailed)
    );
    assert!(matches!(
        soak_time_from_baseline(3, 0.0, 0.95, 0),
        Err(SurvivalError::InvalidExposure(_))
    ));
    assert!(matches!(
        soak_confidence_from_baseline(3, 12.0, f64::NAN, 0),
        Err(SurvivalError::InvalidDuration(_))
    ));
}

// ------------------------------------------------------------ properties

fn observations() -> impl Strategy<Value = Vec<(f64, bool)>> {
    // Few distinct times (many ties) or continuous ones.
    let time = prop_oneof![(0u32..6).prop_map(|t| t as f64), 0.0..100.0f64];
    prop::collection::vec((time, any::<bool>()), 0..40)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn km_is_a_survival_curve(data in observations()) {
        let km = kaplan_meier(&data).unwrap();
        let mut prev_s = 1.0;
        let mut prev_t = f64::NEG_INFINITY;
        let mut prev = None::<KmStep>;
        let mut censored = 0;
        for s in &km.steps {
            prop_assert!(s.time > prev_t);
            prop_assert!((0.0..=1.0).contains(&s.survival));
            prop_assert!(s.survival <= prev_s, "{} > {}", s.survival, prev_s);
            prop_assert!(s.low >= 0.0 && s.low <= s.survival + 1e-15);
            prop_assert!(s.high <= 1.0 && s.high >= s.survival - 1e-15);
            prop_assert!(s.std_err >= 0.0 && s.std_err.is_finite());
            prop_assert!(s.failures >= 1 && s.failures <= s.at_risk);
            if let Some(p) = prev {
                prop_assert_eq!(s.at_risk, p.at_risk - p.failures - s.censored);
            } else {
                prop_assert_eq!(s.at_risk, km.n - s.censored);
            }
            censored += s.censored;
            prev_s = s.survival;
            prev_t = s.time;
            prev = Some(*s);
        }
        prop_assert_eq!(censored + km.censored_after, km.censored);
        prop_assert_eq!(km.steps.iter().map(|s| s.failures).sum::<u64>(), km.failures);
        if let Some(m) = km.median() {
            prop_assert!(km.survival_at(m).unwrap() <= 0.5 + 1e-8);
        }
        let rm = km.restricted_mean(km.last_time).unwrap();
        prop_assert!(rm.mean >= 0.0 && rm.mean <= km.last_time * (1.0 + 1e-12));
    }

    #[test]
    fn logrank_p_is_a_probability(a in observations(), b in observations(), c in observations()) {
        let lr = logrank(&[&a, &b, &c]).unwrap();
        prop_assert!(lr.statistic >= 0.0 && lr.statistic.is_finite());
        prop_assert!((0.0..=1.0).contains(&lr.p_value));
        prop_assert!(lr.df <= 2);
        let total: u64 = lr.observed.iter().sum();
        let expected: f64 = lr.expected.iter().sum();
        prop_assert!((total as f64 - expected).abs() <= 1e-9 * (1.0 + expected));
    }

    #[test]
    fn chi2_quantile_inverts_the_cdf(
        df in prop_oneof![1e-3..5.0f64, 5.0..3000.0f64, (1u32..200).prop_map(f64::from)],
        lp in -12.0..-1e-3f64,
        upper in any::<bool>(),
    ) {
        let p = 10f64.powf(lp);
        if upper {
            let x = chi2_quantile_upper(p, df).unwrap();
            let back = chi2_sf(x, df).unwrap();
            prop_assert!((back - p).abs() <= 1e-12 * p, "df={} q={} x={} back={}", df, p, x, back);
        } else {
            let x = chi2_quantile(p, df).unwrap();
            // Tiny df and p put the quantile below f64's range (documented).
            prop_assume!(x > 1e-300);
            let back = chi2_cdf(x, df).unwrap();
            prop_assert!((back - p).abs() <= 1e-12 * p, "df={} p={} x={} back={}", df, p, x, back);
        }
    }

    #[test]
    fn soak_confidence_inverts_soak_time(
        m in 1e-3..1e4f64,
        c in 1e-6..0.999_999f64,
        k in 0u64..60,
    ) {
        let t = soak_time(m, c, k).unwrap();
        let back = soak_confidence(m, t, k).unwrap();
        prop_assert!((back - c).abs() <= 1e-12, "m={} c={} k={} t={} back={}", m, c, k, t, back);
        // More failures allowed needs more time.
        prop_assert!(soak_time(m, c, k + 1).unwrap() > t);
    }

    #[test]
    fn poisson_rate_interval_brackets_the_rate(k in 0u64..5000, t in 1e-3..1e6f64) {
        let r = poisson_rate(k, t).unwrap();
        prop_assert!(r.low <= r.rate && r.rate <= r.high);
        prop_assert!(r.high_one_sided < r.high);
        prop_assert!(r.mttf_low <= r.mttf && r.mttf <= r.mttf_high);
    }
}
