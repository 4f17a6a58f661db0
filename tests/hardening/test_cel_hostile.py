"""Expressions built to be slow or to crash: rejected at lint time, or stopped by the budget."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govgate.gate.engine import decide
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, rates, run, snapshot

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


def decide_one(tmp_path: Path, expression: str, **metrics: float) -> tuple[Outcome, str]:
    """Load a one-rule policy and decide it on a candidate with ``metrics`` and a paired
    ``rate.tox`` comparison whose baseline has no events (so ``compare.tox.rel_delta`` is NaN),
    exactly as the gate does; returns the rule's outcome and error."""
    policy_set, codes = load(tmp_path, expression)
    assert codes == []
    n = 400
    snap = snapshot(
        run("candidate", metrics=metrics, columns={"rate.tox": rates(n, 8)}),
        run("baseline", columns={"rate.tox": rates(n, 0)}),
    )
    decision = decide(policy_set, snap, stage="canary", now=NOW)
    (result,) = decision.rules
    if result.outcome is Outcome.ERROR:
        assert decision.verdict is Verdict.FAIL  # a blocking rule that could not be decided
    return result.outcome, result.error or ""


@pytest.mark.parametrize(
    "expression",
    [
        # cel-python keeps the error of "b" as b's value: reading "a" passed
        '{"a": 1, "b": int(candidate.metrics.x) / 0}.a == 1',
        '{"a": 1, int(candidate.metrics.x) / 0: 2}.a == 1',
        '"a" in {"a": 1, "b": int(candidate.metrics.x) / 0}',
        'has({"a": candidate.metrics.x, "b": int(candidate.metrics.x) / 0}.a)',
        '[{"b": int(candidate.metrics.x) / 0}].size() == 1',
        '{"a": [1, int(candidate.metrics.x) / 0]}.size() == 1',
        # list literals were errors already; now they say which
        "[1, int(candidate.metrics.x) / 0][0] == 1",
        "[1, 1 / 0][0] == 1 && candidate.metrics.x > 0.0",
    ],
    ids=[
        "map-value",
        "map-key",
        "in-map",
        "has",
        "map-in-list",
        "list-in-map",
        "list",
        "list-const",
    ],
)
def test_an_error_inside_a_map_or_list_literal_makes_the_rule_an_error(
    tmp_path: Path, expression: str
) -> None:
    outcome, error = decide_one(tmp_path, expression, x=1.0)
    assert outcome is Outcome.ERROR
    assert error == "cel.eval: evaluation error: division by zero"


@pytest.mark.parametrize(
    "expression",
    [
        # 0.0 / 0.0 was infinity in cel-python, so it passed "> 0.5"
        "candidate.metrics.zero / candidate.metrics.zero > 0.5",
        "!(candidate.metrics.zero / candidate.metrics.zero <= 0.5)",
        # inf - inf and inf * 0 are NaN, and NaN != anything was true
        "candidate.metrics.x / 0.0 - candidate.metrics.x / 0.0 != 1.0",
        "!(candidate.metrics.x / 0.0 * candidate.metrics.zero == 1.0)",
        # a NaN in the evidence: the relative change against a baseline rate of 0
        "!(compare.tox.rel_delta > 0.5)",
        "!(compare.tox.rel_delta < 0.5) && !(compare.tox.rel_delta >= 0.5)",
        "compare.tox.rel_delta != 0.0",
        "!(compare.tox.rel_delta == compare.tox.rel_delta)",
        "max(compare.tox.rel_delta, candidate.metrics.x) >= 1.0",
        "min([candidate.metrics.x, compare.tox.rel_delta]) >= 1.0",
        "!(compare.tox.rel_delta in [1.0])",
        "[compare.tox.rel_delta].all(v, !(v > 0.5))",
    ],
)
def test_a_nan_never_passes_a_comparison_or_its_negation(tmp_path: Path, expression: str) -> None:
    outcome, error = decide_one(tmp_path, expression, x=1.0, zero=0.0)
    assert outcome is Outcome.ERROR
    assert error == "cel.eval: evaluation error: a value is not a number (NaN)"


@pytest.mark.parametrize(
    "expression",
    [
        "candidate.metrics.n >= 500 && candidate.metrics.x <= 1 && candidate.metrics.x == 1",
        "candidate.metrics.x < 2 && 2 > candidate.metrics.x && candidate.metrics.n != 499.5",
        "min(candidate.metrics.n, 600) == 500 && max([candidate.metrics.x, 0]) == 1.0",
        "-candidate.metrics.x / 0.0 < 0.0 && candidate.metrics.x / 0.0 > 1e308",
        '{"a": candidate.metrics.x, "b": 2}.a == 1 && [candidate.metrics.n, 1][0] == 500',
        'has(compare.tox.delta) && has({"a": candidate.metrics.x}.a) && !has({"a": 1}.b)',
    ],
    ids=["mixed", "reversed", "min-max", "infinities", "literals", "has"],
)
def test_finite_comparisons_and_literals_still_decide(tmp_path: Path, expression: str) -> None:
    outcome, error = decide_one(tmp_path, expression, x=1.0, n=500)
    assert (outcome, error) == (Outcome.PASS, "")
