//! Statistics for the small numbers that real incidents have.
//!
//! This crate owns the numerical side of faultline's analysis and nothing
//! else: pure functions, no I/O, no clocks, no global state, no dependencies.
//! It provides
//!
//! - machine-level enrichment of an attribute value among crashed machines:
//!   one-sided and two-sided Fisher exact tests ([`fisher_greater`],
//!   [`fisher_less`], [`fisher_two_sided`]) and the conditional maximum
//!   likelihood odds ratio with its exact confidence interval
//!   ([`odds_ratio`]);
//! - Benjamini–Hochberg q-values across all the tests of a case
//!   ([`benjamini_hochberg`]);
//! - crashes per unit of exposure: the exact conditional Poisson rate-ratio
//!   test with a Clopper–Pearson based interval ([`poisson_rate_ratio`]);
//! - accurate upper tails of the binomial and Poisson distributions
//!   ([`binomial_tail_ge`], [`poisson_tail_ge`], and the lower tails);
//! - "some cell got at least k" under a weighted multinomial null, exact up to
//!   [`MAX_TAIL_EXACT_N`] items and seeded Monte Carlo above
//!   ([`max_count_tail`]); this is both the "any host carrying that many
//!   crashes" test and the max-bin test for hours and weekdays, next to the
//!   naive figure people compute by hand ([`naive_same_host`]);
//! - the Rayleigh test for clustering in time of day ([`rayleigh`]);
//! - a small, seeded, platform-independent random number generator and the
//!   Monte Carlo tail estimators built on it ([`Rng`], [`monte_carlo_tail`]
//!   = [`monte_carlo_tail_le`], and [`monte_carlo_tail_ge`]);
//! - time to failure with right censoring, for the reproduction lab: the
//!   Kaplan–Meier curve with Greenwood errors and log-log intervals
//!   ([`kaplan_meier`]) and the k-sample log-rank test ([`logrank`]);
//! - a failure rate and MTTF with the exact Garwood interval
//!   ([`poisson_rate`]) and the soak arithmetic under exponential failures
//!   ([`soak_time`], [`soak_runs`], [`soak_confidence`] and their
//!   `_from_baseline` versions);
//! - the chi-square distribution those rest on ([`chi2_cdf`], [`chi2_sf`],
//!   [`chi2_quantile`], [`chi2_quantile_upper`]).
//!
//! The survival, rate and soak functions reject unusable input (a NaN,
//! negative or infinite time, a probability out of range) with a
//! [`SurvivalError`] instead of answering: their input is measured lab data,
//! and a bad record is a bug to show, not a case to absorb.
//!
//! Conventions shared by every function:
//!
//! - Results are never NaN. Inputs that carry no information (an empty
//!   table, no events, zero exposure) give the *uninformative* answer:
//!   p-value 1, point estimate 1 (no association), interval `[0, +inf]`.
//!   Each function documents its own edge cases.
//! - Infinity is `f64::INFINITY` (an odds ratio of a table with a zero cell,
//!   the open end of an interval). JSON has no infinity; encoding it (as
//!   `null`, a string, ...) is the caller's business.
//! - p-values are accurate in relative terms deep into the upper tail, but a
//!   probability smaller than the smallest positive `f64` (about 1e-308)
//!   comes back as 0.
//! - Reference values for the tests come from R, scipy, mpmath and brute
//!   force enumeration; `reference/` in this crate regenerates them.

mod chi2;
mod circular;
mod fisher;
mod maxtail;
mod multiple;
mod rate;
mod rng;
mod root;
mod soak;
mod special;
mod survival;
mod tails;

pub use chi2::{chi2_cdf, chi2_quantile, chi2_quantile_upper, chi2_sf};
pub use circular::{Rayleigh, hours_to_angles, rayleigh};
pub use fisher::{OddsRatio, fisher_greater, fisher_less, fisher_two_sided, odds_ratio};
pub use maxtail::{
    MAX_TAIL_DRAWS, MAX_TAIL_EXACT_N, MAX_TAIL_SEED, MaxTail, UNION_BOUND_ENOUGH, max_count_tail,
    max_count_tail_monte_carlo, max_count_tail_union_bound, max_count_tail_with_draws,
    naive_same_host,
};
pub use multiple::benjamini_hochberg;
pub use rate::{RateRatio, poisson_rate_ratio};
pub use rng::{McTail, Rng, monte_carlo_tail, monte_carlo_tail_ge, monte_carlo_tail_le};
pub use soak::{
    PoissonRate, baseline_mttf_upper, poisson_rate, soak_confidence, soak_confidence_from_baseline,
    soak_runs, soak_time, soak_time_from_baseline,
};
pub use survival::{
    KaplanMeier, KmStep, LogRank, RestrictedMean, SurvivalError, kaplan_meier, logrank,
};
pub use tails::{binomial_tail_ge, binomial_tail_le, poisson_tail_ge, poisson_tail_le};

/// Two-sided confidence level of every interval in this crate (95%).
pub const CONFIDENCE: f64 = 0.95;

/// Relative tolerance used by the two-sided exact tests when deciding which
/// outcomes are "as or less likely" than the observed one; R's `fisher.test`
/// and `binom.test` use the same, so that ties broken by rounding still count.
pub const TWO_SIDED_REL_TOL: f64 = 1e-7;
