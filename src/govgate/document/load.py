"""The untrusted-document pipeline every kind goes through: bytes -> YAML -> schema -> model.

Policies, waivers and policy tests (``policy/loader.py``) and eval suites (``evals/suite.py``)
all read a file with a size cap before parsing, parse it with the hostile-input YAML reader,
check it against the shipped JSON Schema and then build the frozen pydantic model in strict
mode. Every problem names its file, line and column. The checks a schema cannot express
(duplicate ids) run beside the schema on whatever they can read, so one run reports both; the
model runs only on a document both found nothing in. A caller may go on reading a document that
failed (``policy/build.py`` checks the CEL of what is still sound), using the problems'
pointers to stay away from the parts already reported.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govgate.document.diagnostics import model_problems, relevant_errors, schema_problem
from govgate.document.nodes import YamlDocument
from govgate.document.yaml import DEFAULT_LIMITS, YamlLimits, load_yaml
from govgate.errors import PolicyInvalidError, Problem, SourceSpan, UsageError

M = TypeVar("M", bound=BaseModel)


def read_limited(path: Path, name: str, limits: YamlLimits) -> tuple[bytes | None, Problem | None]:
    """A file's bytes, refused before reading when it is over the size cap."""
    try:
        size = path.stat().st_size
        if size > limits.max_bytes:
            return None, Problem(
                "yaml.too-large",
                f"file is {size} bytes, over the {limits.max_bytes}-byte limit",
                SourceSpan(name, 1, 1),
                "split it into several files",
            )
        return path.read_bytes(), None
    except OSError as exc:
        return None, Problem(
            "input.unreadable", f"cannot read file: {exc.strerror}", SourceSpan(name)
        )


def validate(
    doc: YamlDocument,
    validator: Any,
    cls: type[M],
    between: Callable[[dict[str, Any], YamlDocument], list[Problem]] | None = None,
) -> tuple[M | None, list[Problem]]:
    """Schema and ``between`` (checks the schema cannot express, such as duplicate ids), then
    the strict model when neither found a problem.

    ``between`` must read any value (it also runs on a document the schema rejects); what it
    finds on a node the schema rejected, or on one that holds a rejected node, is left out (a
    duplicate of an id that is not a valid id is not news)."""
    errors = list(validator.iter_errors(doc.value))
    problems = [schema_problem(e, doc) for e in relevant_errors(errors)]
    if between is not None:
        rejected = [p.span.pointer for p in problems]
        problems.extend(
            p
            for p in between(doc.value, doc)
            if not any(r == p.span.pointer or r.startswith(p.span.pointer + "/") for r in rejected)
        )
    if problems:
        return None, problems
    try:
        return cls.model_validate_json(json.dumps(doc.value), strict=True), []
    except ValidationError as exc:
        return None, model_problems(exc, doc)


def load_single(
    path: Path, validator: Any, cls: type[M], what: str, limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[M, bytes]:
    """A ``what`` file that holds exactly one document, and its bytes. A missing file is a
    usage error (exit 2); every problem in one that exists is raised together as one
    :class:`PolicyInvalidError` (exit 3)."""
    name = path.as_posix()
    if not path.is_file():
        raise UsageError(f"{name}: no such {what} file")
    data, unreadable = read_limited(path, name, limits)
    if data is None:
        assert unreadable is not None
        raise PolicyInvalidError([unreadable])
    documents, problems = load_yaml(data, name, limits)
    docs = [d for d in documents if d.value is not None]
    if not problems and len(docs) != 1:
        problems = [
            Problem(
                "schema.kind", f"a {what} file holds exactly one document", SourceSpan(name, 1, 1)
            )
        ]
    if problems:
        raise PolicyInvalidError(problems)
    parsed, problems = validate(docs[0], validator, cls)
    if parsed is None:
        raise PolicyInvalidError(problems)
    return parsed, data
