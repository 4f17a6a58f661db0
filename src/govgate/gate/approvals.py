"""Approvals in the engine: what a release needs, and which approval documents count. Pure.

A policy with ``spec.requires_approval`` that governs the candidate at this stage (and whose
``tags`` the candidate carries) requires ``count`` approvals from each of its roles. The use
case has already checked each approval document's signature and signer against the trust file
(:mod:`govgate.approval`: the engine checks no signature and reads no key); the engine judges
what depends on the decision: an approval counts only when it names this model version and
this decision basis, has not expired at the decision instant, and is of a role a policy
requires; each person counts once per role.

The decision basis is what an approval is bound to: the digest of the canonical JSON of the
evidence's content digest, the policy set digest and the stage. The content digest is the
sha256 of the evidence snapshot without what changes when the gate merely runs again on the
same runs: the instant and tool that read it, the tracking URI and how the reference was
resolved, and what govgate itself writes on the runs and model versions after deciding (its
verdict, decision and bundle tags, a canary's look records, promotion and revert records).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Sequence
from fnmatch import fnmatchcase
from typing import Any

from govgate import canonical
from govgate.evidence.model import Evidence, RunEvidence
from govgate.gate.outcome import (
    ApprovalRecord,
    Approvals,
    DecisionBasis,
    RequiredApproval,
    RunSummary,
)
from govgate.gate.selection import normal, tag_of
from govgate.policy.compiled import LoadedPolicy
from govgate.policy.model import expiry_instant

#: what govgate writes on runs and model versions once it has decided (``govgate.bundle``,
#: ``govgate.look.*``, ``govgate.promoted.<alias>``, ...): not part of the evidence basis
WRITTEN_AFTER = (
    "govgate.verdict",
    "govgate.decision_digest",
    "govgate.bundle",
    "govgate.look",
    "govgate.look.*",
    "govgate.promoting.*",
    "govgate.promoted.*",
    "govgate.reverted*",
    "govgate.restored*",
    "govgate.history*",
)
#: the parts of a snapshot that say how and when it was read, not what it holds
_READING = ("taken_at", "govgate_version", "tracking_uri")


def _written(key: str) -> bool:
    return any(fnmatchcase(key, pattern) for pattern in WRITTEN_AFTER)


def _run_content(run: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in run.items() if k != "resolution"}
    for section in ("tags", "metrics", "nonfinite_metrics", "metric_history", "history_truncated"):
        if isinstance(out.get(section), dict):
            out[section] = {k: v for k, v in out[section].items() if not _written(k)}
    out["history_omitted"] = [k for k in out.get("history_omitted", []) if not _written(k)]
    out["dropped"] = {
        section: [k for k in keys if not _written(k)]
        for section, keys in (out.get("dropped") or {}).items()
    }
    out["redactions"] = [r for r in out.get("redactions", []) if not _written(r["key"])]
    model = out.get("model")
    if isinstance(model, dict):
        model = {k: v for k, v in model.items() if k != "alias"}
        model["tags"] = {k: v for k, v in (model.get("tags") or {}).items() if not _written(k)}
        out["model"] = model
    return out


def evidence_content_digest(evidence: Evidence) -> str:
    """The sha256 of what the evidence holds (see the module docstring for what it leaves out)."""
    data = evidence.model_dump(mode="json")
    content = {k: v for k, v in data.items() if k not in _READING}
    for role in ("candidate", "baseline"):
        if isinstance(content.get(role), dict):
            content[role] = _run_content(content[role])
    return hashlib.sha256(canonical.dumps(content)).hexdigest()


def basis_digest(evidence_content_sha256: str, policy_set_sha256: str, stage: str) -> str:
    """The decision basis: sha256 of the canonical JSON of its three parts."""
    parts = {
        "evidence_content_sha256": evidence_content_sha256,
        "policy_set_sha256": policy_set_sha256,
        "stage": stage,
    }
    return hashlib.sha256(canonical.dumps(parts)).hexdigest()


def basis_of(evidence: Evidence, policy_set_sha256: str, stage: str) -> DecisionBasis:
    content = evidence_content_digest(evidence)
    return DecisionBasis(
        sha256=basis_digest(content, policy_set_sha256, stage),
        evidence_content_sha256=content,
        policy_set_sha256=policy_set_sha256,
        stage=stage,
    )


def requirements(
    policy: LoadedPolicy, candidate: RunEvidence, stage: str
) -> list[RequiredApproval]:
    """The approvals ``policy`` (which governs the candidate and judges ``stage``) requires."""
    needs = policy.document.spec.requires_approval
    if needs is None:
        return []
    if needs.stages is not None and stage not in {s.value for s in needs.stages}:
        return []
    for key, values in needs.tags.items():
        have = tag_of(policy, candidate, key)
        # a tag the candidate lacks cannot exempt it: approval is required (fail closed)
        if have is not None and normal(have) not in {normal(v) for v in values}:
            return []
    return [
        RequiredApproval(
            policy=policy.name,
            role=role,
            count=needs.count,
            file=policy.source.path,
            line=policy.span.line,
        )
        for role in needs.roles
    ]


def _short(digest: str | None) -> str:
    return (digest or "none")[:12]


def _other_decision(record: ApprovalRecord, basis: DecisionBasis) -> str:
    """Why an approval's basis is not this decision's, part by part."""
    parts = []
    if record.evidence_content_sha256 != basis.evidence_content_sha256:
        parts.append(
            f"the evidence differs (approved {_short(record.evidence_content_sha256)}, this "
            f"decision's {_short(basis.evidence_content_sha256)})"
        )
    if record.policy_set_sha256 != basis.policy_set_sha256:
        parts.append(
            f"the policies differ (approved {_short(record.policy_set_sha256)}, applied "
            f"{_short(basis.policy_set_sha256)})"
        )
    if record.stage != basis.stage:
        parts.append(f"the stage differs (approved {record.stage}, decided {basis.stage})")
    why = "; ".join(parts) or f"it names basis {_short(record.basis)}"
    return f"it approves another decision: {why}"


def _judged(
    record: ApprovalRecord,
    candidate: RunSummary,
    basis: DecisionBasis,
    now: dt.datetime,
    roles: set[str],
) -> tuple[str, str]:
    """The status and reason of a verified approval, before counting."""
    if (record.model, record.version) != (candidate.model, candidate.version):
        this = f"{candidate.model} v{candidate.version}" if candidate.model else "no model"
        return "other-model", f"it approves {record.model} v{record.version}, not {this}"
    if record.basis != basis.sha256:
        return "other-decision", _other_decision(record, basis)
    try:
        expires = expiry_instant(record.expires or "")
    except ValueError:
        return "malformed", f"its expiry {record.expires!r} is not a date or an instant"
    if expires <= now:
        return "expired", f"it expired {expires.isoformat().replace('+00:00', 'Z')}"
    if record.role not in roles:
        wanted = ", ".join(sorted(roles)) or "none"
        return "not-required", f"no policy here requires approval from {record.role} ({wanted})"
    return "counted", f"{record.signer} approved as {record.role}"


def judge(
    records: Sequence[ApprovalRecord],
    required: list[RequiredApproval],
    candidate: RunSummary,
    basis: DecisionBasis,
    now: dt.datetime,
) -> Approvals:
    """Every approval document, judged; each requirement, with who counted for it."""
    roles = {r.role for r in required}
    documents: list[ApprovalRecord] = []
    counted: dict[str, list[str]] = {}  # role -> people, in order
    first: dict[tuple[str, str], str] = {}  # (role, person) -> the file that counted
    for record in sorted(records, key=lambda r: (r.file, r.sha256)):
        if record.status != "verified":  # the use case found why it does not count
            documents.append(record)
            continue
        status, reason = _judged(record, candidate, basis, now, roles)
        if status == "counted":
            role, person = record.role or "", record.signer or ""
            if (role, person) in first:
                status = "duplicate"
                reason = f"{person} already approved as {role} ({first[role, person]})"
            else:
                first[role, person] = record.file
                counted.setdefault(role, []).append(person)
        documents.append(record.model_copy(update={"status": status, "reason": reason}))
    return Approvals(
        basis=basis,
        required=[
            r.model_copy(update={"approvers": list(counted.get(r.role, []))}) for r in required
        ],
        documents=documents,
    )
