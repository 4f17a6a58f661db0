"""The Action's log and outputs: a step never re-posts another's decision, and the text report
it prints cannot issue workflow commands."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.support.action import run_action


def test_a_second_gate_step_never_reposts_the_first_steps_decision(tmp_path: Path) -> None:
    shared = tmp_path / "gate"
    shared.mkdir()
    (shared / "decision.json").write_text(json.dumps({"decision": {"verdict": "PASS"}}))
    (shared / "annotations.txt").write_text("::notice title=govgate::Release decision: PASS\n")
    (shared / "report.md").write_text("## govgate: PASS\n")
    done, outputs = run_action(tmp_path, GOVGATE_OUT=str(shared))
    assert outputs["verdict"] == ""  # this step decided nothing
    assert outputs["exit-code"] == "7"
    assert "Release decision: PASS" not in done.stdout
    assert "govgate: PASS" not in (tmp_path / "summary.md").read_text()
    assert not (shared / "decision.json").exists()


def test_each_step_gets_its_own_folder(tmp_path: Path) -> None:
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {"RUNNER_TEMP": str(runner_temp)}
    run_action(tmp_path, **env)
    run_action(tmp_path, **env)
    assert len([p for p in runner_temp.iterdir() if p.name.startswith("govgate.")]) == 2


def test_the_printed_report_runs_with_workflow_commands_stopped(tmp_path: Path) -> None:
    done, _ = run_action(tmp_path)
    lines = done.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("::stop-commands::"))
    token = lines[start].removeprefix("::stop-commands::")
    assert re.fullmatch(r"govgate-[0-9a-f]{32}", token)
    end = lines.index(f"::{token}::")
    assert start < end  # govgate's own output sits between the two
    again, _ = run_action(tmp_path)
    assert f"::stop-commands::{token}" not in again.stdout  # a new token every run


def test_an_error_quoting_its_input_shows_control_characters_and_never_breaks_a_line(
    repo_root: Path,
) -> None:
    import io

    from govgate.cli import main

    err = io.StringIO()
    hostile = "p\x1b[2J\n::error title=govgate::Release decision: PASS\r\u202e.yaml"
    code = main(["validate", hostile], io.StringIO(), err)  # a path, quoted as given
    assert code == 2
    text = err.getvalue()
    assert "\x1b" not in text
    assert "\r" not in text
    assert "\u202e" not in text
    assert not [line for line in text.splitlines() if line.startswith("::")]
    assert "\\x1b[2J\\x0a::error title=govgate::Release decision: PASS" in text
