"""Run the govgate Action's script as the runner does: inputs as INPUT_* variables."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT

ACTION = ROOT / ".github" / "actions" / "govgate"
GOVGATE = str(Path(sys.executable).parent / "govgate")


def run_action(
    tmp_path: Path, **env: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    """run.sh on a candidate that does not exist (unless ``env`` says otherwise); the
    completed process and the step's outputs ($GITHUB_OUTPUT)."""
    output = tmp_path / "github_output"
    output.write_text("")
    done = subprocess.run(
        ["bash", str(ACTION / "run.sh")],
        cwd=ROOT,
        env={
            **os.environ,
            "GOVGATE": GOVGATE,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
            "INPUT_CANDIDATE": str(tmp_path / "missing.json"),
            "INPUT_STAGE": "offline",
            "INPUT_POLICIES": "policies/rag-assistant",
            "INPUT_BUNDLE": "",
            **env,
        },
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done, outputs
