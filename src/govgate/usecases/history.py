"""``replay`` and ``diff``: past runs, re-decided under today's (or two) policy sets."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from govgate.errors import EvidenceError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.refs import Ref
from govgate.exitcodes import ExitCode
from govgate.history import Replayable, Row, Selection
from govgate.policy.packs import KEY_REQUIRED, PackTrust


@dataclass(frozen=True)
class HistorySettings:
    selection: Selection
    mlflow: MlflowSettings
    clock: dt.datetime  # the caller's reading of the time, for runs with no end time
    now: dt.datetime | None = None  # decide every run as of this instant instead
    baseline: Ref | None = None
    fail_on_change: bool = False
    packs: PackTrust = KEY_REQUIRED  # how policy packs among the policies are trusted


@dataclass(frozen=True)
class HistoryOutcome:
    rows: tuple[Row, ...]
    kind: str  # "replay" or "diff"
    before: str  # the column names of the two decisions compared
    after: str
    fail_on_change: bool

    @property
    def exit_code(self) -> ExitCode:
        errors = [r for r in self.rows if r.error is not None]
        if len(errors) == len(self.rows) or (self.fail_on_change and errors):
            return ExitCode.EVIDENCE_UNAVAILABLE
        if self.fail_on_change and any(r.changed for r in self.rows):
            return ExitCode.BLOCKED
        return ExitCode.OK

    def error(self) -> EvidenceError | None:
        """No run at all is an error, raised after the (empty) table is shown."""
        if self.rows:
            return None
        return EvidenceError(
            "evidence.not-found",
            "no finished run matches the selection",
            hint="check --experiment/--model, --stage and the dates",
        )


def _gather(settings: HistorySettings) -> list[Replayable]:
    from govgate.history import gather

    return list(
        gather(
            settings.mlflow,
            settings.selection,
            baseline=settings.baseline,
            now=settings.now,
            clock=settings.clock,
        )
    )


def run_replay(settings: HistorySettings, policies: Sequence[str]) -> HistoryOutcome:
    """Re-decide the selected runs under ``policies``; compare with what was logged."""
    from govgate.history import replay
    from govgate.usecases.check import load_valid

    policy_set = load_valid(policies, packs=settings.packs)
    items = _gather(settings)
    rows = replay(policy_set, items)
    return HistoryOutcome(tuple(rows), "replay", "past", "replayed", settings.fail_on_change)


def run_diff(settings: HistorySettings, old: str, new: str) -> HistoryOutcome:
    """Decide the selected runs (one snapshot each) under ``old`` and ``new``."""
    from govgate.history import diff
    from govgate.usecases.check import load_valid

    before = load_valid([old], packs=settings.packs)
    after = load_valid([new], packs=settings.packs)
    items = _gather(settings)
    rows = diff(before, after, items)
    return HistoryOutcome(tuple(rows), "diff", "old", "new", settings.fail_on_change)
