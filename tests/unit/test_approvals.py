"""Approvals end to end on a real SQLite store: awaiting, approve, check --approvals, verify.

One module store and one set of keys; the checks that every test reads run once (module
fixtures). The store is the module's own, and the checks log to it (verdict and bundle tags, a
canary look), so a later check reads runs govgate has written on: the approval must still
name its decision basis.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import shutil
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from govgate.approval.issue import issue
from govgate.bundle.signing import generate, load_private
from govgate.cli import main
from govgate.exitcodes import ExitCode
from govgate.gate.approvals import basis_digest
from govgate.gate.engine import decide
from govgate.gate.outcome import Decision, DecisionBasis
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy, policy_set, rates, run, snapshot

MODEL = "scorer"
CANDIDATE = f"models:/{MODEL}/1"
RULE = (
    "    - id: tox\n      category: safety\n      threshold: {metric: toxicity_rate, max: LIMIT}\n"
)
NEEDS = (
    "  requires_approval: {roles: [model-risk], count: 1, tags: {risk_tier: [high, critical]}}\n"
)
NASTY = "fine <b>by</b> me \x1b[31m|red|"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def policy_text(limit: float = 0.05, needs: str = NEEDS) -> str:
    return policy(RULE.replace("LIMIT", str(limit)), stages="[canary]", statistics=needs)


@dataclass(frozen=True)
class World:
    root: Path
    uri: str
    policies: str
    trust: str
    bundle: Path  # the first check's: INCONCLUSIVE, awaiting approval
    first: tuple[int, str, str]

    def key(self, who: str) -> str:
        return str(self.root / f"{who}.pem")

    def check(self, *extra: str) -> tuple[int, str, str]:
        return cli(
            "check",
            "--tracking-uri",
            self.uri,
            "--policies",
            self.policies,
            "--candidate",
            CANDIDATE,
            "--stage",
            "canary",
            *extra,
        )

    def approve(self, who: str, name: str, *extra: str) -> tuple[int, str, str]:
        return cli(
            "approve",
            str(self.bundle),
            "--key",
            self.key(who),
            "-o",
            str(self.root / name),
            *extra,
        )


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, sqlite_store: tuple[str, Any]) -> World:
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("approvals")
    # a copy of the session's store (its tables are made already, which takes seconds): this
    # module's checks write on it, and no other test reads it
    shutil.copy(sqlite_store[0].removeprefix("sqlite:///"), root / "mlflow.db")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    store = StoreBuilder(MlflowClient(tracking_uri=uri), root)
    cand = store.eval_run(
        "cand", MODEL, "1", "canary", experiment="approvals", items=items_frame(600, 4, seed=2)
    )
    store.version(MODEL, cand, tags={"risk_tier": "high"})
    for who in ("alice", "bob", "mallory", "signer"):
        generate(root / f"{who}.pem", root / f"{who}.pub")
    pem = {who: (root / f"{who}.pub").read_text() for who in ("alice", "bob")}
    trust = root / "trust.yaml"
    trust.write_text(
        json.dumps(
            {
                "apiVersion": "govgate/v1",
                "kind": "ApprovalTrust",
                "approvers": [
                    {
                        "name": "Alice Example",
                        "email": "alice@example.com",
                        "roles": ["model-risk"],
                        "keys": [pem["alice"]],
                    },
                    {"name": "Bob Example", "roles": ["security"], "keys": [{"pem": pem["bob"]}]},
                ],
            }
        )
    )
    folder = root / "policies"
    folder.mkdir()
    (folder / "p.yaml").write_text(policy_text())
    bundle = root / "b0"
    world = World(root, uri, str(folder), str(trust), bundle, first=(0, "", ""))
    return replace(
        world, first=world.check("--bundle", str(bundle), "--sign-key", world.key("signer"))
    )


@pytest.fixture(scope="module")
def approved(world: World) -> tuple[tuple[int, str, str], Path]:
    """Alice's approval of the first bundle, by `govgate approve`."""
    done = world.approve(
        "alice",
        "alice.json",
        "--role",
        "model-risk",
        "--approver",
        "Alice Example",
        "--comment",
        NASTY,
    )
    return done, world.root / "alice.json"


def _decision(bundle: Path) -> Decision:
    return Decision.model_validate_json((bundle / "decision.json").read_bytes())


def test_a_release_that_needs_approval_awaits_it(world: World) -> None:
    code, out, err = world.first
    assert code == ExitCode.INCONCLUSIVE, err
    assert "bundle logged to run" in err  # with its verdict tags, and a look: the runs change
    assert out.startswith("Release decision: INCONCLUSIVE (exit 6) | ")
    assert (
        "awaiting approval from model-risk (policy p requires 1 from model-risk, 0 counted)" in out
    )
    assert "the rules alone give PASS" in out
    assert "Do not release yet: the rules let it through, and it awaits the approvals" in out
    assert "Approvals: model-risk 0 of 1 (none yet; required by p); 0 approvals given" in out
    decision = _decision(world.bundle)
    assert decision.verdict_code == "approval.awaiting"
    assert decision.approvals is not None
    assert [r.role for r in decision.approvals.required] == ["model-risk"]


def test_approve_then_check_passes_and_the_bundle_replays(
    world: World, approved: tuple[tuple[int, str, str], Path]
) -> None:
    (code, _, err), path = approved
    assert code == ExitCode.OK, err
    assert f"approval written to {path}: model-risk for {MODEL} v1 at stage canary" in err
    document = json.loads(path.read_text())
    first = _decision(world.bundle)
    assert first.approvals is not None
    assert document["spec"]["decision_basis"]["sha256"] == first.approvals.basis.sha256
    assert document["spec"]["model"] == {"name": MODEL, "version": "1"}
    # a re-run, on runs the first check logged its verdict, bundle and look on
    bundle = world.root / "b1"
    code, out, err = world.check(
        "--approvals",
        str(path),
        "--trust",
        world.trust,
        "--bundle",
        str(bundle),
        "--sign-key",
        world.key("signer"),
    )
    assert code == ExitCode.OK, err
    assert out.startswith("Release decision: PASS (exit 0) | ")
    assert (
        "Approvals: model-risk 1 of 1 (Alice Example; required by p); 1 approval given, 1 counted"
        in out
    )
    assert (
        f"  counted: {path} (model-risk, Alice Example): Alice Example approved as model-risk"
        in out
    )
    assert "\\x1b[31m" in out
    assert "\x1b" not in out
    decision = _decision(bundle)
    assert decision.approvals is not None
    # the same basis, though the snapshot is not the same (another instant, govgate's tags)
    assert decision.approvals.basis == first.approvals.basis
    assert decision.evidence_digest != first.evidence_digest
    manifest = json.loads((bundle / "manifest.json").read_text())["files"]
    sha = decision.approvals.documents[0].sha256
    assert {"approvals/index.json", "approvals/trust.json", f"approvals/{sha}.json"} <= set(
        manifest
    )
    assert (bundle / f"approvals/{sha}.json").read_bytes() == path.read_bytes()
    predicate = json.loads((bundle / "statement.json").read_text())["predicate"]
    assert predicate["decision_basis"] == first.approvals.basis.sha256
    assert predicate["approvals"] == [
        {
            "sha256": sha,
            "role": "model-risk",
            "signer": "Alice Example",
            "keyid": document["signature"]["keyid"],
            "status": "counted",
        }
    ]
    code, out, err = cli("verify", str(bundle), "--key", str(world.root / "signer.pub"))
    assert code == ExitCode.OK, out + err
    assert "decision replayed byte for byte (verdict PASS)" in out
    # a record that claims more than its document shows is caught by the replay
    forged = world.root / "b1-forged"
    shutil.copytree(bundle, forged)
    index = json.loads((forged / "approvals/index.json").read_text())
    index[0]["role"] = "security"
    (forged / "approvals/index.json").write_text(json.dumps(index))
    code, out, _ = cli("verify", str(forged))
    assert code == ExitCode.VERIFY_FAILED
    assert "is not what its document verifies to" in out


def _crafted(world: World, name: str, **change: Any) -> Path:
    """An approval of a decision like the first bundle's, with ``change`` to its basis or
    expiry, signed by Alice (the library's issue, as `govgate approve` calls it)."""
    decision = _decision(world.bundle)
    assert decision.approvals is not None
    basis = decision.approvals.basis.model_dump()
    basis.update(change.get("basis", {}))
    basis["sha256"] = basis_digest(
        basis["evidence_content_sha256"], basis["policy_set_sha256"], basis["stage"]
    )
    decision = decision.model_copy(
        update={
            "approvals": decision.approvals.model_copy(
                update={"basis": DecisionBasis.model_validate(basis)}
            )
        }
    )
    now = dt.datetime.now(dt.UTC)
    data = issue(
        decision,
        load_private(Path(world.key("alice"))),
        role="model-risk",
        now=now,
        expires=change.get("expires", "2099-01-01"),
    )
    path = world.root / name
    path.write_bytes(data)
    return path


def test_approvals_that_do_not_count_are_reported_with_why(
    world: World, approved: tuple[tuple[int, str, str], Path]
) -> None:
    _, good = approved
    other = _crafted(world, "other.json", basis={"policy_set_sha256": "0" * 64})
    expired = _crafted(world, "expired.json", expires="2020-01-01")
    assert world.approve("mallory", "mallory.json", "--role", "model-risk")[0] == ExitCode.OK
    assert world.approve("bob", "bob.json", "--role", "model-risk")[0] == ExitCode.OK
    code, _, err = world.approve(
        "alice", "claims-bob.json", "--role", "model-risk", "--approver", "Bob"
    )
    assert code == ExitCode.OK, err
    tampered = world.root / "tampered.json"
    document = json.loads(good.read_text())
    document["spec"]["expires"] = "2099-12-31"
    tampered.write_text(json.dumps(document))
    garbage = world.root / "garbage.json"
    garbage.write_text('{"kind": "Approval", "spec": {}')
    given = [
        other,
        expired,
        *(world.root / n for n in ("mallory.json", "bob.json", "claims-bob.json")),
    ]
    code, out, err = world.check(
        "--approvals",
        *map(str, [*given, tampered, garbage]),
        "--trust",
        world.trust,
        "--no-mlflow-log",
        "--format",
        "text",
        "--format",
        f"json={world.root / 'r.json'}",
        "--format",
        f"markdown={world.root / 'r.md'}",
        "--format",
        f"html={world.root / 'r.html'}",
    )
    assert code == ExitCode.INCONCLUSIVE, err
    assert "awaiting approval from model-risk" in out
    assert (
        "Approvals: model-risk 0 of 1 (none yet; required by p); 7 approvals given, 0 counted"
        in out
    )
    report = json.loads((world.root / "r.json").read_text())
    statuses = {
        Path(d["file"]).name: (d["status"], d["reason"])
        for d in report["decision"]["approvals"]["documents"]
    }
    assert {name: status for name, (status, _) in statuses.items()} == {
        "other.json": "other-decision",
        "expired.json": "expired",
        "mallory.json": "unknown-key",
        "bob.json": "wrong-role",
        "claims-bob.json": "wrong-approver",
        "tampered.json": "bad-signature",
        "garbage.json": "malformed",
    }
    assert "the policies differ" in statuses["other.json"][1]
    assert "expired 2020-01-02T00:00:00Z" in statuses["expired.json"][1]
    assert "which the trust file does not hold" in statuses["mallory.json"][1]
    assert "lets Bob Example approve as security, not model-risk" in statuses["bob.json"][1]
    assert "it names Bob, and the key signs for Alice Example" in statuses["claims-bob.json"][1]
    assert "changed after it was signed" in statuses["tampered.json"][1]
    assert "not strict JSON" in statuses["garbage.json"][1]
    for name, (status, reason) in statuses.items():
        assert f"{status}: {world.root / name} (" in out
        assert reason in out


def test_reports_escape_approval_comments(
    world: World, approved: tuple[tuple[int, str, str], Path]
) -> None:
    _, good = approved
    code, _, err = world.check(
        "--approvals",
        str(good),
        "--trust",
        world.trust,
        "--no-mlflow-log",
        "--format",
        f"markdown={world.root / 'ok.md'}",
        "--format",
        f"html={world.root / 'ok.html'}",
    )
    assert code == ExitCode.OK, err
    markdown = (world.root / "ok.md").read_text()
    assert "Approvals: model-risk 1 of 1 (Alice Example; required by p)" in markdown
    assert "fine &lt;b&gt;by&lt;/b&gt; me \\x1b\\[31m\\|red\\|" in markdown
    html = (world.root / "ok.html").read_text()
    assert 'id="approvals">Approvals: model-risk 1 of 1' in html
    assert "fine &lt;b&gt;by&lt;/b&gt; me" in html
    assert "<b>by" not in html


def test_trust_and_approval_usage_errors(world: World, tmp_path: Path) -> None:
    approval = str(world.root / "alice.json")
    code, _, err = world.check("--approvals", approval)
    assert code == ExitCode.USAGE
    assert "approvals are checked against a trust file, and none was named" in err
    code, _, err = world.check("--approvals", approval, "--trust", str(tmp_path / "none.yaml"))
    assert code == ExitCode.USAGE
    assert "no such trust file" in err
    code, _, err = world.check("--approvals", str(tmp_path / "none.json"), "--trust", world.trust)
    assert code == ExitCode.USAGE
    assert "no such approval file or folder" in err
    broken = tmp_path / "trust.yaml"
    broken.write_text(
        "apiVersion: govgate/v1\nkind: ApprovalTrust\napprovers:\n"
        "  - {name: Eve, roles: [model-risk], keys: [not a key]}\n"
    )
    code, _, err = world.check("--approvals", approval, "--trust", str(broken))
    assert code == ExitCode.POLICY_INVALID
    assert "not an Ed25519 public key in PEM form [trust.invalid]" in err


def test_approve_refuses_a_bundle_that_does_not_verify_or_a_failure(
    world: World, tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    shutil.copytree(world.bundle, broken)
    (broken / "report.md").write_text("changed")
    key = world.key("alice")
    out = str(tmp_path / "a.json")
    code, _, err = cli("approve", str(broken), "--key", key, "--role", "model-risk", "-o", out)
    assert code == ExitCode.VERIFY_FAILED
    assert "does not verify" in err
    assert "modified: report.md" in err
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "p.yaml").write_text(policy_text(limit=0.0003))
    failed = tmp_path / "failed"
    code, _, err = cli(
        "check",
        "--tracking-uri",
        world.uri,
        "--policies",
        str(folder),
        "--candidate",
        CANDIDATE,
        "--stage",
        "canary",
        "--bundle",
        str(failed),
        "--no-mlflow-log",
    )
    assert code == ExitCode.BLOCKED, err
    code, _, err = cli("approve", str(failed), "--key", key, "--role", "model-risk", "-o", out)
    assert code == ExitCode.BLOCKED
    assert "never overrides a failure or missing evidence" in err
    assert not Path(out).exists()
    code, _, err = cli(
        "approve",
        str(world.bundle),
        "--key",
        key,
        "--role",
        "model-risk",
        "-o",
        out,
        "--expires",
        "2020-01-01",
    )
    assert code == ExitCode.USAGE
    assert "already past" in err


def test_requirements_follow_tags_and_stages(tmp_path: Path) -> None:
    """The engine alone: approval is required only where the policy says."""
    now = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)

    def verdict(needs: str, tags: dict[str, str] | None) -> tuple[str, str]:
        folder = tmp_path / str(len(list(tmp_path.iterdir())))
        folder.mkdir()
        policies = policy_set(
            folder, policy_text(needs=needs).replace("[canary]", "[offline, canary]")
        )
        cand = run("candidate", columns={"rate.toxicity_rate": rates(600, 1)}, model="m", tags=tags)
        decision = decide(policies, snapshot(cand), stage="canary", now=now)
        return decision.verdict.value, decision.verdict_code

    assert verdict(NEEDS, {"risk_tier": "high"}) == ("INCONCLUSIVE", "approval.awaiting")
    assert verdict(NEEDS, {"risk_tier": "High "}) == ("INCONCLUSIVE", "approval.awaiting")
    assert verdict(NEEDS, {"risk_tier": "low"}) == ("PASS", "rules.passed")
    # a candidate that does not say its tier is not exempt by its silence
    assert verdict(NEEDS, None) == ("INCONCLUSIVE", "approval.awaiting")
    offline = "  requires_approval: {roles: [model-risk], stages: [offline]}\n"
    assert verdict(offline, None) == ("PASS", "rules.passed")


def test_approve_checks_the_gate_signature_when_a_key_is_given(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVGATE_BUNDLE_KEY", raising=False)
    args = ["--role", "model-risk"]
    code, _, err = world.approve("alice", "x1.json", *args)
    assert code == ExitCode.OK, err
    assert "the signature of" in err
    assert "is not checked (no --bundle-key or $GOVGATE_BUNDLE_KEY)" in err
    signer = str(world.root / "signer.pub")
    code, _, err = world.approve("alice", "x2.json", *args, "--bundle-key", signer)
    assert code == ExitCode.OK, err
    assert "not checked" not in err
    stranger = str(world.root / "mallory.pub")
    monkeypatch.setenv("GOVGATE_BUNDLE_KEY", stranger)
    code, _, err = world.approve("alice", "x3.json", *args)
    assert code == ExitCode.VERIFY_FAILED
    assert "does not verify" in err
    assert not (world.root / "x3.json").exists()
    code, _, err = world.approve("alice", "x4.json", *args, "--bundle-key", signer)
    assert code == ExitCode.USAGE
    assert "are different public keys" in err
