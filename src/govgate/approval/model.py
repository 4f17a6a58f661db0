"""The approval documents: ``kind: Approval`` (signed, one decision) and ``kind: ApprovalTrust``.

An approval names who approves (optional: the trust file says who holds the key), the role
they approve in, the registered model version, the decision basis (its digest and the three
parts it is the digest of: see :mod:`govgate.gate.approvals`), when it was signed, when it
expires, and a comment. ``signature`` is an Ed25519 signature, DSSE-style, over
``PAE(PAYLOAD_TYPE, canonical JSON of the document without its signature)``: the same bytes
:func:`govgate.dsse.sign` would wrap in an envelope, so the envelope can be rebuilt and checked
by any DSSE verifier, and a signed approval is never accepted as any other signed govgate file.
"""

from __future__ import annotations

from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate.document.patterns import DATE_OR_DATETIME, SLUG
from govgate.gate.approvals import basis_digest
from govgate.policy.model import expiry_instant
from govgate.terms import Stage

API_VERSION: Final = "govgate/v1"
#: The DSSE payload type an approval's signature covers.
PAYLOAD_TYPE: Final = "application/vnd.govgate.approval+json"
SHA256 = r"^[0-9a-f]{64}$"
INSTANT = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)

Text = Annotated[str, Field(min_length=1, max_length=200)]
Digest = Annotated[str, Field(pattern=SHA256)]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class Approver(_Doc):
    """Who approves, as they say; the trust file's entry for the signing key must agree."""

    name: Text
    email: Text | None = None


class ApprovedModel(_Doc):
    """The registered model version approved."""

    name: Text
    version: Text


class Basis(_Doc):
    """The decision basis approved: ``sha256`` is the digest of the other three."""

    sha256: Digest
    evidence_content_sha256: Digest
    policy_set_sha256: Digest
    stage: Stage

    @model_validator(mode="after")
    def _digest_of_parts(self) -> Basis:
        expected = basis_digest(
            self.evidence_content_sha256, self.policy_set_sha256, self.stage.value
        )
        if self.sha256 != expected:
            raise ValueError("decision_basis.sha256 is not the digest of its parts")
        return self


class ApprovalSpec(_Doc):
    approver: Approver | None = None
    role: Annotated[str, Field(pattern=SLUG)]
    model: ApprovedModel
    decision_basis: Basis
    #: the decision the approver reviewed (its decision.json's sha256): a record, not a binding
    decision_sha256: Digest | None = None
    approved_at: Annotated[str, Field(pattern=INSTANT)]
    expires: Annotated[str, Field(pattern=DATE_OR_DATETIME)]
    comment: Annotated[str, Field(min_length=1, max_length=2000)] | None = None

    @field_validator("expires")
    @classmethod
    def _valid_expiry(cls, value: str) -> str:
        try:
            expiry_instant(value)
        except ValueError as exc:
            raise ValueError(f"invalid expiry {value!r}: {exc}") from None
        return value


class Signature(_Doc):
    keyid: Digest
    sig: Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9+/=]+$")]


class Approval(_Doc):
    """A signed approval (kind: Approval) of one decision basis and model version."""

    apiVersion: Literal["govgate/v1"]  # noqa: N815 - the document's own key
    kind: Literal["Approval"]
    spec: ApprovalSpec
    signature: Signature


class TrustedKey(_Doc):
    """A public key, with the id it is known by (checked against the key)."""

    keyid: Digest | None = None
    pem: Annotated[str, Field(min_length=1, max_length=4096)]


class TrustedApprover(_Doc):
    """A person, the roles they may approve in, and the public keys that sign for them."""

    name: Text
    email: Text | None = None
    roles: Annotated[list[Annotated[str, Field(pattern=SLUG)]], Field(min_length=1, max_length=50)]
    keys: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=4096)] | TrustedKey],
        Field(min_length=1, max_length=20),
    ]


class TrustFile(_Doc):
    """Whose signatures count on approvals, and in which roles (kind: ApprovalTrust)."""

    apiVersion: Literal["govgate/v1"]  # noqa: N815
    kind: Literal["ApprovalTrust"]
    approvers: Annotated[list[TrustedApprover], Field(min_length=1, max_length=1000)]
