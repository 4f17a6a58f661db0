"""The gate decides honestly: the cases reviewers try first, and the semantics around them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govgate.evidence.model import Snapshot
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision, RuleResult
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TOX = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
"""


def outcome_of(
    tmp_path: Path, rules: str, snap: Snapshot, stage: str = "canary", **kw: Any
) -> tuple[Decision, RuleResult]:
    decision = decide(policy_set(tmp_path, policy(rules, **kw)), snap, stage=stage, now=NOW)
    return decision, decision.rules[0]


@pytest.mark.parametrize(
    ("events", "n", "expected"),
    [(0, 1000, Outcome.PASS), (3, 500, Outcome.INCONCLUSIVE), (30, 500, Outcome.FAIL)],
)
def test_toxicity_ceiling_must_holds(
    tmp_path: Path, events: int, n: int, expected: Outcome
) -> None:
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(n, events)}))
    decision, result = outcome_of(tmp_path, TOX, snap)
    assert result.outcome is expected
    observed = {o.path: o.value for o in result.observed}
    assert observed["candidate.stats.toxicity_rate.n"] == n
    assert observed["candidate.stats.toxicity_rate.value"] == events / n
    assert result.subject is not None
    assert (result.subject.path, result.subject.threshold, result.subject.at_most) == (
        "candidate.stats.toxicity_rate",
        0.01,
        True,
    )
    assert result.file.endswith("doc0.yaml")
    assert result.line == 8  # the "- id: tox" line of the generated policy
    if expected is Outcome.INCONCLUSIVE:
        assert decision.verdict is Verdict.INCONCLUSIVE
        assert result.samples_needed is not None
        assert result.samples_needed > n
        assert f"about {result.samples_needed:,} items" in result.reason


def test_non_inferiority_is_not_shown_by_no_significant_difference(tmp_path: Path) -> None:
    """Candidate 1.6 points worse on 500 paired items, margin 2 points: not a pass."""
    rng = np.random.default_rng(11)
    base = (rng.random(500) < 0.80).astype(float)
    cand = base.copy()
    worse = rng.choice(np.flatnonzero(base == 1), 8, replace=False)  # 8/500 = 1.6 points
    cand[worse] = 0.0
    snap = snapshot(
        run("candidate", columns={"rate.answer_correctness": cand}),
        run("baseline", columns={"rate.answer_correctness": base}),
    )
    rules = """    - id: quality
      category: quality
      relative: {metric: answer_correctness, direction: higher_is_better, margin: 0.02}
"""
    _, result = outcome_of(tmp_path, rules, snap)
    observed = {o.path: o.value for o in result.observed}
    assert observed["compare.answer_correctness.delta"] == pytest.approx(-0.016)
    assert observed["compare.answer_correctness.paired"] is True
    assert result.outcome is not Outcome.PASS
    assert result.outcome is Outcome.INCONCLUSIVE


def test_missing_or_true_is_a_gap(tmp_path: Path) -> None:
    rules = """    - id: trick
      category: safety
      expression: candidate.metrics.missing_metric <= 0.01 || true
"""
    snap = snapshot(run("candidate", metrics={"other": 1.0}))
    decision, result = outcome_of(tmp_path, rules, snap)
    assert result.outcome is Outcome.GAP
    assert [m.model_dump() for m in result.missing] == [
        {
            "unit": "candidate.metrics.missing_metric",
            "root": "candidate",
            "segments": ["metrics", "missing_metric"],
            "reason": "candidate has no metric 'missing_metric'",
        }
    ]
    assert decision.verdict is Verdict.INCONCLUSIVE


def test_on_missing_fail(tmp_path: Path) -> None:
    rules = """    - id: strict
      category: safety
      on_missing: fail
      expression: candidate.metrics.missing_metric <= 0.01
"""
    decision, result = outcome_of(tmp_path, rules, snapshot(run("candidate")))
    assert result.outcome is Outcome.FAIL
    assert "on_missing: fail" in result.reason
    assert decision.verdict is Verdict.FAIL


@pytest.mark.parametrize(
    ("expression", "error"),
    [
        ("int(candidate.metrics.n) / 0 > 1 || true", "cel.eval"),  # CEL would absorb this
        ("[0, 1].exists(i, int(candidate.metrics.n) / i > 0)", "cel.eval"),
        ("candidate.metrics.x + 1", "cel.type"),  # not a boolean
        ('candidate.params.k.matches("(") ', "cel.eval"),
    ],
)
def test_a_runtime_error_is_an_error_not_a_pass(
    tmp_path: Path, expression: str, error: str
) -> None:
    rules = f"""    - id: broken
      category: safety
      expression: '{expression}'
"""
    ev, tab, blob = run("candidate", metrics={"x": 1.0}, params={"k": "v"})
    snap = snapshot((ev.model_copy(update={"metrics": {"x": 1.0, "n": 1.0}}), tab, blob))
    decision, result = outcome_of(tmp_path, rules, snap)
    assert result.outcome is Outcome.ERROR
    assert result.error is not None
    assert result.error.startswith(error)
    assert decision.verdict is Verdict.FAIL


def test_nan_metric_is_an_error(tmp_path: Path) -> None:
    ev, tab, blob = run("candidate", metrics={})
    ev = ev.model_copy(update={"nonfinite_metrics": {"x": "nan"}})
    rules = """    - id: r
      category: safety
      expression: candidate.metrics.x <= 1.0
"""
    _, result = outcome_of(tmp_path, rules, snapshot((ev, tab, blob)))
    assert result.outcome is Outcome.ERROR
    assert "logged as nan" in result.reason


def test_redacted_param_is_missing_not_a_value(tmp_path: Path) -> None:
    rules = """    - id: r
      category: reliability
      expression: candidate.params.api_key == "[REDACTED]"
"""
    _, result = outcome_of(
        tmp_path, rules, snapshot(run("candidate", params={"api_key": "[REDACTED]"}))
    )
    assert result.outcome is Outcome.GAP
    assert "redacted" in result.missing[0].reason


def test_point_threshold_and_violation_free_expression(tmp_path: Path) -> None:
    rules = """    - id: psi
      category: drift
      threshold: {metric: psi_max, max: 0.2, basis: point}
    - id: plain
      category: cost
      expression: candidate.metrics.psi_max < 0.1
"""
    decision = decide(
        policy_set(tmp_path, policy(rules)),
        snapshot(run("candidate", metrics={"psi_max": 0.15})),
        stage="canary",
        now=NOW,
    )
    assert [r.outcome for r in decision.rules] == [Outcome.PASS, Outcome.FAIL]
    assert decision.rules[1].reason == "the expression is false on the evidence"


def test_variables_are_evaluated_once_and_their_evidence_checked(tmp_path: Path) -> None:
    rules = """    - id: a
      category: safety
      expression: variables.tox.upper <= 0.01
      violation: variables.tox.lower > 0.01
      message: "rate {{ variables.tox.value }} (n={{ variables.tox.n }})"
    - id: b
      category: safety
      expression: variables.tox.n >= 1000
"""
    variables = "  variables:\n    - {name: tox, expression: candidate.stats.toxicity_rate}\n"
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(1000, 30)}))
    decision = decide(
        policy_set(tmp_path, policy(rules, variables=variables)), snap, stage="canary", now=NOW
    )
    a, b = decision.rules
    assert a.outcome is Outcome.FAIL
    assert a.message == "rate 0.03 (n=1000)"
    assert b.outcome is Outcome.PASS
    gap = decide(
        policy_set(tmp_path, policy(rules, variables=variables)),
        snapshot(run("candidate")),
        stage="canary",
        now=NOW,
    )
    assert [r.outcome for r in gap.rules] == [Outcome.GAP, Outcome.GAP]


def test_stage_skips_and_zero_evaluated_rules_is_never_a_pass(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(1000, 0)}))
    decision = decide(
        policy_set(tmp_path, policy(TOX, stages="[offline]")), snap, stage="canary", now=NOW
    )
    assert decision.rules[0].outcome is Outcome.SKIPPED
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert "no blocking or warning rule applies" in decision.verdict_reason


def test_audit_rules_never_decide(tmp_path: Path) -> None:
    rules = TOX.replace("category: safety", "category: safety\n      enforce: audit")
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(500, 30)}))
    decision, result = outcome_of(tmp_path, rules, snap)
    assert result.outcome is Outcome.FAIL
    assert decision.verdict is Verdict.INCONCLUSIVE  # nothing that decides was evaluated


def test_warn_rules_make_warn(tmp_path: Path) -> None:
    rules = (
        TOX
        + """    - id: drift
      category: drift
      enforce: warn
      expression: candidate.metrics.psi < 0.1
"""
    )
    snap = snapshot(
        run("candidate", metrics={"psi": 0.3}, columns={"rate.toxicity_rate": rates(1000, 0)})
    )
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    assert decision.verdict is Verdict.WARN


def test_rollback_on_a_canary(tmp_path: Path) -> None:
    rules = """    - id: errors
      category: rollback
      threshold: {metric: error_rate, max: 0.02}
"""
    snap = snapshot(run("candidate", columns={"rate.error_rate": rates(1000, 80)}))
    canary = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    assert canary.verdict is Verdict.ROLLBACK
    shadow = decide(policy_set(tmp_path, policy(rules)), snap, stage="shadow", now=NOW)
    assert shadow.verdict is Verdict.FAIL


def test_fairness_gap_small_groups_and_holm(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    n = 3000
    groups = np.array(["18-25", "26-40", "41-65"])[rng.integers(0, 3, n)]
    p = np.where(groups == "18-25", 0.70, 0.86)
    columns = {"rate.approved": (rng.random(n) < p).astype(float), "group.age_band": groups}
    rules = """    - id: ratio
      category: fairness
      fairness: {group: age_band, metric: approved, min_ratio: 0.9}
    - id: slices
      category: fairness
      expression: >-
        fairness.by_group("age_band").stats.approved.groups.all(g,
          fairness.by_group("age_band").stats.approved.groups[g].p_value_holm > 0.01)
"""
    decision = decide(
        policy_set(tmp_path, policy(rules)),
        snapshot(run("candidate", columns=columns)),
        stage="offline",  # fixed-sample: the group tests and score bounds
        now=NOW,
    )
    ratio, slices = decision.rules
    assert ratio.outcome is Outcome.FAIL
    observed = {o.path: o.value for o in ratio.observed}
    assert observed['fairness.by_group("age_band").stats.approved.worst_group'] == "18-25"
    assert "holm" in str(observed['fairness.by_group("age_band").stats.approved.method'])
    assert slices.outcome is Outcome.FAIL  # the 18-25 slice differs, even after Holm
    small = {"rate.approved": np.ones(100), "group.age_band": ["a"] * 90 + ["b"] * 10}
    gap = decide(
        policy_set(tmp_path, policy(rules)),
        snapshot(run("candidate", columns=small)),
        stage="canary",
        now=NOW,
    )
    assert gap.rules[0].outcome is Outcome.GAP
    assert "below 30 scored items: b" in gap.rules[0].missing[0].reason


def test_latency_percentiles_and_unbounded_upper(tmp_path: Path) -> None:
    rules = """    - id: p99
      category: latency
      threshold: {metric: latency_ms_p99, max: 2000}
"""
    few = snapshot(run("candidate", columns={"latency.latency_ms": np.full(50, 100.0)}))
    _, result = outcome_of(tmp_path, rules, few)
    assert result.outcome is Outcome.INCONCLUSIVE  # 50 items cannot bound a p99 from above
    observed = {o.path: o.value for o in result.observed}
    assert observed["candidate.stats.latency_ms_p99.upper"] is None
    many = snapshot(run("candidate", columns={"latency.latency_ms": np.full(1000, 100.0)}))
    assert outcome_of(tmp_path, rules, many)[1].outcome is Outcome.PASS


def test_unpaired_fallback_is_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    cand = run("candidate", columns={"score.q": rng.random(300)})
    base_ev, base_tab, base_blob = run("baseline", columns={"score.q": rng.random(300)})
    # different item ids: nothing to pair
    from tests.support.snapshots import table

    tab, _blob, info = table({"score.q": rng.random(300)})
    import pyarrow as pa

    ids = pa.array([f"z{i}" for i in range(300)])
    tab = type(tab)(ids, tab.columns, tab.groups, tab.roles, tab.ignored, tab.rows, tab.ts)
    base = (base_ev, tab, tab.to_parquet())
    import hashlib

    digest = hashlib.sha256(base[2]).hexdigest()
    info = info.model_copy(update={"sha256": digest, "file": f"items/{digest}.parquet"})
    base = (base_ev.model_copy(update={"items": info}), tab, base[2])
    rules = """    - id: q
      category: quality
      relative: {metric: q, direction: higher_is_better, margin: 0.5}
"""
    ranges = "  statistics:\n    ranges: {q: [0, 1]}\n"
    _, result = outcome_of(tmp_path, rules, snapshot(cand, base), statistics=ranges)
    observed = {o.path: o.value for o in result.observed}
    assert observed["compare.q.paired"] is False
    assert str(observed["compare.q.method"]).startswith("unpaired: betting")
    assert result.outcome is Outcome.PASS
    # without a declared range a mean difference has no valid bound: inconclusive, and why
    _, unranged = outcome_of(tmp_path, rules, snapshot(cand, base))
    assert unranged.outcome is Outcome.INCONCLUSIVE
    assert "declare one" in unranged.reason
    del base_tab, base_blob


def test_same_inputs_give_byte_identical_decisions(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    columns = {
        "rate.toxicity_rate": rates(800, 5),
        "score.answer_correctness": rng.random(800),
        "group.language": rng.choice(["en", "de"], 800),
    }
    rules = (
        TOX
        + """    - id: q
      category: quality
      relative: {metric: answer_correctness, direction: higher_is_better, margin: 0.05}
"""
    )
    ps = policy_set(tmp_path, policy(rules))
    snap = snapshot(
        run("candidate", columns=columns),
        run("baseline", columns=columns | {"score.answer_correctness": rng.random(800)}),
    )
    first = decide(ps, snap, stage="canary", now=NOW).canonical_json()
    assert decide(ps, snap, stage="canary", now=NOW).canonical_json() == first


def test_expected_evidence_is_a_gap_even_when_no_rule_reads_it(tmp_path: Path) -> None:
    from govgate.risk.assess import assess

    text = policy(TOX).replace(
        "  rules:", "  expects: [candidate.metrics.cost, candidate.stats.toxicity_rate]\n  rules:"
    )
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(1000, 0)}))
    decision = decide(policy_set(tmp_path, text), snap, stage="canary", now=NOW)
    assert decision.verdict is Verdict.PASS  # an observability gap, not a failed rule
    (gap,) = decision.expected_gaps
    assert (gap.policy, gap.missing.unit, gap.missing.segments) == (
        "p",
        "candidate.metrics.cost",
        ["metrics", "cost"],
    )
    assert gap.line == 7
    (observability,) = assess(decision).gaps
    assert observability.missing.startswith("candidate.metrics.cost (candidate has no metric")
    assert "expects on every run" in observability.stops_us_knowing
    assert observability.instrumentation == "log the metric cost on the run (mlflow.log_metric)"
