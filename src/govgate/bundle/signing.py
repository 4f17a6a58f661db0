"""Signing an audit bundle's statement: DSSE envelopes of payload type in-toto, Ed25519.

The keys, key ids and envelopes are :mod:`govgate.dsse`'s (a policy pack's manifest is signed
the same way); this module fixes the payload type of a bundle, ``application/vnd.in-toto+json``,
and keeps the names the bundle code and its users import. A key's id is the one
securesystemslib and in-toto compute (:func:`keyid`); envelopes written before carry the sha256
of the raw public key (:func:`legacy_keyid`), and either id is accepted.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from govgate import dsse
from govgate.dsse import (
    SignatureError,
    generate,
    keyid,
    legacy_keyid,
    load_private,
    load_public,
    pae,
)

PAYLOAD_TYPE = dsse.IN_TOTO_PAYLOAD_TYPE

__all__ = [
    "PAYLOAD_TYPE",
    "SignatureError",
    "generate",
    "keyid",
    "legacy_keyid",
    "load_private",
    "load_public",
    "open_envelope",
    "pae",
    "sign",
]


def sign(payload: bytes, key: Ed25519PrivateKey) -> bytes:
    """A DSSE envelope (canonical JSON) around ``payload``, an in-toto statement."""
    return dsse.sign(payload, key, PAYLOAD_TYPE)


def open_envelope(data: bytes, key: Ed25519PublicKey) -> bytes:
    """The payload of a DSSE envelope whose signature by ``key`` verifies; else raise."""
    return dsse.open_envelope(data, key, PAYLOAD_TYPE)
