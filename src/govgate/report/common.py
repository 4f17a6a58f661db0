"""What every human report says the same way: the headline, the recommendation, the numbers.

Wording is plain and exact: numbers carry their confidence and sample size, and no report says
more than the decision shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from govgate.gate.engine import APPROXIMATE_LABEL
from govgate.gate.outcome import Decision, RuleResult
from govgate.policy.compiled import NO_SUBJECT
from govgate.risk.model import Finding, RiskAssessment
from govgate.terms import Enforce, Outcome, Verdict

VERDICT_WORDS = {
    Verdict.PASS: "PASS",
    Verdict.WARN: "PASS WITH WARNINGS",
    Verdict.FAIL: "BLOCKED",
    Verdict.ROLLBACK: "ROLLBACK",
    Verdict.INCONCLUSIVE: "INCONCLUSIVE",
}

RECOMMENDATIONS = {
    Verdict.PASS: "Release: every blocking rule passed on this evidence.",
    Verdict.WARN: "Release is allowed; review the warnings below before or soon after it.",
    Verdict.FAIL: "Do not release: resolve the blocking failures below.",
    Verdict.ROLLBACK: "Roll back the canary now: rollback criteria failed on live traffic.",
    Verdict.INCONCLUSIVE: "Do not release yet: collect the missing or additional evidence below "
    "and run the gate again.",
}

#: outcomes of a rule that fell short of a pass (waived and skipped rules did not)
SHORT = (Outcome.FAIL, Outcome.ERROR, Outcome.GAP, Outcome.INCONCLUSIVE)

OUTCOME_ORDER = [
    Outcome.FAIL,
    Outcome.ERROR,
    Outcome.GAP,
    Outcome.INCONCLUSIVE,
    Outcome.WAIVED,
    Outcome.PASS,
    Outcome.SKIPPED,
]


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word if n == 1 else (words or word + 's')}"


def headline(decision: Decision, risk: RiskAssessment) -> str:
    """One high-signal line: verdict, blocking findings, gaps, overall risk."""
    blocking = [r for r in decision.rules if r.enforce is Enforce.BLOCK]
    failures = sum(r.outcome in (Outcome.FAIL, Outcome.ERROR) for r in blocking)
    unsettled = sum(r.outcome is Outcome.INCONCLUSIVE for r in blocking)
    parts = [f"Release decision: {VERDICT_WORDS[decision.verdict]}"]
    parts.append(plural(failures, "blocking failure"))
    if unsettled:
        parts.append(plural(unsettled, "inconclusive blocking rule"))
    parts.append(plural(len(risk.gaps), "observability gap"))
    warned = sum(
        r.enforce is Enforce.WARN
        and r.outcome not in (Outcome.PASS, Outcome.SKIPPED, Outcome.WAIVED)
        for r in decision.rules
    )
    if warned:
        parts.append(plural(warned, "warning"))
    waived = sum(r.outcome is Outcome.WAIVED for r in decision.rules)
    if waived:
        parts.append(f"{waived} waived")
    parts.append(f"Risk: {risk.level.value.capitalize()}")
    return " | ".join(parts)


def preregistration(decision: Decision) -> str:
    """Whether the criteria applied are those the evaluation run recorded before scoring."""
    p = decision.preregistration
    if p is None or p.status == "not-recorded":
        return "Pre-registration: not recorded (the evaluation run carries no policy digest)"
    if p.status == "match":
        return "Pre-registration: the policies applied are those recorded before scoring"
    return (
        f"Pre-registration: the policies CHANGED after the evaluation was scored (recorded "
        f"{(p.recorded or '')[:12]}, applied {p.applied[:12]})"
    )


def looks_line(decision: Decision) -> str | None:
    """How many times this canary has been judged, and what that does to the bounds."""
    looks = decision.looks
    if looks is None:
        return None
    before = (
        "the first recorded on its run"
        if looks.previous == 0
        else f"{looks.previous} recorded before it on its run"
    )
    how = (
        "every bound is a confidence sequence, valid under any number of looks"
        if looks.sequential
        else "bounds are fixed-sample (statistics.sequential: never): repeated looks inflate "
        "their error"
    )
    return f"Looks: look {looks.number} at this canary ({before}); {how}"


def num(value: float | int | None, digits: int = 4) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return f"{value:,}"
    if not math.isfinite(value):
        return "unbounded"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e6):
        return f"{value:.{digits - 1}e}"
    return f"{value:.{digits}g}"


def pct(value: float | None) -> str:
    """A probability, never rounded to a certainty it does not have."""
    if value is None:
        return "n/a"
    if 0.999 < value < 1.0:
        return "> 99.9%"
    if 0.0 < value < 0.001:
        return "< 0.1%"
    return f"{value:.1%}"


@dataclass(frozen=True)
class Row:
    """One rule as a report table row: every cell comes from the decision or the risk."""

    rule: str
    category: str
    enforce: str
    outcome: str
    observed: str
    bound: str
    threshold: str
    likelihood: str
    impact: str
    level: str


def row(rule: RuleResult, finding: Finding | None) -> Row:
    sub = rule.subject or NO_SUBJECT
    observed = bound = "n/a"
    if finding is not None:
        observed = num(finding.observed)
        if finding.n is not None and finding.observed is not None:
            observed += f" (n={finding.n:,})"
        if finding.lower is not None or finding.upper is not None:
            bound = (
                f"{num(finding.lower)} to {num(finding.upper)} ({finding.confidence:.0%} one-sided)"
            )
    elif sub.path:
        values = {o.path: o.value for o in rule.observed}
        key = {"delta": "delta", "fairness": sub.threshold_kind or "value"}.get(
            sub.kind or "", "value"
        )
        value = values.get(f"{sub.path}.{key}", values.get(sub.path))
        n = values.get(f"{sub.path}.n")
        if isinstance(value, int | float) and not isinstance(value, bool):
            observed = num(float(value)) + (f" (n={int(n):,})" if isinstance(n, int) else "")
    if rule.approximate:
        bound += f" ({APPROXIMATE_LABEL})"
    threshold = (
        f"{sub.threshold_kind} {num(sub.threshold)}" if sub.threshold is not None else "custom"
    )
    likelihood = "n/a"
    if finding is not None:
        p = finding.likelihood.probability
        likelihood = pct(p) if p is not None else "unknown"
    return Row(
        rule=rule.key,
        category=rule.category,
        enforce=rule.enforce,
        outcome=rule.outcome.value,
        observed=observed,
        bound=bound,
        threshold=threshold,
        likelihood=likelihood,
        impact=finding.impact.value if finding else "",
        level=finding.level.value if finding else "",
    )


def annotation_text(rule: RuleResult) -> str:
    """One line for an annotation: the rule's message (else its reason), and the approximate
    label when its bounds came from an approximate opt-in, which the reason carries already."""
    if rule.message is None:
        return rule.reason
    if rule.approximate:
        return f"{rule.message} ({APPROXIMATE_LABEL})"
    return rule.message


def findings_by_rule(risk: RiskAssessment) -> dict[str, Finding]:
    return {f.rule: f for f in (*risk.findings, *risk.waived)}


def ordered(decision: Decision) -> list[RuleResult]:
    return sorted(decision.rules, key=lambda r: (OUTCOME_ORDER.index(r.outcome), r.key))
