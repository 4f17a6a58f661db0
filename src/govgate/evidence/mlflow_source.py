"""Resolve references against an MLflow tracking store and snapshot runs, each read once.

The only module that imports MLflow (deferred: ~2-3 s). The same code reads the embedded
default (``sqlite:///mlflow.db``) and a remote ``mlflow server``; only the URI differs.

How an evaluation run is linked to a model version: ``govgate eval run`` tags the run with
``govgate.model.name``, ``govgate.model.version`` and ``govgate.stage``. ``models:/NAME@ALIAS``
and ``models:/NAME/VERSION`` resolve to the one FINISHED run with those tags for the requested
stage; with no such run, to the version's source run (``ModelVersion.run_id``), and the
snapshot says which. Two candidate runs, a run still running, a failed run: errors, never a
silent choice.
"""

from __future__ import annotations

import hashlib
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from govgate.errors import EvidenceError
from govgate.evidence.items import (
    ITEMS_DIR,
    ITEMS_JSON,
    ITEMS_PARQUET,
    ItemTable,
    TableFormat,
    parse_items,
)
from govgate.evidence.model import (
    DatasetInfo,
    ItemsInfo,
    MetricPoint,
    ModelInfo,
    Redaction,
    Resolution,
    Role,
    RunEvidence,
)
from govgate.evidence.redact import RedactionPolicy, filter_values, scrub
from govgate.evidence.refs import ModelRef, Ref, RunRef, SearchRef

TAG_MODEL_NAME = "govgate.model.name"
TAG_MODEL_VERSION = "govgate.model.version"
TAG_STAGE = "govgate.stage"
TAG_MODEL_DIGEST = "govgate.model.digest"
TAG_VERDICT = "govgate.verdict"  # written with the bundle by `govgate check` (log_bundle)
TAG_DECISION_DIGEST = "govgate.decision_digest"
TAG_BUNDLE = "govgate.bundle"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
MAX_HISTORY_METRICS = 200


@dataclass(frozen=True, slots=True)
class MlflowSettings:
    """How to reach the tracking store, with a bounded retry budget.

    MLflow's HTTP client retries a dead server 7 times with backoff (minutes) by default;
    govgate fails within about ``timeout_s * (max_retries + 1)`` plus small backoffs.
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    timeout_s: int = 10
    max_retries: int = 2
    backoff_factor: int = 1

    def environment(self) -> dict[str, str]:
        """MLflow reads these from the environment; the CLI (and tests) apply them."""
        return {
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.max_retries),
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(self.timeout_s),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(self.backoff_factor),
            "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }

    def public_uri(self) -> str:
        return scrub(self.tracking_uri)[0]

    def describe(self) -> str:
        if urlparse(self.tracking_uri).scheme in ("http", "https"):
            return (
                f"MLflow at {self.public_uri()}, {self.max_retries} retries, "
                f"{self.timeout_s} s timeout per request"
            )
        return f"MLflow store {self.public_uri()}"


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


def _quiet_mlflow() -> None:
    import logging

    for name in ("mlflow", "alembic", "urllib3.connectionpool"):
        logging.getLogger(name).setLevel(logging.ERROR)


class MlflowSource:
    """A tracking store, opened lazily. One instance reads each run at most once."""

    def __init__(
        self,
        settings: MlflowSettings,
        redaction: RedactionPolicy | None = None,
        *,
        create_store: bool = False,
    ) -> None:
        self.settings = settings
        self.redaction = redaction or RedactionPolicy()
        self.create_store = create_store  # writers (eval runs) may create a local store
        self._client: Any = None

    # -- connection and error mapping ---------------------------------------------------------

    @property
    def client(self) -> Any:
        if self._client is None:
            if not self.create_store:
                self._check_local_store()
            from mlflow.tracking import MlflowClient

            _quiet_mlflow()  # after the import: importing MLflow configures its loggers
            self._client = MlflowClient(tracking_uri=self.settings.tracking_uri)
        return self._client

    def _check_local_store(self) -> None:
        """Reading must not create a store: a missing SQLite file is an error, not an empty db."""
        uri = self.settings.tracking_uri
        if uri.startswith("sqlite:///"):
            path = Path(uri[len("sqlite:///") :])
            if not path.is_file():
                raise EvidenceError(
                    "evidence.not-found",
                    f"no MLflow store at {path.as_posix()}",
                    hint="run from the folder that holds mlflow.db, or pass --tracking-uri",
                    tried=self.settings.describe(),
                )

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the MLflow client, turning every failure into a documented EvidenceError."""
        try:
            return fn(*args, **kwargs)
        except EvidenceError:
            raise
        except Exception as exc:  # MLflow, requests and SQLAlchemy raise many types
            raise self._translate(what, exc) from exc

    def _translate(self, what: str, exc: Exception) -> EvidenceError:
        tried = self.settings.describe()
        kind = _classify(exc)
        if kind == "not-found":
            return EvidenceError("evidence.not-found", f"{what}: not found", tried=tried)
        if kind == "permission":
            return EvidenceError(
                "evidence.permission",
                f"{what}: permission denied",
                hint="check the credentials for this tracking server",
                tried=tried,
            )
        if kind == "timeout":
            return EvidenceError(
                "evidence.timeout",
                f"{what}: MLflow did not answer in time",
                hint="check the server, or raise --mlflow-timeout",
                tried=tried,
            )
        if kind == "unreachable":
            return EvidenceError(
                "evidence.unreachable",
                f"{what}: MLflow is unreachable",
                hint="check that the tracking server is up and the URI is right",
                tried=tried,
            )
        first = scrub(" ".join(str(exc).split())[:160])[0]
        return EvidenceError(
            "evidence.store-error",
            f"{what}: MLflow failed ({type(exc).__name__}: {first})",
            tried=tried,
        )

    # -- resolving ------------------------------------------------------------------------------

    def resolve(
        self, ref: Ref, role: Role, stage: str | None
    ) -> tuple[Any, Resolution, ModelInfo | None]:
        """The run a reference names, how it was found, and the model version if one was."""
        if isinstance(ref, RunRef):
            run = self._run(ref.run_id, f"{role} run {ref.run_id}")
            return (
                run,
                Resolution(reference=f"runs:/{ref.run_id}", method="run-id", detail="run id given"),
                None,
            )
        if isinstance(ref, ModelRef):
            return self._resolve_model(ref, role, stage)
        if isinstance(ref, SearchRef):
            return self._resolve_search(ref, role)
        raise TypeError(f"not an MLflow reference: {ref!r}")  # pragma: no cover

    def _run(self, run_id: str, what: str) -> Any:
        run = self.call(what, self.client.get_run, run_id)
        _require_finished(run, what)
        return run

    def _resolve_model(
        self, ref: ModelRef, role: Role, stage: str | None
    ) -> tuple[Any, Resolution, ModelInfo]:
        what = f"{role} {ref}"
        if ref.alias is not None:
            version = self.call(
                f"{what} (registered model {ref.name!r}, alias @{ref.alias})",
                self.client.get_model_version_by_alias,
                ref.name,
                ref.alias,
            )
        else:
            version = self.call(
                f"{what} (registered model {ref.name!r}, version {ref.version})",
                self.client.get_model_version,
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
        )
        filters = [
            f"tags.`{TAG_MODEL_NAME}` = '{_quote(ref.name)}'",
            f"tags.`{TAG_MODEL_VERSION}` = '{_quote(str(version.version))}'",
        ]
        if stage is not None:
            filters.append(f"tags.`{TAG_STAGE}` = '{_quote(stage)}'")
        experiments = self._experiment_ids(what)
        runs = self._search_all(what, experiments, " and ".join(filters))
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
        run = self._run(version.run_id, f"{what}: source run {version.run_id}")
        return (
            run,
            Resolution(
                reference=str(ref),
                method="model-version-source-run",
                detail=f"no run tagged as the evaluation of {label}: used the version's source run",
            ),
            model,
        )

    def _resolve_search(self, ref: SearchRef, role: Role) -> tuple[Any, Resolution, None]:
        what = f"{role} search:{ref.experiment}"
        experiment = self.call(what, self.client.get_experiment_by_name, ref.experiment)
        if experiment is None:
            raise EvidenceError(
                "evidence.not-found", f"{what}: no experiment named {ref.experiment!r}"
            )
        runs = self.call(
            what,
            self.client.search_runs,
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
        _require_finished(newest, f"{what}: newest matching run {newest.info.run_id}")
        return (
            newest,
            Resolution(
                reference=f"search:{ref.experiment}?{ref.filter}",
                method="search",
                detail="the newest run matching the filter",
            ),
            None,
        )

    def _experiment_ids(self, what: str) -> list[str]:
        ids: list[str] = []
        token = None
        while True:
            page = self.call(
                what, self.client.search_experiments, max_results=1000, page_token=token
            )
            ids.extend(e.experiment_id for e in page)
            token = page.token
            if not token:
                return ids

    def _search_all(self, what: str, experiment_ids: list[str], filter_string: str) -> list[Any]:
        runs: list[Any] = []
        for start in range(0, len(experiment_ids), 100):
            token = None
            while True:
                page = self.call(
                    what,
                    self.client.search_runs,
                    experiment_ids[start : start + 100],
                    filter_string=filter_string,
                    max_results=1000,
                    page_token=token,
                )
                runs.extend(page)
                token = page.token
                if not token:
                    break
        return runs

    # -- history ----------------------------------------------------------------------------------

    def history(
        self,
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
            filters.append(f"tags.`{TAG_MODEL_NAME}` = '{_quote(model)}'")
        if stage is not None:
            filters.append(f"tags.`{TAG_STAGE}` = '{_quote(stage)}'")
        if since_ms is not None:
            filters.append(f"attributes.start_time >= {int(since_ms)}")
        if until_ms is not None:
            filters.append(f"attributes.start_time < {int(until_ms)}")
        if filter_string.strip():
            filters.append(filter_string.strip())
        if experiment is not None:
            found = self.call(what, self.client.get_experiment_by_name, experiment)
            if found is None:
                raise EvidenceError(
                    "evidence.not-found", f"{what}: no experiment named {experiment!r}"
                )
            experiment_ids = [found.experiment_id]
        else:
            experiment_ids = self._experiment_ids(what)
        runs: list[Any] = []
        for start in range(0, len(experiment_ids), 100):
            runs.extend(
                self.call(
                    what,
                    self.client.search_runs,
                    experiment_ids[start : start + 100],
                    filter_string=" and ".join(filters),
                    order_by=["attributes.start_time DESC"],
                    max_results=limit,
                )
            )
        runs.sort(key=lambda r: (r.info.start_time or 0, r.info.run_id), reverse=True)
        return [self._past(run) for run in runs[:limit]]

    def _past(self, run: Any) -> PastRun:
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

    def download(self, run_id: str, path: str, destination: Path) -> Path:
        """Download a run's artifact (file or folder) into ``destination``."""
        local = self.call(
            f"run {run_id} artifact {path}",
            self.client.download_artifacts,
            run_id,
            path,
            str(destination),
        )
        return Path(local)

    # -- reading a run --------------------------------------------------------------------------

    def read(
        self, run: Any, resolution: Resolution, model: ModelInfo | None, role: Role
    ) -> tuple[RunEvidence, ItemTable | None, bytes | None]:
        """Everything the gate may need from one run; its per-item table, parsed and stored."""
        info, data = run.info, run.data
        run_id = info.run_id
        what = f"{role} run {run_id}"
        experiment = self.call(what, self.client.get_experiment, info.experiment_id)
        metrics: dict[str, float] = {}
        nonfinite: dict[str, str] = {}
        for key, value in sorted(data.metrics.items()):
            number = float(value)
            if _finite(number):
                metrics[key] = number
            else:
                nonfinite[key] = "nan" if number != number else ("inf" if number > 0 else "-inf")
        history: dict[str, list[MetricPoint]] = {}
        omitted = sorted(data.metrics)[MAX_HISTORY_METRICS:]  # named in the snapshot, not hidden
        for key in sorted(data.metrics)[:MAX_HISTORY_METRICS]:
            points = self.call(
                f"{what} metric {key!r}", self.client.get_metric_history, run_id, key
            )
            finite = [p for p in points if _finite(float(p.value))]
            if len(points) > 1:
                history[key] = [
                    MetricPoint(step=int(p.step), timestamp=int(p.timestamp), value=float(p.value))
                    for p in sorted(finite, key=lambda p: (p.step, p.timestamp))
                ]
        params, param_red, param_drop = filter_values(data.params, self.redaction.param_allow)
        tags, tag_red, tag_drop = filter_values(data.tags, self.redaction.tag_allow)
        redactions = [Redaction(section="params", key=k, reason=r) for k, r in param_red]
        redactions += [Redaction(section="tags", key=k, reason=r) for k, r in tag_red]
        datasets = []
        for dataset_input in getattr(run.inputs, "dataset_inputs", None) or []:
            ds = dataset_input.dataset
            source, reason = scrub(ds.source or "")
            if reason:
                redactions.append(Redaction(section="datasets", key=ds.name, reason=reason))
            context = next(
                (t.value for t in dataset_input.tags or [] if t.key == "mlflow.data.context"), None
            )
            datasets.append(
                DatasetInfo(
                    name=ds.name,
                    digest=ds.digest,
                    source_type=ds.source_type,
                    source=source,
                    context=context,
                )
            )
        if model is None:
            model = self._model_from_tags(data.tags, what)
        items, table, blob = self._items(run_id, what)
        evidence = RunEvidence(
            role=role,
            run_id=run_id,
            experiment_id=str(info.experiment_id),
            experiment_name=getattr(experiment, "name", None),
            run_name=scrub(info.run_name)[0] if getattr(info, "run_name", None) else None,
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
            params=params,
            tags=tags,
            redactions=redactions,
            dropped={k: v for k, v in (("params", param_drop), ("tags", tag_drop)) if v},
            items=items,
            resolution=resolution,
        )
        return evidence, table, blob

    def _model_from_tags(self, tags: dict[str, str], what: str) -> ModelInfo | None:
        name, version = tags.get(TAG_MODEL_NAME), tags.get(TAG_MODEL_VERSION)
        if not name:
            return None
        digest = None
        if version:
            try:
                mv = self.call(what, self.client.get_model_version, name, version)
                digest = (mv.tags or {}).get(TAG_MODEL_DIGEST)
            except EvidenceError as exc:
                if exc.code != "evidence.not-found":
                    raise
        return ModelInfo(name=name, version=version, digest=digest)

    def _items(
        self, run_id: str, what: str
    ) -> tuple[ItemsInfo | None, ItemTable | None, bytes | None]:
        listing = self.call(f"{what} artifacts", self.client.list_artifacts, run_id, ITEMS_DIR)
        present = {f.path for f in listing}
        fmt: TableFormat
        if ITEMS_PARQUET in present:
            path, fmt = ITEMS_PARQUET, "parquet"
        elif ITEMS_JSON in present:
            path, fmt = ITEMS_JSON, "mlflow-table-json"
        else:
            return None, None, None
        with tempfile.TemporaryDirectory(prefix="govgate-items-") as tmp:
            local = self.call(
                f"{what} artifact {path}", self.client.download_artifacts, run_id, path, tmp
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


_STATUS = re.compile(r"(?:error code|status code|status) (\d{3})\b")


def _finite(number: float) -> bool:
    """A usable metric value. MLflow's SQL stores save +-inf as +-sys.float_info.max, so those
    read back as finite numbers: they are infinities, and as unusable as NaN."""
    return number == number and abs(number) < sys.float_info.max


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


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
        what, source.client.search_registered_models, filter_string=f"name = '{_quote(name)}'"
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


def _classify(exc: Exception) -> str:
    """not-found, permission, timeout, unreachable or other: by error code and exception type.

    Never by digits found anywhere in a message: a port number such as 40319 is not a 403.
    """
    chain = _chain(exc)
    names = {f"{type(e).__module__}.{type(e).__name__}" for e in chain}
    code = getattr(exc, "error_code", "") or ""
    text = " ".join(str(e) for e in chain).lower()
    statuses = {int(m) for m in _STATUS.findall(text)}
    if (
        code == "RESOURCE_DOES_NOT_EXIST"
        or 404 in statuses
        or (
            code in ("INVALID_PARAMETER_VALUE", "")
            and ("not found" in text or "does not exist" in text)
        )
    ):
        return "not-found"
    if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or statuses & {401, 403}:
        return "permission"
    if any(n.endswith(("Timeout", "TimeoutError", "ReadTimeoutError")) for n in names):
        return "timeout"
    if any(
        n in names
        for n in (
            "requests.exceptions.ConnectionError",
            "urllib3.exceptions.MaxRetryError",
            "urllib3.exceptions.NewConnectionError",
            "urllib3.exceptions.ProtocolError",
            "builtins.ConnectionRefusedError",
            "builtins.ConnectionResetError",
            "builtins.ConnectionAbortedError",
        )
    ):
        return "unreachable"
    return "other"


def _require_finished(run: Any, what: str) -> None:
    status = run.info.status
    if status != "FINISHED":
        hint = (
            "wait for it to finish, then run the gate again"
            if status in ("RUNNING", "SCHEDULED")
            else "a run that did not finish is not evidence; re-run the evaluation"
        )
        raise EvidenceError("evidence.run-state", f"{what} is {status}, not FINISHED", hint=hint)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
