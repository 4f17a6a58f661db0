"""What CEL sees of a snapshot, computed lazily: only what rules reference, each at most once.

``resolve`` answers one evidence path with a value, :class:`Missing` (the evidence is not
there: a GAP) or :class:`Invalid` (it is there but unusable, e.g. a NaN metric or a broken
table: an ERROR). Statistics are computed on first use and cached by role, name, confidence
and settings, so a policy that never asks for a bound never pays for one.

On the canary stage (``statistics.sequential``, default ``canary``) every bound is a confidence
sequence over the items in arrival order (the table's ``ts`` column, ties broken by the id
hash): valid under any number of looks. A table without ``ts`` cannot be judged that way, and
the statistic is Missing, saying so.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

import numpy as np

from govgate.cel import Reference
from govgate.evidence.model import RunEvidence, Snapshot
from govgate.evidence.redact import REDACTED
from govgate.gate.looks import rewritten
from govgate.gate.slo import Events, history_events, item_events, measure, no_history
from govgate.gate.units import (
    RANGES_TAG,
    Column,
    Invalid,
    Missing,
    Resolved,
    comparison_map,
    declared_ranges,
    estimate_map,
    fairness_map,
)
from govgate.policy.model import Slo, Statistics
from govgate.stats.bounds import FIXED_SAMPLE, ValueRange, mean, quantile, rate
from govgate.stats.compare import compare
from govgate.stats.fairness import by_group
from govgate.stats.order import id_order
from govgate.terms import Sequential

#: Where a canary's bounds were asked to be fixed-sample (``statistics.sequential: never``).
FIXED_ON_CANARY = f"{FIXED_SAMPLE} (statistics.sequential: never, on the canary stage)"

_PERCENTILE = re.compile(r"^(?P<base>.+)_p(?P<q>[0-9]{1,2}(?:\.[0-9]+)?)$")


class EvidenceView:
    """A snapshot as the gate reads it, with statistics computed on demand."""

    def __init__(self, snapshot: Snapshot, stage: str, now: dt.datetime) -> None:
        self.snapshot = snapshot
        self.stage = stage
        self.now = now
        self._cache: dict[tuple[Any, ...], Resolved] = {}

    # -- public ---------------------------------------------------------------------------------

    def resolve(self, ref: Reference, confidence: float, settings: Statistics) -> Resolved:
        """The value at ``ref`` (for its root and path), Missing or Invalid."""
        root, path = ref.root, ref.path
        if root == "stage":
            return self.stage
        if root == "now":
            return self.now
        if root in ("candidate", "baseline"):
            return self._run_path(root, path, confidence, settings)
        if root == "compare":
            return self._compare(path, confidence, settings)
        if root == "fairness":
            return self._fairness(path, confidence, settings)
        return Missing(f"{ref.dotted()} is not evidence")  # variables are the engine's

    # -- runs ----------------------------------------------------------------------------------

    def _run(self, role: str) -> RunEvidence | Missing:
        run = self.snapshot.evidence.run("candidate" if role == "candidate" else "baseline")
        return run if run is not None else Missing(f"no {role} run was given")

    def _run_path(
        self, role: str, path: tuple[str, ...], confidence: float, settings: Statistics
    ) -> Resolved:
        run = self._run(role)
        if isinstance(run, Missing):
            return run
        if not path:
            return {"run": {"id": run.run_id}}
        section, rest = path[0], path[1:]
        if section == "metrics":
            return self._metric(run, rest)
        if section == "stats":
            if not rest:
                return Missing("a statistic must be named")
            return self._stat(role, run, rest[0], confidence, settings)
        if section == "history":
            return self._history(run, rest)
        if section == "slo":  # measured for the policy that defines it: the engine asks slo()
            return Missing(f"SLO {rest[0] if rest else ''!r} is read through its policy")
        if section in ("params", "tags"):
            values = run.params if section == "params" else run.tags
            if not rest:
                return dict(values)
            if rest[0] not in values:
                return Missing(f"{role} has no {section[:-1]} {rest[0]!r}")
            if values[rest[0]] == REDACTED:
                return Missing(f"{role} {section[:-1]} {rest[0]!r} was redacted as a secret")
            return values[rest[0]]
        fields = self._fields(run, section)
        if not rest:
            return fields
        if fields.get(rest[0]) is None:
            return Missing(f"{role} has no {section}.{rest[0]}")
        return fields[rest[0]]

    @staticmethod
    def _fields(run: RunEvidence, section: str) -> dict[str, Any]:
        if section == "run":
            return {
                "id": run.run_id,
                "experiment_id": run.experiment_id,
                "status": run.status,
                "start_time": run.start_time,
                "end_time": run.end_time,
                "stage": run.stage,
            }
        if section == "model":
            m = run.model
            return (
                {}
                if m is None
                else {"name": m.name, "version": m.version, "alias": m.alias, "digest": m.digest}
            )
        ds = run.datasets[0] if run.datasets else None
        items = run.items.rows if run.items and run.items.sha256 else None
        return {} if ds is None else {"name": ds.name, "digest": ds.digest, "n": items}

    @staticmethod
    def _metric(run: RunEvidence, rest: tuple[str, ...]) -> Resolved:
        if not rest:
            return dict(run.metrics)
        name = rest[0]
        if name in run.nonfinite_metrics:
            return Invalid(f"metric {name!r} was logged as {run.nonfinite_metrics[name]}")
        if name not in run.metrics:
            return Missing(f"{run.role} has no metric {name!r}")
        return run.metrics[name]

    def _table(self, role: str, run: RunEvidence) -> Any:
        if run.items is None:
            return Missing(f"the {role} run logged no per-item table")
        if run.items.problem is not None:
            return Invalid(f"the {role}'s per-item table is unusable: {run.items.problem}")
        table = self.snapshot.items("candidate" if role == "candidate" else "baseline")
        return table if table is not None else Missing(f"the {role}'s per-item table is absent")

    @staticmethod
    def _column(table: Any, name: str) -> Column | Invalid | None:
        """(role, values, quantile, column name) of the column that provides ``name``.

        One name, one meaning: when two columns could provide it (``rate.x`` and ``score.x``;
        ``score.latency_ms_p95`` and the p95 of ``latency.latency_ms``), the table is invalid
        rather than one of them silently winning."""
        found: list[Column] = []
        for role in ("rate", "score"):
            column = f"{role}.{name}"
            if column in table.columns:
                found.append((role, table.columns[column], None, column))
        if (m := _PERCENTILE.match(name)) and f"latency.{m['base']}" in table.columns:
            column = f"latency.{m['base']}"
            found.append(("latency", table.columns[column], float(m["q"]) / 100.0, column))
        if f"latency.{name}" in table.columns:  # the mean latency
            found.append(("score", table.columns[f"latency.{name}"], None, f"latency.{name}"))
        if len(found) > 1:
            names = " and ".join(repr(f[3]) for f in found)
            return Invalid(f"{names} both provide {name!r}: one name must have one meaning")
        return found[0] if found else None

    @staticmethod
    def _range(
        run: RunEvidence,
        name: str,
        column: tuple[str, Any, float | None, str],
        settings: Statistics,
    ) -> ValueRange | Invalid | None:
        """The declared range of a score or latency column (``_column``'s answer): the
        policy's, else the run's tag; None for rates and quantiles, which need none.

        Observed values outside it make the evidence unusable: a bound over a range the data
        break would be a bound over the wrong quantity.
        """
        kind, values, q, column_name = column
        if kind == "rate" or q is not None:
            return None
        found: ValueRange | None = None
        if name in settings.ranges:
            lo, hi = settings.ranges[name]
            found = ValueRange(float(lo), float(hi), "declared in the policy (statistics.ranges)")
        elif RANGES_TAG in run.tags:
            declared = declared_ranges(run.tags[RANGES_TAG])
            if isinstance(declared, Invalid):
                return declared
            if column_name in declared:
                lo, hi = declared[column_name]
                found = ValueRange(lo, hi, f"declared by the run (tag {RANGES_TAG})")
        if found is None:
            return None
        present = values[~np.isnan(values)]
        if present.size and (float(present.min()) < found.lo or float(present.max()) > found.hi):
            return Invalid(
                f"{run.role} column {column_name!r} has values in "
                f"[{float(present.min()):g}, {float(present.max()):g}], outside its "
                f"{found.describe()}"
            )
        return found

    def _order(self, table: Any) -> np.ndarray:
        """Row indices in the order of a hash of the item ids: the exchangeable order the
        betting bounds need, independent of the table's row order (``stats/order.py``)."""
        key = ("order", id(table))
        if key not in self._cache:
            self._cache[key] = _id_order(table.ids)
        order: np.ndarray = self._cache[key]
        return order

    def sequential(self, settings: Statistics) -> bool:
        """Are this stage's bounds confidence sequences (valid under any number of looks)?"""
        mode = settings.sequential
        return mode is Sequential.ALWAYS or (mode is Sequential.CANARY and self.stage == "canary")

    def _arrival(self, role: str, table: Any) -> np.ndarray | Missing | Invalid:
        """Row indices in arrival order (``ts``; equal times in id-hash order, so the order
        never depends on the table's row order), or Missing when the table has no ``ts``."""
        if table.ts is None:
            return Missing(
                f"the {role}'s per-item table has no ts column: on this stage bounds are "
                "confidence sequences over the items in arrival order (statistics.sequential); "
                "log each item's arrival time as ts"
            )
        if role == "candidate" and self.stage == "canary":
            run = self.snapshot.evidence.candidate
            if (why := rewritten(run, table.ts)) is not None:
                return Invalid(why)
        key = ("arrival", id(table))
        if key not in self._cache:
            ties = _positions(self._order(table))
            self._cache[key] = np.lexsort((ties, table.ts))
        order: np.ndarray = self._cache[key]
        return order

    def _ordered(
        self, role: str, table: Any, settings: Statistics
    ) -> np.ndarray | Missing | Invalid:
        """The order this stage's statistics read a table in: arrival when sequential."""
        if self.sequential(settings):
            return self._arrival(role, table)
        return self._order(table)

    def _labelled(self, unit: dict[str, Any], settings: Statistics) -> dict[str, Any]:
        """A unit computed fixed-sample on the canary stage, which looks again and again:
        labelled approximate, with the reason in its method (``sequential: never``)."""
        if settings.sequential is Sequential.NEVER and self.stage == "canary":
            return {**unit, "approximate": True, "method": f"{unit['method']}; {FIXED_ON_CANARY}"}
        return unit

    def _stat(
        self, role: str, run: RunEvidence, name: str, confidence: float, settings: Statistics
    ) -> Resolved:
        key = ("stat", role, name, confidence, settings.model_dump_json())
        if key in self._cache:
            return self._cache[key]
        table = self._table(role, run)
        if isinstance(table, (Missing, Invalid)):
            return table
        found = self._column(table, name)
        if isinstance(found, Invalid):
            return found
        order = self._ordered(role, table, settings)
        sequential = self.sequential(settings)
        if found is None:
            result: Resolved = Missing(f"the {role}'s per-item table has no column for {name!r}")
        elif isinstance(order, (Missing, Invalid)):
            result = order
        else:
            kind, values, q, _ = found
            if kind == "rate":
                present = values[~np.isnan(values)]
                k, n = int(present.sum()), int(present.size)
                est = rate(k, n, confidence, settings.rates, sequential=sequential)
            elif q is not None:
                est = quantile(values, q, confidence, sequential=sequential)
            else:
                value_range = self._range(run, name, found, settings)
                if isinstance(value_range, Invalid):
                    self._cache[key] = value_range
                    return value_range
                est = mean(
                    values[order],
                    confidence,
                    settings.means,
                    value_range=value_range,
                    sequential=sequential,
                )
            result = (
                Missing(f"no {role} item was scored for {name!r}")
                if est.n == 0
                else self._labelled(estimate_map(est), settings)
            )
        self._cache[key] = result
        return result

    # -- compare and fairness -------------------------------------------------------------------

    def _compare(self, path: tuple[str, ...], confidence: float, settings: Statistics) -> Resolved:
        if not path:
            return Missing("compare needs a metric name")
        name = path[0]
        key = ("compare", name, confidence, settings.model_dump_json())
        if key in self._cache:
            return self._cache[key]
        sides = []
        for role in ("candidate", "baseline"):
            run = self._run(role)
            if isinstance(run, Missing):
                return run
            table = self._table(role, run)
            if isinstance(table, (Missing, Invalid)):
                return table
            found = self._column(table, name)
            if isinstance(found, Invalid):
                return found
            if found is None or found[2] is not None:
                return Missing(f"the {role}'s per-item table has no rate or score {name!r}")
            value_range = self._range(run, name, found, settings)
            if isinstance(value_range, Invalid):
                return value_range
            sides.append((table, found, value_range))
        (ct, (ckind, cvals, _, _), crange), (bt, (bkind, bvals, _, _), brange) = sides
        if ckind != bkind:
            return Invalid(
                f"{name!r} is a {ckind} for the candidate but a {bkind} for the baseline"
            )
        # both tables in their ids' hash order (sequential: in arrival order); pairs in the
        # candidate's order
        corder = self._ordered("candidate", ct, settings)
        border = self._ordered("baseline", bt, settings)
        if isinstance(corder, (Missing, Invalid)):
            return corder
        if isinstance(border, (Missing, Invalid)):
            return border
        ci, bi = self._shared(ct, bt)
        cpos, bpos = _positions(corder)[ci], _positions(border)[bi]
        if self.sequential(settings):
            # a pair is complete when its later side has arrived: the pairs' sequence grows by
            # appending, look after look, even when the baseline lags the candidate
            pairs = np.lexsort((cpos, np.maximum(ct.ts[ci], bt.ts[bi])))
        else:
            pairs = np.argsort(cpos, kind="stable")
        comparison = compare(
            cvals[corder],
            bvals[border],
            (cpos[pairs], bpos[pairs]),
            binary=ckind == "rate",
            confidence=confidence,
            method=settings.means,
            ranges=(crange, brange),
            sequential=self.sequential(settings),
        )
        result: Resolved = (
            Missing(f"no scored items to compare for {name!r}")
            if comparison.n == 0 or math.isnan(comparison.delta)
            else self._labelled(comparison_map(comparison), settings)
        )
        self._cache[key] = result
        return result

    def _shared(self, cand: Any, base: Any) -> tuple[np.ndarray, np.ndarray]:
        """Indices of the items both tables scored (same ``item_id``), hash-joined in Arrow."""
        key = ("shared",)
        if key not in self._cache:
            import pyarrow.compute as pc

            where = pc.index_in(cand.ids, value_set=base.ids)
            ci = np.flatnonzero(where.is_valid().to_numpy(zero_copy_only=False))
            bi = np.asarray(where.drop_null().to_numpy(zero_copy_only=False), dtype=np.int64)
            self._cache[key] = (ci, bi)
        shared: tuple[np.ndarray, np.ndarray] = self._cache[key]
        return shared

    def _fairness(self, path: tuple[str, ...], confidence: float, settings: Statistics) -> Resolved:
        if len(path) < 4 or path[0] != "by_group" or path[2] != "stats":
            return Missing('fairness needs by_group("COLUMN").stats.METRIC')
        column, name = path[1], path[3]
        result = self.fairness_of("candidate", column, name, confidence, settings)
        reads_ratio = len(path) > 4 and path[4].startswith("min_ratio")
        if reads_ratio and isinstance(result, dict) and not result["ratio_defined"]:
            return Invalid(
                f"the ratio of {name!r} across groups of {column!r} is undefined: the best "
                "group's value is not positive"
            )
        return result

    def fairness_of(
        self, role: str, column: str, name: str, confidence: float, settings: Statistics
    ) -> Resolved:
        """The fairness unit of ``role``'s items (the baseline's, for reports to compare)."""
        key = ("fairness", role, column, name, confidence, settings.model_dump_json())
        if key not in self._cache:
            self._cache[key] = self._fairness_unit(column, name, confidence, settings, role)
        return self._cache[key]

    def _fairness_unit(
        self,
        column: str,
        name: str,
        confidence: float,
        settings: Statistics,
        role: str = "candidate",
    ) -> Resolved:
        run = self._run(role)
        if isinstance(run, Missing):
            return run
        table = self._table(role, run)
        if isinstance(table, (Missing, Invalid)):
            return table
        group = table.group(column)
        found = self._column(table, name)
        if isinstance(found, Invalid):
            return found
        if group is None:
            return Missing(f"the {role}'s per-item table has no group.{column}")
        if found is None or found[2] is not None:
            return Missing(f"the {role}'s per-item table has no rate or score {name!r}")
        value_range = self._range(run, name, found, settings)
        if isinstance(value_range, Invalid):
            return value_range
        codes, categories = group
        order = self._ordered(role, table, settings)
        if isinstance(order, (Missing, Invalid)):
            return order
        f = by_group(
            found[1][order],
            codes[order],
            categories,
            binary=found[0] == "rate",
            confidence=confidence,
            min_group_size=settings.min_group_size,
            rate_method=settings.rates,
            mean_method=settings.means,
            value_range=value_range,
            sequential=self.sequential(settings),
        )
        if f.small_groups:
            return Missing(
                f"groups of {column!r} below {f.min_group_size} scored items: "
                + ", ".join(f.small_groups)
            )
        if len(f.groups) < 2:
            return Missing(f"fewer than two groups of {column!r} have scored items")
        return self._labelled(fairness_map(f), settings)

    # -- SLOs and metric histories -------------------------------------------------------------

    def slo(self, role: str, definition: Slo, windows: tuple[str, ...]) -> Resolved:
        """The unit ``ROLE.slo.NAME`` of one policy's SLO, with the windows ``windows`` (every
        window the expression or rule reading it names): ``gate/slo.py``."""
        key = ("slo", role, definition.model_dump_json(), windows)
        if key not in self._cache:
            events = self._slo_events(role, definition)
            self._cache[key] = (
                events
                if isinstance(events, Missing | Invalid)
                else measure(events, definition, windows, role)
            )
        return self._cache[key]

    def _slo_events(self, role: str, definition: Slo) -> Events | Missing | Invalid:
        key = ("slo-events", role, definition.model_dump_json(exclude={"description"}))
        if key not in self._cache:
            run = self._run(role)
            found: Events | Missing | Invalid
            if isinstance(run, Missing):
                found = run
            elif definition.history is not None:
                found = history_events(run, definition)
            else:
                table = self._table(role, run)
                if isinstance(table, Missing):
                    found = Missing(
                        f"{table.reason}: SLO {definition.name!r} counts its events in the "
                        "per-item table (a rate column and ts)"
                    )
                elif isinstance(table, Invalid):
                    found = table
                else:
                    found = item_events(table, definition, role)
            self._cache[key] = found
        events: Events | Missing | Invalid = self._cache[key]
        return events

    @staticmethod
    def _history(run: RunEvidence, rest: tuple[str, ...]) -> Resolved:
        """``ROLE.history.NAME``: the metric's points in step order, ``{step, timestamp,
        value}`` (an int, a timestamp, a double); at most the newest ``MAX_HISTORY_POINTS``."""
        if not rest:
            return Missing("a metric history must be named: ROLE.history.NAME")
        name = rest[0]
        points = run.metric_history.get(name)
        if points is None:
            why = no_history(run, name)
            return Missing(
                f"the {run.role} has no history of metric {name!r}: {why}; log it at every step"
            )
        return [
            {
                "step": int(p.step),
                "timestamp": _from_ms(p.timestamp),
                "value": float(p.value),
            }
            for p in points
        ]

    def history_truncated(self, role: str, name: str) -> tuple[int, int] | None:
        """``(kept, logged)`` when the run logged more points of ``name`` than were read."""
        run = self._run(role)
        if isinstance(run, Missing) or name not in run.history_truncated:
            return None
        return len(run.metric_history.get(name, [])), run.history_truncated[name]


def _from_ms(millis: int) -> dt.datetime:
    """An MLflow timestamp (milliseconds since the epoch) as a UTC datetime, exactly."""
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(milliseconds=millis)


def _positions(order: np.ndarray) -> np.ndarray:
    """Where each row went: ``positions[row] = index in order``."""
    positions = np.empty(order.size, dtype=np.int64)
    positions[order] = np.arange(order.size)
    return positions


def _id_order(ids: Any) -> np.ndarray:
    """:func:`id_order` over an Arrow string array's own buffers (no Python object per id)."""
    import pyarrow as pa

    array = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    if not pa.types.is_large_string(array.type):
        array = array.cast(pa.large_string())
    _, offsets_buffer, data_buffer = array.buffers()
    start, stop = array.offset, array.offset + len(array) + 1
    offsets = np.frombuffer(offsets_buffer, dtype=np.int64)[start:stop]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.zeros(0, np.uint8)
    return id_order(offsets, data)
