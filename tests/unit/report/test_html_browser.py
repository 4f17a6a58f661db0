"""The HTML report in a real headless Chromium: it loads, logs no console errors, and shows its
plots. The screenshot is kept in out/test-artifacts/ (CI keeps it as an artifact).

Chromium comes from Debian's package (.ci/run installs it). Without it the test is skipped on a
developer machine and fails in CI, so a missing browser can never pass silently.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from govgate.report import RENDERERS
from tests.conftest import ROOT
from tests.support.decisions import scenario

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = ROOT / "out" / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=3000",
]

if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("chromium is required in CI: .ci/run installs Debian's chromium package")
    pytest.skip("chromium is not installed (apt-get install chromium)", allow_module_level=True)


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *extra, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "CONSOLE" in line]


def test_the_console_check_would_see_an_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html><body><script>console.error("boom")</script></body></html>'
    )
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any("boom" in line for line in console_messages(result.stderr)), result.stderr[-2000:]


@pytest.mark.parametrize("name", ["blocked-gaps", "rollback"])
def test_report_loads_cleanly_with_its_plots(tmp_path: Path, name: str) -> None:
    decision, risk = scenario(name, tmp_path / "policies-root")
    page = tmp_path / "report.html"
    page.write_text(RENDERERS["html"](decision, risk), encoding="utf-8")
    result = chromium(page, tmp_path / "profile", "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    assert console_messages(result.stderr) == []
    dom = result.stdout
    assert len(re.findall(r'<svg class="interval-plot"', dom)) >= 3
    assert '<svg class="group-chart"' in dom
    assert '<line class="axis"' in dom  # the group chart has a scale
    assert "Release decision:" in dom
    # what a reviewer reads at a glance: candidate vs champion, groups, units, controls, dates
    assert '<p class="versus">candidate ' in dom
    assert " share [" in dom
    assert "<h2>Control coverage</h2>" in dom
    assert "(worst)</td>" in dom
    assert re.search(r'due <time datetime="\d{4}-\d{2}-\d{2}">', dom)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / f"report-{name}.png"
    shot.unlink(missing_ok=True)
    result = chromium(
        page, tmp_path / "profile2", f"--screenshot={shot}", "--window-size=1200,2200"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert shot.stat().st_size > 10_000
