"""What govgate writes to MLflow: evaluation runs, model versions, aliases, bundles.

Promotion is a compare-and-set: an alias moves only if it still points where it did when the
evidence was read.
"""

from __future__ import annotations

from pathlib import Path

from govgate.errors import EvidenceError
from govgate.evidence.items import ITEMS_DIR
from govgate.evidence.mlflow.settings import TAG_BUNDLE, TAG_DECISION_DIGEST, TAG_VERDICT, quote
from govgate.evidence.mlflow.source import MlflowSource


def log_bundle(
    source: MlflowSource, run_id: str, folder: Path, decision_digest: str, verdict: str
) -> str:
    """Log a bundle folder to the candidate run and tag the run; return the artifact path."""
    artifact_path = f"govgate/bundles/{decision_digest[:16]}"
    what = f"logging the audit bundle to run {run_id}"
    source.call(what, source.client.log_artifacts, run_id, str(folder), artifact_path)
    from mlflow.entities import RunTag

    # one call, one transaction: two checks of the same run never leave a verdict from one
    # and a digest or bundle path from the other (replay checks they name the same decision)
    tags = [
        RunTag(TAG_VERDICT, verdict),
        RunTag(TAG_DECISION_DIGEST, decision_digest),
        RunTag(TAG_BUNDLE, artifact_path),
    ]
    source.call(what, source.client.log_batch, run_id, tags=tags)
    return artifact_path


def start_run(source: MlflowSource, experiment: str, run_name: str, tags: dict[str, str]) -> str:
    """A new RUNNING run in the named experiment (created if missing); its id."""
    what = f"starting a run in experiment {experiment!r}"
    found = source.call(what, source.client.get_experiment_by_name, experiment)
    experiment_id = (
        found.experiment_id
        if found
        else source.call(what, source.client.create_experiment, experiment)
    )
    run = source.call(what, source.client.create_run, experiment_id, tags=tags, run_name=run_name)
    return str(run.info.run_id)


def log_eval(
    source: MlflowSource,
    run_id: str,
    *,
    params: dict[str, str],
    metrics: dict[str, float],
    items: bytes,
    dataset: tuple[str, str, str, int],
) -> None:
    """Params, metrics, the per-item table and the dataset input of an evaluation run."""
    import tempfile

    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param

    what = f"logging evaluation run {run_id}"
    stamp = 0
    source.call(
        what,
        source.client.log_batch,
        run_id,
        metrics=[Metric(k, float(v), stamp, 0) for k, v in sorted(metrics.items())],
        params=[Param(k, v) for k, v in sorted(params.items())],
    )
    with tempfile.TemporaryDirectory(prefix="govgate-items-") as tmp:
        path = Path(tmp) / "items.parquet"
        path.write_bytes(items)
        source.call(what, source.client.log_artifact, run_id, str(path), ITEMS_DIR)
    name, digest, where, rows = dataset
    profile = f'{{"num_rows": {rows}}}'
    entry = DatasetInput(
        Dataset(name, digest, "local", where, None, profile),
        [InputTag("mlflow.data.context", "eval")],
    )
    source.call(what, source.client.log_inputs, run_id, datasets=[entry])


def finish_run(source: MlflowSource, run_id: str, status: str) -> None:
    source.call(f"closing run {run_id}", source.client.set_terminated, run_id, status=status)


def register_version(source: MlflowSource, name: str, run_id: str) -> str:
    """Register a new version of ``name`` whose source is ``run_id``; its version number."""
    what = f"registering a version of {name!r}"
    if not source.call(
        what, source.client.search_registered_models, filter_string=f"name = '{quote(name)}'"
    ):
        source.call(what, source.client.create_registered_model, name)
    version = source.call(
        what, source.client.create_model_version, name, f"runs:/{run_id}/model", run_id=run_id
    )
    return str(version.version)


def set_run_tag(source: MlflowSource, run_id: str, key: str, value: str) -> None:
    source.call(f"tagging run {run_id}", source.client.set_tag, run_id, key, value)


def set_alias(source: MlflowSource, name: str, alias: str, version: str) -> None:
    source.call(
        f"setting models:/{name}@{alias}",
        source.client.set_registered_model_alias,
        name,
        alias,
        version,
    )


def alias_version(source: MlflowSource, name: str, alias: str) -> str | None:
    """The version ``models:/NAME@ALIAS`` points to, or None when the alias is not set."""
    try:
        version = source.call(
            f"reading models:/{name}@{alias}", source.client.get_model_version_by_alias, name, alias
        )
    except EvidenceError as exc:
        if exc.code == "evidence.not-found":
            return None
        raise
    return str(version.version)


def promote_alias(
    source: MlflowSource, name: str, alias: str, version: str, expected: str | None
) -> None:
    """Move the alias to ``version`` if it still points at ``expected`` (compare-and-set).

    MLflow has no atomic compare-and-set, so the check runs immediately before the move; the
    window between the two calls is the only one left.
    """
    current = alias_version(source, name, alias)
    if current != expected:
        raise EvidenceError(
            "evidence.changed",
            f"models:/{name}@{alias} points to version {current or 'nothing'} now, but to "
            f"{expected or 'nothing'} when the evidence was read: not promoting",
            hint="run the gate again against the current champion",
        )
    source.call(
        f"moving models:/{name}@{alias}",
        source.client.set_registered_model_alias,
        name,
        alias,
        version,
    )
