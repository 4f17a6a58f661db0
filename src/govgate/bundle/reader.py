"""Reading a bundle directory or archive into memory, safely: never extracting, never
following a link, never opening what is not a regular file, and never past the limits of
:mod:`govgate.bundle.limits`.

Anything that is not a plain relative file (absolute, ``..``, links, devices, FIFOs, sockets;
in a zip also an encrypted member or one compressed other than stored or deflated) is refused,
and so is a corrupt or truncated archive. A tar.gz is decompressed through a cap on its whole
stream (a tar header can make the parser itself hold a long name or pax record) and read to
its end so that gzip checks its checksum; a zip's central directory is bounded (4 MiB, no
ZIP64) before ``zipfile`` parses it, and every member's declared size is checked before any
is inflated.
"""

from __future__ import annotations

import gzip
import os
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final

from govgate.bundle.limits import (
    MAX_ARCHIVE_BYTES,
    MAX_BYTES,
    MAX_FILES,
    MIB,
    NOT_A_BUNDLE,
    Budget,
    BundleError,
    kind,
    mib,
    open_regular,
    read_capped,
    safe_name,
)
from govgate.capped import CappedStream

_ZIP_MAX_DIRECTORY: Final = 4 * MIB  # 10,000 members of a bundle's names take about 1.5 MiB
_EOCD, _EOCD_SIZE = b"PK\x05\x06", 22
_ZIP64_LOCATOR, _ZIP64_LOCATOR_SIZE = b"PK\x06\x07", 20
_ZIP_ENCRYPTED: Final = 0x01 | 0x40  # traditional PKWARE and strong encryption
_ZIP_PATCHED: Final = 0x20
_ZIP_METHODS: Final = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_ARCHIVE_OVERHEAD: Final = 32 * MIB  # tar headers and padding, beyond the files' own bytes


def read(path: Path) -> dict[str, bytes]:
    """Every file of a bundle directory or archive, by relative name, without extracting.

    Nothing is opened before ``stat`` says it is a regular file or a directory (a FIFO would
    block the read forever), and no size is believed: every file is read in chunks and
    refused at its limit (:data:`MAX_FILE_BYTES`, :data:`MAX_BYTES` in all).
    """
    try:
        mode = path.stat().st_mode  # the path the user named may be a link; what is in it may not
    except OSError as exc:
        raise BundleError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        return _read_directory(path)
    if not stat.S_ISREG(mode):
        raise BundleError(
            f"{path}: {kind(mode)}, not a bundle directory or archive file",
            hint="name the bundle directory or its .tar.gz/.zip file",
        )
    if path.name.endswith((".tar.gz", ".tgz")):
        return _read_archive(path, _read_tar)
    if path.name.endswith(".zip"):
        return _read_archive(path, _read_zip)
    raise BundleError(f"{path}: not a bundle directory or .tar.gz/.zip archive")


# -- directories ----------------------------------------------------------------------------------


def _read_directory(root: Path) -> dict[str, bytes]:
    """The files under ``root``: listed and sized from ``lstat`` first, then each read capped."""
    budget = Budget()
    listing = _list_directory(root, budget)
    for name, size in listing:
        budget.declare(name, size)
    files: dict[str, bytes] = {}
    taken = Budget()
    for name, _ in listing:
        with open_regular(root / name, name, follow=False) as handle:
            data = read_capped(handle, taken.left(), name)
        taken.declare(name, len(data))
        files[name] = data
    return files


def _list_directory(root: Path, budget: Budget) -> list[tuple[str, int]]:
    """(name, size) of every file under ``root``, sorted; anything but a file or a folder is
    refused (links are not followed). An explicit stack: no depth of folders can recurse."""
    found: list[tuple[str, int]] = []
    pending = [""]
    while pending:
        folder = pending.pop()
        try:
            with os.scandir(root / folder if folder else root) as entries:
                for entry in entries:
                    name = f"{folder}/{entry.name}" if folder else entry.name
                    budget.count(name)
                    info = entry.stat(follow_symlinks=False)
                    if stat.S_ISDIR(info.st_mode):
                        pending.append(name)
                    elif stat.S_ISREG(info.st_mode):
                        found.append((str(safe_name(name)), info.st_size))
                    else:
                        raise BundleError(
                            f"{name}: {kind(info.st_mode)}, not a regular file",
                            hint="a bundle holds only files and folders (links are not followed)",
                        )
        except OSError as exc:
            raise BundleError(f"{folder or '.'}: cannot be read ({exc.strerror or exc})") from None
    return sorted(found)


# -- archives -------------------------------------------------------------------------------------


def _read_archive(path: Path, reader: Callable[[BinaryIO], dict[str, bytes]]) -> dict[str, bytes]:
    """Open the archive (a regular file, of a size a bundle can have) and read it with
    ``reader``; anything the decompressors or archive parsers refuse is a corrupt archive."""
    with open_regular(path, str(path), follow=True) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > MAX_ARCHIVE_BYTES:
            raise BundleError(
                f"{path}: {size} bytes, more than the {mib(MAX_ARCHIVE_BYTES)} govgate reads of "
                "a bundle archive",
                hint=NOT_A_BUNDLE,
            )
        try:
            return reader(handle)
        except BundleError as exc:
            raise BundleError(f"{path}: {exc.message}", hint=exc.hint) from None
        except (OSError, EOFError, zlib.error, tarfile.TarError, zipfile.BadZipFile) as exc:
            raise BundleError(
                f"{path}: not a readable bundle archive: corrupt or truncated ({exc})",
                hint="get the archive again from where it was produced",
            ) from None


def _member_name(raw: str, *, folder: bool = False) -> str:
    """The normalised name of an archive member, refused if it could point outside."""
    if folder and not PurePosixPath(raw).parts:
        return ""  # the archive's own root, as ``tar -C bundle -czf x.tgz .`` writes it
    return str(safe_name(raw))


def _read_tar(handle: BinaryIO) -> dict[str, bytes]:
    """A .tar.gz read as a stream: the decompressed bytes are capped as they are produced (a
    tar header can make the parser itself read a long name or pax record into memory), each
    member's declared size is checked before it is read, and the gzip stream is read to its
    end so that its checksum and length are verified."""
    files: dict[str, bytes] = {}
    budget = Budget()
    with gzip.GzipFile(fileobj=handle, mode="rb") as gz:
        stream = CappedStream(gz, MAX_BYTES + _ARCHIVE_OVERHEAD, _too_large)
        with tarfile.open(fileobj=stream, mode="r|") as tar:
            for member in tar:
                budget.count(member.name)
                if member.isdir():
                    _member_name(member.name, folder=True)
                    continue
                name = _tar_member(member)
                budget.declare(name, member.size)
                extracted = tar.extractfile(member)
                if extracted is None or name in files:
                    raise BundleError(f"{member.name}: unreadable or repeated archive member")
                files[name] = read_capped(extracted, member.size, name)
        stream.drain()
    return files


def _tar_member(member: tarfile.TarInfo) -> str:
    """The name of a plain file member; a link, device, FIFO or sparse file is refused."""
    if member.isfile() and not member.issparse():
        return _member_name(member.name)
    kind = _TAR_KINDS.get(member.type, f"a member of type {member.type!r}")
    raise BundleError(
        f"{member.name}: {kind} in the archive, not a regular file",
        hint="a bundle archive holds only files and folders",
    )


_TAR_KINDS = {
    tarfile.SYMTYPE: "a symbolic link",
    tarfile.LNKTYPE: "a hard link",
    tarfile.CHRTYPE: "a character device",
    tarfile.BLKTYPE: "a block device",
    tarfile.FIFOTYPE: "a FIFO (named pipe)",
    tarfile.GNUTYPE_SPARSE: "a sparse file",
}


def _too_large(limit: int) -> BundleError:
    return BundleError(
        f"the archive inflates to more than {mib(limit)}, more than govgate reads",
        hint=NOT_A_BUNDLE,
    )


def _read_zip(handle: BinaryIO) -> dict[str, bytes]:
    """A .zip: its central directory bounded before it is parsed, every member's declared size
    checked before anything is inflated, then each member inflated in chunks, capped."""
    _check_zip_directory(handle)
    files: dict[str, bytes] = {}
    budget = Budget()
    with zipfile.ZipFile(handle) as zf:
        members: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            budget.count(info.filename)
            if _zip_folder(info):
                continue
            name = _zip_member(info)
            budget.declare(name, info.file_size)
            if name in members:
                raise BundleError(f"{info.filename}: repeated archive member")
            members[name] = info
        for name, info in sorted(members.items()):
            with zf.open(info) as member:
                files[name] = read_capped(member, info.file_size, name)
    return files


def _zip_folder(info: zipfile.ZipInfo) -> bool:
    """Whether ``info`` is an empty folder entry (as ``zip -r`` writes); a 'folder' with
    content, or a name without its trailing slash whose mode says folder, is refused."""
    mode = info.external_attr >> 16
    if not info.is_dir():
        if stat.S_ISDIR(mode):
            raise BundleError(f"{info.filename}: a directory entry without a trailing '/'")
        return False
    if info.file_size or info.compress_size:
        raise BundleError(f"{info.filename}: a directory entry with content")
    _member_name(info.filename, folder=True)
    return True


def _zip_member(info: zipfile.ZipInfo) -> str:
    """The name of a plain file member, stored or deflated, not encrypted; else refused."""
    mode = info.external_attr >> 16  # the Unix mode, when the archiver recorded one
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):
        raise BundleError(
            f"{info.filename}: {kind(mode)} in the archive, not a regular file",
            hint="a bundle archive holds only files and folders",
        )
    if info.flag_bits & _ZIP_ENCRYPTED:
        raise BundleError(
            f"{info.filename}: encrypted in the archive",
            hint="a bundle is never encrypted; get the archive govgate wrote",
        )
    if info.flag_bits & _ZIP_PATCHED or info.compress_type not in _ZIP_METHODS:
        raise BundleError(
            f"{info.filename}: compressed with zip method {info.compress_type}, which govgate "
            "does not read",
            hint="store or deflate it, as `zip` and govgate do",
        )
    return _member_name(info.filename)


def _check_zip_directory(handle: BinaryIO) -> None:
    """Refuse a zip whose central directory is larger than a bundle's can be, or that uses
    ZIP64 (a bundle never needs it), from its end record, before ``zipfile`` reads it in full.

    ``zipfile`` takes the directory's size from this record (or from the ZIP64 record a
    locator just before it points to) and reads and parses all of it: a few MiB of directory
    make hundreds of thousands of member objects. The record is found as ``zipfile`` finds it:
    at the very end, else the last signature in the 64 KiB a comment may take.
    """
    size = handle.seek(0, os.SEEK_END)
    tail_size = min(size, _EOCD_SIZE + 0xFFFF + _ZIP64_LOCATOR_SIZE)
    handle.seek(size - tail_size)
    tail = handle.read(tail_size)
    at = len(tail) - _EOCD_SIZE
    if tail[at : at + 4] != _EOCD or tail[-2:] != b"\0\0":
        at = tail.rfind(_EOCD)
    if at < 0 or len(tail) - at < _EOCD_SIZE:
        raise zipfile.BadZipFile("File is not a zip file")
    if tail[max(at - _ZIP64_LOCATOR_SIZE, 0) : at][:4] == _ZIP64_LOCATOR:
        raise BundleError("a ZIP64 archive: larger than any bundle govgate writes")
    directory = int.from_bytes(tail[at + 12 : at + 16], "little")
    if directory > _ZIP_MAX_DIRECTORY:
        raise BundleError(
            f"its zip directory is {directory} bytes, more than the {mib(_ZIP_MAX_DIRECTORY)} "
            f"govgate reads (room for {MAX_FILES} members)",
            hint=NOT_A_BUNDLE,
        )
    handle.seek(0)
