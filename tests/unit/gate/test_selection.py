"""Which policies govern a candidate (spec.selector), and pre-registration that binds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from govgate.evidence.model import Resolution
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision
from govgate.report.common import governance_line, not_covered
from govgate.risk.assess import assess
from govgate.terms import Outcome, Verdict
from tests.support.snapshots import policy_set, rates, run, snapshot

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)


def doc(name: str, selector: str = "", enforce: str = "block", extra: str = "") -> str:
    return f"""apiVersion: govgate/v1
kind: Policy
metadata: {{name: {name}, version: "1", owners: [t@example.com]}}
spec:
  stages: [offline]
{selector}{extra}  rules:
    - id: tox
      category: safety
      enforce: {enforce}
      threshold: {{metric: toxicity_rate, max: 0.05}}
"""


RAG = doc("rag", "  selector: {models: [rag-*]}\n")
CREDIT = doc("credit", "  selector: {models: [credit-risk], tags: {risk_tier: high}}\n")
EVERYONE = doc("everyone", enforce="warn")


def _decide(
    tmp_path: Path,
    *docs: str,
    model: str | None,
    tags: dict[str, str] | None = None,
    registry: bool = False,
    version_tags: dict[str, str] | None = None,
) -> Decision:
    """``registry``: the candidate's model was read from the registry (a models:/ reference),
    not from its run's own tags."""
    tmp_path.mkdir(exist_ok=True)
    evidence, items, raw = run(
        "candidate",
        columns={"rate.toxicity_rate": rates(300, 1)},
        model=model,
        tags=tags,
        stage="offline",
    )
    if registry:
        found = Resolution(reference="models:/x/1", method="model-version-eval-run", detail="")
        evidence = evidence.model_copy(update={"resolution": found})
    if version_tags is not None:
        assert evidence.model is not None
        info = evidence.model.model_copy(update={"tags": version_tags})
        evidence = evidence.model_copy(update={"model": info})
    cand = (evidence, items, raw)
    return decide(policy_set(tmp_path, *docs), snapshot(cand), stage="offline", now=NOW)


def test_each_model_is_judged_by_exactly_the_policies_that_select_it(tmp_path: Path) -> None:
    decision = _decide(tmp_path, RAG, CREDIT, EVERYONE, model="rag-assistant")
    outcomes = {r.key: r.outcome for r in decision.rules}
    assert outcomes == {
        "rag/tox": Outcome.PASS,
        "credit/tox": Outcome.SKIPPED,
        "everyone/tox": Outcome.PASS,
    }
    assert decision.verdict is Verdict.PASS
    credit = next(p for p in decision.policies if p.policy == "credit")
    assert not credit.selected
    assert credit.reason == "model 'rag-assistant' matches none of credit-risk"
    skipped = next(r for r in decision.rules if r.key == "credit/tox")
    assert skipped.reason.startswith("the policy does not govern this candidate: model")
    # no gap from a policy that does not govern the model (the 7 spurious gaps of the issue)
    assert assess(decision).gaps == []
    assert governance_line(decision) == (
        "Policies: rag, everyone govern this candidate; credit does not (their selectors)"
    )
    assert any(
        line.startswith("policies that do not govern")
        for line in not_covered(decision, assess(decision))
    )


def test_a_tag_on_the_run_or_the_model_version_selects(tmp_path: Path) -> None:
    low = _decide(tmp_path / "low", CREDIT, model="credit-risk", tags={"risk_tier": "low"})
    assert [r.outcome for r in low.rules] == [Outcome.SKIPPED]
    assert low.policies[0].reason == (
        "tag risk_tier='high' required (it is 'low' on the run or model version)"
    )
    high = _decide(tmp_path / "high", CREDIT, model="credit-risk", tags={"risk_tier": "high"})
    assert [r.outcome for r in high.rules] == [Outcome.PASS]
    assert high.verdict is Verdict.PASS


def test_a_candidate_no_blocking_policy_governs_is_inconclusive(tmp_path: Path) -> None:
    decision = _decide(tmp_path, RAG, CREDIT, EVERYONE, model="fraud-detector")
    # the warn-only policy passes, but nothing with the power to block judged the model
    assert decision.verdict is Verdict.INCONCLUSIVE
    assert decision.verdict_code == "policy.none-governs"
    assert decision.verdict_reason == (
        "no policy with a blocking rule governs model 'fraud-detector' at stage offline "
        "(rag, credit do not select it)"
    )
    unregistered = _decide(tmp_path / "none", RAG, model=None)
    assert unregistered.verdict_code == "policy.none-governs"
    assert unregistered.policies[0].reason.startswith("the candidate has no registered model")


REQUIRED = doc("rag", "  selector: {models: [rag-*]}\n", extra="  preregistration: required\n")


def test_required_preregistration_blocks_a_run_that_recorded_another_digest(
    tmp_path: Path,
) -> None:
    missing = _decide(tmp_path / "a", REQUIRED, model="rag-assistant")
    assert missing.verdict is Verdict.FAIL
    assert missing.verdict_code == "preregistration.missing"
    assert "requires pre-registration" in missing.verdict_reason
    assert [r.outcome for r in missing.rules] == [Outcome.PASS]  # the rule itself passed
    (tmp_path / "b").mkdir()
    applied = policy_set(tmp_path / "b", REQUIRED).digest()
    good = _decide(
        tmp_path / "c", REQUIRED, model="rag-assistant", tags={"govgate.policy_digest": applied}
    )
    assert good.verdict is Verdict.PASS
    assert good.preregistration is not None
    assert good.preregistration.status == "match"
    other = _decide(
        tmp_path / "d", REQUIRED, model="rag-assistant", tags={"govgate.policy_digest": "0" * 64}
    )
    assert other.verdict is Verdict.FAIL
    assert other.verdict_code == "preregistration.mismatch"


def test_recorded_preregistration_only_flags(tmp_path: Path) -> None:
    decision = _decide(
        tmp_path, RAG, model="rag-assistant", tags={"govgate.policy_digest": "0" * 64}
    )
    assert decision.verdict is Verdict.PASS
    assert decision.verdict_code == "rules.passed"
    assert decision.preregistration is not None
    assert decision.preregistration.status == "mismatch"


def test_validate_warns_of_a_policy_that_selects_no_model_in_the_store(
    tmp_path: Path, sqlite_store: tuple[str, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    from govgate.cli import main

    uri, _ = sqlite_store  # registers rag-assistant (and others), never "ragassistant"
    (tmp_path / "typo.yaml").write_text(doc("typo", "  selector: {models: [ragassistant]}\n"))
    (tmp_path / "good.yaml").write_text(doc("good", "  selector: {models: [rag-*]}\n"))
    # globs match as check matches them: without case
    (tmp_path / "cased.yaml").write_text(doc("cased", "  selector: {models: [RAG-*]}\n"))
    code = main(["validate", str(tmp_path), "--tracking-uri", uri])
    out = capsys.readouterr().out
    assert code == 0  # a warning, never a change of exit code
    assert "warning: policy 'typo' selects no registered model in sqlite:///" in out
    assert "[policy.selects-nothing]" in out
    assert "'good'" not in out
    assert "'cased'" not in out
    assert out.rstrip().endswith("1 warning")


def test_policy_digest_is_what_eval_run_records(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from govgate.cli import main

    (tmp_path / "p.yaml").write_text(RAG)
    assert main(["policy", "digest", str(tmp_path)]) == 0
    printed = capsys.readouterr().out.strip()
    (tmp_path / "again").mkdir()
    assert printed == policy_set(tmp_path / "again", RAG).digest()  # by content, not path
    assert main(["policy", "digest", str(tmp_path / "nowhere")]) == 2


ORG_RAG = doc("org-rag", "  selector: {models: [rag-*]}\n").replace(
    "owners: [t@example.com]}", "owners: [t@example.com], layer: org}"
)
ORG_HIGH = doc("org-high", "  selector: {tags: {risk_tier: high}}\n").replace(
    "owners: [t@example.com]}", "owners: [t@example.com], layer: org}"
)
TEAM = doc("team")


def test_an_org_selector_the_evidence_cannot_settle_is_inconclusive(tmp_path: Path) -> None:
    # the run says it is "sandbox-x": a name its logger wrote, not one the registry gave
    told = _decide(tmp_path / "a", ORG_RAG, TEAM, model="sandbox-x")
    assert told.verdict is Verdict.INCONCLUSIVE
    assert told.verdict_code == "policy.unknown-model"
    assert "cannot tell whether org policy org-rag governs" in told.verdict_reason
    assert "comes from its run's tags, not the registry" in told.verdict_reason
    nameless = _decide(tmp_path / "b", ORG_RAG, TEAM, model=None)
    assert nameless.verdict_code == "policy.unknown-model"
    untagged = _decide(tmp_path / "c", ORG_HIGH, TEAM, model="m", registry=True)
    assert untagged.verdict_code == "policy.unknown-model"
    assert "tag risk_tier='high' required (no such tag" in untagged.verdict_reason
    # settled either way, the decision is the rules'
    other = _decide(tmp_path / "d", ORG_RAG, TEAM, model="sandbox-x", registry=True)
    assert (other.verdict, other.verdict_code) == (Verdict.PASS, "rules.passed")
    low = _decide(
        tmp_path / "e", ORG_HIGH, TEAM, model="m", registry=True, version_tags={"risk_tier": "low"}
    )
    assert (low.verdict, low.verdict_code) == (Verdict.PASS, "rules.passed")
    # an org selector reads the registry's tags: the run's own word, in any case, is not enough
    said = _decide(tmp_path / "g", ORG_HIGH, TEAM, model="m", registry=True,
                   tags={"risk_tier": "low"})  # fmt: skip
    assert said.verdict_code == "policy.unknown-model"
    assert "(no such tag on the model version (the registry))" in said.verdict_reason
    high = _decide(tmp_path / "h", ORG_HIGH, TEAM, model="m", registry=True,
                   version_tags={"risk_tier": "High "})  # fmt: skip
    assert [r.outcome for r in high.rules] == [Outcome.PASS, Outcome.PASS]
    assert high.policies[0].selected
    # a team's selector is the team's own convenience: silence just does not select it
    team_only = _decide(tmp_path / "f", CREDIT, TEAM, model="credit-risk")
    assert team_only.verdict_code == "rules.passed"


def test_model_globs_match_whatever_the_case(tmp_path: Path) -> None:
    decision = _decide(tmp_path, ORG_RAG, model="RAG-Assistant", registry=True)
    assert [r.outcome for r in decision.rules] == [Outcome.PASS]
    assert decision.policies[0].selected


def test_a_waiver_scoped_to_a_model_holds_only_for_the_registrys_model(tmp_path: Path) -> None:
    """A run tagged govgate.model.name=credit-risk by its logger is not credit-risk to a waiver
    scoped to that model: the exception does not apply, and the failure stands."""
    failing = doc("credit").replace("max: 0.05", "max: 0.0001")
    waiver = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: tox-known}
spec:
  policy: credit
  rule: tox
  scope: {models: [credit-risk]}
  justification: a known labelling issue, fixed next sprint
  approver: lead@example.com
  ticket: T-1
  expires: 2026-12-01
"""
    told = _decide(tmp_path / "a", failing, waiver, model="credit-risk")
    assert [r.outcome for r in told.rules] == [Outcome.FAIL]
    (use,) = told.waivers
    assert use.status == "out-of-scope"
    assert "comes from its run's tags, not the registry" in use.reason
    read = _decide(tmp_path / "b", failing, waiver, model="credit-risk", registry=True)
    assert [r.outcome for r in read.rules] == [Outcome.WAIVED]


def test_policy_tests_exercise_an_org_policy_with_a_models_selector(tmp_path: Path) -> None:
    """A policy test's candidate stands for a registered version (spec.model): an org
    policy's selector is settled by it, not left undecided."""
    import io

    from govgate.cli import main

    (tmp_path / "org.yaml").write_text(ORG_RAG)
    (tmp_path / "org.test.yaml").write_text(
        """apiVersion: govgate/v1
kind: PolicyTest
metadata: {name: org-tests}
spec:
  policies: [org.yaml]
  model: rag-assistant
  cases:
    - name: selected and clean
      stage: offline
      evidence:
        candidate:
          items: 2000
          columns: {rate.toxicity_rate: {count: 0}}
      expect: {verdict: PASS, rules: {tox: pass}}
    - name: another model is not governed
      stage: offline
      evidence:
        candidate:
          model: fraud-x
          items: 2000
          columns: {rate.toxicity_rate: {count: 0}}
      expect: {verdict: INCONCLUSIVE, rules: {tox: skipped}}
"""
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(["test", str(tmp_path)], stdout=out, stderr=err)
    assert code == 0, out.getvalue() + err.getvalue()
    assert "2 cases: 2 passed, 0 failed" in out.getvalue()
