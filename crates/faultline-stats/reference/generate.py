#!/usr/bin/env python3
"""Regenerates the reference values used by faultline-stats' tests.

Run in a throwaway virtual environment:

    python3 -m venv /tmp/statsvenv
    /tmp/statsvenv/bin/pip install scipy mpmath pingouin
    /tmp/statsvenv/bin/python reference/generate.py

Versions used for the values in tests/reference.rs: scipy 1.17.1,
mpmath 1.4.1, pingouin 0.7.0, Python 3.11.
R values come from reference/generate.R.

Every number is computed independently of the Rust code: scipy's own
implementations, mpmath at 50 digits straight from the definitions, and for
max_count_tail brute-force enumeration of every placement (tiny cases),
exact rational generating functions (medium) and Levin's Poissonization
(large n).
"""

import itertools
import math
from fractions import Fraction

import mpmath as mp
import numpy as np
from scipy import stats
from scipy.stats.contingency import odds_ratio

mp.mp.dps = 50


def show(label, value):
    print(f"{label} = {float(value)!r}")


# ---------------------------------------------------------------- Fisher
TABLES = [
    (5, 0, 3, 28),
    (3, 2, 10, 85),
    (0, 5, 10, 20),
    (3, 1, 1, 3),
    (1, 0, 3, 28),
    (40, 60, 1000, 98900),
    (2, 7, 8, 2),
]


def nc_support(a, b, c, d):
    rows, cols = a + b, a + c
    lo, hi = max(0, a - d), min(rows, cols)
    logw = [mp.log(mp.binomial(cols, x)) + mp.log(mp.binomial(b + d, rows - x))
            for x in range(lo, hi + 1)]
    return lo, hi, logw


def nc_probs(logw, lo, psi):
    w = [mp.exp(lw) * mp.power(psi, i) for i, lw in enumerate(logw)]
    s = mp.fsum(w)
    return [x / s for x in w]


def mp_odds_ratio(a, b, c, d, alpha=0.025):
    lo, hi, logw = nc_support(a, b, c, d)
    i = a - lo

    def mean(psi):
        return mp.fsum(j * p for j, p in enumerate(nc_probs(logw, lo, psi)))

    def upper(psi):
        return mp.fsum(nc_probs(logw, lo, psi)[i:])

    def lower(psi):
        return mp.fsum(nc_probs(logw, lo, psi)[: i + 1])

    def solve(f):
        # f increasing in t = log(psi); bisection to 1e-40 in t.
        lo_t, hi_t = mp.mpf(-60), mp.mpf(60)
        for _ in range(200):
            mid = (lo_t + hi_t) / 2
            if f(mp.exp(mid)) < 0:
                lo_t = mid
            else:
                hi_t = mid
        return mp.exp((lo_t + hi_t) / 2)

    last = hi - lo
    est = 0 if i == 0 else (mp.inf if i == last else solve(lambda p: mean(p) - i))
    low = 0 if i == 0 else solve(lambda p: upper(p) - alpha)
    high = mp.inf if i == last else solve(lambda p: alpha - lower(p))
    return est, low, high


print("# Fisher: scipy fisher_exact (greater, less, two-sided)")
for t in TABLES + [(0, 0, 0, 0), (1, 0, 0, 0), (0, 3, 0, 7)]:
    a, b, c, d = t
    tab = [[a, b], [c, d]]
    g = stats.fisher_exact(tab, alternative="greater").pvalue
    l = stats.fisher_exact(tab, alternative="less").pvalue
    two = stats.fisher_exact(tab).pvalue
    print(f"fisher {t}: greater={g!r} less={l!r} two_sided={two!r}")

print("# Odds ratio: scipy odds_ratio(kind='conditional') and mpmath")
for t in TABLES:
    a, b, c, d = t
    res = odds_ratio([[a, b], [c, d]], kind="conditional")
    ci = res.confidence_interval(0.95)
    print(f"scipy OR {t}: est={res.statistic!r} low={ci.low!r} high={ci.high!r}")
    est, low, high = mp_odds_ratio(a, b, c, d)
    print(f"mpmath OR {t}: est={mp.nstr(est, 20)} low={mp.nstr(low, 20)} "
          f"high={mp.nstr(high, 20)}")

# ---------------------------------------------------------------- BH
print("# BH: scipy false_discovery_control(method='bh')")
for ps in ([0.01, 0.04, 0.03, 0.005, 0.5, 1.0],
           [0.02, 0.02, 0.02, 0.5],
           [0.3],
           [1.0, 1.0, 0.0]):
    print(f"bh {ps}: {list(map(float, stats.false_discovery_control(ps)))}")

# ---------------------------------------------------------------- tails
print("# binomial upper tails: scipy binom.sf(k-1), mpmath exact sum")
for k, n, p in [(5, 5, 0.25), (3, 10, 0.25), (900, 1000, 0.5),
                (1, 1, 1e-12), (50, 100000, 1e-4), (2, 10, 0.9),
                (6000, 10000, 0.5)]:
    exact = mp.fsum(mp.binomial(n, j) * mp.mpf(p) ** j * (1 - mp.mpf(p)) ** (n - j)
                    for j in range(k, n + 1))
    print(f"binom_ge({k},{n},{p}): scipy={stats.binom.sf(k - 1, n, p)!r} "
          f"mpmath={mp.nstr(exact, 20)}")
for k, n, p in [(2, 10, 0.25), (100, 1000, 0.5)]:
    exact = mp.fsum(mp.binomial(n, j) * mp.mpf(p) ** j * (1 - mp.mpf(p)) ** (n - j)
                    for j in range(0, k + 1))
    print(f"binom_le({k},{n},{p}): scipy={stats.binom.cdf(k, n, p)!r} "
          f"mpmath={mp.nstr(exact, 20)}")

print("# Poisson upper tails: scipy poisson.sf(k-1), mpmath 1 - regularised gamma")
for k, mu in [(10, 2.5), (200, 50.0), (1000, 900.5), (3, 3.0), (1, 1e-9)]:
    exact = mp.gammainc(k, 0, mu, regularized=True)  # P(X >= k) = P(k, mu)
    print(f"pois_ge({k},{mu}): scipy={stats.poisson.sf(k - 1, mu)!r} "
          f"mpmath={mp.nstr(exact, 20)}")
for k, mu in [(2, 10.0), (800, 900.5)]:
    exact = mp.gammainc(k + 1, mu, mp.inf, regularized=True)
    print(f"pois_le({k},{mu}): scipy={stats.poisson.cdf(k, mu)!r} "
          f"mpmath={mp.nstr(exact, 20)}")

# ---------------------------------------------------------------- rate ratio
def mp_binom_ge(k, n, p):
    return mp.fsum(mp.binomial(n, j) * p ** j * (1 - p) ** (n - j) for j in range(k, n + 1))


def mp_bisect_logit(f):
    """Root of an increasing f of t = logit(pi), to 1e-40 in t."""
    lo, hi = mp.mpf(-60), mp.mpf(60)
    for _ in range(200):
        mid = (lo + hi) / 2
        if f(1 / (1 + mp.exp(-mid))) < 0:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def mp_rate_low(x1, n, t1, t2, alpha=mp.mpf("0.025")):
    if x1 == 0:
        return mp.mpf(0)
    return mp.exp(mp_bisect_logit(lambda p: mp_binom_ge(x1, n, p) - alpha)) * t2 / t1


def mp_rate_high(x1, n, t1, t2, alpha=mp.mpf("0.025")):
    if x1 == n:
        return mp.inf
    return mp.exp(mp_bisect_logit(lambda p: alpha - (1 - mp_binom_ge(x1 + 1, n, p)))) * t2 / t1


print("# Poisson rate ratio: scipy binomtest on x1 | x1 + x2, exact CI mapped")
for x1, t1, x2, t2 in [(5, 1000.0, 2, 3000.0), (10, 100.0, 0, 50.0),
                       (0, 200.0, 7, 300.0), (1, 1.0, 1, 1.0),
                       (40, 1e5, 12, 2.5e5), (3, 2.0, 3, 2.0), (1, 5.0, 0, 5.0)]:
    n = x1 + x2
    p0 = t1 / (t1 + t2)
    res = stats.binomtest(x1, n, p0)
    g = stats.binomtest(x1, n, p0, alternative="greater").pvalue
    ci = res.proportion_ci(0.95, method="exact")
    conv = lambda p: p / (1 - p) * t2 / t1 if p < 1 else math.inf
    print(f"rate ({x1},{t1},{x2},{t2}): p_greater={g!r} p_two={res.pvalue!r} "
          f"low={conv(ci.low)!r} high={conv(ci.high)!r}")
    print(f"mpmath rate ({x1},{t1},{x2},{t2}): low={mp.nstr(mp_rate_low(x1, n, t1, t2), 20)} "
          f"high={mp.nstr(mp_rate_high(x1, n, t1, t2), 20)}")


# ---------------------------------------------------------------- max count
def brute_force(n, probs, k):
    """Sum of multinomial probabilities of every placement with max >= k."""
    probs = [Fraction(p) for p in probs]
    total = sum(probs)
    probs = [p / total for p in probs]
    out = Fraction(0)
    for cells in itertools.product(range(len(probs)), repeat=n):
        counts = [0] * len(probs)
        for c in cells:
            counts[c] += 1
        if max(counts) >= k:
            prob = Fraction(1)
            for c in cells:
                prob *= probs[c]
            out += prob
    return out


def generating_function(n, probs, k):
    """1 - n! [x^n] prod_i sum_{j<k} (p_i x)^j / j!, in exact rationals."""
    probs = [Fraction(p) for p in probs]
    total = sum(probs)
    probs = [p / total for p in probs]
    poly = [Fraction(1)] + [Fraction(0)] * n
    for p in probs:
        factor = [p ** j / math.factorial(j) for j in range(min(k - 1, n) + 1)]
        new = [Fraction(0)] * (n + 1)
        for i, a in enumerate(poly):
            if a:
                for j, b in enumerate(factor):
                    if i + j > n:
                        break
                    new[i + j] += a * b
        poly = new
    return 1 - poly[n] * math.factorial(n)


def levin(n, probs, k):
    """Levin (1981): P(all < k) via independent Poissons conditioned on the
    sum; float64 convolutions of truncated Poisson pmfs, lambda = n."""
    probs = np.asarray(probs, dtype=float)
    probs = probs / probs.sum()
    conv = np.array([1.0])
    scale = 0.0
    for p in probs:
        pmf = stats.poisson.pmf(np.arange(k), n * p)
        mass = pmf.sum()
        scale += math.log(mass)
        conv = np.convolve(conv, pmf / mass)[: n + 1]
    all_below = math.exp(scale) * conv[n] / stats.poisson.pmf(n, n)
    return 1 - all_below


print("# max_count_tail: brute force over all cells^n placements (exact)")
for n, probs, k in [(5, [0.4, 0.2, 0.2, 0.2], 5), (5, [1, 1, 1, 1], 5),
                    (5, [0.4, 0.2, 0.2, 0.2], 4), (5, [0.4, 0.2, 0.2, 0.2], 3),
                    (1, [0.5, 0.3, 0.2], 1), (6, [3, 2, 1], 4),
                    (4, [0.7, 0.1, 0.1, 0.1], 2)]:
    v = brute_force(n, probs, k)
    print(f"brute max_tail(n={n}, {probs}, k={k}) = {v} = {float(v)!r}")

print("# max_count_tail: exact rational generating function")
for n, probs, k in [(5, [1] * 24, 2), (6, [1] * 24, 6), (12, [1] * 24, 4),
                    (10, [1] * 7, 4), (30, [1] * 7, 9),
                    (20, [0.5, 0.25, 0.125, 0.0625, 0.0625], 12)]:
    v = generating_function(n, probs, k)
    print(f"gf max_tail(n={n}, {len(probs)} cells {probs[:3]}..., k={k}) = {float(v)!r}")

print("# max_count_tail deep tails: for 2k > n at most one cell can reach k,")
print("# so P(max >= k) = sum_i P(Bin(n, p_i) >= k) exactly (mpmath, 50 digits)")
for n, probs, k in [(100, [1] * 24, 60), (600, [1] * 7, 301), (9, [0.5, 0.3, 0.2], 5)]:
    tot = sum(mp.mpf(p) for p in probs)
    v = mp.fsum(mp_binom_ge(k, n, mp.mpf(p) / tot) for p in probs)
    print(f"disjoint max_tail(n={n}, {probs[:3]}..., k={k}) = {mp.nstr(v, 20)}")

print("# max_count_tail: Levin's method (float64) checked against the exact GF")
for n, probs, k in [(30, [1] * 7, 9), (20, [0.5, 0.25, 0.125, 0.0625, 0.0625], 12),
                    (12, [1] * 24, 4)]:
    print(f"levin={levin(n, probs, k)!r} gf={float(generating_function(n, probs, k))!r}")

print("# max_count_tail: Levin's method for large n (float64)")
for n, cells, k in [(5000, 24, 250), (5000, 7, 770), (2000, 24, 110), (6000, 24, 295)]:
    print(f"levin max_tail(n={n}, {cells} equal cells, k={k}) = "
          f"{levin(n, [1] * cells, k)!r}")

# ---------------------------------------------------------------- Rayleigh
print("# Rayleigh: pingouin circ_rayleigh (Zar's p), scipy circmean, circvar = 1 - r")
from pingouin import circ_rayleigh  # noqa: E402

for hours in ([22.1, 22.5, 22.9, 23.2, 21.8],
              [0, 6, 12, 18],
              [1, 2, 3, 5, 8, 13, 21, 22, 23, 0.5, 4, 9]):
    ang = np.array(hours) * 2 * np.pi / 24
    z, p = circ_rayleigh(ang)
    print(f"rayleigh {hours}: z={float(z)!r} p={float(p)!r} "
          f"mean={float(stats.circmean(ang))!r} "
          f"r_bar={float(1 - stats.circvar(ang))!r}")

# ---------------------------------------------------------------- RNG
print("# SplitMix64 reference stream (Python re-implementation of splitmix64.c)")
M = (1 << 64) - 1


def splitmix(seed):
    state = seed
    while True:
        state = (state + 0x9E3779B97F4A7C15) & M
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        yield z ^ (z >> 31)


for seed in (0, 1234567):
    g = splitmix(seed)
    print(f"splitmix64 seed {seed}: {[next(g) for _ in range(5)]}")
g = splitmix(42)
print(f"next_f64 seed 42: {[(next(g) >> 11) * 2.0 ** -53 for _ in range(3)]!r}")

print("# naive: (1/4)^5 =", Fraction(1, 4) ** 5)
