"""``govgate check``: options -> :class:`CheckSettings` -> :func:`run_check` -> what happened."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TextIO

from govgate.cli import options
from govgate.cli.commands.pack import pack_trust
from govgate.cli.output import color
from govgate.errors import UsageError
from govgate.usecases.check import (
    CheckOutcome,
    CheckSettings,
    Listener,
    ReportTarget,
    StdoutReport,
    Written,
)

#: the trust file approvals are checked against when ``--trust`` is not given
TRUST_ENV = "GOVGATE_TRUST"


def report_targets(specs: list[str] | None, output: str | None) -> tuple[ReportTarget, ...]:
    """``--format FMT[=FILE]`` (repeatable) and ``--output`` as report targets."""
    targets = []
    for spec in specs or ["text"]:
        fmt, _, target = spec.partition("=")
        targets.append(ReportTarget(fmt, Path(target) if target else None))
    to_stdout = [t for t in targets if t.path is None]
    if output:
        if len(to_stdout) != 1:
            raise UsageError("--output names one file: use FORMAT=FILE for several reports")
        targets = [ReportTarget(t.format, t.path or Path(output)) for t in targets]
    return tuple(targets)


def settings(args: argparse.Namespace, out: TextIO, err: TextIO | None = None) -> CheckSettings:
    return CheckSettings(
        clock=options.clock(),
        now=options.instant("--now", args.now) if args.now else None,
        reports=report_targets(args.format, args.output),
        bundle_dir=options.path(args.bundle),
        bundle_archive=options.path(args.bundle_archive),
        sign_key=options.path(args.sign_key),
        policies=(*(args.policies or ["policies"]), *(args.waivers or [])),
        candidate=args.candidate,
        baseline=args.baseline,
        stage=args.stage,
        mlflow=options.mlflow_settings(args),
        color=color(out),
        fail_on_warn=args.fail_on_warn,
        snapshot_out=options.path(args.snapshot_out),
        log_to_mlflow=not args.no_mlflow_log,
        promote_alias=args.promote_alias,
        environment=options.environment,
        packs=pack_trust(args, err),
        approvals=tuple(Path(a) for a in args.approvals or ()),
        trust=options.path(args.trust or os.environ.get(TRUST_ENV) or None),
    )


def listener(out: TextIO, err: TextIO, signed: bool) -> Listener:
    """Print each report and file as the check finishes it (stdout is the report's)."""

    def tell(event: StdoutReport | Written) -> None:
        if isinstance(event, StdoutReport):
            out.write(event.text)
        elif event.what == "bundle":
            err.write(f"govgate: audit bundle written to {event.path}{' (signed)' * signed}\n")
        elif event.what == "bundle archive":
            err.write(f"govgate: audit bundle archive written to {event.path}\n")
        elif event.what == "snapshot":
            err.write(f"govgate: evidence snapshot written to {event.path}\n")
        else:
            err.write(f"govgate: {event.what} report written to {event.path}\n")

    return tell


def tell_after(err: TextIO, outcome: CheckOutcome) -> None:
    """What was logged and promoted, once the check is done."""
    if outcome.logged_to is not None:
        run_id = outcome.decision.candidate.run_id
        err.write(f"govgate: bundle logged to run {run_id} at {outcome.logged_to}\n")
    promotion = outcome.promotion
    if promotion is None:
        return
    target = f"models:/{promotion.model}@{promotion.alias}"
    if promotion.promoted:
        err.write(
            f"govgate: promoted {target} to version {promotion.version} "
            f"(was {promotion.previous or 'unset'})\n"
        )
    else:
        err.write(
            f"govgate: not promoting {target}: the verdict is "
            f"{outcome.decision.verdict.value}, and only PASS promotes\n"
        )


def cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.check import run_check

    chosen = settings(args, out, err)
    outcome = run_check(chosen, listener(out, err, signed=chosen.sign_key is not None))
    tell_after(err, outcome)
    return outcome.exit_code
