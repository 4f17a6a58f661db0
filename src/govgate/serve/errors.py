"""govgate's errors as HTTP answers: the one table from an error to a status and a code.

A controller reads a decision from a 200 (``verdict``); anything else means "no decision":
4xx, the request is wrong and asking again will not help; 503, try again later (MLflow is
unreachable or slow, the server is busy). No error is ever a 200, so no error reads as a pass.
Each error class carries its exit code (:mod:`govgate.errors`); the status comes from the
class, refined for evidence errors by their code, here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from govgate.errors import EvidenceError, GovgateError, PolicyInvalidError, UsageError
from govgate.exitcodes import ExitCode

#: Evidence errors (exit 7) by code: what each means to the caller.
EVIDENCE_STATUS = {
    "evidence.not-found": 404,  # no such model, version, alias or run
    "evidence.unreachable": 503,  # MLflow down: try later, never a pass
    "evidence.timeout": 503,  # MLflow over its deadline
    "evidence.permission": 503,  # the server's own MLflow credentials are refused
    "evidence.store-error": 503,
    "evidence.ambiguous": 409,  # the store is not in a state to decide from: fix it, then ask
    "evidence.run-state": 409,
    "evidence.stage-mismatch": 409,
    "evidence.same-run": 409,
    "evidence.missing-baseline": 409,
    "evidence.invalid": 409,
    "evidence.changed": 409,
}
#: Seconds a caller should wait before asking again after a 503.
RETRY_AFTER_S = 5


class RequestError(GovgateError):
    """A request the judge answers without a decision: its HTTP status and a stable code
    (``serve.*``); the message and hint say what to change."""

    exit_code = ExitCode.USAGE

    def __init__(
        self, status: int, code: str, message: str, hint: str = "", retry_after: int | None = None
    ) -> None:
        super().__init__(message, None, hint)
        self.status = status
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class HttpError:
    """What goes back for an error: status, code, message, hint, and Retry-After for a 503."""

    status: int
    code: str
    message: str
    hint: str = ""
    retry_after: int | None = None

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message, "hint": self.hint}}


def http_error(exc: GovgateError) -> HttpError:
    """The answer to an error raised while judging: the one table (see the module's doc)."""
    if isinstance(exc, RequestError):
        return HttpError(exc.status, exc.code, exc.message, exc.hint, exc.retry_after)
    if isinstance(exc, EvidenceError):
        status = EVIDENCE_STATUS.get(exc.code, 503)
        return HttpError(
            status, exc.code, str(exc), exc.hint, RETRY_AFTER_S if status == 503 else None
        )
    if isinstance(exc, UsageError):  # a reference the parser refused, a --now in the past
        return HttpError(400, "serve.bad-request", exc.message, exc.hint)
    if isinstance(exc, PolicyInvalidError):  # the policy files changed on disk and broke
        return HttpError(
            503,
            "serve.policies-invalid",
            f"the server's policies no longer load: {exc}",
            "fix the policy files and restart govgate serve",
            RETRY_AFTER_S,
        )
    match exc.exit_code:
        case ExitCode.IO_ERROR:
            code = "serve.io-error"
        case _:  # a CEL error escaping a decision, a promotion: not for a judge request
            code = "serve.internal"
    return HttpError(500, code, exc.message, exc.hint)


def internal_error() -> HttpError:
    """An exception that is not a govgate error: a bug; nothing about it goes to the caller."""
    return HttpError(
        500,
        "serve.internal",
        "internal error (a bug): no decision was made",
        "see the server's log, and report it",
    )
