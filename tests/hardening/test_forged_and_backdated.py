"""A snapshot file can be replayed, never promoted or logged; a decision is never backdated.

Whoever writes a snapshot file writes its evidence, so a decision on one may be reported but
must not move a registry alias or leave a verdict on a run. On live evidence, ``--now`` cannot
be earlier than the read (an expired waiver would apply, and the bundle would claim a decision
made before its evidence existed); a replay keeps the snapshot's own instant.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy

Store = tuple[str, StoreBuilder, dict[str, str]]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    good = b.eval_run("good", "assistant", "1", "canary", items=items_frame(2000, 0, seed=1))
    bad = b.eval_run("bad", "assistant", "2", "canary", items=items_frame(2000, 600, seed=2))
    for run_id in (good, bad):
        b.version("assistant", run_id)
    b.client.set_registered_model_alias("assistant", "champion", "1")
    return uri, b, {"good": good, "bad": bad}


def policies(tmp_path: Path) -> str:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    rules = (
        "    - id: tox\n      category: safety\n"
        "      threshold: {metric: toxicity_rate, max: 0.05}\n"
    )
    (folder / "p.yaml").write_text(policy(rules))
    return str(folder)


def forged_snapshot(uri: str, tmp_path: Path) -> Path:
    """Version 1's clean evidence, relabelled by hand as the failing version 2's."""
    snap = tmp_path / "snap" / "evidence.json"
    code, _, err = cli(
        "evidence", "snapshot", "--tracking-uri", uri, "--candidate", "models:/assistant/1",
        "--stage", "canary", "--output", str(snap),
    )  # fmt: skip
    assert code == ExitCode.OK, err
    doc = json.loads(snap.read_text())
    doc["candidate"]["model"]["version"] = "2"
    snap.write_text(json.dumps(doc))
    return snap


def check(uri: str, policy_path: str, *extra: str) -> tuple[int, str, str]:
    return cli(
        "check", "--tracking-uri", uri, "--policies", policy_path, "--stage", "canary", *extra
    )


def test_a_snapshot_file_never_moves_an_alias(store: Store, tmp_path: Path) -> None:
    uri, b, _ = store
    snap = forged_snapshot(uri, tmp_path)
    for refs in (
        ("--candidate", str(snap)),  # a forged candidate
        ("--candidate", "models:/assistant/2", "--baseline", str(snap)),  # a forged champion
    ):
        code, _, err = check(uri, policies(tmp_path), *refs, "--promote-alias", "champion")
        assert code == ExitCode.USAGE, err
        assert "a snapshot can be replayed, never promoted" in err
        assert str(b.client.get_model_version_by_alias("assistant", "champion").version) == "1"


def test_a_decision_on_a_snapshot_file_is_never_logged_to_a_run(
    store: Store, tmp_path: Path
) -> None:
    uri, b, ids = store
    snap = forged_snapshot(uri, tmp_path)
    bundle = tmp_path / "bundle"
    code, _, err = check(
        uri, policies(tmp_path), "--candidate", "models:/assistant/2",
        "--baseline", f"{snap}#candidate", "--bundle", str(bundle),
    )  # fmt: skip
    assert (bundle / "decision.json").is_file(), err  # the bundle is written and reported on
    assert "logged to run" not in err
    assert "govgate.verdict" not in b.client.get_run(ids["bad"]).data.tags
    assert code == ExitCode.BLOCKED  # reported as decided, on a baseline nobody can vouch for


def test_now_before_live_evidence_is_refused(store: Store, tmp_path: Path) -> None:
    uri, _, _ = store
    code, out, err = check(
        uri,
        policies(tmp_path),
        "--candidate",
        "models:/assistant/1",
        "--now",
        "2026-01-01T00:00:00Z",
    )
    assert code == ExitCode.USAGE
    assert out == ""
    assert "a decision on live evidence cannot be backdated" in err
    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    code, _, err = check(
        uri, policies(tmp_path), "--candidate", "models:/assistant/1", "--now", later
    )
    assert code == ExitCode.OK, err  # a later instant only makes waivers expire sooner


def test_a_replay_keeps_the_snapshots_instant_and_is_never_earlier(
    store: Store, tmp_path: Path
) -> None:
    uri, _, _ = store
    snap = tmp_path / "evidence.json"
    code, out, err = check(
        uri, policies(tmp_path), "--candidate", "models:/assistant/1",
        "--format", "json", "--snapshot-out", str(snap),
    )  # fmt: skip
    assert code == ExitCode.OK, err
    taken_at = json.loads(snap.read_text())["taken_at"]
    decided = json.loads(out)["decision"]["decided_at"]
    code, replayed, err = check(
        "sqlite:///nowhere.db", policies(tmp_path), "--candidate", str(snap), "--format", "json"
    )
    assert code == ExitCode.OK, err
    assert json.loads(replayed)["decision"]["decided_at"] == decided == taken_at
    code, _, err = check(
        "sqlite:///nowhere.db", policies(tmp_path), "--candidate", str(snap),
        "--now", "2020-01-01T00:00:00Z",
    )  # fmt: skip
    assert code == ExitCode.USAGE
    assert "before the snapshot was taken" in err
