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

from collections.abc import Iterator
from typing import Any

import yaml

from govgate.document.builder import DEFAULT_LIMITS, Builder, YamlLimits
from govgate.document.nodes import YamlDocument
from govgate.errors import Problem, SourceSpan

__all__ = ["DEFAULT_LIMITS", "YamlLimits", "load_yaml"]  # the limits are part of the reader

try:  # the C parser is ~10x faster; the pure-Python one behaves the same
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]


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
    from a file that had problems, nor judge one that had problems of its own (each problem's
    ``span.document`` is the index of the document it was found in: the one being read when
    parsing stopped, for a syntax error). Documents returned without problems of their own are
    whole.
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
    builder: Builder | None = None
    index = 0
    try:
        for event in _events(text):
            if isinstance(event, yaml.DocumentStartEvent):
                if index >= limits.max_documents:
                    problems.append(
                        Problem(
                            "yaml.too-large",
                            f"more than {limits.max_documents} documents in one file",
                            SourceSpan(file, _line_of(event), 1, "", index),
                        )
                    )
                    break
                builder = Builder(file, index, lines, limits)
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
                SourceSpan(file, line, column, "", index),
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
                SourceSpan(file, line, column, "", index),
                "remove the control character",
            )
        )
    except yaml.YAMLError as exc:
        problems.append(
            Problem(
                "yaml.syntax",
                f"YAML error: {_one_line(str(exc))}",
                SourceSpan(file, 1, 1, "", index),
            )
        )
    return documents, problems


def _line_of(event: Any) -> int:
    return int(event.start_mark.line) + 1


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]
