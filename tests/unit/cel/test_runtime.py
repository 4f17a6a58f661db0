"""CEL evaluation: numbers behave, budgets hold, errors never leak evidence."""

from __future__ import annotations

import time
from typing import Any

import pytest

from govgate.cel import CelCompiler, evaluate, to_cel
from govgate.errors import CelError

COMPILER = CelCompiler()


def run(source: str, max_steps: int = 10_000, **activation: Any) -> Any:
    compiled = COMPILER.compile(source)
    return evaluate(compiled, {k: to_cel(v) for k, v in activation.items()}, max_steps)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("candidate.metrics.n >= 500", True),  # int metric vs int literal
        ("candidate.metrics.n >= 500.0", True),  # int vs double
        ("candidate.metrics.x <= 1", True),  # double vs int
        ("candidate.metrics.x == 1", True),
        ("candidate.metrics.x != 1", False),
        ("2 * candidate.metrics.x == 2.0", True),
        ("candidate.metrics.x + 1 == 2", True),
        ("candidate.metrics.n / 2 == 250", True),  # int / int stays int
        ("candidate.metrics.x / 4 == 0.25", True),
        ("abs(-2) == 2 && abs(-0.5) == 0.5", True),
        ("min(3, 1.5, 2) == 1.5 && max([1, 4, 2]) == 4", True),
        ("1 < 2.0", True),
    ],
)
def test_mixed_numbers_work_as_a_user_expects(source: str, expected: bool) -> None:
    assert bool(run(source, candidate={"metrics": {"n": 500, "x": 1.0}})) is expected


def test_by_group_selects_one_column() -> None:
    fairness = {"lang": {"stats": {"acc": {"max_gap_upper": 0.03}}}}
    assert run('fairness.by_group("lang").stats.acc.max_gap_upper <= 0.05', fairness=fairness)


def test_budget_stops_runaway_comprehensions_quickly() -> None:
    xs = list(range(300))
    start = time.perf_counter()
    with pytest.raises(CelError) as info:
        run(
            "candidate.params.xs.all(a, candidate.params.xs.all(b, a + b >= 0))",
            max_steps=2_000,
            candidate={"params": {"xs": xs}},
        )
    assert info.value.code == "cel.budget"
    assert time.perf_counter() - start < 10  # 90,000 pairs would take minutes without it


def test_budget_is_deterministic() -> None:
    source = "candidate.params.xs.exists(a, a > 1000)"
    act = {"candidate": {"params": {"xs": list(range(50))}}}
    outcomes = set()
    for _ in range(3):
        try:
            run(source, max_steps=300, **act)
            outcomes.add("ok")
        except CelError as exc:
            outcomes.add(exc.code)
    assert len(outcomes) == 1


def test_a_small_budget_still_allows_simple_rules() -> None:
    assert run(
        "candidate.stats.t.upper <= 0.01", max_steps=100, candidate={"stats": {"t": {"upper": 0.0}}}
    )


@pytest.mark.parametrize(
    ("source", "activation"),
    [
        ("candidate.metrics.x / 0 > 1", {"candidate": {"metrics": {"x": 1}}}),
        ("candidate.metrics.missing > 1", {"candidate": {"metrics": {"secret_value_9f2": 1.0}}}),
        ("candidate.params.k > 1", {"candidate": {"params": {"k": "sk-live-abcdef123456"}}}),
    ],
)
def test_errors_are_cel_errors_without_evidence_values(
    source: str, activation: dict[str, Any]
) -> None:
    with pytest.raises(CelError) as info:
        run(source, **activation)
    assert info.value.code == "cel.eval"
    text = str(info.value)
    assert "secret_value_9f2" not in text
    assert "sk-live" not in text
    assert len(text) < 120


def test_an_error_inside_or_is_not_swallowed_into_a_pass() -> None:
    # CEL's || absorbs an error when the other side is true. The gate never relies on that:
    # the missing reference is a GAP before evaluation (see the compiler's references).
    compiled = COMPILER.compile("candidate.metrics.missing <= 0.01 || true")
    assert [r.dotted() for r in compiled.evidence] == ["candidate.metrics.missing"]
