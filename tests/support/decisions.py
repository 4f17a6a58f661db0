"""Five decisions every renderer is tested on: pass, blocked with gaps, waived, inconclusive,
rollback. Deterministic: fixed data, fixed instant, relative policy paths."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

import numpy as np

from govgate.evidence.model import Snapshot
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.risk.assess import assess
from govgate.risk.model import RiskAssessment
from tests.support.snapshots import rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)

POLICY = """apiVersion: govgate/v1
kind: Policy
metadata:
  name: assistant
  version: "2"
  owners: [ml-safety@example.com]
  controls: [NIST-AI-RMF-MEASURE-2.6]
spec:
  stages: [canary]
  statistics:
    ranges: {correct: [0, 1]}
  units: {toxicity_rate: share, error_rate: share, correct: share, cost: USD}
  required_controls: [NIST-AI-RMF-MEASURE-2.6, NIST-AI-RMF-MEASURE-2.11, EU-AI-ACT-ART-72]
  rules:
    - id: toxicity
      title: Toxic answers stay under 1%
      category: safety
      threshold: {metric: toxicity_rate, max: 0.01}
      message: >-
        toxicity {{ candidate.stats.toxicity_rate.value }}
        (n={{ candidate.stats.toxicity_rate.n }})
      risk: {impact: high, detection: toxicity classifier on sampled traffic, time_to_detect: 4h,
             mitigation: tighten the output filter, rollback: move @champion back}
    - id: quality
      title: Answer quality no more than 2 points below the champion
      category: quality
      relative: {metric: correct, direction: higher_is_better, margin: 0.02}
      risk: {impact: medium, detection: thumbs-down rate, mitigation: keep the champion}
      owner: assistant-team@example.com
    - id: cost
      title: Cost at most 10% above the champion
      category: cost
      relative: {metric: cost, direction: lower_is_better, margin_ratio: 0.1, basis: point}
    - id: fair
      title: Quality gap across languages under 10 points
      category: fairness
      enforce: warn
      fairness: {group: language, metric: correct, max_gap: 0.1}
      controls: [NIST-AI-RMF-MEASURE-2.11]
    - id: errors
      title: Error rate under 2%
      category: rollback
      threshold: {metric: error_rate, max: 0.02}
      risk: {impact: high, rollback: set canary weight to 0}
"""

WAIVER = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: cost-holiday}
spec:
  policy: assistant
  rule: cost
  justification: longer answers for the holiday flow, accepted by finance until caching lands
  approver: head-of-finops@example.com
  ticket: FINOPS-1
  expires: 2026-12-01
"""


def _columns(
    n: int, *, toxic: int, errors: int, shift: float, seed: int, missing: str | None
) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols = {
        "rate.toxicity_rate": rates(n, toxic),
        "rate.error_rate": rates(n, errors),
        "score.correct": np.clip(rng.normal(0.8, 0.1, n) + shift, 0, 1),
        "group.language": np.where(np.arange(n) % 2 == 0, "en", "de"),
    }
    if missing:
        cols.pop(missing)
    return cols


class _Settings(TypedDict):
    toxic: int
    errors: int
    shift: float
    cost: float
    missing: str | None


@dataclass(frozen=True)
class Built:
    decision: Decision
    risk: RiskAssessment
    policy_set: PolicySet
    snapshot: Snapshot


def scenario(name: str, root: Path) -> tuple[Decision, RiskAssessment]:
    """The named scenario's decision and risk; policies are written under ``root``."""
    built = build_scenario(name, root)
    return built.decision, built.risk


def build_scenario(name: str, root: Path) -> Built:
    """Everything the named scenario builds (for bundle tests)."""
    folder = root / "policies"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "assistant.yaml").write_text(POLICY)
    waiver = folder / "waiver.yaml"
    if name == "waived":
        waiver.write_text(WAIVER)
    elif waiver.exists():
        waiver.unlink()
    settings = {
        "pass": _Settings(toxic=0, errors=2, shift=0.0, cost=1.05, missing=None),
        "blocked-gaps": _Settings(
            toxic=40, errors=2, shift=0.0, cost=1.05, missing="rate.error_rate"
        ),
        "waived": _Settings(toxic=0, errors=2, shift=0.0, cost=1.5, missing=None),
        "inconclusive": _Settings(toxic=9, errors=2, shift=0.0, cost=1.05, missing=None),
        "rollback": _Settings(toxic=0, errors=80, shift=0.0, cost=1.05, missing=None),
    }[name]
    n = 1500 if name != "inconclusive" else 800
    base_cols = _columns(n, toxic=0, errors=2, shift=0.0, seed=1, missing=None)
    cand_cols = _columns(
        n,
        toxic=settings["toxic"],
        errors=settings["errors"],
        shift=settings["shift"],
        seed=1,
        missing=settings["missing"],
    )
    cand_cols["score.correct"] = np.clip(
        base_cols["score.correct"] + np.random.default_rng(2).normal(0, 0.01, n), 0, 1
    )
    snap = snapshot(
        run("candidate", metrics={"cost": settings["cost"]}, columns=cand_cols, model="assistant"),
        run("baseline", metrics={"cost": 1.0}, columns=base_cols, model="assistant"),
    )
    cwd = Path.cwd()
    os.chdir(root)
    try:
        policy_set, problems = load_policy_set(["policies"])
    finally:
        os.chdir(cwd)
    assert problems == [], problems
    decision = decide(policy_set, snap, stage="canary", now=NOW)
    return Built(decision, assess(decision), policy_set, snap)


SCENARIOS = ["pass", "blocked-gaps", "waived", "inconclusive", "rollback"]

#: the environment record bundle tests write (what ran the gate), fixed
BUNDLE_ENV = {"python": "3.11", "packages": {}, "git": {"commit": None}, "ci": {}}


def signed_contents(built: Built, private_key: Path) -> dict[str, bytes]:
    """The files of ``built``'s bundle, signed with the PEM key at ``private_key``."""
    from govgate.bundle import build
    from govgate.bundle.signing import load_private, sign

    key = load_private(private_key)
    return build.contents(
        built.decision,
        built.risk,
        built.policy_set,
        built.snapshot,
        BUNDLE_ENV,
        lambda payload: sign(payload, key),
    )
