"""Build evidence snapshots and policy sets in memory, for gate tests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from govgate.evidence.items import ItemTable
from govgate.evidence.model import (
    Evidence,
    ItemsInfo,
    ModelInfo,
    Resolution,
    Role,
    RunEvidence,
    Snapshot,
)
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.policytest.fixtures import items_table

RESOLVED = Resolution(reference="test", method="run-id", detail="built by a test")


def table(columns: dict[str, Any]) -> tuple[ItemTable, bytes, ItemsInfo]:
    """A per-item table from columns; ``item_id`` defaults to q0..qN."""
    return items_table(columns)


def rates(n: int, events: int) -> np.ndarray:
    out = np.zeros(n)
    out[:events] = 1.0
    return out


#: What ``run`` builds: the run's evidence, its parsed per-item table and the table's bytes.
BuiltRun = tuple[RunEvidence, ItemTable | None, bytes | None]


def run(
    role: Role,
    *,
    metrics: dict[str, float] | None = None,
    columns: dict[str, Any] | None = None,
    stage: str | None = "canary",
    model: str | None = None,
    run_id: str | None = None,
    params: dict[str, str] | None = None,
    tags: dict[str, str] | None = None,
) -> BuiltRun:
    built = table(columns) if columns else None
    evidence = RunEvidence(
        role=role,
        run_id=run_id or (("c" if role == "candidate" else "b") * 32),
        experiment_id="1",
        status="FINISHED",
        stage=stage,
        model=ModelInfo(name=model, version="1") if model else None,
        metrics=metrics or {},
        params=params or {},
        tags=tags or {},
        items=built[2] if built else None,
        resolution=RESOLVED,
    )
    return evidence, (built[0] if built else None), (built[1] if built else None)


def snapshot(candidate: BuiltRun, baseline: BuiltRun | None = None) -> Snapshot:
    raw: dict[str, bytes] = {}
    tables: dict[str, ItemTable] = {}
    for ev, tab, blob in [candidate] + ([baseline] if baseline else []):
        if ev.items is not None and ev.items.sha256:
            # ``run`` builds the table and its bytes exactly when the run has items
            assert tab is not None
            assert blob is not None
            raw[ev.items.sha256] = blob
            tables[ev.items.sha256] = tab
    evidence = Evidence(
        govgate_version="test",
        tracking_uri="test",
        taken_at="2026-11-21T00:00:00Z",
        candidate=candidate[0],
        baseline=baseline[0] if baseline else None,
    )
    return Snapshot(evidence, raw, tables)


def policy_set(tmp_path: Path, *documents: str) -> PolicySet:
    for i, text in enumerate(documents):
        (tmp_path / f"doc{i}.yaml").write_text(text)
    loaded, problems = load_policy_set([str(tmp_path)])
    assert problems == [], problems
    return loaded


def policy(
    rules: str,
    *,
    stages: str = "[offline, shadow, canary]",
    confidence: float = 0.95,
    name: str = "p",
    variables: str = "",
    statistics: str = "",
    slos: str = "",
) -> str:
    """A policy document with the given rules block (YAML list items, indented by 4); the
    ``statistics``, ``slos`` and ``variables`` blocks go in as written (indented by 2)."""
    return f"""apiVersion: govgate/v1
kind: Policy
metadata: {{name: {name}, version: "1", owners: [t@example.com]}}
spec:
  stages: {stages}
  confidence: {confidence}
{statistics}{slos}{variables}  rules:
{rules}"""
