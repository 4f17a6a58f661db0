"""Which run a reference names: a run id, a model version (its evaluation run), a search.

``models:/NAME@ALIAS`` and ``models:/NAME/VERSION`` resolve to the one FINISHED run tagged
``govgate.model.name``/``govgate.model.version`` (and ``govgate.stage``) by ``govgate eval run``;
with no such run, to the version's source run, and the snapshot says which. Two candidate runs,
a run still running, a failed run: errors, never a silent choice.
"""

from __future__ import annotations

from typing import Any

from govgate.errors import EvidenceError
from govgate.evidence.mlflow.errors import require_finished
from govgate.evidence.mlflow.settings import (
    TAG_MODEL_DIGEST,
    TAG_MODEL_NAME,
    TAG_MODEL_VERSION,
    TAG_STAGE,
    quote,
)
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import ModelInfo, Resolution, Role
from govgate.evidence.redact import filter_values, scrub
from govgate.evidence.refs import ModelRef, Ref, RunRef, SearchRef


def resolve(
    source: MlflowSource, ref: Ref, role: Role, stage: str | None
) -> tuple[Any, Resolution, ModelInfo | None]:
    """The run a reference names, how it was found, and the model version if one was."""
    if isinstance(ref, RunRef):
        run = source.run(ref.run_id, f"{role} run {ref.run_id}")
        return (
            run,
            Resolution(reference=f"runs:/{ref.run_id}", method="run-id", detail="run id given"),
            None,
        )
    if isinstance(ref, ModelRef):
        return _resolve_model(source, ref, role, stage)
    if isinstance(ref, SearchRef):
        return _resolve_search(source, ref, role)
    raise TypeError(f"not an MLflow reference: {ref!r}")  # pragma: no cover


def _resolve_model(
    source: MlflowSource, ref: ModelRef, role: Role, stage: str | None
) -> tuple[Any, Resolution, ModelInfo]:
    what = f"{role} {ref}"
    if ref.alias is not None:
        version = source.call(
            f"{what} (registered model {ref.name!r}, alias @{ref.alias})",
            source.client.get_model_version_by_alias,
            ref.name,
            ref.alias,
        )
    else:
        version = source.call(
            f"{what} (registered model {ref.name!r}, version {ref.version})",
            source.client.get_model_version,
            ref.name,
            ref.version,
        )
    digest = (version.tags or {}).get(TAG_MODEL_DIGEST)
    model = ModelInfo(
        name=ref.name,
        version=str(version.version),
        alias=ref.alias,
        digest=digest,
        source=scrub(version.source or "")[0] or None,
        tags=filter_values(version.tags or {}, source.redaction.tag_allow)[0],
    )
    filters = [
        f"tags.`{TAG_MODEL_NAME}` = '{quote(ref.name)}'",
        f"tags.`{TAG_MODEL_VERSION}` = '{quote(str(version.version))}'",
    ]
    if stage is not None:
        filters.append(f"tags.`{TAG_STAGE}` = '{quote(stage)}'")
    experiments = experiment_ids(source, what)
    runs = _search_all(source, what, experiments, " and ".join(filters))
    label = f"{ref} (version {version.version}{f', stage {stage}' if stage else ''})"
    unfinished = [r for r in runs if r.info.status in ("RUNNING", "SCHEDULED")]
    if unfinished:
        raise EvidenceError(
            "evidence.run-state",
            f"{what}: evaluation run {unfinished[0].info.run_id} for {label} is still "
            f"{unfinished[0].info.status}",
            hint="wait for it to finish, then run the gate again",
        )
    finished = [r for r in runs if r.info.status == "FINISHED"]
    if len(finished) > 1:
        ids = ", ".join(r.info.run_id for r in finished[:5])
        raise EvidenceError(
            "evidence.ambiguous",
            f"{what}: {len(finished)} evaluation runs match {label}: {ids}",
            hint="pass the run id (runs:/ID), or delete or retag the runs that do not count",
        )
    if finished:
        run = finished[0]
        return (
            run,
            Resolution(
                reference=str(ref),
                method="model-version-eval-run",
                detail=f"the evaluation run tagged {TAG_MODEL_NAME}={ref.name}, "
                f"{TAG_MODEL_VERSION}={version.version}"
                + (f", {TAG_STAGE}={stage}" if stage else ""),
            ),
            model,
        )
    if runs:  # only failed or killed runs
        raise EvidenceError(
            "evidence.run-state",
            f"{what}: the evaluation run for {label} is {runs[0].info.status}",
            hint="re-run the evaluation",
        )
    if not version.run_id:
        raise EvidenceError(
            "evidence.not-found",
            f"{what}: no evaluation run for {label}, and the version has no source run",
            hint=f"log one with `govgate eval run`, or tag your evaluation run with "
            f"{TAG_MODEL_NAME}, {TAG_MODEL_VERSION} and {TAG_STAGE}",
        )
    run = source.run(version.run_id, f"{what}: source run {version.run_id}")
    return (
        run,
        Resolution(
            reference=str(ref),
            method="model-version-source-run",
            detail=f"no run tagged as the evaluation of {label}: used the version's source run",
        ),
        model,
    )


def _resolve_search(
    source: MlflowSource, ref: SearchRef, role: Role
) -> tuple[Any, Resolution, None]:
    what = f"{role} search:{ref.experiment}"
    experiment = source.call(what, source.client.get_experiment_by_name, ref.experiment)
    if experiment is None:
        raise EvidenceError("evidence.not-found", f"{what}: no experiment named {ref.experiment!r}")
    runs = source.call(
        what,
        source.client.search_runs,
        [experiment.experiment_id],
        filter_string=ref.filter,
        order_by=["attributes.start_time DESC"],
        max_results=2,
    )
    if not runs:
        raise EvidenceError(
            "evidence.not-found",
            f"{what}: no run matches {ref.filter!r}" if ref.filter else f"{what}: no runs",
        )
    newest = runs[0]
    if len(runs) > 1 and runs[1].info.start_time == newest.info.start_time:
        raise EvidenceError(
            "evidence.ambiguous",
            f"{what}: runs {newest.info.run_id} and {runs[1].info.run_id} both match and "
            f"started at the same time",
            hint="narrow the filter, or pass the run id",
        )
    require_finished(newest, f"{what}: newest matching run {newest.info.run_id}")
    return (
        newest,
        Resolution(
            reference=f"search:{ref.experiment}?{ref.filter}",
            method="search",
            detail="the newest run matching the filter",
        ),
        None,
    )


def experiment_ids(source: MlflowSource, what: str) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = source.call(
            what, source.client.search_experiments, max_results=1000, page_token=token
        )
        ids.extend(e.experiment_id for e in page)
        token = page.token
        if not token:
            return ids


def _search_all(source: MlflowSource, what: str, ids: list[str], filter_string: str) -> list[Any]:
    runs: list[Any] = []
    for start in range(0, len(ids), 100):
        token = None
        while True:
            page = source.call(
                what,
                source.client.search_runs,
                ids[start : start + 100],
                filter_string=filter_string,
                max_results=1000,
                page_token=token,
            )
            runs.extend(page)
            token = page.token
            if not token:
                break
    return runs
