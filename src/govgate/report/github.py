"""GitHub workflow annotations for the worst findings, escaped."""

from __future__ import annotations

from govgate.display import display_copy
from govgate.gate.outcome import Decision
from govgate.report.common import (
    SHORT,
    annotation_text,
    headline,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Enforce, Outcome

GITHUB_MAX_PER_LEVEL = 10  # GitHub shows at most 10 error and 10 warning annotations per step


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_github(decision: Decision, risk: RiskAssessment) -> str:
    """Workflow commands: annotations for the worst findings only, within GitHub's limits."""
    decision, risk = display_copy(decision), display_copy(risk)  # see govgate/display.py
    severity = {Outcome.FAIL: 0, Outcome.ERROR: 0, Outcome.GAP: 1, Outcome.INCONCLUSIVE: 1}
    worst = sorted(
        (r for r in decision.rules if r.outcome in SHORT and r.enforce is not Enforce.AUDIT),
        key=lambda r: (r.enforce is not Enforce.BLOCK, severity[r.outcome], r.key),
    )
    lines: list[str] = []
    used = {"error": 0, "warning": 0}
    for r in worst:
        level = "error" if r.enforce is Enforce.BLOCK else "warning"
        if used[level] >= GITHUB_MAX_PER_LEVEL:
            continue
        used[level] += 1
        title = _escape_property(f"govgate {r.outcome.value}: {r.key}")
        where = f"file={_escape_property(r.file)},line={max(r.line, 1)},title={title}"
        lines.append(f"::{level} {where}::{_escape_data(annotation_text(r))}")
    left = len(worst) - sum(used.values())
    summary = headline(decision, risk) + (f" ({left} more findings in the report)" if left else "")
    lines.append(f"::notice title=govgate::{_escape_data(summary)}")
    return "\n".join(lines) + "\n"
