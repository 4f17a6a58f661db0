"""The canary stage: confidence sequences over items in arrival order, and its looks recorded.

A canary is judged again and again; its bounds are confidence sequences over the items in
``ts`` order (``statistics.sequential``, default ``canary``), a table without ``ts`` is a gap
there, and each live check is a look logged to the canary's run and counted by the next.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govgate.cli import main
from govgate.evidence.model import MetricPoint
from govgate.gate.engine import decide
from govgate.gate.looks import LOOK, LOOK_BOUND, LOOK_ITEMS, LOOK_VERDICT, look_metrics
from govgate.report.html import render_html
from govgate.risk.assess import assess
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)
TOX = "    - id: tox\n      category: safety\n      threshold: {metric: tox, max: 0.05}\n"
FLOOR = "    - id: q\n      category: quality\n      threshold: {metric: q, min: 0.5}\n"
RANGED = "  statistics:\n    ranges: {q: [0, 1]}\n"


def _one(tmp_path: Path, rules: str, snap: Any, stage: str, statistics: str = "") -> Any:
    ps = policy_set(tmp_path, policy(rules, statistics=statistics))
    return decide(ps, snap, stage=stage, now=NOW)


def test_a_canary_without_arrival_times_is_a_gap_that_says_what_to_log(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.tox": np.zeros(500), "ts": None}))
    canary = _one(tmp_path, TOX, snap, "canary")
    assert canary.rules[0].outcome is Outcome.GAP
    assert canary.verdict is Verdict.INCONCLUSIVE  # never a pass
    assert "no ts column" in canary.rules[0].missing[0].reason
    assert "log each item's arrival time as ts" in canary.rules[0].missing[0].reason
    offline = _one(tmp_path, TOX, snap, "offline")  # one look: fixed-sample bounds need no order
    assert offline.rules[0].outcome is Outcome.PASS


def test_canary_bounds_are_confidence_sequences_and_offline_ones_are_not(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.tox": rates(600, 4)}))
    canary = {o.path: o.value for o in _one(tmp_path, TOX, snap, "canary").rules[0].observed}
    offline = {o.path: o.value for o in _one(tmp_path, TOX, snap, "offline").rules[0].observed}
    assert "anytime-valid" in str(canary["candidate.stats.tox.method"])
    assert offline["candidate.stats.tox.method"] == "clopper-pearson"
    assert isinstance(canary["candidate.stats.tox.upper"], float)
    assert isinstance(offline["candidate.stats.tox.upper"], float)
    assert canary["candidate.stats.tox.upper"] > offline["candidate.stats.tox.upper"]


def test_sequential_always_and_never(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.tox": rates(600, 4)}))
    always = _one(tmp_path, TOX, snap, "offline", "  statistics:\n    sequential: always\n")
    observed = {o.path: o.value for o in always.rules[0].observed}
    assert "anytime-valid" in str(observed["candidate.stats.tox.method"])
    never = _one(tmp_path, TOX, snap, "canary", "  statistics:\n    sequential: never\n")
    result = never.rules[0]
    # fixed-sample bounds on a canary are an opt-in, labelled approximate in every report
    assert result.approximate == ["candidate.stats.tox"]
    observed = {o.path: o.value for o in result.observed}
    assert "repeated looks inflate its error" in str(observed["candidate.stats.tox.method"])
    assert never.looks is not None
    assert never.looks.sequential is False


def test_the_arrival_order_decides_the_betting_sequence_not_the_row_order(tmp_path: Path) -> None:
    """The same items with the same arrival times, in any row order: one decision. The same
    values arriving in another order: the sequence's bets see another path."""
    rng = np.random.default_rng(4)
    values = rng.beta(6.0, 4.0, 400)
    ids = np.array([f"i{i}" for i in range(400)])
    ts = 1_767_225_600.0 + np.arange(400)
    seen = set()
    for _ in range(5):
        order = rng.permutation(400)
        columns = {"item_id": ids[order], "score.q": values[order], "ts": ts[order]}
        snap = snapshot(run("candidate", columns=columns))
        seen.add(_one(tmp_path, FLOOR, snap, "canary", RANGED).rules[0].model_dump_json())
    assert len(seen) == 1
    reversed_ts = {"item_id": ids, "score.q": values, "ts": ts[::-1].copy()}
    other = _one(tmp_path, FLOOR, snapshot(run("candidate", columns=reversed_ts)), "canary", RANGED)
    assert other.rules[0].model_dump_json() not in seen


def _looked(number: int, upper: float, at_ms: int) -> dict[str, list[MetricPoint]]:
    return {
        LOOK: [MetricPoint(step=s, timestamp=at_ms + s, value=float(s)) for s in range(1, number)]
        + [MetricPoint(step=number, timestamp=at_ms + number, value=float(number))],
        LOOK_VERDICT: [
            MetricPoint(step=s, timestamp=at_ms + s, value=2.0) for s in range(1, number + 1)
        ],
        LOOK_ITEMS: [
            MetricPoint(step=s, timestamp=at_ms + s, value=100.0 * s) for s in range(1, number + 1)
        ],
        f"{LOOK_BOUND}p/tox.upper": [
            MetricPoint(step=s, timestamp=at_ms + s, value=upper + 0.01 * (number - s))
            for s in range(1, number + 1)
        ],
    }


def test_the_next_look_is_numbered_after_the_recorded_ones(tmp_path: Path) -> None:
    evidence, table, blob = run("candidate", columns={"rate.tox": rates(600, 4)})
    history = _looked(3, 0.06, 1_767_225_600_000)
    evidence = evidence.model_copy(update={"metric_history": history})
    decision = _one(tmp_path, TOX, snapshot((evidence, table, blob)), "canary")
    looks = decision.looks
    assert looks is not None
    assert (looks.number, looks.previous) == (4, 3)
    assert [look.number for look in looks.history] == [1, 2, 3, 4]
    assert looks.history[0].verdict is Verdict.INCONCLUSIVE  # logged as 2
    assert looks.history[0].items == 100
    assert looks.history[0].bounds == {"p/tox": {"upper": pytest.approx(0.08)}}
    assert looks.history[-1].verdict is decision.verdict
    assert looks.history[-1].items == 600
    logged = look_metrics(looks)
    assert logged[LOOK] == 4.0
    assert logged[f"{LOOK_BOUND}p/tox.upper"] == looks.history[-1].bounds["p/tox"]["upper"]
    # the report draws each bound over the looks, against the threshold
    page = render_html(decision, assess(decision))
    assert 'class="look-chart"' in page
    assert "look 1</text>" in page
    assert "look 4</text>" in page
    assert "Looks: look 4 at this canary (3 recorded before it on its run)" in page


def test_a_look_whose_history_was_not_read_still_counts(tmp_path: Path) -> None:
    """Over the reader's cap, a run keeps only its latest values: the look number is the
    value of govgate.look, so the next look is still numbered right."""
    evidence, table, blob = run("candidate", columns={"rate.tox": rates(600, 4)})
    evidence = evidence.model_copy(update={"metrics": {LOOK: 7.0, LOOK_VERDICT: 0.0}})
    decision = _one(tmp_path, TOX, snapshot((evidence, table, blob)), "canary")
    assert decision.looks is not None
    assert (decision.looks.number, decision.looks.previous) == (8, 1)


def test_only_the_canary_stage_has_looks(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.tox": rates(600, 4)}, stage="shadow"))
    assert _one(tmp_path, TOX, snap, "shadow").looks is None


def _cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_each_live_canary_check_is_a_look_logged_to_the_canary_run(tmp_path: Path) -> None:
    """Against a real SQLite store: two checks are looks 1 and 2, logged at steps 1 and 2; a
    replay of a snapshot file records nothing (it is not a live look)."""
    from mlflow.tracking import MlflowClient

    from tests.support.mlflow_store import StoreBuilder, items_frame

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    builder = StoreBuilder(client, tmp_path)
    run_id = builder.eval_run("canary", "assistant", "2", "canary", items=items_frame(800, 4))
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "p.yaml").write_text(policy(TOX.replace("metric: tox,", "metric: toxicity_rate,")))
    common = ["check", "--tracking-uri", uri, "--policies", str(folder), "--candidate", run_id]
    snap = tmp_path / "snap.json"
    first = _cli(*common, "--stage", "canary", "--snapshot-out", str(snap))
    assert first[0] == 0, first[2]
    assert "Looks: look 1 at this canary (the first recorded on its run)" in first[1]
    second = _cli(*common, "--stage", "canary", "--format", "json")
    assert second[0] == 0, second[2]
    looks = json.loads(second[1])["decision"]["looks"]
    assert (looks["number"], looks["previous"]) == (2, 1)
    assert [look["number"] for look in looks["history"]] == [1, 2]
    history = client.get_metric_history(run_id, LOOK)
    assert sorted((p.step, p.value) for p in history) == [(1, 1.0), (2, 2.0)]
    uppers = client.get_metric_history(run_id, f"{LOOK_BOUND}p/tox.upper")
    assert sorted(p.step for p in uppers) == [1, 2]
    replay = _cli("check", "--policies", str(folder), "--candidate", str(snap), "--stage", "canary")
    assert replay[0] == 0, replay[2]
    assert "Looks: look 1" in replay[1]  # the snapshot's own record, replayed
    assert len(client.get_metric_history(run_id, LOOK)) == 2  # nothing logged by a replay


def test_pairs_are_sequenced_by_completion_so_each_look_extends_the_last(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pair is usable once its later side arrived. Sequenced by the candidate's arrival, a
    lagging baseline inserted new pairs mid-sequence at every look (an independent review
    measured 24% errors at a nominal 10% with a 1,000-item lag); by completion, look 2's pairs
    begin with look 1's."""
    import govgate.gate.view as view

    seen: list[list[float]] = []
    from govgate.stats.compare import compare as real

    def spy(cand: Any, base: Any, shared: Any, **kw: Any) -> Any:
        ci, bi = shared
        seen.append(list(cand[ci] - base[bi]))
        return real(cand, base, shared, **kw)

    monkeypatch.setattr(view, "compare", spy)
    rng = np.random.default_rng(2)
    n = 600
    cand = rng.integers(0, 2, n).astype(float)
    base = rng.integers(0, 2, n).astype(float)
    ts = 1_767_225_600.0 + np.arange(n)
    lag = rng.integers(0, 300, n).astype(float)  # the baseline's score lands later
    rule = (
        "    - id: q\n      category: quality\n"
        "      relative: {metric: ok, direction: higher_is_better, margin: 0.2}\n"
    )
    for cut in (1_767_225_600.0 + 450, 1_767_225_600.0 + 900):  # two looks
        c_keep = ts <= cut
        b_keep = ts + lag <= cut
        candidate = run("candidate", columns={"item_id": [f"i{i}" for i in np.flatnonzero(c_keep)],
                        "rate.ok": cand[c_keep], "ts": ts[c_keep]})  # fmt: skip
        baseline = run("baseline", columns={"item_id": [f"i{i}" for i in np.flatnonzero(b_keep)],
                       "rate.ok": base[b_keep], "ts": (ts + lag)[b_keep]})  # fmt: skip
        _one(tmp_path, rule, snapshot(candidate, baseline), "canary")
    first, second = seen
    assert len(second) > len(first)
    assert second[: len(first)] == first


def test_a_sequence_rewritten_under_earlier_looks_is_an_error(tmp_path: Path) -> None:
    evidence, table, blob = run("candidate", columns={"rate.tox": rates(600, 4)})
    assert table is not None
    # the last look saw 100 rows up to the 200th arrival: 200 rows arrived before it now
    recorded = {LOOK: 3.0, LOOK_ITEMS: 100.0, "govgate.look.last_ts": float(table.ts[200])}
    evidence = evidence.model_copy(update={"metrics": recorded})
    decision = _one(tmp_path, TOX, snapshot((evidence, table, blob)), "canary")
    result = decision.rules[0]
    assert result.outcome is Outcome.ERROR
    assert "inserted into the sequence already looked at" in result.reason
    assert decision.verdict is Verdict.FAIL
    removed = {LOOK: 3.0, LOOK_ITEMS: 700.0, "govgate.look.last_ts": float(table.ts[-1])}
    evidence = evidence.model_copy(update={"metrics": removed})  # 600 rows left of 700 seen
    dropped = _one(tmp_path, TOX, snapshot((evidence, table, blob)), "canary").rules[0]
    assert dropped.outcome is Outcome.ERROR
    assert "items were removed from the sequence" in dropped.reason
    appended = {LOOK: 3.0, LOOK_ITEMS: 201.0, "govgate.look.last_ts": float(table.ts[200])}
    evidence = evidence.model_copy(update={"metrics": appended})  # only appended since: fine
    assert _one(tmp_path, TOX, snapshot((evidence, table, blob)), "canary").verdict is Verdict.PASS


def test_a_canary_comparison_reports_the_confidence_asked_and_the_split(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    columns = {"rate.ok": rng.integers(0, 2, 400).astype(float)}
    rule = (
        "    - id: q\n      category: quality\n"
        "      relative: {metric: ok, direction: higher_is_better, margin: 0.3}\n"
    )
    snap = snapshot(run("candidate", columns=columns), run("baseline", columns=columns))
    observed = {o.path: o.value for o in _one(tmp_path, rule, snap, "canary").rules[0].observed}
    assert "half the error" in str(observed["compare.ok.method"])
    assert observed["compare.ok.p_value"] is None  # fixed-sample p-values are left out


def test_fairness_pairs_never_compare_a_group_with_itself() -> None:
    """Both groups at 0.5, one of 40 items and one of 20,000: the widest pair is the small
    group's upper bound minus the big one's lower bound, not the small group's own width."""
    from govgate.stats.fairness import by_group

    values = np.concatenate([np.tile([0.0, 1.0], 20), np.tile([0.0, 1.0], 10_000)])
    codes = np.concatenate([np.zeros(40, np.int32), np.ones(20_000, np.int32)])
    f = by_group(values, codes, ("a", "b"), binary=True, confidence=0.95, sequential=True)
    assert f.max_gap_upper is not None
    assert f.max_gap_upper < 0.4  # was 0.52: the small group's upper minus its own lower
