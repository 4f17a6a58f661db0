"""What an MLflow failure means: not found, permission, timeout, unreachable, or other.

Classified by error code and exception type along the cause chain, never by digits found in a
message (a port such as 40319 is not a 403).
"""

from __future__ import annotations

import re
from typing import Any

from govgate.errors import EvidenceError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.redact import scrub

_STATUS = re.compile(r"(?:error code|status code|status) (\d{3})\b")


def translate(settings: MlflowSettings, what: str, exc: Exception) -> EvidenceError:
    """An MLflow failure as the documented EvidenceError it means."""
    tried = settings.describe()
    kind = classify(exc)
    if kind == "not-found":
        return EvidenceError("evidence.not-found", f"{what}: not found", tried=tried)
    if kind == "permission":
        return EvidenceError(
            "evidence.permission",
            f"{what}: permission denied",
            hint="check the credentials for this tracking server",
            tried=tried,
        )
    if kind == "timeout":
        return EvidenceError(
            "evidence.timeout",
            f"{what}: MLflow did not answer in time",
            hint="check the server, or raise --mlflow-timeout",
            tried=tried,
        )
    if kind == "unreachable":
        return EvidenceError(
            "evidence.unreachable",
            f"{what}: MLflow is unreachable",
            hint="check that the tracking server is up and the URI is right",
            tried=tried,
        )
    first = scrub(" ".join(str(exc).split())[:160])[0]
    return EvidenceError(
        "evidence.store-error",
        f"{what}: MLflow failed ({type(exc).__name__}: {first})",
        tried=tried,
    )


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def classify(exc: Exception) -> str:
    """not-found, permission, timeout, unreachable or other: by error code and exception type.

    Never by digits found anywhere in a message: a port number such as 40319 is not a 403.
    """
    chain = _chain(exc)
    names = {f"{type(e).__module__}.{type(e).__name__}" for e in chain}
    code = getattr(exc, "error_code", "") or ""
    text = " ".join(str(e) for e in chain).lower()
    statuses = {int(m) for m in _STATUS.findall(text)}
    if (
        code == "RESOURCE_DOES_NOT_EXIST"
        or 404 in statuses
        or (
            code in ("INVALID_PARAMETER_VALUE", "")
            and ("not found" in text or "does not exist" in text)
        )
    ):
        return "not-found"
    if code in ("PERMISSION_DENIED", "UNAUTHENTICATED") or statuses & {401, 403}:
        return "permission"
    if any(n.endswith(("Timeout", "TimeoutError", "ReadTimeoutError")) for n in names):
        return "timeout"
    if any(
        n in names
        for n in (
            "requests.exceptions.ConnectionError",
            "urllib3.exceptions.MaxRetryError",
            "urllib3.exceptions.NewConnectionError",
            "urllib3.exceptions.ProtocolError",
            "builtins.ConnectionRefusedError",
            "builtins.ConnectionResetError",
            "builtins.ConnectionAbortedError",
        )
    ):
        return "unreachable"
    return "other"


def require_finished(run: Any, what: str) -> None:
    """A run counts as evidence only when it finished and was not deleted."""
    if getattr(run.info, "lifecycle_stage", "active") != "active":
        raise EvidenceError(
            "evidence.run-state",
            f"{what} is deleted",
            hint="a deleted run is not evidence: restore it, or gate a run that stands",
        )
    status = run.info.status
    if status != "FINISHED":
        hint = (
            "wait for it to finish, then run the gate again"
            if status in ("RUNNING", "SCHEDULED")
            else "a run that did not finish is not evidence; re-run the evaluation"
        )
        raise EvidenceError("evidence.run-state", f"{what} is {status}, not FINISHED", hint=hint)
