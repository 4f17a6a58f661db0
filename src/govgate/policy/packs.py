"""Signed policy packs: one deterministic ``.tgz`` of a policy set, its manifest and a signature.

A platform team builds a pack from a folder (``govgate pack build DIR -o pack.tgz --sign-key
K``) and repositories load it wherever they load policies (``--policies pack.tgz --policy-key
K.pub``). Layout, every member a plain file at the archive's root level or below it, sorted,
with fixed times, owners and modes (no directory entries)::

    pack.dsse.json        DSSE envelope (Ed25519) of pack.json, payload type PAYLOAD_TYPE
    pack.json             the manifest: format, name, version, created_from, every file's
                          path, sha256 and size, and the policy set digest of those files
    <path>.yaml           each policy and waiver file, at its path under the folder packed

A pack is verified **before any of its YAML is parsed**: the archive is read in memory within
the limits below (never extracted; links, devices, absolute or ``..`` names refused), the
manifest's signature must verify under the key given, ``pack.json`` must be the signed
payload, and every member must be listed with its digest and size, and every listed file
present. Refusals are problems (exit 3) with a code: ``pack.unreadable`` (not a pack govgate
reads), ``pack.unsigned`` (a key was given and the pack has no signature), ``pack.signature``
(the signature does not verify under that key), ``pack.tampered`` (a member or the manifest
differs from what was signed), ``pack.no-key`` (no key to check the signer against, where one
is required: see :class:`PackTrust`).

Files of a pack are named ``PACK!PATH`` (``dist/baseline.tgz!rag/release.yaml``) in problems,
reports and bundles, so a line number still points into the member. The digest of the set is
over file contents only, so a pack decides with the same policy set digest as its folder.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import os
import re
import stat
import tarfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from govgate import canonical, jsonsafe
from govgate.capped import CappedStream
from govgate.errors import Problem, SourceSpan, UsageError
from govgate.policy.origins import OriginKind, PackIdentity, PolicyOrigin

if TYPE_CHECKING:  # cryptography loads only when a pack is built or read
    from cryptography.hazmat.primitives.asymmetric.ed25519 import (
        Ed25519PrivateKey,
        Ed25519PublicKey,
    )

PACK_FORMAT: Final = "govgate.pack/v1"
PAYLOAD_TYPE: Final = "application/vnd.govgate.pack.v1+json"
MANIFEST: Final = "pack.json"
ENVELOPE: Final = "pack.dsse.json"
SUFFIXES: Final = (".tgz", ".tar.gz")
YAML_SUFFIXES: Final = (".yaml", ".yml")

MIB: Final = 1024**2
MAX_ARCHIVE_BYTES: Final = 32 * MIB
"""The pack file itself, from ``fstat``, before it is opened as an archive."""
MAX_MEMBERS: Final = 2_000
MAX_MEMBER_BYTES: Final = 8 * MIB
"""One member (a policy file is refused by the YAML reader past 1 MiB anyway)."""
MAX_BYTES: Final = 64 * MIB
"""All members together, decompressed: what loading a pack holds in memory at most."""
MAX_NAME_CHARS: Final = 512
MAX_DEPTH: Final = 16
_OVERHEAD: Final = 8 * MIB  # tar headers and padding, beyond the members' own bytes
_NAME: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")
_VERSION: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]{0,63}")
_SHA256: Final = re.compile(r"[0-9a-f]{64}")
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
NO_KEY_HINT: Final = (
    "pass the public key of whoever signs the pack: --policy-key PUB (or $GOVGATE_POLICY_KEY); "
    "--unsafe-unsigned-pack loads it checking its integrity but not who signed it"
)


@dataclass(frozen=True)
class PackTrust:
    """How packs are trusted when loaded. ``key``: the signer's public key; when given, every
    pack must carry a signature that verifies under it. Without a key, ``require_signature``
    (the default: fail closed) refuses any pack (``pack.no-key``); off, a pack is checked for
    integrity only (its members against its manifest) and its origin says the signature was
    not checked (``govgate validate``, ``govgate test``, ``--unsafe-unsigned-pack``)."""

    key: Ed25519PublicKey | None = None
    require_signature: bool = True


#: The trust every loader uses unless told otherwise: fail closed, a key is required.
KEY_REQUIRED: Final = PackTrust()


class _RefusedError(Exception):
    def __init__(self, code: str, message: str, member: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.member, self.hint = code, message, member, hint


def is_pack(entry: str) -> bool:
    """Does ``entry`` (a ``--policies`` value) name a pack file, by its suffix?"""
    return entry.endswith(SUFFIXES) and not Path(entry).is_dir()


def member_name(name: str) -> str:
    """``name`` if it is a canonical relative file name (no ``..``, ``.``, empty or absolute
    part, no backslash or control character, within the length and depth limits); else
    :class:`ValueError` saying why."""
    path = PurePosixPath(name)
    if (
        not name
        or path.is_absolute()
        or str(path) != name
        or any(part in ("..", ".") for part in path.parts)
        or "\\" in name
    ):
        raise ValueError(f"unsafe member name {name!r}")
    if _CONTROL.search(name):
        raise ValueError(f"member name {name!r} holds a control character")
    if len(name) > MAX_NAME_CHARS or len(path.parts) > MAX_DEPTH:
        raise ValueError(f"member name {name[:64]!r}... is longer or deeper than a pack holds")
    return name


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def set_digest(files: Sequence[tuple[str, bytes]]) -> str:
    """The policy set digest of these files: :meth:`PolicySet.digest`'s definition."""
    from govgate.policy.compiled import PolicySet, SourceFile

    sources = tuple(SourceFile(name, sha256(data), len(data)) for name, data in files)
    return PolicySet((), (), sources).digest()


# -- building --------------------------------------------------------------------------------


def manifest(
    files: Sequence[tuple[str, bytes]],
    *,
    name: str,
    version: str,
    created_from: Mapping[str, Any],
) -> bytes:
    """The manifest (canonical JSON, RFC 8785) of a pack of ``files`` (path, bytes)."""
    if not _NAME.fullmatch(name):
        raise UsageError(
            f"pack name {name!r}: letters, digits and . _ - (at most 128, first a letter or digit)"
        )
    if not _VERSION.fullmatch(version):
        raise UsageError(
            f"pack version {version!r}: letters, digits and . + _ - (at most 64, first a letter "
            "or digit)"
        )
    seen: set[str] = set()
    for path, _ in files:
        try:
            member_name(path)
        except ValueError as exc:
            raise UsageError(f"cannot pack {path!r}: {exc}") from None
        if not path.endswith(YAML_SUFFIXES) or path in (MANIFEST, ENVELOPE) or path in seen:
            raise UsageError(f"cannot pack {path!r}: not a policy file name, or given twice")
        seen.add(path)
    entries = [
        {"path": path, "sha256": sha256(data), "size": len(data)} for path, data in sorted(files)
    ]
    return canonical.dumps(
        {
            "format": PACK_FORMAT,
            "name": name,
            "version": version,
            "created_from": dict(created_from),
            "files": entries,
            "policy_set_sha256": set_digest(files),
        }
    )


def archive(members: Mapping[str, bytes]) -> bytes:
    """A deterministic ``.tgz`` of ``members``: sorted, no directory entries, mtime 0, owner
    0:0 without names, mode 0644, gzip header without a name or a time, level 9."""
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(filename="", fileobj=buffer, mode="wb", mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(members):
            data = members[name]
            member = tarfile.TarInfo(member_name(name))
            member.size, member.mode, member.mtime = len(data), 0o644, 0
            member.uid = member.gid = 0
            member.uname = member.gname = ""
            tar.addfile(member, io.BytesIO(data))
    return buffer.getvalue()


def build_pack(
    files: Sequence[tuple[str, bytes]],
    *,
    name: str,
    version: str,
    key: Ed25519PrivateKey | None,
    created_from: Mapping[str, Any],
) -> bytes:
    """The bytes of a pack of ``files`` (path in the pack, bytes), signed with ``key`` (an
    unsigned pack, ``key=None``, loads only where signatures are not required). The same
    inputs give the same bytes (Ed25519 signatures are deterministic)."""
    from govgate import dsse

    data = manifest(files, name=name, version=version, created_from=created_from)
    members = {MANIFEST: data, **dict(files)}
    if key is not None:
        members[ENVELOPE] = dsse.sign(data, key, PAYLOAD_TYPE)
    return archive(members)


# -- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedPack:
    """A pack that verified: its files (path in the pack, bytes) and its origin."""

    files: tuple[tuple[str, bytes], ...]
    origin: PolicyOrigin


def load_pack(path: Path, shown: str, trust: PackTrust) -> tuple[LoadedPack | None, list[Problem]]:
    """Read and verify the pack at ``path`` (named ``shown`` in problems). Either the pack,
    whose every file is as signed, or the problems that refuse it (none of its YAML read)."""
    if trust.key is None and trust.require_signature:
        problem = Problem(
            "pack.no-key",
            "a policy pack is loaded only once its signature is checked, and no key was given",
            SourceSpan(shown),
            NO_KEY_HINT,
        )
        return None, [problem]
    try:
        members = _read_members(path)
        return _verify(members, shown, trust)
    except _RefusedError as refused:
        where = f"{shown}!{refused.member}" if refused.member else shown
        return None, [Problem(refused.code, refused.message, SourceSpan(where), refused.hint)]


def _verify(
    members: dict[str, bytes], shown: str, trust: PackTrust
) -> tuple[LoadedPack | None, list[Problem]]:
    from govgate import dsse

    if MANIFEST not in members:
        raise _RefusedError(
            "pack.unreadable",
            f"not a govgate policy pack: no {MANIFEST} in the archive",
            hint="build packs with `govgate pack build`",
        )
    data = members[MANIFEST]
    envelope = members.get(ENVELOPE)
    keyid: str | None = None
    if trust.key is not None:
        if envelope is None:
            raise _RefusedError(
                "pack.unsigned",
                f"the pack is not signed ({ENVELOPE} is missing), and a key was given",
                hint="use the signed pack its publisher built (`govgate pack build --sign-key`)",
            )
        try:
            signed = dsse.open_envelope(envelope, trust.key, PAYLOAD_TYPE)
        except dsse.SignatureError as exc:
            raise _RefusedError(
                "pack.signature",
                f"the pack's signature does not verify under the key given: {exc.message}",
                ENVELOPE,
                "check that --policy-key is its publisher's public key; a pack re-signed by "
                "anyone else is refused",
            ) from None
        keyid = dsse.keyid(trust.key)
    elif envelope is not None:  # no key: not checked, but it must at least sign this manifest
        try:
            signed, _ = dsse.read_envelope(envelope, PAYLOAD_TYPE)
        except dsse.SignatureError as exc:
            raise _RefusedError("pack.signature", exc.message, ENVELOPE) from None
    else:
        signed = data
    if signed != data:
        raise _RefusedError(
            "pack.tampered",
            f"{MANIFEST} differs from the manifest the signature covers",
            MANIFEST,
            "get the pack again from its publisher",
        )
    parsed = _manifest(data)
    problems = _members(members, parsed, shown)
    if problems:
        return None, problems
    files = tuple((entry["path"], members[entry["path"]]) for entry in parsed["files"])
    if set_digest(files) != parsed["policy_set_sha256"]:
        raise _RefusedError(
            "pack.tampered",
            "the manifest's policy_set_sha256 is not the digest of its files",
            MANIFEST,
        )
    identity = PackIdentity(
        name=parsed["name"],
        version=parsed["version"],
        manifest_sha256=sha256(data),
        policy_set_sha256=parsed["policy_set_sha256"],
        keyid=keyid,
        manifest=data,
        envelope=envelope,
    )
    return LoadedPack(files, PolicyOrigin(OriginKind.PACK, shown, pack=identity)), []


def parse_manifest(data: bytes) -> dict[str, Any]:
    """The value of a pack manifest, if it is strict JSON with the shape of one (format, name,
    version, policy set digest, files with safe policy file paths, sha256 and size); else
    :class:`ValueError` saying what is wrong."""
    try:
        value = jsonsafe.loads(data, max_bytes=MAX_MEMBER_BYTES)
    except jsonsafe.JSONInputError as exc:
        raise ValueError(f"{MANIFEST} is not valid JSON ({exc})") from None
    wrong = _manifest_shape(value)
    if wrong:
        raise ValueError(f"{MANIFEST} is not a {PACK_FORMAT} manifest: {wrong}")
    assert isinstance(value, dict)
    return value


def _manifest(data: bytes) -> dict[str, Any]:
    try:
        return parse_manifest(data)
    except ValueError as exc:
        raise _RefusedError("pack.unreadable", str(exc), MANIFEST) from None


def _manifest_shape(value: Any) -> str:
    """What is wrong with a manifest's shape, or ``""``."""
    if not isinstance(value, dict):
        return "not an object"
    if value.get("format") != PACK_FORMAT:
        return f"format {value.get('format')!r}"
    if not isinstance(value.get("name"), str) or not _NAME.fullmatch(value["name"]):
        return "no valid name"
    if not isinstance(value.get("version"), str) or not _VERSION.fullmatch(value["version"]):
        return "no valid version"
    digest = value.get("policy_set_sha256")
    if not isinstance(digest, str) or not _SHA256.fullmatch(digest):
        return "no policy_set_sha256"
    files = value.get("files")
    if not isinstance(files, list) or not files:
        return "no files"
    seen: set[str] = set()
    for entry in files:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not isinstance(path, str) or not path.endswith(YAML_SUFFIXES) or path in seen:
            return f"a file entry without a policy file path, or listed twice: {path!r}"
        try:
            member_name(path)
        except ValueError as exc:
            return str(exc)
        seen.add(path)
        digest, size = entry.get("sha256"), entry.get("size")
        if not isinstance(digest, str) or not _SHA256.fullmatch(digest) or type(size) is not int:
            return f"the entry of {path!r} has no sha256 and size"
    return ""


def _members(members: Mapping[str, bytes], parsed: Mapping[str, Any], shown: str) -> list[Problem]:
    """Every member as listed, nothing unlisted: one problem per difference."""
    problems: list[Problem] = []
    listed = {entry["path"]: entry for entry in parsed["files"]}
    hint = "get the pack again from its publisher; a pack is never edited after it is signed"
    for path, entry in sorted(listed.items()):
        where = SourceSpan(f"{shown}!{path}")
        data = members.get(path)
        if data is None:
            problems.append(
                Problem("pack.tampered", "listed in the manifest, missing", where, hint)
            )
        elif len(data) != entry["size"] or sha256(data) != entry["sha256"]:
            problems.append(
                Problem(
                    "pack.tampered",
                    "its sha256 or size differs from the signed manifest",
                    where,
                    hint,
                )
            )
    for path in sorted(set(members) - set(listed) - {MANIFEST, ENVELOPE}):
        problems.append(
            Problem(
                "pack.tampered",
                "in the archive, but not in the signed manifest",
                SourceSpan(f"{shown}!{path}"),
                hint,
            )
        )
    return problems


def _read_members(path: Path) -> dict[str, bytes]:
    """Every member of the archive at ``path``, by name, read in memory within the limits."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as exc:
        raise _RefusedError("pack.unreadable", f"cannot be read ({exc.strerror or exc})") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _RefusedError("pack.unreadable", "not a regular file")
        if info.st_size > MAX_ARCHIVE_BYTES:
            raise _RefusedError(
                "pack.unreadable",
                f"{info.st_size} bytes, more than the {MAX_ARCHIVE_BYTES // MIB} MiB of a pack",
            )
        try:
            return _read_tar(handle)
        except (OSError, EOFError, zlib.error, tarfile.TarError) as exc:
            raise _RefusedError(
                "pack.unreadable",
                f"not a readable .tgz archive: corrupt or truncated ({exc})",
                hint="get the pack again from its publisher",
            ) from None


def _read_tar(handle: BinaryIO) -> dict[str, bytes]:
    members: dict[str, bytes] = {}
    total = 0
    with gzip.GzipFile(fileobj=handle, mode="rb") as gz:
        stream = CappedStream(gz, MAX_BYTES + _OVERHEAD, _inflates_too_far)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                if len(members) >= MAX_MEMBERS:
                    raise _RefusedError("pack.unreadable", f"more than {MAX_MEMBERS} members")
                try:
                    name = member_name(member.name)
                except ValueError as exc:
                    raise _RefusedError("pack.unreadable", str(exc)) from None
                if not member.isfile() or member.issparse():
                    raise _RefusedError(
                        "pack.unreadable",
                        f"{_KINDS.get(member.type, 'not a regular file')} in the archive",
                        name,
                        "a pack holds plain files only",
                    )
                if name in members:
                    raise _RefusedError("pack.unreadable", "repeated in the archive", name)
                total += member.size
                if member.size > MAX_MEMBER_BYTES or total > MAX_BYTES:
                    raise _RefusedError("pack.unreadable", "larger than a pack's limits", name)
                extracted = tar.extractfile(member)
                if extracted is None:  # pragma: no cover - a regular file always has content
                    raise _RefusedError("pack.unreadable", "unreadable member", name)
                data = extracted.read(member.size + 1)
                if len(data) != member.size:
                    raise _RefusedError("pack.unreadable", "its size differs from its header", name)
                members[name] = data
        stream.drain()
    return members


_KINDS: Final = {
    tarfile.DIRTYPE: "a directory entry",
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO (named pipe)",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
}


def _inflates_too_far(limit: int) -> _RefusedError:
    return _RefusedError("pack.unreadable", f"the archive inflates to more than {limit // MIB} MiB")
