"""Reports: one pure renderer per format, ``render(decision, risk) -> str``."""

from __future__ import annotations

from collections.abc import Callable

from govgate.gate.outcome import Decision
from govgate.report.github import render_github
from govgate.report.html import render_html
from govgate.report.json import render_json
from govgate.report.junit import render_junit
from govgate.report.markdown import render_markdown
from govgate.report.sarif import render_sarif
from govgate.report.text import render_text
from govgate.risk.model import RiskAssessment

Renderer = Callable[[Decision, RiskAssessment], str]

RENDERERS: dict[str, Renderer] = {
    "text": render_text,
    "json": render_json,
    "markdown": render_markdown,
    "html": render_html,
    "junit": render_junit,
    "sarif": render_sarif,
    "github": render_github,
}

__all__ = ["RENDERERS", "Renderer", "render_text"]
