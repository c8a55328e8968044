//! A keyed pseudo-random permutation of `0..n` without a table: a bijection
//! of `0..2^k` (xor, odd multiply, xorshift, all mod 2^k) with cycle
//! walking back into `0..n` (fewer than two steps on average). One pass of
//! a random job visits every block once, as fio's random map does, in
//! constant memory.

#[derive(Clone, Debug)]
pub struct Perm {
    n: u64,
    mask: u64,
    shift: u32,
    k1: u64,
    k2: u64,
    k3: u64,
}

impl Perm {
    pub fn new(n: u64, key: u64) -> Perm {
        assert!(n > 0);
        let bits = 64 - (n - 1).leading_zeros();
        let mask = if bits == 64 {
            u64::MAX
        } else {
            (1u64 << bits) - 1
        };
        let mut rng = crate::block::SplitMix(key);
        Perm {
            n,
            mask,
            shift: bits / 2 + 1,
            k1: rng.next_u64(),
            k2: rng.next_u64() | 1,
            k3: rng.next_u64() | 1,
        }
    }

    #[inline]
    fn mix(&self, mut x: u64) -> u64 {
        x = (x ^ self.k1) & self.mask;
        x = x.wrapping_mul(self.k2) & self.mask;
        x ^= x >> self.shift;
        x = x.wrapping_mul(self.k3) & self.mask;
        x ^= x >> self.shift;
        x
    }

    /// The `i`-th element (`i < n`) of the permutation.
    #[inline]
    pub fn get(&self, i: u64) -> u64 {
        let mut x = i;
        loop {
            x = self.mix(x);
            if x < self.n {
                return x;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_a_permutation() {
        for n in [1u64, 2, 3, 7, 8, 9, 100, 1000, 4097] {
            for key in 0..4 {
                let p = Perm::new(n, key);
                let mut seen = vec![false; n as usize];
                for i in 0..n {
                    let v = p.get(i);
                    assert!(v < n);
                    assert!(!seen[v as usize], "n={n} key={key} repeats {v}");
                    seen[v as usize] = true;
                }
            }
        }
    }
}
