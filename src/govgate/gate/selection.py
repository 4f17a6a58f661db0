"""Which policies govern a candidate: a policy's ``spec.selector`` against its model and tags.

A policy without a selector governs every candidate at its stages. With one, every part given
must match: the candidate's registered model name against one of the ``models`` globs
(``fnmatch``, case-sensitive), and each of the ``tags`` against the candidate run's tags or its
model version's (as snapshotted: only allow-listed tags reach the evidence). The answer comes
with its reason, which every report shows for the policies that did not select the candidate.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from govgate.evidence.model import RunEvidence
from govgate.policy.compiled import LoadedPolicy


def selects(policy: LoadedPolicy, candidate: RunEvidence) -> tuple[bool, str]:
    """Whether ``policy`` governs ``candidate``, and why (or why not)."""
    selector = policy.document.spec.selector
    if selector is None:
        return True, "the policy has no selector: it governs every candidate"
    model = candidate.model
    name = model.name if model is not None else None
    if selector.models:
        globs = ", ".join(selector.models)
        if name is None:
            return False, f"the candidate has no registered model; the policy selects {globs}"
        if not any(fnmatchcase(name, glob) for glob in selector.models):
            return False, f"model {name!r} matches none of {globs}"
    tags = {**candidate.tags, **(model.tags if model is not None else {})}
    for key, want in sorted(selector.tags.items()):
        have = tags.get(key)
        if have != want:
            found = "no such tag" if have is None else f"it is {have!r}"
            return False, f"tag {key}={want!r} required ({found} on the run or model version)"
    parts = []
    if selector.models:
        parts.append(f"model {name!r} matches {', '.join(selector.models)}")
    if selector.tags:
        parts.append(", ".join(f"{k}={v!r}" for k, v in sorted(selector.tags.items())))
    return True, "; ".join(parts) or "the selector is empty: it governs every candidate"
