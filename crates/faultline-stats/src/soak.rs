//! Failure rates with exact intervals, and the arithmetic of soak runs.
//!
//! This module owns two questions of the reproduction lab:
//!
//! - "how often does this configuration fail?": `k` failures in a total
//!   observed time `T` (all runs added up, failed runs up to their failure,
//!   clean runs up to their limit) give the rate `k / T` with the exact
//!   Garwood interval, and the MTTF `T / k` with the inverted interval
//!   ([`poisson_rate`]);
//! - "how long must a clean soak run before fixed means fixed?"
//!   ([`soak_time`], [`soak_runs`], [`soak_confidence`] and their
//!   `_from_baseline` versions).
//!
//! Model, for both: failures of a configuration form a Poisson process (the
//! time to failure is exponential, memoryless), so only the total time
//! observed matters, not how it is split into runs. This is the model under
//! which "a clean run of length t" is evidence at all; a failure that needs
//! hours of warm-up before it can happen breaks it, and then one long run
//! is worth more than many short ones of the same total.
//!
//! Times are in any unit, the same throughout; rates come out per that
//! unit. All confidence statements are exact under the model, not
//! asymptotic.

use crate::CONFIDENCE;
use crate::chi2::{gamma_p, gamma_p_inv, gamma_q_inv};
use crate::survival::SurvivalError;

/// A failure rate from `failures` in `exposure`, with exact intervals.
///
/// The two-sided 95% interval is Garwood's (1936), the one R's
/// `poisson.test(k, T)` gives: `low = chi2.ppf(0.025, 2k) / (2T)` (0 when
/// `k = 0`) and `high = chi2.ppf(0.975, 2k + 2) / (2T)`. It is the
/// "central" interval: each side misses with probability at most 2.5%, so
/// with `k = 0` the upper limit is `-ln(0.025) / T = 3.689 / T`, not the
/// one-sided `-ln(0.05) / T = 2.996 / T` of the "rule of three"; that
/// one-sided 95% bound is given as well, as [`PoissonRate::high_one_sided`].
/// `f64::INFINITY` stands for an unbounded limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PoissonRate {
    /// Failures observed.
    pub failures: u64,
    /// Total time observed.
    pub exposure: f64,
    /// `failures / exposure`.
    pub rate: f64,
    /// Lower limit of the two-sided 95% interval of the rate.
    pub low: f64,
    /// Upper limit of the two-sided 95% interval of the rate.
    pub high: f64,
    /// One-sided 95% upper bound of the rate: `chi2.ppf(0.95, 2k + 2) / (2T)`
    /// (for `k = 0`, `-ln(0.05) / T`).
    pub high_one_sided: f64,
    /// Mean time to failure `exposure / failures` (`+inf` for no failures).
    pub mttf: f64,
    /// Lower limit of the MTTF's 95% interval: `1 / high`.
    pub mttf_low: f64,
    /// Upper limit of the MTTF's 95% interval: `1 / low` (`+inf` for no
    /// failures).
    pub mttf_high: f64,
    /// One-sided 95% lower bound of the MTTF: `1 / high_one_sided`.
    pub mttf_low_one_sided: f64,
}

/// Exact rate and MTTF of `failures` in total time `exposure` (see
/// [`PoissonRate`] for the intervals).
///
/// Errors: [`SurvivalError::InvalidExposure`] when `exposure` is not finite
/// and positive (no time observed means no rate at all; the caller shows
/// that rather than an interval `[0, inf]`).
pub fn poisson_rate(failures: u64, exposure: f64) -> Result<PoissonRate, SurvivalError> {
    if !(exposure.is_finite() && exposure > 0.0) {
        return Err(SurvivalError::InvalidExposure(exposure));
    }
    let k = failures as f64;
    let alpha = (1.0 - CONFIDENCE) / 2.0;
    // Quantiles of the expected count (gamma scale: chi2 / 2).
    let count_low = if failures == 0 {
        0.0
    } else {
        gamma_p_inv(k, alpha)
    };
    let count_high = gamma_q_inv(k + 1.0, alpha);
    let count_one_sided = gamma_q_inv(k + 1.0, 1.0 - CONFIDENCE);
    Ok(PoissonRate {
        failures,
        exposure,
        rate: k / exposure,
        low: count_low / exposure,
        high: count_high / exposure,
        high_one_sided: count_one_sided / exposure,
        mttf: exposure / k,
        mttf_low: exposure / count_high,
        mttf_high: exposure / count_low,
        mttf_low_one_sided: exposure / count_one_sided,
    })
}

fn check_mttf(mttf: f64) -> Result<f64, SurvivalError> {
    if mttf.is_finite() && mttf > 0.0 {
        Ok(mttf)
    } else {
        Err(SurvivalError::InvalidDuration(mttf))
    }
}

fn check_confidence(c: f64) -> Result<f64, SurvivalError> {
    if (0.0..1.0).contains(&c) {
        Ok(c)
    } else {
        Err(SurvivalError::InvalidProbability(c))
    }
}

/// Total failure-free soak time needed to claim "fixed" at `confidence`,
/// against a configuration that fails with mean time to failure `mttf`.
///
/// Model: if the configuration were still broken, failures would come as a
/// Poisson process of rate `1 / mttf`. Soaking for total time `T` and seeing
/// at most `failures_allowed` failures must be unlikely for it:
/// `P(N(T) <= k) = 1 - confidence` with `N(T) ~ Poisson(T / mttf)`, so
/// `T = mttf * chi2.ppf(confidence, 2k + 2) / 2`. With `k = 0` this is
/// `T = mttf * -ln(1 - confidence)` (3.0 MTTFs for 95%, 4.6 for 99%); each
/// failure allowed (or already seen) adds time. Because the process is
/// memoryless, `T` may be split over several runs ([`soak_runs`]).
///
/// `confidence = 0` gives 0. Errors: `mttf` not finite and positive
/// ([`SurvivalError::InvalidDuration`]); `confidence` outside `[0, 1)`
/// ([`SurvivalError::InvalidProbability`]: 1 would need infinite time).
pub fn soak_time(mttf: f64, confidence: f64, failures_allowed: u64) -> Result<f64, SurvivalError> {
    let mttf = check_mttf(mttf)?;
    let c = check_confidence(confidence)?;
    let count = if failures_allowed == 0 {
        // -ln(1 - c), exact for small c.
        -(-c).ln_1p()
    } else {
        gamma_p_inv(failures_allowed as f64 + 1.0, c)
    };
    Ok(mttf * count)
}

/// Number of runs of length `run_length` that make up a soak of total time
/// `total` (from [`soak_time`]): `ceil(total / run_length)`, where a ratio
/// within a few ulps above an integer counts as that integer (rounding, not
/// a real shortfall). Runs that end clean count in full; under the model
/// (see the module doc) this is the same evidence as one long run.
///
/// `total = 0` gives 0 runs. Errors ([`SurvivalError::InvalidDuration`]):
/// `total` negative, NaN or infinite; `run_length` not finite and positive.
/// A count beyond `u64::MAX` saturates.
pub fn soak_runs(total: f64, run_length: f64) -> Result<u64, SurvivalError> {
    if !(total.is_finite() && total >= 0.0) {
        return Err(SurvivalError::InvalidDuration(total));
    }
    if !(run_length.is_finite() && run_length > 0.0) {
        return Err(SurvivalError::InvalidDuration(run_length));
    }
    let ratio = total / run_length;
    // `as` saturates at u64::MAX (and maps +inf there: a ratio that
    // overflowed because run_length is tiny).
    Ok((ratio * (1.0 - 4.0 * f64::EPSILON)).ceil() as u64)
}

/// Confidence bought so far by a soak that has run for total time `elapsed`
/// with `failures_seen` failures, against a configuration with mean time to
/// failure `mttf`: the probability that the still-broken configuration
/// would have failed more often than that, `P(N(elapsed) > k)` with
/// `N ~ Poisson(elapsed / mttf)`. With no failures this is
/// `1 - exp(-elapsed / mttf)`. The inverse of [`soak_time`].
///
/// `elapsed = 0` gives 0. Errors ([`SurvivalError::InvalidDuration`]):
/// `mttf` not finite and positive; `elapsed` negative, NaN or infinite.
pub fn soak_confidence(mttf: f64, elapsed: f64, failures_seen: u64) -> Result<f64, SurvivalError> {
    let mttf = check_mttf(mttf)?;
    if !(elapsed.is_finite() && elapsed >= 0.0) {
        return Err(SurvivalError::InvalidDuration(elapsed));
    }
    let mean = elapsed / mttf;
    Ok(if failures_seen == 0 {
        -(-mean).exp_m1()
    } else {
        gamma_p(failures_seen as f64 + 1.0, mean)
    })
}

/// The MTTF a soak against an experiment's baseline should assume: the
/// upper limit of the baseline MTTF's two-sided 95% interval, given its
/// `failures` in total time `exposure` ([`PoissonRate::mttf_high`],
/// `2T / chi2.ppf(0.025, 2k)`).
///
/// Why the upper limit: the baseline's MTTF is itself an estimate, and the
/// longer the true MTTF, the longer a clean soak must be before it proves
/// anything. Planning with the top of the interval keeps the soak long
/// enough unless the baseline happened to fail unusually early (a 2.5%
/// chance), so the claim "fixed at confidence c" made with it errs with
/// probability at most `(1 - c) + 0.025` (a union bound; conservative, not
/// exact). The exact alternative would be a test of the two rates against
/// each other ([`poisson_rate_ratio`](crate::poisson_rate_ratio)).
///
/// Errors: [`SurvivalError::InvalidExposure`];
/// [`SurvivalError::BaselineNeverFailed`] for `failures = 0`, where the
/// upper limit is infinite.
pub fn baseline_mttf_upper(failures: u64, exposure: f64) -> Result<f64, SurvivalError> {
    let rate = poisson_rate(failures, exposure)?;
    if failures == 0 {
        return Err(SurvivalError::BaselineNeverFailed);
    }
    Ok(rate.mttf_high)
}

/// [`soak_time`] against a baseline observed with `baseline_failures` in
/// `baseline_exposure`, assuming its MTTF is [`baseline_mttf_upper`]
/// (see there for what this guarantees). Errors as both.
pub fn soak_time_from_baseline(
    baseline_failures: u64,
    baseline_exposure: f64,
    confidence: f64,
    failures_allowed: u64,
) -> Result<f64, SurvivalError> {
    let mttf = baseline_mttf_upper(baseline_failures, baseline_exposure)?;
    soak_time(mttf, confidence, failures_allowed)
}

/// [`soak_confidence`] against a baseline, assuming its MTTF is
/// [`baseline_mttf_upper`]: a conservative figure for the confidence bought
/// so far. Errors as both.
pub fn soak_confidence_from_baseline(
    baseline_failures: u64,
    baseline_exposure: f64,
    elapsed: f64,
    failures_seen: u64,
) -> Result<f64, SurvivalError> {
    let mttf = baseline_mttf_upper(baseline_failures, baseline_exposure)?;
    soak_confidence(mttf, elapsed, failures_seen)
}
