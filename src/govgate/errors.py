"""The one error hierarchy of govgate.

Every intentional error subclasses :class:`GovgateError`. ``str(err)`` is one line,
``file:line:col: message``; the hint is kept apart so the CLI can show it on its own line.
Problems found while validating are collected as :class:`Problem` values (data, not
exceptions) so that ``validate`` can report every one of them in one run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from govgate.exitcodes import ExitCode


@dataclass(frozen=True, slots=True)
class SourceSpan:
    """Where something is: a file, a 1-based line and column, and a JSON pointer into the document.

    ``line``/``column`` are 0 when unknown (for example a file that could not be read at all).
    ``document`` is the 0-based index of the YAML document within a multi-document file.
    """

    file: str
    line: int = 0
    column: int = 0
    pointer: str = ""
    document: int = 0

    def location(self) -> str:
        if self.line <= 0:
            return self.file
        return f"{self.file}:{self.line}:{max(self.column, 1)}"

    def shifted(self, lines: int, column: int) -> SourceSpan:
        """A span inside this one: ``lines`` further down, at ``column`` (1-based) on that line."""
        return SourceSpan(self.file, self.line + lines, column, self.pointer, self.document)


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, with where it is and what to do about it.

    ``code`` is a stable, dotted identifier (``yaml.duplicate-key``, ``cel.unknown-name``) that
    machine output carries and tests assert on; the message is for people.
    """

    code: str
    message: str
    span: SourceSpan
    hint: str = ""

    def __str__(self) -> str:
        return f"{self.span.location()}: {self.message}"

    def to_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "message": self.message,
            "hint": self.hint,
            "file": self.span.file,
            "line": self.span.line,
            "column": self.span.column,
            "pointer": self.span.pointer,
            "document": self.span.document,
        }


class GovgateError(Exception):
    """Root of every error govgate raises on purpose.

    Each class carries its exit code, so the command line computes the code from the error it
    caught and never from a table of its own. An error class without a code of its own is a
    bug, and says so by exiting 1.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.CRASH

    def __init__(self, message: str, span: SourceSpan | None = None, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint

    def __str__(self) -> str:
        if self.span is None:
            return self.message
        return f"{self.span.location()}: {self.message}"


class UsageError(GovgateError):
    """The command line asked for something that cannot be done (bad path, bad option value)."""

    exit_code = ExitCode.USAGE


class PolicyInvalidError(GovgateError):
    """One or more policy or waiver documents are invalid; ``problems`` lists every one found."""

    exit_code = ExitCode.POLICY_INVALID

    def __init__(self, problems: list[Problem]) -> None:
        if not problems:  # an empty list would be a vacuous error; refuse to build one
            raise ValueError("PolicyInvalidError needs at least one problem")
        first = problems[0]
        super().__init__(first.message, first.span, first.hint)
        self.problems = list(problems)

    def __str__(self) -> str:
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more != 1 else ''})" if more else ""
        return f"{self.problems[0]}{suffix}"


class CelError(GovgateError):
    """A CEL expression could not be compiled, failed lint, or failed at evaluation time.

    Inside a decision it becomes the rule's ERROR outcome; one that escapes to the command line
    came from a policy, so it exits as an invalid policy.
    """

    exit_code = ExitCode.POLICY_INVALID

    def __init__(
        self, code: str, message: str, span: SourceSpan | None = None, hint: str = ""
    ) -> None:
        super().__init__(message, span, hint)
        self.code = code


class EvidenceError(GovgateError):
    """Evidence could not be obtained or trusted: exit code 7, never a pass.

    ``code`` is one of ``evidence.unreachable``, ``evidence.timeout``, ``evidence.permission``,
    ``evidence.not-found``, ``evidence.ambiguous``, ``evidence.run-state``,
    ``evidence.missing-baseline``, ``evidence.invalid``, ``evidence.stage-mismatch``,
    ``evidence.same-run``, ``evidence.changed`` (an alias moved after the evidence was read),
    ``evidence.store-error`` (any other MLflow failure). ``tried`` says
    what govgate attempted (which store, which reference, with what retry budget).
    """

    exit_code = ExitCode.EVIDENCE_UNAVAILABLE

    def __init__(self, code: str, message: str, hint: str = "", tried: str = "") -> None:
        super().__init__(message, None, hint)
        self.code = code
        self.tried = tried

    def __str__(self) -> str:
        return f"{self.message} (tried: {self.tried})" if self.tried else self.message


class PromotionError(GovgateError):
    """The release passed, but moving the alias could not be confirmed: exit 10.

    ``code`` is ``promotion.raced`` (another check claimed the alias first: nothing moved),
    ``promotion.lost`` (this check moved it, and another writer moved it again) or
    ``promotion.unconfirmed`` (this check moved it while another check claimed it, which may
    move it next). MLflow has no atomic compare-and-set, so a concurrent writer is detected,
    never prevented; the controller re-runs the gate.
    """

    exit_code = ExitCode.PROMOTION_CONFLICT

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message, None, hint)
        self.code = code


class OutputError(GovgateError):
    """A report, snapshot or bundle could not be written: a full disk, a read-only mount.

    Exit 9, never 1: the machine refused, govgate did not crash. Whatever could not be written
    completely was not written at all, and nothing was logged to MLflow or promoted after it.
    """

    exit_code = ExitCode.IO_ERROR
