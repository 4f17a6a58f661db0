"""SARIF 2.1.0: a result per rule that did not pass, at its policy file and line."""

from __future__ import annotations

import json
from pathlib import PurePosixPath
from typing import Any

from govgate._version import __version__
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import annotation_text, headline, ordered
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


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
