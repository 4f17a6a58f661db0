"""``govgate demo``: the main job on the shipped examples; what each step did."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TextIO

from govgate.cli import options


def cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.report.common import headline
    from govgate.usecases.demo import DemoSettings, DemoSuite, Evaluated, run_demo

    def evaluated(e: Evaluated) -> None:
        out.write(
            f"evaluated {e.suite} {e.role}: run {e.run_id}, {e.model} version {e.version}, "
            f"{e.items} items\n"
        )

    def gated(suite: DemoSuite) -> None:
        check = suite.check
        out.write(
            f"\n{suite.suite}: {headline(check.decision, check.risk)}\n  exit code "
            f"{int(check.exit_code)}; reports and a signed bundle in {suite.folder}/\n\n"
        )

    mlflow = options.mlflow_settings(args)
    settings = DemoSettings(
        out=Path(args.out), mlflow=mlflow, clock=options.clock, environment=options.environment
    )
    outcome = run_demo(settings, on_eval=evaluated, on_suite=gated)
    root = outcome.out
    out.write(
        f"verify a bundle: govgate verify {root}/rag-assistant/bundle --key "
        f"{root}/signing.pub\nbrowse the runs: mlflow ui --backend-store-uri "
        f"{mlflow.tracking_uri}\n"
    )
    if not outcome.as_designed:
        verdicts = {s.suite: s.check.decision.verdict.value for s in outcome.suites}
        err.write(f"govgate: the demo did not decide as designed: {verdicts}\n")
    return outcome.exit_code
