"""Finite-sample bounds for the mean of a bounded quantity: betting (hedged capital).

For values in a known range ``[lo, hi]`` (rescaled to ``[0, 1]``), the upper bound at level
``alpha`` is the smallest ``m`` that a bettor who wagers "the mean is below m" could not reject:

    K_t(m) = prod_{i <= t} (1 + lambda_i * (m - y_i)),   0 <= lambda_i <= c / (1 - m)

is a nonnegative supermartingale when the true mean is at least ``m``, so by Ville's inequality
``P(max_t K_t(m) >= 1/alpha) <= alpha``: every ``m`` the capital reaches ``1/alpha`` for is
rejected, and the bound is valid at every ``n``, whatever the distribution inside the range
(Waudby-Smith and Ramdas, "Estimating means of bounded random variables by betting", JRSS-B
2024, the hedged-capital construction with predictable plug-in bets). It adapts to the
variance: for low-variance data it approaches the width of a t bound, for skewed or
zero-inflated data it stays valid where t and the bootstrap do not.

The bets ``lambda_i`` depend on the order of the items, and the bound is valid when that order
is exchangeable (carries no information about the values). Callers pass values in such an
order: the gate uses a hash of the item ids (``stats/order.py``), so the bound never depends on
a table's row order, and a table sorted by value cannot make it invalid. (A pseudo-random order
derived from the values themselves is *not* enough: for discrete data the bound is then a fixed
function of the counts, and exact enumeration found 0/1 scores missed up to 10% of the time.)

Why not a package: ``confseq`` needs Boost headers to build and ``expectation`` needs
Python >= 3.12 (see the STACK notes); the construction is forty lines of numpy, checked by the
coverage study (``python -m tests.benchmarks.coverage``) and against a direct transcription
of the paper's formulas in the tests.
"""

from __future__ import annotations

import math

import numpy as np

#: Bets are truncated at ``TRUNCATION / (1 - m)``: below 1 so one item at the top of the range
#: cannot wipe the capital out (the paper uses 1/2 or 3/4; 3/4 measured tighter here).
TRUNCATION = 0.75
_ITERATIONS = 64
_TOLERANCE = 1e-10  # of the range: the bound is rounded up (outward) to this


def _bets(y: np.ndarray, alpha: float, horizon: int | None) -> np.ndarray:
    """Predictable plug-in bets, before truncation: ``sqrt(2 log(1/alpha) / (n var_{t-1}))``
    tuned to the sample size ``n = horizon`` at hand, or, with no horizon (a confidence
    sequence, for any number of looks), ``sqrt(2 log(1/alpha) / (t log(1 + t) var_{t-1}))``,
    the paper's choice for a bound that tightens at every t rather than at one n.

    ``var_{t-1}`` is the regularised running variance of the items before ``t`` (``1/4`` with
    none), with the running mean ``(1/2 + sum y) / (t + 1)``, as in the paper.
    """
    t = np.arange(1, y.size + 1, dtype=np.float64)
    mu = (0.5 + np.cumsum(y)) / (t + 1.0)
    var = (0.25 + np.cumsum((y - mu) ** 2)) / (t + 1.0)
    prev = np.concatenate(([0.25], var[:-1]))
    scale = t * np.log1p(t) if horizon is None else float(horizon)
    return np.sqrt(2.0 * math.log(1.0 / alpha) / (scale * prev))


def _excess(y: np.ndarray, bets: np.ndarray, m: float, threshold: float) -> float:
    """``max_t log K_t(m) - log(1/alpha)``: rejected ("mean >= m" is implausible) when >= 0.

    Continuous and nondecreasing in ``m``: each factor ``1 + lambda (m - y)`` is, for either
    branch of the truncation, and stays at least ``1 - TRUNCATION > 0``.
    """
    cap = TRUNCATION / (1.0 - m) if m < 1.0 else math.inf
    log_factors = np.log1p(np.minimum(bets, cap) * (m - y))
    return float(np.cumsum(log_factors).max(initial=-math.inf)) - threshold


def upper_unit(y: np.ndarray, alpha: float, *, sequential: bool = False) -> float:
    """Upper bound on the mean of ``y`` (values in [0, 1], already ordered) at level alpha;
    with ``sequential``, a confidence sequence: valid at every prefix of ``y`` at once.

    The rejected values form an interval ``[U, 1]``; U is found by the Illinois variant of
    regula falsi on a bracket that always keeps a rejected upper end, which is what is
    returned: the bound errs outward by at most the tolerance, never inward.
    """
    n = y.size
    if n == 0:
        return 1.0
    bets = _bets(y, alpha, None if sequential else n)
    threshold = math.log(1.0 / alpha)
    top = 1.0 - 1e-12
    f_top = _excess(y, bets, top, threshold)
    if f_top < 0:
        return 1.0
    lo = float(y.mean())
    f_lo = _excess(y, bets, lo, threshold)
    if f_lo >= 0:  # early items far below the mean: search all of [0, 1]
        lo = 0.0
        f_lo = _excess(y, bets, lo, threshold)
        if f_lo >= 0:
            return 0.0
    # bracket from the normal-theory width, widened until its upper end is rejected
    step = 2.0 * math.sqrt(max(float(y.var()), 1e-6) / n) + 1e-9
    hi = min(top, lo + step)
    f_hi = _excess(y, bets, hi, threshold)
    while f_hi < 0:
        lo, f_lo, step = hi, f_hi, 2.0 * step
        hi = min(top, hi + step)
        f_hi = f_top if hi == top else _excess(y, bets, hi, threshold)
    side = 0
    for _ in range(_ITERATIONS):
        if hi - lo <= _TOLERANCE:
            break
        mid = (lo * f_hi - hi * f_lo) / (f_hi - f_lo) if f_hi != f_lo else 0.5 * (lo + hi)
        if not lo < mid < hi:
            mid = 0.5 * (lo + hi)
        f_mid = _excess(y, bets, mid, threshold)
        if f_mid >= 0:
            hi, f_hi = mid, f_mid
            if side == 1:
                f_lo *= 0.5
            side = 1
        else:
            lo, f_lo = mid, f_mid
            if side == -1:
                f_hi *= 0.5
            side = -1
    return hi


def mean_bounds(
    values: np.ndarray, lo: float, hi: float, alpha: float, *, sequential: bool = False
) -> tuple[float | None, float | None]:
    """One-sided (lower, upper) bounds, each at level ``alpha``, for values in ``[lo, hi]``
    given in an exchangeable order, or (``sequential``) in arrival order: then each bound is
    a confidence sequence, valid at every prefix at once, so under any number of looks."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0 or not hi > lo:
        return None, None
    y = np.clip((x - lo) / (hi - lo), 0.0, 1.0)  # rounding only: the gate refuses values outside
    upper = upper_unit(y, alpha, sequential=sequential)
    lower = 1.0 - upper_unit(1.0 - y, alpha, sequential=sequential)
    scale = hi - lo
    return lo + scale * lower, lo + scale * upper
