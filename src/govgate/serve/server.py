"""Start a judge: validate the policies, open the store, listen, and serve until a signal.

Everything that can be wrong with the set-up is found before the socket is opened: invalid
policies (:class:`~govgate.errors.PolicyInvalidError`, exit 3), a missing SQLite store
(``evidence.not-found``, exit 7), an address that cannot be listened on (exit 2). Then uvicorn
serves (h11, so the limits on a request's head are h11's, and the same on every install) until
SIGTERM or SIGINT: it stops accepting, lets requests in flight finish (up to the request
deadline), and returns.
"""

from __future__ import annotations

import datetime as dt
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass

from govgate._env import scoped_environ
from govgate._version import __version__
from govgate.display import visible
from govgate.errors import UsageError
from govgate.policy.packs import KEY_REQUIRED, PackTrust
from govgate.serve.settings import ServeSettings


@dataclass(frozen=True, slots=True)
class Stopped:
    """How the server ended: by SIGTERM (a clean stop) or on its own (no signal seen)."""

    terminated: bool


def listen(host: str, port: int) -> socket.socket:
    """A listening TCP socket; an address in use or not of this machine is a usage error."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        sock = socket.socket(family, kind, proto)
    except OSError as exc:
        raise UsageError(f"--host {host}: {exc.strerror or exc}") from None
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise UsageError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            hint="choose another --port, or stop what listens there",
        ) from None
    return sock


def serve(
    settings: ServeSettings,
    clock: Callable[[], dt.datetime],
    log: Callable[[str], None],
    packs: PackTrust | None = None,
) -> Stopped:
    """Run a judge until it is stopped; raise a GovgateError if it cannot start. ``packs``:
    how policy packs among the policies are trusted (default: a key is required)."""
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.serve.app import build_app
    from govgate.serve.cache import SnapshotCache
    from govgate.serve.judge import Judge
    from govgate.serve.metrics import Metrics
    from govgate.usecases.check import load_valid

    policy_set = load_valid(settings.policies, now=clock(), packs=packs)
    digest = policy_set.digest()
    source = MlflowSource(settings.mlflow)
    _ = source.client  # opens the store now: a missing SQLite file stops the start (exit 7)
    metrics = Metrics(__version__, digest)
    cache = SnapshotCache(
        source, entries=settings.cache_entries, max_age_s=settings.cache_max_age_s
    )
    judge = Judge(settings, digest, cache, clock, metrics.looked_up, packs or KEY_REQUIRED)
    health = {
        "govgate_version": __version__,
        "policy_set_digest": digest,
        "policies": len(policy_set.policies),
        "rules": policy_set.rule_count,
        "waivers": len(policy_set.waivers),
        "models": len(settings.allow_models),
    }
    app = build_app(settings, judge, metrics, health, log)

    import uvicorn

    sock = listen(settings.host, settings.port)
    bound = sock.getsockname()[1]
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    models = ", ".join(visible(name) for name in sorted(settings.allow_models))
    log(
        f"judging {models} with {len(policy_set.policies)} "
        f"policies ({policy_set.rule_count} rules, policy set {digest[:12]}) on "
        f"http://{visible(shown)}:{bound}; "
        + ("bearer token required" if settings.token else "loopback only, no token")
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=bound,
        http="h11",
        loop="asyncio",
        ws="none",
        lifespan="off",
        interface="asgi3",
        access_log=False,  # each request gets one escaped line of ours instead
        log_config=None,
        log_level="warning",
        server_header=False,
        proxy_headers=False,
        limit_concurrency=settings.connection_limit,
        timeout_keep_alive=settings.keep_alive_s,
        timeout_graceful_shutdown=int(settings.request_timeout_s) + 5,
        h11_max_incomplete_event_size=settings.max_head_bytes,
    )
    server = uvicorn.Server(config)
    # uvicorn catches SIGTERM while serving, shuts down gracefully, then raises it again with
    # the handler it found: this one, so a clean stop returns instead of killing the process
    terminated: list[int] = []
    main_thread = threading.current_thread() is threading.main_thread()
    previous = (
        signal.signal(signal.SIGTERM, lambda sig, _frame: terminated.append(sig))
        if main_thread  # signals reach the main thread only; elsewhere uvicorn skips them too
        else None
    )
    try:
        # every MLflow call sets the same variables for its length; set for the server's life,
        # concurrent calls in worker threads cannot unset them for one another
        with scoped_environ(settings.mlflow.environment()):
            server.run(sockets=[sock])
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
        sock.close()
        log("stopped")
    return Stopped(terminated=bool(terminated))
