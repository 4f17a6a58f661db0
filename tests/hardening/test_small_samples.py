"""A handful of items never passes a rule: below a minimum n every statistic is unbounded.

A t or bootstrap bound on 2-3 identical scores has zero width, so a mean or paired rule passed on
three items. Every statistic now has a floor (``stats.bounds.MIN_ITEMS``: 10 scored items, pairs
or items per side, for the valid methods; ``MIN_ITEMS_APPROXIMATE``: 30 for the approximate
ones); below it the bounds are absent and the rule is inconclusive, saying why.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from govgate.gate.engine import decide
from govgate.stats.bounds import MIN_ITEMS, MIN_ITEMS_APPROXIMATE, ValueRange, mean, quantile, rate
from govgate.terms import MeanMethod, Outcome, RateMethod, Verdict
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
T_MEANS = "  statistics:\n    means: approximate-t\n"
BOOT_MEANS = "  statistics:\n    means: approximate-bootstrap\n"
WILSON = "  statistics:\n    rates: approximate-wilson\n"
BETTING = "  statistics:\n    ranges: {quality: [0, 1]}\n"


def _rule(form: str) -> str:
    return f"    - id: r\n      category: quality\n      {form}\n"


CASES = {
    # (statistics block, rule form, candidate columns, baseline columns or None, floor)
    "mean, approximate-t, 3 items": (
        T_MEANS, "threshold: {metric: quality, min: 0.5}",
        {"score.quality": np.full(3, 0.9)}, None, MIN_ITEMS_APPROXIMATE,
    ),
    "mean, approximate-bootstrap, 2 items": (
        BOOT_MEANS, "threshold: {metric: quality, min: 0.5}",
        {"score.quality": np.array([0.9, 0.95])}, None, MIN_ITEMS_APPROXIMATE,
    ),
    "mean, approximate-t, 29 items": (
        T_MEANS, "threshold: {metric: quality, min: 0.5}",
        {"score.quality": np.full(29, 0.9)}, None, MIN_ITEMS_APPROXIMATE,
    ),
    "paired scores, approximate-t, 3 pairs": (
        T_MEANS, "relative: {metric: quality, direction: higher_is_better, margin: 0.05}",
        {"score.quality": np.full(3, 0.9)}, {"score.quality": np.full(3, 0.9)},
        MIN_ITEMS_APPROXIMATE,
    ),
    "rate, approximate-wilson, 20 items": (
        WILSON, "threshold: {metric: tox, max: 0.3}",
        {"rate.tox": rates(20, 0)}, None, MIN_ITEMS_APPROXIMATE,
    ),
    "rate, clopper-pearson, 6 items": (
        "", "threshold: {metric: tox, max: 0.45}",
        {"rate.tox": rates(6, 0)}, None, MIN_ITEMS,
    ),
    "mean, betting, 9 items": (
        BETTING, "threshold: {metric: quality, min: 0.05}",
        {"score.quality": np.full(9, 1.0)}, None, MIN_ITEMS,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_handful_of_items_never_passes_a_rule(tmp_path: Path, case: str) -> None:
    statistics, form, cand, base, floor = CASES[case]
    n = len(next(iter(cand.values())))
    baseline = run("baseline", columns=base) if base is not None else None
    snap = snapshot(run("candidate", columns=cand), baseline)
    policies = policy_set(tmp_path, policy(_rule(form), statistics=statistics))
    decision = decide(policies, snap, stage="canary", now=NOW)
    (rule,) = decision.rules
    assert rule.outcome is Outcome.INCONCLUSIVE, rule.reason
    assert f"n={n} is below the {floor} scored items govgate requires" in rule.reason
    assert decision.verdict is not Verdict.PASS


@pytest.mark.parametrize(
    ("method", "floor"), [(MeanMethod.BETTING, MIN_ITEMS), (MeanMethod.APPROXIMATE_T, 30)]
)
def test_a_mean_is_bounded_from_the_floor_on(method: MeanMethod, floor: int) -> None:
    unit = ValueRange(0.0, 1.0, "test")
    rng = np.random.default_rng(5)
    below = mean(rng.random(floor - 1), 0.95, method, value_range=unit)
    at = mean(rng.random(floor), 0.95, method, value_range=unit)
    assert (below.lower, below.upper) == (None, None)
    assert below.note is not None
    assert f"n={floor - 1}" in below.note
    assert at.lower is not None
    assert at.upper is not None
    assert at.note is None


def test_rates_and_quantiles_have_the_floor_too() -> None:
    assert rate(0, MIN_ITEMS - 1, 0.95).upper is None
    assert rate(0, MIN_ITEMS, 0.95).upper is not None
    assert rate(0, 29, 0.95, RateMethod.APPROXIMATE_JEFFREYS).upper is None
    assert rate(0, 30, 0.95, RateMethod.APPROXIMATE_JEFFREYS).upper is not None
    values = np.arange(MIN_ITEMS, dtype=float)
    assert quantile(values[:-1], 0.5, 0.9).upper is None
    assert quantile(values, 0.5, 0.9).upper is not None


def test_a_point_value_on_a_handful_of_items_never_passes(tmp_path: Path) -> None:
    """`stats.X.value` and `compare.X.delta` are no bounds, but a rule reading them on fewer
    items than the floor is inconclusive too (it passed on 3 items)."""
    rules = (
        '    - id: point\n      category: safety\n      expression: "candidate.stats.tox.value'
        ' <= 0.01"\n'
    )
    snap = snapshot(run("candidate", columns={"rate.tox": rates(3, 0)}))
    decision = decide(policy_set(tmp_path, policy(rules)), snap, stage="canary", now=NOW)
    (rule,) = decision.rules
    assert rule.outcome is Outcome.INCONCLUSIVE, rule.reason
    assert "the expression holds, but on fewer items than govgate bounds any statistic" in (
        rule.reason
    )
    assert "n=3 is below the 10 scored items" in rule.reason


def test_a_compare_of_rates_with_a_side_below_the_floor_is_inconclusive(tmp_path: Path) -> None:
    """Fewer than 10 shared ids take the unpaired path, whose per-side bounds are absent below
    the floor: that was an internal error (an assertion)."""
    form = "relative: {metric: tox, direction: lower_is_better, margin: 0.05}"
    cand = run("candidate", columns={"rate.tox": rates(5, 0)})
    base = run("baseline", columns={"rate.tox": rates(500, 5)}, run_id="d" * 32)
    decision = decide(policy_set(tmp_path, policy(_rule(form))), snapshot(cand, base),
                      stage="canary", now=NOW)  # fmt: skip
    (rule,) = decision.rules
    assert rule.outcome is Outcome.INCONCLUSIVE, rule.reason
    assert "n=5 is below the 10 scored items govgate requires for any bound (per side)" in (
        rule.reason
    )


def test_a_group_with_no_scored_item_is_a_small_group_never_left_out(tmp_path: Path) -> None:
    """Every fr item unscored made fr vanish from the analysis and the rule pass; one fr item
    scored made it a gap. Now both are gaps naming fr."""
    n = 2000
    acc = np.ones(n)
    lang = np.array(["en", "de", "fr", "en", "de"] * (n // 5))
    for scored_fr in (0, 1):
        (tmp_path / str(scored_fr)).mkdir()
        values = acc.copy()
        fr = np.flatnonzero(lang == "fr")
        values[fr[scored_fr:]] = np.nan
        columns = {"rate.accuracy": values, "group.language": lang}
        rules = (
            "    - id: fair\n      category: fairness\n"
            "      fairness: {group: language, metric: accuracy, max_gap: 0.05}\n"
        )
        decision = decide(policy_set(tmp_path / str(scored_fr), policy(rules)),
                          snapshot(run("candidate", columns=columns)),
                          stage="canary", now=NOW)  # fmt: skip
        (rule,) = decision.rules
        assert rule.outcome is Outcome.GAP, (scored_fr, rule.reason)
        assert "groups of 'language' below 30 scored items: fr" in rule.reason
