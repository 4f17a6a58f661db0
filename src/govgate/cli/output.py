"""How the command line writes: problems, errors, colour and progress on a terminal."""

from __future__ import annotations

import errno
import io
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


class PipeSafe(io.TextIOBase):
    """A stream that a reader may close: ``govgate check ... 2>&1 | head -1``.

    Once a write or flush meets a closed pipe, the stream is marked closed and every later
    write is dropped, so the command goes on: the report files, the bundle and the exit code
    still come out as without the pipe (a reader that stops reading changes what it sees, never
    what is decided or written). The stream's descriptor, if it has one, is pointed at
    ``/dev/null``, so Python's own flush at exit has nothing left to fail on.
    """

    def __init__(self, stream: TextIO | None) -> None:
        super().__init__()
        self._stream = stream
        self.broken = stream is None  # started with the descriptor closed (`2>&-`)

    def write(self, text: str) -> int:
        if not self.broken and self._stream is not None:
            try:
                self._stream.write(text)
                if "\n" in text:
                    self._stream.flush()  # a closed reader is noticed here, not at exit
            except OSError as exc:
                self._closed_by_reader(exc)
        return len(text)

    def flush(self) -> None:
        if not self.broken and self._stream is not None:
            try:
                self._stream.flush()
            except OSError as exc:
                self._closed_by_reader(exc)

    def isatty(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return not self.broken and bool(isatty and isatty())

    def writable(self) -> bool:
        return True

    def _closed_by_reader(self, exc: OSError) -> None:
        if not isinstance(exc, BrokenPipeError) and exc.errno != errno.EPIPE:
            raise exc
        self.broken = True
        try:
            fd = self._stream.fileno() if self._stream is not None else -1
            if fd < 0:
                return
        except (OSError, ValueError, AttributeError):  # no descriptor: nothing to redirect
            return
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(devnull, fd)
        finally:
            os.close(devnull)
