"""`govgate init`: a scaffold that validates, whose tests pass, and that overwrites nothing."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft7Validator

from govgate.cli import main
from govgate.evals.suite import load_suite
from govgate.exitcodes import ExitCode
from tests.unit.test_ci_files import PINNED, load, vendored_schema

SHA = "0123456789abcdef0123456789abcdef01234567"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def every_file(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): p.read_text() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(
    ("kind", "extra", "rules"),
    [("llm", (), 7), ("classifier", ("--group", "age_band"), 4)],
)
def test_the_scaffold_validates_and_its_tests_pass_with_full_coverage(
    tmp_path: Path, kind: str, extra: tuple[str, ...], rules: int
) -> None:
    code, out, _ = cli(
        "init",
        str(tmp_path),
        "--model",
        "support-bot",
        "--kind",
        kind,
        "--owner",
        "team@corp.example",
        *extra,
    )
    assert code == ExitCode.OK
    files = every_file(tmp_path)
    assert {".pre-commit-config.yaml", ".github/workflows/govgate.yml"} <= set(files)
    assert "policies/support-bot/release.yaml" in files
    assert "policies/support-bot/release.test.yaml" in files
    assert "evals/support-bot/suite.yaml" in files
    assert all(f"created {name}" in out for name in files)
    for name, text in files.items():
        assert "@@" not in text, name  # every placeholder substituted
    assert "owners: [team@corp.example]" in files["policies/support-bot/release.yaml"]
    code, out, _ = cli("validate", str(tmp_path / "policies"))
    assert code == ExitCode.OK, out
    code, out, _ = cli("test", str(tmp_path / "policies"), "--require-coverage")
    assert code == ExitCode.OK, out
    assert f"rule coverage: {rules} of {rules} rules covered" in out
    suite = load_suite(tmp_path / "evals" / "support-bot")
    assert suite.document.metadata.name == "support-bot"
    if kind == "classifier":
        assert "fairness: {group: age_band" in files["policies/support-bot/release.yaml"]


def test_the_scaffolded_workflow_and_hooks_are_valid(tmp_path: Path) -> None:
    action = f"acme/govgate/.github/actions/govgate@{SHA}"
    assert cli("init", str(tmp_path), "--model", "m1", "--action", action)[0] == ExitCode.OK
    workflow = load(tmp_path / ".github" / "workflows" / "govgate.yml")
    schema = vendored_schema("github-workflows.json")
    assert list(Draft7Validator(schema).iter_errors(workflow)) == []
    assert workflow["permissions"] == {"contents": "read"}
    uses = [s["uses"] for job in workflow["jobs"].values() for s in job["steps"] if "uses" in s]
    assert action in uses
    assert all(PINNED.match(u) for u in uses)
    assert workflow["jobs"]["release"]["needs"] == "gate"
    hooks = yaml.safe_load((tmp_path / ".pre-commit-config.yaml").read_text())
    ids = [h["id"] for repo in hooks["repos"] for h in repo["hooks"]]
    assert ids == ["govgate-validate", "govgate-test"]


def test_without_an_action_the_workflow_names_the_placeholder_and_says_so(
    tmp_path: Path,
) -> None:
    code, out, _ = cli("init", str(tmp_path), "--model", "m1")
    assert code == ExitCode.OK
    text = (tmp_path / ".github" / "workflows" / "govgate.yml").read_text()
    assert "uses: OWNER/govgate/.github/actions/govgate@COMMIT_SHA # replace with" in text
    assert "replace OWNER/govgate/.github/actions/govgate@COMMIT_SHA" in out


def test_init_never_overwrites_a_file(tmp_path: Path) -> None:
    mine = "repos: []  # my own hooks\n"
    (tmp_path / ".pre-commit-config.yaml").write_text(mine)
    code, out, _ = cli("init", str(tmp_path), "--model", "m1")
    assert code == ExitCode.OK
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == mine
    assert "kept    .pre-commit-config.yaml (exists: not overwritten)" in out
    assert "add the govgate-validate and govgate-test hooks" in out
    before = every_file(tmp_path)
    (tmp_path / "policies" / "m1" / "release.yaml").write_text("# edited\n")
    code, out, _ = cli("init", str(tmp_path), "--model", "m1")
    assert code == ExitCode.OK
    assert "created" not in out
    after = every_file(tmp_path)
    assert after["policies/m1/release.yaml"] == "# edited\n"
    assert set(after) == set(before)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--model", "Support Bot"), "is not a usable name"),
        (("--model", "m", "--group", "age-band", "--kind", "classifier"), "not a column name"),
        (("--model", "m", "--owner", "nobody"), "is not an email address"),
        (("--model", "m", "--action", "acme/govgate@v1"), "is not pinned to a commit"),
    ],
)
def test_bad_names_are_usage_errors_and_write_nothing(
    tmp_path: Path, argv: tuple[str, ...], message: str
) -> None:
    code, _, err = cli("init", str(tmp_path), *argv)
    assert code == ExitCode.USAGE
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_the_scaffolded_suite_scores_outputs_into_a_run(tmp_path: Path) -> None:
    """The starter suite is real: `govgate eval run` scores outputs in its format."""
    assert cli("init", str(tmp_path), "--model", "m1")[0] == ExitCode.OK
    dataset = tmp_path / "evals" / "m1" / "dataset.jsonl"
    outputs = tmp_path / "outputs.jsonl"
    rows = [json.loads(line) for line in dataset.read_text().splitlines()]
    outputs.write_text(
        "".join(
            json.dumps(
                {
                    "id": r["id"],
                    "response": r["reference"],
                    "retrieved_contexts": r["reference_contexts"],
                    "latency_ms": 900.0,
                    "input_tokens": 500,
                    "output_tokens": 60,
                    "model": "m1",
                    "error": False,
                }
            )
            + "\n"
            for r in rows
        )
    )
    code, out, err = cli(
        "eval",
        "run",
        str(tmp_path / "evals" / "m1"),
        "--outputs",
        str(outputs),
        "--model",
        "m1",
        "--version",
        "1",
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'mlflow.db'}",
        "--policies",
        str(tmp_path / "policies"),
    )
    assert code == ExitCode.OK, err
    assert "3 items" in out
