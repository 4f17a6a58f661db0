"""Markdown: for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

GitHub caps a comment at 65,536 characters (a step summary at 1 MiB), so the report stays
under :data:`MAX_CHARS`: the full rule table goes first when space runs out, then finding rows,
and the report says what it left out.
"""

from __future__ import annotations

from collections.abc import Sequence

from govgate.display import display_copy
from govgate.gate.outcome import Decision
from govgate.report.common import (
    RECOMMENDATIONS,
    findings_by_rule,
    headline,
    looks_line,
    ordered,
    pct,
    preregistration,
    row,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

MAX_CHARS = 60_000


def _cell(text: object) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


def _meta(decision: Decision) -> str:
    cand, base = decision.candidate, decision.baseline
    who = f"`{cand.model} v{cand.version}`" if cand.model else f"run `{cand.run_id[:12]}`"
    against = ""
    if base is not None:
        against = " vs " + (
            f"`{base.model} v{base.version}`" if base.model else f"run `{base.run_id[:12]}`"
        )
    return (
        f"Stage `{decision.stage}` · candidate {who}{against} · evidence "
        f"`{decision.evidence_digest[:12]}` · policies `{decision.policy_set_digest[:12]}` · "
        f"decided {decision.decided_at}"
    )


def render_markdown(decision: Decision, risk: RiskAssessment, max_chars: int = MAX_CHARS) -> str:
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    by_rule = findings_by_rule(risk)
    head = [
        f"**{headline(decision, risk)}**",
        "",
        RECOMMENDATIONS[decision.verdict],
        "",
        _meta(decision),
        "",
        preregistration(decision),
        "",
        *([looked, ""] if (looked := looks_line(decision)) is not None else []),
    ]
    findings = []
    for r in ordered(decision):
        if r.outcome in (Outcome.PASS, Outcome.SKIPPED):
            continue
        x = row(r, by_rule.get(r.key))
        findings.append(
            [
                f"`{x.rule}`",
                x.category,
                f"**{x.outcome}**",
                x.observed,
                x.bound,
                x.threshold,
                x.likelihood,
                x.impact,
                x.level,
            ]
        )
    body: list[str] = []
    if findings:
        body += ["### Findings", ""]
        body += _table(
            [
                "Rule",
                "Category",
                "Outcome",
                "Observed",
                "Bound",
                "Threshold",
                "Likelihood",
                "Impact",
                "Risk",
            ],
            findings,
        )
        body.append("")
    blocking = [f for f in risk.findings if f.enforce == Enforce.BLOCK]
    if blocking:
        body += ["### Risk of blocking findings", ""]
        body += _table(
            [
                "Rule",
                "Likelihood",
                "Impact",
                "Detection",
                "Time to detect",
                "Mitigation",
                "Rollback",
            ],
            [
                [
                    f"`{f.rule}`",
                    f"{pct(f.likelihood.probability)} ({f.likelihood.basis})"
                    if f.likelihood.probability is not None
                    else f"unknown: {f.likelihood.basis}",
                    f"{f.impact.value} ({f.impact_source})",
                    f.detection or "not stated",
                    f.time_to_detect or "not stated",
                    f.mitigation or "not stated",
                    f.rollback or "not stated",
                ]
                for f in blocking
            ],
        )
        body.append("")
    if risk.gaps:
        body += ["### Observability gaps", ""]
        body += _table(
            ["What is missing", "What it stops us knowing", "Instrumentation", "Priority"],
            [[g.missing, g.stops_us_knowing, g.instrumentation, g.priority] for g in risk.gaps],
        )
        body.append("")
    if decision.waivers:
        body += ["### Waivers", ""]
        debt = {d.name: d for d in risk.waiver_debt}
        body += _table(
            ["Waiver", "Rule", "Status", "Approver", "Ticket", "Expires", "Note"],
            [
                [
                    w.name,
                    f"`{w.policy}/{w.rule}`",
                    w.status,
                    w.approver,
                    w.ticket,
                    f"{w.expires} ({debt[w.name].days_left} days)" if w.name in debt else w.expires,
                    w.reason,
                ]
                for w in decision.waivers
            ],
        )
        body.append("")
    all_rules = [f"<details><summary>All rules ({len(decision.rules)})</summary>", ""]
    all_rules += _table(
        ["Rule", "Enforce", "Outcome", "Observed", "Threshold", "Where"],
        [
            [
                f"`{r.key}`",
                r.enforce,
                r.outcome.value,
                row(r, by_rule.get(r.key)).observed,
                row(r, None).threshold,
                f"`{r.file}:{r.line}`",
            ]
            for r in ordered(decision)
        ],
    )
    all_rules += ["", "</details>", ""]
    tail = ["### Next Actions", ""]
    if risk.next_actions:
        tail += [
            f"{i}. **{a.priority}** {_cell(a.what)} (owner: {_cell(a.owner)})"
            for i, a in enumerate(risk.next_actions, 1)
        ]
    else:
        tail.append("None: nothing fell short.")
    tail.append("")
    parts = [head, body, all_rules, tail]
    text = "\n".join(line for part in parts for line in part)
    if len(text) > max_chars:  # drop the full table first, then trim findings
        note = ["_The full rule table was left out to stay within GitHub's size limit._", ""]
        text = "\n".join(line for part in (head, body, note, tail) for line in part)
        while len(text) > max_chars and len(body) > 4:
            body = body[:-2]
            text = "\n".join(
                line
                for part in (
                    head,
                    body,
                    ["_Report truncated: see the JSON or HTML report for every row._", ""],
                    tail,
                )
                for line in part
            )
    return text if len(text) <= max_chars else text[: max_chars - 40] + "\n\n_(truncated)_\n"
