"""``govgate validate``: every problem in every file, then the warnings, then one summary line."""

from __future__ import annotations

import argparse
import json
from typing import TextIO

from govgate.cli.output import plural, problem_text
from govgate.display import visible
from govgate.errors import Problem
from govgate.usecases.validate import run_validate


def warning_text(out: TextIO, warning: Problem) -> None:
    """A warning on one line, as a problem is, but ``warning:`` (it changes no exit code)."""
    where, message = visible(warning.span.location()), visible(warning.message)
    out.write(f"{where}: warning: {message} [{warning.code}]\n")
    if warning.hint:
        out.write(f"  hint: {visible(warning.hint)}\n")


def cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.cli.commands.pack import origin_lines, pack_trust

    trust = pack_trust(args, integrity_only=True)  # without a key: integrity only, as by default
    outcome = run_validate(args.paths) if trust.key is None else run_validate(args.paths, trust)
    if getattr(args, "tracking_uri", None) and not outcome.problems:
        # asked for: which policies select no model of that store (a dead selector)
        from dataclasses import replace

        from govgate.cli.options import mlflow_settings
        from govgate.usecases.selection import selects_nothing

        extra = selects_nothing(outcome.policy_set, mlflow_settings(args))
        outcome = replace(outcome, warnings=(*outcome.warnings, *extra))
    if args.format == "json":
        out.write(json.dumps(outcome.to_json(), indent=2) + "\n")
        return outcome.exit_code
    files = len(outcome.sources)
    for problem in outcome.problems:
        problem_text(out, problem)
    for warning in outcome.warnings:
        warning_text(out, warning)
    warned = f", {plural(len(outcome.warnings), 'warning')}" if outcome.warnings else ""
    if outcome.problems:
        bad_files = len({p.span.file for p in outcome.problems})
        out.write(
            f"invalid: {plural(len(outcome.problems), 'problem')} "
            f"in {bad_files} of {max(files, bad_files)} file{'s' if files != 1 else ''}"
            f"{warned}\n"
        )
        return outcome.exit_code
    parts = []
    policy_set = outcome.policy_set
    if outcome.checked_policies and (
        policy_set.policies or policy_set.waivers or not outcome.suites
    ):
        parts.append(
            f"{plural(len(policy_set.policies), 'policy', 'policies')} "
            f"({plural(policy_set.rule_count, 'rule')}), "
            f"{plural(len(policy_set.waivers), 'waiver')}"
        )
    tests = outcome.tests
    if tests.tests:
        parts.append(f"{plural(len(tests.tests), 'test file')} ({tests.cases} cases)")
    if outcome.suites:
        parts.append(plural(len(outcome.suites), "eval suite"))
    out.write(f"ok: {', '.join(parts)} in {files} file{'s' if files != 1 else ''}{warned}\n")
    origin_lines(out, policy_set)
    return outcome.exit_code
