"""CEL for govgate: compile and lint once per process, evaluate within a budget.

This package is the only code that imports ``celpy``.
"""

from govgate.cel.compiler import CelCompiler
from govgate.cel.expression import (
    DEFAULT_LIMITS,
    CelCompileError,
    CelIssue,
    CelLimits,
    CompiledExpression,
    Reference,
)
from govgate.cel.runtime import evaluate
from govgate.cel.values import from_cel, to_cel, truth

__all__ = [
    "DEFAULT_LIMITS",
    "CelCompileError",
    "CelCompiler",
    "CelIssue",
    "CelLimits",
    "CompiledExpression",
    "Reference",
    "evaluate",
    "from_cel",
    "to_cel",
    "truth",
]
