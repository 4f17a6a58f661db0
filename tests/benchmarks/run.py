"""Run every benchmark and print its figures; with --write, record them in RESULTS.md.

    .venv/bin/python -m tests.benchmarks.run [--write]

Not part of the test run (timings on a shared machine are noise for assertions): each
benchmark compares govgate with its alternative in the same run and reports ratios. Needs the
dev install (`bash .ci/setup`) and, for the PostgreSQL figures, Debian's `postgresql`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import subprocess
import sys
import time
from collections.abc import Callable

from tests.benchmarks import (
    bench_check_scale,
    bench_cold_start,
    bench_evidence,
    bench_many_rules,
    bench_mlflow_scale,
    bench_serve,
    sequential,
)
from tests.benchmarks.common import ROOT, machine


def _evidence() -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        bench_evidence.main()
    return (
        "### snapshot of one run with a 1,000,000-row table\n\n```text\n" + out.getvalue() + "```\n"
    )


SECTIONS: list[tuple[str, Callable[[], str]]] = [
    ("cold start", bench_cold_start.main),
    ("many rules", bench_many_rules.main),
    ("check at scale", bench_check_scale.main),
    ("MLflow at scale", bench_mlflow_scale.main),
    ("snapshot at scale", _evidence),
    ("canary looks", sequential.main),
    ("serve under load", bench_serve.main),
]


def versions() -> str:
    from importlib.metadata import version

    names = ("govgate", "mlflow", "numpy", "scipy", "pyarrow", "cel-python", "fairlearn")
    return ", ".join(f"{n} {version(n)}" for n in names)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    started = time.perf_counter()
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    parts = [
        "# Benchmark results",
        "",
        f"- date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}, commit {commit}",
        f"- machine: {machine()}",
        f"- {versions()}",
        "- command: `.venv/bin/python -m tests.benchmarks.run --write`",
        "- one run on a shared machine: read the ratios (same run, same machine), not the "
        "absolute seconds",
        "",
    ]
    for name, fn in SECTIONS:
        sys.stderr.write(f"== {name}\n")
        section_start = time.perf_counter()
        text = fn()
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        parts += [text, f"_({time.perf_counter() - section_start:.0f} s)_", ""]
    total = time.perf_counter() - started
    parts.append(f"Whole benchmark run: {total / 60:.1f} minutes.")
    sys.stderr.write(f"all benchmarks: {total / 60:.1f} minutes\n")
    if write:
        (ROOT / "tests" / "benchmarks" / "RESULTS.md").write_text("\n".join(parts) + "\n")
        sys.stderr.write("written: tests/benchmarks/RESULTS.md\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
