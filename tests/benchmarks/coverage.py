"""The coverage study: does every bound the gate decides on keep its promise, and at what price?

    .venv/bin/python -m tests.benchmarks.coverage [--write] [--quick]

For every method x distribution x n cell it reports the worst **false-pass** probability with
the truth exactly at the threshold (the worst case of the guarantee ``P(pass | breach) <= 1 -
confidence``): by exact enumeration where the outcome space allows (rates, percentiles, paired
0/1, two-group rates), by seeded Monte Carlo with its standard error elsewhere. Beside it, the
**block rate on a safe release** (the truth a fixed distance inside the threshold) for the
gate's method and for the best valid alternative we know, and for an unadjusted method that is
*not* valid (t, uncorrected score tests) as the yardstick of what validity costs.

Methods the gate labels approximate (Wilson, Jeffreys, t, bootstrap, Welch) are in the table
too, marked ``approx``: they are opt-ins, and this is how far they miss. ``--write`` records the
table in docs/coverage.md (the statistics guide, docs/statistics.md, summarises it). Runs in
about 10 minutes on 2 cores (``--quick``: a smaller grid and fewer draws, about 1 minute).
Not part of the test run: the exact-enumeration checks of the same methods are unit tests
(tests/unit/stats/).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import stats as sps

from govgate.stats import betting
from govgate.stats.bounds import ValueRange, mean, quantile, rate
from govgate.stats.compare import unpaired_binary, unpaired_scores
from govgate.stats.fairness import by_group
from govgate.stats.proportions import tango_z
from govgate.terms import MeanMethod, RateMethod
from tests.benchmarks.common import ROOT

ALPHA = 0.05
CONF = 1 - ALPHA
Z = float(sps.norm.ppf(CONF))


@dataclass
class Cell:
    family: str
    method: str
    case: str
    n: str
    false_pass: float
    se: float | None  # None: exact enumeration
    block: float | None = None  # block rate on a safe release, gate's method
    block_best: float | None = None  # the best valid alternative (named in `versus`)
    block_invalid: float | None = None  # an unadjusted, not-valid yardstick
    versus: str = ""
    approx: bool = False

    @property
    def ok(self) -> bool:
        if self.approx:
            return True  # reported, not promised
        slack = 2 * self.se if self.se is not None else 1e-9
        return self.false_pass <= ALPHA + slack


def _seed(*parts: object) -> int:
    """A seed from the cell's name: the same draws on every run (Python's hash is salted)."""
    return int.from_bytes(hashlib.sha256(repr(parts).encode()).digest()[:8], "big")


def _mc(hits: int, draws: int) -> tuple[float, float]:
    p = hits / draws
    return p, math.sqrt(max(p * (1 - p), 1.0 / draws) / draws)


# -- rates and percentiles: exact ------------------------------------------------------------


def rates(ns: list[int]) -> list[Cell]:
    cells = []
    grid = np.unique(np.concatenate([np.geomspace(0.001, 0.5, 60)]))
    for method in (
        RateMethod.CLOPPER_PEARSON,
        RateMethod.APPROXIMATE_WILSON,
        RateMethod.APPROXIMATE_JEFFREYS,
    ):
        for n in ns:
            k = np.arange(n + 1)
            up = np.array([rate(int(i), n, CONF, method).upper for i in k], dtype=float)
            worst, where = 0.0, 0.0
            for p in grid:  # a ceiling T = p: passes when upper <= T although the rate is T
                fp = float(sps.binom.pmf(k, n, p)[up <= p].sum())
                if fp > worst:
                    worst, where = fp, float(p)
            cells.append(
                Cell(
                    "rate",
                    method,
                    f"p in [0.001, 0.5] (worst at {where:.4f})",
                    f"{n:,}",
                    worst,
                    None,
                    versus="CP is the exact test: it is the reference",
                    approx=method != "clopper-pearson",
                )
            )
    return cells


def percentiles(ns: list[int]) -> list[Cell]:
    cells = []
    for n in ns:
        e = quantile(np.arange(n, dtype=float), 0.95, CONF)
        if e.upper is None:  # no upper bound at this n: the rule never passes
            fp, how = 0.0, "no upper bound at this n: never passes"
        else:  # x_(u) < true q95 <=> fewer than u items below it: P(Bin(n, .95) >= u)
            u = int(e.upper) + 1
            fp, how = float(sps.binom.sf(u - 1, n, 0.95)), "distribution-free, exact"
        cells.append(
            Cell(
                "percentile",
                "order-statistic",
                "p95, any continuous",
                f"{n:,}",
                fp,
                None,
                versus=how,
            )
        )
    return cells


# -- means: Monte Carlo ------------------------------------------------------------------------


def _clip(x: np.ndarray, hi: float) -> np.ndarray:
    clipped: np.ndarray = np.minimum(x, hi)  # numpy types ufunc results as Any
    return clipped


#: name -> (sampler(rng, n), range): continuous and discrete shapes inside a declared range
DISTRIBUTIONS: dict[
    str, tuple[Callable[[np.random.Generator, int], np.ndarray], tuple[float, float]]
] = {
    "normal(0.6, 0.15) in [0,1]": (lambda r, n: np.clip(r.normal(0.6, 0.15, n), 0, 1), (0, 1)),
    "uniform [0,1]": (lambda r, n: r.random(n), (0, 1)),
    "beta(8,2)": (lambda r, n: r.beta(8, 2, n), (0, 1)),
    "0/1 score, p=0.05": (lambda r, n: (r.random(n) < 0.05).astype(float), (0, 1)),
    "lognormal(0,1) capped at 50": (lambda r, n: _clip(r.lognormal(0, 1, n), 50), (0, 50)),
    "lognormal(0,1.5) capped at 200": (lambda r, n: _clip(r.lognormal(0, 1.5, n), 200), (0, 200)),
    "pareto(2.5) capped at 100": (lambda r, n: _clip(r.pareto(2.5, n) + 1, 100), (0, 100)),
    "90% zeros, else lognormal, cap 50": (
        lambda r, n: np.where(r.random(n) < 0.9, 0.0, _clip(r.lognormal(0, 1, n), 50)),
        (0, 50),
    ),
}


def _truth(sampler: Callable[[np.random.Generator, int], np.ndarray]) -> tuple[float, float]:
    x = sampler(np.random.default_rng(99), 4_000_000)
    return float(x.mean()), float(x.std())


def _eb_upper(x: np.ndarray, lo: float, hi: float) -> float:
    """Maurer and Pontil's empirical Bernstein bound (valid, symmetric): the alternative."""
    y = (x - lo) / (hi - lo)
    n = y.size
    log = math.log(2 / ALPHA)
    u = y.mean() + math.sqrt(2 * y.var(ddof=1) * log / n) + 7 * log / (3 * (n - 1))
    bound: float = lo + (hi - lo) * min(1.0, u)  # numpy types the mean of an array as Any
    return bound


def means(ns: list[int], draws: int) -> list[Cell]:
    cells = []
    for name, (sampler, (lo, hi)) in DISTRIBUTIONS.items():
        mu, sd = _truth(sampler)
        vr = ValueRange(lo, hi, "study")
        for n in ns:
            d = draws if n <= 1000 else max(200, draws // 5)
            rng = np.random.default_rng(_seed(name, n))
            hits = {"betting": 0, "approximate-t": 0, "approximate-bootstrap": 0}
            boot_draws = min(d, 400) if n <= 1000 else 0
            safe = {"betting": 0, "eb": 0, "t": 0}
            shift = 3 * sd / math.sqrt(n)  # a safe release: the truth 3 standard errors inside
            for i in range(d):
                x = sampler(rng, n)
                # a ceiling at the true mean (upper bound decides) and a floor (lower bound)
                e = mean(x, CONF, value_range=vr)
                hits["betting"] += (e.upper is not None and e.upper <= mu) + (
                    e.lower is not None and e.lower >= mu
                )
                t = mean(x, CONF, MeanMethod.APPROXIMATE_T)
                assert t.lower is not None  # t bounds exist for n >= 2 (every n here)
                assert t.upper is not None
                hits["approximate-t"] += (t.upper <= mu) + (t.lower >= mu)
                if i < boot_draws:
                    b = mean(x, CONF, MeanMethod.APPROXIMATE_BOOTSTRAP)
                    assert b.lower is not None  # bootstrap bounds exist for n >= 2
                    assert b.upper is not None
                    hits["approximate-bootstrap"] += (b.upper <= mu) + (b.lower >= mu)
                # block rate of a ceiling at mu + shift (safe: the truth is mu)
                safe["betting"] += not (e.upper is not None and e.upper <= mu + shift)
                safe["eb"] += not (_eb_upper(x, lo, hi) <= mu + shift)
                safe["t"] += not (t.upper <= mu + shift)
            for method, h in hits.items():
                count = boot_draws if method == "approximate-bootstrap" else d
                if count == 0:
                    continue
                fp, se = _mc(h, 2 * count)  # each draw tests a ceiling and a floor
                cell = Cell("mean", method, name, f"{n:,}", fp, se, approx=method != "betting")
                if method == "betting":
                    cell.block, cell.block_best = safe["betting"] / d, safe["eb"] / d
                    cell.block_invalid = safe["t"] / d
                    cell.versus = "empirical Bernstein (valid); t (not valid)"
                cells.append(cell)
    return cells


# -- paired ----------------------------------------------------------------------------------


def _trinomial(n: int, p10: float, p01: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    from tests.unit.stats.test_proportions import trinomial

    b = np.arange(n + 1)[:, None]
    c = np.arange(n + 1)[None, :]
    return b, c, trinomial(b, c, n, p10, p01)


def _old_paired_passes(b: np.ndarray, c: np.ndarray, n: int, d: float) -> np.ndarray:
    """The construction the gate used before: exact bounds of both discordance rates at
    1 - alpha/2, combined (valid, and much wider)."""
    with np.errstate(all="ignore"):
        lo_up = np.where(b > 0, sps.beta.ppf(ALPHA / 2, np.maximum(b, 1e-9), n - b + 1), 0.0)
        hi_down = np.where(c < n, sps.beta.ppf(1 - ALPHA / 2, c + 1, np.maximum(n - c, 1e-9)), 1.0)
    return np.asarray(lo_up - hi_down >= d)


def paired_binary_cells(ns: list[int]) -> list[Cell]:
    from tests.unit.stats.test_proportions import paired_passes  # the gate's rule, vectorised

    cells = []
    m = 0.02
    for n in ns:
        # (share of discordant pairs, true delta of the safe release)
        for q, safe in ((0.03, 0.0), (0.1, 0.0), (0.3, 0.0), (0.1, -0.01)):
            b, c, prob = _trinomial(n, (q - m) / 2, (q + m) / 2)  # the truth at the margin
            fp = float((prob * paired_passes(b, c, n, -m)).sum())
            _, _, ok = _trinomial(n, (q + safe) / 2, (q - safe) / 2)
            ours = 1 - float((ok * paired_passes(b, c, n, -m)).sum())
            plain = 1 - float((ok * (tango_z(b, c, n, -m, 0.0) >= Z)).sum())
            old = 1 - float((ok * _old_paired_passes(b, c, n, -m)).sum())
            cells.append(
                Cell(
                    "paired 0/1",
                    "tango score, continuity-corrected",
                    f"margin 2 pts, {q:.0%} discordant, delta {safe * 100:g} pt when safe",
                    f"{n:,}",
                    fp,
                    None,
                    block=ours,
                    block_best=old,
                    block_invalid=plain,
                    versus="bonferroni clopper-pearson (valid, the old method); "
                    "uncorrected tango (not valid)",
                )
            )
    # the shapes an independent review found above level before the few-pairs fallback
    for n, p10, p01, case in (
        (50, 0.1, 0.0, "improvements only"),
        (2000, 0.01, 0.0, "improvements only"),
        (500, 0.01, 0.002, "rare regressions"),
        (20, 0.5025, 0.4975, "every pair discordant"),
    ):
        b, c, prob = _trinomial(n, p10, p01)
        fp = float((prob * paired_passes(b, c, n, p10 - p01)).sum())
        cells.append(
            Cell(
                "paired 0/1",
                "tango score, continuity-corrected",
                f"{case}: truth at the bound",
                f"{n:,}",
                fp,
                None,
            )
        )
    return cells


def paired_scores_cells(ns: list[int], draws: int) -> list[Cell]:
    cells = []
    cases: dict[str, Callable[[np.random.Generator, int], np.ndarray]] = {
        "3% of items regress by 2/3, rest identical": lambda r, n: np.where(
            r.random(n) < 0.03, -2 / 3, 0.0
        ),
        "diffuse: N(-0.02, 0.15) per item, in [-1,1]": lambda r, n: np.clip(
            r.normal(-0.02, 0.15, n), -1, 1
        ),
    }
    for name, sampler in cases.items():
        mu, sd = _truth(sampler)
        for n in ns:
            d = draws if n <= 1000 else max(200, draws // 5)
            rng = np.random.default_rng(_seed(name, n))
            hits = hits_t = blocks = blocks_t = 0
            shift = 3 * sd / math.sqrt(n)
            for _ in range(d):
                x = sampler(rng, n)
                lower = betting.mean_bounds(x, -1, 1, ALPHA)[0]
                hits += lower is not None and lower >= mu  # margin exactly at the truth
                t = mean(x, CONF, MeanMethod.APPROXIMATE_T)
                assert t.lower is not None  # t bounds exist for n >= 2 (every n here)
                hits_t += t.lower >= mu
                blocks += not (lower is not None and lower >= mu - shift)
                blocks_t += not (t.lower >= mu - shift)
            fp, se = _mc(hits, d)
            cells.append(
                Cell(
                    "paired scores",
                    "betting on differences",
                    name,
                    f"{n:,}",
                    fp,
                    se,
                    block=blocks / d,
                    block_invalid=blocks_t / d,
                    versus="paired t (not valid)",
                )
            )
            fpt, set_ = _mc(hits_t, d)
            cells.append(
                Cell("paired scores", "approximate-t", name, f"{n:,}", fpt, set_, approx=True)
            )
    return cells


def unpaired_cells(ns: list[int], draws: int) -> list[Cell]:
    cells = []
    sampler, (lo, hi) = DISTRIBUTIONS["lognormal(0,1) capped at 50"]
    vr = ValueRange(lo, hi, "study")
    for n in ns:
        d = min(draws, 1000)
        rng = np.random.default_rng(n)
        hits = hits_w = hits_b = 0
        for _ in range(d):
            c, b = sampler(rng, n), sampler(rng, n)  # same distribution: true delta 0
            cmp = unpaired_scores(c, b, CONF, ranges=(vr, vr))
            hits += cmp.delta_lower is not None and cmp.delta_lower >= 0.0
            w = unpaired_scores(c, b, CONF, method=MeanMethod.APPROXIMATE_T)
            hits_w += w.delta_lower is not None and w.delta_lower >= 0.0
            cb, bb = (rng.random(n) < 0.05).astype(float), (rng.random(n) < 0.05).astype(float)
            ub = unpaired_binary(cb, bb, CONF)
            hits_b += ub.delta_lower is not None and ub.delta_lower >= 0.0
        for method, h, approx, case in (
            (
                "betting each side, bonferroni",
                hits,
                False,
                "lognormal(0,1) capped at 50, both sides",
            ),
            ("approximate welch", hits_w, True, "lognormal(0,1) capped at 50, both sides"),
            ("clopper-pearson each side, bonferroni", hits_b, False, "0/1, p = 0.05 both sides"),
        ):
            fp, se = _mc(h, d)
            cells.append(Cell("unpaired", method, case, f"{n:,} + {n:,}", fp, se, approx=approx))
    return cells


# -- fairness ----------------------------------------------------------------------------------


def fairness_cells(groups: list[int], draws: int) -> list[Cell]:
    cells = []
    for g in groups:
        sizes = np.array([200 + 150 * i for i in range(g)])  # unequal sizes
        codes = np.repeat(np.arange(g, dtype=np.int32), sizes)
        cats = tuple(f"g{i}" for i in range(g))
        for rule, worst_rate in (("min_ratio 0.8", 0.5 * 0.8), ("max_gap 0.05", 0.5 - 0.05)):
            rng = np.random.default_rng(g * 7 + len(rule))
            hits = 0
            for _ in range(draws):
                p = np.full(g, 0.5)
                p[0] = worst_rate  # the smallest group sits exactly at the boundary
                values = (rng.random(codes.size) < p[codes]).astype(float)
                f = by_group(values, codes, cats, binary=True, confidence=CONF)
                if rule.startswith("min_ratio"):
                    hits += f.min_ratio_lower is not None and f.min_ratio_lower >= 0.8
                else:
                    hits += f.max_gap_upper is not None and f.max_gap_upper <= 0.05
            fp, se = _mc(hits, draws)
            cells.append(
                Cell(
                    "fairness",
                    "pairwise score bounds, intersection-union",
                    f"{rule}, rates 0.5, worst group at the boundary",
                    f"{g} groups, {sizes.min()}-{sizes.max()} each",
                    fp,
                    se,
                )
            )
    # a large gap between large groups (where a wrong cubic coefficient once passed 9.5%)
    from tests.unit.stats.test_proportions import pair_passes

    x1 = np.arange(5001)[:, None]
    x2 = np.arange(501)[None, :]
    prob = sps.binom.pmf(x1, 5000, 0.85) * sps.binom.pmf(x2, 500, 0.05)
    fp = float((prob * pair_passes(x1, 5000, x2, 500, 0.8, "diff")).sum())
    cells.append(
        Cell(
            "fairness",
            "pairwise score bounds, intersection-union",
            "max_gap 0.8, rates 0.85 vs 0.05, at the boundary",
            "5000 + 500",
            fp,
            None,
        )
    )
    # group-vs-rest tests with Holm: family-wise error when no group differs (skewed scores)
    sampler, (lo, hi) = DISTRIBUTIONS["lognormal(0,1) capped at 50"]
    vr = ValueRange(lo, hi, "study")
    codes = np.repeat(np.arange(5, dtype=np.int32), [100, 200, 300, 400, 500])
    rng = np.random.default_rng(43)
    hits = 0
    for _ in range(draws):
        f = by_group(
            sampler(rng, codes.size),
            codes,
            tuple("abcde"),
            binary=False,
            confidence=CONF,
            value_range=vr,
        )
        hits += any(e.p_value_holm is not None and e.p_value_holm < ALPHA for e in f.groups)
    fp, se = _mc(hits, draws)
    cells.append(
        Cell(
            "fairness",
            "group vs rest, mann-whitney + holm",
            "family-wise error, 5 groups, identical lognormal scores",
            "100-500 each",
            fp,
            se,
            versus="welch + holm: 0.14-0.43 before",
        )
    )
    # the four-fifths case of the issue: two groups of 400, true ratio 0.95 (safe)
    x1 = np.arange(401)[:, None]
    x2 = np.arange(401)[None, :]
    from govgate.stats.proportions import ratio_z

    prob = sps.binom.pmf(x1, 400, 0.475) * sps.binom.pmf(x2, 400, 0.5)
    ours = 1 - float((prob * (ratio_z(x1, 400, x2, 400, 0.8, 0.5) >= Z)).sum())
    plain = 1 - float((prob * (ratio_z(x1, 400, x2, 400, 0.8, 0.0) >= Z)).sum())
    with np.errstate(all="ignore"):  # the old method: all 2G one-sided bounds at alpha / (2G)
        l1 = np.where(x1 > 0, sps.beta.ppf(ALPHA / 4, np.maximum(x1, 1e-9), 400 - x1 + 1), 0.0)
        u2 = np.where(x2 < 400, sps.beta.ppf(1 - ALPHA / 4, x2 + 1, np.maximum(400 - x2, 1e-9)), 1)
    old = 1 - float((prob * (l1 / u2 >= 0.8)).sum())
    boundary = sps.binom.pmf(x1, 400, 0.4) * sps.binom.pmf(x2, 400, 0.5)
    fp = float((boundary * (ratio_z(x1, 400, x2, 400, 0.8, 0.5) >= Z)).sum())
    cells.append(
        Cell(
            "fairness",
            "pairwise score bounds, intersection-union",
            "four-fifths, 2 groups, true ratio 0.95 when safe",
            "400 + 400",
            fp,
            None,
            block=ours,
            block_best=old,
            block_invalid=plain,
            versus="bonferroni clopper-pearson over groups (valid, the old method); "
            "uncorrected score (not valid)",
        )
    )
    return cells


def engine_cells(draws: int) -> list[Cell]:
    """The two cases the issue measured through `govgate check`, through the engine itself:
    a cost cap with the true mean at the cap (was 11.7% passes at n = 100, bootstrap) and a
    paired quality margin with 3% of items regressing (was 14.3%)."""
    import datetime as dt_
    import tempfile
    from pathlib import Path

    from govgate.gate.engine import decide
    from govgate.terms import Outcome
    from tests.support.snapshots import policy, policy_set, run, snapshot

    now = dt_.datetime(2026, 12, 1, tzinfo=dt_.UTC)
    sampler, (lo, hi) = DISTRIBUTIONS["lognormal(0,1) capped at 50"]
    mu, _ = _truth(sampler)
    cells = []
    with tempfile.TemporaryDirectory() as tmp:
        cap = policy(
            "    - id: cap\n      category: cost\n"
            f"      threshold: {{metric: cost, max: {mu!r}}}\n",
            statistics=f"  statistics:\n    ranges: {{cost: [{lo}, {hi}]}}\n",
        )
        ps = policy_set(Path(tmp), cap)
        rng = np.random.default_rng(117)
        passes = 0
        for _ in range(draws):
            snap = snapshot(run("candidate", columns={"score.cost": sampler(rng, 100)}))
            passes += decide(ps, snap, stage="offline", now=now).rules[0].outcome is Outcome.PASS
        fp, se = _mc(passes, draws)
        cells.append(
            Cell(
                "engine",
                "cost cap, betting (range [0, 50])",
                "true mean at the cap",
                "100",
                fp,
                se,
                versus="was 0.117 (bootstrap)",
            )
        )
    with tempfile.TemporaryDirectory() as tmp:
        quality = policy(
            "    - id: q\n      category: quality\n"
            "      relative: {metric: s, direction: higher_is_better, margin: 0.02}\n",
            statistics="  statistics:\n    ranges: {s: [0, 1]}\n",
        )
        ps = policy_set(Path(tmp), quality)
        rng = np.random.default_rng(143)
        passes = 0
        for _ in range(draws):
            base = rng.uniform(0.7, 1.0, 100)
            cand = np.where(rng.random(100) < 0.03, base - 2 / 3, base)  # mean drop = margin
            snap = snapshot(
                run("candidate", columns={"score.s": cand}),
                run("baseline", columns={"score.s": base}),
            )
            passes += decide(ps, snap, stage="offline", now=now).rules[0].outcome is Outcome.PASS
        fp, se = _mc(passes, draws)
        cells.append(
            Cell(
                "engine",
                "paired margin, betting on differences",
                "3% of items regress, mean drop = margin",
                "100",
                fp,
                se,
                versus="was 0.143 (paired bootstrap)",
            )
        )
    return cells


def _f(x: float | None) -> str:
    return "" if x is None else f"{x:.3f}"


COLUMNS = (
    "family",
    "method",
    "case",
    "n",
    "worst false pass",
    "±",
    "ok",
    "block (gate)",
    "block (best valid alt.)",
    "block (not valid)",
    "compared with",
)


def table(cells: list[Cell]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for c in cells:
        method = c.method + (" (approx)" if c.approx else "")
        se = "exact" if c.se is None else f"{2 * c.se:.3f}"
        ok = "approx" if c.approx else ("yes" if c.ok else "**NO**")
        row: tuple[str, ...] = (c.family, method, c.case, c.n, f"{c.false_pass:.4f}", se, ok)
        row += (_f(c.block), _f(c.block_best), _f(c.block_invalid), c.versus)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    quick = "--quick" in argv
    started = time.perf_counter()
    ns_rate = [10, 30, 100, 1000, 10000] if not quick else [10, 100, 1000]
    ns_mean = [10, 30, 100, 1000, 10000] if not quick else [30, 300]
    draws = 2000 if not quick else 200
    cells: list[Cell] = []
    parts: tuple[Callable[[], list[Cell]], ...] = (
        lambda: rates(ns_rate),
        lambda: percentiles([50, 100, 1000, 10000]),
        lambda: means(ns_mean, draws),
        lambda: paired_binary_cells([100, 1500] if not quick else [300]),
        lambda: paired_scores_cells([30, 100, 1000] if not quick else [100], draws),
        lambda: unpaired_cells([30, 100, 1000] if not quick else [100], draws),
        lambda: fairness_cells([2, 5, 10] if not quick else [2], 1000 if not quick else 100),
        lambda: engine_cells(1000 if not quick else 100),
    )
    for part in parts:
        cells.extend(part())
        print(f"  ... {len(cells)} cells, {time.perf_counter() - started:.0f} s", file=sys.stderr)
    text = table(cells)
    failed = [c for c in cells if not c.ok]
    summary = (
        f"{len(cells)} cells; {sum(not c.approx for c in cells)} for methods the gate uses by "
        f"default, of which {len(failed)} exceed 5% by more than two standard errors; "
        f"{time.perf_counter() - started:.0f} s on this machine."
    )
    print(text)
    print(summary)
    if "--write" in argv:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
        (ROOT / "docs" / "coverage.md").write_text(
            "# Coverage study: results\n\n"
            f"Generated by `python -m tests.benchmarks.coverage --write` on {stamp} "
            "(2 cores). How to read it: docs/statistics.md.\n\n"
            f"{summary}\n\n{text}"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
