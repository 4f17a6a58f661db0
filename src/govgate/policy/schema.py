"""The JSON Schema for govgate documents: generated from the pydantic models, shipped as a file.

``generate()`` builds it from :mod:`govgate.policy.model`; the package ships the result as
``govgate-v1.schema.json`` so editors (yaml-language-server) and other tools can use it without
govgate. ``tests/unit/policy/test_schema.py`` fails when the shipped file and a fresh generation
differ; ``python -m tests.support.regenerate`` regenerates it.

Generation differs from pydantic's default in three ways: optional fields do not admit
``null`` (a YAML ``key:`` with no value is a mistake, not "use the default"); a rule must have
exactly one of its forms (expression, threshold, relative, fairness, slo), and an SLO exactly
one source of events (good, bad, history); and every definition and property carries a
description for editors (from the models' docstrings and ``Field(description=...)``, or from
:data:`DESCRIPTIONS` for the ones defined outside ``model.py``: the shared enums of
``govgate.terms`` and the policy test models).
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from govgate.policy import cases, model

SCHEMA_ID = "https://govgate.dev/schemas/govgate-v1.schema.json"
SCHEMA_FILE = "govgate-v1.schema.json"
KINDS: dict[str, type[BaseModel]] = {
    "Policy": model.Policy,
    "Waiver": model.Waiver,
    "PolicyTest": cases.PolicyTest,
}


#: Descriptions of definitions (``Name``) and properties (``Name.property``) whose models say
#: nothing themselves; a description the model gives always wins.
DESCRIPTIONS: dict[str, str] = {
    "Category": "What a rule guards. On a canary, a failed blocking rollback rule rolls back.",
    "Direction": "Which way is better for a metric.",
    "Impact": "How bad a breach would be in production.",
    "CaseExpectation": "What a case must produce: a verdict, rule outcomes, or both.",
    "CaseExpectation.verdict": "The verdict the case must produce.",
    "FixtureColumn.count": "That many 1s among the items.",
    "FixtureColumn.rate": "round(rate x items) 1s among the items.",
    "FixtureColumn.value": "The same value for every item.",
    "FixtureColumn.mean": "The column's mean (with sd: normal quantiles).",
    "FixtureColumn.sd": "The column's standard deviation (with mean).",
    "FixtureColumn.values": "Listed values, repeated in order over the items.",
    "FixtureEvidence": "The evidence of a case: the candidate run and, for relative rules, "
    "the baseline.",
    "FixtureEvidence.candidate": "The run under judgement.",
    "FixtureEvidence.baseline": "The run it is compared with (the champion).",
    "FixtureRun.metrics": "Logged metrics, by name.",
    "FixtureRun.params": "Logged params, by name.",
    "FixtureRun.tags": "Run tags, by name.",
    "PolicyTest.apiVersion": "The document format: govgate/v1.",
    "PolicyTest.kind": "PolicyTest.",
    "PolicyTest.metadata": "Name and description.",
    "PolicyTest.spec": "The policies under test and the cases.",
    "PolicyTestCase": "One case: a stage, evidence (or a snapshot file), and what the "
    "decision must be.",
    "PolicyTestCase.name": "Unique within the test file.",
    "PolicyTestCase.stage": "The stage the case is decided at.",
    "PolicyTestCase.evidence": "Evidence built from fixtures.",
    "PolicyTestCase.expect": "The verdict and rule outcomes the case must produce.",
    "PolicyTestSpec": "The policies under test and the cases that test them.",
    "PolicyTestSpec.cases": "At least one case.",
}

DOCUMENTS_TITLE = "govgate policy, waiver and policy test documents (govgate/v1)"
DOCUMENTS_DESCRIPTION = (
    "See policies/README.md in the govgate repository. Validate with `govgate validate`."
)


class _NoNull(GenerateJsonSchema):
    def nullable_schema(self, schema: core_schema.NullableSchema) -> JsonSchemaValue:
        return self.generate_inner(schema["schema"])

    def default_schema(self, schema: core_schema.WithDefaultSchema) -> JsonSchemaValue:
        out = super().default_schema(schema)
        if out.get("default", ...) is None:  # "default: null" says nothing useful to an editor
            out.pop("default")
        return out


def generate() -> dict[str, Any]:
    """Build the document schema: one ``$defs`` entry per kind, chosen by ``kind``."""
    return generate_for(KINDS, SCHEMA_ID, DOCUMENTS_TITLE)


def generate_for(
    kinds: dict[str, type[BaseModel]],
    schema_id: str,
    title: str,
    description: str = DOCUMENTS_DESCRIPTION,
) -> dict[str, Any]:
    """A schema for the given document kinds, with govgate's generation rules."""
    defs: dict[str, Any] = {}
    for kind, cls in kinds.items():
        sub = cls.model_json_schema(schema_generator=_NoNull, ref_template="#/$defs/{model}")
        defs.update(sub.pop("$defs", {}))
        defs[kind] = sub
    if "Rule" in defs:
        rule = defs["Rule"]
        rule["oneOf"] = [{"required": [form]} for form in model.RULE_FORMS]
        rule["dependentRequired"] = {"violation": ["expression"]}
        for shorthand, pair in (
            ("Threshold", ("max", "min")),
            ("Relative", ("margin", "margin_ratio")),
            ("Fairness", ("max_gap", "min_ratio")),
        ):
            defs[shorthand]["oneOf"] = [{"required": [side]} for side in pair]
        defs["Slo"]["oneOf"] = [{"required": [source]} for source in model.SLO_SOURCES]
    if "FixtureColumn" in defs:
        defs["FixtureColumn"]["oneOf"] = [{"required": [form]} for form in cases.COLUMN_FORMS]
        defs["FixtureColumn"]["dependentRequired"] = {
            "mean": ["sd"],
            "sd": ["mean"],
            "by": ["rates"],
            "rates": ["by"],
        }
        defs["FixtureRun"]["dependentRequired"] = {"columns": ["items"], "groups": ["items"]}
        defs["FixtureRun"]["if"] = {"required": ["items"]}
        defs["FixtureRun"]["then"] = {
            "anyOf": [{"required": ["columns"]}, {"required": ["groups"]}]
        }
        defs["PolicyTestCase"]["oneOf"] = [{"required": ["evidence"]}, {"required": ["snapshot"]}]
        defs["CaseExpectation"]["anyOf"] = [{"required": ["verdict"]}, {"required": ["rules"]}]
    _closed(defs)
    _describe(defs)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        "description": description,
        "type": "object",
        "required": ["apiVersion", "kind"],
        "properties": {"kind": {"enum": list(kinds)}},
        "allOf": [
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": f"#/$defs/{kind}"},
            }
            for kind in kinds
        ],
        "$defs": dict(sorted(defs.items())),
    }


def _describe(defs: dict[str, Any]) -> None:
    """Fill in :data:`DESCRIPTIONS` where a definition or one of its properties has none."""
    for name, definition in defs.items():
        if "description" not in definition and name in DESCRIPTIONS:
            definition["description"] = DESCRIPTIONS[name]
        for prop, sub in definition.get("properties", {}).items():
            if "description" not in sub and f"{name}.{prop}" in DESCRIPTIONS:
                sub["description"] = DESCRIPTIONS[f"{name}.{prop}"]


def _closed(node: Any) -> None:
    """Maps with key patterns admit no other keys (pydantic says so only in the model)."""
    if isinstance(node, dict):
        if "patternProperties" in node and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _closed(value)
    elif isinstance(node, list):
        for value in node:
            _closed(value)


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"


@cache
def shipped_text() -> str:
    """The schema file as shipped in the package."""
    return resources.files("govgate.policy").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")


@cache
def shipped() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(shipped_text())
    return loaded


def single(kind: str) -> dict[str, Any]:
    """The schema of one document kind, sharing the shipped definitions."""
    full = shipped()
    definition = full["$defs"][kind]
    return {
        "$schema": full["$schema"],
        "$id": full["$id"].replace(".schema.json", f".{kind.lower()}.schema.json"),
        "title": f"govgate {kind} document ({model.API_VERSION})",
        "description": definition.get("description", full["description"]),
        "$ref": f"#/$defs/{kind}",
        "$defs": full["$defs"],
    }
