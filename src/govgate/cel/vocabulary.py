"""The evidence vocabulary: every name a policy expression may refer to.

This is the contract between policies (which reference evidence) and the evidence layer (which
provides it). The linter checks references against it at load time, so a typo such as
``candidate.stat.toxicity`` is an error with file:line, not a GAP discovered in CI.

Metric, param and tag *names* are free-form (any name a run logged); the structure around them
is fixed.
"""

from __future__ import annotations

from typing import Final

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
}

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
