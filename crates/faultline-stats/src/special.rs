//! Probability mass functions that stay accurate for large counts.
//!
//! A naive `exp(ln C(n, x) + x ln p + ...)` loses digits once `ln n!` is large
//! (its rounding error is absolute, so relative error grows with n). These
//! follow Catherine Loader's saddle-point formulation ("Fast and accurate
//! computation of binomial probabilities", 2000), the same idea R's `dbinom`
//! and `dpois` use: everything is written in terms of the Stirling remainder
//! and a deviance term that are small and computed without cancellation.

use std::f64::consts::PI;

/// `ln(sqrt(2 pi))`.
const LN_SQRT_2PI: f64 = 0.918_938_533_204_672_8;

/// Stirling remainder `ln n! - ((n + 1/2) ln n - n + ln sqrt(2 pi))` for
/// integer `n >= 1`.
pub(crate) fn stirlerr(n: u64) -> f64 {
    if n <= 15 {
        // n! is exact in f64 up to 22!, so the subtraction loses only a few
        // ulps of quantities around 30: ample for a log-probability.
        let mut fact = 1.0_f64;
        for i in 2..=n {
            fact *= i as f64;
        }
        let x = n as f64;
        return fact.ln() - ((x + 0.5) * x.ln() - x + LN_SQRT_2PI);
    }
    // Asymptotic series; for n >= 16 the first omitted term is below 1e-16.
    let x = n as f64;
    let x2 = x * x;
    (1.0 / 12.0
        - (1.0 / 360.0 - (1.0 / 1260.0 - (1.0 / 1680.0 - 1.0 / (1188.0 * x2)) / x2) / x2) / x2)
        / x
}

/// Deviance term `x ln(x / m) + m - x` for `x > 0`, `m > 0`, computed by a
/// series when `x` is near `m`, where the direct formula cancels.
pub(crate) fn bd0(x: f64, m: f64) -> f64 {
    let d = x - m;
    if d.abs() < 0.1 * (x + m) {
        // x ln(x/m) + m - x = d v + 2x sum_{j>=1} v^(2j+1) / (2j+1), v = d/(x+m).
        let v = d / (x + m);
        let v2 = v * v;
        let mut sum = d * v;
        let mut pow = 2.0 * x * v;
        let mut j = 1.0_f64;
        loop {
            pow *= v2;
            let next = sum + pow / (2.0 * j + 1.0);
            if next == sum {
                return sum;
            }
            sum = next;
            j += 1.0;
        }
    }
    x * (x / m).ln() + m - x
}

/// Binomial probability `P(X = x)` for `X ~ Bin(n, p)`, given both `p` and
/// `q = 1 - p` so that callers who know `q` precisely (a logit, a ratio of
/// sums) do not lose it to `1 - p`.
pub(crate) fn binom_pmf(x: u64, n: u64, p: f64, q: f64) -> f64 {
    if x > n {
        return 0.0;
    }
    if p <= 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    if q <= 0.0 {
        return if x == n { 1.0 } else { 0.0 };
    }
    if x == 0 {
        return (n as f64 * q.ln()).exp();
    }
    if x == n {
        return (n as f64 * p.ln()).exp();
    }
    let (xf, nf) = (x as f64, n as f64);
    let lc = stirlerr(n) - stirlerr(x) - stirlerr(n - x) - bd0(xf, nf * p) - bd0(nf - xf, nf * q);
    let lf = (2.0 * PI).ln() + xf.ln() + (-xf / nf).ln_1p();
    (lc - 0.5 * lf).exp()
}

/// Poisson probability `P(X = x)` for `X ~ Poisson(mu)`, `mu` finite and `>= 0`.
pub(crate) fn pois_pmf(x: u64, mu: f64) -> f64 {
    if mu <= 0.0 {
        return if x == 0 { 1.0 } else { 0.0 };
    }
    if x == 0 {
        return (-mu).exp();
    }
    let xf = x as f64;
    (-stirlerr(x) - bd0(xf, mu)).exp() / (2.0 * PI * xf).sqrt()
}

/// Mode of `Bin(n, p)`: `floor((n + 1) p)`, kept inside `0..=n`.
pub(crate) fn binom_mode(n: u64, p: f64) -> u64 {
    let m = ((n as f64 + 1.0) * p).floor();
    if m <= 0.0 { 0 } else { (m as u64).min(n) }
}

#[cfg(test)]
// Reference values keep every digit mpmath printed.
#[allow(clippy::excessive_precision)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, rel: f64) -> bool {
        (a - b).abs() <= rel * b.abs()
    }

    #[test]
    fn stirlerr_is_continuous_across_the_switch() {
        // ln 16! - ln 15! = ln 16, which ties the table branch to the series.
        let f = |n: u64| {
            let x = n as f64;
            stirlerr(n) + (x + 0.5) * x.ln() - x + LN_SQRT_2PI
        };
        assert!(close(f(16) - f(15), 16f64.ln(), 1e-13));
        assert!(close(f(17) - f(16), 17f64.ln(), 1e-13));
    }

    #[test]
    fn pmfs_match_reference_values() {
        // mpmath 1.4.1 (40 digits): binomial(10, 3) * 0.25**3 * 0.75**7
        assert!(close(
            binom_pmf(3, 10, 0.25, 0.75),
            0.25028228759765625,
            1e-14
        ));
        // mpmath 1.4.1 (40 digits): binomial(10000, 5000) * 2**-10000
        assert!(close(
            binom_pmf(5000, 10000, 0.5, 0.5),
            0.007978646139382153760,
            1e-13
        ));
        // mpmath 1.4.1 (40 digits): exp(-900.5) * 900.5**1000 / factorial(1000)
        assert!(close(pois_pmf(1000, 900.5), 6.264580287061752600e-5, 1e-12));
        // mpmath 1.4.1 (40 digits): exp(-2.5) * 2.5**7 / factorial(7)
        assert!(close(pois_pmf(7, 2.5), 0.009940616501568845134, 1e-14));
    }
}
