"""Shared test set-up: no telemetry, no network, deterministic property tests in CI."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Tests never send telemetry, whatever the developer's shell says.
os.environ.update(
    {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true", "RAGAS_DO_NOT_TRACK": "true"}
)

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "dev"))

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def repo_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Run the test from the repository root, as a user would run govgate."""
    monkeypatch.chdir(ROOT)
    return ROOT


# MLflow: bounded retries and no telemetry, as the CLI sets them
os.environ.update(
    {
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "5",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "1",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
        "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
    }
)
os.environ.pop("MLFLOW_TRACKING_URI", None)
# ragas writes an anonymous id file under the user's data folder even with tracking off;
# tests never write to the home directory
os.environ["XDG_DATA_HOME"] = tempfile.mkdtemp(prefix="govgate-tests-data-")


@pytest.fixture(scope="session")
def sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    """A real SQLite MLflow store with every situation the evidence layer must handle."""
    from mlflow.tracking import MlflowClient

    from tests.support.mlflow_store import populate

    root = tmp_path_factory.mktemp("mlflow")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    ids = populate(MlflowClient(tracking_uri=uri), root)  # artifacts go under root/artifacts
    return uri, ids


@pytest.fixture(scope="session")
def demo_workspace(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A copy of the repo's evals/ and policies/ after `govgate demo` ran in it (once per
    session, as the README's quickstart does): a SQLite store with both example models'
    champion (version 1, @champion) and candidate (version 2) eval runs, gated and tagged.
    Tests treat it as read-only; what they write goes to their own tmp_path.
    """
    import shutil
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("demo")
    for folder in ("evals", "policies"):
        shutil.copytree(ROOT / folder, root / folder)
    done = subprocess.run(
        [sys.executable, "-m", "govgate", "demo"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return root, done.stdout


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the renderers' current output",
    )


@pytest.fixture
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))
