"""``govgate``: parse, run one command, and turn what happened into one exit code.

The exit code comes from the result (each outcome computes its own) or from the error (each
:class:`~govgate.errors.GovgateError` class carries its own, as conftest does); nothing here
maps one to the other by hand. Commands are imported when they run, so ``govgate --help`` and
``govgate validate`` never pay for MLflow or ragas.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TextIO, cast

from govgate._env import TELEMETRY_OFF, scoped_environ
from govgate.cli.output import PipeSafe, error_text, problem_text
from govgate.cli.parser import build_parser
from govgate.errors import EvidenceError, GovgateError, PolicyInvalidError, PromotionError
from govgate.exitcodes import ExitCode

Command = Callable[[argparse.Namespace, TextIO, TextIO], int]

#: command -> the module whose ``cmd_<command>(args, out, err)`` carries it out
COMMANDS = {
    "approve": "approve",
    "check": "check",
    "demo": "demo",
    "diff": "history",
    "eval": "evaluate",
    "evidence": "evidence",
    "init": "init",
    "keygen": "keys",
    "pack": "pack",
    "policy": "policy",
    "promote": "promote",
    "replay": "history",
    "revert": "promote",
    "schema": "schema",
    "serve": "serve",
    "test": "test",
    "validate": "validate",
    "verify": "keys",
}


def _command(name: str) -> Command:
    module = importlib.import_module(f"govgate.cli.commands.{COMMANDS[name]}")
    run: Command = getattr(module, f"cmd_{name}")
    return run


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run govgate; return the exit code (see :class:`ExitCode`).

    Telemetry is off for the length of the call and the environment is as it was after it,
    so in-process calls (tests, a harness) do not leak settings into one another.
    """
    # a reader may close either one early; a PipeSafe is a text stream (io.TextIOBase), which
    # typing's TextIO protocol class does not name
    out = cast(TextIO, PipeSafe(stdout if stdout is not None else sys.stdout))
    err = cast(TextIO, PipeSafe(stderr if stderr is not None else sys.stderr))
    given = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in given  # anywhere on the line: `govgate check ... --debug` works too
    args_list = [a for a in given if a != "--debug"]
    with scoped_environ(TELEMETRY_OFF):
        try:
            parser = build_parser()
            with contextlib.redirect_stdout(out):  # --help and --version print through argparse
                args = parser.parse_args(args_list)
            if args.command is None:
                parser.print_help(out)
                return ExitCode.USAGE
            return _command(args.command)(args, out, err)
        except SystemExit as exc:  # --help / --version
            return int(exc.code or 0)
        except KeyboardInterrupt:
            err.write("govgate: interrupted\n")
            return ExitCode.INTERRUPTED
        except GovgateError as exc:
            _report(err, exc)
            if debug and exc.exit_code not in (ExitCode.USAGE, ExitCode.POLICY_INVALID):
                traceback.print_exc(file=err)
            return exc.exit_code
        except OSError as exc:  # the machine, not govgate: a full disk, a permission
            where = f" ({exc.filename})" if exc.filename else ""
            err.write(f"govgate: error: {exc.strerror or exc}{where}\n")
            if debug:
                traceback.print_exc(file=err)
            return ExitCode.IO_ERROR
        except Exception:
            err.write(
                "govgate: internal error (this is a bug; please report it with --debug output)\n"
            )
            if debug:
                traceback.print_exc(file=err)
            return ExitCode.CRASH


def _report(err: TextIO, exc: GovgateError) -> None:
    if isinstance(exc, PolicyInvalidError):
        for problem in exc.problems:
            problem_text(err, problem)
    elif isinstance(exc, EvidenceError):
        error_text(err, exc, prefix="evidence unavailable", code=exc.code)
    elif isinstance(exc, PromotionError):
        error_text(err, exc, prefix="promotion not confirmed", code=exc.code)
    else:
        error_text(err, exc)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
