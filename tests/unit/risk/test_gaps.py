"""Observability gaps are built from structured missing-evidence records, never re-parsed text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgate.gate.engine import decide
from govgate.risk.assess import assess
from govgate.terms import Outcome
from tests.support.snapshots import policy, policy_set, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_a_metric_with_dots_in_its_name_stays_one_unit_in_the_gap(tmp_path: Path) -> None:
    rules = """    - id: latency
      category: latency
      threshold: {metric: "p95.latency_ms", max: 800, basis: point}
"""
    snap = snapshot(run("candidate", metrics={"other": 1.0}))
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    (rule,) = decision.rules
    assert rule.outcome is Outcome.GAP
    (missing,) = rule.missing
    assert (missing.root, missing.segments) == ("candidate", ["metrics", "p95.latency_ms"])
    (gap,) = assess(decision).gaps
    # the text form splits on dots; the record does not: the metric is named whole
    assert gap.instrumentation == "log the metric p95.latency_ms on the run (mlflow.log_metric)"
    assert gap.rules == [rule.key]


def test_a_missing_rate_column_says_which_column_to_log(tmp_path: Path) -> None:
    rules = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
"""
    snap = snapshot(run("candidate", metrics={"other": 1.0}))
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    (gap,) = assess(decision).gaps
    assert gap.missing.startswith("candidate.stats.toxicity_rate (")
    assert "rate.toxicity_rate or score.toxicity_rate" in gap.instrumentation
