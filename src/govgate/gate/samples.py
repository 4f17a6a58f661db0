"""How many items would likely settle an inconclusive rule.

A one-sided bound's distance from the point value shrinks like ``1 / sqrt(n)``. If the observed
value held, the bound on the side that decides would reach the threshold at about
``n * (distance / gap)**2`` items, where ``gap`` is how far the value is from the threshold.
This is a planning estimate, stated as such; it is computed only for the structured
shorthands, whose threshold and deciding bound are known.
"""

from __future__ import annotations

import math

from govgate.policy.loader import CompiledRule
from govgate.policy.model import Basis, Direction, RelativeBasis

MAX_ESTIMATE = 10**9

Observed = dict[str, float | int | str | bool | None]


def _needed(
    value: float, lower: float, upper: float, n: int, threshold: float, at_most: bool
) -> int | None:
    """Items for the deciding bound to clear ``threshold`` (value must be <= it if ``at_most``)."""
    if n <= 0 or value == threshold:
        return None
    below = value < threshold
    # at_most: pass needs upper <= T (value below), fail needs lower > T (value above)
    distance = (upper - value) if below == at_most else (value - lower)
    gap = abs(threshold - value)
    if not (math.isfinite(distance) and distance > 0):
        return None
    estimate = math.ceil(n * (distance / gap) ** 2)
    return estimate if n < estimate <= MAX_ESTIMATE else None


def _num(observed: Observed, path: str) -> float | None:
    value = observed.get(path)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _quote(name: str) -> str:
    return f".{name}" if name.isidentifier() else f'["{name}"]'


def samples_needed(rule: CompiledRule, observed: Observed) -> int | None:
    r = rule.rule
    if r.threshold is not None and r.threshold.basis is Basis.BOUND:
        base = f"candidate.stats{_quote(r.threshold.metric)}"
        limit = r.threshold.max if r.threshold.max is not None else r.threshold.min
        at_most = r.threshold.max is not None
        fields = ("value", "lower", "upper", "n")
    elif r.relative is not None and r.relative.basis is RelativeBasis.PAIRED:
        base = f"compare{_quote(r.relative.metric)}"
        margin = r.relative.margin
        if margin is None:
            baseline = _num(observed, f"baseline.stats{_quote(r.relative.metric)}.value")
            if baseline is None or r.relative.margin_ratio is None:
                return None
            margin = r.relative.margin_ratio * baseline
        at_most = r.relative.direction is Direction.LOWER_IS_BETTER
        limit = margin if at_most else -margin
        fields = ("delta", "delta_lower", "delta_upper", "n")
    else:
        return None
    values = [_num(observed, f"{base}.{f}") for f in fields]
    if limit is None or any(v is None for v in values):
        return None
    value, lower, upper, n = (float(v) for v in values)  # type: ignore[arg-type]
    return _needed(value, lower, upper, int(n), float(limit), at_most)
