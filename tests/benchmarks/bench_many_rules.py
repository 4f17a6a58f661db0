"""Benchmark: 1,000 rules over one evidence snapshot: per-rule cost, and compile once.

The policy set is 10 policies of 100 rules each (thresholds on rates and means, latency caps,
paired comparisons, fairness gaps, and plain CEL expressions over metrics), decided against a
snapshot with 10,000-item tables. Figures: loading and compiling the set cold, loading it again
in the same process (every distinct expression is compiled once per process), deciding, and the
per-rule cost of each; measured in process, best of 3.
"""

from __future__ import annotations

import datetime as dt
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from tests.benchmarks.common import table

if TYPE_CHECKING:
    from govgate.evidence.model import Snapshot

POLICIES, PER = 10, 100


def policies(root: Path) -> list[str]:
    paths = []
    for p in range(POLICIES):
        rules = []
        for r in range(PER):
            i = p * PER + r  # every rule distinct: 1,000 expressions to compile
            kind = r % 5
            if kind == 0:
                body = f"threshold: {{metric: toxicity_rate, max: {0.0005 + i / 500000}}}"
            elif kind == 1:
                body = f"threshold: {{metric: latency_ms_p95, max: {1100 + i}}}"
            elif kind == 2:
                margin = 0.0001 + i / 100000
                body = (
                    f"relative: {{metric: quality, direction: higher_is_better, margin: {margin}}}"
                )
            elif kind == 3:
                body = f"fairness: {{group: segment, metric: quality, max_gap: {0.01 + i / 10000}}}"
            else:
                cost = "candidate.metrics.cost"
                body = f"expression: {cost} * {1 + i} <= {1 + i}.5 * baseline.metrics.cost"
            rules.append(f"    - id: r{r:03d}\n      category: quality\n      {body}")
        text = (
            "apiVersion: govgate/v1\nkind: Policy\n"
            f'metadata: {{name: p{p:02d}, version: "1", owners: [bench@example.com]}}\n'
            "spec:\n  stages: [offline]\n  rules:\n" + "\n".join(rules) + "\n"
        )
        path = root / f"p{p:02d}.yaml"
        path.write_text(text)
        paths.append(str(path))
    return paths


def snapshot() -> Snapshot:
    from govgate.policy.cases import FixtureColumn, FixtureEvidence, FixtureRun
    from govgate.policytest.fixtures import fixture_snapshot

    def run(shift: float) -> FixtureRun:
        return FixtureRun(
            metrics={"cost": 1.0},
            items=10_000,
            groups={"segment": [f"s{i}" for i in range(10)]},
            columns={
                "rate.toxicity_rate": FixtureColumn(rate=0.001),
                "score.quality": FixtureColumn(mean=0.8 - shift, sd=0.1),
                "latency.latency_ms": FixtureColumn(mean=900, sd=200),
            },
        )

    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    return fixture_snapshot(
        FixtureEvidence(candidate=run(0.0), baseline=run(0.001)),
        stage="offline",
        seed="bench",
        reference="bench",
        now=now,
    )


def main() -> str:
    from govgate.cel import CelCompiler
    from govgate.gate.engine import decide
    from govgate.policy.loader import load_policy_set

    root = Path(tempfile.mkdtemp(prefix="govgate-bench-rules-"))
    paths = policies(root)
    compiler = CelCompiler()
    start = time.perf_counter()
    policy_set, problems = load_policy_set(paths, compiler=compiler)
    cold = time.perf_counter() - start
    assert problems == [], problems[:3]
    warm = min(_timed(lambda: load_policy_set(paths, compiler=compiler)) for _ in range(3))
    distinct = len(
        {r.cel.expression for p in policy_set.policies for r in p.rules}
        | {r.cel.violation for p in policy_set.policies for r in p.rules if r.cel.violation}
    )
    snap = snapshot()
    now = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
    decision = None
    times = []
    for _ in range(3):
        start = time.perf_counter()
        decision = decide(policy_set, snap, stage="offline", now=now)
        times.append(time.perf_counter() - start)
    assert decision is not None
    n = policy_set.rule_count
    decided = min(times)
    outcomes = {o: sum(r.outcome.value == o for r in decision.rules) for o in ("pass", "fail")}
    outcomes["other"] = n - outcomes["pass"] - outcomes["fail"]
    rows = [
        ["load + compile, cold", f"{cold:.2f}", f"{cold / n * 1000:.2f}"],
        ["load again, same process (compiled once)", f"{warm:.2f}", f"{warm / n * 1000:.2f}"],
        ["decide 1,000 rules", f"{decided:.2f}", f"{decided / n * 1000:.2f}"],
    ]
    lines = [
        f"### many rules: {n:,} rules ({distinct} distinct expressions), one snapshot",
        "",
        table(["step", "s", "ms per rule"], rows),
        "",
        f"- warm load / cold load = **{warm / cold:.2f}** (compile once per process)",
        f"- outcomes: {outcomes['pass']} pass, {outcomes['fail']} fail, {outcomes['other']} "
        "inconclusive or other; each evidence unit "
        "(a stat, a comparison, a fairness table) is computed once per decision and shared",
    ]
    return "\n".join(lines) + "\n"


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    np.seterr(all="ignore")
    sys.stdout.write(main())
