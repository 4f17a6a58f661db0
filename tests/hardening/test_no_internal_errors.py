"""Inputs that ended in "internal error" (exit 1) get their documented code and a message."""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.evidence.model import write_snapshot
from govgate.exitcodes import ExitCode
from govgate.policy.loader import load_policy_sources
from govgate.policy.model import expiry_instant
from tests.support.snapshots import policy, rates, run, snapshot

GOVGATE = str(Path(sys.executable).parent / "govgate")
POLICY = policy(
    "    - id: tox\n      category: safety\n      threshold: {metric: toxicity_rate, max: 0.05}\n"
)
WAIVER = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: far}
spec:
  policy: p
  rule: tox
  justification: accepted while the new output filter is rolled out
  approver: a@example.com
  ticket: T-1
  expires: 9999-12-31
"""


def test_a_waiver_expiring_on_the_last_representable_day_loads(tmp_path: Path) -> None:
    """It loads (there is no next midnight to stop at: no internal error), and is then refused
    as far over the waiver lifetime limit, at its line; a bundle holding it still loads."""
    (tmp_path / "w.yaml").write_text(WAIVER)
    out, err = io.StringIO(), io.StringIO()
    code = main(["validate", str(tmp_path / "w.yaml")], out, err)
    assert code == ExitCode.POLICY_INVALID, err.getvalue()
    assert out.getvalue().startswith(f"{(tmp_path / 'w.yaml').as_posix()}:10:12: error: ")
    assert "[waiver.lifetime]" in out.getvalue()
    assert "internal error" not in out.getvalue() + err.getvalue()
    assert expiry_instant("9999-12-31") == dt.datetime.max.replace(tzinfo=dt.UTC)
    _, problems = load_policy_sources([("w.yaml", WAIVER.encode())])
    assert problems == []


@pytest.mark.parametrize(
    ("uri", "code", "said"),
    [
        ("file:///tmp/mlruns", ExitCode.USAGE, "does not read MLflow's file store"),
        ("./mlruns", ExitCode.USAGE, "has no scheme"),
        ("mlflow.db", ExitCode.USAGE, "has no scheme"),
        (
            "postgresql+nosuchdriver://localhost/x",
            ExitCode.EVIDENCE_UNAVAILABLE,
            "opening the tracking store",
        ),
    ],
)
def test_a_tracking_uri_mlflow_cannot_open_is_named(
    tmp_path: Path, uri: str, code: ExitCode, said: str
) -> None:
    err = io.StringIO()
    argv = ["evidence", "snapshot", "--candidate", "runs:/" + "0" * 32, "--tracking-uri", uri,
            "--mlflow-retries", "0", "--output", str(tmp_path / "e.json")]  # fmt: skip
    assert main(argv, io.StringIO(), err) == code, err.getvalue()
    assert said in err.getvalue()
    assert "internal error" not in err.getvalue()


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[" * 100_000, "nested deeper than"),
        ('{"format": "govgate.evidence/v1", "tracking_uri": "\\ud800"}', "surrogate"),
        ('{"format": "govgate.evidence/v1", "format": "x"}', "duplicate key"),
    ],
)
def test_a_hostile_snapshot_file_is_evidence_invalid(tmp_path: Path, text: str, words: str) -> None:
    """Deep nesting (a RecursionError) and a lone surrogate (canonical JSON cannot encode it)
    were internal errors; a duplicate key silently kept the last value."""
    (tmp_path / "p.yaml").write_text(POLICY)
    (tmp_path / "e.json").write_text(text)
    out, err = io.StringIO(), io.StringIO()
    argv = ["check", "--policies", str(tmp_path / "p.yaml"), "--candidate",
            str(tmp_path / "e.json"), "--stage", "canary"]  # fmt: skip
    assert main(argv, out, err) == ExitCode.EVIDENCE_UNAVAILABLE, err.getvalue()
    assert "is not a govgate evidence snapshot" in err.getvalue()
    assert words in err.getvalue()
    assert "[evidence.invalid]" in err.getvalue()
    assert "internal error" not in err.getvalue()


def test_a_reader_that_closes_stdout_and_stderr_changes_nothing_written_or_decided(
    tmp_path: Path,
) -> None:
    """`govgate check ... 2>&1 | head -1` exited 1 and left the later report files unwritten.
    Here both streams are a pipe whose reader is already gone: every write fails."""
    write_snapshot(
        snapshot(run("candidate", columns={"rate.toxicity_rate": rates(2000, 2)})),
        tmp_path / "e.json",
    )
    (tmp_path / "p.yaml").write_text(POLICY)
    reader, writer = os.pipe()
    os.close(reader)
    try:
        done = subprocess.run(
            [GOVGATE, "check", "--policies", str(tmp_path / "p.yaml"), "--candidate",
             str(tmp_path / "e.json"), "--stage", "canary", "--format", "text",
             "--format", f"json={tmp_path / 'r.json'}", "--format", f"markdown={tmp_path / 'r.md'}",
             "--bundle", str(tmp_path / "b")],
            stdout=writer, stderr=writer, timeout=300, check=False,
        )  # fmt: skip
    finally:
        os.close(writer)
    assert done.returncode == ExitCode.OK
    assert json.loads((tmp_path / "r.json").read_text())["decision"]["verdict"] == "PASS"
    assert (tmp_path / "r.md").read_text().startswith("**Release decision: PASS")
    out, err = io.StringIO(), io.StringIO()
    assert main(["verify", str(tmp_path / "b")], out, err) == ExitCode.OK, err.getvalue()


def test_a_full_disk_under_stdout_is_still_an_io_error_not_a_closed_reader() -> None:
    """Only a reader that went away is forgiven; any other write failure is exit 9."""
    import errno

    class Full(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

    err = io.StringIO()
    assert main(["schema"], Full(), err) == ExitCode.IO_ERROR
    assert "No space left on device" in err.getvalue()


@pytest.mark.parametrize("closed", ["1>&-", "2>&-", "1>&- 2>&-"])
def test_a_check_started_with_stdout_or_stderr_closed_still_writes_everything(
    tmp_path: Path, closed: str
) -> None:
    """With a descriptor closed before the start Python has no sys.stdout (or sys.stderr) at
    all; that was an internal error before the bundle was written or logged."""
    write_snapshot(
        snapshot(run("candidate", columns={"rate.toxicity_rate": rates(2000, 2)})),
        tmp_path / "e.json",
    )
    (tmp_path / "p.yaml").write_text(POLICY)
    command = (
        f"exec {closed}; exec {GOVGATE} check --policies {tmp_path / 'p.yaml'} --candidate "
        f"{tmp_path / 'e.json'} --stage canary --format json={tmp_path / 'r.json'} "
        f"--bundle {tmp_path / 'b'}"
    )
    done = subprocess.run(["/bin/sh", "-c", command], timeout=300, check=False)
    assert done.returncode == ExitCode.OK
    assert json.loads((tmp_path / "r.json").read_text())["decision"]["verdict"] == "PASS"
    out, err = io.StringIO(), io.StringIO()
    assert main(["verify", str(tmp_path / "b")], out, err) == ExitCode.OK, err.getvalue()
