//! A small seeded random number generator and Monte Carlo tail estimates.
//!
//! Reports must be reproducible: the same case and seed give the same
//! p-values on every platform and in every version of faultline. So the
//! generator is defined here, not borrowed from a crate whose stream may
//! change between releases.

/// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number
/// generators", 2014; the constants of Vigna's reference `splitmix64.c`).
///
/// Stable by contract: for a given seed the sequence of `next_u64` values,
/// and hence of `next_f64` and `below`, is fixed across platforms and across
/// versions of this crate; changing it is a breaking change. Its statistical
/// quality is ample for Monte Carlo p-values; it is not for cryptography.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose stream is fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// Next 64 uniformly distributed bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `[0, 1)`: the top 53 bits scaled by 2^-53, so every value
    /// is a multiple of 2^-53 and 1 is never returned.
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n`, without modulo bias (Lemire's
    /// multiply-and-reject). `below(0)` returns 0.
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let mut wide = u128::from(self.next_u64()) * u128::from(n);
        // The low word falls below 2^64 mod n for exactly the excess values.
        if (wide as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (wide as u64) < threshold {
                wide = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (wide >> 64) as u64
    }
}

/// A Monte Carlo p-value and the number of draws behind it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McTail {
    /// `(1 + count) / (1 + draws)`, where `count` is the number of draws at
    /// least as extreme as the observation. Counting the observation itself
    /// keeps the estimate a valid p-value (never 0) for any number of draws.
    pub p: f64,
    /// Number of simulated values.
    pub draws: u64,
}

/// Monte Carlo estimate of `P(sample <= observed)`; the same as
/// [`monte_carlo_tail_le`], the direction event proximity needs (a crash
/// closer to the last backup than random moments are is the surprise).
pub fn monte_carlo_tail(
    observed: f64,
    draws: u64,
    seed: u64,
    sample: impl FnMut(&mut Rng) -> f64,
) -> McTail {
    monte_carlo_tail_le(observed, draws, seed, sample)
}

/// Monte Carlo estimate of `P(sample <= observed)`: small values are the
/// extreme ones.
///
/// Use it when a small statistic is the surprising direction, e.g. event
/// proximity: is the time from the last backup to each crash shorter than
/// the same time measured at random moments? `sample` draws one value of the
/// statistic under the null from the given generator (seeded with `seed`).
///
/// Edge cases: `draws = 0` gives `p = 1`; a NaN sample never counts as
/// extreme, and a NaN `observed` makes no sample count (so `p` is
/// `1 / (1 + draws)`; check `observed` before calling).
pub fn monte_carlo_tail_le(
    observed: f64,
    draws: u64,
    seed: u64,
    sample: impl FnMut(&mut Rng) -> f64,
) -> McTail {
    tail(draws, seed, sample, |s| s <= observed)
}

/// Monte Carlo estimate of `P(sample >= observed)`: large values are the
/// extreme ones (e.g. a count of crashes in some window). Same estimator and
/// edge cases as [`monte_carlo_tail_le`].
pub fn monte_carlo_tail_ge(
    observed: f64,
    draws: u64,
    seed: u64,
    sample: impl FnMut(&mut Rng) -> f64,
) -> McTail {
    tail(draws, seed, sample, |s| s >= observed)
}

fn tail(
    draws: u64,
    seed: u64,
    mut sample: impl FnMut(&mut Rng) -> f64,
    extreme: impl Fn(f64) -> bool,
) -> McTail {
    let mut rng = Rng::new(seed);
    let mut count = 0u64;
    for _ in 0..draws {
        if extreme(sample(&mut rng)) {
            count += 1;
        }
    }
    McTail {
        p: (1.0 + count as f64) / (1.0 + draws as f64),
        draws,
    }
}
