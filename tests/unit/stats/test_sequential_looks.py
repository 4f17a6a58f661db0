"""A canary looked at again and again: the sequential rate bound keeps its false-pass rate.

The fast version of the canary simulation (``python -m tests.benchmarks.sequential``): 2,000
canaries whose toxicity rate sits exactly at the rule's ``max: 0.01``, judged with
``rate(..., sequential=...)`` after every 100 items up to 5,000 (50 looks) and stopped at the
first PASS (``upper <= 0.01``). With the confidence sequence at most 5% of them ever pass; with
the fixed-sample Clopper-Pearson bound, looked at as often, far more do. A behavioural test: it
fails if the canary stage's bound were the fixed-sample one.
"""

from __future__ import annotations

import math

import numpy as np

from tests.benchmarks.sequential import RateRule, check_rule_semantics, rate_counts

CANARIES = 2_000
LOOKS = 50  # every 100 items up to 5,000
LIMIT = 0.01
CONFIDENCE = 0.95


def _ever_passes(sequential: bool, counts: np.ndarray) -> float:
    ns = 100 * np.arange(1, LOOKS + 1)
    rule = RateRule(LIMIT, CONFIDENCE, sequential, ns)
    # the table is rate() itself at the counts it was built from: spot-check a few more
    for j in (0, LOOKS // 2, LOOKS - 1):
        for k in np.unique(counts[:, j])[::5]:
            assert rule.decide(int(k), int(ns[j]))[0] == (k <= rule.pass_max[j])
    return float(rule.passes(counts).any(axis=1).mean())


def test_repeated_looks_keep_the_sequential_false_pass_rate_at_alpha() -> None:
    check_rule_semantics()  # PASS is `upper <= T`, as the policy compiler writes it
    counts = rate_counts(np.random.default_rng(20260115), LIMIT, CANARIES, LOOKS)
    alpha = 1.0 - CONFIDENCE
    sequential = _ever_passes(True, counts)
    fixed = _ever_passes(False, counts)
    assert sequential <= alpha + 3.0 * math.sqrt(alpha * (1.0 - alpha) / CANARIES)
    assert fixed > 0.10  # the inflation the confidence sequence exists to prevent
    assert sequential < fixed
