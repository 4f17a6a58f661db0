"""The valid-bounds rules as the engine applies them: ranges, approximate opt-ins, row order,
variables at the reading rule's confidence, undefined ratios and the sample-size hint."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from govgate.evidence.model import Snapshot
from govgate.gate.engine import APPROXIMATE_LABEL, decide
from govgate.gate.outcome import RuleResult
from govgate.gate.samples import rate_needed
from govgate.stats.bounds import rate
from govgate.terms import Outcome, RateMethod
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
FLOOR = "    - id: q\n      category: quality\n      threshold: {metric: q, min: 0.5}\n"


def one(tmp_path: Path, rules: str, snap: Snapshot, **kw: Any) -> RuleResult:
    # offline: these are the fixed-sample bounds (a canary's are confidence sequences)
    return decide(policy_set(tmp_path, policy(rules, **kw)), snap, stage="offline", now=NOW).rules[
        0
    ]


def scores(n: int = 400, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).beta(6, 4, n)  # mean 0.6, inside [0, 1]


def test_a_mean_without_a_range_is_inconclusive_and_says_how_to_fix_it(tmp_path: Path) -> None:
    result = one(tmp_path, FLOOR, snapshot(run("candidate", columns={"score.q": scores()})))
    assert result.outcome is Outcome.INCONCLUSIVE
    assert "declare one (statistics.ranges" in result.reason
    assert result.samples_needed is None  # more items would not help: a range is missing


def test_a_range_from_the_policy_or_the_run_gives_a_valid_bound(tmp_path: Path) -> None:
    ranged = "  statistics:\n    ranges: {q: [0, 1]}\n"
    by_policy = one(
        tmp_path,
        FLOOR,
        snapshot(run("candidate", columns={"score.q": scores()})),
        statistics=ranged,
    )
    assert by_policy.outcome is Outcome.PASS
    methods = {o.path: o.value for o in by_policy.observed}
    assert "declared in the policy" in str(methods["candidate.stats.q.method"])
    tag = {"govgate.ranges": json.dumps({"score.q": [0, 1]})}
    by_run = one(
        tmp_path, FLOOR, snapshot(run("candidate", columns={"score.q": scores()}, tags=tag))
    )
    assert by_run.outcome is Outcome.PASS
    assert "declared by the run" in str(
        {o.path: o.value for o in by_run.observed}["candidate.stats.q.method"]
    )


@pytest.mark.parametrize(
    "tag", ['{"score.q": [1, 0]}', "not json", '{"score.q": [0, "1"]}', '{"score.q": [0]}']
)
def test_a_malformed_range_tag_is_an_error(tmp_path: Path, tag: str) -> None:
    snap = snapshot(run("candidate", columns={"score.q": scores()}, tags={"govgate.ranges": tag}))
    result = one(tmp_path, FLOOR, snap)
    assert result.outcome is Outcome.ERROR
    assert "govgate.ranges tag must be JSON" in result.reason


def test_values_outside_the_declared_range_are_an_error(tmp_path: Path) -> None:
    ranged = "  statistics:\n    ranges: {q: [0, 0.5]}\n"
    snap = snapshot(run("candidate", columns={"score.q": scores()}))
    result = one(tmp_path, FLOOR, snap, statistics=ranged)
    assert result.outcome is Outcome.ERROR
    assert "outside its range [0, 0.5]" in result.reason


def test_an_approximate_opt_in_is_labelled(tmp_path: Path) -> None:
    opt_in = "  statistics:\n    means: approximate-t\n"
    snap = snapshot(run("candidate", columns={"score.q": scores()}))
    result = one(tmp_path, FLOOR, snap, statistics=opt_in)
    assert result.outcome is Outcome.PASS
    assert result.approximate == ["candidate.stats.q"]
    assert APPROXIMATE_LABEL in result.reason


def test_the_same_items_in_any_row_order_give_the_same_decision(tmp_path: Path) -> None:
    """Before: the same 120 items in 40 orders gave 6 passes and 34 inconclusives."""
    ranged = "  statistics:\n    ranges: {q: [0, 1]}\n"
    ps = policy_set(tmp_path, policy(FLOOR.replace("0.5", "0.55"), statistics=ranged))
    values, ids = scores(120, seed=3), np.array([f"item-{i}" for i in range(120)])
    arrival = 1_767_225_600.0 + np.arange(120) // 2  # two items a second: ties, by id hash
    rng = np.random.default_rng(0)
    seen: dict[str, set[str]] = {"offline": set(), "canary": set()}
    for _ in range(40):
        order = rng.permutation(120)
        columns = {"item_id": ids[order], "score.q": values[order], "ts": arrival[order]}
        snap = snapshot(run("candidate", columns=columns))
        for stage in ("offline", "canary"):  # the hash order; the arrival order
            seen[stage].add(decide(ps, snap, stage=stage, now=NOW).rules[0].model_dump_json())
    assert len(seen["offline"]) == 1
    assert len(seen["canary"]) == 1


def test_a_variable_is_read_at_the_confidence_of_the_rule(tmp_path: Path) -> None:
    """A rule at 99.9% reading variables.tox.upper gets the 99.9% bound, not the 95% one."""
    variables = "  variables:\n    - name: tox\n      expression: candidate.stats.tox\n"
    rules = (
        "    - id: strict\n      category: safety\n      confidence: 0.999\n"
        "      expression: variables.tox.upper <= 0.01\n"
    )
    snap = snapshot(run("candidate", columns={"rate.tox": rates(1000, 3)}))
    result = one(tmp_path, rules, snap, variables=variables)
    # 3 in 1,000: the 95% upper bound (0.0078) is under 1%, the 99.9% one (0.0113) is not
    at_95, at_999 = rate(3, 1000, 0.95).upper, rate(3, 1000, 0.999).upper
    assert at_95 is not None
    assert at_999 is not None
    assert at_95 < 0.01 < at_999
    assert result.outcome is Outcome.FAIL


def test_a_ratio_of_non_positive_group_values_is_an_error(tmp_path: Path) -> None:
    rules = (
        "    - id: parity\n      category: fairness\n"
        "      fairness: {group: g, metric: approved, min_ratio: 0.8}\n"
    )
    groups = np.array(["a", "b"] * 100)
    snap = snapshot(run("candidate", columns={"rate.approved": np.zeros(200), "group.g": groups}))
    result = one(tmp_path, rules, snap)
    assert result.outcome is Outcome.ERROR
    assert "ratio" in result.reason
    assert "undefined" in result.reason


@pytest.mark.parametrize(
    ("p", "n", "threshold", "at_most"),
    [
        (0.0, 100, 0.01, True),
        (0.0, 50, 0.05, True),
        (0.004, 500, 0.01, True),
        (0.03, 200, 0.02, True),
        (0.93, 100, 0.9, False),
    ],
)
def test_the_rate_hint_is_the_exact_figure(
    p: float, n: int, threshold: float, at_most: bool
) -> None:
    # the member the engine passes (a plain string once took another path through the search)
    needed = rate_needed(p, n, threshold, at_most, 0.95, RateMethod.CLOPPER_PEARSON)
    assert needed is not None

    # exact: at `needed` items the bound (with the rate held) clears the threshold, one fewer not
    def settles(m: int) -> bool:
        e = rate(round(p * m), m, 0.95)
        # rate() always gives both bounds (0 and 1 at the edges)
        assert e.lower is not None
        assert e.upper is not None
        if (p < threshold) == at_most:
            return (e.upper <= threshold) if at_most else (e.lower >= threshold)
        return (e.lower > threshold) if at_most else (e.upper < threshold)

    exact = next(m for m in range(n, 10 * needed + 10) if settles(m))
    assert abs(needed - exact) <= 0.25 * exact, (needed, exact)


def test_zero_events_against_a_one_percent_ceiling_needs_299_items(tmp_path: Path) -> None:
    rules = "    - id: tox\n      category: safety\n      threshold: {metric: tox, max: 0.01}\n"
    result = one(tmp_path, rules, snapshot(run("candidate", columns={"rate.tox": np.zeros(100)})))
    assert result.outcome is Outcome.INCONCLUSIVE
    assert result.samples_needed == 299  # was "about 872"


def test_fairness_rules_get_a_sample_size_hint(tmp_path: Path) -> None:
    rules = (
        "    - id: gap\n      category: fairness\n"
        "      fairness: {group: g, metric: ok, max_gap: 0.1}\n"
    )
    rng = np.random.default_rng(2)
    groups = np.array(["a", "b"] * 100)
    ok = (rng.random(200) < np.where(groups == "a", 0.8, 0.76)).astype(float)
    result = one(
        tmp_path, rules, snapshot(run("candidate", columns={"rate.ok": ok, "group.g": groups}))
    )
    assert result.outcome is Outcome.INCONCLUSIVE
    assert result.samples_needed is not None
    assert result.samples_needed > 200


@pytest.mark.parametrize("fmt", ["text", "json", "markdown", "html", "junit", "sarif", "github"])
def test_every_report_labels_an_approximate_finding(tmp_path: Path, fmt: str) -> None:
    from govgate.report import RENDERERS
    from govgate.risk.assess import assess

    rules = FLOOR.replace("min: 0.5}", "min: 0.62}") + '      message: "quality may be low"\n'
    opt_in = "  statistics:\n    means: approximate-t\n"
    ps = policy_set(tmp_path, policy(rules, statistics=opt_in))
    snap = snapshot(run("candidate", columns={"score.q": scores()}))
    decision = decide(ps, snap, stage="canary", now=NOW)
    assert decision.rules[0].outcome is not Outcome.PASS
    assert APPROXIMATE_LABEL in RENDERERS[fmt](decision, assess(decision))
