"""`govgate check` end to end on a real SQLite store: verdicts, exit codes, waivers, replay."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
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
        (tox(0.05), ExitCode.OK, "PASS"),  # 4/600 toxic: upper bound about 1.5%
        (tox(0.001), ExitCode.BLOCKED, "FAIL"),  # lower bound about 0.2%
        (tox(0.001, category="rollback"), ExitCode.ROLLBACK, "ROLLBACK"),
        (tox(0.01), ExitCode.INCONCLUSIVE, "INCONCLUSIVE"),
        (tox(0.05) + tox(0.001, enforce="warn", rule_id="tight"), ExitCode.OK, "WARN"),
    ],
)
def test_verdicts_and_exit_codes(
    sqlite_store: Store, tmp_path: Path, rules: str, code: int, verdict: str
) -> None:
    exit_code, out, err = check(sqlite_store, write(tmp_path, rules))
    assert exit_code == code, err
    assert out.startswith(f"Release decision: {verdict} (stage canary)")


def test_fail_on_warn(sqlite_store: Store, tmp_path: Path) -> None:
    policies = write(tmp_path, tox(0.05) + tox(0.001, enforce="warn", rule_id="tight"))
    assert check(sqlite_store, policies, "--fail-on-warn")[0] == ExitCode.BLOCKED


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
        "      relative: {metric: answer_correctness, direction: higher_is_better, margin: 0.05}\n",
    )
    now = "2026-11-21T12:00:00Z"
    snap = tmp_path / "snap" / "evidence.json"
    code, out, _ = check(
        sqlite_store,
        policies,
        "--baseline",
        CHAMPION,
        "--format",
        "json",
        "--now",
        now,
        "--snapshot-out",
        str(snap),
    )
    decision = json.loads(out)
    assert code == ExitCode.INCONCLUSIVE
    assert decision["format"] == "govgate.decision/v1"
    assert decision["verdict"] == "INCONCLUSIVE"
    assert {r["rule"]: r["outcome"] for r in decision["rules"]} == {
        "tox": "inconclusive",
        "quality": "pass",
    }
    quality = next(r for r in decision["rules"] if r["rule"] == "quality")
    observed = {o["path"]: o["value"] for o in quality["observed"]}
    assert observed["compare.answer_correctness.paired"] is True
    assert observed["compare.answer_correctness.n"] == 600
    # offline replay: the same snapshot, policies and instant give the same decision, byte for byte
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
        "--now",
        now,
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
    policies = write(tmp_path, tox(0.001) + tox(0.05, rule_id="loose"))
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(waiver("2026-12-31"))
    code, out, _ = check(
        sqlite_store, policies, "--waivers", str(waivers), "--now", "2026-11-21T00:00:00Z"
    )
    assert code == ExitCode.OK
    assert "WAIVED       p/tox" in out
    assert "approved by head-of-safety@example.com, SAFE-7" in out
    assert "applied      w (p/tox, SAFE-7, expires 2026-12-31)" in out
    code, out, _ = check(
        sqlite_store, policies, "--waivers", str(waivers), "--now", "2027-01-01T00:00:01Z"
    )
    assert code == ExitCode.BLOCKED
    assert "expired      w" in out
    waivers.write_text(waiver("2026-12-31", scope="{models: [another-model]}"))
    code, out, _ = check(
        sqlite_store, policies, "--waivers", str(waivers), "--now", "2026-11-21T00:00:00Z"
    )
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
        "      relative: {metric: answer_correctness, direction: higher_is_better, margin: 0.05}\n",
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
