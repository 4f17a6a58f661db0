"""Take a snapshot: resolve the candidate and baseline references and read each run once."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from govgate._version import __version__
from govgate.errors import EvidenceError
from govgate.evidence.items import ItemTable
from govgate.evidence.mlflow.read import read
from govgate.evidence.mlflow.resolve import resolve
from govgate.evidence.mlflow.settings import TAG_STAGE, MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
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
    source: MlflowSource | None = None,
) -> Snapshot:
    """Resolve both references and snapshot them; raise :class:`EvidenceError` on any doubt.

    ``source`` reuses an open store (many snapshots in one command); by default one is opened.
    """
    runs: dict[Role, RunEvidence] = {}
    raw: dict[str, bytes] = {}
    tables: dict[str, ItemTable] = {}
    uris: list[str] = []
    recorded: list[str] = []  # the instants the snapshot files were taken
    live = False
    roles: tuple[tuple[Role, Ref | None], ...] = (("candidate", candidate), ("baseline", baseline))
    for role, ref in roles:
        if ref is None:
            continue
        if isinstance(ref, SnapshotRef):
            run, table, blob, uri, when = _from_snapshot(ref, role)
            recorded.append(when)
        else:
            live = True
            if source is None:
                source = MlflowSource(settings, redaction)
            found, resolution, model = resolve(source, ref, role, stage)
            run, table, blob = read(source, found, resolution, model, role)
            uri = settings.public_uri()
        if run.items is not None and run.items.sha256 and table is not None and blob is not None:
            raw[run.items.sha256] = blob
            tables[run.items.sha256] = table
        _check_stage(role, run, stage)
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
        # read now, or (a replay of snapshot files only) when they were read
        taken_at=max(recorded, key=_instant)
        if recorded and not live
        else now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        candidate=runs["candidate"],
        baseline=runs.get("baseline"),
    )
    return Snapshot(evidence, raw, tables)


#: Stages a run with no stage tag can stand for. An untagged run is taken as an offline
#: evaluation; nothing says it measured shadow or canary traffic, so it never decides those.
UNTAGGED_STAGES = frozenset({"offline"})


def _check_stage(role: Role, run: RunEvidence, stage: str | None) -> None:
    if stage is None:
        return
    if run.stage is None and stage not in UNTAGGED_STAGES:
        raise EvidenceError(
            "evidence.stage-mismatch",
            f"the {role} run {run.run_id} has no {TAG_STAGE} tag, so nothing says it was "
            f"evaluated for stage {stage!r}",
            hint=f"tag the run {TAG_STAGE}={stage} where it is logged (`govgate eval run "
            "--stage` does), or pass the run that was",
        )
    if run.stage is not None and run.stage != stage:
        raise EvidenceError(
            "evidence.stage-mismatch",
            f"the {role} run {run.run_id} was evaluated for stage {run.stage!r}, not {stage!r}",
            hint="pass the run for this stage, or the right --stage",
        )


def _from_snapshot(
    ref: SnapshotRef, role: Role
) -> tuple[RunEvidence, ItemTable | None, bytes | None, str, str]:
    snap = read_snapshot(Path(ref.path))
    pick: Role = "baseline" if ref.role == "baseline" else "candidate" if ref.role else role
    run = snap.evidence.run(pick)
    if run is None:
        raise EvidenceError("evidence.not-found", f"snapshot {ref.path} has no {pick} run")
    table = snap.items(pick)
    blob = snap.raw_tables.get(run.items.sha256) if run.items and run.items.sha256 else None
    evidence = snap.evidence
    return (
        run.model_copy(update={"role": role}),
        table,
        blob,
        evidence.tracking_uri,
        evidence.taken_at,
    )


def _instant(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
