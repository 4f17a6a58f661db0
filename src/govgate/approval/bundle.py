"""Approvals in an audit bundle, and the records a replay passes to the engine.

When a check was given approvals, its bundle holds (every file listed in the manifest, so
signed through the statement):

    approvals/<sha256>.json   each approval document, byte for byte as given
    approvals/index.json      the records the check passed to the engine: each document's
                              path as given, digest, claims and verification status
    approvals/trust.json      the trust file they were checked against, normalised (public
                              keys, names, roles: no secret)

A replay (``govgate verify``) verifies every bundled document again under the bundled trust
file, requires the records it gets to be the recorded ones, and passes them to the engine, so
the decision comes out byte for byte the same, and a record that claims more than its document
shows is caught.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Final

from pydantic import ValidationError

from govgate import canonical, jsonsafe
from govgate.approval.trust import Trust, parse_trust
from govgate.approval.verify import verify_document
from govgate.errors import PolicyInvalidError
from govgate.gate.outcome import ApprovalRecord

PREFIX: Final = "approvals/"
INDEX: Final = "approvals/index.json"
TRUST: Final = "approvals/trust.json"


def document_file(sha256: str) -> str:
    return f"{PREFIX}{sha256}.json"


def bundle_files(
    documents: Sequence[tuple[str, bytes]], records: Sequence[ApprovalRecord], trust: Trust
) -> dict[str, bytes]:
    """The bundle files of the approvals a check was given (none when it was given none)."""
    if not documents:
        return {}
    files = {
        INDEX: canonical.dumps([r.model_dump(mode="json") for r in records]),
        TRUST: trust.canonical_json(),
    }
    for _, data in documents:
        files[document_file(hashlib.sha256(data).hexdigest())] = data
    return files


def replayed(files: Mapping[str, bytes]) -> tuple[list[ApprovalRecord], list[str]]:
    """The approval records a bundle recorded, verified again; and every problem found."""
    bundled = sorted(n for n in files if n.startswith(PREFIX))
    if INDEX not in files:
        return [], [f"{name}: bundled, and no {INDEX} lists it" for name in bundled]
    try:
        entries = jsonsafe.loads(files[INDEX])
        if not isinstance(entries, list):
            raise ValueError("it must list records")
        records = [ApprovalRecord.model_validate(e) for e in entries]
    except (ValueError, ValidationError) as exc:
        return [], [f"{INDEX} is not a list of approval records ({str(exc).splitlines()[0]})"]
    if TRUST not in files:
        return records, [f"{TRUST} is missing: the bundled approvals cannot be verified again"]
    try:
        trust = parse_trust(files[TRUST], TRUST)
    except PolicyInvalidError as exc:
        return records, [f"{TRUST} is not a valid trust file ({exc.problems[0]})"]
    problems = []
    listed = {INDEX, TRUST}
    for record in records:
        name = document_file(record.sha256)
        listed.add(name)
        data = files.get(name)
        if data is None or hashlib.sha256(data).hexdigest() != record.sha256:
            problems.append(f"{name}: the approval {record.file} is not bundled")
            continue
        if verify_document(record.file, data, trust) != record:
            problems.append(
                f"{INDEX}: the record of {record.file} is not what its document verifies to "
                f"under {TRUST}"
            )
    problems += [f"{n}: bundled, and {INDEX} does not list it" for n in bundled if n not in listed]
    return records, problems
