"""Risk assessment: a Decision -> findings, observability gaps, waiver debt, next actions.

Nothing is invented. Likelihood is the probability, given the evidence, that the true value
breaches the rule's threshold:

* rates: exact, from the Beta(k + 1, n - k + 1) posterior (uniform prior) of the rate;
* means, percentiles, paired deltas, fairness gaps: a normal approximation whose spread is read
  off the rule's own one-sided bound (``(bound - value) / z``), stated as such;
* rules decided on a logged point value: 1 when it breached, 0 when not (no sampling model);
* custom CEL expressions and rules without the data: no likelihood, and the finding says so.

Impact is the rule's declared ``risk.impact``, else a documented default for its category. The
risk level comes from the likelihood x impact matrix below; a finding with no likelihood is
rated at its impact (the worst the evidence cannot rule out). The release's level is the worst
level among blocking and warning findings.
"""

from __future__ import annotations

from typing import Any

from govgate.gate.outcome import Decision, RuleResult
from govgate.risk.actions import next_actions, waiver_debt
from govgate.risk.gaps import gaps_of, owner_of
from govgate.risk.likelihood import likelihood
from govgate.risk.matrix import MATRIX, impact_of
from govgate.risk.model import LEVEL_ORDER, Finding, Level, RiskAssessment
from govgate.terms import Enforce, Outcome


def finding(rule: RuleResult) -> Finding:
    like, facts = likelihood(rule)
    impact, source = impact_of(rule)
    level = MATRIX[like.band][impact] if like.band else impact  # unknown: rated at its impact
    risk = rule.risk or {}
    return Finding(
        rule=rule.key,
        title=rule.title,
        category=rule.category,
        enforce=rule.enforce,
        outcome=rule.outcome,
        likelihood=like,
        impact=impact,
        impact_source=source,
        level=level,
        observed=_number(facts.get("observed")),
        lower=_number(facts.get("lower")),
        upper=_number(facts.get("upper")),
        threshold=rule.subject.threshold if rule.subject else None,
        threshold_kind=rule.subject.threshold_kind if rule.subject else None,
        n=int(facts["n"]) if isinstance(facts.get("n"), int | float) else None,
        confidence=rule.confidence,
        detection=risk.get("detection"),
        time_to_detect=risk.get("time_to_detect"),
        mitigation=risk.get("mitigation"),
        rollback=risk.get("rollback"),
        owner=owner_of(rule),
        message=rule.message,
        reason=rule.reason,
        file=rule.file,
        line=rule.line,
    )


def assess(decision: Decision) -> RiskAssessment:
    """The risk assessment of a decision. Pure: the decision is all it reads."""
    shortfalls = (Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.GAP, Outcome.ERROR)
    findings = [finding(r) for r in decision.rules if r.outcome in shortfalls]
    waived = [finding(r) for r in decision.rules if r.outcome is Outcome.WAIVED]
    gaps = gaps_of(decision)
    debt = waiver_debt(decision)
    deciding = [f for f in findings if f.enforce in (Enforce.BLOCK, Enforce.WARN)]
    if deciding:
        worst = max(deciding, key=lambda f: LEVEL_ORDER.index(f.level))
        level, why = worst.level, f"worst finding: {worst.rule} ({worst.level.value})"
    else:
        level, why = Level.LOW, "no blocking or warning rule fell short"
    return RiskAssessment(
        decision_digest=decision.digest(),
        verdict=decision.verdict.value,
        level=level,
        level_reason=why,
        findings=findings,
        waived=waived,
        gaps=gaps,
        waiver_debt=debt,
        next_actions=next_actions(findings, gaps, debt, decision),
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
