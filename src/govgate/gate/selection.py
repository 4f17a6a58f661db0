"""Which policies govern a candidate: a policy's ``spec.selector`` against its model and tags.

A policy without a selector governs every candidate at its stages. With one, every part given
must match: the candidate's registered model name against one of the ``models`` globs
(``fnmatch``, case-insensitive: a registry may not tell ``Fraud-x`` from ``fraud-x``), and
each of the ``tags`` against the candidate run's tags or its model version's (as snapshotted:
only allow-listed tags reach the evidence). The answer comes with its reason, which every
report shows for the policies that did not select the candidate.

An org policy's selector fails closed. When the evidence cannot say whether it selects the
candidate, the answer is *undecided* and the decision inconclusive
(``policy.unknown-model``), never a pass that skipped the baseline:

* a ``models`` selector needs the model name from the registry (the candidate given as
  ``models:/NAME/VERSION`` or ``@ALIAS``): a run's own ``govgate.model.name`` tag is whatever
  its logger wrote, and a run that names no model cannot be placed at all;
* a ``tags`` selector reads the model version's tags only, as the registry holds them, and
  needs each tag present: a candidate without ``risk_tier`` is not shown to be low-risk by its
  silence, and a run's own ``risk_tier: low`` is not the registry's word.

Tag values compare without case or surrounding space (``High `` selects ``high``).

A team policy's selector is a convenience of the team's own: a missing tag or model simply
does not select it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from govgate.evidence.model import RunEvidence
from govgate.policy.compiled import LoadedPolicy
from govgate.terms import Layer


@dataclass(frozen=True, slots=True)
class Selection:
    """Whether a policy governs the candidate, why, and whether the evidence could not say
    (``undecided``: an org policy's selector the evidence cannot settle)."""

    selected: bool
    reason: str
    undecided: bool = False


def registered(candidate: RunEvidence) -> bool:
    """Was the candidate's model read from the registry (not from the run's own tags)? A
    policy test's candidate stands for one that was (its ``spec.model``)."""
    resolution = candidate.resolution
    return candidate.model is not None and (
        resolution.by_version or resolution.method == "test-fixture"
    )


def normal(value: str) -> str:
    """A tag value as selectors compare it: ``High `` is ``high``."""
    return value.strip().casefold()


def tag_of(policy: LoadedPolicy, candidate: RunEvidence, key: str) -> str | None:
    """The candidate's tag ``key`` as ``policy`` may read it: an org policy only from the model
    version, as the registry holds it (a run's own tags are whatever its logger wrote); a team
    policy from the run or the model version."""
    model = candidate.model
    version_tags = model.tags if model is not None and registered(candidate) else {}
    if policy.document.metadata.layer is Layer.ORG:
        return version_tags.get(key)
    return {**candidate.tags, **(model.tags if model is not None else {})}.get(key)


def selects(policy: LoadedPolicy, candidate: RunEvidence) -> Selection:
    """Whether ``policy`` governs ``candidate``, and why (or why not)."""
    selector = policy.document.spec.selector
    if selector is None:
        return Selection(True, "the policy has no selector: it governs every candidate")
    org = policy.document.metadata.layer is Layer.ORG
    model = candidate.model
    name = model.name if model is not None else None
    if selector.models:
        globs = ", ".join(selector.models)
        if name is None:
            return Selection(
                False, f"the candidate has no registered model; the policy selects {globs}", org
            )
        if org and not registered(candidate):
            return Selection(
                False,
                f"the candidate's model {name!r} comes from its run's tags, not the registry, "
                f"and this org policy selects {globs}",
                True,
            )
        if not any(fnmatchcase(name.casefold(), glob.casefold()) for glob in selector.models):
            return Selection(False, f"model {name!r} matches none of {globs}")
    where = "model version (the registry)" if org else "run or model version"
    for key, want in sorted(selector.tags.items()):
        have = tag_of(policy, candidate, key)
        if have is None or normal(have) != normal(want):
            found = "no such tag" if have is None else f"it is {have!r}"
            return Selection(
                False, f"tag {key}={want!r} required ({found} on the {where})", org and have is None
            )
    parts = []
    if selector.models:
        parts.append(f"model {name!r} matches {', '.join(selector.models)}")
    if selector.tags:
        parts.append(", ".join(f"{k}={v!r}" for k, v in sorted(selector.tags.items())))
    return Selection(True, "; ".join(parts) or "the selector is empty: it governs every candidate")
