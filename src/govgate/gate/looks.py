"""A canary's looks: each check of a live canary is one look, recorded on the canary's run.

A progressive-delivery controller judges a canary again and again as its traffic accumulates.
Each check on the canary stage is a *look*: its number, instant, items, verdict and the bounds
each structured rule decided on are logged to the candidate's MLflow run as metrics whose step
is the look number (:func:`look_metrics`), and read back with the run's metric history the next
time (:func:`looks_of`), so a decision says how many looks there have been and a report can
draw each bound over the looks against its threshold. The bounds on this stage are confidence
sequences (``statistics.sequential``), so the number of looks does not change what a pass
means; it is shown so that a reviewer can see how the decision was reached.

Pure: the looks come from the snapshot (the run's metric history, as read) and the decision
being made, so a replay of the snapshot gives the same record.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Final

from govgate.evidence.model import MetricPoint, RunEvidence
from govgate.gate.outcome import Look, LookBound, Looks, RuleResult
from govgate.terms import SubjectKind, Verdict

#: Metric keys of a look: ``govgate.look`` holds the look number, the others its record.
LOOK: Final = "govgate.look"
LOOK_VERDICT: Final = "govgate.look.verdict"
LOOK_ITEMS: Final = "govgate.look.items"
LOOK_LAST_ARRIVAL: Final = "govgate.look.last_ts"
LOOK_BOUND: Final = "govgate.look.bound."  # + POLICY/RULE + .lower | .upper

#: How a verdict is logged as a number (MLflow metrics are numbers): worse is higher, so the
#: metric charts as a severity (these are not exit codes).
VERDICT_CODES: Final = {
    Verdict.PASS: 0,
    Verdict.WARN: 1,
    Verdict.INCONCLUSIVE: 2,
    Verdict.FAIL: 3,
    Verdict.ROLLBACK: 4,
}
_VERDICTS: Final = {code: verdict for verdict, code in VERDICT_CODES.items()}


def bound_fields(result: RuleResult) -> tuple[str, str] | None:
    """The observed paths of the lower and upper bound a rule decides on, or None for a rule
    without a structured subject (a free CEL expression)."""
    s = result.subject
    if s is None or s.path is None or s.threshold is None or s.kind is None:
        return None
    match s.kind:
        case SubjectKind.STAT:
            return f"{s.path}.lower", f"{s.path}.upper"
        case SubjectKind.DELTA:
            return f"{s.path}.delta_lower", f"{s.path}.delta_upper"
        case SubjectKind.FAIRNESS:
            name = s.threshold_kind or "max_gap"
            return f"{s.path}.{name}_lower", f"{s.path}.{name}_upper"
        case _:  # a point value: both "bounds" are the value
            return s.path, s.path


def _limit(result: RuleResult, observed: dict[str, Any]) -> float | None:
    """The value the decided-on bound is compared with: the threshold, or for a comparison the
    signed margin (``delta_lower >= -m``), relative to the baseline's value for a ratio."""
    s = result.subject
    if s is None or s.threshold is None:
        return None
    limit = float(s.threshold)
    if s.kind is not SubjectKind.DELTA:
        return limit
    if s.threshold_kind == "margin_ratio":
        base = observed.get(f"{s.baseline}.value") if s.baseline else None
        if not isinstance(base, int | float) or isinstance(base, bool):
            return None
        limit *= float(base)
    return limit if s.at_most else -limit


def _bounds(results: list[RuleResult]) -> list[LookBound]:
    out = []
    for result in results:
        fields = bound_fields(result)
        if fields is None or result.subject is None or result.subject.threshold is None:
            continue
        observed = {o.path: o.value for o in result.observed}
        limit = _limit(result, observed)
        if limit is None:
            continue
        lower, upper = (observed.get(f) for f in fields)
        out.append(
            LookBound(
                rule=result.key,
                path=result.subject.path or "",
                threshold=limit,
                at_most=bool(result.subject.at_most),
                lower=float(lower) if isinstance(lower, int | float) else None,
                upper=float(upper) if isinstance(upper, int | float) else None,
            )
        )
    return out


def _points(run: RunEvidence, key: str, latest: int) -> list[MetricPoint]:
    """Every recorded point of ``key``: its history, or the one value of a metric whose
    history was not read (logged once, or over the reader's cap): the latest look's."""
    if key in run.metric_history:
        return list(run.metric_history[key])
    if key in run.metrics and latest >= 1:
        return [MetricPoint(step=latest, timestamp=0, value=run.metrics[key])]
    return []


def _instant(millis: int) -> str | None:
    if millis <= 0:
        return None
    when = dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)
    return when.isoformat(timespec="seconds").replace("+00:00", "Z")


def recorded_looks(run: RunEvidence) -> list[Look]:
    """The looks recorded on a run before this one, in look order (from its metric history)."""
    value = run.metrics.get(LOOK)  # the latest look's number, whatever history was read
    latest = int(value) if value is not None and value.is_integer() and value >= 1 else 0
    numbers = {p.step: p for p in _points(run, LOOK, latest) if p.step >= 1}
    verdicts = {p.step: p.value for p in _points(run, LOOK_VERDICT, latest)}
    items = {p.step: p.value for p in _points(run, LOOK_ITEMS, latest)}
    arrivals = {p.step: p.value for p in _points(run, LOOK_LAST_ARRIVAL, latest)}
    bounds: dict[int, dict[str, dict[str, float]]] = {}
    keys = set(run.metric_history) | set(run.metrics)
    for key in sorted(k for k in keys if k.startswith(LOOK_BOUND)):
        rule, _, side = key[len(LOOK_BOUND) :].rpartition(".")
        if side not in ("lower", "upper") or not rule:
            continue
        for p in _points(run, key, latest):
            bounds.setdefault(p.step, {}).setdefault(rule, {})[side] = p.value
    looks = []
    for step in sorted(numbers):
        code = verdicts.get(step)
        verdict = _VERDICTS.get(int(code)) if code is not None and code.is_integer() else None
        count = items.get(step)
        looks.append(
            Look(
                number=step,
                at=_instant(numbers[step].timestamp),
                items=int(count) if count is not None and count >= 0 else None,
                last_arrival=arrivals.get(step),
                verdict=verdict,
                bounds=bounds.get(step, {}),
            )
        )
    return looks


def looks_of(
    run: RunEvidence,
    results: list[RuleResult],
    verdict: Verdict,
    decided_at: str,
    items: int | None,
    last_arrival: float | None,
    *,
    sequential: bool,
) -> Looks:
    """This look (numbered after every recorded one) and the record of the looks before it."""
    before = recorded_looks(run)
    number = max((look.number for look in before), default=0) + 1
    charted = _bounds(results)
    this = Look(
        number=number,
        at=decided_at,
        items=items,
        last_arrival=last_arrival,
        verdict=verdict,
        bounds={
            b.rule: {
                side: value
                for side, value in (("lower", b.lower), ("upper", b.upper))
                if value is not None
            }
            for b in charted
        },
    )
    return Looks(
        number=number,
        previous=len(before),
        sequential=sequential,
        rules=charted,
        history=[*before, this],
    )


def rewritten(run: RunEvidence, arrivals: Any) -> str | None:
    """Why the candidate's items are not the last recorded look's plus later ones, or None.

    A confidence sequence covers one sequence observed over time: a table into which items
    were inserted before the last look's latest arrival is another sequence, and its bounds
    would not be valid under the looks already taken. At the last look ``items`` rows had
    arrived by ``last_ts``; now no more than that may have arrived before it."""
    last_ts, items = run.metrics.get(LOOK_LAST_ARRIVAL), run.metrics.get(LOOK_ITEMS)
    if last_ts is None or items is None:
        return None
    earlier = int((arrivals < last_ts).sum())
    by_then = int((arrivals <= last_ts).sum())
    look = run.metrics.get(LOOK)
    which = f"look {int(look)}" if look is not None and look.is_integer() else "the last look"
    fix = (
        "so its bounds are not valid under those looks (log ts as the time each item's values "
        "became final, and append new items; a new canary is a new run)"
    )
    if earlier > items:
        return (
            f"{earlier} of the candidate's items arrived before {which}'s latest arrival, which "
            f"saw {int(items)} rows: items were inserted into the sequence already looked at, "
            + fix
        )
    if by_then < items:
        return (
            f"{which} saw {int(items)} rows up to its latest arrival, and {by_then} of them are "
            "left: items were removed from the sequence already looked at, " + fix
        )
    return None


def look_metrics(looks: Looks) -> dict[str, float]:
    """What this look logs to the canary's run, each at step = the look number. Infinite
    bounds (an unbounded side) are left out: MLflow stores them, but they chart as nothing."""
    this = looks.history[-1]
    out: dict[str, float] = {LOOK: float(this.number)}
    if this.verdict is not None:
        out[LOOK_VERDICT] = float(VERDICT_CODES[this.verdict])
    if this.items is not None:
        out[LOOK_ITEMS] = float(this.items)
    if this.last_arrival is not None:
        out[LOOK_LAST_ARRIVAL] = float(this.last_arrival)
    for rule, sides in this.bounds.items():
        for side, value in sides.items():
            if value == value and abs(value) != float("inf"):
                out[f"{LOOK_BOUND}{rule}.{side}"] = float(value)
    return out
