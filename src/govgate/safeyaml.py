"""YAML from untrusted hands, read as YAML 1.2 data with a position for every node.

Policies, waivers and eval suites are written by people and reviewed in pull requests, so the
loader refuses everything that can make a file mean something other than what it shows:

* anchors, aliases and merge keys (alias bombs, and values that silently change in two places);
* explicit tags other than ``!!str`` (no object construction, no type surprises);
* duplicate keys (PyYAML keeps the last one silently), and keys that are not strings;
* YAML 1.1 scalar surprises: plain scalars are resolved with the YAML 1.2 core schema, so ``no``
  stays the string ``"no"`` (and fails a schema that wants a boolean) and ``1e-2`` is the number
  0.01; ``.nan`` and ``.inf`` are rejected, since no policy needs a non-finite threshold;
* oversized input: bytes, nesting depth, node count, scalar length and documents are capped.

It is built on libyaml's event stream (the C parser when available), never on a constructor, and
builds values with an explicit stack so that no input can exhaust Python's recursion limit.
Problems are collected, not raised: one file can report several.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from govgate.errors import Problem, SourceSpan

try:  # the C parser is ~10x faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


@dataclass(frozen=True, slots=True)
class YamlLimits:
    """Caps applied before and while parsing. Defaults suit policy files by a wide margin."""

    max_bytes: int = 1_048_576
    max_depth: int = 32
    max_nodes: int = 100_000
    max_scalar_chars: int = 65_536
    max_documents: int = 64


DEFAULT_LIMITS = YamlLimits()

# YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1023-core-schema), plain scalars only.
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_TRUE = re.compile(r"^(?:true|True|TRUE)$")
_BOOL_FALSE = re.compile(r"^(?:false|False|FALSE)$")
_INT_DEC = re.compile(r"^[-+]?[0-9]+$")
_INT_OCT = re.compile(r"^0o[0-7]+$")
_INT_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_FLOAT_SPECIAL = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
# Plain scalars that YAML 1.1 (PyYAML's default) would have read as something else.
YAML11_BOOLEANS = frozenset(
    [
        "y",
        "Y",
        "yes",
        "Yes",
        "YES",
        "n",
        "N",
        "no",
        "No",
        "NO",
        "on",
        "On",
        "ON",
        "off",
        "Off",
        "OFF",
    ]
)

_STR_TAG = "tag:yaml.org,2002:str"


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
    return token.replace("~", "~0").replace("/", "~1")


def _resolve_plain(text: str) -> Any:
    if _NULL.match(text):
        return None
    if _BOOL_TRUE.match(text):
        return True
    if _BOOL_FALSE.match(text):
        return False
    if _INT_DEC.match(text):
        return int(text)
    if _INT_OCT.match(text):
        return int(text[2:], 8)
    if _INT_HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _FLOAT_SPECIAL.match(text):
        return float(text.replace(".", ""))
    return text


def _decode(data: bytes, file: str) -> tuple[str | None, Problem | None]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Problem(
            "yaml.encoding",
            f"not UTF-8: byte 0x{data[exc.start]:02x} cannot be decoded",
            SourceSpan(file, line, column),
            "save the file as UTF-8",
        )
    return text, None


class _Container:
    """A mapping or sequence under construction."""

    __slots__ = ("is_map", "pending_key", "pointer", "value")

    def __init__(self, value: Any, pointer: str, is_map: bool) -> None:
        self.value = value
        self.pointer = pointer
        self.is_map = is_map
        self.pending_key: str | None = None


class _Builder:
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
        return _resolve_plain(event.value)

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


def _events(text: str) -> Iterator[Any]:
    loader = _Loader(text)
    try:
        while loader.check_event():
            yield loader.get_event()
    finally:
        loader.dispose()


def load_yaml(
    data: bytes, file: str, limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[list[YamlDocument], list[Problem]]:
    """Parse ``data`` (the file's bytes) into documents; problems are returned, never raised.

    A document with problems is still returned (with offending values dropped) so that callers
    can keep validating and report everything in one run; callers must not *use* a document
    from a file that had problems.
    """
    if len(data) > limits.max_bytes:
        return [], [
            Problem(
                "yaml.too-large",
                f"file is {len(data)} bytes, over the {limits.max_bytes}-byte limit",
                SourceSpan(file, 1, 1),
                "split it into several files",
            )
        ]
    text, problem = _decode(data, file)
    if problem is not None or text is None:
        return [], [problem] if problem else []
    lines = text.splitlines()
    documents: list[YamlDocument] = []
    problems: list[Problem] = []
    builder: _Builder | None = None
    index = 0
    try:
        for event in _events(text):
            if isinstance(event, yaml.DocumentStartEvent):
                if index >= limits.max_documents:
                    problems.append(
                        Problem(
                            "yaml.too-large",
                            f"more than {limits.max_documents} documents in one file",
                            SourceSpan(file, _line_of(event), 1),
                        )
                    )
                    break
                builder = _Builder(file, index, lines, limits)
            elif isinstance(event, yaml.DocumentEndEvent):
                assert builder is not None
                problems.extend(builder.problems)
                documents.append(
                    YamlDocument(
                        file,
                        index,
                        builder.root,
                        builder.positions,
                        builder.key_positions,
                        builder.scalars,
                        builder.raw,
                    )
                )
                index += 1
                builder = None
            elif builder is not None:
                builder.feed(event)
                if builder.fatal:
                    problems.extend(builder.problems)
                    break
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        column = mark.column + 1 if mark else 1
        what = exc.problem or "invalid YAML"
        if builder is not None:
            problems.extend(builder.problems)
        problems.append(
            Problem(
                "yaml.syntax",
                f"YAML syntax error: {what}",
                SourceSpan(file, line, column),
                "check indentation and quoting around this position",
            )
        )
    except yaml.reader.ReaderError as exc:  # control characters: a position, not a mark
        char = exc.character
        code = char if isinstance(char, int) else ord(char)
        before = text[: exc.position]
        line = before.count("\n") + 1
        column = exc.position - (before.rfind("\n") + 1) + 1
        problems.append(
            Problem(
                "yaml.syntax",
                f"character U+{code:04X} is not allowed in YAML",
                SourceSpan(file, line, column),
                "remove the control character",
            )
        )
    except yaml.YAMLError as exc:
        problems.append(
            Problem("yaml.syntax", f"YAML error: {_one_line(str(exc))}", SourceSpan(file, 1, 1))
        )
    return documents, problems


def _line_of(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
