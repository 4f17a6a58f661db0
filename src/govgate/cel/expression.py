"""What a compiled CEL expression is: its source, the evidence it reads, its limits and
problems. No celpy import: the policy model, the gate and the reports use these types without
loading the CEL runtime.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govgate.cel import vocabulary as voc
from govgate.errors import CelError


@dataclass(frozen=True, slots=True)
class CelLimits:
    """Static and dynamic limits for expressions. Documented in policies/README.md."""

    max_length: int = 4096
    max_depth: int = 24
    max_raw_depth: int = 400
    max_comprehension_nesting: int = 2
    max_steps: int = 10_000


DEFAULT_LIMITS = CelLimits()


@dataclass(frozen=True, slots=True)
class CelIssue:
    """A problem in an expression; line/column are 1-based within the expression text."""

    code: str
    message: str
    line: int = 1
    column: int = 1
    hint: str = ""


@dataclass(frozen=True, slots=True)
class Reference:
    """A name an expression reads: a root and the literal path below it.

    ``fairness.by_group("lang").stats.acc.max_gap`` is root ``fairness`` and path
    ``("by_group", "lang", "stats", "acc", "max_gap")``.
    """

    root: str
    path: tuple[str, ...]
    line: int = 1
    column: int = 1

    @property
    def is_evidence(self) -> bool:
        return self.root in voc.EVIDENCE_ROOTS

    def dotted(self) -> str:
        out = self.root
        segments = iter(self.path)
        for seg in segments:
            if seg == "by_group" and self.root == "fairness":
                out += f'.by_group("{next(segments, "")}")'
            elif seg.isidentifier():
                out += f".{seg}"
            else:
                out += f'["{seg}"]'
        return out


@dataclass(frozen=True, eq=False)
class CompiledExpression:
    """A parsed, linted expression, ready to evaluate. Equal sources share one instance."""

    source: str
    references: tuple[Reference, ...]
    program: Any = field(repr=False)

    @property
    def evidence(self) -> tuple[Reference, ...]:
        return tuple(r for r in self.references if r.is_evidence)

    @property
    def variables(self) -> frozenset[str]:
        return frozenset(r.path[0] for r in self.references if r.root == "variables" and r.path)


class CelCompileError(CelError):
    """An expression failed to compile or lint; ``issues`` lists every problem found."""

    def __init__(self, source: str, issues: list[CelIssue]) -> None:
        first = issues[0]
        super().__init__(first.code, first.message, None, first.hint)
        self.source = source
        self.issues = issues


# Parse-tree node kinds that count towards the nesting depth a person sees.
