"""The evidence snapshot: everything the gate may read, taken once, frozen and hashed.

A snapshot is an :class:`Evidence` document (canonical JSON, sha256) plus the per-item tables it
names by content digest. Everything downstream decides from a snapshot alone, so MLflow changing
later cannot change a decision already made, and a decision can be replayed offline.

On disk (``write_snapshot``): ``evidence.json`` holds the canonical JSON bytes, so
``sha256sum evidence.json`` is the snapshot digest; each table is ``items/<sha256>.<ext>`` next
to it, byte for byte as the run logged it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from govgate import canonical, jsonsafe
from govgate.errors import EvidenceError
from govgate.evidence.items import ItemTable, parse_items
from govgate.files import atomic_write

EVIDENCE_FORMAT: Final = "govgate.evidence/v1"
Role = Literal["candidate", "baseline"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ModelInfo(_Frozen):
    """The registered model version a run evaluated, when known."""

    name: str
    version: str | None = None
    alias: str | None = None
    digest: str | None = Field(
        default=None,
        description="Content digest of the model (model version tag govgate.model.digest), "
        "when one was recorded; MLflow has no digest of its own.",
    )
    source: str | None = None
    tags: dict[str, str] = Field(
        default={},
        description="The model version's tags that pass the tag allow-list (policy selectors "
        "read them, e.g. risk_tier).",
    )


class DatasetInfo(_Frozen):
    name: str
    digest: str
    source_type: str
    source: str
    context: str | None = None


class MetricPoint(_Frozen):
    step: int
    timestamp: int
    value: float


RedactionSection = Literal["params", "tags", "datasets", "model", "metrics", "items", "run"]


class Redaction(_Frozen):
    """A value govgate removed from the snapshot, and why. The value itself is never kept."""

    section: RedactionSection
    key: str
    reason: str


class ItemsInfo(_Frozen):
    """The per-item results table of a run: where it came from and what its columns mean.

    The snapshot stores only the columns govgate uses, as Parquet (``file``, ``sha256``);
    ``artifact_sha256`` is the digest of the artifact as the run logged it, for tracing.
    """

    artifact_path: str
    artifact_sha256: str
    artifact_format: Literal["parquet", "mlflow-table-json"]
    file: str | None = None  # relative to the snapshot: items/<sha256>.parquet
    sha256: str | None = None
    rows: int = 0
    columns: dict[str, str] = {}  # column -> role (rate, score, latency, group)
    ignored_columns: list[str] = []
    problem: str | None = Field(
        default=None,
        description="Why the table cannot be used (duplicate ids, bad values): rules that need "
        "it are errors, never passes.",
    )


class Resolution(_Frozen):
    """How a reference became this run, so a reviewer can check the choice."""

    reference: str
    method: Literal[
        "run-id",
        "model-version-eval-run",
        "model-version-source-run",
        "search",
        "snapshot",
        "test-fixture",
    ]
    detail: str

    @property
    def by_version(self) -> bool:
        """Was the run found through a registered model version (``models:/NAME/VERSION`` or
        ``@ALIAS``), so its model is the registry's word, not its own tags'?"""
        return self.method in ("model-version-eval-run", "model-version-source-run")


class RunEvidence(_Frozen):
    role: Role
    run_id: str
    experiment_id: str
    experiment_name: str | None = None
    run_name: str | None = None
    status: str
    start_time: int | None = None
    end_time: int | None = None
    stage: str | None = None
    model: ModelInfo | None = None
    datasets: list[DatasetInfo] = []
    metrics: dict[str, float] = {}
    nonfinite_metrics: dict[str, str] = Field(
        default={}, description="Metrics logged as NaN or infinity: present, but not usable."
    )
    metric_history: dict[str, list[MetricPoint]] = Field(
        default={},
        description="The logged points of metrics logged more than once (at most the newest "
        "MAX_HISTORY_POINTS each: history_truncated names the rest), by step then timestamp.",
    )
    history_omitted: list[str] = Field(
        default=[], description="Metrics whose history was not read (over the per-run cap)."
    )
    history_truncated: dict[str, int] = Field(
        default={},
        description="Metrics with more points than govgate reads of one history: how many "
        "(finite) points were logged; metric_history keeps the newest (by timestamp, then "
        "step). Left out of the snapshot when empty, so snapshots without one keep their digest.",
        exclude_if=lambda value: not value,
    )
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    redactions: list[Redaction] = []
    dropped: dict[str, list[str]] = Field(
        default={}, description="Param and tag keys left out because no allow-list named them."
    )
    items: ItemsInfo | None = None
    resolution: Resolution


class Evidence(_Frozen):
    format: Literal["govgate.evidence/v1"] = EVIDENCE_FORMAT
    govgate_version: str
    tracking_uri: str
    taken_at: str
    candidate: RunEvidence
    baseline: RunEvidence | None = None

    def canonical_json(self) -> bytes:
        return canonical.dumps(self.model_dump(mode="json"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()

    def run(self, role: Role) -> RunEvidence | None:
        return self.candidate if role == "candidate" else self.baseline


@dataclass(frozen=True)
class Snapshot:
    """An Evidence document with its per-item tables, parsed (columnar) and as raw bytes."""

    evidence: Evidence
    raw_tables: Mapping[str, bytes] = field(default_factory=dict)  # sha256 -> bytes
    tables: Mapping[str, ItemTable] = field(default_factory=dict)  # sha256 -> parsed

    def digest(self) -> str:
        return self.evidence.digest()

    def items(self, role: Role) -> ItemTable | None:
        run = self.evidence.run(role)
        if run is None or run.items is None or run.items.sha256 is None:
            return None
        return self.tables.get(run.items.sha256)


def write_snapshot(snapshot: Snapshot, path: Path) -> str:
    """Write tables, then the evidence document (atomically); return the snapshot digest."""
    for run in (snapshot.evidence.candidate, snapshot.evidence.baseline):
        if run is not None and run.items is not None and run.items.sha256 and run.items.file:
            atomic_write(path.parent / run.items.file, snapshot.raw_tables[run.items.sha256])
    data = snapshot.evidence.canonical_json()
    atomic_write(path, data)
    return hashlib.sha256(data).hexdigest()


def read_snapshot(path: Path) -> Snapshot:
    """Read a snapshot written by :func:`write_snapshot`, checking every table's digest."""
    where = path.as_posix()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise EvidenceError(
            "evidence.not-found", f"cannot read snapshot {where}: {exc.strerror}"
        ) from None
    folder = path.parent.resolve()

    def table(relative: str) -> bytes:
        target = (folder / relative).resolve()
        if folder not in target.parents:  # never follow a path out
            raise EvidenceError("evidence.invalid", f"{where}: table path {relative!r} escapes")
        try:
            return target.read_bytes()
        except OSError as exc:
            raise FileNotFoundError(exc.strerror) from None

    return snapshot_from_bytes(where, data, table)


def _refuse_secrets(where: str, evidence: Evidence) -> None:
    """A snapshot file holding a string that looks like a secret is refused, never copied.

    Snapshots govgate takes have every secret cut out (``evidence.redact``); one that still holds
    one was written or edited by hand, and a bundle made from it would carry the secret.
    """
    from govgate.evidence.redact import redact_tree

    for run in (evidence.candidate, evidence.baseline):
        if run is None:
            continue
        _, found = redact_tree(run.model_dump(mode="json", exclude={"redactions"}))
        if found:
            path, reason = found[0]
            raise EvidenceError(
                "evidence.invalid",
                f"{where}: the {run.role}'s {'/'.join(map(str, path))} holds a secret ({reason})",
                hint="take the snapshot again with `govgate evidence snapshot`, which cuts "
                "secrets out, or remove the secret from the file",
            )


def snapshot_from_bytes(where: str, data: bytes, read_table: Callable[[str], bytes]) -> Snapshot:
    """A snapshot from its evidence.json bytes and a reader of its tables by relative path."""
    try:
        evidence = Evidence.model_validate(jsonsafe.loads(data))
    except jsonsafe.JSONInputError as exc:
        raise EvidenceError(
            "evidence.invalid",
            f"{where} is not a govgate evidence snapshot ({exc})",
            hint="snapshots are written by `govgate evidence snapshot`",
        ) from None
    except (ValueError, ValidationError) as exc:
        first = exc.errors()[0] if isinstance(exc, ValidationError) else None
        detail = (
            f"{'/'.join(map(str, first['loc']))}: {first['msg']}" if first else "not valid JSON"
        )
        raise EvidenceError(
            "evidence.invalid",
            f"{where} is not a govgate evidence snapshot ({detail})",
            hint="snapshots are written by `govgate evidence snapshot`",
        ) from None
    try:
        evidence.canonical_json()  # what its digest is computed from: must exist
    except canonical.CanonicalJSONError as exc:
        raise EvidenceError(
            "evidence.invalid",
            f"{where} is not a govgate evidence snapshot ({exc})",
            hint="snapshots are written by `govgate evidence snapshot`",
        ) from None
    _refuse_secrets(where, evidence)
    raw: dict[str, bytes] = {}
    tables: dict[str, ItemTable] = {}
    for run in (evidence.candidate, evidence.baseline):
        info = run.items if run is not None else None
        if run is None or info is None or info.file is None or info.sha256 is None:
            continue
        try:
            blob = read_table(info.file)
        except (OSError, KeyError) as exc:
            reason = exc.args[0] if exc.args else "absent"
            raise EvidenceError(
                "evidence.invalid",
                f"{where}: the {run.role}'s per-item table {info.file} is missing ({reason})",
            ) from None
        if hashlib.sha256(blob).hexdigest() != info.sha256:
            raise EvidenceError(
                "evidence.invalid",
                f"{where}: the {run.role}'s per-item table {info.file} does not match its digest",
                hint="the table was changed after the snapshot was taken",
            )
        raw[info.sha256] = blob
        table, problem = parse_items(blob, "parquet")
        if table is None:  # it parsed when the snapshot was taken
            raise EvidenceError("evidence.invalid", f"{where}: {problem}")
        if table.rows != info.rows or dict(table.roles) != info.columns:
            raise EvidenceError(
                "evidence.invalid",
                f"{where}: the {run.role}'s per-item table has {table.rows} rows and columns "
                f"{sorted(table.roles)}, not the {info.rows} rows and {sorted(info.columns)} "
                "the snapshot says",
                hint="the snapshot was edited after it was taken",
            )
        tables[info.sha256] = table
    return Snapshot(evidence, raw, tables)
