"""Everything the gate may need from one run, read once: metrics, history, params, tags,
datasets, the model, and the per-item table (parsed, and stored as canonical Parquet).

Params and tags pass the redaction allow-lists; secrets in URIs are scrubbed; NaN and infinite
metrics are named as unusable, never read as numbers.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

from govgate.errors import EvidenceError
from govgate.evidence.items import (
    ITEMS_DIR,
    ITEMS_JSON,
    ITEMS_PARQUET,
    ItemTable,
    TableFormat,
    parse_items,
)
from govgate.evidence.mlflow.settings import (
    MAX_HISTORY_METRICS,
    MAX_HISTORY_POINTS,
    TAG_MODEL_DIGEST,
    TAG_MODEL_NAME,
    TAG_MODEL_VERSION,
    TAG_STAGE,
)
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import (
    DatasetInfo,
    ItemsInfo,
    MetricPoint,
    ModelInfo,
    Redaction,
    RedactionSection,
    Resolution,
    Role,
    RunEvidence,
)
from govgate.evidence.redact import filter_values, redact_tree, scrub

#: A model version's content digest tag (``govgate.model.digest``) as the bundle attests it:
#: the in-toto subject's sha256, which in-toto wants in lowercase hex and cosign compares with a
#: blob's sha256 as written so. Any other value is refused, never signed.
MODEL_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


def read(
    source: MlflowSource, run: Any, resolution: Resolution, model: ModelInfo | None, role: Role
) -> tuple[RunEvidence, ItemTable | None, bytes | None]:
    """Everything the gate may need from one run; its per-item table, parsed and stored."""
    info, data = run.info, run.data
    run_id = info.run_id
    what = f"{role} run {run_id}"
    experiment = source.call(what, source.client.get_experiment, info.experiment_id)
    metrics: dict[str, float] = {}
    nonfinite: dict[str, str] = {}
    for key, value in sorted(data.metrics.items()):
        number = float(value)
        if finite_number(number):
            metrics[key] = number
        else:
            nonfinite[key] = "nan" if number != number else ("inf" if number > 0 else "-inf")
    history: dict[str, list[MetricPoint]] = {}
    truncated: dict[str, int] = {}
    omitted = sorted(data.metrics)[MAX_HISTORY_METRICS:]  # named in the snapshot, not hidden
    for key in sorted(data.metrics)[:MAX_HISTORY_METRICS]:
        points = source.call(
            f"{what} metric {key!r}", source.client.get_metric_history, run_id, key
        )
        if len(points) > 1:
            history[key], logged = newest_points(points)
            if logged > len(history[key]):
                truncated[key] = logged  # named in the snapshot with its size, not hidden
    params, param_red, param_drop = filter_values(data.params, source.redaction.param_allow)
    tags, tag_red, tag_drop = filter_values(data.tags, source.redaction.tag_allow)
    redactions = [Redaction(section="params", key=k, reason=r) for k, r in param_red]
    redactions += [Redaction(section="tags", key=k, reason=r) for k, r in tag_red]
    datasets = []
    for dataset_input in getattr(run.inputs, "dataset_inputs", None) or []:
        ds = dataset_input.dataset
        context = next(
            (t.value for t in dataset_input.tags or [] if t.key == "mlflow.data.context"), None
        )
        datasets.append(
            DatasetInfo(
                name=ds.name,
                digest=ds.digest,
                source_type=ds.source_type,
                source=ds.source or "",
                context=context,
            )
        )
    if model is None:
        model = _model_from_tags(source, data.tags, what)
    check_model_digest(model, what)
    items, table, blob = _items(source, run_id, what)
    evidence = RunEvidence(
        role=role,
        run_id=run_id,
        experiment_id=str(info.experiment_id),
        experiment_name=getattr(experiment, "name", None),
        run_name=getattr(info, "run_name", None) or None,
        status=info.status,
        start_time=info.start_time,
        end_time=info.end_time,
        stage=data.tags.get(TAG_STAGE),
        model=model,
        datasets=datasets,
        metrics=metrics,
        nonfinite_metrics=nonfinite,
        metric_history=history,
        history_omitted=omitted,
        history_truncated=truncated,
        params=params,
        tags=tags,
        redactions=redactions,
        dropped={k: v for k, v in (("params", param_drop), ("tags", tag_drop)) if v},
        items=items,
        resolution=resolution,
    )
    return _redacted(evidence), table, blob


def newest_points(points: list[Any]) -> tuple[list[MetricPoint], int]:
    """The newest ``MAX_HISTORY_POINTS`` finite points of a history (by timestamp, then step),
    in step order, and how many finite points it has. MLflow's stores return a history oldest
    first and have no newest-first query, so the whole history is read (within the call's
    deadline) and only the newest points are kept."""
    finite = [
        MetricPoint(step=int(p.step), timestamp=int(p.timestamp), value=float(p.value))
        for p in points
        if finite_number(float(p.value))
    ]
    newest = sorted(finite, key=lambda p: (p.timestamp, p.step, p.value))[-MAX_HISTORY_POINTS:]
    return sorted(newest, key=lambda p: (p.step, p.timestamp, p.value)), len(finite)


def _redacted(evidence: RunEvidence) -> RunEvidence:
    """The run with every secret cut out of every string, keys and names included.

    Params and tags were filtered by key above; this pass is what guarantees that nothing else
    (an experiment, run, model or dataset name, a dataset source, a metric name, a column name)
    carries a secret into the snapshot, whatever field a later version adds.
    """
    document = evidence.model_dump(mode="json", exclude={"redactions"})
    clean, found = redact_tree(document)
    assert isinstance(clean, dict)
    if not found:
        return evidence
    redactions = list(evidence.redactions)
    for path, reason in found:
        if path[0] == "datasets" and len(path) > 2 and path[2] != "name":  # by dataset name
            path = ("datasets", clean["datasets"][int(path[1])]["name"], *path[3:])
        section, key = _section(path)
        redactions.append(Redaction(section=section, key=key, reason=reason))
    return RunEvidence.model_validate({**clean, "redactions": redactions})


_SECTIONS: dict[str, RedactionSection] = {
    "params": "params",
    "tags": "tags",
    "datasets": "datasets",
    "model": "model",
    "metrics": "metrics",
    "nonfinite_metrics": "metrics",
    "metric_history": "metrics",
    "history_omitted": "metrics",
    "history_truncated": "metrics",
    "items": "items",
}


def _section(path: tuple[str | int, ...]) -> tuple[RedactionSection, str]:
    """Where a redaction was made, as the snapshot's Redaction records name it."""
    head, rest = str(path[0]), [str(part) for part in path[1:]]
    if head == "dropped" and rest and rest[0] in ("params", "tags"):
        return _SECTIONS[rest[0]], "/".join(["dropped", *rest[2:]])
    if head in _SECTIONS:
        return _SECTIONS[head], "/".join(rest) or head
    return "run", "/".join([head, *rest])


def _model_from_tags(source: MlflowSource, tags: dict[str, str], what: str) -> ModelInfo | None:
    name, version = tags.get(TAG_MODEL_NAME), tags.get(TAG_MODEL_VERSION)
    if not name:
        return None
    digest = None
    kept: dict[str, str] = {}
    if version:
        try:
            mv = source.call(what, source.client.get_model_version, name, version)
            digest = (mv.tags or {}).get(TAG_MODEL_DIGEST)
            kept = filter_values(mv.tags or {}, source.redaction.tag_allow)[0]
        except EvidenceError as exc:
            if exc.code != "evidence.not-found":
                raise
    return ModelInfo(name=name, version=version, digest=digest, tags=kept)


def check_model_digest(model: ModelInfo | None, what: str) -> None:
    """Refuse (``evidence.invalid``) a model version whose content digest tag is anything but
    ``sha256:`` and 64 lowercase hex digits: the bundle would sign it as the model's digest.

    Both ways a run finds its model version (the reference, or the run's govgate tags) pass
    here, before anything of the run is snapshotted.
    """
    digest = model.digest if model is not None else None
    if model is None or digest is None or MODEL_DIGEST.fullmatch(digest):
        return
    shown = scrub(digest[:80])[0] + ("..." if len(digest) > 80 else "")
    why = (
        "uppercase hex digits"
        if MODEL_DIGEST.fullmatch(digest.lower())
        else "not sha256: and 64 lowercase hex digits"
    )
    raise EvidenceError(
        "evidence.invalid",
        f"{what}: model version {model.name}/{model.version} has tag {TAG_MODEL_DIGEST} "
        f"{shown!r} ({why}), which govgate will not sign as the model's content digest",
        hint=f"set the version's tag {TAG_MODEL_DIGEST} to sha256: and the model's 64 lowercase "
        "hex digits (as `sha256sum` prints them), or delete the tag (the bundle then attests "
        "the evidence snapshot)",
    )


def _items(
    source: MlflowSource, run_id: str, what: str
) -> tuple[ItemsInfo | None, ItemTable | None, bytes | None]:
    listing = source.call(f"{what} artifacts", source.client.list_artifacts, run_id, ITEMS_DIR)
    present = {f.path for f in listing}
    fmt: TableFormat
    if ITEMS_PARQUET in present:
        path, fmt = ITEMS_PARQUET, "parquet"
    elif ITEMS_JSON in present:
        path, fmt = ITEMS_JSON, "mlflow-table-json"
    else:
        return None, None, None
    with tempfile.TemporaryDirectory(prefix="govgate-items-") as tmp:
        local = source.call(
            f"{what} artifact {path}", source.client.download_artifacts, run_id, path, tmp
        )
        blob = Path(local).read_bytes()
    artifact_digest = hashlib.sha256(blob).hexdigest()
    table, problem = parse_items(blob, fmt)
    if table is None:
        info = ItemsInfo(
            artifact_path=path,
            artifact_sha256=artifact_digest,
            artifact_format=fmt,
            problem=problem,
        )
        return info, None, None
    stored = table.to_parquet()
    digest = hashlib.sha256(stored).hexdigest()
    info = ItemsInfo(
        artifact_path=path,
        artifact_sha256=artifact_digest,
        artifact_format=fmt,
        file=f"items/{digest}.parquet",
        sha256=digest,
        rows=table.rows,
        columns=dict(table.roles),
        ignored_columns=list(table.ignored),
    )
    return info, table, stored


def finite_number(number: float) -> bool:
    """A usable metric value. MLflow's SQL stores save +-inf as +-sys.float_info.max, so those
    read back as finite numbers: they are infinities, and as unusable as NaN."""
    return number == number and abs(number) < sys.float_info.max
