"""A deleted run is not evidence: named directly, or as a model version's source run."""

from __future__ import annotations

import io
from pathlib import Path

from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, items_frame


def snapshot(uri: str, candidate: str, out: Path) -> tuple[int, str]:
    err = io.StringIO()
    code = main(
        ["evidence", "snapshot", "--tracking-uri", uri, "--candidate", candidate,
         "--output", str(out)],
        io.StringIO(),
        err,
    )  # fmt: skip
    return code, err.getvalue()


def test_a_deleted_run_is_refused_by_id_and_as_a_versions_source(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    run_id = b.eval_run("gone", "assistant", "1", "canary", items=items_frame(500, 0, seed=1))
    b.version("assistant", run_id)
    assert snapshot(uri, f"runs:/{run_id}", tmp_path / "before.json")[0] == ExitCode.OK
    assert snapshot(uri, "models:/assistant/1", tmp_path / "before2.json")[0] == ExitCode.OK
    b.client.delete_run(run_id)
    code, err = snapshot(uri, f"runs:/{run_id}", tmp_path / "a.json")
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert f"candidate run {run_id} is deleted [evidence.run-state]" in err
    assert not (tmp_path / "a.json").exists()
    code, err = snapshot(uri, "models:/assistant/1", tmp_path / "b.json")
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert f"source run {run_id} is deleted [evidence.run-state]" in err
