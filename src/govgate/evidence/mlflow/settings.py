"""How to reach a tracking store, and the tags govgate reads and writes on runs.

No MLflow import here: the command line builds these settings without paying for MLflow.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from govgate.evidence.redact import scrub

TAG_MODEL_NAME = "govgate.model.name"
TAG_MODEL_VERSION = "govgate.model.version"
TAG_STAGE = "govgate.stage"
TAG_MODEL_DIGEST = "govgate.model.digest"
TAG_VERDICT = "govgate.verdict"  # written with the bundle by `govgate check` (log_bundle)
TAG_DECISION_DIGEST = "govgate.decision_digest"
TAG_BUNDLE = "govgate.bundle"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: Metrics of one run whose history is read (by name); the rest are named in history_omitted.
MAX_HISTORY_METRICS = 200
#: Points kept of one metric's history, the newest: what CEL sees of it (``candidate.history``)
#: fits the evaluation budget, and a snapshot stays bounded (200 x 1,000 points, ~10 MB at
#: most). Histories with more are named, with their size, in history_truncated.
MAX_HISTORY_POINTS = 1_000


@dataclass(frozen=True, slots=True)
class MlflowSettings:
    """How to reach the tracking store, with a bounded retry budget.

    MLflow's HTTP client retries a dead server 7 times with backoff (minutes) by default;
    govgate fails within about ``timeout_s * (max_retries + 1)`` plus small backoffs. MLflow's
    timeout bounds one socket read, so a server that sends a body slowly would never trip it:
    :meth:`deadline_s` bounds each whole call (``MlflowSource.call``).
    """

    tracking_uri: str = DEFAULT_TRACKING_URI
    timeout_s: int = 10
    max_retries: int = 2
    backoff_factor: int = 1

    def environment(self) -> dict[str, str]:
        """MLflow reads these from the environment; :meth:`MlflowSource.call` sets them for
        the length of each call (and puts the process's own values back after)."""
        return {
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES": str(self.max_retries),
            "MLFLOW_HTTP_REQUEST_TIMEOUT": str(self.timeout_s),
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": str(self.backoff_factor),
            "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
            "MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR": "false",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }

    @property
    def remote(self) -> bool:
        return urlparse(self.tracking_uri).scheme in ("http", "https")

    def deadline_s(self) -> float:
        """The most one call may take in all, retries and their backoff included."""
        backoff = sum(self.backoff_factor * 2**attempt for attempt in range(self.max_retries))
        return float(self.timeout_s * (self.max_retries + 1) + backoff + 1)

    def public_uri(self) -> str:
        return scrub(self.tracking_uri)[0]

    def describe(self) -> str:
        if self.remote:
            return (
                f"MLflow at {self.public_uri()}, {self.max_retries} retries, "
                f"{self.timeout_s} s timeout per request, {self.deadline_s():g} s per call"
            )
        return f"MLflow store {self.public_uri()}"


def quote(value: str) -> str:
    """A value inside a single-quoted MLflow search filter."""
    return value.replace("\\", "\\\\").replace("'", "\\'")
