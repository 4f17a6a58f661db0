"""How the evidence was measured: carried beside every finding, and a rule's requirement of it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgate.evidence import provenance
from govgate.evidence.provenance import Measure
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.report.common import measured, measurement_notes
from govgate.terms import Method, Outcome
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
REQUIRES = "      requires: {method: [classifier, judge, human], stages: [canary]}\n"


def tox(extra: str = "") -> str:
    return (
        "    - id: tox\n      category: safety\n"
        "      threshold: {metric: toxicity_rate, max: 0.05}\n" + extra
    )


def tagged(**methods: list[tuple[Method, int | None]]) -> dict[str, str]:
    measures = {
        name: [Measure(method=m, by=f"{m.value} one", items=items) for m, items in parts]
        for name, parts in methods.items()
    }
    return {provenance.TAG: provenance.tag_value(measures, ["toxicity: a note"])}


def _decide(
    tmp_path: Path,
    rules: str,
    stage: str = "canary",
    tags: dict[str, str] | None = None,
    baseline_tags: dict[str, str] | None = None,
) -> Decision:
    cand = run("candidate", columns={"rate.toxicity_rate": rates(2000, 2)}, stage=stage, tags=tags)
    base = None
    if baseline_tags is not None:
        base = run("baseline", columns={"rate.toxicity_rate": rates(2000, 2)}, stage=stage,
                   tags=baseline_tags)  # fmt: skip
    tmp_path.mkdir(exist_ok=True)
    docs = policy_set(tmp_path, policy(rules))
    return decide(docs, snapshot(cand, base), stage=stage, now=NOW)


def test_a_heuristic_where_a_classifier_is_required_is_a_gap_naming_it(tmp_path: Path) -> None:
    decision = _decide(
        tmp_path / "a", tox(REQUIRES), tags=tagged(toxicity_rate=[(Method.HEURISTIC, 2000)])
    )
    (r,) = decision.rules
    assert r.outcome is Outcome.GAP
    assert r.reason == (
        "the evidence is not measured as the rule requires, so it cannot pass: "
        "candidate.toxicity_rate: measured by heuristic (heuristic one; 2000 items); "
        "the rule requires classifier or judge or human"
    )
    good = _decide(
        tmp_path / "b", tox(REQUIRES), tags=tagged(toxicity_rate=[(Method.CLASSIFIER, None)])
    )
    assert good.rules[0].outcome is Outcome.PASS
    # a column that mixes methods passes only if every part is acceptable
    mixed = _decide(
        tmp_path / "c", tox(REQUIRES),
        tags=tagged(toxicity_rate=[(Method.CLASSIFIER, 1900), (Method.HEURISTIC, 100)]),
    )  # fmt: skip
    assert mixed.rules[0].outcome is Outcome.GAP
    assert "classifier (classifier one; 1900 items), heuristic (heuristic one; 100 items)" in (
        mixed.rules[0].reason
    )


def test_no_record_or_a_malformed_one_is_an_unknown_method(tmp_path: Path) -> None:
    none = _decide(tmp_path / "a", tox(REQUIRES))
    assert none.rules[0].outcome is Outcome.GAP
    assert "measured by unknown (not recorded)" in none.rules[0].reason
    assert none.candidate is not None
    assert none.candidate.provenance.startswith("the run has no govgate.provenance tag")
    forged = {
        provenance.TAG: '{"format": "govgate.provenance/v1", "measures": '
        '{"toxicity_rate": [{"method": "oracle", "by": "me"}]}}'
    }
    bad = _decide(tmp_path / "b", tox(REQUIRES), tags=forged)
    assert bad.rules[0].outcome is Outcome.GAP
    assert bad.candidate is not None
    assert bad.candidate.provenance.startswith(
        "the run's govgate.provenance tag is malformed (measures/toxicity_rate/0/method:"
    )
    assert measurement_notes(bad)[0].startswith(
        "candidate: the run's govgate.provenance tag is malformed"
    )


def test_the_requirement_applies_at_its_stages_and_only_withholds_a_pass(tmp_path: Path) -> None:
    heuristic = tagged(toxicity_rate=[(Method.HEURISTIC, None)])
    offline = _decide(tmp_path / "a", tox(REQUIRES), stage="offline", tags=heuristic)
    assert offline.rules[0].outcome is Outcome.PASS
    assert measured(offline.rules[0]) == "toxicity_rate: heuristic (heuristic one)"
    strict = tox(REQUIRES + "      on_missing: fail\n")
    assert _decide(tmp_path / "b", strict, tags=heuristic).rules[0].outcome is Outcome.FAIL
    # a breach shown by a heuristic still fails: the requirement never turns a failure into a gap
    cand = run(
        "candidate",
        columns={"rate.toxicity_rate": rates(2000, 400)},
        stage="canary",
        tags=heuristic,
    )
    (tmp_path / "c").mkdir()
    docs = policy_set(tmp_path / "c", policy(tox(REQUIRES)))
    assert decide(docs, snapshot(cand), stage="canary", now=NOW).rules[0].outcome is Outcome.FAIL


def test_a_comparison_reads_both_runs_and_both_must_be_measured_as_required(tmp_path: Path) -> None:
    rule = (
        "    - id: rel\n      category: safety\n"
        "      relative: {metric: toxicity_rate, direction: lower_is_better, margin: 0.02}\n"
        + REQUIRES
    )
    good = tagged(toxicity_rate=[(Method.JUDGE, None)])
    weak = tagged(toxicity_rate=[(Method.HEURISTIC, None)])
    both = _decide(tmp_path / "a", rule, tags=good, baseline_tags=good)
    assert both.rules[0].outcome is Outcome.PASS
    assert measured(both.rules[0]) == "toxicity_rate: judge (judge one), the same on the baseline"
    one = _decide(tmp_path / "b", rule, tags=good, baseline_tags=weak)
    assert one.rules[0].outcome is Outcome.GAP
    assert "baseline.toxicity_rate: measured by heuristic" in one.rules[0].reason
    assert [m.unit for m in one.rules[0].missing] == ["baseline.toxicity_rate"]


def test_reports_show_the_runs_notes(tmp_path: Path) -> None:
    decision = _decide(tmp_path, tox(), tags=tagged(toxicity_rate=[(Method.HEURISTIC, None)]))
    assert measurement_notes(decision) == ["candidate: toxicity: a note"]


def test_a_requirement_on_what_no_run_records_the_measurement_of_cannot_pass(
    tmp_path: Path,
) -> None:
    """Tags, histories and SLOs carry no provenance record: a rule that reads them and requires
    a method is a gap, never a pass the requirement could not check."""
    rule = (
        "    - id: tagged\n      category: safety\n"
        "      expression: candidate.tags.team == 'x'\n" + REQUIRES
    )
    decision = _decide(tmp_path, rule, tags={"team": "x"})
    (r,) = decision.rules
    assert r.outcome is Outcome.GAP
    assert "candidate.tags.team: no run records how this was measured" in r.reason


def test_a_method_gap_says_why_and_drops_the_rules_breach_message(tmp_path: Path) -> None:
    rule = tox(REQUIRES + "      message: toxicity is over the ceiling\n")
    decision = _decide(tmp_path, rule, tags=tagged(toxicity_rate=[(Method.HEURISTIC, None)]))
    (r,) = decision.rules
    assert r.outcome is Outcome.GAP
    assert r.message is None  # a gap of method is not the breach the message describes


def test_a_record_is_read_strictly_and_a_redacted_one_says_so() -> None:
    from govgate.evidence.redact import REDACTED, secret_reason

    record, why = provenance.read({provenance.TAG: REDACTED})
    assert record is None
    assert why is not None
    assert "held a secret-looking string and was redacted" in why
    no_format = '{"measures": {}, "notes": []}'
    assert provenance.read({provenance.TAG: no_format})[0] is None
    dotted = '{"format": "govgateXprovenance/v1"}'
    assert provenance.read({provenance.TAG: dotted})[0] is None
    # a secret spelled with JSON escapes is found once the JSON is read
    hidden = '{"notes": ["\\u0073k-proj-Ab3xQ9\\u007aLm2Pq8Rt\\u0035Vw7Yz1Cd4Ef6Gh"]}'
    assert secret_reason(provenance.TAG, hidden) is not None
    digest = (
        '{"measures": {"x": [{"method": "judge", "by": "j", "detail": "prompt sha256:'
        + "ab" * 32
        + '"}]}}'
    )
    assert secret_reason(provenance.TAG, digest) is None  # a digest is not a secret
    many = {
        f"m{i:03d}_{'x' * 150}": [Measure(method=Method.HUMAN, by="fixture")] for i in range(60)
    }
    assert len(provenance.tag_value(many, [], limit=False)) > provenance.MAX_CHARS


def test_a_fixture_says_how_it_was_measured_one_way_only() -> None:
    import pytest
    from pydantic import ValidationError

    from govgate.policy.cases import FixtureRun

    FixtureRun.model_validate({"measured_by": {"toxicity_rate": "classifier"}})
    with pytest.raises(
        ValidationError, match=r"measured_by or a govgate\.provenance tag, not both"
    ):
        FixtureRun.model_validate(
            {"measured_by": {"x": "human"}, "tags": {"govgate.provenance": "{}"}}
        )
