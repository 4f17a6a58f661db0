"""One governance for many models: an org pack and two team folders over a store of three
models. Each model is judged by exactly its policies, and a team cannot loosen the baseline."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode

ORG = """apiVersion: govgate/v1
kind: Policy
metadata: {name: org-baseline, version: "1", owners: [risk@example.com], layer: org}
spec:
  stages: [offline]
  rules:
    - id: cost-cap
      category: cost
      threshold: {metric: cost, max: 2.0, basis: point}
"""


def team(name: str, glob: str, metric: str, extends: str = "", rules: str = "") -> str:
    return f"""apiVersion: govgate/v1
kind: Policy
metadata: {{name: {name}, version: "1", owners: [{name}@example.com]{extends}}}
spec:
  stages: [offline]
  selector: {{models: ["{glob}"]}}
  expects: [candidate.metrics.{metric}]
  rules:
    - id: floor
      category: quality
      threshold: {{metric: {metric}, min: 0.7, basis: point}}
{rules}"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """An org key and signed pack, two team folders, and a store of three models whose
    candidates (version 1 of each) carry just their own team's metric and the org's cost."""
    from mlflow.tracking import MlflowClient

    from tests.support.mlflow_store import StoreBuilder

    root = tmp_path_factory.mktemp("platform")
    assert cli("keygen", "--out", str(root / "org"))[0] == 0
    (root / "baseline").mkdir()
    (root / "baseline" / "org.yaml").write_text(ORG)
    code, _, err = cli(
        "pack", "build", str(root / "baseline"), "-o", str(root / "org.tgz"),
        "--sign-key", str(root / "org.pem"), "--version", "1",
    )  # fmt: skip
    assert code == 0, err
    for folder, text in (
        ("team-rag", team("rag-team", "rag-*", "answer_quality")),
        ("team-credit", team("credit-team", "credit-*", "approval_parity")),
    ):
        (root / folder).mkdir()
        (root / folder / "policy.yaml").write_text(text)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    store = StoreBuilder(MlflowClient(tracking_uri=uri), root)
    for model, metrics in (
        ("rag-assistant", {"cost": 1.0, "answer_quality": 0.9}),
        ("credit-risk", {"cost": 1.0, "approval_parity": 0.85}),
        ("fraud-detector", {"cost": 1.0}),
    ):
        store.version(model, store.eval_run(model, model, "1", "offline", metrics=metrics))
    return root, uri


def check(root: Path, uri: str, model: str, *policies: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = cli(
        "check", "--candidate", f"models:/{model}/1", "--stage", "offline",
        "--tracking-uri", uri, "--policies", *policies,
        "--policy-key", str(root / "org.pub"), "--format", "json", "--no-mlflow-log",
    )  # fmt: skip
    return code, json.loads(out) if out else {}, err


@pytest.mark.parametrize(
    ("model", "governed"),
    [
        ("rag-assistant", {"org-baseline", "rag-team"}),
        ("credit-risk", {"org-baseline", "credit-team"}),
        ("fraud-detector", {"org-baseline"}),
    ],
)
def test_each_model_is_judged_by_exactly_its_policies(
    platform: tuple[Path, str], model: str, governed: set[str]
) -> None:
    root, uri = platform
    folders = [str(root / "org.tgz"), str(root / "team-rag"), str(root / "team-credit")]
    code, report, err = check(root, uri, model, *folders)
    assert code == ExitCode.OK, err
    decision = report["decision"]
    assert decision["verdict"] == "PASS"
    assert {p["policy"] for p in decision["policies"] if p["selected"]} == governed
    evaluated = {r["policy"] for r in decision["rules"] if r["outcome"] != "skipped"}
    assert evaluated == governed
    # no gap from another team's policy: each model carries only its own team's metric
    assert report["risk"]["gaps"] == []


def test_a_team_that_loosens_the_baseline_is_refused_at_load(platform: tuple[Path, str]) -> None:
    root, uri = platform
    loose = root / "team-loose"
    loose.mkdir()
    cap = "    - id: cost-cap\n      category: cost\n"
    cap += "      threshold: {metric: cost, max: 3.0, basis: point}\n"
    (loose / "policy.yaml").write_text(
        team("loose-team", "rag-*", "answer_quality", ", extends: org-baseline", cap)
    )
    code, _, err = check(root, uri, "rag-assistant", str(root / "org.tgz"), str(loose))
    assert code == ExitCode.POLICY_INVALID
    assert "would replace org rule org-baseline/cost-cap (" in err
    assert "org.tgz!org.yaml:" in err  # both files named: the org rule's, in the pack
    assert "max 3.0 is above the org rule's 2.0" in err
    assert "[layer.loosened]" in err


def test_a_team_folder_cannot_declare_itself_org_beside_the_pack(
    platform: tuple[Path, str],
) -> None:
    root, uri = platform
    forged = root / "team-forged"
    forged.mkdir()
    (forged / "waiver.yaml").write_text(
        "apiVersion: govgate/v1\nkind: Waiver\nmetadata: {name: skip-cost}\nspec:\n"
        "  policy: org-baseline\n  rule: cost-cap\n  layer: org\n"
        "  justification: the team would rather not pay attention to cost this quarter\n"
        "  approver: someone@example.com\n  ticket: T-1\n  expires: 2099-01-01\n"
    )
    code, _, err = check(root, uri, "rag-assistant", str(root / "org.tgz"), str(forged))
    assert code == ExitCode.POLICY_INVALID
    assert "[layer.unsigned-org]" in err
    assert "waiver 'skip-cost' declares layer org but comes from no signed policy pack" in err
