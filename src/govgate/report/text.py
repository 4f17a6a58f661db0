"""The terminal report: the headline first, then each rule with the numbers behind it."""

from __future__ import annotations

from govgate.display import display_copy
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import (
    approval_lines,
    coverage,
    findings_by_rule,
    governance_line,
    groups,
    headline,
    looks_line,
    measured,
    measurement_notes,
    not_covered,
    num,
    ordered,
    pct,
    preregistration,
    recommendation,
    row,
    sides,
)
from govgate.risk.model import Finding, RiskAssessment
from govgate.terms import Outcome, SubjectKind

_COLOURS = {
    Outcome.FAIL: "31;1",
    Outcome.ERROR: "31;1",
    Outcome.GAP: "34;1",
    Outcome.INCONCLUSIVE: "34;1",
    Outcome.WAIVED: "33",
    Outcome.PASS: "32",
    Outcome.SKIPPED: "2",
}
_VERDICT_COLOURS = {
    "PASS": "32;1",
    "WARN": "33;1",
    "FAIL": "31;1",
    "ROLLBACK": "31;1",
    "INCONCLUSIVE": "34;1",
}


def _paint(text: str, code: str, color: bool) -> str:
    return f"\033[{code}m{text}\033[0m" if color else text


def _value(value: object) -> str:
    return (
        num(value) if isinstance(value, float | int) and not isinstance(value, bool) else str(value)
    )


def _rule(r: RuleResult, finding: Finding | None, color: bool) -> list[str]:
    label = _paint(f"{r.outcome.value.upper():<12}", _COLOURS[r.outcome], color)
    lines = [f"  {label} {r.key}  [{r.enforce}, {r.category}]  {r.file}:{r.line}"]
    if r.outcome is Outcome.SKIPPED:
        return lines
    lines.append(f"      {r.reason}")
    if r.message and r.outcome is not Outcome.PASS:
        lines.append(f"      message: {r.message}")
    if r.subject is not None and r.subject.threshold is not None:
        lines.append(f"      threshold: {row(r, finding).threshold} at {r.confidence:.0%}")
    numbers = [
        o
        for o in r.observed
        if not o.path.endswith((".method", ".confidence")) and ".groups[" not in o.path
    ]
    if numbers:
        shown = ", ".join(
            f"{o.path}={_value(o.value) if o.value is not None else 'none'}" for o in numbers[:8]
        )
        more = f" (+{len(numbers) - 8} more)" if len(numbers) > 8 else ""
        lines.append(f"      observed: {shown}{more}")
    if (pair := sides(r)) is not None and (
        r.subject is None or r.subject.kind is not SubjectKind.FAIRNESS
    ):
        lines.append(f"      candidate: {pair[0]}")
        lines.append(f"      baseline:  {pair[1]}")
    if how := measured(r):
        lines.append(f"      measured by: {how}")
    if (table := groups(r)) is not None:
        worst = f" (worst: {table.worst})" if table.worst else ""
        lines.append(f"      groups{worst}, candidate | baseline:")
        lines += [f"        {g.name}: {g.candidate} | {g.baseline}" for g in table.rows]
    if finding is not None:
        p = finding.likelihood.probability
        like = (
            f"{pct(p)} ({finding.likelihood.basis})"
            if p is not None
            else (f"unknown ({finding.likelihood.basis})")
        )
        lines.append(
            f"      risk: {finding.level.value} (likelihood {like}; impact "
            f"{finding.impact.value}, {finding.impact_source})"
        )
    if r.samples_needed is not None:
        lines.append(
            f"      more data: about {r.samples_needed:,} items in all would likely settle it"
        )
    return lines


def render_text(decision: Decision, risk: RiskAssessment, color: bool = False) -> str:
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    verdict_colour = _VERDICT_COLOURS[decision.verdict.value]
    lines = [
        _paint(headline(decision, risk), verdict_colour, color),
        recommendation(decision),
        f"  {decision.verdict_reason}",
        "",
    ]
    cand = decision.candidate
    lines.append(
        f"candidate: run {cand.run_id}" + (f" ({cand.model} v{cand.version})" if cand.model else "")
    )
    if decision.baseline is not None:
        base = decision.baseline
        lines.append(
            f"baseline:  run {base.run_id}"
            + (f" ({base.model} v{base.version})" if base.model else "")
        )
    lines.append(f"stage {decision.stage}, evidence sha256 {decision.evidence_digest}")
    lines.append(preregistration(decision))
    if (looked := looks_line(decision)) is not None:
        lines.append(looked)
    if (governs := governance_line(decision)) is not None:
        lines.append(governs)
    if approved := approval_lines(decision):
        lines += [approved[0], *(f"  {line}" for line in approved[1:])]
    lines.append("")
    by_rule = findings_by_rule(risk)
    for r in ordered(decision):
        lines.extend(_rule(r, by_rule.get(r.key), color))
    if risk.gaps:
        lines += ["", "observability gaps:"]
        for g in risk.gaps:
            lines.append(f"  {g.priority} missing {g.missing}")
            lines.append(f"     stops us knowing: {g.stops_us_knowing}")
            lines.append(f"     instrumentation: {g.instrumentation}")
    if decision.waivers:
        lines += ["", "waivers:"]
        for w in decision.waivers:
            lines.append(
                f"  {w.status:<12} {w.name} ({w.policy}/{w.rule}, {w.ticket}, "
                f"expires {w.expires}): {w.reason}"
            )
    controls = coverage(decision)
    if controls:
        lines += ["", "controls:"]
        for c in controls:
            required = ", required" if c.required else ""
            lines.append(f"  {c.status:<12} {c.control} ({c.framework}{required}): {c.title}")
    gaps = not_covered(decision, risk)
    if gaps:
        lines += ["", "not covered by this decision:"]
        lines += [f"  - {line}" for line in gaps]
    how = measurement_notes(decision)
    if how:
        lines += ["", "how the evidence was measured (the runs' own records):"]
        lines += [f"  - {line}" for line in how]
    lines += ["", "Next Actions:"]
    if risk.next_actions:
        lines += [
            f"  {i}. [{a.priority}] {a.what} (owner: {a.owner}; due {a.due}, {a.due_basis})"
            for i, a in enumerate(risk.next_actions, 1)
        ]
    else:
        lines.append("  none: nothing fell short")
    return "\n".join(lines) + "\n"
