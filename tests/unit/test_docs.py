"""The project's docs stay in step with the code."""

from __future__ import annotations

import re

from govgate.exitcodes import ExitCode
from tests.conftest import ROOT

SOURCES = "\n".join(p.read_text() for p in (ROOT / "src" / "govgate").rglob("*.py"))
REFERENCE = (ROOT / "policies" / "README.md").read_text()
README = (ROOT / "README.md").read_text()


def test_every_problem_code_is_documented_in_the_reference() -> None:
    codes = set(re.findall(r'"((?:yaml|schema|cel|policy|waiver|input|test)\.[a-z-]+)"', SOURCES))
    assert len(codes) > 25
    missing = sorted(c for c in codes if f"`{c}`" not in REFERENCE)
    assert missing == []


def test_every_exit_code_is_documented_in_the_readme() -> None:
    for code in ExitCode:
        assert re.search(rf"^\| {int(code)} \| ", README, re.M), code


def test_readme_names_the_commands_ci_runs() -> None:
    run = (ROOT / ".ci" / "run").read_text()
    test_command = ".venv/bin/python -m pytest"
    assert f"\n{test_command}\n" in run
    assert f"```sh\n{test_command}\n```" in README
    assert "```sh\nbash .ci/setup && .venv/bin/govgate demo\n```" in README


def test_every_evidence_code_is_documented_in_the_readme() -> None:
    codes = set(re.findall(r'"(evidence\.[a-z-]+)"', SOURCES))
    assert len(codes) >= 10
    assert sorted(c for c in codes if f"`{c}`" not in README) == []


def test_the_statistics_docs_rest_on_a_committed_coverage_study() -> None:
    """docs/coverage.md is the study's own output: no default method over its level, every
    method the gate uses by default has rows, and the guide and README point to it."""
    coverage = (ROOT / "docs" / "coverage.md").read_text()
    assert "python -m tests.benchmarks.coverage --write" in coverage
    assert "of which 0 exceed 5%" in coverage
    assert "**NO**" not in coverage
    for method in (
        "| clopper-pearson |",
        "| betting |",
        "| order-statistic |",
        "| tango score, continuity-corrected |",
        "| betting on differences |",
        "| pairwise score bounds, intersection-union |",
        "| clopper-pearson each side, bonferroni |",
        "| betting each side, bonferroni |",
    ):
        assert method in coverage, method
    guide = (ROOT / "docs" / "statistics.md").read_text()
    assert "(coverage.md)" in guide
    assert "docs/statistics.md" in README
    assert "docs/statistics.md" in REFERENCE
