//! "Some cell got at least k": the maximum of a multinomial count.
//!
//! The honest version of "all five crashes landed on one host": under the
//! null, each of `n` crashes lands in cell `i` (a host, an hour of the day, a
//! weekday) independently with probability `p_i` (the cell's share of the
//! exposure), and the question is how often *some* cell, not one picked after
//! seeing the data, collects at least `k`.
//!
//! Exact method: cells are filled one after the other. Given `r` items not
//! yet placed, cell `i` receives `Binomial(r, p_i / (p_i + ... + p_last))`.
//! A vector indexed by `r` carries the probability that no cell so far has
//! reached `k` with `r` items left; each cell adds to the answer the mass
//! that reaches `k` there (an accurate binomial upper tail, so the answer is
//! a sum of positive terms and a small p-value keeps its digits, instead of
//! being `1 - P(all below k)`), and passes the rest on. Terms are computed as
//! absolute probabilities and walked outward from each row's largest term,
//! so only terms that underflow `f64` (below about 1e-308) are dropped.
//! Cost: at most O(cells * n * min(k, n)) and usually far less.

use crate::rng::Rng;
use crate::special::{binom_mode, binom_pmf};
use crate::tails::binom_ge;

/// Largest number of items for which [`max_count_tail`] is exact. Above it,
/// [`MAX_TAIL_DRAWS`] Monte Carlo draws with [`MAX_TAIL_SEED`] are used.
pub const MAX_TAIL_EXACT_N: u64 = 5000;

/// Monte Carlo draws used by [`max_count_tail`] above [`MAX_TAIL_EXACT_N`]:
/// p-values are resolved to about 5e-5, and a p of 0.01 has a standard error
/// of about 7e-4 (7%).
pub const MAX_TAIL_DRAWS: u64 = 20_000;

/// Seed of the Monte Carlo fallback in [`max_count_tail`] (the bytes of
/// "faultlin"), fixed so that reports are reproducible.
pub const MAX_TAIL_SEED: u64 = 0x6661_756c_746c_696e;

/// Probability that some cell holds at least `k` items, and how it was
/// obtained.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MaxTail {
    /// The probability (a p-value when `k` is the observed maximum).
    pub p: f64,
    /// True when computed exactly (up to rounding).
    pub exact: bool,
    /// Number of Monte Carlo draws; 0 when exact.
    pub draws: u64,
}

impl MaxTail {
    /// How `p` was obtained, in words: "exact", "union bound" or
    /// "Monte Carlo".
    pub fn method(&self) -> &'static str {
        if self.exact {
            "exact"
        } else if self.draws == 0 {
            "union bound"
        } else {
            "Monte Carlo"
        }
    }

    fn exact(p: f64) -> Self {
        MaxTail {
            p: p.clamp(0.0, 1.0),
            exact: true,
            draws: 0,
        }
    }
}

/// Probability that, when `n` items are dropped independently into cells
/// with the given probabilities, some cell gets at least `k`.
///
/// `probs` are weights (exposure shares, or 24 equal hours, or 7 equal
/// weekdays); they are normalised to sum to 1, and negative or NaN weights
/// count as 0. Exact for `n <= MAX_TAIL_EXACT_N` (5000), otherwise a seeded
/// Monte Carlo estimate (see [`max_count_tail_monte_carlo`]); `exact` and
/// `draws` say which.
///
/// Edge cases (never NaN): `k == 0` gives 1; `k > n` gives 0; a single
/// positive cell gives 1 (for `k <= n`); no positive weight at all gives 1,
/// the uninformative answer, since there is no null to compare with.
pub fn max_count_tail(n: u64, probs: &[f64], k: u64) -> MaxTail {
    max_count_tail_with_draws(n, probs, k, MAX_TAIL_DRAWS, MAX_TAIL_SEED)
}

/// [`max_count_tail`] with the Monte Carlo fallback's draws and seed
/// chosen by the caller (an analysis that only needs to tell 0.01 from
/// 0.05 can afford far fewer than [`MAX_TAIL_DRAWS`]).
pub fn max_count_tail_with_draws(n: u64, probs: &[f64], k: u64, draws: u64, seed: u64) -> MaxTail {
    if n <= MAX_TAIL_EXACT_N {
        match Cells::prepare(n, probs, k) {
            Ok(cells) => MaxTail::exact(cells.exact(n, k)),
            Err(trivial) => trivial,
        }
    } else {
        // When the union bound is small it is already the answer to within
        // 0.5%, and it costs one pass over the cells instead of 20,000 draws.
        let bound = max_count_tail_union_bound(n, probs, k);
        if bound <= UNION_BOUND_ENOUGH {
            return MaxTail {
                p: bound,
                exact: false,
                draws: 0,
            };
        }
        max_count_tail_monte_carlo(n, probs, k, draws, seed)
    }
}

/// Union bound below which [`max_count_tail`] answers with the bound itself
/// (for `n > MAX_TAIL_EXACT_N`).
pub const UNION_BOUND_ENOUGH: f64 = 0.01;

/// The union (Bonferroni) bound on [`max_count_tail`]: the sum over cells of
/// `P(Binomial(n, p_i) >= k)`.
///
/// It is never below the true value, and because multinomial cell counts are
/// negatively associated (P(both cells reach k) <= the product of the two),
/// the true value is at least `bound - bound^2 / 2`. So a bound of 0.01 is
/// within 0.5% of the truth. Weights are normalised as in
/// [`max_count_tail`]; no positive weight or `k == 0` gives 1, `k > n` 0.
pub fn max_count_tail_union_bound(n: u64, probs: &[f64], k: u64) -> f64 {
    let total: f64 = probs
        .iter()
        .copied()
        .filter(|w| *w > 0.0 && w.is_finite())
        .sum();
    if total <= 0.0 || k == 0 {
        return 1.0;
    }
    if k > n {
        return 0.0;
    }
    let sum: f64 = probs
        .iter()
        .copied()
        .filter(|w| *w > 0.0 && w.is_finite())
        .map(|w| crate::tails::binomial_tail_ge(k, n, (w / total).min(1.0)))
        .sum();
    sum.min(1.0)
}

/// Monte Carlo version of [`max_count_tail`] for any `n`: `draws`
/// multinomial samples (each drawn cell by cell from exact binomials), and
/// the estimate `(1 + hits) / (1 + draws)`, which never reports 0.
///
/// The trivial cases of [`max_count_tail`] are still answered exactly (with
/// `exact = true`, `draws = 0`). Cost: O(draws * sum over cells of the
/// binomial standard deviation), cut short in a draw as soon as some cell
/// reaches `k` or fewer than `k` items remain.
pub fn max_count_tail_monte_carlo(n: u64, probs: &[f64], k: u64, draws: u64, seed: u64) -> MaxTail {
    let cells = match Cells::prepare(n, probs, k) {
        Ok(cells) => cells,
        Err(trivial) => return trivial,
    };
    let mut rng = Rng::new(seed);
    let mut hits = 0u64;
    for _ in 0..draws {
        let mut remaining = n;
        for (i, &(q, qc)) in cells.cond.iter().enumerate() {
            if remaining < k {
                break;
            }
            let x = if i + 1 == cells.cond.len() {
                remaining
            } else {
                sample_binomial(&mut rng, remaining, q, qc)
            };
            if x >= k {
                hits += 1;
                break;
            }
            remaining -= x;
        }
    }
    MaxTail {
        p: (1.0 + hits as f64) / (1.0 + draws as f64),
        exact: false,
        draws,
    }
}

/// The probability that all `n_crashes` land on one host chosen in advance
/// when each of `hosts` hosts is equally likely: `(1 / hosts)^n_crashes`.
///
/// This is the figure people compute by hand (5 crashes on one of 4 hosts:
/// 1/1024), shown next to [`max_count_tail`] because it is wrong twice: the
/// host was picked after seeing the data, and hosts do not carry equal
/// exposure. Edge cases: `hosts == 0` or `n_crashes == 0` gives 1.
pub fn naive_same_host(n_crashes: u64, hosts: u64) -> f64 {
    if hosts == 0 || n_crashes == 0 {
        return 1.0;
    }
    (1.0 / hosts as f64).powf(n_crashes as f64)
}

/// Conditional cell probabilities `(q_i, 1 - q_i)`, where `q_i` is cell i's
/// share of the weight of cells i and later; the last is `(1, 0)`.
struct Cells {
    cond: Vec<(f64, f64)>,
}

impl Cells {
    /// The conditional probabilities, or the answer when it is trivial.
    fn prepare(n: u64, probs: &[f64], k: u64) -> Result<Cells, MaxTail> {
        let weights: Vec<f64> = probs
            .iter()
            .copied()
            .filter(|w| *w > 0.0 && w.is_finite())
            .collect();
        if weights.is_empty() || k == 0 {
            return Err(MaxTail::exact(1.0));
        }
        if k > n {
            return Err(MaxTail::exact(0.0));
        }
        if weights.len() == 1 {
            return Err(MaxTail::exact(1.0));
        }
        // Suffix sums, so that both q_i and 1 - q_i are ratios of sums and
        // neither is formed by subtraction.
        let mut suffix = vec![0.0; weights.len() + 1];
        for i in (0..weights.len()).rev() {
            suffix[i] = suffix[i + 1] + weights[i];
        }
        let cond = (0..weights.len())
            .map(|i| {
                if i + 1 == weights.len() {
                    (1.0, 0.0)
                } else {
                    let q = (weights[i] / suffix[i]).min(1.0);
                    let qc = (suffix[i + 1] / suffix[i]).min(1.0);
                    (q, qc)
                }
            })
            .collect();
        Ok(Cells { cond })
    }

    /// The exact probability; requires `1 <= k <= n` and at least two cells.
    fn exact(&self, n: u64, k: u64) -> f64 {
        let size = n as usize + 1;
        // left[r]: P(no cell so far reached k, and r items are still unplaced).
        let mut left = vec![0.0_f64; size];
        let mut next = vec![0.0_f64; size];
        left[n as usize] = 1.0;
        let (mut lo, mut hi) = (n as usize, n as usize);
        let mut hit = 0.0_f64;
        let last = self.cond.len() - 1;
        for &(q, qc) in &self.cond[..last] {
            let (mut new_lo, mut new_hi) = (usize::MAX, 0usize);
            for r in lo..=hi {
                let w = left[r];
                if w == 0.0 {
                    continue;
                }
                left[r] = 0.0;
                let r64 = r as u64;
                if r64 >= k {
                    hit += w * binom_ge(k, r64, q, qc);
                }
                // Pass on the outcomes where this cell stays below k.
                let top = (k - 1).min(r64);
                let start = binom_mode(r64, q).min(top);
                let peak = w * binom_pmf(start, r64, q, qc);
                if peak == 0.0 {
                    continue;
                }
                let mut term = peak;
                let mut j = start;
                loop {
                    next[r - j as usize] += term;
                    if j == 0 {
                        break;
                    }
                    term *= j as f64 / (r64 - j + 1) as f64 * (qc / q);
                    j -= 1;
                    if term == 0.0 {
                        j += 1;
                        break;
                    }
                }
                new_hi = new_hi.max(r - j as usize);
                let mut term = peak;
                let mut j = start;
                while j < top {
                    term *= (r64 - j) as f64 / (j + 1) as f64 * (q / qc);
                    if term == 0.0 {
                        break;
                    }
                    j += 1;
                    next[r - j as usize] += term;
                }
                new_lo = new_lo.min(r - j as usize);
            }
            std::mem::swap(&mut left, &mut next);
            if new_lo > new_hi {
                // Everything underflowed: what is left is below 1e-308.
                return hit;
            }
            (lo, hi) = (new_lo, new_hi);
        }
        // The last cell receives every remaining item.
        let k = k as usize;
        hit + left[lo.max(k)..=hi.max(k - 1)].iter().sum::<f64>()
    }
}

/// One draw from `Binomial(n, p)` (`q = 1 - p`) by inversion, enumerating
/// outcomes from the mode outwards (mode, mode - 1, mode + 1, ...). Any order
/// of outcomes gives an exact inversion; this one needs O(standard
/// deviation) steps on average and starts from the single largest term.
fn sample_binomial(rng: &mut Rng, n: u64, p: f64, q: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if q <= 0.0 {
        return n;
    }
    let mode = binom_mode(n, p);
    let peak = binom_pmf(mode, n, p, q);
    let mut u = rng.next_f64() - peak;
    if u < 0.0 {
        return mode;
    }
    let (mut down, mut p_down) = (mode, peak);
    let (mut up, mut p_up) = (mode, peak);
    loop {
        let mut moved = false;
        if down > 0 && p_down > 0.0 {
            p_down *= down as f64 / (n - down + 1) as f64 * (q / p);
            down -= 1;
            u -= p_down;
            if u < 0.0 {
                return down;
            }
            moved = true;
        }
        if up < n && p_up > 0.0 {
            p_up *= (n - up) as f64 / (up + 1) as f64 * (p / q);
            up += 1;
            u -= p_up;
            if u < 0.0 {
                return up;
            }
            moved = true;
        }
        if !moved {
            // Rounding left a sliver of u uncovered; it belongs to no
            // outcome in particular, so give it the most likely one.
            return mode;
        }
    }
}
