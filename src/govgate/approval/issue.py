"""``govgate approve``: one signed approval of a verified bundle's decision.

What may be approved: a decision the rules let through (PASS or WARN) or one that awaits
approval (``approval.awaiting``). A FAIL, a ROLLBACK or a decision inconclusive for want of
evidence is refused: an approval never overrides a failure or missing evidence. The approval
names the decision's basis and model version, so it counts on any re-run of the gate on the
same runs and policies at the same stage, and on nothing else.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from pydantic import ValidationError

from govgate import dsse, jsonsafe
from govgate.approval.model import API_VERSION, PAYLOAD_TYPE, Approval
from govgate.approval.verify import content
from govgate.document.patterns import PATTERN_WORDS, SLUG
from govgate.errors import UsageError
from govgate.gate.outcome import Decision
from govgate.terms import Verdict

#: how long an approval lasts when ``--expires`` is not given
DEFAULT_DAYS = 30
#: the longest an approval may last: it approves one decision, not a standing exception
MAX_DAYS = 365


def refusal(decision: Decision) -> str | None:
    """Why this decision's verdict cannot be approved, or None; a usage error when nothing
    about it can be (no decision basis recorded, no registered model version)."""
    if decision.approvals is None:
        raise UsageError(
            "the decision records no decision basis (it was made by a govgate without approvals)",
            hint="run the gate again, and approve that bundle",
        )
    if decision.candidate.model is None or not decision.candidate.version:
        raise UsageError(
            "the candidate is not a registered model version, and an approval names one",
            hint="gate a registered version: --candidate models:/NAME/VERSION",
        )
    if decision.verdict in (Verdict.PASS, Verdict.WARN):
        return None
    if decision.verdict_code == "approval.awaiting":
        return None
    return (
        f"the verdict is {decision.verdict.value} ({decision.verdict_code}: "
        f"{decision.verdict_reason}); an approval releases only what the rules let through, "
        "and never overrides a failure or missing evidence"
    )


def unrequired(decision: Decision, role: str) -> bool:
    """No policy in this decision requires approval from ``role``."""
    return decision.approvals is None or all(r.role != role for r in decision.approvals.required)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def expiry(text: str | None, now: dt.datetime) -> str:
    """``--expires`` as written (a date or an RFC 3339 instant), or ``now`` + 30 days; it
    must be after ``now`` and within a year of it (a usage error otherwise)."""
    from govgate.policy.model import expiry_instant

    if text is None:
        return _iso(now + dt.timedelta(days=DEFAULT_DAYS))
    try:
        instant = expiry_instant(text)
    except ValueError as exc:
        raise UsageError(
            f"--expires {text!r}: not a date (2026-12-31) or an instant with a time zone "
            f"(2026-12-31T18:00:00Z): {exc}"
        ) from None
    if instant <= now:
        raise UsageError(f"--expires {text}: already past")
    if instant > now + dt.timedelta(days=MAX_DAYS):
        raise UsageError(
            f"--expires {text}: more than {MAX_DAYS} days away",
            hint="an approval is for one decision; approve again when the evidence changes",
        )
    return text


def issue(
    decision: Decision,
    key: Ed25519PrivateKey,
    *,
    role: str,
    now: dt.datetime,
    expires: str,
    approver: str | None = None,
    email: str | None = None,
    comment: str | None = None,
) -> bytes:
    """The signed approval document (JSON, indented) of ``decision``, by ``key``."""
    assert decision.approvals is not None
    assert decision.candidate.model is not None
    if not re.fullmatch(SLUG, role):
        raise UsageError(f"--role {role!r}: {PATTERN_WORDS[SLUG]}")
    basis = decision.approvals.basis
    spec: dict[str, Any] = {
        "role": role,
        "model": {"name": decision.candidate.model, "version": decision.candidate.version},
        "decision_basis": basis.model_dump(mode="json"),
        "decision_sha256": decision.digest(),
        "approved_at": _iso(now),
        "expires": expires,
    }
    if approver is not None:
        spec["approver"] = {"name": approver, **({"email": email} if email else {})}
    if comment:
        spec["comment"] = comment
    document: dict[str, Any] = {"apiVersion": API_VERSION, "kind": "Approval", "spec": spec}
    envelope = jsonsafe.loads(dsse.sign(content(document), key, PAYLOAD_TYPE))
    document["signature"] = envelope["signatures"][0]
    data = (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    try:
        Approval.model_validate_json(data, strict=True)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise UsageError(f"cannot write this approval: {where}: {first['msg']}") from None
    return data
