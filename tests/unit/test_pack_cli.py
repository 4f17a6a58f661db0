"""Policy packs and git sources through the command line: build, load with --policy-key,
every refusal with its exit code and message, and the audit bundle that records the pack."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.evidence.model import write_snapshot
from govgate.exitcodes import ExitCode
from tests.conftest import ROOT
from tests.support.gitrepo import git
from tests.support.snapshots import policy, run, snapshot

RULES = """    - id: cost-cap
      category: cost
      threshold: {metric: cost, max: 2.0, basis: point}
"""


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keys, a policy folder (with a test file, which is not packed), its signed pack, an
    evidence snapshot the policy passes on, and a second key pair."""
    root = tmp_path_factory.mktemp("packs")
    assert cli("keygen", "--out", str(root / "k"))[0] == 0
    assert cli("keygen", "--out", str(root / "other"))[0] == 0
    base = root / "baseline"
    base.mkdir()
    (base / "org.yaml").write_text(policy(RULES, name="org-baseline"))
    (base / "org.test.yaml").write_text(
        "apiVersion: govgate/v1\nkind: PolicyTest\nmetadata: {name: t}\nspec:\n"
        "  policies: [org.yaml]\n  cases:\n    - name: cheap\n      stage: offline\n"
        "      evidence: {candidate: {metrics: {cost: 1.0}}}\n      expect: {verdict: PASS}\n"
    )
    code, out, err = cli(
        "pack", "build", str(base), "-o", str(root / "baseline.tgz"),
        "--sign-key", str(root / "k.pem"), "--version", "1.0.0",
    )  # fmt: skip
    assert code == 0, err
    assert out.startswith(f"pack baseline 1.0.0 written to {root / 'baseline.tgz'}: 1 files")
    assert "not packed: 1 policy test and eval suite files" in out
    write_snapshot(
        snapshot(run("candidate", metrics={"cost": 1.5}, stage="offline")), root / "ev.json"
    )
    return root


def check(work: Path, *policies: str, extra: tuple[str, ...] = ()) -> tuple[int, str, str]:
    args = ["check", "--candidate", str(work / "ev.json"), "--stage", "offline"]
    args += ["--policies", *policies, "--format", "json", *extra]
    return cli(*args)


def test_build_twice_gives_the_same_bytes(work: Path, tmp_path: Path) -> None:
    again = tmp_path / "again.tgz"
    code, _, _ = cli(
        "pack", "build", str(work / "baseline"), "-o", str(again),
        "--sign-key", str(work / "k.pem"), "--version", "1.0.0",
    )  # fmt: skip
    assert code == 0
    assert again.read_bytes() == (work / "baseline.tgz").read_bytes()


def test_build_refuses_an_invalid_folder_with_its_problems(work: Path, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(policy(RULES.replace("cost-cap", "Cost Cap!")))
    code, _, err = cli(
        "pack", "build", str(tmp_path), "-o", str(tmp_path / "p.tgz"),
        "--sign-key", str(work / "k.pem"),
    )  # fmt: skip
    assert code == ExitCode.POLICY_INVALID.value == 3
    assert "bad.yaml:" in err
    assert not (tmp_path / "p.tgz").exists()
    code, _, err = cli("pack", "build", str(tmp_path), "-o", str(tmp_path / "p.tgz"))
    assert code == ExitCode.USAGE
    assert "--sign-key" in err


def test_a_pack_decides_like_its_folder(work: Path) -> None:
    key = ("--policy-key", str(work / "k.pub"))
    code, out, err = check(work, str(work / "baseline.tgz"), extra=key)
    assert code == ExitCode.OK, err
    from_pack = json.loads(out)["decision"]
    code, out, _ = check(work, str(work / "baseline"))
    from_folder = json.loads(out)["decision"]
    assert from_pack["policy_set_digest"] == from_folder["policy_set_digest"]
    assert from_pack["verdict"] == from_folder["verdict"] == "PASS"
    assert [r["outcome"] for r in from_pack["rules"]] == ["pass"]


def test_check_refuses_a_pack_without_a_key(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVGATE_POLICY_KEY", raising=False)
    code, out, err = check(work, str(work / "baseline.tgz"))
    assert code == ExitCode.POLICY_INVALID
    assert out == ""
    assert f"{work / 'baseline.tgz'}: error: a policy pack is loaded only once its signature" in err
    assert "[pack.no-key]" in err
    code, _, err = check(work, str(work / "baseline.tgz"), extra=("--unsafe-unsigned-pack",))
    assert code == ExitCode.OK
    assert "warning: --unsafe-unsigned-pack" in err
    monkeypatch.setenv("GOVGATE_POLICY_KEY", str(work / "k.pub"))
    assert check(work, str(work / "baseline.tgz"))[0] == ExitCode.OK
    monkeypatch.setenv("GOVGATE_POLICY_KEY", str(work / "other.pub"))
    code, _, err = check(work, str(work / "baseline.tgz"))
    assert code == ExitCode.POLICY_INVALID
    assert "[pack.signature]" in err


def _members(pack: Path) -> dict[str, bytes]:
    with tarfile.open(pack, "r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _write(path: Path, members: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as tar,
    ):
        for name, data in sorted(members.items()):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buffer.getvalue())
    return str(path)


@pytest.mark.parametrize(
    ("change", "key", "code", "said"),
    [
        ("member", "k", "pack.tampered", "!org.yaml: error: its sha256 or size differs"),
        ("extra", "k", "pack.tampered", "!extra.yaml: error: in the archive, but not in"),
        ("manifest", "k", "pack.tampered", "!pack.json: error: pack.json differs from the"),
        ("none", "other", "pack.signature", "does not verify under the key given"),
        ("unsigned", "k", "pack.unsigned", "the pack is not signed (pack.dsse.json is missing)"),
    ],
)
def test_every_refusal_exits_3_with_its_code(
    work: Path, tmp_path: Path, change: str, key: str, code: str, said: str
) -> None:
    members = _members(work / "baseline.tgz")
    if change == "member":
        members["org.yaml"] = members["org.yaml"].replace(b"max: 2.0", b"max: 99.0")
    elif change == "extra":
        members["extra.yaml"] = b"kind: Waiver\n"
    elif change == "manifest":
        members["pack.json"] = members["pack.json"].replace(b'"1.0.0"', b'"1.0.1"')
    elif change == "unsigned":
        del members["pack.dsse.json"]
    pack = _write(tmp_path / "p.tgz", members)
    exit_code, out, err = check(work, pack, extra=("--policy-key", str(work / f"{key}.pub")))
    assert exit_code == ExitCode.POLICY_INVALID
    assert out == ""  # never evaluated: no report
    assert said in err
    assert f"[{code}]" in err
    assert "yaml." not in err  # nothing of the pack was parsed


def test_member_names_reach_the_terminal_escaped(work: Path, tmp_path: Path) -> None:
    members = _members(work / "baseline.tgz")
    members["\x1b[2Jevil.yaml"] = b"{}"
    pack = _write(tmp_path / "p.tgz", members)
    _, _, err = check(work, pack, extra=("--policy-key", str(work / "k.pub")))
    assert "\x1b" not in err
    assert "[pack.unreadable]" in err
    assert "\\x1b[2Jevil.yaml" in err


def test_validate_and_test_check_integrity_and_say_so(work: Path, tmp_path: Path) -> None:
    pack = str(work / "baseline.tgz")
    code, out, _ = cli("validate", pack)
    assert code == 0
    assert out.splitlines()[0] == "ok: 1 policy (1 rule), 0 waivers in 1 file"
    assert "signature NOT checked (no --policy-key)" in out
    code, out, _ = cli("validate", pack, "--policy-key", str(work / "k.pub"))
    assert code == 0
    assert "integrity verified, signature verified (key" in out
    members = _members(work / "baseline.tgz")
    members["org.yaml"] += b"# changed\n"
    code, out, _ = cli("validate", _write(tmp_path / "p.tgz", members))
    assert code == 3
    assert "[pack.tampered]" in out
    # a repository's own test names the pack; the pack's rules join the coverage table
    tests = tmp_path / "tests"
    tests.mkdir()
    (tests / "t.test.yaml").write_text(
        (work / "baseline" / "org.test.yaml").read_text().replace("[org.yaml]", "[baseline.tgz]")
    )
    (tests / "baseline.tgz").write_bytes((work / "baseline.tgz").read_bytes())
    argv = ["test", str(tests), str(tests / "baseline.tgz"), "-o", str(tmp_path / "r.txt")]
    code, _, err = cli(*argv, "--policy-key", str(work / "k.pub"))
    assert code == 0, err
    assert "1 cases, 0 failed, 0 of 1 rules covered" in err
    code, _, err = cli(*argv, "--policy-key", str(work / "other.pub"))
    assert code == 3
    assert "[pack.signature]" in err


def test_the_bundle_records_the_pack_and_verify_replays_it(work: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    code, _, err = check(
        work,
        str(work / "baseline.tgz"),
        extra=("--policy-key", str(work / "k.pub"), "--bundle", str(bundle), "--sign-key",
               str(work / "k.pem")),
    )  # fmt: skip
    assert code == 0, err
    predicate = json.loads((bundle / "statement.json").read_text())["predicate"]
    (origin,) = predicate["policy_origins"]
    assert origin["kind"] == "pack"
    assert origin["pack"]["name"] == "baseline"
    assert origin["pack"]["version"] == "1.0.0"
    assert origin["pack"]["signature"] == "verified"
    assert (bundle / f"packs/{origin['pack']['manifest_sha256']}.dsse.json").is_file()
    index = json.loads((bundle / "policies/index.json").read_text())
    assert [e["path"] for e in index] == [f"{work / 'baseline.tgz'}!org.yaml"]
    code, out, _ = cli("verify", str(bundle), "--key", str(work / "k.pub"))
    assert code == 0, out
    assert "decision replayed byte for byte" in out
    code, out, _ = cli("pack", "verify", str(bundle), "--key", str(work / "k.pub"))
    assert code == 0, out
    assert "pack baseline 1.0.0" in out
    assert "signature verified, its files are the bundled policies" in out
    code, out, _ = cli("pack", "verify", str(bundle), "--key", str(work / "other.pub"))
    assert code == ExitCode.VERIFY_FAILED
    assert "signature: no signature by key" in out
    code, out, _ = cli("pack", "verify", str(work / "baseline.tgz"), "--key", str(work / "k.pub"))
    assert code == 0
    assert "verified: pack baseline 1.0.0" in out


def test_every_command_that_loads_policies_takes_the_key(work: Path) -> None:
    pack, key = str(work / "baseline.tgz"), str(work / "other.pub")
    refused = [
        ["replay", "--model", "m", "--policies", pack, "--policy-key", key],
        ["diff", pack, pack, "--model", "m", "--policy-key", key],
        ["evidence", "snapshot", "--candidate", str(work / "ev.json"), "--stage", "offline",
         "--policies", pack, "--policy-key", key, "-o", str(work / "unused.json")],
        ["eval", "run", str(ROOT / "evals" / "rag-assistant"), "--outputs", "o.jsonl",
         "--model", "m", "--version", "1", "--policies", pack, "--policy-key", key],
        ["serve", "--allow-model", "m", "--policies", pack, "--policy-key", key],
    ]  # fmt: skip
    for argv in refused:
        code, _, err = cli(*argv, "--tracking-uri", "sqlite:///nowhere/mlflow.db")
        assert (code, "[pack.signature]" in err) == (ExitCode.POLICY_INVALID, True), (argv, err)


def test_a_git_source_at_a_pinned_commit(work: Path, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "org").mkdir(parents=True)
    (repo / "org" / "org.yaml").write_text(policy(RULES, name="org-baseline"))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", ".")
    git(repo, "commit", "-q", "-m", "baseline")
    sha = git(repo, "rev-parse", "HEAD")
    code, out, err = check(work, f"git+file://{repo}@{sha}#org")
    assert code == 0, err
    assert json.loads(out)["decision"]["verdict"] == "PASS"
    code, _, err = check(work, f"git+file://{repo}@main#org")
    assert code == ExitCode.USAGE
    assert "'main' is not a full commit sha" in err
    code, out, _ = cli("validate", f"git+file://{repo}@{sha}")
    assert code == 0
    assert f"from git file://{repo} at {sha}" in out


def test_serve_decides_every_request_under_the_pack_it_verified_at_start(
    work: Path, tmp_path: Path
) -> None:
    """The judge loads the policies per request the way ``serve`` verified them at start
    (with its key): a pack never turns every request into a 503."""
    import datetime as dt

    from mlflow.tracking import MlflowClient

    from govgate.bundle.signing import load_public
    from govgate.evidence.mlflow.settings import MlflowSettings
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.policy.packs import PackTrust
    from govgate.serve.cache import SnapshotCache
    from govgate.serve.judge import Judge
    from govgate.serve.requests import JudgeRequest
    from govgate.serve.settings import ServeSettings
    from govgate.terms import Verdict
    from govgate.usecases.check import load_valid
    from tests.support.mlflow_store import StoreBuilder

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    store = StoreBuilder(MlflowClient(tracking_uri=uri), tmp_path)
    for version, cost in (("1", 1.0), ("2", 1.5)):
        run_id = store.eval_run(f"v{version}", "m", version, "offline", metrics={"cost": cost})
        store.version("m", run_id)
    store.client.set_registered_model_alias("m", "champion", "1")
    pack = str(work / "baseline.tgz")
    trust = PackTrust(key=load_public(work / "k.pub"))
    digest = load_valid([pack], packs=trust).digest()
    settings = ServeSettings(
        policies=(pack,), allow_models=frozenset({"m"}), mlflow=MlflowSettings(uri)
    )
    cache = SnapshotCache(MlflowSource(settings.mlflow), entries=2, max_age_s=60)
    now = dt.datetime.now(dt.UTC)
    judge = Judge(settings, digest, cache, lambda: now, lambda _: None, trust)
    judged = judge.decide(JudgeRequest("m", "models:/m/2", "models:/m@champion", "offline"))
    assert judged.verdict is Verdict.PASS  # cost 1.5 under the pack's cap of 2.0
