"""Waivers: an approved exception for one rule, in one scope, until it expires.

A waiver turns a FAIL or INCONCLUSIVE into WAIVED, reported with its approver and ticket. It
never covers a GAP (missing evidence) or an ERROR (a broken expression or evidence): those need
fixing, not approval. Expired, out-of-scope and unused waivers are all reported.
"""

from __future__ import annotations

import datetime as dt

from govgate.evidence.model import Evidence
from govgate.gate.outcome import RuleResult, WaiverRef, WaiverUse
from govgate.gate.selection import registered
from govgate.policy.compiled import LoadedWaiver
from govgate.policy.model import expiry_instant
from govgate.terms import Outcome

WAIVABLE = (Outcome.FAIL, Outcome.INCONCLUSIVE)


def _scope_miss(waiver: LoadedWaiver, evidence: Evidence, stage: str) -> str | None:
    scope = waiver.document.spec.scope
    candidate = evidence.candidate
    if scope.stages is not None and stage not in {s.value for s in scope.stages}:
        return f"covers stages {[s.value for s in scope.stages]}, not {stage}"
    model = candidate.model.name if candidate.model else None
    if scope.models is not None and model not in scope.models:
        return f"covers models {scope.models}, not {model or 'an unregistered run'}"
    if scope.models is not None and not registered(candidate):
        # an exception scoped to a model holds only for that model as the registry names it:
        # a run's own govgate.model.name tag is whatever its logger wrote
        return (
            f"covers models {scope.models}, and the candidate's model {model!r} comes from "
            "its run's tags, not the registry (gate models:/NAME/VERSION)"
        )
    if scope.runs is not None and candidate.run_id not in scope.runs:
        return f"does not cover candidate run {candidate.run_id}"
    return None


def _use(waiver: LoadedWaiver, status: str, reason: str) -> WaiverUse:
    spec = waiver.document.spec
    return WaiverUse(
        name=waiver.document.metadata.name,
        policy=spec.policy,
        rule=spec.rule,
        status=status,  # type: ignore[arg-type]
        reason=reason,
        approver=spec.approver,
        ticket=spec.ticket,
        expires=spec.expires,
        file=waiver.source.path,
    )


def apply_waivers(
    results: list[RuleResult],
    waivers: tuple[LoadedWaiver, ...],
    evidence: Evidence,
    stage: str,
    now: dt.datetime,
) -> tuple[list[RuleResult], list[WaiverUse]]:
    by_key = {r.key: i for i, r in enumerate(results)}
    out = list(results)
    uses: list[WaiverUse] = []
    for waiver in sorted(waivers, key=lambda w: w.document.metadata.name):
        spec = waiver.document.spec
        key = f"{spec.policy}/{spec.rule}"
        expires = expiry_instant(spec.expires)
        if expires <= now:
            uses.append(
                _use(waiver, "expired", f"expired {expires.isoformat()}; it no longer applies")
            )
            continue
        miss = _scope_miss(waiver, evidence, stage)
        if miss is not None:
            uses.append(_use(waiver, "out-of-scope", f"the waiver {miss}"))
            continue
        index = by_key.get(key)
        if index is None:
            uses.append(_use(waiver, "unused", "no loaded rule has this name"))
            continue
        result = out[index]
        if result.outcome is Outcome.WAIVED:
            assert result.waiver is not None
            uses.append(
                _use(waiver, "unused", f"the rule is already waived by {result.waiver.name}")
            )
        elif result.outcome in WAIVABLE:
            out[index] = result.model_copy(
                update={
                    "outcome": Outcome.WAIVED,
                    "reason": f"{result.reason} (waived by {waiver.document.metadata.name}, "
                    f"approved by {spec.approver}, {spec.ticket})",
                    "waiver": WaiverRef(
                        name=waiver.document.metadata.name,
                        approver=spec.approver,
                        ticket=spec.ticket,
                        expires=spec.expires,
                        justification=spec.justification,
                        waived_outcome=result.outcome,
                    ),
                }
            )
            uses.append(_use(waiver, "applied", f"waives a {result.outcome.value} outcome"))
        elif result.outcome in (Outcome.GAP, Outcome.ERROR):
            why = f"the rule is {result.outcome.value}: waivers do not cover it (fix it instead)"
            uses.append(_use(waiver, "unused", why))
        else:
            uses.append(
                _use(waiver, "unused", f"the rule is {result.outcome.value}: nothing to waive")
            )
    return out, uses
