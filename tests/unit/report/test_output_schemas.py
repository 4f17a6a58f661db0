"""Every output govgate writes validates against the schema it ships for it.

The schemas are generated from the models (``govgate.usecases.schemas``) and shipped as files;
these tests keep each file equal to a fresh generation, check that ``govgate schema --kind``
prints it, and validate real outputs: the JSON report, decision.json and risk.json of decided
scenarios, the attestation predicate of a built bundle, and ``validate --format json`` on
valid and invalid files. Every object in them is closed, so a key added to an output without
its model (and a regeneration) fails here.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from govgate.bundle import build
from govgate.cli import main
from govgate.gate.outcome import DECISION_FORMAT
from govgate.report.json import REPORT_SCHEMA_ID, render_json
from govgate.risk.model import RISK_FORMAT
from govgate.usecases import schemas
from govgate.usecases.validate import VALIDATE_SCHEMA_ID
from tests.conftest import FIXTURES
from tests.support.decisions import Built, build_scenario

ENV = {"python": "3.11", "packages": {}, "git": {"commit": None}, "ci": {}}
#: Scenarios with gaps, waivers and a rollback: between them every optional part is filled.
SCENARIOS = ["blocked-gaps", "waived", "rollback"]


def validator(kind: str) -> Draft202012Validator:
    return Draft202012Validator(json.loads(schemas.shipped_text(kind)))


def errors(kind: str, instance: Any) -> list[str]:
    return sorted(
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator(kind).iter_errors(instance)
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Built]:
    root = tmp_path_factory.mktemp("outputs")
    return {name: build_scenario(name, root / name) for name in SCENARIOS}


@pytest.mark.parametrize("kind", schemas.OUTPUT_KINDS)
def test_shipped_output_schema_is_the_generated_one(kind: str) -> None:
    assert schemas.shipped_text(kind) == schemas.dumps(schemas.generate(kind)), (
        "regenerate with: python -m tests.support.regenerate"
    )


@pytest.mark.parametrize("kind", schemas.OUTPUT_KINDS)
def test_govgate_schema_prints_each_output_schema(kind: str) -> None:
    out = io.StringIO()
    assert main(["schema", "--kind", kind], stdout=out) == 0
    assert out.getvalue() == schemas.shipped_text(kind)
    printed = json.loads(out.getvalue())
    Draft202012Validator.check_schema(printed)
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert printed["$id"].startswith("https://govgate.dev/schemas/")
    assert printed["title"]
    assert printed["description"]


def test_schema_ids_are_the_ones_the_outputs_name() -> None:
    ids = {k: json.loads(schemas.shipped_text(k))["$id"] for k in schemas.OUTPUT_KINDS}
    assert ids["Report"] == REPORT_SCHEMA_ID
    assert ids["ValidateResult"] == VALIDATE_SCHEMA_ID
    assert ids["Decision"].endswith(f"/decision-{DECISION_FORMAT.split('/')[-1]}.json")
    assert ids["Risk"].endswith(f"/risk-{RISK_FORMAT.split('/')[-1]}.json")
    assert len(set(ids.values())) == len(ids)


def test_schema_all_still_means_the_document_schema() -> None:
    """``--kind all`` is what it always was: the Policy, Waiver and PolicyTest documents."""
    out = io.StringIO()
    assert main(["schema"], stdout=out) == 0
    assert json.loads(out.getvalue())["properties"]["kind"]["enum"] == [
        "Policy",
        "Waiver",
        "PolicyTest",
    ]


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_json_report_validates(built: dict[str, Built], name: str) -> None:
    report = json.loads(render_json(built[name].decision, built[name].risk))
    assert report["$schema"] == REPORT_SCHEMA_ID
    assert errors("Report", report) == []


@pytest.mark.parametrize("name", SCENARIOS)
def test_decision_and_risk_validate(built: dict[str, Built], name: str) -> None:
    decision, risk = built[name].decision, built[name].risk
    assert errors("Decision", decision.model_dump(mode="json")) == []
    assert errors("Risk", risk.model_dump(mode="json")) == []


def test_the_bundle_files_and_attestation_predicate_validate(built: dict[str, Built]) -> None:
    waived = built["waived"]
    files = build.contents(waived.decision, waived.risk, waived.policy_set, waived.snapshot, ENV)
    assert errors("Decision", json.loads(files["decision.json"])) == []
    assert errors("Risk", json.loads(files["risk.json"])) == []
    statement = json.loads(files["statement.json"])
    assert statement["predicateType"] == build.PREDICATE_TYPE
    assert statement["predicate"]["waivers"], "the scenario attests a waiver"
    assert errors("Attestation", statement["predicate"]) == []


def test_the_schemas_are_closed_and_complete(built: dict[str, Built]) -> None:
    """A key an output gains, loses or changes the type of is caught: the schemas can fail."""
    blocked = built["blocked-gaps"]
    report = json.loads(render_json(blocked.decision, blocked.risk))
    extra = copy.deepcopy(report)
    extra["decision"]["rules"][0]["surprise"] = 1
    assert any("surprise" in e for e in errors("Report", extra))
    missing = copy.deepcopy(report)
    del missing["risk"]["findings"][0]["level"]
    assert any("'level' is a required property" in e for e in errors("Report", missing))
    wrong = copy.deepcopy(report)
    wrong["decision"]["verdict"] = "MAYBE"
    assert errors("Report", wrong) != []
    files = build.contents(
        blocked.decision, blocked.risk, blocked.policy_set, blocked.snapshot, ENV
    )
    predicate = json.loads(files["statement.json"])["predicate"]
    predicate["manifest_sha256"] = "not a digest"
    assert any("manifest_sha256" in e for e in errors("Attestation", predicate))


def validate_json(*paths: str) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = main(["validate", "--format", "json", *paths], stdout=out, stderr=io.StringIO())
    result: dict[str, Any] = json.loads(out.getvalue())
    return code, result


def test_validate_json_validates_when_valid(repo_root: Path) -> None:
    code, result = validate_json("policies", "evals")
    assert code == 0
    for part in ("policies", "waivers", "tests", "suites"):
        assert result[part], part
    assert errors("ValidateResult", result) == []


def test_validate_json_validates_with_problems_and_warnings(tmp_path: Path) -> None:
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "apiVersion: govgate/v1\nkind: Policy\n"
        "metadata: {name: p, version: '1', owners: [a@example.com], controls: [ACME-1]}\n"
        "spec:\n  stages: [offline]\n  rules:\n"
        "    - {id: r, category: safety, expression: 'candidate.metrics.x <= '}\n"
    )
    code, result = validate_json(
        str(policy), (FIXTURES / "invalid" / "schema-many.yaml").as_posix()
    )
    assert code == 3
    assert [w["code"] for w in result["warnings"]] == ["control.unknown"]
    assert {p["code"] for p in result["problems"]} >= {"cel.syntax", "schema.enum"}
    assert errors("ValidateResult", result) == []


def test_report_model_matches_what_the_renderer_writes(built: dict[str, Built]) -> None:
    """The hand-described report is the renderer's shape, key for key (both ways)."""
    rollback = built["rollback"]
    report = json.loads(render_json(rollback.decision, rollback.risk))
    model = schemas.Report.model_validate(report)
    assert model.model_dump(mode="json", by_alias=True) == report
