"""HTML: one self-contained file for reviewers. No scripts, no network, plots as inline SVG.

Every rule decided on a statistic gets an interval plot (the observed value, its one-sided
bound and the threshold, on one axis); every fairness rule gets a chart of its groups. All the
numbers come from the decision.

The page is ``templates/report.html.j2``, rendered by Jinja2 with autoescape on, so escaping is
the template engine's job and cannot be forgotten: rule ids, messages, run ids, waiver reasons
and evidence values reach it as plain strings and nothing here marks a string safe. This module
only computes the plots' geometry, as numbers, so that replaying a decision gives the same bytes.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import (
    approval_lines,
    coverage,
    findings_by_rule,
    governance_line,
    groups,
    headline,
    looks_line,
    measurement_notes,
    not_covered,
    num,
    ordered,
    pct,
    preregistration,
    recommendation,
    row,
    verdict_line,
    with_unit,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Outcome, SubjectKind

if TYPE_CHECKING:
    from jinja2 import Template

W, H, PAD = 520, 56, 40


@dataclass(frozen=True)
class IntervalPlot:
    """One statistic on one axis: x positions in SVG units, texts for the template to escape."""

    label: str
    left: float
    right: float
    point: float
    lo: str
    hi: str
    threshold_x: float | None
    threshold: str
    caption: str


@dataclass(frozen=True)
class GroupRow:
    name: str
    n: object  # as the evidence has it: the label shows whatever was logged
    y: int
    interval: tuple[float, float] | None
    point: float | None
    baseline: float | None = None  # the baseline's value of the group, when there is one


@dataclass(frozen=True)
class GroupChart:
    label: str
    subject: str
    height: int
    groups: list[GroupRow]
    axis_y: int = 0
    lo: str = ""  # the axis' end labels, with the unit
    hi: str = ""
    threshold_x: float | None = None
    threshold: str = ""
    worst: str | None = None


@dataclass(frozen=True)
class LookChart:
    """One rule's bounds over the looks at a canary, against its threshold (SVG units)."""

    label: str
    subject: str
    passing: str  # polyline points of the bound a pass reads
    failing: str  # polyline points of the bound a breach reads
    threshold_y: float
    threshold: str
    top: str  # axis labels
    bottom: str
    first: int  # the look numbers at the ends of the axis
    last: int


LOOK_H = 120


def _look_charts(decision: Decision) -> list[LookChart]:
    """A chart per structured rule of a canary decision: the passing bound (upper for a ceiling)
    and the failing bound (lower) at every recorded look and this one. Unbounded sides are
    left out of the line (a gap), never drawn at the edge."""
    looks = decision.looks
    if looks is None or not looks.history:
        return []
    charts = []
    first, last = looks.history[0].number, looks.history[-1].number
    span = max(last - first, 1)

    def x(number: int) -> float:
        return PAD + (number - first) / span * (W - 2 * PAD)

    for b in looks.rules:
        series = [(look.number, look.bounds.get(b.rule, {})) for look in looks.history]
        values = [
            v
            for _, sides in series
            for v in sides.values()
            if isinstance(v, int | float) and math.isfinite(v)
        ]
        lo, hi = min([*values, b.threshold]), max([*values, b.threshold])
        if hi <= lo:
            lo, hi = lo - 1.0, hi + 1.0

        def y(value: float, lo: float = lo, hi: float = hi) -> float:
            return 10 + (hi - value) / (hi - lo) * (LOOK_H - 30)

        def line(side: str, series: list[tuple[int, dict[str, float]]] = series) -> str:
            return " ".join(
                f"{x(n):.1f},{y(s[side]):.1f}"
                for n, s in series
                if side in s and math.isfinite(s[side])
            )

        passing, failing = ("upper", "lower") if b.at_most else ("lower", "upper")
        charts.append(
            LookChart(
                b.rule,
                b.path,
                line(passing),
                line(failing),
                y(b.threshold),
                num(b.threshold),
                num(hi),
                num(lo),
                first,
                last,
            )
        )
    return charts


@functools.cache
def _template() -> Template:
    """Loaded on the first HTML report only: commands that render no HTML never import Jinja."""
    from jinja2 import Environment, PackageLoader, StrictUndefined

    env = Environment(
        loader=PackageLoader("govgate.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pct"] = pct
    env.globals.update(W=W, H=H, PAD=PAD, LOOK_H=LOOK_H, GX0=GX0, GX1=GX1)
    return env.get_template("report.html.j2")


def _values(rule: RuleResult) -> dict[str, Any]:
    return {o.path: o.value for o in rule.observed}


def _x(value: float, lo: float, hi: float) -> float:
    return PAD + (value - lo) / (hi - lo) * (W - 2 * PAD) if hi > lo else W / 2


def interval_plot(
    label: str,
    value: float,
    lower: float | None,
    upper: float | None,
    threshold: float | None,
    at_most: bool,
    caption: str,
    unit: str | None = None,
) -> IntervalPlot:
    """The value, its confidence interval (an open end is drawn to the edge) and the threshold."""
    points = [v for v in (value, lower, upper, threshold) if v is not None and math.isfinite(v)]
    lo, hi = min(points), max(points)
    span = (hi - lo) or abs(hi) or 1.0
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    left = _x(lower, lo, hi) if lower is not None and math.isfinite(lower) else PAD - 10
    right = _x(upper, lo, hi) if upper is not None and math.isfinite(upper) else W - PAD + 10
    return IntervalPlot(
        label=label,
        left=left,
        right=right,
        point=_x(value, lo, hi),
        lo=with_unit(num(lo), unit),
        hi=with_unit(num(hi), unit),
        threshold_x=None if threshold is None else _x(threshold, lo, hi),
        threshold=with_unit(f"{'max' if at_most else 'min'} {num(threshold)}", unit),
        caption=caption,
    )


def _rule_plot(rule: RuleResult) -> IntervalPlot | None:
    sub = rule.subject
    if sub is None or sub.path is None or sub.kind is SubjectKind.POINT:
        return None
    v = _values(rule)
    s = sub.path
    if sub.kind is SubjectKind.STAT:
        value, lower, upper = v.get(f"{s}.value"), v.get(f"{s}.lower"), v.get(f"{s}.upper")
        n = v.get(f"{s}.n")
        threshold = sub.threshold
    elif sub.kind is SubjectKind.DELTA:
        value, lower, upper = (
            v.get(f"{s}.delta"),
            v.get(f"{s}.delta_lower"),
            v.get(f"{s}.delta_upper"),
        )
        n = v.get(f"{s}.n")
        threshold = (
            None
            if sub.threshold is None
            else (sub.threshold if sub.at_most else -sub.threshold)
            if sub.threshold_kind == "margin"
            else None
        )
    else:
        name = sub.threshold_kind or "max_gap"
        value, lower, upper = (
            v.get(f"{s}.{name}"),
            v.get(f"{s}.{name}_lower"),
            v.get(f"{s}.{name}_upper"),
        )
        n = None  # a fairness statistic spans groups; the group chart shows each n
        threshold = sub.threshold
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    caption = (
        f"{s}: {num(float(value))}, one-sided bounds {num(lower)} to {num(upper)} "
        f"at {rule.confidence:.0%}" + (f", n={n:,}" if isinstance(n, int) else "")
    )
    return interval_plot(
        rule.key, float(value), lower, upper, threshold, bool(sub.at_most), caption, rule.unit
    )


#: the group chart's plot area (x, SVG units): group labels to the left of it
GX0, GX1 = 200, W - 24


def _gx(value: float, lo: float, hi: float) -> float:
    return GX0 + (value - lo) / (hi - lo) * (GX1 - GX0) if hi > lo else (GX0 + GX1) / 2


def _number(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _groups_chart(rule: RuleResult) -> GroupChart | None:
    """Each group's value and simultaneous interval (the candidate's, filled; the baseline's
    value, hollow), on a labelled axis, with the line the worst group may not cross: the
    highest group's value less ``max_gap`` (or times ``min_ratio``)."""
    sub = rule.subject
    if sub is None or sub.kind is not SubjectKind.FAIRNESS or sub.path is None:
        return None
    v, context = _values(rule), {o.path: o.value for o in rule.context}
    prefix, base_prefix = f"{sub.path}.groups[", f"baseline.{sub.path}.groups["
    names = sorted({p[len(prefix) :].rsplit("].", 1)[0][1:-1] for p in v if p.startswith(prefix)})
    if not names:
        return None
    rows = [
        (
            g,
            _number(v.get(f'{prefix}"{g}"].value')),
            _number(v.get(f'{prefix}"{g}"].lower')),
            _number(v.get(f'{prefix}"{g}"].upper')),
            v.get(f'{prefix}"{g}"].n'),
            _number(context.get(f'{base_prefix}"{g}"].value')),
        )
        for g in names
    ]
    values = [r[1] for r in rows if r[1] is not None]
    limit, limit_text = None, ""
    if values and sub.threshold is not None:
        top = max(values)
        if sub.threshold_kind == "min_ratio":
            limit, limit_text = top * sub.threshold, f"highest x {num(sub.threshold)}"
        else:
            limit, limit_text = top - sub.threshold, f"highest - {num(sub.threshold)}"
    numbers = [x for r in rows for x in (r[1], r[2], r[3], r[5]) if x is not None]
    if limit is not None:
        numbers.append(limit)
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.05 * span, hi + 0.05 * span
    groups = [
        GroupRow(
            name=name,
            n=n,
            y=16 + 24 * i,
            interval=(_gx(lower, lo, hi), _gx(upper, lo, hi))
            if lower is not None and upper is not None
            else None,
            point=_gx(value, lo, hi) if value is not None else None,
            baseline=_gx(base, lo, hi) if base is not None else None,
        )
        for i, (name, value, lower, upper, n, base) in enumerate(rows)
    ]
    axis_y = 24 * len(rows) + 8
    unit = f" ({rule.unit})" if rule.unit else ""
    return GroupChart(
        label=rule.key,
        subject=sub.path,
        height=axis_y + 30,
        groups=groups,
        axis_y=axis_y,
        lo=num(lo) + unit,
        hi=num(hi) + unit,
        threshold_x=_gx(limit, lo, hi) if limit is not None else None,
        threshold=limit_text,
        worst=next((g for g in names if g == v.get(f"{sub.path}.worst_group")), None),
    )


def render_html(decision: Decision, risk: RiskAssessment) -> str:
    by_rule = findings_by_rule(risk)
    rules = [
        (r, row(r, by_rule.get(r.key)), _rule_plot(r), _groups_chart(r), groups(r))
        for r in ordered(decision)
        if r.outcome is not Outcome.SKIPPED
    ]
    return _template().render(
        decision=decision,
        risk=risk,
        rules=rules,
        verdict_words=verdict_line(decision),
        headline=headline(decision, risk),
        recommendation=recommendation(decision),
        preregistration=preregistration(decision),
        looks=looks_line(decision),
        governs=governance_line(decision),
        approvals=approval_lines(decision),
        look_charts=_look_charts(decision),
        controls=coverage(decision),
        not_covered=not_covered(decision, risk),
        measurement=measurement_notes(decision),
    )
