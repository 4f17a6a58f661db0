"""``eval run``: score a model's outputs on a suite and log the one MLflow run the gate reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from govgate.errors import UsageError
from govgate.evals.runner import EvalResult
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.policy.packs import KEY_REQUIRED, PackTrust


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
    packs: PackTrust = KEY_REQUIRED  # how policy packs among the policies are trusted
    #: point models:/MODEL@ALIAS at the evaluated version (``--alias``), once the run is logged
    alias: str | None = None


def policy_digest(paths: Sequence[str] | None, packs: PackTrust | None = None) -> str | None:
    """The digest of the policies in force, recorded on the run (pre-registration)."""
    from govgate.usecases.check import load_valid

    chosen = list(paths) if paths else (["policies"] if Path("policies").is_dir() else [])
    if not chosen:
        return None
    return str(load_valid(chosen, packs=packs).digest())


def _alias_holder(settings: EvalSettings) -> str | None:
    """Where ``--alias`` points before the run (None: unset). An alias a gate moved (its holder
    has a ``govgate.promoted.<alias>`` tag) is refused before anything is scored: only
    ``govgate promote``, ``check --promote-alias`` and ``govgate revert`` move it then."""
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import TAG_PROMOTED, alias_version, model_version_tags
    from govgate.usecases.promote import check_alias

    assert settings.alias is not None
    check_alias(settings.alias)
    source = MlflowSource(settings.mlflow)  # a store not created yet: the alias is unset
    holder = alias_version(source, settings.model, settings.alias)
    key = f"{TAG_PROMOTED}.{settings.alias}"
    if holder is not None and key in (model_version_tags(source, settings.model, holder) or {}):
        target = f"models:/{settings.model}@{settings.alias}"
        raise UsageError(
            f"--alias {settings.alias}: {target} was moved to version {holder} by a release "
            f"gate (its tag {key}), and eval run does not move it past the gate",
            hint=f"gate the new version and move {target} with `govgate promote BUNDLE "
            f"--alias {settings.alias}`; eval run --alias is for an alias no gate moves "
            "(e.g. candidate) or for a model's first version",
        )
    return holder


def _set_alias(settings: EvalSettings, version: str | None, holder: str | None) -> None:
    """Point the alias at the evaluated version, if it still points where it did before the
    run (the claim and read-back of a promotion, so a concurrent gate is never overwritten)."""
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import move_alias

    assert settings.alias is not None
    assert version is not None  # --version or --register: the run names its version
    if holder == version:
        return
    source = MlflowSource(settings.mlflow)
    move_alias(
        source,
        settings.model,
        settings.alias,
        version,
        holder,
        rival="govgate command",
        doing="setting the alias",
    )


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
    holder = _alias_holder(settings) if settings.alias is not None else None
    result = run_eval(
        suite,
        settings.outputs,
        model=settings.model,
        version=settings.version,
        register=settings.register,
        stage=settings.stage,
        settings=settings.mlflow,
        policy_digest=policy_digest(settings.policies, settings.packs),
        progress=settings.progress,
    )
    if settings.alias is not None:
        _set_alias(settings, result.version, holder)
    return suite.name, result
