"""An org baseline that team policies may tighten, never loosen, remove or waive."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govgate.gate.engine import decide
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.terms import Outcome
from tests.support.snapshots import rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)

ORG = """apiVersion: govgate/v1
kind: Policy
metadata: {name: org-safety, version: "1", owners: [risk@example.com], layer: org}
spec:
  stages: [offline, canary]
  rules:
    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.05}
    - id: fair
      category: fairness
      fairness: {group: lang, metric: toxicity_rate, max_gap: 0.2}
    - id: custom
      category: safety
      expression: candidate.stats.toxicity_rate.upper <= 0.2
"""


def team(rule: str, extends: str = "org-safety") -> str:
    return f"""apiVersion: govgate/v1
kind: Policy
metadata: {{name: team-safety, version: "1", owners: [team@example.com], extends: {extends}}}
spec:
  stages: [offline, canary]
  rules:
{rule}"""


def load(tmp_path: Path, *docs: str) -> tuple[PolicySet, list[str]]:
    for i, text in enumerate(docs):
        (tmp_path / f"{i}-doc.yaml").write_text(text)
    policy_set, problems = load_policy_set([str(tmp_path)], now=NOW)
    return policy_set, [f"{p.code}: {p.message}" for p in problems]


TIGHTER = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
"""


def test_a_team_may_tighten_an_org_rule_and_it_replaces_it(tmp_path: Path) -> None:
    policy_set, problems = load(tmp_path, ORG, team(TIGHTER))
    assert problems == []
    cand = run("candidate", columns={"rate.toxicity_rate": rates(1000, 30)}, stage="offline")
    decision = decide(policy_set, snapshot(cand), stage="offline", now=NOW)
    outcomes = {r.key: r.outcome for r in decision.rules}
    assert outcomes["org-safety/tox"] is Outcome.SKIPPED
    assert outcomes["team-safety/tox"] is Outcome.FAIL  # 3% passes the org's 5%, not the 1%
    org = next(r for r in decision.rules if r.key == "org-safety/tox")
    assert org.reason == "replaced by the stricter team-safety/tox (metadata.extends)"


@pytest.mark.parametrize(
    ("rule", "why"),
    [
        (
            "    - id: tox\n      category: safety\n"
            "      threshold: {metric: toxicity_rate, max: 0.1}\n",
            "max 0.1 is above the org rule's 0.05",
        ),
        (
            "    - id: tox\n      category: safety\n      enforce: warn\n"
            "      threshold: {metric: toxicity_rate, max: 0.01}\n",
            "enforce warn is weaker than the org rule's block",
        ),
        (
            "    - id: tox\n      category: safety\n      stages: [offline]\n"
            "      threshold: {metric: toxicity_rate, max: 0.01}\n",
            "it does not judge stage canary, which the org rule does",
        ),
        (
            "    - id: tox\n      category: safety\n      confidence: 0.9\n"
            "      threshold: {metric: toxicity_rate, max: 0.01}\n",
            "confidence 0.9 differs from the org rule's 0.95",
        ),
        (  # wider bounds on both sides: a breach the org rule shows would be inconclusive
            "    - id: tox\n      category: safety\n      confidence: 0.999\n"
            "      threshold: {metric: toxicity_rate, max: 0.01}\n",
            "confidence 0.999 differs from the org rule's 0.95 (a higher one would also hide "
            "breaches the org rule shows)",
        ),
        (
            "    - id: tox\n      category: safety\n"
            "      threshold: {metric: toxicity_rate, min: 0.01}\n",
            "it bounds the metric from the other side (min for max, or max for min)",
        ),
        (
            "    - id: tox\n      category: safety\n"
            "      threshold: {metric: toxicity_rate, max: 0.01, basis: point}\n",
            "it reads another metric or basis than the org rule",
        ),
        (
            "    - id: fair\n      category: fairness\n"
            "      fairness: {group: lang, metric: toxicity_rate, max_gap: 0.3}\n",
            "max_gap 0.3 is larger than the org rule's 0.2",
        ),
        (
            "    - id: custom\n      category: safety\n"
            "      expression: candidate.stats.toxicity_rate.upper <= 0.1\n",
            "an expression rule cannot be shown stricter",
        ),
    ],
)
def test_loosening_an_org_rule_is_refused_naming_both_files(
    tmp_path: Path, rule: str, why: str
) -> None:
    _, problems = load(tmp_path, ORG, team(rule))
    assert len(problems) == 1, problems
    (problem,) = problems
    assert problem.startswith("layer.loosened: rule ")
    assert "0-doc.yaml:" in problem  # the org rule's file and line
    assert why in problem


def test_extends_must_name_a_loaded_org_policy(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    _, problems = load(tmp_path / "a", team(TIGHTER))
    assert problems == ["layer.extends: extends names no loaded policy 'org-safety'"]
    (tmp_path / "b").mkdir()
    not_org = ORG.replace(", layer: org", "")
    _, problems = load(tmp_path / "b", not_org, team(TIGHTER))
    assert len(problems) == 1
    assert problems[0].startswith("layer.extends: extends 'org-safety' (")
    assert "which is not an org policy" in problems[0]


WAIVER = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: tox-waiver}
spec:
  policy: org-safety
  rule: tox
  justification: the holiday flow needs longer answers, accepted until caching lands
  approver: someone@example.com
  ticket: RISK-1
  expires: 2026-12-01
"""


def test_only_an_org_waiver_may_waive_an_org_rule(tmp_path: Path) -> None:
    (tmp_path / "team").mkdir()
    _, problems = load(tmp_path / "team", ORG, WAIVER)
    assert len(problems) == 1
    assert problems[0].startswith(
        "layer.waiver: waiver 'tox-waiver' excuses org-safety/tox, a rule of the org policy at "
    )
    (tmp_path / "org").mkdir()
    org_waiver = WAIVER.replace("  rule: tox\n", "  rule: tox\n  layer: org\n")
    _, problems = load(tmp_path / "org", ORG, org_waiver)
    assert problems == []


def test_an_org_rule_is_judged_itself_where_its_replacement_is_not(tmp_path: Path) -> None:
    """A replacing team rule in a policy that does not select the candidate, or does not judge
    the stage, removes nothing: the org rule is judged (3% passes 5%, and is seen)."""
    narrow = team(TIGHTER).replace(
        "  stages: [offline, canary]\n",
        "  stages: [offline, canary]\n  selector: {models: [other-*]}\n",
    )
    policy_set, problems = load(tmp_path, ORG, narrow)
    assert problems == []
    cand = run(
        "candidate", columns={"rate.toxicity_rate": rates(1000, 30)}, stage="offline",
        model="rag-assistant",
    )  # fmt: skip
    decision = decide(policy_set, snapshot(cand), stage="offline", now=NOW)
    outcomes = {r.key: r.outcome for r in decision.rules}
    assert outcomes["org-safety/tox"] is Outcome.PASS
    assert outcomes["team-safety/tox"] is Outcome.SKIPPED


def test_a_team_waiver_of_a_replacing_rule_is_a_waiver_of_the_org_rule(tmp_path: Path) -> None:
    waiver = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: skip}
spec:
  policy: team-safety
  rule: tox
  justification: the team would rather not
  approver: lead@example.com
  ticket: T-1
  expires: 2026-12-01
"""
    _, problems = load(tmp_path, ORG, team(TIGHTER), waiver)
    assert len(problems) == 1
    assert problems[0].startswith("layer.waiver: waiver 'skip' excuses team-safety/tox, a team ")
    assert "replaces org rule org-safety/tox" in problems[0]


@pytest.mark.parametrize(
    ("statistics", "field"),
    [
        ("  statistics: {rates: approximate-wilson}\n", "rates"),
        ("  statistics: {sequential: never}\n", "sequential"),
        ("  statistics: {min_group_size: 5}\n", "min_group_size"),
        ("  statistics: {ranges: {toxicity_rate: [0, 0.1]}}\n", "ranges"),
    ],
)
def test_a_replacing_rule_must_be_judged_under_the_org_statistics(
    tmp_path: Path, statistics: str, field: str
) -> None:
    own = team(TIGHTER).replace("  rules:\n", statistics + "  rules:\n")
    _, problems = load(tmp_path, ORG, own)
    assert len(problems) == 1
    assert problems[0].startswith("layer.loosened: rule 'tox' would replace org rule")
    assert f"its policy's spec.statistics ({field}) differs from the org policy's" in problems[0]


def test_a_replaced_slo_rule_must_read_the_slo_as_the_org_defines_it(tmp_path: Path) -> None:
    slo = "  slos:\n    - {{name: avail, objective: {objective}, window: 30d, bad: error_rate}}\n"
    rule = (
        "    - id: burn\n      category: reliability\n"
        "      slo: {name: avail, burn_rate: {long: 1h, short: 5m, max: 14.4}}\n"
    )
    org = ORG.replace("  rules:\n", slo.format(objective=0.999) + "  rules:\n") + rule
    loose = team(rule).replace("  rules:\n", slo.format(objective=0.9) + "  rules:\n")
    _, problems = load(tmp_path, org, loose)
    assert len(problems) == 1, problems
    assert "its policy defines SLO 'avail' otherwise than the org policy does" in problems[0]
    same = team(rule).replace("  rules:\n", slo.format(objective=0.999) + "  rules:\n")
    _, problems = load(tmp_path, org, same)
    assert problems == []


@pytest.mark.parametrize(
    ("team_requires", "why"),
    [
        ("", "it drops the org rule's requires (method: classifier, human)"),
        (
            "      requires: {method: [classifier, heuristic]}\n",
            "it accepts evidence measured by heuristic, which the org rule does not",
        ),
        (
            "      requires: {method: [classifier], stages: [canary]}\n",
            "its requires applies at fewer stages than the org rule's",
        ),
    ],
)
def test_a_replacing_rule_may_not_accept_weaker_measurement(
    tmp_path: Path, team_requires: str, why: str
) -> None:
    required = "      requires: {method: [classifier, human]}\n"
    org = ORG.replace(
        "      threshold: {metric: toxicity_rate, max: 0.05}\n",
        "      threshold: {metric: toxicity_rate, max: 0.05}\n" + required,
    )
    _, problems = load(tmp_path, org, team(TIGHTER + team_requires))
    assert len(problems) == 1, problems
    assert problems[0].endswith(why)
    _, fine = load(tmp_path, org, team(TIGHTER + "      requires: {method: [human]}\n"))
    assert fine == []
