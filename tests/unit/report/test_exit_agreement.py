"""Every output agrees with the exit code: for each verdict, with and without --fail-on-warn,
JUnit fails, GitHub posts an ::error and SARIF has an error-level result exactly when the
exit code is not 0, and every human report states the exit code."""

from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.report import RENDERERS
from govgate.report.github import render_github
from govgate.report.junit import render_junit
from govgate.report.sarif import artifact_uri, render_sarif
from govgate.risk.assess import assess
from govgate.risk.model import RiskAssessment
from govgate.terms import Verdict
from tests.support.snapshots import policy, policy_set, run, snapshot

NOW = dt.datetime.now(dt.UTC)  # waivers are checked against the real day they are loaded on


def rule(name: str, metric: str, *, enforce: str = "block", category: str = "cost") -> str:
    """A point threshold ``metric <= 2``: 1 passes, 3 fails, absent is a gap."""
    return (
        f"    - id: {name}\n      category: {category}\n      enforce: {enforce}\n"
        f"      threshold: {{metric: {metric}, max: 2, basis: point}}\n"
    )


def waiver(rule_id: str) -> str:
    expires = (NOW + dt.timedelta(days=30)).date().isoformat()
    return f"""apiVersion: govgate/v1
kind: Waiver
metadata: {{name: w}}
spec:
  policy: p
  rule: {rule_id}
  justification: accepted while the cache lands
  approver: head-of-finops@example.com
  ticket: FIN-1
  expires: "{expires}"
"""


#: case -> (rules, extra documents, metrics, expected verdict); each decides on one tiny policy
CASES: dict[str, tuple[str, tuple[str, ...], dict[str, float], Verdict]] = {
    "pass": (rule("c", "c"), (), {"c": 1}, Verdict.PASS),
    "warn": (rule("c", "c") + rule("w", "w", enforce="warn"), (), {"c": 1, "w": 3}, Verdict.WARN),
    "fail": (rule("c", "c") + rule("w", "w", enforce="warn"), (), {"c": 3, "w": 1}, Verdict.FAIL),
    "rollback": (rule("e", "e", category="rollback"), (), {"e": 3}, Verdict.ROLLBACK),
    "inconclusive-gap": (rule("c", "c"), (), {}, Verdict.INCONCLUSIVE),
    "inconclusive-waivers-only": (rule("c", "c"), (waiver("c"),), {"c": 3}, Verdict.INCONCLUSIVE),
    "inconclusive-audit-only": (
        rule("a", "a", enforce="audit") + rule("b", "b", enforce="audit"),
        (),
        {"a": 3, "b": 1},
        Verdict.INCONCLUSIVE,
    ),
}

#: (case, fail_on_warn) -> the exit code the CLI returns
EXPECTED_EXIT = {
    ("pass", False): 0,
    ("pass", True): 0,
    ("warn", False): 0,
    ("warn", True): 4,
    ("fail", False): 4,
    ("fail", True): 4,
    ("rollback", False): 5,
    ("rollback", True): 5,
    ("inconclusive-gap", False): 6,
    ("inconclusive-gap", True): 6,
    ("inconclusive-waivers-only", False): 6,
    ("inconclusive-waivers-only", True): 6,
    ("inconclusive-audit-only", False): 6,
    ("inconclusive-audit-only", True): 6,
}


def build(
    tmp_path: Path, case: str, *, fail_on_warn: bool = False
) -> tuple[Decision, RiskAssessment]:
    """The named case's decision (on the canary stage) and its risk assessment."""
    rules, extra, metrics, verdict = CASES[case]
    loaded = policy_set(tmp_path, policy(rules), *extra)
    snap = snapshot(run("candidate", metrics=metrics))
    decision = decide(loaded, snap, stage="canary", now=NOW, fail_on_warn=fail_on_warn)
    assert decision.verdict is verdict, decision.verdict_reason  # the case is what it says
    return decision, assess(decision)


def test_the_table_covers_every_verdict_and_both_fail_on_warn_settings() -> None:
    assert {verdict for *_, verdict in CASES.values()} == set(Verdict)
    assert set(EXPECTED_EXIT) == {(c, f) for c in CASES for f in (False, True)}


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("inconclusive-waivers-only", "no rule passed: waivers alone"),
        ("inconclusive-audit-only", "no blocking or warning rule applies"),
    ],
)
def test_the_inconclusive_cases_are_the_waivers_only_and_audit_only_ones(
    tmp_path: Path, case: str, reason: str
) -> None:
    decision, _ = build(tmp_path, case)
    assert decision.verdict_reason.startswith(reason)


@pytest.mark.parametrize("fail_on_warn", [False, True])
@pytest.mark.parametrize("case", list(CASES))
def test_every_output_agrees_with_the_exit_code(
    tmp_path: Path, case: str, fail_on_warn: bool
) -> None:
    decision, risk = build(tmp_path, case, fail_on_warn=fail_on_warn)
    code = EXPECTED_EXIT[(case, fail_on_warn)]
    assert int(decision.exit_code) == code
    blocks = code != 0

    junit = ET.fromstring(render_junit(decision, risk))
    assert (int(junit.get("failures", "0")) + int(junit.get("errors", "0")) > 0) is blocks
    (verdict_case,) = [c for c in junit.iter("testcase") if c.get("name") == "release decision"]
    assert verdict_case.get("classname") == "govgate"
    failure = verdict_case.find("failure")
    assert (failure is not None) is blocks
    if failure is not None:
        assert failure.get("message") == f"{decision.verdict_reason} (exit {code})"

    github = render_github(decision, risk).splitlines()
    assert any(line.startswith("::error ") for line in github) is blocks
    summary = github[-1]
    level = "error" if blocks else "warning" if decision.verdict is Verdict.WARN else "notice"
    assert summary.startswith(f"::{level} title=govgate::Release decision: ")
    assert f"(exit {code}" in summary

    run_ = json.loads(render_sarif(decision, risk))["runs"][0]
    assert run_["properties"]["exit_code"] == code
    assert run_["invocations"][0]["exitCode"] == code
    assert any(r["level"] == "error" for r in run_["results"]) is blocks

    for fmt in ("text", "markdown", "html", "json"):
        assert f"(exit {code}" in RENDERERS[fmt](decision, risk), fmt


@pytest.mark.parametrize("fail_on_warn", [False, True])
def test_a_warn_rule_that_falls_short_blocks_in_every_machine_output_only_under_fail_on_warn(
    tmp_path: Path, fail_on_warn: bool
) -> None:
    decision, risk = build(tmp_path, "warn", fail_on_warn=fail_on_warn)
    junit = ET.fromstring(render_junit(decision, risk))
    (warned,) = [c for c in junit.iter("testcase") if c.get("name") == "p/w"]
    assert (warned.find("failure") is not None) is fail_on_warn
    annotation = next(line for line in render_github(decision, risk).splitlines() if "p/w" in line)
    assert annotation.startswith("::error " if fail_on_warn else "::warning ")
    sarif = json.loads(render_sarif(decision, risk))["runs"][0]
    (result,) = [r for r in sarif["results"] if r["ruleId"] == "p/w"]
    assert result["level"] == ("error" if fail_on_warn else "warning")


@pytest.mark.parametrize("case", ["inconclusive-waivers-only", "inconclusive-audit-only"])
def test_a_blocking_decision_with_no_blocking_rule_has_its_own_sarif_error_at_the_policy_file(
    tmp_path: Path, case: str
) -> None:
    decision, risk = build(tmp_path, case)
    results = json.loads(render_sarif(decision, risk))["runs"][0]["results"]
    assert {r["level"] for r in results[:-1]} == {"note"}  # waived or audit: no error of its own
    decision_result = results[-1]
    assert decision_result["ruleId"] == "govgate/release-decision"
    assert decision_result["level"] == "error"
    assert decision.verdict_reason in decision_result["message"]["text"]
    assert "INCONCLUSIVE (exit 6)" in decision_result["message"]["text"]
    location = decision_result["locations"][0]["physicalLocation"]
    first = min(r.file for r in decision.rules)  # the first policy file, line 1
    assert location["artifactLocation"]["uri"] == artifact_uri(first)
    assert location["region"] == {"startLine": 1}
