"""One YAML document's events built into a JSON-like value, with a source map, under limits.

The builder keeps an explicit stack (no input can exhaust Python's recursion limit), refuses
anchors, aliases, merge keys, tags other than ``!!str``, duplicate and non-string keys and
non-finite numbers, and records where every node, key and string scalar stands in the file.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import yaml

from govgate.document.nodes import ScalarInfo, escape_pointer_token
from govgate.document.scalars import resolve_plain
from govgate.errors import Problem, SourceSpan


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Caps applied before and while parsing. Defaults suit policy files by a wide margin."""

    max_bytes: int = 1_048_576
    max_depth: int = 32
    max_nodes: int = 100_000
    max_scalar_chars: int = 65_536
    max_documents: int = 64


DEFAULT_LIMITS = YamlLimits()

_STR_TAG = "tag:yaml.org,2002:str"


class _Container:
    """A mapping or sequence under construction."""

    __slots__ = ("is_map", "pending_key", "pointer", "value")

    def __init__(self, value: Any, pointer: str, is_map: bool) -> None:
        self.value = value
        self.pointer = pointer
        self.is_map = is_map
        self.pending_key: str | None = None


class Builder:
    """Turns one document's events into a value, collecting problems along the way."""

    def __init__(self, file: str, index: int, lines: list[str], limits: YamlLimits) -> None:
        self.file = file
        self.index = index
        self.lines = lines
        self.limits = limits
        self.problems: list[Problem] = []
        self.positions: dict[str, tuple[int, int]] = {}
        self.key_positions: dict[str, tuple[int, int]] = {}
        self.scalars: dict[str, ScalarInfo] = {}
        self.raw: dict[str, str] = {}
        self.stack: list[_Container] = []
        self.root: Any = None
        self.nodes = 0
        self.fatal = False
        # skipping what follows a rejected key: whole nodes still to skip, and depth inside one
        self.skip_nodes = 0
        self.skip_nesting = 0

    def _span(self, mark: Any, pointer: str = "") -> SourceSpan:
        return SourceSpan(self.file, mark.line + 1, mark.column + 1, pointer, self.index)

    def _problem(self, code: str, message: str, mark: Any, pointer: str, hint: str = "") -> None:
        self.problems.append(Problem(code, message, self._span(mark, pointer), hint))

    def _child_pointer(self) -> str | None:
        """Pointer for the next node in the current container, or None when it is a key."""
        if not self.stack:
            return ""
        top = self.stack[-1]
        if top.is_map:
            if top.pending_key is None:
                return None
            return f"{top.pointer}/{escape_pointer_token(top.pending_key)}"
        return f"{top.pointer}/{len(top.value)}"

    def _attach(self, value: Any) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        if top.is_map:
            assert top.pending_key is not None
            top.value[top.pending_key] = value
            top.pending_key = None
        else:
            top.value.append(value)

    def _check_common(self, event: Any, pointer: str) -> bool:
        """Anchors, tags, node count: True when the node may be used."""
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            self._problem(
                "yaml.too-large",
                f"more than {self.limits.max_nodes} nodes in one document",
                event.start_mark,
                pointer,
                "split the document; policies this large are not reviewable",
            )
            self.fatal = True
            return False
        if getattr(event, "anchor", None):
            self._problem(
                "yaml.anchor",
                f"anchors are not allowed (&{event.anchor})",
                event.start_mark,
                pointer,
                "write the value out in full; anchors and aliases hide what a reviewer reads",
            )
        tag = getattr(event, "tag", None)
        if tag not in (None, "!", _STR_TAG) or (
            tag == _STR_TAG and not isinstance(event, yaml.ScalarEvent)
        ):
            self._problem(
                "yaml.tag",
                f"explicit tag {tag!r} is not allowed",
                event.start_mark,
                pointer,
                "remove the tag; quote the value if you need a string",
            )
        return True

    def feed(self, event: Any) -> None:
        if self.fatal:
            return
        if self._skipping(event):
            return

        if isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            done = self.stack.pop()
            self._attach(done.value)
            return

        pointer = self._child_pointer()
        is_key = pointer is None

        if isinstance(event, yaml.AliasEvent):
            self._problem(
                "yaml.alias",
                f"aliases are not allowed (*{event.anchor})",
                event.start_mark,
                pointer or "",
                "write the value out in full; anchors and aliases hide what a reviewer reads",
            )
            if is_key:
                self._start_skip(nodes=1)
            else:
                self._attach(None)
            return

        if isinstance(event, yaml.ScalarEvent):
            if is_key:
                self._key_scalar(event)
                return
            assert pointer is not None
            self._check_common(event, pointer)
            self._attach(self._scalar_value(event, pointer))
            return

        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if is_key:
                top = self.stack[-1]
                self._problem(
                    "yaml.key-type",
                    "mapping keys must be plain strings, not collections",
                    event.start_mark,
                    top.pointer,
                )
                # we are inside the key collection: finish it, then skip its value
                self._start_skip(nodes=2, nesting=1)
                return
            assert pointer is not None
            if not self._check_common(event, pointer):
                return
            if len(self.stack) >= self.limits.max_depth:
                self._problem(
                    "yaml.too-deep",
                    f"nesting deeper than {self.limits.max_depth} levels",
                    event.start_mark,
                    pointer,
                    "flatten the document",
                )
                self.fatal = True
                return
            start: Any = event.start_mark
            self.positions[pointer] = (start.line + 1, start.column + 1)
            is_map = isinstance(event, yaml.MappingStartEvent)
            self.stack.append(_Container({} if is_map else [], pointer, is_map))

    def _set_key(self, key: str, event: Any) -> None:
        self.stack[-1].pending_key = key

    def _key_scalar(self, event: Any) -> None:
        top = self.stack[-1]
        self.nodes += 1
        value = self._resolved(event)
        if not isinstance(value, str):
            self._problem(
                "yaml.key-type",
                f"mapping key {event.value!r} is not a string",
                event.start_mark,
                top.pointer,
                f'quote it: "{event.value}"',
            )
            self._start_skip(nodes=1)
            return
        if event.anchor or event.tag not in (None, "!", _STR_TAG):
            self._check_common(event, top.pointer)
        if value in top.value or (top.pending_key == value):
            child = f"{top.pointer}/{escape_pointer_token(value)}"
            first = self.key_positions.get(child)
            where = f" (first at line {first[0]})" if first else ""
            self._problem(
                "yaml.duplicate-key",
                f"duplicate key {value!r}{where}",
                event.start_mark,
                child,
                "remove one of them; YAML parsers disagree on which one wins",
            )
            self._start_skip(nodes=1)
            return
        self._set_key(value, event)
        child = f"{top.pointer}/{escape_pointer_token(value)}"
        self.key_positions[child] = (event.start_mark.line + 1, event.start_mark.column + 1)

    def _start_skip(self, nodes: int, nesting: int = 0) -> None:
        """Drop the next ``nodes`` whole nodes (the value after a rejected key)."""
        self.skip_nodes = nodes
        self.skip_nesting = nesting

    def _skipping(self, event: Any) -> bool:
        if not self.skip_nodes:
            return False
        starts = isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent))
        ends = isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent))
        if starts:
            self.skip_nesting += 1
        elif ends:
            self.skip_nesting -= 1
        if self.skip_nesting == 0:  # a whole node has gone by
            self.skip_nodes -= 1
            if self.skip_nodes == 0:
                self.stack[-1].pending_key = None
        return True

    def _resolved(self, event: Any) -> Any:
        if event.tag == _STR_TAG or event.style or not event.implicit[0]:
            return event.value
        return resolve_plain(event.value)

    def _scalar_value(self, event: Any, pointer: str) -> Any:
        mark = event.start_mark
        self.positions[pointer] = (mark.line + 1, mark.column + 1)
        if len(event.value) > self.limits.max_scalar_chars:
            self._problem(
                "yaml.too-large",
                f"scalar longer than {self.limits.max_scalar_chars} characters",
                mark,
                pointer,
            )
            return None
        value = self._resolved(event)
        if isinstance(value, float) and not math.isfinite(value):
            self._problem(
                "yaml.non-finite",
                f"non-finite number {event.value!r} is not allowed",
                mark,
                pointer,
                "use a finite number; a threshold of .inf or .nan would make a rule vacuous",
            )
            return None
        if isinstance(value, str):
            self.scalars[pointer] = self._scalar_info(event)
        else:
            self.raw[pointer] = event.value
        return value

    def _scalar_info(self, event: Any) -> ScalarInfo:
        style = event.style or ""
        start, end = event.start_mark, event.end_mark
        first, last = start.line, end.line  # 0-based
        segments: list[tuple[int, int, int]] = []
        joins: list[int] = []
        if style in ("|", ">"):
            # the end mark of a block scalar is column 0 of the line after its content
            stop = last if end.column == 0 else last + 1
            body = [(n, self.lines[n]) for n in range(first + 1, min(stop, len(self.lines)))]
            indents = [len(t) - len(t.lstrip(" ")) for _, t in body if t.strip()]
            indent = min(indents) if indents else 0
            for k, (n, text) in enumerate(body):
                content = text[indent:]
                segments.append((n + 1, indent + 1, len(content)))
                following = body[k + 1][1] if k + 1 < len(body) else ""
                # literal keeps every newline; folded turns a break between two non-empty
                # lines into a space, drops a break before an empty line, keeps empty lines
                if style == "|" or not content.strip():
                    joins.append(1)
                else:
                    joins.append(1 if following.strip() else 0)
        else:
            quote = 1 if style in ("'", '"') else 0
            for n in range(first, min(last + 1, len(self.lines))):
                text = self.lines[n]
                if n == first:
                    col = start.column + quote
                    stop = end.column - quote if n == last else len(text.rstrip())
                else:
                    col = len(text) - len(text.lstrip())
                    stop = end.column - quote if n == last else len(text.rstrip())
                segments.append((n + 1, col + 1, max(stop - col, 0)))
                joins.append(1)
        return ScalarInfo(style, start.line + 1, start.column + 1, tuple(segments), tuple(joins))
