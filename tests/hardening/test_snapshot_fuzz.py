"""Fuzz the evidence-snapshot loader (bounded): a damaged or hand-edited snapshot is refused
with EvidenceError, or loads into evidence the gate decides without crashing; it never loads
evidence that a well-formed snapshot could not hold (non-finite metrics, a table that is not
the one its digest names, counts that disagree with the table)."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govgate.errors import EvidenceError
from govgate.evidence.model import snapshot_from_bytes
from govgate.gate.engine import decide
from govgate.policy.cases import FixtureColumn, FixtureEvidence, FixtureRun
from govgate.policy.loader import load_policy_set
from govgate.policytest.fixtures import fixture_snapshot
from govgate.terms import Outcome, Verdict
from tests.support.documents import parent_of, paths
from tests.support.snapshots import policy

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
RULES = """    - id: tox
      category: safety
      threshold: {metric: toxicity_rate, max: 0.05}
    - id: cost
      category: cost
      relative: {metric: cost, direction: lower_is_better, margin_ratio: 0.1, basis: point}
    - id: quality
      category: quality
      relative: {metric: quality, direction: higher_is_better, margin: 0.02}
"""


def _seed() -> tuple[bytes, dict[str, bytes]]:
    def run(shift: float) -> FixtureRun:
        return FixtureRun(
            metrics={"cost": 1.0 + shift},
            items=300,
            groups={"band": ["a", "b"]},
            columns={
                "rate.toxicity_rate": FixtureColumn(count=1),
                "score.quality": FixtureColumn(mean=0.8 - shift, sd=0.1),
            },
        )

    snap = fixture_snapshot(
        FixtureEvidence(candidate=run(0.0), baseline=run(0.01)),
        stage="offline",
        seed="fuzz",
        reference="fuzz",
        now=NOW,
    )
    tables = {
        info.file: snap.raw_tables[info.sha256]
        for run_ in (snap.evidence.candidate, snap.evidence.baseline)
        if run_ is not None and (info := run_.items) is not None and info.file and info.sha256
    }
    return snap.evidence.canonical_json(), tables


SEED, TABLES = _seed()


@pytest.fixture(scope="module")
def policy_set(tmp_path_factory: pytest.TempPathFactory) -> Any:
    path = tmp_path_factory.mktemp("fuzz") / "p.yaml"
    path.write_text(policy(RULES, stages="[offline]"))
    loaded, problems = load_policy_set([str(path)])
    assert problems == []
    return loaded


def load(data: bytes, tables: dict[str, bytes] = TABLES) -> Any:
    return snapshot_from_bytes("evidence.json", data, lambda rel: tables[rel])


def refused_or_sane(data: bytes, policy_set: Any) -> None:
    """Either the loader refuses the bytes (EvidenceError, evidence.invalid), or what it
    loads holds only finite metrics and decides without raising."""
    try:
        snapshot = load(data)
    except EvidenceError as exc:
        codes.append(exc.code)
        return
    assert_sane(snapshot, policy_set)


codes: list[str] = []


def assert_sane(snapshot: Any, policy_set: Any) -> None:
    """Finite metrics only, and a decision that fails closed: every rule decided, missing
    evidence a gap (never a pass), an error always explained, a PASS only when every blocking
    rule passed."""
    for run in (snapshot.evidence.candidate, snapshot.evidence.baseline):
        if run is None:
            continue
        assert all(math.isfinite(v) for v in run.metrics.values())
    decision = decide(policy_set, snapshot, stage="offline", now=NOW)
    assert [r.rule for r in decision.rules] == ["tox", "cost", "quality"]
    for r in decision.rules:
        assert (r.outcome is Outcome.GAP) == bool(r.missing), r  # on_missing: gap (the default)
        if r.outcome is Outcome.ERROR:
            assert r.error, r
    if decision.verdict is Verdict.PASS:
        assert all(r.outcome is Outcome.PASS for r in decision.rules), decision.rules


def test_the_seed_loads_and_decides(policy_set: Any) -> None:
    assert_sane(load(SEED), policy_set)


EDITS = st.lists(
    st.tuples(st.integers(0, 100_000), st.integers(0, 6), st.binary(max_size=6)),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(EDITS)
def test_damaged_bytes_are_refused_or_load_sanely(policy_set: Any, edits: Any) -> None:
    data = bytearray(SEED)
    for position, delete, insert in edits:
        at = position % (len(data) + 1)
        data[at : at + delete] = insert
    refused_or_sane(bytes(data), policy_set)
    assert set(codes) <= {"evidence.invalid"}


DOC = json.loads(SEED)
PATHS = [p for p in paths(DOC) if p]
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.just({}),
    st.sampled_from(["../../etc/passwd", "items/x.parquet", "candidate", "baseline", "0" * 64]),
)


@settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.integers(0, len(PATHS) - 1), VALUES)
def test_hand_edited_values_are_refused_or_load_sanely(
    policy_set: Any, index: int, value: Any
) -> None:
    doc = copy.deepcopy(DOC)
    path = PATHS[index]
    parent_of(doc, path)[path[-1]] = value
    refused_or_sane(json.dumps(doc).encode(), policy_set)  # NaN/Infinity tokens included
    assert set(codes) <= {"evidence.invalid"}


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e999", "-1e999"])
def test_non_finite_numbers_in_a_snapshot_are_refused(token: str) -> None:
    text = SEED.decode().replace('"cost":1', f'"cost":{token}', 1)
    assert text != SEED.decode()
    with pytest.raises(EvidenceError, match="not a govgate evidence snapshot"):
        load(text.encode())


def test_a_table_that_is_not_the_one_named_is_refused() -> None:
    name = next(iter(TABLES))
    other = dict(TABLES)
    other[name] = TABLES[name][:-1] + bytes([TABLES[name][-1] ^ 1])
    with pytest.raises(EvidenceError, match="does not match its digest"):
        load(SEED, other)


def test_row_counts_that_disagree_with_the_table_are_refused() -> None:
    doc = copy.deepcopy(DOC)
    doc["candidate"]["items"]["rows"] = 5
    with pytest.raises(EvidenceError, match="rows"):
        load(json.dumps(doc).encode())
