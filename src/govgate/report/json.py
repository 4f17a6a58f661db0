"""JSON report: the headline, the decision and the risk assessment, one shape at every verbosity."""

from __future__ import annotations

import json

from govgate.gate.outcome import Decision
from govgate.report.common import headline, recommendation
from govgate.risk.model import RiskAssessment

REPORT_SCHEMA_ID = "https://govgate.dev/schemas/report-v1.json"


def render_json(decision: Decision, risk: RiskAssessment) -> str:
    """One shape at every verbosity: the headline, the decision and the risk assessment."""
    payload = {
        "$schema": REPORT_SCHEMA_ID,
        "format": "govgate.report/v1",
        "headline": headline(decision, risk),
        "recommendation": recommendation(decision),
        "decision": decision.model_dump(mode="json"),
        "risk": risk.model_dump(mode="json"),
    }
    return json.dumps(payload, indent=2, sort_keys=True, allow_nan=False, ensure_ascii=False) + "\n"
