"""``govgate test`` results as text (people), JSON (machines) and JUnit XML (CI test tabs)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from typing import Any

from govgate.policytest.runner import COVERING, TestRun
from govgate.report.common import plural

RESULT_SCHEMA_ID = "https://govgate.dev/schemas/policy-test-result-v1.json"


def render_text(run: TestRun) -> str:
    lines: list[str] = []
    for file in run.files:
        cases = [c for c in run.cases if c.file == file]
        lines.append(f"{file} ({plural(len(cases), 'case')})")
        for c in cases:
            status = "ok  " if c.passed else "FAIL"
            lines.append(f"  {status} {c.case} [{c.stage}, line {c.line}]")
            lines.extend(f"       {m}" for m in c.mismatches)
    lines.append("")
    covered = len(run.coverage) - len(run.uncovered)
    lines.append(
        f"rule coverage: {covered} of {plural(len(run.coverage), 'rule')} covered "
        f"(cases assert both {' and '.join(COVERING)})"
    )
    width = max((len(c.rule.key) for c in run.coverage), default=10)
    for cov in run.coverage:
        mark = "ok  " if cov.covered else "MISS"
        seen = ", ".join(sorted(cov.asserted)) or "never asserted"
        gap = f"; never asserted: {', '.join(cov.missing)}" if cov.missing and cov.asserted else ""
        where = f"{cov.rule.file}:{cov.rule.line}"
        lines.append(f"  {mark} {cov.rule.key:<{width}}  {seen}{gap}  ({where})")
    if run.never_asserted:
        lines.append(f"outcomes no case asserts: {', '.join(run.never_asserted)}")
    failed = len(run.failed)
    lines.append(
        f"{plural(len(run.cases), 'case')}: {len(run.cases) - failed} passed, {failed} failed"
    )
    return "\n".join(lines) + "\n"


def to_json(run: TestRun) -> dict[str, Any]:
    return {
        "$schema": RESULT_SCHEMA_ID,
        "passed": not run.failed,
        "files": list(run.files),
        "cases": [
            {
                "file": c.file,
                "line": c.line,
                "test": c.test,
                "case": c.case,
                "stage": c.stage,
                "passed": c.passed,
                "verdict": c.verdict,
                "expected_verdict": c.expected_verdict,
                "asserted": c.asserted,
                "outcomes": c.outcomes,
                "mismatches": list(c.mismatches),
            }
            for c in run.cases
        ],
        "coverage": {
            "rules": len(run.coverage),
            "covered": len(run.coverage) - len(run.uncovered),
            "outcomes_never_asserted": run.never_asserted,
            "by_rule": [
                {
                    "rule": c.rule.key,
                    "file": c.rule.file,
                    "line": c.rule.line,
                    "enforce": c.rule.enforce,
                    "category": c.rule.category,
                    "asserted": sorted(c.asserted),
                    "missing": c.missing,
                    "cases": c.cases,
                }
                for c in run.coverage
            ],
        },
        "summary": {"cases": len(run.cases), "failed": len(run.failed)},
    }


def render_json(run: TestRun) -> str:
    return json.dumps(to_json(run), indent=2) + "\n"


def render_junit(run: TestRun) -> str:
    """A test suite per test file, a test case per case; mismatches are failures."""
    root = ET.Element("testsuites", name="govgate test")
    total_failures = 0
    for file in run.files:
        cases = [c for c in run.cases if c.file == file]
        name = cases[0].test if cases else file
        failures = sum(not c.passed for c in cases)
        suite = ET.SubElement(
            root,
            "testsuite",
            name=name,
            file=file,
            tests=str(len(cases)),
            failures=str(failures),
            errors="0",
            skipped="0",
        )
        for c in cases:
            element = ET.SubElement(
                suite,
                "testcase",
                classname=f"govgate.test.{c.test}",
                name=c.case,
                file=c.file,
                line=str(c.line),
            )
            if not c.passed:
                failure = ET.SubElement(
                    element, "failure", type="mismatch", message=c.mismatches[0]
                )
                failure.text = "\n".join(c.mismatches)
        total_failures += failures
    root.set("tests", str(len(run.cases)))
    root.set("failures", str(total_failures))
    root.set("errors", "0")
    root.set("skipped", "0")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit}
