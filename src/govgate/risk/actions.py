"""Next Actions and waiver debt, ordered by priority, with owners and due dates.

A Next Action is due on the decision's day (UTC) plus a window: 1 day for P1, 7 days for P2,
30 days for P3 (:data:`WINDOW_DAYS`). A finding whose rule declares ``risk.time_to_detect``
is due within that time when it is shorter than its priority's window (a breach production
notices within a day should not wait a week for its fix), and never in under a day, so no
action is due before anyone could act on it. A waiver about to expire is due the day it
expires. Dates come from the decision alone, so a replay gives the same ones.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from govgate.durations import seconds
from govgate.gate.outcome import Decision
from govgate.risk.model import Finding, NextAction, ObservabilityGap, WaiverDebt
from govgate.terms import Category, Enforce, Outcome, Verdict

#: days from the decision to an action's due date, by priority
WINDOW_DAYS: dict[str, int] = {"P1": 1, "P2": 7, "P3": 30}
Priority = Literal["P1", "P2", "P3"]


def _decided(decision: Decision) -> dt.datetime:
    return dt.datetime.fromisoformat(decision.decided_at.replace("Z", "+00:00"))


def due(decided: dt.datetime, priority: str, time_to_detect: str | None = None) -> tuple[str, str]:
    """The due date (YYYY-MM-DD, UTC) of an action and how it was derived."""
    days = WINDOW_DAYS[priority]
    basis = f"{priority}: {days} day{'s' if days != 1 else ''}"
    detect = seconds(time_to_detect) if time_to_detect else None
    if detect is not None:
        detect_days = max(1, math.ceil(detect / 86_400))
        if detect_days < days:
            days = detect_days
            basis += f", within the rule's time to detect ({time_to_detect}): {days} day"
            basis += "s" if days != 1 else ""
    start = decided.astimezone(dt.UTC).date()
    # a decision at the end of the calendar (a far-future --now): due on its last day
    day = (
        start + dt.timedelta(days=days)
        if start <= dt.date.max - dt.timedelta(days=days)
        else (dt.date.max)
    )
    return day.isoformat(), basis


def _action(
    decided: dt.datetime,
    priority: Priority,
    what: str,
    owner: str,
    time_to_detect: str | None = None,
) -> NextAction:
    day, basis = due(decided, priority, time_to_detect)
    return NextAction(priority=priority, what=what, owner=owner, due=day, due_basis=basis)


def waiver_debt(decision: Decision) -> list[WaiverDebt]:
    now = _decided(decision)
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


def next_actions(
    findings: list[Finding],
    gaps: list[ObservabilityGap],
    debt: list[WaiverDebt],
    decision: Decision,
) -> list[NextAction]:
    actions: list[NextAction] = []
    decided = _decided(decision)
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
                _action(
                    decided,
                    "P1" if blocking else "P2",
                    f"{f.title or f.rule} ({f.rule}): {fix}",
                    f.owner,
                    f.time_to_detect,
                )
            )
        elif f.outcome is Outcome.INCONCLUSIVE:
            more = samples.get(f.rule)
            how = f"evaluate about {more:,} items in all" if more else "collect more evidence"
            actions.append(
                _action(
                    decided,
                    "P2" if blocking else "P3",
                    f"{f.title or f.rule} ({f.rule}) is not settled: {how}",
                    f.owner,
                    f.time_to_detect,
                )
            )
    for g in gaps:
        actions.append(
            _action(
                decided,
                g.priority,
                f"Instrument {g.missing.split(' (')[0]}: {g.instrumentation} "
                f"(for {', '.join(g.rules)})",
                ", ".join(g.owners),
            )
        )
    for d in debt:
        if d.status == "applied" and d.days_left is not None and d.days_left <= 14:
            what = (
                f"Waiver {d.name} ({d.ticket}) for {d.rule} expires in {d.days_left} days: "
                "fix or renew it"
            )
            actions.append(
                NextAction(
                    priority="P2",
                    what=what,
                    owner=d.approver,
                    due=d.expires,
                    due_basis="the day the waiver expires",
                )
            )
        elif d.status == "expired":
            actions.append(
                _action(decided, "P3", f"Remove expired waiver {d.name} ({d.ticket})", d.approver)
            )
    order = {"P1": 0, "P2": 1, "P3": 2}
    return sorted(actions, key=lambda a: order[a.priority])
