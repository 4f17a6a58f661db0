"""HTML: one self-contained file for reviewers. No scripts, no network, plots as inline SVG.

Every rule decided on a statistic gets an interval plot (the observed value, its one-sided
bound and the threshold, on one axis); every fairness rule gets a chart of its groups. All the
numbers come from the decision.
"""

from __future__ import annotations

import html
import math
from typing import Any

from govgate.gate.outcome import Decision, RuleResult
from govgate.report.common import (
    RECOMMENDATIONS,
    VERDICT_WORDS,
    findings_by_rule,
    headline,
    num,
    ordered,
    pct,
    preregistration,
    row,
)
from govgate.risk.model import RiskAssessment
from govgate.terms import Outcome, SubjectKind

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328}
h1{font-size:1.25rem;margin:.2rem 0}
h2{font-size:1.05rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
.headline{padding:.8rem 1rem;border-radius:6px;font-weight:600}
.v-PASS{background:#dafbe1}.v-WARN{background:#fff8c5}
.v-FAIL,.v-ROLLBACK{background:#ffebe9}
.v-INCONCLUSIVE{background:#ddf4ff}.meta{color:#59636e;font-size:.9rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
td,th{border:1px solid #d0d7de;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}.o-fail,.o-error{color:#cf222e;font-weight:600}
.o-gap,.o-inconclusive{color:#0969da;font-weight:600}.o-pass{color:#1a7f37}
.o-waived{color:#9a6700}.o-skipped{color:#59636e}
figure{margin:.6rem 0}figcaption{font-size:.85rem;color:#59636e}
code{font-size:.85rem}
"""

W, H, PAD = 520, 56, 40


def _esc(value: object) -> str:
    return html.escape(str(value), quote=True)


def _values(rule: RuleResult) -> dict[str, Any]:
    return {o.path: o.value for o in rule.observed}


def _x(value: float, lo: float, hi: float) -> float:
    return PAD + (value - lo) / (hi - lo) * (W - 2 * PAD) if hi > lo else W / 2


def interval_svg(
    label: str,
    value: float,
    lower: float | None,
    upper: float | None,
    threshold: float | None,
    at_most: bool,
) -> str:
    """The value, its confidence interval (an open end is drawn to the edge) and the threshold."""
    points = [v for v in (value, lower, upper, threshold) if v is not None and math.isfinite(v)]
    lo, hi = min(points), max(points)
    span = (hi - lo) or abs(hi) or 1.0
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    left = _x(lower, lo, hi) if lower is not None and math.isfinite(lower) else PAD - 10
    right = _x(upper, lo, hi) if upper is not None and math.isfinite(upper) else W - PAD + 10
    parts = [
        f'<svg class="interval-plot" role="img" aria-label="{_esc(label)}" width="{W}" '
        f'height="{H}" viewBox="0 0 {W} {H}" xmlns="http://www.w3.org/2000/svg">',
        f'<line x1="{PAD}" y1="40" x2="{W - PAD}" y2="40" stroke="#d0d7de"/>',
        f'<line class="interval" x1="{left:.1f}" y1="24" x2="{right:.1f}" y2="24" '
        f'stroke="#0969da" stroke-width="4"/>',
        f'<circle class="point" cx="{_x(value, lo, hi):.1f}" cy="24" r="5" fill="#1f2328"/>',
        f'<text x="{PAD}" y="54" font-size="10" fill="#59636e">{_esc(num(lo))}</text>',
        f'<text x="{W - PAD}" y="54" font-size="10" fill="#59636e" '
        f'text-anchor="end">{_esc(num(hi))}</text>',
    ]
    if threshold is not None:
        tx = _x(threshold, lo, hi)
        side = "max" if at_most else "min"
        parts.append(
            f'<line class="threshold" x1="{tx:.1f}" y1="6" x2="{tx:.1f}" y2="44" '
            f'stroke="#cf222e" stroke-dasharray="4 3" stroke-width="2"/>'
        )
        parts.append(
            f'<text x="{tx + 4:.1f}" y="12" font-size="10" fill="#cf222e">'
            f"{side} {_esc(num(threshold))}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _rule_plot(rule: RuleResult) -> str:
    if not rule.subject or rule.subject_kind is SubjectKind.POINT:
        return ""
    v = _values(rule)
    s = rule.subject
    if rule.subject_kind is SubjectKind.STAT:
        value, lower, upper = v.get(f"{s}.value"), v.get(f"{s}.lower"), v.get(f"{s}.upper")
        n = v.get(f"{s}.n")
        threshold = rule.threshold
    elif rule.subject_kind is SubjectKind.DELTA:
        value, lower, upper = (
            v.get(f"{s}.delta"),
            v.get(f"{s}.delta_lower"),
            v.get(f"{s}.delta_upper"),
        )
        n = v.get(f"{s}.n")
        threshold = (
            None
            if rule.threshold is None
            else (rule.threshold if rule.at_most else -rule.threshold)
            if rule.threshold_kind == "margin"
            else None
        )
    else:
        name = rule.threshold_kind or "max_gap"
        value, lower, upper = (
            v.get(f"{s}.{name}"),
            v.get(f"{s}.{name}_lower"),
            v.get(f"{s}.{name}_upper"),
        )
        n = None  # a fairness statistic spans groups; the group chart shows each n
        threshold = rule.threshold
    if not isinstance(value, int | float) or isinstance(value, bool):
        return ""
    caption = (
        f"{_esc(s)}: {num(float(value))}, one-sided bounds {num(lower)} to {num(upper)} "
        f"at {rule.confidence:.0%}" + (f", n={n:,}" if isinstance(n, int) else "")
    )
    svg = interval_svg(rule.key, float(value), lower, upper, threshold, bool(rule.at_most))
    return f"<figure>{svg}<figcaption>{caption}</figcaption></figure>"


def _groups_chart(rule: RuleResult) -> str:
    if rule.subject_kind != "fairness" or not rule.subject:
        return ""
    v = _values(rule)
    prefix = f"{rule.subject}.groups["
    names = sorted({p[len(prefix) :].split("]")[0].strip('"') for p in v if p.startswith(prefix)})
    if not names:
        return ""
    rows = [
        (
            g,
            v.get(f'{prefix}"{g}"].value'),
            v.get(f'{prefix}"{g}"].lower'),
            v.get(f'{prefix}"{g}"].upper'),
            v.get(f'{prefix}"{g}"].n'),
        )
        for g in names
    ]
    numbers = [
        x for _, *vals, _ in rows for x in vals if isinstance(x, int | float) and math.isfinite(x)
    ]
    lo, hi = (min(numbers), max(numbers)) if numbers else (0.0, 1.0)
    span = (hi - lo) or 1.0
    lo, hi = lo - 0.1 * span, hi + 0.1 * span
    height = 24 * len(rows) + 16
    parts = [
        f'<svg class="group-chart" role="img" aria-label="{_esc(rule.key)} by group" '
        f'width="{W}" height="{height}" viewBox="0 0 {W} {height}" '
        f'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i, (name, value, lower, upper, n) in enumerate(rows):
        y = 16 + 24 * i
        parts.append(f'<text x="0" y="{y + 4}" font-size="11">{_esc(name)} (n={_esc(n)})</text>')
        if isinstance(lower, int | float) and isinstance(upper, int | float):
            parts.append(
                f'<line class="group-interval" x1="{_x(lower, lo, hi) + 60:.1f}" y1="{y}" '
                f'x2="{_x(upper, lo, hi) + 60:.1f}" y2="{y}" stroke="#8250df" '
                f'stroke-width="4"/>'
            )
        if isinstance(value, int | float):
            parts.append(
                f'<circle cx="{_x(value, lo, hi) + 60:.1f}" cy="{y}" r="4" fill="#1f2328"/>'
            )
    parts.append("</svg>")
    return (
        f"<figure>{''.join(parts)}<figcaption>{_esc(rule.subject)} by group, simultaneous "
        f"intervals</figcaption></figure>"
    )


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(decision: Decision, risk: RiskAssessment) -> str:
    by_rule = findings_by_rule(risk)
    cand = decision.candidate
    meta = (
        f"Stage {_esc(decision.stage)} · candidate {_esc(cand.model or cand.run_id)}"
        f"{' v' + _esc(cand.version) if cand.version else ''} · evidence "
        f"<code>{_esc(decision.evidence_digest)}</code> · policies "
        f"<code>{_esc(decision.policy_set_digest)}</code> · decided {_esc(decision.decided_at)}"
    )
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>govgate: {_esc(VERDICT_WORDS[decision.verdict])}</title>",
        f"<style>{CSS}</style></head><body>",
        f'<p class="headline v-{decision.verdict.value}" id="headline">'
        f"{_esc(headline(decision, risk))}</p>",
        f"<p>{_esc(RECOMMENDATIONS[decision.verdict])}</p>",
        f'<p class="meta">{meta}</p>',
        f'<p class="meta">{_esc(preregistration(decision))}</p>',
    ]
    out.append("<h2>Rules</h2>")
    for r in ordered(decision):
        if r.outcome is Outcome.SKIPPED:
            continue
        x = row(r, by_rule.get(r.key))
        out.append(
            f'<section class="rule" id="{_esc(r.key)}"><h1><span class="o-{r.outcome.value}">'
            f"{_esc(r.outcome.value.upper())}</span> <code>{_esc(r.key)}</code> "
            f"{_esc(r.title or '')}</h1>"
        )
        out.append(f"<p>{_esc(r.reason)}</p>")
        if r.message and r.outcome is not Outcome.PASS:
            out.append(f"<p><em>{_esc(r.message)}</em></p>")
        out.append(
            f'<p class="meta">{_esc(r.category)} · {_esc(r.enforce)} · threshold '
            f"{_esc(x.threshold)} · likelihood {_esc(x.likelihood)} · impact "
            f"{_esc(x.impact or 'n/a')} · <code>{_esc(r.file)}:{r.line}</code></p>"
        )
        out.append(_rule_plot(r))
        out.append(_groups_chart(r))
        out.append("</section>")
    if risk.gaps:
        out.append("<h2>Observability gaps</h2>")
        out.append(
            _table(
                ["What is missing", "What it stops us knowing", "Instrumentation", "Priority"],
                [
                    [
                        _esc(g.missing),
                        _esc(g.stops_us_knowing),
                        _esc(g.instrumentation),
                        _esc(g.priority),
                    ]
                    for g in risk.gaps
                ],
            )
        )
    if risk.findings:
        out.append("<h2>Risk</h2>")
        out.append(
            _table(
                ["Rule", "Likelihood", "Impact", "Level", "Detection", "Mitigation"],
                [
                    [
                        f"<code>{_esc(f.rule)}</code>",
                        _esc(
                            pct(f.likelihood.probability)
                            if f.likelihood.probability is not None
                            else "unknown"
                        )
                        + f"<br><small>{_esc(f.likelihood.basis)}</small>",
                        _esc(f.impact.value),
                        _esc(f.level.value),
                        _esc(f.detection or "not stated"),
                        _esc(f.mitigation or "not stated"),
                    ]
                    for f in risk.findings
                ],
            )
        )
    if decision.waivers:
        out.append("<h2>Waivers</h2>")
        out.append(
            _table(
                ["Waiver", "Rule", "Status", "Approver", "Ticket", "Expires", "Note"],
                [
                    [
                        _esc(w.name),
                        f"<code>{_esc(w.policy)}/{_esc(w.rule)}</code>",
                        _esc(w.status),
                        _esc(w.approver),
                        _esc(w.ticket),
                        _esc(w.expires),
                        _esc(w.reason),
                    ]
                    for w in decision.waivers
                ],
            )
        )
    out.append("<h2>Next Actions</h2><ol>")
    out += [
        f"<li><strong>{_esc(a.priority)}</strong> {_esc(a.what)} <em>({_esc(a.owner)})</em></li>"
        for a in risk.next_actions
    ] or ["<li>None: nothing fell short.</li>"]
    out.append("</ol></body></html>")
    return "\n".join(p for p in out if p) + "\n"
