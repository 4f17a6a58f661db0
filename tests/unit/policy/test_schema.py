"""The JSON Schema and the pydantic models describe the same documents.

The schema is generated from the models and shipped as a file; these tests keep the file equal
to a fresh generation, check it against every shipped policy and every fixture, and check that
schema and models accept and reject the same mutated documents.
"""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from pydantic import ValidationError

from govgate.cli import main
from govgate.document.yaml import load_yaml
from govgate.policy import schema
from tests.conftest import FIXTURES, ROOT
from tests.support.documents import parent_of, paths


def documents(paths: list[Path]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for path in paths:
        docs, problems = load_yaml(path.read_bytes(), path.as_posix())
        if problems:
            continue
        out.extend((f"{path.name}#{d.index}", d.value) for d in docs if d.value is not None)
    return out


VALID = documents(
    sorted((ROOT / "policies").rglob("*.yaml")) + sorted((FIXTURES / "valid").glob("*.yaml"))
)
SCHEMA_REJECTS = [
    p
    for p in sorted((FIXTURES / "invalid").glob("*.yaml"))
    if b"# schema: reject" in p.read_bytes()
]


def printed_schema() -> dict[str, Any]:
    out = io.StringIO()
    assert main(["schema"], stdout=out) == 0
    loaded: dict[str, Any] = json.loads(out.getvalue())
    return loaded


#: What only the models can check: values that must agree across keys (in a policy test
#: fixture, a count within the items, a group named by a column, each label given a rate; in
#: a policy, a range's low below its high, which JSON Schema cannot compare).
MODEL_ONLY = (
    "a range is [low, high] with finite low < high",
    "is more than the",
    "which is not among groups",
    "rates must name each label",
    "expect a verdict, rule outcomes, or both",
)


def pydantic_errors(value: Any) -> list[Any] | None:
    """None when the models accept ``value``, else their errors."""
    kind = value.get("kind") if isinstance(value, dict) else None
    cls = schema.KINDS.get(kind) if isinstance(kind, str) else None
    if cls is None:
        return [{"type": "kind", "msg": "unknown kind"}]
    try:
        cls.model_validate_json(json.dumps(value), strict=True)
    except ValidationError as exc:
        return list(exc.errors())
    return None


def pydantic_accepts(value: Any) -> bool:
    return pydantic_errors(value) is None


def test_shipped_schema_is_the_generated_one() -> None:
    assert schema.shipped_text() == schema.dumps(schema.generate()), (
        "regenerate with: python -m tests.support.regenerate"
    )


def test_printed_schema_is_a_valid_draft_2020_12_schema() -> None:
    printed = printed_schema()
    Draft202012Validator.check_schema(printed)
    assert printed["$id"] == schema.SCHEMA_ID


@pytest.mark.parametrize(("name", "value"), VALID, ids=[n for n, _ in VALID])
def test_schema_and_models_accept_every_valid_document(name: str, value: Any) -> None:
    validator = Draft202012Validator(printed_schema())
    assert list(validator.iter_errors(value)) == []
    assert pydantic_accepts(value)


@pytest.mark.parametrize("path", SCHEMA_REJECTS, ids=[p.name for p in SCHEMA_REJECTS])
def test_schema_and_models_reject_every_structurally_invalid_fixture(path: Path) -> None:
    validator = Draft202012Validator(printed_schema())
    (doc,) = [d for d in load_yaml(path.read_bytes(), path.name)[0] if d.value is not None]
    assert list(validator.iter_errors(doc.value)), f"the schema accepted {path.name}"
    assert not pydantic_accepts(doc.value), f"the models accepted {path.name}"


def test_single_kind_schema() -> None:
    out = io.StringIO()
    assert main(["schema", "--kind", "Waiver"], stdout=out) == 0
    waiver_schema = json.loads(out.getvalue())
    validator = Draft202012Validator(waiver_schema)
    policy = next(v for _, v in VALID if v["kind"] == "Policy")
    waiver = next(v for _, v in VALID if v["kind"] == "Waiver")
    assert list(validator.iter_errors(waiver)) == []
    assert list(validator.iter_errors(policy))


# -- agreement under mutation ---------------------------------------------------------------------


REPLACEMENTS = st.sampled_from(
    ["text", "", 0, 1, 0.5, -3, 1.5, True, False, [], {}, ["x"], {"k": 1}, "block", "safety"]
)


@given(
    doc_index=st.integers(min_value=0, max_value=len(VALID) - 1),
    target=st.integers(min_value=0),
    action=st.sampled_from(["delete", "replace", "add-key"]),
    replacement=REPLACEMENTS,
)
def test_schema_and_models_agree_on_mutated_documents(
    doc_index: int, target: int, action: str, replacement: Any
) -> None:
    """Delete a key, replace a value, or add a key anywhere: both accept or both reject.

    The models check a few things no JSON Schema can (duplicate ids, calendar dates, and the
    cross-key checks of test fixtures in MODEL_ONLY); apart from MODEL_ONLY the mutations here
    never create those, so any other disagreement is a bug in one of the two.
    """
    doc = copy.deepcopy(VALID[doc_index][1])
    candidates = [p for p in paths(doc) if p]
    path = candidates[target % len(candidates)]
    parent = parent_of(doc, path)
    key = path[-1]
    if action == "delete":
        del parent[key]
    elif action == "replace":
        parent[key] = replacement
    elif isinstance(parent[key], dict):
        parent[key]["unexpected_key"] = replacement
    else:
        return
    validator = Draft202012Validator(schema.shipped())
    schema_ok = not list(validator.iter_errors(doc))
    errors = pydantic_errors(doc)
    if schema_ok and errors and all(any(m in e["msg"] for m in MODEL_ONLY) for e in errors):
        return  # a cross-key check of a test fixture: the schema cannot say it
    assert schema_ok == (errors is None), (path, action, replacement, errors)
