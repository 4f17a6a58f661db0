"""Candidate minus baseline, paired on shared item ids when possible, with one-sided bounds.

Paired (the same items scored for both, which removes item difficulty from the comparison):

* binary outcomes: McNemar's exact p-value from the discordant pairs; bounds on the
  difference from exact (Clopper-Pearson) bounds on both discordance rates, combined by
  Bonferroni: valid by construction, at the price of width (see ``paired_binary``);
* scores: paired bootstrap of the mean difference (n <= 10,000), else paired t.

Unpaired fallback, when too few ids are shared (named in the result): Newcombe's hybrid score
bounds for a difference of proportions; for scores, Welch bounds on the difference of means,
the Mann-Whitney p-value and the Hodges-Lehmann shift estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats.bounds import (
    BOOTSTRAP_MAX_N,
    BOOTSTRAP_RESAMPLES,
    bootstrap_means,
    rate,
    seed_for,
)

MIN_SHARED_SHARE = 0.5  # pair when at least half of the smaller side's items are shared
MIN_SHARED = 10


@dataclass(frozen=True, slots=True)
class Comparison:
    delta: float
    delta_lower: float | None
    delta_upper: float | None
    rel_delta: float | None
    p_value: float | None
    n: int  # pairs when paired; candidate + baseline items otherwise
    paired: bool
    method: str
    confidence: float
    sd: float | None = None  # SD of the paired differences (for sample-size planning)
    shift: float | None = None  # Hodges-Lehmann shift (unpaired scores)


def _rel(delta: float, base: float) -> float | None:
    return delta / base if base not in (0.0,) and math.isfinite(base) else None


def paired_binary(c: np.ndarray, b: np.ndarray, confidence: float) -> Comparison:
    """Paired 0/1 outcomes (NaN pairs dropped): McNemar's exact p-value, and bounds on the
    difference from exact bounds on the two discordance rates.

    delta = P(candidate 1, baseline 0) - P(candidate 0, baseline 1). Each rate gets a
    Clopper-Pearson bound at ``1 - (1 - c) / 2`` and the two are combined (Bonferroni), so the
    bound holds with probability at least ``c`` by construction. Newcombe's paired score bounds
    are tighter but missed the true delta 6-7% of the time at 95% in our simulations of small
    discordance: too often for a release gate, where a miss is a false pass.
    """
    keep = ~(np.isnan(c) | np.isnan(b))
    c, b = c[keep], b[keep]
    n = int(c.size)
    if n == 0:
        return Comparison(math.nan, None, None, None, None, 0, True, "mcnemar", confidence)
    up = int(((c == 1) & (b == 0)).sum())  # candidate 1, baseline 0
    down = int(((c == 0) & (b == 1)).sum())
    delta = (up - down) / n
    each = 1.0 - (1.0 - confidence) / 2
    r_up, r_down = rate(up, n, each), rate(down, n, each)
    lower = float(r_up.lower) - float(r_down.upper)  # type: ignore[arg-type]
    upper = float(r_up.upper) - float(r_down.lower)  # type: ignore[arg-type]
    d = up + down
    p_value = 1.0 if d == 0 else float(sps.binomtest(up, d, 0.5).pvalue)
    method = "mcnemar exact p; exact bounds on both discordance rates (clopper-pearson, bonferroni)"
    return Comparison(
        delta, lower, upper, _rel(delta, float(b.mean())), p_value, n, True, method, confidence
    )


def paired_scores(c: np.ndarray, b: np.ndarray, confidence: float, label: str = "") -> Comparison:
    keep = ~(np.isnan(c) | np.isnan(b))
    diff = c[keep] - b[keep]
    n = int(diff.size)
    if n == 0:
        return Comparison(math.nan, None, None, None, None, 0, True, "paired", confidence)
    delta = float(diff.mean())
    base_mean = float(b[keep].mean())
    sd = float(diff.std(ddof=1)) if n > 1 else None
    if n < 2:
        return Comparison(
            delta, None, None, _rel(delta, base_mean), None, n, True, "paired", confidence
        )
    p_value = float(sps.ttest_1samp(diff, 0.0).pvalue) if sd else (1.0 if delta == 0 else 0.0)
    if n <= BOOTSTRAP_MAX_N:
        boot = bootstrap_means(diff, BOOTSTRAP_RESAMPLES, seed_for("paired", label, n, delta))
        lower = float(np.quantile(boot, 1.0 - confidence))
        upper = float(np.quantile(boot, confidence))
        method = f"paired bootstrap ({BOOTSTRAP_RESAMPLES} resamples)"
    else:
        t = float(sps.t.ppf(confidence, n - 1))
        se = (sd or 0.0) / math.sqrt(n)
        lower, upper = delta - t * se, delta + t * se
        method = "paired t"
    return Comparison(
        delta, lower, upper, _rel(delta, base_mean), p_value, n, True, method, confidence, sd=sd
    )


def unpaired_binary(c: np.ndarray, b: np.ndarray, confidence: float) -> Comparison:
    """Newcombe's hybrid score bounds (Wilson bounds of each side) for p_c - p_b."""
    c, b = c[~np.isnan(c)], b[~np.isnan(b)]
    if c.size == 0 or b.size == 0:
        return Comparison(math.nan, None, None, None, None, 0, False, "newcombe", confidence)
    rc = rate(int(c.sum()), int(c.size), confidence, "wilson")
    rb = rate(int(b.sum()), int(b.size), confidence, "wilson")
    assert None not in (rc.lower, rc.upper, rb.lower, rb.upper)
    delta = rc.value - rb.value
    lower = delta - math.sqrt((rc.value - rc.lower) ** 2 + (rb.upper - rb.value) ** 2)  # type: ignore[operator]
    upper = delta + math.sqrt((rc.upper - rc.value) ** 2 + (rb.value - rb.lower) ** 2)  # type: ignore[operator]
    table = np.array([[c.sum(), c.size - c.sum()], [b.sum(), b.size - b.sum()]])
    p_value = (
        float(sps.fisher_exact(table).pvalue)
        if table.min() < 5
        else float(sps.chi2_contingency(table, correction=False).pvalue)
    )
    return Comparison(
        delta,
        lower,
        upper,
        _rel(delta, rb.value),
        p_value,
        int(c.size + b.size),
        False,
        "unpaired: newcombe hybrid score",
        confidence,
    )


def unpaired_scores(c: np.ndarray, b: np.ndarray, confidence: float, label: str = "") -> Comparison:
    c, b = c[~np.isnan(c)], b[~np.isnan(b)]
    if c.size < 2 or b.size < 2:
        return Comparison(
            math.nan, None, None, None, None, int(c.size + b.size), False, "unpaired", confidence
        )
    delta = float(c.mean() - b.mean())
    vc, vb = float(c.var(ddof=1)) / c.size, float(b.var(ddof=1)) / b.size
    se = math.sqrt(vc + vb)
    dof = (vc + vb) ** 2 / ((vc**2) / (c.size - 1) + (vb**2) / (b.size - 1)) if se > 0 else 1.0
    t = float(sps.t.ppf(confidence, dof))
    p_value = float(sps.mannwhitneyu(c, b, alternative="two-sided").pvalue)
    rng = np.random.default_rng(seed_for("hl", label, c.size, b.size))
    cs = c if c.size <= 2000 else rng.choice(c, 2000, replace=False)
    bs = b if b.size <= 2000 else rng.choice(b, 2000, replace=False)
    shift = float(np.median(np.subtract.outer(cs, bs)))
    return Comparison(
        delta,
        delta - t * se,
        delta + t * se,
        _rel(delta, float(b.mean())),
        p_value,
        int(c.size + b.size),
        False,
        "unpaired: welch bounds, mann-whitney p, hodges-lehmann shift",
        confidence,
        shift=shift,
    )


def compare(
    cand: np.ndarray,
    base: np.ndarray,
    shared: tuple[np.ndarray, np.ndarray],
    *,
    binary: bool,
    confidence: float,
    label: str = "",
) -> Comparison:
    """Candidate minus baseline. ``shared`` holds the indices (into ``cand`` and ``base``) of
    items with the same id; pair on them when enough are shared, else the unpaired fallback."""
    ci, bi = shared
    smaller = min(cand.size, base.size)
    if ci.size >= max(MIN_SHARED, MIN_SHARED_SHARE * smaller):
        if binary:
            return paired_binary(cand[ci], base[bi], confidence)
        return paired_scores(cand[ci], base[bi], confidence, label)
    if binary:
        return unpaired_binary(cand, base, confidence)
    return unpaired_scores(cand, base, confidence, label)
