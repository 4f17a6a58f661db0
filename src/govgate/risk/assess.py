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

import datetime as dt
import math
from enum import StrEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict
from scipy import stats as sps

from govgate.gate.outcome import Decision, RuleResult
from govgate.terms import Category, Enforce, Outcome, SubjectKind, Verdict

RISK_FORMAT: Final = "govgate.risk/v1"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


LEVEL_ORDER = [Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL]

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


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Likelihood(_Frozen):
    probability: float | None
    band: str | None
    basis: str  # how it was computed, or why it could not be


class Finding(_Frozen):
    rule: str  # policy/rule
    title: str | None
    category: str
    enforce: str
    outcome: Outcome
    likelihood: Likelihood
    impact: Level
    impact_source: Literal["declared", "category default"]
    level: Level
    observed: float | None
    lower: float | None  # the one-sided bounds at the rule's confidence, as observed
    upper: float | None
    threshold: float | None
    threshold_kind: str | None
    n: int | None
    confidence: float
    detection: str | None
    time_to_detect: str | None
    mitigation: str | None
    rollback: str | None
    owner: str
    message: str | None
    reason: str
    file: str
    line: int


class ObservabilityGap(_Frozen):
    missing: str
    stops_us_knowing: str
    instrumentation: str
    priority: Literal["P1", "P2", "P3"]
    rules: list[str]
    owners: list[str]


class WaiverDebt(_Frozen):
    name: str
    rule: str
    status: str
    expires: str
    days_left: int | None
    approver: str
    ticket: str


class NextAction(_Frozen):
    priority: Literal["P1", "P2", "P3"]
    what: str
    owner: str


class RiskAssessment(_Frozen):
    format: Literal["govgate.risk/v1"] = RISK_FORMAT
    decision_digest: str
    verdict: str
    level: Level
    level_reason: str
    findings: list[Finding]
    waived: list[Finding]
    gaps: list[ObservabilityGap]
    waiver_debt: list[WaiverDebt]
    next_actions: list[NextAction]


# -- likelihood ---------------------------------------------------------------------------------


def _band(p: float) -> str:
    return next(name for limit, name in BANDS if p < limit)


def _like(p: float | None, basis: str, without: str = "no bound") -> Likelihood:
    if p is None:
        return Likelihood(probability=None, band=None, basis=without)
    return Likelihood(probability=p, band=_band(p), basis=basis)


def _obs(rule: RuleResult) -> dict[str, Any]:
    return {o.path: o.value for o in rule.observed}


def likelihood(rule: RuleResult) -> tuple[Likelihood, dict[str, Any]]:
    """P(true value breaches the threshold | evidence), and the numbers it was computed from."""
    unit, kind = rule.subject, rule.subject_kind
    obs = _obs(rule)
    facts: dict[str, Any] = {}
    if (
        kind == SubjectKind.STAT and unit is not None and rule.threshold is None
    ):  # a custom expression
        facts = {
            "observed": obs.get(f"{unit}.value"),
            "n": obs.get(f"{unit}.n"),
            "lower": obs.get(f"{unit}.lower"),
            "upper": obs.get(f"{unit}.upper"),
        }
    if kind is None or rule.threshold is None:
        return Likelihood(
            probability=None, band=None, basis="custom expression: no likelihood is computed"
        ), facts
    if rule.outcome in (Outcome.GAP, Outcome.ERROR):
        return Likelihood(
            probability=None, band=None, basis="the evidence for it is missing or unusable"
        ), facts
    if kind == SubjectKind.POINT:
        facts = {"observed": obs.get(unit) if unit else None}
        breached = rule.outcome in (Outcome.FAIL,) or (
            rule.waiver is not None and rule.waiver.waived_outcome is Outcome.FAIL
        )
        p = 1.0 if breached else 0.0
        return Likelihood(
            probability=p, band=_band(p), basis="decided on a logged point value: no sampling model"
        ), facts
    assert unit is not None
    threshold = rule.threshold
    z = float(sps.norm.ppf(rule.confidence))
    if kind == SubjectKind.STAT:
        value, n = obs.get(f"{unit}.value"), obs.get(f"{unit}.n")
        lower, upper = obs.get(f"{unit}.lower"), obs.get(f"{unit}.upper")
        method = str(obs.get(f"{unit}.method", ""))
        at_most = bool(rule.at_most)
        bound, bound_kind = (upper, "upper") if at_most else (lower, "lower")
        facts = {"observed": value, "lower": lower, "upper": upper, "n": n}
        if value is None or n is None or threshold is None:
            return Likelihood(probability=None, band=None, basis="no estimate"), facts
        if method in ("clopper-pearson", "approximate-wilson", "approximate-jeffreys"):
            k = round(float(value) * int(n))
            posterior = sps.beta(k + 1, int(n) - k + 1)
            p = float(posterior.sf(threshold) if at_most else posterior.cdf(threshold))
            basis = f"Beta({k} + 1, {int(n) - k} + 1) posterior of the rate, n={int(n)}"
            return Likelihood(probability=p, band=_band(p), basis=basis), facts
        return _like(
            _normal(float(value), bound, threshold, at_most, z),
            f"normal approximation from the {method} bound, n={n}",
            f"no {bound_kind} bound (too few items, n={n})",
        ), facts
    if kind == SubjectKind.DELTA:
        value, n = obs.get(f"{unit}.delta"), obs.get(f"{unit}.n")
        at_most = bool(rule.at_most)
        bound = obs.get(f"{unit}.delta_upper" if at_most else f"{unit}.delta_lower")
        limit = _delta_limit(rule, obs)
        facts = {
            "observed": value,
            "n": n,
            "lower": obs.get(f"{unit}.delta_lower"),
            "upper": obs.get(f"{unit}.delta_upper"),
        }
        if value is None or limit is None:
            return Likelihood(probability=None, band=None, basis="no comparison"), facts
        method = obs.get(f"{unit}.method", "comparison")
        return _like(
            _normal(float(value), bound, limit, at_most, z),
            f"normal approximation from the {method} bound, n={n}",
        ), facts
    # fairness
    name = rule.threshold_kind
    value = obs.get(f"{unit}.{name}")
    at_most = bool(rule.at_most)
    bound = obs.get(f"{unit}.{name}_upper" if at_most else f"{unit}.{name}_lower")
    facts = {
        "observed": value,
        "lower": obs.get(f"{unit}.{name}_lower"),
        "upper": obs.get(f"{unit}.{name}_upper"),
        "n": sum(
            v
            for k, v in obs.items()
            if k.startswith(f"{unit}.groups[") and k.endswith("].n") and isinstance(v, int)
        ),
    }
    if value is None or threshold is None:
        return Likelihood(probability=None, band=None, basis="no fairness estimate"), facts
    return _like(
        _normal(float(value), bound, threshold, at_most, z),
        "normal approximation from the simultaneous group bounds",
    ), facts


def _delta_limit(rule: RuleResult, obs: dict[str, Any]) -> float | None:
    if rule.threshold is None:
        return None
    at_most = bool(rule.at_most)
    margin = rule.threshold
    if rule.threshold_kind == "margin_ratio":
        base = next(
            (v for k, v in obs.items() if k.startswith("baseline.stats") and k.endswith(".value")),
            None,
        )
        if not isinstance(base, int | float):
            return None
        margin = rule.threshold * float(base)
    return margin if at_most else -margin


def _normal(value: float, bound: Any, threshold: float, at_most: bool, z: float) -> float | None:
    """P(true > threshold) (or < for at-least rules) under N(value, se), se from the bound."""
    if not isinstance(bound, int | float) or not math.isfinite(bound) or z <= 0:
        return None
    se = abs(float(bound) - value) / z
    if se == 0:
        breached = value > threshold if at_most else value < threshold
        return 1.0 if breached else 0.0
    zscore = (threshold - value) / se
    return float(sps.norm.sf(zscore) if at_most else sps.norm.cdf(zscore))


# -- assessment ---------------------------------------------------------------------------------


def _impact(rule: RuleResult) -> tuple[Level, Literal["declared", "category default"]]:
    declared = (rule.risk or {}).get("impact")
    if declared:
        return Level(declared), "declared"
    return DEFAULT_IMPACT[Category(rule.category)], "category default"


def _owner(rule: RuleResult) -> str:
    return rule.owner or ", ".join(rule.owners) or "the policy owners"


def finding(rule: RuleResult) -> Finding:
    like, facts = likelihood(rule)
    impact, source = _impact(rule)
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
        threshold=rule.threshold,
        threshold_kind=rule.threshold_kind,
        n=int(facts["n"]) if isinstance(facts.get("n"), int | float) else None,
        confidence=rule.confidence,
        detection=risk.get("detection"),
        time_to_detect=risk.get("time_to_detect"),
        mitigation=risk.get("mitigation"),
        rollback=risk.get("rollback"),
        owner=_owner(rule),
        message=rule.message,
        reason=rule.reason,
        file=rule.file,
        line=rule.line,
    )


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


_INSTRUMENT = {
    "stats": "log a per-item column rate.{name} or score.{name} in govgate/items.parquet "
    "(govgate eval run writes it)",
    "metrics": "log the metric {name} on the run (mlflow.log_metric)",
    "compare": "log per-item {name} for the candidate and the baseline, with shared item_id values",
    "fairness": "log the group column and per-item {name}, with at least the minimum number "
    "of items in every group",
    "baseline": "pass --baseline (the champion's run or alias)",
    "params": "log the param {name} (and not under a secret-looking name)",
    "tags": "log the tag {name} (and allow-list it)",
}


def _gap_parts(missing: str) -> tuple[str, str, str]:
    """(unit, reason, instrumentation) from a rule's ``missing`` entry."""
    unit, _, reason = missing.partition(": ")
    root, *rest = unit.replace('"', "").replace("[", ".").replace("]", "").split(".")
    if "no baseline" in reason or "no candidate run" in reason:
        return unit, reason, _INSTRUMENT["baseline"]
    if root == "fairness":
        return unit, reason, _INSTRUMENT["fairness"].format(name=rest[-1] if rest else "metric")
    if root == "compare":
        return unit, reason, _INSTRUMENT["compare"].format(name=rest[0] if rest else "metric")
    section = rest[0] if rest else "metrics"
    name = rest[1] if len(rest) > 1 else "?"
    template = _INSTRUMENT.get(section, "log the missing evidence on the run")
    return unit, reason, template.format(name=name)


def _priority(rule: RuleResult, impact: Level) -> Literal["P1", "P2", "P3"]:
    if rule.enforce is not Enforce.BLOCK:
        return "P3"
    return "P1" if impact in (Level.HIGH, Level.CRITICAL) else "P2"


def _gap_entry(by_unit: dict[str, dict[str, Any]], missing: str) -> dict[str, Any]:
    """The gap for the evidence unit ``missing`` names, created on first sight (P3)."""
    unit, reason, how = _gap_parts(missing)
    return by_unit.setdefault(
        unit,
        {"reason": reason, "how": how, "rules": [], "knowing": [], "priority": "P3", "owners": []},
    )


def gaps_of(decision: Decision) -> list[ObservabilityGap]:
    by_unit: dict[str, dict[str, Any]] = {}
    for rule in decision.rules:
        if rule.outcome is not Outcome.GAP and not (rule.outcome is Outcome.FAIL and rule.missing):
            continue
        impact, _ = _impact(rule)
        for missing in rule.missing:
            entry = _gap_entry(by_unit, missing)
            entry["rules"].append(rule.key)
            entry["owners"].append(_owner(rule))
            entry["knowing"].append(rule.title or f"whether {rule.key} holds")
            entry["priority"] = min(entry["priority"], _priority(rule, impact))
    for gap in decision.expected_gaps:
        entry = _gap_entry(by_unit, f"{gap.path}: {gap.reason}")
        entry["rules"].append(f"{gap.policy} (expects)")
        entry["knowing"].append(f"evidence policy {gap.policy} expects on every run")
        entry["owners"].extend(gap.owners)
        entry["priority"] = min(entry["priority"], "P2")  # a policy asked for it on every run
    return [
        ObservabilityGap(
            missing=f"{unit} ({entry['reason']})",
            stops_us_knowing="; ".join(dict.fromkeys(entry["knowing"])),
            instrumentation=entry["how"],
            priority=entry["priority"],
            rules=sorted(set(entry["rules"])),
            owners=list(dict.fromkeys(entry["owners"])),
        )
        for unit, entry in sorted(by_unit.items(), key=lambda kv: (kv[1]["priority"], kv[0]))
    ]


def _debt(decision: Decision) -> list[WaiverDebt]:
    now = dt.datetime.fromisoformat(decision.decided_at.replace("Z", "+00:00"))
    from govgate.policy.model import expiry_instant

    out = []
    for w in decision.waivers:
        days = math.floor((expiry_instant(w.expires) - now).total_seconds() / 86400)
        out.append(
            WaiverDebt(
                name=w.name,
                rule=f"{w.policy}/{w.rule}",
                status=w.status,
                expires=w.expires,
                days_left=days,
                approver=w.approver,
                ticket=w.ticket,
            )
        )
    return out


def _actions(
    findings: list[Finding],
    gaps: list[ObservabilityGap],
    debt: list[WaiverDebt],
    decision: Decision,
) -> list[NextAction]:
    actions: list[NextAction] = []
    samples = {r.key: r.samples_needed for r in decision.rules}
    for f in findings:
        blocking = f.enforce == Enforce.BLOCK
        if f.outcome in (Outcome.FAIL, Outcome.ERROR):
            fix = f.mitigation or (
                "fix the expression"
                if f.outcome is Outcome.ERROR
                else "fix the cause before releasing"
            )
            if f.category == Category.ROLLBACK and decision.verdict is Verdict.ROLLBACK:
                fix = f.rollback or fix
            actions.append(
                NextAction(
                    priority="P1" if blocking else "P2",
                    what=f"{f.title or f.rule} ({f.rule}): {fix}",
                    owner=f.owner,
                )
            )
        elif f.outcome is Outcome.INCONCLUSIVE:
            more = samples.get(f.rule)
            how = f"evaluate about {more:,} items in all" if more else "collect more evidence"
            actions.append(
                NextAction(
                    priority="P2" if blocking else "P3",
                    what=f"{f.title or f.rule} ({f.rule}) is not settled: {how}",
                    owner=f.owner,
                )
            )
    for g in gaps:
        actions.append(
            NextAction(
                priority=g.priority,
                what=f"Instrument {g.missing.split(' (')[0]}: {g.instrumentation} "
                f"(for {', '.join(g.rules)})",
                owner=", ".join(g.owners),
            )
        )
    for d in debt:
        if d.status == "applied" and d.days_left is not None and d.days_left <= 14:
            actions.append(
                NextAction(
                    priority="P2",
                    what=f"Waiver {d.name} ({d.ticket}) for "
                    f"{d.rule} expires in {d.days_left} days: fix or renew it",
                    owner=d.approver,
                )
            )
        elif d.status == "expired":
            actions.append(
                NextAction(
                    priority="P3",
                    what=f"Remove expired waiver {d.name} ({d.ticket})",
                    owner=d.approver,
                )
            )
    order = {"P1": 0, "P2": 1, "P3": 2}
    return sorted(actions, key=lambda a: order[a.priority])


def assess(decision: Decision) -> RiskAssessment:
    """The risk assessment of a decision. Pure: the decision is all it reads."""
    shortfalls = (Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.GAP, Outcome.ERROR)
    findings = [finding(r) for r in decision.rules if r.outcome in shortfalls]
    waived = [finding(r) for r in decision.rules if r.outcome is Outcome.WAIVED]
    gaps = gaps_of(decision)
    debt = _debt(decision)
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
        next_actions=_actions(findings, gaps, debt, decision),
    )
