"""The order the gate feeds items to order-dependent bounds: a hash of each item's id.

The betting bound for a mean (``stats/betting.py``) bets item by item, so its value depends on
the order of the items; it is valid when that order is exchangeable, i.e. carries no
information about the values. A table's row order may (a harness can sort by score, by topic,
by difficulty), and the result would then change with the row order and could be invalid.

The gate therefore orders items by a 64-bit hash of their ``item_id`` (FNV-1a over the UTF-8
bytes, then the splitmix64 finaliser): a fixed, pseudo-random order that depends on the ids
alone. Under the assumption of every bound here (items are a sample whose values do not depend
on their labels) the values in this order are exchangeable, so the bound is valid; and the same
items give the same bound in any row order. Ties between hashes (probability ~n^2 / 2^65) keep
row order. Pure numpy over the Arrow string buffers, one vectorised pass per character position.
"""

from __future__ import annotations

import numpy as np

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)


def id_hashes(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """64-bit hashes of strings given as Arrow-style ``offsets`` (n + 1) and UTF-8 ``data``."""
    starts = offsets[:-1].astype(np.int64)
    lengths = np.diff(offsets).astype(np.int64)
    h = np.full(starts.size, _FNV_OFFSET, dtype=np.uint64)
    longest = int(lengths.max()) if lengths.size else 0
    for j in range(longest):
        active = np.flatnonzero(lengths > j)
        h[active] = (h[active] ^ data[starts[active] + j].astype(np.uint64)) * _FNV_PRIME
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def id_order(offsets: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Row indices in the order of their ids' hashes."""
    return np.argsort(id_hashes(offsets, data), kind="stable")


def strings_order(ids: list[str]) -> np.ndarray:
    """:func:`id_order` for a Python list of ids (tests, small tables)."""
    encoded = [s.encode("utf-8") for s in ids]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded])
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8)
    return id_order(offsets, data)
