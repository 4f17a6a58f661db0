"""The CLI, run in-process: exit codes, stdout and stderr."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.conftest import FIXTURES, ROOT


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_validate_defaults_to_policies(repo_root: Path) -> None:
    code, out, err = cli("validate")
    assert code == ExitCode.OK.value == 0
    assert out == "ok: 4 policies (15 rules), 1 waiver, 4 test files (30 cases) in 9 files\n"
    assert err == ""


def test_validate_reports_every_problem_and_exits_3() -> None:
    code, out, _ = cli("validate", (FIXTURES / "invalid" / "cel-names.yaml").as_posix())
    assert code == ExitCode.POLICY_INVALID.value == 3
    lines = out.splitlines()
    errors = [line for line in lines if ": error: " in line]
    assert len(errors) == 5
    assert errors[0].endswith(
        "cel-names.yaml:13:19: error: unknown name 'candidat' [cel.unknown-name]"
    )
    assert "  hint: did you mean 'candidate'?" in lines[1]
    assert lines[-1] == "invalid: 5 problems in 1 of 1 file"


def test_validate_many_files_in_one_run() -> None:
    code, out, _ = cli("validate", (FIXTURES / "invalid").as_posix())
    assert code == 3
    files = {line.split(":")[0] for line in out.splitlines() if ": error: " in line}
    assert len(files) == len(list((FIXTURES / "invalid").iterdir()))


def test_validate_json_has_one_shape(repo_root: Path) -> None:
    code, out, _ = cli("validate", "--format", "json")
    ok = json.loads(out)
    assert code == 0
    assert ok["valid"] is True
    assert ok["problems"] == []
    assert len(ok["policy_set_digest"]) == 64
    code, out, _ = cli(
        "validate", "--format", "json", (FIXTURES / "invalid" / "yaml-alias.yaml").as_posix()
    )
    bad = json.loads(out)
    assert code == 3
    assert set(bad) == set(ok)  # same keys whatever the outcome
    assert bad["valid"] is False
    assert bad["policy_set_digest"] is None
    assert [(p["code"], p["line"], p["column"]) for p in bad["problems"]] == [
        ("yaml.anchor", 14, 18),
        ("yaml.alias", 18, 18),
    ]
    assert bad["problems"][0]["hint"]


def test_digest_ignores_paths_but_not_content(tmp_path: Path, repo_root: Path) -> None:
    _, out, _ = cli("validate", "--format", "json")
    digest = json.loads(out)["policy_set_digest"]
    copy = tmp_path / "elsewhere"
    for f in (ROOT / "policies").rglob("*.yaml"):
        if f.name.endswith(".test.yaml"):
            continue  # tests name policies by relative path; the digest is of policies
        target = copy / f.relative_to(ROOT / "policies").as_posix().replace("/", "__")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(f.read_bytes())
    _, out, _ = cli("validate", "--format", "json", copy.as_posix())
    assert json.loads(out)["policy_set_digest"] == digest
    waiver = next(copy.glob("waivers__*"))
    waiver.write_text(waiver.read_text().replace("FINOPS-1432", "FINOPS-1433"))
    _, out, _ = cli("validate", "--format", "json", copy.as_posix())
    assert json.loads(out)["policy_set_digest"] != digest


def test_missing_path_is_a_usage_error() -> None:
    code, out, err = cli("validate", "no/such/dir")
    assert code == ExitCode.USAGE.value == 2
    assert out == ""
    assert err.startswith("govgate: error: no/such/dir: no such file or folder\n")


def test_empty_folder_is_invalid_not_a_pass(tmp_path: Path) -> None:
    code, out, _ = cli("validate", tmp_path.as_posix())
    assert code == 3
    assert "[policy.empty]" in out


def test_unknown_option_and_missing_command_are_usage_errors() -> None:
    assert cli("validate", "--bogus")[0] == 2
    assert cli("frobnicate")[0] == 2
    code, out, _ = cli()
    assert code == 2
    assert "usage: govgate" in out


def test_help_and_version_exit_0() -> None:
    code, out, _ = cli("--help")
    assert code == 0
    assert "Exit codes" in out
    code, out, _ = cli("--version")
    assert code == 0
    assert out.startswith("govgate ")


def test_an_internal_error_exits_1_and_says_so(
    monkeypatch: pytest.MonkeyPatch, repo_root: Path
) -> None:
    import govgate.policy.loader as loader

    def boom(*_: object, **__: object) -> None:
        raise RuntimeError("unexpected")

    monkeypatch.setattr(loader, "load_policy_set", boom)
    code, _out, err = cli("validate")
    assert code == ExitCode.CRASH.value == 1
    assert "internal error" in err
    assert "Traceback" not in err
    code, _, err = cli("--debug", "validate")
    assert "Traceback" in err
    code, _, err = cli("validate", "policies", "--debug")  # anywhere on the line
    assert code == ExitCode.CRASH
    assert "Traceback" in err


def test_telemetry_is_off_during_a_command_and_the_environment_is_restored_after(
    monkeypatch: pytest.MonkeyPatch, repo_root: Path
) -> None:
    import os

    import govgate.cli.commands.validate as command
    from govgate.usecases.validate import run_validate as real  # what `command` imports

    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "false")
    monkeypatch.delenv("RAGAS_DO_NOT_TRACK", raising=False)
    seen: dict[str, str | None] = {}

    def spy(paths: list[str]) -> object:
        seen.update(
            {k: os.environ.get(k) for k in ("MLFLOW_DISABLE_TELEMETRY", "RAGAS_DO_NOT_TRACK")}
        )
        return real(paths)

    monkeypatch.setattr(command, "run_validate", spy)
    assert cli("validate")[0] == 0
    assert seen == {"MLFLOW_DISABLE_TELEMETRY": "true", "RAGAS_DO_NOT_TRACK": "true"}
    # nothing leaks into the next in-process call, or into the caller's process
    assert os.environ["MLFLOW_DISABLE_TELEMETRY"] == "false"
    assert "RAGAS_DO_NOT_TRACK" not in os.environ


def test_validate_does_not_import_mlflow_or_ragas() -> None:
    probe = (
        "import sys; from govgate.cli import main; "
        "code = main(['validate', 'policies']); "
        "heavy = sorted(m for m in ('mlflow', 'ragas', 'pandas', 'celpy') if m in sys.modules); "
        "print(code, heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "0 ['celpy']"


def test_console_script_runs() -> None:
    exe = Path(sys.executable).parent / "govgate"
    result = subprocess.run([exe, "validate", "policies"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok: ")


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["check", "--candidate", "x.json", "--stage", "offline"], "--policies"),
        (["check", "--candidate", "x.json", "--stage", "offline"], "--waivers"),
        (["evidence", "snapshot", "--candidate", "x.json", "--stage", "offline"], "--policies"),
        (["replay", "--model", "m"], "--policies"),
        (["eval", "run", "s", "--outputs", "o", "--model", "m", "--register"], "--policies"),
    ],
)
def test_a_repeated_list_option_accumulates(argv: list[str], option: str) -> None:
    """`--policies A --policies B` means both, never only B (argparse's default replaces)."""
    from govgate.cli.parser import build_parser

    args = build_parser().parse_args([*argv, option, "a", "b", option, "c"])
    assert getattr(args, option.removeprefix("--")) == ["a", "b", "c"]
