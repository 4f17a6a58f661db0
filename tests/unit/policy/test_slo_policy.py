"""SLO definitions and the slo shorthand as documents: what loads, and what is refused where."""

from __future__ import annotations

from pathlib import Path

import pytest

from govgate.policy.loader import load_policy_set
from govgate.terms import SubjectKind
from tests.support.snapshots import policy

SLOS = """  slos:
    - name: availability
      objective: 0.995
      window: 30d
      bad: error
"""
FAST = """    - id: fast-burn
      category: rollback
      slo: {name: availability, burn_rate: {long: 1h, short: 5m, max: 14.4}}
"""


def problems(tmp_path: Path, text: str) -> list[tuple[str, int, str]]:
    path = tmp_path / "p.yaml"
    path.write_text(text)
    _, found = load_policy_set([str(path)])
    for p in found:  # every problem names its file and line
        assert str(p).startswith(f"{path}:{p.span.line}:{p.span.column}: ")
    return [(p.code, p.span.line, p.message) for p in found]


def test_an_slo_rule_compiles_to_cel_over_the_long_windows_point_value(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(policy(FAST, slos=SLOS))
    loaded, found = load_policy_set([str(tmp_path)])
    assert found == []
    (rule,) = loaded.policies[0].rules
    assert rule.rule.form == "slo"
    unit = "candidate.slo.availability"
    assert rule.cel.expression == f"{unit}.burn_rate_1h <= 14.4 || {unit}.burn_rate_5m <= 14.4"
    assert [r.dotted() for r in rule.evidence] == [f"{unit}.burn_rate_1h", f"{unit}.burn_rate_5m"]
    assert rule.subject.kind is SubjectKind.POINT
    assert (rule.subject.path, rule.subject.threshold, rule.subject.at_most) == (
        f"{unit}.burn_rate_1h",
        14.4,
        True,
    )


def test_an_undefined_slo_names_the_line_and_the_slos_there_are(tmp_path: Path) -> None:
    rules = FAST.replace("name: availability", "name: availabilty")
    ((code, line, message),) = problems(tmp_path, policy(rules, slos=SLOS))
    assert (code, line) == ("policy.slo", 15)
    assert message == "the rule names SLO 'availabilty', which this policy does not define"
    cel = (
        "    - id: x\n      category: rollback\n"
        "      expression: candidate.slo.latency.events > 0\n"
    )
    ((code, line, message),) = problems(tmp_path, policy(cel, slos=SLOS))
    assert (code, line) == ("cel.unknown-slo", 15)
    assert "candidate.slo.latency is not an SLO of this policy" in message
    (tmp_path / "p.yaml").write_text(policy(rules, slos=SLOS))
    (found,) = load_policy_set([str(tmp_path / "p.yaml")])[1]
    assert found.hint == (
        "did you mean 'availability'? define it under spec.slos (this policy defines: availability)"
    )
    ((code, _, _),) = problems(tmp_path, policy(cel))  # a policy without slos defines none
    assert code == "cel.unknown-slo"


@pytest.mark.parametrize(
    ("slo", "code"),
    [
        ("    - {name: a, objective: 0.99, window: 30d}\n", "schema.one-of"),
        ("    - {name: a, objective: 0.99, window: 30d, good: ok, bad: error}\n", "schema.one-of"),
        ("    - {name: a, objective: 1.0, window: 30d, bad: error}\n", "schema.exclusiveMaximum"),
        ("    - {name: a, objective: 0.99, window: 30 days, bad: error}\n", "schema.pattern"),
        ("    - {name: a-b, objective: 0.99, window: 30d, bad: error}\n", "schema.pattern"),
        (
            "    - {name: a, objective: 0.99, window: 30d, bad: e, min_events: 0}\n",
            "schema.minimum",
        ),
        (
            "    - {name: a, objective: 0.99, window: 30d, history: {requests: r}}\n",
            "schema.required",
        ),
    ],
)
def test_an_slo_needs_one_source_an_objective_below_1_and_a_window(
    tmp_path: Path, slo: str, code: str
) -> None:
    rule = "    - id: x\n      category: rollback\n      expression: candidate.metrics.x > 0\n"
    assert [c for c, _, _ in problems(tmp_path, policy(rule, slos="  slos:\n" + slo))] == [code]


def test_two_slos_of_one_name_are_a_duplicate(tmp_path: Path) -> None:
    twice = SLOS + "    - {name: availability, objective: 0.99, window: 7d, bad: error}\n"
    ((code, line, message),) = problems(tmp_path, policy(FAST, slos=twice))
    assert (code, line) == ("policy.duplicate", 12)
    assert "duplicate SLO name 'availability'" in message


def test_the_short_window_must_be_shorter(tmp_path: Path) -> None:
    rules = FAST.replace("long: 1h, short: 5m", "long: 1h, short: 60m")
    ((code, line, message),) = problems(tmp_path, policy(rules, slos=SLOS))
    assert (code, line) == ("schema.invalid", 15)
    assert message.endswith("the short window (60m) must be shorter than the long one (1h)")
