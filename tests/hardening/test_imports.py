"""Commands that do not need MLflow, ragas or pandas never import them (cold start in CI and
in pre-commit hooks). Each command runs in a fresh interpreter."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

PROBE = (
    "import io, json, sys\n"
    "from govgate.cli import main\n"
    "code = main(sys.argv[1:], stdout=io.StringIO(), stderr=io.StringIO())\n"
    "print(json.dumps([code, sorted(m for m in ('mlflow', 'ragas', 'pandas', 'pyarrow', 'numpy',"
    " 'scipy', 'sklearn') if m in sys.modules)]))\n"
)


def imported(*argv: str, cwd: Path = ROOT) -> tuple[int, list[str]]:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *argv], cwd=cwd, capture_output=True, text=True, check=True
    )
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    return code, modules


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["validate", "policies"], ["schema"], ["keygen", "--help"]],
    ids=["help", "validate", "schema", "keygen-help"],
)
def test_light_commands_import_nothing_heavy(argv: list[str]) -> None:
    code, modules = imported(*argv)
    assert code == 0
    assert modules == []


def test_help_does_not_even_load_pydantic() -> None:
    """Start-up is the parser and the error printer: models load when a command needs them."""
    probe = (
        "import io, sys; from govgate.cli import main; "
        "main(['--help'], io.StringIO(), io.StringIO()); print('pydantic' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def test_init_imports_nothing_heavy(tmp_path: Path) -> None:
    code, modules = imported("init", str(tmp_path), "--model", "m")
    assert code == 0
    assert modules == []


@pytest.mark.slow  # its snapshot comes from `govgate demo` (the session's demo_workspace)
def test_check_on_a_snapshot_file_never_imports_mlflow_or_ragas(
    demo_workspace: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = demo_workspace
    bundle = root / "out" / "demo" / "rag-assistant" / "bundle"
    evidence = str(bundle / "evidence" / "evidence.json")
    code, modules = imported(
        "check",
        "--policies",
        str(bundle / "policies"),
        "--candidate",
        evidence,
        "--baseline",
        evidence,
        "--stage",
        "offline",
    )
    assert code == 0  # the demo's PASS, decided again from its snapshot
    assert "mlflow" not in modules
    assert "ragas" not in modules


def test_importing_the_engine_loads_no_mlflow_code() -> None:
    """What the import-linter contracts cannot see (lazy imports, package __init__ chains):
    the engine, which reads snapshots, loads neither MLflow nor govgate's MLflow adapter."""
    probe = (
        "import json, sys\n"
        "import govgate.gate.engine, govgate.report, govgate.risk.assess\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in"
        " ('mlflow', 'ragas', 'pandas') or m.startswith('govgate.evidence.mlflow')"
        " or m == 'govgate.evidence.snapshot')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert [m for m in loaded if m.startswith("govgate.evidence.mlflow")] == []
    assert "govgate.evidence.snapshot" not in loaded
    assert [m for m in loaded if m.split(".")[0] in ("mlflow", "ragas", "pandas")] == []


@pytest.mark.parametrize(
    "argv",
    [
        ["--help"],
        ["validate", "policies"],
        ["serve", "--help"],
        ["serve", "--host", "0.0.0.0", "--allow-model", "m"],
    ],
    ids=["help", "validate", "serve-help", "serve-refused"],
)
def test_no_command_but_a_running_server_loads_the_http_stack(argv: list[str]) -> None:
    """starlette, uvicorn and prometheus_client load only once `govgate serve` starts: its
    help and its refusals (a usage error, exit 2) cost no more than any light command."""
    probe = (
        "import io, json, sys\n"
        "from govgate.cli import main\n"
        "code = main(sys.argv[1:], stdout=io.StringIO(), stderr=io.StringIO())\n"
        "print(json.dumps([code, sorted(m for m in ('starlette', 'uvicorn', 'prometheus_client',"
        " 'mlflow', 'pandas') if m in sys.modules)]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, *argv],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        env={k: v for k, v in os.environ.items() if k != "GOVGATE_SERVE_TOKEN"},
    )
    code, modules = json.loads(done.stdout.strip().splitlines()[-1])
    assert code == (2 if "0.0.0.0" in argv else 0)
    assert modules == []
