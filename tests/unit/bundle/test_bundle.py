"""Audit bundles: a tampered bundle never verifies; writing is atomic; archives are safe."""

from __future__ import annotations

import io
import json
import os
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgate.bundle import build, reader, store
from govgate.bundle.limits import BundleError
from govgate.bundle.signing import generate, load_public
from govgate.bundle.verify import verify
from govgate.errors import OutputError, UsageError
from govgate.exitcodes import ExitCode
from tests.support.decisions import build_scenario, signed_contents


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]) -> dict[str, bytes]:
    """The files of a signed bundle for the 'waived' scenario (policies, waiver, tables)."""
    built = build_scenario("waived", tmp_path_factory.mktemp("bundle"))
    return signed_contents(built, keys[0])


def test_a_signed_bundle_verifies(bundle: dict[str, bytes], keys: tuple[Path, Path]) -> None:
    result = verify(bundle, load_public(keys[1]))
    assert result.problems == []
    assert result.signature_verified
    assert result.replayed
    assert result.verdict == "PASS"
    statement = json.loads(bundle["statement.json"])
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"] == "https://govgate.dev/attestation/release-decision/v1"
    assert statement["subject"][0]["name"].startswith("mlflow-run:")
    assert "no content digest" in statement["predicate"]["subject_basis"]
    assert {r["outcome"] for r in statement["predicate"]["rules"]} == {"pass", "waived"}
    assert set(bundle) >= {
        "manifest.json",
        "statement.json",
        "statement.dsse.json",
        "decision.json",
        "risk.json",
        "report.html",
        "report.md",
        "environment.json",
        "policies/index.json",
        "evidence/evidence.json",
    }


def test_without_a_key_a_signed_bundle_verifies_but_says_so(bundle: dict[str, bytes]) -> None:
    result = verify(bundle)
    assert result.ok
    assert result.signed
    assert not result.signature_verified


def _digest_differs(name: str) -> str:
    return f"modified: {name} (its sha256 differs from the manifest)"


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        # a listed file: its digest no longer matches the manifest's entry
        ("decision.json", _digest_differs("decision.json")),
        ("risk.json", _digest_differs("risk.json")),
        ("report.html", _digest_differs("report.html")),
        ("report.md", _digest_differs("report.md")),
        ("environment.json", _digest_differs("environment.json")),
        ("policies/index.json", _digest_differs("policies/index.json")),
        ("evidence/evidence.json", _digest_differs("evidence/evidence.json")),
        # the unlisted files are caught by the chain above them
        ("manifest.json", "modified: manifest.json (the statement names another manifest)"),
        ("statement.json", "modified: statement.json (differs from the signed statement)"),
        ("statement.dsse.json", "signature: the signature does not verify with this key"),
    ],
)
def test_changing_a_byte_of_any_file_fails(
    bundle: dict[str, bytes], keys: tuple[Path, Path], name: str, problem: str
) -> None:
    data = bytearray(bundle[name])
    data[len(data) // 2] ^= 0x01
    result = verify({**bundle, name: bytes(data)}, load_public(keys[1]))
    assert not result.ok
    assert problem in result.problems, result.problems


@settings(max_examples=40)
@given(st.data())
def test_any_byte_of_any_file(
    bundle: dict[str, bytes], keys: tuple[Path, Path], data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(bundle)))
    blob = bytearray(bundle[name])
    at = data.draw(st.integers(0, len(blob) - 1))
    blob[at] = data.draw(st.integers(0, 255).filter(lambda b: b != blob[at]))
    assert not verify({**bundle, name: bytes(blob)}, load_public(keys[1])).ok


def test_policy_and_table_bytes_are_covered(
    bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    for name in sorted(n for n in bundle if n.endswith((".yaml", ".parquet"))):
        data = bytearray(bundle[name])
        data[-1] ^= 0x01
        result = verify({**bundle, name: bytes(data)}, load_public(keys[1]))
        assert f"modified: {name} (its sha256 differs from the manifest)" in result.problems


@pytest.mark.parametrize(
    "name",
    [
        "decision.json",
        "evidence/evidence.json",
        "policies/index.json",
        "manifest.json",
        "statement.json",
    ],
)
def test_removing_a_file_fails(
    bundle: dict[str, bytes], keys: tuple[Path, Path], name: str
) -> None:
    files = {k: v for k, v in bundle.items() if k != name}
    result = verify(files, load_public(keys[1]))
    assert f"missing: {name}" in " ".join(result.problems)


def test_adding_a_file_fails(bundle: dict[str, bytes]) -> None:
    result = verify({**bundle, "notes.txt": b"trust me"})
    assert result.problems == ["unexpected: notes.txt (not in the manifest)"]


def test_removing_the_signature_fails_when_a_key_is_given(
    bundle: dict[str, bytes], keys: tuple[Path, Path]
) -> None:
    stripped = {k: v for k, v in bundle.items() if k != "statement.dsse.json"}
    result = verify(stripped, load_public(keys[1]))
    assert result.problems == [
        "missing: statement.dsse.json (the bundle is not signed, and a key was given)"
    ]


def test_another_key_does_not_verify(bundle: dict[str, bytes], tmp_path: Path) -> None:
    generate(tmp_path / "o.pem", tmp_path / "o.pub")
    result = verify(bundle, load_public(tmp_path / "o.pub"))
    assert any(p.startswith("signature: no signature by key") for p in result.problems)


def test_a_consistent_forgery_is_caught_by_replay(bundle: dict[str, bytes]) -> None:
    """Edit the verdict and recompute every digest: only the replay can tell."""
    decision = json.loads(bundle["decision.json"])
    decision["verdict"] = "FAIL"
    from govgate import canonical

    files = {k: v for k, v in bundle.items() if k not in ("statement.dsse.json",)}
    files["decision.json"] = canonical.dumps(decision)
    files["manifest.json"] = build.manifest(files)
    statement = json.loads(files["statement.json"])
    statement["predicate"]["manifest_sha256"] = build.sha256(files["manifest.json"])
    files["statement.json"] = canonical.dumps(statement)
    result = verify(files)
    assert "replay: decision.json differs from a re-evaluation of the bundle" in result.problems


@pytest.mark.parametrize("suffix", [".tar.gz", ".zip"])
def test_archives_round_trip_and_verify(
    bundle: dict[str, bytes], keys: tuple[Path, Path], tmp_path: Path, suffix: str
) -> None:
    target = tmp_path / f"bundle{suffix}"
    store.write_archive(target, bundle)
    first = target.read_bytes()
    store.write_archive(target, bundle)
    assert target.read_bytes() == first  # deterministic
    assert reader.read(target) == bundle
    assert verify(reader.read(target), load_public(keys[1])).ok


def _tar(members: list[tarfile.TarInfo], tmp_path: Path) -> Path:
    path = tmp_path / "evil.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for member in members:
            tar.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return path


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "symlink", "hardlink", "device"])
def test_archives_never_escape(tmp_path: Path, kind: str) -> None:
    member = tarfile.TarInfo({"dotdot": "../escape.txt", "absolute": "/tmp/abs.txt"}.get(kind, "x"))
    member.size = 1
    if kind == "symlink":
        member.type, member.linkname, member.size = tarfile.SYMTYPE, "/etc/passwd", 0
    elif kind == "hardlink":
        member.type, member.linkname, member.size = tarfile.LNKTYPE, "/etc/passwd", 0
    elif kind == "device":
        member.type, member.size = tarfile.CHRTYPE, 0
    path = _tar([member], tmp_path)
    with pytest.raises(BundleError):
        reader.read(path)
    assert not (tmp_path.parent / "escape.txt").exists()


def test_zip_member_outside_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("../../escape.txt", b"x")
    with pytest.raises(BundleError, match="unsafe member name"):
        reader.read(path)


def test_directory_appears_whole_or_not_at_all(
    bundle: dict[str, bytes], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out"
    calls = {"n": 0}
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 5:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OutputError, match=r"could not write the audit bundle .*No space left") as e:
        store.write_directory(target, bundle)
    assert e.value.exit_code == ExitCode.IO_ERROR.value == 9  # the machine refused: not a crash
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []  # the partial folder is gone too


def test_concurrent_writers_never_corrupt_a_bundle(
    bundle: dict[str, bytes], tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    target = tmp_path / "same"
    outcomes: list[str] = []

    def write() -> None:
        try:
            store.write_directory(target, bundle)
            outcomes.append("written")
        except (UsageError, OutputError) as exc:  # it exists / another writer got there first
            outcomes.append("refused" if exc.exit_code in (2, 9) else "?")

    threads = [threading.Thread(target=write) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("written") == 1
    assert outcomes.count("refused") == 5
    assert verify(reader.read(target), load_public(keys[1])).ok
    assert [p.name for p in tmp_path.iterdir()] == ["same"]  # no partial folders left


def test_an_existing_bundle_is_never_overwritten(bundle: dict[str, bytes], tmp_path: Path) -> None:
    store.write_directory(tmp_path / "b", bundle)
    with pytest.raises(UsageError, match="already exists"):
        store.write_directory(tmp_path / "b", bundle)


def test_links_in_a_bundle_directory_are_refused(bundle: dict[str, bytes], tmp_path: Path) -> None:
    store.write_directory(tmp_path / "b", bundle)
    (tmp_path / "b" / "link").symlink_to("/etc/passwd")
    with pytest.raises(BundleError, match="not a regular file"):
        reader.read(tmp_path / "b")


def test_a_bundle_in_an_older_decision_format_says_so(bundle: dict[str, bytes]) -> None:
    """Not tampering: a format this govgate does not replay, named with the version to use."""
    old = json.loads(bundle["decision.json"])
    old["format"] = "govgate.decision/v1"
    result = verify({**bundle, "decision.json": json.dumps(old).encode()})
    assert not result.ok
    assert not result.replayed
    assert (
        "replay: the decision is in format 'govgate.decision/v1', and this govgate replays "
        "'govgate.decision/v4': verify it with the govgate version that wrote it "
        f"({old['govgate_version']})"
    ) in result.problems
