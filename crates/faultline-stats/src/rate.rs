//! Comparing two event rates (crashes per machine-hour) exactly.
//!
//! Given `x1 + x2 = n` events, the number in the first exposure is
//! `Binomial(n, pi)` with `pi = r t1 / (r t1 + t2)` where `r` is the rate
//! ratio; the null `r = 1` makes `pi0 = t1 / (t1 + t2)`. Testing and the
//! interval for `r` therefore reduce to a binomial test and a Clopper–Pearson
//! interval for `pi`, mapped back by `r = pi / (1 - pi) * t2 / t1`. This is
//! what R's `poisson.test(c(x1, x2), c(t1, t2))` does.

use crate::root::root_increasing;
use crate::special::{binom_mode, binom_pmf};
use crate::tails::{binom_ge, binom_le};
use crate::{CONFIDENCE, TWO_SIDED_REL_TOL};

/// Exact comparison of two Poisson rates.
///
/// `f64::INFINITY` stands for an unbounded ratio or upper limit; JSON has no
/// infinity, so a caller that serialises this must choose an encoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateRatio {
    /// `(x1 / t1) / (x2 / t2)`: 0 when `x1 = 0`, `+inf` when `x2 = 0`.
    pub ratio: f64,
    /// Lower limit of the exact two-sided [`CONFIDENCE`] interval.
    pub low: f64,
    /// Upper limit of the exact two-sided [`CONFIDENCE`] interval.
    pub high: f64,
    /// One-sided p-value for "rate 1 is higher": `P(X >= x1)`,
    /// `X ~ Binomial(x1 + x2, t1 / (t1 + t2))`.
    pub p_greater: f64,
    /// Two-sided p-value as R's `binom.test`: total null probability of
    /// outcomes no more likely than `x1` (relative tolerance
    /// [`TWO_SIDED_REL_TOL`]), capped at 1.
    pub p_two_sided: f64,
}

impl RateRatio {
    /// The answer when the data carry no information: ratio 1, interval
    /// `[0, +inf]`, both p-values 1.
    pub const UNINFORMATIVE: RateRatio = RateRatio {
        ratio: 1.0,
        low: 0.0,
        high: f64::INFINITY,
        p_greater: 1.0,
        p_two_sided: 1.0,
    };
}

/// Exact conditional test of `rate1 = rate2` given `x1` events in exposure
/// `t1` and `x2` events in exposure `t2` (any unit, the same for both), with
/// the exact (Clopper–Pearson based) 95% interval for `rate1 / rate2`.
///
/// Edge cases (never NaN):
/// - no events at all (`x1 + x2 = 0`): [`RateRatio::UNINFORMATIVE`];
/// - an exposure that is zero, negative or not finite: also
///   [`RateRatio::UNINFORMATIVE`]. Events without exposure mean the exposure
///   data are wrong, and an "infinitely significant" answer would hide that;
/// - `x1 = 0`: ratio 0, `low = 0`; `x2 = 0`: ratio and `high` are `+inf`.
pub fn poisson_rate_ratio(x1: u64, t1: f64, x2: u64, t2: f64) -> RateRatio {
    let n = x1.saturating_add(x2);
    let usable = |t: f64| t.is_finite() && t > 0.0;
    if n == 0 || !usable(t1) || !usable(t2) {
        return RateRatio::UNINFORMATIVE;
    }
    // pi0 and 1 - pi0 each as a ratio of sums, so neither loses digits.
    let p0 = t1 / (t1 + t2);
    let q0 = t2 / (t1 + t2);
    let exposure_odds = t2 / t1;

    let ratio = if x1 == 0 {
        0.0
    } else if x2 == 0 {
        f64::INFINITY
    } else {
        (x1 as f64 / t1) / (x2 as f64 / t2)
    };

    // Clopper–Pearson in the logit of pi; exp(logit) * t2 / t1 is the ratio,
    // so the limits come out without the cancellation in 1 - pi.
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    let logistic = |t: f64| (1.0 / (1.0 + (-t).exp()), 1.0 / (1.0 + t.exp()));
    let low = if x1 == 0 {
        0.0
    } else {
        let t = root_increasing(|t| {
            let (p, q) = logistic(t);
            binom_ge(x1, n, p, q) - alpha
        });
        t.exp() * exposure_odds
    };
    let high = if x2 == 0 {
        f64::INFINITY
    } else {
        let t = root_increasing(|t| {
            let (p, q) = logistic(t);
            alpha - binom_le(x1, n, p, q)
        });
        t.exp() * exposure_odds
    };

    RateRatio {
        ratio,
        low,
        high,
        p_greater: binom_ge(x1, n, p0, q0),
        p_two_sided: binom_two_sided(x1, n, p0, q0),
    }
}

/// Two-sided exact binomial p-value, R's `binom.test` rule: the observed
/// tail plus the opposite tail's outcomes whose probability is at most the
/// observed one's (times `1 + TWO_SIDED_REL_TOL`).
fn binom_two_sided(x: u64, n: u64, p: f64, q: f64) -> f64 {
    let mean = n as f64 * p;
    let xf = x as f64;
    if xf == mean {
        return 1.0;
    }
    let cutoff = binom_pmf(x, n, p, q) * (1.0 + TWO_SIDED_REL_TOL);
    let pmf = |j: u64| binom_pmf(j, n, p, q);
    let total = if xf < mean {
        // Opposite side: j in [ceil(mean), n], where the pmf does not increase
        // (ceil(mean) >= the mode). Find the first j whose pmf <= cutoff.
        let start = (mean.ceil() as u64).max(binom_mode(n, p)).min(n);
        let first = first_where(start, n, |j| pmf(j) <= cutoff);
        let upper = match first {
            Some(j) => binom_ge(j, n, p, q),
            None => 0.0,
        };
        binom_le(x, n, p, q) + upper
    } else {
        // Opposite side: j in [0, floor(mean)], where the pmf does not
        // decrease. Find the last j whose pmf <= cutoff.
        let end = (mean.floor() as u64).min(binom_mode(n, p));
        let last = last_where(0, end, |j| pmf(j) <= cutoff);
        let lower = match last {
            Some(j) => binom_le(j, n, p, q),
            None => 0.0,
        };
        lower + binom_ge(x, n, p, q)
    };
    total.min(1.0)
}

/// Smallest `j` in `lo..=hi` with `pred(j)`, for a predicate that is false
/// then true.
fn first_where(lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi || !pred(hi) {
        return None;
    }
    let (mut a, mut b) = (lo, hi); // answer in [a, b], pred(b) true
    while a < b {
        let mid = a + (b - a) / 2;
        if pred(mid) { b = mid } else { a = mid + 1 }
    }
    Some(a)
}

/// Largest `j` in `lo..=hi` with `pred(j)`, for a predicate that is true
/// then false.
fn last_where(lo: u64, hi: u64, pred: impl Fn(u64) -> bool) -> Option<u64> {
    if lo > hi || !pred(lo) {
        return None;
    }
    let (mut a, mut b) = (lo, hi); // answer in [a, b], pred(a) true
    while a < b {
        let mid = a + (b - a).div_ceil(2);
        if pred(mid) { a = mid } else { b = mid - 1 }
    }
    Some(a)
}
