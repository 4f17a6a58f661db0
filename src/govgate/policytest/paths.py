"""Where a policy test may read from: every path it names stays inside its root.

A test file names policy files (or folders) and evidence snapshots by path, relative to itself.
Tests come from many hands (a pull request can add one) and ``govgate test`` runs in CI with
secrets and a checked-out repository around it, so a path in a test must never reach a file
outside the tree under test: an absolute path, ``../../etc/passwd``, or a symbolic link that
leads out is refused before anything is read, as a problem at the path's line.

**The root** of a test is the folder given to ``govgate test`` (or ``govgate validate``) that
holds it (the widest, when several do); for a test file named by itself, the current directory.
Paths are resolved against the test file's folder, symbolic links followed, and the result must
lie inside the root (resolved too). So ``govgate test policies/`` lets a test in
``policies/rag-assistant/`` use ``../waivers/...``, but not ``../../secrets.yaml``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from govgate.policy.loader import discover

#: What to do about a path outside the root, for every such problem.
OUTSIDE_HINT = (
    "paths in a test are relative to the test file and must stay inside the folder given to "
    "govgate test (the current directory for a test file named by itself): move the file "
    "into that folder, or test a folder that contains it"
)


def _lexical(path: str | Path) -> Path:
    """Absolute and normalised, symbolic links kept: where discovery found a file."""
    return Path(os.path.abspath(path))


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


@dataclass(frozen=True)
class _Folder:
    lexical: Path  # as given, absolute
    real: Path  # symbolic links resolved: what containment is checked against


@dataclass(frozen=True)
class Roots:
    """The roots of the tests found under the paths given to one command."""

    folders: tuple[_Folder, ...]
    cwd: Path

    @classmethod
    def of(cls, paths: Sequence[str]) -> Roots:
        folders = tuple(_Folder(_lexical(p), Path(p).resolve()) for p in paths if Path(p).is_dir())
        return cls(folders, Path.cwd().resolve())

    def root_of(self, test_file: str) -> Path:
        """The widest folder argument that holds ``test_file``, else the current directory."""
        where = _lexical(test_file)
        holding = [f for f in self.folders if _inside(where, f.lexical)]
        if not holding:
            return self.cwd
        return min(holding, key=lambda f: len(f.lexical.parts)).real


def shown(root: Path) -> str:
    """A root as a user would write it: relative to the current directory when inside it."""
    cwd = Path.cwd().resolve()
    if _inside(root, cwd):
        return Path(os.path.relpath(root, cwd)).as_posix()
    return root.as_posix()


def confine(written: str, base: Path, root: Path) -> tuple[Path | None, str]:
    """``written``, a path in a test file whose folder is ``base``, if it stays inside ``root``.

    Returns the path to read (as the user would see it: ``base / written``) and ``""``, or
    ``None`` and why it is refused. Nothing is read here; only links are followed.
    """
    if Path(written).is_absolute() or PureWindowsPath(written).anchor:
        return None, f"{written!r} is an absolute path"
    target = base / written
    try:
        real = target.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        return None, f"{written!r} cannot be resolved (a loop of symbolic links?)"
    if _inside(real, root):
        return target, ""
    if _inside(_lexical(target), root):
        return None, (
            f"{written!r} leads through a symbolic link to {real.as_posix()}, outside the test "
            f"root {shown(root)}"
        )
    return None, f"{written!r} leads out of the test root {shown(root)}"


def stray_file(written: str, folder: Path, root: Path) -> str:
    """Why a policy folder a test names holds a file outside ``root`` (a symbolic link that
    leads out), or ``""`` when every file it would load is inside."""
    for path in discover([str(folder)]):
        real = path.resolve()
        if not _inside(real, root):
            return (
                f"{written!r} holds {path.relative_to(folder).as_posix()!r}, a symbolic link to "
                f"{real.as_posix()}, "
                f"outside the test root {shown(root)}"
            )
    return ""
