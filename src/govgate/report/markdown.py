"""Markdown: for pull-request comments and ``$GITHUB_STEP_SUMMARY``.

GitHub caps a comment at 65,536 characters (a step summary at 1 MiB), so the report stays
under :data:`MAX_CHARS` by leaving out whole sections, never by cutting text: the full rule
table goes first, then the group tables, the control coverage, the waivers, the risk table, the
gaps and the not-covered list; then finding rows (warnings before blocking ones, each row
whole) and, last, Next Actions from the end. The headline, the blocking findings first and the
Next Actions stay, and a note outside every table says what was left out and where to read it.
Every string from evidence or policies is a cell: ``|`` and HTML are escaped, so the page
stays valid GitHub-flavoured Markdown and no evidence string becomes markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from govgate.display import display_copy
from govgate.gate.outcome import Decision
from govgate.report.common import (
    OUTCOME_ORDER,
    approval_lines,
    coverage,
    findings_by_rule,
    governance_line,
    groups,
    headline,
    looks_line,
    measurement_notes,
    not_covered,
    ordered,
    pct,
    preregistration,
    recommendation,
    row,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

MAX_CHARS = 60_000


def _text(text: object) -> str:
    """Text outside a table: one line, no HTML markup, no link (``[x](url)``, ``[x]: url``)."""
    return (
        str(text)
        .replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\n", " ")
        .replace("[", "\\[")
        .replace("]", "\\]")
    )


def _cell(text: object) -> str:
    """A table cell (or list item): also no ``|`` column break."""
    return _text(text).replace("|", "\\|")


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(c) for c in r) + " |" for r in rows]
    return lines


@dataclass
class _Section:
    """A titled block of lines; a ``rows`` section can shed its last rows, one at a time."""

    name: str  # as the left-out note names it
    title: list[str]
    rows: list[str] = field(default_factory=list)
    after: list[str] = field(default_factory=list)
    shed: int = 0  # rows dropped from the end

    def lines(self) -> list[str]:
        if not self.rows and self.title and not self.after:
            return []
        kept = self.rows[: len(self.rows) - self.shed] if self.shed else self.rows
        note = (
            [
                "",
                f"_{self.shed} of {len(self.rows)} rows left out here: see the JSON or HTML "
                "report._",
            ]
            if self.shed
            else []
        )
        return [*self.title, *kept, *self.after, *note, ""]


def _code(text: str) -> str:
    """An evidence string as inline code: no backtick can close the span early."""
    return "`" + _text(text).replace("`", "'") + "`"


def _meta(decision: Decision) -> str:
    cand, base = decision.candidate, decision.baseline
    who = _code(f"{cand.model} v{cand.version}") if cand.model else f"run {_code(cand.run_id[:12])}"
    against = ""
    if base is not None:
        against = " vs " + (
            _code(f"{base.model} v{base.version}")
            if base.model
            else f"run {_code(base.run_id[:12])}"
        )
    return (
        f"Stage `{decision.stage}` · candidate {who}{against} · evidence "
        f"`{decision.evidence_digest[:12]}` · policies `{decision.policy_set_digest[:12]}` · "
        f"decided {decision.decided_at}"
    )


def _findings(decision: Decision, risk: RiskAssessment, blocking: bool) -> _Section:
    by_rule = findings_by_rule(risk)
    rules = [
        r
        for r in ordered(decision)
        if r.outcome not in (Outcome.PASS, Outcome.SKIPPED)
        and (r.enforce is Enforce.BLOCK) is blocking
    ]
    rows = []
    for r in sorted(rules, key=lambda r: (OUTCOME_ORDER.index(r.outcome), r.key)):
        x = row(r, by_rule.get(r.key))
        outcome = f"**{x.outcome}**" + (f" ({x.settle})" if x.settle else "")
        rows.append(
            [
                f"`{x.rule}`",
                x.category,
                outcome,
                x.observed,
                x.bound,
                x.versus or "n/a",
                x.measured or "n/a",
                x.threshold,
                x.likelihood,
                x.impact,
                x.level,
            ]
        )
    header = [
        "Rule",
        "Category",
        "Outcome",
        "Observed",
        "Bound",
        "Candidate vs baseline",
        "Measured by",
        "Threshold",
        "Likelihood",
        "Impact",
        "Risk",
    ]
    table = _table(header, rows)
    title = "### Blocking findings" if blocking else "### Other findings (warn, audit, waived)"
    return _Section(title, [title, "", *table[:2]], table[2:])


def _groups(decision: Decision) -> _Section:
    lines: list[str] = []
    for r in ordered(decision):
        table = groups(r)
        if table is None:
            continue
        worst = f"worst group: **{_cell(table.worst)}**" if table.worst else "worst group: n/a"
        lines += [f"`{r.key}` on `{_cell(table.subject)}` ({worst})", ""]
        lines += _table(
            ["Group", "Candidate", "Baseline"],
            [[g.name, g.candidate, g.baseline] for g in table.rows],
        )
        lines.append("")
    return _Section("the group tables", ["### Groups", ""], lines[:-1])


def _risk(risk: RiskAssessment) -> _Section:
    blocking = [f for f in risk.findings if f.enforce == Enforce.BLOCK]
    header = [
        "Rule",
        "Likelihood",
        "Impact",
        "Level",
        "Detection",
        "Time to detect",
        "Mitigation",
        "Rollback",
    ]
    table = _table(
        header,
        [
            [
                f.rule,
                f"{pct(f.likelihood.probability)} ({f.likelihood.basis})"
                if f.likelihood.probability is not None
                else f"unknown: {f.likelihood.basis}",
                f"{f.impact.value} ({f.impact_source})",
                f.level.value,
                f.detection or "not stated",
                f.time_to_detect or "not stated",
                f.mitigation or "not stated",
                f.rollback or "not stated",
            ]
            for f in blocking
        ],
    )
    return _Section("the risk table", ["### Risk of blocking findings", "", *table[:2]], table[2:])


def _gaps(risk: RiskAssessment) -> _Section:
    table = _table(
        ["What is missing", "What it stops us knowing", "Instrumentation", "Priority"],
        [[g.missing, g.stops_us_knowing, g.instrumentation, g.priority] for g in risk.gaps],
    )
    return _Section("observability gaps", ["### Observability gaps", "", *table[:2]], table[2:])


def _coverage(decision: Decision) -> _Section:
    lines = coverage(decision)
    table = _table(
        ["Control", "Framework", "What it is", "Status", "Rules"],
        [
            [
                c.control + (" (required)" if c.required else ""),
                c.framework,
                c.title,
                c.status,
                ", ".join(f"{rule}: {status}" for rule, status in c.rules) or "none",
            ]
            for c in lines
        ],
    )
    return _Section("control coverage", ["### Control coverage", "", *table[:2]], table[2:])


def _not_covered(decision: Decision, risk: RiskAssessment) -> _Section:
    return _Section(
        "what the decision did not cover",
        ["### What this decision did not cover", ""],
        [f"- {_cell(line)}" for line in not_covered(decision, risk)],
    )


def _measurement(decision: Decision) -> _Section:
    return _Section(
        "how the evidence was measured",
        ["### How the evidence was measured", ""],
        [f"- {_cell(line)}" for line in measurement_notes(decision)],
    )


def _waivers(decision: Decision, risk: RiskAssessment) -> _Section:
    debt = {d.name: d for d in risk.waiver_debt}
    table = _table(
        ["Waiver", "Rule", "Status", "Approver", "Ticket", "Expires", "Note"],
        [
            [
                w.name,
                f"{w.policy}/{w.rule}",
                w.status,
                w.approver,
                w.ticket,
                f"{w.expires} ({debt[w.name].days_left} days)" if w.name in debt else w.expires,
                w.reason,
            ]
            for w in decision.waivers
        ],
    )
    return _Section("the waivers", ["### Waivers", "", *table[:2]], table[2:])


def _all_rules(decision: Decision, risk: RiskAssessment) -> _Section:
    by_rule = findings_by_rule(risk)
    table = _table(
        ["Rule", "Enforce", "Outcome", "Observed", "Threshold", "Where"],
        [
            [
                r.key,
                r.enforce,
                r.outcome.value,
                row(r, by_rule.get(r.key)).observed,
                row(r, None).threshold,
                f"{r.file}:{r.line}",
            ]
            for r in ordered(decision)
        ],
    )
    return _Section(
        "the full rule table",
        [f"<details><summary>All rules ({len(decision.rules)})</summary>", "", *table[:2]],
        table[2:],
        ["", "</details>"],
    )


def _actions(risk: RiskAssessment) -> _Section:
    items = [
        f"{i}. **{a.priority}** {_cell(a.what)} (owner: {_cell(a.owner)}; due {a.due}, "
        f"{_cell(a.due_basis)})"
        for i, a in enumerate(risk.next_actions, 1)
    ]
    return _Section(
        "Next Actions",
        ["### Next Actions", ""],
        items or ["None: nothing fell short."],
    )


def _approvals(decision: Decision) -> list[str]:
    lines = approval_lines(decision)
    if not lines:
        return []
    items = [f"- {_cell(line)}" for line in lines[1:]]
    return [_text(lines[0]), "", *items, *([""] if items else [])]


def render_markdown(decision: Decision, risk: RiskAssessment, max_chars: int = MAX_CHARS) -> str:
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    head = [
        f"**{_text(headline(decision, risk))}**",
        "",
        recommendation(decision),
        "",
        _meta(decision),
        "",
        preregistration(decision),
        "",
        *([looked, ""] if (looked := looks_line(decision)) is not None else []),
        *([_text(governs), ""] if (governs := governance_line(decision)) is not None else []),
        *_approvals(decision),
    ]
    blocking, others = _findings(decision, risk, True), _findings(decision, risk, False)
    groups_, risk_, gaps = _groups(decision), _risk(risk), _gaps(risk)
    controls, uncovered = _coverage(decision), _not_covered(decision, risk)
    how = _measurement(decision)
    waivers, all_rules, actions = (
        _waivers(decision, risk),
        _all_rules(decision, risk),
        _actions(risk),
    )
    shown = [blocking, others, groups_, risk_, gaps, uncovered, how, controls, waivers, all_rules]
    shown = [s for s in shown if s.lines()]
    # what goes first when the page is too long: whole sections, then rows
    droppable = [all_rules, groups_, controls, waivers, risk_, gaps, how, uncovered]
    left_out: list[str] = []

    def text() -> str:
        note = (
            [
                f"_Left out to stay within GitHub's size limit: {', '.join(left_out)}. The JSON "
                "and HTML reports have every row._",
                "",
            ]
            if left_out
            else []
        )
        body = [line for s in shown for line in s.lines()]
        return "\n".join([*head, *note, *body, *actions.lines()]).rstrip("\n") + "\n"

    page = text()
    for section in droppable:
        if len(page) <= max_chars:
            break
        if section in shown:
            shown.remove(section)
            left_out.append(section.name)
            page = text()
    for section in (others, blocking, actions):  # then rows, whole ones, from the end
        while len(page) > max_chars and section.shed < len(section.rows) - (
            1 if section is not others else 0
        ):
            step = max(1, (len(page) - max_chars) // 200)  # rows are ~200 characters
            section.shed = min(section.shed + step, len(section.rows) - (section is not others))
            page = text()
    if len(page) > max_chars:  # one row longer than a page: whole lines, and say so
        lines = page[: max_chars - 200].splitlines()[:-1]
        page = "\n".join([*lines, "", "_(truncated: see the JSON or HTML report)_", ""])
    return page
