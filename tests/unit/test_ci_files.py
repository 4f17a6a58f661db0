"""Files other tools run: pre-commit hooks, the GitHub Action and workflows."""

from __future__ import annotations

import io
import shlex
from pathlib import Path
from typing import Any

import yaml

from govgate.cli import main
from tests.conftest import ROOT


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def test_published_hooks_run_govgate_commands_that_exist() -> None:
    hooks = {h["id"]: h for h in load(ROOT / ".pre-commit-hooks.yaml")}
    assert set(hooks) == {"govgate-validate", "govgate-test"}
    for hook in hooks.values():
        argv = shlex.split(hook["entry"])
        assert argv[0] == "govgate"
        assert hook["pass_filenames"] is False  # the whole folder: tests depend on policies
        out, err = io.StringIO(), io.StringIO()
        assert main([*argv[1:], "--help"], stdout=out, stderr=err) == 0
        assert out.getvalue().startswith(f"usage: govgate {argv[1]}")
