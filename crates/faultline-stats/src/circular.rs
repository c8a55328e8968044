//! Circular statistics for clustering in time of day (or week).

use std::f64::consts::TAU;

/// Mean resultant lengths at or below this are treated as zero when giving a
/// mean direction: perfectly balanced angles (0, 6, 12, 18 h) leave about
/// 1e-16 of rounding in the sums, whose direction means nothing.
const DIRECTIONLESS: f64 = 1e-12;

/// Result of the Rayleigh test of uniformity on the circle against a
/// unimodal alternative (crashes bunch around one time of day).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rayleigh {
    /// Number of angles used (non-finite angles are left out).
    pub n: u64,
    /// Mean direction in radians, in `[0, 2 pi)`; 0 when undefined (no
    /// angles, or a mean resultant length of at most 1e-12).
    pub mean_angle: f64,
    /// Mean resultant length `R_n / n` in `[0, 1]`: 0 for perfectly spread,
    /// 1 for all angles equal.
    pub r_bar: f64,
    /// Rayleigh's statistic `z = R_n^2 / n`.
    pub z: f64,
    /// Zar's approximation to the p-value (J. H. Zar, Biostatistical
    /// Analysis, 4th ed. 1999, p. 617), as pingouin and MATLAB's CircStat
    /// compute it: `exp(sqrt(1 + 4n + 4(n^2 - R_n^2)) - (1 + 2n))`, clamped
    /// to `[0, 1]`. It approximates the exact null distribution of `R_n`
    /// well for moderate n; for a handful of angles treat it as indicative.
    pub p: f64,
}

/// Rayleigh test on angles in radians.
///
/// Edge cases: non-finite angles are ignored; with no angles left the result
/// is `n = 0`, `mean_angle = 0`, `r_bar = 0`, `z = 0`, `p = 1`. A single
/// angle gives `r_bar = 1` and, by Zar's formula, `p = e^(sqrt(5) - 3)`,
/// about 0.47: the approximation is not meant for n this small.
pub fn rayleigh(angles_radians: &[f64]) -> Rayleigh {
    let (mut c, mut s, mut n) = (0.0_f64, 0.0_f64, 0u64);
    for &a in angles_radians.iter().filter(|a| a.is_finite()) {
        c += a.cos();
        s += a.sin();
        n += 1;
    }
    if n == 0 {
        return Rayleigh {
            n: 0,
            mean_angle: 0.0,
            r_bar: 0.0,
            z: 0.0,
            p: 1.0,
        };
    }
    let nf = n as f64;
    let r = c.hypot(s).min(nf);
    // A resultant this short is rounding noise in the sums: no direction.
    let mean_angle = if r <= nf * DIRECTIONLESS {
        0.0
    } else {
        s.atan2(c).rem_euclid(TAU)
    };
    // rem_euclid can round up to exactly TAU for tiny negative angles.
    let mean_angle = if mean_angle >= TAU { 0.0 } else { mean_angle };
    // n^2 - R^2 written as a product, which keeps its digits when R ~ n.
    let spread = (nf - r) * (nf + r);
    let p = ((1.0 + 4.0 * nf + 4.0 * spread).sqrt() - (1.0 + 2.0 * nf)).exp();
    Rayleigh {
        n,
        mean_angle,
        r_bar: r / nf,
        z: r * r / nf,
        p: p.clamp(0.0, 1.0),
    }
}

/// Hours of the day (fractional allowed, e.g. 22.5 for 22:30) to angles in
/// radians, `2 pi h / 24`. Hours outside `[0, 24)` wrap around naturally.
pub fn hours_to_angles(hours: &[f64]) -> Vec<f64> {
    hours.iter().map(|h| TAU * h / 24.0).collect()
}
