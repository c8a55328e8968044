//! Binomial and Poisson tails, summed term by term from the tail's own end.
//!
//! Computing an upper tail as `1 - cdf` throws away every digit of a small
//! p-value. Here the tail that lies beyond the mean is summed directly,
//! starting at its largest term and walking outwards with the ratio of
//! successive probabilities until the terms no longer change the sum; the
//! tail that contains the mean is at least about 1/2, so `1 - (the other
//! tail)` is accurate there. Cost: O(standard deviation) terms, not O(n).

use crate::special::{binom_pmf, pois_pmf};

/// Terms smaller than this fraction of the running sum are dropped: they
/// cannot change an `f64` sum, and the remaining terms shrink geometrically.
const NEGLIGIBLE: f64 = 1e-17;

/// `P(X >= k)` for `X ~ Binomial(n, p)`.
///
/// Accurate in relative terms in the upper tail (a p-value of 1e-200 comes
/// back with about 13 correct digits). Edge cases: `k == 0` gives 1,
/// `k > n` gives 0; `p` is clamped to `[0, 1]` and a NaN `p` is treated as 0
/// (no successes possible), so the result is never NaN.
pub fn binomial_tail_ge(k: u64, n: u64, p: f64) -> f64 {
    let p = clamp_prob(p);
    binom_ge(k, n, p, 1.0 - p)
}

/// `P(X <= k)` for `X ~ Binomial(n, p)`, accurate in the lower tail.
///
/// Edge cases: `k >= n` gives 1; `p` is clamped to `[0, 1]`, NaN treated as 0.
pub fn binomial_tail_le(k: u64, n: u64, p: f64) -> f64 {
    let p = clamp_prob(p);
    binom_le(k, n, p, 1.0 - p)
}

/// `P(X >= k)` for `X ~ Poisson(mu)`.
///
/// Accurate in relative terms in the upper tail. Edge cases: `k == 0` gives
/// 1; `mu <= 0` or NaN means no events (0 for `k >= 1`); `mu == +inf` gives 1.
pub fn poisson_tail_ge(k: u64, mu: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if mu.is_nan() || mu <= 0.0 {
        return 0.0;
    }
    if mu.is_infinite() {
        return 1.0;
    }
    if k as f64 > mu {
        pois_sum_up(k, mu)
    } else {
        (1.0 - pois_sum_down(k - 1, mu)).clamp(0.0, 1.0)
    }
}

/// `P(X <= k)` for `X ~ Poisson(mu)`, accurate in the lower tail.
///
/// Edge cases: `mu <= 0` or NaN gives 1; `mu == +inf` gives 0.
pub fn poisson_tail_le(k: u64, mu: f64) -> f64 {
    if mu.is_nan() || mu <= 0.0 {
        return 1.0;
    }
    if mu.is_infinite() {
        return 0.0;
    }
    if (k as f64) < mu {
        pois_sum_down(k, mu)
    } else {
        (1.0 - pois_sum_up(k + 1, mu)).clamp(0.0, 1.0)
    }
}

fn clamp_prob(p: f64) -> f64 {
    if p.is_nan() { 0.0 } else { p.clamp(0.0, 1.0) }
}

/// `P(X >= k)`, `X ~ Bin(n, p)` with `q = 1 - p` given separately.
pub(crate) fn binom_ge(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if q <= 0.0 {
        return 1.0;
    }
    if k as f64 > n as f64 * p {
        binom_sum_up(k, n, p, q)
    } else {
        (1.0 - binom_sum_down(k - 1, n, p, q)).clamp(0.0, 1.0)
    }
}

/// `P(X <= k)`, `X ~ Bin(n, p)` with `q = 1 - p` given separately.
pub(crate) fn binom_le(k: u64, n: u64, p: f64, q: f64) -> f64 {
    if k >= n || p <= 0.0 {
        return 1.0;
    }
    if q <= 0.0 {
        return 0.0;
    }
    if (k as f64) < n as f64 * p {
        binom_sum_down(k, n, p, q)
    } else {
        (1.0 - binom_sum_up(k + 1, n, p, q)).clamp(0.0, 1.0)
    }
}

/// Sums a series whose terms only shrink: `first`, then what `next` makes of
/// the previous term, until `next` says the support ends or a term no longer
/// moves the sum (below [`NEGLIGIBLE`] of it). Capped at 1.
fn sum_shrinking(first: f64, mut next: impl FnMut(f64) -> Option<f64>) -> f64 {
    let mut sum = first;
    let mut term = first;
    while let Some(t) = next(term) {
        if t <= sum * NEGLIGIBLE {
            break;
        }
        sum += t;
        term = t;
    }
    sum.min(1.0)
}

/// `sum_{j = k..=n} P(X = j)`; meant for `k` at or above the mode, where the
/// terms only shrink.
fn binom_sum_up(k: u64, n: u64, p: f64, q: f64) -> f64 {
    let odds = p / q;
    let mut j = k;
    sum_shrinking(binom_pmf(k, n, p, q), |t| {
        (j < n).then(|| {
            let next = t * ((n - j) as f64 / (j + 1) as f64 * odds);
            j += 1;
            next
        })
    })
}

/// `sum_{j = 0..=k} P(X = j)`; meant for `k` at or below the mode.
fn binom_sum_down(k: u64, n: u64, p: f64, q: f64) -> f64 {
    let inv_odds = q / p;
    let mut j = k;
    sum_shrinking(binom_pmf(k, n, p, q), |t| {
        (j > 0).then(|| {
            let next = t * (j as f64 / (n - j + 1) as f64 * inv_odds);
            j -= 1;
            next
        })
    })
}

fn pois_sum_up(k: u64, mu: f64) -> f64 {
    let mut j = k;
    sum_shrinking(pois_pmf(k, mu), |t| {
        j = j.checked_add(1)?;
        Some(t * (mu / j as f64))
    })
}

fn pois_sum_down(k: u64, mu: f64) -> f64 {
    let mut j = k;
    sum_shrinking(pois_pmf(k, mu), |t| {
        (j > 0).then(|| {
            let next = t * (j as f64 / mu);
            j -= 1;
            next
        })
    })
}
