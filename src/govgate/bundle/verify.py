"""Verify a bundle offline: digests, chain, signature, and a replay of the decision.

Every problem found is reported, naming the file and what is wrong with it. A bundle verifies
only when the manifest matches every file (nothing modified, missing or added), the statement
names this manifest, the signature verifies (required when a key is given: a bundle stripped
of its signature fails), and re-evaluating the bundled policies on the bundled snapshot at the
recorded instant reproduces the decision, risk, reports and statement byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govgate.bundle.build import ENVELOPE, MANIFEST, STATEMENT, UNLISTED, derived_files, sha256
from govgate.bundle.build import statement as build_statement
from govgate.bundle.signing import SignatureError, open_envelope
from govgate.errors import GovgateError
from govgate.exitcodes import ExitCode


@dataclass
class Verification:
    problems: list[str] = field(default_factory=list)
    signed: bool = False
    signature_verified: bool = False
    replayed: bool = False
    verdict: str | None = None
    decision_sha256: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.VERIFY_FAILED


def _manifest(files: Mapping[str, bytes], result: Verification) -> dict[str, Any] | None:
    if MANIFEST not in files:
        result.problems.append(f"missing: {MANIFEST}")
        return None
    try:
        entries: dict[str, Any] = json.loads(files[MANIFEST])["files"]
    except (ValueError, KeyError, TypeError):
        result.problems.append(f"modified: {MANIFEST} is not a govgate manifest")
        return None
    for name in sorted(entries):
        if name not in files:
            result.problems.append(f"missing: {name}")
        elif sha256(files[name]) != entries[name].get("sha256"):
            result.problems.append(f"modified: {name} (its sha256 differs from the manifest)")
    for name in sorted(set(files) - set(entries) - UNLISTED):
        result.problems.append(f"unexpected: {name} (not in the manifest)")
    return entries


def _statement(files: Mapping[str, bytes], result: Verification) -> dict[str, Any] | None:
    if STATEMENT not in files:
        result.problems.append(f"missing: {STATEMENT}")
        return None
    try:
        statement: dict[str, Any] = json.loads(files[STATEMENT])
        named = statement["predicate"]["manifest_sha256"]
    except (ValueError, KeyError, TypeError):
        result.problems.append(f"modified: {STATEMENT} is not a govgate statement")
        return None
    if MANIFEST in files and named != sha256(files[MANIFEST]):
        result.problems.append(f"modified: {MANIFEST} (the statement names another manifest)")
    result.verdict = statement["predicate"].get("verdict")
    return statement


def _signature(
    files: Mapping[str, bytes], key: Ed25519PublicKey | None, result: Verification
) -> None:
    result.signed = ENVELOPE in files
    if key is None:
        return
    if ENVELOPE not in files:
        result.problems.append(
            f"missing: {ENVELOPE} (the bundle is not signed, and a key was given)"
        )
        return
    try:
        payload = open_envelope(files[ENVELOPE], key)
    except SignatureError as exc:
        result.problems.append(f"signature: {exc.message}")
        return
    if payload != files.get(STATEMENT):
        result.problems.append(f"modified: {STATEMENT} (differs from the signed statement)")
        return
    result.signature_verified = True


def _replay(files: Mapping[str, bytes], result: Verification) -> None:
    from govgate.evidence.model import snapshot_from_bytes
    from govgate.gate.engine import decide
    from govgate.gate.outcome import DECISION_FORMAT
    from govgate.policy.loader import load_policy_sources
    from govgate.risk.assess import assess

    try:
        recorded = json.loads(files["decision.json"])
        written = recorded.get("format") if isinstance(recorded, dict) else None
        if written != DECISION_FORMAT:
            result.problems.append(
                f"replay: the decision is in format {written!r}, and this govgate replays "
                f"{DECISION_FORMAT!r}: verify it with the govgate version that wrote it "
                f"({recorded.get('govgate_version', '?') if isinstance(recorded, dict) else '?'})"
            )
            return
        index = json.loads(files["policies/index.json"])
        sources = [(entry["path"], files[entry["file"]]) for entry in index]
        policy_set, problems = load_policy_sources(sources)
        if problems:
            result.problems.append(f"replay: the bundled policies do not load ({problems[0]})")
            return
        snapshot = snapshot_from_bytes(
            "evidence/evidence.json",
            files["evidence/evidence.json"],
            lambda relative: files[f"evidence/{relative}"],
        )
        now = dt.datetime.fromisoformat(recorded["decided_at"].replace("Z", "+00:00"))
        decision = decide(policy_set, snapshot, stage=recorded["stage"], now=now)
    except (KeyError, ValueError, TypeError, GovgateError) as exc:
        result.problems.append(f"replay: cannot re-evaluate the bundle ({exc})")
        return
    risk = assess(decision)
    for name, data in derived_files(decision, risk).items():
        if files.get(name) != data:
            result.problems.append(f"replay: {name} differs from a re-evaluation of the bundle")
    if MANIFEST in files and files.get(STATEMENT) != build_statement(
        decision, risk, files[MANIFEST]
    ):
        result.problems.append(f"replay: {STATEMENT} differs from a re-evaluation of the bundle")
    result.replayed = True
    result.decision_sha256 = decision.digest()


def verify(files: Mapping[str, bytes], key: Ed25519PublicKey | None = None) -> Verification:
    """Check a bundle's files (as read by ``store.read``); every problem is collected."""
    result = Verification()
    _manifest(files, result)
    _statement(files, result)
    _signature(files, key, result)
    _replay(files, result)
    return result


def verify_path(path: Path, key_path: Path | None) -> Verification:
    """Read the bundle at ``path`` (directory or archive) and verify it; a bundle that cannot
    be read is a failed verification, with what made it unreadable as the problem."""
    from govgate.bundle import store
    from govgate.bundle.signing import load_public

    key = load_public(key_path) if key_path is not None else None
    try:
        files = store.read(path)
    except store.BundleError as exc:
        return Verification(problems=[f"unreadable: {exc.message}"])
    return verify(files, key)
