"""Inputs that ended in "internal error" (exit 1) get their documented code and a message."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from govgate.policy.model import expiry_instant

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
    (tmp_path / "w.yaml").write_text(WAIVER)
    out, err = io.StringIO(), io.StringIO()
    assert main(["validate", str(tmp_path / "w.yaml")], out, err) == ExitCode.OK, err.getvalue()
    assert out.getvalue() == "ok: 0 policies (0 rules), 1 waiver in 1 file\n"
    assert expiry_instant("9999-12-31") == dt.datetime.max.replace(tzinfo=dt.UTC)


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
