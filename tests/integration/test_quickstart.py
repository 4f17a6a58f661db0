"""The README's quickstart end to end: `govgate demo` in a subprocess (the session's
``demo_workspace``), then the example workflow's gate job run on the store it builds, as the
GitHub Action runs it (inputs as ``INPUT_*`` variables, ``GITHUB_OUTPUT`` and
``GITHUB_STEP_SUMMARY`` files). Slow: the demo scores both example models and gates them.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from govgate.cli import main
from tests.conftest import ROOT
from tests.support.action import ACTION, GOVGATE
from tests.unit.test_ci_files import load


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.mark.slow
def test_demo_shows_a_pass_and_a_block(demo_workspace: tuple[Path, str]) -> None:
    root, out = demo_workspace  # `govgate demo` ran there, as the quickstart runs it
    assert "rag-assistant: Release decision: PASS (exit 0) |" in out
    assert "credit-risk: Release decision: FAIL (exit 4) |" in out
    assert (root / "mlflow.db").exists()
    demo = root / "out" / "demo"
    for suite in ("rag-assistant", "credit-risk"):
        code = cli("verify", str(demo / suite / "bundle"), "--key", str(demo / "signing.pub"))[0]
        assert code == 0
    credit = json.loads((demo / "credit-risk/report.json").read_text())["decision"]
    failed = {r["rule"] for r in credit["rules"] if r["outcome"] == "fail"}
    assert failed == {"approval-ratio-by-age-band", "accuracy-gap-by-age-band"}
    assert credit["preregistration"]["status"] == "match"


# -- the action's script, run as the example workflow runs it -------------------------------------


def expand(value: str, env: dict[str, str]) -> str:
    """The only expressions the example's inputs use: ${{ env.NAME }}."""
    out = re.sub(r"\$\{\{\s*env\.(\w+)\s*\}\}", lambda m: env[m.group(1)], value)
    assert "${{" not in out, value
    return out


def run_example_gate(
    workspace: Path, tmp_path: Path, model: str
) -> tuple[int, dict[str, str], str, str]:
    """The example workflow's gate job after its demo step: choose policies, then the action."""
    workflow = load(ROOT / ".github" / "workflows" / "release-gate.yml")
    steps = workflow["jobs"]["gate"]["steps"]
    env = {"MODEL": model}
    github_env = tmp_path / "github_env"
    github_env.write_text("")
    choose = next(s for s in steps if s.get("name") == "choose the policies that judge the model")
    subprocess.run(
        ["bash", "-c", choose["run"]],
        env={**os.environ, **env, "GITHUB_ENV": str(github_env)},
        check=True,
    )
    for line in github_env.read_text().splitlines():
        key, value = line.split("=", 1)
        env[key] = value
    gate = next(s for s in steps if s.get("id") == "gate")
    inputs = {k: expand(str(v), env) for k, v in gate["with"].items()}
    action = load(ACTION / "action.yml")
    defaults = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
    given = {**defaults, **inputs, "bundle": str(tmp_path / "bundle"), "log-to-mlflow": "false"}
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.write_text("")
    summary.write_text("")
    variables = {
        **os.environ,
        **{f"INPUT_{k.upper().replace('-', '_')}": v for k, v in given.items()},
        "GOVGATE": GOVGATE,
        "GOVGATE_OUT": str(tmp_path / "out"),
        "GITHUB_OUTPUT": str(output),
        "GITHUB_STEP_SUMMARY": str(summary),
    }
    done = subprocess.run(
        ["bash", str(ACTION / "run.sh")],
        cwd=workspace,
        env=variables,
        capture_output=True,
        text=True,
        check=False,
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
    return done.returncode, outputs, done.stdout, summary.read_text()


@pytest.mark.slow
def test_the_example_gate_lets_a_passing_candidate_through(
    demo_workspace: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = demo_workspace
    code, outputs, stdout, summary = run_example_gate(root, tmp_path, "rag-assistant")
    assert code == 0  # the script records; the action's last step enforces
    assert outputs["verdict"] == "PASS"
    assert outputs["exit-code"] == "0"
    assert outputs["bundle"] == str(tmp_path / "bundle")
    assert (tmp_path / "bundle" / "statement.dsse.json").exists()  # signed
    assert summary.startswith("**Release decision: PASS")
    assert "::notice title=govgate::Release decision: PASS" in stdout
    verify = main(
        ["verify", str(tmp_path / "bundle"), "--key", str(root / "out/demo/signing.pub")],
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert verify == 0  # signed with the key the workflow passes


@pytest.mark.slow
def test_the_example_gate_blocks_a_failing_candidate_and_annotates_why(
    demo_workspace: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = demo_workspace
    code, outputs, stdout, summary = run_example_gate(root, tmp_path, "credit-risk")
    assert code == 0
    assert outputs["verdict"] == "FAIL"
    assert outputs["exit-code"] == "4"
    annotations = [line for line in stdout.splitlines() if line.startswith("::error file=")]
    assert len(annotations) == 2
    # the decision's own line is an ::error too: the exit code blocks
    assert any(
        line.startswith("::error title=govgate::Release decision: FAIL")
        for line in stdout.splitlines()
    )
    assert all("file=policies/tabular-classifier/credit-risk.yaml" in a for a in annotations)
    assert summary.startswith("**Release decision: FAIL (exit 4)")
    assert outputs["bundle"]  # a blocked release still leaves its evidence
