"""Ed25519 keys and DSSE envelopes (https://github.com/secure-systems-lab/dsse), for anything
govgate signs: an audit bundle's statement (``bundle/signing.py``), a policy pack's manifest
(``policy/packs.py``).

The signature covers DSSE's pre-authentication encoding, ``PAE(payloadType, payload)``, so the
payload type cannot be swapped: a signed pack manifest is never accepted as a signed statement,
nor the other way round. A key's id is the one securesystemslib and in-toto compute for an
Ed25519 key (:func:`keyid`), so their DSSE verifiers find govgate's signature by it. Envelopes
written before carry the sha256 of the raw public key (:func:`legacy_keyid`); either id is
accepted, since a key id is only a hint of which key to try: what is trusted is that the
signature verifies under the public key the verifier was given.

It sits low (beside ``files``), so the policy layer can verify a pack without importing the
bundle layer.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govgate import canonical, jsonsafe
from govgate.errors import GovgateError, UsageError
from govgate.exitcodes import ExitCode

#: The payload type of an in-toto statement (an audit bundle's ``statement.dsse.json``).
IN_TOTO_PAYLOAD_TYPE = "application/vnd.in-toto+json"


class SignatureError(GovgateError):
    """A signature is missing, malformed or does not verify: exit 8, as a failed verification
    (a policy pack turns it into a ``pack.signature`` problem, exit 3)."""

    exit_code = ExitCode.VERIFY_FAILED


def pae(payload_type: str, payload: bytes) -> bytes:
    kind = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(kind), kind, len(payload), payload)


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def keyid(public: Ed25519PublicKey) -> str:
    """The key id securesystemslib (``SSlibKey.from_crypto``) and in-toto give this key: the
    sha256 of the canonical JSON of its public metadata, ``{"keytype": "ed25519", "keyval":
    {"public": RAW_KEY_HEX}, "scheme": "ed25519"}`` (securesystemslib's
    ``compute_default_keyid``; for these ASCII strings its canonical JSON and RFC 8785 write the
    same bytes)."""
    metadata = {"keytype": "ed25519", "scheme": "ed25519", "keyval": {"public": _raw(public).hex()}}
    return hashlib.sha256(canonical.dumps(metadata)).hexdigest()


def legacy_keyid(public: Ed25519PublicKey) -> str:
    """The key id govgate wrote before it wrote :func:`keyid`: the sha256 of the raw key."""
    return hashlib.sha256(_raw(public)).hexdigest()


def generate(private_path: Path, public_path: Path) -> str:
    """Write a new key pair (private key readable by the owner only); return its key id."""
    for path in (private_path, public_path):
        if path.exists():
            raise UsageError(
                f"{path}: already exists", hint="choose another name; keys are never overwritten"
            )
    key = Ed25519PrivateKey.generate()
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    fd = os.open(private_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private)
    public_path.write_bytes(public)
    return keyid(key.public_key())


def load_private(path: Path) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable unencrypted PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"{path}: not an Ed25519 key", hint="make one with `govgate keygen`")
    return key


def load_public(path: Path) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(path.read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable PEM public key ({exc})") from None
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"{path}: not an Ed25519 public key")
    return key


def sign(payload: bytes, key: Ed25519PrivateKey, payload_type: str) -> bytes:
    """A DSSE envelope (canonical JSON) around ``payload``, of ``payload_type``."""
    signature = key.sign(pae(payload_type, payload))
    envelope = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": payload_type,
        "signatures": [
            {"keyid": keyid(key.public_key()), "sig": base64.b64encode(signature).decode()}
        ],
    }
    return canonical.dumps(envelope)


def read_envelope(data: bytes, payload_type: str) -> tuple[bytes, list[dict[str, Any]]]:
    """The payload and the signature entries of an envelope of ``payload_type``, **not
    verified** (what it claims, for a consistency check or to say which key signed it)."""
    try:
        envelope: dict[str, Any] = jsonsafe.loads(data)
        payload = base64.b64decode(envelope["payload"], validate=True)
        found_type = envelope["payloadType"]
        signatures = envelope["signatures"]
    except (ValueError, KeyError, TypeError) as exc:
        raise SignatureError(f"the signature envelope is malformed ({exc})") from None
    if found_type != payload_type:
        raise SignatureError(f"unexpected payload type {found_type!r}")
    entries = [
        e for e in (signatures if isinstance(signatures, list) else []) if isinstance(e, dict)
    ]
    return payload, entries


def open_envelope(data: bytes, key: Ed25519PublicKey, payload_type: str) -> bytes:
    """The payload of a DSSE envelope of ``payload_type`` whose signature by ``key``
    verifies; else raise :class:`SignatureError`."""
    payload, signatures = read_envelope(data, payload_type)
    wanted = keyid(key)
    ids = {wanted, legacy_keyid(key)}  # the id written now, and the one written before
    entries = [entry for entry in signatures if entry.get("keyid") in ids]
    if not entries:
        raise SignatureError(f"no signature by key {wanted[:16]}... in the envelope")
    for entry in entries:
        try:
            key.verify(base64.b64decode(entry["sig"], validate=True), pae(payload_type, payload))
        except (InvalidSignature, ValueError, KeyError, TypeError):
            continue
        return payload
    raise SignatureError("the signature does not verify with this key")
