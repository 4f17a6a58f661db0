"""Helpers for mutating JSON-like documents in schema and fuzz tests."""

from __future__ import annotations

from typing import Any


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into ``value`` (dict keys and list indexes), the root included."""
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out.extend(paths(v, (*prefix, k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.extend(paths(v, (*prefix, i)))
    return out


def parent_of(doc: Any, path: tuple[Any, ...]) -> Any:
    """The container holding the node at ``path``."""
    for key in path[:-1]:
        doc = doc[key]
    return doc
