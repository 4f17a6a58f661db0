"""Fairness across the groups of one column: per-group estimates, gaps and ratios with bounds.

Bounds on the gap and the ratio must hold for all groups at once, so each group's bounds are
taken at the Bonferroni-adjusted confidence ``1 - (1 - c) / (2G)``: with probability at least
``c`` every group's true value lies within its bounds, and then

* ``max_gap`` (best minus worst) lies within ``[max(L) - min(U), max(U) - min(L)]``;
* ``min_ratio`` (worst over best) lies within ``[min(L) / max(U), min(U) / max(L)]``.

Each group is also tested against the rest (proportions: chi-square or Fisher; scores: Welch
t), with Holm-adjusted p-values, so a rule that looks at many slices is not fooled by one of
them being extreme by chance. Groups smaller than ``min_group_size`` are listed as too small:
the result is then incomplete, and a rule that reads it is a GAP, not a pass on fewer groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats.bounds import RateMethod, mean, rate
from govgate.stats.multiple import holm


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

    @property
    def complete(self) -> bool:
        return not self.small_groups and len(self.groups) >= 2


def _ratio(num: float | None, den: float | None) -> float | None:
    if num is None or den is None:
        return None
    if den <= 0:
        return 1.0 if num <= 0 else None
    return max(0.0, min(1.0, num / den))


def _group_test(x: np.ndarray, rest: np.ndarray, binary: bool) -> float | None:
    if x.size < 2 or rest.size < 2:
        return None
    if binary:
        table = np.array([[x.sum(), x.size - x.sum()], [rest.sum(), rest.size - rest.sum()]])
        if (table.sum(axis=0) == 0).any():
            return 1.0
        if table.min() < 5:
            return float(sps.fisher_exact(table).pvalue)
        return float(sps.chi2_contingency(table, correction=False).pvalue)
    if np.var(x) == 0 and np.var(rest) == 0:
        return 1.0 if x.mean() == rest.mean() else 0.0
    return float(sps.ttest_ind(x, rest, equal_var=False).pvalue)


def by_group(
    values: np.ndarray,
    codes: np.ndarray,
    categories: tuple[str, ...],
    *,
    binary: bool,
    confidence: float,
    min_group_size: int = 30,
    rate_method: RateMethod = "clopper-pearson",
    label: str = "",
) -> GroupFairness:
    """Per-group estimates of ``values`` (NaN = not scored) grouped by ``codes``."""
    scored = ~np.isnan(values)
    vals, cods = values[scored], codes[scored]
    order = np.argsort(cods, kind="stable")
    vals, cods = vals[order], cods[order]
    bounds = np.searchsorted(cods, np.arange(len(categories) + 1))
    present = [g for g in range(len(categories)) if bounds[g + 1] > bounds[g]]
    small = tuple(
        sorted(categories[g] for g in present if bounds[g + 1] - bounds[g] < min_group_size)
    )
    big = [g for g in present if bounds[g + 1] - bounds[g] >= min_group_size]
    g_conf = 1.0 - (1.0 - confidence) / (2 * max(len(big), 1))
    estimates: list[GroupEstimate] = []
    raw_p: list[float | None] = []
    for g in big:
        x = vals[bounds[g] : bounds[g + 1]]
        rest = np.concatenate([vals[: bounds[g]], vals[bounds[g + 1] :]])
        if binary:
            e = rate(int(x.sum()), int(x.size), g_conf, rate_method)
        else:
            e = mean(x, g_conf, "auto", label=f"{label}/{categories[g]}")
        raw_p.append(_group_test(x, rest, binary))
        estimates.append(GroupEstimate(categories[g], e.value, e.n, e.lower, e.upper, None, None))
    adjusted = holm(raw_p)
    estimates = [
        GroupEstimate(e.name, e.value, e.n, e.lower, e.upper, p, a)
        for e, p, a in zip(estimates, raw_p, adjusted, strict=True)
    ]
    method = ("rates: " + rate_method if binary else "means") + (
        f"; bounds simultaneous over {len(big)} groups (bonferroni); group tests holm-adjusted"
    )
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
            method,
        )
    values_ = [e.value for e in estimates]
    lowers = [e.lower for e in estimates]
    uppers = [e.upper for e in estimates]
    best = max(estimates, key=lambda e: e.value)
    worst = min(estimates, key=lambda e: e.value)
    known = None not in lowers and None not in uppers
    lo = [v for v in lowers if v is not None]
    hi = [v for v in uppers if v is not None]
    gap_upper = max(hi) - min(lo) if known else None
    gap_lower = max(0.0, max(lo) - min(hi)) if known else None
    return GroupFairness(
        groups=tuple(estimates),
        small_groups=small,
        min_group_size=min_group_size,
        max_gap=max(values_) - min(values_),
        max_gap_lower=gap_lower,
        max_gap_upper=gap_upper,
        min_ratio=_ratio(min(values_), max(values_)),
        min_ratio_lower=_ratio(min(lo), max(hi)) if known else None,
        min_ratio_upper=_ratio(min(hi), max(lo)) if known else None,
        worst_group=worst.name,
        best_group=best.name,
        confidence=confidence,
        group_confidence=g_conf,
        method=method,
    )
