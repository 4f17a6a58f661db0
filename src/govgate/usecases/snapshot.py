"""``evidence snapshot``: resolve the references, read each run once, write the snapshot."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from govgate.errors import UsageError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.model import Snapshot
from govgate.evidence.refs import Ref
from govgate.policy.packs import KEY_REQUIRED, PackTrust


@dataclass(frozen=True)
class SnapshotSettings:
    candidate: Ref
    output: Path
    now: dt.datetime
    mlflow: MlflowSettings
    baseline: Ref | None = None
    stage: str | None = None
    policies: Sequence[str] = ()  # check first that the evidence is what these need
    packs: PackTrust = KEY_REQUIRED  # how policy packs among the policies are trusted


def run_snapshot(settings: SnapshotSettings) -> Snapshot:
    """Take the snapshot and write it (tables beside it); raise on any doubt."""
    from govgate.evidence.model import write_snapshot
    from govgate.evidence.snapshot import take_snapshot

    if settings.policies:
        if settings.stage is None:
            raise UsageError("--policies needs --stage: rules apply to stages")
        from govgate.gate.preflight import require_baseline
        from govgate.usecases.check import load_valid

        policy_set = load_valid(settings.policies, packs=settings.packs)
        require_baseline(policy_set, settings.stage, settings.baseline is not None)
    snapshot = take_snapshot(
        settings.candidate,
        settings.baseline,
        stage=settings.stage,
        settings=settings.mlflow,
        now=settings.now,
    )
    write_snapshot(snapshot, settings.output)
    return snapshot
