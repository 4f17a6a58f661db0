"""``govgate eval run``: score a model's outputs on a suite and log one MLflow run the gate reads.

Order matters for honesty: everything is scored *before* the run is created, so an interrupted
scoring leaves no run at all; the run is then logged (params, metrics, the per-item table, the
dataset input and digest, the tags that link it to a model version and stage, and the digest of
the policies in force, for pre-registration; how each number was measured and the run's notes,
``govgate.provenance``) and marked FINISHED only at the very end. Ctrl-C
or an error while logging marks it KILLED or FAILED, never FINISHED.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate.errors import UsageError
from govgate.evals.metrics import Progress, Record, score
from govgate.evals.suite import LoadedSuite
from govgate.evidence import provenance
from govgate.evidence.items import ID_COLUMN, TS_COLUMN, parse_items
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.mlflow.write import (
    finish_run,
    log_eval,
    register_version,
    set_run_tag,
    start_run,
)
from govgate.gate.units import RANGES_TAG
from govgate.terms import Method  # the columns' declared ranges, as the gate reads them

TAG_SUITE = "govgate.suite"
TAG_DATASET_DIGEST = "govgate.dataset_digest"
TAG_POLICY_DIGEST = "govgate.policy_digest"


@dataclass(frozen=True)
class EvalResult:
    run_id: str
    model: str
    version: str | None
    stage: str
    items: int
    missing_outputs: int
    metrics: dict[str, float]
    notes: list[str] = field(default_factory=list)
    dataset_digest: str = ""


def read_jsonl(path: Path) -> list[Record]:
    """Records of a JSON Lines file; a bad line is an error naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read ({exc})") from None
    records = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{number}:{exc.colno}: not JSON ({exc.msg})") from None
        if not isinstance(record, dict):
            raise UsageError(f"{path}:{number}:1: each line must be a JSON object")
        records.append(record)
    return records


def align(
    rows: Sequence[Record], outputs: Sequence[Record], id_field: str, outputs_path: Path
) -> tuple[list[Record], list[Record], int]:
    """Dataset rows and outputs in dataset order; items without an output are counted."""
    by_id: dict[str, Record] = {}
    for number, out in enumerate(outputs, start=1):
        key = str(out.get("id", ""))
        if not key:
            raise UsageError(f"{outputs_path}:{number}:1: an output has no id")
        if key in by_id:
            raise UsageError(f"{outputs_path}:{number}:1: duplicate output id {key!r}")
        by_id[key] = out
    known = {str(r.get(id_field)) for r in rows}
    unknown = sorted(set(by_id) - known)
    if unknown:
        raise UsageError(
            f"{outputs_path}: {len(unknown)} output ids are not in the dataset "
            f"(first: {unknown[0]!r})"
        )
    kept_rows = [r for r in rows if str(r.get(id_field)) in by_id]
    return kept_rows, [by_id[str(r.get(id_field))] for r in kept_rows], len(rows) - len(kept_rows)


def arrivals(outputs: Sequence[Record], outputs_path: Path) -> list[Any] | None:
    """Each output's ``ts`` (when it was served: a timestamp with a zone, or seconds since the
    epoch), or None when no output has one. A canary is judged over its items in this order
    (the per-item table's ``ts`` column), so it is all or nothing: a partial log is an error."""
    present = [out.get("ts") is not None for out in outputs]
    if not any(present):
        return None
    if not all(present):
        number = present.index(False) + 1
        raise UsageError(
            f"{outputs_path}: output {number} (in dataset order) has no ts, others do",
            hint="give every output its arrival time (ts), or none",
        )
    values = [out["ts"] for out in outputs]
    numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
    if not numbers and not all(isinstance(v, str) for v in values):
        raise UsageError(
            f"{outputs_path}: ts must be all numbers (seconds since the epoch) or all "
            "timestamps with a zone (2026-12-01T10:00:00Z)"
        )
    return values


def _items_table(ids: list[str], columns: dict[str, Any], ts: list[Any] | None = None) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    arrays = {ID_COLUMN: pa.array(ids, type=pa.string())}
    if ts is not None:
        arrays[TS_COLUMN] = pa.array(ts)
    for name, values in columns.items():
        arrays[name] = pa.array(
            values, type=pa.string() if name.startswith("group.") else pa.float64()
        )
    sink = pa.BufferOutputStream()
    pq.write_table(pa.table(arrays), sink)
    table, problem = parse_items(bytes(sink.getvalue().to_pybytes()), "parquet")
    if table is None:
        raise UsageError(f"the scored items do not form a valid table: {problem}")
    return table.to_parquet()  # the form snapshots store: re-reading it changes nothing


def run_eval(
    suite: LoadedSuite,
    outputs_path: Path,
    *,
    model: str,
    version: str | None,
    register: bool,
    stage: str | None,
    settings: MlflowSettings,
    policy_digest: str | None,
    judge: Any = None,
    embeddings: Any = None,
    progress: Progress | None = None,
) -> EvalResult:
    if (version is None) == (not register):
        raise UsageError("pass --version V (an existing model version) or --register (a new one)")
    spec = suite.document.spec
    dataset_path = suite.file(spec.dataset)
    dataset_rows = read_jsonl(dataset_path)  # a missing or unreadable dataset: exit 2, named
    dataset_digest = hashlib.sha256(dataset_path.read_bytes()).hexdigest()
    rows, outputs, missing = align(
        dataset_rows, read_jsonl(outputs_path), spec.id_field, outputs_path
    )
    if not rows:
        raise UsageError(f"{outputs_path}: no output matches an item of the dataset")
    reference = read_jsonl(suite.file(spec.drift.reference)) if spec.drift else []
    arrived = arrivals(outputs, outputs_path)  # a partial log is an error before any scoring
    scored = score(
        spec,
        rows,
        outputs,
        reference=reference,
        judge=judge,
        embeddings=embeddings,
        progress=progress,
    )
    if missing:
        scored.notes.append(f"{missing} dataset items had no output and were not scored")
    scored.metrics["missing_outputs"] = float(missing)
    scored.measured("missing_outputs", Method.COMPUTED, "govgate: dataset items with no output")
    items = _items_table([str(r.get(spec.id_field)) for r in rows], scored.columns, arrived)
    stage_name = stage or spec.stage.value
    tags = {
        "govgate.model.name": model,
        "govgate.stage": stage_name,
        TAG_SUITE: suite.name,
        TAG_DATASET_DIGEST: dataset_digest,
    }
    if version is not None:
        tags["govgate.model.version"] = version
    if policy_digest is not None:
        tags[TAG_POLICY_DIGEST] = policy_digest
    try:  # how every number was measured, and what a reviewer must know: read by the gate
        tags[provenance.TAG] = provenance.tag_value(scored.measures, scored.notes)
    except ValueError as exc:
        raise UsageError(str(exc), hint="score fewer metrics in one suite") from None
    if scored.ranges:  # what makes mean bounds valid: see the per-item table format
        tags[RANGES_TAG] = json.dumps(scored.ranges, sort_keys=True, separators=(",", ":"))
    source = MlflowSource(settings, create_store=True)
    run_name = f"{suite.name}-{model}-{version or 'new'}-{stage_name}"
    run_id = start_run(source, suite.name, run_name, tags)
    try:
        params = {
            "suite": suite.name,
            "suite_sha256": suite.sha256,
            "task": spec.task.value,
            "model": model,
            "stage": stage_name,
            "outputs_file": outputs_path.name,
            "metrics": ",".join(m.metric.value for m in spec.metrics),
        }
        dataset = (
            f"{suite.name}/{spec.dataset}",
            dataset_digest[:16],
            f"{suite.name}/{spec.dataset}",
            len(rows),
        )
        log_eval(
            source, run_id, params=params, metrics=scored.metrics, items=items, dataset=dataset
        )
        if register:
            version = register_version(source, model, run_id)
            set_run_tag(source, run_id, "govgate.model.version", version)
        finish_run(source, run_id, "FINISHED")
    except KeyboardInterrupt:
        finish_run(source, run_id, "KILLED")
        raise
    except BaseException:
        finish_run(source, run_id, "FAILED")
        raise
    return EvalResult(
        run_id,
        model,
        version,
        stage_name,
        len(rows),
        missing,
        scored.metrics,
        scored.notes,
        dataset_digest,
    )
