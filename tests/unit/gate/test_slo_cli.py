"""`govgate check` on burn-rate rules, end to end on a real SQLite MLflow store: the per-item
table's ts column and MLflow metric histories (counts per step, at their timestamps)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder
from tests.support.snapshots import policy

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z
FAST_BURN = """    - id: fast-burn
      category: rollback
      slo: {name: availability, burn_rate: {long: 1h, short: 5m, max: 14.4}}
"""
SOURCES = {
    "table": "      bad: error\n",
    "history": "      history: {requests: requests_total, errors: errors_total}\n",
}


def slos(source: str) -> str:
    return (
        "  slos:\n    - name: availability\n      objective: 0.995\n      window: 30d\n"
        + SOURCES[source]
    )


def requests(errors: np.ndarray) -> pd.DataFrame:
    """One request every 10 s from T0, in an order that is not their arrival order."""
    i = np.arange(errors.size)
    frame = pd.DataFrame(
        {"item_id": [f"r{k:04d}" for k in i], "ts": T0 + 10.0 * i, "rate.error": errors}
    )
    return frame.iloc[np.random.default_rng(3).permutation(errors.size)]


def burning_in_both() -> np.ndarray:
    """720 requests; by hand the 1h window is i = 360..719 and the 5m one i = 690..719. Every
    5th request fails (i % 5 == 0): 72 of 360 and 6 of 30, 20% in both, a 40x burn."""
    errors: np.ndarray = (np.arange(720) % 5 == 0).astype(float)
    return errors


def burning_long_only() -> np.ndarray:
    """The same, but nothing fails in the last 5 minutes (i >= 690): 1h 66 of 360 (36.7x),
    5m 0 of 30."""
    i = np.arange(720)
    errors: np.ndarray = ((i % 5 == 0) & (i < 690)).astype(float)
    return errors


def log_counts(b: StoreBuilder, run_id: str, errors_per_step: list[int]) -> None:
    """``requests_total`` (100) and ``errors_total`` at steps one minute apart from T0."""
    from mlflow.entities import Metric

    metrics = [
        Metric(key, float(value), (T0 + 60 * step) * 1000, step)
        for step, errors in enumerate(errors_per_step)
        for key, value in (("requests_total", 100), ("errors_total", errors))
    ]
    for start in range(0, len(metrics), 1000):  # MLflow takes at most 1,000 in a batch
        b.client.log_batch(run_id, metrics=metrics[start : start + 1000])


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, str]]:
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("slo-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), root)
    ids = {
        "both": b.eval_run("both", "svc", "2", "canary", items=requests(burning_in_both())),
        "long-only": b.eval_run("long", "svc", "3", "canary", items=requests(burning_long_only())),
        "no-ts": b.eval_run(
            "no-ts", "svc", "4", "canary", items=requests(burning_in_both()).drop(columns="ts")
        ),
    }
    # counts per step: 10 of 100 requests fail a minute for 115 minutes, 40 for the last 5:
    # by hand the 1h window (steps 60..119) burns 750/6000/0.005 = 25x, the 5m one 80x
    ids["history"] = b.eval_run("history", "svc", "5", "canary")
    log_counts(b, ids["history"], [10] * 115 + [40] * 5)
    ids["calm-history"] = b.eval_run("calm", "svc", "6", "canary")
    log_counts(b, ids["calm-history"], [0] * 120)
    return uri, ids


def check(
    store: tuple[str, dict[str, str]], tmp_path: Path, run: str, source: str, *extra: str
) -> tuple[int, dict[str, Any]]:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / "slo.yaml").write_text(policy(FAST_BURN, stages="[canary]", slos=slos(source)))
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "check",
            "--tracking-uri",
            store[0],
            "--policies",
            str(folder),
            "--candidate",
            store[1][run],
            "--stage",
            "canary",
            "--format",
            "json",
            *extra,
        ],
        stdout=out,
        stderr=err,
    )
    said = f"govgate: evidence snapshot written to {extra[-1]}\n" if extra else ""
    assert err.getvalue() == said, err.getvalue()
    decision: dict[str, Any] = json.loads(out.getvalue())["decision"]
    return code, decision


def observed(decision: dict[str, Any]) -> dict[str, Any]:
    return {o["path"]: o["value"] for o in decision["rules"][0]["observed"]}


def test_a_burn_over_both_windows_of_a_canary_rolls_it_back(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    code, decision = check(store, tmp_path, "both", "table")
    assert code == ExitCode.ROLLBACK
    assert decision["verdict"] == "ROLLBACK"
    seen = observed(decision)
    unit = "candidate.slo.availability"
    assert (seen[f"{unit}.events_1h"], seen[f"{unit}.bad_events_1h"]) == (360, 72)
    assert (seen[f"{unit}.events_5m"], seen[f"{unit}.bad_events_5m"]) == (30, 6)
    assert seen[f"{unit}.burn_rate_1h"] == pytest.approx(0.2 / 0.005)
    assert seen[f"{unit}.burn_rate_5m"] == pytest.approx(0.2 / 0.005)
    assert "point value: SRE multiwindow burn rate" in decision["rules"][0]["reason"]


def test_a_burn_over_the_long_window_only_keeps_the_canary(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    code, decision = check(store, tmp_path, "long-only", "table")
    assert code == ExitCode.OK
    assert decision["verdict"] == "PASS"
    seen = observed(decision)
    assert seen["candidate.slo.availability.burn_rate_1h"] == pytest.approx(66 / 360 / 0.005)
    assert seen["candidate.slo.availability.burn_rate_5m"] == 0.0


def test_a_table_without_ts_is_a_gap_and_exits_inconclusive(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    code, decision = check(store, tmp_path, "no-ts", "table")
    assert code == ExitCode.INCONCLUSIVE
    assert decision["rules"][0]["outcome"] == "gap"
    assert "no ts column" in decision["rules"][0]["reason"]


def test_metric_histories_give_the_burn_rates_counted_by_hand(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    code, decision = check(store, tmp_path, "history", "history")
    assert code == ExitCode.ROLLBACK
    seen = observed(decision)
    assert seen["candidate.slo.availability.burn_rate_1h"] == pytest.approx(25.0)
    assert seen["candidate.slo.availability.burn_rate_5m"] == pytest.approx(80.0)
    code, decision = check(store, tmp_path, "calm-history", "history")
    assert code == ExitCode.OK
    assert decision["verdict"] == "PASS"


def test_a_decision_replays_from_its_snapshot_byte_for_byte(
    store: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    """Windows end at the newest event, never at the clock: the snapshot decides the same."""
    snap = tmp_path / "snap" / "evidence.json"
    code, live = check(store, tmp_path, "history", "history", "--snapshot-out", str(snap))
    out = io.StringIO()
    replayed = main(
        [
            "check",
            "--policies",
            str(tmp_path / "policies"),
            "--candidate",
            str(snap),
            "--stage",
            "canary",
            "--format",
            "json",
            "--tracking-uri",
            "sqlite:///nowhere.db",
        ],
        stdout=out,
        stderr=io.StringIO(),
    )
    assert replayed == code == ExitCode.ROLLBACK
    assert json.loads(out.getvalue())["decision"] == live
