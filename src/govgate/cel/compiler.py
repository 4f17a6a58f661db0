"""Compile CEL expressions once per process, lint them, and extract the evidence they read.

Every reference to evidence is returned as a :class:`Reference` so the gate can report a GAP
when evidence is missing, whatever the expression would have evaluated to. The lint rules are
in ``lint.py``; the types in ``expression.py``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from govgate.cel.expression import (
    DEFAULT_LIMITS,
    CelCompileError,
    CelIssue,
    CelLimits,
    CompiledExpression,
    Reference,
)
from govgate.cel.lint import Walker, check_vocabulary, close_match, reference_of


class CelCompiler:
    """Compiles expressions with one cel-python environment, caching by source text."""

    def __init__(self, limits: CelLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self._env: Any = None
        self._cache: dict[str, tuple[CompiledExpression | None, tuple[CelIssue, ...]]] = {}

    def _environment(self) -> Any:
        if self._env is None:
            import celpy  # deferred: ~0.3 s, and only commands that compile CEL need it

            from govgate.cel.runtime import quiet_celpy

            quiet_celpy()
            self._env = celpy.Environment()
        return self._env

    def check(
        self,
        source: str,
        variables: Collection[str] | None = None,
        slos: Collection[str] | None = None,
    ) -> tuple[CompiledExpression | None, list[CelIssue]]:
        """Compile and lint ``source``; ``variables`` are the names ``variables.X`` may use,
        ``slos`` the names ``candidate.slo.X`` may use (the policy's ``spec.slos``).

        Returns the compiled expression (None when it has problems) and every problem found.
        """
        cached = self._cache.get(source)
        if cached is None:
            cached = self._analyse(source)
            self._cache[source] = cached
        compiled, issues = cached
        found = list(issues)
        if compiled is not None and variables is not None:
            for ref in compiled.references:
                if ref.root == "variables" and ref.path and ref.path[0] not in variables:
                    found.append(
                        CelIssue(
                            "cel.unknown-variable",
                            f"variables.{ref.path[0]} is not defined in this policy",
                            ref.line,
                            ref.column,
                            close_match(ref.path[0], variables)
                            + "define it under spec.variables, before the rules that use it",
                        )
                    )
        if compiled is not None and slos is not None:
            found.extend(_unknown_slos(compiled, slos))
        return (compiled if not found else None), found

    def compile(self, source: str, variables: Collection[str] | None = None) -> CompiledExpression:
        compiled, issues = self.check(source, variables)
        if compiled is None:
            raise CelCompileError(source, issues)
        return compiled

    # -- analysis -------------------------------------------------------------------------

    def _analyse(self, source: str) -> tuple[CompiledExpression | None, tuple[CelIssue, ...]]:
        limits = self.limits
        if not source.strip():
            return None, (CelIssue("cel.syntax", "expression is empty"),)
        if len(source) > limits.max_length:
            return None, (
                CelIssue(
                    "cel.too-long",
                    f"expression is {len(source)} characters, over the {limits.max_length} limit",
                    hint="split it into variables",
                ),
            )
        env = self._environment()
        from celpy.celparser import CELParseError

        try:
            ast = env.compile(source)
        except CELParseError as exc:
            return None, (_syntax_issue(source, exc),)
        except RecursionError:
            return None, (CelIssue("cel.too-deep", "expression is nested too deeply to parse"),)
        walker = Walker(limits)
        walker.walk(ast)
        issues = list(walker.issues)
        refs: list[Reference] = []
        for ident in walker.roots:
            ref, positions, ref_issues = reference_of(ident, walker.parents)
            issues.extend(ref_issues)
            issues.extend(check_vocabulary(ref, positions))
            refs.append(ref)
        if issues:
            return None, tuple(_dedupe(issues))
        from govgate.cel.functions import FUNCTIONS

        program = env.program(ast, FUNCTIONS)
        first: dict[tuple[str, tuple[str, ...]], Reference] = {}
        for ref in sorted(refs, key=lambda r: (r.line, r.column, r.root, r.path)):
            first.setdefault((ref.root, ref.path), ref)  # read twice, listed once
        ordered = tuple(first.values())
        return CompiledExpression(source, ordered, program), ()


def _unknown_slos(compiled: CompiledExpression, slos: Collection[str]) -> Iterator[CelIssue]:
    """``candidate.slo.X`` where the policy defines no SLO ``X``."""
    for ref in compiled.references:
        if ref.root not in ("candidate", "baseline") or len(ref.path) < 2:
            continue
        if ref.path[0] == "slo" and ref.path[1] not in slos:
            defined = ", ".join(sorted(slos)) if slos else "none"
            yield CelIssue(
                "cel.unknown-slo",
                f"{ref.root}.slo.{ref.path[1]} is not an SLO of this policy",
                ref.line,
                ref.column,
                close_match(ref.path[1], slos)
                + f"define it under spec.slos (this policy defines: {defined})",
            )


def _dedupe(issues: list[CelIssue]) -> Iterator[CelIssue]:
    seen: set[tuple[str, str, int, int]] = set()
    for issue in sorted(issues, key=lambda i: (i.line, i.column, i.code)):
        key = (issue.code, issue.message, issue.line, issue.column)
        if key not in seen:
            seen.add(key)
            yield issue


def _syntax_issue(source: str, exc: Exception) -> CelIssue:
    line = int(getattr(exc, "line", 0) or 0)
    column = int(getattr(exc, "column", 0) or 0)
    if line <= 0:  # lark reports end-of-input errors without a position
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
    text = source.splitlines()[line - 1] if line - 1 < len(source.splitlines()) else ""
    near = text[max(column - 1, 0) : max(column - 1, 0) + 12].strip()
    where = f" near {near!r}" if near else " at end of expression"
    return CelIssue(
        "cel.syntax",
        f"CEL syntax error{where}",
        line,
        max(column, 1),
        "check operators, parentheses and quotes; see the policy language reference",
    )
