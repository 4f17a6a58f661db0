"""How the command line writes: problems, errors, colour and progress on a terminal."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TextIO

from govgate.display import visible
from govgate.errors import GovgateError, Problem


def problem_text(out: TextIO, problem: Problem) -> None:
    """A problem on one line (its texts quote documents: shown, never obeyed)."""
    where, message = visible(problem.span.location()), visible(problem.message)
    out.write(f"{where}: error: {message} [{problem.code}]\n")
    if problem.hint:
        out.write(f"  hint: {visible(problem.hint)}\n")


def error_text(err: TextIO, exc: GovgateError, prefix: str = "error", code: str = "") -> None:
    """An error on one line, and its hint (both may quote evidence: shown, never obeyed)."""
    err.write(f"govgate: {prefix}: {visible(str(exc))}{f' [{code}]' if code else ''}\n")
    if exc.hint:
        err.write(f"  hint: {visible(exc.hint)}\n")


def color(stream: TextIO) -> bool:
    """Colour only on a terminal, and never when ``NO_COLOR`` is set (no-color.org)."""
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def progress(err: TextIO) -> Callable[[int, int], None] | None:
    """A one-line progress indicator on a terminal; nothing when stderr is not one."""
    if not color(err):
        return None

    def show(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            err.write(f"\r  scoring {done}/{total}" + ("\n" if done == total else ""))
            err.flush()

    return show


def plural(count: int, word: str, many: str | None = None) -> str:
    return f"{count} {word if count == 1 else many or word + 's'}"
