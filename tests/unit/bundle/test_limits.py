"""The reading limits of a bundle: documented as enforced, and no stated size believed."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest

from govgate import jsonsafe
from govgate.bundle import limits
from govgate.bundle.limits import BundleError, open_regular, read_capped
from tests.conftest import ROOT


def test_the_readme_states_the_limits_verify_enforces() -> None:
    readme = (ROOT / "README.md").read_text()
    table = dict(
        re.findall(
            r"^\| (one file|all files together|files and folders|an archive "
            r"file itself|any JSON file) \| (.+) \|$",
            readme,
            re.M,
        )
    )
    assert table == {
        "one file": f"{limits.MAX_FILE_BYTES // limits.MIB} MiB",
        "all files together": f"{limits.MAX_BYTES // limits.MIB} MiB",
        "files and folders": f"{limits.MAX_FILES:,}, at most {limits.MAX_DEPTH} folders deep",
        "an archive file itself": f"{limits.MAX_ARCHIVE_BYTES // limits.MIB} MiB",
        "any JSON file": f"{jsonsafe.MAX_BYTES // limits.MIB} MiB, nested at most "
        f"{jsonsafe.MAX_DEPTH} levels",
    }


class Endless(io.RawIOBase):
    """A stream that never ends, counting what it hands out."""

    def __init__(self) -> None:
        self.given = 0

    def read(self, size: int = -1) -> bytes:
        chunk = b"x" * (size if 0 < size < 1 << 20 else 1 << 20)
        self.given += len(chunk)
        return chunk


def test_a_capped_read_stops_one_byte_past_its_limit() -> None:
    endless = Endless()
    with pytest.raises(BundleError, match=r"x\.bin: more than 3000000 bytes when read"):
        read_capped(endless, 3_000_000, "x.bin")
    assert endless.given == 3_000_001
    assert read_capped(io.BytesIO(b"abc"), 3, "y") == b"abc"


def test_opening_a_fifo_neither_blocks_nor_succeeds(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(BundleError, match="pipe: a FIFO \\(named pipe\\), not a regular file"):
        open_regular(tmp_path / "pipe", "pipe", follow=False)


def test_a_link_is_not_followed_inside_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    with pytest.raises(BundleError, match="link: cannot be read"):
        open_regular(tmp_path / "link", "link", follow=False)
    with open_regular(tmp_path / "link", "link", follow=True) as handle:
        assert handle.read() == b"x"
