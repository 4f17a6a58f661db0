"""Finished evaluation runs for ``replay`` and ``diff``: an experiment's, a model's, a window."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from govgate.errors import EvidenceError
from govgate.evidence.mlflow.resolve import experiment_ids
from govgate.evidence.mlflow.settings import (
    TAG_BUNDLE,
    TAG_DECISION_DIGEST,
    TAG_MODEL_NAME,
    TAG_MODEL_VERSION,
    TAG_STAGE,
    TAG_VERDICT,
    quote,
)
from govgate.evidence.mlflow.source import MlflowSource


@dataclass(frozen=True)
class PastRun:
    """A finished evaluation run found by a history search, with the tags ``govgate check``
    leaves on a run it decided (verdict, decision digest, where the bundle was logged)."""

    run_id: str
    experiment_id: str
    run_name: str | None
    start_time: int | None
    end_time: int | None
    stage: str | None
    model: str | None
    version: str | None
    verdict: str | None
    decision_digest: str | None
    bundle: str | None  # artifact path of the logged bundle


def history(
    source: MlflowSource,
    *,
    experiment: str | None,
    model: str | None,
    stage: str | None,
    since_ms: int | None,
    until_ms: int | None,
    filter_string: str,
    limit: int,
) -> list[PastRun]:
    """Finished runs, newest first: of an experiment, and/or the evaluation runs of a
    registered model's versions (tagged govgate.model.name), within a time window."""
    what = "history search"
    filters = ["attributes.status = 'FINISHED'"]
    if model is not None:
        filters.append(f"tags.`{TAG_MODEL_NAME}` = '{quote(model)}'")
    if stage is not None:
        filters.append(f"tags.`{TAG_STAGE}` = '{quote(stage)}'")
    if since_ms is not None:
        filters.append(f"attributes.start_time >= {int(since_ms)}")
    if until_ms is not None:
        filters.append(f"attributes.start_time < {int(until_ms)}")
    if filter_string.strip():
        filters.append(filter_string.strip())
    if experiment is not None:
        found = source.call(what, source.client.get_experiment_by_name, experiment)
        if found is None:
            raise EvidenceError("evidence.not-found", f"{what}: no experiment named {experiment!r}")
        ids = [found.experiment_id]
    else:
        ids = experiment_ids(source, what)
    runs: list[Any] = []
    for start in range(0, len(ids), 100):
        runs.extend(
            source.call(
                what,
                source.client.search_runs,
                ids[start : start + 100],
                filter_string=" and ".join(filters),
                order_by=["attributes.start_time DESC"],
                max_results=limit,
            )
        )
    runs.sort(key=lambda r: (r.info.start_time or 0, r.info.run_id), reverse=True)
    return [_past(run) for run in runs[:limit]]


def _past(run: Any) -> PastRun:
    tags = dict(run.data.tags)
    return PastRun(
        run_id=run.info.run_id,
        experiment_id=run.info.experiment_id,
        run_name=run.info.run_name,
        start_time=run.info.start_time,
        end_time=run.info.end_time,
        stage=tags.get(TAG_STAGE),
        model=tags.get(TAG_MODEL_NAME),
        version=tags.get(TAG_MODEL_VERSION),
        verdict=tags.get(TAG_VERDICT),
        decision_digest=tags.get(TAG_DECISION_DIGEST),
        bundle=tags.get(TAG_BUNDLE),
    )
