"""The one way govgate writes a file: whole or not at all, and a refusal named as such.

Snapshots, item tables and bundle archives go through :func:`atomic_write`, and reports through
:func:`write_text` (atomic too, unless the target is a pipe or a device), so a reader (a CI
step, ``govgate verify``, a reviewer) never sees half a file, and a full disk or a read-only
mount becomes an :class:`~govgate.errors.OutputError` (exit 9) naming the path.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from govgate.errors import OutputError


def atomic_write(path: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``path`` so that a reader never sees a half-written file.

    The file is private to its owner (0600) unless ``mode`` says otherwise."""
    tmp: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        if mode is not None:
            os.fchmod(fd, mode)
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


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


def write_text(path: Path, text: str) -> None:
    """A report, as a user expects one written: through a symlink to its target, straight
    into a pipe or device (``/dev/fd/3``, a FIFO), and otherwise atomically, with the file's
    own mode (or the umask's, for a new file) rather than a private one."""
    data = text.encode("utf-8")
    target = Path(os.path.realpath(path))
    if target.exists() and not target.is_file():
        try:
            with open(target, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            raise OutputError(f"{path}: could not be written ({exc.strerror or exc})") from None
        return
    mode = target.stat().st_mode & 0o777 if target.exists() else 0o666 & ~_umask()
    atomic_write(target, data, mode=mode)
