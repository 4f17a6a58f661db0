"""``govgate init``: scaffold policies, evals, pre-commit and a workflow; never overwrite."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from govgate.errors import UsageError
from govgate.exitcodes import ExitCode


def cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.scaffold import ACTION_PLACEHOLDER, plan, write

    target = Path(args.path)
    if not target.is_dir():
        raise UsageError(f"{args.path}: no such folder", hint="run init inside your repository")
    planned = plan(
        model=args.model, kind=args.kind, owner=args.owner, group=args.group, action=args.action
    )
    result = write(target, planned)
    for path in result.created:
        out.write(f"created {path}\n")
    for path in result.kept:
        out.write(f"kept    {path} (exists: not overwritten)\n")
    out.write("\nnext:\n")
    out.write("  govgate validate policies/ && govgate test policies/   # the scaffold passes\n")
    out.write(
        f"  govgate eval run evals/{args.model} --outputs OUTPUTS.jsonl --model {args.model} "
        "--register\n"
    )
    workflow = next((p for p in planned if p.path.endswith("govgate.yml")), None)
    if args.action is None and workflow is not None and workflow.path in result.created:
        out.write(
            f"  in {workflow.path}: replace {ACTION_PLACEHOLDER} with the govgate action "
            "pinned to a commit\n"
        )
    if ".pre-commit-config.yaml" in result.kept:
        out.write("  add the govgate-validate and govgate-test hooks to .pre-commit-config.yaml\n")
    return ExitCode.OK
