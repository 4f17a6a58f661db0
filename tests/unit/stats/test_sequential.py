"""Confidence sequences: valid at every n at once, checked exactly where the walk is binomial.

The crossing probability of a rate's confidence sequence, ``P(exists n <= N: p outside
CS_n)``, is computed exactly by dynamic programming over the binomial walk (absorbing the
paths that cross), not by simulation; the closed-form mixture is checked against numerical
integration; the betting sequence by simulation (its running maximum makes one evaluation per
path enough).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from scipy import integrate, special
from scipy import stats as sps

from govgate.stats import betting
from govgate.stats.bounds import mean, quantile, rate
from govgate.stats.sequential import (
    CONCENTRATIONS,
    log_mixture,
    quantile_bounds,
    rate_bounds,
)
from govgate.terms import MeanMethod, RateMethod


def _rejected_counts(t: int, p: float, alpha: float, side: str) -> np.ndarray:
    """Counts k in [0, t] at which the mixture at null ``p`` rejects, as a boolean mask: a
    tail of counts (low for "below", high for "above"), found by bisection on k and checked
    at its edge."""
    threshold = math.log(1.0 / alpha)
    k = np.arange(t + 1)

    def rejects(count: int) -> bool:
        return log_mixture(count, t, p, side) >= threshold

    if side == "below":  # rejected: k <= c
        if not rejects(0):
            return np.zeros(t + 1, dtype=bool)
        lo, hi = 0, t + 1  # rejects(lo), not rejects(hi) (t + 1 stands for "none")
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if rejects(mid) else (lo, mid)
        assert lo == t or not rejects(lo + 1)
        return k <= lo
    if not rejects(t):
        return np.zeros(t + 1, dtype=bool)
    lo, hi = -1, t  # not rejects(lo) (-1 stands for "none"), rejects(hi)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if rejects(mid) else (mid, hi)
    assert hi == 0 or not rejects(hi - 1)
    return k >= hi


def _walk(p: float, horizon: int, absorbed: Any) -> float:
    """The probability that a Bernoulli(p) count walk is ever absorbed up to ``horizon``:
    ``absorbed(t)`` is the mask of counts (length t + 1) the walk stops in at step t."""
    dist = np.zeros(horizon + 1)
    dist[0] = 1.0
    crossed = 0.0
    for t in range(1, horizon + 1):
        new = np.zeros(horizon + 1)
        new[1 : t + 1] += dist[:t] * p
        new[:t] += dist[:t] * (1.0 - p)
        dist = new
        mask = np.zeros(horizon + 1, dtype=bool)
        mask[: t + 1] = absorbed(t)
        crossed += float(dist[mask].sum())
        dist[mask] = 0.0
    return crossed


def crossing_probability(p: float, horizon: int, alpha: float, side: str) -> float:
    """Exact ``P(exists t <= horizon: the CS at t excludes p)`` for Bernoulli(p) trials.

    ``side="below"``: the upper bound falls below p (the mixture rejects "rate >= p");
    ``"above"``: the lower bound rises above it. The rejection region at each t is read
    from the mixture directly (it is a tail of counts, by monotonicity)."""
    return _walk(p, horizon, lambda t: _rejected_counts(t, p, alpha, side))


@pytest.mark.parametrize("p", [0.02, 0.2, 0.5])
@pytest.mark.parametrize("side", ["below", "above"])
def test_the_rate_sequence_crosses_at_most_alpha_of_the_time_exactly(p: float, side: str) -> None:
    # every look from 1 to 400 items: the exact probability that any of them excludes p
    crossed = crossing_probability(p, 400, 0.05, side)
    assert crossed <= 0.05
    assert crossed > 0.001  # and the sequence is not vacuous: it does reject sometimes


def test_a_fixed_sample_bound_looked_at_every_step_crosses_far_more_often() -> None:
    """The reason for confidence sequences: Clopper-Pearson at every look from 10 to 400."""
    p, horizon = 0.2, 400

    def excluded(t: int) -> np.ndarray:
        k = np.arange(t + 1)
        below: np.ndarray = sps.beta.ppf(0.95, k + 1, t - k) < p
        return below & (t >= 10)

    crossed = _walk(p, horizon, excluded)
    assert crossed > 0.15  # more than three times the nominal 5%


def test_the_closed_form_mixture_matches_numerical_integration() -> None:
    """An independent transcription: integrate the likelihood ratio against each truncated
    Beta prior numerically, average over the concentrations, compare with the closed form."""
    for k, n, p, side in [(3, 50, 0.2, "below"), (30, 200, 0.1, "above"), (0, 40, 0.05, "below")]:
        values = []
        for m in CONCENTRATIONS:
            a0, b0 = m * p, m * (1 - p)
            lo, hi = (0.0, p) if side == "below" else (p, 1.0)

            def density(q: float, a0: float = a0, b0: float = b0) -> float:
                return float(sps.beta.pdf(q, a0, b0))

            def ratio(
                q: float, a0: float = a0, b0: float = b0, k: int = k, n: int = n, p: float = p
            ) -> float:
                return density(q, a0, b0) * (q / p) ** k * ((1 - q) / (1 - p)) ** (n - k)

            # the prior's mass sits near p: split there so quad sees it
            mass = integrate.quad(density, lo, hi, points=[p], limit=200)[0]
            value = integrate.quad(ratio, lo, hi, points=[p], limit=200)[0]
            values.append(value / mass)
        expected = math.log(float(np.mean(values)))
        assert log_mixture(k, n, p, side) == pytest.approx(expected, rel=1e-6, abs=1e-8)


def test_the_evidence_grows_away_from_the_observed_rate() -> None:
    """Monotone in p on each side of k/n: the rejected set is an interval, so one crossing."""
    for k, n in [(3, 50), (10, 1000), (500, 1000), (2, 10_000)]:
        above = np.linspace(k / n, 1, 400)[1:-1]
        below = np.linspace(0, k / n, 400)[1:-1]
        up = [log_mixture(k, n, p, "below") for p in above]
        down = [log_mixture(k, n, p, "above") for p in below]
        assert np.all(np.diff(up) >= -1e-9)
        assert np.all(np.diff(down) <= 1e-9)


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 50), (4, 600), (90, 3000), (100, 10_000)])
def test_the_sequence_is_wider_than_the_fixed_sample_bound_and_errs_outward(k: int, n: int) -> None:
    lower, upper = rate_bounds(k, n, 0.05)
    threshold = math.log(20.0)
    cp_upper = sps.beta.ppf(0.95, k + 1, n - k)
    cp_lower = sps.beta.ppf(0.05, k, n - k + 1) if k else 0.0
    assert upper >= cp_upper
    assert lower <= cp_lower
    # each bound is itself rejected (outward), and a hair inside it is not
    assert upper == 1.0 or log_mixture(k, n, upper, "below") >= threshold
    assert log_mixture(k, n, upper - 1e-9, "below") < threshold
    if k:
        assert log_mixture(k, n, lower, "above") >= threshold
        assert log_mixture(k, n, lower + 1e-9, "above") < threshold


def test_the_price_of_any_number_of_looks_is_about_twice_the_width() -> None:
    """The mixture over concentrations keeps the width near 1.9x Clopper-Pearson's from 100 to
    100,000 items (one concentration alone is 2-20x at the ends): the figures the
    statistics docs quote."""
    for n in (100, 1_000, 10_000, 100_000):
        k = n // 10
        _, upper = rate_bounds(k, n, 0.05)
        cp = sps.beta.ppf(0.95, k + 1, n - k) - k / n
        assert 1.5 < (upper - k / n) / cp < 2.1


def test_rate_uses_the_sequence_only_when_asked() -> None:
    fixed = rate(4, 600, 0.95)
    looked = rate(4, 600, 0.95, sequential=True)
    assert fixed.method == "clopper-pearson"
    assert "anytime-valid" in looked.method
    assert looked.lower is not None
    assert fixed.lower is not None
    assert looked.lower < fixed.lower
    assert (looked.lower, looked.upper) == rate_bounds(4, 600, 1.0 - 0.95)
    wilson = rate(4, 600, 0.95, RateMethod.APPROXIMATE_WILSON, sequential=True)
    assert wilson.approximate
    assert "repeated looks" in wilson.method  # an opt-in stays fixed-sample, and says so


def _quantile_crossing(q: float, horizon: int, alpha: float) -> float:
    """Exact probability that the upper quantile bound ever falls below the true quantile of
    a continuous distribution: the count below it is a Binomial(t, q) walk, and the bound is
    below the quantile exactly when that count reaches the boundary."""
    from govgate.stats.sequential import _boundary

    threshold = math.log(1.0 / alpha)
    return _walk(q, horizon, lambda t: np.arange(t + 1) >= _boundary(t, q, threshold))


@pytest.mark.parametrize("q", [0.5, 0.95])
def test_the_quantile_sequence_crosses_at_most_alpha_of_the_time_exactly(q: float) -> None:
    assert _quantile_crossing(q, 600, 0.05) <= 0.05


def test_quantile_bounds_are_order_statistics_that_bracket_the_quantile() -> None:
    x = np.sort(np.random.default_rng(1).exponential(size=10_000))
    lower, upper = quantile_bounds(x, 0.95, 0.05)
    assert lower is not None
    assert upper is not None
    assert lower in x
    assert upper in x
    assert lower < -math.log(0.05) < upper  # the true p95 of Exp(1)
    fixed = quantile(x, 0.95, 0.95)
    looked = quantile(x, 0.95, 0.95, sequential=True)
    assert fixed.upper is not None
    assert looked.upper is not None
    assert looked.upper >= fixed.upper
    assert quantile_bounds(x[:20], 0.99, 0.05)[1] is None  # 20 items cannot bound a p99


def test_the_betting_sequence_holds_at_every_prefix_by_simulation() -> None:
    """The running maximum of the capital is part of the bound, so whether the sequence ever
    excluded the true mean up to N is one evaluation at N. 2,000 paths of 1,000 skewed
    values: the crossing rate stays under 5% (+ 3 standard errors)."""
    rng = np.random.default_rng(7)
    alpha, paths, horizon = 0.05, 2_000, 1_000
    true_mean = 2.0 / (2.0 + 8.0)  # Beta(2, 8)
    threshold = math.log(1.0 / alpha)
    crossed = 0
    for _ in range(paths):
        y = rng.beta(2.0, 8.0, horizon)
        bets = betting._bets(y, alpha, None)
        crossed += betting._excess(y, bets, true_mean, threshold) >= 0.0
    rate_ = crossed / paths
    assert rate_ <= alpha + 3 * math.sqrt(alpha * (1 - alpha) / paths)


def test_mean_uses_the_sequence_only_when_asked() -> None:
    from govgate.stats.bounds import ValueRange

    values = np.random.default_rng(3).beta(2.0, 8.0, 2_000)
    unit = ValueRange(0.0, 1.0, "declared")
    fixed = mean(values, 0.95, MeanMethod.BETTING, value_range=unit)
    looked = mean(values, 0.95, MeanMethod.BETTING, value_range=unit, sequential=True)
    assert "anytime-valid" in looked.method
    assert "anytime-valid" not in fixed.method
    assert fixed.upper is not None
    assert looked.upper is not None
    assert looked.upper > fixed.upper  # the price of any number of looks
    t = mean(values, 0.95, MeanMethod.APPROXIMATE_T, sequential=True)
    assert t.approximate
    assert "repeated looks" in t.method


def test_betainc_edges_give_no_bound_rather_than_a_wrong_one() -> None:
    # all events, or none: the bound on the far side is the edge itself
    assert rate_bounds(0, 50, 0.05)[0] == 0.0
    assert rate_bounds(50, 50, 0.05)[1] == 1.0
    assert log_mixture(0, 10, 0.0, "below") == -math.inf
    assert log_mixture(0, 10, 1.0, "above") == -math.inf
    assert special.betainc(1.0, 1.0, 0.5) == pytest.approx(0.5)  # the scipy convention used
