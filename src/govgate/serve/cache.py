"""Snapshots reused while the runs are unchanged, so a controller's repeated looks are cheap.

A look resolves the references and fingerprints each run (:mod:`govgate.evidence.mlflow.
fingerprint`: a few calls, no download); while every fingerprint is what it was when the
snapshot was taken, and the snapshot is younger than its maximum age, the snapshot is used
again. When only govgate's own look records changed (each canary look logs one), those few
metrics are read again into the snapshot, so the next decision counts every look. Anything
else reads the runs whole, as ``govgate check`` does. The fingerprint is
taken *before* the read it stands for, so a run that changes between the two is read again
at the next look, never served stale.

A reused snapshot says it was taken at this look (``taken_at``): the fingerprint showed, now,
that the runs hold what it holds, and the decision is made as of now (waivers expire on time).
The cache holds at most ``entries`` snapshots, least recently used out first; each holds the
used columns of both runs' per-item tables.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from govgate.evidence.mlflow.fingerprint import RunPrint, fingerprint, refresh_looks
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import Role, Snapshot
from govgate.evidence.refs import ModelRef, Ref
from govgate.evidence.snapshot import take_snapshot

#: what a lookup found: reused, never seen, a run changed, or the snapshot too old
RESULTS = ("hit", "miss", "changed", "expired")


@dataclass(frozen=True, slots=True)
class _Entry:
    prints: tuple[RunPrint, ...]
    snapshot: Snapshot
    stored_at: float


class SnapshotCache:
    """A bounded, thread-safe LRU of snapshots keyed by (candidate, baseline, stage)."""

    def __init__(
        self,
        source: MlflowSource,
        *,
        entries: int,
        max_age_s: float,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.entries = entries
        self.max_age_s = max_age_s
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._store: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()

    def __len__(self) -> int:
        with self._lock:
            return len(self._store)

    def snapshot(
        self,
        candidate: Ref,
        baseline: Ref | None,
        *,
        stage: str | None,
        settings: MlflowSettings,
        now: dt.datetime,
        note: Callable[[str], None],
    ) -> Snapshot:
        """The snapshot ``take_snapshot`` would take now, reused when the runs are unchanged;
        ``note`` hears what the lookup found (one of :data:`RESULTS`)."""
        refs: list[tuple[Role, Ref]] = [("candidate", candidate)]
        if baseline is not None:
            refs.append(("baseline", baseline))
        if self.entries <= 0 or not all(isinstance(ref, ModelRef) for _, ref in refs):
            note("miss")
            return take_snapshot(
                candidate, baseline, stage=stage, settings=settings, now=now, source=self.source
            )
        key = (str(candidate), str(baseline or ""), stage or "")
        prints = tuple(fingerprint(self.source, ref, role, stage) for role, ref in refs)
        with self._lock:
            entry = self._store.get(key)
            if entry is not None:
                self._store.move_to_end(key)
        fresh = entry is not None and self._monotonic() - entry.stored_at <= self.max_age_s
        if entry is not None and fresh and _same_runs(entry.prints, prints):
            snapshot = self._with_looks(key, entry, prints)
            if snapshot is not None:
                note("hit")
                return _as_of(snapshot, now)
        if entry is None:
            result = "miss"
        elif fresh or not _same_runs(entry.prints, prints):
            result = "changed"  # a run changed (or its looks cannot be read apart)
        else:
            result = "expired"
        snapshot = take_snapshot(
            candidate, baseline, stage=stage, settings=settings, now=now, source=self.source
        )
        read = {role: snapshot.evidence.run(role) for role, _ in refs}
        # an alias that moved between the fingerprint and the read: not kept
        if all((run := read[p.role]) is not None and run.run_id == p.run_id for p in prints):
            with self._lock:
                self._store[key] = _Entry(prints, snapshot, self._monotonic())
                self._store.move_to_end(key)
                while len(self._store) > self.entries:
                    self._store.popitem(last=False)
        note(result)
        return snapshot

    def _with_looks(
        self, key: tuple[str, str, str], entry: _Entry, prints: tuple[RunPrint, ...]
    ) -> Snapshot | None:
        """The entry's snapshot with each run's look records as they are now (read again
        only where they changed); None when a run must be read whole."""
        snapshot = entry.snapshot
        for then, now in zip(entry.prints, prints, strict=True):
            if then.looks == now.looks:
                continue
            run = snapshot.evidence.run(now.role)
            assert run is not None  # the entry was stored with every run it names
            refreshed = refresh_looks(self.source, run, now)
            if refreshed is None:
                return None
            evidence = snapshot.evidence.model_copy(update={now.role: refreshed})
            snapshot = dataclasses.replace(snapshot, evidence=evidence)
        if snapshot is not entry.snapshot:
            with self._lock:
                if self._store.get(key) is entry:  # keep the read's age: max_age still holds
                    self._store[key] = _Entry(prints, snapshot, entry.stored_at)
        return snapshot


def _same_runs(then: tuple[RunPrint, ...], now: tuple[RunPrint, ...]) -> bool:
    """The same runs, unchanged but perhaps for their look records."""
    return [(p.role, p.run_id, p.digest) for p in then] == [
        (p.role, p.run_id, p.digest) for p in now
    ]


def _as_of(snapshot: Snapshot, now: dt.datetime) -> Snapshot:
    """The snapshot, as read at ``now``: the fingerprint showed the runs unchanged."""
    taken_at = now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    evidence = snapshot.evidence.model_copy(update={"taken_at": taken_at})
    return dataclasses.replace(snapshot, evidence=evidence)
