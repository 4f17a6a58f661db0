"""A parsed document and where each of its nodes stands in the file.

Every diagnostic govgate gives about a document (a schema error, a CEL error inside an
expression string, a duplicate id) is placed through :class:`YamlDocument`'s JSON pointers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from govgate.errors import SourceSpan


@dataclass(frozen=True, slots=True)
class ScalarInfo:
    """Where a string scalar's text lies in the file, to map offsets in it back to positions.

    ``segments`` are ``(line, column, length)`` of each source line's share of the text, in
    order (1-based line and column), and ``joins`` the number of characters the scalar's value
    puts between one segment and the next (a space or newline: 1; folded into nothing: 0).
    """

    style: str  # '' plain, "'" or '"' quoted, '|' or '>' block
    line: int  # 1-based line of the scalar's first character (the indicator for block scalars)
    column: int
    segments: tuple[tuple[int, int, int], ...] = ()
    joins: tuple[int, ...] = ()


@dataclass(frozen=True)
class YamlDocument:
    """One YAML document: its value (JSON-like), and where each node of it stands in the file."""

    file: str
    index: int
    value: Any
    positions: Mapping[str, tuple[int, int]]
    key_positions: Mapping[str, tuple[int, int]]
    scalars: Mapping[str, ScalarInfo] = field(default_factory=dict)
    #: the source text of plain scalars that resolved to a non-string (``1.10`` for 1.1)
    raw: Mapping[str, str] = field(default_factory=dict)

    def span(self, pointer: str) -> SourceSpan:
        """The span of the node at ``pointer``, or of its nearest ancestor that has one."""
        p = pointer
        while True:
            if p in self.positions:
                line, col = self.positions[p]
                return SourceSpan(self.file, line, col, pointer, self.index)
            if not p:
                return SourceSpan(self.file, 1, 1, pointer, self.index)
            p = p.rsplit("/", 1)[0]

    def is_plain(self, pointer: str) -> bool:
        """True when the scalar at ``pointer`` was written without quotes or block style."""
        info = self.scalars.get(pointer)
        return info is None or info.style == ""

    def key_span(self, pointer: str) -> SourceSpan:
        """The span of the *key* that introduces ``pointer`` (better for 'unexpected key')."""
        if pointer in self.key_positions:
            line, col = self.key_positions[pointer]
            return SourceSpan(self.file, line, col, pointer, self.index)
        return self.span(pointer)

    def text_span(self, pointer: str, offset: int) -> SourceSpan:
        """Map a 0-based character offset in the string scalar at ``pointer`` to the file.

        Exact for plain, single-quoted, literal and folded scalars without escapes; a
        double-quoted scalar with escape sequences may be off by the escapes' extra length.
        """
        info = self.scalars.get(pointer)
        if info is None or not info.segments:
            return self.span(pointer)
        start = 0
        for i, (line, column, length) in enumerate(info.segments):
            last = i == len(info.segments) - 1
            if offset < start + length or last:
                return SourceSpan(
                    self.file, line, column + max(offset - start, 0), pointer, self.index
                )
            start += length + info.joins[i]
        return self.span(pointer)  # pragma: no cover - the loop always returns


def escape_pointer_token(token: str) -> str:
    """One key as a JSON pointer token (RFC 6901: ``~`` and ``/`` escaped)."""
    return token.replace("~", "~0").replace("/", "~1")


def json_pointer(path: Iterable[Any]) -> str:
    """The JSON pointer (RFC 6901) of a path of keys and indexes."""
    return "".join("/" + escape_pointer_token(str(p)) for p in path)
