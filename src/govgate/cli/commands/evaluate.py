"""``govgate eval run``: score outputs on a suite and log the run; print what was logged."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from govgate.cli import options
from govgate.cli.output import progress
from govgate.exitcodes import ExitCode


def cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.cli.commands.pack import pack_trust
    from govgate.usecases.evaluate import EvalSettings, run_evaluation

    name, result = run_evaluation(
        EvalSettings(
            suite=Path(args.suite),
            outputs=Path(args.outputs),
            model=args.model,
            version=args.version,
            register=args.register,
            stage=args.stage,
            mlflow=options.mlflow_settings(args),
            policies=args.policies,
            progress=progress(err),
            packs=pack_trust(args, err),
            alias=args.alias,
        )
    )
    out.write(
        f"run {result.run_id}: {name} for {result.model} version {result.version}, "
        f"stage {result.stage}, {result.items} items, {len(result.metrics)} metrics\n"
    )
    out.writelines(f"  {k} = {v:.4g}\n" for k, v in sorted(result.metrics.items()))
    for note in result.notes:
        out.write(f"  note: {note}\n")
    if args.alias:
        out.write(f"  models:/{result.model}@{args.alias} -> version {result.version}\n")
    return ExitCode.OK
