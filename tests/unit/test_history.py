"""`govgate replay` and `govgate diff`: the gate's engine over past runs, nothing re-evaluated.

Replay and diff over the quickstart's runs (the store `govgate demo` builds) are slow, and
live in tests/integration/test_history_quickstart.py.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


# -- a logged decision that does not verify is not a past verdict ----------------------------------


@pytest.fixture
def gated_store(tmp_path: Path) -> tuple[str, StoreBuilder, str, Path]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    run_id = b.eval_run("v1", "assistant", "1", "canary", items=items_frame(2000, 0, seed=1))
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
        "--candidate",
        f"runs:/{run_id}",
        "--stage",
        "canary",
        "--bundle",
        str(tmp_path / "bundle"),
    )
    assert code == ExitCode.OK, err
    return uri, b, run_id, folder


def test_replay_uses_a_verified_bundle_and_refuses_a_tampered_one(
    gated_store: tuple[str, StoreBuilder, str, Path],
) -> None:
    uri, b, run_id, folder = gated_store
    argv = ("replay", "--tracking-uri", uri, "--model", "assistant", "--policies", str(folder))
    code, out, _ = cli(*argv, "--format", "json")
    (row,) = json.loads(out)["runs"]
    assert (row["evidence"], row["before"], row["after"]) == ("bundle", "PASS", "PASS")
    # rewrite the logged decision in the artifact store, as an attacker with store access could
    tags = b.client.get_run(run_id).data.tags
    artifacts = Path(b.client.get_run(run_id).info.artifact_uri.removeprefix("file://"))
    logged = artifacts / tags["govgate.bundle"] / "decision.json"
    logged.write_text(logged.read_text().replace('"PASS"', '"FAIL"'))
    code, out, _ = cli(*argv, "--format", "json")
    (row,) = json.loads(out)["runs"]
    assert row["before"] is None  # no past verdict from a record that does not verify
    assert row["evidence"] == "store"
    assert row["note"].startswith("the logged bundle does not verify: modified: decision.json")
    assert row["after"] == "PASS"
    assert code == ExitCode.OK
