"""Policies at a pinned commit of a local git repository: ``git+file:///ABS/REPO@SHA[#SUBDIR]``.

The commit is the identity, so it must be pinned: the full object name (40 hexadecimal digits,
or 64 in a SHA-256 repository), never a branch, a tag or a short name, which can move or become
ambiguous. Only ``file://`` URLs are read (no network: nothing is fetched, and git is told to
allow no transport but ``file``), with plain ``git`` subprocesses on a fixed argv: ``cat-file``
checks that the object is a commit, ``ls-tree`` lists the files under SUBDIR at that commit and
``cat-file --batch`` reads them. The files chosen are the ones a folder would give (``*.yaml``,
``*.yml``; no policy tests, nothing under a hidden folder), and each is named
``ENTRY!PATH/IN/REPO.yaml`` in problems, reports and bundles. Symbolic links are refused, not
followed; submodules are not read.

git runs with the caller's environment minus every ``GIT_*`` variable (so no ``GIT_DIR`` of the
shell can point it elsewhere), replace objects off, and the search for a repository stopped at
the folder named (a folder inside another repository is not that repository).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final
from urllib.parse import unquote

from govgate.errors import Problem, SourceSpan, UsageError
from govgate.policy.origins import GitIdentity, OriginKind, PolicyOrigin

PREFIX: Final = "git+"
_COMMIT: Final = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")
_SUBDIR: Final = re.compile(r"[A-Za-z0-9._\-/]+")
MAX_FILES: Final = 2_000
MAX_BYTES: Final = 64 * 1024**2
TIMEOUT_S: Final = 60
FORM: Final = "git+file:///ABSOLUTE/PATH/TO/REPO@<full commit sha>[#SUBDIR]"


def is_git(entry: str) -> bool:
    return entry.startswith(PREFIX)


@dataclass(frozen=True)
class GitRef:
    entry: str  # as given
    repo: Path
    url: str  # file:///...
    commit: str
    subdir: str | None


def parse(entry: str) -> GitRef:
    """The reference ``entry`` names; :class:`UsageError` (exit 2) for anything else."""
    rest, _, fragment = entry[len(PREFIX) :].partition("#")
    url, at, commit = rest.rpartition("@")
    if not rest.startswith("file://"):
        raise UsageError(
            f"{entry}: only file:// repositories are read (no network)",
            hint=f"clone it first and name the clone: {FORM}",
        )
    if not at:
        raise UsageError(
            f"{entry}: the commit is not pinned", hint=f"name the full commit sha: {FORM}"
        )
    if not _COMMIT.fullmatch(commit):
        raise UsageError(
            f"{entry}: {commit!r} is not a full commit sha: a branch, a tag or a short sha can "
            "move, so the policies at it are not pinned",
            hint=f"use `git rev-parse {commit or 'HEAD'}` to get it: {FORM}",
        )
    path = unquote(url[len("file://") :])
    if not path.startswith("/"):
        raise UsageError(
            f"{entry}: the repository must be an absolute path on this machine (file:///...)",
            hint=FORM,
        )
    subdir: str | None = None
    if fragment:
        clean = PurePosixPath(fragment.strip("/"))
        if (
            not _SUBDIR.fullmatch(fragment)
            or any(part in ("..", ".") for part in clean.parts)
            or str(clean) != fragment.strip("/")
        ):
            raise UsageError(f"{entry}: #{fragment} is not a plain folder inside the repository")
        subdir = str(clean)
    return GitRef(entry, Path(path), f"file://{path}", commit, subdir)


def _environment(repo: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        {
            "GIT_CEILING_DIRECTORIES": str(repo.parent),
            "GIT_NO_REPLACE_OBJECTS": "1",
            "GIT_LITERAL_PATHSPECS": "1",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_ALLOW_PROTOCOL": "file",
            "GIT_NO_LAZY_FETCH": "1",
            "LC_ALL": "C",
        }
    )
    return env


def _git(ref: GitRef, *args: str, stdin: bytes | None = None) -> bytes:
    argv = ["git", "-C", str(ref.repo), *args]
    try:
        done = subprocess.run(  # noqa: S603 - a fixed argv; the sha and folder were checked
            argv,
            input=stdin,
            capture_output=True,
            timeout=TIMEOUT_S,
            env=_environment(ref.repo),
            check=False,
        )
    except FileNotFoundError:
        raise UsageError(f"{ref.entry}: git is not installed (not on PATH)") from None
    except subprocess.TimeoutExpired:
        raise UsageError(f"{ref.entry}: git took more than {TIMEOUT_S} s") from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError(
            f"{ref.entry}: {said[-1] if said else f'git {args[0]} failed'}",
            hint=f"name a local repository and a commit in it: {FORM}",
        )
    return done.stdout


def read(
    ref: GitRef, wanted: Callable[[PurePosixPath], bool], max_bytes: int
) -> tuple[list[tuple[str, bytes]], PolicyOrigin, list[Problem]]:
    """The files ``wanted`` (given their path under SUBDIR) at the pinned commit, named
    ``ENTRY!PATH``; its origin; and the problems of files that are not read (links, files over
    ``max_bytes``). A repository, commit or folder that is not there is a :class:`UsageError`."""
    if not ref.repo.is_dir():
        raise UsageError(f"{ref.entry}: no such repository folder {ref.repo}")
    _git(ref, "rev-parse", "--git-dir")  # is it a repository (git says why not)
    try:
        kind = _git(ref, "cat-file", "-t", ref.commit).decode().strip()
    except UsageError:
        raise UsageError(
            f"{ref.entry}: no commit {ref.commit} in the repository",
            hint="fetch it into the local clone first (govgate reads no network)",
        ) from None
    if kind != "commit":
        raise UsageError(f"{ref.entry}: {ref.commit} is a {kind}, not a commit")
    if ref.subdir is not None:
        try:
            found = _git(ref, "cat-file", "-t", f"{ref.commit}:{ref.subdir}").decode().strip()
        except UsageError:
            found = "nothing"
        if found != "tree":
            raise UsageError(f"{ref.entry}: {ref.subdir} is not a folder at that commit")
    under_subdir = ["--", ref.subdir] if ref.subdir is not None else []
    listing = _git(ref, "ls-tree", "-r", "-l", "-z", "--full-tree", ref.commit, *under_subdir)
    problems: list[Problem] = []
    chosen: list[tuple[str, str]] = []  # (path in the repository, blob)
    total = 0
    for record in filter(None, listing.split(b"\0")):
        head, _, raw_path = record.partition(b"\t")
        mode, kind, obj, size = head.decode().split()
        path = raw_path.decode("utf-8", "surrogateescape")
        under = PurePosixPath(path).relative_to(ref.subdir) if ref.subdir else PurePosixPath(path)
        if not wanted(under):
            continue
        name = f"{ref.entry}!{path}"
        if mode == "120000" or kind != "blob":
            problems.append(
                Problem(
                    "git.link",
                    "a symbolic link (or not a file) in the repository: not followed",
                    SourceSpan(name),
                    "commit the policy file itself",
                )
            )
            continue
        if int(size) > max_bytes:
            problems.append(
                Problem(
                    "yaml.too-large",
                    f"file is {size} bytes, over the {max_bytes}-byte limit",
                    SourceSpan(name, 1, 1),
                    "split it into several files",
                )
            )
            continue
        total += int(size)
        if len(chosen) >= MAX_FILES or total > MAX_BYTES:
            raise UsageError(f"{ref.entry}: more policy files than govgate reads from one source")
        chosen.append((path, obj))
    files = _blobs(ref, chosen)
    origin = PolicyOrigin(
        OriginKind.GIT, ref.entry, git=GitIdentity(ref.url, ref.commit, ref.subdir)
    )
    return [(f"{ref.entry}!{path}", data) for path, data in files], origin, problems


def _blobs(ref: GitRef, chosen: list[tuple[str, str]]) -> list[tuple[str, bytes]]:
    """The contents of the blobs, read in one ``git cat-file --batch``."""
    if not chosen:
        return []
    out = _git(ref, "cat-file", "--batch", stdin="".join(f"{obj}\n" for _, obj in chosen).encode())
    files: list[tuple[str, bytes]] = []
    at = 0
    for path, obj in chosen:
        end = out.index(b"\n", at)
        header = out[at:end].decode().split()
        if len(header) != 3 or header[0] != obj or header[1] != "blob":
            raise UsageError(f"{ref.entry}: git did not return the blob of {path}")
        size = int(header[2])
        files.append((path, out[end + 1 : end + 1 + size]))
        at = end + 1 + size + 1  # the content, then a newline
    return files
