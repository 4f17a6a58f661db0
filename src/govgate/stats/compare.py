"""Candidate minus baseline, paired on shared item ids when possible, with one-sided bounds.

Paired (the same items scored for both, which removes item difficulty from the comparison):

* 0/1 outcomes: McNemar's exact p-value from the discordant pairs; bounds on the difference
  of the discordance rates from Tango's score statistic with a continuity correction, or, with
  fewer than 5 pairs of a kind (improvements only, near-total discordance), exact bounds of
  both discordance rates combined (``stats/proportions.py``: levels checked by enumeration);
* scores: the betting bound on the per-item differences, whose range follows from the two
  sides' ranges (``[lo_c - hi_b, hi_c - lo_b]``); without both ranges there is no valid bound
  unless the policy opts in to ``approximate-t`` / ``approximate-bootstrap``.

Unpaired fallback, when too few ids are shared (named in the result): for 0/1 outcomes exact
Clopper-Pearson bounds of each side at ``1 - (1 - c) / 2``, combined (Bonferroni: valid by
construction); for scores the betting bounds of each side, combined the same way (or Welch,
labelled approximate, on opt-in); the Mann-Whitney p-value and the Hodges-Lehmann shift are
reported beside them.

Sequential (``sequential=True``, the canary stage by default; items in arrival order): every
valid bound is a confidence sequence, valid under any number of looks. Paired 0/1 outcomes and
paired scores: the betting confidence sequence on the per-item differences (0/1 differences lie
in ``[-1, 1]``); unpaired: each side's confidence sequence at ``1 - (1 - c) / 2``, combined.
Since the design (paired or not) is chosen at each look from the ids shared so far, each design
gets half the error (Bonferroni across the two): a canary that switches design between looks
keeps its error at ``1 - c``. The p-values of the fixed-sample tests are not valid under
repeated looks and are left out.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats.bounds import (
    BOOTSTRAP_RESAMPLES,
    FIXED_SAMPLE,
    NO_RANGE,
    ValueRange,
    betting_label,
    bootstrap_means,
    bounded_mean_bounds,
    data_seed,
    rate,
    too_few,
)
from govgate.stats.proportions import MIN_EVENTS, few_pairs, paired_lower, paired_upper
from govgate.terms import MeanMethod

MIN_SHARED_SHARE = 0.5  # pair when at least half of the smaller side's items are shared
MIN_SHARED = 10
HL_POINTS = 2_000  # Hodges-Lehmann shift over at most this many order statistics per side


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
    approximate: bool = False
    note: str | None = None
    below_minimum: bool = False  # too few pairs or items per side: no rule passes on it


def _rel(delta: float, base: float) -> float | None:
    return delta / base if base not in (0.0,) and math.isfinite(base) else None


def difference_range(cand: ValueRange | None, base: ValueRange | None) -> ValueRange | None:
    """The range of ``candidate - baseline`` per item, from the two sides' ranges."""
    if cand is None or base is None:
        return None
    return ValueRange(cand.lo - base.hi, cand.hi - base.lo, f"of differences, {cand.source}")


def paired_binary(c: np.ndarray, b: np.ndarray, confidence: float) -> Comparison:
    """Paired 0/1 outcomes (NaN pairs dropped): McNemar's exact p-value, Tango score bounds.

    delta = P(candidate 1, baseline 0) - P(candidate 0, baseline 1). Each bound is one-sided at
    ``confidence``. (The earlier Bonferroni combination of Clopper-Pearson bounds on both
    discordance rates was valid but blocked 60% of safe releases where a level-5% test blocks
    about 22%: see docs/statistics.md.)
    """
    keep = ~(np.isnan(c) | np.isnan(b))
    c, b = c[keep], b[keep]
    n = int(c.size)
    if n == 0:
        return Comparison(math.nan, None, None, None, None, 0, True, "mcnemar", confidence)
    up = int(((c == 1) & (b == 0)).sum())  # candidate 1, baseline 0
    down = int(((c == 0) & (b == 1)).sum())
    delta = (up - down) / n
    lower = paired_lower(up, down, n, confidence)
    upper = paired_upper(up, down, n, confidence)
    d = up + down
    p_value = 1.0 if d == 0 else float(sps.binomtest(up, d, 0.5).pvalue)
    method = "mcnemar exact p; " + (
        f"exact bounds of both discordance rates (bonferroni: under {MIN_EVENTS} pairs of a kind)"
        if few_pairs(up, down, n)
        else "tango score bounds (continuity-corrected)"
    )
    return Comparison(
        delta, lower, upper, _rel(delta, float(b.mean())), p_value, n, True, method, confidence
    )


def paired_binary_sequential(c: np.ndarray, b: np.ndarray, confidence: float) -> Comparison:
    """Paired 0/1 outcomes in arrival order: the betting confidence sequence on the per-pair
    differences, which lie in ``[-1, 1]`` (valid under any number of looks; no p-value)."""
    keep = ~(np.isnan(c) | np.isnan(b))
    c, b = c[keep], b[keep]
    n = int(c.size)
    unit = ValueRange(-1.0, 1.0, "of 0/1 differences")
    label = f"paired {betting_label(unit, sequential=True)}"
    if n == 0:
        return Comparison(math.nan, None, None, None, None, 0, True, label, confidence)
    diff = c - b
    delta = float(diff.mean())
    lower, upper = bounded_mean_bounds(diff, unit, confidence, sequential=True)
    return Comparison(
        delta, lower, upper, _rel(delta, float(b.mean())), None, n, True, label, confidence
    )


def _mean_diff_bounds(
    diff: np.ndarray,
    confidence: float,
    method: MeanMethod,
    value_range: ValueRange | None,
    sequential: bool = False,
) -> tuple[float | None, float | None, str, bool, str | None]:
    """(lower, upper, method label, approximate, note) for the mean of ``diff``."""
    method = MeanMethod(method)
    if method is MeanMethod.BETTING:
        if value_range is None:
            return None, None, method.value, False, NO_RANGE
        lower, upper = bounded_mean_bounds(diff, value_range, confidence, sequential=sequential)
        return lower, upper, betting_label(value_range, sequential=sequential), False, None
    fixed = f" ({FIXED_SAMPLE})" if sequential else ""
    if method is MeanMethod.APPROXIMATE_T:
        t = float(sps.t.ppf(confidence, diff.size - 1))
        se = float(diff.std(ddof=1)) / math.sqrt(diff.size)
        mean_ = float(diff.mean())
        return mean_ - t * se, mean_ + t * se, "approximate-t" + fixed, True, None
    boot = bootstrap_means(diff, BOOTSTRAP_RESAMPLES, data_seed(diff, "paired"))
    label = f"approximate-bootstrap ({BOOTSTRAP_RESAMPLES} resamples){fixed}"
    lower, upper = float(np.quantile(boot, 1.0 - confidence)), float(np.quantile(boot, confidence))
    return lower, upper, label, True, None


def paired_scores(
    c: np.ndarray,
    b: np.ndarray,
    confidence: float,
    *,
    method: MeanMethod = MeanMethod.BETTING,
    value_range: ValueRange | None = None,
    sequential: bool = False,
) -> Comparison:
    """Paired scores: bounds on the mean per-item difference (``value_range`` is its range)."""
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
    p_value: float | None = (
        float(sps.ttest_1samp(diff, 0.0).pvalue) if sd else (1.0 if delta == 0 else 0.0)
    )
    if sequential:
        p_value = None  # a fixed-sample p-value means nothing after repeated looks
    lower, upper, label, approximate, note = _mean_diff_bounds(
        diff, confidence, method, value_range, sequential
    )
    return Comparison(
        delta,
        lower,
        upper,
        _rel(delta, base_mean),
        p_value,
        n,
        True,
        f"paired {label}",
        confidence,
        sd=sd,
        approximate=approximate,
        note=note,
    )


def unpaired_binary(
    c: np.ndarray, b: np.ndarray, confidence: float, *, sequential: bool = False
) -> Comparison:
    """Exact bounds of each side at ``1 - (1 - c) / 2``, combined: valid by construction
    (``sequential``: each side's confidence sequence, and no p-value)."""
    c, b = c[~np.isnan(c)], b[~np.isnan(b)]
    if c.size == 0 or b.size == 0:
        return Comparison(math.nan, None, None, None, None, 0, False, "unpaired", confidence)
    each = 1.0 - (1.0 - confidence) / 2
    rc = rate(int(c.sum()), int(c.size), each, sequential=sequential)
    rb = rate(int(b.sum()), int(b.size), each, sequential=sequential)
    delta = rc.value - rb.value
    method = (
        f"unpaired: {rc.method} of each side (bonferroni)"
        if sequential
        else "unpaired: clopper-pearson bounds of each side (bonferroni); fisher exact p"
    )
    if rc.lower is None or rc.upper is None or rb.lower is None or rb.upper is None:
        # a side below the minimum n (bounds.MIN_ITEMS): no bound; compare() says why
        n = int(c.size + b.size)
        return Comparison(
            delta, None, None, _rel(delta, rb.value), None, n, False, method, confidence
        )
    lower = rc.lower - rb.upper
    upper = rc.upper - rb.lower
    table = np.array([[c.sum(), c.size - c.sum()], [b.sum(), b.size - b.sum()]])
    p_value = None if sequential else float(sps.fisher_exact(table).pvalue)
    return Comparison(
        delta,
        lower,
        upper,
        _rel(delta, rb.value),
        p_value,
        int(c.size + b.size),
        False,
        method,
        confidence,
    )


def hodges_lehmann(c: np.ndarray, b: np.ndarray) -> float:
    """Median of all candidate-minus-baseline differences; above :data:`HL_POINTS` items a
    side is represented by that many evenly spaced order statistics (order-free)."""

    def thin(x: np.ndarray) -> np.ndarray:
        s = np.sort(x)
        if s.size <= HL_POINTS:
            return s
        return s[np.linspace(0, s.size - 1, HL_POINTS).round().astype(np.int64)]

    return float(np.median(np.subtract.outer(thin(c), thin(b))))


def unpaired_scores(
    c: np.ndarray,
    b: np.ndarray,
    confidence: float,
    *,
    method: MeanMethod = MeanMethod.BETTING,
    ranges: tuple[ValueRange | None, ValueRange | None] = (None, None),
    sequential: bool = False,
) -> Comparison:
    method = MeanMethod(method)
    c, b = c[~np.isnan(c)], b[~np.isnan(b)]
    if c.size < 2 or b.size < 2:
        return Comparison(
            math.nan, None, None, None, None, int(c.size + b.size), False, "unpaired", confidence
        )
    delta = float(c.mean() - b.mean())
    p_value: float | None = None
    if not sequential:  # a fixed-sample p-value means nothing after repeated looks
        p_value = float(sps.mannwhitneyu(c, b, alternative="two-sided").pvalue)
    shift = hodges_lehmann(c, b)
    approximate, note = False, None
    lower: float | None
    upper: float | None
    if method is MeanMethod.BETTING:
        rc, rb = ranges
        if rc is None or rb is None:
            lower = upper = None
            note = NO_RANGE
            label = "unpaired: betting"
        else:
            each = 1.0 - (1.0 - confidence) / 2
            cl, cu = bounded_mean_bounds(c, rc, each, sequential=sequential)
            bl, bu = bounded_mean_bounds(b, rb, each, sequential=sequential)
            assert None not in (cl, cu, bl, bu)
            lower, upper = float(cl) - float(bu), float(cu) - float(bl)  # type: ignore[arg-type]
            kind = "betting confidence sequences" if sequential else "betting bounds"
            label = f"unpaired: {kind} of each side (bonferroni)"
    else:
        vc, vb = float(c.var(ddof=1)) / c.size, float(b.var(ddof=1)) / b.size
        se = math.sqrt(vc + vb)
        dof = (vc + vb) ** 2 / ((vc**2) / (c.size - 1) + (vb**2) / (b.size - 1)) if se > 0 else 1.0
        t = float(sps.t.ppf(confidence, dof))
        lower, upper = delta - t * se, delta + t * se
        approximate = True
        label = "unpaired: approximate welch bounds" + (f" ({FIXED_SAMPLE})" if sequential else "")
    tests = "hodges-lehmann shift" if sequential else "mann-whitney p, hodges-lehmann shift"
    return Comparison(
        delta,
        lower,
        upper,
        _rel(delta, float(b.mean())),
        p_value,
        int(c.size + b.size),
        False,
        f"{label}; {tests}",
        confidence,
        shift=shift,
        approximate=approximate,
        note=note,
    )


def compare(
    cand: np.ndarray,
    base: np.ndarray,
    shared: tuple[np.ndarray, np.ndarray],
    *,
    binary: bool,
    confidence: float,
    method: MeanMethod = MeanMethod.BETTING,
    ranges: tuple[ValueRange | None, ValueRange | None] = (None, None),
    sequential: bool = False,
) -> Comparison:
    """Candidate minus baseline. ``shared`` holds the indices (into ``cand`` and ``base``) of
    items with the same id; pair on them when enough are shared, else the unpaired fallback.
    ``ranges`` are the candidate's and the baseline's value ranges (scores only).
    ``sequential``: confidence sequences, with each side and the pairs in arrival order."""
    ci, bi = shared
    smaller = min(cand.size, base.size)
    asked = confidence
    if sequential:
        # the design is chosen at each look (paired once enough ids are shared): the paired and
        # the unpaired sequence each get half the error, so switching between them across
        # looks keeps the whole at 1 - confidence
        confidence = 1.0 - (1.0 - confidence) / 2
    if ci.size >= max(MIN_SHARED, MIN_SHARED_SHARE * smaller):
        if binary and sequential:
            result = paired_binary_sequential(cand[ci], base[bi], confidence)
        elif binary:
            result = paired_binary(cand[ci], base[bi], confidence)
        else:
            result = paired_scores(
                cand[ci],
                base[bi],
                confidence,
                method=method,
                value_range=difference_range(*ranges),
                sequential=sequential,
            )
        return _enough(_as_asked(result, asked, sequential), result.n)
    if binary:
        result = unpaired_binary(cand, base, confidence, sequential=sequential)
    else:
        result = unpaired_scores(
            cand, base, confidence, method=method, ranges=ranges, sequential=sequential
        )
    scored = min(int(np.count_nonzero(~np.isnan(cand))), int(np.count_nonzero(~np.isnan(base))))
    return _enough(_as_asked(result, asked, sequential), scored)


def _as_asked(result: Comparison, asked: float, sequential: bool) -> Comparison:
    """A sequential comparison reports the confidence the rule asked for, and says that its
    design was bounded at half the error (the other design has the other half)."""
    if not sequential:
        return result
    each = 1.0 - (1.0 - asked) / 2
    method = f"{result.method}; at {each:.4g} (half the error: the design may change between looks)"
    return dataclasses.replace(result, confidence=asked, method=method)


def _enough(result: Comparison, n: int) -> Comparison:
    """``result`` without bounds when ``n`` (pairs, or the smaller side's scored items) is
    below the minimum (``bounds.MIN_ITEMS``), saying so."""
    few = too_few(n, result.approximate)
    if few is None:
        return result
    note = f"{few} ({'pairs' if result.paired else 'per side'})"
    return dataclasses.replace(
        result, delta_lower=None, delta_upper=None, note=note, below_minimum=True
    )
