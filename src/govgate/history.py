"""Replay and diff: the gate's engine over past evaluation runs; no eval is run again.

``govgate replay`` re-decides past runs under the policies in force now and compares with the
decision once made on each. ``govgate diff OLD NEW`` decides the same runs under two policy sets.
Both call :func:`govgate.gate.engine.decide`, exactly as ``check`` does.

The evidence of a run that ``govgate check`` decided (and logged a bundle to) is the bundle's
own snapshot, after the bundle verifies offline and its decision matches the run's
``govgate.decision_digest`` tag: the replay judges exactly what was judged then, at the stage
and the instant (waiver expiry) it was judged, against the same baseline. A run without a
verified bundle is snapshotted from the store as it is now, at its ``govgate.stage`` tag, as
of its end time, against ``--baseline`` or none (then comparisons are gaps, as in any check
without a baseline); the report says which evidence each row used. A run that cannot be
snapshotted is reported with the reason, never silently dropped.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govgate import jsonsafe
from govgate.errors import EvidenceError
from govgate.evidence.mlflow.history import PastRun, history
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import Snapshot
from govgate.evidence.refs import Ref, RunRef
from govgate.evidence.snapshot import take_snapshot
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.policy.compiled import PolicySet

HISTORY_SCHEMA_ID = "https://govgate.dev/schemas/history-result-v1.json"


@dataclass(frozen=True)
class Selection:
    """Which past runs: an experiment and/or a model's eval runs, a stage, a time window."""

    experiment: str | None = None
    model: str | None = None
    stage: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    filter: str = ""
    last: int = 20


@dataclass(frozen=True)
class Replayable:
    """A past run, snapshotted as it would be gated (or why it could not be)."""

    run: PastRun
    stage: str | None
    baseline: str | None  # the reference used, for the report
    now: dt.datetime
    snapshot: Snapshot | None
    evidence: str  # "bundle" (as decided then) or "store" (as the store holds it now)
    decision: dict[str, Any] | None = None  # the logged decision, when its bundle verified
    note: str | None = None  # why the logged decision was not used
    error: str | None = None


@dataclass(frozen=True)
class Row:
    run: PastRun
    stage: str | None
    baseline: str | None
    now: str
    before: str | None
    after: str | None
    before_rules: dict[str, str] = field(default_factory=dict)
    after_rules: dict[str, str] = field(default_factory=dict)
    evidence: str = "store"
    note: str | None = None
    error: str | None = None

    @property
    def changed(self) -> bool:
        return self.before is not None and self.after is not None and self.before != self.after

    @property
    def rule_changes(self) -> list[tuple[str, str, str]]:
        """(rule, before, after) for every rule whose outcome differs ("-": not evaluated)."""
        if self.before is None or self.after is None:
            return []
        keys = sorted(set(self.before_rules) | set(self.after_rules))
        return [
            (k, self.before_rules.get(k, "-"), self.after_rules.get(k, "-"))
            for k in keys
            if self.before_rules.get(k, "-") != self.after_rules.get(k, "-")
        ]


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _bundle(
    source: MlflowSource, run: PastRun
) -> tuple[dict[str, Any] | None, Snapshot | None, str | None]:
    """The logged decision and the snapshot it was made from, if the logged bundle verifies
    (every digest, and a byte-for-byte re-evaluation) and matches the run's digest tag."""
    from govgate.bundle import reader
    from govgate.bundle.verify import verify
    from govgate.errors import GovgateError
    from govgate.evidence.model import snapshot_from_bytes

    if run.bundle is None or run.decision_digest is None:
        return None, None, None
    with tempfile.TemporaryDirectory(prefix="govgate-history-") as tmp:
        try:
            files = reader.read(source.download(run.run_id, run.bundle, Path(tmp)))
        except EvidenceError as exc:
            if exc.code != "evidence.not-found":
                raise  # the store is unwell: stop rather than report a partial history
            return None, None, f"the logged bundle could not be read ({exc.code})"
        except GovgateError as exc:
            return None, None, f"the logged bundle could not be read ({exc})"
    result = verify(files)
    if not result.ok:
        return None, None, f"the logged bundle does not verify: {result.problems[0]}"
    if result.decision_sha256 != run.decision_digest:
        return None, None, "the logged bundle is not the decision the run's tag names"
    decision = jsonsafe.loads(files["decision.json"])  # verified above: it parses, and is an object
    snapshot = snapshot_from_bytes(
        f"{run.bundle}/evidence/evidence.json",
        files["evidence/evidence.json"],
        lambda relative: files[f"evidence/{relative}"],
    )
    return decision, snapshot, None


def gather(
    settings: MlflowSettings,
    selection: Selection,
    *,
    baseline: Ref | None,
    now: dt.datetime | None,
    clock: dt.datetime,
) -> list[Replayable]:
    """Find the runs and snapshot each once. Raises EvidenceError when the store is unwell.

    ``now`` overrides the instant every run is decided as of; without it a run is decided as of
    its logged decision, else its end, else ``clock`` (the caller's reading of the time: this
    module never reads the clock itself, so a replay is a function of its inputs).
    """
    source = MlflowSource(settings)
    runs = history(
        source,
        experiment=selection.experiment,
        model=selection.model,
        stage=selection.stage,
        since_ms=int(selection.since.timestamp() * 1000) if selection.since else None,
        until_ms=int(selection.until.timestamp() * 1000) if selection.until else None,
        filter_string=selection.filter,
        limit=selection.last,
    )
    out: list[Replayable] = []
    for run in runs:
        decision, snapshot, note = _bundle(source, run)
        if decision is not None and snapshot is not None and baseline is None:
            decided = str(decision["stage"])
            if selection.stage is None or selection.stage == decided:
                logged = decision.get("baseline")
                label = f"runs:/{logged['run_id']}" if isinstance(logged, dict) else None
                when = now or dt.datetime.fromisoformat(
                    str(decision["decided_at"]).replace("Z", "+00:00")
                )
                out.append(Replayable(run, decided, label, when, snapshot, "bundle", decision))
                continue
        stage = selection.stage or run.stage
        label = None if baseline is None else str(baseline)
        if isinstance(baseline, RunRef):
            label = f"runs:/{baseline.run_id}"
        when = now or (_utc(run.end_time) if run.end_time else clock)
        if stage is None:
            error = "no stage: the run has no govgate.stage tag and no logged decision (--stage)"
            out.append(Replayable(run, None, label, when, None, "store", decision, note, error))
            continue
        try:
            snapshot = take_snapshot(
                RunRef(run.run_id),
                baseline,
                stage=stage,
                settings=settings,
                now=when,
                source=source,
            )
        except EvidenceError as exc:
            if exc.code in ("evidence.unreachable", "evidence.timeout", "evidence.permission"):
                raise
            error = f"{exc} [{exc.code}]"
            out.append(Replayable(run, stage, label, when, None, "store", decision, note, error))
        else:
            out.append(Replayable(run, stage, label, when, snapshot, "store", decision, note))
    return out


def _outcomes(decision: Decision) -> dict[str, str]:
    return {r.key: r.outcome.value for r in decision.rules}


def _logged_outcomes(decision: dict[str, Any]) -> dict[str, str]:
    rules = decision.get("rules", [])
    return {
        f"{r['policy']}/{r['rule']}": str(r["outcome"])
        for r in rules
        if isinstance(r, dict) and {"policy", "rule", "outcome"} <= set(r)
    }


def _decide(policy_set: PolicySet, item: Replayable) -> Decision:
    assert item.snapshot is not None
    assert item.stage is not None
    return decide(policy_set, item.snapshot, stage=item.stage, now=item.now)


def replay(policy_set: PolicySet, items: Sequence[Replayable]) -> list[Row]:
    """Each run re-decided under ``policy_set``, next to the decision once made on it."""
    rows: list[Row] = []
    for item in items:
        run = item.run
        before: str | None = None
        before_rules: dict[str, str] = {}
        note = item.note
        if item.decision is not None:
            before = str(item.decision.get("verdict"))
            before_rules = _logged_outcomes(item.decision)
            if item.decision.get("policy_set_digest") == policy_set.digest():
                note = "the same policies as then"
        elif run.verdict is not None and note is None:
            before, note = run.verdict, "past verdict from the run tag only (no bundle logged)"
        elif run.verdict is None:
            note = "never gated"
        base = (item.stage, item.baseline, _iso(item.now))
        if item.snapshot is None:
            rows.append(
                Row(
                    run,
                    *base,
                    before,
                    None,
                    before_rules,
                    evidence=item.evidence,
                    note=note,
                    error=item.error,
                )
            )
            continue
        decision = _decide(policy_set, item)
        rows.append(
            Row(
                run,
                *base,
                before,
                decision.verdict.value,
                before_rules,
                _outcomes(decision),
                evidence=item.evidence,
                note=note,
            )
        )
    return rows


def diff(old: PolicySet, new: PolicySet, items: Sequence[Replayable]) -> list[Row]:
    """Each run decided under the old and the new policy set, from one snapshot."""
    rows: list[Row] = []
    for item in items:
        head = (item.run, item.stage, item.baseline, _iso(item.now))
        if item.snapshot is None:
            rows.append(Row(*head, None, None, evidence=item.evidence, error=item.error))
            continue
        a, b = _decide(old, item), _decide(new, item)
        verdicts, outcomes = (a.verdict.value, b.verdict.value), (_outcomes(a), _outcomes(b))
        rows.append(Row(*head, *verdicts, *outcomes, evidence=item.evidence, note=item.note))
    return rows


def summary(rows: Sequence[Row]) -> dict[str, int]:
    return {
        "runs": len(rows),
        "compared": sum(r.before is not None and r.after is not None for r in rows),
        "changed": sum(r.changed for r in rows),
        "errors": sum(r.error is not None for r in rows),
    }


# -- output ---------------------------------------------------------------------------------------


def _model(run: PastRun) -> str:
    if run.model:
        return f"{run.model} v{run.version}" if run.version else run.model
    return run.run_name or "-"


def render_table(rows: Sequence[Row], before: str, after: str) -> str:
    """A fixed-width table, one line per run, rule changes indented under it."""
    header = ["run", "model", "started (UTC)", "stage", "evidence", before, after, "change"]
    body = []
    for r in rows:
        started = _iso(_utc(r.run.start_time))[:16].replace("T", " ") if r.run.start_time else "-"
        change = (
            "error" if r.error else "CHANGED" if r.changed else "-" if r.before is None else "same"
        )
        body.append(
            [
                r.run.run_id[:12],
                _model(r.run),
                started,
                r.stage or "-",
                r.evidence,
                r.before or "-",
                r.after or "-",
                change,
            ]
        )
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body, strict=False)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for r, cells in zip(rows, body, strict=True):
        lines.append("  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())
        for key, was, now in r.rule_changes:
            lines.append(f"    {key}: {was} -> {now}")
        if r.error:
            lines.append(f"    could not replay: {r.error}")
        elif r.note:
            lines.append(f"    note: {r.note}")
    n = summary(rows)
    lines.append("")
    lines.append(
        f"{n['runs']} runs: {n['compared']} compared, {n['changed']} verdict"
        f"{'s' if n['changed'] != 1 else ''} changed, {n['errors']} could not be replayed"
    )
    return "\n".join(lines) + "\n"


def to_json(rows: Sequence[Row], kind: str, before: str, after: str) -> str:
    payload = {
        "$schema": HISTORY_SCHEMA_ID,
        "kind": kind,
        "columns": {"before": before, "after": after},
        "runs": [
            {
                "run_id": r.run.run_id,
                "experiment_id": r.run.experiment_id,
                "run_name": r.run.run_name,
                "model": r.run.model,
                "version": r.run.version,
                "start_time": _iso(_utc(r.run.start_time)) if r.run.start_time else None,
                "stage": r.stage,
                "baseline": r.baseline,
                "decided_as_of": r.now,
                "evidence": r.evidence,
                "before": r.before,
                "after": r.after,
                "changed": r.changed,
                "rule_changes": [
                    {"rule": k, "before": a, "after": b} for k, a, b in r.rule_changes
                ],
                "note": r.note,
                "error": r.error,
            }
            for r in rows
        ],
        "summary": summary(rows),
    }
    return json.dumps(payload, indent=2) + "\n"
