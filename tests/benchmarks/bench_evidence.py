"""Benchmark: snapshot a run with a 1,000,000-row per-item table, against the raw calls.

Run: .venv/bin/python tests/benchmarks/bench_evidence.py [ROWS]

Prints wall times and the ratio govgate / raw, measured in one run on one machine (noisy, so
the ratio is what to read). "raw" is the floor for the same data: MlflowClient.get_run, the
artifact download and pyarrow reading the used columns into numpy. govgate additionally
validates the table (unique ids, 0/1 rates, finite scores, secret scan) and re-encodes the
used columns as the Parquet file it stores.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.update(
    {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
)

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from mlflow.tracking import MlflowClient

from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.model import write_snapshot
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot
from tests.benchmarks.common import timed


def main(rows: int = 1_000_000) -> None:
    root = Path(tempfile.mkdtemp(prefix="govgate-bench-"))
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp = client.create_experiment("bench", artifact_location=(root / "art").as_uri())
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "item_id": [f"i{i:07d}" for i in range(rows)],
            "rate.toxicity_rate": (rng.random(rows) < 0.01).astype(np.int8),
            "score.answer_correctness": rng.random(rows),
            "latency.latency_ms": rng.gamma(2.0, 300.0, rows),
            "group.language": rng.choice(["en", "de", "fr", "es"], rows),
        }
    )
    path = root / "items.parquet"
    frame.to_parquet(path)
    run = client.create_run(exp)
    run_id = run.info.run_id
    client.log_metric(run_id, "toxicity_rate", 0.01)
    client.log_artifact(run_id, str(path), "govgate")
    client.set_terminated(run_id)
    settings = MlflowSettings(tracking_uri=uri)
    columns = list(frame.columns)

    def raw() -> None:
        c = MlflowClient(uri)
        c.get_run(run_id)
        with tempfile.TemporaryDirectory() as tmp:
            local = c.download_artifacts(run_id, "govgate/items.parquet", tmp)
            table = pq.read_table(local, columns=columns)
            for name in columns:
                table.column(name).to_numpy()

    def govgate() -> None:
        take_snapshot(
            parse_ref(run_id), None, stage=None, settings=settings, now=dt.datetime.now(dt.UTC)
        )

    raw()  # warm imports and caches for both
    govgate()
    t_raw = timed(3, raw)
    t_gov = timed(3, govgate)
    snap = take_snapshot(
        parse_ref(run_id), None, stage=None, settings=settings, now=dt.datetime.now(dt.UTC)
    )
    t_write = timed(3, lambda: write_snapshot(snap, root / "out" / "evidence.json"))
    print(f"rows: {rows:,}  artifact: {path.stat().st_size / 1e6:.1f} MB")
    print(f"raw MLflow + pyarrow (floor): {t_raw:.3f} s")
    print(f"govgate take_snapshot:        {t_gov:.3f} s   ratio {t_gov / t_raw:.2f}x")
    print(f"govgate write_snapshot:       {t_write:.3f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
