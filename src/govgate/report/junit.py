"""JUnit XML: a suite per policy, a case per rule, agreeing with the exit code."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from govgate.display import display_copy
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import (
    SHORT,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome


def _detail(r: RuleResult) -> str:
    lines = [r.reason]
    if r.message:
        lines.append(f"message: {r.message}")
    lines += [f"{o.path} = {o.value}" for o in r.observed]
    lines.append(f"expression: {r.expression}")
    if r.violation:
        lines.append(f"violation: {r.violation}")
    return "\n".join(lines)


def render_junit(decision: Decision, risk: RiskAssessment) -> str:
    """A test suite per policy, a test case per rule (``policy/rule``, unique).

    Blocking rules that fall short are failures (errors for ERROR); waived and skipped rules
    are skipped, with the reason; warn and audit rules that fall short pass, with the finding in
    system-out, matching the exit code (they do not block).
    """
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    root = ET.Element("testsuites", name="govgate")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    policies: dict[str, list[RuleResult]] = {}
    for r in decision.rules:
        policies.setdefault(r.policy, []).append(r)
    for policy_name in sorted(policies):
        rules = policies[policy_name]
        suite = ET.SubElement(root, "testsuite", name=policy_name)
        counts = {"tests": len(rules), "failures": 0, "errors": 0, "skipped": 0}
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="verdict", value=decision.verdict.value)
        ET.SubElement(props, "property", name="stage", value=decision.stage)
        ET.SubElement(props, "property", name="evidence_sha256", value=decision.evidence_digest)
        for r in rules:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"govgate.{r.policy}",
                name=r.key,
                file=r.file,
                line=str(r.line),
            )
            if r.outcome in (Outcome.SKIPPED, Outcome.WAIVED):
                ET.SubElement(case, "skipped", message=r.reason)
                counts["skipped"] += 1
            elif r.outcome in SHORT and r.enforce is Enforce.BLOCK:
                kind = "error" if r.outcome is Outcome.ERROR else "failure"
                element = ET.SubElement(case, kind, type=r.outcome.value, message=r.reason)
                element.text = _detail(r)
                counts["errors" if kind == "error" else "failures"] += 1
            elif r.outcome in SHORT:
                ET.SubElement(case, "system-out").text = f"{r.enforce.upper()}: {_detail(r)}"
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
