"""An approval document's signature and signer, checked against the trust file, as a record.

Each document becomes one :class:`~govgate.gate.outcome.ApprovalRecord`, whatever is wrong
with it: ``malformed`` (not strict JSON, not an Approval), ``unknown-key`` (the trust file
holds no key of that id), ``bad-signature`` (it does not verify under that key: the document
changed after it was signed), ``wrong-approver`` (it names someone the key does not sign for),
``wrong-role`` (the key's person may not approve in its role); else ``verified``, and the engine
judges the rest (model version, decision basis, expiry, the roles required). Fail closed: only
``verified`` can ever count. A path that is not there, or a file over :data:`MAX_BYTES`, is a
usage error (exit 2): it was never read, so it cannot be reported on.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from govgate import canonical, dsse, jsonsafe
from govgate.approval.model import PAYLOAD_TYPE, Approval
from govgate.approval.trust import Person, Trust
from govgate.errors import UsageError
from govgate.gate.outcome import ApprovalRecord

#: the largest approval file read: one is about 1 KiB
MAX_BYTES = 64 * 1024


def read_documents(paths: Sequence[Path]) -> list[tuple[str, bytes]]:
    """(path as given, bytes) of every approval file: a folder gives its ``*.json`` files
    (recursively, sorted). A path that is not there, cannot be read or is too large: exit 2."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.json") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(f"{path}: no such approval file or folder")
    out = []
    for path in dict.fromkeys(found):
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                raise UsageError(
                    f"{path}: {size} bytes, over the {MAX_BYTES}-byte limit of an approval file",
                    hint="an approval is one small JSON document: `govgate approve` writes one",
                )
            out.append((path.as_posix(), path.read_bytes()))
        except OSError as exc:
            raise UsageError(f"{path}: cannot read approval file ({exc.strerror})") from None
    return out


def content(document: dict[str, Any]) -> bytes:
    """What an approval's signature covers: its canonical JSON without the signature."""
    return canonical.dumps({k: v for k, v in document.items() if k != "signature"})


def _claims(approval: Approval) -> dict[str, Any]:
    spec = approval.spec
    basis = spec.decision_basis
    return {
        "role": spec.role,
        "approver": spec.approver.name if spec.approver else None,
        "email": spec.approver.email if spec.approver else None,
        "keyid": approval.signature.keyid,
        "model": spec.model.name,
        "version": spec.model.version,
        "basis": basis.sha256,
        "evidence_content_sha256": basis.evidence_content_sha256,
        "policy_set_sha256": basis.policy_set_sha256,
        "stage": basis.stage.value,
        "approved_at": spec.approved_at,
        "expires": spec.expires,
        "comment": spec.comment,
    }


def _malformed(name: str, data: bytes, why: str) -> ApprovalRecord:
    return ApprovalRecord(
        file=name,
        sha256=hashlib.sha256(data).hexdigest(),
        status="malformed",
        reason=f"not an approval govgate can read: {why}",
    )


def _parse(name: str, data: bytes) -> tuple[dict[str, Any], Approval] | ApprovalRecord:
    try:
        value = jsonsafe.loads(data, max_bytes=MAX_BYTES)
    except jsonsafe.JSONInputError as exc:
        return _malformed(name, data, f"not strict JSON ({exc})")
    if not isinstance(value, dict) or value.get("kind") != "Approval":
        kind = value.get("kind") if isinstance(value, dict) else None
        return _malformed(name, data, f"kind is {kind!r}, not 'Approval'")
    try:
        approval = Approval.model_validate_json(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(str(p) for p in first["loc"]) or "the document"
        return _malformed(name, data, f"{where}: {first['msg']}")
    return value, approval


def _signed(document: dict[str, Any], approval: Approval, key: Any) -> bool:
    """Whether the signature verifies under ``key``: the DSSE envelope it stands for, opened."""
    envelope = {
        "payload": base64.b64encode(content(document)).decode(),
        "payloadType": PAYLOAD_TYPE,
        "signatures": [approval.signature.model_dump()],
    }
    try:
        dsse.open_envelope(canonical.dumps(envelope), key, PAYLOAD_TYPE)
    except dsse.SignatureError:
        return False
    return True


def verify_document(name: str, data: bytes, trust: Trust) -> ApprovalRecord:
    """One approval file as a record: ``verified`` only when its signature verifies under a
    key of the trust file, whose person it names (if it names one) and may approve in its
    role."""
    parsed = _parse(name, data)
    if isinstance(parsed, ApprovalRecord):
        return parsed
    document, approval = parsed
    claims = _claims(approval)
    record = ApprovalRecord(
        file=name, sha256=hashlib.sha256(data).hexdigest(), status="malformed", reason="", **claims
    )
    keyid = approval.signature.keyid
    found = trust.keys.get(keyid)
    if found is None:
        return record.model_copy(
            update={
                "status": "unknown-key",
                "reason": f"signed by key {keyid[:16]}..., which the trust file does not hold",
            }
        )
    person, key = found
    if not _signed(document, approval, key):
        return record.model_copy(
            update={
                "status": "bad-signature",
                "reason": f"the signature does not verify under {person.name}'s key "
                f"{keyid[:16]}...: the document was changed after it was signed",
            }
        )
    signed = {"signer": person.name}
    claimed = approval.spec.approver
    if claimed is not None and not _same(claimed.name, claimed.email, person):
        return record.model_copy(
            update={
                **signed,
                "status": "wrong-approver",
                "reason": f"it names {claimed.name}"
                + (f" <{claimed.email}>" if claimed.email else "")
                + f", and the key signs for {person.name}",
            }
        )
    role = approval.spec.role
    if role not in person.roles:
        return record.model_copy(
            update={
                **signed,
                "status": "wrong-role",
                "reason": f"the trust file lets {person.name} approve as "
                f"{', '.join(person.roles)}, not {role}",
            }
        )
    return record.model_copy(
        update={
            **signed,
            "status": "verified",
            "reason": f"signed by {person.name} (key {keyid[:16]}...), who may approve as {role}",
        }
    )


def _same(name: str, email: str | None, person: Person) -> bool:
    if name.casefold() == person.name.casefold():
        return True
    return bool(email and person.email and email.casefold() == person.email.casefold())


def verify_documents(documents: Sequence[tuple[str, bytes]], trust: Trust) -> list[ApprovalRecord]:
    return [verify_document(name, data, trust) for name, data in documents]
