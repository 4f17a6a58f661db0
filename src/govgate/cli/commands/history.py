"""``govgate replay`` and ``govgate diff``: past runs, re-decided; the table of what changes."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TextIO

from govgate.cli import options
from govgate.cli.commands.pack import pack_trust
from govgate.errors import UsageError
from govgate.history import Selection
from govgate.usecases.history import HistoryOutcome, HistorySettings


def _day_or_instant(option: str, text: str | None, *, end: bool) -> dt.datetime | None:
    """A bare date (UTC: its start, or with ``end`` the end of that day) or a date-time."""
    from govgate.policy.model import expiry_instant

    if text is None:
        return None
    try:
        if end:
            return expiry_instant(text)  # a bare date: through the end of that day
        if len(text) == 10:
            return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise UsageError(f"{option} {text!r} is not a date or date-time: {exc}") from None
    if value.tzinfo is None:
        raise UsageError(f"{option} needs a time zone, e.g. 2026-11-21T12:00:00Z")
    return value


def selection(args: argparse.Namespace) -> Selection:
    if not (args.experiment or args.model):
        raise UsageError(
            "say which runs: --experiment NAME and/or --model NAME",
            hint="e.g. --model rag-assistant --last 10",
        )
    if args.last < 1:
        raise UsageError("--last must be at least 1")
    return Selection(
        experiment=args.experiment,
        model=args.model,
        stage=args.stage,
        since=_day_or_instant("--since", args.since, end=False),
        until=_day_or_instant("--until", args.until, end=True),
        filter=args.filter,
        last=args.last,
    )


def settings(args: argparse.Namespace, err: TextIO | None = None) -> HistorySettings:
    return HistorySettings(
        selection=selection(args),
        mlflow=options.mlflow_settings(args),
        clock=options.clock(),
        now=options.instant("--now", args.now) if args.now else None,
        baseline=options.ref(args.baseline),
        fail_on_change=args.fail_on_change,
        packs=pack_trust(args, err),
    )


def _show(args: argparse.Namespace, out: TextIO, outcome: HistoryOutcome) -> int:
    from govgate.history import render_table, to_json

    rows = list(outcome.rows)
    if args.format == "json":
        out.write(to_json(rows, outcome.kind, outcome.before, outcome.after))
    else:
        out.write(render_table(rows, outcome.before, outcome.after))
    error = outcome.error()
    if error is not None:
        raise error
    return outcome.exit_code


def cmd_replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.history import run_replay

    return _show(args, out, run_replay(settings(args, err), args.policies or ["policies"]))


def cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.usecases.history import run_diff

    return _show(args, out, run_diff(settings(args, err), args.old, args.new))
