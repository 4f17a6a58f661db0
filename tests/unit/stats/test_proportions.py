"""Score bounds for two proportions and for paired 0/1 outcomes: the statistics against
statsmodels, and the level of every bound the gate decides on by exact enumeration."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special
from scipy import stats as sps
from statsmodels.stats.proportion import score_test_proportions_2indep

from govgate.stats.compare import paired_binary
from govgate.stats.fairness import by_group
from govgate.stats.proportions import (
    diff_upper,
    diff_z,
    paired_lower,
    ratio_lower,
    ratio_z,
    tango_z,
)

Z95 = float(sps.norm.ppf(0.95))


def _constrained_diff_z(x1: int, n1: int, x2: int, n2: int, d: float) -> float:
    """The Miettinen-Nurminen statistic from a brute-force maximisation of the restricted
    likelihood (statsmodels 0.15 is not a reference here: its cubic has a wrong coefficient,
    statsmodels issue 10269)."""
    from scipy.optimize import minimize_scalar

    def nll(p2: float) -> float:
        p1 = p2 + d
        return float(
            -(
                x1 * np.log(p1)
                + (n1 - x1) * np.log(1 - p1)
                + x2 * np.log(p2)
                + (n2 - x2) * np.log(1 - p2)
            )
        )

    lo, hi = max(0.0, -d) + 1e-12, min(1.0, 1.0 - d) - 1e-12
    p2 = minimize_scalar(nll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-13}).x
    p1, n = p2 + d, n1 + n2
    var = (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * n / (n - 1)
    return float((x1 / n1 - x2 / n2 - d) / np.sqrt(var))


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "value"),
    [
        (30, 100, 45, 120, 0.05),
        (7, 40, 19, 60, -0.1),
        (200, 400, 190, 400, 0.1),
        (3, 50, 9, 80, 0.2),
        (4200, 5000, 30, 500, 0.8),  # a large gap: where the wrong coefficient mattered most
    ],
)
def test_difference_statistic_uses_the_constrained_maximum_likelihood(
    x1: int, n1: int, x2: int, n2: int, value: float
) -> None:
    ours = float(diff_z(np.array([x1]), n1, np.array([x2]), n2, value)[0])
    assert ours == pytest.approx(_constrained_diff_z(x1, n1, x2, n2, value), rel=1e-6)


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2", "value"),
    [(30, 100, 45, 120, 0.8), (7, 40, 19, 60, 0.5), (200, 400, 190, 400, 0.9), (3, 50, 9, 80, 1.3)],
)
def test_ratio_statistic_matches_statsmodels(
    x1: int, n1: int, x2: int, n2: int, value: float
) -> None:
    ours = float(ratio_z(np.array([x1]), n1, np.array([x2]), n2, value)[0])
    theirs = score_test_proportions_2indep(x1, n1, x2, n2, value=value, compare="ratio")
    assert ours == pytest.approx(theirs.statistic, rel=1e-9)


def test_tango_statistic_uses_the_constrained_maximum_likelihood() -> None:
    """The closed form against a numerical maximisation of the trinomial likelihood."""
    from scipy.optimize import minimize_scalar

    up, down, n, delta = 14, 31, 300, -0.03

    def nll(p01: float) -> float:
        p10 = p01 + delta
        return float(
            -(up * np.log(p10) + down * np.log(p01) + (n - up - down) * np.log(1 - p10 - p01))
        )

    p01 = minimize_scalar(nll, bounds=(-delta + 1e-9, (1 - delta) / 2 - 1e-9), method="bounded").x
    expected = (up - down - n * delta) / np.sqrt(n * (2 * p01 + delta * (1 - delta)))
    assert float(tango_z(np.array([up]), np.array([down]), n, delta)[0]) == pytest.approx(
        expected, rel=1e-5
    )


def test_bounds_are_the_inverted_tests() -> None:
    lo = ratio_lower(180, 400, 200, 400, 0.95)
    assert float(ratio_z(np.array([180]), 400, np.array([200]), 400, lo, 0.5)[0]) >= Z95 - 1e-6
    up = diff_upper(180, 400, 200, 400, 0.95)
    assert float(diff_z(np.array([180]), 400, np.array([200]), 400, up, 0.5)[0]) <= -Z95 + 1e-6


def pair_passes(
    x1: np.ndarray, n1: int, x2: np.ndarray, n2: int, r: float, kind: str
) -> np.ndarray:
    """Whether the gate's pass-side bound for one pair clears the threshold, for every outcome
    (x1, x2): the score bound, or Clopper-Pearson + Bonferroni when a group has few events."""
    from govgate.stats.proportions import MIN_EVENTS, TWO_GROUP_CORRECTION

    few = np.minimum(np.minimum(x1, n1 - x1), np.minimum(x2, n2 - x2)) < MIN_EVENTS
    with np.errstate(all="ignore"):
        l1 = np.where(x1 > 0, sps.beta.ppf(0.025, np.maximum(x1, 1e-9), n1 - x1 + 1), 0.0)
        u1 = np.where(x1 < n1, sps.beta.ppf(0.975, x1 + 1, np.maximum(n1 - x1, 1e-9)), 1.0)
        l2 = np.where(x2 > 0, sps.beta.ppf(0.025, np.maximum(x2, 1e-9), n2 - x2 + 1), 0.0)
        u2 = np.where(x2 < n2, sps.beta.ppf(0.975, x2 + 1, np.maximum(n2 - x2, 1e-9)), 1.0)
    if kind == "ratio":  # pass: lower bound of p1 / p2 >= r
        score = ratio_z(x1, n1, x2, n2, r, TWO_GROUP_CORRECTION) >= Z95
        return np.where(few, l1 / np.maximum(u2, 1e-300) >= r, score)
    score = diff_z(x1, n1, x2, n2, r, TWO_GROUP_CORRECTION) <= -Z95  # pass: p1 - p2 <= g
    return np.where(few, u1 - l2 <= r, score)


@pytest.mark.parametrize(
    ("n1", "n2", "p2", "g"),
    [
        (5000, 500, 0.05, 0.8),
        (2000, 2000, 0.1, 0.5),
        (2000, 2000, 0.05, 0.3),
        (500, 5000, 0.1, 0.6),
    ],
)
def test_large_gaps_between_large_groups_stay_at_level(
    n1: int, n2: int, p2: float, g: float
) -> None:
    """The cells an independent review found at up to 9.5% with the wrong cubic coefficient."""
    x1 = np.arange(n1 + 1)[:, None]
    x2 = np.arange(n2 + 1)[None, :]
    prob = sps.binom.pmf(x1, n1, p2 + g) * sps.binom.pmf(x2, n2, p2)
    assert float((prob * pair_passes(x1, n1, x2, n2, g, "diff")).sum()) <= 0.05


@pytest.mark.parametrize(("n1", "n2"), [(30, 30), (30, 100), (100, 400), (400, 400), (50, 1000)])
def test_two_group_bounds_never_exceed_the_level_by_enumeration(n1: int, n2: int) -> None:
    """At the boundary (true ratio = r, true gap = g), over rates from 0.5% to 98%."""
    x1 = np.arange(n1 + 1)[:, None]
    x2 = np.arange(n2 + 1)[None, :]
    worst = 0.0
    for p2 in (0.005, 0.02, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 0.98):
        for r in (0.5, 0.8, 0.9, 0.95):
            prob = sps.binom.pmf(x1, n1, r * p2) * sps.binom.pmf(x2, n2, p2)
            worst = max(worst, float((prob * pair_passes(x1, n1, x2, n2, r, "ratio")).sum()))
        for g in (0.02, 0.05, 0.1):
            if p2 + g <= 1:
                prob = sps.binom.pmf(x1, n1, p2 + g) * sps.binom.pmf(x2, n2, p2)
                worst = max(worst, float((prob * pair_passes(x1, n1, x2, n2, g, "diff")).sum()))
    assert worst <= 0.05, worst


def trinomial(b: np.ndarray, c: np.ndarray, n: int, p10: float, p01: float) -> np.ndarray:
    """P(b pairs up, c pairs down) over n pairs, for every (b, c) (0 where b + c > n)."""
    rest = n - b - c
    with np.errstate(all="ignore"):
        log = (
            special.gammaln(n + 1)
            - special.gammaln(b + 1)
            - special.gammaln(c + 1)
            - special.gammaln(rest + 1)
            + special.xlogy(b, p10)
            + special.xlogy(c, p01)
            + special.xlogy(rest, 1 - p10 - p01)
        )
    return np.where(rest >= 0, np.exp(log), 0.0)


def paired_passes(b: np.ndarray, c: np.ndarray, n: int, d: float, conf: float = 0.95) -> np.ndarray:
    """Whether the gate's paired lower bound reaches ``d``, for every outcome (b up, c down):
    Tango's corrected score bound, or exact bounds of both rates with few pairs of a kind."""
    from govgate.stats.proportions import MIN_EVENTS, PAIRED_CORRECTION

    z = float(sps.norm.ppf(conf))
    few = np.minimum(np.minimum(b, c), n - b - c) < MIN_EVENTS
    a = (1 - conf) / 2
    with np.errstate(all="ignore"):
        up_lo = np.where(b > 0, sps.beta.ppf(a, np.maximum(b, 1e-9), n - b + 1), 0.0)
        down_hi = np.where(c < n, sps.beta.ppf(1 - a, c + 1, np.maximum(n - c, 1e-9)), 1.0)
    return np.where(few, up_lo - down_hi >= d, tango_z(b, c, n, d, PAIRED_CORRECTION) >= z)


@pytest.mark.parametrize("n", [20, 30, 100, 300, 1000])
def test_paired_bound_never_exceeds_the_level_by_enumeration(n: int) -> None:
    """True delta exactly at -margin, discordance from 0.5% to 100%: every outcome enumerated."""
    b = np.arange(n + 1)[:, None]
    c = np.arange(n + 1)[None, :]
    worst = 0.0
    for q in (0.005, 0.01, 0.03, 0.05, 0.1, 0.2, 0.35, 0.5, 0.8, 0.99, 1.0):
        for m in (0.01, 0.02, 0.05, 0.1):
            if m >= q:
                continue
            prob = trinomial(b, c, n, (q - m) / 2, (q + m) / 2)
            worst = max(worst, float((prob * paired_passes(b, c, n, -m)).sum()))
    assert worst <= 0.05, worst


@pytest.mark.parametrize(
    ("n", "p10", "p01", "conf"),
    [
        (50, 0.1, 0.0, 0.95),  # improvements only: was 5.8%
        (2000, 0.01, 0.0, 0.95),  # was 5.2%
        (500, 0.01, 0.002, 0.95),  # rare regressions: was 5.4%
        (100, 0.05, 0.002, 0.95),  # was 5.3%
        (20, 0.5025, 0.4975, 0.95),  # every pair discordant: was 6.0%
        (20, 0.49, 0.51, 0.9),  # at 90%: was 11.3%
    ],
)
def test_the_cells_an_independent_review_found_above_level(
    n: int, p10: float, p01: float, conf: float
) -> None:
    b = np.arange(n + 1)[:, None]
    c = np.arange(n + 1)[None, :]
    prob = trinomial(b, c, n, p10, p01)
    assert float((prob * paired_passes(b, c, n, p10 - p01, conf)).sum()) <= 1 - conf


def test_the_gate_uses_the_enumerated_rule() -> None:
    """paired_lower agrees with the predicate the enumerations use, on both branches."""
    for up, down, n in [(40, 55, 1500), (6, 0, 50), (3, 9, 200), (10, 10, 20), (12, 7, 20)]:
        lower = paired_lower(up, down, n, 0.95)
        b, c = np.array([up]), np.array([down])
        assert bool(paired_passes(b, c, n, lower - 1e-9)[0])
        assert not bool(paired_passes(b, c, n, lower + 1e-6)[0])


def test_paired_bound_is_the_inverted_test() -> None:
    lower = paired_lower(40, 55, 1500, 0.95)
    assert float(tango_z(np.array([40]), np.array([55]), 1500, lower, 0.5)[0]) >= Z95 - 1e-6
    assert paired_binary(
        np.r_[np.ones(40), np.zeros(55), np.ones(700), np.zeros(705)],
        np.r_[np.zeros(40), np.ones(55), np.ones(700), np.zeros(705)],
        0.95,
    ).delta_lower == pytest.approx(lower)


def test_paired_non_inferiority_blocks_about_as_often_as_an_unadjusted_test() -> None:
    """1,500 items, true delta 0, 10% discordant pairs, 2-point margin: the exact block rate is
    within 1.25x of the uncorrected score test's (which is not valid: it exceeds 5%)."""
    n, q = 1500, 0.1
    b = np.arange(n + 1)[:, None]
    c = np.arange(n + 1)[None, :]
    prob = trinomial(b, c, n, q / 2, q / 2)
    ours = 1 - float((prob * (tango_z(b, c, n, -0.02, 0.5) >= Z95)).sum())
    plain = 1 - float((prob * (tango_z(b, c, n, -0.02, 0.0) >= Z95)).sum())
    assert ours <= 1.25 * plain, (ours, plain)
    assert ours < 0.3  # the Bonferroni construction it replaces blocked about 60%


def test_four_fifths_at_a_true_ratio_of_095_mostly_passes() -> None:
    """Two groups of 400 at 47.5% and 50%: exact pass probability of the ratio rule."""
    x1 = np.arange(401)[:, None]
    x2 = np.arange(401)[None, :]
    prob = sps.binom.pmf(x1, 400, 0.475) * sps.binom.pmf(x2, 400, 0.5)
    passes = float((prob * pair_passes(x1, 400, x2, 400, 0.8, "ratio")).sum())
    assert passes > 0.7, passes  # the earlier Bonferroni bounds passed it 0% of the time


def test_fairness_pass_bounds_are_the_worst_pair() -> None:
    rng = np.random.default_rng(3)
    codes = np.repeat(np.arange(3, dtype=np.int32), [300, 500, 400])
    rates = np.array([0.4, 0.5, 0.45])[codes]
    values = (rng.random(codes.size) < rates).astype(float)
    f = by_group(values, codes, ("a", "b", "c"), binary=True, confidence=0.95)
    counts = [(int(values[codes == g].sum()), int((codes == g).sum())) for g in range(3)]
    pairs = [(i, j) for i in range(3) for j in range(3) if i != j]
    assert f.min_ratio_lower == pytest.approx(
        min(ratio_lower(*counts[i], *counts[j], 0.95) for i, j in pairs)
    )
    assert f.max_gap_upper == pytest.approx(
        max(diff_upper(*counts[i], *counts[j], 0.95) for i, j in pairs)
    )
