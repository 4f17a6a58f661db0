"""The JSON Schema for govgate documents: generated from the pydantic models, shipped as a file.

``generate()`` builds it from :mod:`govgate.policy.model`; the package ships the result as
``govgate-v1.schema.json`` so editors (yaml-language-server) and other tools can use it without
govgate. ``tests/unit/policy/test_schema.py`` fails when the shipped file and a fresh generation
differ; ``python -m tests.support.regenerate`` regenerates it.

Generation differs from pydantic's default in two ways: optional fields do not admit ``null``
(a YAML ``key:`` with no value is a mistake, not "use the default"), and a rule must have
exactly one of its forms (expression, threshold, relative, fairness, slo), and an SLO exactly
one source of events (good, bad, history).
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
    return generate_for(
        KINDS, SCHEMA_ID, "govgate policy, waiver and policy test documents (govgate/v1)"
    )


def generate_for(kinds: dict[str, type[BaseModel]], schema_id: str, title: str) -> dict[str, Any]:
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
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_id,
        "title": title,
        "description": "See policies/README.md in the govgate repository. "
        "Validate with `govgate validate`.",
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
    return {
        "$schema": full["$schema"],
        "$id": full["$id"].replace(".schema.json", f".{kind.lower()}.schema.json"),
        "$ref": f"#/$defs/{kind}",
        "$defs": full["$defs"],
    }
