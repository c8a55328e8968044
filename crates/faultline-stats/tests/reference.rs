//! Every public function checked against values computed independently.
//!
//! Sources (regenerate with the scripts in `reference/`):
//! - R 4.2.2: `reference/generate.R` (fisher.test, poisson.test, p.adjust);
//! - scipy 1.17.1, mpmath 1.4.1 (50 digits, straight from the definitions),
//!   pingouin 0.7.0 and brute-force enumeration: `reference/generate.py`.
//!
//! Tolerances: 1e-12 relative where the value is a finite sum that both sides
//! compute exactly up to rounding; looser where one side solves an equation
//! or approximates, with the reason next to the check.

// Reference values are quoted with all the digits their source printed, so
// they can be matched against the scripts' output by eye.
#![allow(clippy::excessive_precision)]

use faultline_stats::*;
use std::f64::consts::PI;

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

#[track_caller]
fn assert_abs(actual: f64, expected: f64, abs: f64) {
    assert!(
        (actual - expected).abs() <= abs,
        "got {actual:e}, expected {expected:e} (allowed absolute error {abs:e})"
    );
}

// ------------------------------------------------------------------ Fisher

#[test]
fn fisher_all_crashed_machines_have_the_value() {
    // [[5, 0], [3, 28]]: all 5 crashed guests are dual-vCPU, 3 of 31 healthy.
    // R 4.2.2: fisher.test(m, alternative = "greater")$p.value
    assert_rel(fisher_greater(5, 0, 3, 28), 1.4854426619132497e-4, 1e-12);
    // scipy 1.17.1: stats.fisher_exact([[5,0],[3,28]], alternative="greater").pvalue
    assert_rel(fisher_greater(5, 0, 3, 28), 0.000148544266191325, 1e-12);
    // R 4.2.2 and scipy: less = 1 exactly (a is at the top of its support).
    assert_eq!(fisher_less(5, 0, 3, 28), 1.0);
    // R 4.2.2: fisher.test(m)$p.value
    assert_rel(fisher_two_sided(5, 0, 3, 28), 1.4854426619132494e-4, 1e-12);
}

#[test]
fn fisher_moderate_enrichment() {
    // R 4.2.2: fisher.test(matrix(c(3,2,10,85), 2, byrow=TRUE), alternative=...)
    assert_rel(fisher_greater(3, 2, 10, 85), 0.015054526965425362, 1e-12);
    assert_rel(fisher_less(3, 2, 10, 85), 0.99915667297846977, 1e-12);
    assert_rel(fisher_two_sided(3, 2, 10, 85), 0.015054526965425362, 1e-12);
}

#[test]
fn fisher_zero_cell_gives_p_exactly_one() {
    // [[0, 5], [10, 20]]: no crashed machine has the value.
    // R 4.2.2 / scipy 1.17.1: greater = 1 exactly.
    assert_eq!(fisher_greater(0, 5, 10, 20), 1.0);
    // R 4.2.2: fisher.test(..., alternative = "less")$p.value
    assert_rel(fisher_less(0, 5, 10, 20), 0.16366223908918398, 1e-12);
    // R 4.2.2: fisher.test(...)$p.value
    assert_rel(fisher_two_sided(0, 5, 10, 20), 0.29150545848838072, 1e-12);
}

#[test]
fn fisher_ties_in_two_sided_test() {
    // Fisher's tea-tasting table [[3, 1], [1, 3]]: the tables a = 1 and a = 3
    // are exactly equally likely, so the two-sided test must count both.
    // Exact rationals: greater = 17/70, less = 69/70, two-sided = 34/70.
    // R 4.2.2: fisher.test(matrix(c(3,1,1,3), 2))
    assert_rel(fisher_greater(3, 1, 1, 3), 0.24285714285714288, 1e-12);
    assert_rel(fisher_less(3, 1, 1, 3), 0.98571428571428577, 1e-12);
    assert_rel(fisher_two_sided(3, 1, 1, 3), 0.48571428571428582, 1e-12);
    assert_rel(fisher_two_sided(3, 1, 1, 3), 34.0 / 70.0, 1e-12);
}

#[test]
fn fisher_one_crash() {
    // [[1, 0], [3, 28]]: the single crashed machine has the value (4 of 32).
    // R 4.2.2: greater = 0.125 (= 4/32), two-sided 0.12500000000000006.
    assert_rel(fisher_greater(1, 0, 3, 28), 0.125, 1e-12);
    assert_rel(fisher_two_sided(1, 0, 3, 28), 0.12500000000000006, 1e-12);
    assert_eq!(fisher_less(1, 0, 3, 28), 1.0);
}

#[test]
fn fisher_large_inventory_deep_tail() {
    // [[40, 60], [1000, 98900]]: 100,000 machines, p around 1e-52.
    // R 4.2.2: fisher.test(..., alternative = "greater")$p.value
    assert_rel(
        fisher_greater(40, 60, 1000, 98900),
        1.7273459207187879e-52,
        1e-10,
    );
    // scipy 1.17.1: stats.fisher_exact(..., alternative="greater").pvalue
    // (R and scipy differ from each other by 9e-15 here.)
    assert_rel(
        fisher_greater(40, 60, 1000, 98900),
        1.7273459207187727e-52,
        1e-10,
    );
    // R 4.2.2: fisher.test(...)$p.value
    assert_rel(
        fisher_two_sided(40, 60, 1000, 98900),
        1.7273459207187694e-52,
        1e-10,
    );
    assert_eq!(fisher_less(40, 60, 1000, 98900), 1.0);
}

#[test]
fn fisher_depletion() {
    // [[2, 7], [8, 2]]. R 4.2.2: fisher.test(matrix(c(2,7,8,2), 2, byrow=TRUE), ...)
    assert_rel(fisher_greater(2, 7, 8, 2), 0.9990149169715733, 1e-12);
    assert_rel(fisher_less(2, 7, 8, 2), 0.018521725952066501, 1e-12);
    assert_rel(fisher_two_sided(2, 7, 8, 2), 0.023014137565221159, 1e-12);
}

#[test]
fn fisher_degenerate_tables() {
    // scipy 1.17.1: fisher_exact gives 1.0 for all three alternatives on each.
    for (a, b, c, d) in [(0, 0, 0, 0), (1, 0, 0, 0), (0, 3, 0, 7), (0, 0, 4, 9)] {
        assert_eq!(fisher_greater(a, b, c, d), 1.0);
        assert_eq!(fisher_less(a, b, c, d), 1.0);
        assert_eq!(fisher_two_sided(a, b, c, d), 1.0);
    }
}

// -------------------------------------------------------------- odds ratio
//
// mpmath values solve the same equations by 200-step bisection at 50 digits:
// they are exact to the digits shown. Ours are solved to ~1e-15 in ln psi
// and land within 2e-15 of mpmath; 1e-12 leaves room for rounding in the
// tail sums near the root without hiding a wrong equation. scipy solves
// with brentq(xtol=1e-13) on BiasedUrn's noncentral hypergeometric, which
// differs from mpmath by up to 4e-10 (the large table), hence 1e-8 there.
// R's fisher.test uses uniroot at its default tolerance (~1e-4 on a
// transformed scale): agreement only to ~1%.

#[test]
fn odds_ratio_interior_estimates() {
    let or = odds_ratio(3, 2, 10, 85);
    // mpmath 1.4.1 (reference/generate.py: mp_odds_ratio)
    assert_rel(or.estimate, 12.144354281073744706, 1e-12);
    assert_rel(or.low, 1.2406344033549941733, 1e-12);
    assert_rel(or.high, 161.81204747264017309, 1e-12);
    // scipy 1.17.1: odds_ratio([[3,2],[10,85]], kind="conditional") and
    // .confidence_interval(0.95)
    assert_rel(or.estimate, 12.144354281073625, 1e-8);
    assert_rel(or.low, 1.2406344033550198, 1e-8);
    assert_rel(or.high, 161.8120474726377, 1e-8);
    // R 4.2.2: fisher.test(...)$estimate, $conf.int (uniroot tolerance)
    assert_rel(or.estimate, 12.144364710892219, 1e-2);
    assert_rel(or.low, 1.2406785473602926, 1e-2);
    assert_rel(or.high, 161.72482557123777, 1e-2);

    let tea = odds_ratio(3, 1, 1, 3);
    // mpmath 1.4.1
    assert_rel(tea.estimate, 6.4083196581996743223, 1e-12);
    assert_rel(tea.low, 0.21173559544657857335, 1e-12);
    assert_rel(tea.high, 626.24353058881400641, 1e-12);
    // scipy 1.17.1
    assert_rel(tea.estimate, 6.408319658199662, 1e-8);
    assert_rel(tea.high, 626.2435305888141, 1e-8);
    // R 4.2.2 (its upper limit 621.93 is 0.7% low: uniroot tolerance)
    assert_rel(tea.high, 621.9337505454173, 1e-2);

    let dep = odds_ratio(2, 7, 8, 2);
    // mpmath 1.4.1
    assert_rel(dep.estimate, 0.085852399951238898604, 1e-12);
    assert_rel(dep.low, 0.0046735742421036679908, 1e-12);
    assert_rel(dep.high, 0.89577364248771423639, 1e-12);
    // scipy 1.17.1
    assert_rel(dep.estimate, 0.0858523999512399, 1e-8);
    assert_rel(dep.low, 0.004673574242103661, 1e-8);
    assert_rel(dep.high, 0.8957736424877255, 1e-8);
}

#[test]
fn odds_ratio_large_inventory() {
    let or = odds_ratio(40, 60, 1000, 98900);
    // mpmath 1.4.1
    assert_rel(or.estimate, 65.907978620924681827, 1e-12);
    assert_rel(or.low, 42.818356601642884903, 1e-12);
    assert_rel(or.high, 100.50556780845940256, 1e-12);
    // scipy 1.17.1 (BiasedUrn + brentq: 3.5e-10 off mpmath on `low`)
    assert_rel(or.estimate, 65.9079786198056, 1e-8);
    assert_rel(or.low, 42.818356616419315, 1e-8);
    assert_rel(or.high, 100.50556780728402, 1e-8);
    // R 4.2.2: estimate 65.807 is 0.15% off (uniroot tolerance)
    assert_rel(or.estimate, 65.807236027289918, 1e-2);
}

#[test]
fn odds_ratio_zero_cells_give_open_intervals() {
    // b = 0: estimate +inf, interval [low, +inf].
    let or = odds_ratio(5, 0, 3, 28);
    assert_eq!(or.estimate, f64::INFINITY);
    assert_eq!(or.high, f64::INFINITY);
    // mpmath 1.4.1
    assert_rel(or.low, 5.0769036834185095119, 1e-12);
    // scipy 1.17.1: odds_ratio(...).confidence_interval().low
    assert_rel(or.low, 5.076903683418548, 1e-8);

    // One crash, b = 0. mpmath 1.4.1: low = 0.1794871794871794974 (= 7/39:
    // with one crashed machine the lower limit has a closed form).
    let one = odds_ratio(1, 0, 3, 28);
    assert_eq!(one.estimate, f64::INFINITY);
    assert_rel(one.low, 0.1794871794871794974, 1e-12);
    assert_rel(one.low, 7.0 / 39.0, 1e-12);
    assert_eq!(one.high, f64::INFINITY);

    // a = 0: estimate 0, interval [0, high].
    let zero = odds_ratio(0, 5, 10, 20);
    assert_eq!(zero.estimate, 0.0);
    assert_eq!(zero.low, 0.0);
    // mpmath 1.4.1
    assert_rel(zero.high, 2.6753422933973564097, 1e-12);
    // scipy 1.17.1
    assert_rel(zero.high, 2.6753422933973616, 1e-8);
}

#[test]
fn odds_ratio_degenerate_is_uninformative() {
    // A zero margin leaves one possible table: R gives 0 with [0, Inf],
    // scipy NaN; we give the documented uninformative answer.
    for (a, b, c, d) in [(0, 0, 0, 0), (0, 0, 3, 7), (2, 0, 5, 0), (1, 0, 0, 0)] {
        assert_eq!(odds_ratio(a, b, c, d), OddsRatio::UNINFORMATIVE);
    }
    assert_eq!(OddsRatio::UNINFORMATIVE.estimate, 1.0);
    assert_eq!(OddsRatio::UNINFORMATIVE.high, f64::INFINITY);
}

// ----------------------------------------------------------------------- BH

#[test]
fn benjamini_hochberg_matches_r() {
    // R 4.2.2: p.adjust(c(0.01,0.04,0.03,0.005,0.5,1), "BH");
    // scipy 1.17.1: stats.false_discovery_control(...) gives the same.
    let q = benjamini_hochberg(&[0.01, 0.04, 0.03, 0.005, 0.5, 1.0]);
    let expected = [0.03, 0.06, 0.06, 0.03, 0.6, 1.0];
    for (got, want) in q.iter().zip(expected) {
        assert_rel(*got, want, 1e-15);
    }
}

#[test]
fn benjamini_hochberg_ties_and_edges() {
    // Ties. R 4.2.2: p.adjust(c(0.02,0.02,0.02,0.5), "BH")
    let q = benjamini_hochberg(&[0.02, 0.02, 0.02, 0.5]);
    for got in &q[..3] {
        assert_rel(*got, 0.026666666666666665, 1e-15);
    }
    assert_rel(q[3], 0.5, 1e-15);
    // p exactly 1 and exactly 0. R 4.2.2: p.adjust(c(1,1,0), "BH") = 1 1 0
    assert_eq!(benjamini_hochberg(&[1.0, 1.0, 0.0]), vec![1.0, 1.0, 0.0]);
    // One test: q = p. scipy 1.17.1: false_discovery_control([0.3]) = [0.3]
    assert_eq!(benjamini_hochberg(&[0.3]), vec![0.3]);
    // Empty input.
    assert!(benjamini_hochberg(&[]).is_empty());
    // Our conventions: NaN counts as 1, out-of-range values are clamped.
    assert_eq!(
        benjamini_hochberg(&[f64::NAN, 0.01]),
        benjamini_hochberg(&[1.0, 0.01])
    );
    assert_eq!(benjamini_hochberg(&[-0.5, 1.5]), vec![0.0, 1.0]);
}

// ------------------------------------------------------------------- tails
//
// mpmath sums the pmf exactly at 50 digits; ours walks ratios from a
// saddle-point pmf, so 1e-12 relative (deep tails included).

#[test]
fn binomial_tails() {
    // mpmath 1.4.1: sum_{j>=k} binomial(n,j) p^j (1-p)^(n-j)
    assert_rel(binomial_tail_ge(5, 5, 0.25), 0.0009765625, 1e-14);
    assert_rel(binomial_tail_ge(3, 10, 0.25), 0.474407196044921875, 1e-12);
    assert_rel(
        binomial_tail_ge(900, 1000, 0.5),
        6.7017177900062963407e-162,
        1e-12,
    );
    assert_rel(
        binomial_tail_ge(1, 1, 1e-12),
        9.9999999999999997989e-13,
        1e-12,
    );
    assert_rel(
        binomial_tail_ge(50, 100000, 1e-4),
        1.8402264214337989045e-19,
        1e-12,
    );
    assert_rel(binomial_tail_ge(2, 10, 0.9), 0.9999999909, 1e-12);
    assert_rel(
        binomial_tail_ge(6000, 10000, 0.5),
        8.7021582061343928598e-90,
        1e-12,
    );
    // R 4.2.2: pbinom(899, 1000, 0.5, lower.tail = FALSE)
    assert_rel(
        binomial_tail_ge(900, 1000, 0.5),
        6.7017177900063219e-162,
        1e-12,
    );
    // mpmath 1.4.1: lower tails
    assert_rel(binomial_tail_le(2, 10, 0.25), 0.525592803955078125, 1e-12);
    assert_rel(
        binomial_tail_le(100, 1000, 0.5),
        6.7017177900062963407e-162,
        1e-12,
    );
}

#[test]
fn binomial_tail_edges() {
    assert_eq!(binomial_tail_ge(0, 10, 0.3), 1.0);
    assert_eq!(binomial_tail_ge(0, 0, 0.3), 1.0);
    assert_eq!(binomial_tail_ge(11, 10, 0.3), 0.0); // k > n
    assert_eq!(binomial_tail_ge(1, 10, 0.0), 0.0);
    assert_eq!(binomial_tail_ge(10, 10, 1.0), 1.0);
    assert_eq!(binomial_tail_ge(1, 10, f64::NAN), 0.0);
    assert_eq!(binomial_tail_ge(1, 10, 2.0), 1.0); // clamped to 1
    assert_eq!(binomial_tail_le(10, 10, 0.3), 1.0);
    assert_eq!(binomial_tail_le(3, 10, 1.0), 0.0);
    assert_eq!(binomial_tail_le(0, 10, 0.0), 1.0);
}

#[test]
fn poisson_tails() {
    // mpmath 1.4.1: gammainc(k, 0, mu, regularized=True) = P(X >= k)
    assert_rel(poisson_tail_ge(10, 2.5), 0.00027735209462083604578, 1e-12);
    assert_rel(poisson_tail_ge(200, 50.0), 2.0247590148473564259e-57, 1e-12);
    assert_rel(
        poisson_tail_ge(1000, 900.5),
        0.00058375035957594629644,
        1e-12,
    );
    assert_rel(poisson_tail_ge(3, 3.0), 0.57680991887315648468, 1e-12);
    assert_rel(poisson_tail_ge(1, 1e-9), 9.9999999950000006245e-10, 1e-12);
    // R 4.2.2: ppois(199, 50, lower.tail = FALSE)
    assert_rel(poisson_tail_ge(200, 50.0), 2.0247590148473565e-57, 1e-12);
    // mpmath 1.4.1: gammainc(k+1, mu, inf, regularized=True) = P(X <= k)
    assert_rel(poisson_tail_le(2, 10.0), 0.0027693957155115759437, 1e-12);
    assert_rel(
        poisson_tail_le(800, 900.5),
        0.00034760092905826000253,
        1e-12,
    );
}

#[test]
fn poisson_tail_edges() {
    assert_eq!(poisson_tail_ge(0, 5.0), 1.0);
    assert_eq!(poisson_tail_ge(0, 0.0), 1.0);
    assert_eq!(poisson_tail_ge(1, 0.0), 0.0);
    assert_eq!(poisson_tail_ge(1, -1.0), 0.0);
    assert_eq!(poisson_tail_ge(1, f64::NAN), 0.0);
    assert_eq!(poisson_tail_ge(1_000_000, f64::INFINITY), 1.0);
    assert_eq!(poisson_tail_le(0, 0.0), 1.0);
    assert_eq!(poisson_tail_le(5, f64::INFINITY), 0.0);
    // P(X >= 1) = 1 - e^-mu, exact formula.
    assert_rel(poisson_tail_ge(1, 0.5), -(-0.5f64).exp_m1(), 1e-14);
    // Far beyond any representable probability: 0, not NaN.
    assert_eq!(poisson_tail_ge(u64::MAX, 1.0), 0.0);
}

// --------------------------------------------------------------- rate ratio
//
// R's poisson.test inverts qbeta (agrees with mpmath to 1e-15, see
// generate.py); ours solves the binomial tail equations in the logit to
// ~1e-15 and lands within 2e-15 of mpmath, so 1e-12 throughout (the margin
// is for rounding in the tail sums near the root). scipy's
// proportion_ci(method="exact") is 2e-11 off R and mpmath on (1, 1, 1, 1),
// so it is not used for the limits.

#[test]
fn rate_ratio_matches_r_poisson_test() {
    // R 4.2.2: poisson.test(c(5, 2), c(1000, 3000)) and alternative="greater"
    let r = poisson_rate_ratio(5, 1000.0, 2, 3000.0);
    assert_rel(r.ratio, 7.5, 1e-15);
    assert_rel(r.low, 1.2278582425646773, 1e-12);
    assert_rel(r.high, 78.760430317224802, 1e-12);
    assert_rel(r.p_greater, 0.012878417968750002, 1e-12);
    assert_rel(r.p_two_sided, 0.012878417968750002, 1e-12);

    // R 4.2.2: poisson.test(c(40, 12), c(1e5, 2.5e5))
    let r = poisson_rate_ratio(40, 1e5, 12, 2.5e5);
    assert_rel(r.ratio, 8.3333333333333339, 1e-15);
    assert_rel(r.low, 4.2860510084014827, 1e-12);
    assert_rel(r.high, 17.449550361681631, 1e-12);
    assert_rel(r.p_greater, 7.1073743135088876e-13, 1e-12);
    assert_rel(r.p_two_sided, 7.1073743135088876e-13, 1e-12);
}

#[test]
fn rate_ratio_equal_rates() {
    // R 4.2.2: poisson.test(c(1, 1), c(1, 1)): one event each.
    let r = poisson_rate_ratio(1, 1.0, 1, 1.0);
    assert_rel(r.ratio, 1.0, 1e-15);
    assert_rel(r.low, 0.012739367083666625, 1e-12);
    // Closed form: pi_L = 1 - sqrt(0.975), ratio = 1/sqrt(0.975) - 1.
    assert_rel(r.low, 1.0 / 0.975f64.sqrt() - 1.0, 1e-12);
    assert_rel(r.high, 78.496835316262846, 1e-12);
    assert_rel(r.p_greater, 0.75, 1e-15);
    assert_eq!(r.p_two_sided, 1.0);

    // R 4.2.2: poisson.test(c(3, 3), c(2, 2)): x1 equals its null mean.
    let r = poisson_rate_ratio(3, 2.0, 3, 2.0);
    assert_rel(r.low, 0.13393758817773022, 1e-12);
    assert_rel(r.high, 7.4661640067240667, 1e-12);
    assert_rel(r.p_greater, 0.65625, 1e-15);
    assert_eq!(r.p_two_sided, 1.0);
}

#[test]
fn rate_ratio_zero_counts() {
    // R 4.2.2: poisson.test(c(10, 0), c(100, 50))
    let r = poisson_rate_ratio(10, 100.0, 0, 50.0);
    assert_eq!(r.ratio, f64::INFINITY);
    assert_rel(r.low, 1.1207607375487789, 1e-12);
    assert_eq!(r.high, f64::INFINITY);
    assert_rel(r.p_greater, 0.017341529915832609, 1e-12);
    assert_rel(r.p_two_sided, 0.037003166861420196, 1e-12);

    // R 4.2.2: poisson.test(c(0, 7), c(200, 300))
    let r = poisson_rate_ratio(0, 200.0, 7, 300.0);
    assert_eq!(r.ratio, 0.0);
    assert_eq!(r.low, 0.0);
    assert_rel(r.high, 1.0407209701446789, 1e-12);
    assert_eq!(r.p_greater, 1.0);
    assert_rel(r.p_two_sided, 0.046835200000000007, 1e-12);

    // One crash, none elsewhere. R 4.2.2: poisson.test(c(1, 0), c(5, 5))
    let r = poisson_rate_ratio(1, 5.0, 0, 5.0);
    assert_eq!(r.ratio, f64::INFINITY);
    assert_rel(r.low, 0.025641025641025668, 1e-12);
    assert_rel(r.p_greater, 0.5, 1e-15);
    assert_eq!(r.p_two_sided, 1.0);
}

#[test]
fn rate_ratio_uninformative_inputs() {
    // No events at all.
    assert_eq!(
        poisson_rate_ratio(0, 10.0, 0, 20.0),
        RateRatio::UNINFORMATIVE
    );
    // Zero, negative or non-finite exposure.
    for (t1, t2) in [
        (0.0, 10.0),
        (10.0, 0.0),
        (0.0, 0.0),
        (-1.0, 5.0),
        (f64::NAN, 5.0),
        (5.0, f64::INFINITY),
    ] {
        assert_eq!(poisson_rate_ratio(3, t1, 1, t2), RateRatio::UNINFORMATIVE);
    }
}

// ----------------------------------------------------------- max count tail

#[test]
fn esx_story_five_crashes_on_one_of_four_hosts() {
    // The admin's figure: all five on one pre-chosen host, hosts equally
    // likely. Exact: (1/4)^5 = 1/1024.
    assert_eq!(naive_same_host(5, 4), 1.0 / 1024.0);
    // Any of the four hosts, equal exposure. Brute force (generate.py,
    // brute_force(5, [1,1,1,1], 5)) = 1/256: four times the naive figure.
    let equal = max_count_tail(5, &[1.0, 1.0, 1.0, 1.0], 5);
    assert!(equal.exact);
    assert_eq!(equal.draws, 0);
    assert_rel(equal.p, 1.0 / 256.0, 1e-13);
    // Any host, exposure-weighted: the busiest host carries 40% of the
    // machine-hours. Brute force: 0.4^5 + 3 * 0.2^5 = 7/625 = 0.0112,
    // 11.5 times the naive 1/1024.
    let weighted = max_count_tail(5, &[0.4, 0.2, 0.2, 0.2], 5);
    assert!(weighted.exact);
    assert_rel(weighted.p, 7.0 / 625.0, 1e-13);
    assert_rel(weighted.p, 0.0112, 1e-13);
    assert!(weighted.p > 11.0 * naive_same_host(5, 4));
}

#[test]
fn max_count_tail_brute_force_references() {
    // Brute force over every cells^n placement in exact rationals
    // (reference/generate.py: brute_force).
    let cases: &[(u64, &[f64], u64, f64)] = &[
        (5, &[0.4, 0.2, 0.2, 0.2], 4, 67.0 / 625.0),
        (5, &[0.4, 0.2, 0.2, 0.2], 3, 307.0 / 625.0),
        (1, &[0.5, 0.3, 0.2], 1, 1.0),
        (6, &[3.0, 2.0, 1.0], 4, 5279.0 / 11664.0),
        (4, &[0.7, 0.1, 0.1, 0.1], 2, 0.9832),
    ];
    for &(n, probs, k, want) in cases {
        let got = max_count_tail(n, probs, k);
        assert!(got.exact);
        assert_rel(got.p, want, 1e-13);
    }
}

#[test]
fn max_count_tail_hours_and_weekdays() {
    let hours = [1.0; 24];
    let days = [1.0; 7];
    // Exact rational generating function, 1 - n! [x^n] prod_i sum_{j<k}
    // (p_i x)^j / j! (reference/generate.py: generating_function).
    // Five crashes, two in the same hour (the birthday problem):
    // 1 - 24*23*22*21*20 / 24^5.
    assert_rel(max_count_tail(5, &hours, 2).p, 0.35944733796296297, 1e-13);
    // All crashes in one hour: 24 * 24^-6 = 24^-5.
    assert_rel(
        max_count_tail(6, &hours, 6).p,
        1.2558674125514404e-07,
        1e-12,
    );
    assert_rel(max_count_tail(6, &hours, 6).p, 24f64.powi(-5), 1e-12);
    assert_rel(max_count_tail(12, &hours, 4).p, 0.027273914081101323, 1e-12);
    assert_rel(max_count_tail(10, &days, 4).p, 0.29194433597968084, 1e-12);
    assert_rel(max_count_tail(30, &days, 9).p, 0.143839930722133, 1e-12);
    let skewed = [0.5, 0.25, 0.125, 0.0625, 0.0625];
    assert_rel(
        max_count_tail(20, &skewed, 12).p,
        0.25265841738764283,
        1e-12,
    );
}

#[test]
fn max_count_tail_deep_tails_keep_their_digits() {
    // When 2k > n at most one cell can reach k, so the answer is exactly
    // sum_i P(Bin(n, p_i) >= k). mpmath 1.4.1 at 50 digits
    // (reference/generate.py, "deep tails"). The exact method adds positive
    // terms only, so even 1e-95 keeps its relative accuracy.
    assert_rel(
        max_count_tail(100, &[1.0; 24], 60).p,
        9.5264453803526756505e-55,
        1e-10,
    );
    assert_rel(
        max_count_tail(600, &[1.0; 7], 301).p,
        4.5807943347057173261e-95,
        1e-10,
    );
    assert_rel(
        max_count_tail(9, &[0.5, 0.3, 0.2], 5).p,
        0.61839009999999999098,
        1e-12,
    );
    // And against our own binomial tail, the same identity.
    assert_rel(
        max_count_tail(100, &[1.0; 24], 60).p,
        24.0 * binomial_tail_ge(60, 100, 1.0 / 24.0),
        1e-10,
    );
}

#[test]
fn max_count_tail_large_n_is_exact() {
    // Levin's (1981) Poissonisation in float64 convolutions
    // (reference/generate.py: levin); it matches the exact generating
    // function to 2e-13 on the small cases, and accumulates more rounding
    // over thousands of terms, hence 1e-9 here.
    let hours = [1.0; 24];
    let got = max_count_tail(5000, &hours, 250);
    assert!(got.exact);
    assert_rel(got.p, 0.05342815883680019, 1e-9);
    assert_rel(
        max_count_tail(2000, &hours, 110).p,
        0.05765082274822397,
        1e-9,
    );
    let got = max_count_tail(5000, &[1.0; 7], 770);
    assert!(got.exact);
    assert_rel(got.p, 0.0931257269954141, 1e-9);
}

#[test]
fn max_count_tail_monte_carlo_above_the_limit() {
    // n = 6000 > MAX_TAIL_EXACT_N: seeded Monte Carlo with MAX_TAIL_DRAWS.
    // Levin (generate.py): 0.058654603220128276. With 20,000 draws the
    // standard error is sqrt(p(1-p)/20000) = 0.0017; allow 4 of them.
    let got = max_count_tail(6000, &[1.0; 24], 295);
    assert!(!got.exact);
    assert_eq!(got.draws, MAX_TAIL_DRAWS);
    assert_abs(got.p, 0.058654603220128276, 4.0 * 0.0017);
    // Same seed, same answer.
    assert_eq!(got, max_count_tail(6000, &[1.0; 24], 295));
    // The Monte Carlo agrees with the exact value on a small case too
    // (brute force 67/625 = 0.1072, standard error 0.0022 at 20,000 draws).
    let mc = max_count_tail_monte_carlo(5, &[0.4, 0.2, 0.2, 0.2], 4, 20_000, 7);
    assert!(!mc.exact);
    assert_abs(mc.p, 0.1072, 4.0 * 0.0022);
    // The estimator (1 + hits) / (1 + draws) never reports 0.
    let rare = max_count_tail_monte_carlo(6, &[1.0; 24], 6, 1000, 1);
    assert_eq!(rare.p, 1.0 / 1001.0);
}

#[test]
fn max_count_tail_edges() {
    let esx = [0.4, 0.2, 0.2, 0.2];
    // k larger than n: impossible.
    assert_eq!(max_count_tail(5, &esx, 6).p, 0.0);
    assert_eq!(max_count_tail(0, &esx, 1).p, 0.0);
    // k = 0: certain.
    assert_eq!(max_count_tail(5, &esx, 0).p, 1.0);
    // One crash always lands somewhere.
    assert_eq!(max_count_tail(1, &esx, 1).p, 1.0);
    // A single cell holds everything.
    assert_eq!(max_count_tail(5, &[3.0], 5).p, 1.0);
    // No usable cells: the uninformative answer.
    assert_eq!(max_count_tail(5, &[], 3).p, 1.0);
    assert_eq!(max_count_tail(5, &[0.0, -1.0, f64::NAN], 3).p, 1.0);
    // Zero-weight cells are ignored; weights need not sum to 1.
    let with_zero = max_count_tail(5, &[0.4, 0.0, 0.2, 0.2, 0.2], 5).p;
    assert_rel(with_zero, 7.0 / 625.0, 1e-13);
    assert_rel(
        max_count_tail(5, &[4.0, 2.0, 2.0, 2.0], 5).p,
        7.0 / 625.0,
        1e-13,
    );
    // Trivial answers are exact even when Monte Carlo is asked for.
    let t = max_count_tail_monte_carlo(5, &esx, 6, 100, 1);
    assert!(t.exact && t.p == 0.0 && t.draws == 0);
}

#[test]
fn naive_same_host_edges() {
    assert_eq!(naive_same_host(0, 4), 1.0);
    assert_eq!(naive_same_host(5, 0), 1.0);
    assert_eq!(naive_same_host(7, 1), 1.0);
    assert_eq!(naive_same_host(1, 4), 0.25);
    assert_rel(naive_same_host(10, 3), 3f64.powi(-10), 1e-15);
}

// ------------------------------------------------------------------ Rayleigh
//
// pingouin's circ_rayleigh uses the same Zar formula, and scipy's circmean /
// circvar the same sums, so agreement is to rounding: 1e-12.

#[test]
fn rayleigh_crashes_in_the_22_hour() {
    let r = rayleigh(&hours_to_angles(&[22.1, 22.5, 22.9, 23.2, 21.8]));
    assert_eq!(r.n, 5);
    // pingouin 0.7.0: circ_rayleigh(angles) -> (z, pval)
    assert_rel(r.z, 4.911502308119242, 1e-12);
    assert_rel(r.p, 0.0019729750044347174, 1e-12);
    // scipy 1.17.1: stats.circmean(angles); 1 - stats.circvar(angles)
    assert_rel(r.mean_angle, 5.890486225480862, 1e-12);
    assert_rel(r.r_bar, 0.9911107211728913, 1e-12);
    // The mean direction is 22:30.
    assert_rel(r.mean_angle * 24.0 / (2.0 * PI), 22.5, 1e-12);
}

#[test]
fn rayleigh_spread_hours() {
    let r = rayleigh(&hours_to_angles(&[
        1.0, 2.0, 3.0, 5.0, 8.0, 13.0, 21.0, 22.0, 23.0, 0.5, 4.0, 9.0,
    ]));
    // pingouin 0.7.0 and scipy 1.17.1 as above.
    assert_rel(r.z, 2.7008012560221015, 1e-12);
    assert_rel(r.p, 0.06435883740341791, 1e-12);
    assert_rel(r.mean_angle, 0.6133230481359828, 1e-12);
    assert_rel(r.r_bar, 0.474412026971466, 1e-12);
}

#[test]
fn rayleigh_edges() {
    // Perfectly balanced: resultant ~0. pingouin gives p = 1.0; scipy's
    // circmean returns an arbitrary angle from rounding noise (2.26), ours
    // the documented 0.
    let r = rayleigh(&hours_to_angles(&[0.0, 6.0, 12.0, 18.0]));
    assert_abs(r.r_bar, 0.0, 1e-12);
    assert_abs(r.z, 0.0, 1e-12);
    assert_eq!(r.mean_angle, 0.0);
    assert_rel(r.p, 1.0, 1e-12);
    // Empty input.
    let e = rayleigh(&[]);
    assert_eq!(
        e,
        Rayleigh {
            n: 0,
            mean_angle: 0.0,
            r_bar: 0.0,
            z: 0.0,
            p: 1.0
        }
    );
    // One crash: r_bar = 1 and Zar's p = exp(sqrt(5) - 3).
    let one = rayleigh(&[1.0]);
    assert_eq!(one.n, 1);
    assert_rel(one.r_bar, 1.0, 1e-15);
    assert_rel(one.mean_angle, 1.0, 1e-15);
    assert_rel(one.p, (5f64.sqrt() - 3.0).exp(), 1e-12);
    // Non-finite angles are ignored.
    let clean = rayleigh(&[0.1, 0.2, 0.3]);
    assert_eq!(rayleigh(&[0.1, f64::NAN, 0.2, f64::INFINITY, 0.3]), clean);
    // All angles equal, many of them: r_bar = 1, p tiny but not NaN.
    let same = rayleigh(&vec![2.0; 1000]);
    assert_rel(same.r_bar, 1.0, 1e-12);
    assert!(same.p >= 0.0 && same.p < 1e-300);
}

#[test]
fn hours_to_angles_maps_the_clock() {
    let a = hours_to_angles(&[0.0, 6.0, 12.0, 18.0, 24.0, 22.5]);
    let want = [
        0.0,
        PI / 2.0,
        PI,
        1.5 * PI,
        2.0 * PI,
        22.5 / 24.0 * 2.0 * PI,
    ];
    for (got, w) in a.iter().zip(want) {
        assert_abs(*got, w, 1e-15);
    }
    assert!(hours_to_angles(&[]).is_empty());
}

// --------------------------------------------------------------- RNG and MC

#[test]
fn rng_stream_is_splitmix64() {
    // Python re-implementation of Vigna's splitmix64.c (generate.py); the
    // seed-1234567 stream is also the test vector quoted with that code.
    let mut r = Rng::new(1234567);
    let want = [
        6457827717110365317u64,
        3203168211198807973,
        9817491932198370423,
        4593380528125082431,
        16408922859458223821,
    ];
    for w in want {
        assert_eq!(r.next_u64(), w);
    }
    let mut r = Rng::new(0);
    let want = [
        16294208416658607535u64,
        7960286522194355700,
        487617019471545679,
        17909611376780542444,
        1961750202426094747,
    ];
    for w in want {
        assert_eq!(r.next_u64(), w);
    }
    // generate.py: (next >> 11) * 2^-53 for seed 42.
    let mut r = Rng::new(42);
    for w in [0.7415648787718233, 0.1599103928769201, 0.27860113025513866] {
        assert_eq!(r.next_f64(), w);
    }
}

#[test]
fn rng_below_is_in_range_and_roughly_uniform() {
    let mut r = Rng::new(99);
    assert_eq!(r.below(0), 0);
    assert_eq!(r.below(1), 0);
    let mut counts = [0u32; 6];
    for _ in 0..60_000 {
        counts[r.below(6) as usize] += 1;
    }
    // Each count is Binomial(60000, 1/6): sd 91; allow 5 sd.
    for c in counts {
        assert!((c as f64 - 10_000.0).abs() < 5.0 * 91.3, "{counts:?}");
    }
    // Huge bounds stay in range (the rejection threshold path).
    let n = u64::MAX / 3 * 2;
    for _ in 0..1000 {
        assert!(r.below(n) < n);
    }
}

#[test]
fn monte_carlo_tail_estimator_and_direction() {
    // Every draw is as small as the observation: p = (1 + d) / (1 + d) = 1.
    let all = monte_carlo_tail_le(0.0, 500, 1, |_| 0.0);
    assert_eq!(all, McTail { p: 1.0, draws: 500 });
    // No draw is: p = 1 / (1 + draws), never 0.
    let none = monte_carlo_tail_le(0.0, 500, 1, |_| 1.0);
    assert_eq!(none.p, 1.0 / 501.0);
    // The other direction.
    assert_eq!(monte_carlo_tail_ge(0.5, 500, 1, |_| 1.0).p, 1.0);
    assert_eq!(monte_carlo_tail_ge(2.0, 500, 1, |_| 1.0).p, 1.0 / 501.0);
    // No draws: p = 1.
    assert_eq!(
        monte_carlo_tail_le(0.0, 0, 1, |_| 0.0),
        McTail { p: 1.0, draws: 0 }
    );
    // NaN samples never count as extreme.
    assert_eq!(
        monte_carlo_tail_le(1.0, 100, 1, |_| f64::NAN).p,
        1.0 / 101.0
    );
    // Uniform samples: P(U <= 0.25) = 0.25, P(U >= 0.25) = 0.75; with
    // 100,000 draws the standard error is 0.00137; allow 4 of them.
    let le = monte_carlo_tail_le(0.25, 100_000, 2024, |r| r.next_f64());
    assert_abs(le.p, 0.25, 4.0 * 0.00137);
    let ge = monte_carlo_tail_ge(0.25, 100_000, 2024, |r| r.next_f64());
    assert_abs(ge.p, 0.75, 4.0 * 0.00137);
    // Reproducible: same seed, same p; monte_carlo_tail is the `le` one.
    assert_eq!(
        le,
        monte_carlo_tail_le(0.25, 100_000, 2024, |r| r.next_f64())
    );
    assert_eq!(le, monte_carlo_tail(0.25, 100_000, 2024, |r| r.next_f64()));
}

#[test]
fn event_proximity_example() {
    // Crashes all come within 30 minutes of a nightly 22:00 backup: mean
    // delay 0.25 h. At random times the delay since the last backup is
    // uniform on [0, 24) h, and the mean of 5 such delays is at most 0.25 h
    // with probability (0.25 * 5 / 24)^5 / 5! (volume of a simplex corner),
    // about 3.2e-9, so no draw in 10,000 should come that close.
    let observed = 0.25;
    let mc = monte_carlo_tail_le(observed, 10_000, 5, |r| {
        (0..5).map(|_| 24.0 * r.next_f64()).sum::<f64>() / 5.0
    });
    assert_eq!(mc.p, 1.0 / 10_001.0);
    assert_eq!(mc.draws, 10_000);
}

#[test]
fn max_count_tail_union_bound_brackets_the_exact_value() {
    // Mathematical bounds, not a fitted reference: the union bound U is at
    // least the exact value, and negative association of multinomial counts
    // puts the exact value at least U - U^2/2.
    let probs: Vec<f64> = (0..200).map(|i| 1.0 + (i % 7) as f64).collect();
    for k in [60, 70, 80] {
        let exact = max_count_tail(4000, &probs, k);
        assert!(exact.exact);
        let u = max_count_tail_union_bound(4000, &probs, k);
        assert!(u >= exact.p * (1.0 - 1e-9), "k={k}: {u} < {}", exact.p);
        assert!(
            exact.p >= u - u * u / 2.0 - 1e-15,
            "k={k}: {} vs {u}",
            exact.p
        );
    }
    // Two cells and k above n/2: the events are disjoint, so the bound is
    // exact: P(X >= 60) + P(X <= 40) for X ~ Bin(100, 0.5), which is
    // 2 * 0.028443966820490 (scipy.stats.binom.sf(59, 100, 0.5)).
    let u = max_count_tail_union_bound(100, &[1.0, 1.0], 60);
    assert_rel(u, 2.0 * 0.028_443_966_820_490, 1e-9);
    // Edge cases.
    assert_eq!(max_count_tail_union_bound(10, &[1.0], 0), 1.0);
    assert_eq!(max_count_tail_union_bound(10, &[1.0, 2.0], 11), 0.0);
    assert_eq!(max_count_tail_union_bound(10, &[0.0, f64::NAN], 3), 1.0);
}

#[test]
fn max_count_tail_above_the_exact_limit_uses_a_small_union_bound() {
    // 6000 crashes over 1000 equal hosts, the busiest carrying 40 (mean 6):
    // far in the tail, so the answer is the bound, with no draws.
    let probs = vec![1.0; 1000];
    let t = max_count_tail(6000, &probs, 40);
    assert_eq!(t.draws, 0);
    assert!(!t.exact);
    assert_rel(t.p, 1000.0 * binomial_tail_ge(40, 6000, 0.001), 1e-12);
    assert!(t.p < 1e-10);
    // Not in the tail: falls back to Monte Carlo.
    let t = max_count_tail(6000, &probs, 12);
    assert!(t.draws > 0);
}
