"""``govgate schema``: the JSON Schema of each document kind (for editors and CI) and of each
output govgate writes (for whoever reads them). ``--kind all`` is the one file of the policy,
waiver and policy test documents (govgate-v1), as it always was."""

from __future__ import annotations

import argparse
from typing import TextIO

from govgate.exitcodes import ExitCode


def cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.policy import schema

    if args.kind == "all":
        out.write(schema.shipped_text())
    elif args.kind == "EvalSuite":
        from govgate.evals.suite import shipped_schema

        out.write(schema.dumps(shipped_schema()))
    elif args.kind in schema.KINDS:
        out.write(schema.dumps(schema.single(args.kind)))
    else:
        from govgate.usecases import schemas

        out.write(schemas.shipped_text(args.kind))
    return ExitCode.OK
