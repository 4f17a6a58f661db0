"""`govgate check` end to end on a real SQLite store: verdicts, exit codes, waivers, replay."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import StoreBuilder, credit_items, rag_items
from tests.support.snapshots import policy

Store = tuple[str, dict[str, str]]
CHAMPION, CHALLENGER = "models:/rag-assistant@champion", "models:/rag-assistant@challenger"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def write(tmp_path: Path, rules: str, name: str = "p") -> str:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    (folder / f"{name}.yaml").write_text(policy(rules, name=name))
    return str(folder)


def tox(
    limit: float, category: str = "safety", enforce: str = "block", rule_id: str = "tox"
) -> str:
    return (
        f"    - id: {rule_id}\n      category: {category}\n      enforce: {enforce}\n"
        f"      threshold: {{metric: toxicity_rate, max: {limit}}}\n"
    )


def check(
    store: Store, policies: str, *extra: str, candidate: str = CHALLENGER
) -> tuple[int, str, str]:
    return cli(
        "check",
        "--tracking-uri",
        store[0],
        "--policies",
        policies,
        "--candidate",
        candidate,
        "--stage",
        "canary",
        *extra,
    )


@pytest.mark.parametrize(
    ("rules", "code", "verdict"),
    [
        # 4/600 toxic; on the canary the bounds are confidence sequences: [0.037%, 2.05%]
        (tox(0.05), ExitCode.OK, "PASS"),
        (tox(0.0003), ExitCode.BLOCKED, "FAIL"),
        (tox(0.0003, category="rollback"), ExitCode.ROLLBACK, "ROLLBACK"),
        (tox(0.01), ExitCode.INCONCLUSIVE, "INCONCLUSIVE"),
        (
            tox(0.05) + tox(0.0003, enforce="warn", rule_id="tight"),
            ExitCode.OK,
            "WARN",
        ),
    ],
)
def test_verdicts_and_exit_codes(
    sqlite_store: Store, tmp_path: Path, rules: str, code: int, verdict: str
) -> None:
    exit_code, out, err = check(sqlite_store, write(tmp_path, rules))
    assert exit_code == code, err
    # one vocabulary (the verdict as verify, MLflow and JUnit say it) and the exit code it means
    assert out.startswith(f"Release decision: {verdict} (exit {int(code)}) | ")


def test_fail_on_warn(sqlite_store: Store, tmp_path: Path) -> None:
    policies = write(tmp_path, tox(0.05) + tox(0.001, enforce="warn", rule_id="tight"))
    code, out, _ = check(sqlite_store, policies, "--fail-on-warn")
    assert code == ExitCode.BLOCKED
    assert out.startswith("Release decision: WARN (exit 4, --fail-on-warn) | ")
    assert "Do not release: warnings block this release (--fail-on-warn)" in out


def test_output_names_each_rule_outcome_and_numbers(sqlite_store: Store, tmp_path: Path) -> None:
    _, out, _ = check(sqlite_store, write(tmp_path, tox(0.01)))
    assert "INCONCLUSIVE p/tox  [block, safety]" in out
    assert "candidate.stats.toxicity_rate.n=600" in out
    assert "candidate.stats.toxicity_rate.value=0.006667" in out
    assert "threshold: max 0.01 at 95%" in out
    assert "more data: about" in out


def test_json_decision_and_replay_from_the_snapshot(sqlite_store: Store, tmp_path: Path) -> None:
    policies = write(
        tmp_path,
        tox(0.01) + "    - id: quality\n      category: quality\n"
        "      relative: {metric: answer_similarity, direction: higher_is_better, margin: 0.2}\n",
    )
    snap = tmp_path / "snap" / "evidence.json"
    code, out, _ = check(
        sqlite_store,
        policies,
        "--baseline",
        CHAMPION,
        "--format",
        "json",
        "--snapshot-out",
        str(snap),
    )
    decision = json.loads(out)["decision"]
    assert code == ExitCode.INCONCLUSIVE
    assert decision["format"] == "govgate.decision/v4"
    assert decision["verdict"] == "INCONCLUSIVE"
    assert {r["rule"]: r["outcome"] for r in decision["rules"]} == {
        "tox": "inconclusive",
        "quality": "pass",
    }
    quality = next(r for r in decision["rules"] if r["rule"] == "quality")
    observed = {o["path"]: o["value"] for o in quality["observed"]}
    assert observed["compare.answer_similarity.paired"] is True
    assert observed["compare.answer_similarity.n"] == 600
    # offline replay: the same snapshot and policies, decided as of the snapshot's own instant,
    # give the same decision, byte for byte
    code2, out2, _ = cli(
        "check",
        "--policies",
        policies,
        "--candidate",
        str(snap),
        "--baseline",
        f"{snap}#baseline",
        "--stage",
        "canary",
        "--format",
        "json",
        "--tracking-uri",
        "sqlite:///nowhere.db",
    )
    assert code2 == code
    assert out2 == out


def waiver(expires: str, scope: str = "{stages: [canary], models: [rag-assistant]}") -> str:
    return f"""apiVersion: govgate/v1
kind: Waiver
metadata: {{name: w}}
spec:
  policy: p
  rule: tox
  scope: {scope}
  justification: accepted while the new output filter is rolled out
  approver: head-of-safety@example.com
  ticket: SAFE-7
  expires: {expires}
"""


def test_waivers_apply_in_scope_and_before_expiry(sqlite_store: Store, tmp_path: Path) -> None:
    policies = write(tmp_path, tox(0.0003) + tox(0.05, rule_id="loose"))
    waivers = tmp_path / "waivers.yaml"
    expires = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date()
    waivers.write_text(waiver(expires.isoformat()))
    code, out, _ = check(sqlite_store, policies, "--waivers", str(waivers))
    assert code == ExitCode.OK
    assert "WAIVED       p/tox" in out
    assert "approved by head-of-safety@example.com, SAFE-7" in out
    assert f"applied      w (p/tox, SAFE-7, expires {expires})" in out
    after = f"{expires + dt.timedelta(days=1)}T00:00:01Z"  # a later instant may be asked for
    code, out, _ = check(sqlite_store, policies, "--waivers", str(waivers), "--now", after)
    assert code == ExitCode.BLOCKED
    assert "expired      w" in out
    waivers.write_text(waiver(expires.isoformat(), scope="{models: [another-model]}"))
    code, out, _ = check(sqlite_store, policies, "--waivers", str(waivers))
    assert code == ExitCode.BLOCKED
    assert "out-of-scope w" in out


def test_invalid_policy_exits_3_and_missing_baseline_exits_7(
    sqlite_store: Store, tmp_path: Path
) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "p.yaml").write_text(
        policy("    - id: x\n      category: safety\n      expression: nope(1)\n")
    )
    code, _, err = check(sqlite_store, str(bad))
    assert code == ExitCode.POLICY_INVALID
    assert "[cel.unknown-function]" in err
    needs = write(
        tmp_path,
        "    - id: q\n      category: quality\n"
        "      relative: {metric: answer_similarity, direction: higher_is_better, margin: 0.2}\n",
    )
    code, _, err = check(sqlite_store, needs)
    assert code == ExitCode.EVIDENCE_UNAVAILABLE
    assert "[evidence.missing-baseline]" in err


def test_bad_now_is_a_usage_error(sqlite_store: Store, tmp_path: Path) -> None:
    assert (
        check(sqlite_store, write(tmp_path, tox(0.05)), "--now", "yesterday")[0] == ExitCode.USAGE
    )
    assert (
        check(sqlite_store, write(tmp_path, tox(0.05)), "--now", "2026-11-21T00:00:00")[0]
        == ExitCode.USAGE
    )


def _classified() -> dict[str, str]:
    """The canary runs' provenance: their safety flags came from a classifier on the traffic
    (the shipped safety policy requires more than a heuristic there)."""
    from govgate.evidence import provenance
    from govgate.evidence.provenance import Measure
    from govgate.terms import Method

    flags = ("toxicity_rate", "hallucination_rate", "policy_violation_rate")
    measure = Measure(method=Method.CLASSIFIER, by="traffic-safety-classifier", version="3")
    return {provenance.TAG: provenance.tag_value({name: [measure] for name in flags}, [])}


@pytest.fixture(scope="module")
def example_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Runs with the evidence the shipped example policies read, in a real SQLite store."""
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("examples")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), root)
    cost = {"cost_usd_per_1k_requests": 1.20, "latency_ms_p95": 1400.0}
    champion = b.eval_run(
        "champion",
        "rag-assistant",
        "1",
        "canary",
        metrics=cost,
        items=rag_items(3000, toxic=0.0, seed=1),
    )
    # version 2 a good canary; version 4 the same canary, with no record of how its flags
    # were measured
    good, unrecorded = (
        b.eval_run(
            label,
            "rag-assistant",
            version,
            "canary",
            metrics={"cost_usd_per_1k_requests": 1.25, "latency_ms_p95": 1450.0},
            items=rag_items(3000, toxic=0.0, seed=1, quality_shift=0.005),
            tags=tags,
        )
        for label, version, tags in (("good", "2", _classified()), ("good-unrecorded", "4", {}))
    )
    toxic = b.eval_run(
        "toxic",
        "rag-assistant",
        "3",
        "canary",
        metrics=cost,
        # 4% toxic: on the canary's confidence sequence, 3% (90 of 3000) bounds only to 1.9%
        items=rag_items(3000, toxic=0.04, seed=1),
        tags=_classified(),
    )
    for run_id in (champion, good, toxic, unrecorded):
        b.version("rag-assistant", run_id)
    b.client.set_registered_model_alias("rag-assistant", "champion", "1")
    b.eval_run(
        "credit-fair",
        "credit-risk",
        "1",
        "offline",
        metrics={"psi_max": 0.05},
        items=credit_items(8000, young_penalty=0.0, seed=3),
    )
    b.eval_run(
        "credit-unfair",
        "credit-risk",
        "2",
        "offline",
        metrics={"psi_max": 0.05},
        items=credit_items(8000, young_penalty=0.25, seed=3),
    )
    b.version("credit-risk", None)
    b.version("credit-risk", None)
    return uri


def check_examples(
    uri: str, candidate: str, stage: str, *extra: str, policies: str = "policies"
) -> tuple[int, dict[str, Any]]:
    code, out, err = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        policies,
        "--candidate",
        candidate,
        "--stage",
        stage,
        "--format",
        "json",
        *extra,
    )
    assert err == "", err
    return code, json.loads(out)["decision"]


def test_shipped_policies_pass_a_good_canary(example_store: str, repo_root: Path) -> None:
    code, decision = check_examples(
        example_store, "models:/rag-assistant/2", "canary", "--baseline", CHAMPION
    )
    outcomes = {r["rule"]: r["outcome"] for r in decision["rules"] if r["outcome"] != "skipped"}
    assert decision["verdict"] == "PASS", outcomes
    assert code == ExitCode.OK
    assert set(outcomes.values()) == {"pass"}
    assert len(outcomes) == 11  # every RAG rule for the canary stage was evaluated
    waiver = decision["waivers"][0]
    assert (waiver["name"], waiver["status"]) == ("cost-cap-holiday-canary", "unused")


def test_on_a_canary_safety_flags_of_unknown_measurement_are_gaps(example_store: str) -> None:
    code, decision = check_examples(
        example_store, "models:/rag-assistant/4", "canary", "--baseline", CHAMPION
    )
    assert code == ExitCode.INCONCLUSIVE
    gaps = {r["rule"]: r["reason"] for r in decision["rules"] if r["outcome"] == "gap"}
    assert set(gaps) == {"toxicity-ceiling", "hallucination-ceiling", "policy-violation-ceiling"}
    assert (
        "candidate.toxicity_rate: measured by unknown (not recorded); the rule requires "
        in (gaps["toxicity-ceiling"])
    )


def test_shipped_policies_roll_back_a_toxic_canary(example_store: str, repo_root: Path) -> None:
    code, decision = check_examples(
        example_store, "models:/rag-assistant/3", "canary", "--baseline", CHAMPION
    )
    outcomes = {r["rule"]: r["outcome"] for r in decision["rules"]}
    assert code == ExitCode.ROLLBACK
    assert decision["verdict"] == "ROLLBACK"
    assert outcomes["canary-toxicity-spike"] == "fail"
    assert outcomes["toxicity-ceiling"] == "fail"
    spike = next(r for r in decision["rules"] if r["rule"] == "canary-toxicity-spike")
    observed = {o["path"]: o["value"] for o in spike["observed"]}
    assert observed["candidate.stats.toxicity_rate.lower"] > 0.02
    assert spike["file"] == "policies/rag-assistant/canary-rollback.yaml"


def test_shipped_policies_judge_classifier_fairness(example_store: str, repo_root: Path) -> None:
    code, fair = check_examples(
        example_store,
        "search:rag-evals?tags.`govgate.model.version` = '1' "
        "and tags.`govgate.model.name` = 'credit-risk'",
        "offline",
        policies="policies/tabular-classifier",  # policies are per model folder, not scoped yet
    )
    assert fair["verdict"] == "PASS", [
        (r["rule"], r["outcome"], r["reason"]) for r in fair["rules"]
    ]
    code, unfair = check_examples(
        example_store,
        "search:rag-evals?tags.`govgate.model.version` = '2' "
        "and tags.`govgate.model.name` = 'credit-risk'",
        "offline",
        policies="policies/tabular-classifier",
    )
    outcomes = {r["rule"]: r["outcome"] for r in unfair["rules"]}
    assert code == ExitCode.BLOCKED
    assert outcomes["approval-ratio-by-age-band"] == "fail"
    assert outcomes["accuracy-gap-by-age-band"] == "fail"


def test_one_run_writes_all_seven_formats(sqlite_store: Store, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    files = {
        fmt: out_dir / f"report.{fmt}"
        for fmt in ("json", "markdown", "html", "junit", "sarif", "github")
    }
    formats = [f"--format={fmt}={path}" for fmt, path in files.items()]
    code, out, err = check(sqlite_store, write(tmp_path, tox(0.0003)), "--format", "text", *formats)
    assert code == ExitCode.BLOCKED
    assert out.startswith("Release decision: FAIL (exit 4) | 1 blocking failure")
    for fmt, path in files.items():
        assert path.stat().st_size > 0, fmt
        assert f"govgate: {fmt} report written to {path}" in err
    assert files["markdown"].read_text().startswith("**Release decision: FAIL (exit 4) | ")
    assert json.loads(files["json"].read_text())["decision"]["verdict"] == "FAIL"
    assert json.loads(files["sarif"].read_text())["version"] == "2.1.0"
    assert files["junit"].read_text().startswith('<?xml version="1.0" encoding="UTF-8"?>')
    assert files["github"].read_text().startswith("::error file=")
    assert "<svg" in files["html"].read_text()


@pytest.mark.parametrize(
    "formats",
    [
        ["--format", "pdf"],
        ["--format", "text", "--format", "json"],
        ["--format", "json=a.json", "--output", "b"],
    ],
)
def test_report_format_usage_errors(
    sqlite_store: Store, tmp_path: Path, formats: list[str]
) -> None:
    code, _, err = check(sqlite_store, write(tmp_path, tox(0.05)), *formats)
    assert code == ExitCode.USAGE, err


def test_reports_already_written_are_shown_when_a_later_step_fails(
    sqlite_store: Store, tmp_path: Path
) -> None:
    blocker = tmp_path / "afile"
    blocker.write_text("")
    report = tmp_path / "r.json"
    code, out, err = check(
        sqlite_store,
        write(tmp_path, tox(0.05)),
        "--bundle",
        str(blocker / "bundle"),  # under a file: the bundle cannot be written
        "--format",
        f"json={report}",
        "--format",
        "text",
    )
    assert code == ExitCode.IO_ERROR  # a PASS, but its bundle could not be written
    assert out.startswith("Release decision: PASS (exit 0) | ")  # printed before the failure
    assert f"govgate: json report written to {report}\n" in err
    assert "could not write the audit bundle" in err
    assert json.loads(report.read_text())["decision"]["verdict"] == "PASS"
