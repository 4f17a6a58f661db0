"""What govgate reads of a bundle at most, and the capped reads that hold it to that.

``govgate verify`` reads bundles someone else made, so it reads them defensively. The limits
keep what it holds far below any machine's memory while staying far above any bundle govgate
writes (tens of files, KiB of JSON, per-item tables of about 28 bytes an item in the shipped
examples):

====================  ========  ===========================================================
limit                 value     checked
====================  ========  ===========================================================
MAX_FILES             10,000    entries (files and folders), while listing
MAX_FILE_BYTES        128 MiB   one file: its size from ``lstat`` or the archive's header
MAX_BYTES             256 MiB   all files together, the same way
MAX_DEPTH             8         folders in a name
MAX_ARCHIVE_BYTES     288 MiB   the archive file itself, from ``fstat``, before parsing
====================  ========  ===========================================================

Declared sizes are checked first (:class:`Budget`), so nothing oversized is read at all; then
no declared size is believed: :func:`read_capped` reads in 1 MiB chunks and stops the moment a
file passes its limit. :func:`open_regular` opens without waiting (``O_NONBLOCK``) and checks
what it opened, so a FIFO cannot hang a verification. Every refusal is a :class:`BundleError`,
a failed verification (exit 8), naming the file, the limit and what to do.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final, Protocol

from govgate.errors import GovgateError
from govgate.exitcodes import ExitCode

MIB: Final = 1024**2
MAX_FILES: Final = 10_000
"""Entries (files and folders) in one bundle; a bundle holds tens."""
MAX_FILE_BYTES: Final = 128 * MIB
"""One file; the largest in a bundle are its per-item tables: millions of items fit."""
MAX_BYTES: Final = 256 * MIB
"""All files together: what verify holds in memory at most (and then replays)."""
MAX_DEPTH: Final = 8
"""Folders a name may nest; a bundle's deepest is ``evidence/items/<sha256>.parquet``."""
MAX_ARCHIVE_BYTES: Final = MAX_BYTES + 32 * MIB
"""An archive file on disk: its contents, with room for headers; checked before it is opened."""
CHUNK: Final = 1 * MIB
NOT_A_BUNDLE: Final = (
    "no bundle govgate writes comes near these limits: get the bundle again from where it was "
    "produced, the check's output or its MLflow run"
)
"""The hint of every refusal for size: what to do about it."""


class BundleError(GovgateError):
    """A bundle cannot be read: not a bundle, unsafe names, too large. Exit 8: a bundle a
    reviewer cannot read has failed verification. (Writing one that fails is an
    :class:`~govgate.errors.OutputError`.)"""

    exit_code = ExitCode.VERIFY_FAILED


def safe_name(name: str) -> PurePosixPath:
    """``name`` as a relative path inside a bundle; absolute, ``..`` or backslashes refused."""
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise BundleError(f"unsafe member name {name!r} in a bundle")
    return path


def mib(size: int) -> str:
    """A limit in MiB, for messages (``128 MiB``)."""
    return f"{size / MIB:g} MiB"


def kind(mode: int) -> str:
    """What a non-regular file is, in words, from its ``st_mode``."""
    kinds = [
        (stat.S_ISLNK, "a symbolic link"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISDIR, "a directory"),
    ]
    return next((words for test, words in kinds if test(mode)), "not a regular file")


class Budget:
    """What is left of a bundle's limits while its files are listed or read."""

    def __init__(self) -> None:
        self.files = 0
        self.bytes = 0

    def count(self, name: str) -> None:
        """One more entry (file or folder) named ``name``: refused past the count or depth."""
        self.files += 1
        if self.files > MAX_FILES:
            raise BundleError(
                f"{name}: the bundle has more than {MAX_FILES} entries, more than govgate reads",
                hint=NOT_A_BUNDLE,
            )
        if len(PurePosixPath(name).parts) > MAX_DEPTH:
            raise BundleError(
                f"{name}: nested more than {MAX_DEPTH} folders deep in the bundle",
                hint=NOT_A_BUNDLE,
            )

    def declare(self, name: str, size: int) -> None:
        """Refuse a file whose stated size (from stat or the archive) is over a limit."""
        if size > MAX_FILE_BYTES:
            raise BundleError(
                f"{name}: {size} bytes, more than the {mib(MAX_FILE_BYTES)} govgate reads of "
                "one bundle file",
                hint=NOT_A_BUNDLE,
            )
        self.bytes += size
        if self.bytes > MAX_BYTES:
            raise BundleError(
                f"{name}: the bundle's files add up to more than the {mib(MAX_BYTES)} govgate "
                f"reads ({self.bytes} bytes so far)",
                hint=NOT_A_BUNDLE,
            )

    def left(self) -> int:
        """How much one more file may hold: its own limit, or what the total leaves."""
        return min(MAX_FILE_BYTES, MAX_BYTES - self.bytes)


class Readable(Protocol):
    """Anything with ``read(size)``: a file, a zip or tar member, a decompressor."""

    def read(self, size: int = -1, /) -> bytes: ...


def read_capped(handle: Readable, limit: int, name: str) -> bytes:
    """All of ``handle``, read in chunks; refused as soon as it holds more than ``limit``."""
    chunks: list[bytes] = []
    size = 0
    while chunk := handle.read(min(CHUNK, limit + 1 - size)):
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise BundleError(
                f"{name}: more than {limit} bytes when read (more than its size says, or than "
                "the bundle's limits leave)",
                hint=NOT_A_BUNDLE,
            )
    return b"".join(chunks)


def open_regular(path: Path, name: str, *, follow: bool) -> BinaryIO:
    """``path`` opened for reading, if it is a regular file once open (no FIFO can block: the
    open does not wait for a writer, and the check is on what was opened, not on the name)."""
    flags = os.O_RDONLY | os.O_NONBLOCK | (0 if follow else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:  # a bundle a reviewer cannot read has failed verification
        raise BundleError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise BundleError(f"{name}: {kind(mode)}, not a regular file", hint=NOT_A_BUNDLE)
    return os.fdopen(fd, "rb")
