"""``govgate validate``: every problem in every file, or one line saying what is valid."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from govgate.cli.output import plural, problem_text
from govgate.usecases.validate import run_validate


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    outcome = run_validate(args.paths)
    if args.format == "json":
        out.write(json.dumps(outcome.to_json(), indent=2) + "\n")
        return outcome.exit_code
    files = len(outcome.sources)
    if outcome.problems:
        for problem in outcome.problems:
            problem_text(out, problem)
        bad_files = len({p.span.file for p in outcome.problems})
        out.write(
            f"invalid: {plural(len(outcome.problems), 'problem')} "
            f"in {bad_files} of {max(files, bad_files)} file{'s' if files != 1 else ''}\n"
        )
        return outcome.exit_code
    parts = []
    policy_set = outcome.policy_set
    if outcome.checked_policies:
        parts.append(
            f"{plural(len(policy_set.policies), 'policy', 'policies')} "
            f"({policy_set.rule_count} rules), {plural(len(policy_set.waivers), 'waiver')}"
        )
    tests = outcome.tests
    if tests.tests:
        parts.append(f"{plural(len(tests.tests), 'test file')} ({tests.cases} cases)")
    out.write(f"ok: {', '.join(parts)} in {files} file{'s' if files != 1 else ''}\n")
    return outcome.exit_code
