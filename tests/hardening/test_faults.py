"""Faults: two `govgate check` processes on the same candidate at once; a disk that fills up
while a bundle is written. Neither ever yields a pass from a partial state or a corrupt bundle.
(The MLflow server killed between resolve and snapshot is in tests/integration.)
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import subprocess
import sys
from pathlib import Path

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


@pytest.fixture
def store(tmp_path: Path) -> tuple[str, str, Path]:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    run_id = b.eval_run("v1", "assistant", "1", "canary", items=items_frame(2000, 0, seed=1))
    (tmp_path / "p.yaml").write_text(policy(RULE))
    return uri, run_id, tmp_path / "p.yaml"


def check_in_process(uri: str, run_id: str, policy_file: Path, bundle: Path) -> tuple[int, str]:
    """``govgate check --bundle`` in this process (so a fault can be planted); (code, stderr)."""
    err = io.StringIO()
    argv = ["check", "--tracking-uri", uri, "--policies", str(policy_file), "--candidate",
            f"runs:/{run_id}", "--stage", "canary", "--bundle", str(bundle)]  # fmt: skip
    return main(argv, stdout=io.StringIO(), stderr=err), err.getvalue()


def check(uri: str, run_id: str, policy_file: Path, bundle: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            GOVGATE,
            "check",
            "--tracking-uri",
            uri,
            "--policies",
            str(policy_file),
            "--candidate",
            f"runs:/{run_id}",
            "--stage",
            "canary",
            "--bundle",
            str(bundle),
            "--format",
            "json",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def verify(bundle: Path) -> int:
    return main(["verify", str(bundle)], stdout=io.StringIO(), stderr=io.StringIO())


def test_two_concurrent_checks_of_one_candidate_both_decide_and_leave_consistent_tags(
    store: tuple[str, str, Path], tmp_path: Path
) -> None:
    uri, run_id, policy_file = store
    a, b = tmp_path / "a", tmp_path / "b"
    procs = [check(uri, run_id, policy_file, a), check(uri, run_id, policy_file, b)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        results.append((p.returncode, out, err))
    for code, out, err in results:
        assert code == ExitCode.OK, err
        assert json.loads(out)["decision"]["verdict"] == "PASS"
    assert verify(a) == 0
    assert verify(b) == 0
    # the run's tags name one decision, whole: verdict, digest and bundle from the same check
    tags = MlflowClient(uri).get_run(run_id).data.tags
    digests = {hashlib.sha256((f / "decision.json").read_bytes()).hexdigest() for f in (a, b)}
    assert tags["govgate.decision_digest"] in digests
    assert tags["govgate.bundle"] == f"govgate/bundles/{tags['govgate.decision_digest'][:16]}"
    assert tags["govgate.verdict"] == "PASS"


def test_two_concurrent_checks_racing_for_one_bundle_path_leave_one_whole_bundle(
    store: tuple[str, str, Path], tmp_path: Path
) -> None:
    uri, run_id, policy_file = store
    target = tmp_path / "same"
    procs = [check(uri, run_id, policy_file, target) for _ in range(2)]
    errors = [p.communicate(timeout=300)[1] for p in procs]
    codes = [p.returncode for p in procs]
    assert sorted(codes)[0] == ExitCode.OK
    loser = [e for c, e in zip(codes, errors, strict=True) if c != ExitCode.OK]
    assert len(loser) == 1
    (loser_code,) = [c for c in codes if c != ExitCode.OK]
    # which of the two refusals the loser gets depends on timing, and each is spelled exactly:
    # it checked the path after the winner's rename (the usual case), or both found the path
    # free and the winner renamed first (made certain in the next test)
    expected = {refused(target): ExitCode.USAGE, lost_the_rename(target): ExitCode.IO_ERROR}
    assert loser[0].splitlines()[0] in expected, loser[0]
    assert loser_code == expected[loser[0].splitlines()[0]]  # each refusal has its own code
    assert verify(target) == 0
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def refused(target: Path) -> str:
    return f"govgate: error: {target}: already exists"


def lost_the_rename(target: Path) -> str:
    return (
        f"govgate: error: {target}: could not be created ({os.strerror(errno.ENOTEMPTY)}); "
        "another run may have written it at the same moment"
    )


def test_a_check_that_loses_the_rename_to_another_writer_is_refused_and_leaves_the_winner(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race's narrow branch, made certain: another writer's bundle lands on the path after
    this check found it free and before this check's own rename."""
    uri, run_id, policy_file = store
    target = tmp_path / "same"
    real_rename = os.rename

    def another_writer_first(src: str, dst: str) -> None:
        if Path(dst) == target and not target.exists():
            target.mkdir()
            (target / "decision.json").write_text("{}")  # the winner's bundle, in place
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", another_writer_first)
    code, err = check_in_process(uri, run_id, policy_file, target)
    assert code == ExitCode.IO_ERROR  # the decision was PASS, but its bundle could not be written
    assert err.splitlines()[0] == lost_the_rename(target)
    assert [p.name for p in target.iterdir()] == ["decision.json"]  # the winner's, untouched
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    assert "govgate.verdict" not in MlflowClient(uri).get_run(run_id).data.tags


def test_a_disk_full_while_writing_the_bundle_leaves_no_bundle_and_no_pass(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri, run_id, policy_file = store
    real_fsync = os.fsync
    calls = {"n": 0}

    def full(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError(28, "No space left on device")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", full)
    code, err = check_in_process(uri, run_id, policy_file, tmp_path / "out")
    assert code == ExitCode.IO_ERROR  # the decision was PASS, but the command did not complete
    assert "No space left on device" in err
    assert not (tmp_path / "out").exists()
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]
    # nothing was logged to the run: no verdict tag without its bundle
    assert "govgate.verdict" not in MlflowClient(uri).get_run(run_id).data.tags
