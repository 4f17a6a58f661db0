"""Hostile bundles given to `govgate verify`: each fails verification (exit 8) with a problem
naming the file and what is wrong, never an internal error, a hang or gigabytes of memory.

The bundles are a real signed one (the 'waived' scenario), then damaged the way an attacker
would: a sparse file, a zip bomb, a manifest of the wrong shape, JSON nested 100,000 deep,
encrypted or strangely compressed members, corrupt archives, links, devices and FIFOs.
"""

from __future__ import annotations

import io
import os
import shutil
import stat
import tarfile
import threading
import tracemalloc
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate.bundle import store
from govgate.bundle.signing import generate
from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.decisions import build_scenario, signed_contents

MIB = 1024**2
DEEP = b"[" * 100_000


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, bytes], Path]:
    """The files of a signed bundle, and the public key that verifies it."""
    root = tmp_path_factory.mktemp("signed")
    generate(root / "k.pem", root / "k.pub")
    built = build_scenario("waived", root / "work")
    files = signed_contents(built, root / "k.pem")
    return files, root / "k.pub"


@pytest.fixture
def folder(signed: tuple[dict[str, bytes], Path], tmp_path: Path) -> Path:
    """A fresh copy of the signed bundle as a directory, to damage."""
    store.write_directory(tmp_path / "bundle", signed[0])
    return tmp_path / "bundle"


def verify(path: Path, *options: str) -> tuple[int, str]:
    """`govgate verify PATH`, in-process: the exit code and everything printed."""
    out, err = io.StringIO(), io.StringIO()
    code = main(["verify", str(path), *options], stdout=out, stderr=err)
    text = out.getvalue() + err.getvalue()
    assert "internal error" not in text
    return code, text


def zipped(files: dict[str, bytes], path: Path, method: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        for name in sorted(files):
            zf.writestr(name, files[name])
    return path


def central_entry(data: bytes, name: str | None = None) -> int:
    """The offset of the central directory record of member ``name`` (else of the first one)
    in the zip bytes ``data``, found from the end record."""
    end = data.rindex(b"PK\x05\x06")
    start = int.from_bytes(data[end + 16 : end + 20], "little")
    at = start if name is None else data.index(name.encode(), start) - 46
    assert data[at : at + 4] == b"PK\x01\x02"
    return at


def patched(data: bytes, at: int, value: int, width: int) -> bytes:
    return data[:at] + value.to_bytes(width, "little") + data[at + width :]


# -- problem 1: sizes from stat, before reading ----------------------------------------------------


def test_a_sparse_file_in_a_bundle_directory_is_refused_from_stat_without_being_read(
    folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    big = folder / "evidence" / "big.bin"
    big.touch()
    os.truncate(big, 1024 * MIB)  # 1 GiB on paper, no disk used
    opened: list[str] = []
    real_open = os.open

    def spy(path: str | os.PathLike[str], flags: int, *args: int, **kwargs: int) -> int:
        opened.append(os.fspath(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(os, "open", spy)
    code, out = verify(folder)
    assert code == ExitCode.VERIFY_FAILED
    assert (
        "unreadable: evidence/big.bin: 1073741824 bytes, more than the 128 MiB govgate reads "
        "of one bundle file; no bundle govgate writes comes near these limits: get the bundle "
        "again from where it was produced"
    ) in out
    assert not [p for p in opened if p.endswith("big.bin")]


def test_folders_nested_deeper_than_any_bundle_are_refused_without_recursion(
    folder: Path,
) -> None:
    chain = [folder / "a"]
    for _ in range(1_100):  # beyond Python's recursion limit, within PATH_MAX
        chain[-1].mkdir()
        chain.append(chain[-1] / "a")
    try:
        code, out = verify(folder)
    finally:  # shutil.rmtree (pytest's clean-up) would recurse 1,100 deep
        for here in reversed(chain[:-1]):
            here.rmdir()
    assert code == ExitCode.VERIFY_FAILED
    assert "a/a/a/a/a/a/a/a/a: nested more than 8 folders deep in the bundle" in out


def test_more_entries_than_any_bundle_are_refused_while_listing(folder: Path) -> None:
    extra = folder / "extra"
    extra.mkdir()
    for i in range(10_000):
        (extra / f"{i}").touch()
    code, out = verify(folder)
    assert code == ExitCode.VERIFY_FAILED
    assert "the bundle has more than 10000 entries, more than govgate reads" in out


# -- problem 2: archives checked from their headers, then inflated with a cap ----------------------


def _zip_bomb(files: dict[str, bytes], path: Path, sizes: list[int]) -> Path:
    """The bundle, plus members of zeros of these sizes (deflate makes each ~1000x smaller)."""
    zipped(files, path)
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for i, size in enumerate(sizes):
            with zf.open(f"evidence/padding-{i}.bin", "w") as member:
                for _ in range(size // (16 * MIB)):
                    member.write(bytes(16 * MIB))
    return path


def _peak_while(run: Callable[[], tuple[int, str]]) -> tuple[int, str, int]:
    tracemalloc.start()
    try:
        code, out = run()
        return code, out, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(
    ("sizes", "problem"),
    [
        ([160 * MIB], "evidence/padding-0.bin: 167772160 bytes, more than the 128 MiB"),
        ([96 * MIB] * 3, "evidence/padding-2.bin: the bundle's files add up to more than the 256"),
    ],
)
def test_a_zip_bomb_is_refused_from_its_declared_sizes_before_anything_is_inflated(
    signed: tuple[dict[str, bytes], Path], tmp_path: Path, sizes: list[int], problem: str
) -> None:
    bomb = _zip_bomb(signed[0], tmp_path / "bomb.zip", sizes)
    assert bomb.stat().st_size < 2 * MIB
    code, out, peak = _peak_while(lambda: verify(bomb))
    assert code == ExitCode.VERIFY_FAILED
    assert f"unreadable: {bomb}: {problem}" in out
    assert peak < 64 * MIB


def test_a_tar_gz_bomb_is_refused_from_its_member_header_before_it_is_read(
    signed: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    bomb = tmp_path / "bomb.tar.gz"
    with tarfile.open(bomb, "w:gz", compresslevel=1) as tar, open("/dev/zero", "rb") as zeros:
        for name, data in sorted(signed[0].items()):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
        padding = tarfile.TarInfo("evidence/padding.bin")
        padding.size = 160 * MIB
        tar.addfile(padding, zeros)  # copied in chunks: the test holds no 160 MiB either
    assert bomb.stat().st_size < 2 * MIB
    code, out, peak = _peak_while(lambda: verify(bomb))
    assert code == ExitCode.VERIFY_FAILED
    assert f"unreadable: {bomb}: evidence/padding.bin: 167772160 bytes, more than the 128" in out
    assert peak < 64 * MIB


def test_a_zip_that_declares_3_gib_is_refused_unread(
    signed: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    path = zipped({**signed[0], "evidence/padding.bin": bytes(1024)}, tmp_path / "b.zip")
    data = path.read_bytes()
    path.write_bytes(patched(data, central_entry(data, "evidence/padding.bin") + 24, 3 << 30, 4))
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert "evidence/padding.bin: 3221225472 bytes, more than the 128 MiB govgate reads" in out


def test_a_zip_that_understates_a_member_never_inflates_past_what_it_declares(
    signed: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    """The directory says 1 KiB; the data inflates to 160 MiB: read stops at 1 KiB, refused."""
    bomb = _zip_bomb(signed[0], tmp_path / "liar.zip", [160 * MIB])
    data = bomb.read_bytes()
    bomb.write_bytes(patched(data, central_entry(data, "evidence/padding-0.bin") + 24, 1024, 4))
    code, out, peak = _peak_while(lambda: verify(bomb))
    assert code == ExitCode.VERIFY_FAILED
    assert "not a readable bundle archive: corrupt or truncated" in out
    assert "evidence/padding-0.bin" in out
    assert peak < 64 * MIB


@pytest.mark.parametrize(
    ("offset", "value", "problem"),
    [
        (12, 64 * MIB, "its zip directory is 67108864 bytes, more than the 4 MiB govgate reads"),
        (None, 0, "a ZIP64 archive: larger than any bundle govgate writes"),
    ],
)
def test_a_zip_directory_larger_than_any_bundle_is_refused_before_it_is_parsed(
    signed: tuple[dict[str, bytes], Path],
    tmp_path: Path,
    offset: int | None,
    value: int,
    problem: str,
) -> None:
    path = zipped(signed[0], tmp_path / "b.zip")
    data = path.read_bytes()
    end = data.rindex(b"PK\x05\x06")
    if offset is None:  # a ZIP64 locator just before the end record: zipfile would follow it
        data = data[:end] + b"PK\x06\x07" + bytes(16) + data[end:]
    else:
        data = patched(data, end + offset, value, 4)
    path.write_bytes(data)
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert problem in out


# -- problem 3: shapes and archives that crashed verify -------------------------------------------


@pytest.mark.parametrize(
    ("manifest", "problem"),
    [
        (b'{"files": []}', "its 'files' must map file names to digests, and it holds a list"),
        (b'{"files": 5}', "its 'files' must map file names to digests, and it holds a number"),
        (b"[]", "its 'files' must map file names to digests, and the file is a list"),
        (b'{"files": {"a": "x"}}', "the entry of 'a' has no sha256 string: a string"),
        (b'{"files": {"decision.json": "x"}}', "the entry of 'decision.json' has no sha256"),
        (b'{"files": {"decision.json": {"sha256": 5}}}', "the entry of 'decision.json' has no"),
        (b'{"files": [["a"]]}', "its 'files' must map file names to digests"),
    ],
)
def test_a_manifest_of_the_wrong_shape_fails_verification_saying_what_it_holds(
    folder: Path, manifest: bytes, problem: str
) -> None:
    (folder / "manifest.json").write_bytes(manifest)
    code, out = verify(folder)
    assert code == ExitCode.VERIFY_FAILED
    assert f"modified: manifest.json is not a govgate manifest ({problem}" in out


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("manifest.json", "modified: manifest.json is not valid JSON (nested deeper than"),
        ("statement.json", "modified: statement.json is not valid JSON (nested deeper than"),
        ("decision.json", "replay: cannot re-evaluate the bundle (decision.json is not valid"),
        ("policies/index.json", "(policies/index.json is not valid JSON (nested deeper than"),
        ("evidence/evidence.json", "(evidence/evidence.json is not valid JSON (nested deeper"),
        ("statement.dsse.json", "signature: the signature envelope is malformed (nested deeper"),
    ],
)
def test_json_nested_100000_deep_in_any_bundle_file_fails_verification_naming_it(
    folder: Path, signed: tuple[dict[str, bytes], Path], name: str, problem: str
) -> None:
    (folder / name).write_bytes(DEEP)
    code, out = verify(folder, "--key", str(signed[1]))
    assert code == ExitCode.VERIFY_FAILED
    assert problem in out
    assert "than the 64 levels allowed" in out


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("decision.json", b'{"format": 1, "format": 2}', "duplicate key 'format' in an object"),
        ("evidence/evidence.json", b'{"n": NaN}', "NaN is not JSON (no canonical form)"),
        ("policies/index.json", b"[1e999]", "the number 1e999 is too large for a float"),
        ("statement.json", b'{"x": "\\ud800"}', "a lone surrogate escape \\ud800 in a string"),
    ],
)
def test_json_a_canonical_form_cannot_hold_is_refused_naming_the_file(
    folder: Path, name: str, text: bytes, problem: str
) -> None:
    (folder / name).write_bytes(text)
    code, out = verify(folder)
    assert code == ExitCode.VERIFY_FAILED
    assert f"{name} is not valid JSON ({problem}" in out


def _flag_first_member(data: bytes, flags: int, method: int | None) -> bytes:
    """Set the general-purpose flags (and the method) of the first member, in both headers."""
    central = central_entry(data)
    data = patched(patched(data, 6, flags, 2), central + 8, flags, 2)
    if method is not None:
        data = patched(patched(data, 8, method, 2), central + 10, method, 2)
    return data


@pytest.mark.parametrize(
    ("written", "flags", "method", "problem"),
    [
        (zipfile.ZIP_STORED, 0x01, None, "decision.json: encrypted in the archive; a bundle is"),
        (zipfile.ZIP_STORED, 0x00, 99, "decision.json: compressed with zip method 99, which"),
        (zipfile.ZIP_LZMA, 0x00, None, "decision.json: compressed with zip method 14, which"),
    ],
)
def test_an_encrypted_or_strangely_compressed_zip_member_is_refused_by_name(
    signed: tuple[dict[str, bytes], Path],
    tmp_path: Path,
    written: int,
    flags: int,
    method: int | None,
    problem: str,
) -> None:
    path = zipped(signed[0], tmp_path / "b.zip", written)
    if flags or method is not None:
        path.write_bytes(_flag_first_member(path.read_bytes(), flags, method))
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert f"unreadable: {path}: {problem}" in out


def _damaged(data: bytes, how: str) -> bytes:
    if how == "truncated":
        return data[: len(data) // 2]
    flipped = bytearray(data)
    flipped[200 if how == "early byte" else len(data) // 2] ^= 0xFF
    return bytes(flipped)


@pytest.mark.parametrize("suffix", [".zip", ".tar.gz"])
@pytest.mark.parametrize("how", ["truncated", "early byte", "middle byte"])
def test_a_corrupt_or_truncated_archive_fails_verification_as_corrupt(
    signed: tuple[dict[str, bytes], Path], tmp_path: Path, suffix: str, how: str
) -> None:
    path = tmp_path / f"bundle{suffix}"
    store.write_archive(path, signed[0])
    path.write_bytes(_damaged(path.read_bytes(), how))
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert f"unreadable: {path}: not a readable bundle archive: corrupt or truncated (" in out
    assert "get the archive again from where it was produced" in out


def _tar_with(member: tarfile.TarInfo, path: Path) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        tar.addfile(member)
    return path


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        (tarfile.SYMTYPE, "a symbolic link"),
        (tarfile.LNKTYPE, "a hard link"),
        (tarfile.CHRTYPE, "a character device"),
        (tarfile.BLKTYPE, "a block device"),
        (tarfile.FIFOTYPE, "a FIFO (named pipe)"),
    ],
)
def test_a_link_device_or_fifo_in_a_tar_is_refused_naming_what_it_is(
    tmp_path: Path, kind: bytes, words: str
) -> None:
    member = tarfile.TarInfo("decision.json")
    member.type, member.linkname = kind, "/etc/passwd"
    path = _tar_with(member, tmp_path / "b.tar.gz")
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert f"decision.json: {words} in the archive, not a regular file" in out


@pytest.mark.parametrize(
    ("mode", "name", "problem"),
    [
        (stat.S_IFLNK | 0o777, "decision.json", "a symbolic link in the archive"),
        (stat.S_IFCHR | 0o644, "decision.json", "a character device in the archive"),
        (stat.S_IFIFO | 0o644, "decision.json", "a FIFO (named pipe) in the archive"),
        (stat.S_IFDIR | 0o755, "decision.json", "a directory entry without a trailing '/'"),
        (stat.S_IFDIR | 0o755, "policies/", "policies/: a directory entry with content"),
    ],
)
def test_a_link_device_fifo_or_folder_posing_as_a_file_in_a_zip_is_refused(
    tmp_path: Path, mode: int, name: str, problem: str
) -> None:
    path = tmp_path / "b.zip"
    with zipfile.ZipFile(path, "w") as zf:
        entry = zipfile.ZipInfo(name)
        entry.external_attr = mode << 16
        zf.writestr(entry, b"/etc/passwd")
    code, out = verify(path)
    assert code == ExitCode.VERIFY_FAILED
    assert problem in out


def test_empty_folder_entries_as_tar_and_zip_write_them_still_verify(
    folder: Path, signed: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    """``tar -C bundle -czf b.tgz .`` and ``zip -r``: a reviewer re-archiving a bundle."""
    with tarfile.open(tmp_path / "b.tar.gz", "w:gz") as tar:
        tar.add(folder, arcname=".")
    with zipfile.ZipFile(tmp_path / "b.zip", "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, path.relative_to(folder).as_posix())
    assert any(info.is_dir() for info in zipfile.ZipFile(tmp_path / "b.zip").infolist())
    for archive in (tmp_path / "b.tar.gz", tmp_path / "b.zip"):
        code, out = verify(archive, "--key", str(signed[1]))
        assert code == ExitCode.OK, out
        assert "signature verified" in out


# -- problem 5: FIFOs never hang a verification ---------------------------------------------------


def _verify_within(path: Path, seconds: float) -> tuple[int, str] | None:
    """`govgate verify PATH` in a thread; None if it was still blocked after ``seconds`` (then
    it is given a writer, so that the blocked open returns and the thread ends)."""
    results: list[tuple[int, str]] = []
    thread = threading.Thread(target=lambda: results.append(verify(path)), daemon=True)
    thread.start()
    thread.join(seconds)
    if not thread.is_alive():
        return results[0]
    os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    thread.join(seconds)
    return None


@pytest.mark.parametrize("name", ["bundle.zip", "bundle.tar.gz", "bundle"])
def test_a_fifo_named_as_the_bundle_is_refused_from_stat_without_hanging(
    tmp_path: Path, name: str
) -> None:
    fifo = tmp_path / name
    os.mkfifo(fifo)
    result = _verify_within(fifo, 10)
    assert result is not None, "verify blocked on the FIFO"
    code, out = result
    assert code == ExitCode.VERIFY_FAILED
    assert f"unreadable: {fifo}: a FIFO (named pipe), not a bundle directory or archive" in out


def test_a_fifo_inside_a_bundle_directory_is_refused_from_lstat_without_hanging(
    folder: Path,
) -> None:
    os.mkfifo(folder / "evidence" / "pipe")
    result = _verify_within(folder, 10)
    assert result is not None, "verify blocked on the FIFO"
    code, out = result
    assert code == ExitCode.VERIFY_FAILED
    assert "unreadable: evidence/pipe: a FIFO (named pipe), not a regular file" in out


def test_a_bundle_directory_copied_whole_still_verifies(
    folder: Path, signed: tuple[dict[str, bytes], Path], tmp_path: Path
) -> None:
    """The limits refuse nothing a real bundle holds: a copy (as a reviewer makes) verifies."""
    copy = Path(shutil.copytree(folder, tmp_path / "copy"))
    code, out = verify(copy, "--key", str(signed[1]))
    assert code == ExitCode.OK, out
