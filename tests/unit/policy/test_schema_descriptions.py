"""The document schemas explain themselves to editors: every definition and every property of
the Policy, Waiver, PolicyTest and EvalSuite schemas has a description."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from govgate.cli import main
from govgate.evals.suite import shipped_schema
from govgate.policy import schema

SCHEMAS = {"govgate-v1": schema.shipped(), "evalsuite-v1": shipped_schema()}


def undescribed(full: dict[str, Any]) -> list[str]:
    missing = [name for name, d in full["$defs"].items() if not d.get("description")]
    for name, definition in full["$defs"].items():
        for prop, sub in definition.get("properties", {}).items():
            if not sub.get("description"):
                missing.append(f"{name}.{prop}")
    return missing


@pytest.mark.parametrize("name", SCHEMAS)
def test_every_definition_and_property_has_a_description(name: str) -> None:
    full = SCHEMAS[name]
    assert full["title"]
    assert "govgate validate" in full["description"]
    assert undescribed(full) == []


@pytest.mark.parametrize("kind", ["Policy", "Waiver", "PolicyTest"])
def test_a_single_kind_schema_has_its_title_and_description(kind: str) -> None:
    out = io.StringIO()
    assert main(["schema", "--kind", kind], stdout=out) == 0
    printed = json.loads(out.getvalue())
    assert printed["title"] == f"govgate {kind} document (govgate/v1)"
    assert printed["description"] == schema.shipped()["$defs"][kind]["description"]
