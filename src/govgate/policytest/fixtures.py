"""Evidence snapshots from the compact fixtures of a policy test case, deterministically.

A fixture names the numbers a rule reads (metrics, params, tags) and describes per-item columns
by their shape (``rate: 0.02`` of ``items: 400``), not by listing rows. This module turns that
into the same :class:`Snapshot` that ``govgate check`` decides from: the per-item table goes
through the real table parser (:func:`parse_items`) and is stored as govgate stores any table,
so a policy test exercises the loader, the statistics and the engine exactly as a release does.

Nothing here is random. Normal columns are the normal quantiles at (i + 0.5) / n, rescaled so
that the column's mean and standard deviation are exactly what the fixture says; counted 1s and
quantiles are placed in an order fixed by a hash of (case, run, column), so the same fixture
gives the same table on every machine and every numpy version, and candidate and baseline
columns of a paired comparison are not artificially aligned.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections.abc import Mapping
from typing import Any

import numpy as np

from govgate._version import __version__
from govgate.evidence import provenance
from govgate.evidence.items import ITEMS_PARQUET, ItemTable, parse_items
from govgate.evidence.model import (
    Evidence,
    ItemsInfo,
    ModelInfo,
    Resolution,
    RunEvidence,
    Snapshot,
)
from govgate.evidence.provenance import Measure
from govgate.policy.cases import FixtureColumn, FixtureEvidence, FixtureRun
from govgate.terms import Method

FIXTURE_URI = "govgate-test:"


def _seed(text: str) -> np.uint64:
    return np.uint64(int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big"))


def placement(seed: str, n: int) -> np.ndarray:
    """A permutation of range(n) fixed by ``seed`` (splitmix64 keys, sorted): no RNG state."""
    x = np.arange(n, dtype=np.uint64) + _seed(seed)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return np.argsort(x, kind="stable")


def _ones(k: int, order: np.ndarray, n: int) -> np.ndarray:
    out = np.zeros(n)
    out[order[:k]] = 1.0
    return out


def _count_of(rate: float, n: int) -> int:
    return int(np.floor(rate * n + 0.5))


def normal_column(mean: float, sd: float, order: np.ndarray) -> np.ndarray:
    """n values with exactly this mean and (sample) standard deviation, normally shaped."""
    from scipy.stats import norm

    n = len(order)
    q = norm.ppf((np.arange(n) + 0.5) / n)
    if n > 1:
        q = q / q.std(ddof=1)
    out = np.empty(n)
    out[order] = mean + sd * q
    return out


def fill_column(column: FixtureColumn, n: int, seed: str, groups: Mapping[str, np.ndarray]) -> Any:
    """The values of one numeric column; ``groups`` holds each group's label per item."""
    order = placement(seed, n)
    if column.count is not None:
        return _ones(column.count, order, n)
    if column.rate is not None:
        return _ones(_count_of(column.rate, n), order, n)
    if column.value is not None:
        return np.full(n, column.value)
    if column.mean is not None:
        assert column.sd is not None
        return normal_column(column.mean, column.sd, order)
    if column.values is not None:
        return np.resize(np.asarray(column.values, dtype=float), n)
    assert column.by is not None
    assert column.rates is not None
    labels = groups[column.by]
    out = np.zeros(n)
    for label, rate in sorted(column.rates.items()):
        rows = np.flatnonzero(labels == label)
        k = _count_of(rate, len(rows))
        out[rows[placement(f"{seed}\0{label}", len(rows))[:k]]] = 1.0
    return out


#: When a fixture's first item arrives (2026-01-01T00:00:00Z); the rest follow a second apart.
FIXTURE_EPOCH = 1_767_225_600.0


def items_table(columns: Mapping[str, Any]) -> tuple[ItemTable, bytes, ItemsInfo]:
    """A per-item table from columns (``item_id`` defaults to q0..qN, ``ts`` to one item a
    second from :data:`FIXTURE_EPOCH`; ``ts: None`` leaves it out), through the real parser.

    Returns the parsed table, the bytes govgate stores, and the ``ItemsInfo`` that names them.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    n = len(next(iter(columns.values())))
    # items arrive one a second, in row order, so a canary fixture can be judged sequentially
    data = {"item_id": [f"q{i}" for i in range(n)], "ts": FIXTURE_EPOCH + np.arange(n), **columns}
    if data["ts"] is None:  # a table that logged no arrival times
        del data["ts"]
    buffer = io.BytesIO()
    pq.write_table(pa.table(data), buffer)
    parsed, problem = parse_items(buffer.getvalue(), "parquet")
    if parsed is None:
        raise ValueError(f"fixture table is not a valid per-item table: {problem}")
    stored = parsed.to_parquet()
    digest = hashlib.sha256(stored).hexdigest()
    info = ItemsInfo(
        artifact_path=ITEMS_PARQUET,
        artifact_sha256=digest,
        artifact_format="parquet",
        file=f"items/{digest}.parquet",
        sha256=digest,
        rows=parsed.rows,
        columns=dict(parsed.roles),
    )
    return parsed, stored, info


def _table_columns(run: FixtureRun, seed: str) -> dict[str, Any]:
    assert run.items is not None
    n = run.items
    groups = {
        name: np.asarray([labels[i % len(labels)] for i in range(n)], dtype=object)
        for name, labels in run.groups.items()
    }
    out: dict[str, Any] = {f"group.{name}": list(values) for name, values in groups.items()}
    for name in sorted(run.columns):
        out[name] = fill_column(run.columns[name], n, f"{seed}\0{name}", groups)
    return out


def _tags(run: FixtureRun) -> dict[str, str]:
    """The run's tags, with its ``measured_by`` as the provenance record a run carries."""
    tags = dict(run.tags)
    if run.measured_by:
        measures = {
            name: [Measure(method=Method(method), by="the policy test's fixture")]
            for name, method in run.measured_by.items()
        }
        tags[provenance.TAG] = provenance.tag_value(measures, [], limit=False)
    return tags


def run_evidence(
    role: str, run: FixtureRun, *, stage: str, seed: str, reference: str
) -> tuple[RunEvidence, ItemTable | None, bytes | None]:
    built = items_table(_table_columns(run, f"{seed}\0{role}")) if run.items else None
    run_id = hashlib.sha256(f"{seed}\0{role}".encode()).hexdigest()[:32]
    evidence = RunEvidence(
        role=role,  # type: ignore[arg-type]
        run_id=run_id,
        experiment_id="0",
        run_name=f"{role} fixture",
        status="FINISHED",
        stage=stage,
        model=ModelInfo(name=run.model, version="1") if run.model else None,
        metrics={k: v for k, v in run.metrics.items() if k not in run.nan_metrics},
        nonfinite_metrics=dict.fromkeys(run.nan_metrics, "nan"),  # as the MLflow reader does
        params=dict(run.params),
        tags=_tags(run),
        items=built[2] if built else None,
        resolution=Resolution(
            reference=reference,
            method="test-fixture",
            detail="built by govgate test from the case's evidence fixture",
        ),
    )
    return evidence, (built[0] if built else None), (built[1] if built else None)


def fixture_snapshot(
    fixture: FixtureEvidence,
    *,
    stage: str,
    seed: str,
    reference: str,
    now: dt.datetime,
    model: str | None = None,
) -> Snapshot:
    """The snapshot a case decides from. ``seed`` names the case; ``reference`` is for reports;
    ``model``: the candidate's registered model when its fixture names none (``spec.model``)."""
    candidate = fixture.candidate
    if candidate.model is None and model is not None:
        candidate = candidate.model_copy(update={"model": model})
    runs = [run_evidence("candidate", candidate, stage=stage, seed=seed, reference=reference)]
    if fixture.baseline is not None:
        runs.append(
            run_evidence("baseline", fixture.baseline, stage=stage, seed=seed, reference=reference)
        )
    return snapshot_of(runs, now=now)


def snapshot_of(
    runs: list[tuple[RunEvidence, ItemTable | None, bytes | None]], *, now: dt.datetime
) -> Snapshot:
    """A snapshot from built runs: the candidate first, then the baseline if there is one."""
    raw: dict[str, bytes] = {}
    tables: dict[str, ItemTable] = {}
    for ev, table, blob in runs:
        if ev.items is not None and ev.items.sha256 and table is not None and blob is not None:
            raw[ev.items.sha256] = blob
            tables[ev.items.sha256] = table
    evidence = Evidence(
        govgate_version=__version__,
        tracking_uri=FIXTURE_URI,
        taken_at=now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        candidate=runs[0][0],
        baseline=runs[1][0] if len(runs) > 1 else None,
    )
    return Snapshot(evidence, raw, tables)
