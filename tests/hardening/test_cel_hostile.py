"""Expressions built to be slow or to crash: rejected at lint time, or stopped by the budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govgate.gate.engine import decide
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, run, snapshot

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
LIST = ",".join(str(i) for i in range(120))


def load(tmp_path: Path, expression: str) -> tuple[PolicySet, list[str]]:
    rule = f"    - id: r\n      category: quality\n      expression: '{expression}'\n"
    (tmp_path / "p.yaml").write_text(policy(rule))
    policy_set, problems = load_policy_set([str(tmp_path / "p.yaml")])
    return policy_set, [p.code for p in problems]


@pytest.mark.parametrize(
    ("expression", "code"),
    [
        ("(" * 2000 + "candidate.metrics.x" + ")" * 2000 + " > 0", "cel.too-deep"),
        ("-" * 3000 + "candidate.metrics.x > 0", "cel.too-deep"),
        ("!" * 3000 + "true", "cel.too-deep"),
        ("[" * 1500 + "]" * 1500, "cel.too-deep"),
        # over the schema's expression length (4096, as the CEL limit): refused before parsing
        ('candidate.metrics.x > 0 || "' + "ab" * 5000 + '" == ""', "schema.maxLength"),
        ("[" + ",".join(["1"] * 3000) + "].all(v, v > 0)", "schema.maxLength"),
        (
            "[1,2].all(a, [1,2].all(b, [1,2].all(c, a + b + c > candidate.metrics.x)))",
            "cel.too-complex",
        ),
    ],
    ids=["parentheses", "unary-minus", "negations", "lists", "long-string", "big-list", "nesting"],
)
def test_hostile_expressions_are_rejected_at_load_time(
    tmp_path: Path, expression: str, code: str
) -> None:
    policy_set, codes = load(tmp_path, expression)
    assert code in codes
    assert policy_set.policies == ()


def test_an_expression_within_the_lint_limits_is_stopped_by_the_budget(tmp_path: Path) -> None:
    """14,400 comprehension steps pass lint; the 10,000-step budget stops them: an error."""
    expression = f"[{LIST}].all(a, [{LIST}].all(b, a + b >= candidate.metrics.x))"
    policy_set, codes = load(tmp_path, expression)
    assert codes == []
    snap = snapshot(run("candidate", metrics={"x": 0.0}))
    decision = decide(policy_set, snap, stage="canary", now=NOW)
    (result,) = decision.rules
    assert result.outcome is Outcome.ERROR
    assert result.error == "cel.budget: evaluation exceeded its budget of 10000 steps"
    assert result.reason == "could not evaluate: evaluation exceeded its budget of 10000 steps"
    assert decision.verdict is Verdict.FAIL  # a blocking rule that could not be decided
