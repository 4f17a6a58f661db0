"""SLO evidence that is broken, truncated or degenerate never makes a burn-rate rule pass."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govgate.evidence.model import MetricPoint, Snapshot
from govgate.gate.engine import decide
from govgate.gate.outcome import RuleResult
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, policy_set, run, snapshot

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
T0 = 1_767_225_600
HISTORY = """  slos:
    - name: availability
      objective: 0.995
      window: 30d
      history: {requests: requests_total, errors: errors_total}
"""
TABLE = HISTORY.replace("history: {requests: requests_total, errors: errors_total}", "bad: error")
FAST_BURN = """    - id: fast-burn
      category: rollback
      slo: {name: availability, burn_rate: {long: 1h, short: 5m, max: 14.4}}
"""


def points(values: list[float], *, steps: list[int] | None = None) -> list[MetricPoint]:
    steps = steps if steps is not None else list(range(len(values)))
    return [
        MetricPoint(step=s, timestamp=(T0 + 60 * s) * 1000, value=v)
        for s, v in zip(steps, values, strict=True)
    ]


def decided(
    tmp_path: Path, snap: Snapshot, slos: str, rules: str = FAST_BURN
) -> tuple[Verdict, RuleResult]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    decision = decide(policy_set(tmp_path, policy(rules, slos=slos)), snap, stage="canary", now=NOW)
    return decision.verdict, decision.rules[0]


def with_history(history: dict[str, list[MetricPoint]], truncated: dict[str, int]) -> Snapshot:
    ev, table, blob = run("candidate", metrics={k: v[-1].value for k, v in history.items()})
    ev = ev.model_copy(update={"metric_history": history, "history_truncated": truncated})
    return snapshot((ev, table, blob))


CLEAN = [0.0] * 120
HUNDRED = [100.0] * 120


@pytest.mark.parametrize(
    ("requests", "errors", "says"),
    [
        (HUNDRED, [-5.0, *CLEAN[1:]], "not counts (negative or fractional)"),
        ([100.5, *HUNDRED[1:]], CLEAN, "not counts (negative or fractional)"),
        (HUNDRED, [101.0, *CLEAN[1:]], "counts more errors than"),
        (points(HUNDRED), points(CLEAN[:119]), "not logged at the same steps"),
        (
            points(HUNDRED),
            points(CLEAN, steps=[0, *range(0, 119)]),  # step 0 twice
            "logged more than once at a step",
        ),
    ],
)
def test_count_histories_that_are_not_counts_are_errors_never_passes(
    tmp_path: Path, requests: Any, errors: Any, says: str
) -> None:
    history = {
        "requests_total": requests if isinstance(requests[0], MetricPoint) else points(requests),
        "errors_total": errors if isinstance(errors[0], MetricPoint) else points(errors),
    }
    verdict, result = decided(tmp_path, with_history(history, {}), HISTORY)
    assert result.outcome is Outcome.ERROR
    assert says in result.reason
    assert verdict is Verdict.FAIL


def test_a_window_reaching_past_a_truncated_history_is_a_gap(tmp_path: Path) -> None:
    """Only the newest 120 of 5,000 steps (a minute apart) were read: the 1h and 5m windows lie
    inside them, a 6h window does not, and is never measured over the part that was kept."""
    history = {"requests_total": points(HUNDRED), "errors_total": points(CLEAN)}
    truncated = {"requests_total": 5000, "errors_total": 5000}
    verdict, fast = decided(tmp_path / "fast", with_history(history, truncated), HISTORY)
    assert fast.outcome is Outcome.PASS
    assert "history truncated when read: requests_total (the newest 120 of 5,000 points)" in (
        fast.reason
    )
    slow = FAST_BURN.replace("long: 1h, short: 5m", "long: 6h, short: 30m")
    verdict, result = decided(tmp_path / "slow", with_history(history, truncated), HISTORY, slow)
    assert result.outcome is Outcome.GAP
    assert "reaches back past the oldest step of a truncated history" in result.reason
    assert verdict is Verdict.INCONCLUSIVE


def test_events_that_span_no_time_have_no_budget_to_pass_on(tmp_path: Path) -> None:
    """1,000 failing requests stamped with one instant: the budget they spent is undefined (no
    rate of traffic to size it by), so a budget rule is an error, never a pass; the burn rate
    itself is defined (200x) and fails."""
    ts, error = np.full(1000, float(T0)), np.ones(1000)
    snap = snapshot(run("candidate", columns={"ts": ts, "rate.error": error}))
    budget = (
        "    - id: budget\n      category: reliability\n"
        "      expression: candidate.slo.availability.budget_remaining > 0.5\n"
    )
    verdict, result = decided(tmp_path / "budget", snap, TABLE, budget)
    assert result.outcome is Outcome.ERROR
    assert verdict is Verdict.FAIL
    verdict, burn = decided(tmp_path / "burn", snap, TABLE)
    assert burn.outcome is Outcome.FAIL
    assert verdict is Verdict.ROLLBACK
