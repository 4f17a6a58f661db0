"""Real `mlflow server` processes on 127.0.0.1, for tests that talk HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.servers import MlflowServer, start_server


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
