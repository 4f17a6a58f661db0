"""The closed sets every layer shares, as enums: one definition each, handled exhaustively.

A policy's stage, category and enforcement; a rule's outcome and the release verdict; the
methods a policy may choose for its bounds; the kind of evidence a shorthand decides on. The
values are the strings documents and JSON outputs use, so an enum compares equal to its
string (``StrEnum``) and serialises as it. ``tests/unit/test_terms.py`` touches every member.
"""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    """Evaluation stages a policy can judge."""

    OFFLINE = "offline"
    SHADOW = "shadow"
    CANARY = "canary"


class Category(StrEnum):
    SAFETY = "safety"
    QUALITY = "quality"
    COST = "cost"
    LATENCY = "latency"
    FAIRNESS = "fairness"
    DRIFT = "drift"
    RELIABILITY = "reliability"
    ROLLBACK = "rollback"


class Layer(StrEnum):
    """Where a policy or waiver sits: ``org``, the organisation's baseline, which a ``team``
    document may tighten but never loosen, remove or waive (only an ``org`` waiver can)."""

    ORG = "org"
    TEAM = "team"


class PreregistrationMode(StrEnum):
    """``recorded``: a run whose recorded policy digest differs is flagged in every report.
    ``required``: it is blocked (FAIL), and so is a run that recorded none."""

    RECORDED = "recorded"
    REQUIRED = "required"


class Enforce(StrEnum):
    """``block``: a failure blocks the release. ``warn``: reported, blocks only with
    ``--fail-on-warn``. ``audit``: evaluated and recorded, never blocks."""

    BLOCK = "block"
    WARN = "warn"
    AUDIT = "audit"


class Impact(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


class OnMissing(StrEnum):
    """What a rule becomes when evidence it reads is missing. Never a pass."""

    GAP = "gap"
    FAIL = "fail"


class Basis(StrEnum):
    """``bound``: decide on the one-sided confidence bound from per-item data (pass, fail or
    inconclusive). ``point``: decide on the logged point value (pass or fail, no uncertainty)."""

    BOUND = "bound"
    POINT = "point"


class RelativeBasis(StrEnum):
    """``paired``: candidate - baseline on shared items, with bounds. ``point``: logged values."""

    PAIRED = "paired"
    POINT = "point"


class Direction(StrEnum):
    HIGHER_IS_BETTER = "higher_is_better"
    LOWER_IS_BETTER = "lower_is_better"


class RateMethod(StrEnum):
    """Bounds for rates: exact by default; the others are labelled approximate."""

    CLOPPER_PEARSON = "clopper-pearson"
    APPROXIMATE_WILSON = "approximate-wilson"
    APPROXIMATE_JEFFREYS = "approximate-jeffreys"


class MeanMethod(StrEnum):
    """Bounds for means: valid over a known range by default; the others are labelled
    approximate."""

    BETTING = "betting"
    APPROXIMATE_T = "approximate-t"
    APPROXIMATE_BOOTSTRAP = "approximate-bootstrap"


class Sequential(StrEnum):
    """When bounds are confidence sequences (valid under any number of looks) rather than
    fixed-sample bounds (valid at one look)."""

    CANARY = "canary"  # on the canary stage, which a controller judges again and again
    ALWAYS = "always"  # on every stage
    NEVER = "never"  # fixed-sample everywhere: on a canary, labelled approximate


class Method(StrEnum):
    """How a number was measured, by class: what a policy may require of a rule's evidence
    (``requires: {method: [...]}``) and what every report shows beside a finding."""

    HUMAN = "human"  # labelled by people
    JUDGE = "judge"  # an LLM judge (provider, model, prompt digest, temperature)
    CLASSIFIER = "classifier"  # a trained detector (name and version)
    COMPUTED = "computed"  # computed from the outputs: latency, cost, errors, string metrics
    HEURISTIC = "heuristic"  # a rule of thumb: a term list, a pattern, word overlap
    UNKNOWN = "unknown"  # logged without saying how (a harness of its own, an old run)


class Outcome(StrEnum):
    PASS = "pass"  # the expression holds on the evidence
    FAIL = "fail"  # the violation holds: the evidence shows a breach
    INCONCLUSIVE = "inconclusive"  # neither: the evidence is too weak to show either
    GAP = "gap"  # evidence the rule reads is missing
    ERROR = "error"  # the expression or the evidence is broken: could not decide
    WAIVED = "waived"  # did not pass, and a valid waiver covers it
    SKIPPED = "skipped"  # not for this stage


class Verdict(StrEnum):
    PASS = "PASS"
    WARN = "WARN"
    FAIL = "FAIL"
    ROLLBACK = "ROLLBACK"
    INCONCLUSIVE = "INCONCLUSIVE"


class SubjectKind(StrEnum):
    """What a shorthand rule decides on: a statistic's bound, a paired delta, a fairness gap or
    ratio, or a logged point value."""

    STAT = "stat"
    DELTA = "delta"
    FAIRNESS = "fairness"
    POINT = "point"
