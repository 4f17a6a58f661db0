"""The risk assessment as data: findings, observability gaps, waiver debt, next actions."""

from __future__ import annotations

from enum import StrEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict

from govgate.terms import Outcome

RISK_FORMAT: Final = "govgate.risk/v1"


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"
    #: the evidence cannot say how likely a breach is (no events observed, evidence missing or
    #: unusable): a risk level is not made up from the impact alone
    UNKNOWN = "unknown"


#: the known levels, least first (an impact is always one of them)
LEVEL_ORDER = [Level.LOW, Level.MEDIUM, Level.HIGH, Level.CRITICAL]


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Likelihood(Frozen):
    probability: float | None
    band: str | None
    basis: str  # how it was computed, or why it could not be


class Finding(Frozen):
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


class ObservabilityGap(Frozen):
    missing: str
    stops_us_knowing: str
    instrumentation: str
    priority: Literal["P1", "P2", "P3"]
    rules: list[str]
    owners: list[str]


class WaiverDebt(Frozen):
    name: str
    rule: str
    status: str
    expires: str
    days_left: int | None
    approver: str
    ticket: str


class NextAction(Frozen):
    priority: Literal["P1", "P2", "P3"]
    what: str
    owner: str
    due: str  # YYYY-MM-DD (UTC): the decision's day plus the window of risk/actions.py
    due_basis: str  # how the date was derived, e.g. "P1: 1 day; time to detect 4h"


class RiskAssessment(Frozen):
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
