"""``govgate serve``: options -> :class:`ServeSettings` -> a judge that runs until stopped.

Every usage error is found here, before the policies load: a non-loopback address without a
token, a token that cannot be read, limits out of range. starlette and uvicorn are imported
only once the server starts, never by the grammar or by other commands.
"""

from __future__ import annotations

import argparse
import re
import threading
from typing import TextIO

from govgate.cli import options
from govgate.errors import UsageError
from govgate.exitcodes import ExitCode
from govgate.serve.settings import ServeSettings, loopback

_NAME = re.compile(r"[^/@\s][^/@]*")  # a registered model name, as models:/ references take it
_ALIAS = re.compile(r"[A-Za-z0-9_\-]+")


def settings(args: argparse.Namespace) -> ServeSettings:
    for option, value, least in (
        ("--max-concurrency", args.max_concurrency, 1),
        ("--max-queue", args.max_queue, 0),
        ("--cache-entries", args.cache_entries, 0),
        ("--port", args.port, 0),
    ):
        if value < least:
            raise UsageError(f"{option} must be at least {least}, not {value}")
    if args.port > 65535:
        raise UsageError(f"--port {args.port} is not a TCP port")
    if not args.request_timeout > 0 or not args.cache_max_age >= 0:
        raise UsageError("--request-timeout must be > 0 and --cache-max-age >= 0")
    for name in args.allow_model:
        if not _NAME.fullmatch(name):
            raise UsageError(f"--allow-model {name!r} is not a registered model name")
    if not _ALIAS.fullmatch(args.baseline_alias):
        raise UsageError(f"--baseline-alias {args.baseline_alias!r} is not a model alias")
    token = options.serve_token(args.token_file)
    if token is None and not loopback(args.host):
        raise UsageError(
            f"--host {args.host} accepts connections from other machines, and no token is set: "
            "refusing to judge for anyone who can reach it",
            hint=f"pass --token-file FILE (or set ${options.SERVE_TOKEN_ENV}); or listen on "
            "127.0.0.1",
        )
    return ServeSettings(
        policies=tuple(args.policies or ["policies"]),
        allow_models=frozenset(args.allow_model),
        mlflow=options.mlflow_settings(args),
        host=args.host,
        port=args.port,
        baseline_alias=args.baseline_alias,
        token=token,
        max_concurrency=args.max_concurrency,
        max_queue=args.max_queue,
        request_timeout_s=args.request_timeout,
        cache_entries=args.cache_entries,
        cache_max_age_s=args.cache_max_age,
    )


def cmd_serve(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.cli.commands.pack import pack_trust
    from govgate.serve.server import serve

    chosen = settings(args)
    packs = pack_trust(args, err)
    lock = threading.Lock()  # worker threads and the event loop both log

    def log(text: str) -> None:
        with lock:
            err.write(f"govgate serve: {text}\n")

    serve(chosen, options.clock, log, packs)
    return ExitCode.OK  # stopped by SIGTERM after the requests in flight were answered
