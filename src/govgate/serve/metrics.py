"""What ``GET /metrics`` shows, in Prometheus' text format (prometheus_client, own registry).

- ``govgate_judge_decisions_total{verdict}``: decisions made (pass, warn, fail, rollback,
  inconclusive), each one look at a canary;
- ``govgate_judge_rule_outcomes_total{outcome}``: rule outcomes in them (pass, fail,
  inconclusive, gap, error, waived, skipped);
- ``govgate_judge_errors_total{code}``: error answers by code (``serve.*``, ``evidence.*``);
- ``govgate_judge_snapshot_cache_total{result}``: lookups (hit, miss, changed, expired);
- ``govgate_judge_shared_total``: requests answered with the decision of an identical request
  in flight (not counted again in the decisions and outcomes);
- ``govgate_judge_latency_seconds``: a histogram of the time to answer each judge request,
  decision or error, queueing included;
- ``govgate_judge_in_flight``: judge requests being decided or waiting for a worker;
- ``govgate_judge_info{version, policy_set_digest}``: 1.

Every verdict, outcome and cache result is present from the start (at 0), so a rate over a
series that has not happened yet is 0, not absent. Label values come from closed sets and
govgate's own codes, never from a request.
"""

from __future__ import annotations

from typing import Any

from govgate.serve.cache import RESULTS
from govgate.terms import Outcome, Verdict

LATENCY_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 25.0, 60.0)


class Metrics:
    def __init__(self, version: str, policy_set_digest: str) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.decisions = Counter(
            "govgate_judge_decisions",
            "Decisions made, by verdict (one shared by identical requests counts once)",
            ["verdict"],
            registry=registry,
        )
        self.rules = Counter(
            "govgate_judge_rule_outcomes",
            "Rule outcomes in the decisions answered, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.errors = Counter(
            "govgate_judge_errors",
            "Requests answered with an error, by error code",
            ["code"],
            registry=registry,
        )
        self.cache = Counter(
            "govgate_judge_snapshot_cache",
            "Snapshot cache lookups, by result",
            ["result"],
            registry=registry,
        )
        self.shared = Counter(
            "govgate_judge_shared",
            "Requests answered with the decision of an identical request in flight",
            registry=registry,
        )
        self.latency = Histogram(
            "govgate_judge_latency_seconds",
            "Time to answer a judge request (decision or error), queueing included",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.in_flight = Gauge(
            "govgate_judge_in_flight",
            "Judge requests being decided or waiting for a worker",
            registry=registry,
        )
        info = Gauge(
            "govgate_judge_info",
            "The govgate version and the digest of the policies this server judges with",
            ["version", "policy_set_digest"],
            registry=registry,
        )
        info.labels(version=version, policy_set_digest=policy_set_digest).set(1)
        for verdict in Verdict:
            self.decisions.labels(verdict=verdict.value.lower())
        for outcome in Outcome:
            self.rules.labels(outcome=outcome.value)
        for result in RESULTS:
            self.cache.labels(result=result)

    def decided(self, verdict: Verdict, outcomes: list[Outcome]) -> None:
        self.decisions.labels(verdict=verdict.value.lower()).inc()
        for outcome in outcomes:
            self.rules.labels(outcome=outcome.value).inc()

    def error(self, code: str) -> None:
        self.errors.labels(code=code).inc()

    def looked_up(self, result: str) -> None:
        self.cache.labels(result=result).inc()

    def exposition(self) -> tuple[bytes, str]:
        """The text exposition and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        body: Any = generate_latest(self.registry)
        return bytes(body), str(CONTENT_TYPE_LATEST)
