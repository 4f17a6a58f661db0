"""Each invalid fixture declares the exact problems it must produce (code, line, column).

A fixture is a file, or a folder for cross-file problems, under tests/fixtures/invalid/. Its
``# expect: CODE LINE:COL`` header lines are the whole expected result: a missing problem, an
extra one, or one at another position fails the test.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from govgate.policy.loader import load_policy_set
from govgate.policytest.runner import run_policy_tests
from tests.conftest import FIXTURES

INVALID = sorted((FIXTURES / "invalid").iterdir())


def expected(case: Path) -> list[tuple[str, str, int, int]]:
    out = []
    for f in [case] if case.is_file() else sorted(case.glob("*.yaml")):
        for raw in f.read_bytes().split(b"\n"):
            if raw.startswith(b"# expect: "):
                code, position = raw.decode()[len("# expect: ") :].split()
                line, column = position.split(":")
                out.append((f.as_posix(), code, int(line), int(column)))
    return sorted(out)


@pytest.mark.parametrize("case", INVALID, ids=[c.name for c in INVALID])
def test_invalid_fixture_reports_exactly_its_problems(case: Path) -> None:
    want = expected(case)
    assert want, f"{case} declares no '# expect:' line"
    _, problems = load_policy_set([case.as_posix()])
    got = sorted((p.span.file, p.code, p.span.line, p.span.column) for p in problems)
    assert got == want
    for p in problems:  # every problem says where and what, on one line
        assert str(p).startswith(f"{p.span.file}:{p.span.line}:{p.span.column}: ")
        assert "\n" not in p.message


def test_every_error_class_of_the_issue_has_a_fixture() -> None:
    codes = {code for case in INVALID for _, code, _, _ in expected(case)}
    required = {
        "yaml.syntax",  # broken YAML
        "yaml.alias",
        "yaml.anchor",
        "yaml.duplicate-key",
        "schema.unknown-key",  # schema violation
        "schema.type",
        "cel.syntax",
        "cel.unknown-function",
        "cel.too-deep",
        "policy.duplicate",  # duplicate rule id
        "schema.required",  # waiver without expiry
    }
    assert required <= codes


def test_all_problems_in_all_files_in_one_run() -> None:
    _, problems = load_policy_set([(FIXTURES / "invalid").as_posix()])
    files = {p.span.file for p in problems}
    assert len(files) == len(INVALID)  # each case (file or folder) has one file with problems
    assert len(problems) == sum(len(expected(c)) for c in INVALID)


def test_invalid_files_do_not_hide_valid_ones() -> None:
    policy_set, problems = load_policy_set(
        [(FIXTURES / "invalid" / "cel-syntax.yaml").as_posix(), "policies"]
    )
    assert [p.code for p in problems] == ["cel.syntax"]
    assert {p.name for p in policy_set.policies} >= {"rag-assistant-safety"}


def test_shipped_policies_are_valid(repo_root: Path) -> None:
    """Whatever examples policies/ holds: each loads, is tested beside it, and is documented."""
    policy_set, problems = load_policy_set(["policies"])
    assert problems == []
    shipped = sorted(
        p.as_posix() for p in Path("policies").rglob("*.yaml") if not p.name.endswith(".test.yaml")
    )
    # every shipped file holds a policy or a waiver that loaded: none is silently skipped
    loaded = {p.source.path for p in policy_set.policies} | {
        w.source.path for w in policy_set.waivers
    }
    assert sorted(loaded) == shipped
    assert policy_set.waivers  # the examples show a waiver, kept in waivers/
    assert {Path(w.source.path).parent.name for w in policy_set.waivers} == {"waivers"}
    # every policy has its tests beside it, they pass, and together they cover every rule
    for p in policy_set.policies:
        assert Path(p.source.path.removesuffix(".yaml") + ".test.yaml").is_file(), p.source.path
    run, test_problems = run_policy_tests(["policies"])
    assert test_problems == []
    assert run is not None
    assert run.failed == []
    rules = {r.key for p in policy_set.policies for r in p.rules}
    assert {f"{c.rule.policy}/{c.rule.rule}" for c in run.coverage} == rules
    assert run.uncovered == [], [c.rule.rule for c in run.uncovered]
    # every example folder has its entry in the policies README
    readme = Path("policies", "README.md").read_text()
    for folder in sorted({Path(f).parts[1] for f in shipped}):
        assert f"`{folder}/`" in readme, folder
    # together the examples show every kind of rule a release is judged on
    covered = {r.rule.category.value for p in policy_set.policies for r in p.rules}
    assert covered >= {"safety", "quality", "cost", "latency", "fairness", "drift", "rollback"}


def test_valid_fixtures_load() -> None:
    policy_set, problems = load_policy_set([(FIXTURES / "valid").as_posix()])
    assert problems == []
    assert [p.name for p in policy_set.policies] == ["edge-cases"]
    assert len(policy_set.waivers) == 1
