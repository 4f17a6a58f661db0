"""Shared helpers for the benchmarks: wall time and peak memory of a child process.

Figures from one noisy, shared machine: every comparison is run in the same session, best of a
few runs, and reported as a ratio. Peak memory is the child's own maximum resident set size
(``wait4`` rusage), so runs do not see each other's peaks.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
GOVGATE = str(Path(sys.executable).parent / "govgate")
#: children write bytecode caches (this machine's shells set PYTHONDONTWRITEBYTECODE, which
#: would make every run compile every imported module from source, unlike any real install)
QUIET = {
    **{k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"},
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
    "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
}


@dataclass(frozen=True)
class Measure:
    seconds: float
    peak_mib: float
    returncode: int


def run(argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None) -> Measure:
    """Run a command to completion: wall time, peak RSS (MiB) and exit code."""
    start = time.perf_counter()
    child = subprocess.Popen(
        argv,
        cwd=cwd,
        env=env or QUIET,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert child.stderr is not None
    err = child.stderr.read()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - start
    if child.returncode not in (0, 4, 5, 6) and err:
        sys.stderr.write(err.decode(errors="replace")[-2000:])
    return Measure(seconds, usage.ru_maxrss / 1024, child.returncode)


def best(
    n: int, argv: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> Measure:
    """Best of ``n`` runs (least disturbed by the rest of the machine); peak is the max seen."""
    runs = [run(argv, cwd=cwd, env=env) for _ in range(n)]
    fastest = min(runs, key=lambda m: m.seconds)
    return Measure(fastest.seconds, max(m.peak_mib for m in runs), fastest.returncode)


def timed(n: int, fn: Any) -> float:
    """Best of ``n`` in-process runs of ``fn``, in seconds."""
    times = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} cores ({cpu}), "
        f"{mem:.0f} GiB RAM, Python {platform.python_version()}"
    )


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)
