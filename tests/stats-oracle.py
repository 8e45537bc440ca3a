#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""An independent check of s2bench's statistics against numpy and scipy.

usage: /usr/bin/python3 tests/stats-oracle.py S2BENCH [SEED]

Generates samples (a fixed seed; ties, zero differences, small n for the
exact tests, larger n for the normal approximations), runs `S2BENCH stats`
on them, and compares every figure with numpy / scipy (Debian's
python3-scipy, 1.10). Prints one line per check; exits 1 on any
disagreement, 2 on a usage problem.

What is compared, and how closely:
- quantiles, mean, sd, cv: numpy (linear interpolation, ddof=1), rel 1e-9;
- Mann-Whitney U and p: scipy.stats.mannwhitneyu(method='exact' when
  s2bench says exact, else 'asymptotic', use_continuity=True), rel 1e-6;
  s2bench must choose exact exactly when both n <= 50. With ties scipy's
  'exact' ignores them, so the reference is the permutation distribution:
  scipy.stats.permutation_test over every split (n_resamples=inf) where
  C(N, nA) <= 200000, else a count of the splits by rank sum written here
  (a generating function over the tie groups, in Python integers);
- the shift (Hodges-Lehmann): the median of the pairwise differences (of the
  logs when every value is > 0) by numpy, and its CI [D(k), D(mn+1-k)] with k
  from the no-ties law of U (counted here, in integers), rel 1e-9;
- Wilcoxon: scipy.stats.wilcoxon on the log ratios, zero_method='wilcox',
  correction=True, rel 1e-6. For exact p the zeros are dropped before
  calling scipy: scipy 1.10 falls back to the normal approximation whenever
  the raw differences contain a zero, although with 'wilcox' they are
  dropped anyway. scipy's two-sided statistic is min(W+, W-); W+ itself is
  checked against a direct rank sum;
- Holm: the textbook formula, rel 1e-12;
- bootstrap CIs: the RNGs differ (GSL mt19937 vs numpy's PCG64), so only
  agreement up to Monte Carlo error can be asked, and the bootstrap
  distribution of a median is discrete (order statistics and their
  midpoints, big atoms when values tie), so a distance in value means
  little. The test is in probability instead: scipy's replicates of
  BOOT_RUNS runs (100000, a reference whose own error is ~0.0005) must put
  between 2.5% - 0.008 and 2.5% + 0.008 of their mass below our lower
  endpoint, counting an atom at the endpoint on either side (97.5% for the
  upper one). Our endpoint is a quantile of 10000 replicates, whose error
  in probability has sd sqrt(0.025 * 0.975 / 10000) = 0.0016: 0.008 is 5
  of those, a chance failure about once in a million endpoints, while a
  wrong statistic, resampling or percentile rule misses by far more. The
  same test serves the relative difference of medians (two samples, each
  resampled on its own, as scipy does for several samples).
"""
import json
import subprocess
import sys

import numpy as np
from scipy import stats

REL = 1e-9
REL_P = 1e-6
EXACT_MAX_N = 50
failures = 0
checks = 0


def report(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
    print(("ok: " if ok else "FAIL: ") + what)


def close(got, want, rel, absolute=0.0):
    if got is None or want is None:
        return got is want
    return abs(got - want) <= max(rel * max(abs(got), abs(want)), absolute)


def fmt(v):
    return ",".join(repr(float(x)) for x in v)


def s2bench(*args):
    out = subprocess.run([S2BENCH, "stats", *args], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"stats-oracle: s2bench stats {' '.join(args)[:80]}...: "
                         f"exit {out.returncode}: {out.stderr.strip()}")
    return json.loads(out.stdout)


# ---- summaries ----

def check_summary(name, x, got):
    want = {
        "n": len(x),
        "median": float(np.median(x)),
        "p10": float(np.quantile(x, 0.10)),
        "p90": float(np.quantile(x, 0.90)),
        "min": float(np.min(x)),
        "max": float(np.max(x)),
        "mean": float(np.mean(x)),
    }
    if len(x) > 1:
        want["sd"] = float(np.std(x, ddof=1))
        if want["mean"] > 0:
            want["cv"] = want["sd"] / want["mean"]
    bad = [k for k, v in want.items() if not close(got.get(k), v, REL, 1e-300)]
    if len(x) == 1:
        bad += [] if "sd_unavailable" in got and "sd" not in got else ["sd_unavailable"]
    report(not bad, f"{name}: n={len(x)} summary "
           + (f"matches numpy (median {want['median']:.6g})" if not bad else
              "differs: " + ", ".join(f"{k} {got.get(k)} vs {want[k] if k in want else '-'}"
                                      for k in bad)))


BOOT_RUNS = 10
# Probability slack for a bootstrap endpoint (see the docstring).
BOOT_SLACK = 0.008


def bootstrap_reference(samples, statistic, seed):
    """scipy's CI and the replicates of BOOT_RUNS runs of its bootstrap."""
    runs = [stats.bootstrap(samples, statistic, method="percentile", n_resamples=10000,
                            random_state=seed + k, vectorized=True, axis=-1)
            for k in range(BOOT_RUNS)]
    replicates = np.concatenate([r.bootstrap_distribution for r in runs])
    return runs[0].confidence_interval, replicates


def check_ci(name, got, ci, replicates):
    """Each endpoint must be a 2.5% / 97.5% point of scipy's replicates."""
    ok = True
    parts = []
    for key, want, q in (("ci_lo", ci.low, 0.025), ("ci_hi", ci.high, 0.975)):
        e = got[key]
        # The same replicate may differ in its last bits between the two.
        fuzz = 1e-12 * abs(e)
        below = float(np.mean(replicates < e - fuzz))
        at_or_below = float(np.mean(replicates <= e + fuzz))
        ok &= below <= q + BOOT_SLACK and at_or_below >= q - BOOT_SLACK
        parts.append(f"{key} {e:.6g} (scipy {want:.6g}; scipy's P(<) {below:.4f}, "
                     f"P(<=) {at_or_below:.4f}, want {q} +- {BOOT_SLACK})")
    report(ok, f"{name}: " + "; ".join(parts))


def check_median_ci(name, x, got, seed):
    if len(x) < 6:
        report("ci_unavailable" in got and "ci_lo" not in got,
               f"{name}: n={len(x)}: no CI below 6 values ({got.get('ci_unavailable')})")
        return
    ci, replicates = bootstrap_reference((x,), np.median, seed)
    check_ci(f"{name}: n={len(x)} median CI", got, ci, replicates)


# ---- Mann-Whitney ----

def has_ties(v):
    return len(np.unique(v)) < len(v)


def u_counts(m, n):
    """Counts of the C(m+n, m) orderings by U, no ties (Python integers)."""
    # f[j][k] for the current i; the recurrence of Mann & Whitney (1947)
    f = [[1] + [0] * (m * n) for _ in range(n + 1)]
    for i in range(1, m + 1):
        g = [[1] + [0] * (m * n)]
        for j in range(1, n + 1):
            g.append([g[j - 1][k] + (f[j][k - j] if k >= j else 0) for k in range(m * n + 1)])
        f = g
    return f[n]


def tied_permutation_p(a, b):
    """2 min(P(R <= r), P(R >= r)) of A's mid-rank sum over every split."""
    from math import comb
    pooled = np.concatenate([a, b])
    ranks = stats.rankdata(pooled)
    robs = int(round(2 * ranks[:len(a)].sum()))
    poly = {(0, 0): 1}          # (values taken, doubled rank sum) -> ways
    for r in np.unique(ranks):
        t = int((ranks == r).sum())
        r2 = int(round(2 * r))
        nxt = {}
        for (k, s), c in poly.items():
            for j in range(0, min(t, len(a) - k) + 1):
                key = (k + j, s + j * r2)
                nxt[key] = nxt.get(key, 0) + c * comb(t, j)
        poly = nxt
    dist = {s: c for (k, s), c in poly.items() if k == len(a)}
    total = sum(dist.values())
    lower = sum(c for s, c in dist.items() if s <= robs) / total
    upper = sum(c for s, c in dist.items() if s >= robs) / total
    return min(1.0, 2 * min(lower, upper))


def exact_reference_p(a, b):
    from math import comb
    if comb(len(a) + len(b), len(a)) <= 200000:
        def u_stat(x, y, axis=-1):
            return stats.mannwhitneyu(x, y, axis=axis).statistic
        res = stats.permutation_test((a, b), u_stat, permutation_type="independent",
                                     n_resamples=np.inf, alternative="two-sided",
                                     vectorized=True)
        return float(res.pvalue), "permutation_test"
    return tied_permutation_p(a, b), "split count"


def check_mann_whitney(name, a, b, seed):
    out = s2bench("--seed", str(seed), fmt(a), fmt(b))
    check_summary(name + " A", a, out["a"])
    check_summary(name + " B", b, out["b"])
    mw = out["mann_whitney"]
    if len(a) < 4 or len(b) < 4:
        report(mw["tested"] is False, f"{name}: not tested below 4 ({mw.get('reason')})")
        return out
    want_exact = max(len(a), len(b)) <= EXACT_MAX_N
    ties = has_ties(np.concatenate([a, b]))
    ref = stats.mannwhitneyu(a, b, alternative="two-sided", use_continuity=True,
                             method="exact" if want_exact and not ties else "asymptotic")
    ref_p, how = float(ref.pvalue), "scipy " + ("exact" if want_exact else "asymptotic")
    if want_exact and ties:
        ref_p, how = exact_reference_p(a, b)
    ok = (mw["exact"] == want_exact and close(mw["u"], float(ref.statistic), REL)
          and close(mw["p"], ref_p, REL_P)
          and close(mw["u_b"], len(a) * len(b) - float(ref.statistic), REL))
    report(ok, f"{name}: Mann-Whitney n={len(a)},{len(b)}{' ties' if ties else ''} "
           f"{'exact' if mw['exact'] else 'asymptotic'}: U {mw['u']:g} p {mw['p']:.6g} "
           f"(U {ref.statistic:g} p {ref_p:.6g} by {how})")
    check_shift(name, a, b, out["shift"])
    return out


def check_shift(name, a, b, got):
    """Hodges-Lehmann estimate and its Mann-Whitney CI, computed here."""
    from math import comb
    positive = bool((a > 0).all() and (b > 0).all())
    d = (np.log(b)[None, :] - np.log(a)[:, None]) if positive else (b[None, :] - a[:, None])
    d = np.sort(d.ravel())
    est = float(np.median(d))
    m, n = len(a), len(b)
    k = 0
    if m <= EXACT_MAX_N and n <= EXACT_MAX_N:
        f, total, cum = u_counts(m, n), comb(m + n, m), 0
        for c, cnt in enumerate(f):
            cum += cnt
            if cum / total > 0.025:
                k = c
                break
    else:
        k = int(np.floor(m * n / 2 - stats.norm.isf(0.025) * np.sqrt(m * n * (m + n + 1) / 12)))
    lo, hi = (float(d[k - 1]), float(d[m * n - k])) if k >= 1 else (None, None)
    if positive:
        est, lo, hi = np.expm1(est), np.expm1(lo), np.expm1(hi)
    min_p = min(1.0, 2 / comb(m + n, m)) if max(m, n) <= EXACT_MAX_N else 0.0
    ok = (got["relative"] == positive and close(got["estimate"], est, REL, 1e-15)
          and close(got.get("ci_lo"), lo, REL, 1e-15) and close(got.get("ci_hi"), hi, REL, 1e-15)
          and close(got["min_p"], min_p, REL, 1e-300))
    report(ok, f"{name}: shift {'relative' if positive else 'absolute'} {got['estimate']:.6g} "
           f"[{got.get('ci_lo')}, {got.get('ci_hi')}] (here {est:.6g} [{lo}, {hi}], k={k}), "
           f"min p {got['min_p']:.3g}")


def check_delta_ci(name, a, b, got, seed):
    d = got["delta"]
    want = np.median(b) / np.median(a) - 1
    if len(a) < 6 or len(b) < 6:
        report(close(d["value"], want, REL) and "ci_unavailable" in d,
               f"{name}: delta {d['value']:.6g} (numpy {want:.6g}), no CI below 6")
        return

    def ratio(x, y, axis=-1):
        return np.median(y, axis=axis) / np.median(x, axis=axis) - 1

    report(close(d["value"], want, REL), f"{name}: delta {d['value']:.6g} (numpy {want:.6g})")
    ci, replicates = bootstrap_reference((a, b), ratio, seed)
    check_ci(f"{name}: delta CI", d, ci, replicates)


# ---- Wilcoxon ----

def check_wilcoxon(name, a, b, seed):
    out = s2bench("--seed", str(seed), "--paired", fmt(a), fmt(b))
    w = out["wilcoxon"]
    d = np.log(b / a)
    nz = d[d != 0]
    if len(nz) < 4:
        report(w["tested"] is False and w["n"] == len(nz),
               f"{name}: Wilcoxon not tested with {len(nz)} non-zero differences")
        return
    want_exact = not has_ties(np.abs(nz)) and len(nz) <= EXACT_MAX_N
    if want_exact:
        ref = stats.wilcoxon(nz, alternative="two-sided", method="exact")
    else:
        ref = stats.wilcoxon(d, zero_method="wilcox", correction=True,
                             alternative="two-sided", method="approx")
    ranks = stats.rankdata(np.abs(nz))
    w_plus = float(ranks[nz > 0].sum())
    ok = (w["exact"] == want_exact and w["n"] == len(nz)
          and close(w["w_plus"], w_plus, REL)
          and close(w["w_minus"], float(ranks[nz < 0].sum()), REL)
          and close(min(w["w_plus"], w["w_minus"]), float(ref.statistic), REL)
          and close(w["p"], float(ref.pvalue), REL_P))
    report(ok, f"{name}: Wilcoxon n={len(d)} ({len(d) - len(nz)} zero) "
           f"{'exact' if w['exact'] else 'normal'}: W+ {w['w_plus']:g} W- {w['w_minus']:g} "
           f"p {w['p']:.6g} (scipy min(W+,W-) {ref.statistic:g} p {ref.pvalue:.6g}, "
           f"W+ {w_plus:g})")
    r = b / a
    ok = close(out["ratio"]["median"], float(np.median(r)), REL)
    report(ok, f"{name}: median ratio {out['ratio']['median']:.6g} "
           f"(numpy {np.median(r):.6g})")
    check_median_ci(name + " ratio", r, out["ratio"], seed)


# ---- Holm ----

def holm(p):
    p = np.asarray(p)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for i, k in enumerate(order):
        running = max(running, min(1.0, (m - i) * p[k]))
        adj[k] = running
    return adj


def check_holm(name, p):
    out = s2bench("--holm", fmt(p))
    want = holm(p)
    ok = len(out["holm"]) == len(p) and all(
        close(g, w, 1e-12) for g, w in zip(out["holm"], want))
    report(ok, f"{name}: Holm of {len(p)} p-values "
           + ("matches" if ok else f"differs: {out['holm']} vs {want.tolist()}"))


# ---- samples ----

def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.splitlines()[2], file=sys.stderr)
        sys.exit(2)
    global S2BENCH
    S2BENCH = sys.argv[1]
    seed = int(sys.argv[2]) if len(sys.argv) == 3 else 20240601
    rng = np.random.default_rng(seed)

    def timings(n, cv=0.05, ties=False, scale=1.0):
        x = 1000 * scale * (1 + cv * rng.standard_normal(n))
        # Rounding to whole units makes ties, as a coarse clock does.
        return np.round(x / 10) * 10 if ties else x

    # One-sample summaries and CIs, sizes around every threshold.
    for n in (1, 2, 3, 5, 6, 7, 10, 11, 25, 40):
        x = timings(n, ties=(n % 2 == 0))
        out = s2bench("--seed", str(n), fmt(x))
        check_summary(f"sample{n}", x, out["a"])
        check_median_ci(f"sample{n}", x, out["a"], n)

    # Mann-Whitney: exact (small and up to 50, no ties), asymptotic (ties or > 50).
    cases = [(4, 4, False, 1.0), (4, 7, False, 1.05), (5, 5, False, 1.2),
             (6, 8, False, 1.0), (7, 6, False, 1.1), (8, 8, False, 1.03),
             (12, 15, False, 1.02), (20, 20, False, 1.0), (50, 45, False, 1.01),
             (5, 6, True, 1.0), (8, 7, True, 1.1),
             (30, 30, True, 1.0), (40, 35, True, 1.03), (60, 55, True, 1.02),
             (51, 60, False, 1.01), (3, 8, False, 1.0)]
    for i, (na, nb, ties, shift) in enumerate(cases):
        a = timings(na, ties=ties)
        b = timings(nb, ties=ties, scale=shift)
        out = check_mann_whitney(f"mw{i}", a, b, 100 + i)
        if i % 3 == 0 or na >= 30:
            check_delta_ci(f"mw{i}", a, b, out, 100 + i)
    # Every value tied: no split differs from another, p = 1; the shift is 0.
    out = s2bench(fmt([5.0] * 6), fmt([5.0] * 6))
    report(out["mann_whitney"]["p"] == 1.0 and out["mann_whitney"]["exact"]
           and out["shift"]["estimate"] == 0 and out["shift"]["ci_lo"] == 0
           and out["shift"]["ci_hi"] == 0,
           f"all tied: Mann-Whitney p {out['mann_whitney']['p']}, shift {out['shift']}")
    # Small samples with ties, where the normal law was used before (5,5,5,5
    # against 6,6,6,6 gave 0.0131; counting the 70 splits gives 2/70), and
    # zeros (counts), where the shift is absolute.
    tied = [([5.0] * 4, [6.0] * 4), ([0.0] * 5, [0.0, 0.0, 0.0, 1.0, 2.0]),
            ([4096.0] * 6, [4096.0] * 6), ([1, 2, 2, 3, 3, 3], [2, 3, 3, 4, 4, 5, 5]),
            ([0.0, 0.0, 1.0, 0.0, 0.0, 0.0], [3.0, 2.0, 2.0, 0.0, 4.0, 2.0]),
            ([10, 10, 11, 12, 12, 12, 13, 13], [11, 12, 12, 13, 13, 14, 14, 14, 15])]
    for i, (a, b) in enumerate(tied):
        check_mann_whitney(f"tie{i}", np.asarray(a, float), np.asarray(b, float), 300 + i)
    out = s2bench(fmt([5.0] * 4), fmt([6.0] * 4))
    report(abs(out["mann_whitney"]["p"] - 2 / 70) < 1e-12,
           f"5,5,5,5 vs 6,6,6,6: p {out['mann_whitney']['p']:.6g} (2/70 = {2 / 70:.6g})")

    # Wilcoxon on pairs: exact (no ties, zeros dropped), normal (ties, > 50).
    def pairs(n, zeros=0, ties=False, shift=1.0):
        a = np.round(timings(n), 3)
        b = a * shift * (1 + 0.03 * rng.standard_normal(n))
        if ties:
            # Whole numbers k*20 and k*m: every b/a of one m is the same
            # double (division is correctly rounded), so the tied |log|s
            # are tied in both implementations, not by accident of rounding.
            k = rng.integers(40, 60, n)
            a = 20.0 * k
            b = k * rng.choice([18.0, 19.0, 21.0, 22.0, 24.0], n)
        b[:zeros] = a[:zeros]
        return a, b

    wcases = [(4, 0, False, 1.0), (6, 0, False, 1.05), (8, 2, False, 1.0),
              (10, 0, False, 1.02), (15, 3, False, 1.01), (30, 0, False, 1.0),
              (50, 0, False, 1.01), (10, 0, True, 1.0), (25, 2, True, 1.0),
              (60, 0, False, 1.0), (55, 4, False, 1.02), (5, 3, False, 1.0)]
    for i, (n, zeros, ties, shift) in enumerate(wcases):
        a, b = pairs(n, zeros, ties, shift)
        check_wilcoxon(f"wx{i}", a, b, 200 + i)

    # Holm: random p-values, with repeats and ones.
    for i, m in enumerate((1, 2, 5, 12, 40)):
        p = rng.uniform(0, 0.2, m)
        if m > 4:
            p[1] = p[0]
            p[-1] = 1.0
        check_holm(f"holm{i}", p)

    print(f"{checks - failures}/{checks} checks agree")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
