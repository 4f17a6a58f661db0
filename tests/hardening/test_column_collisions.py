"""One name, one meaning: two columns that could provide one statistic make the table invalid."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from govgate.gate.engine import decide
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("metric", "columns"),
    [
        # a planted "p95" score would silently replace the p95 of the real latencies
        (
            "latency_ms_p95",
            {"latency.latency_ms": np.full(500, 2000.0), "score.latency_ms_p95": np.full(500, 1.0)},
        ),
        # a rate and a score under one name
        (
            "toxicity_rate",
            {"rate.toxicity_rate": rates(500, 50), "score.toxicity_rate": np.zeros(500)},
        ),
    ],
)
def test_a_name_two_columns_provide_is_an_error_never_a_pass(
    tmp_path: Path, metric: str, columns: dict[str, np.ndarray]
) -> None:
    rules = f"""    - id: r
      category: safety
      threshold: {{metric: {metric}, max: 1500}}
"""
    snap = snapshot(run("candidate", columns=columns))
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    (rule,) = decision.rules
    assert rule.outcome is Outcome.ERROR
    assert rule.error is not None
    assert "one name must have one meaning" in rule.error
    assert decision.verdict is Verdict.FAIL  # a blocking rule that could not be evaluated blocks
