"""Verify a bundle offline: digests, chain, signature, and a replay of the decision.

Every problem found is reported, naming the file and what is wrong with it. A bundle verifies
only when the manifest matches every file (nothing modified, missing or added), the statement
names this manifest, the signature verifies (required when a key is given: a bundle stripped
of its signature fails), and re-evaluating the bundled policies on the bundled snapshot at the
recorded instant reproduces the decision, risk, reports and statement byte for byte.

The policy packs a bundle records (``policies/origins.json``) are checked too: each pack's
manifest is bundled under its digest, its signature envelope signs that manifest, and the
bundled policies named ``PACK!PATH`` are exactly the files the manifest lists. With the pack
publisher's key (:func:`check_packs`, ``govgate pack verify BUNDLE --key``), each signature is
verified as well.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govgate import jsonsafe
from govgate.bundle.build import (
    ENVELOPE,
    MANIFEST,
    ORIGINS,
    STATEMENT,
    UNLISTED,
    derived_files,
    pack_files,
    sha256,
)
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


def _json(files: Mapping[str, bytes], name: str) -> Any:
    """The JSON value of a bundle file, read by :func:`govgate.jsonsafe.loads` (no depth, size,
    duplicate key or number can crash the verification); ValueError names the file and why."""
    try:
        return jsonsafe.loads(files[name])
    except jsonsafe.JSONInputError as exc:
        raise ValueError(f"{name} is not valid JSON ({exc})") from None


def _shape(value: Any) -> str:
    """What a JSON value is, in words, for a problem that says what was found instead."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "a boolean"
    kinds = {dict: "an object", list: "a list", str: "a string", int: "a number", float: "a number"}
    return kinds.get(type(value), type(value).__name__)


def _manifest_entries(manifest: Any) -> dict[str, dict[str, Any]]:
    """The manifest's ``files``, each name mapped to ``{"sha256": hex, ...}``; else ValueError
    saying what is there instead."""
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict):
        raise ValueError(
            f"{MANIFEST} is not a govgate manifest (its 'files' must map file names to digests, "
            f"and {'it holds' if isinstance(manifest, dict) else 'the file is'} "
            f"{_shape(files if isinstance(manifest, dict) else manifest)})"
        )
    for name, entry in files.items():
        digest = entry.get("sha256") if isinstance(entry, dict) else None
        if not isinstance(digest, str):
            raise ValueError(
                f"{MANIFEST} is not a govgate manifest (the entry of {name!r} has no sha256 "
                f"string: {_shape(digest if isinstance(entry, dict) else entry)})"
            )
    return files


def _manifest(files: Mapping[str, bytes], result: Verification) -> dict[str, Any] | None:
    if MANIFEST not in files:
        result.problems.append(f"missing: {MANIFEST}")
        return None
    try:
        entries = _manifest_entries(_json(files, MANIFEST))
    except ValueError as exc:
        result.problems.append(f"modified: {exc}")
        return None
    for name in sorted(entries):
        if name not in files:
            result.problems.append(f"missing: {name}")
        elif sha256(files[name]) != entries[name]["sha256"]:
            result.problems.append(f"modified: {name} (its sha256 differs from the manifest)")
    for name in sorted(set(files) - set(entries) - UNLISTED):
        result.problems.append(f"unexpected: {name} (not in the manifest)")
    return entries


def _statement_fields(statement: Any) -> tuple[str, str | None]:
    """The manifest digest and the verdict a statement names; else ValueError."""
    predicate = statement.get("predicate") if isinstance(statement, dict) else None
    fields = predicate if isinstance(predicate, dict) else {}
    named, verdict = fields.get("manifest_sha256"), fields.get("verdict")
    if not isinstance(named, str) or not isinstance(verdict, str | None):
        raise ValueError(
            f"{STATEMENT} is not a govgate statement (its predicate must name the "
            "manifest_sha256 and the verdict as strings)"
        )
    return named, verdict


def _statement(files: Mapping[str, bytes], result: Verification) -> dict[str, Any] | None:
    if STATEMENT not in files:
        result.problems.append(f"missing: {STATEMENT}")
        return None
    try:
        statement = _json(files, STATEMENT)
        named, verdict = _statement_fields(statement)
    except ValueError as exc:
        result.problems.append(f"modified: {exc}")
        return None
    if MANIFEST in files and named != sha256(files[MANIFEST]):
        result.problems.append(f"modified: {MANIFEST} (the statement names another manifest)")
    result.verdict = verdict
    return dict(statement)


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
    from govgate.approval.bundle import replayed
    from govgate.evidence.model import snapshot_from_bytes
    from govgate.gate.engine import decide
    from govgate.gate.outcome import DECISION_FORMAT
    from govgate.policy.loader import load_policy_sources
    from govgate.risk.assess import assess

    try:
        recorded = _json(files, "decision.json")
        written = recorded.get("format") if isinstance(recorded, dict) else None
        if written != DECISION_FORMAT:
            result.problems.append(
                f"replay: the decision is in format {written!r}, and this govgate replays "
                f"{DECISION_FORMAT!r}: verify it with the govgate version that wrote it "
                f"({recorded.get('govgate_version', '?') if isinstance(recorded, dict) else '?'})"
            )
            return
        stage, now = _recorded(recorded)
        fail_on_warn = recorded.get("fail_on_warn", False)
        if not isinstance(fail_on_warn, bool):
            raise TypeError("decision.json: fail_on_warn must be true or false")
        policy_set, problems = load_policy_sources(_policy_sources(files))
        if problems:
            result.problems.append(f"replay: the bundled policies do not load ({problems[0]})")
            return
        _json(files, "evidence/evidence.json")  # refused here, by name, before the loader reads it
        snapshot = snapshot_from_bytes(
            "evidence/evidence.json",
            files["evidence/evidence.json"],
            lambda relative: files[f"evidence/{relative}"],
        )
        approvals, trouble = replayed(files)  # verified again under the bundled trust file
        result.problems.extend(f"replay: {problem}" for problem in trouble)
        decision = decide(
            policy_set,
            snapshot,
            stage=stage,
            now=now,
            fail_on_warn=fail_on_warn,
            approvals=approvals,
        )
    except (KeyError, ValueError, TypeError, GovgateError) as exc:
        result.problems.append(f"replay: cannot re-evaluate the bundle ({exc})")
        return
    risk = assess(decision)
    for name, data in derived_files(decision, risk).items():
        if files.get(name) != data:
            result.problems.append(f"replay: {name} differs from a re-evaluation of the bundle")
    try:
        origins = _origins(files)
    except ValueError as exc:
        result.problems.append(f"replay: cannot re-evaluate the bundle ({exc})")
        return
    if MANIFEST in files and files.get(STATEMENT) != build_statement(
        decision, risk, files[MANIFEST], origins
    ):
        result.problems.append(f"replay: {STATEMENT} differs from a re-evaluation of the bundle")
    result.replayed = True
    result.decision_sha256 = decision.digest()


def _recorded(decision: dict[str, Any]) -> tuple[str, dt.datetime]:
    """The stage and the instant a decision was made, from its JSON; else TypeError/ValueError."""
    stage, decided_at = decision.get("stage"), decision.get("decided_at")
    if not isinstance(stage, str) or not isinstance(decided_at, str):
        raise TypeError("decision.json: stage and decided_at must be strings")
    return stage, dt.datetime.fromisoformat(decided_at.replace("Z", "+00:00"))


def _policy_sources(files: Mapping[str, bytes]) -> list[tuple[str, bytes]]:
    """(path as given, bytes) of every bundled policy, as policies/index.json lists them."""
    index = _json(files, "policies/index.json")
    if not isinstance(index, list) or not all(
        isinstance(e, dict) and isinstance(e.get("path"), str) and isinstance(e.get("file"), str)
        for e in index
    ):
        raise TypeError("policies/index.json: must list objects with a path and a file string")
    return [(entry["path"], files[entry["file"]]) for entry in index]


def _origins(files: Mapping[str, bytes]) -> list[dict[str, Any]] | None:
    """The records of ``policies/origins.json`` (None for a bundle written before it was);
    ValueError when it is not a list of objects."""
    if ORIGINS not in files:
        return None
    records = _json(files, ORIGINS)
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise ValueError(f"{ORIGINS} must list objects")
    return records


def _pack_problems(
    files: Mapping[str, bytes],
    record: dict[str, Any],
    bundled: Mapping[str, str],
    key: Ed25519PublicKey | None,
) -> list[str]:
    """What is wrong with one pack a bundle records (``record``: its origin)."""
    from govgate import dsse
    from govgate.policy import packs

    source, pack = record.get("source"), record.get("pack")
    digest = pack.get("manifest_sha256") if isinstance(pack, dict) else None
    if not isinstance(source, str) or not isinstance(digest, str) or not isinstance(pack, dict):
        return [f"pack: {ORIGINS} records a pack without a source and a manifest_sha256"]
    manifest_name, envelope_name = pack_files(digest)
    data = files.get(manifest_name)
    if data is None or sha256(data) != digest:
        return [f"pack: {source}: {manifest_name} is missing or is not the manifest recorded"]
    try:
        manifest = packs.parse_manifest(data)
    except ValueError as exc:
        return [f"pack: {source}: {exc}"]
    problems: list[str] = []
    if manifest["policy_set_sha256"] != pack.get("policy_set_sha256"):
        problems.append(f"pack: {source}: the policy set digest recorded is not the manifest's")
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    prefix = f"{source}!"
    mine = {path[len(prefix) :]: sha for path, sha in bundled.items() if path.startswith(prefix)}
    if mine != listed:
        problems.append(
            f"pack: {source}: the bundled policies from it are not the files its manifest lists"
        )
    envelope = files.get(envelope_name)
    if envelope is None:
        if pack.get("signature") == "verified" or key is not None:
            problems.append(f"pack: {source}: {envelope_name} is missing (the pack's signature)")
        return problems
    try:
        payload = (
            dsse.open_envelope(envelope, key, packs.PAYLOAD_TYPE)
            if key is not None
            else dsse.read_envelope(envelope, packs.PAYLOAD_TYPE)[0]
        )
    except dsse.SignatureError as exc:
        return [*problems, f"pack: {source}: signature: {exc.message}"]
    if payload != data:
        problems.append(f"pack: {source}: {envelope_name} signs another manifest")
    return problems


def check_packs(
    files: Mapping[str, bytes], key: Ed25519PublicKey | None = None
) -> tuple[list[str], list[dict[str, Any]]]:
    """The problems of the packs a bundle records, and their records. With ``key`` (the
    pack publisher's), each pack's signature must verify under it."""
    try:
        chosen = [r for r in _origins(files) or [] if r.get("kind") == "pack"]
        index = _json(files, "policies/index.json") if chosen else []
    except (KeyError, ValueError) as exc:
        return [f"pack: cannot read where the policies came from ({exc})"], []
    bundled = {
        e["path"]: e["sha256"]
        for e in (index if isinstance(index, list) else [])
        if isinstance(e, dict) and isinstance(e.get("path"), str)
    }
    problems = [p for r in chosen for p in _pack_problems(files, r, bundled, key)]
    return problems, chosen


def verify(
    files: Mapping[str, bytes],
    key: Ed25519PublicKey | None = None,
    pack_key: Ed25519PublicKey | None = None,
) -> Verification:
    """Check a bundle's files (as read by ``reader.read``); every problem is collected.
    ``pack_key``: also verify the signature of every policy pack it records under this key."""
    result = Verification()
    _manifest(files, result)
    _statement(files, result)
    _signature(files, key, result)
    result.problems.extend(check_packs(files, pack_key)[0])
    _replay(files, result)
    return result


def verify_path(path: Path, key_path: Path | None) -> Verification:
    """Read the bundle at ``path`` (directory or archive) and verify it; a bundle that cannot
    be read is a failed verification, with what made it unreadable as the problem."""
    from govgate.bundle import reader
    from govgate.bundle.limits import BundleError
    from govgate.bundle.signing import load_public

    key = load_public(key_path) if key_path is not None else None
    try:
        files = reader.read(path)
    except BundleError as exc:
        hint = f"; {exc.hint}" if exc.hint else ""
        return Verification(problems=[f"unreadable: {exc.message}{hint}"])
    return verify(files, key)
