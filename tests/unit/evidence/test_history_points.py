"""Metric histories are read within a bound: the newest points of each, the rest named."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgate.evidence.mlflow.settings import MAX_HISTORY_POINTS, MlflowSettings
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot
from tests.support.mlflow_store import StoreBuilder

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def test_a_long_history_keeps_its_newest_points_and_says_how_many_there_were(
    tmp_path: Path,
) -> None:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    run_id = b.run("long", metrics={"acc": [0.5, 0.6, 0.7]})
    logged = MAX_HISTORY_POINTS + 205
    # logged out of step order: the newest are the latest in time, whatever order they came in
    points = [Metric("loss", 1.0 / (s + 1), 1_700_000_000_000 + 1000 * s, s) for s in range(logged)]
    for start in range(0, logged, 1000):
        b.client.log_batch(run_id, metrics=points[start : start + 1000][::-1])
    run = take_snapshot(
        parse_ref(run_id), None, stage=None, settings=MlflowSettings(tracking_uri=uri), now=NOW
    ).evidence.candidate
    loss = run.metric_history["loss"]
    assert len(loss) == MAX_HISTORY_POINTS
    assert [p.step for p in loss] == list(range(205, logged))  # the newest, in step order
    assert run.history_truncated == {"loss": logged}
    assert [p.value for p in run.metric_history["acc"]] == [0.5, 0.6, 0.7]
    assert run.model_dump(mode="json")["history_truncated"] == {"loss": logged}


def test_a_snapshot_with_nothing_truncated_does_not_name_the_field(tmp_path: Path) -> None:
    """So every snapshot taken before histories were capped keeps its digest."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path).run(
        "short", metrics={"x": [1.0, 2.0]}
    )
    run = take_snapshot(
        parse_ref(run_id), None, stage=None, settings=MlflowSettings(tracking_uri=uri), now=NOW
    ).evidence.candidate
    assert run.history_truncated == {}
    assert "history_truncated" not in run.model_dump(mode="json")
