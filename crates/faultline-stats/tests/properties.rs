//! Properties that must hold for any input, checked on random ones.

use faultline_stats::*;
use proptest::prelude::*;

/// Brute force: enumerate every assignment of `n` items to cells (cells^n of
/// them) and add up the probability of those where some cell gets `k`.
fn brute_max_tail(n: u32, probs: &[f64], k: u64) -> f64 {
    let total: f64 = probs.iter().sum();
    let cells = probs.len();
    let mut hit = 0.0;
    let mut assignment = vec![0usize; n as usize];
    loop {
        let mut counts = vec![0u64; cells];
        let mut prob = 1.0;
        for &c in &assignment {
            counts[c] += 1;
            prob *= probs[c] / total;
        }
        if counts.iter().any(|&c| c >= k) {
            hit += prob;
        }
        // Next assignment, odometer style.
        let mut i = 0;
        loop {
            if i == assignment.len() {
                return hit;
            }
            assignment[i] += 1;
            if assignment[i] < cells {
                break;
            }
            assignment[i] = 0;
            i += 1;
        }
    }
}

fn prob() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64, (1e-12..1e-3f64),]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn bh_is_monotone_and_at_least_p(ps in prop::collection::vec(prob(), 0..40)) {
        let q = benjamini_hochberg(&ps);
        prop_assert_eq!(q.len(), ps.len());
        for i in 0..ps.len() {
            prop_assert!(q[i] >= ps[i] && q[i] <= 1.0);
            for j in 0..ps.len() {
                if ps[i] <= ps[j] {
                    prop_assert!(
                        q[i] <= q[j],
                        "p {} <= {} but q {} > {}", ps[i], ps[j], q[i], q[j]
                    );
                }
                if ps[i] == ps[j] {
                    prop_assert_eq!(q[i], q[j]);
                }
            }
        }
    }

    #[test]
    fn binomial_tail_in_range_and_non_increasing(n in 0u64..400, p in prob()) {
        let mut prev = 1.0;
        for k in 0..=n + 1 {
            let t = binomial_tail_ge(k, n, p);
            prop_assert!((0.0..=1.0).contains(&t));
            prop_assert!(t <= prev * (1.0 + 1e-12), "k={} t={} prev={}", k, t, prev);
            prev = t;
            // The two tails partition the line.
            if k > 0 {
                let le = binomial_tail_le(k - 1, n, p);
                prop_assert!((t + le - 1.0).abs() < 1e-12, "k={} ge={} le={}", k, t, le);
            }
        }
        prop_assert_eq!(binomial_tail_ge(n + 1, n, p), 0.0);
    }

    #[test]
    fn poisson_tail_in_range_and_non_increasing(mu in prop_oneof![0.0..5.0f64, 5.0..500.0f64]) {
        let mut prev = 1.0;
        for k in 0..(3.0 * mu + 20.0) as u64 {
            let t = poisson_tail_ge(k, mu);
            prop_assert!((0.0..=1.0).contains(&t));
            prop_assert!(t <= prev * (1.0 + 1e-12), "k={} t={} prev={}", k, t, prev);
            prev = t;
            if k > 0 {
                let le = poisson_tail_le(k - 1, mu);
                prop_assert!((t + le - 1.0).abs() < 1e-12, "k={} ge={} le={}", k, t, le);
            }
        }
    }

    #[test]
    fn max_count_tail_equals_brute_force(
        n in 0u32..7,
        probs in prop::collection::vec(0.01..1.0f64, 1..5),
        k in 0u64..8,
    ) {
        let got = max_count_tail(n as u64, &probs, k);
        prop_assert!(got.exact);
        let want = brute_max_tail(n, &probs, k);
        prop_assert!((got.p - want).abs() <= 1e-12 * want.max(1e-300) + 1e-15,
            "n={} probs={:?} k={}: got {} want {}", n, probs, k, got.p, want);
    }

    #[test]
    fn max_count_tail_non_increasing_in_k(
        n in 0u64..80,
        probs in prop::collection::vec(0.0..1.0f64, 1..12),
    ) {
        let mut prev = 1.0;
        for k in 0..=n + 1 {
            let t = max_count_tail(n, &probs, k).p;
            prop_assert!((0.0..=1.0).contains(&t));
            prop_assert!(t <= prev * (1.0 + 1e-12) + 1e-15, "k={} t={} prev={}", k, t, prev);
            prev = t;
        }
    }

    #[test]
    fn fisher_tests_are_consistent(a in 0u64..30, b in 0u64..30, c in 0u64..30, d in 0u64..300) {
        let g = fisher_greater(a, b, c, d);
        let l = fisher_less(a, b, c, d);
        let two = fisher_two_sided(a, b, c, d);
        for p in [g, l, two] {
            prop_assert!((0.0..=1.0).contains(&p));
        }
        // Both one-sided tails contain the observed table.
        prop_assert!(g + l >= 1.0 - 1e-12);
        // The distribution is unimodal, so the two-sided set contains the
        // whole tail on the observed side.
        prop_assert!(two >= g.min(l) * (1.0 - 1e-9));
        // Swapping the columns swaps the tails.
        prop_assert!((fisher_less(b, a, d, c) - g).abs() <= 1e-12 * g.max(1e-300));
    }

    #[test]
    fn odds_ratio_interval_contains_estimate(
        a in 0u64..25, b in 0u64..25, c in 0u64..25, d in 0u64..200,
    ) {
        let or = odds_ratio(a, b, c, d);
        prop_assert!(!or.estimate.is_nan() && !or.low.is_nan() && !or.high.is_nan());
        prop_assert!(or.low >= 0.0);
        prop_assert!(or.low <= or.estimate * (1.0 + 1e-9));
        prop_assert!(or.estimate <= or.high * (1.0 + 1e-9));
        // Same duality as for rate ratios: a two-sided p below 2.5% means a
        // one-sided p below 2.5%, so the interval excludes 1.
        if fisher_two_sided(a, b, c, d) < 0.02 {
            prop_assert!(or.low > 1.0 || or.high < 1.0);
        }
        // Transposing the roles of the two columns inverts the odds ratio.
        let swapped = odds_ratio(b, a, d, c);
        if or.estimate.is_finite() && or.estimate > 0.0 && or.estimate != 1.0 {
            prop_assert!((swapped.estimate * or.estimate - 1.0).abs() < 1e-9);
        }
    }

    #[test]
    fn rate_ratio_is_sane(x1 in 0u64..60, x2 in 0u64..60, t1 in 0.1..1e4f64, t2 in 0.1..1e4f64) {
        let r = poisson_rate_ratio(x1, t1, x2, t2);
        for p in [r.p_greater, r.p_two_sided] {
            prop_assert!((0.0..=1.0).contains(&p));
        }
        prop_assert!(!r.ratio.is_nan() && !r.low.is_nan() && !r.high.is_nan());
        prop_assert!(r.low <= r.ratio * (1.0 + 1e-9) && r.ratio <= r.high * (1.0 + 1e-9));
        // The interval is the set of ratios that neither one-sided test
        // rejects at 2.5%, and the two-sided p-value is at least the one-sided
        // one on the observed side: below 2.5% (with a margin for rounding
        // at the boundary), the interval must exclude 1.
        if r.p_two_sided < 0.02 {
            prop_assert!(r.low > 1.0 || r.high < 1.0);
        }
    }

    #[test]
    fn rayleigh_is_in_range(angles in prop::collection::vec(-10.0..10.0f64, 0..50)) {
        let r = rayleigh(&angles);
        prop_assert!((0.0..=1.0).contains(&r.p));
        prop_assert!((0.0..=1.0 + 1e-12).contains(&r.r_bar));
        prop_assert!((0.0..std::f64::consts::TAU).contains(&r.mean_angle));
        prop_assert_eq!(r.n, angles.len() as u64);
        // Rotating every angle rotates the mean and changes nothing else.
        let shifted: Vec<f64> = angles.iter().map(|a| a + 1.0).collect();
        let s = rayleigh(&shifted);
        prop_assert!((s.r_bar - r.r_bar).abs() < 1e-9);
    }

    #[test]
    fn rng_below_stays_in_range(seed in any::<u64>(), n in 1u64..u64::MAX) {
        let mut r = faultline_stats::Rng::new(seed);
        for _ in 0..20 {
            prop_assert!(r.below(n) < n);
            let f = r.next_f64();
            prop_assert!((0.0..1.0).contains(&f));
        }
    }
}
