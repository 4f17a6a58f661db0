"""Machine formats: JSON, JUnit XML, SARIF 2.1.0 and GitHub workflow annotations."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import PurePosixPath
from typing import Any

from govgate._version import __version__
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import RECOMMENDATIONS, annotation_text, headline, ordered
from govgate.risk.assess import RiskAssessment
from govgate.terms import Enforce, Outcome

REPORT_SCHEMA_ID = "https://govgate.dev/schemas/report-v1.json"
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
GITHUB_MAX_PER_LEVEL = 10  # GitHub shows at most 10 error and 10 warning annotations per step
SHORT = (Outcome.FAIL, Outcome.ERROR, Outcome.GAP, Outcome.INCONCLUSIVE)


def render_json(decision: Decision, risk: RiskAssessment) -> str:
    """One shape at every verbosity: the headline, the decision and the risk assessment."""
    payload = {
        "$schema": REPORT_SCHEMA_ID,
        "format": "govgate.report/v1",
        "headline": headline(decision, risk),
        "recommendation": RECOMMENDATIONS[decision.verdict],
        "decision": decision.model_dump(mode="json"),
        "risk": risk.model_dump(mode="json"),
    }
    return json.dumps(payload, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"


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


def _uri(file: str) -> str:
    path = PurePosixPath(file)
    return path.as_uri() if path.is_absolute() else str(path)


def _level(r: RuleResult) -> str:
    if r.enforce is Enforce.AUDIT or r.outcome is Outcome.WAIVED:
        return "note"
    return "error" if r.enforce is Enforce.BLOCK else "warning"


def render_sarif(decision: Decision, risk: RiskAssessment) -> str:
    """SARIF 2.1.0: a result per rule that did not pass, located at its policy file and line."""
    rules = sorted({r.key: r for r in decision.rules}.values(), key=lambda r: r.key)
    index = {r.key: i for i, r in enumerate(rules)}
    descriptors = [
        {
            "id": r.key,
            "name": r.rule,
            "shortDescription": {"text": r.title or r.key},
            "fullDescription": {"text": f"{r.category} rule ({r.enforce}): {r.expression}"},
            "defaultConfiguration": {
                "level": "error"
                if r.enforce is Enforce.BLOCK
                else "warning"
                if r.enforce is Enforce.WARN
                else "note"
            },
            "properties": {
                "category": r.category,
                "enforce": r.enforce,
                "tags": [r.category, r.enforce, *r.controls],
            },
        }
        for r in rules
    ]
    results: list[dict[str, Any]] = []
    for r in ordered(decision):
        if r.outcome in (Outcome.PASS, Outcome.SKIPPED):
            continue
        result: dict[str, Any] = {
            "ruleId": r.key,
            "ruleIndex": index[r.key],
            "level": _level(r),
            "message": {"text": f"{r.outcome.value}: {annotation_text(r)}"},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": _uri(r.file)},
                        "region": {"startLine": max(r.line, 1)},
                    }
                }
            ],
            "properties": {
                "outcome": r.outcome.value,
                "reason": r.reason,
                "observed": {o.path: o.value for o in r.observed},
            },
        }
        if r.waiver is not None:
            result["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": f"{r.waiver.name} ({r.waiver.ticket}, "
                    f"approved by {r.waiver.approver}, expires "
                    f"{r.waiver.expires}): {r.waiver.justification}",
                }
            ]
        results.append(result)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govgate",
                        "version": __version__,
                        "informationUri": "https://govgate.dev",
                        "rules": descriptors,
                    }
                },
                "results": results,
                "invocations": [{"executionSuccessful": True}],
                "properties": {
                    "verdict": decision.verdict.value,
                    "stage": decision.stage,
                    "headline": headline(decision, risk),
                    "evidence_sha256": decision.evidence_digest,
                },
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=False, allow_nan=False) + "\n"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(decision: Decision, risk: RiskAssessment) -> str:
    """Workflow commands: annotations for the worst findings only, within GitHub's limits."""
    severity = {Outcome.FAIL: 0, Outcome.ERROR: 0, Outcome.GAP: 1, Outcome.INCONCLUSIVE: 1}
    worst = sorted(
        (r for r in decision.rules if r.outcome in SHORT and r.enforce != "audit"),
        key=lambda r: (r.enforce is not Enforce.BLOCK, severity[r.outcome], r.key),
    )
    lines: list[str] = []
    used = {"error": 0, "warning": 0}
    for r in worst:
        level = "error" if r.enforce is Enforce.BLOCK else "warning"
        if used[level] >= GITHUB_MAX_PER_LEVEL:
            continue
        used[level] += 1
        title = _escape_property(f"govgate {r.outcome.value}: {r.key}")
        where = f"file={_escape_property(r.file)},line={max(r.line, 1)},title={title}"
        lines.append(f"::{level} {where}::{_escape_data(annotation_text(r))}")
    left = len(worst) - sum(used.values())
    summary = headline(decision, risk) + (f" ({left} more findings in the report)" if left else "")
    lines.append(f"::notice title=govgate::{_escape_data(summary)}")
    return "\n".join(lines) + "\n"
