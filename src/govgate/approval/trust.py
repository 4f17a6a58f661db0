"""The trust file (``--trust FILE`` or ``$GOVGATE_TRUST``): whose signatures count, as whom.

YAML or JSON, ``kind: ApprovalTrust``: each approver has a name (and an email), the roles they
may approve in, and their Ed25519 public keys, each a PEM or ``{keyid, pem}`` (the id is checked
against the key: an id copied from another key is an error, not a second key). A file that is
not there is a usage error (exit 2); one that is there and is not a valid trust file (YAML,
schema, a key that is not an Ed25519 public key, a wrong key id, one key for two people, two
people of one name) is an invalid document (exit 3), every problem reported. Either way the
check stops before it reads any evidence: approvals are never judged against half a trust file.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from govgate import canonical, dsse
from govgate.approval.model import TrustedKey, TrustFile
from govgate.document.load import read_limited, validate
from govgate.document.yaml import DEFAULT_LIMITS, load_yaml
from govgate.errors import PolicyInvalidError, Problem, SourceSpan, UsageError


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str | None
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Trust:
    """A checked trust file: each key (by its id, and by the id govgate wrote before) with the
    person it signs for; ``document`` is its normalised form, as bundled."""

    file: str
    keys: dict[str, tuple[Person, Ed25519PublicKey]]
    document: dict[str, Any]

    def canonical_json(self) -> bytes:
        return canonical.dumps(self.document)


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(TrustFile.model_json_schema())


def _public(pem: str) -> Ed25519PublicKey | None:
    try:
        key = serialization.load_pem_public_key(pem.encode())
    except (ValueError, TypeError, UnicodeError):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def parse_trust(data: bytes, name: str) -> Trust:
    """A trust file from its bytes; :class:`PolicyInvalidError` with every problem."""
    documents, problems = load_yaml(data, name, DEFAULT_LIMITS)
    docs = [d for d in documents if d.value is not None]
    if not problems and len(docs) != 1:
        problems = [
            Problem(
                "schema.kind", "a trust file holds exactly one document", SourceSpan(name, 1, 1)
            )
        ]
    if problems:
        raise PolicyInvalidError(problems)
    parsed, problems = validate(docs[0], _validator(), TrustFile)
    if parsed is None:
        raise PolicyInvalidError(problems)
    keys: dict[str, tuple[Person, Ed25519PublicKey]] = {}
    names: dict[str, int] = {}
    people = []
    for i, entry in enumerate(parsed.approvers):
        where = f"/approvers/{i}"
        if entry.name.casefold() in names:
            problems.append(
                Problem(
                    "trust.invalid",
                    f"approver {entry.name!r} is listed twice "
                    f"(also entry {names[entry.name.casefold()]})",
                    SourceSpan(name, pointer=where),
                    "list each person once, with all their keys and roles",
                )
            )
        names.setdefault(entry.name.casefold(), i)
        person = Person(entry.name, entry.email, tuple(dict.fromkeys(entry.roles)))
        normal = []
        for j, item in enumerate(entry.keys):
            key = item if isinstance(item, TrustedKey) else TrustedKey(pem=item)
            span = SourceSpan(name, pointer=f"{where}/keys/{j}")
            public = _public(key.pem)
            if public is None:
                problems.append(
                    Problem("trust.invalid", "not an Ed25519 public key in PEM form", span)
                )
                continue
            ids = (dsse.keyid(public), dsse.legacy_keyid(public))
            if key.keyid is not None and key.keyid not in ids:
                problems.append(
                    Problem(
                        "trust.invalid",
                        f"key id {key.keyid[:16]}... is not this key's ({ids[0][:16]}...)",
                        span,
                        "copy the id `govgate keygen` printed for this key, or leave it out",
                    )
                )
                continue
            for keyid in ids:
                if keyid in keys and keys[keyid][0] != person:
                    problems.append(
                        Problem(
                            "trust.invalid",
                            f"key {ids[0][:16]}... is also {keys[keyid][0].name}'s",
                            span,
                            "one key signs for one person",
                        )
                    )
                    break
                keys[keyid] = (person, public)
            normal.append({"keyid": ids[0], "pem": key.pem})
        people.append(
            {
                "name": entry.name,
                **({"email": entry.email} if entry.email is not None else {}),
                "roles": list(person.roles),
                "keys": normal,
            }
        )
    if problems:
        raise PolicyInvalidError(problems)
    document = {"apiVersion": parsed.apiVersion, "kind": parsed.kind, "approvers": people}
    return Trust(name, keys, document)


def load_trust(path: Path) -> Trust:
    """The trust file at ``path``: a usage error (exit 2) when it is not there, an invalid
    document (exit 3) when it is and is not a valid trust file."""
    name = path.as_posix()
    if not path.is_file():
        raise UsageError(
            f"{name}: no such trust file",
            hint="--trust FILE (or $GOVGATE_TRUST) names the file of approvers' public keys",
        )
    data, unreadable = read_limited(path, name, DEFAULT_LIMITS)
    if data is None:
        assert unreadable is not None
        raise PolicyInvalidError([unreadable])
    return parse_trust(data, name)
