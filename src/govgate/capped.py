"""A read-only stream that refuses to produce more than a limit: archives inflate within it.

A tar header can make the parser itself hold a long name or a pax record, so an archive's whole
decompressed stream is capped, not only its members. Bundles (``bundle/reader.py``) and policy
packs (``policy/packs.py``) read their ``.tgz`` through it, each with the error it raises.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Final, Protocol

#: how much :meth:`CappedStream.drain` reads at a time
DRAIN_CHUNK: Final = 1024 * 1024


class Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class CappedStream:
    """Over ``source``, at most ``limit`` bytes; one more raises ``refuse(limit)``."""

    def __init__(self, source: Readable, limit: int, refuse: Callable[[int], Exception]) -> None:
        self.source = source
        self.limit = limit
        self.refuse = refuse
        self.produced = 0

    def read(self, size: int = -1, /) -> bytes:
        want = self.limit + 1 - self.produced
        data = self.source.read(want if size < 0 else min(size, want))
        self.produced += len(data)
        if self.produced > self.limit:
            raise self.refuse(self.limit)
        return data

    def drain(self) -> None:
        """Read what is left (the tar's padding), so the decompressor checks its checksum."""
        while self.read(DRAIN_CHUNK):
            pass

    def write(self, data: bytes) -> int:
        raise io.UnsupportedOperation("read-only")

    def tell(self) -> int:
        return self.produced

    def seek(self, offset: int) -> int:
        raise io.UnsupportedOperation("a stream")

    def close(self) -> None:
        """The source is closed by whoever opened it."""
