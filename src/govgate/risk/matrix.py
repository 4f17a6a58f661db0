"""Levels from likelihood and impact: the bands, the matrix and the impact defaults by category."""

from __future__ import annotations

import math
from typing import Final, Literal

from govgate.gate.outcome import RuleResult
from govgate.risk.model import Level
from govgate.terms import Category

#: Impact when a rule declares none, by category.
DEFAULT_IMPACT: Final[dict[Category, Level]] = {
    Category.SAFETY: Level.HIGH,
    Category.FAIRNESS: Level.HIGH,
    Category.ROLLBACK: Level.HIGH,
    Category.QUALITY: Level.MEDIUM,
    Category.LATENCY: Level.MEDIUM,
    Category.COST: Level.MEDIUM,
    Category.RELIABILITY: Level.MEDIUM,
    Category.DRIFT: Level.LOW,
}


#: Likelihood bands: (upper limit, name). Probability p falls in the first band with p < limit.
BANDS: Final = [
    (0.05, "rare"),
    (0.25, "unlikely"),
    (0.60, "possible"),
    (0.90, "likely"),
    (math.inf, "almost certain"),
]


#: The risk matrix: MATRIX[band][impact] -> level.
MATRIX: Final[dict[str, dict[Level, Level]]] = {
    "rare": {
        Level.LOW: Level.LOW,
        Level.MEDIUM: Level.LOW,
        Level.HIGH: Level.MEDIUM,
        Level.CRITICAL: Level.MEDIUM,
    },
    "unlikely": {
        Level.LOW: Level.LOW,
        Level.MEDIUM: Level.MEDIUM,
        Level.HIGH: Level.MEDIUM,
        Level.CRITICAL: Level.HIGH,
    },
    "possible": {
        Level.LOW: Level.MEDIUM,
        Level.MEDIUM: Level.MEDIUM,
        Level.HIGH: Level.HIGH,
        Level.CRITICAL: Level.CRITICAL,
    },
    "likely": {
        Level.LOW: Level.MEDIUM,
        Level.MEDIUM: Level.HIGH,
        Level.HIGH: Level.HIGH,
        Level.CRITICAL: Level.CRITICAL,
    },
    "almost certain": {
        Level.LOW: Level.MEDIUM,
        Level.MEDIUM: Level.HIGH,
        Level.HIGH: Level.CRITICAL,
        Level.CRITICAL: Level.CRITICAL,
    },
}


def band(p: float) -> str:
    return next(name for limit, name in BANDS if p < limit)


def impact_of(rule: RuleResult) -> tuple[Level, Literal["declared", "category default"]]:
    declared = (rule.risk or {}).get("impact")
    if declared:
        return Level(declared), "declared"
    return DEFAULT_IMPACT[Category(rule.category)], "category default"
