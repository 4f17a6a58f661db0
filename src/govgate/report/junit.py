"""JUnit XML: a case for the decision, a suite per policy, a case per rule, agreeing with the
exit code, and valid against the Jenkins (xunit-plugin ``junit-10.xsd``) and Maven Surefire
(``surefire-test-report.xsd``, per suite) schemas: ``tests/fixtures/junit/``."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from govgate.display import display_copy
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import SHORT, verdict_line
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

#: the decision's own suite and case (no policy slug has a space, so neither can collide)
DECISION_SUITE = "govgate release decision"
DECISION_CLASS = "govgate"
DECISION_CASE = "release decision"
#: the gate is one computation, not a test run: no case has a duration of its own
NO_TIME = "0"


def _detail(r: RuleResult) -> str:
    lines = [r.reason]
    if r.message:
        lines.append(f"message: {r.message}")
    lines += [f"{o.path} = {o.value}" for o in r.observed]
    lines.append(f"expression: {r.expression}")
    if r.violation:
        lines.append(f"violation: {r.violation}")
    return "\n".join(lines)


def _blocks(r: RuleResult, decision: Decision) -> bool:
    """A shortfall the exit code acts on: a blocking rule, or a warn rule under
    ``--fail-on-warn``. Audit rules never block."""
    if r.outcome not in SHORT:
        return False
    return r.enforce is Enforce.BLOCK or (r.enforce is Enforce.WARN and decision.fail_on_warn)


def _suite(root: ET.Element, name: str, properties: dict[str, str]) -> ET.Element:
    suite = ET.SubElement(root, "testsuite", name=name)
    props = ET.SubElement(suite, "properties")  # first: Surefire's schema wants it so
    for key, value in properties.items():
        ET.SubElement(props, "property", name=key, value=value)
    return suite


def _count(suite: ET.Element, totals: dict[str, int]) -> None:
    cases = suite.findall("testcase")
    counts = {
        "tests": len(cases),
        "failures": len(suite.findall("testcase/failure")),
        "errors": len(suite.findall("testcase/error")),
        "skipped": len(suite.findall("testcase/skipped")),
    }
    for key, value in counts.items():
        suite.set(key, str(value))
        totals[key] += value
    suite.set("time", NO_TIME)


def render_junit(decision: Decision, risk: RiskAssessment) -> str:
    """The decision as a test case (``govgate`` / ``release decision``) that fails exactly
    when the exit code blocks, then a suite per policy and a case per rule (``policy/rule``).

    A rule shortfall the exit code acts on (a blocking rule; a warn rule under
    ``--fail-on-warn``) is a failure (an error for ERROR); waived and skipped rules are
    skipped, with the reason; other warn and audit shortfalls pass, with the finding in
    system-out. A rule's policy file and line are the first line of its system-out (neither
    schema has ``file``/``line`` on a test case, nor properties inside one). Every case has
    ``time="0"``: the gate is one computation, not a run of timed tests.
    """
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    root = ET.Element("testsuites", name="govgate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    common = {
        "verdict": decision.verdict.value,
        "exit_code": str(int(decision.exit_code)),
        "fail_on_warn": str(decision.fail_on_warn).lower(),
        "stage": decision.stage,
        "evidence_sha256": decision.evidence_digest,
    }

    suite = _suite(root, DECISION_SUITE, {**common, "decided_at": decision.decided_at})
    case = ET.SubElement(
        suite, "testcase", classname=DECISION_CLASS, name=DECISION_CASE, time=NO_TIME
    )
    said = f"Release decision: {verdict_line(decision)}: {decision.verdict_reason}"
    if decision.blocks:
        message = f"{decision.verdict_reason} (exit {int(decision.exit_code)})"
        failure = ET.SubElement(case, "failure", type=decision.verdict.value, message=message)
        failure.text = said
    ET.SubElement(case, "system-out").text = said
    _count(suite, totals)

    policies: dict[str, list[RuleResult]] = {}
    for r in decision.rules:
        policies.setdefault(r.policy, []).append(r)
    for policy_name in sorted(policies):
        suite = _suite(root, policy_name, common)
        for r in policies[policy_name]:
            case = ET.SubElement(
                suite, "testcase", classname=f"govgate.{r.policy}", name=r.key, time=NO_TIME
            )
            out = [f"at {r.file}:{r.line}"]
            if r.outcome in (Outcome.SKIPPED, Outcome.WAIVED):
                ET.SubElement(case, "skipped", message=r.reason)
            elif _blocks(r, decision):
                kind = "error" if r.outcome is Outcome.ERROR else "failure"
                element = ET.SubElement(case, kind, type=r.outcome.value, message=r.reason)
                element.text = _detail(r)
            elif r.outcome in SHORT:
                out.append(f"{r.enforce.upper()}: {_detail(r)}")
            ET.SubElement(case, "system-out").text = "\n".join(out)
        _count(suite, totals)

    # no ``skipped`` here: the Jenkins schema does not allow it on the root (suites carry it)
    for key in ("tests", "failures", "errors"):
        root.set(key, str(totals[key]))
    root.set("time", NO_TIME)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
