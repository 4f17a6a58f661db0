"""The one way govgate writes a file: whole or not at all, and a refusal named as such.

Reports, snapshots, item tables and bundle archives all go through :func:`atomic_write`, so a
reader (a CI step, ``govgate verify``, a reviewer) never sees half a file, and a full disk or a
read-only mount becomes an :class:`~govgate.errors.OutputError` (exit 9) naming the path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from govgate.errors import OutputError


def atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that a reader never sees a half-written file."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise OutputError(
            f"{path}: could not be written ({exc.strerror or exc})",
            hint="free space or choose another path; nothing after it was logged or promoted",
        ) from None
    finally:
        if tmp is not None and os.path.exists(tmp):
            Path(tmp).unlink(missing_ok=True)


def write_text(path: Path, text: str) -> None:
    """:func:`atomic_write` for UTF-8 text (reports)."""
    atomic_write(path, text.encode("utf-8"))
