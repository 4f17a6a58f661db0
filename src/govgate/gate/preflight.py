"""Checks before any evidence is read: does the evidence asked for match what the rules need?"""

from __future__ import annotations

from govgate.errors import EvidenceError
from govgate.policy.compiled import CompiledRule, PolicySet


def rules_for_stage(policy_set: PolicySet, stage: str) -> list[CompiledRule]:
    return [r for p in policy_set.policies for r in p.rules if stage in {s.value for s in r.stages}]


def rules_needing_baseline(policy_set: PolicySet, stage: str) -> list[CompiledRule]:
    """Rules that apply to ``stage`` and read ``baseline`` or ``compare`` (directly or not)."""
    return [
        r
        for r in rules_for_stage(policy_set, stage)
        if any(ref.root in ("baseline", "compare") for ref in r.evidence)
    ]


def require_baseline(policy_set: PolicySet, stage: str, has_baseline: bool) -> None:
    """Refuse to go on without a baseline when a rule compares against one."""
    if has_baseline:
        return
    needing = rules_needing_baseline(policy_set, stage)
    if needing:
        names = ", ".join(r.key for r in needing[:5]) + (" ..." if len(needing) > 5 else "")
        raise EvidenceError(
            "evidence.missing-baseline",
            f"{len(needing)} rule{'s' if len(needing) != 1 else ''} for stage {stage} compare "
            f"with a baseline, and none was given: {names}",
            hint="pass --baseline (for example models:/NAME@champion)",
        )
