"""Observability gaps: missing evidence, what it stops us knowing, how to instrument it."""

from __future__ import annotations

from typing import Any, Literal

from govgate.gate.outcome import Decision, MissingEvidence, RuleResult
from govgate.policy import controls
from govgate.risk.matrix import impact_of
from govgate.risk.model import Level, ObservabilityGap
from govgate.terms import Enforce, Outcome

_INSTRUMENT = {
    "stats": "log a per-item column rate.{name} or score.{name} in govgate/items.parquet "
    "(govgate eval run writes it)",
    "metrics": "log the metric {name} on the run (mlflow.log_metric)",
    "compare": "log per-item {name} for the candidate and the baseline, with shared item_id values",
    "fairness": "log the group column and per-item {name}, with at least the minimum number "
    "of items in every group",
    "baseline": "pass --baseline (the champion's run or alias)",
    "params": "log the param {name} (and not under a secret-looking name)",
    "tags": "log the tag {name} (and allow-list it)",
}


def _instrumentation(missing: MissingEvidence) -> str:
    """How to log the evidence ``missing`` names, from its root and path segments."""
    root, rest = missing.root, missing.segments
    if "no baseline" in missing.reason or "no candidate run" in missing.reason:
        return _INSTRUMENT["baseline"]
    if root == "fairness":
        return _INSTRUMENT["fairness"].format(name=rest[-1] if rest else "metric")
    if root == "compare":
        return _INSTRUMENT["compare"].format(name=rest[0] if rest else "metric")
    section = rest[0] if rest else "metrics"
    name = rest[1] if len(rest) > 1 else "?"
    template = _INSTRUMENT.get(section, "log the missing evidence on the run")
    return template.format(name=name)


def priority_of(rule: RuleResult, impact: Level) -> Literal["P1", "P2", "P3"]:
    if rule.enforce is not Enforce.BLOCK:
        return "P3"
    return "P1" if impact in (Level.HIGH, Level.CRITICAL) else "P2"


def _gap_entry(by_unit: dict[str, dict[str, Any]], missing: MissingEvidence) -> dict[str, Any]:
    """The gap for the evidence unit ``missing`` names, created on first sight (P3)."""
    return by_unit.setdefault(
        missing.unit,
        {
            "reason": missing.reason,
            "how": _instrumentation(missing),
            "rules": [],
            "knowing": [],
            "priority": "P3",
            "owners": [],
        },
    )


def gaps_of(decision: Decision) -> list[ObservabilityGap]:
    by_unit: dict[str, dict[str, Any]] = {}
    for rule in decision.rules:
        if rule.outcome is not Outcome.GAP and not (rule.outcome is Outcome.FAIL and rule.missing):
            continue
        impact, _ = impact_of(rule)
        for missing in rule.missing:
            entry = _gap_entry(by_unit, missing)
            entry["rules"].append(rule.key)
            entry["owners"].append(owner_of(rule))
            entry["knowing"].append(rule.title or f"whether {rule.key} holds")
            entry["priority"] = min(entry["priority"], priority_of(rule, impact))
    claimed = {c for rule in decision.rules for c in rule.controls}
    for required in decision.required_controls:
        if required.control in claimed:
            continue
        found = controls.lookup(required.control)
        entry = by_unit.setdefault(
            f"control {required.control}",
            {
                "reason": "required by the policy set; no rule claims it",
                "how": f"add a rule that gives evidence for it, with controls: "
                f"[{required.control}] (or list it in its policy's metadata.controls)",
                "rules": [],
                "knowing": [],
                "priority": "P2",
                "owners": [],
            },
        )
        entry["rules"].append(f"{required.policy} (required_controls)")
        entry["knowing"].append(
            f"whether control {required.control} is met ({found.framework} "
            f"{found.reference}: {found.title})"
            if found is not None
            else f"whether control {required.control} is met"
        )
        entry["owners"].extend(required.owners)
    for gap in decision.expected_gaps:
        entry = _gap_entry(by_unit, gap.missing)
        entry["rules"].append(f"{gap.policy} (expects)")
        entry["knowing"].append(f"evidence policy {gap.policy} expects on every run")
        entry["owners"].extend(gap.owners)
        entry["priority"] = min(entry["priority"], "P2")  # a policy asked for it on every run
    return [
        ObservabilityGap(
            missing=f"{unit} ({entry['reason']})",
            stops_us_knowing="; ".join(dict.fromkeys(entry["knowing"])),
            instrumentation=entry["how"],
            priority=entry["priority"],
            rules=sorted(set(entry["rules"])),
            owners=list(dict.fromkeys(entry["owners"])),
        )
        for unit, entry in sorted(by_unit.items(), key=lambda kv: (kv[1]["priority"], kv[0]))
    ]


def owner_of(rule: RuleResult) -> str:
    return rule.owner or ", ".join(rule.owners) or "the policy owners"
