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


NAN = float("nan")
EVIDENCE = {"metrics": {"x": 1.0, "zero": 0.0, "nan": NAN}, "params": {"xs": [1.0, NAN]}}


@pytest.mark.parametrize(
    "source",
    [
        "candidate.metrics.nan > 0.5",
        "!(candidate.metrics.nan > 0.5)",
        "!(candidate.metrics.nan < 0.5)",
        "!(candidate.metrics.nan >= 0.5)",
        "!(candidate.metrics.nan <= 0.5)",
        "!(candidate.metrics.nan == 0.5)",
        "candidate.metrics.nan != 0.5",
        "candidate.metrics.nan + 1.0 > 0.0 || true",
        "-candidate.metrics.nan < 0.0",
        "abs(candidate.metrics.nan) >= 0.0",
        "max(candidate.metrics.nan, 1) == 1",
        "min(1.0, candidate.metrics.nan) == 1.0",
        "max(candidate.params.xs) == 1.0",  # a NaN inside an evidence list
        "!(0.5 in candidate.params.xs)",
        "candidate.params.xs != [1.0]",
        'double("NaN") != 0.0',
        "candidate.metrics.zero / candidate.metrics.zero > 0.0",
        "candidate.metrics.x / 0.0 - candidate.metrics.x / 0.0 != 0.0",
        "(candidate.metrics.x / 0.0) * 0.0 != 0.0",
        '{"a": candidate.metrics.nan}.size() == 1',
        "[candidate.metrics.nan].size() == 1",
        "candidate.params.xs.exists(v, !(v < 0.0))",
        "true ? !(candidate.metrics.nan > 0.5) : false",
    ],
)
def test_any_nan_in_an_expression_is_an_error_never_a_boolean(source: str) -> None:
    with pytest.raises(CelError) as info:
        run(source, candidate=EVIDENCE)
    assert (info.value.code, str(info.value)) == (
        "cel.eval",
        "evaluation error: a value is not a number (NaN)",
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1.0 / 0.0 > 1e308", True),
        ("-1.0 / 0.0 < -1e308", True),  # cel-python said +inf
        ("1.0 / -0.0 < -1e308", True),
        ("candidate.metrics.x / 0 > 1e308", True),  # double / int zero: promoted, infinite
        ("candidate.params.xs.size() == 2", True),  # passing a list along never compares it
        ("candidate.params.xs[0] == 1.0", True),
        ("candidate.metrics.x == 1 && 1 == candidate.metrics.x && 2 > candidate.metrics.x", True),
        ("candidate.metrics.x != 1.5 && !(candidate.metrics.x > 1)", True),
    ],
)
def test_finite_and_infinite_doubles_still_compare(source: str, expected: bool) -> None:
    assert bool(run(source, candidate=EVIDENCE)) is expected


def test_integer_division_by_zero_stays_an_error() -> None:
    with pytest.raises(CelError, match="division by zero"):
        run("candidate.metrics.n / 0 > 1", candidate={"metrics": {"n": 1}})


@pytest.mark.parametrize(
    "source",
    [
        '{"a": 1, "b": 1 / 0}.a == 1',
        '{"a": 1, 1 / 0: 2}.a == 1',
        '{"a": {"b": 1 / 0}}.size() == 1',
        '"a" in {"a": 1, "b": 1 / 0}',
        '[{"b": 1 / 0}].size() == 1',
        "[1, 1 / 0][0] == 1",
        "[1, 1 / 0].size() == 2",
        "1 in [1, 1 / 0]",
        '{"a": [1, 1 / 0]}.a[0] == 1',
        '!has({"a": 1, "b": 1 / 0}.a) || true',
        "[1].map(v, {v: v / 0}).size() == 1",
    ],
)
def test_an_error_anywhere_in_a_map_or_list_literal_is_the_result(source: str) -> None:
    with pytest.raises(CelError) as info:
        run(source)
    assert (info.value.code, str(info.value)) == ("cel.eval", "evaluation error: division by zero")


def test_map_literals_still_work_and_a_repeated_key_is_an_error() -> None:
    assert run('{"a": 1, "b": 2}.b == 2 && {"a": 1}["a"] == 1 && has({"a": 1}.a)')
    assert run('!has({"a": 1}.b) && size({}) == 0 && "a" in {"a": 1}')
    with pytest.raises(CelError, match="a map literal repeats a key"):
        run('{"a": 1, "a": 2}.a == 1')
