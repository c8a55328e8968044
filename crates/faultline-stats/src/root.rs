//! One-dimensional root finding for the confidence-interval and MLE
//! equations, which are all monotone in a log-odds parameter.

/// Largest |theta| tried when bracketing. e^700 is close to `f64::MAX`, so a
/// root beyond it is reported as the bracket end (the caller turns that into
/// 0 or infinity after `exp`).
const THETA_LIMIT: f64 = 710.0;

/// Finds `theta` with `g(theta) = 0` for a non-decreasing `g` on the real
/// line.
///
/// Brackets the root by doubling steps out from 0, then narrows with the
/// Illinois variant of false position, taking a plain bisection step every
/// third iteration so the bracket is guaranteed to shrink even when false
/// position stalls on one side. Stops when the bracket is a few ulps of
/// `max(1, |theta|)` wide: theta is a log-parameter, so an absolute error in
/// it is a relative error in `exp(theta)`.
pub(crate) fn root_increasing(mut g: impl FnMut(f64) -> f64) -> f64 {
    let g0 = g(0.0);
    if g0 == 0.0 {
        return 0.0;
    }
    // Bracket: [lo, hi] with g(lo) < 0 < g(hi).
    let (mut lo, mut glo, mut hi, mut ghi): (f64, f64, f64, f64);
    let mut step = 1.0_f64;
    if g0 < 0.0 {
        (lo, glo) = (0.0, g0);
        loop {
            let t = step.min(THETA_LIMIT);
            let gt = g(t);
            if gt >= 0.0 {
                (hi, ghi) = (t, gt);
                break;
            }
            if t >= THETA_LIMIT {
                return t;
            }
            (lo, glo) = (t, gt);
            step *= 2.0;
        }
    } else {
        (hi, ghi) = (0.0, g0);
        loop {
            let t = (-step).max(-THETA_LIMIT);
            let gt = g(t);
            if gt <= 0.0 {
                (lo, glo) = (t, gt);
                break;
            }
            if t <= -THETA_LIMIT {
                return t;
            }
            (hi, ghi) = (t, gt);
            step *= 2.0;
        }
    }
    if glo == 0.0 {
        return lo;
    }
    if ghi == 0.0 {
        return hi;
    }

    // Which end moved last: +1 hi, -1 lo. Used to halve the stale end's
    // value (the Illinois trick), which keeps convergence superlinear.
    let mut last = 0i8;
    for iter in 0..400 {
        let width = hi - lo;
        if width <= 4.0 * f64::EPSILON * lo.abs().max(hi.abs()).max(1.0) {
            break;
        }
        let mut t = if iter % 3 == 2 {
            0.5 * (lo + hi)
        } else {
            hi - ghi * width / (ghi - glo)
        };
        if !(t > lo && t < hi) {
            t = 0.5 * (lo + hi);
            if !(t > lo && t < hi) {
                break;
            }
        }
        let gt = g(t);
        if gt == 0.0 {
            return t;
        }
        if gt < 0.0 {
            (lo, glo) = (t, gt);
            if last == -1 {
                ghi *= 0.5;
            }
            last = -1;
        } else {
            (hi, ghi) = (t, gt);
            if last == 1 {
                glo *= 0.5;
            }
            last = 1;
        }
    }
    // The end whose value is nearer zero, by linear interpolation.
    let t = hi - ghi * (hi - lo) / (ghi - glo);
    if t.is_finite() && t >= lo && t <= hi {
        t
    } else {
        0.5 * (lo + hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_simple_roots() {
        let r = root_increasing(|t| t - 3.25);
        assert!((r - 3.25).abs() < 1e-14);
        let r = root_increasing(|t| t.powi(3) + 40.0);
        assert!((r + 40f64.cbrt()).abs() < 1e-13);
        let r = root_increasing(|t| (t - 0.5).tanh());
        assert!((r - 0.5).abs() < 1e-14);
        // Flat far from the root, steep near it.
        let r = root_increasing(|t| 1.0 / (1.0 + (-50.0 * (t - 2.0)).exp()) - 0.5);
        assert!((r - 2.0).abs() < 1e-13);
    }

    #[test]
    fn reports_bracket_end_when_no_root() {
        assert_eq!(root_increasing(|_| -1.0), THETA_LIMIT);
        assert_eq!(root_increasing(|_| 1.0), -THETA_LIMIT);
    }
}
