#!/usr/bin/env python3
"""Reference values for faultline-stats' survival, rate, soak and chi-square
functions (tests/survival.rs). Run from the crate folder, in the virtual
environment of generate.py plus lifelines:

    /tmp/statsvenv/bin/pip install scipy mpmath lifelines
    /tmp/statsvenv/bin/python reference/generate_survival.py > reference/survival_py.out

It also writes the chi-square grids reference/chi2_ppf.tsv (scipy) and
reference/chi2_cdf.tsv (mpmath), which the tests read with include_str!.

Versions used: scipy 1.17.1, mpmath 1.4.1, lifelines 0.30.3, Python 3.11.
The R side (survfit, survdiff, poisson.test, qchisq) is generate_survival.R.
Every value is computed independently of the Rust code.
"""

import math

import mpmath as mp
import numpy as np
import scipy
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from scipy import stats

mp.mp.dps = 50


def show(label, value):
    print(f"{label} = {float(value)!r}")


# ------------------------------------------------------------ chi-square grid
# df 1..30, then every 10 up to 200, and 2k + 2 for the Poisson/soak uses
# (k failures: df = 2k + 2) up to k = 1000. p from 1e-10 to 1 - 1e-10.
# Also a few non-integer df, down to 0.001 (the small-a formulas).
DFS = sorted(set(list(range(1, 31)) + list(range(40, 201, 10))
                 + [2 * k + 2 for k in (0, 1, 2, 3, 5, 10, 20, 50, 100, 200, 500, 999, 1000)]
                 + [0.001, 0.05, 0.3, 1.7, 7.25]))
PS = [1e-10, 1e-6, 1e-3, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.999,
      1 - 1e-6, 1 - 1e-10]
with open("reference/chi2_ppf.tsv", "w") as out:
    out.write(f"# scipy {scipy.__version__}: stats.chi2.ppf(p, df) and, for the upper\n")
    out.write("# tail, stats.chi2.isf(q, df); written by reference/generate_survival.py\n")
    out.write("# kind\tdf\tprobability\tquantile\n")
    for df in DFS:
        for p in PS:
            out.write(f"ppf\t{df}\t{p!r}\t{float(stats.chi2.ppf(p, df))!r}\n")
        for q in [1e-300, 1e-100, 1e-30, 1e-15, 1e-10]:
            out.write(f"isf\t{df}\t{q!r}\t{float(stats.chi2.isf(q, df))!r}\n")


def mp_p(a, x):
    return mp.gammainc(a, 0, x, regularized=True)


def mp_q(a, x):
    return mp.gammainc(a, x, mp.inf, regularized=True)


# CDF and upper tail at 50 digits, at x around each quantile and far out.
with open("reference/chi2_cdf.tsv", "w") as out:
    out.write(f"# mpmath {mp.__version__} (50 digits): gammainc(df/2, 0, x/2) and\n")
    out.write("# gammainc(df/2, x/2, inf), regularized; written by reference/generate_survival.py\n")
    out.write("# df\tx\tcdf\tsf\n")
    for df in [1, 2, 3, 5, 10, 29, 30, 31, 100, 199, 1001, 2002, 20000]:
        xs = [float(stats.chi2.ppf(p, df)) for p in (1e-8, 0.01, 0.3, 0.5, 0.8, 0.99)]
        xs += [df * f for f in (1e-3, 0.9, 1.0, 1.1, 4.0)] + [df + 2 * math.sqrt(df), 500.0, 1.0]
        xs += [2.19, 2.21]  # either side of x/2 = 1.1, where small a switches method
        for x in xs:
            a, h = mp.mpf(df) / 2, mp.mpf(x) / 2
            out.write(f"{df}\t{x!r}\t{mp.nstr(mp_p(a, h), 20)}\t{mp.nstr(mp_q(a, h), 20)}\n")
    # Non-integer degrees of freedom (stirlerr off the half-integer table).
    for df in [1e-6, 1e-3, 0.3, 1.7, 7.25, 33.3]:
        for x in [0.01, 1.0, 2.19, 2.21, df, 3 * df + 5]:
            a, h = mp.mpf(df) / 2, mp.mpf(x) / 2
            out.write(f"{df!r}\t{x!r}\t{mp.nstr(mp_p(a, h), 20)}\t{mp.nstr(mp_q(a, h), 20)}\n")


def mp_gamma_p_inv(a, p):
    """x with P(a, x) = p by bisection in ln x at 50 digits."""
    lo, hi = mp.mpf(-800), mp.mpf(20)
    for _ in range(250):
        mid = (lo + hi) / 2
        if mp_p(a, mp.exp(mid)) < p:
            lo = mid
        else:
            hi = mid
    return mp.exp((lo + hi) / 2)


print("# chi-square quantiles: mpmath bisection at 50 digits (2 * P^-1(df/2, p)),")
print("# p taken as the f64 the tests pass (float(p)), not the decimal")
for df, p in [(1, "1e-10"), (1, "0.95"), (2, "0.975"), (4, "0.025"), (2002, "1e-10"),
              (2002, "0.975"), (200, "0.5"), (0.3, "0.5"), (0.001, "0.9")]:
    v = 2 * mp_gamma_p_inv(mp.mpf(df) / 2, mp.mpf(float(p)))
    print(f"mpmath chi2 quantile(p={p}, df={df}) = {mp.nstr(v, 20)}")
print("# deep upper tails: mpmath")
for df, x in [(3, 150), (1, 1000), (2002, 4000)]:
    print(f"mpmath chi2 sf(x={x}, df={df}) = {mp.nstr(mp_q(mp.mpf(df) / 2, mp.mpf(x) / 2), 20)}")

# ------------------------------------------------------------ Kaplan-Meier
KM = {
    "aml_maintained": ([9, 13, 13, 18, 23, 28, 31, 34, 45, 48, 161],
                       [1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0]),
    "lab": ([0.35, 0.9, 1.2, 1.2, 2.7, 4, 4, 4, 3.1, 0.05, 1.2, 2.7],
            [1, 1, 1, 0, 1, 0, 0, 0, 1, 1, 1, 0]),
    "half": ([1, 2, 3, 4], [1, 1, 1, 1]),
}
print("# Kaplan-Meier: lifelines KaplanMeierFitter (survival at event times, median)")
for name, (t, e) in KM.items():
    kmf = KaplanMeierFitter().fit(t, e)
    sf = kmf.survival_function_["KM_estimate"]
    ev = sorted(set(x for x, d in zip(t, e) if d))
    print(f"lifelines km {name}: survival at {ev} = {[float(sf.loc[x]) for x in ev]!r} "
          f"median = {kmf.median_survival_time_!r}")

# ------------------------------------------------------------ log-rank
print("# log-rank, two groups: scipy.stats.logrank (statistic is signed Z; chi2 = Z^2)")
a = KM["aml_maintained"]
b = ([5, 5, 8, 8, 12, 16, 23, 27, 30, 33, 43, 45], [1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1])


def censored(t, e):
    t = np.asarray(t, dtype=float)
    e = np.asarray(e, dtype=bool)
    return stats.CensoredData(uncensored=t[e], right=t[~e])


res = stats.logrank(censored(*a), censored(*b))
print(f"scipy logrank aml: Z = {float(res.statistic)!r} chi2 = {float(res.statistic) ** 2!r} "
      f"p = {float(res.pvalue)!r}")
one = ([2.0, 3.0], [1, 0])
two = ([1.0, 4.0, 4.0], [1, 1, 0])
res = stats.logrank(censored(*one), censored(*two))
print(f"scipy logrank small ({one} vs {two}): chi2 = {float(res.statistic) ** 2!r} "
      f"p = {float(res.pvalue)!r}")

print("# log-rank, k groups: lifelines multivariate_logrank_test")
g1 = ([0.2, 0.5, 0.5, 1.1, 1.7, 2.0, 3.3, 4, 4], [1, 1, 1, 1, 1, 1, 1, 0, 0])
g2 = ([0.9, 1.4, 2.6, 3.0, 4, 4, 4, 4], [1, 1, 1, 1, 0, 0, 0, 0])
g3 = ([2.2, 4, 4, 4, 4, 4, 4, 0.5, 3.9], [1, 0, 0, 0, 0, 0, 0, 1, 1])
times = g1[0] + g2[0] + g3[0]
events = g1[1] + g2[1] + g3[1]
labels = [1] * 9 + [2] * 8 + [3] * 9
r = multivariate_logrank_test(times, labels, events)
print(f"lifelines three: chi2 = {float(r.test_statistic)!r} df = {r.degrees_of_freedom} "
      f"p = {float(r.p_value)!r}")
r = multivariate_logrank_test(a[0] + b[0], [1] * len(a[0]) + [2] * len(b[0]), a[1] + b[1])
print(f"lifelines aml: chi2 = {float(r.test_statistic)!r} p = {float(r.p_value)!r}")

# ------------------------------------------------------------ Poisson rate
print("# Garwood interval: scipy chi2.ppf(0.025, 2k)/2T, chi2.ppf(0.975, 2k+2)/2T,")
print("# one-sided chi2.ppf(0.95, 2k+2)/2T")
for k, T in [(0, 10.0), (1, 10.0), (2, 7.5), (5, 120.0), (10, 1000.0), (100, 250.0),
             (1000, 3e4)]:
    low = stats.chi2.ppf(0.025, 2 * k) / 2 / T if k else 0.0
    high = stats.chi2.ppf(0.975, 2 * k + 2) / 2 / T
    one = stats.chi2.ppf(0.95, 2 * k + 2) / 2 / T
    print(f"garwood({k}, {T}): low = {float(low)!r} high = {float(high)!r} "
          f"one_sided = {float(one)!r}")
show("-ln(0.05)", -mp.log(mp.mpf("0.05")))
show("-ln(0.025)", -mp.log(mp.mpf("0.025")))

# ------------------------------------------------------------ soak
print("# soak time: m * chi2.ppf(c, 2k + 2) / 2 (scipy), k = 0 also mpmath -ln(1-c)")
for m, c, k in [(1.0, 0.95, 0), (2.5, 0.99, 0), (1.0, 0.95, 1), (3.0, 0.9, 2),
                (0.5, 0.999, 10), (1.0, 1e-12, 0)]:
    v = m * stats.chi2.ppf(c, 2 * k + 2) / 2
    print(f"soak_time(m={m}, c={c}, k={k}) = {float(v)!r}")
show("mpmath 2.5 * -ln(1 - 0.99)", mp.mpf("2.5") * -mp.log(1 - mp.mpf("0.99")))
show("mpmath -ln(1 - 1e-12)", -mp.log(1 - mp.mpf("1e-12")))
print("# soak confidence: P(N > k), N ~ Poisson(t / m): scipy poisson.sf(k, t/m)")
for m, t, k in [(1.0, 3.0, 0), (2.0, 1.0, 0), (1.0, 4.0, 1), (3.0, 20.0, 2), (1.0, 1e-9, 0)]:
    print(f"soak_confidence(m={m}, t={t}, k={k}) = {float(stats.poisson.sf(k, t / m))!r}")
show("mpmath 1 - exp(-1e-9)", 1 - mp.exp(mp.mpf("-1e-9")))
print("# baseline: MTTF upper = 2 T0 / chi2.ppf(0.025, 2 k0) (scipy)")
for k0, T0, c, k in [(3, 12.0, 0.95, 0), (1, 2.0, 0.95, 0), (20, 40.0, 0.99, 1)]:
    mu = 2 * T0 / stats.chi2.ppf(0.025, 2 * k0)
    print(f"baseline({k0}, {T0}): mttf_upper = {float(mu)!r} "
          f"soak_time(c={c}, k={k}) = {float(mu * stats.chi2.ppf(c, 2 * k + 2) / 2)!r} "
          f"confidence after 10 clean = {float(stats.poisson.sf(0, 10 / mu))!r}")
