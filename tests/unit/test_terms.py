"""Every member of every closed set is handled where the set is consumed."""

from __future__ import annotations

import json
from enum import StrEnum

import numpy as np
import pytest

from govgate import terms
from govgate.exitcodes import ExitCode, for_verdict
from govgate.policy.schema import shipped_text
from govgate.report.common import RECOMMENDATIONS, VERDICT_WORDS
from govgate.risk.matrix import DEFAULT_IMPACT
from govgate.stats.bounds import ValueRange, mean, rate


@pytest.mark.parametrize("verdict", list(terms.Verdict))
def test_every_verdict_has_one_exit_code_and_words(verdict: terms.Verdict) -> None:
    assert isinstance(for_verdict(verdict, fail_on_warn=False), ExitCode)
    blocked = for_verdict(verdict, fail_on_warn=True)
    assert (blocked is ExitCode.OK) == (verdict is terms.Verdict.PASS)
    assert verdict in VERDICT_WORDS
    assert verdict in RECOMMENDATIONS


def test_every_category_has_a_default_impact() -> None:
    assert set(DEFAULT_IMPACT) == set(terms.Category)


@pytest.mark.parametrize("method", list(terms.RateMethod))
def test_every_rate_method_bounds_and_is_labelled(method: terms.RateMethod) -> None:
    e = rate(3, 200, 0.95, method)
    assert e.lower is not None
    assert e.upper is not None
    assert e.lower < 0.015 < e.upper
    assert e.method == method.value
    assert e.approximate == (method is not terms.RateMethod.CLOPPER_PEARSON)


@pytest.mark.parametrize("method", list(terms.MeanMethod))
def test_every_mean_method_bounds_and_is_labelled(method: terms.MeanMethod) -> None:
    x = np.random.default_rng(0).random(200)
    e = mean(x, 0.95, method, value_range=ValueRange(0.0, 1.0, "test"))
    assert e.lower is not None
    assert e.upper is not None
    assert e.lower < float(x.mean()) < e.upper
    assert e.method.startswith(method.value)
    assert e.approximate == (method is not terms.MeanMethod.BETTING)


@pytest.mark.parametrize(
    "enum",
    [
        terms.Stage,
        terms.Category,
        terms.Enforce,
        terms.Impact,
        terms.OnMissing,
        terms.Basis,
        terms.RelativeBasis,
        terms.Direction,
        terms.RateMethod,
        terms.MeanMethod,
    ],
)
def test_the_policy_schema_offers_exactly_each_closed_set(enum: type[StrEnum]) -> None:
    schema = json.loads(shipped_text())
    values = sorted(member.value for member in enum)
    enums = [sorted(d["enum"]) for d in schema.get("$defs", {}).values() if "enum" in d]
    assert values in enums
