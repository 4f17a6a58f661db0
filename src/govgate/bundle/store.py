"""Writing bundles atomically, archiving them deterministically, reading them safely.

A bundle directory appears complete or not at all: files are written into a hidden sibling
``.NAME.partial-XXXX``, fsynced, and the directory is renamed into place at the end. A crash
leaves only the partial folder; two writers to the same target never interleave files: one
rename wins, the other is refused. Archives are written to a temporary file and renamed too.

Reading never extracts: archive members are read into memory, and any member that is not a
plain relative file (absolute, ``..``, links, devices) is refused, as are oversized bundles.
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import tempfile
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from govgate.errors import GovgateError, OutputError, UsageError
from govgate.exitcodes import ExitCode
from govgate.files import atomic_write

MAX_FILES = 10_000
MAX_BYTES = 4 * 1024**3


class BundleError(GovgateError):
    """A bundle cannot be read: not a bundle, unsafe names, too large. Exit 8: a bundle a
    reviewer cannot read has failed verification. (Writing one that fails is an
    :class:`~govgate.errors.OutputError`.)"""

    exit_code = ExitCode.VERIFY_FAILED


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
            path = partial / _safe(name)
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


def _safe(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or "\\" in name:
        raise BundleError(f"unsafe member name {name!r} in a bundle")
    return path


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
                member = tarfile.TarInfo(str(_safe(name)))
                member.size, member.mode, member.mtime = len(files[name]), 0o644, 0
                tar.addfile(member, io.BytesIO(files[name]))
    elif suffix == ".zip":
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name in sorted(files):
                entry = zipfile.ZipInfo(str(_safe(name)), date_time=(1980, 1, 1, 0, 0, 0))
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


def _budget(count: int, size: int) -> None:
    if count > MAX_FILES or size > MAX_BYTES:
        raise BundleError(f"the bundle is larger than govgate reads ({count} files, {size} bytes)")


def read(path: Path) -> dict[str, bytes]:
    """Every file of a bundle directory or archive, by relative name, without extracting."""
    if path.is_dir():
        return _read_directory(path)
    name = path.name
    try:
        if name.endswith((".tar.gz", ".tgz")):
            return _read_tar(path)
        if name.endswith(".zip"):
            return _read_zip(path)
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError) as exc:
        raise BundleError(f"{path}: not a readable bundle archive ({exc})") from None
    raise BundleError(f"{path}: not a bundle directory or .tar.gz/.zip archive")


def _read_directory(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    size = 0
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        mode = path.lstat().st_mode
        if stat.S_ISDIR(mode):
            continue
        if not stat.S_ISREG(mode):
            raise BundleError(f"{relative}: not a regular file (links are not followed)")
        try:
            data = path.read_bytes()
        except OSError as exc:  # a bundle a reviewer cannot read has failed verification
            raise BundleError(f"{relative}: cannot be read ({exc.strerror or exc})") from None
        size += len(data)
        _budget(len(files) + 1, size)
        files[str(_safe(relative))] = data
    return files


def _read_tar(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    size = 0
    with tarfile.open(path, mode="r:gz") as tar:
        for member in tar:
            if member.isdir():
                continue
            if not member.isfile():
                raise BundleError(f"{member.name}: not a regular file in the archive")
            name = str(_safe(member.name))
            size += member.size
            _budget(len(files) + 1, size)
            handle = tar.extractfile(member)
            if handle is None or name in files:
                raise BundleError(f"{member.name}: unreadable or repeated archive member")
            files[name] = handle.read()
    return files


def _read_zip(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    size = 0
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BundleError(f"{info.filename}: links are not allowed in a bundle")
            name = str(_safe(info.filename))
            size += info.file_size
            _budget(len(files) + 1, size)
            if name in files:
                raise BundleError(f"{info.filename}: repeated archive member")
            files[name] = zf.read(info)
    return files
