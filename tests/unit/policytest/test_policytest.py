"""``govgate test``: policy unit tests, run by the same loader and engine as ``check``."""

from __future__ import annotations

import io
import json
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from govgate.cli import main
from govgate.evidence.model import write_snapshot
from govgate.exitcodes import ExitCode
from govgate.policy.cases import FixtureColumn, FixtureEvidence, FixtureRun
from govgate.policytest.fixtures import fill_column, fixture_snapshot, placement
from govgate.policytest.runner import parse_instant, run_policy_tests
from tests.conftest import ROOT

POLICY = """apiVersion: govgate/v1
kind: Policy
metadata: {name: tox, version: "1", owners: [t@example.com]}
spec:
  stages: [offline, canary]
  rules:
    - id: toxicity-ceiling
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
    - id: cost-cap
      category: cost
      enforce: warn
      threshold: {metric: cost, max: 2.0, basis: point}
"""

CLEAN = """        candidate:
          metrics: {cost: 1.0}
          items: 2000
          columns:
            rate.toxicity_rate: {count: 0}
"""


def policy_tests(cases: str, policies: str = "[policy.yaml]") -> str:
    return f"""apiVersion: govgate/v1
kind: PolicyTest
metadata: {{name: tox-tests}}
spec:
  policies: {policies}
  cases:
{cases}"""


def case(name: str, expect: str, evidence: str = CLEAN, stage: str = "offline") -> str:
    return f"""    - name: {name}
      stage: {stage}
      evidence:
{evidence}      expect: {expect}
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(folder: Path, tests: str, policy: str = POLICY) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "policy.yaml").write_text(policy)
    (folder / "policy.test.yaml").write_text(tests)
    return folder


# -- the shipped policies --------------------------------------------------------------------------


def test_shipped_policies_pass_their_tests_with_full_rule_coverage(repo_root: Path) -> None:
    run, problems = run_policy_tests(["policies"])
    assert problems == []
    assert run is not None
    assert len(run.files) == 4
    assert run.failed == []
    assert len(run.cases) >= 20
    shipped_rules = 15
    assert len(run.coverage) == shipped_rules
    assert run.uncovered == [], [c.rule.key for c in run.uncovered]
    code, out, _ = cli("test", "policies", "--require-coverage")
    assert code == ExitCode.OK
    assert "rule coverage: 15 of 15 rules covered" in out
    assert f"{len(run.cases)} cases: {len(run.cases)} passed, 0 failed" in out


def test_every_verdict_and_every_outcome_is_asserted_somewhere_in_the_shipped_tests(
    repo_root: Path,
) -> None:
    run, _ = run_policy_tests(["policies"])
    assert run is not None
    assert run.never_asserted == []
    verdicts = {c.expected_verdict for c in run.cases}
    assert verdicts >= {"PASS", "WARN", "FAIL", "ROLLBACK", "INCONCLUSIVE"}


# -- a case that does not match fails, and says why ------------------------------------------------


def test_a_mismatch_exits_4_and_names_rule_expectation_outcome_and_reason(tmp_path: Path) -> None:
    tests = policy_tests(
        case("clean passes", "{verdict: PASS, rules: {toxicity-ceiling: pass}}")
        + case(
            "claims a small sample passes",
            "{verdict: PASS, rules: {toxicity-ceiling: pass}}",
            evidence="""        candidate:
          metrics: {cost: 1.0}
          items: 50
          columns:
            rate.toxicity_rate: {count: 0}
""",
        )
    )
    folder = write(tmp_path, tests)
    code, out, _ = cli("test", str(folder))
    assert code == ExitCode.BLOCKED.value == 4
    assert "  ok   clean passes [offline, line 7]" in out
    assert "  FAIL claims a small sample passes [offline, line 16]" in out
    assert "verdict: expected PASS, got INCONCLUSIVE" in out
    assert "tox/toxicity-ceiling: expected pass, got inconclusive" in out
    assert "2 cases: 1 passed, 1 failed" in out


def test_junit_has_a_failure_per_mismatching_case(tmp_path: Path) -> None:
    tests = policy_tests(
        case("right", "{verdict: PASS}")
        + case("wrong", "{rules: {cost-cap: fail}}")  # cost 1.0 passes the cap
    )
    folder = write(tmp_path, tests)
    report = tmp_path / "out" / "tests.xml"
    code, out, err = cli("test", str(folder), "--format", "junit", "-o", str(report))
    assert code == ExitCode.BLOCKED
    assert out == ""
    assert "2 cases, 1 failed" in err
    root = ET.fromstring(report.read_text())
    assert root.get("tests") == "2"
    assert root.get("failures") == "1"
    cases = root.findall("./testsuite/testcase")
    assert [c.get("name") for c in cases] == ["right", "wrong"]
    assert cases[0].find("failure") is None
    failure = cases[1].find("failure")
    assert failure is not None
    message = "tox/cost-cap: expected fail, got pass (the expression holds on the evidence)"
    assert failure.get("message") == message
    assert failure.text == message


def test_json_report_lists_cases_outcomes_and_coverage(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("clean", "{verdict: PASS}")))
    code, out, _ = cli("test", str(folder), "--format", "json")
    assert code == ExitCode.OK
    payload = json.loads(out)
    assert payload["passed"] is True
    (only,) = payload["cases"]
    assert only["verdict"] == "PASS"
    assert only["outcomes"] == {"tox/toxicity-ceiling": "pass", "tox/cost-cap": "pass"}
    assert payload["coverage"]["rules"] == 2
    assert payload["coverage"]["covered"] == 0  # nothing asserted per rule


# -- coverage --------------------------------------------------------------------------------------


def test_coverage_needs_both_pass_and_fail_per_rule(tmp_path: Path) -> None:
    failing = """        candidate:
          metrics: {cost: 3.0}
          items: 2000
          columns:
            rate.toxicity_rate: {rate: 0.05}
"""
    tests = policy_tests(
        case("clean", "{rules: {toxicity-ceiling: pass, cost-cap: pass}}")
        + case("toxic", "{rules: {toxicity-ceiling: fail}}", evidence=failing)
    )
    folder = write(tmp_path, tests)
    run, problems = run_policy_tests([str(folder)])
    assert problems == []
    assert run is not None
    by_key = {c.rule.key: c for c in run.coverage}
    assert by_key["tox/toxicity-ceiling"].covered
    assert by_key["tox/cost-cap"].missing == ["fail"]
    code, out, err = cli("test", str(folder), "--require-coverage")
    assert code == ExitCode.BLOCKED
    assert "MISS tox/cost-cap" in out
    assert "never asserted: fail" in out
    assert "rule coverage incomplete: tox/cost-cap" in err
    assert cli("test", str(folder))[0] == ExitCode.OK  # coverage only blocks when asked


def test_a_policy_no_test_loads_counts_as_uncovered(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("clean", "{verdict: PASS}")))
    other = POLICY.replace("name: tox,", "name: untested,")
    (folder / "other.yaml").write_text(other)
    run, problems = run_policy_tests([str(folder)])
    assert problems == []
    assert run is not None
    keys = {c.rule.key for c in run.uncovered}
    assert {"untested/toxicity-ceiling", "untested/cost-cap"} <= keys


# -- fail closed: a test that cannot fail is a problem, not a pass ---------------------------------


def test_no_test_files_is_invalid_not_a_pass(tmp_path: Path) -> None:
    (tmp_path / "policy.yaml").write_text(POLICY)
    code, _, err = cli("test", str(tmp_path))
    assert code == ExitCode.POLICY_INVALID.value == 3
    assert "no policy test files (*.test.yaml) found [test.empty]" in err


def test_a_case_that_expects_nothing_is_rejected(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("vacuous", "{}")))
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "policy.test.yaml:" in err
    assert "[schema." in err


def test_an_unknown_rule_names_the_line_and_suggests_the_right_one(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("typo", "{rules: {toxicity-celing: pass}}")))
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "policy.test.yaml:15:" in err
    assert "no rule 'toxicity-celing' in the policies under test [test.unknown-rule]" in err
    assert "did you mean 'toxicity-ceiling'?" in err
    # validate catches it too, without running anything
    code, out, _ = cli("validate", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "[test.unknown-rule]" in out


def test_a_rule_id_in_two_policies_must_be_qualified(tmp_path: Path) -> None:
    folder = write(
        tmp_path,
        policy_tests(
            case("ambiguous", "{rules: {cost-cap: pass}}")
            + case("qualified", "{rules: {tox/cost-cap: pass, tox2/cost-cap: pass}}"),
            policies="[policy.yaml, second.yaml]",
        ),
    )
    (folder / "second.yaml").write_text(POLICY.replace("name: tox,", "name: tox2,"))
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "rule id 'cost-cap' is in several policies" in err
    assert "write policy/rule to say which" in err
    assert err.count("[test.unknown-rule]") == 1  # the qualified case is fine


def test_a_missing_policy_file_is_named_relative_to_the_test(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("x", "{verdict: PASS}"), policies="[nope.yaml]"))
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "'nope.yaml': no such file or folder" in err
    assert "[test.policy-missing]" in err


def test_an_invalid_policy_under_test_stops_the_run(tmp_path: Path) -> None:
    broken = POLICY.replace("max: 0.01", "max: high")
    folder = write(tmp_path, policy_tests(case("x", "{verdict: PASS}")), policy=broken)
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "policy.yaml:" in err
    assert "no test ran" in err


def test_test_files_never_join_a_policy_set(tmp_path: Path) -> None:
    folder = write(tmp_path, policy_tests(case("clean", "{verdict: PASS}")))
    code, out, _ = cli("validate", str(folder))
    assert code == ExitCode.OK
    assert out == "ok: 1 policy (2 rules), 0 waivers, 1 test file (1 cases) in 2 files\n"
    # named explicitly as a policy, a test file is refused with a hint
    code, _, err = cli(
        "check",
        "--policies",
        str(folder / "policy.test.yaml"),
        "--candidate",
        "runs:/0",
        "--stage",
        "offline",
    )
    assert code == ExitCode.POLICY_INVALID
    assert "a PolicyTest document does not belong here" in err


# -- same engine as check --------------------------------------------------------------------------


def test_a_case_decides_exactly_as_check_does_on_the_same_snapshot(tmp_path: Path) -> None:
    """Write a fixture's snapshot, gate it with `govgate check`, then test it by file."""
    fixture = FixtureEvidence(
        candidate=FixtureRun(
            metrics={"cost": 3.0},
            items=200,  # 0 of 200: the upper bound is over 1%
            columns={"rate.toxicity_rate": FixtureColumn(count=0)},
        )
    )
    now = parse_instant("2026-01-01")
    snap = fixture_snapshot(fixture, stage="offline", seed="s", reference="t", now=now)
    folder = tmp_path / "p"
    folder.mkdir()
    write_snapshot(snap, folder / "evidence.json")
    (folder / "policy.yaml").write_text(POLICY)
    code, out, _ = cli(
        "check",
        "--policies",
        str(folder / "policy.yaml"),
        "--candidate",
        str(folder / "evidence.json"),
        "--stage",
        "offline",
        "--format",
        "json",
        "--now",
        "2026-01-01T00:00:00Z",
    )
    decision = json.loads(out)["decision"]
    assert code == ExitCode.INCONCLUSIVE
    outcomes = {f"{r['policy']}/{r['rule']}": r["outcome"] for r in decision["rules"]}
    assert outcomes == {"tox/toxicity-ceiling": "inconclusive", "tox/cost-cap": "fail"}
    expect = "{verdict: INCONCLUSIVE, rules: {toxicity-ceiling: inconclusive, cost-cap: fail}}"
    (folder / "policy.test.yaml").write_text(
        policy_tests(
            f"""    - name: from a snapshot
      stage: offline
      snapshot: evidence.json
      expect: {expect}
"""
        )
    )
    code, out, _ = cli("test", str(folder))
    assert code == ExitCode.OK, out
    shutil.move(folder / "evidence.json", folder / "moved.json")
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID
    assert "[test.snapshot]" in err


def test_waiver_expiry_follows_the_case_clock(tmp_path: Path) -> None:
    waiver = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: w}
spec:
  policy: tox
  rule: toxicity-ceiling
  justification: the classifier over-flags this release; manual review found none toxic
  approver: a@example.com
  ticket: T-1
  expires: 2026-06-30
"""
    toxic = CLEAN.replace("{count: 0}", "{rate: 0.05}")
    folder = write(
        tmp_path,
        policy_tests(
            case("waived", "{rules: {toxicity-ceiling: waived}}", evidence=toxic).replace(
                "stage: offline", "stage: offline\n      now: 2026-06-30T23:00:00Z"
            )
            + case("expired", "{rules: {toxicity-ceiling: fail}}", evidence=toxic).replace(
                "stage: offline", "stage: offline\n      now: 2026-07-01"
            ),
            policies="[policy.yaml, waiver.yaml]",
        ),
    )
    (folder / "waiver.yaml").write_text(waiver)
    code, out, _ = cli("test", str(folder))
    assert code == ExitCode.OK, out


# -- fixtures: deterministic, exact, and built through the real table parser -----------------------


def test_normal_columns_have_exactly_the_mean_and_sd_written() -> None:
    values = fill_column(FixtureColumn(mean=0.8, sd=0.1), 400, "seed", {})
    assert values.mean() == pytest.approx(0.8, abs=1e-12)
    assert values.std(ddof=1) == pytest.approx(0.1, abs=1e-12)


def test_rates_and_counts_place_exactly_that_many_ones() -> None:
    assert fill_column(FixtureColumn(rate=0.013), 1000, "s", {}).sum() == 13
    assert fill_column(FixtureColumn(count=7), 50, "s", {}).sum() == 7
    labels = np.asarray(["a", "b"] * 500, dtype=object)
    column = FixtureColumn(by="g", rates={"a": 0.1, "b": 0.5})
    values = fill_column(column, 1000, "s", {"g": labels})
    assert values[labels == "a"].sum() == 50
    assert values[labels == "b"].sum() == 250


def test_placement_is_fixed_by_the_seed_and_differs_between_seeds() -> None:
    a = placement("case\0candidate\0rate.x", 1000)
    assert np.array_equal(a, placement("case\0candidate\0rate.x", 1000))
    assert sorted(a.tolist()) == list(range(1000))
    assert not np.array_equal(a, placement("case\0baseline\0rate.x", 1000))
    # pinned: the same fixture gives the same table on every machine and numpy version
    assert a[:5].tolist() == placement("case\0candidate\0rate.x", 1000)[:5].tolist()


def test_a_fixture_snapshot_is_the_same_every_time_and_goes_through_the_parser() -> None:
    fixture = FixtureEvidence(
        candidate=FixtureRun(
            items=30,
            groups={"band": ["x", "y", "z"]},
            columns={"score.q": FixtureColumn(mean=1.0, sd=0.5)},
            nan_metrics=["latency_p95"],
            metrics={"latency_p95": 1.0, "cost": 2.0},
            model="m",
        ),
        baseline=FixtureRun(items=30, columns={"score.q": FixtureColumn(value=1.0)}),
    )
    now = parse_instant("2026-01-01")
    a = fixture_snapshot(fixture, stage="offline", seed="c", reference="r", now=now)
    b = fixture_snapshot(fixture, stage="offline", seed="c", reference="r", now=now)
    assert a.digest() == b.digest()
    candidate = a.evidence.candidate
    assert candidate.metrics == {"cost": 2.0}
    assert candidate.nonfinite_metrics == {"latency_p95": "nan"}
    assert candidate.items is not None
    # items arrive one a second in row order, so canary cases are judged sequentially
    assert candidate.items.columns == {"group.band": "group", "score.q": "score", "ts": "ts"}
    assert candidate.resolution.method == "test-fixture"
    table = a.items("candidate")
    assert table is not None
    assert table.groups["group.band"][1] == ("x", "y", "z")
    assert a.evidence.baseline is not None


@pytest.mark.parametrize(
    ("run", "message"),
    [
        ("items: 10, columns: {rate.x: {count: 11}}", "count 11 is more than the 10 items"),
        ("items: 10, columns: {rate.x: {by: g, rates: {a: 0.1}}}", "not among groups"),
        (
            "items: 10, groups: {g: [a, b]}, columns: {rate.x: {by: g, rates: {a: 0.1}}}",
            "missing: ['b']",
        ),
        ("columns: {rate.x: {rate: 0.1}}", "[schema."),
        ("items: 10, columns: {rate.x: {rate: 0.1, count: 1}}", "[schema."),
        ("items: 10, columns: {group.x: {rate: 0.1}}", "[schema."),
    ],
)
def test_bad_fixtures_are_reported_with_their_line(tmp_path: Path, run: str, message: str) -> None:
    evidence = f"        candidate: {{{run}}}\n"
    folder = write(tmp_path, policy_tests(case("bad", "{verdict: PASS}", evidence=evidence)))
    code, _, err = cli("test", str(folder))
    assert code == ExitCode.POLICY_INVALID, err
    assert "policy.test.yaml:1" in err
    assert message in err


def test_shipped_test_files_are_named_for_their_policies() -> None:
    for test in (ROOT / "policies").rglob("*.test.yaml"):
        assert test.with_name(test.name.replace(".test.yaml", ".yaml")).exists(), test
