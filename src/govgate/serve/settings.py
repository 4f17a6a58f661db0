"""What one ``govgate serve`` runs with: where it listens, what it judges, and its limits.

No web framework and no MLflow here: the command line builds these for free.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from govgate.evidence.mlflow.settings import MlflowSettings

#: Names that always mean this machine. Anything else (0.0.0.0, a pod IP, a host name) can be
#: reached from elsewhere, so the server refuses to listen there without a token.
LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def loopback(host: str) -> bool:
    """Does ``host`` accept connections from this machine only (127.0.0.0/8, ::1, localhost)?"""
    name = host.strip().strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:  # a host name: it may resolve anywhere
        return False


@dataclass(frozen=True)
class ServeSettings:
    """Everything one server needs. ``token`` is never shown (``repr=False``): it reaches no
    log line, no error message and no response."""

    policies: tuple[str, ...]
    allow_models: frozenset[str]
    mlflow: MlflowSettings
    host: str = "127.0.0.1"
    port: int = 8080
    baseline_alias: str = "champion"
    token: str | None = field(default=None, repr=False)
    #: decisions computed at once (worker threads); more requests wait in the queue
    max_concurrency: int = 4
    #: requests waiting for a worker; one more is answered 503 at once (with Retry-After)
    max_queue: int = 64
    #: the most a judge request may take, waiting in the queue included; then 503
    request_timeout_s: float = 25.0
    max_body_bytes: int = 16 * 1024
    max_query_bytes: int = 2 * 1024
    #: the whole request head (request line and headers), enforced by the HTTP parser (h11)
    max_head_bytes: int = 32 * 1024
    keep_alive_s: int = 5
    #: snapshots kept (least recently used first out), and for how long at most
    cache_entries: int = 16
    cache_max_age_s: float = 300.0

    @property
    def loopback_only(self) -> bool:
        return loopback(self.host)

    @property
    def connection_limit(self) -> int:
        """uvicorn's own bound on open connections and tasks: the workers, the queue, and
        room for health checks and scrapes; past it uvicorn answers a plain 503."""
        return self.max_concurrency + self.max_queue + 16
