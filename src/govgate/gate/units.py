"""What CEL sees of one unit of evidence: a statistic, a comparison or a fairness summary as a
map of plain values, or why there is none (:class:`Missing`: a GAP; :class:`Invalid`: an
ERROR). An unknown bound is the least helpful value, so it proves nothing.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from govgate.stats.bounds import Estimate
from govgate.stats.compare import Comparison
from govgate.stats.fairness import GroupFairness

#: A run's declaration of its columns' ranges: JSON ``{"score.NAME": [low, high], ...}``.
RANGES_TAG = "govgate.ranges"


@dataclass(frozen=True, slots=True)
class Missing:
    reason: str


@dataclass(frozen=True, slots=True)
class Invalid:
    reason: str


#: the column behind a statistic: (role, values, quantile or None, column name)
Column = tuple[str, Any, float | None, str]
Resolved = Any  # a plain value (float, str, dict, ...), Missing or Invalid


def _bound(value: float | None, side: float) -> float:
    """A bound for CEL: an unknown bound is the least helpful value, so it proves nothing."""
    return side if value is None else float(value)


def estimate_map(e: Estimate) -> dict[str, Any]:
    return {
        "value": float(e.value),
        "n": int(e.n),
        "lower": _bound(e.lower, -math.inf),
        "upper": _bound(e.upper, math.inf),
        "confidence": float(e.confidence),
        "method": e.method,
        "approximate": bool(e.approximate),
        "note": e.note or "",
        "below_minimum": bool(e.below_minimum),
    }


def comparison_map(c: Comparison) -> dict[str, Any]:
    return {
        "delta": float(c.delta),
        "delta_lower": _bound(c.delta_lower, -math.inf),
        "delta_upper": _bound(c.delta_upper, math.inf),
        "rel_delta": float(c.rel_delta) if c.rel_delta is not None else math.nan,
        "p_value": float(c.p_value) if c.p_value is not None else math.nan,
        "n": int(c.n),
        "method": c.method,
        "paired": bool(c.paired),
        "approximate": bool(c.approximate),
        "note": c.note or "",
        "below_minimum": bool(c.below_minimum),
    }


def fairness_map(f: GroupFairness) -> dict[str, Any]:
    return {
        "max_gap": float(f.max_gap),
        "max_gap_lower": _bound(f.max_gap_lower, 0.0),
        "max_gap_upper": _bound(f.max_gap_upper, math.inf),
        "min_ratio": float(f.min_ratio) if f.min_ratio is not None else math.nan,
        "min_ratio_lower": _bound(f.min_ratio_lower, 0.0),
        "min_ratio_upper": _bound(f.min_ratio_upper, 1.0),
        "n_groups": len(f.groups),
        "ratio_defined": bool(f.ratio_defined),
        "worst_group": f.worst_group or "",
        "method": f.method,
        "approximate": bool(f.approximate),
        "note": f.note or "",
        "groups": {
            g.name: {
                "value": float(g.value),
                "n": int(g.n),
                "lower": _bound(g.lower, -math.inf),
                "upper": _bound(g.upper, math.inf),
                "p_value": float(g.p_value) if g.p_value is not None else math.nan,
                "p_value_holm": float(g.p_value_holm) if g.p_value_holm is not None else math.nan,
            }
            for g in f.groups
        },
    }


def declared_ranges(text: str) -> dict[str, tuple[float, float]] | Invalid:
    """Parse a run's ``govgate.ranges`` tag, or say why it cannot be used."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    out: dict[str, tuple[float, float]] = {}
    if isinstance(doc, dict):
        for column, value in doc.items():
            ok = (
                isinstance(value, list)
                and len(value) == 2
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
                and all(math.isfinite(v) for v in value)
                and value[0] < value[1]
            )
            if not ok:
                break
            out[str(column)] = (float(value[0]), float(value[1]))
        else:
            return out
    return Invalid(
        f'the run\'s {RANGES_TAG} tag must be JSON {{"score.NAME": [low, high], ...}} with '
        "finite low < high"
    )
