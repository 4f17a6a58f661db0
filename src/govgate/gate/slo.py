"""SLOs over the evidence: events in time, burn rates over windows, the error budget left.

The method is the SRE workbook's ("Alerting on SLOs": multiwindow, multi-burn-rate alerts).
The error budget is ``1 - objective`` of the events; the **burn rate** over a window is the
error rate of the events in it divided by that budget: 1 spends the budget exactly over the SLO
window, 14.4 spends 2% of a 30-day budget in an hour. Burn rates are **point values**, as in
the workbook: no confidence bound, labelled so in every result that reads one.

Events come from the per-item table (one event per row with a value in the SLO's rate column,
at its ``ts``) or from two metric histories (the counts of a step, at the step's timestamp).

* **Windows end at the newest event in the evidence**, never at the wall clock, so a decision
  replays byte for byte from its snapshot (``end`` says when that was; ``now - S.end`` is how
  stale the evidence is).
* A window of length ``W`` holds the events with time in ``(end - W, end]``: an event exactly
  ``W`` before the newest is outside, as in Prometheus range selectors, so a window spans
  exactly ``W`` and two adjacent windows never count an event twice.
* Times are whole microseconds and counts whole numbers, so every sum is exact and the same in
  any row order.
* ``budget_remaining`` is ``1 - burn_rate * coverage``: the share of the SLO window's budget
  the evidence did not spend, where ``burn_rate`` is over the part of the SLO window the
  evidence covers and ``coverage`` that part's share of the window (the span from the oldest
  to the newest event, at most the window). It is what the evidence spent of a budget sized to
  its traffic over the whole window; negative when overspent. 2 hours of canary traffic cover
  0.28% of a 30-day window, and the unit says so (``coverage``, ``span_seconds``). Events that
  all arrived at one instant span no time: the budget left is undefined (NaN, so a rule that
  reads it is an error, never a pass).
* A window with fewer events than the SLO's ``min_events`` (the SLO window included) sets
  ``below_minimum``: the engine never passes a rule on it (a breach still fails), and the note
  names the window.
* No events, no ``ts``, no history, or a window with no events: Missing (a gap), saying what to
  log. Counts that cannot be counts (negative, fractional, more errors than requests, steps one
  history has and the other lacks): Invalid (an error).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from govgate.cel import Reference
from govgate.cel.vocabulary import slo_window
from govgate.durations import seconds as duration_seconds
from govgate.evidence.model import MetricPoint, RunEvidence
from govgate.gate.units import Invalid, Missing
from govgate.policy.model import Slo

ITEMS_METHOD = "point value: SRE multiwindow burn rate over ts-ordered items"
HISTORY_METHOD = "point value: SRE multiwindow burn rate over per-step counts of metric histories"
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_US = 1_000_000


@dataclass(frozen=True, eq=False)
class Events:
    """An SLO's events: per point its time (whole microseconds since the epoch), how many
    events it holds and how many of them were bad; what they came from; and, for a truncated
    history, the instant after which nothing is missing."""

    times: np.ndarray
    events: np.ndarray
    bad: np.ndarray
    source: str
    method: str
    complete_after: int | None = None


def windows_of(refs: Iterable[Reference]) -> dict[str, tuple[str, ...]]:
    """The windows each SLO is read over (``candidate.slo.a.burn_rate_1h`` -> ``{"a": ("1h",)}``),
    shortest first: what one unit must hold for every reference of one expression or rule."""
    found: dict[str, set[str]] = {}
    for ref in refs:
        if ref.root in ("candidate", "baseline") and len(ref.path) >= 2 and ref.path[0] == "slo":
            windows = found.setdefault(ref.path[1], set())
            window = slo_window(ref.path[2]) if len(ref.path) > 2 else None
            if window is not None:
                windows.add(window)
    return {name: tuple(sorted(w, key=lambda x: (_seconds(x), x))) for name, w in found.items()}


def _seconds(window: str) -> int:
    value = duration_seconds(window)
    assert value is not None, window  # the linter and the models accept only durations
    return value


def item_events(table: Any, slo: Slo, role: str) -> Events | Missing:
    """One event per row with a value in the SLO's rate column, at the row's ``ts``."""
    column = f"rate.{slo.good if slo.good is not None else slo.bad}"
    meaning = (
        "1 for a good event, 0 for a bad one"
        if slo.good is not None
        else "1 for a bad event, 0 for a good one"
    )
    values = table.columns.get(column)
    if values is None:
        return Missing(
            f"the {role}'s per-item table has no column {column} for SLO {slo.name!r}: log "
            f"{meaning}, per item"
        )
    if table.ts is None:
        return Missing(
            f"the {role}'s per-item table has no ts column: SLO {slo.name!r} measures its "
            "windows over each item's arrival time; log ts (a timestamp with a zone, or seconds "
            "since the epoch) per item"
        )
    present = ~np.isnan(values)
    if not present.any():
        return Missing(f"no {role} item has a value in {column}: SLO {slo.name!r} has no events")
    times = np.round(np.asarray(table.ts)[present] * _US).astype(np.int64)
    marked = values[present] == 1.0
    bad = (~marked if slo.good is not None else marked).astype(np.int64)
    return Events(
        times=times,
        events=np.ones(times.size, dtype=np.int64),
        bad=bad,
        source=f"per-item table: {column} ({meaning}), at ts",
        method=ITEMS_METHOD,
    )


def no_history(run: RunEvidence, name: str) -> str:
    """Why a run has no history of metric ``name``: not read, logged once, or not logged."""
    if name in run.history_omitted:
        return "its history was not read: the run logs more metrics than govgate reads"
    if name in run.metrics or name in run.nonfinite_metrics:
        return "it was logged once, and a history has two points or more"
    return "it was not logged"


def _series(run: RunEvidence, name: str, slo: Slo) -> list[MetricPoint] | Missing | Invalid:
    """A count history an SLO reads: every step once, every value a whole number >= 0."""
    points = run.metric_history.get(name)
    if points is None:
        why = no_history(run, name)
        return Missing(
            f"the {run.role} has no history of metric {name!r} for SLO {slo.name!r}: {why}; log "
            "it at every step"
        )
    steps = [p.step for p in points]
    if len(set(steps)) != len(steps):
        return Invalid(
            f"the {run.role}'s metric {name!r} is logged more than once at a step: SLO "
            f"{slo.name!r} reads one count per step"
        )
    if any(p.value < 0 or not float(p.value).is_integer() for p in points):
        return Invalid(
            f"the {run.role}'s metric {name!r} has values that are not counts (negative or "
            f"fractional): SLO {slo.name!r} reads whole numbers of events per step"
        )
    return points


def _oldest_kept(run: RunEvidence, name: str, points: list[MetricPoint]) -> int | None:
    """For a truncated history, the time (ms) of its oldest point kept: older steps are gone."""
    if name not in run.history_truncated or not points:
        return None
    return min(p.timestamp for p in points)


def history_events(run: RunEvidence, slo: Slo) -> Events | Missing | Invalid:
    """The counts of two histories, joined on their steps, at the requests' timestamps."""
    assert slo.history is not None
    names = (slo.history.requests, slo.history.errors)
    found = [_series(run, name, slo) for name in names]
    for series in found:
        if isinstance(series, Missing | Invalid):
            return series
    requests, errors = found
    assert isinstance(requests, list)
    assert isinstance(errors, list)
    cuts = [
        c for n, s in zip(names, (requests, errors), strict=True) if (c := _oldest_kept(run, n, s))
    ]
    cut = max(cuts) if cuts else None  # at or before it a truncated history may lack steps
    by_step = {p.step: p for p in errors}
    times, events, bad = [], [], []
    lost = 0
    for point in requests:
        match = by_step.pop(point.step, None)
        if cut is not None and point.timestamp <= cut:
            continue  # before the cut: steps may be missing, so none is used
        if match is None:
            lost += 1
            continue
        times.append(point.timestamp * 1000)
        events.append(int(point.value))
        bad.append(int(match.value))
    lost += sum(1 for p in by_step.values() if cut is None or p.timestamp > cut)
    if lost:
        return Invalid(
            f"the {run.role}'s metrics {names[0]!r} and {names[1]!r} are not logged at the same "
            f"steps ({lost} steps have one and not the other): SLO {slo.name!r} needs both counts "
            "at every step (0 errors, not none)"
        )
    if not times:
        return Missing(
            f"the {run.role}'s histories of {names[0]!r} and {names[1]!r} have no steps in "
            f"common for SLO {slo.name!r}: log both at every step"
        )
    ev, bd = np.asarray(events, dtype=np.int64), np.asarray(bad, dtype=np.int64)
    if bool((bd > ev).any()):
        return Invalid(
            f"the {run.role}'s metric {names[1]!r} counts more errors than {names[0]!r} counts "
            f"requests at {int((bd > ev).sum())} steps: SLO {slo.name!r} reads errors among "
            "the requests"
        )
    source = f"metric histories: {names[0]} (events) and {names[1]} (bad events) per step"
    method = HISTORY_METHOD
    if cut is not None:
        truncated = ", ".join(
            f"{name} (the newest {len(series):,} of {run.history_truncated[name]:,} points)"
            for name, series in zip(names, (requests, errors), strict=True)
            if name in run.history_truncated
        )
        method += f"; history truncated when read: {truncated}"
    return Events(
        times=np.asarray(times, dtype=np.int64),
        events=ev,
        bad=bd,
        source=source,
        method=method,
        complete_after=None if cut is None else cut * 1000,
    )


def _instant(micros: int) -> dt.datetime:
    return _EPOCH + dt.timedelta(microseconds=micros)


def measure(ev: Events, slo: Slo, windows: tuple[str, ...], role: str) -> dict[str, Any] | Missing:
    """The unit ``*.slo.NAME``: every field, with the windows ``windows`` (see the module)."""
    end = int(ev.times.max())
    budget = 1.0 - slo.objective
    span_start = ev.complete_after

    def count(seconds: int) -> tuple[int, int]:
        start = end - seconds * _US
        if span_start is not None:
            start = max(start, span_start)
        inside = ev.times > start
        return int(ev.events[inside].sum()), int(ev.bad[inside].sum())

    unit: dict[str, Any] = {}
    few: list[str] = []
    for window in windows:
        seconds = _seconds(window)
        if span_start is not None and end - seconds * _US < span_start:
            return Missing(
                f"the {role}'s {window} window of SLO {slo.name!r} reaches back past the oldest "
                "step of a truncated history (only the newest points of each metric are read): "
                "log at coarser steps, or read a shorter window"
            )
        n, k = count(seconds)
        if n == 0:
            return Missing(
                f"no {role} events in the {window} window of SLO {slo.name!r} (ending at the "
                f"newest, {_instant(end).isoformat()}): nothing to measure there"
            )
        unit[f"events_{window}"] = n
        unit[f"bad_events_{window}"] = k
        unit[f"error_rate_{window}"] = k / n
        unit[f"burn_rate_{window}"] = (k / n) / budget
        if n < slo.min_events:
            few.append(f"the {window} window holds {n:,} events")
    window_s = _seconds(slo.window)
    n, k = count(window_s)
    if n == 0:
        return Missing(f"no {role} events for SLO {slo.name!r}: nothing to measure")
    if n < slo.min_events:
        few.append(f"the {slo.window} SLO window holds {n:,} events")
    start = int(ev.times.min())  # a truncated history's events all come after its cut
    span = (end - start) / _US
    coverage = min(span, float(window_s)) / window_s
    error_rate = k / n
    burn = error_rate / budget
    note = (
        f"{'; '.join(few)}, fewer than the SLO's min_events ({slo.min_events:,}): burn rates "
        "on so few events say little"
        if few
        else ""
    )
    return {
        "objective": float(slo.objective),
        "window_seconds": float(window_s),
        "min_events": int(slo.min_events),
        "events": n,
        "bad_events": k,
        "error_rate": error_rate,
        "burn_rate": burn,
        # no span, no rate of traffic to size a budget by: reading it is an error, not a pass
        "budget_remaining": 1.0 - burn * coverage if span > 0 else math.nan,
        "coverage": coverage,
        "span_seconds": span,
        "start": _instant(start),
        "end": _instant(end),
        "truncated": ev.complete_after is not None,
        "source": ev.source,
        "method": ev.method,
        **unit,
        "point_value": True,
        "note": note,
        "below_minimum": bool(few),
    }
