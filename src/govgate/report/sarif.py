"""SARIF 2.1.0 for GitHub code scanning: a result per rule that did not pass, at its policy
file and line, and one for the decision when it blocks with no blocking rule to show.

Within GitHub's ingestion rules ("SARIF support for code scanning" and its limits page): at
most 20 tags per rule, rule names within 255 characters, short and full descriptions within
1,024 (cut with an ellipsis; ``help`` keeps the whole text), relative paths URI-encoded
(RFC 3986), absolute ones as ``file://`` URIs, a ``partialFingerprints.primaryLocationLineHash``
per result (the one key GitHub reads) and a category per stage (``automationDetails.id``).
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import PurePosixPath, PureWindowsPath
from typing import Any, Final
from urllib.parse import quote

from govgate._version import __version__
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import annotation_text, headline, ordered, verdict_line
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

SARIF_SCHEMA: Final = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI: Final = "https://govgate.dev"
#: where a rule's help points: how policies, rules and waivers work; how the decision does
RULE_HELP_URI: Final = f"{INFORMATION_URI}/docs/policies"
DECISION_HELP_URI: Final = f"{INFORMATION_URI}/docs/decisions"

#: GitHub code scanning's limits (a longer value is rejected or cut by GitHub, not by us)
MAX_TAGS: Final = 20
MAX_NAME: Final = 255
MAX_DESCRIPTION: Final = 1024
ELLIPSIS: Final = "…"

#: the decision's own rule: ``policy/rule`` keys have an identifier after the slash, which
#: cannot hold a ``-``, so no policy rule can take this id
DECISION_RULE: Final = "govgate/release-decision"
#: prefix of every fingerprint: bump it only if the identity of a result changes meaning
FINGERPRINT_VERSION: Final = "govgate-sarif-v1"

_WINDOWS_ABSOLUTE = re.compile(r"^[A-Za-z]:[\\/]")


def clip(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, an ellipsis marking a cut."""
    return text if len(text) <= limit else text[: limit - len(ELLIPSIS)] + ELLIPSIS


def artifact_uri(file: str) -> str:
    """A policy path as a URI reference: relative paths percent-encoded per RFC 3986
    (``odd dir #1/x.yaml`` -> ``odd%20dir%20%231/x.yaml``), absolute ones as ``file://``."""
    if _WINDOWS_ABSOLUTE.match(file):
        return PureWindowsPath(file).as_uri()
    path = PurePosixPath(file)
    if path.is_absolute():
        return path.as_uri()
    return quote(file, safe="/")


def fingerprint(rule_id: str, uri: str) -> str:
    """Stable across runs for the same rule and file: not the line (a rule moving within its
    file stays one alert) nor the outcome (a FAIL that becomes a GAP stays one alert)."""
    identity = f"{FINGERPRINT_VERSION}\0{rule_id}\0{uri}".encode()
    return hashlib.sha256(identity).hexdigest()[:32]


def _tags(r: RuleResult) -> list[str]:
    """The category and enforcement first, then the controls, distinct, within GitHub's 20."""
    tags: list[str] = []
    for tag in (r.category, str(r.enforce), *r.controls):
        if tag not in tags:
            tags.append(tag)
    return tags[:MAX_TAGS]


def _default_level(enforce: Enforce) -> str:
    return {Enforce.BLOCK: "error", Enforce.WARN: "warning", Enforce.AUDIT: "note"}[enforce]


def _level(r: RuleResult, decision: Decision) -> str:
    """``error`` exactly for a shortfall the exit code acts on (a blocking rule, a warn rule
    under ``--fail-on-warn``); waived and audit results are notes."""
    if r.enforce is Enforce.AUDIT or r.outcome is Outcome.WAIVED:
        return "note"
    if r.enforce is Enforce.BLOCK or decision.fail_on_warn:
        return "error"
    return "warning"


def _fence(text: str) -> str:
    """A fenced code block longer than any run of backticks in ``text``."""
    runs = [len(m) for m in re.findall(r"`+", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}\n{text}\n{fence}"


def _help(r: RuleResult) -> dict[str, str]:
    """What the rule checks, its expression, and how to fix or waive it (no file or line: a
    rule's descriptor stays the same from run to run; each result has its location)."""
    what = r.title or r.key
    controls = ", ".join(r.controls) if r.controls else "none"
    fix = (
        "To fix: change the candidate (or collect the evidence it lacks) until the expression "
        "holds, then run the gate again."
    )
    waive = (
        f"To waive: add a Waiver document (kind: Waiver) with spec.policy: {r.policy}, "
        f"spec.rule: {r.rule}, a justification, an approver, a ticket and an expiry date."
    )
    text = [
        f"{what}",
        f"Rule {r.key} ({r.category}, enforce: {r.enforce}), policy {r.policy} "
        f"version {r.policy_version}.",
        f"Passes when: {r.expression}",
    ]
    if r.violation:
        text.append(f"Fails when: {r.violation}")
    text += [f"Controls: {controls}", fix, waive]
    markdown = [
        f"**{_md(what)}**",
        f"Rule {_md(r.key)} ({_md(r.category)}, enforce: {_md(str(r.enforce))}), policy "
        f"{_md(r.policy)} version {_md(r.policy_version)}.",
        "Passes when:",
        _fence(r.expression),
    ]
    if r.violation:
        markdown += ["Fails when:", _fence(r.violation)]
    markdown += [f"Controls: {_md(controls)}", fix, _md(waive)]
    return {"text": "\n".join(text), "markdown": "\n\n".join(markdown)}


def _md(text: str) -> str:
    """Text shown as itself in Markdown, on one line: every punctuation mark Markdown acts on
    is escaped, and a line break cannot start a heading, a list or a block of its own."""
    one_line = re.sub(r"[\r\n\u2028\u2029]+", " ", text)
    return re.sub(r"([\\`*_{}\[\]()<>#+\-.!|~&=])", r"\\\1", one_line)


def _descriptor(r: RuleResult) -> dict[str, Any]:
    return {
        "id": r.key,
        "name": clip(r.rule, MAX_NAME),
        "shortDescription": {"text": clip(r.title or r.key, MAX_DESCRIPTION)},
        "fullDescription": {
            "text": clip(f"{r.category} rule ({r.enforce}): {r.expression}", MAX_DESCRIPTION)
        },
        "defaultConfiguration": {"level": _default_level(r.enforce)},
        "help": _help(r),
        "helpUri": RULE_HELP_URI,
        "properties": {
            "category": r.category,
            "enforce": str(r.enforce),
            "controls": list(r.controls),
            "tags": _tags(r),
            "problem.severity": {"error": "error", "warning": "warning"}.get(
                _default_level(r.enforce), "recommendation"
            ),
        },
    }


def _decision_descriptor() -> dict[str, Any]:
    text = (
        "The release decision blocks: the exit code is not 0 (FAIL, ROLLBACK, INCONCLUSIVE, or "
        "WARN under --fail-on-warn), and no blocking rule result says why. It happens when "
        "only waived or audit rules remain, or no rule applies to the stage."
    )
    fix = (
        "To fix: add the evidence or rules the decision needs (a waiver alone never makes a "
        "release pass), then run the gate again."
    )
    return {
        "id": DECISION_RULE,
        "name": "release-decision",
        "shortDescription": {"text": "The release decision blocks this release"},
        "fullDescription": {"text": text},
        "defaultConfiguration": {"level": "error"},
        "help": {"text": f"{text}\n{fix}", "markdown": f"{_md(text)}\n\n{_md(fix)}"},
        "helpUri": DECISION_HELP_URI,
        "properties": {"tags": ["release-decision"], "problem.severity": "error"},
    }


def _location(file: str, line: int) -> list[dict[str, Any]]:
    uri = artifact_uri(file)
    region = {"startLine": max(line, 1)}  # a rule result has a line, not a column or an end
    return [{"physicalLocation": {"artifactLocation": {"uri": uri}, "region": region}}]


def _first_policy_file(decision: Decision) -> str | None:
    """Where a decision-level result is shown: the first policy file (by path, the order the
    engine reads policies in), else the first file a required control or expected gap names."""
    files = [r.file for r in decision.rules]
    files = files or [g.file for g in decision.expected_gaps]
    files = files or [c.file for c in decision.required_controls]
    return min(files) if files else None


def _decision_result(decision: Decision, index: int) -> dict[str, Any]:
    code = int(decision.exit_code)
    result: dict[str, Any] = {
        "ruleId": DECISION_RULE,
        "ruleIndex": index,
        "level": "error",
        "message": {
            "text": f"Release decision: {verdict_line(decision)}: {decision.verdict_reason}"
        },
        "properties": {"verdict": decision.verdict.value, "exit_code": code},
    }
    file = _first_policy_file(decision)
    if file is not None:
        result["locations"] = _location(file, 1)
        result["partialFingerprints"] = {
            "primaryLocationLineHash": fingerprint(DECISION_RULE, artifact_uri(file))
        }
    return result


def _rule_result(r: RuleResult, decision: Decision, index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": r.key,
        "ruleIndex": index,
        "level": _level(r, decision),
        "message": {"text": f"{r.outcome.value}: {annotation_text(r)}"},
        "locations": _location(r.file, r.line),
        "partialFingerprints": {
            "primaryLocationLineHash": fingerprint(r.key, artifact_uri(r.file))
        },
        "properties": {
            "outcome": r.outcome.value,
            "enforce": str(r.enforce),
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
    return result


def render_sarif(decision: Decision, risk: RiskAssessment) -> str:
    """SARIF 2.1.0: a result per rule that did not pass, located at its policy file and line.

    A decision that blocks has an ``error`` result: a blocking rule's (or, under
    ``--fail-on-warn``, a warn rule's), else one for the decision itself at line 1 of the first
    policy file. The run's properties carry the verdict and the exit code.
    """
    rules = sorted({r.key: r for r in decision.rules}.values(), key=lambda r: r.key)
    index = {r.key: i for i, r in enumerate(rules)}
    descriptors = [_descriptor(r) for r in rules] + [_decision_descriptor()]
    results = [
        _rule_result(r, decision, index[r.key])
        for r in ordered(decision)
        if r.outcome not in (Outcome.PASS, Outcome.SKIPPED)
    ]
    if decision.blocks and not any(r["level"] == "error" for r in results):
        results.append(_decision_result(decision, len(rules)))
    code = int(decision.exit_code)
    sarif = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "govgate",
                        "version": __version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                # one code-scanning category per stage: a canary's alerts never close an
                # offline run's (``category/``: GitHub reads what precedes the last slash)
                "automationDetails": {"id": f"govgate/{decision.stage}/"},
                "results": results,
                "invocations": [{"executionSuccessful": True, "exitCode": code}],
                "properties": {
                    "verdict": decision.verdict.value,
                    "exit_code": code,
                    "fail_on_warn": decision.fail_on_warn,
                    "stage": decision.stage,
                    "headline": headline(decision, risk),
                    "evidence_sha256": decision.evidence_digest,
                },
            }
        ],
    }
    return json.dumps(sarif, indent=2, sort_keys=False, allow_nan=False) + "\n"
