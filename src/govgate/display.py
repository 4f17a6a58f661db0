"""Strings from evidence and policies, made safe to show on a terminal, a CI log or in XML.

A run name, a group label, a param or a waiver's justification is written by whoever wrote the
run or the policy. In a text report on a terminal an ESC byte moves the cursor; in a CI log a
newline followed by ``::notice`` posts a fake annotation and ``::stop-commands::`` silences the
real ones; in ``junit.xml`` a control character makes the file invalid XML; a Unicode bidi
override makes a line read backwards. So every text renderer (text, markdown, junit, github)
renders a *display copy* of the decision, in which every control, line-separator and bidi
character of every string is written out visibly (``\\x1b``, ``\\x0a``, ``\\u202e``). The JSON
report, the bundle and the HTML page (escaped by its template) keep the exact strings.
"""

from __future__ import annotations

import re
from enum import Enum
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # the CLI imports this for every error line: keep pydantic off start-up
    from pydantic import BaseModel

#: C0 and C1 controls (newline and tab included), DEL, zero-width and bidi controls, the line
#: and paragraph separators and the byte-order mark: nothing a reader should not see
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")

M = TypeVar("M", bound="BaseModel")


def _code(match: re.Match[str]) -> str:
    point = ord(match.group())
    return f"\\x{point:02x}" if point < 0x100 else f"\\u{point:04x}"


def visible(text: str) -> str:
    """``text`` on one line, every invisible or control character written out."""
    return _UNSAFE.sub(_code, text)


def _clean(value: Any) -> Any:
    if isinstance(value, Enum):
        return value
    if isinstance(value, str):
        return visible(value)
    if isinstance(value, dict):
        return {_clean(k): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v) for v in value)
    return value


def display_copy(model: M) -> M:
    """A copy of a decision or risk assessment with every string made :func:`visible`."""
    return type(model).model_validate(_clean(model.model_dump()))
