"""Confidence sequences for rates and quantiles: bounds valid at every sample size at once.

A canary is judged again and again as its traffic accumulates. A fixed-sample bound is valid
at one look; stopping at the first of many looks that passes inflates its error (25 looks at a
canary exactly at its threshold passed it 17.5% of the time at a nominal 5%). A *confidence
sequence* holds at every n simultaneously: ``P(exists n: p > U_n) <= alpha``, so any number of
looks and any stopping rule keep the error at or below ``alpha``.

Rates: Robbins' mixture martingale for Bernoulli trials (Robbins 1970; Howard, Ramdas,
McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences",
Ann. Statist. 2021, the beta-binomial case), made one-sided. To test "the rate is at least p"
against the alternatives ``q < p``, mix the likelihood ratios ``(q/p)^k ((1-q)/(1-p))^(n-k)``
over a prior on ``q`` restricted to ``[0, p]``:

    M_n(p) = E_q[(q/p)^k ((1-q)/(1-p))^(n-k)],   q ~ Beta(m p, m (1 - p)) given q < p

Each ratio's factor has expectation ``p' q/p + (1-p')(1-q)/(1-p) <= 1`` whenever the true rate
``p' >= p`` (it decreases in ``p'`` for ``q < p``), so ``M_n(p)`` is a nonnegative
supermartingale under every rate at least ``p``, and by Ville's inequality it ever reaches
``1/alpha`` with probability at most ``alpha``. The upper bound ``U_n`` is the smallest ``p``
it rejects; the lower bound mirrors it (alternatives ``q > p``). The conjugate prior gives the
mixture in closed form (incomplete beta functions). Its concentration ``m`` sets the sample
size at which the bound is tightest; one ``m`` is tight near one n and 2-20x the fixed-sample
width elsewhere (a uniform prior: 2.6x at 100,000 items), so the prior is an equal mixture
over :data:`CONCENTRATIONS` (10 to 100,000 items): the bound is then about 1.9x the
Clopper-Pearson width from 100 to 100,000 items, the price of validity under any number of
looks (``docs/statistics.md``). The bound depends on the count and n only, so it needs no
ordering, and ``tests/unit/stats/test_sequential.py`` checks the crossing probability exactly,
by dynamic programming over the binomial walk.

Quantiles (Howard and Ramdas, "Sequential estimation of quantiles with applications to A/B
testing and best-arm identification", Bernoulli 2022, the fixed-quantile construction): the
count of items below the true ``q`` quantile grows at most like a Binomial(n, q) walk, so the
same mixture at null ``q`` gives a time-uniform boundary ``b_n`` that count stays below; then
at most ``b_n - 1`` items lie below the quantile, and the ``b_n``-th smallest value bounds it
from above at every n at once. The lower bound counts the items above it.

Bounded means and paired differences use the betting confidence sequence of
``stats/betting.py`` (bets that do not depend on a horizon). Why not a package: ``confseq``
needs Boost headers to build and ``expectation`` needs Python >= 3.12 (see the STACK notes);
the constructions here are closed forms on scipy's incomplete beta function, checked exactly
(above) and by the canary simulation (``python -m tests.benchmarks.sequential``).
"""

from __future__ import annotations

import math

import numpy as np
from scipy import optimize, special

#: The label every report shows for a bound from this module.
RATE_METHOD = "beta-binomial mixture confidence sequence (anytime-valid)"
QUANTILE_METHOD = "order-statistic confidence sequence (anytime-valid)"

_ITERATIONS = 80
_TOLERANCE = 1e-12


#: The prior concentrations mixed (items' worth of prior information about the rate, around
#: the tested value): one per decade, so the bound is near its best at every n in the range.
CONCENTRATIONS = np.array([10.0, 100.0, 1_000.0, 10_000.0, 100_000.0])


def log_mixture(k: float, n: float, p: float, side: str) -> float:
    """``log M_n(p)``: the evidence, from ``k`` events in ``n`` trials, that the rate is below
    ``p`` (``side="below"``: alternatives ``q < p``) or above it (``side="above"``: ``q > p``).
    A nonnegative supermartingale under the null (the rate at least ``p``, or at most ``p``);
    -inf where the data cannot speak against it."""
    if not 0.0 < p < 1.0:
        return -math.inf
    a0, b0 = CONCENTRATIONS * p, CONCENTRATIONS * (1.0 - p)
    a, b = k + a0, n - k + b0
    # the prior's and the posterior kernel's mass on the alternatives' side
    if side == "below":
        prior, post = special.betainc(a0, b0, p), special.betainc(a, b, p)
    else:
        prior, post = special.betaincc(a0, b0, p), special.betaincc(a, b, p)
    usable = (post > 0.0) & (prior > 0.0)
    if not usable.all():
        if not usable.any():
            return -math.inf
        a, b, a0, b0, prior, post = (x[usable] for x in (a, b, a0, b0, prior, post))
    null = k * math.log(p) + (n - k) * math.log1p(-p)
    each = special.betaln(a, b) - special.betaln(a0, b0) + np.log(post / prior) - null
    top = float(each.max())  # log of the mean of the components, without overflow
    return top + math.log(float(np.exp(each - top).sum()) / CONCENTRATIONS.size)


def _smallest_rejected(k: float, n: int, threshold: float, side: str) -> float:
    """For ``side="below"``: the smallest ``p >= k/n`` with ``log M_n(p) >= threshold`` (the
    upper bound); for ``"above"``: the largest ``p <= k/n`` rejected (the lower bound).

    The evidence grows monotonically away from ``k/n``. Brent's method finds the crossing;
    the answer is then moved outward until it is itself rejected, so the bound errs outward
    (by at most about the tolerance), never inward.
    """
    p_hat = k / n
    edge = 1.0 if side == "below" else 0.0
    if p_hat == edge:
        return edge

    def excess(p: float) -> float:
        return log_mixture(k, n, p, side) - threshold

    far = edge - _TOLERANCE if side == "below" else edge + _TOLERANCE
    if excess(far) < 0.0:
        return edge  # not even the most extreme rate is rejected: no bound
    near = p_hat
    if excess(near) >= 0.0:  # cannot happen (the mixture is at most 1 at p_hat); be safe
        return near
    root = float(optimize.brentq(excess, near, far, xtol=_TOLERANCE, maxiter=_ITERATIONS))
    step = _TOLERANCE
    while excess(root) < 0.0 and root != far:
        root = min(far, root + step) if side == "below" else max(far, root - step)
        step *= 2.0
    return root


def rate_bounds(k: float, n: int, alpha: float) -> tuple[float, float]:
    """One-sided (lower, upper) bounds of a rate, each a confidence sequence at level ``alpha``:
    valid simultaneously at every n, whatever the number of looks. (``k`` may be fractional,
    for sample-size planning: the mixture is continuous in it.)"""
    threshold = math.log(1.0 / alpha)
    lower = _smallest_rejected(k, n, threshold, "above")
    upper = _smallest_rejected(k, n, threshold, "below")
    return lower, upper


def _boundary(n: int, p: float, threshold: float) -> int:
    """The smallest count ``c`` in ``[0, n]`` whose excess over Binomial(n, p) the mixture
    rejects (``log M_n(p) >= threshold``, alternatives above ``p``); ``n + 1`` when none is."""
    if log_mixture(n, n, p, "above") < threshold:
        return n + 1
    lo, hi = math.floor(n * p), n  # lo is never rejected: the mixture is below 1 at k <= np
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if log_mixture(mid, n, p, "above") >= threshold:
            hi = mid
        else:
            lo = mid
    return hi


def quantile_bounds(sorted_values: np.ndarray, q: float, alpha: float) -> tuple[float | None, ...]:
    """One-sided (lower, upper) confidence-sequence bounds of the ``q`` quantile of the values
    (given sorted ascending), each at level ``alpha``; None where n is too small to bound."""
    n = int(sorted_values.size)
    threshold = math.log(1.0 / alpha)
    # at most b - 1 items lie below the quantile: the b-th smallest is at or above it
    b = _boundary(n, q, threshold)
    upper = float(sorted_values[b - 1]) if b <= n else None
    # at most b' - 1 items lie above it: the b'-th largest is at or below it
    b_above = _boundary(n, 1.0 - q, threshold)
    lower = float(sorted_values[n - b_above]) if b_above <= n else None
    return lower, upper
