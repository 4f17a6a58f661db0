"""``eval run``: score a model's outputs on a suite and log the one MLflow run the gate reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from govgate.errors import UsageError
from govgate.evals.runner import EvalResult
from govgate.evidence.mlflow.settings import MlflowSettings


@dataclass(frozen=True)
class EvalSettings:
    suite: Path
    outputs: Path
    model: str
    mlflow: MlflowSettings
    version: str | None = None
    register: bool = False
    stage: str | None = None
    policies: Sequence[str] | None = None  # None: policies/ if there is one
    progress: Callable[[int, int], None] | None = None


def policy_digest(paths: Sequence[str] | None) -> str | None:
    """The digest of the policies in force, recorded on the run (pre-registration)."""
    from govgate.usecases.check import load_valid

    chosen = list(paths) if paths else (["policies"] if Path("policies").is_dir() else [])
    if not chosen:
        return None
    return str(load_valid(chosen).digest())


def run_evaluation(settings: EvalSettings) -> tuple[str, EvalResult]:
    """Score and log; returns the suite's name and the run's result."""
    from govgate.evals.runner import run_eval
    from govgate.evals.suite import load_suite

    suite = load_suite(settings.suite)
    if suite.document.spec.judge is not None:
        raise UsageError(
            f"{suite.path}: spec.judge names an LLM provider; this version of the CLI does not "
            "connect to providers",
            hint="run LLM-judged metrics through govgate.evals.runner.run_eval(judge=...) with a "
            "ragas InstructorBaseRagasLLM, or remove spec.judge for offline runs",
        )
    result = run_eval(
        suite,
        settings.outputs,
        model=settings.model,
        version=settings.version,
        register=settings.register,
        stage=settings.stage,
        settings=settings.mlflow,
        policy_digest=policy_digest(settings.policies),
        progress=settings.progress,
    )
    return suite.name, result
