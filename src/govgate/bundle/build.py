"""What an audit bundle holds, built as bytes, so writing and verifying share one definition.

Layout (every name is fixed or derived from a digest; no user string becomes a path)::

    manifest.json            sha256 and size of every file below, except the three signed/
                             chained ones (manifest, statement, envelope)
    statement.json           in-toto Statement v1; its predicate carries manifest_sha256
    statement.dsse.json      DSSE envelope of statement.json, when a key was given
    decision.json            the decision (canonical JSON, RFC 8785)
    risk.json                the risk assessment (canonical JSON)
    report.html, report.md   the human reports
    environment.json         govgate and dependency versions, Python, git commit, CI run
    policies/index.json      [{path as given, sha256, file}]
    policies/<sha256>.yaml   the exact policy and waiver bytes that were evaluated
    policies/origins.json    where they came from: folders, files, packs (name, version,
                             manifest digest, signer key id), pinned git commits
    packs/<sha256>.json      the manifest of each pack that was loaded (its sha256 is the
                             name), and packs/<sha256>.dsse.json its signature, so a reviewer
                             can check the pack's signature offline (``govgate pack verify``)
    evidence/evidence.json   the evidence snapshot, and evidence/items/<sha256>.parquet
    approvals/...            with approvals: each document, the records decided with and
                             the trust file they were checked against (``approval/bundle.py``)

Chain of trust: the DSSE signature covers the statement, the statement names the manifest's
digest, the manifest names every other file's digest. ``govgate verify`` also *replays*: it
re-decides from the bundled policies and snapshot and requires the same bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final

from govgate import canonical
from govgate.evidence.model import Snapshot
from govgate.gate.outcome import Decision
from govgate.policy.compiled import PolicySet
from govgate.report.html import render_html
from govgate.report.markdown import render_markdown
from govgate.risk.model import RiskAssessment

BUNDLE_FORMAT: Final = "govgate.bundle/v1"
STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE: Final = "https://govgate.dev/attestation/release-decision/v1"
MANIFEST, STATEMENT, ENVELOPE = "manifest.json", "statement.json", "statement.dsse.json"
ORIGINS: Final = "policies/origins.json"
UNLISTED: Final = frozenset({MANIFEST, STATEMENT, ENVELOPE})
#: The only model digest attested as the subject: in-toto's DigestSet wants lowercase hex, and
#: cosign compares it with the blob's sha256 as written so. The MLflow reader refuses any other
#: form of the tag (``evidence.invalid``); this keeps one read from a snapshot file unsigned.
MODEL_DIGEST: Final = re.compile(r"sha256:[0-9a-f]{64}")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def policy_files(policy_set: PolicySet) -> tuple[bytes, dict[str, bytes]]:
    """The policies index and the files it names, from the bytes that were evaluated."""
    index = []
    files: dict[str, bytes] = {}
    for source in sorted(policy_set.sources, key=lambda s: (s.path, s.sha256)):
        name = f"policies/{source.sha256}.yaml"
        index.append({"path": source.path, "sha256": source.sha256, "file": name})
        files[name] = source.data
    return canonical.dumps(index), files


def pack_files(manifest_sha256: str) -> tuple[str, str]:
    """Where a bundle keeps a pack's manifest and its signature: named by the manifest's digest."""
    return f"packs/{manifest_sha256}.json", f"packs/{manifest_sha256}.dsse.json"


def origin_files(policy_set: PolicySet) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
    """The record of where the policies came from, and each pack's manifest and signature."""
    records = [origin.record() for origin in policy_set.origins]
    files: dict[str, bytes] = {}
    for origin in policy_set.origins:
        if origin.pack is not None:
            manifest_name, envelope_name = pack_files(origin.pack.manifest_sha256)
            files[manifest_name] = origin.pack.manifest
            if origin.pack.envelope is not None:
                files[envelope_name] = origin.pack.envelope
    return records, files


def evidence_files(snapshot: Snapshot) -> dict[str, bytes]:
    files = {"evidence/evidence.json": snapshot.evidence.canonical_json()}
    for run in (snapshot.evidence.candidate, snapshot.evidence.baseline):
        if run is not None and run.items is not None and run.items.file and run.items.sha256:
            files[f"evidence/{run.items.file}"] = snapshot.raw_tables[run.items.sha256]
    return files


def derived_files(decision: Decision, risk: RiskAssessment) -> dict[str, bytes]:
    """Everything a replay must reproduce byte for byte."""
    return {
        "decision.json": decision.canonical_json(),
        "risk.json": canonical.dumps(risk.model_dump(mode="json")),
        "report.html": render_html(decision, risk).encode(),
        "report.md": render_markdown(decision, risk).encode(),
    }


def manifest(files: Mapping[str, bytes]) -> bytes:
    entries = {
        name: {"sha256": sha256(data), "size": len(data)}
        for name, data in sorted(files.items())
        if name not in UNLISTED
    }
    return canonical.dumps({"format": BUNDLE_FORMAT, "files": entries})


def _subject(decision: Decision) -> tuple[list[dict[str, Any]], str]:
    """The model by its content digest, when a well-formed one was recorded; else the evidence
    snapshot (``evidence/evidence.json``, whose sha256 is the evidence digest), saying why."""
    cand = decision.candidate
    digest = cand.model_digest
    if digest is not None and MODEL_DIGEST.fullmatch(digest):
        name = f"model:{cand.model}" + (f"/{cand.version}" if cand.version else "")
        return [{"name": name, "digest": {"sha256": digest[7:]}}], "model content digest"
    subject = [
        {"name": f"mlflow-run:{cand.run_id}", "digest": {"sha256": decision.evidence_digest}}
    ]
    if digest is None:
        return subject, "evidence snapshot digest (MLflow keeps no content digest of the model)"
    return subject, (
        "evidence snapshot digest (the model digest recorded is not sha256: and 64 lowercase hex "
        "digits, so it is not attested)"
    )


def statement(
    decision: Decision,
    risk: RiskAssessment,
    manifest_bytes: bytes,
    origins: Sequence[Mapping[str, Any]] | None = None,
) -> bytes:
    """The in-toto Statement v1 of the release decision (canonical JSON). ``origins``: the
    records of ``policies/origins.json``, attested as ``policy_origins`` (``None``: a bundle
    written before origins were recorded, whose statement has no such key)."""
    subject, basis = _subject(decision)
    derived = derived_files(decision, risk)
    predicate = {
        "verdict": decision.verdict.value,
        "verdict_reason": decision.verdict_reason,
        "stage": decision.stage,
        "decided_at": decision.decided_at,
        "govgate_version": decision.govgate_version,
        "subject_basis": basis,
        "policy_set_sha256": decision.policy_set_digest,
        "evidence_sha256": decision.evidence_digest,
        "decision_sha256": sha256(derived["decision.json"]),
        "risk_sha256": sha256(derived["risk.json"]),
        "risk_level": risk.level.value,
        "manifest_sha256": sha256(manifest_bytes),
        "candidate": decision.candidate.model_dump(mode="json"),
        "baseline": decision.baseline.model_dump(mode="json") if decision.baseline else None,
        "preregistration": decision.preregistration.model_dump(mode="json")
        if decision.preregistration
        else None,
        "rules": [
            {
                "rule": r.key,
                "outcome": r.outcome.value,
                "enforce": r.enforce,
                "category": r.category,
            }
            for r in decision.rules
        ],
        "waivers": [
            {"name": w.name, "rule": f"{w.policy}/{w.rule}", "status": w.status}
            for w in decision.waivers
        ],
        "decision_basis": decision.approvals.basis.sha256 if decision.approvals else None,
        "approvals": [
            {
                "sha256": a.sha256,
                "role": a.role,
                "signer": a.signer,
                "keyid": a.keyid,
                "status": a.status,
            }
            for a in (decision.approvals.documents if decision.approvals else [])
        ],
    }
    if origins is not None:
        predicate["policy_origins"] = [dict(origin) for origin in origins]
    return canonical.dumps(
        {
            "_type": STATEMENT_TYPE,
            "subject": subject,
            "predicateType": PREDICATE_TYPE,
            "predicate": predicate,
        }
    )


def contents(
    decision: Decision,
    risk: RiskAssessment,
    policy_set: PolicySet,
    snapshot: Snapshot,
    environment: Mapping[str, Any],
    signature: Any = None,
    approvals: Mapping[str, bytes] | None = None,
) -> dict[str, bytes]:
    """Every file of the bundle, by name. ``signature(payload) -> envelope`` signs, if given.
    ``approvals``: the files of the approvals decided with (``approvals/...``), if any."""
    assert all(name.startswith("approvals/") for name in approvals or {})
    index, policies = policy_files(policy_set)
    origins, packs = origin_files(policy_set)
    files: dict[str, bytes] = {
        **derived_files(decision, risk),
        "environment.json": canonical.dumps(dict(environment)),
        "policies/index.json": index,
        ORIGINS: canonical.dumps(origins),
        **policies,
        **packs,
        **evidence_files(snapshot),
        **(approvals or {}),
    }
    files[MANIFEST] = manifest(files)
    files[STATEMENT] = statement(decision, risk, files[MANIFEST], origins)
    if signature is not None:
        files[ENVELOPE] = signature(files[STATEMENT])
    return files
