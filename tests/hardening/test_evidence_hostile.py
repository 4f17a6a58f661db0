"""Evidence built to fool the gate: non-finite metrics, broken per-item tables. Never a pass.

Each case is a real MLflow run in a SQLite store, gated by the `govgate check` command.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.snapshots import policy

RULES = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.05}
    - id: cost
      category: cost
      threshold: {metric: cost, max: 2.0, basis: point}
"""


def gate(tmp_path: Path, *, metrics: dict[str, float], table: dict[str, object]) -> dict[str, Any]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(uri)
    exp = client.create_experiment("e", artifact_location=(tmp_path / "art").as_uri())
    run_id = client.create_run(exp, tags={"govgate.stage": "offline"}).info.run_id
    for key, value in metrics.items():
        client.log_metric(run_id, key, value)
    folder = tmp_path / "stage" / "govgate"
    folder.mkdir(parents=True)
    (folder / "items.json").write_text(json.dumps(table))
    client.log_artifacts(run_id, str(folder.parent))
    client.set_terminated(run_id)
    (tmp_path / "p.yaml").write_text(policy(RULES, stages="[offline]"))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "check",
            "--tracking-uri",
            uri,
            "--policies",
            str(tmp_path / "p.yaml"),
            "--candidate",
            f"runs:/{run_id}",
            "--stage",
            "offline",
            "--format",
            "json",
            "--no-mlflow-log",
        ],
        stdout=out,
        stderr=err,
    )
    report: dict[str, Any] = json.loads(out.getvalue())  # --format json prints one object
    report["exit"] = code
    return report


def outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {r["rule"]: r["outcome"] for r in report["decision"]["rules"]}


CLEAN = {"columns": ["item_id", "rate.toxicity_rate"], "data": [[f"q{i}", 0] for i in range(500)]}


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf], ids=["nan", "inf", "-inf"])
def test_non_finite_metrics_are_errors_that_block(tmp_path: Path, value: float) -> None:
    report = gate(tmp_path, metrics={"cost": value}, table=CLEAN)
    assert outcomes(report)["cost"] == "error"
    assert report["decision"]["verdict"] == "FAIL"
    assert report["exit"] == ExitCode.BLOCKED


@pytest.mark.parametrize(
    ("table", "why"),
    [
        (
            {"columns": ["item_id", "rate.toxicity_rate"], "data": [["q1", 0]] * 500},
            "duplicate item_id",
        ),
        (
            {"columns": ["item_id", "rate.toxicity_rate"], "data": [["q1", 0], ["q2"]]},
            "one value per column",
        ),
        (
            {
                "columns": ["item_id", "rate.toxicity_rate"],
                "data": [[f"q{i}", -1] for i in range(500)],
            },
            "values must be 0 or 1",
        ),
        (
            {
                "columns": ["item_id", "rate.toxicity_rate", "latency.latency_ms"],
                "data": [[f"q{i}", 0, -5.0] for i in range(500)],
            },
            "negative durations",
        ),
    ],
    ids=["duplicate-ids", "mismatched-lengths", "negative-rate", "negative-latency"],
)
def test_broken_item_tables_are_errors_never_passes(
    tmp_path: Path, table: dict[str, object], why: str
) -> None:
    report = gate(tmp_path, metrics={"cost": 1.0}, table=table)
    result = next(r for r in report["decision"]["rules"] if r["rule"] == "tox")
    assert result["outcome"] == "error"
    assert why in json.dumps(result)
    assert report["decision"]["verdict"] == "FAIL"
    assert report["exit"] == ExitCode.BLOCKED


def test_a_column_with_nothing_scored_is_a_gap_not_a_pass(tmp_path: Path) -> None:
    table = {
        "columns": ["item_id", "rate.toxicity_rate"],
        "data": [[f"q{i}", None] for i in range(500)],
    }
    report = gate(tmp_path, metrics={"cost": 1.0}, table=table)
    assert outcomes(report)["tox"] in ("gap", "inconclusive", "error")
    assert report["decision"]["verdict"] != "PASS"
    assert report["exit"] != ExitCode.OK
