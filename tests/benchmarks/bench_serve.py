"""Benchmark: `govgate serve` under a crowd of canary controllers.

A SQLite store holds a canary of 100,000 items (candidate) and its champion (100,000 items),
each a FINISHED canary evaluation run with the per-item table (arrival times included) and
the canary policy of tests/support/canary.py. A real `govgate serve` listens on 127.0.0.1 with
a token; 50 clients, each on its own keep-alive connection, ask it about the same canary as
fast as it answers, for 60 s (identical requests in flight share one decision, so this is the
judge's cost per look plus its overhead per answer). Reported: requests per second, p50 and
p99 latency, errors (must be 0), wrong verdicts (must be 0: every answer is compared with the
verdict of one direct `run_check`), the snapshot cache's hits, and the server's peak memory
(VmHWM of /proc/PID/status), against the direct check's own time and memory.

    .venv/bin/python -m tests.benchmarks.bench_serve [--items N] [--clients N] [--seconds S]

Traffic goes only to 127.0.0.1 and the run is bounded in time. A benchmark, not a test: no
figure here is asserted anywhere.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

os.environ.update(
    {"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false"}
)

import numpy as np

from tests.benchmarks.common import table
from tests.support import canary
from tests.support.servers import JudgeServer, start_judge

TOKEN = "bench-token-0123456789abcdef"  # a benchmark value, not a secret


@dataclass
class Tally:
    """What the clients saw, merged under a lock."""

    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    verdicts: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def build(root: Path, n: int) -> tuple[str, str]:
    """The store: the champion (version 1) and the candidate (version 2), n items each."""
    from mlflow.tracking import MlflowClient

    from tests.support.mlflow_store import StoreBuilder

    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    builder = StoreBuilder(client, root)
    for version, seed in (("1", 1), ("2", 2)):
        run_id = builder.eval_run(
            f"bench-{version}",
            canary.MODEL,
            version,
            "canary",
            experiment=canary.EXPERIMENT,
            items=canary.items(n, errors=0.005, toxic=0.01, seed=seed),
        )
        builder.version(canary.MODEL, run_id)
    client.set_registered_model_alias(canary.MODEL, "champion", "1")
    canary.write_policies(root / "policies")
    return uri, f"models:/{canary.MODEL}/2"


def direct(uri: str, root: Path, candidate: str) -> tuple[str, float]:
    """The verdict of one `run_check` in this process, and how long it took (warm: a second
    run, so imports and the policy compile are not counted)."""
    from govgate.evidence.mlflow.settings import MlflowSettings
    from govgate.usecases.check import CheckSettings, ReportTarget, run_check

    def once() -> tuple[str, float]:
        started = time.perf_counter()
        outcome = run_check(
            CheckSettings(
                candidate=candidate,
                baseline=f"models:/{canary.MODEL}@champion",
                stage="canary",
                clock=dt.datetime.now(dt.UTC),
                mlflow=MlflowSettings(tracking_uri=uri),
                policies=(str(root / "policies"),),
                reports=(ReportTarget("json"),),
                log_to_mlflow=False,
            )
        )
        return outcome.decision.verdict.value.lower(), time.perf_counter() - started

    once()
    return once()


def client(server: JudgeServer, candidate: str, until: float, tally: Tally) -> None:
    """One controller on one keep-alive connection, asking until ``until``."""
    port = int(server.url.rsplit(":", 1)[1])
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {TOKEN}"}
    path = f"/v1/judge?candidate={candidate}"
    latencies: list[float] = []
    errors: dict[str, int] = {}
    verdicts: dict[str, int] = {}
    while time.monotonic() < until:
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            body = response.read()
        except OSError as exc:
            errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
            conn.close()
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
            continue
        latencies.append(time.perf_counter() - started)
        if response.status != 200:
            code = json.loads(body).get("error", {}).get("code", str(response.status))
            errors[code] = errors.get(code, 0) + 1
            continue
        verdict = json.loads(body)["verdict"]
        verdicts[verdict] = verdicts.get(verdict, 0) + 1
    conn.close()
    with tally.lock:
        tally.latencies += latencies
        for key, count in errors.items():
            tally.errors[key] = tally.errors.get(key, 0) + count
        for key, count in verdicts.items():
            tally.verdicts[key] = tally.verdicts.get(key, 0) + count


def peak_mib(pid: int) -> tuple[float, float]:
    """The process's peak and current resident memory, MiB (VmHWM, VmRSS)."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return (
        int(fields["VmHWM"].split()[0]) / 1024,
        int(fields["VmRSS"].split()[0]) / 1024,
    )


def counters(server: JudgeServer) -> dict[str, float]:
    """The server's own counts: cache lookups by result, decisions made, answers shared."""
    from prometheus_client.parser import text_string_to_metric_families

    text = server.get("/metrics").body.decode()
    counts: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "govgate_judge_snapshot_cache_total":
                counts[f"cache {sample.labels['result']}"] = sample.value
            elif sample.name == "govgate_judge_decisions_total":
                counts["decisions"] = counts.get("decisions", 0.0) + sample.value
            elif sample.name == "govgate_judge_shared_total":
                counts["shared"] = sample.value
    return counts


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(prog="bench_serve")
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--max-concurrency", type=int, default=4)
    args = parser.parse_args(argv or [])
    with tempfile.TemporaryDirectory(prefix="govgate-bench-serve-") as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        uri, candidate = build(root, args.items)
        built = time.perf_counter() - started
        expected, direct_s = direct(uri, root, candidate)
        server = start_judge(
            root / "judge",
            "--tracking-uri",
            uri,
            "--policies",
            str(root / "policies"),
            "--allow-model",
            canary.MODEL,
            "--max-concurrency",
            str(args.max_concurrency),
            "--max-queue",
            str(max(64, args.clients)),
            token=TOKEN,
        )
        try:
            idle_peak, _ = peak_mib(server.process.pid)
            first = time.perf_counter()
            answer = server.get("/v1/judge", candidate=candidate)
            first_s = time.perf_counter() - first
            assert answer.status == 200, answer.body[:500]
            tally = Tally()
            until = time.monotonic() + args.seconds
            threads = [
                threading.Thread(target=client, args=(server, candidate, until, tally))
                for _ in range(args.clients)
            ]
            load_before = os.getloadavg()[0]
            load_started = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - load_started
            load_after = os.getloadavg()[0]
            peak, current = peak_mib(server.process.pid)
            counts = counters(server)
        finally:
            server.stop()
    answered = len(tally.latencies)
    wrong = sum(count for verdict, count in tally.verdicts.items() if verdict != expected)
    errors = sum(tally.errors.values())
    lat = np.array(tally.latencies) * 1000 if tally.latencies else np.zeros(1)
    p50, p99 = np.percentile(lat, 50), np.percentile(lat, 99)
    per_decision = elapsed / max(counts.get("decisions", 0.0), 1.0)
    rows = [
        ["requests answered", f"{answered:,}"],
        ["requests per second", f"{answered / elapsed:.1f}"],
        ["latency p50 / p99, ms", f"{p50:.0f} / {p99:.0f}"],
        ["errors", f"**{errors}**" + (f" ({tally.errors})" if errors else "")],
        [
            "wrong verdicts",
            f"**{wrong}** (every answer {expected}, as the direct run_check)"
            if not wrong
            else f"**{wrong}** ({tally.verdicts}, direct: {expected})",
        ],
        [
            "decisions made (looks recorded) / answers shared",
            f"{counts['decisions']:.0f} / {counts['shared']:.0f}",
        ],
        [
            "snapshot cache",
            ", ".join(
                f"{k.split()[1]} {v:.0f}"
                for k, v in sorted(counts.items())
                if k.startswith("cache")
            ),
        ],
        [
            "server peak RSS (VmHWM), MiB",
            f"{peak:.0f} (idle after start {idle_peak:.0f}; now {current:.0f})",
        ],
    ]
    lines = [
        f"### govgate serve under load: {args.clients} clients for {args.seconds:.0f} s, "
        f"one {args.items:,}-item canary",
        "",
        table(["", "figure"], rows),
        "",
        f"- the same question answered by one direct `run_check` in-process (warm, reads the "
        f"runs whole, records no look): {direct_s:.2f} s; the server's first answer (a cache "
        f"miss, cold): {first_s:.2f} s; in the crowd, one decision every "
        f"{per_decision * 1000:.0f} ms (cache hits: the runs are fingerprinted, their look "
        "records read again, the table not)",
        "- every decision on a canary is a look recorded on the candidate's run; identical "
        "requests in flight share one decision (and one look), so a crowd asking about one "
        "canary costs one decision at a time, whatever its size, and each request waits at "
        "most about two decisions",
        f"- every client on its own keep-alive connection, asking again as soon as answered; "
        f"the clients run on the same {os.cpu_count()} cores as the server (load average "
        f"{load_before:.1f} before the crowd, {load_after:.1f} after); store built in "
        f"{built:.0f} s",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(main(sys.argv[1:]))
