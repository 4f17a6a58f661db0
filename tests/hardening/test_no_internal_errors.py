"""Inputs that ended in "internal error" (exit 1) get their documented code and a message."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from govgate.policy.loader import load_policy_sources
from govgate.policy.model import expiry_instant
from tests.support.snapshots import policy

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
