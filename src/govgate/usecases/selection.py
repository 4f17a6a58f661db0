"""Policies that select nothing in a store: ``govgate validate --tracking-uri`` warns of them.

A policy whose ``spec.selector.models`` matches no registered model in the store governs no
candidate there: a typo in a glob, or a model renamed, would silently leave a model ungoverned
(its check is INCONCLUSIVE, never a pass, but nobody notices the policy is dead). Selectors by
tags alone are not checked: tags live on runs and versions, which this does not read.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

from govgate.errors import Problem
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.policy.compiled import PolicySet


def selects_nothing(policy_set: PolicySet, settings: MlflowSettings) -> list[Problem]:
    """A ``policy.selects-nothing`` warning for each policy whose model globs match no model."""
    from govgate.evidence.mlflow.registry import registered_model_names
    from govgate.evidence.mlflow.source import MlflowSource

    selective = [
        p
        for p in policy_set.policies
        if p.document.spec.selector is not None and p.document.spec.selector.models
    ]
    if not selective:
        return []
    names, truncated = registered_model_names(MlflowSource(settings))
    warnings = []
    for policy in selective:
        selector = policy.document.spec.selector
        assert selector is not None
        if any(
            fnmatchcase(name.casefold(), glob.casefold())
            for name in names
            for glob in selector.models
        ):
            continue
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        warnings.append(
            Problem(
                "policy.selects-nothing",
                f"policy {policy.name!r} selects no registered model in {settings.tracking_uri}"
                f" (models: {', '.join(selector.models)}; the registry has "
                f"{shown or 'no models'}{', read in part' if truncated else ''})",
                policy.span,
                "fix the globs in spec.selector.models, or register the model: a model no "
                "blocking policy selects is judged INCONCLUSIVE",
            )
        )
    return warnings
