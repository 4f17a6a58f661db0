"""Risk assessment: a Decision -> findings, observability gaps, waiver debt, next actions.

Nothing is invented. Likelihood is the probability, given the evidence, that the true value
breaches the rule's threshold:

* rates: exact, from the Beta(k + 1, n - k + 1) posterior (uniform prior) of the rate;
* means, percentiles, paired deltas, fairness gaps: a normal approximation whose spread is read
  off the rule's own one-sided bound (``(bound - value) / z``), stated as such;
* rules decided on a logged point value: 1 when it breached, 0 when not (no sampling model);
* custom CEL expressions and rules without the data: no likelihood, and the finding says so.

Impact is the rule's declared ``risk.impact``, else a documented default for its category. The
risk level comes from the likelihood x impact matrix below. A finding with no likelihood is
rated at its impact only when it failed (the breach is on the evidence); otherwise (evidence
missing, unusable, or no event observed to estimate from) its level is ``unknown``, never the
impact dressed as a risk. The release's level is the worst known level among blocking and
warning findings; ``unknown`` when none is known and some finding's is not.
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
    if like.band is not None:
        level = MATRIX[like.band][impact]
    else:  # a breach on the evidence is rated at its impact; anything else is not known
        level = impact if rule.outcome is Outcome.FAIL else Level.UNKNOWN
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
    known = [f for f in deciding if f.level is not Level.UNKNOWN]
    unknown = len(deciding) - len(known)
    if known:
        worst = max(known, key=lambda f: LEVEL_ORDER.index(f.level))
        level, why = worst.level, f"worst finding: {worst.rule} ({worst.level.value})"
        if unknown:
            why += f"; {unknown} more of unknown risk"
    elif deciding:
        level = Level.UNKNOWN
        why = (
            f"{len(deciding)} finding{'s' if len(deciding) != 1 else ''} of unknown risk: the "
            "evidence cannot say how likely a breach is"
        )
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
