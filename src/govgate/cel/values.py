"""Plain Python values to CEL values and back: the engine's side of the celpy boundary.

Evidence reaches CEL as maps of doubles, ints, bools, strings and timestamps; results come
back as plain Python for caching variables and formatting messages. Keeping the conversions
here is what lets ``cel/`` be the only package that imports ``celpy``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from govgate.errors import CelError


def to_cel(value: Any) -> Any:
    """Plain data to CEL: dict -> map, list -> list, float -> double, int -> int, datetime ->
    timestamp; None stays None (a missing value); anything else becomes a string."""
    import celpy.celtypes as ct

    if isinstance(value, dict):
        return ct.MapType({ct.StringType(k): to_cel(v) for k, v in value.items()})
    if isinstance(value, list):
        return ct.ListType([to_cel(v) for v in value])
    if isinstance(value, bool):
        return ct.BoolType(value)
    if isinstance(value, int):
        return ct.IntType(value)
    if isinstance(value, float):
        return ct.DoubleType(value)
    if isinstance(value, dt.datetime):
        return ct.TimestampType(value)
    if value is None:
        return None
    return ct.StringType(str(value))


def from_cel(value: Any) -> Any:
    """CEL values back to plain Python."""
    import celpy.celtypes as ct

    if isinstance(value, ct.MapType):
        return {str(k): from_cel(v) for k, v in value.items()}
    if isinstance(value, ct.ListType):
        return [from_cel(v) for v in value]
    if isinstance(value, ct.BoolType):
        return bool(value)
    if isinstance(value, ct.IntType | ct.UintType):
        return int(value)
    if isinstance(value, ct.DoubleType):
        return float(value)
    if isinstance(value, ct.TimestampType):
        return dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if isinstance(value, ct.StringType):
        return str(value)
    return value


def truth(result: Any, what: str) -> bool:
    """A CEL result that must be true or false (celpy's BoolType subclasses int, not bool)."""
    import celpy.celtypes as ct

    if isinstance(result, bool):
        return result
    if isinstance(result, ct.BoolType):
        return bool(result)
    raise CelError("cel.type", f"the {what} must be true or false, not {type(result).__name__}")
