"""Plain scalars resolved with the YAML 1.2 core schema, not YAML 1.1's surprises.

``no`` stays the string ``"no"`` (and fails a schema that wants a boolean, with a hint from
:data:`YAML11_BOOLEANS`), ``1e-2`` is the number 0.01, ``0o17`` is octal and ``017`` is 17.
"""

from __future__ import annotations

import re
from typing import Any

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


def resolve_plain(text: str) -> Any:
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
