"""``govgate init``: scaffold policies, evals, a pre-commit config and a workflow into a repo.

The templates (``templates/``, shipped in the package) are starter content for two kinds of
model, ``llm`` (a RAG assistant or another generative model) and ``classifier`` (a tabular
classifier with a protected attribute), with the names given substituted (``@@model@@``,
``@@owner@@``, ``@@group@@``, ``@@action@@``, ``@@version@@``). Every policy comes with its unit
tests, and the scaffold passes ``govgate validate`` and ``govgate test --require-coverage`` as
written. Nothing that exists is ever overwritten: existing files are kept and reported.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from importlib.abc import Traversable
from pathlib import Path

from govgate._version import __version__
from govgate.document.patterns import SLUG
from govgate.errors import UsageError

KINDS = ("llm", "classifier")
#: the action reference used until the user names theirs (visibly not a commit)
ACTION_PLACEHOLDER = "OWNER/govgate/.github/actions/govgate@COMMIT_SHA"
_PINNED_ACTION = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Planned:
    path: str  # relative to the target folder, POSIX
    text: str


@dataclass(frozen=True)
class Result:
    created: tuple[str, ...]
    kept: tuple[str, ...]  # existed already: never overwritten


def _walk(node: Traversable, prefix: str = "") -> list[tuple[str, Traversable]]:
    out: list[tuple[str, Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        name = f"{prefix}{child.name}"
        if child.is_dir():
            out.extend(_walk(child, f"{name}/"))
        elif not child.name.endswith((".py", ".pyc")):
            out.append((name, child))
    return out


def plan(*, model: str, kind: str, owner: str, group: str, action: str | None) -> list[Planned]:
    """The files ``init`` writes, with their content. Raises UsageError for bad names."""
    if not re.fullmatch(SLUG, model) or len(model) > 40:
        raise UsageError(
            f"--model {model!r} is not a usable name",
            hint="lower-case letters, digits and . _ - (at most 40), e.g. support-assistant",
        )
    if kind not in KINDS:
        raise UsageError(f"--kind must be one of {', '.join(KINDS)}")
    if not _EMAIL.fullmatch(owner):
        raise UsageError(f"--owner {owner!r} is not an email address")
    if not _IDENTIFIER.fullmatch(group):
        raise UsageError(
            f"--group {group!r} is not a column name", hint="letters, digits and _, e.g. age_band"
        )
    if action is not None and not (action.startswith("./") or _PINNED_ACTION.fullmatch(action)):
        raise UsageError(
            f"--action {action!r} is not pinned to a commit",
            hint="OWNER/REPO/.github/actions/govgate@<40-hex commit sha>, or a ./local path",
        )
    values = {
        "model": model,
        "owner": owner,
        "group": group,
        "version": __version__,
        "action": action or ACTION_PLACEHOLDER,
        "action_note": "pinned by govgate init"
        if action
        else "replace with the govgate action pinned to a commit (govgate init --action)",
    }
    root = resources.files("govgate.scaffold").joinpath("templates")
    layout = {
        f"{kind}/policies": f"policies/{model}",
        f"{kind}/evals": f"evals/{model}",
        "common": "",
    }
    out: list[Planned] = []
    for source, target in layout.items():
        node = root
        for part in source.split("/"):
            node = node.joinpath(part)
        for name, item in _walk(node):
            text = item.read_text(encoding="utf-8")
            for key, value in values.items():
                text = text.replace(f"@@{key}@@", value)
            out.append(Planned(f"{target}/{name}" if target else name, text))
    return out


def write(target: Path, planned: list[Planned]) -> Result:
    """Create each planned file that does not exist yet (exclusively: never overwrite)."""
    created: list[str] = []
    kept: list[str] = []
    for item in planned:
        path = target / item.path
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            kept.append(item.path)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(item.text)
        created.append(item.path)
    return Result(tuple(created), tuple(kept))
