"""One-sample statistics: rates, means and quantiles with one-sided confidence bounds.

Every bound here is *one-sided at the given confidence*: ``upper`` is a value the true quantity
exceeds with probability at most ``1 - confidence``, and ``lower`` likewise from below. A rule
``upper <= T`` therefore passes a breaching model with probability at most ``1 - confidence``.
Pure numpy/scipy, no I/O; randomness (bootstrap) is seeded from the inputs, so the same data
always gives the same bounds.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import stats as sps

RateMethod = Literal["clopper-pearson", "wilson", "jeffreys"]
MeanMethod = Literal["auto", "bootstrap", "t"]
BOOTSTRAP_MAX_N = 10_000  # above this, "auto" means use the t bound (the CLT has long taken over)
BOOTSTRAP_RESAMPLES = 2_000


@dataclass(frozen=True, slots=True)
class Estimate:
    """A point value with one-sided bounds; ``None`` bounds mean "not enough data to bound"."""

    value: float
    n: int
    lower: float | None
    upper: float | None
    confidence: float
    method: str


def seed_for(*parts: object) -> int:
    """A deterministic seed from the inputs (never Python's salted ``hash``)."""
    digest = hashlib.sha256(repr(parts).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def rate(k: int, n: int, confidence: float, method: RateMethod = "clopper-pearson") -> Estimate:
    """``k`` events in ``n`` trials: the rate with one-sided bounds."""
    if n <= 0:
        return Estimate(math.nan, 0, None, None, confidence, method)
    alpha = 1.0 - confidence
    p = k / n
    if method == "clopper-pearson":
        lower = 0.0 if k == 0 else float(sps.beta.ppf(alpha, k, n - k + 1))
        upper = 1.0 if k == n else float(sps.beta.ppf(confidence, k + 1, n - k))
    elif method == "jeffreys":
        lower = 0.0 if k == 0 else float(sps.beta.ppf(alpha, k + 0.5, n - k + 0.5))
        upper = 1.0 if k == n else float(sps.beta.ppf(confidence, k + 0.5, n - k + 0.5))
    else:  # wilson score bound, one-sided
        z = float(sps.norm.ppf(confidence))
        centre = (p + z * z / (2 * n)) / (1 + z * z / n)
        half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
        lower, upper = max(0.0, centre - half), min(1.0, centre + half)
    return Estimate(p, n, lower, upper, confidence, method)


def _t_bounds(values: np.ndarray, confidence: float) -> tuple[float, float]:
    n = values.size
    mean = float(values.mean())
    if n < 2:
        return -math.inf, math.inf
    se = float(values.std(ddof=1)) / math.sqrt(n)
    t = float(sps.t.ppf(confidence, n - 1))
    return mean - t * se, mean + t * se


def bootstrap_means(values: np.ndarray, resamples: int, seed: int) -> np.ndarray:
    """Means of ``resamples`` bootstrap samples, computed in blocks to bound memory."""
    rng = np.random.default_rng(seed)
    n = values.size
    out = np.empty(resamples)
    block = max(1, min(resamples, 4_000_000 // max(n, 1)))
    for start in range(0, resamples, block):
        stop = min(resamples, start + block)
        idx = rng.integers(0, n, size=(stop - start, n))
        out[start:stop] = values[idx].mean(axis=1)
    return out


def mean(
    values: np.ndarray,
    confidence: float,
    method: MeanMethod = "auto",
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    label: str = "",
) -> Estimate:
    """The mean of the non-missing values, with one-sided bounds (bootstrap or t)."""
    x = values[~np.isnan(values)]
    n = int(x.size)
    if n == 0:
        return Estimate(math.nan, 0, None, None, confidence, "none")
    point = float(x.mean())
    use = method if method != "auto" else ("bootstrap" if n <= BOOTSTRAP_MAX_N else "t")
    if n < 2:
        return Estimate(point, n, None, None, confidence, use)
    if use == "t":
        lower, upper = _t_bounds(x, confidence)
        return Estimate(point, n, lower, upper, confidence, "t")
    boot = bootstrap_means(x, resamples, seed_for("mean", label, n, point))
    lower = float(np.quantile(boot, 1.0 - confidence))
    upper = float(np.quantile(boot, confidence))
    return Estimate(point, n, lower, upper, confidence, f"bootstrap ({resamples} resamples)")


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
