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

Pure numpy/scipy, no I/O. Nothing depends on the order of the values: the betting order and
the bootstrap seed come from a digest of the sorted values.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats import betting
from govgate.terms import MeanMethod, RateMethod

BOOTSTRAP_RESAMPLES = 2_000
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


def data_seed(values: np.ndarray, *parts: object) -> int:
    """A seed from the multiset of ``values`` (sorted, so row order never matters)."""
    digest = hashlib.sha256(repr(parts).encode())
    digest.update(np.sort(np.asarray(values, dtype=np.float64)).tobytes())
    return int.from_bytes(digest.digest()[:8], "big")


def rate(
    k: int, n: int, confidence: float, method: RateMethod = RateMethod.CLOPPER_PEARSON
) -> Estimate:
    """``k`` events in ``n`` trials: the rate with one-sided bounds."""
    method = RateMethod(method)  # a plain string names a member too
    if n <= 0:
        return Estimate(math.nan, 0, None, None, confidence, method.value)
    alpha = 1.0 - confidence
    p = k / n
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
    exact = method is RateMethod.CLOPPER_PEARSON
    return Estimate(p, n, lower, upper, confidence, method.value, approximate=not exact)


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
    x: np.ndarray, value_range: ValueRange, confidence: float
) -> tuple[float | None, float | None]:
    """Betting bounds, each one-sided at ``confidence``, for values inside ``value_range``."""
    return betting.mean_bounds(x, value_range.lo, value_range.hi, 1.0 - confidence)


def mean(
    values: np.ndarray,
    confidence: float,
    method: MeanMethod = MeanMethod.BETTING,
    *,
    value_range: ValueRange | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
) -> Estimate:
    """The mean of the non-missing values, with one-sided bounds."""
    method = MeanMethod(method)  # a plain string names a member too
    x = values[~np.isnan(values)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, 0, None, None, confidence, "none")
    point = float(x.mean())
    if method is MeanMethod.BETTING:
        if value_range is None:
            return Estimate(point, n, None, None, confidence, method.value, note=NO_RANGE)
        lower, upper = bounded_mean_bounds(x, value_range, confidence)
        label = f"betting (hedged capital), {value_range.describe()}"
        return Estimate(point, n, lower, upper, confidence, label)
    if n < 2:
        return Estimate(point, n, None, None, confidence, method.value, approximate=True)
    if method is MeanMethod.APPROXIMATE_T:
        lower, upper = t_bounds(x, confidence)
        return Estimate(point, n, lower, upper, confidence, method.value, approximate=True)
    boot = bootstrap_means(x, resamples, data_seed(x, "mean"))
    lower = float(np.quantile(boot, 1.0 - confidence))
    upper = float(np.quantile(boot, confidence))
    label = f"approximate-bootstrap ({resamples} resamples)"
    return Estimate(point, n, lower, upper, confidence, label, approximate=True)


def quantile(values: np.ndarray, q: float, confidence: float) -> Estimate:
    """The ``q`` quantile with distribution-free order-statistic bounds.

    With n sorted values, the count at or below the true quantile is Binomial(n, q), so
    ``x[u]`` bounds it from above with probability ``P(B <= u - 1)`` and ``x[l]`` from below
    with probability ``P(B >= l)``. When n is too small for the confidence, the bound is None:
    the data cannot show it, whatever the values.
    """
    x = np.sort(values[~np.isnan(values)])
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, 0, None, None, confidence, "order-statistic")
    point = float(np.quantile(x, q))
    u = int(sps.binom.ppf(confidence, n, q)) + 1  # 1-based index of the upper bound
    upper = float(x[u - 1]) if u <= n else None
    k = int(sps.binom.ppf(1.0 - confidence, n, q))  # smallest k with P(B <= k) >= 1 - c
    lo = k if sps.binom.cdf(k, n, q) > 1.0 - confidence else k + 1
    lower = float(x[lo - 1]) if lo >= 1 and sps.binom.sf(lo - 1, n, q) >= confidence else None
    return Estimate(point, n, lower, upper, confidence, "order-statistic")
