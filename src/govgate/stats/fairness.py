"""Fairness across the groups of one column: per-group estimates, gaps and ratios with bounds.

A fairness rule *passes* when every pair of groups is within the bound: ``max_gap <= g`` means
``p_i - p_j <= g`` for every ordered pair, ``min_ratio >= r`` means ``p_i / p_j >= r`` for every
pair. That is an intersection-union test (Berger 1982): it is shown by showing each pair at
level ``alpha``, with no adjustment for the number of pairs, because a release that breaches
the bound breaches it for at least one pair, whose own test passes it with probability at most
``alpha``. So the pass-side bounds are

* ``max_gap_upper``: the largest upper bound of ``p_i - p_j`` over ordered pairs,
* ``min_ratio_lower``: the smallest lower bound of ``p_i / p_j`` over ordered pairs,

each pair's bound at ``confidence``: for rates the continuity-corrected score bounds of
``stats/proportions.py`` (Clopper-Pearson + Bonferroni for a pair with very few events), for
means the betting bounds of both groups at ``1 - (1 - c) / 2`` (Bonferroni within the pair).

A rule *fails* when some pair is shown outside the bound, which needs all groups at once, so
the fail-side bounds (``max_gap_lower``, ``min_ratio_upper``) and the per-group bounds shown in
reports are taken at the Bonferroni-adjusted confidence ``1 - (1 - c) / (2G)``.

A ratio is undefined when the best group's value is not positive (every group at 0, or means
at or below 0): ``ratio_defined`` is then false, and a rule that reads the ratio is an error.

Each group is also tested against the rest (proportions: Fisher's exact test; scores:
Mann-Whitney, valid under "the group does not differ" without a normality assumption), with
Holm-adjusted p-values. Groups smaller than ``min_group_size`` are listed as too small: the
result is then incomplete, and a rule that reads it is a GAP, not a pass on fewer groups.

Sequential (``sequential=True``, the canary stage by default; values in arrival order): every
group's bounds are confidence sequences (``stats/sequential.py``, ``stats/betting.py``) over the
group's items in arrival order, and the pass side pairs them (both groups of a pair at
``1 - (1 - c) / 2``), so every bound holds under any number of looks. The group tests' p-values
are fixed-sample and are left out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats.bounds import MIN_ITEMS, MIN_ITEMS_APPROXIMATE, ValueRange, mean, rate
from govgate.stats.multiple import holm
from govgate.stats.proportions import MIN_EVENTS, diff_upper_many, ratio_lower_many
from govgate.terms import MeanMethod, RateMethod


@dataclass(frozen=True, slots=True)
class GroupEstimate:
    name: str
    value: float
    n: int
    lower: float | None
    upper: float | None
    p_value: float | None
    p_value_holm: float | None


@dataclass(frozen=True, slots=True)
class GroupFairness:
    groups: tuple[GroupEstimate, ...]
    small_groups: tuple[str, ...]
    min_group_size: int
    max_gap: float
    max_gap_lower: float | None
    max_gap_upper: float | None
    min_ratio: float | None
    min_ratio_lower: float | None
    min_ratio_upper: float | None
    worst_group: str | None  # the group with the lowest value
    best_group: str | None
    confidence: float
    group_confidence: float
    method: str
    ratio_defined: bool = True
    approximate: bool = False
    note: str | None = None

    @property
    def complete(self) -> bool:
        return not self.small_groups and len(self.groups) >= 2


def _group_test(x: np.ndarray, rest: np.ndarray, binary: bool) -> float | None:
    if x.size < 2 or rest.size < 2:
        return None
    if binary:
        table = np.array([[x.sum(), x.size - x.sum()], [rest.sum(), rest.size - rest.sum()]])
        if (table.sum(axis=0) == 0).any():
            return 1.0
        return float(sps.fisher_exact(table).pvalue)
    if np.ptp(np.concatenate([x, rest])) == 0:
        return 1.0
    return float(sps.mannwhitneyu(x, rest, alternative="two-sided").pvalue)


def _pair_rate_bounds(counts: list[tuple[int, int]], confidence: float) -> tuple[float, float, str]:
    """(max over ordered pairs of the upper bound of p_i - p_j, min of the lower bound of
    p_i / p_j, how): every pair at ``confidence`` (intersection-union), all pairs at once."""
    g = len(counts)
    i, j = (a.ravel() for a in np.meshgrid(np.arange(g), np.arange(g), indexing="ij"))
    i, j = i[i != j], j[i != j]
    x = np.array([k for k, _ in counts], dtype=np.float64)
    n = np.array([m for _, m in counts], dtype=np.float64)
    usable = np.minimum(np.minimum(x[i], n[i] - x[i]), np.minimum(x[j], n[j] - x[j])) >= MIN_EVENTS
    gap = diff_upper_many(x[i], n[i], x[j], n[j], confidence)
    ratio = ratio_lower_many(x[i], n[i], x[j], n[j], confidence)
    fallback = bool((~usable).any())
    if fallback:  # few events: exact bounds of both groups, bonferroni within the pair
        each = 1.0 - (1.0 - confidence) / 2
        cp = [rate(k, m, each) for k, m in counts]
        lo = np.array([float(e.lower) for e in cp])  # type: ignore[arg-type]
        hi = np.array([float(e.upper) for e in cp])  # type: ignore[arg-type]
        gap = np.where(usable, gap, hi[i] - lo[j])
        with np.errstate(divide="ignore", invalid="ignore"):
            exact_ratio = np.where(hi[j] > 0, lo[i] / hi[j], 0.0)
        ratio = np.where(usable, ratio, exact_ratio)
    how = "pairwise score bounds (continuity-corrected)" + (
        f"; clopper-pearson pairs where a group has under {MIN_EVENTS} events or non-events"
        if fallback
        else ""
    )
    return min(float(gap.max()), 1.0), max(0.0, min(float(ratio.min()), 1.0)), how


def _pair_mean_bounds(
    xs: list[np.ndarray],
    confidence: float,
    method: MeanMethod,
    value_range: ValueRange | None,
    sequential: bool = False,
) -> tuple[float | None, float | None, bool]:
    """Pass-side bounds for means: both groups of a pair at ``1 - (1 - c) / 2``."""
    each = 1.0 - (1.0 - confidence) / 2
    est = [mean(x, each, method, value_range=value_range, sequential=sequential) for x in xs]
    approximate = any(e.approximate for e in est)
    if any(e.lower is None or e.upper is None for e in est):
        return None, None, approximate
    lo = [float(e.lower) for e in est]  # type: ignore[arg-type]
    hi = [float(e.upper) for e in est]  # type: ignore[arg-type]
    g = len(est)
    gap = max(hi[i] - lo[j] for i in range(g) for j in range(g) if i != j)
    ratios = [lo[i] / hi[j] for i in range(g) for j in range(g) if i != j and hi[j] > 0]
    ratio = None if len(ratios) < g * (g - 1) else max(0.0, min(1.0, min(ratios)))
    return gap, ratio, approximate


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None or den <= 0:
        return None
    return max(0.0, min(1.0, num / den))


def by_group(
    values: np.ndarray,
    codes: np.ndarray,
    categories: tuple[str, ...],
    *,
    binary: bool,
    confidence: float,
    min_group_size: int = 30,
    rate_method: RateMethod = RateMethod.CLOPPER_PEARSON,
    mean_method: MeanMethod = MeanMethod.BETTING,
    value_range: ValueRange | None = None,
    sequential: bool = False,
) -> GroupFairness:
    """Per-group estimates of ``values`` (NaN = not scored) grouped by ``codes``; with
    ``sequential``, in arrival order, confidence sequences throughout."""
    rate_method, mean_method = RateMethod(rate_method), MeanMethod(mean_method)
    approximate = (
        rate_method is not RateMethod.CLOPPER_PEARSON
        if binary
        else mean_method is not MeanMethod.BETTING
    )
    # never below the floor every statistic has (bounds.MIN_ITEMS), whatever the policy says
    min_group_size = max(min_group_size, MIN_ITEMS_APPROXIMATE if approximate else MIN_ITEMS)
    # every group the table names counts, scored or not: a group with no scored item is the
    # smallest of small groups, never a group that is not there
    named = np.flatnonzero(np.bincount(codes, minlength=len(categories)))
    scored = ~np.isnan(values)
    vals, cods = values[scored], codes[scored]
    order = np.argsort(cods, kind="stable")
    vals, cods = vals[order], cods[order]
    bounds = np.searchsorted(cods, np.arange(len(categories) + 1))
    present = [g for g in range(len(categories)) if bounds[g + 1] > bounds[g]]
    small = tuple(
        sorted(
            categories[int(g)]
            for g in named
            if bounds[int(g) + 1] - bounds[int(g)] < min_group_size
        )
    )
    big = [g for g in present if bounds[g + 1] - bounds[g] >= min_group_size]
    # sequential: the groups a look judges may grow between looks, so the simultaneous bounds
    # count every group the table names (small ones too), not only those big enough now
    groups_counted = len(named) if sequential else len(big)
    g_conf = 1.0 - (1.0 - confidence) / (2 * max(groups_counted, 1))
    estimates: list[GroupEstimate] = []
    samples: list[np.ndarray] = []
    raw_p: list[float | None] = []
    approximate, note = False, None
    for g in big:
        x = vals[bounds[g] : bounds[g + 1]]
        rest = np.concatenate([vals[: bounds[g]], vals[bounds[g + 1] :]])
        if binary:
            e = rate(int(x.sum()), int(x.size), g_conf, rate_method, sequential=sequential)
        else:
            e = mean(x, g_conf, mean_method, value_range=value_range, sequential=sequential)
        approximate = approximate or e.approximate
        note = note or e.note
        samples.append(x)
        raw_p.append(None if sequential else _group_test(x, rest, binary))
        estimates.append(GroupEstimate(categories[g], e.value, e.n, e.lower, e.upper, None, None))
    adjusted = holm(raw_p)
    estimates = [
        GroupEstimate(e.name, e.value, e.n, e.lower, e.upper, p, a)
        for e, p, a in zip(estimates, raw_p, adjusted, strict=True)
    ]
    kind = f"rates: {rate_method.value}" if binary else f"means: {mean_method.value}"
    if sequential:
        kind += " (confidence sequences over each group's items in arrival order)"
    if len(estimates) < 2:
        return GroupFairness(
            tuple(estimates),
            small,
            min_group_size,
            math.nan,
            None,
            None,
            None,
            None,
            None,
            None,
            None,
            confidence,
            g_conf,
            kind,
            approximate=approximate,
            note=note,
        )
    if binary and rate_method is RateMethod.CLOPPER_PEARSON and not sequential:
        counts = [(int(x.sum()), int(x.size)) for x in samples]
        gap_upper, ratio_lower_, how = _pair_rate_bounds(counts, confidence)
        pass_ratio: float | None = ratio_lower_
        pass_gap: float | None = gap_upper
    elif binary:  # an approximate rate method: pairs of that method's bounds (labelled)
        each = 1.0 - (1.0 - confidence) / 2
        pe = [
            rate(int(x.sum()), int(x.size), each, rate_method, sequential=sequential)
            for x in samples
        ]
        lo = [float(e.lower) for e in pe]  # type: ignore[arg-type]
        hi = [float(e.upper) for e in pe]  # type: ignore[arg-type]
        g = len(pe)
        # over ordered pairs of two different groups: a group is never compared with itself
        pass_gap = max(hi[i] - lo[j] for i in range(g) for j in range(g) if i != j)
        ratios = [_ratio(lo[i], hi[j]) for i in range(g) for j in range(g) if i != j]
        pass_ratio = None if None in ratios else min(r for r in ratios if r is not None)
        how = f"pairwise {pe[0].method} bounds (bonferroni within each pair)"
    else:
        pass_gap, pass_ratio, approx_pairs = _pair_mean_bounds(
            samples, confidence, mean_method, value_range, sequential
        )
        approximate = approximate or approx_pairs
        how = "pairwise bounds of both groups (bonferroni within each pair)"
    method = (
        f"{kind}; passing: {how}, intersection-union over {len(big)} groups; failing and "
        f"per-group bounds simultaneous over {len(big)} groups (bonferroni); "
        + ("no group tests (fixed-sample p-values)" if sequential else "group tests holm-adjusted")
    )
    values_ = [e.value for e in estimates]
    lowers = [e.lower for e in estimates]
    uppers = [e.upper for e in estimates]
    best = max(estimates, key=lambda e: e.value)
    worst = min(estimates, key=lambda e: e.value)
    known = None not in lowers and None not in uppers
    lo_ = [v for v in lowers if v is not None]
    hi_ = [v for v in uppers if v is not None]
    ratio_defined = max(values_) > 0 and (binary or min(values_) >= 0)
    gap_lower = max(0.0, max(lo_) - min(hi_)) if known else None
    ratio_upper = _ratio(min(hi_), max(lo_)) if known else None
    if known and max(lo_) <= 0:
        ratio_upper = 1.0  # the best group may be at 0: no upper bound below 1 can be shown
    return GroupFairness(
        groups=tuple(estimates),
        small_groups=small,
        min_group_size=min_group_size,
        max_gap=max(values_) - min(values_),
        max_gap_lower=gap_lower,
        max_gap_upper=pass_gap,
        min_ratio=_ratio(min(values_), max(values_)) if ratio_defined else None,
        min_ratio_lower=pass_ratio if ratio_defined else None,
        min_ratio_upper=ratio_upper if ratio_defined else None,
        worst_group=worst.name,
        best_group=best.name,
        confidence=confidence,
        group_confidence=g_conf,
        method=method,
        ratio_defined=ratio_defined,
        approximate=approximate,
        note=note,
    )
