"""Shorthands compile to CEL whose two sides give pass, fail and inconclusive correctly."""

from __future__ import annotations

from typing import Any

import pytest

from govgate.cel import CelCompiler, evaluate, to_cel
from govgate.policy.model import BurnRate, Fairness, Relative, SloRule, Threshold
from govgate.policy.shorthand import RuleCel, fairness, relative, slo, threshold
from govgate.terms import Basis, Direction, RelativeBasis

COMPILER = CelCompiler()


def outcome(cel: RuleCel, evidence: dict[str, Any]) -> str:
    activation = {k: to_cel(v) for k, v in evidence.items()}
    if evaluate(COMPILER.compile(cel.expression), activation):
        return "pass"
    assert cel.violation is not None
    if evaluate(COMPILER.compile(cel.violation), activation):
        return "fail"
    return "inconclusive"


def stat(lower: float, upper: float) -> dict[str, Any]:
    return {
        "candidate": {
            "stats": {"tox": {"lower": lower, "upper": upper, "value": (lower + upper) / 2}}
        }
    }


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (0.0, 0.003, "pass"),
        (0.002, 0.015, "inconclusive"),
        (0.04, 0.08, "fail"),
        (0.0, 0.01, "pass"),
    ],
)
def test_threshold_max_on_bounds(lower: float, upper: float, expected: str) -> None:
    cel = threshold(Threshold(metric="tox", max=0.01))
    assert cel.expression == "candidate.stats.tox.upper <= 0.01"
    assert outcome(cel, stat(lower, upper)) == expected


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [(0.9, 0.95, "pass"), (0.8, 0.9, "inconclusive"), (0.6, 0.84, "fail")],
)
def test_threshold_min_on_bounds(lower: float, upper: float, expected: str) -> None:
    assert outcome(threshold(Threshold(metric="tox", min=0.85)), stat(lower, upper)) == expected


def test_threshold_point_has_no_inconclusive_zone() -> None:
    cel = threshold(Threshold(metric="psi", max=0.2, basis=Basis.POINT))
    assert outcome(cel, {"candidate": {"metrics": {"psi": 0.2}}}) == "pass"
    assert outcome(cel, {"candidate": {"metrics": {"psi": 0.21}}}) == "fail"


def cmp(lower: float, upper: float) -> dict[str, Any]:
    return {
        "compare": {"q": {"delta_lower": lower, "delta_upper": upper}},
        "baseline": {"stats": {"q": {"value": 0.5}}},
    }


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (-0.01, 0.03, "pass"),  # non-inferior: lower bound above -2 points
        (-0.028, -0.004, "inconclusive"),  # 1.6 points worse, bound crosses the margin
        (-0.06, -0.025, "fail"),  # clearly worse than the margin
    ],
)
def test_relative_noninferiority_higher_is_better(
    lower: float, upper: float, expected: str
) -> None:
    cel = relative(Relative(metric="q", direction=Direction.HIGHER_IS_BETTER, margin=0.02))
    assert outcome(cel, cmp(lower, upper)) == expected


def test_relative_ratio_paired_uses_the_baseline_value() -> None:
    cel = relative(Relative(metric="q", direction=Direction.LOWER_IS_BETTER, margin_ratio=0.1))
    assert "baseline.stats.q.value" in cel.expression
    assert outcome(cel, cmp(-0.01, 0.04)) == "pass"  # allowed 0.05
    assert outcome(cel, cmp(0.06, 0.09)) == "fail"


def test_relative_point_ratio_cost_cap() -> None:
    cel = relative(
        Relative(
            metric="cost",
            direction=Direction.LOWER_IS_BETTER,
            margin_ratio=0.1,
            basis=RelativeBasis.POINT,
        )
    )
    ev = {"candidate": {"metrics": {"cost": 1.10}}, "baseline": {"metrics": {"cost": 1.0}}}
    assert outcome(cel, ev) == "pass"
    ev["candidate"]["metrics"]["cost"] = 1.11
    assert outcome(cel, ev) == "fail"


def test_fairness_gap_and_ratio() -> None:
    gap = fairness(Fairness(group="age band", metric="acc", max_gap=0.05))
    assert gap.expression == 'fairness.by_group("age band").stats.acc.max_gap_upper <= 0.05'
    ev = {
        "fairness": {"age band": {"stats": {"acc": {"max_gap_lower": 0.01, "max_gap_upper": 0.07}}}}
    }
    assert outcome(gap, ev) == "inconclusive"
    ratio = fairness(Fairness(group="g", metric="approval rate", min_ratio=0.8))
    assert (
        ratio.expression == 'fairness.by_group("g").stats["approval rate"].min_ratio_lower >= 0.8'
    )
    ev = {
        "fairness": {
            "g": {"stats": {"approval rate": {"min_ratio_lower": 0.6, "min_ratio_upper": 0.75}}}
        }
    }
    assert outcome(ratio, ev) == "fail"


def test_metric_names_that_are_not_identifiers_are_quoted() -> None:
    cel = threshold(Threshold(metric="answer-relevancy", min=0.7))
    assert cel.expression == 'candidate.stats["answer-relevancy"].lower >= 0.7'
    assert COMPILER.compile(cel.expression).references[0].path == (
        "stats",
        "answer-relevancy",
        "lower",
    )


@pytest.mark.parametrize("value", [0.1, 1e-05, 2500, 0.3333333333333333, 1e20])
def test_thresholds_round_trip_exactly(value: float) -> None:
    cel = threshold(Threshold(metric="m", max=value, basis=Basis.POINT))
    literal = cel.expression.split("<= ")[1]
    assert float(literal) == value
    assert outcome(cel, {"candidate": {"metrics": {"m": value}}}) == "pass"


def burns(long: float, short: float) -> dict[str, Any]:
    return {"candidate": {"slo": {"availability": {"burn_rate_1h": long, "burn_rate_5m": short}}}}


@pytest.mark.parametrize(
    ("long", "short", "expected"),
    [
        (20.0, 30.0, "fail"),  # both windows burn faster than 14.4x: the workbook's page
        (20.0, 2.0, "pass"),  # the burst is over: the short window resets the alert
        (2.0, 30.0, "pass"),  # a short spike the long window does not confirm
        (14.4, 14.4, "pass"),  # at the threshold is not over it
    ],
)
def test_slo_burn_rate_fails_only_when_both_windows_burn(
    long: float, short: float, expected: str
) -> None:
    cel = slo(SloRule(name="availability", burn_rate=BurnRate(long="1h", short="5m", max=14.4)))
    unit = "candidate.slo.availability"
    assert cel.expression == f"{unit}.burn_rate_1h <= 14.4 || {unit}.burn_rate_5m <= 14.4"
    assert cel.violation == f"{unit}.burn_rate_1h > 14.4 && {unit}.burn_rate_5m > 14.4"
    assert outcome(cel, burns(long, short)) == expected
