"""Exit codes: one meaning each, documented in README.md ("Exit codes").

No decision ever exits 1: Python exits 1 on an uncaught exception, so 1 means only "govgate
crashed". A CI step that blocks on any non-zero code is therefore fail-closed by construction.
"""

from __future__ import annotations

from enum import IntEnum
from typing import assert_never

from govgate.terms import Verdict


class ExitCode(IntEnum):
    OK = 0  #: PASS (or WARN without --fail-on-warn); policies valid; bundle verified
    CRASH = 1  #: an internal error (a bug): never a decision
    USAGE = 2  #: bad command line: unknown option, missing path
    POLICY_INVALID = 3  #: a policy or waiver document is invalid
    BLOCKED = 4  #: FAIL (or WARN with --fail-on-warn): do not release
    ROLLBACK = 5  #: a rollback rule failed on a canary: roll back
    INCONCLUSIVE = 6  #: evidence too weak or missing to decide
    EVIDENCE_UNAVAILABLE = 7  #: MLflow unreachable, run missing, snapshot unreadable
    VERIFY_FAILED = 8  #: an audit bundle failed verification (or could not be read)
    IO_ERROR = 9  #: the machine refused: a file could not be written or read (disk, permission)
    PROMOTION_CONFLICT = 10  #: PASS, but another writer raced for the alias: not confirmed moved
    INTERRUPTED = 130  #: Ctrl-C


def for_verdict(verdict: Verdict, *, fail_on_warn: bool) -> ExitCode:
    """The one place a verdict becomes an exit code (every verdict handled: ``assert_never``)."""
    match verdict:
        case Verdict.PASS:
            return ExitCode.OK
        case Verdict.WARN:
            return ExitCode.BLOCKED if fail_on_warn else ExitCode.OK
        case Verdict.FAIL:
            return ExitCode.BLOCKED
        case Verdict.ROLLBACK:
            return ExitCode.ROLLBACK
        case Verdict.INCONCLUSIVE:
            return ExitCode.INCONCLUSIVE
        case _:
            assert_never(verdict)
