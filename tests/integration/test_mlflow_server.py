"""The evidence layer against a live `mlflow server` on 127.0.0.1, over HTTP."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import time
from pathlib import Path
from typing import Any

import pytest

from govgate.cli import main
from govgate.errors import EvidenceError
from govgate.evidence.mlflow.read import read
from govgate.evidence.mlflow.resolve import resolve
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import read_snapshot, write_snapshot
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import SECRET, StoreBuilder, items_frame
from tests.support.servers import DripProxy, MlflowServer, free_port

pytestmark = pytest.mark.integration
CHALLENGER = "models:/rag-assistant@challenger"
NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_alias_resolution_and_snapshot_over_http(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    uri, ids = mlflow_server
    target = tmp_path / "evidence.json"
    code, out, err = cli(
        *("evidence", "snapshot", "--tracking-uri", uri, "--stage", "canary"),
        *("--candidate", "models:/rag-assistant@challenger"),
        *("--baseline", "models:/rag-assistant@champion", "-o", str(target)),
    )
    assert code == ExitCode.OK, err
    snapshot = read_snapshot(target)
    assert snapshot.evidence.candidate.run_id == ids["candidate"]
    assert snapshot.evidence.baseline is not None
    assert snapshot.evidence.baseline.run_id == ids["baseline"]
    assert snapshot.evidence.tracking_uri == uri
    # the per-item tables came through the server's artifact proxy
    table = snapshot.items("baseline")
    assert table is not None
    assert table.rows == 600
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in out
    assert read_snapshot(target).digest() == digest
    for f in tmp_path.rglob("*"):
        if f.is_file():
            assert SECRET.encode() not in f.read_bytes()


def test_the_same_evidence_from_sqlite_and_from_the_server(
    mlflow_server: tuple[str, dict[str, str]], sqlite_store: tuple[str, dict[str, str]]
) -> None:
    """Only the URI differs: the snapshots agree on everything but run ids and the URI."""

    def content(uri: str) -> dict[str, object]:
        s = take_snapshot(
            parse_ref("models:/rag-assistant@champion"),
            None,
            stage="canary",
            settings=MlflowSettings(tracking_uri=uri),
            now=NOW,
        )
        run = s.evidence.candidate
        model = run.model.model_dump(exclude={"source"}) if run.model else None  # has the run id
        return {
            "metrics": run.metrics,
            "params": run.params,
            "history": run.metric_history,
            "items": run.items.sha256 if run.items else None,
            "model": model,
        }

    assert content(mlflow_server[0]) == content(sqlite_store[0])


def test_a_missing_run_over_http(mlflow_server: tuple[str, dict[str, str]], tmp_path: Path) -> None:
    code, _, err = cli(
        "evidence",
        "snapshot",
        "--tracking-uri",
        mlflow_server[0],
        "--candidate",
        "runs:/0123456789abcdef0123456789abcdef",
        "-o",
        str(tmp_path / "e.json"),
    )
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "[evidence.not-found]" in err
    assert "Traceback" not in err


def test_nothing_listening_fails_fast_with_what_was_tried(tmp_path: Path) -> None:
    uri = f"http://127.0.0.1:{free_port()}"
    start = time.monotonic()
    code, _, err = cli(
        "evidence",
        "snapshot",
        "--tracking-uri",
        uri,
        "--mlflow-retries",
        "1",
        "--mlflow-timeout",
        "2",
        "--candidate",
        "models:/x@champion",
        "-o",
        str(tmp_path / "e.json"),
    )
    elapsed = time.monotonic() - start
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "MLflow is unreachable" in err
    assert "[evidence.unreachable]" in err
    assert f"tried: MLflow at {uri}, 1 retries, 2 s timeout per request" in err
    assert elapsed < 60  # MLflow's defaults would retry for minutes


def test_server_stopped_between_resolve_and_snapshot(
    own_server: MlflowServer, tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    builder = StoreBuilder(MlflowClient(tracking_uri=own_server.uri), tmp_path)
    run_id = builder.eval_run(
        "c", "m", "1", "canary", metrics={"toxicity_rate": 0.01}, items=items_frame(50, 1)
    )
    builder.version("m", run_id)
    builder.client.set_registered_model_alias("m", "champion", "1")
    source = MlflowSource(MlflowSettings(tracking_uri=own_server.uri, timeout_s=2, max_retries=0))
    run, resolution, model = resolve(source, parse_ref("models:/m@champion"), "candidate", "canary")
    own_server.stop()
    with pytest.raises(EvidenceError) as info:
        read(source, run, resolution, model, "candidate")
    assert info.value.code == "evidence.unreachable"
    assert own_server.uri in str(info.value)


def test_a_written_snapshot_replays_without_the_server(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    s = take_snapshot(
        parse_ref("models:/rag-assistant@challenger"),
        parse_ref("models:/rag-assistant@champion"),
        stage="canary",
        settings=MlflowSettings(tracking_uri=mlflow_server[0]),
        now=NOW,
    )
    path = tmp_path / "evidence.json"
    write_snapshot(s, path)
    dead = MlflowSettings(tracking_uri=f"http://127.0.0.1:{free_port()}", max_retries=0)
    replay = take_snapshot(
        parse_ref(str(path)), parse_ref(f"{path}#baseline"), stage="canary", settings=dead, now=NOW
    )
    assert replay.evidence.candidate == s.evidence.candidate
    assert replay.evidence.baseline == s.evidence.baseline
    assert replay.evidence.tracking_uri == mlflow_server[0]  # where the evidence came from


def test_bundle_is_logged_to_the_candidate_run_over_http(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    from tests.support.snapshots import policy

    uri, ids = mlflow_server
    folder = tmp_path / "policies"
    folder.mkdir()
    rule = "    - id: tox\n      category: safety\n"
    rule += "      threshold: {metric: toxicity_rate, max: 0.05}\n"
    (folder / "p.yaml").write_text(policy(rule))
    code, _, err = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        str(folder),
        "--stage",
        "canary",
        "--candidate",
        CHALLENGER,
        "--bundle",
        str(tmp_path / "bundle"),
    )
    assert code == 0, err
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(ids["candidate"])
    path = run.data.tags["govgate.bundle"]
    assert run.data.tags["govgate.verdict"] == "PASS"
    names = {f.path for f in client.list_artifacts(ids["candidate"], path)}
    assert {f"{path}/manifest.json", f"{path}/statement.json", f"{path}/report.html"} <= names
    # what the UI serves is the bundle that verifies
    downloaded = Path(client.download_artifacts(ids["candidate"], path, str(tmp_path / "dl")))
    assert cli("verify", str(downloaded))[0] == 0


def _run_with_items(client: Any, experiment: str, tmp_path: Path) -> str:
    """A finished canary run with a per-item table, in ``experiment``."""
    run_id: str = client.create_run(experiment, tags={"govgate.stage": "canary"}).info.run_id
    items_frame(2000, 0).to_parquet(tmp_path / "items.parquet")
    client.log_artifact(run_id, str(tmp_path / "items.parquet"), "govgate")
    client.set_terminated(run_id)
    return run_id


def _timed_snapshot(uri: str, run_id: str, tmp_path: Path) -> tuple[int, str, float]:
    """`govgate evidence snapshot` with a 2 s timeout and no retries: (code, stderr, seconds)."""
    start = time.monotonic()
    code, _, err = cli(
        "evidence", "snapshot", "--tracking-uri", uri, "--mlflow-retries", "0",
        "--mlflow-timeout", "2", "--candidate", f"runs:/{run_id}", "-o", str(tmp_path / "e.json"),
    )  # fmt: skip
    return code, err, time.monotonic() - start


def test_a_server_that_sends_an_artifact_slowly_is_bounded_by_the_whole_call(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """Each socket read gets a byte within the 2 s timeout, so MLflow's own timeout never
    fires; the per-item table would take hours. The whole call is bounded: evidence.timeout."""
    from mlflow.tracking import MlflowClient

    uri, _ = mlflow_server
    client = MlflowClient(tracking_uri=uri)
    # the server's own artifact store (mlflow-artifacts:/), so the table comes through HTTP
    run_id = _run_with_items(client, client.create_experiment("served-artifacts"), tmp_path)
    proxy = DripProxy(uri, slow="/mlflow-artifacts/artifacts/", every_s=0.5, limit_s=90)
    try:
        code, err, elapsed = _timed_snapshot(proxy.uri, run_id, tmp_path)
    finally:
        proxy.stop()
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "MLflow did not finish in 3 s (the whole call, retries included)" in err
    assert "[evidence.timeout]" in err
    assert "govgate/items.parquet" in err  # names the call that overran
    assert elapsed < 45  # the drip alone would last 90 s (and the table hours)
    assert not (tmp_path / "e.json").exists()


def test_a_local_store_whose_artifacts_live_behind_a_slow_server_is_bounded_too(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """A SQLite tracking store whose experiment keeps its artifacts on an HTTP server: the
    deadline is not only for http:// tracking URIs."""
    from mlflow.tracking import MlflowClient

    server, _ = mlflow_server
    proxy = DripProxy(server, slow="/mlflow-artifacts/artifacts/", every_s=0.5, limit_s=90)
    try:
        uri = f"sqlite:///{tmp_path / 'local.db'}"
        client = MlflowClient(tracking_uri=uri)
        location = f"{proxy.uri}/api/2.0/mlflow-artifacts/artifacts/local-{tmp_path.name}"
        experiment = client.create_experiment("remote-artifacts", artifact_location=location)
        run_id = _run_with_items(client, experiment, tmp_path)
        code, err, elapsed = _timed_snapshot(uri, run_id, tmp_path)
    finally:
        proxy.stop()
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "[evidence.timeout]" in err
    assert elapsed < 45
