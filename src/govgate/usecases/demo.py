"""``demo``: the main job, end to end, on the shipped examples and a local store.

Both example suites: score the shipped champion and candidate outputs, register both versions,
point ``@champion`` at the champion, and run :func:`~govgate.usecases.check.run_check` on the
candidate with the shipped policies, writing every report and a signed bundle. The rag
assistant is designed to pass and the credit-risk classifier to fail; a demo that decides
otherwise says so, because then the examples (or govgate) are broken.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.exitcodes import ExitCode
from govgate.usecases.check import CheckOutcome, CheckSettings, ReportTarget, run_check

#: (suite, registered model, policies that judge it, the verdict it is designed to get)
EXAMPLES = (
    ("rag-assistant", "rag-assistant", ("policies/rag-assistant", "policies/waivers"), "PASS"),
    ("credit-risk", "credit-risk", ("policies/tabular-classifier",), "FAIL"),
)
REPORTS = (
    ("markdown", "report.md"),
    ("html", "report.html"),
    ("json", "report.json"),
    ("sarif", "report.sarif"),
    ("junit", "junit.xml"),
)


@dataclass(frozen=True)
class DemoSettings:
    out: Path
    mlflow: MlflowSettings
    clock: Callable[[], dt.datetime]  # read once per check, when its evidence is read
    environment: Callable[[], Mapping[str, Any]] = dict


@dataclass(frozen=True, slots=True)
class Evaluated:
    suite: str
    role: str  # champion or candidate
    run_id: str
    model: str
    version: str | None
    items: int


@dataclass(frozen=True)
class DemoSuite:
    suite: str
    folder: Path
    expected: str
    check: CheckOutcome


@dataclass(frozen=True)
class DemoOutcome:
    out: Path
    suites: tuple[DemoSuite, ...]

    @property
    def as_designed(self) -> bool:
        return all(s.check.decision.verdict.value == s.expected for s in self.suites)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.as_designed else ExitCode.CRASH


def run_demo(
    settings: DemoSettings,
    on_eval: Callable[[Evaluated], None] | None = None,
    on_suite: Callable[[DemoSuite], None] | None = None,
) -> DemoOutcome:
    """Run both examples; ``on_eval`` hears of each scored run as it is logged, ``on_suite``
    of each example as soon as it is gated."""
    from govgate.bundle.signing import generate
    from govgate.evals.runner import run_eval
    from govgate.evals.suite import load_suite
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import set_alias
    from govgate.usecases.evaluate import policy_digest

    root = settings.out
    if root.exists():
        shutil.rmtree(root)  # the demo owns its output folder
    root.mkdir(parents=True)
    generate(root / "signing.pem", root / "signing.pub")
    suites = []
    for suite_name, model, policy_paths, expected in EXAMPLES:
        suite = load_suite(Path("evals") / suite_name)
        digest = policy_digest(policy_paths)  # the policies that will judge this model
        versions: dict[str, str | None] = {}
        for role in ("champion", "candidate"):
            result = run_eval(
                suite,
                suite.folder / "outputs" / f"{role}.jsonl",
                model=model,
                version=None,
                register=True,
                stage=None,
                settings=settings.mlflow,
                policy_digest=digest,
            )
            versions[role] = result.version
            if on_eval is not None:
                on_eval(
                    Evaluated(suite_name, role, result.run_id, model, result.version, result.items)
                )
        set_alias(MlflowSource(settings.mlflow), model, "champion", str(versions["champion"]))
        folder = root / suite_name
        check = run_check(
            CheckSettings(
                candidate=f"models:/{model}/{versions['candidate']}",
                baseline=f"models:/{model}@champion",
                stage="offline",
                clock=settings.clock(),
                mlflow=settings.mlflow,
                policies=policy_paths,
                reports=tuple(ReportTarget(fmt, folder / name) for fmt, name in REPORTS),
                bundle_dir=folder / "bundle",
                sign_key=root / "signing.pem",
                environment=settings.environment,
            )
        )
        suites.append(DemoSuite(suite_name, folder, expected, check))
        if on_suite is not None:
            on_suite(suites[-1])
    return DemoOutcome(root, tuple(suites))
