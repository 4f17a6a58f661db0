"""Properties of the gate: evidence removal never yields a pass; decisions are reproducible."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgate.evidence.model import read_snapshot, write_snapshot
from govgate.gate.engine import decide
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.terms import Outcome
from tests.support.snapshots import policy, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
RULES = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.2}
    - id: tox-var
      category: safety
      expression: variables.t.upper <= 0.3 && candidate.metrics.cost <= 2.0
    - id: quality
      category: quality
      relative: {metric: correct, direction: higher_is_better, margin: 0.3}
    - id: cost
      category: cost
      relative: {metric: cost, direction: lower_is_better, margin_ratio: 1.0, basis: point}
    - id: fair
      category: fairness
      fairness: {group: lang, metric: correct, max_gap: 0.9}
    - id: lenient
      category: reliability
      expression: candidate.metrics.cost > -1.0 || true
"""
VARIABLES = "  variables:\n    - {name: t, expression: candidate.stats.toxicity_rate}\n"
# What each rule reads (a removal of any of these must never leave the rule passing)
READS = {
    "tox": {"column:rate.toxicity_rate", "table:candidate"},
    "tox-var": {"column:rate.toxicity_rate", "table:candidate", "metric:candidate:cost"},
    "quality": {"column:score.correct", "table:candidate", "table:baseline", "baseline"},
    "cost": {"metric:candidate:cost", "metric:baseline:cost", "baseline"},
    "fair": {"column:score.correct", "column:group.lang", "table:candidate"},
    "lenient": {"metric:candidate:cost"},
}
REMOVALS = sorted(set().union(*READS.values()))


@pytest.fixture(scope="module")
def policies(tmp_path_factory: pytest.TempPathFactory) -> PolicySet:
    folder = tmp_path_factory.mktemp("props")
    (folder / "p.yaml").write_text(
        policy(RULES, variables=VARIABLES, statistics="  statistics: {min_group_size: 5}\n")
    )
    loaded, problems = load_policy_set([str(folder)])
    assert problems == []
    return loaded


def build(data: dict[str, Any], removed: str | None) -> Any:
    n = data["n"]
    rng = np.random.default_rng(data["seed"])
    columns = {
        "rate.toxicity_rate": (rng.random(n) < data["tox"]).astype(float),
        "score.correct": rng.random(n),
        "group.lang": rng.choice(["en", "de"], n),
    }
    base_columns = {"score.correct": rng.random(n)}
    cand_metrics = {"cost": data["cost"]}
    base_metrics = {"cost": 1.0}
    if removed and removed.startswith("column:"):
        columns.pop(removed.split(":", 1)[1])
        base_columns.pop(removed.split(":", 1)[1], None)
    if removed == "metric:candidate:cost":
        cand_metrics.pop("cost")
    if removed == "metric:baseline:cost":
        base_metrics.pop("cost")
    cand = run(
        "candidate", metrics=cand_metrics, columns=None if removed == "table:candidate" else columns
    )
    base = run(
        "baseline",
        metrics=base_metrics,
        columns=None if removed == "table:baseline" else base_columns,
    )
    return snapshot(cand, None if removed == "baseline" else base)


DATA = st.fixed_dictionaries(
    {
        "n": st.integers(20, 300),
        "seed": st.integers(0, 2**32 - 1),
        "tox": st.floats(0.0, 0.5),
        "cost": st.floats(0.1, 3.0),
    }
)


@settings(max_examples=60)
@given(data=DATA, removed=st.sampled_from(REMOVALS))
def test_removing_evidence_a_rule_uses_never_turns_it_into_a_pass(
    policies: PolicySet, data: dict[str, Any], removed: str
) -> None:
    full = {
        r.rule: r.outcome
        for r in decide(policies, build(data, None), stage="canary", now=NOW).rules
    }
    less = {
        r.rule: r for r in decide(policies, build(data, removed), stage="canary", now=NOW).rules
    }
    for rule, reads in READS.items():
        if removed in reads:
            assert less[rule].outcome is Outcome.GAP, (rule, removed, less[rule].reason)
        else:
            assert less[rule].outcome is full[rule]


@settings(max_examples=25)
@given(data=DATA)
def test_same_inputs_byte_identical_decisions_even_through_disk(
    policies: PolicySet, data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    snap = build(data, None)
    first = decide(policies, snap, stage="canary", now=NOW).canonical_json()
    assert decide(policies, snap, stage="canary", now=NOW).canonical_json() == first
    path: Path = tmp_path_factory.mktemp("snap") / "evidence.json"
    write_snapshot(snap, path)
    assert decide(policies, read_snapshot(path), stage="canary", now=NOW).canonical_json() == first
