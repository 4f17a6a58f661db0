"""``govgate test``: run the policy unit tests and report rule coverage."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from govgate.cli.output import problem_text
from govgate.exitcodes import ExitCode
from govgate.files import write_text


def cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.cli.commands.pack import pack_trust
    from govgate.policytest.render import RENDERERS
    from govgate.policytest.runner import run_policy_tests

    run, problems = run_policy_tests(args.paths, packs=pack_trust(args, integrity_only=True))
    if run is None:
        for problem in problems:
            problem_text(err, problem)
        err.write(f"govgate: no test ran: {len(problems)} problem(s) in the tests or policies\n")
        return ExitCode.POLICY_INVALID
    text = RENDERERS[args.format](run)
    if args.output:
        write_text(Path(args.output), text)
        err.write(
            f"govgate: {args.format} report written to {args.output}: "
            f"{len(run.cases)} cases, {len(run.failed)} failed, "
            f"{len(run.coverage) - len(run.uncovered)} of {len(run.coverage)} rules covered\n"
        )
    else:
        out.write(text)
    code = run.exit_code(require_coverage=args.require_coverage)
    if code != ExitCode.OK and not run.failed:
        err.write(
            "govgate: rule coverage incomplete: "
            + ", ".join(c.rule.key for c in run.uncovered)
            + " (--require-coverage)\n"
        )
    return code
