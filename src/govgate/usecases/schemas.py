"""The JSON Schemas (draft 2020-12) of what govgate writes, generated from models, shipped as files.

One schema per output, each beside the code that writes it, the way the document schemas sit
beside their models (``policy/govgate-v1.schema.json``, ``evals/govgate-evalsuite-v1.schema.json``):

* ``Report``: ``report/report.schema.json``, from :class:`Report` (``check --format json``);
* ``Decision``: ``gate/decision.schema.json``, from :class:`govgate.gate.outcome.Decision`;
* ``Risk``: ``risk/risk.schema.json``, from :class:`govgate.risk.model.RiskAssessment`;
* ``Attestation``: ``bundle/attestation.schema.json``, from :class:`ReleaseDecision` (the
  predicate of a bundle's in-toto statement);
* ``ValidateResult``: ``usecases/validate-result.schema.json``, from
  :class:`govgate.usecases.validate.ValidateResult` (``validate --format json``).

The generator lives here, in the lowest layer that sees every model. ``Report`` and
``ReleaseDecision`` describe dicts that ``report/json.py`` and ``bundle/build.py`` build by
hand: a key added there goes here too (the schema tests validate real outputs, and every object
is closed, so they fail until it does). Every property is required: outputs always carry every
key, ``null`` included. ``python -m tests.support.regenerate`` rewrites the files; a test fails
when one differs from a fresh generation. ``govgate schema --kind KIND`` prints one.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import core_schema

from govgate.gate.outcome import (
    DECISION_FORMAT,
    ApprovalStatus,
    Decision,
    Preregistration,
    RunSummary,
)
from govgate.risk.model import RISK_FORMAT, Level, RiskAssessment
from govgate.terms import Enforce, Outcome, Verdict
from govgate.usecases.validate import VALIDATE_SCHEMA_ID, ValidateResult

DRAFT: Final = "https://json-schema.org/draft/2020-12/schema"
SHA256: Final = r"^[0-9a-f]{64}$"
OUTPUT_KINDS: Final = ("Report", "Decision", "Risk", "Attestation", "ValidateResult")
#: Each output's schema file, relative to the ``govgate`` package.
FILES: Final = {
    "Report": "report/report.schema.json",
    "Decision": "gate/decision.schema.json",
    "Risk": "risk/risk.schema.json",
    "Attestation": "bundle/attestation.schema.json",
    "ValidateResult": "usecases/validate-result.schema.json",
}


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Report(_Out):
    """The JSON report: the headline, the recommendation, the decision and the risk assessment,
    in one shape at every verbosity."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(alias="$schema", description="The id of this schema.")
    format: Literal["govgate.report/v1"]
    headline: str = Field(description="One line: verdict, blocking findings, gaps, risk.")
    recommendation: str = Field(description="What to do with the release, in a sentence.")
    decision: Decision
    risk: RiskAssessment


class PredicateRule(_Out):
    """One rule's outcome, as the attestation records it."""

    rule: str = Field(description="POLICY/RULE.")
    outcome: Outcome
    enforce: Enforce
    category: str


class PredicateWaiver(_Out):
    """One waiver the decision considered, and what became of it."""

    name: str
    rule: str = Field(description="POLICY/RULE.")
    status: Literal["applied", "expired", "out-of-scope", "unused"]


class PredicateApproval(_Out):
    """One approval document the decision considered (bundled as approvals/<sha256>.json),
    and what became of it."""

    sha256: str = Field(pattern=SHA256, description="Of the document's bytes.")
    role: str | None
    signer: str | None = Field(
        description="Whom the trust file names for the key whose signature verified; null "
        "when none did."
    )
    keyid: str | None = Field(description="The key id the document's signature names.")
    status: ApprovalStatus


class PredicatePack(_Out):
    """A policy pack, as its signed manifest names it when it loaded."""

    name: str
    version: str
    manifest_sha256: str = Field(
        pattern=SHA256,
        description="Of the pack's pack.json, bundled as packs/<manifest_sha256>.json (its "
        "signature as packs/<manifest_sha256>.dsse.json).",
    )
    policy_set_sha256: str = Field(pattern=SHA256, description="Of the pack's own files.")
    keyid: str | None = Field(
        description="The key whose signature verified when the pack loaded; null when no key "
        "was given (--unsafe-unsigned-pack)."
    )
    signature: Literal["verified", "not-checked"]


class PredicateGit(_Out):
    """A pinned commit of a local git repository."""

    url: str = Field(description="file:///... of the repository.")
    commit: str = Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64})$")
    subdir: str | None = Field(description="The folder of it that was read; null: all of it.")


class PredicateOrigin(_Out):
    """Where some of the policies came from: one entry of --policies."""

    kind: Literal["folder", "file", "pack", "git"]
    source: str = Field(description="As given; the files from it are named SOURCE!PATH.")
    pack: PredicatePack | None = Field(description="For a pack; else null.")
    git: PredicateGit | None = Field(description="For a git source; else null.")


class ReleaseDecision(_Out):
    """The predicate of a bundle's in-toto Statement v1 (``statement.json``, signed in
    ``statement.dsse.json``), of predicateType
    https://govgate.dev/attestation/release-decision/v1: the verdict, and the digests that
    chain it to every file of the bundle."""

    verdict: Verdict
    verdict_reason: str
    stage: str
    decided_at: str
    govgate_version: str
    subject_basis: str = Field(description="What the statement's subject digest is a digest of.")
    policy_set_sha256: str = Field(pattern=SHA256)
    evidence_sha256: str = Field(pattern=SHA256)
    decision_sha256: str = Field(pattern=SHA256, description="Of decision.json.")
    risk_sha256: str = Field(pattern=SHA256, description="Of risk.json.")
    risk_level: Level
    manifest_sha256: str = Field(
        pattern=SHA256, description="Of manifest.json, which names every other file's digest."
    )
    candidate: RunSummary
    baseline: RunSummary | None
    preregistration: Preregistration | None
    rules: list[PredicateRule]
    waivers: list[PredicateWaiver]
    decision_basis: str | None = Field(
        pattern=SHA256,
        description="What an approval of this decision names: the sha256 of the canonical "
        "JSON of the evidence's content digest, the policy set digest and the stage.",
    )
    approvals: list[PredicateApproval] = Field(
        description="Every approval document given (check --approvals), counted or why not."
    )
    policy_origins: list[PredicateOrigin] = Field(
        description="Where the policies came from (policies/origins.json): folders, files, "
        "signed packs with their manifest digest and signer, pinned git commits."
    )


class _Output(GenerateJsonSchema):
    """Outputs always carry every key (``None`` as ``null``): every property is required."""

    def field_is_required(
        self,
        field: core_schema.ModelField | core_schema.DataclassField | core_schema.TypedDictField,
        total: bool,
    ) -> bool:
        return True


def _version(fmt: str) -> str:
    """``v4`` of ``govgate.decision/v4``."""
    return fmt.rsplit("/", 1)[1]


def generate(kind: str) -> dict[str, Any]:
    """The schema of one output kind (one of :data:`OUTPUT_KINDS`), built from its model."""
    base = "https://govgate.dev/schemas"
    if kind == "Report":
        from govgate.report.json import REPORT_SCHEMA_ID

        schema = _from_model(Report, REPORT_SCHEMA_ID, "govgate JSON report (govgate.report/v1)")
        schema["properties"]["$schema"]["const"] = REPORT_SCHEMA_ID
        return schema
    if kind == "Decision":
        return _from_model(
            Decision,
            f"{base}/decision-{_version(DECISION_FORMAT)}.json",
            f"govgate decision ({DECISION_FORMAT}): decision.json",
            "Every rule's outcome, the waivers and the verdict, as decided. A bundle's "
            "decision.json holds it as canonical JSON (RFC 8785); the JSON report embeds it.",
        )
    if kind == "Risk":
        return _from_model(
            RiskAssessment,
            f"{base}/risk-{_version(RISK_FORMAT)}.json",
            f"govgate risk assessment ({RISK_FORMAT}): risk.json",
            "Findings, observability gaps, waiver debt and next actions, assessed from a "
            "decision. A bundle's risk.json holds it as canonical JSON; the JSON report embeds it.",
        )
    if kind == "Attestation":
        from govgate.bundle.build import PREDICATE_TYPE

        return _from_model(
            ReleaseDecision,
            f"{base}/attestation-{_version(PREDICATE_TYPE)}.json",
            f"govgate release-decision attestation predicate ({PREDICATE_TYPE})",
        )
    if kind == "ValidateResult":
        return _from_model(
            ValidateResult,
            VALIDATE_SCHEMA_ID,
            "govgate validate result (validate-result-v1)",
            "What `govgate validate --format json` prints: the files, policies, waivers, "
            "policy tests and eval suites checked, every problem and every warning.",
        )
    raise ValueError(f"unknown output kind {kind!r}")


def _from_model(
    cls: type[BaseModel], schema_id: str, title: str, description: str | None = None
) -> dict[str, Any]:
    body = cls.model_json_schema(
        mode="serialization", schema_generator=_Output, ref_template="#/$defs/{model}"
    )
    body.pop("title", None)
    doc = body.pop("description", "")
    defs = body.pop("$defs", {})
    return {
        "$schema": DRAFT,
        "$id": schema_id,
        "title": title,
        "description": " ".join((description or doc).split()),
        **body,
        **({"$defs": dict(sorted(defs.items()))} if defs else {}),
    }


def dumps(schema: dict[str, Any]) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def shipped_text(kind: str) -> str:
    """The schema file of one output kind, as shipped in the package."""
    return resources.files("govgate").joinpath(FILES[kind]).read_text(encoding="utf-8")
