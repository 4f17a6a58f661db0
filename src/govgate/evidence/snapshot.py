"""Take a snapshot: resolve the candidate and baseline references and read each run once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgate import __version__
from govgate.errors import EvidenceError
from govgate.evidence.items import parse_items
from govgate.evidence.mlflow_source import MlflowSettings, MlflowSource
from govgate.evidence.model import Evidence, Role, RunEvidence, Snapshot, read_snapshot
from govgate.evidence.redact import RedactionPolicy
from govgate.evidence.refs import Ref, SnapshotRef


def take_snapshot(
    candidate: Ref,
    baseline: Ref | None,
    *,
    stage: str | None,
    settings: MlflowSettings,
    now: dt.datetime,
    redaction: RedactionPolicy | None = None,
) -> Snapshot:
    """Resolve both references and snapshot them; raise :class:`EvidenceError` on any doubt."""
    source: MlflowSource | None = None
    runs: dict[Role, RunEvidence] = {}
    raw: dict[str, bytes] = {}
    uris: list[str] = []
    roles: tuple[tuple[Role, Ref | None], ...] = (("candidate", candidate), ("baseline", baseline))
    for role, ref in roles:
        if ref is None:
            continue
        if isinstance(ref, SnapshotRef):
            run, blobs, uri = _from_snapshot(ref, role)
            raw.update(blobs)
        else:
            if source is None:
                source = MlflowSource(settings, redaction)
            found, resolution, model = source.resolve(ref, role, stage)
            run, blob = source.read(found, resolution, model, role)
            if blob is not None and run.items is not None and run.items.sha256:
                raw[run.items.sha256] = blob
            uri = settings.public_uri()
        if stage is not None and run.stage is not None and run.stage != stage:
            raise EvidenceError(
                "evidence.stage-mismatch",
                f"the {role} run {run.run_id} was evaluated for stage {run.stage!r}, not {stage!r}",
                hint="pass the run for this stage, or the right --stage",
            )
        runs[role] = run
        uris.append(uri)
    if "baseline" in runs and runs["baseline"].run_id == runs["candidate"].run_id:
        raise EvidenceError(
            "evidence.same-run",
            f"candidate and baseline are the same run ({runs['candidate'].run_id})",
            hint="a release compared with itself shows nothing; pass the champion's run",
        )
    evidence = Evidence(
        govgate_version=__version__,
        tracking_uri=" | ".join(dict.fromkeys(uris)),
        taken_at=now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        candidate=runs["candidate"],
        baseline=runs.get("baseline"),
    )
    tables = {}
    for run in runs.values():
        if run.items is not None and run.items.sha256 is not None:
            table, _ = parse_items(raw[run.items.sha256], "parquet")
            if table is not None:
                tables[run.items.sha256] = table
    return Snapshot(evidence, raw, tables)


def _from_snapshot(ref: SnapshotRef, role: Role) -> tuple[RunEvidence, dict[str, bytes], str]:
    snap = read_snapshot(Path(ref.path))
    pick: Role = "baseline" if ref.role == "baseline" else "candidate" if ref.role else role
    run = snap.evidence.run(pick)
    if run is None:
        raise EvidenceError("evidence.not-found", f"snapshot {ref.path} has no {pick} run")
    blobs = {}
    if run.items is not None and run.items.sha256 is not None:
        blobs[run.items.sha256] = snap.raw_tables[run.items.sha256]
    return run.model_copy(update={"role": role}), blobs, snap.evidence.tracking_uri
