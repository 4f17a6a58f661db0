"""Writing bundles atomically, and archiving them deterministically.

A bundle directory appears complete or not at all: files are written into a hidden sibling
``.NAME.partial-XXXX``, fsynced, and the directory is renamed into place at the end. A crash
leaves only the partial folder; two writers to the same target never interleave files: one
rename wins, the other is refused. Archives are written to a temporary file and renamed too.
Reading one is :mod:`govgate.bundle.reader`'s, under the limits of :mod:`govgate.bundle.limits`.
"""

from __future__ import annotations

import gzip
import io
import os
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path

from govgate.bundle.limits import safe_name
from govgate.errors import OutputError, UsageError
from govgate.files import atomic_write


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_directory(target: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` as the directory ``target``, atomically. ``target`` must not exist."""
    target = target.absolute()
    if target.exists():
        raise UsageError(
            f"{target}: already exists",
            hint="a bundle is written once; remove it or choose another --bundle path",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.partial-"))
    except OSError as exc:
        raise _unwritable(target, exc) from None
    try:
        for name in sorted(files):
            path = partial / safe_name(name)
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(files[name])
                handle.flush()
                os.fsync(handle.fileno())
        for folder in sorted({p.parent for p in partial.rglob("*")} | {partial}, reverse=True):
            _fsync_dir(folder)
        try:
            os.rename(partial, target)  # atomic; fails if another writer got there first
        except OSError as exc:
            raise OutputError(
                f"{target}: could not be created ({exc.strerror}); another run may have written "
                "it at the same moment",
                hint="each check needs its own --bundle path",
            ) from None
        _fsync_dir(target.parent)
    except OSError as exc:  # a full disk, a read-only mount: say so, and leave nothing behind
        _remove_tree(partial)
        raise _unwritable(target, exc) from None
    except BaseException:
        _remove_tree(partial)
        raise


def _unwritable(target: Path, exc: OSError) -> OutputError:
    return OutputError(
        f"could not write the audit bundle {target}: {exc.strerror or exc}",
        hint="free space or choose another path; nothing was logged to the candidate run",
    )


def _remove_tree(path: Path) -> None:
    if not path.exists():
        return
    for child in sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if child.is_dir() and not child.is_symlink():
            child.rmdir()
        else:
            child.unlink()
    path.rmdir()


def write_archive(target: Path, files: Mapping[str, bytes]) -> None:
    """A deterministic .tar.gz or .zip of the bundle (sorted names, fixed times and owners)."""
    suffix = archive_suffix(target)
    buffer = io.BytesIO()
    if suffix in (".tar.gz", ".tgz"):
        with (
            gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for name in sorted(files):
                member = tarfile.TarInfo(str(safe_name(name)))
                member.size, member.mode, member.mtime = len(files[name]), 0o644, 0
                tar.addfile(member, io.BytesIO(files[name]))
    elif suffix == ".zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(files):
                entry = zipfile.ZipInfo(str(safe_name(name)), date_time=(1980, 1, 1, 0, 0, 0))
                entry.compress_type = zipfile.ZIP_DEFLATED
                entry.external_attr = 0o644 << 16
                zf.writestr(entry, files[name])
    else:
        raise UsageError(f"{target}: the archive must end in .tar.gz, .tgz or .zip")
    atomic_write(target, buffer.getvalue())


ARCHIVE_SUFFIXES = (".tar.gz", ".tgz", ".zip")


def archive_suffix(target: Path) -> str:
    """``.tar.gz``, ``.tgz`` or ``.zip`` (or the name's own suffix, which is none of them)."""
    return "".join(target.suffixes[-2:]) if target.name.endswith(".tar.gz") else target.suffix
