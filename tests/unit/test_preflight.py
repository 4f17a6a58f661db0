from __future__ import annotations

import io
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.errors import EvidenceError
from govgate.exitcodes import ExitCode
from govgate.gate.preflight import require_baseline, rules_needing_baseline
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set


@pytest.fixture
def policies(repo_root: Path) -> PolicySet:
    policy_set, problems = load_policy_set(["policies"])
    assert problems == []
    return policy_set


def test_rules_that_compare_need_a_baseline(policies: PolicySet) -> None:
    canary = {r.key for r in rules_needing_baseline(policies, "canary")}
    assert canary == {
        "rag-assistant-release/answer-quality-noninferior",
        "rag-assistant-release/cost-cap",
        "rag-assistant-canary-rollback/canary-latency-regression",
    }
    offline = {r.key for r in rules_needing_baseline(policies, "offline")}
    assert "rag-assistant-canary-rollback/canary-latency-regression" not in offline


def test_missing_baseline_is_an_error_naming_the_rules(policies: PolicySet) -> None:
    with pytest.raises(EvidenceError) as info:
        require_baseline(policies, "canary", has_baseline=False)
    assert info.value.code == "evidence.missing-baseline"
    assert "3 rules for stage canary" in str(info.value)
    assert "cost-cap" in str(info.value)
    require_baseline(policies, "canary", has_baseline=True)


def test_cli_checks_the_baseline_before_touching_mlflow(repo_root: Path, tmp_path: Path) -> None:
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "evidence",
            "snapshot",
            "--candidate",
            "models:/rag-assistant@challenger",
            "--stage",
            "canary",
            "--policies",
            "policies",
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'absent.db'}",
            "-o",
            str(tmp_path / "e.json"),
        ],
        stdout=out,
        stderr=err,
    )
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "[evidence.missing-baseline]" in err.getvalue()
    assert "hint: pass --baseline" in err.getvalue()
