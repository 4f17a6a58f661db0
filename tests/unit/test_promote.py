"""`govgate promote`, `govgate revert` and `eval run --alias`, end to end on real SQLite stores.

The bundles are made once per module by `govgate check --bundle` (signed, logged to their runs,
as CI makes them); each test promotes or reverts in its own copy of the store, so no test sees
another's moves.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import re
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mlflow.tracking import MlflowClient

from govgate.bundle.signing import generate
from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy

GOVGATE = str(Path(sys.executable).parent / "govgate")
RULE = (
    "    - id: tox\n      category: safety\n      threshold: {metric: toxicity_rate, max: 0.05}\n"
)
MODEL = "assistant"
PROMOTED, REVERTED, RESTORED = (
    "govgate.promoted.champion",
    "govgate.reverted.champion",
    "govgate.restored.champion",
)


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


@dataclass(frozen=True)
class World:
    """The store the bundles were made from (never changed after), the bundles by name, and
    the key pair that signed them (plus a stranger's public key)."""

    root: Path
    bundles: dict[str, Path]
    private: Path
    public: Path
    other_public: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    root = tmp_path_factory.mktemp("promote-world")
    store = root / "store"
    store.mkdir()
    uri = f"sqlite:///{store / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), store)
    toxic = {"1": 0, "2": 0, "3": 0, "4": 350}  # version 4 fails the policy
    for version, bad in toxic.items():
        run_id = b.eval_run(f"v{version}", MODEL, version, "canary",
                            items=items_frame(1000, bad, seed=int(version)))  # fmt: skip
        b.version(MODEL, run_id)
    b.client.set_registered_model_alias(MODEL, "champion", "1")  # the first champion, by hand
    (root / "p.yaml").write_text(policy(RULE))
    generate(root / "k.pem", root / "k.pub")
    generate(root / "other.pem", root / "other.pub")
    bundles = {}
    baseline = ["--baseline", f"models:/{MODEL}@champion"]
    sign = ["--sign-key", str(root / "k.pem")]
    for name, version, extra in (("v2", "2", baseline + sign), ("v3", "3", baseline + sign),
                                 ("v4", "4", baseline + sign), ("v2-unsigned", "2", baseline),
                                 ("v3-alone", "3", sign)):  # fmt: skip
        bundles[name] = root / "bundles" / name
        code, _, err = cli(
            "check", "--tracking-uri", uri, "--policies", str(root / "p.yaml"),
            "--stage", "canary", "--candidate", f"models:/{MODEL}/{version}",
            "--bundle", str(bundles[name]), *extra,
        )  # fmt: skip
        assert code == (ExitCode.BLOCKED if version == "4" else ExitCode.OK), err
    return World(root, bundles, root / "k.pem", root / "k.pub", root / "other.pub")


@dataclass(frozen=True)
class Store:
    uri: str
    client: MlflowClient
    folder: Path

    def champion(self) -> str | None:
        aliases = self.client.get_registered_model(MODEL).aliases
        return str(aliases["champion"]) if "champion" in aliases else None

    def tags(self, version: str) -> dict[str, str]:
        return dict(self.client.get_model_version(MODEL, version).tags)

    def history(self) -> list[dict[str, Any]]:
        tags = self.client.get_registered_model(MODEL).tags
        return [json.loads(v) for k, v in sorted(tags.items()) if k.startswith("govgate.history.")]


def copy_store(world: World, to: Path) -> Store:
    """The world's store copied whole (its SQLite file and artifacts), every path in it moved to
    the copy, so a test can change, delete or promote anything without touching another's."""
    shutil.copytree(world.root / "store", to)
    old, new = str(world.root / "store"), str(to)
    with contextlib.closing(sqlite3.connect(to / "mlflow.db")) as db, db:
        for (table,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'"):
            for column in db.execute(f"PRAGMA table_info('{table}')").fetchall():
                if "CHAR" in column[2].upper() or "TEXT" in column[2].upper():
                    db.execute(
                        f'UPDATE "{table}" SET "{column[1]}" = REPLACE("{column[1]}", ?, ?)',
                        (old, new),
                    )
    uri = f"sqlite:///{to / 'mlflow.db'}"
    return Store(uri, MlflowClient(tracking_uri=uri), to)


@pytest.fixture
def store(world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Store]:
    from mlflow.tracking._tracking_service import utils

    monkeypatch.delenv("GOVGATE_BUNDLE_KEY", raising=False)
    # MLflow caches each run's artifact store by run id, process-wide: the copies share their
    # run ids, so without this one copy's artifacts would be read and written through another's
    utils._artifact_repos_cache.clear()
    yield copy_store(world, tmp_path / "store")
    utils._artifact_repos_cache.clear()


def promote(store: Store, bundle: Path, *extra: str) -> tuple[int, str, str]:
    return cli("promote", str(bundle), "--alias", "champion", "--tracking-uri", store.uri, *extra)


def revert(store: Store, reason: str = "answers got worse", *extra: str) -> tuple[int, str, str]:
    return cli("revert", MODEL, "--alias", "champion", "--reason", reason,
               "--tracking-uri", store.uri, *extra)  # fmt: skip


def digest_of(bundle: Path) -> str:
    return hashlib.sha256((bundle / "decision.json").read_bytes()).hexdigest()


# -- promote ----------------------------------------------------------------------------------


def test_promote_moves_the_alias_and_records_the_decision_on_the_version(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVGATE_BUNDLE_KEY", str(world.public))  # the key, as CI configures it
    monkeypatch.setenv("GITHUB_RUN_ID", "4242")
    bundle = world.bundles["v2"]
    code, out, err = promote(store, bundle)
    assert code == ExitCode.OK, err
    assert out.startswith(
        f"promoted models:/{MODEL}@champion to version 2 (was 1) from {bundle.absolute()}: "
        "verdict PASS"
    )
    assert "signature verified" in out
    assert store.champion() == "2"
    record = json.loads(store.tags("2")[PROMOTED])
    assert record["via"] == "govgate promote"
    assert record["verdict"] == "PASS"
    assert record["decision_sha256"] == digest_of(bundle)
    assert record["bundle"] == str(bundle.absolute())
    assert record["previous"] == "1"
    assert record["alias"] == "champion"
    assert record["approvals"] == []
    assert record["signature"] == "verified"
    assert set(record["by"]) == {"user", "host"}
    assert record["ci"]["GITHUB_RUN_ID"] == "4242"
    assert record["promoted_at"].endswith("Z")
    assert record["tool"].startswith("govgate ")
    (entry,) = store.history()
    assert (entry["action"], entry["from"], entry["to"]) == ("promote", "1", "2")
    # run again (a CI retry): the alias already holds this decision, nothing is written again
    code, out, err = promote(store, bundle)
    assert code == ExitCode.OK, err
    assert "already points to version 2 by this bundle's decision: nothing to do" in out
    assert len(store.history()) == 1


def tamper(bundle: Path, to: Path) -> Path:
    shutil.copytree(bundle, to)
    path = to / "evidence" / "evidence.json"
    path.write_bytes(path.read_bytes().replace(b'"status":"FINISHED"', b'"status":"FAILED"', 1))
    return to


@pytest.mark.parametrize(
    ("case", "code", "label", "message"),
    [
        ("tampered", ExitCode.VERIFY_FAILED, "promotion.unverified",
         "does not verify (6 problems: modified: evidence/evidence.json (its sha256 differs"),
        ("unsigned", ExitCode.VERIFY_FAILED, "promotion.unsigned",
         "not signed, and the signature is required (a key is configured)"),
        ("unsigned-env-key", ExitCode.VERIFY_FAILED, "promotion.unsigned",
         "not signed, and the signature is required"),
        ("another-key", ExitCode.VERIFY_FAILED, "promotion.unverified", "signature:"),
        ("no-key", ExitCode.USAGE, "promotion.no-key",
         "no key to check the signature of"),
        ("not-pass", ExitCode.BLOCKED, "promotion.not-pass",
         "the decision's verdict is FAIL: only a PASS is promoted"),
        ("empty-env-key", ExitCode.USAGE, "", "$GOVGATE_BUNDLE_KEY is set but empty"),
        ("two-keys", ExitCode.USAGE, "", "are different public keys"),
    ],
)  # fmt: skip
def test_every_refusal_names_its_reason_and_moves_nothing(
    world: World,
    store: Store,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    case: str,
    code: int,
    label: str,
    message: str,
) -> None:
    key: tuple[str, ...] = ("--key", str(world.public))
    bundle, extra = world.bundles["v2"], key
    if case == "tampered":
        bundle = tamper(bundle, tmp_path / "tampered")
    elif case == "unsigned":
        bundle = world.bundles["v2-unsigned"]
    elif case == "unsigned-env-key":
        bundle, extra = world.bundles["v2-unsigned"], ()
        monkeypatch.setenv("GOVGATE_BUNDLE_KEY", str(world.public))
    elif case == "another-key":
        extra = ("--key", str(world.other_public))
    elif case == "no-key":
        extra = ()
    elif case == "not-pass":
        bundle = world.bundles["v4"]
    elif case == "empty-env-key":
        monkeypatch.setenv("GOVGATE_BUNDLE_KEY", " ")
    elif case == "two-keys":
        monkeypatch.setenv("GOVGATE_BUNDLE_KEY", str(world.other_public))
    exit_code, out, err = promote(store, bundle, *extra)
    assert exit_code == code, err
    assert message in err
    if label:
        assert f"promotion refused: {bundle}: " in err or "promotion refused: no key" in err
        assert err.splitlines()[0].endswith(f"[{label}]")
        assert "\n  hint: " in err
    assert out == ""
    assert store.champion() == "1"
    assert PROMOTED not in store.tags("2")
    assert PROMOTED not in store.tags("4")


def test_without_a_key_only_the_unsafe_switch_promotes_and_it_says_so(
    world: World, store: Store
) -> None:
    code, out, err = promote(store, world.bundles["v2-unsigned"], "--unsafe-no-key")
    assert code == ExitCode.OK, err
    assert "warning: --unsafe-no-key: the bundle's signature is NOT checked" in err
    assert "signature NOT checked" in out
    assert store.champion() == "2"
    assert json.loads(store.tags("2")[PROMOTED])["signature"] == "not checked"
    # with a key configured the switch is refused, never a way around the key
    code, _, err = promote(store, world.bundles["v3"], "--unsafe-no-key", "--key", "x.pub")
    assert code == ExitCode.USAGE
    assert "--unsafe-no-key, but a key is configured (--key)" in err


def _metric(store: Store, run_id: str) -> str:
    store.client.log_metric(run_id, "toxicity_rate", 0.5)
    return "metrics (toxicity_rate: 'absent' -> 0.5)"


def _table(store: Store, run_id: str) -> str:
    path = store.folder / "new" / "items.parquet"
    path.parent.mkdir()
    items_frame(1000, 0, seed=99).to_parquet(path)
    store.client.log_artifact(run_id, str(path), "govgate")
    return "per-item table ("


def _tag(store: Store, run_id: str) -> str:
    store.client.set_tag(run_id, "team", "someone-else")
    return "tags (team: 'absent' -> 'someone-else')"


def _version_tag(store: Store, run_id: str) -> str:
    # a selector reads the model version's tags: a tier changed since is a changed candidate
    store.client.set_model_version_tag(MODEL, "2", "risk_tier", "low")
    return "model version tags (risk_tier: 'absent' -> 'low')"


@pytest.mark.parametrize("change", [_metric, _table, _tag, _version_tag])
def test_a_candidate_changed_in_the_store_since_the_bundle_is_not_promoted(
    world: World, store: Store, change: Any
) -> None:
    run_id = json.loads((world.bundles["v2"] / "evidence" / "evidence.json").read_bytes())[
        "candidate"
    ]["run_id"]
    said = change(store, run_id)
    code, _, err = promote(store, world.bundles["v2"], "--key", str(world.public))
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "the candidate changed in the store since" in err
    assert said in err
    assert "[promotion.stale]" in err
    assert store.champion() == "1"


def test_a_second_evaluation_run_for_the_version_is_not_promoted(
    world: World, store: Store
) -> None:
    StoreBuilder(store.client, store.folder).eval_run("again", MODEL, "2", "canary")
    code, _, err = promote(store, world.bundles["v2"], "--key", str(world.public))
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "[evidence.ambiguous]" in err
    assert store.champion() == "1"


def test_an_alias_moved_since_the_decision_is_not_replaced(world: World, store: Store) -> None:
    key = ("--key", str(world.public))
    store.client.set_registered_model_alias(MODEL, "champion", "3")  # by hand, after the check
    code, _, err = promote(store, world.bundles["v2"], *key)
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert (
        "points to version 3 now, but the bundle's decision compared the candidate with "
        "version 1: not promoting [promotion.stale]"
    ) in err
    assert store.champion() == "3"
    store.client.set_registered_model_alias(MODEL, "champion", "1")
    assert promote(store, world.bundles["v2"], *key)[0] == ExitCode.OK
    code, _, err = promote(store, world.bundles["v3"], *key)  # also compared with 1, not 2
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "points to version 2 now" in err
    assert store.champion() == "2"


#: packages this process imported that a racer never does: not worth compiling for it
TEST_ONLY = frozenset({"_pytest", "pytest", "pluggy", "hypothesis", "tests", "langsmith"})


def compiled(prefix: Path) -> dict[str, str]:
    """An environment whose Python finds every module this process imported compiled already
    (under ``prefix``): two racers starting at once then spend seconds promoting, not compiling
    the same MLflow, SciPy and pandas sources side by side."""
    import importlib.util
    import os
    import py_compile

    saved, sys.pycache_prefix = sys.pycache_prefix, str(prefix)
    try:
        for name, module in list(sys.modules.items()):
            source = getattr(module, "__file__", None) or ""
            if source.endswith(".py") and name.split(".")[0] not in TEST_ONLY:
                target = importlib.util.cache_from_source(source)
                try:
                    py_compile.compile(source, cfile=target, doraise=True)
                except (py_compile.PyCompileError, OSError):
                    continue  # compiled by the racer then, as it would be anyway
    finally:
        sys.pycache_prefix = saved
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(prefix)}


def test_two_promotions_racing_in_real_processes_leave_one_history(
    world: World, store: Store, tmp_path: Path
) -> None:
    """Two bundles decided against champion 1, promoted at once: at most one reports success,
    the other exits non-zero naming why (raced, lost, or the alias moved), and the alias is
    where the successful one (or a move reported unconfirmed) left it."""
    env = compiled(tmp_path / "pycache")
    argv = ["--alias", "champion", "--key", str(world.public), "--tracking-uri", store.uri]
    racers = {
        version: subprocess.Popen(
            [GOVGATE, "promote", str(world.bundles[f"v{version}"]), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for version in ("2", "3")
    }
    done = {v: (p.communicate(timeout=120), p.returncode) for v, p in racers.items()}
    winners = [v for v, (_, code) in done.items() if code == ExitCode.OK]
    assert len(winners) <= 1, done
    unconfirmed = set()
    for version, ((out, err), code) in done.items():
        assert "internal error" not in err, err
        if code == ExitCode.OK:
            assert out.startswith(f"promoted models:/{MODEL}@champion to version {version} (was 1)")
            continue
        assert code in (ExitCode.EVIDENCE_UNAVAILABLE, ExitCode.PROMOTION_CONFLICT), done
        found = re.search(r"\[(promotion\.(?:stale|raced|lost|unconfirmed)|evidence\.changed)\]",
                          err)  # fmt: skip
        assert found, err  # the loser knows it lost, and says how
        if found.group(1) == "promotion.unconfirmed":
            assert f"moved models:/{MODEL}@champion to version {version}, but" in err
            unconfirmed.add(version)
    assert store.champion() in set(winners) | unconfirmed, done
    holder = store.champion()
    assert holder is not None
    assert json.loads(store.tags(holder)[PROMOTED])["previous"] == "1"


# -- revert -----------------------------------------------------------------------------------


def test_revert_restores_the_previous_champion_and_both_moves_stay_visible(
    world: World, store: Store
) -> None:
    key = ("--key", str(world.public))
    assert promote(store, world.bundles["v2"], *key)[0] == ExitCode.OK
    code, out, err = revert(store, "hallucinations up in production")
    assert code == ExitCode.OK, err
    assert out == f"reverted models:/{MODEL}@champion to version 1 (was 2)\n"
    assert store.champion() == "1"
    bad, restored = store.tags("2"), store.tags("1")
    assert json.loads(bad[PROMOTED])["previous"] == "1"  # the bad promotion stays on record
    undone = json.loads(bad[REVERTED])
    assert undone == json.loads(restored[RESTORED])
    assert (undone["from"], undone["to"]) == ("2", "1")
    assert undone["reason"] == "hallucinations up in production"
    assert undone["undid"] == hashlib.sha256(bad[PROMOTED].encode()).hexdigest()
    assert undone["undid_decision_sha256"] == digest_of(world.bundles["v2"])
    assert set(undone["by"]) == {"user", "host"}
    assert undone["at"].endswith("Z")
    assert [(e["action"], e["from"], e["to"]) for e in store.history()] == [
        ("promote", "1", "2"),
        ("revert", "2", "1"),
    ]
    # the first champion was set by hand: nothing govgate promoted is left to revert
    code, _, err = revert(store)
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "which has no govgate.promoted.champion tag" in err
    assert "[revert.not-promoted]" in err
    # the kill switch holds: the reverted version comes back only on a newer decision
    code, _, err = promote(store, world.bundles["v2"], *key)
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert "[promotion.reverted]" in err
    assert store.champion() == "1"
    # the alias moved back by hand is not a govgate promotion to revert
    store.client.set_registered_model_alias(MODEL, "champion", "2")
    code, _, err = revert(store)
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "[revert.already-reverted]" in err


def test_revert_needs_only_the_registry(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert promote(store, world.bundles["v2"], "--key", str(world.public))[0] == ExitCode.OK
    for run in store.client.search_runs(
        [e.experiment_id for e in store.client.search_experiments()]
    ):
        store.client.delete_run(run.info.run_id)
    shutil.rmtree(store.folder / "artifacts")

    def unreadable(*_: object, **__: object) -> None:
        raise AssertionError("revert read a run or an artifact")

    for method in ("get_run", "search_runs", "list_artifacts", "download_artifacts",
                   "get_metric_history", "search_experiments"):  # fmt: skip
        monkeypatch.setattr(MlflowClient, method, unreadable)
    code, out, err = revert(store)
    assert code == ExitCode.OK, err
    assert out == f"reverted models:/{MODEL}@champion to version 1 (was 2)\n"
    assert store.champion() == "1"
    assert REVERTED in store.tags("2")


@pytest.mark.parametrize(
    ("argv", "code", "said"),
    [
        (("revert", MODEL, "--alias", "challenger", "--reason", "x"),
         ExitCode.EVIDENCE_UNAVAILABLE, "is not set: there is nothing to revert [revert.unset]"),
        (("revert", MODEL, "--alias", "champion", "--reason", "x"),
         ExitCode.EVIDENCE_UNAVAILABLE, "[revert.not-promoted]"),
        (("revert", "nobody", "--alias", "champion", "--reason", "x"),
         ExitCode.EVIDENCE_UNAVAILABLE, "[evidence.not-found]"),
        (("revert", MODEL, "--alias", "champion", "--reason", "  "),
         ExitCode.USAGE, "--reason is empty"),
        (("revert", MODEL, "--alias", "champion", "--reason",
          "key sk-proj-abcdefghijklmnopqrstuvwxyz012345 leaked"),
         ExitCode.USAGE, "--reason looks like it holds a secret"),
        (("revert", MODEL, "--alias", "latest", "--reason", "x"), ExitCode.USAGE, "reserves"),
    ],
)  # fmt: skip
def test_revert_refuses_when_govgate_promoted_nothing_to_revert(
    store: Store, argv: tuple[str, ...], code: int, said: str
) -> None:
    exit_code, out, err = cli(*argv, "--tracking-uri", store.uri)
    assert exit_code == code, err
    assert said in err
    assert out == ""
    assert store.champion() == "1"


def test_a_bundle_without_a_baseline_makes_a_first_alias_that_cannot_be_reverted(
    world: World, store: Store
) -> None:
    """The first champion of a model, from a gate with nothing to compare with: the alias was
    unset, so the promotion records no previous version and a revert has none to restore."""
    code, out, err = cli("promote", str(world.bundles["v3-alone"]), "--alias", "first",
                         "--key", str(world.public), "--tracking-uri", store.uri)  # fmt: skip
    assert code == ExitCode.OK, err
    assert f"promoted models:/{MODEL}@first to version 3 (was unset)" in out
    assert json.loads(store.tags("3")["govgate.promoted.first"])["previous"] is None
    code, out, err = cli("revert", MODEL, "--alias", "first", "--reason", "x",
                         "--tracking-uri", store.uri)  # fmt: skip
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "when the alias was not set: there is no previous version to restore" in err
    assert "[revert.no-previous]" in err
    assert str(store.client.get_model_version_by_alias(MODEL, "first").version) == "3"


def test_revert_of_a_check_promotion_works_too(world: World, store: Store) -> None:
    """`check --promote-alias` records the same `previous`: its promotions revert alike."""
    code, _, err = cli(
        "check", "--tracking-uri", store.uri, "--policies", str(world.root / "p.yaml"),
        "--stage", "canary", "--candidate", f"models:/{MODEL}/3",
        "--baseline", f"models:/{MODEL}@champion", "--promote-alias", "champion",
    )  # fmt: skip
    assert code == ExitCode.OK, err
    assert store.champion() == "3"
    assert revert(store)[0] == ExitCode.OK
    assert store.champion() == "1"


# -- eval run --alias -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def suite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("suite")
    rows = [{"id": f"i{i}", "label": i % 2} for i in range(40)]
    (root / "dataset.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    (root / "suite.yaml").write_text(
        "apiVersion: govgate/v1\nkind: EvalSuite\nmetadata: {name: tiny}\nspec:\n"
        "  task: classification\n  dataset: dataset.jsonl\n  stage: offline\n"
        "  metrics:\n    - metric: accuracy\n"
    )
    outputs = root / "outputs.jsonl"
    outputs.write_text("".join(json.dumps({"id": r["id"], "prediction": 1}) + "\n" for r in rows))
    return root, outputs


def test_eval_run_sets_an_alias_and_never_moves_one_a_gate_moved(
    suite: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder, outputs = suite
    monkeypatch.chdir(tmp_path)  # no policies/ here: none recorded
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)

    def evaluate(alias: str) -> tuple[int, str, str]:
        return cli("eval", "run", str(folder), "--outputs", str(outputs), "--model", "m",
                   "--register", "--alias", alias, "--tracking-uri", uri)  # fmt: skip

    code, out, err = evaluate("champion")  # the first model: its first champion
    assert code == ExitCode.OK, err
    assert "models:/m@champion -> version 1" in out
    for expected in ("2", "3"):
        code, out, err = evaluate("candidate")
        assert code == ExitCode.OK, err
        assert str(client.get_model_version_by_alias("m", "candidate").version) == expected
    # once a gate moved @champion, eval run refuses before it scores or logs anything
    client.set_model_version_tag("m", "1", "govgate.promoted.champion", "{}")
    runs = len(client.search_runs([client.get_experiment_by_name("tiny").experiment_id]))
    code, _, err = evaluate("champion")
    assert code == ExitCode.USAGE
    assert "was moved to version 1 by a release gate" in err
    assert "govgate promote" in err
    assert len(client.search_runs([client.get_experiment_by_name("tiny").experiment_id])) == runs
    assert str(client.get_model_version_by_alias("m", "champion").version) == "1"


def test_a_promotion_carries_the_counted_approvals_and_refuses_expired_ones(
    tmp_path: Path,
) -> None:
    """What promote records on the version is the decision's counted approvals; one that has
    expired since the decision stops the promotion (``promotion.approval-expired``)."""
    import datetime as dt

    from govgate.gate.outcome import ApprovalRecord
    from govgate.usecases.promote import StaleError, _approvals_that_hold
    from tests.support.decisions import scenario

    decision, _ = scenario("pass", tmp_path)
    record = ApprovalRecord(
        file="approvals/a.json",
        sha256="ab" * 32,
        status="counted",
        reason="risk@example.com approved as model-risk",
        role="model-risk",
        signer="risk@example.com",
        keyid="cd" * 32,
        expires="2026-12-01",
    )
    ignored = record.model_copy(update={"status": "expired", "sha256": "ef" * 32})
    assert decision.approvals is not None
    approved = decision.model_copy(
        update={"approvals": decision.approvals.model_copy(update={"documents": [record, ignored]})}
    )
    before = dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert _approvals_that_hold(approved, before, "models:/m@champion") == [
        {
            "role": "model-risk",
            "signer": "risk@example.com",
            "keyid": "cd" * 32,
            "sha256": "ab" * 32,
            "expires": "2026-12-01",
        }
    ]
    after = dt.datetime(2026, 12, 2, tzinfo=dt.UTC)
    with pytest.raises(StaleError) as raised:
        _approvals_that_hold(approved, after, "models:/m@champion")
    assert raised.value.code == "promotion.approval-expired"
    assert "expired 2026-12-01" in raised.value.message


def test_a_decision_that_leaned_on_a_waiver_since_expired_is_not_promoted(
    tmp_path: Path,
) -> None:
    import datetime as dt

    from govgate.gate.outcome import WaiverUse
    from govgate.usecases.promote import StaleError, _require_waivers_in_force
    from tests.support.decisions import scenario

    decision, _ = scenario("pass", tmp_path)
    use = WaiverUse(
        name="slow-week", policy="p", rule="tox", status="applied", reason="known",
        approver="lead@example.com", ticket="T-1", expires="2026-12-01", file="w.yaml",
    )  # fmt: skip
    unused = use.model_copy(update={"name": "spare", "status": "unused", "expires": "2026-01-01"})
    waived = decision.model_copy(update={"waivers": [use, unused]})
    _require_waivers_in_force(waived, dt.datetime(2026, 12, 1, 23, tzinfo=dt.UTC), "models:/m@c")
    with pytest.raises(StaleError) as raised:
        _require_waivers_in_force(waived, dt.datetime(2026, 12, 2, tzinfo=dt.UTC), "models:/m@c")
    assert raised.value.code == "promotion.waiver-expired"
    assert "applied waiver 'slow-week' (p/tox), which expired 2026-12-01" in raised.value.message


def test_a_decision_dated_ahead_is_neither_made_into_a_bundle_nor_promoted(
    world: World, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bundle dated after a revert would outrank it: check refuses a future --now when it
    writes one, and promote refuses a decision dated ahead of its clock (beyond 5 min skew)."""
    import datetime as dt

    from govgate.cli import options

    code, _, err = cli(
        "check", "--tracking-uri", store.uri, "--policies", str(world.root / "p.yaml"),
        "--stage", "canary", "--candidate", f"models:/{MODEL}/2",
        "--baseline", f"models:/{MODEL}@champion", "--now", "2099-01-01T00:00:00Z",
        "--bundle", str(store.folder / "ahead"), "--sign-key", str(world.private),
    )  # fmt: skip
    assert code == ExitCode.USAGE, err
    assert "--now 2099-01-01T00:00:00Z is after the clock" in err
    assert not (store.folder / "ahead").exists()
    # the promoting machine's clock a day behind the gate's: the decision lies in its future
    behind = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    monkeypatch.setattr(options, "clock", lambda: behind)
    code, _, err = promote(store, world.bundles["v2"], "--key", str(world.public))
    assert code == ExitCode.USAGE, err
    assert "[promotion.future-decision]" in err
    assert store.champion() == "1"


def test_only_a_bundle_of_a_version_read_from_the_registry_is_promoted(
    world: World, store: Store
) -> None:
    """A run gated by id names its model version in tags its logger wrote; a snapshot file is
    whatever its writer made it; a run whose logged end lies ahead dates the decision ahead:
    none of them makes a promotable bundle."""
    key, sign = ("--key", str(world.public)), ("--sign-key", str(world.private))
    run_id = json.loads((world.bundles["v2"] / "evidence" / "evidence.json").read_bytes())[
        "candidate"
    ]["run_id"]
    base = ["--tracking-uri", store.uri, "--policies", str(world.root / "p.yaml"),
            "--stage", "canary", "--no-mlflow-log"]  # fmt: skip
    by_id = store.folder / "by-id"
    code, _, err = cli("check", *base, "--candidate", run_id, "--bundle", str(by_id), *sign)
    assert code == ExitCode.OK, err
    code, _, err = promote(store, by_id, *key)
    assert code == ExitCode.USAGE, err
    assert "[promotion.not-a-version]" in err
    assert "whose own tags name assistant version 2" in err
    snap = store.folder / "s.json"
    code, _, err = cli(
        "check", *base, "--candidate", f"models:/{MODEL}/2", "--snapshot-out", str(snap)
    )
    assert code == ExitCode.OK, err
    from_file = store.folder / "from-file"
    code, _, err = cli("check", *base, "--candidate", str(snap), "--bundle", str(from_file), *sign)
    assert code == ExitCode.OK, err
    code, _, err = promote(store, from_file, *key)
    assert code == ExitCode.USAGE, err
    assert "[promotion.snapshot-evidence]" in err
    assert store.champion() == "1"
    # the run's logged end ten minutes ahead of the clock: the decision would be dated then
    ahead = int((time.time() + 600) * 1000)
    store.client.set_terminated(run_id, status="FINISHED", end_time=ahead)
    code, _, err = cli("check", *base, "--candidate", f"models:/{MODEL}/2",
                       "--bundle", str(store.folder / "ahead"), *sign)  # fmt: skip
    assert code == ExitCode.USAGE, err
    assert "after this check's clock" in err
    assert not (store.folder / "ahead").exists()
