"""Next Actions and waiver debt, ordered by priority, with owners."""

from __future__ import annotations

import datetime as dt
import math

from govgate.gate.outcome import Decision
from govgate.risk.model import Finding, NextAction, ObservabilityGap, WaiverDebt
from govgate.terms import Category, Enforce, Outcome, Verdict


def waiver_debt(decision: Decision) -> list[WaiverDebt]:
    now = dt.datetime.fromisoformat(decision.decided_at.replace("Z", "+00:00"))
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
                NextAction(
                    priority="P1" if blocking else "P2",
                    what=f"{f.title or f.rule} ({f.rule}): {fix}",
                    owner=f.owner,
                )
            )
        elif f.outcome is Outcome.INCONCLUSIVE:
            more = samples.get(f.rule)
            how = f"evaluate about {more:,} items in all" if more else "collect more evidence"
            actions.append(
                NextAction(
                    priority="P2" if blocking else "P3",
                    what=f"{f.title or f.rule} ({f.rule}) is not settled: {how}",
                    owner=f.owner,
                )
            )
    for g in gaps:
        actions.append(
            NextAction(
                priority=g.priority,
                what=f"Instrument {g.missing.split(' (')[0]}: {g.instrumentation} "
                f"(for {', '.join(g.rules)})",
                owner=", ".join(g.owners),
            )
        )
    for d in debt:
        if d.status == "applied" and d.days_left is not None and d.days_left <= 14:
            actions.append(
                NextAction(
                    priority="P2",
                    what=f"Waiver {d.name} ({d.ticket}) for "
                    f"{d.rule} expires in {d.days_left} days: fix or renew it",
                    owner=d.approver,
                )
            )
        elif d.status == "expired":
            actions.append(
                NextAction(
                    priority="P3",
                    what=f"Remove expired waiver {d.name} ({d.ticket})",
                    owner=d.approver,
                )
            )
    order = {"P1": 0, "P2": 1, "P3": 2}
    return sorted(actions, key=lambda a: order[a.priority])
