"""A cheap fingerprint of the run a reference names: has its evidence changed since the last look?

``govgate serve`` answers a canary controller every few minutes. Reading the runs whole each
time (every metric's history, the per-item table downloaded, parsed and scanned for secrets)
would make every look cost what the first one did. A fingerprint resolves the reference with
the snapshot's own resolver (so an alias that moved names another run, and a second evaluation
run for the version is ``evidence.ambiguous`` here too) and hashes what a snapshot of the run
would read, from the run the resolver returned plus one artifact listing:

- the run's status, end time and lifecycle stage, its params and tags;
- the latest point (value, step, timestamp) of every metric: a new point logged to a metric
  changes it, even with the same value;
- the files directly under ``govgate/`` with their sizes: the per-item table, re-logged with
  new rows, changes size;
- the model version the reference resolved to, with its recorded content digest.

govgate's own look records are kept apart (metrics ``govgate.look*``, one batch per canary look:
:attr:`RunPrint.looks`), because every look writes one and the next decision counts them: a run
whose only change is a new look keeps its snapshot, and :func:`refresh_looks` reads those few
metrics again instead of the whole run and its table. Everything else govgate writes (the
verdict, decision and bundle tags of ``check --bundle``) is part of the fingerprint, as it is
part of a snapshot; bundles live in a folder (``govgate/bundles/``), which no snapshot reads.

What it cannot see: a per-item table replaced in place by one of exactly the same size while
nothing else on the run changes, and a metric point logged with a timestamp older than the
metric's latest. ``govgate serve`` bounds that blind spot with a maximum age per cached snapshot.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from govgate.evidence.items import ITEMS_DIR
from govgate.evidence.mlflow.read import finite_number, newest_points
from govgate.evidence.mlflow.resolve import resolve
from govgate.evidence.mlflow.settings import MAX_HISTORY_METRICS
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import MetricPoint, Role, RunEvidence
from govgate.evidence.redact import redact_tree
from govgate.evidence.refs import Ref

#: govgate's records of its looks at a canary (``govgate.gate.looks``): fingerprinted apart.
LOOK_PREFIX = "govgate.look"


@dataclass(frozen=True, slots=True)
class RunPrint:
    """The run a reference resolved to: the digest of what a snapshot of it would read but the
    look records, and the latest point of each look record (key, value, step, timestamp)."""

    role: Role
    run_id: str
    digest: str
    looks: tuple[tuple[str, float, int, int], ...] = ()
    metric_count: int = 0


def fingerprint(source: MlflowSource, ref: Ref, role: Role, stage: str | None) -> RunPrint:
    """Resolve ``ref`` as a snapshot would and fingerprint the run; raises the same
    :class:`~govgate.errors.EvidenceError` a snapshot would for a missing or unfinished run."""
    run, resolution, model = resolve(source, ref, role, stage)
    info, data = run.info, run.data
    run_id = str(info.run_id)
    listing = source.call(
        f"{role} run {run_id} artifacts", source.client.list_artifacts, run_id, ITEMS_DIR
    )
    latest = sorted(
        (m.key, float(m.value), int(m.step), int(m.timestamp)) for m in data.to_proto().metrics
    )
    metrics = [(k, repr(v), step, at) for k, v, step, at in latest if not k.startswith(LOOK_PREFIX)]
    document: dict[str, Any] = {
        "run": [
            run_id,
            str(info.experiment_id),
            info.status,
            info.end_time,
            getattr(info, "lifecycle_stage", None),
        ],
        "resolution": resolution.method,
        "model": model.model_dump(mode="json") if model is not None else None,
        "params": sorted(data.params.items()),
        "tags": sorted(data.tags.items()),
        "metrics": metrics,
        "files": sorted((f.path, f.file_size) for f in listing if not f.is_dir),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    looks = tuple(m for m in latest if m[0].startswith(LOOK_PREFIX))
    digest = hashlib.sha256(text.encode()).hexdigest()
    return RunPrint(role, run_id, digest, looks, metric_count=len(latest))


def refresh_looks(source: MlflowSource, run: RunEvidence, now: RunPrint) -> RunEvidence | None:
    """``run`` with its look records read again, as :func:`~govgate.evidence.mlflow.read.read`
    would read them now: their latest values and histories (the newest points, as ``read``
    keeps them). None when only a whole read can say (over the history cap, a value that is
    not finite, a name the secret detector would cut): the caller reads the run whole."""
    if now.metric_count > MAX_HISTORY_METRICS or run.history_omitted:
        return None
    metrics = {k: v for k, v in run.metrics.items() if not k.startswith(LOOK_PREFIX)}
    history = {k: v for k, v in run.metric_history.items() if not k.startswith(LOOK_PREFIX)}
    truncated = {k: v for k, v in run.history_truncated.items() if not k.startswith(LOOK_PREFIX)}
    for key, value, _, _ in now.looks:
        if not finite_number(value) or key in run.nonfinite_metrics:
            return None
        metrics[key] = value
        points = source.call(
            f"{run.role} run {run.run_id} metric {key!r}",
            source.client.get_metric_history,
            run.run_id,
            key,
        )
        if len(points) > 1:
            kept: list[MetricPoint]
            kept, logged = newest_points(points)
            history[key] = kept
            if logged > len(kept):
                truncated[key] = logged
    _, found = redact_tree({"metrics": sorted(k for k, *_ in now.looks)})
    if found:
        return None
    return run.model_copy(
        update={
            "metrics": dict(sorted(metrics.items())),
            "metric_history": dict(sorted(history.items())),
            "history_truncated": dict(sorted(truncated.items())),
        }
    )
