"""What every human report says the same way: the headline, the recommendation, the numbers.

Wording is plain and exact: numbers carry their confidence and sample size, and no report says
more than the decision shows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from govgate.gate.engine import APPROXIMATE_LABEL
from govgate.gate.outcome import Decision, Observation, RuleResult
from govgate.policy.compiled import NO_SUBJECT
from govgate.risk.model import Finding, RiskAssessment
from govgate.terms import Enforce, Outcome, SubjectKind, Verdict

#: the one vocabulary of every output: the verdict as ``verify``, MLflow tags and JUnit say it
VERDICT_WORDS = {v: v.value for v in Verdict}

RECOMMENDATIONS = {
    Verdict.PASS: "Release: every blocking rule passed on this evidence.",
    Verdict.WARN: "Release is allowed; review the warnings below before or soon after it.",
    Verdict.FAIL: "Do not release: resolve the blocking failures below.",
    Verdict.ROLLBACK: "Roll back the canary now: rollback criteria failed on live traffic.",
    Verdict.INCONCLUSIVE: "Do not release yet: collect the missing or additional evidence below "
    "and run the gate again.",
}
#: a WARN the caller made blocking (``--fail-on-warn``): the exit code says do not release
WARN_BLOCKING = "Do not release: warnings block this release (--fail-on-warn); resolve them below."
#: the rules let the release through, and a policy requires approvals it lacks
AWAITING = (
    "Do not release yet: the rules let it through, and it awaits the approvals below "
    "(govgate approve the bundle, then run the gate again with --approvals)."
)


def recommendation(decision: Decision) -> str:
    """What to do, agreeing with the exit code (a WARN under ``--fail-on-warn`` blocks)."""
    if decision.verdict is Verdict.WARN and decision.fail_on_warn:
        return WARN_BLOCKING
    if decision.verdict_code == "approval.awaiting":
        return AWAITING
    return RECOMMENDATIONS[decision.verdict]


def verdict_line(decision: Decision) -> str:
    """The verdict and the exit code it means: ``FAIL (exit 4)``, ``WARN (exit 4,
    --fail-on-warn)``. Every output states it, so none can disagree with the exit code."""
    code = int(decision.exit_code)
    blocked = decision.verdict is Verdict.WARN and decision.fail_on_warn
    return f"{VERDICT_WORDS[decision.verdict]} (exit {code}{', --fail-on-warn' if blocked else ''})"


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
    parts = [f"Release decision: {verdict_line(decision)}"]
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


def governance_line(decision: Decision) -> str | None:
    """Which policies govern this candidate (their selectors), when any does not."""
    if all(p.selected for p in decision.policies):
        return None
    chosen = [p.policy for p in decision.policies if p.selected]
    others = [p.policy for p in decision.policies if not p.selected]
    return (
        f"Policies: {', '.join(chosen) or 'none'} govern this candidate; "
        f"{', '.join(others)} do{'es' if len(others) == 1 else ''} not (their selectors)"
    )


def approval_lines(decision: Decision) -> list[str]:
    """The approvals the policies require and who counted (the first line), then each approval
    document given: counted, or why not, with its comment. Empty when none was required or
    given. (Plain text: each renderer escapes it its own way.)"""
    state = decision.approvals
    if state is None or not (state.required or state.documents):
        return []
    needs = [
        f"{r.role} {len(r.approvers)} of {r.count} ({', '.join(r.approvers) or 'none yet'}; "
        f"required by {r.policy})"
        for r in state.required
    ] or ["none required"]
    counted = sum(d.status == "counted" for d in state.documents)
    given = f"{plural(len(state.documents), 'approval')} given, {counted} counted"
    lines = [f"Approvals: {'; '.join(needs)}; {given}"]
    for d in state.documents:
        who = d.signer or (f"claims {d.approver}" if d.approver else "signer unknown")
        line = f"{d.status}: {d.file} ({d.role or 'no role'}, {who}): {d.reason}"
        lines.append(line + (f'; comment: "{d.comment}"' if d.comment else ""))
    return lines


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


def with_unit(text: str, unit: str | None) -> str:
    """A number as a report prints it, with its declared unit (``0.4452 USD``)."""
    return f"{text} {unit}" if unit and text not in ("n/a", "") else text


def _values(observations: list[Observation]) -> dict[str, Any]:
    return {o.path: o.value for o in observations}


def _estimate(values: dict[str, Any], unit_path: str, unit: str | None) -> str | None:
    """``value [lower, upper] (n=N)`` of a statistic (or a metric's value) at ``unit_path``."""
    value = values.get(f"{unit_path}.value", values.get(unit_path))
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    text = with_unit(num(float(value)), unit)
    lower, upper = values.get(f"{unit_path}.lower"), values.get(f"{unit_path}.upper")
    if lower is not None or upper is not None:
        text += f" [{num(lower)}, {num(upper)}]"
    n = values.get(f"{unit_path}.n")
    if isinstance(n, int):
        text += f" (n={n:,})"
    return text


def sides(rule: RuleResult) -> tuple[str, str] | None:
    """The candidate's and the baseline's own values of what the rule decides on, each with
    its one-sided bounds at the rule's confidence and n: the side-by-side a reviewer reads.
    None when the rule has no baseline counterpart (no baseline run, or a custom expression)."""
    sub = rule.subject or NO_SUBJECT
    if sub.path is None or not (rule.context or sub.baseline):
        return None
    observed, context = _values(rule.observed), _values(rule.context)
    both = {**observed, **context}
    if sub.kind is SubjectKind.DELTA:
        name = sub.path.removeprefix("compare.")
        cand = _estimate(both, f"candidate.stats.{name}", rule.unit)
        base = _estimate(both, f"baseline.stats.{name}", rule.unit)
    elif sub.kind is SubjectKind.FAIRNESS:
        table = groups(rule)
        if table is None or table.worst is None:
            return None
        worst = next(g for g in table.rows if g.name == table.worst)
        cand = f"worst group {table.worst}: {worst.candidate}"
        base = f"{table.worst}: {worst.baseline}"
    else:
        role_path = sub.baseline or sub.path.replace("candidate.", "baseline.", 1)
        cand = _estimate(both, sub.path, rule.unit)
        base = _estimate(both, role_path, rule.unit)
    if cand is None or base is None:
        return None
    return cand, base


@dataclass(frozen=True)
class GroupLine:
    name: str
    candidate: str  # value [lower, upper] (n=N), or "n/a"
    baseline: str  # the same for the baseline's items of this group, or "n/a"


@dataclass(frozen=True)
class GroupTable:
    rule: str
    subject: str
    worst: str | None  # the group the disparity statistic names worst
    rows: list[GroupLine]


def groups(rule: RuleResult) -> GroupTable | None:
    """Every group of a fairness rule, the candidate's and the baseline's value of each."""
    sub = rule.subject or NO_SUBJECT
    if sub.kind is not SubjectKind.FAIRNESS or sub.path is None:
        return None
    observed, context = _values(rule.observed), _values(rule.context)
    prefix = f"{sub.path}.groups["
    base_prefix = f"baseline.{sub.path}.groups["

    def names(values: dict[str, Any], start: str) -> set[str]:
        return {p[len(start) :].rsplit("].", 1)[0][1:-1] for p in values if p.startswith(start)}

    found = sorted(names(observed, prefix) | names(context, base_prefix))
    if not found:
        return None
    worst = observed.get(f"{sub.path}.worst_group")
    rows = [
        GroupLine(
            name=g,
            candidate=_estimate(observed, f'{prefix}"{g}"]', rule.unit) or "n/a",
            baseline=_estimate(context, f'{base_prefix}"{g}"]', rule.unit) or "n/a",
        )
        for g in found
    ]
    return GroupTable(
        rule.key, sub.path, worst if isinstance(worst, str) and worst in found else None, rows
    )


def measured(rule: RuleResult) -> str:
    """How the numbers a rule reads were measured, per run: ``toxicity_rate: heuristic (govgate
    offline toxic-term list, govgate 0.1.0; 649 items), the same on the baseline``."""
    by_name: dict[str, dict[str, str]] = {}
    for m in rule.measured_by:
        by_name.setdefault(m.name, {})[m.side] = ", ".join(x.describe() for x in m.measures)
    parts = []
    for name, per_side in by_name.items():
        cand, base = per_side.get("candidate"), per_side.get("baseline")
        if cand is not None and base is not None:
            same = ", the same on the baseline" if cand == base else f"; baseline: {base}"
            parts.append(f"{name}: {cand}{same}")
        elif cand is not None:
            parts.append(f"{name}: {cand}")
        elif base is not None:
            parts.append(f"{name} (baseline): {base}")
    return "; ".join(parts)


def measurement_notes(decision: Decision) -> list[str]:
    """What each run's evaluation recorded a reviewer must know, and whether its record of how
    its numbers were measured could be read: one line each."""
    lines = []
    for role, run in (("candidate", decision.candidate), ("baseline", decision.baseline)):
        if run is None:
            continue
        if run.provenance != "recorded":
            lines.append(f"{role}: {run.provenance}")
        lines += [f"{role}: {note}" for note in run.notes]
    return lines


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
    #: "candidate X vs baseline Y" with bounds and units, or "" when there is no baseline side
    versus: str = ""
    #: how the numbers the rule reads were measured, per run ("" when it reads none)
    measured: str = ""
    #: how many items would likely settle an inconclusive rule, or ""
    settle: str = ""


def row(rule: RuleResult, finding: Finding | None) -> Row:
    sub = rule.subject or NO_SUBJECT
    # a ratio of two groups' values has no unit; a gap or a delta is in the metric's own
    unit = None if sub.threshold_kind == "min_ratio" else rule.unit
    observed = bound = "n/a"
    if finding is not None:
        observed = with_unit(num(finding.observed), unit)
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
            observed = with_unit(num(float(value)), unit) + (
                f" (n={int(n):,})" if isinstance(n, int) else ""
            )
    if rule.approximate:
        bound += f" ({APPROXIMATE_LABEL})"
    threshold = "custom"
    if sub.threshold is not None:
        shown = num(sub.threshold)
        if sub.threshold_kind in ("max", "min", "margin"):  # in the metric's own unit
            shown = with_unit(shown, unit)
        threshold = f"{sub.threshold_kind} {shown}"
    likelihood = "n/a"
    if finding is not None:
        p = finding.likelihood.probability
        likelihood = pct(p) if p is not None else "unknown"
    pair = sides(rule)
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
        versus=f"candidate {pair[0]} vs baseline {pair[1]}" if pair else "",
        measured=measured(rule),
        settle=f"about {rule.samples_needed:,} items in all would likely settle it"
        if rule.samples_needed is not None
        else "",
    )


# -- controls and what a decision did not cover -------------------------------------------------

#: a rule's outcome as evidence for a control, worst first
_CONTROL_STATUS = {
    Outcome.FAIL: "failing",
    Outcome.ERROR: "failing",
    Outcome.GAP: "gap",
    Outcome.INCONCLUSIVE: "inconclusive",
    Outcome.WAIVED: "waived",
    Outcome.PASS: "passing",
    Outcome.SKIPPED: "not evaluated at this stage",
}
_STATUS_ORDER = [*dict.fromkeys(_CONTROL_STATUS.values()), "no rule covers it"]


@dataclass(frozen=True)
class ControlLine:
    control: str
    framework: str
    title: str  # the catalog's title, or a note that govgate's catalog does not know the id
    status: str  # the worst status among its rules; "no rule covers it" for a required one
    required: bool
    rules: list[tuple[str, str]]  # (POLICY/RULE, status)


def coverage(decision: Decision) -> list[ControlLine]:
    """Each control the policy set claims or requires, with the evidence status of its rules."""
    from govgate.policy import controls as catalog

    claimed: dict[str, list[tuple[str, str]]] = {}
    for r in decision.rules:
        for control in r.controls:
            claimed.setdefault(control, []).append((r.key, _CONTROL_STATUS[r.outcome]))
    required = {c.control for c in decision.required_controls}
    lines = []
    for control in sorted(claimed.keys() | required):
        rules = claimed.get(control, [])
        status = (
            min((s for _, s in rules), key=_STATUS_ORDER.index) if rules else "no rule covers it"
        )
        known = catalog.lookup(control)
        lines.append(
            ControlLine(
                control=control,
                framework=known.framework
                if known
                else (catalog.framework_of(control) or "unknown framework"),
                title=f"{known.reference}: {known.title}"
                if known
                else "not in govgate's control catalog (check the id)",
                status=status,
                required=control in required,
                rules=rules,
            )
        )
    return lines


def not_covered(decision: Decision, risk: RiskAssessment) -> list[str]:
    """What the decision did not judge: said on every verdict, a PASS most of all."""
    out = []
    unselected = [p for p in decision.policies if not p.selected]
    if unselected:
        out.append(
            "policies that do not govern this candidate: "
            + "; ".join(f"{p.policy} ({p.reason})" for p in unselected)
        )
    left_out = {p.policy for p in unselected}
    skipped = [
        r.key for r in decision.rules if r.outcome is Outcome.SKIPPED and r.policy not in left_out
    ]
    if skipped:
        out.append(
            f"{plural(len(skipped), 'rule')} not evaluated at stage {decision.stage}: "
            + ", ".join(skipped)
        )
    if decision.expected_gaps:
        out.append(
            "evidence the policies expect on every run but this run lacks: "
            + ", ".join(dict.fromkeys(g.missing.unit for g in decision.expected_gaps))
        )
    uncovered = [c.control for c in coverage(decision) if c.status == "no rule covers it"]
    if uncovered:
        out.append("required controls no rule gives evidence for: " + ", ".join(uncovered))
    audit = [
        r.key
        for r in decision.rules
        if r.enforce is Enforce.AUDIT and r.outcome is not Outcome.SKIPPED
    ]
    if audit:
        out.append(f"audit rules, which never change the verdict: {', '.join(audit)}")
    waived = [r.key for r in decision.rules if r.outcome is Outcome.WAIVED]
    if waived:
        out.append(f"waived rules, not judged on this evidence: {', '.join(waived)}")
    if not any(r.controls for r in decision.rules) and not decision.required_controls:
        out.append("no control ids: the policies map no rule to a governance control")
    return out


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
