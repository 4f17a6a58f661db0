"""Canonical JSON (RFC 8785, JCS) and digests over it, by the maintained ``rfc8785`` package.

Everything govgate hashes (evidence snapshots, decisions, bundle manifests) is serialised here,
so the same value always has the same bytes: keys sorted by UTF-16 code units, no whitespace,
strings escaped minimally, numbers in the ECMAScript shortest form. What has no canonical form
raises :class:`CanonicalJSONError`: NaN and infinities, non-string keys, lone surrogates (not
UTF-8; the package raises a UnicodeEncodeError for one in a key, mapped here too), values
that are not JSON. One extension over the package: an integer beyond 2^53 that
is exactly an IEEE double is written as that double (JSON readers turn ``9007199254740994``
back into an integer, and its canonical form must not change on a round trip); any other
integer beyond 2^53 raises. (This module was a hand-written JCS encoder: the package gives the
same bytes, checked on random values in the tests, and refuses lone surrogates cleanly.)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import rfc8785

_SAFE = 2**53 - 1


class CanonicalJSONError(ValueError):
    """A value that has no canonical JSON form (NaN, infinity, a non-string key, ...)."""


def _as_doubles(value: Any) -> Any:
    """``value`` with integers beyond 2^53 that are exactly a double turned into that double."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if abs(value) <= _SAFE:
            return value
        if abs(value) < 2**1024 and int(float(value)) == value:
            return float(value)
        raise CanonicalJSONError(f"integer {value} has no exact IEEE double form")
    if isinstance(value, Mapping):
        return {k: _as_doubles(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_as_doubles(v) for v in value]
    return value


def dumps(value: Any) -> bytes:
    """The canonical JSON bytes (UTF-8) of a JSON-like value."""
    try:
        return bytes(rfc8785.dumps(value))
    except rfc8785.IntegerDomainError:
        value = _as_doubles(value)
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:
        raise CanonicalJSONError(_why(exc)) from exc
    try:
        return bytes(rfc8785.dumps(value))
    except (rfc8785.CanonicalizationError, UnicodeError) as exc:
        raise CanonicalJSONError(_why(exc)) from exc


def _why(exc: Exception) -> str:
    # the package sorts keys by UTF-16 code units and lets a lone surrogate in a key escape as
    # a UnicodeEncodeError: the same problem as one in a value, said the same way
    if isinstance(exc, UnicodeError):
        return "input contains non-UTF-8 codepoints (a lone surrogate)"
    return str(exc)


def sha256(value: Any) -> str:
    """Hex sha256 of the canonical JSON of ``value``."""
    return hashlib.sha256(dumps(value)).hexdigest()
