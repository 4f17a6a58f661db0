"""Structured rule shorthands, compiled to CEL: one evaluator for every rule.

Each shorthand yields two expressions. ``expression`` holds when the evidence shows compliance;
``violation`` holds when it shows a breach. For ``bound``/``paired`` forms these come from
opposite confidence bounds, so a result in between is *inconclusive*, never a pass. For
``point`` forms the violation is the plain negation: a point value has no uncertainty to report.

The full table is in policies/README.md ("Shorthands"). In short, for ``threshold`` with
``max: T`` and basis ``bound``: pass ``candidate.stats.M.upper <= T``, fail
``candidate.stats.M.lower > T``; for ``relative`` with ``higher_is_better``, margin ``m`` and
basis ``paired``: pass ``compare.M.delta_lower >= -(m)``, fail ``compare.M.delta_upper < -(m)``;
for ``fairness`` with ``max_gap: g``: pass ``...max_gap_upper <= g``, fail ``...max_gap_lower > g``.

``slo`` (the SRE workbook's multiwindow burn-rate alert) fails when the burn rate exceeds ``max``
over both windows, and passes when it does not over at least one: ``S.burn_rate_1h > 14.4 &&
S.burn_rate_5m > 14.4`` and its negation ``S.burn_rate_1h <= 14.4 || S.burn_rate_5m <= 14.4``.
Burn rates are point values, so there is no inconclusive zone between the two, except the one the
engine makes when a window holds fewer events than the SLO's ``min_events``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from govgate.policy.model import Fairness, Relative, Rule, SloRule, Threshold
from govgate.terms import Basis, Direction, RelativeBasis


@dataclass(frozen=True, slots=True)
class RuleCel:
    """The CEL a rule is evaluated with, whatever form it was written in."""

    expression: str
    violation: str | None


def _num(value: float) -> str:
    """A CEL double literal that round-trips exactly (``0.1`` stays ``0.1``)."""
    text = repr(float(value))
    return text if ("." in text or "e" in text or "n" in text) else text + ".0"


def _field(root: str, section: str, name: str) -> str:
    """``root.section.name``, or ``root.section["name"]`` when name is not an identifier."""
    if name.isidentifier():
        return f"{root}.{section}.{name}"
    return f"{root}.{section}[{json.dumps(name)}]"


def _named(root: str, name: str) -> str:
    return f"{root}.{name}" if name.isidentifier() else f"{root}[{json.dumps(name)}]"


def threshold(t: Threshold) -> RuleCel:
    limit = t.max if t.max is not None else t.min
    assert limit is not None
    value = _num(limit)
    is_max = t.max is not None
    if t.basis is Basis.POINT:
        point = _field("candidate", "metrics", t.metric)
        if is_max:
            return RuleCel(f"{point} <= {value}", f"{point} > {value}")
        return RuleCel(f"{point} >= {value}", f"{point} < {value}")
    stat = _field("candidate", "stats", t.metric)
    if is_max:
        return RuleCel(f"{stat}.upper <= {value}", f"{stat}.lower > {value}")
    return RuleCel(f"{stat}.lower >= {value}", f"{stat}.upper < {value}")


def relative(r: Relative) -> RuleCel:
    higher = r.direction is Direction.HIGHER_IS_BETTER
    if r.basis is RelativeBasis.POINT:
        cand = _field("candidate", "metrics", r.metric)
        base = _field("baseline", "metrics", r.metric)
        if r.margin is not None:
            m = _num(r.margin)
            ok = f"{cand} >= {base} - {m}" if higher else f"{cand} <= {base} + {m}"
        else:
            assert r.margin_ratio is not None
            factor = _num(1.0 - r.margin_ratio) if higher else _num(1.0 + r.margin_ratio)
            ok = f"{cand} >= {factor} * {base}" if higher else f"{cand} <= {factor} * {base}"
        return RuleCel(ok, f"!({ok})")
    cmp = _named("compare", r.metric)
    if r.margin is not None:
        allowed = _num(r.margin)
    else:
        assert r.margin_ratio is not None
        allowed = f"{_num(r.margin_ratio)} * {_field('baseline', 'stats', r.metric)}.value"
    if higher:
        return RuleCel(f"{cmp}.delta_lower >= -({allowed})", f"{cmp}.delta_upper < -({allowed})")
    return RuleCel(f"{cmp}.delta_upper <= {allowed}", f"{cmp}.delta_lower > {allowed}")


def fairness(f: Fairness) -> RuleCel:
    base = f"fairness.by_group({json.dumps(f.group)}).stats"
    stat = f"{base}.{f.metric}" if f.metric.isidentifier() else f"{base}[{json.dumps(f.metric)}]"
    if f.max_gap is not None:
        g = _num(f.max_gap)
        return RuleCel(f"{stat}.max_gap_upper <= {g}", f"{stat}.max_gap_lower > {g}")
    assert f.min_ratio is not None
    r = _num(f.min_ratio)
    return RuleCel(f"{stat}.min_ratio_lower >= {r}", f"{stat}.min_ratio_upper < {r}")


def slo(s: SloRule) -> RuleCel:
    unit = _named("candidate.slo", s.name)
    b = s.burn_rate
    m = _num(b.max)
    long_, short = f"{unit}.burn_rate_{b.long}", f"{unit}.burn_rate_{b.short}"
    return RuleCel(f"{long_} <= {m} || {short} <= {m}", f"{long_} > {m} && {short} > {m}")


def rule_cel(rule: Rule) -> RuleCel:
    """The CEL for any rule: as written, or generated from its shorthand."""
    if rule.threshold is not None:
        return threshold(rule.threshold)
    if rule.relative is not None:
        return relative(rule.relative)
    if rule.fairness is not None:
        return fairness(rule.fairness)
    if rule.slo is not None:
        return slo(rule.slo)
    assert rule.expression is not None
    return RuleCel(rule.expression, rule.violation)
