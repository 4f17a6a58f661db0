"""Evaluate compiled expressions within a budget, with errors that never leak evidence.

cel-python has no cost limit. govgate counts parse-tree visits (including every element a
comprehension visits) and stops at ``max_steps``: a step budget, not a clock, so that the same
policy on the same evidence always ends the same way. The static limits in compiler.py keep a
single step cheap; together they bound evaluation.

cel-python's own error texts can include the whole activation (evidence values). They are never
shown: errors are reduced to a short, fixed vocabulary.

The evaluator itself (evaluator.py) also closes the places where cel-python lets an error or
a NaN become a boolean: comprehension elements, map literals, ``has()`` and NaN.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from govgate.cel.expression import DEFAULT_LIMITS, CompiledExpression
from govgate.errors import CelError


def quiet_celpy() -> None:
    """Keep cel-python's loggers from printing (they log argument values at ERROR)."""
    logger = logging.getLogger("celpy")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


def _sanitise(exc: BaseException) -> str:
    """A short description of a cel-python evaluation error, with no values in it."""
    text = str(exc.args[0]) if exc.args else ""
    for needle, said in (
        ("no matching overload", "no operator or function accepts these types"),
        ("no such overload", "no operator or function accepts these types"),
        ("divide by zero", "division by zero"),
        ("modulus by zero", "division by zero"),
        ("no such member", "a field or key does not exist"),
        ("no such key", "a field or key does not exist"),
        ("undeclared reference", "a name is not defined"),
        ("index out of range", "index out of range"),
        ("return error for overflow", "numeric overflow"),
        ("not a number", "a value is not a number (NaN)"),
        ("Duplicate key", "a map literal repeats a key"),
    ):
        if needle in text:
            return said
    cause = exc.__cause__
    if isinstance(cause, KeyError):
        return "a field or key does not exist"
    if isinstance(cause, ZeroDivisionError):
        return "division by zero"
    if isinstance(cause, TypeError):
        return "no operator or function accepts these types"
    return "evaluation failed"


def evaluate(
    compiled: CompiledExpression,
    activation: Mapping[str, Any],
    max_steps: int = DEFAULT_LIMITS.max_steps,
) -> Any:
    """Evaluate ``compiled`` against ``activation`` (CEL values); raise :class:`CelError`.

    Error codes: ``cel.eval`` (the expression failed on this evidence), ``cel.budget`` (it ran
    out of steps or stack). Neither is ever a pass.
    """
    from celpy.evaluation import CELEvalError

    from govgate.cel.evaluator import Budget, BudgetEvaluator, BudgetExceededError

    quiet_celpy()
    program = compiled.program
    evaluator = BudgetEvaluator(program.ast, program.new_activation(), Budget(max_steps))
    try:
        return evaluator.evaluate(dict(activation))
    except BudgetExceededError:
        raise CelError(
            "cel.budget",
            f"evaluation exceeded its budget of {max_steps} steps",
            hint="simplify the expression or the data it iterates over",
        ) from None
    except RecursionError:
        raise CelError("cel.budget", "evaluation nested too deeply") from None
    except CELEvalError as exc:
        raise CelError("cel.eval", f"evaluation error: {_sanitise(exc)}") from None
    except (TypeError, ValueError, KeyError, IndexError, ArithmeticError, AttributeError) as exc:
        raise CelError("cel.eval", f"evaluation error: {_sanitise(exc)}") from None
