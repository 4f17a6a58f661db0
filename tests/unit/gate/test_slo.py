"""SLO burn rates as the engine decides on them: hand-computed windows, edges, verdicts, replay.

Every expected figure below is counted by hand in the test's docstring or comments, from the
definition (burn rate = the error rate of the events in ``(end - W, end]`` / (1 - objective),
``end`` the newest event), never by calling the code under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govgate.evidence.model import MetricPoint, Snapshot
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision, RuleResult
from govgate.gate.slo import HISTORY_METHOD, ITEMS_METHOD
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import BuiltRun, policy, policy_set, run, snapshot

NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
T0 = 1_767_225_600  # 2026-01-01T00:00:00Z, in seconds
UNIT = "candidate.slo.availability"
ON_TABLE = """  slos:
    - name: availability
      objective: 0.995
      window: 30d
      bad: error
"""
ON_HISTORY = """  slos:
    - name: availability
      objective: 0.995
      window: 30d
      history: {requests: requests_total, errors: errors_total}
"""
FAST_BURN = """    - id: fast-burn
      category: rollback
      slo: {name: availability, burn_rate: {long: 1h, short: 5m, max: 14.4}}
"""


def decide_on(
    tmp_path: Path,
    snap: Snapshot,
    *,
    rules: str = FAST_BURN,
    slos: str = ON_TABLE,
    stage: str = "canary",
) -> tuple[Decision, RuleResult]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    decision = decide(policy_set(tmp_path, policy(rules, slos=slos)), snap, stage=stage, now=NOW)
    return decision, decision.rules[0]


def observed(result: RuleResult) -> dict[str, Any]:
    return {o.path: o.value for o in result.observed}


def on_table(ts: np.ndarray, error: np.ndarray, **extra: Any) -> Snapshot:
    return snapshot(run("candidate", columns={"ts": ts, "rate.error": error, **extra}))


def every_10s_with_a_late_burst() -> tuple[np.ndarray, np.ndarray]:
    """720 requests 10 s apart from T0 (2 hours; the newest at T0 + 7190 s). An error on every
    10th request (i % 10 == 0) before i = 690, and on every other one (even i) from i = 690."""
    i = np.arange(720)
    return T0 + 10.0 * i, np.where(i < 690, i % 10 == 0, i % 2 == 0).astype(float)


def test_burn_rates_from_a_table_are_the_ones_counted_by_hand(tmp_path: Path) -> None:
    """By hand, with end = T0 + 7190 and the window (end - W, end]:

    - 5m: t > T0 + 6890, so i > 689: i = 690..719, 30 requests, the 15 even ones errors:
      error rate 15/30 = 0.5, burn 0.5 / 0.005 = 100.
    - 1h: t > T0 + 3590, so i > 359: i = 360..719, 360 requests; errors at i = 360, 370, ...,
      680 (33 of them) and the 15 above, 48: error rate 48/360, burn 48/360/0.005 = 26.67.
    - the 30d SLO window holds all 720: errors at 0, 10, ..., 680 (69) and the 15, 84: burn
      84/720/0.005 = 23.33; the requests span 7190 s of the 2,592,000 s in 30 days, so the
      evidence spent 23.33 * 7190 / 2592000 = 6.47% of the budget: 93.53% is left.

    Both burn rates are over 14.4: the rule fails, and a failing rollback rule on a canary is
    ROLLBACK.
    """
    ts, error = every_10s_with_a_late_burst()
    decision, result = decide_on(tmp_path, on_table(ts, error))
    seen = observed(result)
    assert (seen[f"{UNIT}.events_5m"], seen[f"{UNIT}.bad_events_5m"]) == (30, 15)
    assert seen[f"{UNIT}.error_rate_5m"] == pytest.approx(0.5)
    assert seen[f"{UNIT}.burn_rate_5m"] == pytest.approx(100.0)
    assert (seen[f"{UNIT}.events_1h"], seen[f"{UNIT}.bad_events_1h"]) == (360, 48)
    assert seen[f"{UNIT}.burn_rate_1h"] == pytest.approx(48 / 360 / 0.005)
    assert (seen[f"{UNIT}.events"], seen[f"{UNIT}.bad_events"]) == (720, 84)
    assert seen[f"{UNIT}.burn_rate"] == pytest.approx(84 / 720 / 0.005)
    assert seen[f"{UNIT}.span_seconds"] == 7190
    assert seen[f"{UNIT}.coverage"] == pytest.approx(7190 / 2_592_000)
    assert seen[f"{UNIT}.budget_remaining"] == pytest.approx(1 - 84 / 720 / 0.005 * 7190 / 2592000)
    assert seen[f"{UNIT}.start"] == "2026-01-01T00:00:00+00:00"
    assert seen[f"{UNIT}.end"] == "2026-01-01T01:59:50+00:00"  # T0 + 7190 s: not the clock
    assert (seen[f"{UNIT}.objective"], seen[f"{UNIT}.window_seconds"]) == (0.995, 2_592_000)
    assert result.outcome is Outcome.FAIL
    assert decision.verdict is Verdict.ROLLBACK
    assert result.expression == f"{UNIT}.burn_rate_1h <= 14.4 || {UNIT}.burn_rate_5m <= 14.4"
    assert result.violation == f"{UNIT}.burn_rate_1h > 14.4 && {UNIT}.burn_rate_5m > 14.4"
    assert result.reason.endswith(f"; {ITEMS_METHOD}")  # a point value, said in every report
    assert result.subject is not None
    assert (result.subject.path, result.subject.threshold) == (f"{UNIT}.burn_rate_1h", 14.4)


def counts(requests: list[int], errors: list[int], *, every_s: int = 60) -> dict[str, Any]:
    """Two count histories, step ``s`` logged at T0 + ``every_s`` * s (MLflow: milliseconds)."""

    def points(values: list[int]) -> list[MetricPoint]:
        return [
            MetricPoint(step=s, timestamp=(T0 + every_s * s) * 1000, value=float(v))
            for s, v in enumerate(values)
        ]

    return {"requests_total": points(requests), "errors_total": points(errors)}


def with_history(history: dict[str, Any], truncated: dict[str, int] | None = None) -> Snapshot:
    ev, table, blob = run("candidate", metrics={name: p[-1].value for name, p in history.items()})
    ev = ev.model_copy(update={"metric_history": history, "history_truncated": truncated or {}})
    built: BuiltRun = (ev, table, blob)
    return snapshot(built)


def test_burn_rates_from_metric_histories_are_the_ones_counted_by_hand(tmp_path: Path) -> None:
    """120 steps one minute apart (end = step 119 at T0 + 7140 s), 100 requests each; 10
    errors a step before step 115, 40 from it on. By hand:

    - 5m: t > T0 + 6840, so steps 115..119: 500 requests, 200 errors: burn 0.4/0.005 = 80.
    - 1h: t > T0 + 3540, so steps 60..119 (step 59 is exactly an hour before the newest: out):
      6000 requests, 55 * 10 + 200 = 750 errors: burn 0.125/0.005 = 25.
    - 30d: all 120 steps, 12000 requests, 1150 + 200 = 1350 errors: burn 22.5, over 7140 s.
    """
    history = counts([100] * 120, [10] * 115 + [40] * 5)
    decision, result = decide_on(tmp_path, with_history(history), slos=ON_HISTORY)
    seen = observed(result)
    assert (seen[f"{UNIT}.events_5m"], seen[f"{UNIT}.bad_events_5m"]) == (500, 200)
    assert seen[f"{UNIT}.burn_rate_5m"] == pytest.approx(80.0)
    assert (seen[f"{UNIT}.events_1h"], seen[f"{UNIT}.bad_events_1h"]) == (6000, 750)
    assert seen[f"{UNIT}.burn_rate_1h"] == pytest.approx(25.0)
    assert (seen[f"{UNIT}.events"], seen[f"{UNIT}.bad_events"]) == (12000, 1350)
    assert seen[f"{UNIT}.burn_rate"] == pytest.approx(22.5)
    assert seen[f"{UNIT}.budget_remaining"] == pytest.approx(1 - 22.5 * 7140 / 2592000)
    assert seen[f"{UNIT}.truncated"] is False
    assert result.outcome is Outcome.FAIL
    assert decision.verdict is Verdict.ROLLBACK
    assert result.reason.endswith(f"; {HISTORY_METHOD}")


def test_an_event_exactly_one_window_before_the_newest_is_outside_it(tmp_path: Path) -> None:
    """Windows are (end - W, end]: a request exactly 5 minutes before the newest is not in the
    5m window, one a microsecond later is (and both are in the 1h window)."""
    end = T0 + 3600
    ts = np.array([end - 300.0, end - 300.0 + 1e-6, float(end)])
    error = np.array([1.0, 0.0, 0.0])
    slos = ON_TABLE + "      min_events: 1\n"
    _, result = decide_on(tmp_path, on_table(ts, error), slos=slos)
    seen = observed(result)
    assert (seen[f"{UNIT}.events_5m"], seen[f"{UNIT}.bad_events_5m"]) == (2, 0)
    assert (seen[f"{UNIT}.events_1h"], seen[f"{UNIT}.bad_events_1h"]) == (3, 1)
    assert result.outcome is Outcome.PASS  # the 5m window is clean: no page


def test_a_burn_over_the_long_window_only_is_not_a_rollback(tmp_path: Path) -> None:
    """The burst is over: an error on every 5th request before i = 690, none after. By hand,
    1h (i = 360..719): errors at 360, 365, ..., 685, 66 of 360, burn 36.7, over 14.4; 5m
    (i = 690..719): no error, burn 0. The workbook pages only when both windows burn."""
    i = np.arange(720)
    ts, error = T0 + 10.0 * i, ((i < 690) & (i % 5 == 0)).astype(float)
    decision, result = decide_on(tmp_path, on_table(ts, error))
    seen = observed(result)
    assert seen[f"{UNIT}.burn_rate_1h"] == pytest.approx(66 / 360 / 0.005)
    assert seen[f"{UNIT}.burn_rate_5m"] == 0.0
    assert result.outcome is Outcome.PASS
    assert decision.verdict is Verdict.PASS


def test_a_table_without_arrival_times_is_a_gap_never_a_pass(tmp_path: Path) -> None:
    snap = snapshot(run("candidate", columns={"rate.error": np.zeros(500), "ts": None}))
    decision, result = decide_on(tmp_path, snap)
    assert result.outcome is Outcome.GAP
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert [m.unit for m in result.missing] == [UNIT]
    assert "no ts column" in result.reason
    assert "log ts" in result.reason


@pytest.mark.parametrize(
    ("columns", "says"),
    [
        ({"rate.other": np.zeros(50)}, "no column rate.error"),
        ({"rate.error": np.full(50, np.nan)}, "no candidate item has a value in rate.error"),
    ],
)
def test_no_events_is_a_gap_saying_what_to_log(
    tmp_path: Path, columns: dict[str, Any], says: str
) -> None:
    snap = snapshot(run("candidate", columns={"ts": T0 + np.arange(50.0), **columns}))
    _, result = decide_on(tmp_path, snap)
    assert result.outcome is Outcome.GAP
    assert says in result.reason


def test_no_table_and_no_history_are_gaps(tmp_path: Path) -> None:
    _, from_table = decide_on(tmp_path / "t", snapshot(run("candidate", metrics={"x": 1.0})))
    assert from_table.outcome is Outcome.GAP
    assert "logged no per-item table" in from_table.reason
    once = snapshot(run("candidate", metrics={"requests_total": 5.0, "errors_total": 0.0}))
    _, logged_once = decide_on(tmp_path / "h", once, slos=ON_HISTORY)
    assert logged_once.outcome is Outcome.GAP
    assert "was logged once" in logged_once.reason


def test_a_window_with_too_few_events_never_passes_but_a_breach_still_fails(
    tmp_path: Path,
) -> None:
    """One request a minute for 2 hours: the 5m window (t > end - 300) holds the newest 5, under
    the default min_events of 10. Clean, the rule would pass on 5 requests: inconclusive. All
    failing, both windows burn at 200x: a breach, whatever the count."""
    ts = T0 + 60.0 * np.arange(120)
    _, clean = decide_on(tmp_path / "clean", on_table(ts, np.zeros(120)))
    assert clean.outcome is Outcome.INCONCLUSIVE
    assert "the 5m window holds 5 events" in clean.reason
    assert "min_events (10)" in clean.reason
    _, failing = decide_on(tmp_path / "failing", on_table(ts, np.ones(120)))
    assert failing.outcome is Outcome.FAIL
    assert observed(failing)[f"{UNIT}.burn_rate_5m"] == pytest.approx(200.0)


def test_the_same_items_in_any_row_order_give_the_same_decision(tmp_path: Path) -> None:
    ts, error = every_10s_with_a_late_burst()
    ids = np.array([f"req-{i}" for i in range(ts.size)])
    ps = policy_set(tmp_path, policy(FAST_BURN, slos=ON_TABLE))
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(20):
        order = rng.permutation(ts.size)
        snap = snapshot(
            run(
                "candidate",
                columns={"item_id": ids[order], "ts": ts[order], "rate.error": error[order]},
            )
        )
        decision = decide(ps, snap, stage="canary", now=NOW)
        # the evidence digests (and the approval basis made of one) name the table's bytes,
        # which follow its row order; the rest of the decision is the same byte for byte
        basis = {"basis": {"sha256", "evidence_content_sha256"}}
        seen.add(decision.model_dump_json(exclude={"evidence_digest": True, "approvals": basis}))
    assert len(seen) == 1
    assert '"verdict":"ROLLBACK"' in seen.pop()


def test_expressions_read_the_budget_the_span_and_the_newest_event(tmp_path: Path) -> None:
    """The budget fields and timestamps are plain CEL: 2 hours of traffic cover under 1% of
    the 30-day window, and the newest request (T0 + 7190 s) is 22 hours older than NOW."""
    rules = f"""    - id: budget
      category: reliability
      expression: >-
        {UNIT}.budget_remaining >= 0.9 && {UNIT}.coverage < 0.01
        && now - {UNIT}.end > duration("22h")
"""
    ts, error = every_10s_with_a_late_burst()
    _, result = decide_on(tmp_path, on_table(ts, error), rules=rules)
    assert result.outcome is Outcome.PASS
    assert result.reason.endswith(f"; {ITEMS_METHOD}")


def test_the_baseline_has_its_slo_too(tmp_path: Path) -> None:
    rules = """    - id: no-worse
      category: reliability
      expression: candidate.slo.availability.burn_rate_1h <= baseline.slo.availability.burn_rate_1h
"""
    ts = T0 + 10.0 * np.arange(720)
    worse, better = np.zeros(720), np.zeros(720)
    worse[::50], better[::100] = 1.0, 1.0
    snap = snapshot(
        run("candidate", columns={"ts": ts, "rate.error": worse}),
        run("baseline", columns={"ts": ts, "rate.error": better}),
    )
    _, result = decide_on(tmp_path, snap, rules=rules)
    assert result.outcome is Outcome.FAIL
    seen = observed(result)
    # 1h: i = 360..719; every 50th (400, 450, ..., 700: 7) against every 100th (400, ..., 700: 4)
    assert seen["candidate.slo.availability.bad_events_1h"] == 7
    assert seen["baseline.slo.availability.bad_events_1h"] == 4


def test_a_good_column_counts_its_zeros_as_errors(tmp_path: Path) -> None:
    good = """  slos:
    - name: availability
      objective: 0.995
      window: 30d
      good: success
"""
    ts = T0 + 10.0 * np.arange(720)
    success = np.ones(720)
    success[-30:] = 0.0  # the whole last 5 minutes fails: 30 of the last hour's 360 requests
    _, result = decide_on(
        tmp_path, on_table(ts, np.zeros(720), **{"rate.success": success}), slos=good
    )
    seen = observed(result)
    assert (seen[f"{UNIT}.bad_events_5m"], seen[f"{UNIT}.bad_events_1h"]) == (30, 30)
    assert seen[f"{UNIT}.burn_rate_1h"] == pytest.approx(30 / 360 / 0.005)
    assert result.outcome is Outcome.FAIL


def test_a_window_with_no_events_is_a_gap(tmp_path: Path) -> None:
    """Steps 5 minutes apart: the 5m window (t > end - 300) holds only the newest step, which
    counted no requests. An error rate of 0 of 0 is no error rate."""
    history = counts([100] * 119 + [0], [1] * 119 + [0], every_s=300)
    _, result = decide_on(tmp_path, with_history(history), slos=ON_HISTORY)
    assert result.outcome is Outcome.GAP
    assert "no candidate events in the 5m window" in result.reason


# -- metric histories in CEL -------------------------------------------------------------------

LOSS = [
    MetricPoint(step=s, timestamp=(T0 + s) * 1000, value=v)
    for s, v in enumerate([0.9, 0.6, 0.4, 0.3])
]


def loss_snapshot(points: list[MetricPoint], truncated: dict[str, int] | None = None) -> Snapshot:
    ev, table, blob = run("candidate", metrics={"loss": points[-1].value})
    ev = ev.model_copy(
        update={"metric_history": {"loss": points}, "history_truncated": truncated or {}}
    )
    return snapshot((ev, table, blob))


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("candidate.history.loss.all(p, p.value < 1.0)", Outcome.PASS),
        ("candidate.history.loss.all(p, p.value < 0.5)", Outcome.FAIL),
        ("size(candidate.history.loss) == 4 && candidate.history.loss[3].step == 3", Outcome.PASS),
        ("candidate.history.loss[3].value < candidate.history.loss[0].value", Outcome.PASS),
        (
            'candidate.history.loss[3].timestamp == timestamp("2026-01-01T00:00:03Z")',
            Outcome.PASS,
        ),
    ],
)
def test_a_history_is_a_list_of_steps_timestamps_and_values(
    tmp_path: Path, expression: str, expected: Outcome
) -> None:
    rules = f"    - id: curve\n      category: quality\n      expression: '{expression}'\n"
    _, result = decide_on(tmp_path, loss_snapshot(LOSS), rules=rules, slos="")
    assert result.outcome is expected, result.reason
    assert observed(result) == {
        "candidate.history.loss.points": 4,
        "candidate.history.loss.newest": 0.3,
    }


CURVE = (
    "    - id: curve\n      category: quality\n      expression: size(candidate.history.loss) > 0\n"
)


def test_a_metric_logged_once_has_no_history_and_is_a_gap(tmp_path: Path) -> None:
    rules = CURVE
    _, result = decide_on(
        tmp_path, snapshot(run("candidate", metrics={"loss": 0.3})), rules=rules, slos=""
    )
    assert result.outcome is Outcome.GAP
    assert "it was logged once" in result.reason


def test_a_truncated_history_says_so_in_the_reason(tmp_path: Path) -> None:
    rules = CURVE
    _, result = decide_on(tmp_path, loss_snapshot(LOSS, {"loss": 5000}), rules=rules, slos="")
    assert result.outcome is Outcome.PASS
    assert result.reason.endswith(
        "candidate.history.loss: the newest 4 of 5,000 points (history truncated)"
    )


def test_a_policy_can_expect_an_slo_and_reports_the_gap_without_a_rule_reading_it(
    tmp_path: Path,
) -> None:
    expects = "  expects:\n    - candidate.slo.availability\n"
    rules = (
        "    - id: other\n      category: quality\n      expression: candidate.metrics.x > 0.0\n"
    )
    text = policy(rules, slos=ON_TABLE, statistics=expects)  # spec blocks go in as written
    snap = snapshot(
        run("candidate", metrics={"x": 1.0}, columns={"rate.error": np.zeros(20), "ts": None})
    )
    decision = decide(policy_set(tmp_path, text), snap, stage="canary", now=NOW)
    (gap,) = decision.expected_gaps
    assert gap.missing.unit == UNIT
    assert "no ts column" in gap.missing.reason


def test_a_window_through_a_variable_holding_the_whole_slo_is_an_error(tmp_path: Path) -> None:
    """Windows are named in the reference; a variable holding the whole SLO has none."""
    variables = "  variables:\n    - name: s\n      expression: candidate.slo.availability\n"
    rules = (
        "    - id: v\n      category: rollback\n      expression: variables.s.burn_rate_1h < 14.4\n"
    )
    ts, error = every_10s_with_a_late_burst()
    text = policy(rules, slos=ON_TABLE, variables=variables)
    decision = decide(policy_set(tmp_path, text), on_table(ts, error), stage="canary", now=NOW)
    assert decision.rules[0].outcome is Outcome.ERROR


@pytest.mark.parametrize(("bad_per_1000", "verdict"), [(73, Verdict.ROLLBACK), (71, Verdict.PASS)])
def test_a_burn_just_over_fourteen_point_four_in_both_windows_rolls_back(
    tmp_path: Path, bad_per_1000: int, verdict: Verdict
) -> None:
    """The workbook's page: 14.4x over both 1h and 5m. One request a second for an hour
    (3,600, the newest at T0 + 3599: the 1h window holds them all, the 5m window the last 300),
    errors spread evenly at ``bad_per_1000`` in every 1,000 (one each time ``i % 1000`` crosses
    a multiple of 1000/k). Objective 0.995, so burn = error rate / 0.005. Counted by hand:
    k = 73: 263 errors in 3,600 (14.61x) and 22 in the last 300 (14.67x): both over 14.4,
    ROLLBACK; k = 71: 256 (14.22x) and 21 (14.0x): under, PASS."""
    n = 3600
    i = np.arange(n)
    step = 1000 / bad_per_1000
    error = (np.floor((i % 1000) / step) != np.floor(((i % 1000) - 1) / step)).astype(float)
    ts = T0 + i.astype(float)
    decision, result = decide_on(tmp_path, on_table(ts, error))
    seen = observed(result)
    long_errors, short_errors = {73: (263, 22), 71: (256, 21)}[bad_per_1000]
    assert (seen[f"{UNIT}.events_1h"], seen[f"{UNIT}.bad_events_1h"]) == (3600, long_errors)
    assert (seen[f"{UNIT}.events_5m"], seen[f"{UNIT}.bad_events_5m"]) == (300, short_errors)
    assert seen[f"{UNIT}.burn_rate_1h"] == pytest.approx(long_errors / 3600 / 0.005)
    assert seen[f"{UNIT}.burn_rate_5m"] == pytest.approx(short_errors / 300 / 0.005)
    assert decision.verdict is verdict
