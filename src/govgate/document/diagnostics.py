"""Schema and model errors as problems a person can act on: where, what, and what to do.

jsonschema and pydantic describe what failed in their own words and paths; these turn each
error into a :class:`~govgate.errors.Problem` at the node's line and column, with a hint where
one helps (a misspelt key, a YAML 1.1 boolean, a quoted number). Every document kind uses them.
"""

from __future__ import annotations

import difflib
import json
from typing import Any

from pydantic import ValidationError

from govgate.document.nodes import YamlDocument, json_pointer
from govgate.document.patterns import PATTERN_WORDS
from govgate.document.scalars import YAML11_BOOLEANS
from govgate.errors import Problem


def relevant_errors(errors: list[Any]) -> list[Any]:
    """Errors deepest first, without the echo of an unknown key: a rule whose only form key is
    misspelt (``treshold``) is reported as the unknown key, not also as "needs one of"."""
    unknown_at = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    kept = [
        e for e in errors if not (e.validator == "oneOf" and tuple(e.absolute_path) in unknown_at)
    ]
    return sorted(kept, key=lambda e: (-len(e.absolute_path), list(map(str, e.absolute_path))))


_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "a mapping",
    type(None): "empty",
}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_problem(error: Any, doc: YamlDocument) -> Problem:
    pointer = json_pointer(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    span = doc.span(pointer)
    hint = ""
    if keyword == "additionalProperties":
        return _unknown_key_problem(error, doc, pointer)
    if keyword == "required":
        missing = next((r for r in error.validator_value if r not in instance), "?")
        if missing == "expires":
            hint = "every waiver needs an expiry date, e.g. expires: 2026-12-31"
        elif missing == "rules":
            hint = "a policy needs at least one rule"
        return Problem("schema.required", f"missing required key {missing!r}", span, hint)
    if keyword == "oneOf" and all(set(branch) == {"required"} for branch in error.validator_value):
        options = [branch["required"][0] for branch in error.validator_value]
        present = [o for o in options if isinstance(instance, dict) and o in instance]
        return Problem(
            "schema.one-of",
            f"needs exactly one of {', '.join(options)}"
            + (f"; found {', '.join(present)}" if present else ""),
            span,
            f"keep only one of: {', '.join(present)}" if present else "",
        )
    if keyword == "dependentRequired":
        return Problem(
            "schema.one-of",
            "violation goes with expression; shorthands generate their own",
            span,
            "remove violation, or write the rule as an expression",
        )
    if keyword == "type":
        return _type_problem(error, doc, pointer)
    if keyword == "enum":
        options = [str(o) for o in error.validator_value]
        match = difflib.get_close_matches(str(instance), options, n=1)
        return Problem(
            "schema.enum",
            f"{_short(instance)} is not one of: {', '.join(options)}",
            span,
            f"did you mean {match[0]!r}?" if match else "",
        )
    if keyword == "const":
        return Problem(
            "schema.const",
            f"expected {error.validator_value!r}, got {_short(instance)}",
            span,
            "this version of govgate reads apiVersion govgate/v1"
            if pointer == "/apiVersion"
            else "",
        )
    if keyword == "pattern":
        words = PATTERN_WORDS.get(error.validator_value, f"the pattern {error.validator_value}")
        return Problem("schema.pattern", f"{_short(instance)} is not {words}", span)
    if keyword in ("minItems", "minLength") and error.validator_value == 1:
        return Problem("schema.empty", "must not be empty", span)
    if keyword == "uniqueItems":
        repeated = next((v for i, v in enumerate(instance) if v in instance[:i]), None)
        return Problem(
            "schema.unique", f"duplicate entry {_short(repeated)}", span, "list each entry once"
        )
    return Problem(f"schema.{keyword}", _one_line(error.message), span)


def _unknown_key_problem(error: Any, doc: YamlDocument, pointer: str) -> Problem:
    instance = error.instance
    allowed = sorted(error.schema.get("properties", {}))
    extra = sorted(set(instance) - set(allowed)) if isinstance(instance, dict) else []
    key = extra[0] if extra else "?"
    match = difflib.get_close_matches(key, allowed, n=1)
    return Problem(
        "schema.unknown-key",
        f"unknown key {key!r}" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""),
        doc.key_span(f"{pointer}/{key}"),
        (f"did you mean {match[0]!r}? " if match else "") + "allowed keys: " + ", ".join(allowed),
    )


def _type_problem(error: Any, doc: YamlDocument, pointer: str) -> Problem:
    instance = error.instance
    span = doc.span(pointer)
    hint = ""
    want = error.validator_value
    got = _JSON_TYPES.get(type(instance), type(instance).__name__)
    info = doc.scalars.get(pointer)
    if isinstance(instance, str) and instance in YAML11_BOOLEANS and doc.is_plain(pointer):
        hint = (
            f"govgate reads YAML 1.2, where {instance} is the string {instance!r}, "
            "not a boolean as in YAML 1.1: write true or false, or quote it"
        )
    elif want == "string" and type(instance) in (int, float):
        hint = f'quote it: "{doc.raw.get(pointer, instance)}"'
    elif want in ("number", "integer") and isinstance(instance, str):
        hint = (
            "remove the quotes to make it a number"
            if info is not None and info.style in ("'", '"')
            else "write a plain number such as 0.01 or 1e-2"
        )
    return Problem(
        "schema.type", f"expected {_type_words(want)}, got {got} {_short(instance)}", span, hint
    )


def _type_words(want: Any) -> str:
    names = {
        "string": "a string",
        "number": "a number",
        "integer": "an integer",
        "boolean": "a boolean",
        "array": "a list",
        "object": "a mapping",
    }
    if isinstance(want, list):
        return " or ".join(str(names.get(w, w)) for w in want)
    return names.get(want, str(want))


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:197] + "..."


def model_problems(exc: ValidationError, doc: YamlDocument) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        loc = [
            p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))
        ]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(Problem("schema.invalid", message, doc.span(json_pointer(loc))))
    return out
