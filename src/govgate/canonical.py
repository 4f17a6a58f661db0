"""Canonical JSON (RFC 8785, JCS) and digests over it.

Everything govgate hashes (evidence snapshots, decisions, bundle manifests) is serialised here,
so the same value always has the same bytes: keys sorted by UTF-16 code units, no whitespace,
strings escaped minimally, numbers in the ECMAScript shortest form. NaN and infinities are not
JSON and raise.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form (NaN, infinity, a non-string key, ...)."""


def _number(value: float) -> str:
    """ECMAScript Number::toString for a finite double (RFC 8785 section 3.2.2.3)."""
    if not math.isfinite(value):
        raise CanonicalJSONError(f"{value!r} is not representable in JSON")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest(abs(value))
    k = len(digits)
    n = exponent + k  # value = 0.digits * 10^n
    if k <= n <= 21:
        return sign + digits + "0" * (n - k)
    if 0 < n <= 21:
        return sign + digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return sign + "0." + "0" * (-n) + digits
    e = n - 1
    mantissa = digits[0] + ("." + digits[1:] if k > 1 else "")
    return f"{sign}{mantissa}e{'+' if e >= 0 else '-'}{abs(e)}"


def _shortest(value: float) -> tuple[str, int]:
    """The shortest round-tripping decimal digits of ``value`` and their exponent."""
    text = repr(value)  # Python's repr is the shortest round-trip representation
    mantissa, _, exp = text.partition("e")
    whole, _, frac = mantissa.partition(".")
    digits = (whole + frac).lstrip("0")
    exponent = int(exp or 0) - len(frac)
    stripped = digits.rstrip("0")
    exponent += len(digits) - len(stripped)
    return stripped or "0", exponent


def _string(value: str) -> str:
    out = ['"']
    for ch in value:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif code < 0x20:
            out.append(
                {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(
                    ch, f"\\u{code:04x}"
                )
            )
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int):
        if abs(value) <= 2**53:
            out.append(str(value))
        elif abs(value) < 2**1024 and int(float(value)) == value:  # exactly a double
            out.append(_number(float(value)))
        else:
            raise CanonicalJSONError(f"integer {value} has no exact IEEE double form")
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        _encode_object(value, out)
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise CanonicalJSONError(f"{type(value).__name__} is not a JSON value")


def _encode_object(value: Mapping[Any, Any], out: list[str]) -> None:
    keys = []
    for key in value:
        if not isinstance(key, str):
            raise CanonicalJSONError(f"object key {key!r} is not a string")
        keys.append(key)
    keys.sort(key=lambda k: k.encode("utf-16-be"))  # RFC 8785: by UTF-16 code units
    out.append("{")
    for i, key in enumerate(keys):
        if i:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def dumps(value: Any) -> bytes:
    """The canonical JSON bytes (UTF-8) of a JSON-like value."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out).encode("utf-8")


def sha256(value: Any) -> str:
    """Hex sha256 of the canonical JSON of ``value``."""
    return hashlib.sha256(dumps(value)).hexdigest()
