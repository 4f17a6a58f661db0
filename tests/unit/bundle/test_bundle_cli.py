"""check --bundle / verify / keygen / --promote-alias, end to end on real SQLite stores."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.errors import EvidenceError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.mlflow.write import promote_alias
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import SECRET, StoreBuilder, items_frame
from tests.support.snapshots import policy

Store = tuple[str, dict[str, str]]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def policies(tmp_path: Path, limit: float = 0.05) -> str:
    folder = tmp_path / "policies"
    folder.mkdir(exist_ok=True)
    rule = "    - id: tox\n      category: safety\n"
    rule += f"      threshold: {{metric: toxicity_rate, max: {limit}}}\n"
    (folder / "p.yaml").write_text(policy(rule))
    return str(folder)


def test_signed_bundle_verifies_and_tampering_fails(sqlite_store: Store, tmp_path: Path) -> None:
    uri, _ids = sqlite_store
    assert cli("keygen", "--out", str(tmp_path / "k"))[0] == 0
    bundle = tmp_path / "out"
    code, _, err = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        policies(tmp_path),
        "--candidate",
        "models:/rag-assistant@challenger",
        "--stage",
        "canary",
        "--bundle",
        str(bundle),
        "--bundle-archive",
        str(tmp_path / "b.zip"),
        "--sign-key",
        str(tmp_path / "k.pem"),
        "--no-mlflow-log",
    )
    assert code == ExitCode.OK, err
    assert "audit bundle written to" in err
    code, out, _ = cli("verify", str(bundle), "--key", str(tmp_path / "k.pub"))
    assert code == ExitCode.OK, out
    assert "signature verified, decision replayed byte for byte (verdict PASS)" in out
    assert cli("verify", str(tmp_path / "b.zip"), "--key", str(tmp_path / "k.pub"))[0] == 0
    # every byte of the bundle, directory and archive: no secret
    for data in [p.read_bytes() for p in bundle.rglob("*") if p.is_file()] + [
        (tmp_path / "b.zip").read_bytes()
    ]:
        assert SECRET.encode() not in data
        assert b"sk-proj" not in data
    # tampering
    (bundle / "report.md").write_text("all good\n")
    code, out, _ = cli("verify", str(bundle), "--key", str(tmp_path / "k.pub"))
    assert code == ExitCode.VERIFY_FAILED.value == 8
    assert "modified: report.md (its sha256 differs from the manifest)" in out
    (bundle / "statement.dsse.json").unlink()
    code, out, _ = cli("verify", str(bundle), "--key", str(tmp_path / "k.pub"), "--format", "json")
    report = json.loads(out)
    assert code == 8
    assert report["verified"] is False
    assert any("not signed" in p for p in report["problems"])


def test_verify_usage_and_unreadable(tmp_path: Path) -> None:
    assert cli("verify", str(tmp_path / "nothing"))[0] == ExitCode.USAGE
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not an archive")
    code, out, _ = cli("verify", str(junk))
    assert code == ExitCode.VERIFY_FAILED
    assert "unreadable" in out
    code, _, err = cli("check", "--candidate", "x.json", "--stage", "canary", "--sign-key", "k.pem")
    assert code == ExitCode.USAGE
    assert "--sign-key signs a bundle" in err


def test_keygen_never_overwrites(tmp_path: Path) -> None:
    assert cli("keygen", "--out", str(tmp_path / "k"))[0] == 0
    assert (tmp_path / "k.pem").stat().st_mode & 0o777 == 0o600
    assert cli("keygen", "--out", str(tmp_path / "k"))[0] == ExitCode.USAGE


#: The tracking URI, the builder over its client, and the eval runs' ids by label.
BuiltStore = tuple[str, StoreBuilder, dict[str, str]]


@pytest.fixture
def store(tmp_path: Path) -> BuiltStore:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    v1 = b.eval_run("v1", "assistant", "1", "canary", items=items_frame(2000, 0, seed=1))
    v2 = b.eval_run("v2", "assistant", "2", "canary", items=items_frame(2000, 0, seed=2))
    v3 = b.eval_run("v3", "assistant", "3", "canary", items=items_frame(2000, 600, seed=3))
    for run_id in (v1, v2, v3):
        b.version("assistant", run_id)
    b.client.set_registered_model_alias("assistant", "champion", "1")
    return uri, b, {"v1": v1, "v2": v2, "v3": v3}


def test_bundle_is_logged_to_the_candidate_run(store: BuiltStore, tmp_path: Path) -> None:
    uri, b, ids = store
    code, _, err = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        policies(tmp_path),
        "--candidate",
        "models:/assistant/2",
        "--stage",
        "canary",
        "--bundle",
        str(tmp_path / "bundle"),
    )
    assert code == ExitCode.OK, err
    run = b.client.get_run(ids["v2"])
    assert run.data.tags["govgate.verdict"] == "PASS"
    path = run.data.tags["govgate.bundle"]
    assert path == f"govgate/bundles/{run.data.tags['govgate.decision_digest'][:16]}"
    listed = {f.path for f in b.client.list_artifacts(ids["v2"], path)}
    assert f"{path}/manifest.json" in listed
    assert f"{path}/statement.json" in listed


def test_promotion_only_on_pass_and_only_if_the_alias_did_not_move(
    store: BuiltStore, tmp_path: Path
) -> None:
    uri, b, _ = store
    base = (
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        policies(tmp_path),
        "--stage",
        "canary",
        "--promote-alias",
        "champion",
        "--baseline",
        "models:/assistant@champion",
    )
    code, _, err = cli(*base, "--candidate", "models:/assistant/3")  # 30% toxic: blocked
    assert code == ExitCode.BLOCKED
    assert "not promoting models:/assistant@champion: the verdict is FAIL" in err
    assert str(b.client.get_model_version_by_alias("assistant", "champion").version) == "1"
    code, _, err = cli(*base, "--candidate", "models:/assistant/2")
    assert code == ExitCode.OK, err
    assert "promoted models:/assistant@champion to version 2 (was 1)" in err
    assert str(b.client.get_model_version_by_alias("assistant", "champion").version) == "2"
    # the alias moved after the evidence was read: compare-and-set refuses
    source = MlflowSource(MlflowSettings(tracking_uri=uri))
    with pytest.raises(EvidenceError) as info:
        promote_alias(source, "assistant", "champion", "3", expected="1")
    assert info.value.code == "evidence.changed"
    assert "points to version 2 now, but to 1 when the evidence was read" in str(info.value)
    assert str(b.client.get_model_version_by_alias("assistant", "champion").version) == "2"


def test_preregistration_match_and_mismatch(tmp_path: Path) -> None:
    from govgate.policy.loader import load_policy_set

    folder = policies(tmp_path)
    digest = load_policy_set([folder])[0].digest()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    b = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    tag = {"govgate.stage": "canary"}
    same = b.run("same", tags={"govgate.policy_digest": digest, **tag}, items=items_frame(1000, 0))
    other = b.run(
        "other", tags={"govgate.policy_digest": "0" * 64, **tag}, items=items_frame(1000, 0)
    )
    for run_id, status in ((same, "match"), (other, "mismatch")):
        _, out, _ = cli(
            "check",
            "--tracking-uri",
            uri,
            "--policies",
            folder,
            "--candidate",
            run_id,
            "--stage",
            "canary",
            "--format",
            "json",
        )
        decision = json.loads(out)["decision"]
        assert decision["preregistration"]["status"] == status
        assert decision["preregistration"]["applied"] == digest
    _code, out, _ = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        folder,
        "--candidate",
        other,
        "--stage",
        "canary",
        "--format",
        "markdown",
    )
    assert "the policies CHANGED after the evaluation was scored" in out
