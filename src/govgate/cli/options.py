"""Options -> typed settings: every usage error (exit 2) is raised here, before any work.

This module reads the environment for the command line (``MLFLOW_TRACKING_URI``, the clock,
the CI variables recorded in a bundle); the use cases take what it read as arguments.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
from pathlib import Path
from typing import Any

from govgate.errors import UsageError
from govgate.evidence.mlflow.settings import DEFAULT_TRACKING_URI, MlflowSettings
from govgate.evidence.refs import Ref, parse_ref


def mlflow_settings(args: argparse.Namespace) -> MlflowSettings:
    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    scheme = uri.split("://", 1)[0] if "://" in uri else ""
    if not scheme and uri != "databricks":
        raise UsageError(
            f"--tracking-uri {uri!r} has no scheme",
            hint="a local store is sqlite:///PATH (e.g. sqlite:///mlflow.db); a server http://HOST:PORT",
        )
    if scheme == "file":
        raise UsageError(
            f"--tracking-uri {uri!r}: govgate does not read MLflow's file store (in maintenance "
            "mode upstream)",
            hint="migrate it with `mlflow migrate-filestore` and pass sqlite:///mlflow.db",
        )
    if args.mlflow_timeout < 1 or args.mlflow_retries < 0:
        raise UsageError("--mlflow-timeout must be >= 1 and --mlflow-retries >= 0")
    return MlflowSettings(
        tracking_uri=uri, timeout_s=args.mlflow_timeout, max_retries=args.mlflow_retries
    )


def clock() -> dt.datetime:
    """The one reading of the clock a command makes."""
    return dt.datetime.now(dt.UTC)


def instant(option: str, text: str) -> dt.datetime:
    """An ISO 8601 date-time with a time zone (``Z`` accepted)."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{option} {text!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        raise UsageError(f"{option} needs a time zone, e.g. 2026-11-21T12:00:00Z")
    return when


def now(args: argparse.Namespace) -> dt.datetime:
    """``--now`` if given, else the clock."""
    return instant("--now", args.now) if getattr(args, "now", None) else clock()


def ref(text: str | None) -> Ref | None:
    return parse_ref(text) if text else None


def path(text: str | None) -> Path | None:
    return Path(text) if text else None


def environment() -> dict[str, Any]:
    from govgate.usecases.environment import environment as record

    return record(os.environ)


#: where ``govgate serve`` reads its bearer token when no ``--token-file`` is given
SERVE_TOKEN_ENV = "GOVGATE_SERVE_TOKEN"
MIN_TOKEN_CHARS = 16
_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")  # RFC 6750's b64token: what a header can carry


def serve_token(token_file: str | None) -> str | None:
    """The bearer token of ``govgate serve``: ``--token-file``, else ``$GOVGATE_SERVE_TOKEN``.

    Never shown: no message here quotes it, whatever is wrong with it."""
    from_env = os.environ.get(SERVE_TOKEN_ENV)
    if token_file and from_env:
        raise UsageError(
            f"the token is given twice: --token-file and ${SERVE_TOKEN_ENV}",
            hint="give it one way",
        )
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            raise UsageError(f"cannot read --token-file {token_file}: {reason}") from None
        where = f"--token-file {token_file}"
    else:
        token = (from_env or "").strip()
        where = f"${SERVE_TOKEN_ENV}"
        if not token:
            return None
    if len(token) < MIN_TOKEN_CHARS or not _TOKEN.fullmatch(token):
        raise UsageError(
            f"{where}: the token must be at least {MIN_TOKEN_CHARS} characters of letters, "
            "digits and -._~+/ (it travels in an HTTP header)",
            hint="make one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
        )
    return token
