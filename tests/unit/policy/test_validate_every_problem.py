"""``govgate validate`` reports every problem in one run, with nothing echoed or made up.

A schema error no longer hides the CEL errors of the same document, nor a YAML error the other
documents of its file; what a broken part would only repeat (a shorthand's generated CEL, an
unknown variable when a variable is broken, a waiver of a policy that did not load) is not
reported. Eval suites are validated too, and unknown control ids are warnings.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.errors import PolicyInvalidError
from govgate.evals.suite import load_suite
from govgate.policy.loader import Findings, load_policy_set
from tests.conftest import ROOT

NOW = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

#: Each ``# expect: CODE LINE:COL`` line is one problem the file must produce, all in one run.
MANY = """\
# expect: schema.type 17:12
# expect: cel.unknown-field 23:49
# expect: schema.enum 26:17
# expect: cel.syntax 27:46
# expect: schema.required 28:7
# expect: cel.unknown-name 28:19
# expect: cel.syntax 33:61
# expect: schema.type 39:47
# expect: policy.duplicate 40:11
# expect: cel.unknown-variable 42:19
# expect: cel.syntax 52:39
# no other problem: not the shorthand of bad-threshold, not uses-broken-var's evidence
apiVersion: govgate/v1
kind: Policy
metadata:
  name: many
  version: 1
  owners: [a@example.com]
spec:
  stages: [offline]
  variables:
    - name: tox
      expression: candidate.stats.toxicity_rate.uper
  rules:
    - id: bad-category
      category: safty
      expression: candidate.metrics.x <= 1.0 &&
    - expression: candidat.metrics.x <= 1.0
      category: safety
    - id: ok-threshold
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
      message: "rate {{ candidate.stats.toxicity_rate.value + }}"
    - id: uses-broken-var
      category: safety
      expression: variables.tox <= 0.1
    - id: bad-threshold
      category: safety
      threshold: {metric: toxicity_rate, max: "0.01"}
    - id: bad-threshold
      category: quality
      expression: variables.toxx <= 0.1
---
apiVersion: govgate/v1
kind: Policy
metadata: {name: second, version: "1", owners: [a@example.com]}
spec:
  stages: [offline]
  rules:
    - id: r
      category: safety
      expression: candidate.metrics.y >
"""


def expected(text: str) -> list[tuple[str, int, int]]:
    out = []
    for line in text.splitlines():
        if line.startswith("# expect: "):
            code, at = line.removeprefix("# expect: ").split()
            row, col = at.split(":")
            out.append((code, int(row), int(col)))
    return sorted(out)


def found(*paths: Path) -> list[tuple[str, int, int]]:
    _, problems = load_policy_set([p.as_posix() for p in paths])
    return sorted((p.code, p.span.line, p.span.column) for p in problems)


def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


POLICY = """\
apiVersion: govgate/v1
kind: Policy
metadata: {{name: {name}, version: "1", owners: [a@example.com]{extra}}}
spec:
  stages: [offline]
  rules:
{rules}
"""


def policy(name: str, *rules: str, extra: str = "") -> str:
    return POLICY.format(name=name, extra=extra, rules="\n".join(f"    - {r}" for r in rules))


def test_a_schema_error_does_not_hide_cel_errors(tmp_path: Path) -> None:
    path = tmp_path / "many.yaml"
    path.write_text(MANY)
    assert found(path) == expected(MANY)
    code, out = cli("validate", path.as_posix())
    assert code == 3
    lines = out.splitlines()
    assert lines[-1] == "invalid: 11 problems in 1 of 1 file"
    assert f"{path.as_posix()}:28:19: error: unknown name 'candidat' [cel.unknown-name]" in lines


@pytest.mark.parametrize(
    ("rule", "code"),
    [
        # no id: the expression is still checked, and it is fine
        ("{category: safety, expression: candidate.metrics.x <= 1.0}", "schema.required"),
        # a broken shorthand generates no CEL to complain about
        ("{id: r, category: safety, threshold: {metric: x, max: '1'}}", "schema.type"),
        # an expression that is not a string is the schema's problem only
        ("{id: r, category: safety, expression: 5}", "schema.type"),
        # an unknown key: no 'needs exactly one of' echo, no CEL
        ("{id: r, category: safety, expresion: candidate.metrics.x <= 1.0}", "schema.unknown-key"),
    ],
)
def test_a_broken_rule_gives_one_problem(tmp_path: Path, rule: str, code: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(policy("p", rule))
    assert [c for c, _, _ in found(path)] == [code]


def test_a_broken_variable_does_not_cascade(tmp_path: Path) -> None:
    """Neither to later variables and rules that use it (unknown variable, no evidence), nor
    when the variables cannot all be read."""
    path = tmp_path / "p.yaml"
    path.write_text(
        POLICY.format(
            name="p",
            extra="",
            rules="    - {id: r, category: safety, expression: 'variables.b <= 1.0'}",
        ).replace(
            "  rules:",
            "  variables:\n"
            "    - {name: a, expression: 'candidate.metrics.x +'}\n"
            "    - {name: b, expression: 'variables.a * 2.0'}\n"
            "    - {expression: 'candidate.metrics.y'}\n"
            "  rules:",
        )
    )
    assert [c for c, _, _ in found(path)] == ["cel.syntax", "schema.required"]


def test_the_other_documents_of_a_file_with_a_yaml_problem_are_judged(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    first = policy("first", "{id: r, category: safety, expression: candidate.metrics.x <= 1.0}")
    second = policy("second", "{id: r, category: safety, expression: 'candidate.metrics.y <'}")
    path.write_text(
        first.replace("stages: [offline]", "stages: [offline]\n  stages: [canary]")
        + "---\n"
        + second
    )
    _, problems = load_policy_set([path.as_posix()])
    assert [(p.code, p.span.document) for p in problems] == [
        ("yaml.duplicate-key", 0),
        ("cel.syntax", 1),
    ]


def test_a_broken_policy_still_counts_for_names_and_waivers(tmp_path: Path) -> None:
    """Its waiver is not told the policy does not exist, and a second policy of its name is a
    duplicate; each problem is reported once, where it is."""
    (tmp_path / "a.yaml").write_text(
        policy("a", "{id: r, category: safty, expression: candidate.metrics.x <= 1.0}")
    )
    (tmp_path / "b.yaml").write_text(
        policy("b", "{id: r, category: safety, expression: candidate.metrics.x <= 1.0}")
    )
    (tmp_path / "c.yaml").write_text(
        policy("a", "{id: s, category: safety, expression: candidate.metrics.x <= 1.0}")
    )
    (tmp_path / "w.yaml").write_text(
        "apiVersion: govgate/v1\nkind: Waiver\nmetadata: {name: w}\nspec:\n  policy: a\n"
        "  rule: r\n  justification: accepted by the owners until the fix lands\n"
        "  approver: a@example.com\n  ticket: T-1\n  expires: 2026-02-01\n"
    )
    _, problems = load_policy_set([tmp_path.as_posix()], now=NOW)
    assert sorted((Path(p.span.file).name, p.code) for p in problems) == [
        ("a.yaml", "schema.enum"),
        ("c.yaml", "policy.duplicate"),
    ]


# -- eval suites -------------------------------------------------------------------------------

SUITE = """\
apiVersion: govgate/v1
kind: EvalSuite
metadata: {name: s}
spec:
  task: classification
  dataset: data.jsonl
  metrics:
    - metric: accuracy
"""


def test_validate_accepts_the_shipped_eval_suites(repo_root: Path) -> None:
    code, out = cli("validate", "evals/")
    assert (code, out) == (0, "ok: 2 eval suites in 2 files\n")
    code, out = cli("validate", "policies", "evals")
    assert code == 0
    assert out.startswith("ok: 4 policies (")
    assert out.endswith(", 2 eval suites in 11 files\n")


def test_suites_do_not_change_the_policy_set_digest(repo_root: Path) -> None:
    digests = [
        json.loads(cli("validate", "--format", "json", *paths)[1])["policy_set_digest"]
        for paths in (["policies"], ["policies", "evals"])
    ]
    assert digests[0] is not None
    assert digests[0] == digests[1]


def test_suite_problems_are_those_eval_run_reports(tmp_path: Path) -> None:
    suite = tmp_path / "suite.yaml"
    suite.write_text(
        SUITE.replace("metric: accuracy", "metric: acuracy").replace(
            "task: classification", "task: classification\n  colour: red"
        )
    )
    with pytest.raises(PolicyInvalidError) as raised:
        load_suite(suite)
    run = sorted((p.code, p.span.line, p.span.column) for p in raised.value.problems)
    assert run == [("schema.enum", 9, 15), ("schema.unknown-key", 6, 3)]
    code, out = cli("validate", tmp_path.as_posix())
    assert code == 3
    shown = sorted(line for line in out.splitlines() if ": error: " in line)
    assert len(shown) == len(run)
    for problem in raised.value.problems:
        assert any(line.startswith(f"{problem.span.location()}: error: ") for line in shown)
    assert out.splitlines()[-1] == "invalid: 2 problems in 1 of 1 file"


def test_a_model_problem_of_a_suite_is_reported(tmp_path: Path) -> None:
    (tmp_path / "suite.yaml").write_text(SUITE.replace("classification", "rag_qa"))
    code, out = cli("validate", tmp_path.as_posix())
    assert code == 3
    assert "accuracy and positive_rate need task: classification [schema.invalid]" in out


def test_a_suite_shares_no_file(tmp_path: Path) -> None:
    path = tmp_path / "mixed.yaml"
    path.write_text(
        policy("p", "{id: r, category: safety, expression: candidate.metrics.x <= 1.0}")
        + "---\n"
        + SUITE
    )
    code, out = cli("validate", path.as_posix())
    assert code == 3
    assert ":10:7: error: a suite file holds exactly one document [schema.kind]" in out


def test_a_suite_beside_policy_tests_is_no_unknown_kind(tmp_path: Path) -> None:
    """The policy tests load their folder's policies without the suite check: still fine."""
    (tmp_path / "p.yaml").write_text(
        policy("p", "{id: r, category: quality, expression: candidate.metrics.x <= 1.0}")
    )
    (tmp_path / "p.test.yaml").write_text(
        "apiVersion: govgate/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n"
        "  policies: [p.yaml]\n  cases:\n    - name: small x passes\n      stage: offline\n"
        "      evidence: {candidate: {metrics: {x: 0.5}}}\n      expect: {verdict: PASS}\n"
    )
    (tmp_path / "suite.yaml").write_text(SUITE)
    code, out = cli("validate", tmp_path.as_posix())
    assert (code, out) == (
        0,
        "ok: 1 policy (1 rule), 0 waivers, 1 test file (1 cases), 1 eval suite in 3 files\n",
    )


def test_validating_suites_needs_no_evals_extra() -> None:
    probe = (
        "import io, sys; from govgate.cli import main; "
        "code = main(['validate', 'evals'], io.StringIO(), io.StringIO()); "
        "print(code, sorted(m for m in ('ragas', 'mlflow', 'pandas', 'numpy', 'scipy') "
        "if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip().splitlines()[-1] == "0 []"


# -- warnings ----------------------------------------------------------------------------------


def test_unknown_control_ids_are_warnings(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        policy(
            "p",
            "{id: r, category: safety, controls: [EU-AI-ACT-ART-15, ACME-7], "
            "expression: candidate.metrics.x <= 1.0}",
            extra=", controls: [NIST-AI-RMF-MEASURE-2.6, nist-ai-rmf-measure-2.7]",
        )
    )
    code, out = cli("validate", path.as_posix())
    assert code == 0
    name = path.as_posix()
    assert out.splitlines() == [
        f"{name}:3:96: warning: unknown control id 'nist-ai-rmf-measure-2.7': did you mean "
        "'NIST-AI-RMF-MEASURE-2.7'? [control.unknown]",
        "  hint: ids outside govgate's catalog are allowed (your own controls); "
        "docs/controls.md lists the catalog",
        f"{name}:7:62: warning: unknown control id 'ACME-7' [control.unknown]",
        "  hint: ids outside govgate's catalog are allowed (your own controls); "
        "docs/controls.md lists the catalog",
        "ok: 1 policy (1 rule), 0 waivers in 1 file, 2 warnings",
    ]
    code, out = cli("validate", "--format", "json", path.as_posix())
    result = json.loads(out)
    assert (code, result["valid"], result["problems"]) == (0, True, [])
    assert [(w["code"], w["line"], w["pointer"]) for w in result["warnings"]] == [
        ("control.unknown", 3, "/metadata/controls/1"),
        ("control.unknown", 7, "/spec/rules/0/controls/1"),
    ]
    # the same shape as a problem
    assert set(result["warnings"][0]) == {
        "code",
        "message",
        "hint",
        "file",
        "line",
        "column",
        "pointer",
        "document",
    }


def test_warnings_come_after_the_problems_and_change_no_exit_code(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        policy(
            "p",
            "{id: r, category: safety, expression: 'candidate.metrics.x <='}",
            extra=", controls: [ACME-7]",
        )
    )
    code, out = cli("validate", path.as_posix())
    assert code == 3
    kinds = [line.split(": ")[1] for line in out.splitlines() if not line.startswith(" ")][:-1]
    assert kinds == ["error", "warning"]
    assert out.splitlines()[-1] == "invalid: 1 problem in 1 of 1 file, 1 warning"


def test_only_validate_looks_for_warnings(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        policy(
            "p",
            "{id: r, category: safety, expression: candidate.metrics.x <= 1.0}",
            extra=", controls: [ACME-7]",
        )
    )
    findings = Findings()
    _, problems = load_policy_set([path.as_posix()], findings=findings)
    assert problems == []
    assert [w.code for w in findings.warnings] == ["control.unknown"]
