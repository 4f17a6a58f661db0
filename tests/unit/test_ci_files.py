"""Files other tools run: pre-commit hooks, the GitHub Action and the workflows.

The action's work lives in ``run.sh``; these tests run it as the action does (inputs as
``INPUT_*`` variables, ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` files). Running it with the
example workflow's own inputs on the store `govgate demo` builds is slow, and lives in
tests/integration/test_quickstart.py.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from govgate.cli import main
from tests.conftest import ROOT
from tests.support.action import ACTION, run_action

WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def load(path: Path) -> Any:
    # PyYAML reads `on:` as True (YAML 1.1); GitHub reads it as "on"
    loaded = yaml.safe_load(path.read_text())
    if isinstance(loaded, dict) and True in loaded:
        loaded["on"] = loaded.pop(True)
    return loaded


def vendored_schema(name: str) -> dict[str, Any]:
    """SchemaStore's schema for GitHub files, as check-jsonschema vendors it (no network)."""
    import check_jsonschema

    folder = Path(check_jsonschema.__file__).parent / "builtin_schemas" / "vendor"
    loaded: dict[str, Any] = json.loads((folder / name).read_text())
    return loaded


def steps_of(document: dict[str, Any]) -> list[dict[str, Any]]:
    if "runs" in document:
        steps: list[dict[str, Any]] = document["runs"]["steps"]
        return steps
    return [s for job in document["jobs"].values() for s in job.get("steps", [])]


# -- pre-commit ----------------------------------------------------------------------------------


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


# -- the action and the workflows are what GitHub accepts ----------------------------------------


def test_the_action_is_a_valid_composite_action() -> None:
    action = load(ACTION / "action.yml")
    errors = list(Draft7Validator(vendored_schema("github-actions.json")).iter_errors(action))
    assert errors == []
    assert action["runs"]["using"] == "composite"
    wanted = {"policies", "candidate", "baseline", "stage", "tracking-uri", "waivers", "bundle"}
    assert wanted | {"fail-on-warn"} <= set(action["inputs"])
    assert {"verdict", "exit-code", "bundle", "report"} <= set(action["outputs"])


@pytest.mark.parametrize("path", WORKFLOWS, ids=[p.name for p in WORKFLOWS])
def test_workflows_are_valid_and_least_privilege(path: Path) -> None:
    workflow = load(path)
    errors = list(Draft7Validator(vendored_schema("github-workflows.json")).iter_errors(workflow))
    assert errors == []
    assert workflow["permissions"] == {"contents": "read"}
    for job in workflow["jobs"].values():
        assert "write" not in json.dumps(job.get("permissions", {}))
        assert "timeout-minutes" in job


@pytest.mark.parametrize(
    "path", [ACTION / "action.yml", *WORKFLOWS], ids=["action", *[p.name for p in WORKFLOWS]]
)
def test_every_action_used_is_local_or_pinned_to_a_commit(path: Path) -> None:
    for step in steps_of(load(path)):
        uses = step.get("uses")
        if uses is not None:
            assert uses.startswith("./") or PINNED.match(uses), uses
    text = path.read_text()
    for line in text.splitlines():
        if re.match(r"\s*(- )?uses: [\w-]+/", line):
            assert re.search(r"@[0-9a-f]{40} # v\d", line), f"pin with a version comment: {line}"


@pytest.mark.parametrize(
    "path", [ACTION / "action.yml", *WORKFLOWS], ids=["action", *[p.name for p in WORKFLOWS]]
)
def test_no_expression_is_expanded_into_shell_source(path: Path) -> None:
    """Inputs reach scripts as environment variables: `${{ }}` in `run:` invites injection."""
    for step in steps_of(load(path)):
        assert "${{" not in step.get("run", ""), step.get("name")


def test_the_example_workflow_blocks_its_release_job_with_the_local_action() -> None:
    workflow = load(ROOT / ".github" / "workflows" / "release-gate.yml")
    gate = next(s for s in workflow["jobs"]["gate"]["steps"] if s.get("id") == "gate")
    assert gate["uses"] == "./.github/actions/govgate"
    release = workflow["jobs"]["release"]
    assert release["needs"] == "gate"
    assert "if" not in release  # runs only when the gate job succeeded
    assert workflow["jobs"]["gate"]["outputs"]["verdict"] == "${{ steps.gate.outputs.verdict }}"


# -- the action's script, run as the example workflow runs it -------------------------------------
# (on the demo's store: tests/integration/test_quickstart.py)


def test_no_decision_is_reported_and_never_a_pass(tmp_path: Path) -> None:
    done, outputs = run_action(tmp_path, GOVGATE_OUT=str(tmp_path / "gate"))
    assert outputs["verdict"] == ""
    assert outputs["exit-code"] == "7"  # evidence unavailable
    assert "::error title=govgate::govgate check exited 7 without a decision" in done.stdout
    assert "This is never a pass." in (tmp_path / "summary.md").read_text()


@pytest.mark.parametrize(("code", "expected"), [("0", 0), ("4", 4), ("6", 6), ("", 1)])
def test_the_last_step_exits_with_the_gate_code_and_fails_closed(code: str, expected: int) -> None:
    enforce = next(
        s
        for s in load(ACTION / "action.yml")["runs"]["steps"]
        if s["name"] == "enforce the verdict"
    )
    done = subprocess.run(
        ["bash", "-c", enforce["run"]],
        env={**os.environ, "CODE": code, "VERDICT": ""},
        capture_output=True,
        check=False,
    )
    assert done.returncode == expected
