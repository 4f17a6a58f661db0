"""govgate's CEL function table: strict logic, number-normalising operators, a small library.

**Strict logic.** CEL's ``||``, ``&&`` and ``?:`` absorb errors: ``1/0 > 1 || true`` is true.
For a release gate that turns a runtime error into a pass, so govgate makes them strict: an
error on either side is the result. (Missing evidence never reaches evaluation at all; the gate
reports it as a GAP first. The comprehension macros are made strict in runtime.py.)


cel-python follows the CEL spec strictly: ``1 < 2.0`` and ``1 == 1.0`` raise "no such overload".
Policy authors write ``n >= 500`` against an int and ``upper <= 1`` against a double and expect
both to work, so every comparison and arithmetic operator here promotes a mixed int/double pair
to double before applying the standard operator. Same-type operations are untouched.

**No NaN.** Every comparison with NaN is false, so ``!(x > 0.5)`` is true for a NaN ``x``: a
NaN would pass any negated or ``!=`` rule. A NaN anywhere in an expression is an error
instead: evaluator.py turns every NaN an expression computes or reads into one, and the
comparisons, ``in`` and ``min``/``max`` here also refuse NaN inside the lists and maps they
compare (evidence maps are not scanned when merely passed along). Double division follows
IEEE 754, which cel-python does not: ``x / 0.0`` is infinity with the sign of ``x``
(``-1.0 / 0.0`` is ``-inf``, not ``inf``), and ``0.0 / 0.0`` is NaN, hence an error
(cel-python says ``inf``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import celpy.celtypes as ct
from celpy.evaluation import CELEvalError, base_functions

_INTS = (ct.IntType, ct.UintType)

#: The text of every NaN error; runtime.py shows it as "a value is not a number (NaN)".
NAN_ERROR = "not a number (NaN)"


def is_nan(value: Any) -> bool:
    """``value`` is a float NaN (a CEL double, or a plain float from an arithmetic operator)."""
    return isinstance(value, float) and math.isnan(value)


def has_nan(value: Any) -> bool:
    """``value`` is NaN, or a list or map (keys and values, at any depth) holding one."""
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, list):
        return any(has_nan(v) for v in value)
    if isinstance(value, dict):
        return any(has_nan(k) or has_nan(v) for k, v in value.items())
    return False


def nan_error() -> CELEvalError:
    """The error a NaN becomes (no position: it is reported per expression, not per token)."""
    return CELEvalError(NAN_ERROR, ValueError, None)


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


def _comparison(name: str) -> Callable[[Any, Any], Any]:
    """A comparison that is an error, never false, when either side is or holds a NaN."""
    promoted = _binary(name)

    def apply(a: Any, b: Any) -> Any:
        if has_nan(a) or has_nan(b):
            return nan_error()
        return promoted(a, b)

    apply.__name__ = f"govgate{name}"
    return apply


def _divide(a: Any, b: Any) -> Any:
    """``a / b`` with IEEE 754 doubles: a signed infinity for ``x / 0.0``, NaN (an error) for
    ``0.0 / 0.0``. Ints keep CEL's rule: division by zero is an error."""
    a, b = _promote(a, b)
    if isinstance(a, ct.DoubleType) and isinstance(b, ct.DoubleType) and float(b) == 0.0:
        if float(a) == 0.0 or math.isnan(a):
            return nan_error()
        return ct.DoubleType(math.copysign(math.inf, a) * math.copysign(1.0, b))
    return base_functions["_/_"](a, b)


def _contains(item: Any, container: Any) -> Any:
    """``item in container``: an error when the item, or a list element it is compared with,
    is or holds a NaN (map keys are compared, never map values)."""
    keys = list(container) if isinstance(container, list | dict) else []
    if has_nan(item) or any(has_nan(k) for k in keys):
        return nan_error()
    return base_functions["_in_"](item, container)


def _strict(name: str) -> Callable[..., Any]:
    standard = base_functions[name]

    def apply(*args: Any) -> Any:
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
    """``min``/``max`` of arguments or of one list; a NaN among them is an error (Python's
    ``min`` would silently skip or keep it, depending on where it stands)."""

    def apply(*args: Any) -> Any:
        one_list = len(args) == 1 and isinstance(args[0], ct.ListType)
        values = list(args[0]) if one_list else list(args)
        if not values:
            raise ValueError("min()/max() of nothing")
        if any(has_nan(v) for v in values):
            return nan_error()
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
    **{name: _comparison(name) for name in ("_<_", "_<=_", "_>_", "_>=_", "_==_", "_!=_")},
    **{name: _binary(name) for name in ("_+_", "_-_", "_*_")},
    "_/_": _divide,
    "_in_": _contains,
    **{name: _strict(name) for name in ("_||_", "_&&_", "_?_:_")},
    "abs": _abs,
    "min": _extreme(min),
    "max": _extreme(max),
    "by_group": _by_group,
}
