"""Risk levels the evidence supports, due dates, control coverage, units, the baseline side."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.report.common import coverage, groups, headline, not_covered, row, sides
from govgate.risk.actions import due
from govgate.risk.assess import assess
from govgate.risk.model import Level, RiskAssessment
from govgate.terms import Outcome
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
TOX = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
      risk: {impact: critical, time_to_detect: 2d}
"""


def test_three_clean_items_are_of_unknown_risk_not_critical(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(3, 0)}))
    decision = decide(policy_set(tmp_path, policy(TOX)), snap, stage="offline", now=NOW)
    (rule,) = decision.rules
    assert rule.outcome is Outcome.INCONCLUSIVE
    risk = assess(decision)
    (finding,) = risk.findings
    assert finding.likelihood.probability is None
    assert "no events observed in n=3" in finding.likelihood.basis
    assert finding.level is Level.UNKNOWN  # the impact (critical) is not dressed as a risk
    assert risk.level is Level.UNKNOWN
    assert "Risk: Unknown" in headline(decision, risk)


def test_a_breach_without_a_likelihood_is_still_rated_at_its_impact(tmp_path: Path) -> None:
    rules = """    - id: custom
      category: safety
      expression: candidate.metrics.flags == 0.0
      risk: {impact: high}
"""
    snap = snapshot(run("candidate", metrics={"flags": 2.0}))
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="offline", now=NOW)
    (finding,) = assess(decision).findings
    assert finding.outcome is Outcome.FAIL
    assert finding.likelihood.probability is None
    assert finding.level is Level.HIGH


def test_due_dates_follow_priority_and_time_to_detect() -> None:
    assert due(NOW, "P1") == ("2026-11-22", "P1: 1 day")
    assert due(NOW, "P2") == ("2026-11-28", "P2: 7 days")
    assert due(NOW, "P3") == ("2026-12-21", "P3: 30 days")
    # a breach production notices in 2 days: its P2 fix is due within them
    assert due(NOW, "P2", "2d") == (
        "2026-11-23",
        "P2: 7 days, within the rule's time to detect (2d): 2 days",
    )
    assert due(NOW, "P2", "30m")[0] == "2026-11-22"  # never under a day
    assert due(NOW, "P1", "2w") == ("2026-11-22", "P1: 1 day")  # a longer one changes nothing
    # a decision at the calendar's end (a far-future --now) is due on its last day, no crash
    end = dt.datetime(9999, 12, 20, tzinfo=dt.UTC)
    assert due(end, "P3") == ("9999-12-31", "P3: 30 days")


def test_a_failing_finding_is_due_by_its_priority_and_time_to_detect(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.toxicity_rate": rates(2000, 200)}))
    decision = decide(policy_set(tmp_path, policy(TOX)), snap, stage="offline", now=NOW)
    (action,) = assess(decision).next_actions
    assert (action.priority, action.due, action.due_basis) == ("P1", "2026-11-22", "P1: 1 day")


CONTROLLED = """apiVersion: govgate/v1
kind: Policy
metadata: {name: p, version: "1", owners: [t@example.com], controls: [NIST-AI-RMF-MEASURE-2.6]}
spec:
  stages: [offline, shadow]
  units: {toxicity_rate: share, cost: USD}
  required_controls: [NIST-AI-RMF-MEASURE-2.6, EU-AI-ACT-ART-72, NIST-AI-RMF-MEASURE-2.11]
  rules:
    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
    - id: fair
      category: fairness
      controls: [NIST-AI-RMF-MEASURE-2.11, X-UNKNOWN-1]
      fairness: {group: lang, metric: toxicity_rate, max_gap: 0.5}
    - id: cost
      category: cost
      stages: [shadow]
      threshold: {metric: cost, max: 1.0, basis: point}
"""


def _controlled(tmp_path: Path) -> tuple[Decision, RiskAssessment]:
    n = 1000
    lang = np.where(np.arange(n) % 2 == 0, "en", "de")
    cand = run("candidate", columns={"rate.toxicity_rate": rates(n, 100), "group.lang": lang})
    base = run("baseline", columns={"rate.toxicity_rate": rates(n, 2), "group.lang": lang})
    decision = decide(
        policy_set(tmp_path, CONTROLLED), snapshot(cand, base), stage="offline", now=NOW
    )
    return decision, assess(decision)


def test_control_coverage_reads_each_rules_outcome(tmp_path: Path) -> None:
    decision, risk = _controlled(tmp_path)
    lines = {c.control: c for c in coverage(decision)}
    assert lines["NIST-AI-RMF-MEASURE-2.6"].status == "failing"  # tox failed
    assert lines["NIST-AI-RMF-MEASURE-2.6"].rules[0] == ("p/tox", "failing")
    assert ("p/cost", "not evaluated at this stage") in lines["NIST-AI-RMF-MEASURE-2.6"].rules
    assert lines["NIST-AI-RMF-MEASURE-2.11"].status == "passing"
    assert lines["NIST-AI-RMF-MEASURE-2.11"].required
    assert lines["EU-AI-ACT-ART-72"].status == "no rule covers it"
    assert lines["EU-AI-ACT-ART-72"].title.startswith("Article 72: ")
    assert lines["X-UNKNOWN-1"].title == "not in govgate's control catalog (check the id)"
    (gap,) = [g for g in risk.gaps if g.missing.startswith("control ")]
    assert gap.missing == "control EU-AI-ACT-ART-72 (required by the policy set; no rule claims it)"
    assert gap.priority == "P2"
    said = not_covered(decision, risk)
    assert "1 rule not evaluated at stage offline: p/cost" in said
    assert "required controls no rule gives evidence for: EU-AI-ACT-ART-72" in said


def test_findings_carry_the_baseline_side_and_units(tmp_path: Path) -> None:
    decision, _ = _controlled(tmp_path)
    tox = next(r for r in decision.rules if r.rule == "tox")
    assert tox.unit == "share"
    assert {o.path for o in tox.context} >= {
        "baseline.stats.toxicity_rate.value",
        "baseline.stats.toxicity_rate.upper",
    }
    pair = sides(tox)
    assert pair is not None
    assert pair[0].startswith("0.1 share [")
    assert pair[1].startswith("0.002 share [")
    assert pair[1].endswith("(n=1,000)")
    shown = row(tox, None)
    assert shown.threshold == "max 0.01 share"
    assert shown.versus.startswith("candidate 0.1 share [")
    fair = next(r for r in decision.rules if r.rule == "fair")
    table = groups(fair)
    assert table is not None
    assert [g.name for g in table.rows] == ["de", "en"]
    assert table.worst in ("de", "en")
    assert all(g.baseline.endswith("(n=500)") for g in table.rows)
    # context never decides: the same decision without a baseline has the same outcomes
    (tmp_path / "alone").mkdir()
    alone = decide(
        policy_set(tmp_path / "alone", CONTROLLED),
        snapshot(
            run(
                "candidate",
                columns={
                    "rate.toxicity_rate": rates(1000, 100),
                    "group.lang": np.where(np.arange(1000) % 2 == 0, "en", "de"),
                },
            )
        ),
        stage="offline",
        now=NOW,
    )
    assert [r.outcome for r in alone.rules] == [r.outcome for r in decision.rules]
    assert all(r.context == [] for r in alone.rules)
