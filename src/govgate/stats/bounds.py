"""One-sample statistics: rates, means and quantiles with one-sided confidence bounds.

Every bound here is *one-sided at the given confidence*: ``upper`` is a value the true quantity
exceeds with probability at most ``1 - confidence``, and ``lower`` likewise from below. A rule
``upper <= T`` therefore passes a breaching model with probability at most ``1 - confidence``,
at every sample size, for the methods that are not labelled approximate:

* rates: Clopper-Pearson (exact). Wilson and Jeffreys exist only as labelled approximate
  options (their measured worst cases are in docs/statistics.md);
* means: the betting bound (``stats/betting.py``) over a known range. A mean with no known
  range has no valid finite-sample bound at all (Bahadur and Savage 1956: any distribution can
  hide mass far out), so without one the bounds are absent and the rule is inconclusive,
  unless the policy opts in to ``approximate-t`` or ``approximate-bootstrap``;
* quantiles: order statistics (exact, distribution-free).

With ``sequential=True`` (the canary stage, by default) each valid method is replaced by its
confidence sequence (``stats/sequential.py``, ``stats/betting.py``): a bound that holds at every
n at once, so a canary judged after every batch of traffic, and promoted or rolled back at the
first decisive look, keeps its error at ``1 - confidence``. The values must then come in arrival
order. The approximate opt-ins have no sequential form: they stay fixed-sample, and their label
says that repeated looks void even the approximation.

Pure numpy/scipy, no I/O. The betting bound depends on the order of the values it is given:
the gate gives them in the order of a hash of the item ids (``stats/order.py``), or in arrival
order on the canary; the bootstrap seed comes from a digest of the sorted values.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats import betting
from govgate.stats import sequential as seq
from govgate.terms import MeanMethod, RateMethod

BOOTSTRAP_RESAMPLES = 2_000

#: The fewest scored items (pairs, for a paired comparison; per side, unpaired; per group, for
#: fairness) a statistic is bounded from. Below it the bounds are absent, the rule reading them
#: is inconclusive, and the note says why. The valid methods stay valid below it, but a handful
#: of items says more about which items were picked than about the model (and the valid bounds
#: there are too wide to pass anything but a vacuous rule); the approximate methods have no
#: guarantee at all there: the coverage study measures them from n = 30 up, and a t or bootstrap
#: bound on 2-3 items is far too narrow.
MIN_ITEMS = 10
MIN_ITEMS_APPROXIMATE = 30


def too_few(n: int, approximate: bool) -> str | None:
    """Why ``n`` scored items are too few to bound from, or None when they are enough."""
    floor = MIN_ITEMS_APPROXIMATE if approximate else MIN_ITEMS
    if n >= floor:
        return None
    kind = "an approximate method" if approximate else "any bound"
    return f"n={n} is below the {floor} scored items govgate requires for {kind}"


NO_RANGE = (
    "a mean has no valid bound without a known range: declare one (statistics.ranges in the "
    "policy, or the run's govgate.ranges tag), or opt in to an approximate method"
)


@dataclass(frozen=True, slots=True)
class ValueRange:
    """The interval every value of a metric lies in, and who said so."""

    lo: float
    hi: float
    source: str  # "declared in the policy (statistics.ranges)", ...

    def describe(self) -> str:
        return f"range [{self.lo:g}, {self.hi:g}] {self.source}"


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point value with one-sided bounds; ``None`` bounds mean "not enough data to bound"."""

    value: float
    n: int
    lower: float | None
    upper: float | None
    confidence: float
    method: str
    approximate: bool = False  # the bounds are not guaranteed at this n
    note: str | None = None  # why there are no bounds, when there are none
    below_minimum: bool = False  # n is under MIN_ITEMS: no rule passes on this estimate


def data_seed(values: np.ndarray, *parts: object) -> int:
    """A seed from the multiset of ``values`` (sorted, so row order never matters)."""
    digest = hashlib.sha256(repr(parts).encode())
    digest.update(np.sort(np.asarray(values, dtype=np.float64)).tobytes())
    return int.from_bytes(digest.digest()[:8], "big")


#: Appended to the label of an approximate method used where a confidence sequence was asked.
FIXED_SAMPLE = "fixed-sample: repeated looks inflate its error"


def rate(
    k: int,
    n: int,
    confidence: float,
    method: RateMethod = RateMethod.CLOPPER_PEARSON,
    *,
    sequential: bool = False,
) -> Estimate:
    """``k`` events in ``n`` trials: the rate with one-sided bounds (``sequential``: the
    confidence sequence, valid under any number of looks)."""
    method = RateMethod(method)  # a plain string names a member too
    exact = method is RateMethod.CLOPPER_PEARSON
    label = seq.RATE_METHOD if sequential and exact else method.value
    if sequential and not exact:
        label = f"{method.value} ({FIXED_SAMPLE})"
    if n <= 0:
        return Estimate(math.nan, 0, None, None, confidence, label)
    alpha = 1.0 - confidence
    p = k / n
    few = too_few(n, not exact)
    if few is not None:
        return Estimate(p, n, None, None, confidence, label, not exact, few, True)
    if sequential and exact:
        lower, upper = seq.rate_bounds(k, n, alpha)
        return Estimate(p, n, lower, upper, confidence, label)
    if method is RateMethod.CLOPPER_PEARSON:
        lower = 0.0 if k == 0 else float(sps.beta.ppf(alpha, k, n - k + 1))
        upper = 1.0 if k == n else float(sps.beta.ppf(confidence, k + 1, n - k))
    elif method is RateMethod.APPROXIMATE_JEFFREYS:
        lower = 0.0 if k == 0 else float(sps.beta.ppf(alpha, k + 0.5, n - k + 0.5))
        upper = 1.0 if k == n else float(sps.beta.ppf(confidence, k + 0.5, n - k + 0.5))
    else:  # approximate-wilson: the score bound, one-sided
        z = float(sps.norm.ppf(confidence))
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lower, upper = max(0.0, centre - half), min(1.0, centre + half)
    return Estimate(p, n, lower, upper, confidence, label, approximate=not exact)


def t_bounds(values: np.ndarray, confidence: float) -> tuple[float, float]:
    n = values.size
    mean_ = float(values.mean())
    if n < 2:
        return -math.inf, math.inf
    se = float(values.std(ddof=1)) / math.sqrt(n)
    t = float(sps.t.ppf(confidence, n - 1))
    return mean_ - t * se, mean_ + t * se


def bootstrap_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Means of ``resamples`` bootstrap samples of the *sorted* values, in memory-bounded blocks."""
    rng = np.random.default_rng(seed)
    x = np.sort(values)
    n = x.size
    out = np.empty(resamples)
    block = max(1, min(resamples, 4_000_000 // max(n, 1)))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = x[idx].mean(axis=1)
    return out


def bounded_mean_bounds(
    x: np.ndarray, value_range: ValueRange, confidence: float, *, sequential: bool = False
) -> tuple[float | None, float | None]:
    """Betting bounds, each one-sided at ``confidence``, for values inside ``value_range``
    (``sequential``: confidence sequences over ``x`` in arrival order)."""
    return betting.mean_bounds(
        x, value_range.lo, value_range.hi, 1.0 - confidence, sequential=sequential
    )


def betting_label(value_range: ValueRange, *, sequential: bool) -> str:
    kind = "betting confidence sequence (anytime-valid)" if sequential else "betting"
    return f"{kind} (hedged capital), {value_range.describe()}"


def mean(
    values: np.ndarray,
    confidence: float,
    method: MeanMethod = MeanMethod.BETTING,
    *,
    value_range: ValueRange | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    sequential: bool = False,
) -> Estimate:
    """The mean of the non-missing values, with one-sided bounds (``sequential``: values in
    arrival order, confidence sequences for the valid method)."""
    method = MeanMethod(method)  # a plain string names a member too
    x = values[~np.isnan(values)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, 0, None, None, confidence, "none")
    point = float(x.mean())
    few = too_few(n, method is not MeanMethod.BETTING)
    if few is not None:
        approximate = method is not MeanMethod.BETTING
        return Estimate(point, n, None, None, confidence, method.value, approximate, few, True)
    if method is MeanMethod.BETTING:
        if value_range is None:
            return Estimate(point, n, None, None, confidence, method.value, note=NO_RANGE)
        lower, upper = bounded_mean_bounds(x, value_range, confidence, sequential=sequential)
        label = betting_label(value_range, sequential=sequential)
        return Estimate(point, n, lower, upper, confidence, label)
    fixed = f" ({FIXED_SAMPLE})" if sequential else ""
    if method is MeanMethod.APPROXIMATE_T:
        lower, upper = t_bounds(x, confidence)
        label = method.value + fixed
        return Estimate(point, n, lower, upper, confidence, label, approximate=True)
    boot = bootstrap_means(x, resamples, data_seed(x, "mean"))
    lower = float(np.quantile(boot, 1.0 - confidence))
    upper = float(np.quantile(boot, confidence))
    label = f"approximate-bootstrap ({resamples} resamples){fixed}"
    return Estimate(point, n, lower, upper, confidence, label, approximate=True)


def quantile(
    values: np.ndarray, q: float, confidence: float, *, sequential: bool = False
) -> Estimate:
    """The ``q`` quantile with distribution-free order-statistic bounds (``sequential``: the
    order-statistic confidence sequence of ``stats/sequential.py``).

    With n sorted values, the count at or below the true quantile is Binomial(n, q), so
    ``x[u]`` bounds it from above with probability ``P(B <= u - 1)`` and ``x[l]`` from below
    with probability ``P(B >= l)``. When n is too small for the confidence, the bound is None:
    the data cannot show it, whatever the values.
    """
    x = np.sort(values[~np.isnan(values)])
    n = int(x.size)
    label = seq.QUANTILE_METHOD if sequential else "order-statistic"
    if n == 0:
        return Estimate(math.nan, 0, None, None, confidence, label)
    point = float(np.quantile(x, q))
    few = too_few(n, approximate=False)
    if few is not None:
        return Estimate(point, n, None, None, confidence, label, note=few, below_minimum=True)
    if sequential:
        low, high = seq.quantile_bounds(x, q, 1.0 - confidence)
        return Estimate(point, n, low, high, confidence, label)
    u = int(sps.binom.ppf(confidence, n, q)) + 1  # 1-based index of the upper bound
    upper = float(x[u - 1]) if u <= n else None
    k = int(sps.binom.ppf(1.0 - confidence, n, q))  # smallest k with P(B <= k) >= 1 - c
    lo = k if sps.binom.cdf(k, n, q) > 1.0 - confidence else k + 1
    lower = float(x[lo - 1]) if lo >= 1 and sps.binom.sf(lo - 1, n, q) >= confidence else None
    return Estimate(point, n, lower, upper, confidence, "order-statistic")
