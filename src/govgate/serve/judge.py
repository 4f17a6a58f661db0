"""One judge request, one decision: :func:`~govgate.usecases.check.run_check` with the server's
policies and its snapshot cache, and the decision as ``govgate check --format json`` prints it.

The answer is that JSON report with four fields in front: ``verdict`` (lowercase),
``exit_code`` (what ``govgate check`` would exit with: :func:`govgate.exitcodes.for_verdict`),
``cache`` (what the snapshot lookup found) and ``look_recorded``. A canary look is recorded on
the candidate's run by ``run_check`` itself (``log_to_mlflow``); the judge records nothing of
its own.

The policies are the ones validated when the server started: ``run_check`` reads the same
files, and a decision whose policy digest differs from the one loaded at start (someone edited
the files) is refused (503 ``serve.policies-changed``) rather than answered under policies
nobody validated or announced.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.model import Snapshot
from govgate.evidence.refs import Ref
from govgate.policy.packs import KEY_REQUIRED, PackTrust
from govgate.serve.cache import SnapshotCache
from govgate.serve.errors import RETRY_AFTER_S, RequestError
from govgate.serve.requests import JudgeRequest
from govgate.serve.settings import ServeSettings
from govgate.terms import Outcome, Stage, Verdict
from govgate.usecases.check import CheckSettings, ReportTarget, run_check


@dataclass(frozen=True)
class Judged:
    """A decision, ready to send: the response document, and what the metrics count."""

    document: dict[str, Any]
    verdict: Verdict
    outcomes: list[Outcome]
    cache: str


class Judge:
    def __init__(
        self,
        settings: ServeSettings,
        policy_set_digest: str,
        cache: SnapshotCache,
        clock: Callable[[], dt.datetime],
        looked_up: Callable[[str], None],
        packs: PackTrust = KEY_REQUIRED,
    ) -> None:
        self.settings = settings
        #: how policy packs among the policies are trusted: as ``serve`` verified them at start
        self.packs = packs
        self.policy_set_digest = policy_set_digest
        self.cache = cache
        self.clock = clock
        self.looked_up = looked_up

    def decide(self, request: JudgeRequest) -> Judged:
        """Decide one request (blocking: MLflow reads and the engine); raises a
        :class:`~govgate.errors.GovgateError` when no decision can be made."""
        found: list[str] = []

        def note(result: str) -> None:
            found.append(result)
            self.looked_up(result)

        def snapshot_source(
            candidate: Ref,
            baseline: Ref | None,
            *,
            stage: str | None,
            settings: MlflowSettings,
            now: dt.datetime,
        ) -> Snapshot:
            return self.cache.snapshot(
                candidate, baseline, stage=stage, settings=settings, now=now, note=note
            )

        outcome = run_check(
            CheckSettings(
                candidate=request.candidate,
                baseline=request.baseline,
                stage=request.stage,
                clock=self.clock(),
                mlflow=self.settings.mlflow,
                policies=self.settings.policies,
                reports=(ReportTarget("json"),),
                log_to_mlflow=request.stage == Stage.CANARY,
                snapshot_source=snapshot_source,
                packs=self.packs,
            )
        )
        decision = outcome.decision
        if decision.policy_set_digest != self.policy_set_digest:
            raise RequestError(
                503,
                "serve.policies-changed",
                "the policy files changed since the server started: not deciding under "
                "policies that were not validated at start",
                hint="restart govgate serve to load them (a rolling restart keeps a judge up)",
                retry_after=RETRY_AFTER_S,
            )
        assert outcome.stdout_report is not None  # the JSON report was asked for stdout
        report: dict[str, Any] = json.loads(outcome.stdout_report)
        document: dict[str, Any] = {
            "verdict": decision.verdict.value.lower(),
            "exit_code": int(decision.exit_code),
            "cache": found[-1] if found else "miss",
            # the look number run_check recorded on the candidate's run (canary only; the
            # decision's own `looks` says what the earlier ones were)
            "look_recorded": outcome.look_recorded,
            **report,
        }
        return Judged(
            document=document,
            verdict=decision.verdict,
            outcomes=[rule.outcome for rule in decision.rules],
            cache=document["cache"],
        )
