//! Fisher's exact test and the conditional odds ratio for a 2x2 table.
//!
//! The table is `[[a, b], [c, d]]`: rows are crashed / not crashed machines,
//! columns are with / without the attribute value. With all margins fixed,
//! `a` follows Fisher's noncentral hypergeometric distribution whose
//! parameter is the odds ratio `psi`; `psi = 1` is the null. Every quantity
//! here is a sum over that distribution's support, so the support's weights
//! are built once (by the ratio of successive central hypergeometric
//! probabilities, which stays accurate for large inventories) and reused.
//! Cost: O(min(a + b, a + c)) per evaluation; counts should stay below 2^53.

use crate::root::root_increasing;
use crate::{CONFIDENCE, TWO_SIDED_REL_TOL};

/// Conditional maximum-likelihood odds ratio with its exact confidence
/// interval (two-sided, [`CONFIDENCE`]).
///
/// `f64::INFINITY` stands for an unbounded estimate or upper limit; JSON has
/// no infinity, so a caller that serialises this must choose an encoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OddsRatio {
    /// Conditional MLE: the `psi` whose noncentral hypergeometric mean equals
    /// the observed `a`. 0 when `a` is as small as the margins allow (a zero
    /// in `a` or `d`), `+inf` when it is as large (a zero in `b` or `c`).
    pub estimate: f64,
    /// Lower limit: `psi` with `P(X >= a; psi) = alpha / 2`; 0 when the
    /// estimate is 0.
    pub low: f64,
    /// Upper limit: `psi` with `P(X <= a; psi) = alpha / 2`; `+inf` when the
    /// estimate is infinite.
    pub high: f64,
}

impl OddsRatio {
    /// The answer for a table that carries no information (a zero margin):
    /// estimate 1 (no association) and the whole half-line as interval.
    pub const UNINFORMATIVE: OddsRatio = OddsRatio {
        estimate: 1.0,
        low: 0.0,
        high: f64::INFINITY,
    };
}

/// One-sided Fisher exact test for enrichment: `P(X >= a)` under the null,
/// where `X` is the top-left cell of a random table with the observed
/// margins.
///
/// Table `[[a, b], [c, d]]`: `a` crashed machines with the attribute value,
/// `b` crashed without, `c` not crashed with, `d` not crashed without.
/// Edge cases: when a margin is zero only one table is possible and the
/// p-value is 1; an empty table gives 1.
pub fn fisher_greater(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let dist = Conditional::new(a, b, c, d);
    dist.upper(0.0, dist.observed)
}

/// One-sided Fisher exact test for depletion: `P(X <= a)` under the null.
/// Same table layout and edge cases as [`fisher_greater`].
pub fn fisher_less(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let dist = Conditional::new(a, b, c, d);
    dist.lower(0.0, dist.observed)
}

/// Two-sided Fisher exact test: the total null probability of tables no more
/// likely than the observed one, where "no more likely" allows a relative
/// tolerance of [`TWO_SIDED_REL_TOL`] (1e-7) as R's `fisher.test` does.
/// (scipy uses 1e-14; the two differ only for near-ties.) Capped at 1. Same
/// table layout and edge cases as [`fisher_greater`].
pub fn fisher_two_sided(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let dist = Conditional::new(a, b, c, d);
    let cutoff = dist.log_weight[dist.observed] + TWO_SIDED_REL_TOL.ln_1p();
    let (max, total) = dist.normaliser(0.0);
    let mut sum = 0.0;
    for &lw in &dist.log_weight {
        if lw <= cutoff {
            sum += (lw - max).exp();
        }
    }
    (sum / total).min(1.0)
}

/// Conditional maximum-likelihood estimate of the odds ratio `ad / bc` and
/// its exact two-sided 95% confidence interval, as R's `fisher.test` and
/// scipy's `odds_ratio(kind="conditional")` compute them: the limits are the
/// roots of the noncentral hypergeometric tails at `alpha / 2`.
///
/// Edge cases (never NaN):
/// - `a` at the low end of its support (`a == 0`, or `d == 0`): estimate 0,
///   interval `[0, high]`;
/// - `a` at the high end (`b == 0` or `c == 0`): estimate `+inf`, interval
///   `[low, +inf]`;
/// - a zero margin (only one table possible, which includes the empty
///   table): [`OddsRatio::UNINFORMATIVE`], estimate 1 and `[0, +inf]`.
///   (R and scipy return 0 or NaN there.)
///
/// The roots are solved in `ln psi` to about 1e-15 absolute, so the limits
/// carry about 14 significant digits.
pub fn odds_ratio(a: u64, b: u64, c: u64, d: u64) -> OddsRatio {
    let dist = Conditional::new(a, b, c, d);
    let last = dist.log_weight.len() - 1;
    if last == 0 {
        return OddsRatio::UNINFORMATIVE;
    }
    let i = dist.observed;
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    let estimate = if i == 0 {
        0.0
    } else if i == last {
        f64::INFINITY
    } else {
        root_increasing(|t| dist.mean(t) - i as f64).exp()
    };
    // Both tails are monotone in ln psi: the upper tail increases, the lower
    // tail decreases.
    let low = if i == 0 {
        0.0
    } else {
        root_increasing(|t| dist.upper(t, i) - alpha).exp()
    };
    let high = if i == last {
        f64::INFINITY
    } else {
        root_increasing(|t| alpha - dist.lower(t, i)).exp()
    };
    OddsRatio {
        estimate,
        low,
        high,
    }
}

/// The conditional distribution of the top-left cell given the margins,
/// indexed from the smallest possible value.
struct Conditional {
    /// Index of the observed `a` (that is, `a - lo`).
    observed: usize,
    /// Central hypergeometric log-probabilities up to a common constant.
    log_weight: Vec<f64>,
}

impl Conditional {
    fn new(a: u64, b: u64, c: u64, d: u64) -> Self {
        let rows = a.saturating_add(b); // crashed machines
        let cols = a.saturating_add(c); // machines with the value
        let lo = a.saturating_sub(d);
        let hi = a.saturating_add(b.min(c));
        let len = usize::try_from(hi - lo + 1).unwrap_or(usize::MAX);
        let mut log_weight = Vec::with_capacity(len);
        let mut lw = 0.0;
        log_weight.push(lw);
        for x in lo..hi {
            // P(x + 1) / P(x) for the central hypergeometric distribution.
            let num = (cols - x) as f64 * (rows - x) as f64;
            let den = (x + 1) as f64 * (d + x + 1 - a) as f64;
            lw += (num / den).ln();
            log_weight.push(lw);
        }
        Conditional {
            observed: (a - lo) as usize,
            log_weight,
        }
    }

    /// Largest log-weight at `theta = ln psi` and the sum of weights scaled
    /// by it, so nothing overflows and the largest term is exactly 1.
    fn normaliser(&self, theta: f64) -> (f64, f64) {
        let max = self
            .log_weight
            .iter()
            .enumerate()
            .map(|(i, lw)| lw + theta * i as f64)
            .fold(f64::NEG_INFINITY, f64::max);
        let total = self
            .log_weight
            .iter()
            .enumerate()
            .map(|(i, lw)| (lw + theta * i as f64 - max).exp())
            .sum();
        (max, total)
    }

    fn sum_range(&self, theta: f64, range: std::ops::Range<usize>) -> f64 {
        let (max, total) = self.normaliser(theta);
        let part: f64 = range
            .map(|i| (self.log_weight[i] + theta * i as f64 - max).exp())
            .sum();
        (part / total).min(1.0)
    }

    /// `P(X >= lo + i; psi = e^theta)`.
    fn upper(&self, theta: f64, i: usize) -> f64 {
        self.sum_range(theta, i..self.log_weight.len())
    }

    /// `P(X <= lo + i; psi = e^theta)`.
    fn lower(&self, theta: f64, i: usize) -> f64 {
        self.sum_range(theta, 0..i + 1)
    }

    /// `E[X - lo; psi = e^theta]`.
    fn mean(&self, theta: f64) -> f64 {
        let (max, total) = self.normaliser(theta);
        let moment: f64 = self
            .log_weight
            .iter()
            .enumerate()
            .map(|(i, lw)| i as f64 * (lw + theta * i as f64 - max).exp())
            .sum();
        moment / total
    }
}
