"""Layers: an organisation's baseline that team policies may tighten, never loosen.

A policy with ``metadata.layer: org`` is part of the baseline. A team policy adds rules of its
own, and may tighten an org policy's rules by naming it (``metadata.extends: ORG_POLICY``)
and giving a rule the id of one of its rules: the team rule then replaces the org rule,
provided it is at least as strict in every respect. What "at least as strict" means, by form:

* every form: the same category and form; ``enforce`` no weaker (block > warn > audit);
  ``on_missing`` no weaker (fail > gap); the same or more stages; the same confidence; a
  ``requires`` no weaker (no method the org rule refuses, at every stage it applies at);
* ``threshold``: the same metric and basis; a ``max`` no higher, a ``min`` no lower;
* ``relative``: the same metric, direction and basis; the same kind of margin, no larger;
* ``fairness``: the same group column and metric; a ``max_gap`` no larger, a ``min_ratio``
  no smaller;
* ``slo``: the same SLO; the same windows; a burn-rate ``max`` no higher;
* ``expression``: never (no one can prove a CEL expression stricter): add a new rule instead.

The replacing rule is judged under its own policy's settings, so a team policy that replaces an
org rule must use the org policy's ``spec.statistics`` (rate and mean methods, ranges, group
size, sequential looks) unchanged, and a replaced ``slo`` rule's SLO must be defined as the
org defines it (objective, window, events, minimum events).

Anything else is refused at load, with a problem naming both files. An org rule is replaced
only where its replacement is judged: when the team policy does not govern the candidate (its
selector) or does not judge the stage, the org rule is judged itself. A rule of an org policy
can be waived only by a waiver with ``spec.layer: org``, and so can a team rule that replaces
one (waiving it would waive the baseline). Org documents come from the
organisation's signed policy pack (``govgate pack``), which a team cannot forge: once a pack
(or a pinned git source) is loaded, an org document from anywhere else is refused
(``layer.unsigned-org``), whether or not the pack's signature was checked (``validate`` and
``test`` check integrity only; ``check`` requires the signature unless told
``--unsafe-unsigned-pack``, which warns, and the bundle's policy origins record the signature
as not checked). With no pack at all (one repository), nothing tells org and team files
apart, and the layers only guard against mistakes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from govgate.errors import Problem, SourceSpan
from govgate.policy import model
from govgate.policy.compiled import CompiledRule, LoadedPolicy, LoadedWaiver
from govgate.policy.origins import OriginKind, PolicyOrigin
from govgate.terms import Enforce, Layer, OnMissing

_ENFORCE = {Enforce.AUDIT: 0, Enforce.WARN: 1, Enforce.BLOCK: 2}
_MISSING = {OnMissing.GAP: 0, OnMissing.FAIL: 1}


@dataclass(frozen=True)
class Override:
    """A team rule that replaces an org rule it tightens."""

    org: CompiledRule
    team: CompiledRule
    org_policy: LoadedPolicy
    team_policy: LoadedPolicy


def _looser(org: CompiledRule, team: CompiledRule) -> str | None:
    """Why ``team`` is not at least as strict as ``org``, or None when it is."""
    a, b = org.rule, team.rule
    if a.form != b.form:
        return f"it is a {b.form} rule, and the org rule a {a.form} rule"
    if a.form == "expression":
        return "an expression rule cannot be shown stricter: add a rule with a new id instead"
    if a.category != b.category:
        return f"its category is {b.category.value}, the org rule's {a.category.value}"
    if _ENFORCE[b.enforce] < _ENFORCE[a.enforce]:
        return f"enforce {b.enforce.value} is weaker than the org rule's {a.enforce.value}"
    if _MISSING[b.on_missing] < _MISSING[a.on_missing]:
        return f"on_missing {b.on_missing.value} is weaker than the org rule's fail"
    dropped = ", ".join(sorted(s.value for s in set(org.stages) - set(team.stages)))
    if dropped:
        return f"it does not judge stage {dropped}, which the org rule does"
    if team.confidence != org.confidence:
        # a higher confidence widens both bounds: the breach the org rule would show (a FAIL,
        # a ROLLBACK) could become inconclusive, so a replacement keeps the org's confidence
        return (
            f"confidence {team.confidence} differs from the org rule's {org.confidence} (a "
            "higher one would also hide breaches the org rule shows)"
        )
    return _looser_requires(a, b) or _looser_form(a, b)


def _looser_requires(a: model.Rule, b: model.Rule) -> str | None:
    """A team rule accepts no measurement method the org rule refuses, at any stage the org
    rule requires one (``requires``)."""
    if a.requires is None:
        return None
    if b.requires is None:
        return f"it drops the org rule's requires (method: {', '.join(a.requires.method)})"
    extra = sorted(set(b.requires.method) - set(a.requires.method))
    if extra:
        return f"it accepts evidence measured by {', '.join(extra)}, which the org rule does not"
    if b.requires.stages is not None and (
        a.requires.stages is None or set(a.requires.stages) - set(b.requires.stages)
    ):
        return "its requires applies at fewer stages than the org rule's"
    return None


def _threshold(ta: model.Threshold, tb: model.Threshold) -> str | None:
    if (ta.metric, ta.basis) != (tb.metric, tb.basis):
        return "it reads another metric or basis than the org rule"
    if (ta.max is None) != (tb.max is None):
        return "it bounds the metric from the other side (min for max, or max for min)"
    if ta.max is not None:
        return (
            None
            if tb.max is not None and tb.max <= ta.max
            else (f"max {tb.max} is above the org rule's {ta.max}")
        )
    if tb.min is not None and ta.min is not None and tb.min >= ta.min:
        return None
    return f"min {tb.min} is below the org rule's {ta.min}"


def _relative(ra: model.Relative, rb: model.Relative) -> str | None:
    if (ra.metric, ra.direction, ra.basis) != (rb.metric, rb.direction, rb.basis):
        return "it compares another metric, direction or basis than the org rule"
    for kind in ("margin", "margin_ratio"):
        mine, theirs = getattr(rb, kind), getattr(ra, kind)
        if (mine is None) != (theirs is None):
            return f"it uses another kind of margin than the org rule ({kind})"
        if mine is not None and theirs is not None and mine > theirs:
            return f"{kind} {mine} is larger than the org rule's {theirs}"
    return None


def _fairness(fa: model.Fairness, fb: model.Fairness) -> str | None:
    if (fa.group, fa.metric) != (fb.group, fb.metric):
        return "it compares another group column or metric than the org rule"
    if fa.max_gap is not None:
        return (
            None
            if fb.max_gap is not None and fb.max_gap <= fa.max_gap
            else (f"max_gap {fb.max_gap} is larger than the org rule's {fa.max_gap}")
        )
    if fb.min_ratio is not None and fa.min_ratio is not None and fb.min_ratio >= fa.min_ratio:
        return None
    return f"min_ratio {fb.min_ratio} is smaller than the org rule's {fa.min_ratio}"


def _slo(sa: model.SloRule, sb: model.SloRule) -> str | None:
    windows = (sa.name, sa.burn_rate.long, sa.burn_rate.short)
    if windows != (sb.name, sb.burn_rate.long, sb.burn_rate.short):
        return "it reads another SLO or other windows than the org rule"
    if sb.burn_rate.max > sa.burn_rate.max:
        return f"burn-rate max {sb.burn_rate.max} is above the org rule's {sa.burn_rate.max}"
    return None


def _looser_form(a: model.Rule, b: model.Rule) -> str | None:
    """The shorthand's own values, compared (both rules have the same form)."""
    if a.threshold is not None and b.threshold is not None:
        return _threshold(a.threshold, b.threshold)
    if a.relative is not None and b.relative is not None:
        return _relative(a.relative, b.relative)
    if a.fairness is not None and b.fairness is not None:
        return _fairness(a.fairness, b.fairness)
    if a.slo is not None and b.slo is not None:
        return _slo(a.slo, b.slo)
    return "its shorthand cannot be compared with the org rule's"


def _settings_differ(org: LoadedPolicy, team: LoadedPolicy) -> str | None:
    """Why ``team``'s statistics would judge a replaced rule otherwise than ``org``'s do."""
    mine, theirs = team.document.spec.statistics, org.document.spec.statistics
    fields = [
        name for name in type(theirs).model_fields if getattr(mine, name) != getattr(theirs, name)
    ]
    if not fields:
        return None
    return (
        f"its policy's spec.statistics ({', '.join(fields)}) differs from the org policy's, "
        "and a replacing rule is judged under its own policy's statistics"
    )


def _slo_differs(org: LoadedPolicy, team: LoadedPolicy, rule: CompiledRule) -> str | None:
    """Why the SLO a replacing slo rule reads is not the one the org rule reads."""
    if rule.rule.slo is None:
        return None
    name = rule.rule.slo.name
    theirs = {s.name: s for s in org.document.spec.slos}.get(name)
    mine = {s.name: s for s in team.document.spec.slos}.get(name)
    skip = {"description"}
    if theirs is None or mine is None:
        return None  # an undefined SLO is a problem of its own
    if mine.model_dump(exclude=skip) != theirs.model_dump(exclude=skip):
        return f"its policy defines SLO {name!r} otherwise than the org policy does"
    return None


def overrides(policies: Sequence[LoadedPolicy]) -> tuple[list[Override], list[Problem]]:
    """The team rules that replace org rules, and a problem for every one that may not."""
    by_name = {p.name: p for p in policies}
    found: list[Override] = []
    problems: list[Problem] = []
    for team in policies:
        meta = team.document.metadata
        if meta.extends is None:
            continue
        org = by_name.get(meta.extends)
        where = team.span
        if meta.layer is Layer.ORG:
            problems.append(_problem("layer.extends", "an org policy cannot extend one", where))
            continue
        if org is None:
            problems.append(
                _problem(
                    "layer.extends",
                    f"extends names no loaded policy {meta.extends!r}",
                    where,
                    "load the org policies together with the team's (an org pack and this folder)",
                )
            )
            continue
        if org.document.metadata.layer is not Layer.ORG:
            problems.append(
                _problem(
                    "layer.extends",
                    f"extends {meta.extends!r} ({org.source.path}), which is not an org "
                    "policy (metadata.layer: org)",
                    where,
                )
            )
            continue
        org_rules = {r.rule.id: r for r in org.rules}
        for rule in team.rules:
            base = org_rules.get(rule.rule.id)
            if base is None:
                continue  # a rule of the team's own
            why = (
                _looser(base, rule) or _settings_differ(org, team) or _slo_differs(org, team, rule)
            )
            if why is not None:
                problems.append(
                    _problem(
                        "layer.loosened",
                        f"rule {rule.rule.id!r} would replace org rule {base.key} "
                        f"({base.span.location()}) but is not at least as strict: {why}",
                        rule.span,
                        "a team may tighten an org rule, never loosen it: keep the org "
                        "rule's values or stricter ones, or ask the org for a waiver "
                        "(spec.layer: org)",
                    )
                )
            else:
                found.append(Override(base, rule, org, team))
    return found, problems


def waiver_problems(
    policies: Sequence[LoadedPolicy], waivers: Sequence[LoadedWaiver]
) -> list[Problem]:
    """A team waiver of an org rule, or of a team rule that replaces one, is refused: only an
    org waiver may excuse the baseline."""
    org = {p.name: p for p in policies if p.document.metadata.layer is Layer.ORG}
    replacing = {o.team.key: o for o in overrides(policies)[0]}
    problems = []
    for w in waivers:
        spec = w.document.spec
        if spec.layer is Layer.ORG:
            continue
        policy = org.get(spec.policy)
        override = replacing.get(f"{spec.policy}/{spec.rule}")
        if policy is not None:
            what = f"a rule of the org policy at {policy.source.path}"
        elif override is not None:
            what = (
                f"a team rule that replaces org rule {override.org.key} "
                f"({override.org_policy.source.path})"
            )
        else:
            continue
        problems.append(
            _problem(
                "layer.waiver",
                f"waiver {w.document.metadata.name!r} excuses {spec.policy}/{spec.rule}, "
                f"{what}, but is not an org waiver",
                w.span,
                "only the organisation can waive its baseline: an org waiver (spec.layer: org) "
                "in the org's policy pack",
            )
        )
    return problems


def origin_problems(
    policies: Sequence[LoadedPolicy],
    waivers: Sequence[LoadedWaiver],
    origins: Sequence[PolicyOrigin],
    shipped: Mapping[str, PolicyOrigin],
    *,
    signed_only: bool = False,
) -> list[Problem]:
    """Once a policy pack or a pinned git source is loaded, an org document must come from
    one: a team folder beside the org's pack cannot declare itself org (a policy, or a waiver
    of the baseline). ``shipped``: each file name loaded from a pack or git source, and which
    one (recorded at load, never inferred from a name a local file could also have).
    ``signed_only``: signatures are required (``check`` with ``--policy-key``, or by default):
    then only a pack whose signature verified can ship org documents, never a git source or
    an integrity-only pack, which anyone could make."""
    remote = [o for o in origins if o.kind in (OriginKind.PACK, OriginKind.GIT)]
    if not remote:
        return []  # one repository, no pack: nothing to tell org and team files apart by

    def trusted(origin: PolicyOrigin) -> bool:
        return not signed_only or (origin.pack is not None and origin.pack.keyid is not None)

    problems = []
    org_docs = [
        (p.source.path, p.span, f"policy {p.name!r}")
        for p in policies
        if p.document.metadata.layer is Layer.ORG
    ] + [
        (w.source.path, w.span, f"waiver {w.document.metadata.name!r}")
        for w in waivers
        if w.document.spec.layer is Layer.ORG
    ]
    names = ", ".join(o.source for o in remote)
    for path, span, what in org_docs:
        origin = shipped.get(path)
        if origin is None or not trusted(origin):
            problems.append(
                _problem(
                    "layer.unsigned-org",
                    f"{what} declares layer org but comes from no "
                    + ("signed policy pack" if signed_only else "policy pack or git source")
                    + f" (those loaded here: {names})",
                    span,
                    "org documents ship in the organisation's signed pack; a team's own "
                    "documents are layer team",
                )
            )
    return problems


def _problem(code: str, message: str, span: SourceSpan, hint: str = "") -> Problem:
    return Problem(code, message, span, hint)
