"""govgate's CEL function table: strict logic, number-normalising operators, a small library.

**Strict logic.** CEL's ``||``, ``&&`` and ``?:`` absorb errors: ``1/0 > 1 || true`` is true.
For a release gate that turns a runtime error into a pass, so govgate makes them strict: an
error on either side is the result. (Missing evidence never reaches evaluation at all; the gate
reports it as a GAP first. The comprehension macros are made strict in runtime.py.)


cel-python follows the CEL spec strictly: ``1 < 2.0`` and ``1 == 1.0`` raise "no such overload".
Policy authors write ``n >= 500`` against an int and ``upper <= 1`` against a double and expect
both to work, so every comparison and arithmetic operator here promotes a mixed int/double pair
to double before applying the standard operator. Same-type operations are untouched.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import celpy.celtypes as ct
from celpy.evaluation import base_functions

_INTS = (ct.IntType, ct.UintType)


def _promote(a: Any, b: Any) -> tuple[Any, Any]:
    if isinstance(a, ct.BoolType) or isinstance(b, ct.BoolType):
        return a, b
    if isinstance(a, ct.DoubleType) and isinstance(b, _INTS):
        return a, ct.DoubleType(float(b))
    if isinstance(b, ct.DoubleType) and isinstance(a, _INTS):
        return ct.DoubleType(float(a)), b
    return a, b


def _binary(name: str) -> Callable[[Any, Any], Any]:
    standard = base_functions[name]

    def apply(a: Any, b: Any) -> Any:
        a, b = _promote(a, b)
        return standard(a, b)

    apply.__name__ = f"govgate{name}"
    return apply


def _strict(name: str) -> Callable[..., Any]:
    standard = base_functions[name]

    def apply(*args: Any) -> Any:
        from celpy.evaluation import CELEvalError

        for value in args:
            if isinstance(value, CELEvalError):
                return value
        return standard(*args)

    apply.__name__ = f"govgate_strict{name}"
    return apply


def _abs(x: Any) -> Any:
    if isinstance(x, ct.DoubleType):
        return ct.DoubleType(abs(float(x)))
    if isinstance(x, ct.IntType):
        return ct.IntType(abs(int(x)))
    raise TypeError(f"abs() needs a number, not {type(x).__name__}")


def _extreme(pick: Callable[..., Any]) -> Callable[..., Any]:
    def apply(*args: Any) -> Any:
        one_list = len(args) == 1 and isinstance(args[0], ct.ListType)
        values = list(args[0]) if one_list else list(args)
        if not values:
            raise ValueError("min()/max() of nothing")
        if any(isinstance(v, ct.DoubleType) for v in values):
            return ct.DoubleType(pick(float(v) for v in values))
        return pick(values)

    return apply


def _by_group(fairness: Any, column: Any) -> Any:
    """``fairness.by_group("COL")``: the fairness evidence for one group column."""
    if not isinstance(fairness, ct.MapType):
        raise TypeError("by_group() applies to fairness evidence")
    return fairness[ct.StringType(column)]


#: The function table passed to every program. Built once, never mutated.
FUNCTIONS: dict[str, Callable[..., Any]] = {
    **{name: _binary(name) for name in ("_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_")},
    **{name: _binary(name) for name in ("_+_", "_-_", "_*_", "_/_")},
    **{name: _strict(name) for name in ("_||_", "_&&_", "_?_:_")},
    "abs": _abs,
    "min": _extreme(min),
    "max": _extreme(max),
    "by_group": _by_group,
}
