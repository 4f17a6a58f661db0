"""A govgate bundle's signed attestation, checked by other tools: securesystemslib's DSSE
verification and in-toto's metadata API, with the public key loaded the way their users load
one; and the statement's subject in the form in-toto and cosign compare (lowercase hex)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key

# in-toto ships no py.typed marker; securesystemslib.signer re-exports SSlibKey without __all__
from in_toto.exceptions import SignatureVerificationError  # type: ignore[import-untyped]
from in_toto.models import metadata as in_toto  # type: ignore[import-untyped]
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey  # type: ignore[attr-defined]

from govgate import canonical
from govgate.bundle import build
from govgate.bundle.signing import (
    SignatureError,
    generate,
    keyid,
    legacy_keyid,
    load_private,
    load_public,
    open_envelope,
)
from govgate.bundle.verify import verify
from govgate.cli import main
from govgate.evidence.mlflow import read as mlflow_read
from tests.support.decisions import Built, build_scenario, signed_contents

LOWER_HEX_64 = re.compile(r"[0-9a-f]{64}")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build_scenario("pass", tmp_path_factory.mktemp("bundle"))


@pytest.fixture(scope="module")
def bundle(built: Built, keys: tuple[Path, Path]) -> dict[str, bytes]:
    return signed_contents(built, keys[0])


def sslib_key(public_pem: Path) -> SSlibKey:
    """The public key as a securesystemslib user loads a PEM file (1.6 has no ``from_pem``)."""
    return SSlibKey.from_crypto(load_pem_public_key(public_pem.read_bytes()))


def envelope_of(bundle: dict[str, bytes]) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(bundle["statement.dsse.json"])
    return value


def test_the_key_id_is_the_one_securesystemslib_computes(keys: tuple[Path, Path]) -> None:
    public = load_public(keys[1])
    key = sslib_key(keys[1])
    assert keyid(public) == key.keyid
    raw_hex = key.keyval["public"]
    assert (
        keyid(public)
        == hashlib.sha256(
            b'{"keytype":"ed25519","keyval":{"public":"%s"},"scheme":"ed25519"}' % raw_hex.encode()
        ).hexdigest()
    )
    assert legacy_keyid(public) == hashlib.sha256(bytes.fromhex(raw_hex)).hexdigest()
    assert legacy_keyid(public) != keyid(public)


def test_keygen_prints_the_key_id_the_envelope_carries(
    tmp_path: Path, bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    out, err = io.StringIO(), io.StringIO()
    assert main(["keygen", "--out", str(tmp_path / "k")], stdout=out, stderr=err) == 0
    assert out.getvalue().endswith(f"\nkey id {sslib_key(tmp_path / 'k.pub').keyid}\n")
    assert [s["keyid"] for s in envelope_of(bundle)["signatures"]] == [sslib_key(keys[1]).keyid]


def test_securesystemslib_verifies_the_envelope(
    bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    envelope = Envelope.from_dict(envelope_of(bundle))
    key = sslib_key(keys[1])
    assert envelope.payload_type == "application/vnd.in-toto+json"
    assert envelope.payload == bundle["statement.json"]
    assert list(envelope.verify([key], 1)) == [key.keyid]


def test_securesystemslib_refuses_a_changed_statement(
    bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    data = envelope_of(bundle)
    statement = json.loads(base64.b64decode(data["payload"]))
    statement["predicate"]["verdict"] = "FAIL"
    data["payload"] = base64.b64encode(canonical.dumps(statement)).decode()
    with pytest.raises(VerificationError):
        Envelope.from_dict(data).verify([sslib_key(keys[1])], 1)


def test_in_toto_loads_and_verifies_the_envelope(
    bundle: dict[str, bytes], keys: tuple[Path, Path], tmp_path: Path
) -> None:
    metadata = in_toto.Metadata.from_dict(envelope_of(bundle))
    assert isinstance(metadata, in_toto.Envelope)
    key = sslib_key(keys[1])
    metadata.verify_signature({**key.to_dict(), "keyid": key.keyid})  # raises if it fails
    generate(tmp_path / "other.pem", tmp_path / "other.pub")
    other = sslib_key(tmp_path / "other.pub")
    with pytest.raises(SignatureVerificationError):
        metadata.verify_signature({**other.to_dict(), "keyid": other.keyid})


def test_the_statement_is_in_toto_v1_with_a_subject_cosign_can_match(
    bundle: dict[str, bytes],
) -> None:
    statement = json.loads(bundle["statement.json"])
    assert set(statement) == {"_type", "subject", "predicateType", "predicate"}
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == build.PREDICATE_TYPE
    [subject] = statement["subject"]
    assert set(subject) == {"name", "digest"}
    assert set(subject["digest"]) == {"sha256"}
    assert LOWER_HEX_64.fullmatch(subject["digest"]["sha256"])
    # without a model digest, the subject is the snapshot file itself: the blob cosign is given
    evidence = bundle["evidence/evidence.json"]
    assert subject["digest"]["sha256"] == hashlib.sha256(evidence).hexdigest()


def _with_model_digest(built: Built, digest: str | None) -> dict[str, Any]:
    candidate = built.decision.candidate.model_copy(
        update={"model": "assistant", "version": "7", "model_digest": digest}
    )
    decision = built.decision.model_copy(update={"candidate": candidate})
    manifest = build.manifest({"x": b"x"})
    statement: dict[str, Any] = json.loads(build.statement(decision, built.risk, manifest))
    return statement


def test_a_well_formed_model_digest_is_the_subject(built: Built) -> None:
    statement = _with_model_digest(built, "sha256:" + "0123456789abcdef" * 4)
    assert statement["subject"] == [
        {"name": "model:assistant/7", "digest": {"sha256": "0123456789abcdef" * 4}}
    ]
    assert statement["predicate"]["subject_basis"] == "model content digest"


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:" + "AB" * 32,  # uppercase hex
        "sha256:" + "zz" * 32,  # not hex
        "sha256:" + "ab" * 31 + "a",  # 63 digits
        "sha256:" + "ab" * 32 + "\n",  # a trailing newline
        "SHA256:" + "ab" * 32,
        "sha512:" + "ab" * 32,
        "",
    ],
)
def test_a_malformed_model_digest_is_never_signed(built: Built, digest: str) -> None:
    statement = _with_model_digest(built, digest)
    [subject] = statement["subject"]
    assert subject["name"].startswith("mlflow-run:")
    assert subject["digest"] == {"sha256": built.decision.evidence_digest}
    assert "not attested" in statement["predicate"]["subject_basis"]


def test_the_bundle_and_the_mlflow_reader_accept_one_digest_form() -> None:
    assert build.MODEL_DIGEST.pattern == mlflow_read.MODEL_DIGEST.pattern


def _resigned(bundle: dict[str, bytes], private: Path, ids: list[str]) -> bytes:
    """The bundle's envelope, signed again by ``private``, once under each key id."""
    data = envelope_of(bundle)
    key = load_private(private)
    sig = base64.b64encode(key.sign(build_pae(data))).decode()
    data["signatures"] = [{"keyid": i, "sig": sig} for i in ids]
    return canonical.dumps(data)


def build_pae(data: dict[str, Any]) -> bytes:
    payload = base64.b64decode(data["payload"])
    return Envelope(payload, data["payloadType"], {}).pae()  # securesystemslib's own PAE


def test_a_bundle_signed_under_the_old_key_id_still_verifies(
    bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    public = load_public(keys[1])
    old = _resigned(bundle, keys[0], [legacy_keyid(public)])
    assert open_envelope(old, public) == bundle["statement.json"]
    result = verify({**bundle, "statement.dsse.json": old}, public)
    assert result.problems == []
    assert result.signature_verified


def test_a_key_id_is_only_a_hint_the_signature_decides(
    bundle: dict[str, bytes], keys: tuple[Path, Path], tmp_path: Path
) -> None:
    public = load_public(keys[1])
    generate(tmp_path / "o.pem", tmp_path / "o.pub")
    # the right key ids on another key's signature: refused, under the new id and the old one
    for ids in ([keyid(public)], [legacy_keyid(public)]):
        forged = _resigned(bundle, tmp_path / "o.pem", ids)
        with pytest.raises(SignatureError, match="does not verify with this key"):
            open_envelope(forged, public)
    # a signature under an id that is neither: not this key's
    unknown = _resigned(bundle, keys[0], ["0" * 64])
    with pytest.raises(SignatureError, match="no signature by key"):
        open_envelope(unknown, public)
