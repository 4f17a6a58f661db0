"""The terminal report: the verdict first, then every rule with the numbers behind it."""

from __future__ import annotations

from govgate.gate.outcome import Decision, Outcome, RuleResult

_ORDER = [
    Outcome.FAIL,
    Outcome.ERROR,
    Outcome.GAP,
    Outcome.INCONCLUSIVE,
    Outcome.WAIVED,
    Outcome.PASS,
    Outcome.SKIPPED,
]


def _value(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _rule(r: RuleResult) -> list[str]:
    lines = [
        f"  {r.outcome.value.upper():<12} {r.key}  [{r.enforce}, {r.category}]  {r.file}:{r.line}"
    ]
    if r.outcome is Outcome.SKIPPED:
        return lines
    lines.append(f"      {r.reason}")
    if r.message and r.outcome is not Outcome.PASS:
        lines.append(f"      message: {r.message}")
    if r.threshold is not None:
        lines.append(
            f"      threshold: {r.threshold_kind} {_value(r.threshold)} at {r.confidence:.0%}"
        )
    numbers = [o for o in r.observed if not o.path.endswith((".method", ".confidence"))]
    if numbers:
        shown = ", ".join(f"{o.path}={_value(o.value)}" for o in numbers[:8])
        more = f" (+{len(numbers) - 8} more)" if len(numbers) > 8 else ""
        lines.append(f"      observed: {shown}{more}")
    if r.samples_needed is not None:
        lines.append(
            f"      more data: about {r.samples_needed:,} items in all would likely settle it"
        )
    return lines


def render_text(decision: Decision) -> str:
    counts = decision.counts
    head = f"Release decision: {decision.verdict.value} (stage {decision.stage}) | " + ", ".join(
        f"{counts[o.value]} {o.value}" for o in _ORDER if counts.get(o.value)
    )
    lines = [head, f"  {decision.verdict_reason}", ""]
    cand = decision.candidate
    lines.append(
        f"candidate: run {cand.run_id}" + (f" ({cand.model} v{cand.version})" if cand.model else "")
    )
    if decision.baseline is not None:
        base = decision.baseline
        lines.append(
            f"baseline:  run {base.run_id}"
            + (f" ({base.model} v{base.version})" if base.model else "")
        )
    lines.append(f"evidence sha256 {decision.evidence_digest}")
    lines.append("")
    for outcome in _ORDER:
        for r in decision.rules:
            if r.outcome is outcome:
                lines.extend(_rule(r))
    if decision.waivers:
        lines.append("")
        lines.append("waivers:")
        for w in decision.waivers:
            lines.append(
                f"  {w.status:<12} {w.name} ({w.policy}/{w.rule}, {w.ticket}, "
                f"expires {w.expires}): {w.reason}"
            )
    return "\n".join(lines) + "\n"
