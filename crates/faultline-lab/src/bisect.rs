//! `faultline lab bisect`: which of the factors that separate a good
//! configuration from a bad one makes the bad one fail.
//!
//! This module owns the statistics of the search and nothing else: the model
//! below, the choice of the next run, the stopping rule, and a seeded
//! simulator for tests and for `--simulate` dry runs. It starts no guest and
//! reads no file; the caller runs what [`Planner::next_run`] proposes and
//! feeds the outcome back with [`Planner::observe`].
//!
//! # The model, in plain words
//!
//! The GOOD configuration never failed; the BAD one does (say a rare I/O race
//! that shows within an hour). They differ in k *factors* (disk format, swap,
//! I/O scheduler, a sysctl...). A *run* boots a guest in a mixed
//! configuration, each factor at its good or its bad level, and lasts until
//! the guest fails or a time limit T passes. A run that stays clean for T is
//! evidence that the configuration is good, not proof: a rare failure can
//! simply not have happened yet.
//!
//! The planner keeps a belief over *hypotheses* about the cause:
//!
//! - "factor i alone": a configuration fails at the bad rate λ when factor i
//!   is at its bad level, and at the small background rate β·λ otherwise
//!   (β = [`BisectOptions::background`], default 0.01, so a "good"
//!   configuration may still fail, just a hundred times less often);
//! - "factors i and j together" (only when k ≤ 8, for every pair): the rate
//!   is λ only when both are bad; these interactions start less likely, the
//!   pairs sharing [`BisectOptions::pair_prior`] (default 0.2) of the belief;
//! - "none of the factors" ([`BisectOptions::none_prior`], default 0.1):
//!   every configuration, the good one included, fails at the same rate λ;
//!   the difference seen so far was luck or lies outside the factors (host,
//!   image, load). It is there so that a good configuration that fails is
//!   not forced onto some factor, and it is ruled out by clean runs.
//!
//! The single factors share the rest of the belief equally (0.7 by default,
//! 0.9 above 8 factors). A cause needing three factors together, or a pair
//! among more than 8 factors, is outside the model: no hypothesis then
//! explains the runs, none reaches the confidence, and the search ends on
//! its budget with a weak best guess — the sign to split the factors by
//! hand.
//!
//! The bad rate λ is unknown too. The planner tries 40 values spread evenly
//! on a log scale from "one failure in 50 time limits" to "20 failures per
//! time limit", equally likely at first, or concentrated around the bad
//! configuration's MTTF when the administrator gives one
//! ([`BisectOptions::bad_mttf_s`]; still within a factor of about 3, and the
//! range widened to hold ten times either side of it). Every
//! run updates the belief over (hypothesis, λ) together by Bayes' rule: a
//! failure after t seconds in a configuration failing at rate r has
//! likelihood r·e^(−r·t); a clean run of T seconds has likelihood e^(−r·T).
//! Runs may have different lengths, and runs of the pure good and pure bad
//! configurations count like any other.
//!
//! The next run is the mixed configuration that buys the most information
//! per hour: the expected drop in uncertainty about the hypothesis (entropy
//! in bits, over the two outcomes "fails within T" and "stays clean"),
//! divided by the expected length of the run (a run that fails early is
//! cheap). All 2^k configurations are considered up to k = 10; above that,
//! the pure ones, every one-factor change from either end, and the
//! configurations that put the currently most suspected factors at their bad
//! level. Ties go to the configuration with fewer bad factors, then to the
//! one whose bad factors come later in the list.
//!
//! The search stops when one hypothesis reaches the confidence
//! ([`BisectOptions::confidence`], default 0.95), or when the budget of
//! hours or runs is spent (every observed run counts, earlier runs of the
//! pure configurations included); then the best guess and its probability
//! are the answer, not a verdict.

use faultline_stats::Rng;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The most factors a bisection takes: beyond that the runs needed to tell
/// them apart make a lab search impractical anyway.
pub const MAX_FACTORS: usize = 16;

/// Up to this many factors every pair is a hypothesis (28 pairs at 8); more
/// would swamp the single factors and the planner's arithmetic.
pub const MAX_PAIR_FACTORS: usize = 8;

/// Up to this many factors every one of the 2^k configurations is scored.
pub const MAX_EXHAUSTIVE_FACTORS: usize = 10;

/// Points of the grid over the bad rate λ.
const GRID_POINTS: usize = 40;

/// The grid spans λ·T from 1/50 to 20: slower than one failure in 50 time
/// limits is not worth bisecting with this limit, and faster than 20 per
/// limit every run tells the same.
const GRID_LOW_PER_LIMIT: f64 = 1.0 / 50.0;
const GRID_HIGH_PER_LIMIT: f64 = 20.0;

/// Spread (natural log) of the prior around a given MTTF: ln 3, so a guessed
/// MTTF off by a factor of 3 is one standard deviation, not a contradiction.
const MTTF_PRIOR_SIGMA: f64 = 1.098_612_288_668_109_7;

/// One thing that differs between the good and the bad configuration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    pub name: String,
    /// Its value in the good configuration, e.g. "raw".
    pub good: String,
    /// Its value in the bad configuration, e.g. "qcow2".
    pub bad: String,
}

/// The knobs of the search; see the module documentation for their meaning.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BisectOptions {
    /// Stop when one hypothesis has at least this probability; in (0, 1).
    pub confidence: f64,
    /// Rate of a configuration the hypothesis calls good, as a fraction of
    /// the bad rate; in (0, 1).
    pub background: f64,
    /// Prior probability shared by all pair hypotheses (when k ≤ 8); [0, 1).
    pub pair_prior: f64,
    /// Prior probability of "none of the factors"; [0, 1), and
    /// `pair_prior + none_prior < 1`.
    pub none_prior: f64,
    /// The administrator's estimate of the bad configuration's MTTF.
    pub bad_mttf_s: Option<f64>,
    /// Length of the proposed runs when they do not fail.
    pub time_limit_s: f64,
    /// Stop after this many hours of runs (all observed runs count).
    pub budget_hours: Option<f64>,
    /// Stop after this many runs (all observed runs count).
    pub budget_runs: Option<usize>,
}

impl Default for BisectOptions {
    fn default() -> Self {
        BisectOptions {
            confidence: 0.95,
            background: 0.01,
            pair_prior: 0.2,
            none_prior: 0.1,
            bad_mttf_s: None,
            time_limit_s: 3600.0,
            budget_hours: None,
            budget_runs: None,
        }
    }
}

/// One finished run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// Per factor, in the planner's order: was it at its bad level?
    pub bad: Vec<bool>,
    /// Did the guest fail (at `time_s`), or stay clean for `time_s`?
    pub failed: bool,
    pub time_s: f64,
}

#[derive(Debug, Clone, PartialEq, Error)]
pub enum BisectError {
    #[error("bisect needs at least one factor")]
    NoFactors,
    #[error("bisect takes at most {max} factors, got {got}")]
    TooManyFactors { got: usize, max: usize },
    #[error("factor {index} has an empty name")]
    EmptyFactorName { index: usize },
    #[error("factor {0:?} is given twice")]
    DuplicateFactor(String),
    #[error("{name} = {value} is out of range: {expected}")]
    OptionOutOfRange {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    #[error("the run sets {got} factor levels, but there are {expected} factors")]
    WrongAssignmentLength { got: usize, expected: usize },
    #[error("run time {0} s is not a finite number >= 0")]
    BadRunTime(f64),
    #[error("the simulated culprit {index} is not a factor (there are {factors})")]
    BadCulprit { index: usize, factors: usize },
}

/// The belief in one hypothesis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HypothesisBelief {
    /// The factors that together cause the failures; empty for "none of the
    /// factors".
    pub factors: Vec<String>,
    /// For people: "swap", "swap & scheduler", "none of the factors".
    pub label: String,
    pub probability: f64,
}

/// The run the planner asks for next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Per factor: run it at its bad level?
    pub assignment: Vec<bool>,
    /// "name=value" for every factor, in order.
    pub levels: Vec<String>,
    /// Expected reduction of the uncertainty about the hypothesis, in bits.
    pub expected_gain_bits: f64,
    /// Expected length of the run (it may fail before the time limit).
    pub expected_hours: f64,
    /// Probability that it fails within the time limit, under the belief.
    pub failure_probability: f64,
    pub why: String,
}

/// The posterior of the bad configuration's MTTF (1/λ).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateEstimate {
    pub mean_mttf_s: f64,
    /// 90% credible interval.
    pub low_mttf_s: f64,
    pub high_mttf_s: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// One hypothesis reached the confidence.
    Decided,
    BudgetHours,
    BudgetRuns,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hypothesis {
    Single(usize),
    Pair(usize, usize),
    None,
}

impl Hypothesis {
    /// Does this hypothesis put a configuration at the bad rate?
    fn says_bad(self, bad: &[bool]) -> bool {
        match self {
            Hypothesis::Single(i) => bad[i],
            Hypothesis::Pair(i, j) => bad[i] && bad[j],
            Hypothesis::None => true,
        }
    }

    fn factors(self) -> Vec<usize> {
        match self {
            Hypothesis::Single(i) => vec![i],
            Hypothesis::Pair(i, j) => vec![i, j],
            Hypothesis::None => Vec::new(),
        }
    }
}

/// Log-likelihood of one run in a configuration failing at `rate` per
/// second: a failure at `time_s` has density rate·e^(−rate·time_s), a clean
/// run of `time_s` has probability e^(−rate·time_s).
pub fn log_likelihood(rate: f64, failed: bool, time_s: f64) -> f64 {
    if failed {
        rate.ln() - rate * time_s
    } else {
        -rate * time_s
    }
}

/// The bisection's belief and its choice of runs.
#[derive(Debug, Clone)]
pub struct Planner {
    factors: Vec<Factor>,
    opts: BisectOptions,
    hypotheses: Vec<Hypothesis>,
    /// Bad rates λ, per second.
    grid: Vec<f64>,
    /// Unnormalized log posterior, hypothesis-major: `[h * grid.len() + g]`.
    log_post: Vec<f64>,
    runs: usize,
    seconds: f64,
}

fn check_range(
    name: &'static str,
    value: f64,
    ok: bool,
    expected: &'static str,
) -> Result<(), BisectError> {
    // `ok` is computed with comparisons that are false for NaN.
    if ok {
        Ok(())
    } else {
        Err(BisectError::OptionOutOfRange {
            name,
            value,
            expected,
        })
    }
}

fn validate(factors: &[Factor], o: &BisectOptions) -> Result<(), BisectError> {
    if factors.is_empty() {
        return Err(BisectError::NoFactors);
    }
    if factors.len() > MAX_FACTORS {
        return Err(BisectError::TooManyFactors {
            got: factors.len(),
            max: MAX_FACTORS,
        });
    }
    for (index, f) in factors.iter().enumerate() {
        if f.name.trim().is_empty() {
            return Err(BisectError::EmptyFactorName { index });
        }
        if factors[..index].iter().any(|g| g.name == f.name) {
            return Err(BisectError::DuplicateFactor(f.name.clone()));
        }
    }
    let c = o.confidence;
    check_range("confidence", c, c > 0.0 && c < 1.0, "0 < confidence < 1")?;
    let b = o.background;
    check_range("background", b, b > 0.0 && b < 1.0, "0 < background < 1")?;
    let p = o.pair_prior;
    check_range(
        "pair_prior",
        p,
        (0.0..1.0).contains(&p),
        "0 <= pair_prior < 1",
    )?;
    let n = o.none_prior;
    check_range(
        "none_prior",
        n,
        (0.0..1.0).contains(&n),
        "0 <= none_prior < 1",
    )?;
    check_range(
        "pair_prior + none_prior",
        p + n,
        p + n < 1.0,
        "the single factors need some prior: pair_prior + none_prior < 1",
    )?;
    let t = o.time_limit_s;
    check_range(
        "time_limit_s",
        t,
        t.is_finite() && t > 0.0,
        "a finite time > 0",
    )?;
    if let Some(m) = o.bad_mttf_s {
        check_range(
            "bad_mttf_s",
            m,
            m.is_finite() && m > 0.0,
            "a finite time > 0",
        )?;
    }
    if let Some(h) = o.budget_hours {
        check_range(
            "budget_hours",
            h,
            h.is_finite() && h > 0.0,
            "a finite time > 0",
        )?;
    }
    Ok(())
}

fn log_sum_exp(xs: impl Iterator<Item = f64> + Clone) -> f64 {
    let m = xs.clone().fold(f64::NEG_INFINITY, f64::max);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + xs.map(|x| (x - m).exp()).sum::<f64>().ln()
}

/// Entropy in bits of a distribution given by non-negative weights summing
/// to `total`.
fn entropy_bits(weights: impl Iterator<Item = f64>, total: f64) -> f64 {
    if total <= 0.0 {
        return 0.0;
    }
    weights
        .filter(|&w| w > 0.0)
        .map(|w| {
            let p = w / total;
            -p * p.log2()
        })
        .sum()
}

/// Probability of failing within `t` and expected run length min(X, t) for
/// an exponential failure time X of rate `r`.
fn fail_and_duration(r: f64, t: f64) -> (f64, f64) {
    // -expm1 keeps precision when r·t is tiny (the background rates).
    let p = -(-r * t).exp_m1();
    (p, p / r)
}

fn hours_text(s: f64) -> String {
    let h = s / 3600.0;
    if h >= 1.0 {
        let n = format!("{h:.2}");
        format!("{}h", n.trim_end_matches('0').trim_end_matches('.'))
    } else if s >= 60.0 {
        format!("{:.0}min", s / 60.0)
    } else {
        format!("{:.0}s", s.max(1.0))
    }
}

impl Planner {
    /// A planner with no runs observed; `factors` in the order of every
    /// assignment.
    pub fn new(factors: Vec<Factor>, opts: BisectOptions) -> Result<Planner, BisectError> {
        validate(&factors, &opts)?;
        let k = factors.len();
        let mut hypotheses: Vec<Hypothesis> = (0..k).map(Hypothesis::Single).collect();
        if (2..=MAX_PAIR_FACTORS).contains(&k) {
            for i in 0..k {
                for j in i + 1..k {
                    hypotheses.push(Hypothesis::Pair(i, j));
                }
            }
        }
        hypotheses.push(Hypothesis::None);
        let pairs = hypotheses
            .iter()
            .filter(|h| matches!(h, Hypothesis::Pair(..)))
            .count();
        // Without pairs their share goes to the single factors.
        let pair_mass = if pairs > 0 { opts.pair_prior } else { 0.0 };
        let single_mass = 1.0 - pair_mass - opts.none_prior;

        let t = opts.time_limit_s;
        let mut lo = GRID_LOW_PER_LIMIT / t;
        let mut hi = GRID_HIGH_PER_LIMIT / t;
        if let Some(m) = opts.bad_mttf_s {
            // Keep the given MTTF well inside the grid, whatever T is.
            lo = lo.min(0.1 / m);
            hi = hi.max(10.0 / m);
        }
        let grid: Vec<f64> = (0..GRID_POINTS)
            .map(|g| {
                let x = g as f64 / (GRID_POINTS - 1) as f64;
                (lo.ln() + x * (hi.ln() - lo.ln())).exp()
            })
            .collect();
        let log_rate_prior: Vec<f64> = match opts.bad_mttf_s {
            None => vec![0.0; GRID_POINTS],
            Some(m) => {
                let centre = (1.0 / m).ln();
                grid.iter()
                    .map(|r| {
                        let z = (r.ln() - centre) / MTTF_PRIOR_SIGMA;
                        -0.5 * z * z
                    })
                    .collect()
            }
        };
        let mut log_post = Vec::with_capacity(hypotheses.len() * GRID_POINTS);
        for h in &hypotheses {
            let p = match h {
                Hypothesis::Single(_) => single_mass / k as f64,
                Hypothesis::Pair(..) => pair_mass / pairs as f64,
                Hypothesis::None => opts.none_prior,
            };
            // A zero prior stays -inf: that hypothesis is simply off.
            let lp = p.ln();
            log_post.extend(log_rate_prior.iter().map(|lr| lp + lr));
        }
        let mut planner = Planner {
            factors,
            opts,
            hypotheses,
            grid,
            log_post,
            runs: 0,
            seconds: 0.0,
        };
        planner.renormalize();
        Ok(planner)
    }

    pub fn factors(&self) -> &[Factor] {
        &self.factors
    }

    pub fn options(&self) -> &BisectOptions {
        &self.opts
    }

    /// Runs observed so far.
    pub fn runs(&self) -> usize {
        self.runs
    }

    /// Hours of runs observed so far.
    pub fn hours(&self) -> f64 {
        self.seconds / 3600.0
    }

    /// Counts one finished run as evidence.
    pub fn observe(&mut self, o: &Observation) -> Result<(), BisectError> {
        if o.bad.len() != self.factors.len() {
            return Err(BisectError::WrongAssignmentLength {
                got: o.bad.len(),
                expected: self.factors.len(),
            });
        }
        if !(o.time_s.is_finite() && o.time_s >= 0.0) {
            return Err(BisectError::BadRunTime(o.time_s));
        }
        let n = self.grid.len();
        for (h, hyp) in self.hypotheses.iter().enumerate() {
            let scale = if hyp.says_bad(&o.bad) {
                1.0
            } else {
                self.opts.background
            };
            for (g, &lambda) in self.grid.iter().enumerate() {
                self.log_post[h * n + g] += log_likelihood(scale * lambda, o.failed, o.time_s);
            }
        }
        self.runs += 1;
        self.seconds += o.time_s;
        self.renormalize();
        Ok(())
    }

    /// Keeps the log posterior a normalized distribution so that long
    /// histories neither underflow nor overflow.
    fn renormalize(&mut self) {
        let z = log_sum_exp(self.log_post.iter().copied());
        if z.is_finite() {
            for x in &mut self.log_post {
                *x -= z;
            }
        }
    }

    fn weights(&self) -> Vec<f64> {
        self.log_post.iter().map(|x| x.exp()).collect()
    }

    fn hypothesis_marginal(&self, w: &[f64]) -> Vec<f64> {
        w.chunks(self.grid.len()).map(|c| c.iter().sum()).collect()
    }

    fn belief(&self, h: usize, probability: f64) -> HypothesisBelief {
        let factors: Vec<String> = self.hypotheses[h]
            .factors()
            .into_iter()
            .map(|i| self.factors[i].name.clone())
            .collect();
        let label = if factors.is_empty() {
            "none of the factors".to_string()
        } else {
            factors.join(" & ")
        };
        HypothesisBelief {
            factors,
            label,
            probability,
        }
    }

    /// Every hypothesis with its probability, most likely first (ties in
    /// the order singles, pairs, none).
    pub fn posterior(&self) -> Vec<HypothesisBelief> {
        let m = self.hypothesis_marginal(&self.weights());
        let mut order: Vec<usize> = (0..m.len()).collect();
        // Stable: equal probabilities keep the hypotheses' own order.
        order.sort_by(|&a, &b| m[b].total_cmp(&m[a]));
        order.into_iter().map(|h| self.belief(h, m[h])).collect()
    }

    /// The best hypothesis if it has reached the confidence.
    pub fn decided(&self) -> Option<HypothesisBelief> {
        let best = self.best();
        (best.probability >= self.opts.confidence).then_some(best)
    }

    /// The most likely hypothesis, decided or not.
    pub fn best(&self) -> HypothesisBelief {
        self.posterior().swap_remove(0)
    }

    /// Why the search should stop now, if it should.
    pub fn stop(&self) -> Option<StopReason> {
        if self.decided().is_some() {
            Some(StopReason::Decided)
        } else if self.opts.budget_runs.is_some_and(|n| self.runs >= n) {
            Some(StopReason::BudgetRuns)
        } else if self.opts.budget_hours.is_some_and(|h| self.hours() >= h) {
            Some(StopReason::BudgetHours)
        } else {
            None
        }
    }

    /// The posterior of the bad configuration's MTTF, whatever the cause.
    pub fn rate_estimate(&self) -> RateEstimate {
        let w = self.weights();
        let n = self.grid.len();
        let mut by_rate = vec![0.0; n];
        for (i, x) in w.iter().enumerate() {
            by_rate[i % n] += x;
        }
        let total: f64 = by_rate.iter().sum();
        let mean_mttf_s = by_rate
            .iter()
            .zip(&self.grid)
            .map(|(p, r)| p / r)
            .sum::<f64>()
            / total;
        let quantile = |q: f64| {
            let mut acc = 0.0;
            for (p, r) in by_rate.iter().zip(&self.grid) {
                acc += p / total;
                if acc >= q {
                    return *r;
                }
            }
            self.grid[n - 1]
        };
        // A high rate is a short MTTF.
        RateEstimate {
            mean_mttf_s,
            low_mttf_s: 1.0 / quantile(0.95),
            high_mttf_s: 1.0 / quantile(0.05),
        }
    }

    /// The configurations worth scoring, in tie-break order: fewer bad
    /// factors first, then the one whose bad factors come later.
    fn candidates(&self, marginal: &[f64]) -> Vec<Vec<bool>> {
        let k = self.factors.len();
        let mut out: Vec<Vec<bool>> = Vec::new();
        if k <= MAX_EXHAUSTIVE_FACTORS {
            for mask in 0u32..(1 << k) {
                out.push((0..k).map(|i| mask & (1 << i) != 0).collect());
            }
        } else {
            out.push(vec![false; k]);
            out.push(vec![true; k]);
            for i in 0..k {
                let mut a = vec![false; k];
                a[i] = true;
                out.push(a);
                let mut a = vec![true; k];
                a[i] = false;
                out.push(a);
            }
            // Above 8 factors there are no pairs: the first k entries of the
            // marginal are the single factors. Putting the most suspected
            // ones at their bad level is the halving step of a classic
            // bisection, weighted by belief instead of by count.
            let mut order: Vec<usize> = (0..k).collect();
            order.sort_by(|&a, &b| marginal[b].total_cmp(&marginal[a]));
            let mut a = vec![false; k];
            for &i in &order {
                a[i] = true;
                out.push(a.clone());
            }
        }
        out.sort_by(|a, b| {
            let ca = a.iter().filter(|&&x| x).count();
            let cb = b.iter().filter(|&&x| x).count();
            ca.cmp(&cb).then_with(|| a.cmp(b))
        });
        out.dedup();
        out
    }

    /// The run that buys the most information about the cause per expected
    /// hour. Still answers after [`Planner::stop`] says to stop.
    pub fn next_run(&self) -> Proposal {
        let t = self.opts.time_limit_s;
        let w = self.weights();
        let n = self.grid.len();
        let marginal = self.hypothesis_marginal(&w);
        // Per hypothesis and per verdict on the configuration (bad or
        // background): probability mass that the run fails within T, and
        // expected seconds; a candidate only picks one verdict per
        // hypothesis, so scoring it costs one pass over the hypotheses.
        let mut fail = vec![[0.0f64; 2]; self.hypotheses.len()];
        let mut secs = vec![[0.0f64; 2]; self.hypotheses.len()];
        for h in 0..self.hypotheses.len() {
            for (g, &lambda) in self.grid.iter().enumerate() {
                let wg = w[h * n + g];
                for (v, scale) in [(0, 1.0), (1, self.opts.background)] {
                    let (p, d) = fail_and_duration(scale * lambda, t);
                    fail[h][v] += wg * p;
                    secs[h][v] += wg * d;
                }
            }
        }
        let total: f64 = marginal.iter().sum();
        let prior_entropy = entropy_bits(marginal.iter().copied(), total);

        let mut best: Option<(f64, Vec<bool>, f64, f64, f64)> = None;
        let mut pf_h = vec![0.0; self.hypotheses.len()];
        for a in self.candidates(&marginal) {
            let mut p_fail = 0.0;
            let mut seconds = 0.0;
            for (h, hyp) in self.hypotheses.iter().enumerate() {
                let v = if hyp.says_bad(&a) { 0 } else { 1 };
                pf_h[h] = fail[h][v];
                p_fail += fail[h][v];
                seconds += secs[h][v];
            }
            let p_clean = total - p_fail;
            let after_fail = entropy_bits(pf_h.iter().copied(), p_fail);
            let after_clean = entropy_bits(
                marginal.iter().zip(&pf_h).map(|(m, f)| (m - f).max(0.0)),
                p_clean,
            );
            let gain =
                (prior_entropy - (p_fail * after_fail + p_clean * after_clean) / total).max(0.0);
            let hours = (seconds / total / 3600.0).max(1e-9);
            let score = gain / hours;
            // Strictly better by a relative margin, so that rounding noise
            // does not override the tie-break order of the candidates.
            let better = match &best {
                None => true,
                Some((s, ..)) => score > s + 1e-9 * s.abs().max(1e-12),
            };
            if better {
                best = Some((score, a, gain, hours, p_fail / total));
            }
        }
        let (_, assignment, expected_gain_bits, expected_hours, failure_probability) =
            best.expect("there is always at least the pure good configuration");
        let why = self.explain(&assignment, &marginal, failure_probability);
        Proposal {
            levels: self.levels(&assignment),
            assignment,
            expected_gain_bits,
            expected_hours,
            failure_probability,
            why,
        }
    }

    /// "name=value" for each factor of an assignment.
    pub fn levels(&self, assignment: &[bool]) -> Vec<String> {
        self.factors
            .iter()
            .zip(assignment)
            .map(|(f, &b)| format!("{}={}", f.name, if b { &f.bad } else { &f.good }))
            .collect()
    }

    fn explain(&self, a: &[bool], marginal: &[f64], p_fail: f64) -> String {
        let total: f64 = marginal.iter().sum();
        let bad: Vec<&str> = self
            .factors
            .iter()
            .zip(a)
            .filter(|(_, b)| **b)
            .map(|(f, _)| f.name.as_str())
            .collect();
        let what = if bad.is_empty() {
            "the good configuration".to_string()
        } else if bad.len() == a.len() {
            "the bad configuration".to_string()
        } else {
            format!("bad {} only", bad.join(", "))
        };
        let blamed: f64 = self
            .hypotheses
            .iter()
            .zip(marginal)
            .filter(|(h, _)| h.says_bad(a))
            .map(|(_, m)| m)
            .sum::<f64>()
            / total;
        format!(
            "{what}: hypotheses with {:.0}% of the belief say it fails; \
             it fails within {} with probability {:.2}",
            100.0 * blamed,
            hours_text(self.opts.time_limit_s),
            p_fail
        )
    }
}

/// The cause in a simulation: `culprits` together (one or two factor
/// indices, or none for "every configuration fails alike") make a
/// configuration fail with exponential times of mean `mttf_s`; otherwise it
/// fails at `background` times that rate (0 for never).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Truth {
    pub culprits: Vec<usize>,
    pub mttf_s: f64,
    pub background: f64,
}

impl Truth {
    /// Failures per second of a configuration.
    pub fn failure_rate(&self, bad: &[bool]) -> f64 {
        if self.culprits.iter().all(|&i| bad[i]) {
            1.0 / self.mttf_s
        } else {
            self.background / self.mttf_s
        }
    }

    /// One run of up to `time_limit_s`, drawn from `rng`.
    pub fn run(&self, bad: &[bool], time_limit_s: f64, rng: &mut Rng) -> Observation {
        let rate = self.failure_rate(bad);
        // Inversion: 1 − U is in (0, 1], so the log is finite.
        let t = -(1.0 - rng.next_f64()).ln() / rate;
        let failed = t <= time_limit_s;
        Observation {
            bad: bad.to_vec(),
            failed,
            time_s: if failed { t } else { time_limit_s },
        }
    }
}

/// What a simulated bisection did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimulationResult {
    pub runs: Vec<Observation>,
    pub hours: f64,
    /// Why it stopped; `None` when `max_runs` cut it short.
    pub stop: Option<StopReason>,
    pub decision: Option<HypothesisBelief>,
    pub best: HypothesisBelief,
    /// A decision was reached and it names exactly the true culprits.
    pub correct: bool,
}

/// Runs the planner against a known cause, drawing failure times from
/// faultline-stats' SplitMix64 [`Rng`] seeded with `seed` (its stream is
/// fixed by contract, so the same inputs give the same result on every
/// platform and version), until it stops or after `max_runs` runs.
pub fn simulate(
    factors: Vec<Factor>,
    opts: BisectOptions,
    truth: &Truth,
    seed: u64,
    max_runs: usize,
) -> Result<SimulationResult, BisectError> {
    let k = factors.len();
    if let Some(&index) = truth.culprits.iter().find(|&&i| i >= k) {
        return Err(BisectError::BadCulprit { index, factors: k });
    }
    let m = truth.mttf_s;
    check_range("mttf_s", m, m.is_finite() && m > 0.0, "a finite time > 0")?;
    let b = truth.background;
    check_range(
        "background",
        b,
        (0.0..=1.0).contains(&b),
        "0 <= background <= 1",
    )?;
    let mut planner = Planner::new(factors, opts)?;
    let mut rng = Rng::new(seed);
    let mut runs = Vec::new();
    while planner.stop().is_none() && runs.len() < max_runs {
        let p = planner.next_run();
        let o = truth.run(&p.assignment, planner.options().time_limit_s, &mut rng);
        planner.observe(&o)?;
        runs.push(o);
    }
    let decision = planner.decided();
    let mut truth_names: Vec<&str> = truth
        .culprits
        .iter()
        .map(|&i| planner.factors()[i].name.as_str())
        .collect();
    truth_names.sort_unstable();
    truth_names.dedup();
    let correct = decision.as_ref().is_some_and(|d| {
        let mut named: Vec<&str> = d.factors.iter().map(String::as_str).collect();
        named.sort_unstable();
        named == truth_names
    });
    Ok(SimulationResult {
        runs,
        hours: planner.hours(),
        stop: planner.stop(),
        decision,
        best: planner.best(),
        correct,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors(k: usize) -> Vec<Factor> {
        (1..=k)
            .map(|i| Factor {
                name: format!("f{i}"),
                good: "off".into(),
                bad: "on".into(),
            })
            .collect()
    }

    #[test]
    fn bisect_priors_sum_to_one_and_follow_the_options() {
        let p = Planner::new(factors(3), BisectOptions::default()).unwrap();
        let post = p.posterior();
        // 3 singles, 3 pairs, none.
        assert_eq!(post.len(), 7);
        let sum: f64 = post.iter().map(|b| b.probability).sum();
        assert!((sum - 1.0).abs() < 1e-12);
        let single = post.iter().find(|b| b.label == "f1").unwrap();
        assert!((single.probability - 0.7 / 3.0).abs() < 1e-12);
        let pair = post.iter().find(|b| b.label == "f1 & f3").unwrap();
        assert!((pair.probability - 0.2 / 3.0).abs() < 1e-12);
        // Above 8 factors no pairs: their share goes to the singles.
        let p = Planner::new(factors(9), BisectOptions::default()).unwrap();
        let post = p.posterior();
        assert_eq!(post.len(), 10);
        assert!((post[0].probability - 0.9 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn bisect_grid_spans_the_time_limit() {
        let p = Planner::new(factors(2), BisectOptions::default()).unwrap();
        assert_eq!(p.grid.len(), GRID_POINTS);
        assert!((p.grid[0] - 1.0 / (50.0 * 3600.0)).abs() < 1e-15);
        assert!((p.grid[GRID_POINTS - 1] - 20.0 / 3600.0).abs() < 1e-12);
    }

    #[test]
    fn bisect_mttf_prior_centres_the_rate_estimate() {
        let opts = BisectOptions {
            bad_mttf_s: Some(600.0),
            ..BisectOptions::default()
        };
        let e = Planner::new(factors(2), opts).unwrap().rate_estimate();
        assert!(e.low_mttf_s < 600.0 && 600.0 < e.high_mttf_s, "{e:?}");
        // The log-normal prior's mean of 1/λ is above the median 600 s.
        assert!(e.mean_mttf_s > 600.0 && e.mean_mttf_s < 1500.0, "{e:?}");
    }

    #[test]
    fn bisect_candidates_are_in_tie_break_order() {
        let p = Planner::new(factors(3), BisectOptions::default()).unwrap();
        let c = p.candidates(&[]);
        assert_eq!(c.len(), 8);
        assert_eq!(c[0], vec![false, false, false]);
        assert_eq!(c[1], vec![false, false, true]);
        assert_eq!(c[3], vec![true, false, false]);
        assert_eq!(c[7], vec![true, true, true]);
    }

    #[test]
    fn bisect_many_factors_use_a_greedy_candidate_set() {
        let p = Planner::new(factors(12), BisectOptions::default()).unwrap();
        let w = p.weights();
        let c = p.candidates(&p.hypothesis_marginal(&w));
        assert!(c.contains(&vec![false; 12]) && c.contains(&vec![true; 12]));
        assert!(c.len() < 60);
        let prop = p.next_run();
        assert!(prop.expected_gain_bits > 0.0);
    }

    #[test]
    fn bisect_hours_are_short_text() {
        assert_eq!(hours_text(3600.0), "1h");
        assert_eq!(hours_text(5400.0), "1.5h");
        assert_eq!(hours_text(600.0), "10min");
        assert_eq!(hours_text(2.0), "2s");
    }

    #[test]
    fn bisect_entropy_of_uniform_is_log2() {
        assert!((entropy_bits([1.0, 1.0, 1.0, 1.0].into_iter(), 4.0) - 2.0).abs() < 1e-12);
        assert_eq!(entropy_bits([0.0, 3.0].into_iter(), 3.0), 0.0);
    }
}
