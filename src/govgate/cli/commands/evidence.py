"""``govgate evidence snapshot|inspect``: take a snapshot, or say what one holds."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any, TextIO

from govgate.cli import options
from govgate.display import display_copy, visible
from govgate.evidence.model import RunEvidence, Snapshot
from govgate.exitcodes import ExitCode

SNAPSHOT_SCHEMA_ID = "https://govgate.dev/schemas/snapshot-result-v1.json"


def _run_summary(run: RunEvidence) -> dict[str, Any]:
    items = run.items
    return {
        "role": run.role,
        "run_id": run.run_id,
        "experiment": run.experiment_name,
        "stage": run.stage,
        "model": run.model.model_dump(mode="json") if run.model else None,
        "resolved_by": run.resolution.method,
        "metrics": len(run.metrics),
        "nonfinite_metrics": sorted(run.nonfinite_metrics),
        "items": None
        if items is None
        else {
            "rows": items.rows,
            "sha256": items.sha256,
            "artifact_sha256": items.artifact_sha256,
            "columns": items.columns,
            "problem": items.problem,
        },
        "redactions": [r.model_dump(mode="json") for r in run.redactions],
    }


def _summary(out: TextIO, fmt: str, path: str, snapshot: Snapshot) -> None:
    evidence = snapshot.evidence
    runs = [r for r in (evidence.candidate, evidence.baseline) if r is not None]
    if fmt == "json":
        payload = {
            "$schema": SNAPSHOT_SCHEMA_ID,
            "path": path,
            "sha256": snapshot.digest(),
            "taken_at": evidence.taken_at,
            "runs": [_run_summary(r) for r in runs],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
        return
    out.write(f"snapshot {visible(path)}\nsha256 {snapshot.digest()}\n")
    for run in [display_copy(r) for r in runs]:  # names from the store: shown, never obeyed
        model = f", model {run.model.name} v{run.model.version}" if run.model else ""
        out.write(
            f"{run.role}: run {run.run_id} ({run.experiment_name}, stage {run.stage or '-'}"
            f"{model}) via {run.resolution.method}\n"
        )
        items = run.items
        table = (
            "no per-item table"
            if items is None
            else f"per-item table: {items.problem}"
            if items.problem
            else f"{items.rows} items, {len(items.columns)} columns"
        )
        out.write(
            f"  {len(run.metrics)} metrics, {len(run.params)} params, {len(run.tags)} tags, "
            f"{table}, {len(run.redactions)} redacted\n"
        )
        if run.nonfinite_metrics:
            out.write(f"  not usable (NaN/inf): {', '.join(sorted(run.nonfinite_metrics))}\n")


def cmd_evidence(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.cli.commands.pack import pack_trust
    from govgate.evidence.model import read_snapshot
    from govgate.evidence.refs import parse_ref
    from govgate.usecases.snapshot import SnapshotSettings, run_snapshot

    if args.evidence_command == "inspect":
        _summary(out, args.format, args.path, read_snapshot(Path(args.path)))
        return ExitCode.OK
    snapshot = run_snapshot(
        SnapshotSettings(
            candidate=parse_ref(args.candidate),
            baseline=options.ref(args.baseline),
            stage=args.stage,
            output=Path(args.output),
            now=options.clock(),
            mlflow=options.mlflow_settings(args),
            policies=args.policies or (),
            packs=pack_trust(args, err),
        )
    )
    _summary(out, args.format, args.output, snapshot)
    return ExitCode.OK
