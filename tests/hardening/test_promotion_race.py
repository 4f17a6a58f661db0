"""Two checks promoting one alias at once: a lost promotion is detected, never reported done.

Both used to report "promoted (was 1)" while one promotion was lost. MLflow has no atomic
compare-and-set, so the race is detected (a claim tag, then a read-back after the move) and
the check that lost it exits 10. The interleavings are planted deterministically by wrapping
MLflow's client; the last test races two real processes.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy

GOVGATE = str(Path(sys.executable).parent / "govgate")
RULE = (
    "    - id: tox\n      category: safety\n      threshold: {metric: toxicity_rate, max: 0.05}\n"
)
CLAIM = "govgate.promoting.champion"


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, MlflowClient, Path]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    for version in ("1", "2", "3"):  # all three pass the policy
        run_id = b.eval_run(f"v{version}", "assistant", version, "canary",
                            items=items_frame(2000, 0, seed=int(version)))  # fmt: skip
        b.version("assistant", run_id)
    b.client.set_registered_model_alias("assistant", "champion", "1")
    (tmp_path / "p.yaml").write_text(policy(RULE))
    return uri, b.client, tmp_path / "p.yaml"


def argv(uri: str, policies: Path, version: str) -> list[str]:
    return ["check", "--tracking-uri", uri, "--policies", str(policies), "--stage", "canary",
            "--candidate", f"models:/assistant/{version}", "--baseline",
            "models:/assistant@champion", "--promote-alias", "champion"]  # fmt: skip


def check(uri: str, policies: Path, version: str) -> tuple[int, str]:
    err = io.StringIO()
    return main(argv(uri, policies, version), io.StringIO(), err), err.getvalue()


def champion(client: MlflowClient) -> str:
    return str(client.get_model_version_by_alias("assistant", "champion").version)


def after(monkeypatch: pytest.MonkeyPatch, method: str, rival: Callable[[Any], None]) -> None:
    """Run ``rival(client)`` (another writer) right after this check's call of ``method``."""
    original = getattr(MlflowClient, method)

    def wrapped(self: MlflowClient, *args: Any, **kwargs: Any) -> Any:
        result = original(self, *args, **kwargs)
        monkeypatch.setattr(MlflowClient, method, original)  # once
        rival(self)
        return result

    monkeypatch.setattr(MlflowClient, method, wrapped)


def test_a_promotion_records_who_moved_the_alias_on_the_version(
    store: tuple[str, MlflowClient, Path],
) -> None:
    uri, client, policies = store
    code, err = check(uri, policies, "2")
    assert code == ExitCode.OK, err
    assert "promoted models:/assistant@champion to version 2 (was 1)" in err
    assert champion(client) == "2"
    record = json.loads(
        client.get_model_version("assistant", "2").tags["govgate.promoted.champion"]
    )
    assert record["alias"] == "champion"
    assert record["previous"] == "1"
    assert set(record["by"]) == {"user", "host"}
    assert len(record["decision_sha256"]) == 64
    assert record["tool"].startswith("govgate ")


def test_a_promotion_another_writer_moves_right_after_is_reported_lost(
    store: tuple[str, MlflowClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, client, policies = store
    after(monkeypatch, "set_registered_model_alias",
          lambda c: c.set_registered_model_alias("assistant", "champion", "3"))  # fmt: skip
    code, err = check(uri, policies, "2")
    assert code == ExitCode.PROMOTION_CONFLICT, err
    assert "moved models:/assistant@champion to version 2, but it points to version 3 now" in err
    assert "[promotion.lost]" in err
    assert "promoted models:/assistant@champion" not in err
    assert champion(client) == "3"
    assert "govgate.promoted.champion" not in client.get_model_version("assistant", "2").tags


def test_a_rival_claim_before_the_move_means_nothing_moves(
    store: tuple[str, MlflowClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, client, policies = store
    rival = json.dumps({"token": "f" * 32, "version": "3", "previous": "1"})
    after(monkeypatch, "set_registered_model_tag",
          lambda c: c.set_registered_model_tag("assistant", CLAIM, rival))  # fmt: skip
    code, err = check(uri, policies, "2")
    assert code == ExitCode.PROMOTION_CONFLICT, err
    assert "another govgate check claimed models:/assistant@champion at the same time" in err
    assert "[promotion.raced]" in err
    assert champion(client) == "1"  # nothing moved


def test_a_rival_claim_while_moving_leaves_the_promotion_unconfirmed(
    store: tuple[str, MlflowClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, client, policies = store
    rival = json.dumps({"token": "e" * 32, "version": "3", "previous": "1"})
    after(monkeypatch, "set_registered_model_alias",
          lambda c: c.set_registered_model_tag("assistant", CLAIM, rival))  # fmt: skip
    code, err = check(uri, policies, "2")
    assert code == ExitCode.PROMOTION_CONFLICT, err
    assert "[promotion.unconfirmed]" in err
    assert champion(client) == "2"
    assert "govgate.promoted.champion" in client.get_model_version("assistant", "2").tags


def test_a_malformed_claim_tag_is_no_claim_and_never_an_internal_error(
    store: tuple[str, MlflowClient, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, client, policies = store
    after(monkeypatch, "set_registered_model_tag",
          lambda c: c.set_registered_model_tag("assistant", CLAIM, "[" * 4000))  # fmt: skip
    code, err = check(uri, policies, "2")
    assert code == ExitCode.PROMOTION_CONFLICT, err
    assert "[promotion.raced]" in err
    assert champion(client) == "1"


def test_two_real_checks_racing_never_both_report_a_promotion_from_one_champion(
    store: tuple[str, MlflowClient, Path],
) -> None:
    """Whatever the interleaving, the promotions reported form one history: each moved the
    alias from where the previous one left it (two from version 1 would mean one was lost),
    and the alias ends where the last one reported it, or where a move reported unconfirmed
    (exit 10: "moved ... but another govgate check claimed it meanwhile") left it."""
    uri, client, policies = store
    racers = {
        version: subprocess.Popen(
            [GOVGATE, *argv(uri, policies, version)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for version in ("2", "3")
    }
    done = {}
    for version, process in racers.items():
        _, err = process.communicate(timeout=300)
        done[version] = (process.returncode, err)
    allowed = (ExitCode.OK, ExitCode.EVIDENCE_UNAVAILABLE, ExitCode.PROMOTION_CONFLICT)
    moves = {}  # previous -> version
    unconfirmed = set()  # versions an unconfirmed promotion moved the alias to
    for version, (code, err) in done.items():
        assert code in allowed, err
        assert "internal error" not in err
        found = re.search(r"promoted models:/assistant@champion to version (\d) \(was (\d)\)", err)
        assert (code == ExitCode.OK) == (found is not None), err
        if found:
            assert found.group(1) == version
            assert found.group(2) not in moves, done  # two promotions from one champion
            moves[found.group(2)] = version
        moved = re.search(r"moved models:/assistant@champion to version (\d), but another", err)
        if moved:
            assert code == ExitCode.PROMOTION_CONFLICT, err
            assert moved.group(1) == version
            unconfirmed.add(version)
    at = "1"
    while at in moves:
        at = moves.pop(at)
    assert moves == {}, done  # every promotion chains from the champion the race started from
    # the alias is where the reported history left it, or where an unconfirmed move (which
    # said it moved and might be overtaken) left it: never at a version no racer reported
    assert champion(client) in {at} | unconfirmed, done


def test_a_promotion_never_replaces_a_version_the_candidate_was_not_compared_with(
    store: tuple[str, MlflowClient, Path],
) -> None:
    """The baseline named by version (not by the alias): champion moved to 3 after the
    evidence was read would have been replaced by 2, which was compared with 1 only."""
    uri, client, policies = store
    client.set_registered_model_alias("assistant", "champion", "3")
    by_version = argv(uri, policies, "2")
    by_version[by_version.index("models:/assistant@champion")] = "models:/assistant/1"
    err = io.StringIO()
    assert main(by_version, io.StringIO(), err) == ExitCode.EVIDENCE_UNAVAILABLE, err.getvalue()
    assert "points to version 3, but the candidate was compared with version 1" in err.getvalue()
    assert champion(client) == "3"
    client.set_registered_model_alias("assistant", "champion", "1")
    assert main(by_version, io.StringIO(), err) == ExitCode.OK, err.getvalue()  # it is the one
    assert champion(client) == "2"
