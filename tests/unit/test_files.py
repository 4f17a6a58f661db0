"""Reports are written as a user expects: mode, symlinks, pipes; whole or not at all."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from govgate.files import atomic_write, write_text


def test_a_new_report_gets_the_umask_mode_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        write_text(tmp_path / "new.md", "x")
        assert stat.S_IMODE((tmp_path / "new.md").stat().st_mode) == 0o644
        kept = tmp_path / "kept.md"
        kept.write_text("old")
        kept.chmod(0o640)
        write_text(kept, "new")
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640
        assert kept.read_text() == "new"
    finally:
        os.umask(old)
    atomic_write(tmp_path / "private.json", b"{}")  # snapshots and archives stay private
    assert stat.S_IMODE((tmp_path / "private.json").stat().st_mode) == 0o600


def test_a_report_goes_through_a_symlink_to_its_target(tmp_path: Path) -> None:
    target = tmp_path / "shared" / "report.json"
    target.parent.mkdir()
    target.write_text("")
    link = tmp_path / "link.json"
    link.symlink_to(target)
    write_text(link, "{}")
    assert link.is_symlink()
    assert target.read_text() == "{}"


def test_a_report_can_go_into_a_pipe(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[str] = []
    reader = threading.Thread(target=lambda: got.append(fifo.read_text()))
    reader.start()
    write_text(fifo, "through the pipe")
    reader.join(timeout=10)
    assert got == ["through the pipe"]
