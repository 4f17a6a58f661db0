"""Where a policy set came from: folders and files, signed policy packs, pinned git commits.

A :class:`~govgate.policy.compiled.PolicySet` carries one :class:`PolicyOrigin` per entry of
``--policies`` it was loaded from, and the audit bundle records them (``policies/origins.json``
and the attestation predicate's ``policy_origins``), so a reviewer sees which pack, signed by
which key, or which commit decided. The record is plain JSON, built here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, assert_never


class OriginKind(StrEnum):
    FOLDER = "folder"
    FILE = "file"
    PACK = "pack"
    GIT = "git"


@dataclass(frozen=True, slots=True)
class PackIdentity:
    """A pack as its signed manifest names it. ``keyid`` is the key whose signature was
    verified when it loaded; ``None`` when no key was given (integrity only)."""

    name: str
    version: str
    manifest_sha256: str
    policy_set_sha256: str
    keyid: str | None
    manifest: bytes = field(default=b"", repr=False, compare=False)  # pack.json, as signed
    envelope: bytes | None = field(default=None, repr=False, compare=False)  # pack.dsse.json


@dataclass(frozen=True, slots=True)
class GitIdentity:
    """A pinned commit of a local repository, and the folder of it that was read."""

    url: str
    commit: str
    subdir: str | None


@dataclass(frozen=True, slots=True)
class PolicyOrigin:
    """One entry of ``--policies``: what it is, the text as given, and its identity."""

    kind: OriginKind
    source: str
    pack: PackIdentity | None = None
    git: GitIdentity | None = None

    def record(self) -> dict[str, Any]:
        """The JSON record a bundle keeps (every key always present, ``None`` as ``null``)."""
        pack, git = self.pack, self.git
        return {
            "kind": self.kind.value,
            "source": self.source,
            "pack": None
            if pack is None
            else {
                "name": pack.name,
                "version": pack.version,
                "manifest_sha256": pack.manifest_sha256,
                "policy_set_sha256": pack.policy_set_sha256,
                "keyid": pack.keyid,
                "signature": "verified" if pack.keyid is not None else "not-checked",
            },
            "git": None
            if git is None
            else {"url": git.url, "commit": git.commit, "subdir": git.subdir},
        }

    def describe(self) -> str:
        """One line for people (not escaped: callers show it through ``display.visible``)."""
        match self.kind:
            case OriginKind.FOLDER | OriginKind.FILE:
                return f"{self.kind.value} {self.source}"
            case OriginKind.PACK:
                assert self.pack is not None
                pack = self.pack
                signed = (
                    f"signature verified (key {pack.keyid[:16]}...)"
                    if pack.keyid is not None
                    else "signature NOT checked (no --policy-key)"
                )
                return (
                    f"pack {pack.name} {pack.version} ({self.source}): integrity verified, "
                    f"{signed}, manifest sha256 {pack.manifest_sha256[:12]}"
                )
            case OriginKind.GIT:
                assert self.git is not None
                return f"git {self.git.url} at {self.git.commit}" + (
                    f" ({self.git.subdir})" if self.git.subdir else ""
                )
            case _:  # pragma: no cover - every kind is handled above
                assert_never(self.kind)
