"""``govgate schema``: the JSON Schema of each document kind, for editors and CI."""

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
    else:
        out.write(schema.dumps(schema.single(args.kind)))
    return ExitCode.OK
