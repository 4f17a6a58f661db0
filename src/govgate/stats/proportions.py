"""Score bounds for comparing proportions: two independent groups, and paired 0/1 outcomes.

* **Two independent proportions** (fairness pairs): the Miettinen-Nurminen score statistic for
  the difference ``p1 - p2`` or the ratio ``p1 / p2``: the tested value's variance is taken at
  the proportions' maximum-likelihood estimates *under that value* (closed forms from
  Miettinen and Nurminen 1985 / Farrington and Manning 1990), with the ``N / (N - 1)`` factor.
* **Paired 0/1 outcomes** (candidate vs baseline on the same items): Tango's score statistic
  for the difference of the two discordance rates (Tango 1998, closed-form constrained MLE).

One-sided score tests are slightly liberal without a continuity correction: exact enumeration
found up to 9.9% (ratio, groups of 30 and 100 with 1% events) and 5.5% (paired, Tango) where
5% was asked. Each statistic here therefore carries a continuity correction (half an item per
group, in the direction that makes rejection harder), and falls back to Clopper-Pearson bounds
combined by Bonferroni (valid by construction) where enumeration found the corrected score
bound still above its level: two groups with fewer than :data:`MIN_EVENTS` events or non-events
in either, and paired outcomes with fewer than :data:`MIN_EVENTS` pairs of either discordant
kind or of concordant pairs (an independent review found 5.2-6.2% there: improvements only,
near-total discordance). With these, the exact false-pass probability stays at or below the
nominal level at every point of the enumerated grids (``tests/unit/stats/test_proportions.py``
enumerates them on every test run). That is a verified property of the grids, not a theorem
for every (n, p): the statistics docs say so.

The ratio statistic is checked against statsmodels; the difference and paired statistics
against a brute-force maximisation of the constrained likelihood (statsmodels 0.15's
difference statistic has a wrong cubic coefficient, statsmodels issue 10269, which an earlier
version here copied: it made large gaps pass up to 10% of the time).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from scipy import special

from govgate.stats.bounds import rate

#: Fewer events or non-events than this in either group: Clopper-Pearson + Bonferroni instead.
MIN_EVENTS = 5
#: Continuity correction, in items: half an item per group for two groups, half a pair paired.
TWO_GROUP_CORRECTION = 0.5
PAIRED_CORRECTION = 0.5


def norm_ppf(confidence: float) -> float:
    return float(special.ndtri(confidence))


def _z(num: np.ndarray, var: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        z = num / np.sqrt(np.where(var > 0, var, 1.0))
    return np.where(var > 0, z, np.where(num > 0, np.inf, np.where(num < 0, -np.inf, 0.0)))


def diff_z(
    x1: np.ndarray, n1: float, x2: np.ndarray, n2: float, delta: float, correction: float = 0.0
) -> np.ndarray:
    """Score statistic for ``H0: p1 - p2 = delta``; positive when ``p1 - p2`` exceeds delta.

    ``correction`` (items per group) moves the observed difference towards delta.
    """
    return _diff_z_vector(x1, n1, x2, n2, np.asarray(delta, dtype=np.float64), correction)


def _diff_z_vector(
    x1: np.ndarray,
    n1: float | np.ndarray,
    x2: np.ndarray,
    n2: float | np.ndarray,
    delta: np.ndarray,
    correction: float,
) -> np.ndarray:
    """:func:`diff_z`, elementwise over arrays of counts, sizes and deltas."""
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    n = n1 + n2
    pooled = (x1 + x2) / n  # the MLE under delta = 0, where the cubic degenerates
    # Miettinen-Nurminen: the constrained MLE is the root of a cubic (trigonometric form)
    a3 = n
    a2 = (n1 + 2.0 * n2) * delta - n - (x1 + x2)
    a1 = (n2 * delta - n - 2.0 * x2) * delta + (x1 + x2)
    a0 = x2 * delta * (1.0 - delta)
    v = (a2 / (3 * a3)) ** 3 - a1 * a2 / (6 * a3**2) + a0 / (2 * a3)
    u = np.sign(v) * np.sqrt(np.maximum((a2 / (3 * a3)) ** 2 - a1 / (3 * a3), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.clip(np.where(u != 0, v / u**3, 0.0), -1.0, 1.0)
    w = (math.pi + np.arccos(cosine)) / 3
    q2 = np.clip(2 * u * np.cos(w) - a2 / (3 * a3), 0.0, 1.0)
    q1 = np.clip(q2 + delta, 0.0, 1.0)
    q1, q2 = np.where(delta == 0.0, pooled, q1), np.where(delta == 0.0, pooled, q2)
    var = (q1 * (1 - q1) / n1 + q2 * (1 - q2) / n2) * n / (n - 1)
    raw = x1 / n1 - x2 / n2 - delta
    cc = correction * (1.0 / n1 + 1.0 / n2)
    return _z(np.sign(raw) * np.maximum(np.abs(raw) - cc, 0.0), var)


def ratio_z(
    x1: np.ndarray,
    n1: float | np.ndarray,
    x2: np.ndarray,
    n2: float | np.ndarray,
    ratio: float | np.ndarray,
    correction: float = 0.0,
) -> np.ndarray:
    """Score statistic for ``H0: p1 / p2 = ratio``; positive when ``p1 / p2`` exceeds it."""
    x1 = np.asarray(x1, dtype=np.float64)
    x2 = np.asarray(x2, dtype=np.float64)
    n = n1 + n2
    a = n * ratio
    b = -(n1 * ratio + x1 + n2 + x2 * ratio)
    c = x1 + x2
    q2 = np.clip((-b - np.sqrt(np.maximum(b * b - 4 * a * c, 0.0))) / (2 * a), 0.0, 1.0)
    q1 = np.clip(q2 * ratio, 0.0, 1.0)
    var = (q1 * (1 - q1) / n1 + ratio**2 * q2 * (1 - q2) / n2) * n / (n - 1)
    raw = x1 / n1 - ratio * x2 / n2
    cc = correction * (1.0 / n1 + ratio / n2)
    return _z(np.sign(raw) * np.maximum(np.abs(raw) - cc, 0.0), var)


def tango_z(
    up: np.ndarray,
    down: np.ndarray,
    n: float,
    delta: float | np.ndarray,
    correction: float = 0.0,
) -> np.ndarray:
    """Tango's score statistic for ``H0: P(up) - P(down) = delta`` over ``n`` pairs.

    ``up``: pairs where only the candidate scored 1; ``down``: only the baseline.
    """
    b = np.asarray(up, dtype=np.float64)
    c = np.asarray(down, dtype=np.float64)
    bt = -b - c + (2 * n - b + c) * delta
    ct = -c * delta * (1 - delta)
    p01 = (-bt + np.sqrt(np.maximum(bt * bt - 8 * n * ct, 0.0))) / (4 * n)
    var = n * (2 * p01 + delta * (1 - delta))
    raw = b - c - n * delta
    return _z(np.sign(raw) * np.maximum(np.abs(raw) - correction, 0.0), var)


def _bracket(
    pred: Callable[[np.ndarray], np.ndarray], lo: np.ndarray, hi: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``(a, b)`` around the switch of monotone predicates, false at ``lo`` and true at ``hi``,
    for many at once (one vectorised evaluation per step)."""
    lo, hi = lo.astype(np.float64).copy(), hi.astype(np.float64).copy()
    for _ in range(90):
        mid = 0.5 * (lo + hi)
        switched = pred(mid)
        hi = np.where(switched, mid, hi)
        lo = np.where(switched, lo, mid)
        if float(np.max(hi - lo, initial=0.0)) <= 1e-12:
            break
    return lo, hi


def _one(x: float) -> np.ndarray:
    return np.array([float(x)])


def diff_upper_many(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float
) -> np.ndarray:
    """Upper bounds for ``p1 - p2``: the smallest ``d`` for which ``H0: p1 - p2 >= d`` is
    rejected (the bracket's rejected end: rounded outward)."""
    z = norm_ppf(confidence)
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))

    def rejected(d: np.ndarray) -> np.ndarray:
        return _diff_z_vector(x1, n1, x2, n2, d, TWO_GROUP_CORRECTION) <= -z

    top = np.full(x1.shape, 1.0 - 1e-12)
    _, hi = _bracket(rejected, -top, top)
    return np.where(rejected(top), hi, 1.0)


def ratio_lower_many(
    x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray, confidence: float
) -> np.ndarray:
    """Lower bounds for ``p1 / p2``: the largest ``r`` for which ``H0: p1 / p2 <= r`` is
    rejected (rounded outward); 0 when none is."""
    z = norm_ppf(confidence)
    x1, n1, x2, n2 = (np.asarray(v, dtype=np.float64) for v in (x1, n1, x2, n2))

    def kept(r: np.ndarray) -> np.ndarray:
        return ratio_z(x1, n1, x2, n2, r, TWO_GROUP_CORRECTION) < z

    floor = np.full(x1.shape, 1e-9)
    hi = np.maximum(1.0, 2.0 * (x1 / n1) / np.maximum(x2 / n2, 1e-12))
    for _ in range(64):
        missing = ~kept(hi)
        if not missing.any():
            break
        hi = np.where(missing, 2.0 * hi, hi)
    lo, _ = _bracket(kept, floor, hi)
    return np.where((x1 == 0) | kept(floor), 0.0, lo)


def diff_upper(x1: int, n1: int, x2: int, n2: int, confidence: float) -> float:
    """:func:`diff_upper_many` for one pair."""
    return float(diff_upper_many(_one(x1), _one(n1), _one(x2), _one(n2), confidence)[0])


def ratio_lower(x1: int, n1: int, x2: int, n2: int, confidence: float) -> float:
    """:func:`ratio_lower_many` for one pair."""
    return float(ratio_lower_many(_one(x1), _one(n1), _one(x2), _one(n2), confidence)[0])


def paired_lower(up: int, down: int, n: int, confidence: float) -> float:
    """Lower bound for ``P(up) - P(down)`` over ``n`` pairs: Tango, continuity-corrected; with
    fewer than :data:`MIN_EVENTS` pairs of either discordant kind, or of concordant ones, the
    Clopper-Pearson bounds of both discordance rates at ``1 - (1 - c) / 2``, combined (valid by
    construction: there the score bound exceeded its level by up to 1 point in enumeration)."""
    if few_pairs(up, down, n):
        each = 1.0 - (1.0 - confidence) / 2
        up_lower, down_upper = rate(up, n, each).lower, rate(down, n, each).upper
        assert up_lower is not None  # n > 0: both bounds exist
        assert down_upper is not None
        return up_lower - down_upper
    z = norm_ppf(confidence)

    def kept(d: np.ndarray) -> np.ndarray:  # H0: delta <= d is not rejected
        return tango_z(_one(up), _one(down), n, d, PAIRED_CORRECTION) < z

    bottom, top = _one(-1.0 + 1e-12), _one(1.0 - 1e-12)
    if bool(kept(bottom)[0]):
        return -1.0
    return float(_bracket(kept, bottom, top)[0][0])


def paired_upper(up: int, down: int, n: int, confidence: float) -> float:
    """Upper bound for ``P(up) - P(down)``: the lower bound with the roles swapped."""
    return -paired_lower(down, up, n, confidence)


def few_pairs(up: int, down: int, n: int) -> bool:
    """Whether a paired 0/1 comparison has too few pairs of a kind for the score bound (fewer
    than :data:`MIN_EVENTS` of either discordant kind, or of concordant pairs)."""
    return min(up, down, n - up - down) < MIN_EVENTS
