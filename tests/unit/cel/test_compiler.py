"""CEL compile and lint: limits, vocabulary, references the gate will check for gaps."""

from __future__ import annotations

import pytest

from govgate.cel import CelCompileError, CelCompiler, CelLimits


@pytest.fixture
def compiler() -> CelCompiler:
    return CelCompiler()


def issue_codes(compiler: CelCompiler, source: str, variables: set[str] | None = None) -> list[str]:
    _, issues = compiler.check(source, variables)
    return [i.code for i in issues]


def dotted(compiler: CelCompiler, source: str) -> list[str]:
    return [r.dotted() for r in compiler.compile(source, {"v"}).references]


@pytest.mark.parametrize(
    ("source", "refs"),
    [
        ("candidate.stats.tox.upper <= 0.01", ["candidate.stats.tox.upper"]),
        (
            'fairness.by_group("lang").stats.acc.min_ratio_lower >= 0.8',
            ['fairness.by_group("lang").stats.acc.min_ratio_lower'],
        ),
        ('candidate.metrics["answer-relevancy"] > 0.5', ['candidate.metrics["answer-relevancy"]']),
        (
            "candidate.metrics.cost <= 1.1 * baseline.metrics.cost",
            ["candidate.metrics.cost", "baseline.metrics.cost"],
        ),
        # missing || true: the reference is still recorded, so the gate reports a GAP
        ("candidate.metrics.missing <= 0.01 || true", ["candidate.metrics.missing"]),
        ("has(candidate.metrics.x) && candidate.metrics.x > 1", ["candidate.metrics.x"]),
        ("variables.v.upper <= 1", ["variables.v.upper"]),
        ("candidate.params.xs.all(x, x > 0)", ["candidate.params.xs"]),
        ('stage == "canary"', ["stage"]),
        ("compare.acc.delta_lower >= -0.02", ["compare.acc.delta_lower"]),
        ('candidate.tags.team.startsWith("ml")', ["candidate.tags.team"]),
    ],
)
def test_references_are_extracted(compiler: CelCompiler, source: str, refs: list[str]) -> None:
    assert dotted(compiler, source) == refs


def test_evidence_excludes_variables_stage_and_now(compiler: CelCompiler) -> None:
    compiled = compiler.compile(
        'variables.v > 1 && stage == "x" && now > now && candidate.metrics.a > 0', {"v"}
    )
    assert [r.dotted() for r in compiled.evidence] == ["candidate.metrics.a"]
    assert compiled.variables == {"v"}


@pytest.mark.parametrize(
    ("source", "code"),
    [
        ("", "cel.syntax"),
        ("a +", "cel.syntax"),
        ("candidate.metrics.x >", "cel.syntax"),
        ('"unterminated', "cel.syntax"),
        ("sqrt(candidate.metrics.x) < 1", "cel.unknown-function"),
        ("candidate.metrics.x.foo() < 1", "cel.unknown-function"),
        ("os.system('x')", "cel.unknown-name"),
        ("candidat.metrics.x < 1", "cel.unknown-name"),
        ("candidate.stat.x < 1", "cel.unknown-field"),
        ("candidate.stats.x.uper < 1", "cel.unknown-field"),
        ("candidate.metrics.x.y < 1", "cel.unknown-field"),
        ("candidate.model.nme == 'x'", "cel.unknown-field"),
        ("compare.acc.delta_low > 0", "cel.unknown-field"),
        ("fairness.acc > 0", "cel.unknown-field"),
        ('fairness.by_group("g").stat.acc.max_gap < 1', "cel.unknown-field"),
        ('fairness.by_group("g").stats.acc.max_gapp < 1', "cel.unknown-field"),
        ("stage.x == 1", "cel.unknown-field"),
        ("variables == 1", "cel.unknown-field"),
        ("candidate.metrics[stage] > 1", "cel.dynamic-reference"),
        ("fairness.by_group(stage).stats.a.max_gap < 1", "cel.dynamic-reference"),
        (".candidate.metrics.x > 1", "cel.unsupported"),
        ("[1].all(a, [1].all(b, [1].all(c, a < b + c)))", "cel.too-complex"),
        ("(" * 30 + "1" + ")" * 30, "cel.too-deep"),
        (" + ".join(["1"] * 40), "cel.too-deep"),
        ("1 + " * 2000 + "1", "cel.too-long"),
        ("[1].all(1, true)", "cel.syntax"),
    ],
)
def test_lint_rejects(compiler: CelCompiler, source: str, code: str) -> None:
    assert code in issue_codes(compiler, source, set())


def test_unknown_variable_depends_on_what_is_defined(compiler: CelCompiler) -> None:
    assert issue_codes(compiler, "variables.tox.upper < 1", {"other"}) == ["cel.unknown-variable"]
    assert issue_codes(compiler, "variables.tox.upper < 1", {"tox"}) == []


def test_issue_positions_point_at_the_offending_token(compiler: CelCompiler) -> None:
    _, issues = compiler.check("candidate.metrics.x > 1 &&\n  candidate.stat.y < 2", set())
    (issue,) = issues
    assert (issue.line, issue.column) == (2, 13)
    assert "did you mean 'stats'" in issue.hint


def test_all_problems_of_one_expression_are_reported(compiler: CelCompiler) -> None:
    codes = issue_codes(compiler, "foo(1) && bar.x > 1 && candidate.stat.x > 0", set())
    assert sorted(codes) == ["cel.unknown-field", "cel.unknown-function", "cel.unknown-name"]


def test_each_expression_is_compiled_once(compiler: CelCompiler) -> None:
    first = compiler.compile("candidate.metrics.x > 1")
    assert compiler.compile("candidate.metrics.x > 1") is first


def test_compile_raises_with_every_issue(compiler: CelCompiler) -> None:
    with pytest.raises(CelCompileError) as info:
        compiler.compile("foo(1) && bar > 1")
    assert len(info.value.issues) == 2


def test_limits_are_configurable() -> None:
    strict = CelCompiler(CelLimits(max_depth=3, max_comprehension_nesting=1))
    assert "cel.too-deep" in issue_codes(strict, "candidate.stats.a.upper < 1 + 2 + 3", set())
    assert "cel.too-complex" in issue_codes(strict, "[1].all(a, [1].all(b, a < b))", set())


@pytest.mark.parametrize(
    "source",
    ["has(1)", "has()", 'has(candidate.metrics["x"])', "has(candidate.metrics.x, 1)", "has([1/0])"],
)
def test_has_takes_one_field_selection(compiler: CelCompiler, source: str) -> None:
    _, issues = compiler.check(source)
    assert [(i.code, i.message, i.column) for i in issues] == [
        ("cel.syntax", "has() takes one field selection", 1)
    ]
    assert '"key" in e' in issues[0].hint
