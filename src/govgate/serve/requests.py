"""What a judge request may ask for: registered versions of allowed models, nothing else.

A request names the model, the candidate and (optionally) the baseline and the stage. The
server's own policies decide; a request never names policies, files or paths. References are
checked against the allow list before anything is read: a snapshot file, a run id or a search
is refused (403), and so is a model the server was not started for.

- ``candidate`` (required): ``models:/NAME/VERSION`` or ``models:/NAME@ALIAS``; with ``model``
  also the short ``VERSION`` or ``@ALIAS``;
- ``model`` (default: the candidate's): a name on the allow list, the candidate's;
- ``baseline`` (default ``models:/NAME@<--baseline-alias>``): the same forms, of the same model;
- ``stage`` (default ``canary``): ``offline``, ``shadow`` or ``canary``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl

from govgate import jsonsafe
from govgate.errors import UsageError
from govgate.evidence.refs import ModelRef, parse_ref
from govgate.serve.errors import RequestError
from govgate.terms import Stage

FIELDS = ("model", "candidate", "baseline", "stage")
MAX_FIELD_CHARS = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_VERSION = re.compile(r"[0-9]{1,12}")
_ALIAS = re.compile(r"@[A-Za-z0-9_\-]{1,128}")


@dataclass(frozen=True, slots=True)
class JudgeRequest:
    """A request that passed every check: full references of one allowed model."""

    model: str
    candidate: str
    baseline: str
    stage: str


def from_query(query: bytes) -> dict[str, str]:
    """The fields of a query string; a repeated or unknown field is refused."""
    try:
        pairs = parse_qsl(
            query.decode("ascii"),
            keep_blank_values=True,
            strict_parsing=bool(query),
            errors="strict",
            max_num_fields=len(FIELDS),
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise RequestError(
            400,
            "serve.bad-query",
            f"the query string cannot be read ({type(exc).__name__})",
            hint="send ?candidate=models:/NAME/VERSION&stage=canary, each field once",
        ) from None
    fields: dict[str, str] = {}
    for key, value in pairs:
        if key in fields:
            raise RequestError(400, "serve.bad-query", f"field {key!r} is given twice")
        fields[key] = value
    return fields


def from_body(body: bytes) -> dict[str, object]:
    """The fields of a JSON body: one object of strings, strict JSON (:mod:`govgate.jsonsafe`)."""
    try:
        value = jsonsafe.loads(body, max_bytes=max(len(body), 1), max_depth=2)
    except jsonsafe.JSONInputError as exc:
        raise RequestError(
            400,
            "serve.bad-json",
            f"the body is not valid JSON: {exc}",
            hint='send {"candidate": "models:/NAME/VERSION", "stage": "canary"}',
        ) from None
    if not isinstance(value, dict):
        raise RequestError(400, "serve.bad-json", "the body must be a JSON object")
    return value


def judge_request(
    fields: Mapping[str, object], allowed: frozenset[str], baseline_alias: str
) -> JudgeRequest:
    """Check a request's fields against the allow list; raise :class:`RequestError` (400 for
    a malformed request, 403 for one outside what this server judges)."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise RequestError(
            400,
            "serve.unknown-field",
            f"unknown field {unknown[0]!r}",
            hint="fields: " + ", ".join(FIELDS),
        )
    text = {key: _text(key, value) for key, value in fields.items()}
    stage = text.get("stage") or Stage.CANARY.value
    if stage not in {s.value for s in Stage}:
        raise RequestError(
            400,
            "serve.bad-stage",
            f"unknown stage {stage!r}",
            hint="stages: " + ", ".join(s.value for s in Stage),
        )
    model = text.get("model") or None
    if not text.get("candidate"):
        raise RequestError(
            400,
            "serve.missing-candidate",
            "the candidate is required",
            hint="send candidate=models:/NAME/VERSION (or model=NAME&candidate=VERSION)",
        )
    candidate = _model_ref("candidate", text["candidate"], model)
    if model is not None and candidate.name != model:
        raise RequestError(
            400,
            "serve.model-mismatch",
            f"the candidate {candidate} is not a version of model {model!r}",
            hint="name one model: the candidate's",
        )
    name = candidate.name
    if name not in allowed:
        raise RequestError(
            403,
            "serve.model-not-allowed",
            f"model {name!r} is not one this server judges",
            hint="start govgate serve with --allow-model for it",
        )
    given = text.get("baseline")
    baseline = (
        _model_ref("baseline", given, name) if given else ModelRef(name, alias=baseline_alias)
    )
    if baseline.name != name:
        raise RequestError(
            403,
            "serve.baseline-not-allowed",
            f"the baseline {baseline} is not a version of the candidate's model {name!r}",
            hint=f"a canary is compared with its own champion, e.g. models:/{name}@champion",
        )
    return JudgeRequest(name, str(candidate), str(baseline), stage)


def _text(key: str, value: object) -> str:
    if not isinstance(value, str):
        raise RequestError(400, "serve.bad-field", f"field {key!r} must be a string")
    if len(value) > MAX_FIELD_CHARS:
        raise RequestError(
            400, "serve.bad-field", f"field {key!r} is over {MAX_FIELD_CHARS} characters"
        )
    if _CONTROL.search(value):
        raise RequestError(400, "serve.bad-field", f"field {key!r} holds a control character")
    return value


def _model_ref(role: str, text: str, model: str | None) -> ModelRef:
    """A model version reference, full or (with ``model``) short: ``3`` or ``@candidate``."""
    if model is not None and (_VERSION.fullmatch(text) or _ALIAS.fullmatch(text)):
        text = f"models:/{model}@{text[1:]}" if text.startswith("@") else f"models:/{model}/{text}"
    try:
        ref = parse_ref(text)
    except UsageError:
        raise RequestError(
            400,
            "serve.bad-reference",
            f"the {role} {text!r} is not a model version reference",
            hint="send models:/NAME/VERSION or models:/NAME@ALIAS (or, with model=NAME, "
            "VERSION or @ALIAS)",
        ) from None
    if not isinstance(ref, ModelRef):
        raise RequestError(
            403,
            "serve.reference-not-allowed",
            f"the {role} {text!r} is not a registered model version: this server judges "
            "only versions of the models it allows, never run ids, searches or files",
            hint="send models:/NAME/VERSION or models:/NAME@ALIAS",
        )
    return ref
