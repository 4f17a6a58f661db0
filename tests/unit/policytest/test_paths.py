"""A policy test reads only inside its root: the folder given to ``govgate test`` (for a test
file named by itself, the current directory). Paths that lead out are refused, never read."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.evidence.model import write_snapshot
from govgate.exitcodes import ExitCode
from tests.support.snapshots import rates, run, snapshot
from tests.unit.policytest.test_policytest import POLICY, case, policy_tests

#: read as a policy this is a YAML syntax error naming the file: its absence from the problems
#: shows that it was never read
BAIT = "apiVersion: govgate/v1\nkind: Policy\nmetadata: {name: [unclosed\n"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``repo/`` (the root) with ``shared/policy.yaml`` and ``sub/``, and ``outside/`` beside
    it holding a policy and a snapshot that must never be read."""
    repo = tmp_path / "repo"
    (repo / "shared").mkdir(parents=True)
    (repo / "sub").mkdir()
    (repo / "shared" / "policy.yaml").write_text(POLICY)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "policy.yaml").write_text(BAIT)
    (outside / "evidence.json").write_text("{not json")
    return repo


def write_test(folder: Path, policies: str, snapshot_path: str | None = None) -> Path:
    cases = case("clean passes", "{verdict: PASS, rules: {toxicity-ceiling: pass}}")
    if snapshot_path is not None:
        cases += f"""    - name: from a snapshot
      stage: offline
      snapshot: {snapshot_path}
      expect: {{verdict: PASS}}
"""
    path = folder / "policy.test.yaml"
    path.write_text(policy_tests(cases, policies=policies))
    return path


def refused(out: str, test: Path, line: int, column: int, message: str) -> None:
    problems = [x for x in out.splitlines() if x.startswith(f"{test.as_posix()}:")]
    assert problems == [
        f"{test.as_posix()}:{line}:{column}: error: {message} [test.outside-root]"
    ], out
    assert "must stay inside the folder given to govgate test" in out


def test_a_path_may_climb_within_the_root(tree: Path) -> None:
    write_test(tree / "sub", "[../shared/policy.yaml]")
    code, out, err = cli("test", str(tree))
    assert code == ExitCode.OK, out + err


@pytest.mark.parametrize("command", ["test", "validate"])
def test_a_path_that_climbs_out_of_the_root_is_refused_unread(tree: Path, command: str) -> None:
    test = write_test(tree / "sub", "[../../outside/policy.yaml]")
    code, out, err = cli(command, str(tree))
    assert code == ExitCode.POLICY_INVALID
    text = out + err
    message = f"'../../outside/policy.yaml' leads out of the test root {tree.as_posix()}"
    refused(text, test, 5, 14, message)
    assert "[yaml.syntax]" not in text


def test_an_absolute_path_is_refused_even_inside_the_root(tree: Path) -> None:
    inside = (tree / "shared" / "policy.yaml").as_posix()
    test = write_test(tree / "sub", f"['/etc/passwd', '{inside}']")
    code, out, err = cli("test", str(tree))
    assert code == ExitCode.POLICY_INVALID
    lines = [x for x in (out + err).splitlines() if "[test.outside-root]" in x]
    assert lines == [
        f"{test.as_posix()}:5:14: error: '/etc/passwd' is an absolute path [test.outside-root]",
        f"{test.as_posix()}:5:29: error: '{inside}' is an absolute path [test.outside-root]",
    ]


def test_a_symbolic_link_that_leads_out_is_refused(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the test file is named by itself (root: the current directory), so that no folder
    # search picks the link up as a policy of the tested folder (that is not a test's path)
    os.symlink(tree.parent / "outside" / "policy.yaml", tree / "sub" / "linked.yaml")
    os.symlink(tree.parent / "outside", tree / "elsewhere")
    monkeypatch.chdir(tree)
    test = write_test(Path("sub"), "[linked.yaml]")
    code, out, err = cli("test", test.as_posix())
    assert code == ExitCode.POLICY_INVALID
    target = (tree.parent / "outside" / "policy.yaml").resolve().as_posix()
    message = f"'linked.yaml' leads through a symbolic link to {target}, outside the test root ."
    refused(out + err, test, 5, 14, message)
    write_test(Path("sub"), "[../elsewhere/policy.yaml]")
    code, out, err = cli("test", test.as_posix())
    assert code == ExitCode.POLICY_INVALID
    assert "'../elsewhere/policy.yaml' leads through a symbolic link to" in out + err
    assert "[yaml.syntax]" not in out + err


def test_a_policy_folder_holding_a_link_that_leads_out_is_refused(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    os.symlink(tree.parent / "outside" / "policy.yaml", tree / "shared" / "more.yaml")
    monkeypatch.chdir(tree)
    test = write_test(Path("sub"), "[../shared]")
    code, out, err = cli("test", test.as_posix())
    assert code == ExitCode.POLICY_INVALID
    target = (tree.parent / "outside" / "policy.yaml").resolve().as_posix()
    message = f"'../shared' holds 'more.yaml', a symbolic link to {target}, outside the test root ."
    refused(out + err, test, 5, 14, message)
    assert "[yaml.syntax]" not in out + err


def test_a_snapshot_outside_the_root_is_refused_unread(tree: Path) -> None:
    test = write_test(tree / "sub", "[../shared/policy.yaml]", "../../outside/evidence.json")
    code, out, err = cli("test", str(tree))
    assert code == ExitCode.POLICY_INVALID
    refused(
        out + err,
        test,
        18,
        17,
        f"'../../outside/evidence.json' leads out of the test root {tree.as_posix()}",
    )


def test_a_snapshot_inside_the_root_is_read(tree: Path) -> None:
    clean = run("candidate", metrics={"cost": 1.0}, columns={"rate.toxicity_rate": rates(2000, 0)})
    write_snapshot(snapshot(clean), tree / "shared" / "snap" / "evidence.json")
    write_test(tree / "sub", "[../shared/policy.yaml]", "../shared/snap/evidence.json")
    code, out, err = cli("test", str(tree))
    assert code == ExitCode.OK, out + err


def test_a_test_file_named_by_itself_has_the_current_directory_as_root(
    tree: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    test = write_test(tree / "sub", "[../shared/policy.yaml]")
    monkeypatch.chdir(tree)
    code, out, err = cli("test", "sub/policy.test.yaml")
    assert code == ExitCode.OK, out + err
    monkeypatch.chdir(tree / "sub")
    code, out, err = cli("test", "policy.test.yaml")
    assert code == ExitCode.POLICY_INVALID
    refused(
        out + err,
        Path("policy.test.yaml"),
        5,
        14,
        "'../shared/policy.yaml' leads out of the test root .",
    )
    assert test.is_file()


def test_the_widest_folder_given_is_the_root(tree: Path) -> None:
    write_test(tree / "sub", "[../shared/policy.yaml]")
    code, out, err = cli("test", str(tree / "sub"))
    assert code == ExitCode.POLICY_INVALID
    assert "leads out of the test root" in out + err
    for order in ([tree / "sub", tree], [tree, tree / "sub"]):
        code, out, err = cli("test", *map(str, order))
        assert code == ExitCode.OK, out + err
