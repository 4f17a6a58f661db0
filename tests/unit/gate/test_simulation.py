"""Simulations: when the truth sits just on the wrong side of a threshold, the share of passes
stays at or below 1 - confidence. Seeded, so the figures are the same on every run."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from govgate.gate.engine import decide
from govgate.stats.bounds import Estimate, ValueRange, mean
from govgate.stats.compare import paired_binary, paired_scores
from govgate.terms import Outcome, RateMethod
from tests.support.snapshots import policy, policy_set, run, snapshot

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)


def test_rate_ceiling_through_the_engine(tmp_path: Path) -> None:
    """True toxicity 1.1% against a 1% ceiling, 2,000 items, 95%: at most 5% of draws pass.
    Offline, one look each: the fixed-sample bound (a canary's confidence sequences, under
    repeated looks, are simulated in tests/unit/stats/test_sequential_looks.py)."""
    rules = (
        "    - id: tox\n      category: safety\n"
        "      threshold: {metric: toxicity_rate, max: 0.01}\n"
    )
    ps = policy_set(tmp_path, policy(rules))
    rng = np.random.default_rng(2026)
    draws, passes = 600, 0
    for _ in range(draws):
        toxic = (rng.random(2000) < 0.011).astype(float)
        decision = decide(
            ps,
            snapshot(run("candidate", columns={"rate.toxicity_rate": toxic}, stage="offline")),
            stage="offline",
            now=NOW,
        )
        passes += decision.rules[0].outcome is Outcome.PASS
    assert passes / draws <= 0.05, passes / draws


def _upper(e: Estimate) -> float:
    assert e.upper is not None  # rate() bounds every n > 0 on both sides
    return e.upper


def test_rate_ceiling_at_the_boundary() -> None:
    """At the threshold itself (the worst case for the guarantee), directly on the bounds."""
    from govgate.stats.bounds import rate

    rng = np.random.default_rng(7)
    # Clopper-Pearson (the default) is exact: never above 1 - confidence. Wilson is close to
    # nominal here; Jeffreys is approximately, not strictly, at level (labelled approximate).
    limits = {
        RateMethod.CLOPPER_PEARSON: 0.05,
        RateMethod.APPROXIMATE_WILSON: 0.05,
        RateMethod.APPROXIMATE_JEFFREYS: 0.06,
    }
    for method, limit in limits.items():
        events = rng.binomial(1000, 0.0105, size=20_000)
        passes = sum(_upper(rate(int(k), 1000, 0.95, method)) <= 0.01 for k in events)
        assert passes / 20_000 <= limit, (method, passes / 20_000)


def test_mean_floor_betting() -> None:
    """True mean 0.795 against a floor of 0.8, 300 items in [0, 1]: the lower bound rarely
    clears it."""
    rng = np.random.default_rng(11)
    draws = 400
    unit = ValueRange(0.0, 1.0, "test")
    passes = sum(
        (mean(rng.beta(7.95, 2.05, 300), 0.95, value_range=unit).lower or 0) >= 0.8
        for _ in range(draws)
    )
    assert passes / draws <= 0.05, passes / draws


def test_non_inferiority_paired() -> None:
    """True difference -2.2 points against a -2 point margin: passes stay under 5%."""
    rng = np.random.default_rng(5)
    binary = scores = 0
    draws = 400
    for _ in range(draws):
        base = (rng.random(600) < 0.8).astype(float)
        u = rng.random(600)
        cand = base.copy()
        cand[(u < 0.012) & (base == 0)] = 1.0  # some items get better
        cand[(u > 1 - 0.034) & (base == 1)] = 0.0  # more get worse: net about -2.2 points
        binary += (paired_binary(cand, base, 0.95).delta_lower or -1) >= -0.02
        sb = rng.random(600)
        sc = sb - 0.022 + rng.normal(0, 0.15, 600)
        diff_range = ValueRange(-2.0, 2.0, "test")  # the scores are not clipped: a wider range
        scores += (paired_scores(sc, sb, 0.95, value_range=diff_range).delta_lower or -1) >= -0.02
    assert binary / draws <= 0.05, binary / draws
    assert scores / draws <= 0.05, scores / draws
