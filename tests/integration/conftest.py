"""Real `mlflow server` and `govgate serve` processes on 127.0.0.1, for tests that talk HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.servers import JudgeServer, MlflowServer, free_port, spawn_judge, start_server


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    """A live server with the same content as the SQLite store of the unit tests."""
    from mlflow.tracking import MlflowClient

    from tests.support.mlflow_store import populate

    root = tmp_path_factory.mktemp("server")
    server = start_server(root)
    try:
        ids = populate(MlflowClient(tracking_uri=server.uri), root)
        yield server.uri, ids
    finally:
        server.stop()


@pytest.fixture
def own_server(tmp_path: Path) -> Iterator[MlflowServer]:
    """A server a test may stop."""
    server = start_server(tmp_path)
    try:
        yield server
    finally:
        server.stop()


#: the bearer token of the judge the serve tests start (a test value, not a secret)
JUDGE_TOKEN = "judge-token-for-tests-0123456789"


@pytest.fixture(scope="session")
def canary_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str], Path]:
    """A SQLite store holding the canary of tests/support/canary.py, and its policies."""
    from mlflow.tracking import MlflowClient

    from tests.support import canary

    root = tmp_path_factory.mktemp("canary")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    refs = canary.build(MlflowClient(tracking_uri=uri), root)
    canary.write_policies(root / "policies")
    return uri, refs, root


@dataclass
class Judges:
    """The judges the serve tests talk to, started side by side (each start imports MLflow)."""

    canary: JudgeServer  # the canary store, a bearer token; allowed: the canary's model and
    #                      one that is not registered
    unreachable: JudgeServer  # loopback without a token; its MLflow is a closed port


@pytest.fixture(scope="session")
def judges(
    canary_store: tuple[str, dict[str, str], Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Judges]:
    from tests.support import canary

    uri, _, root = canary_store
    policies = str(root / "policies")
    started = [
        spawn_judge(
            tmp_path_factory.mktemp("judge"),
            "--tracking-uri",
            uri,
            "--policies",
            policies,
            "--allow-model",
            canary.MODEL,
            "--allow-model",
            "ghost-model",
            "--mlflow-retries",
            "0",
            token=JUDGE_TOKEN,
        ),
        spawn_judge(
            tmp_path_factory.mktemp("unreachable"),
            "--tracking-uri",
            f"http://127.0.0.1:{free_port()}",
            "--mlflow-retries",
            "0",
            "--mlflow-timeout",
            "2",
            "--request-timeout",
            "20",
            "--policies",
            policies,
            "--allow-model",
            canary.MODEL,
        ),
    ]
    try:
        for server in started:
            server.wait_ready()
        yield Judges(*started)
    finally:
        for server in started:
            server.stop()


@pytest.fixture(scope="session")
def canary_judge(judges: Judges) -> JudgeServer:
    return judges.canary
