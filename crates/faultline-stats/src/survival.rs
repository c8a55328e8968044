//! Time to failure with right censoring: the Kaplan–Meier estimator and the
//! k-sample log-rank test.
//!
//! This module owns the survival side of the reproduction lab: each run of
//! a configuration ends either with a failure at some time or clean at its
//! time limit (right-censored: "it lasted at least this long"). The exact
//! Poisson rate and the soak arithmetic live in `soak.rs`, the chi-square
//! distribution in `chi2.rs`; [`SurvivalError`], the error of all three, is
//! here.
//!
//! Input rule, shared by every function that takes observations: a time
//! must be finite and `>= 0` (0 is a run that failed or was stopped at
//! once). NaN, negative and infinite times are rejected with
//! [`SurvivalError::InvalidTime`] naming the first bad one, rather than
//! dropped or clamped: they mean the lab's records are wrong, and a curve
//! that silently left runs out would hide that.
//!
//! Ties: failures at a time come before censorings at the same time, so a
//! run stopped clean at `t` was at risk of the failures at `t` (the
//! convention of R's `survival`, lifelines and scipy).

use std::fmt;

use crate::chi2::gamma_q;

/// `qnorm(0.975)` (R 4.2.2, 17 digits): the normal quantile of the two-sided
/// [`CONFIDENCE`](crate::CONFIDENCE) intervals of this module.
const Z_975: f64 = 1.959_963_984_540_054;

/// How close to 1/2 counts as 1/2 when reading a median off a curve, as R's
/// `survfit` (`sqrt(.Machine$double.eps)`): a product like `3/4 * 2/3` may
/// land an ulp above 0.5.
const MEDIAN_TOLERANCE: f64 = 1.490_116_119_384_765_6e-8;

/// Why a survival, rate or soak function refused its input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SurvivalError {
    /// An observation's time is NaN, negative or infinite. `group` is the
    /// group's index for the log-rank test and 0 for a single sample;
    /// `index` is the observation's position in its group.
    InvalidTime {
        group: usize,
        index: usize,
        time: f64,
    },
    /// An exposure (total observed time) that is not finite and positive.
    InvalidExposure(f64),
    /// A probability or confidence level outside its allowed range, or NaN.
    InvalidProbability(f64),
    /// Chi-square degrees of freedom that are not finite and positive.
    InvalidDegreesOfFreedom(f64),
    /// A duration (MTTF, run length, elapsed time, restriction time) that is
    /// NaN, negative, infinite, or zero where zero means nothing.
    InvalidDuration(f64),
    /// A quantity that must be a number is NaN.
    InvalidQuantity(f64),
    /// A baseline with no failures has no finite upper limit on its MTTF, so
    /// no finite soak can tell a fix from it.
    BaselineNeverFailed,
}

impl fmt::Display for SurvivalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            SurvivalError::InvalidTime { group, index, time } => write!(
                f,
                "time {time} of observation {index} (group {group}) is not a finite number >= 0"
            ),
            SurvivalError::InvalidExposure(t) => {
                write!(f, "exposure {t} is not a finite positive time")
            }
            SurvivalError::InvalidProbability(p) => {
                write!(f, "probability {p} is outside its allowed range")
            }
            SurvivalError::InvalidDegreesOfFreedom(df) => {
                write!(f, "degrees of freedom {df} is not a finite positive number")
            }
            SurvivalError::InvalidDuration(t) => {
                write!(f, "duration {t} is not a usable finite time")
            }
            SurvivalError::InvalidQuantity(x) => write!(f, "{x} is not a number"),
            SurvivalError::BaselineNeverFailed => write!(
                f,
                "the baseline never failed: its MTTF has no upper limit, so no finite soak \
                 can show a fix"
            ),
        }
    }
}

impl std::error::Error for SurvivalError {}

fn check_times(group: usize, data: &[(f64, bool)]) -> Result<(), SurvivalError> {
    match data
        .iter()
        .enumerate()
        .find(|(_, (t, _))| !(t.is_finite() && *t >= 0.0))
    {
        Some((index, &(time, _))) => Err(SurvivalError::InvalidTime { group, index, time }),
        None => Ok(()),
    }
}

/// Sorts by time, failures before censorings at the same time.
fn sorted(data: &[(f64, bool)]) -> Vec<(f64, bool)> {
    let mut v = data.to_vec();
    // Times are finite (checked), so total_cmp is the numeric order; `!failed`
    // puts `true` (failed) first among equal times.
    v.sort_by(|a, b| a.0.total_cmp(&b.0).then((!a.1).cmp(&!b.1)));
    v
}

/// One step of a Kaplan–Meier curve: a distinct failure time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KmStep {
    /// The failure time.
    pub time: f64,
    /// Runs at risk just before `time`: those with a time `>= time`
    /// (censored at `time` included, by the ties rule).
    pub at_risk: u64,
    /// Runs that failed at `time`.
    pub failures: u64,
    /// Runs censored since the previous step: at or after the previous
    /// step's time and before this one (for the first step: before it).
    /// So `at_risk` = previous `at_risk` - previous `failures` - `censored`.
    pub censored: u64,
    /// Kaplan–Meier survival just after `time`: the product of
    /// `1 - failures / at_risk` over this and earlier steps.
    pub survival: f64,
    /// Greenwood standard error of `survival`:
    /// `survival * sqrt(sum failures / (at_risk (at_risk - failures)))`
    /// (R's `summary(survfit(...))$std.err`). 0 once `survival` is 0, where
    /// the formula is `0 * inf`.
    pub std_err: f64,
    /// Lower limit of the pointwise 95% interval, log-log transform.
    pub low: f64,
    /// Upper limit of the pointwise 95% interval, log-log transform.
    pub high: f64,
}

/// A Kaplan–Meier survival curve with right censoring.
///
/// The curve is 1 before the first step and constant between steps. The
/// 95% pointwise intervals use the log-log transform, R's
/// `survfit(..., conf.type = "log-log")`: the interval of
/// `ln(-ln S)` is `ln(-ln S) -+ z se / ln S` with `se` Greenwood's standard
/// error of `ln S`, mapped back. It is chosen because it always lies inside
/// `(0, 1)` and covers well with the few runs a lab has, where the plain
/// `S -+ z se` interval spills past 0 and 1 and R's default (log) interval
/// must be cut at 1. Where the estimate is 0 (the last runs at risk all
/// failed) the transform does not exist (R reports NA); the interval given
/// there is `[0, high of the previous step]`, which still covers, since the
/// true curve cannot rise.
#[derive(Debug, Clone, PartialEq)]
pub struct KaplanMeier {
    /// Number of runs.
    pub n: u64,
    /// Number of runs that failed.
    pub failures: u64,
    /// Number of runs that ended clean (censored).
    pub censored: u64,
    /// One step per distinct failure time, in increasing time.
    pub steps: Vec<KmStep>,
    /// Runs censored at or after the last step's time (all censored runs
    /// when there is no step).
    pub censored_after: u64,
    /// The largest time observed (0 for no runs): the curve is known up to
    /// here.
    pub last_time: f64,
}

/// Kaplan–Meier estimate from `(time, failed)` pairs: `failed = false` is a
/// run that ended clean at `time` (right-censored).
///
/// Errors: [`SurvivalError::InvalidTime`] for a time that is NaN, negative
/// or infinite. Edge cases: no runs, or no failures (all censored), give a
/// curve with no steps, survival 1 throughout and no median; one run that
/// failed gives one step to 0.
pub fn kaplan_meier(data: &[(f64, bool)]) -> Result<KaplanMeier, SurvivalError> {
    check_times(0, data)?;
    let v = sorted(data);
    let n = v.len() as u64;
    let failures = v.iter().filter(|o| o.1).count() as u64;
    let last_time = v.last().map_or(0.0, |o| o.0);

    let mut steps = Vec::new();
    let mut remaining = n;
    let mut pending_censored = 0u64;
    let mut survival = 1.0_f64;
    // ln S kept as a sum of ln(1 - d/n), exact where S is near 1 and the
    // product has rounded; and Greenwood's sum d / (n (n - d)).
    let mut ln_survival = 0.0_f64;
    let mut greenwood = 0.0_f64;
    let mut prev_high = 1.0_f64;
    let mut i = 0;
    while i < v.len() {
        let t = v[i].0;
        let (mut d, mut c) = (0u64, 0u64);
        while i < v.len() && v[i].0 == t {
            if v[i].1 {
                d += 1
            } else {
                c += 1
            }
            i += 1;
        }
        if d == 0 {
            pending_censored += c;
            remaining -= c;
            continue;
        }
        let at_risk = remaining;
        let (nf, df) = (at_risk as f64, d as f64);
        // (n - d) / n rather than 1 - d / n: one rounding, as R's cumprod.
        survival *= (nf - df) / nf;
        let (std_err, low, high) = if d == at_risk {
            survival = 0.0;
            (0.0, 0.0, prev_high)
        } else {
            ln_survival += (-df / nf).ln_1p();
            greenwood += df / (nf * (nf - df));
            let se_log = greenwood.sqrt();
            let (low, high) = log_log_interval(ln_survival, se_log);
            (survival * se_log, low, high)
        };
        steps.push(KmStep {
            time: t,
            at_risk,
            failures: d,
            censored: pending_censored,
            survival,
            std_err,
            low,
            high,
        });
        prev_high = high;
        pending_censored = c;
        remaining -= d + c;
    }
    Ok(KaplanMeier {
        n,
        failures,
        censored: n - failures,
        steps,
        censored_after: pending_censored,
        last_time,
    })
}

/// The log-log interval of R's `survfit_confint` given `ln S < 0` and the
/// standard error of `ln S`.
fn log_log_interval(ln_s: f64, se_log: f64) -> (f64, f64) {
    let center = (-ln_s).ln(); // ln(-ln S)
    let half = Z_975 * se_log / ln_s; // negative
    let low = (-(center - half).exp()).exp();
    let high = (-(center + half).exp()).exp();
    (low, high)
}

/// Restricted mean survival time: the area under the curve up to `tau`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RestrictedMean {
    /// The restriction time.
    pub tau: f64,
    /// `integral_0^tau S(t) dt`: the mean time to failure counting only the
    /// first `tau` of every run.
    pub mean: f64,
    /// Its standard error as R's `print(survfit, rmean = tau)`:
    /// `sqrt(sum_j A_j^2 d_j / (n_j (n_j - d_j)))`, `A_j` the area from step
    /// `j` to `tau` (steps where `n_j = d_j` add 0).
    pub std_err: f64,
}

impl KaplanMeier {
    /// Survival at time `t`: 1 before the first step, the last step's value
    /// after it (beyond `last_time` this is an extrapolation). `None` when
    /// `t` is NaN.
    pub fn survival_at(&self, t: f64) -> Option<f64> {
        if t.is_nan() {
            return None;
        }
        let after = self.steps.partition_point(|s| s.time <= t);
        Some(if after == 0 {
            1.0
        } else {
            self.steps[after - 1].survival
        })
    }

    /// Median time to failure: the first step time where survival is at most
    /// 1/2 (within 1.5e-8, R's tolerance for rounding); `None` when the curve never gets
    /// there (fewer than half the runs failed, counting censoring).
    ///
    /// R's `survfit` differs in one case: when the curve is exactly 1/2 on a
    /// stretch, R takes the midpoint between its start and the next step;
    /// this (like lifelines) takes the start.
    pub fn median(&self) -> Option<f64> {
        first_at_most_half(self.steps.iter().map(|s| (s.time, s.survival)))
    }

    /// 95% confidence limits of the median, read off the log-log band as R's
    /// `survfit` does (Brookmeyer–Crowley style): the lower limit is the
    /// first time the band's lower edge is at most 1/2, the upper limit the
    /// first time its upper edge is. `None` for a limit the band never
    /// reaches (unbounded, R's NA). Steps where the estimate is 0 are
    /// skipped, as R has NA there.
    pub fn median_interval(&self) -> (Option<f64>, Option<f64>) {
        let usable = || self.steps.iter().filter(|s| s.survival > 0.0);
        (
            first_at_most_half(usable().map(|s| (s.time, s.low))),
            first_at_most_half(usable().map(|s| (s.time, s.high))),
        )
    }

    /// Restricted mean survival time up to `tau` (finite, `>= 0`), with the
    /// curve held at its last value beyond the last step. Errors:
    /// [`SurvivalError::InvalidDuration`] for a `tau` that is NaN, negative
    /// or infinite. [`KaplanMeier::last_time`] is the usual choice of `tau`
    /// (R's `rmean = "common"` for one curve).
    pub fn restricted_mean(&self, tau: f64) -> Result<RestrictedMean, SurvivalError> {
        if !(tau.is_finite() && tau >= 0.0) {
            return Err(SurvivalError::InvalidDuration(tau));
        }
        let steps: Vec<&KmStep> = self.steps.iter().filter(|s| s.time <= tau).collect();
        // Area of each stretch [t_j, t_{j+1}) at S(t_j), and before the first.
        let mut mean = steps.first().map_or(tau, |s| s.time);
        let mut tail_areas = vec![0.0; steps.len()];
        for j in (0..steps.len()).rev() {
            let end = steps.get(j + 1).map_or(tau, |s| s.time);
            let area = steps[j].survival * (end - steps[j].time);
            tail_areas[j] = area + tail_areas.get(j + 1).copied().unwrap_or(0.0);
        }
        mean += tail_areas.first().copied().unwrap_or(0.0);
        let var: f64 = steps
            .iter()
            .zip(&tail_areas)
            .filter(|(s, _)| s.at_risk > s.failures)
            .map(|(s, a)| {
                let (n, d) = (s.at_risk as f64, s.failures as f64);
                a * a * d / (n * (n - d))
            })
            .sum();
        Ok(RestrictedMean {
            tau,
            mean,
            std_err: var.sqrt(),
        })
    }
}

fn first_at_most_half(points: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    points
        .filter(|&(_, s)| s <= 0.5 + MEDIAN_TOLERANCE)
        .map(|(t, _)| t)
        .next()
}

/// The k-sample log-rank test.
#[derive(Debug, Clone, PartialEq)]
pub struct LogRank {
    /// Chi-square statistic `(O - E)' V^- (O - E)`.
    pub statistic: f64,
    /// Degrees of freedom: the rank of `V`, which is the number of groups
    /// with expected failures `> 0`, minus 1, whenever R's `survdiff` gives
    /// an answer at all.
    pub df: u64,
    /// `P(chi2_df > statistic)`; 1 when `df = 0`.
    pub p_value: f64,
    /// Failures observed in each group, in input order.
    pub observed: Vec<u64>,
    /// Failures expected in each group if all groups shared one hazard.
    pub expected: Vec<f64>,
    /// Covariance matrix of `O - E` (rows in input order), R's `$var`.
    pub variance: Vec<Vec<f64>>,
}

/// Relative size below which a pivot of `V` counts as 0 (a direction in
/// which `O - E` cannot vary).
const PIVOT_TOLERANCE: f64 = 1e-10;

/// Log-rank test that all groups share one survival curve (R's
/// `survdiff(Surv(time, status) ~ group)`; for two groups scipy's
/// `stats.logrank`, whose signed statistic is the square root of this one).
///
/// At each distinct failure time with `n` runs at risk, `n_g` of them in
/// group `g`, and `d` failures, group `g` expects `d n_g / n` of them; the
/// hypergeometric covariance is `d (n - d) / (n - 1) * n_g / n * (δ_gh -
/// n_h / n)`. The statistic uses the groups with expected failures > 0
/// less one (as R) and, where R's `solve` would fail on a singular `V`, a
/// generalised inverse (pivoted LDL', pivots below 1e-10 of the largest
/// dropped), with `df` the rank.
///
/// Errors: [`SurvivalError::InvalidTime`] naming group and position. Edge
/// cases: fewer than two groups, empty groups only, or no failures at all:
/// statistic 0, `df` 0, p-value 1. Empty groups are kept in the output
/// with 0 observed and 0 expected, as R does for an unused level.
pub fn logrank(groups: &[&[(f64, bool)]]) -> Result<LogRank, SurvivalError> {
    for (g, data) in groups.iter().enumerate() {
        check_times(g, data)?;
    }
    let k = groups.len();
    let mut all: Vec<(f64, bool, usize)> = groups
        .iter()
        .enumerate()
        .flat_map(|(g, data)| data.iter().map(move |&(t, f)| (t, f, g)))
        .collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));

    let mut at_risk: Vec<u64> = groups.iter().map(|d| d.len() as u64).collect();
    let mut total: u64 = at_risk.iter().sum();
    let mut observed = vec![0u64; k];
    let mut expected = vec![0.0_f64; k];
    let mut variance = vec![vec![0.0_f64; k]; k];
    let mut deaths = vec![0u64; k];
    let mut leaving = vec![0u64; k];
    let mut i = 0;
    while i < all.len() {
        let t = all[i].0;
        deaths.iter_mut().for_each(|x| *x = 0);
        leaving.iter_mut().for_each(|x| *x = 0);
        let mut d = 0u64;
        while i < all.len() && all[i].0 == t {
            let g = all[i].2;
            if all[i].1 {
                deaths[g] += 1;
                d += 1;
            }
            leaving[g] += 1;
            i += 1;
        }
        if d > 0 {
            let n = total as f64;
            let df = d as f64;
            // d (n - d) / (n - 1); 0 when n = 1 (then d = 1 = n).
            let spread = if total > 1 {
                df * (n - df) / (n - 1.0)
            } else {
                0.0
            };
            for g in 0..k {
                observed[g] += deaths[g];
                let share = at_risk[g] as f64 / n;
                expected[g] += df * share;
                if share > 0.0 && spread > 0.0 {
                    for h in 0..k {
                        let other = at_risk[h] as f64 / n;
                        let delta = if g == h { 1.0 } else { 0.0 };
                        variance[g][h] += spread * share * (delta - other);
                    }
                }
            }
        }
        for g in 0..k {
            at_risk[g] -= leaving[g];
        }
        total -= leaving.iter().sum::<u64>();
    }

    // As R: keep the groups expecting failures, drop the first of them.
    let kept: Vec<usize> = (0..k).filter(|&g| expected[g] > 0.0).skip(1).collect();
    let (statistic, df) = quadratic_form_ginv(
        &kept
            .iter()
            .map(|&g| kept.iter().map(|&h| variance[g][h]).collect())
            .collect::<Vec<Vec<f64>>>(),
        &kept
            .iter()
            .map(|&g| observed[g] as f64 - expected[g])
            .collect::<Vec<f64>>(),
    );
    let p_value = if df == 0 {
        1.0
    } else {
        gamma_q(df as f64 / 2.0, statistic / 2.0)
    };
    Ok(LogRank {
        statistic: if df == 0 { 0.0 } else { statistic },
        df,
        p_value,
        observed,
        expected,
        variance,
    })
}

/// `b' V^- b` and the rank of `V` for a symmetric positive semi-definite
/// `V`, by LDL' without row exchanges, skipping pivots below
/// [`PIVOT_TOLERANCE`] of the largest diagonal (their rows of `L` are
/// zeroed, which makes the result a generalised inverse's quadratic form).
fn quadratic_form_ginv(v: &[Vec<f64>], b: &[f64]) -> (f64, u64) {
    let m = b.len();
    let mut a: Vec<Vec<f64>> = v.to_vec();
    let scale = (0..m).map(|i| a[i][i]).fold(0.0_f64, f64::max);
    let threshold = PIVOT_TOLERANCE * scale;
    let mut pivots = vec![0.0_f64; m];
    let mut rank = 0u64;
    for i in 0..m {
        let piv = a[i][i];
        // Entries are finite (sums of finite terms), so no NaN pivot.
        if piv <= threshold {
            for row in a.iter_mut().skip(i + 1) {
                row[i] = 0.0;
            }
            continue;
        }
        pivots[i] = piv;
        rank += 1;
        for j in i + 1..m {
            let t = a[j][i] / piv;
            // Rows k >= j of column j: a[k][j] -= a[k][i] * t.
            for row in a.iter_mut().skip(j) {
                row[j] -= row[i] * t;
            }
        }
        for row in a.iter_mut().skip(i + 1) {
            row[i] /= piv;
        }
    }
    // Forward substitution L y = b, then sum y_i^2 / D_i.
    let mut y = b.to_vec();
    let mut q = 0.0;
    for i in 0..m {
        for j in 0..i {
            y[i] -= a[i][j] * y[j];
        }
        if pivots[i] > 0.0 {
            q += y[i] * y[i] / pivots[i];
        }
    }
    (q, rank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ginv_quadratic_form() {
        // Full rank 2x2: b' V^-1 b by hand. V = [[2, 1], [1, 2]], b = (1, 1):
        // V^-1 = [[2, -1], [-1, 2]] / 3, so 2/3.
        let (q, r) = quadratic_form_ginv(&[vec![2.0, 1.0], vec![1.0, 2.0]], &[1.0, 1.0]);
        assert!((q - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(r, 2);
        // Rank 1: V = [[1, 1], [1, 1]], b = (2, 2) in its range: b = V (1, 1),
        // b' V^- b = 4.
        let (q, r) = quadratic_form_ginv(&[vec![1.0, 1.0], vec![1.0, 1.0]], &[2.0, 2.0]);
        assert!((q - 4.0).abs() < 1e-15);
        assert_eq!(r, 1);
        let (q, r) = quadratic_form_ginv(&[], &[]);
        assert_eq!((q, r), (0.0, 0));
    }
}
