"""GitHub workflow annotations for the worst findings, escaped, agreeing with the exit code."""

from __future__ import annotations

from govgate.display import display_copy
from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import (
    SHORT,
    annotation_text,
    headline,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome, Verdict

GITHUB_MAX_PER_LEVEL = 10  # GitHub shows at most 10 error and 10 warning annotations per step


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def rule_level(rule: RuleResult, decision: Decision) -> str:
    """``error`` for a shortfall that blocks (a blocking rule, or a warn rule under
    ``--fail-on-warn``), else ``warning``. Audit rules are never annotated."""
    if rule.enforce is Enforce.BLOCK or (rule.enforce is Enforce.WARN and decision.fail_on_warn):
        return "error"
    return "warning"


def summary_level(decision: Decision) -> str:
    """The decision's own line: ``error`` when the exit code blocks (whatever the verdict:
    a FAIL, a ROLLBACK, an INCONCLUSIVE, a WARN under ``--fail-on-warn``), ``warning`` for a
    WARN that does not block, ``notice`` for a PASS."""
    if decision.blocks:
        return "error"
    return "warning" if decision.verdict is Verdict.WARN else "notice"


def render_github(decision: Decision, risk: RiskAssessment) -> str:
    """Workflow commands: annotations for the worst findings only, within GitHub's limits,
    then one line for the decision at the level its exit code implies.

    The decision line counts against its level's limit, so the findings at that level keep
    one place free for it: it is never the annotation GitHub drops.
    """
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    severity = {Outcome.FAIL: 0, Outcome.ERROR: 0, Outcome.GAP: 1, Outcome.INCONCLUSIVE: 1}
    worst = sorted(
        (r for r in decision.rules if r.outcome in SHORT and r.enforce is not Enforce.AUDIT),
        key=lambda r: (rule_level(r, decision) != "error", severity[r.outcome], r.key),
    )
    closing = summary_level(decision)
    room = {"error": GITHUB_MAX_PER_LEVEL, "warning": GITHUB_MAX_PER_LEVEL}
    if closing in room:
        room[closing] -= 1  # the decision's own line comes last: keep it a place
    lines: list[str] = []
    for r in worst:
        level = rule_level(r, decision)
        if room[level] <= 0:
            continue
        room[level] -= 1
        title = _escape_property(f"govgate {r.outcome.value}: {r.key}")
        where = f"file={_escape_property(r.file)},line={max(r.line, 1)},title={title}"
        lines.append(f"::{level} {where}::{_escape_data(annotation_text(r))}")
    left = len(worst) - len(lines)
    summary = headline(decision, risk)
    if decision.blocks:  # say why: a waivers-only or audit-only run has no finding to show
        summary += f" | {decision.verdict_reason}"
    if left:
        summary += f" ({left} more findings in the report)"
    lines.append(f"::{closing} title=govgate::{_escape_data(summary)}")
    return "\n".join(lines) + "\n"
