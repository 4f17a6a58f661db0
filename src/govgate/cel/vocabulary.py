"""The evidence vocabulary: every name a policy expression may refer to.

This is the contract between policies (which reference evidence) and the evidence layer (which
provides it). The linter checks references against it at load time, so a typo such as
``candidate.stat.toxicity`` is an error with file:line, not a GAP discovered in CI.

Metric, param and tag *names* are free-form (any name a run logged); the structure around them
is fixed.
"""

from __future__ import annotations

import re
from typing import Final

from govgate.durations import DURATION_BODY

#: Top-level names, as DESIGN.md defines them.
ROOTS: Final = frozenset(
    {"candidate", "baseline", "compare", "fairness", "variables", "stage", "now"}
)

#: Roots whose references are evidence: the gate checks they exist before evaluating a rule.
EVIDENCE_ROOTS: Final = frozenset({"candidate", "baseline", "compare", "fairness"})

#: How many path segments name one unit of evidence: ``candidate.stats.NAME`` (2),
#: ``compare.NAME`` (1), ``fairness.by_group("COL").stats.NAME`` (4). The gate checks that each
#: unit a rule reads exists before it evaluates the rule, so the names *up to* the unit must be
#: literals; keys below it (``...stats.acc.groups[g]``) may be dynamic.
UNIT_DEPTH: Final = {"candidate": 2, "baseline": 2, "compare": 1, "fairness": 4}

#: Sections of ``candidate`` / ``baseline``. ``None`` marks a section keyed by a free-form name.
RUN_SECTIONS: Final[dict[str, frozenset[str] | None]] = {
    "metrics": None,
    "stats": None,
    "params": None,
    "tags": None,
    "run": frozenset({"id", "experiment_id", "status", "start_time", "end_time", "stage"}),
    "model": frozenset({"name", "version", "alias", "digest"}),
    "dataset": frozenset({"name", "digest", "n"}),
    "slo": None,  # candidate.slo.NAME.FIELD: an SLO the policy defines (spec.slos)
    "history": None,  # candidate.history.NAME: a metric's logged points
}

#: Sections whose first key is a name that must be given (``candidate.slo.NAME``): the unit.
NAMED_SECTIONS: Final = frozenset({"slo", "history"})

#: Fields of ``*.slo.NAME`` that do not name a window (see policies/README.md, "SLOs").
SLO_FIELDS: Final = frozenset(
    {
        "objective",
        "window_seconds",
        "min_events",
        "events",
        "bad_events",
        "error_rate",
        "burn_rate",
        "budget_remaining",
        "coverage",
        "span_seconds",
        "start",
        "end",
        "truncated",
        "source",
        "method",
    }
)

#: Fields of ``*.slo.NAME`` measured over a window ending at the newest event:
#: ``burn_rate_1h``, ``error_rate_5m``, ``events_6h``, ``bad_events_3d``.
SLO_WINDOW_FIELDS: Final = ("burn_rate", "error_rate", "events", "bad_events")
_WINDOWED = re.compile(rf"^(?P<field>{'|'.join(SLO_WINDOW_FIELDS)})_(?P<window>{DURATION_BODY})$")
_WINDOWED_LOOSE = re.compile(rf"^(?P<field>{'|'.join(SLO_WINDOW_FIELDS)})_(?P<window>.*)$")


def slo_window(field: str) -> str | None:
    """The window a windowed SLO field names (``burn_rate_1h`` -> ``1h``), else None."""
    match = _WINDOWED.fullmatch(field)
    return match["window"] if match else None


def slo_window_attempt(field: str) -> str | None:
    """What follows a windowed field's prefix (``burn_rate_5x`` -> ``5x``), whether or not it is
    a duration: for an error that says which part is wrong."""
    match = _WINDOWED_LOOSE.fullmatch(field)
    return match["window"] if match else None


#: Fields of ``*.stats.NAME``: the point value, sample size and one-sided bounds.
STAT_FIELDS: Final = frozenset(
    {"value", "n", "lower", "upper", "confidence", "method", "approximate"}
)

#: Fields of ``compare.NAME``: paired (or named unpaired fallback) candidate - baseline.
COMPARE_FIELDS: Final = frozenset(
    {
        "delta",
        "delta_lower",
        "delta_upper",
        "rel_delta",
        "p_value",
        "n",
        "method",
        "paired",
        "approximate",
    }
)

#: Fields of ``fairness.by_group("COL").stats.NAME``.
FAIRNESS_FIELDS: Final = frozenset(
    {
        "max_gap",
        "max_gap_lower",
        "max_gap_upper",
        "min_ratio",
        "min_ratio_lower",
        "min_ratio_upper",
        "n_groups",
        "worst_group",
        "groups",
        "method",
        "approximate",
    }
)

#: Comprehension macros; their nesting is limited.
MACROS: Final = frozenset({"all", "exists", "exists_one", "map", "filter"})

#: Global functions an expression may call (CEL standard, plus govgate's small library).
GLOBAL_FUNCTIONS: Final = frozenset(
    {
        # CEL standard
        "size", "has", "int", "uint", "double", "string", "bool", "duration", "timestamp",
        "type", "dyn", "matches",
        # govgate library (cel/functions.py)
        "abs", "min", "max",
    }
)  # fmt: skip

#: Methods an expression may call on a value.
METHODS: Final = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches",
        "getDate", "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getFullYear", "getMonth",
        "getHours", "getMilliseconds", "getMinutes", "getSeconds",
        "by_group",
    }
    | MACROS
)  # fmt: skip


def describe(names: frozenset[str] | set[str]) -> str:
    return ", ".join(sorted(names))
