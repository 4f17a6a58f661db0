"""`govgate replay` and `govgate diff` over the quickstart's runs: the store `govgate demo`
builds in a subprocess (the session's ``demo_workspace``), with both example models' champion
and candidate runs, gated and tagged. Slow: the demo scores both models and gates them.
"""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode

RAG_POLICIES = ("policies/rag-assistant", "policies/waivers")


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def tighter_cost_cap(root: Path, tmp_path: Path) -> Path:
    """A copy of the RAG policies with the cost cap tightened from 10% to 1%."""
    target = tmp_path / "policies-new"
    shutil.copytree(root / "policies", target)
    release = target / "rag-assistant" / "release.yaml"
    text = release.read_text()
    start = text.index("id: cost-cap")
    at = text.index("margin_ratio: 0.10", start)
    release.write_text(text[:at] + "margin_ratio: 0.01" + text[at + len("margin_ratio: 0.10") :])
    return target


def replay(root: Path, *argv: str) -> tuple[int, str, str]:
    return cli("replay", "--tracking-uri", f"sqlite:///{root / 'mlflow.db'}", *argv)


# -- replay over the quickstart's runs -------------------------------------------------------------


@pytest.mark.slow
def test_replay_prints_the_past_decisions_of_the_quickstart(
    demo_workspace: tuple[Path, str],
) -> None:
    root, _ = demo_workspace
    policies = [str(root / p) for p in RAG_POLICIES]
    code, out, err = replay(root, "--model", "rag-assistant", "--policies", *policies)
    assert code == ExitCode.OK, err
    lines = out.splitlines()
    assert lines[0].split() == [
        "run",
        "model",
        "started",
        "(UTC)",
        "stage",
        "evidence",
        "past",
        "replayed",
        "change",
    ]
    candidate = next(line for line in lines if "rag-assistant v2" in line)
    assert candidate.split()[-5:] == ["offline", "bundle", "PASS", "PASS", "same"]
    champion = next(line for line in lines if "rag-assistant v1" in line)
    assert champion.split()[-4:] == ["store", "-", "INCONCLUSIVE", "-"]  # no baseline: gaps
    assert "note: the same policies as then" in out
    assert "note: never gated" in out
    assert out.rstrip().endswith("2 runs: 1 compared, 0 verdicts changed, 0 could not be replayed")


@pytest.mark.slow
def test_replay_shows_which_past_decisions_a_tightened_policy_changes(
    demo_workspace: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = demo_workspace
    new = tighter_cost_cap(root, tmp_path)
    policies = [str(new / "rag-assistant"), str(new / "waivers")]
    base = ("--model", "rag-assistant", "--policies", *policies)
    code, out, _ = replay(root, *base)
    assert code == ExitCode.OK
    candidate = next(line for line in out.splitlines() if "rag-assistant v2" in line)
    assert candidate.split()[-3:] == ["PASS", "FAIL", "CHANGED"]
    assert "    rag-assistant-release/cost-cap: pass -> fail" in out
    assert replay(root, *base, "--fail-on-change")[0] == ExitCode.BLOCKED
    code, out, _ = replay(root, *base, "--format", "json")
    payload = json.loads(out)
    (row,) = [r for r in payload["runs"] if r["version"] == "2"]
    assert row["evidence"] == "bundle"  # judged on exactly what was judged then
    assert row["baseline"].startswith("runs:/")
    assert row["rule_changes"] == [
        {"rule": "rag-assistant-release/cost-cap", "before": "pass", "after": "fail"}
    ]
    assert payload["summary"] == {"runs": 2, "compared": 1, "changed": 1, "errors": 0}


# -- diff ------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_diff_shows_a_verdict_flipping_when_a_threshold_is_tightened(
    demo_workspace: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = demo_workspace
    new = tighter_cost_cap(root, tmp_path)
    argv = (
        "diff",
        str(root / "policies" / "rag-assistant"),
        str(new / "rag-assistant"),
        "--model",
        "rag-assistant",
        "--tracking-uri",
        f"sqlite:///{root / 'mlflow.db'}",
    )
    code, out, err = cli(*argv)
    assert code == ExitCode.OK, err
    candidate = next(line for line in out.splitlines() if "rag-assistant v2" in line)
    assert candidate.split()[-4:] == ["bundle", "PASS", "FAIL", "CHANGED"]
    assert "rag-assistant-release/cost-cap: pass -> fail" in out
    assert "1 verdict changed" in out
    assert cli(*argv, "--fail-on-change")[0] == ExitCode.BLOCKED
    # the same policy set on both sides changes nothing
    same = (argv[0], argv[1], argv[1], *argv[3:])
    code, out, _ = cli(*same, "--fail-on-change")
    assert code == ExitCode.OK
    assert "0 verdicts changed" in out


@pytest.mark.slow
def test_history_needs_a_selection_and_fails_closed_on_no_runs(
    demo_workspace: tuple[Path, str],
) -> None:
    root, _ = demo_workspace
    code, _, err = replay(root, "--policies", str(root / "policies"))
    assert code == ExitCode.USAGE
    assert "--experiment NAME and/or --model NAME" in err
    code, _, err = replay(root, "--model", "no-such-model", "--policies", str(root / "policies"))
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "no finished run matches the selection" in err
    code, _, err = replay(root, "--model", "x", "--since", "yesterday")
    assert code == ExitCode.USAGE
    assert "--since 'yesterday' is not a date" in err


@pytest.mark.slow
def test_a_date_window_selects_runs_by_start_time(demo_workspace: tuple[Path, str]) -> None:
    root, _ = demo_workspace
    policies = [str(root / p) for p in RAG_POLICIES]
    base = ("--model", "rag-assistant", "--policies", *policies, "--format", "json")
    code, out, _ = replay(root, *base, "--until", "2000-01-01")
    assert code == ExitCode.EVIDENCE_UNAVAILABLE  # nothing started before 2000
    code, out, _ = replay(root, *base, "--since", "2000-01-01", "--last", "1")
    assert code == ExitCode.OK
    (only,) = json.loads(out)["runs"]
    assert only["version"] == "2"  # newest first
