"""Evaluate compiled expressions within a budget, with errors that never leak evidence.

cel-python has no cost limit. govgate counts parse-tree visits (including every element a
comprehension visits) and stops at ``max_steps``: a step budget, not a clock, so that the same
policy on the same evidence always ends the same way. The static limits in compiler.py keep a
single step cheap; together they bound evaluation.

cel-python's own error texts can include the whole activation (evidence values). They are never
shown: errors are reduced to a short, fixed vocabulary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import cache
from typing import Any

from govgate.cel.expression import DEFAULT_LIMITS, CompiledExpression
from govgate.errors import CelError


class _BudgetExceededError(Exception):
    pass


class _Budget:
    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps


def quiet_celpy() -> None:
    """Keep cel-python's loggers from printing (they log argument values at ERROR)."""
    logger = logging.getLogger("celpy")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())
    logger.propagate = False


@cache
def _evaluator_class() -> type:
    """Built on first use: importing celpy is not free."""
    from celpy.evaluation import Evaluator

    quiet_celpy()

    class BudgetEvaluator(Evaluator):  # type: ignore[misc]
        def __init__(self, ast: Any, activation: Any, budget: _Budget) -> None:
            super().__init__(ast, activation)
            self._budget = budget

        def sub_evaluator(self, ast: Any) -> BudgetEvaluator:
            return BudgetEvaluator(ast, self.activation, self._budget)

        def build_ss_macro_eval(self, child: Any) -> Any:
            # all/exists/exists_one would swallow an element's error when another element
            # decides the result; govgate lets the error out (strict, like || and &&)
            return self.build_macro_eval(child)

        def visit(self, tree: Any) -> Any:
            budget = self._budget
            budget.left -= 1
            if budget.left < 0:
                raise _BudgetExceededError
            return super().visit(tree)

    return BudgetEvaluator


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

    program = compiled.program
    evaluator = _evaluator_class()(program.ast, program.new_activation(), _Budget(max_steps))
    try:
        return evaluator.evaluate(dict(activation))
    except _BudgetExceededError:
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
