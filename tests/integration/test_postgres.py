"""The set-up a team runs when it outgrows one machine: `mlflow server` backed by PostgreSQL.

govgate needs nothing but the tracking URI: the same references resolve, the same evidence is
read (byte for byte, apart from the URI) as from the SQLite default, and the same decision
comes out. PostgreSQL is Debian's, started on a loopback port (`.ci/run` installs it).
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import populate
from tests.support.servers import start_postgres, start_server
from tests.support.snapshots import policy

pytestmark = pytest.mark.integration
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def postgres_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, dict[str, str]]]:
    postgres = start_postgres()
    server = None
    try:
        root = tmp_path_factory.mktemp("pg-server")
        server = start_server(root, backend=postgres.uri)
        ids = populate(MlflowClient(tracking_uri=server.uri), root)
        yield server.uri, ids
    finally:
        if server is not None:
            server.stop()
        postgres.stop()


def content(uri: str) -> dict[str, object]:
    """What a decision reads, without what names the store (run ids, URIs, times)."""
    snap = take_snapshot(
        parse_ref("models:/rag-assistant@challenger"),
        parse_ref("models:/rag-assistant@champion"),
        stage="canary",
        settings=MlflowSettings(tracking_uri=uri),
        now=NOW,
    )
    out: dict[str, object] = {}
    for run in (snap.evidence.candidate, snap.evidence.baseline):
        assert run is not None
        out[run.role] = {
            "metrics": run.metrics,
            "nonfinite": run.nonfinite_metrics,
            "params": run.params,
            "history": run.metric_history,
            "items": run.items.sha256 if run.items else None,
            "model": run.model.model_dump(exclude={"source"}) if run.model else None,
            "stage": run.stage,
            "redactions": run.redactions,
        }
    return out


def test_the_same_evidence_from_sqlite_and_from_a_postgresql_backed_server(
    postgres_server: tuple[str, dict[str, str]], sqlite_store: tuple[str, dict[str, str]]
) -> None:
    (pg_uri, _), (sqlite_uri, _) = postgres_server, sqlite_store
    assert content(pg_uri) == content(sqlite_uri)


def test_check_decides_over_postgresql_with_only_the_tracking_uri(
    postgres_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    uri, ids = postgres_server
    rule = "    - id: tox\n      category: safety\n"
    rule += "      threshold: {metric: toxicity_rate, max: 0.05}\n"
    (tmp_path / "p.yaml").write_text(policy(rule))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "check",
            "--tracking-uri",
            uri,
            "--policies",
            str(tmp_path / "p.yaml"),
            "--candidate",
            "models:/rag-assistant@challenger",
            "--stage",
            "canary",
            "--format",
            "json",
            "--bundle",
            str(tmp_path / "bundle"),
        ],
        stdout=out,
        stderr=err,
    )
    decision = json.loads(out.getvalue())["decision"]
    assert decision["candidate"]["run_id"] == ids["candidate"]
    assert code in (ExitCode.OK, ExitCode.BLOCKED, ExitCode.INCONCLUSIVE), err
    tags = MlflowClient(uri).get_run(ids["candidate"]).data.tags
    assert tags["govgate.verdict"] == decision["verdict"]  # logged back through the server
