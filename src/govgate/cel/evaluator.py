"""govgate's cel-python evaluator: a step budget, and no error or NaN that becomes a boolean.

Imported only when an expression is first evaluated (importing celpy is not free); runtime.py
is the way in. cel-python has no cost limit, so every explicit visit of a parse-tree node
(including each element a comprehension visits) costs one step of a :class:`Budget`.

Four places where cel-python lets an error or a NaN turn into a boolean are closed here (each
would turn a broken expression into a pass):

* ``all``/``exists``/``exists_one`` swallow an element's error when another element decides
  the result; here the error is the result (strict, like ``||`` and ``&&`` in functions.py);
* a map literal keeps an entry's error as that entry's value, so ``{"a": 1, "b": 1/0}.a == 1``
  is true; here an error in any key or value is the value of the whole literal (as CEL says,
  and as cel-python already does for list literals);
* ``has(e.f)`` is false whenever evaluating its argument fails, so ``!has({"a": 1/0}.a)`` is
  true; here an error in ``e`` is the result, and ``has()`` answers only whether ``f`` is there;
* a NaN compares false with everything, so ``!(x > 0.5)`` is true for a NaN ``x``; here every
  NaN a node computes or reads becomes an error before its parent sees it (functions.py refuses
  NaN inside lists and maps that are compared).
"""

from __future__ import annotations

from typing import Any

import celpy.celtypes as ct
from celpy.evaluation import CELEvalError, Evaluator

from govgate.cel.functions import is_nan, nan_error
from govgate.cel.lint import field_selection


class BudgetExceededError(Exception):
    """The expression used up its steps: never a result, always ``cel.budget``."""


class Budget:
    """Steps left, shared by an evaluator and the sub-evaluators of its comprehensions."""

    __slots__ = ("left",)

    def __init__(self, steps: int) -> None:
        self.left = steps


class BudgetEvaluator(Evaluator):  # type: ignore[misc]
    """cel-python's evaluator within a budget, strict about errors and NaN (see the module)."""

    def __init__(self, ast: Any, activation: Any, budget: Budget) -> None:
        super().__init__(ast, activation)
        self._budget = budget

    def sub_evaluator(self, ast: Any) -> BudgetEvaluator:
        return BudgetEvaluator(ast, self.activation, self._budget)

    def build_ss_macro_eval(self, child: Any) -> Any:
        """The element function of all/exists/exists_one, letting an element's error out."""
        return self.build_macro_eval(child)

    def visit(self, tree: Any) -> Any:
        """One step of the budget; a NaN result is an error."""
        self._budget.left -= 1
        if self._budget.left < 0:
            raise BudgetExceededError
        result = super().visit(tree)
        return nan_error() if is_nan(result) else result

    def visit_children(self, tree: Any) -> list[Any]:
        """The children's values, a NaN among them replaced by an error: every value a node
        computes reaches its parent here or through :meth:`visit`, so no operator, function or
        macro ever compares a NaN."""
        values: list[Any] = super().visit_children(tree)
        if any(is_nan(v) for v in values):
            return [nan_error() if is_nan(v) else v for v in values]
        return values

    def mapinits(self, tree: Any) -> Any:
        """A map literal, or the first error among its keys and values."""
        values = self.visit_children(tree)
        for value in values:
            if isinstance(value, CELEvalError):
                return value
        # a repeated key raises ValueError, which cel-python's map_lit turns into an error
        return ct.MapType(list(zip(values[0::2], values[1::2], strict=True)))

    def member_index(self, tree: Any) -> Any:
        """``a[i]``; an erroneous ``a`` or ``i`` is the error itself (cel-python reports "no
        such overload" for indexing it, which hides what went wrong)."""
        values = self.visit_children(tree)
        for value in values:
            if isinstance(value, CELEvalError):
                return value
        member, index = values
        try:
            return self.activation.resolve_function("_[_]")(member, index)
        except TypeError as exc:
            return CELEvalError("no such overload", TypeError, exc.args)
        except KeyError as exc:
            return CELEvalError("no such key", KeyError, exc.args)
        except IndexError as exc:
            return CELEvalError("index out of range", IndexError, exc.args)

    def macro_has_eval(self, exprlist: Any) -> Any:
        """``has(e.f)``: whether map ``e`` has key ``f``; an error in ``e`` is the result."""
        selection = field_selection(exprlist)
        if selection is not None:
            receiver = self.visit(selection.children[0])
            if isinstance(receiver, CELEvalError):
                return receiver
            if isinstance(receiver, ct.MapType):
                return ct.BoolType(ct.StringType(selection.children[1].value) in receiver)
        return super().macro_has_eval(exprlist)
