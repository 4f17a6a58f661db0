"""Signed policy packs and pinned git sources: built deterministically, verified before any of
their YAML is read, loaded and decided like the folder they came from, recorded in bundles."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import json
import shutil
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from govgate import dsse
from govgate.bundle import build
from govgate.bundle.verify import check_packs, verify
from govgate.errors import UsageError
from govgate.evidence.model import Snapshot
from govgate.gate.engine import decide
from govgate.policy import packs
from govgate.policy.compiled import PolicySet
from govgate.policy.loader import load_policy_set
from govgate.policy.origins import OriginKind
from govgate.policy.packs import PackTrust
from govgate.risk.assess import assess
from govgate.usecases.schemas import ReleaseDecision
from tests.support.gitrepo import git
from tests.support.snapshots import policy, run, snapshot

RULES = """    - id: cost-cap
      category: cost
      threshold: {metric: cost, max: 2.0, basis: point}
    - id: latency
      category: latency
      enforce: warn
      expression: candidate.metrics.latency_ms <= 900.0
"""
WAIVER = """apiVersion: govgate/v1
kind: Waiver
metadata: {name: slow-week}
spec:
  policy: org-baseline
  rule: latency
  justification: a known slow dependency, fixed next sprint
  approver: head-of-platform@example.com
  ticket: PLAT-7
  expires: 2027-01-15
"""
NOW = dt.datetime(2026, 11, 21, 12, tzinfo=dt.UTC)
TEST_FILE = """apiVersion: govgate/v1
kind: PolicyTest
metadata: {name: baseline-tests}
spec:
  policies: [org.yaml]
  cases:
    - name: cheap
      stage: offline
      evidence: {candidate: {metrics: {cost: 1.0, latency_ms: 100}}}
      expect: {verdict: PASS}
"""


def folder(root: Path) -> Path:
    """A policy folder: a policy, a waiver in a sub-folder, and a policy test (not packed)."""
    base = root / "baseline"
    (base / "waivers").mkdir(parents=True)
    (base / "org.yaml").write_text(policy(RULES, name="org-baseline"))
    (base / "waivers" / "slow.yaml").write_text(WAIVER)
    (base / "org.test.yaml").write_text(TEST_FILE)
    return base


def files_of(base: Path) -> list[tuple[str, bytes]]:
    policy_set, problems = load_policy_set([str(base)])
    assert problems == []
    return [(Path(s.path).relative_to(base).as_posix(), s.data) for s in policy_set.sources]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("keys")
    dsse.generate(root / "k.pem", root / "k.pub")
    dsse.generate(root / "other.pem", root / "other.pub")
    return {"pem": root / "k.pem", "pub": root / "k.pub", "other": root / "other.pem"}


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return folder(tmp_path_factory.mktemp("src"))


def make(base: Path, key: Path | None, **changes: object) -> bytes:
    return packs.build_pack(
        files_of(base),
        name=str(changes.get("name", "org-baseline")),
        version=str(changes.get("version", "1.4.0")),
        key=dsse.load_private(key) if key is not None else None,
        created_from={"directory": "baseline"},
    )


def trust(keys: dict[str, Path]) -> PackTrust:
    return PackTrust(key=dsse.load_public(keys["pub"]))


def evidence() -> Snapshot:
    return snapshot(run("candidate", metrics={"cost": 1.5, "latency_ms": 1200.0}, stage="offline"))


# -- building ---------------------------------------------------------------------------------


def test_build_is_deterministic_and_the_archive_is_plain(base: Path, keys: dict[str, Path]) -> None:
    first, second = make(base, keys["pem"]), make(base, keys["pem"])
    assert first == second
    assert first[4:8] == b"\0\0\0\0"  # gzip header mtime 0
    with tarfile.open(fileobj=io.BytesIO(first), mode="r:gz") as tar:
        members = tar.getmembers()
    names = [m.name for m in members]
    assert names == sorted(names)
    assert names == ["org.yaml", "pack.dsse.json", "pack.json", "waivers/slow.yaml"]  # no test
    assert {(m.type, m.mtime, m.uid, m.gid, m.uname, m.gname, m.mode) for m in members} == {
        (tarfile.REGTYPE, 0, 0, 0, "", "", 0o644)
    }
    assert make(base, keys["pem"], version="1.4.1") != first


def test_the_manifest_lists_every_file_and_the_envelope_signs_it(
    base: Path, keys: dict[str, Path]
) -> None:
    with tarfile.open(fileobj=io.BytesIO(make(base, keys["pem"])), mode="r:gz") as tar:
        members = {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]
    manifest = json.loads(members["pack.json"])
    assert manifest["format"] == "govgate.pack/v1"
    assert (manifest["name"], manifest["version"]) == ("org-baseline", "1.4.0")
    assert [f["path"] for f in manifest["files"]] == ["org.yaml", "waivers/slow.yaml"]
    org = members["org.yaml"]
    assert manifest["files"][0] == {
        "path": "org.yaml",
        "sha256": packs.sha256(org),
        "size": len(org),
    }
    folder_set, _ = load_policy_set([str(base)])
    assert manifest["policy_set_sha256"] == folder_set.digest()
    payload = dsse.open_envelope(
        members["pack.dsse.json"], dsse.load_public(keys["pub"]), packs.PAYLOAD_TYPE
    )
    assert payload == members["pack.json"]
    with pytest.raises(dsse.SignatureError):  # a pack manifest is never a bundle statement
        dsse.open_envelope(
            members["pack.dsse.json"], dsse.load_public(keys["pub"]), dsse.IN_TOTO_PAYLOAD_TYPE
        )


# -- loading -----------------------------------------------------------------------------------


def test_a_pack_loads_and_decides_like_its_folder(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "dist" / "baseline.tgz"
    pack.parent.mkdir()
    pack.write_bytes(make(base, keys["pem"]))
    from_folder, problems = load_policy_set([str(base)])
    assert problems == []
    from_pack, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert problems == []
    assert from_pack.digest() == from_folder.digest()  # contents only: same set, same digest
    assert sorted(s.path for s in from_pack.sources) == [
        f"{pack}!org.yaml",
        f"{pack}!waivers/slow.yaml",
    ]
    rule = from_pack.policies[0].rules[0]
    assert (rule.span.file, rule.span.line) == (
        f"{pack}!org.yaml",
        from_folder.policies[0].rules[0].span.line,
    )
    (origin,) = from_pack.origins
    assert origin.kind is OriginKind.PACK
    assert origin.pack is not None
    assert (origin.pack.name, origin.pack.version) == ("org-baseline", "1.4.0")
    assert origin.pack.keyid == dsse.keyid(dsse.load_public(keys["pub"]))
    a = decide(from_folder, evidence(), stage="offline", now=NOW)
    b = decide(from_pack, evidence(), stage="offline", now=NOW)
    assert a.policy_set_digest == b.policy_set_digest
    assert [(r.key, r.outcome) for r in a.rules] == [(r.key, r.outcome) for r in b.rules]
    assert a.verdict == b.verdict


def test_folders_and_packs_mix_and_duplicates_are_still_found(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "baseline.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    team = tmp_path / "team"
    team.mkdir()
    (team / "team.yaml").write_text(policy(RULES, name="team"))
    mixed, problems = load_policy_set([str(team), str(pack)], packs=trust(keys))
    assert problems == []
    assert [o.kind for o in mixed.origins] == [OriginKind.FOLDER, OriginKind.PACK]
    assert {p.name for p in mixed.policies} == {"team", "org-baseline"}
    _, problems = load_policy_set([str(base), str(pack)], packs=trust(keys))
    assert "policy.duplicate" in {p.code for p in problems}


def test_without_a_key_a_pack_is_refused_unless_integrity_only_is_asked(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "p.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    policy_set, problems = load_policy_set([str(pack)])
    assert [p.code for p in problems] == ["pack.no-key"]
    assert policy_set.sources == ()
    loaded, problems = load_policy_set([str(pack)], packs=PackTrust(require_signature=False))
    assert problems == []
    assert loaded.origins[0].pack is not None
    assert loaded.origins[0].pack.keyid is None
    assert loaded.origins[0].record()["pack"]["signature"] == "not-checked"


def _members(data: bytes) -> dict[str, bytes]:
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        return {m.name: tar.extractfile(m).read() for m in tar.getmembers()}  # type: ignore[union-attr]


def _retar(
    members: dict[str, bytes], extra: Callable[[tarfile.TarFile], None] | None = None
) -> bytes:
    buffer = io.BytesIO()
    with (
        gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz,
        tarfile.open(fileobj=gz, mode="w") as tar,
    ):
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        if extra is not None:
            extra(tar)
    return buffer.getvalue()


def _edit_member(m: dict[str, bytes]) -> dict[str, bytes]:
    # invalid YAML: were it parsed, a yaml.* problem would be reported beside the refusal
    return {**m, "org.yaml": m["org.yaml"] + b"\n  : {[ not: yaml\n"}


def _extra_member(m: dict[str, bytes]) -> dict[str, bytes]:
    return {**m, "extra.yaml": b"apiVersion: govgate/v1\nkind: Waiver\n"}


def _missing_member(m: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in m.items() if k != "waivers/slow.yaml"}


def _changed_manifest(m: dict[str, bytes]) -> dict[str, bytes]:
    manifest = json.loads(m["pack.json"])
    manifest["version"] = "9.9.9"
    return {**m, "pack.json": json.dumps(manifest).encode()}


def _unsigned(m: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in m.items() if k != "pack.dsse.json"}


@pytest.mark.parametrize(
    ("tamper", "code", "where"),
    [
        (_edit_member, "pack.tampered", "!org.yaml"),
        (_extra_member, "pack.tampered", "!extra.yaml"),
        (_missing_member, "pack.tampered", "!waivers/slow.yaml"),
        (_changed_manifest, "pack.tampered", "!pack.json"),
        (_unsigned, "pack.unsigned", ""),
    ],
    ids=["member", "extra", "missing", "manifest", "unsigned"],
)
def test_a_tampered_pack_is_refused_before_any_yaml_is_read(
    base: Path,
    keys: dict[str, Path],
    tmp_path: Path,
    tamper: Callable[[dict[str, bytes]], dict[str, bytes]],
    code: str,
    where: str,
) -> None:
    pack = tmp_path / "p.tgz"
    pack.write_bytes(_retar(tamper(_members(make(base, keys["pem"])))))
    policy_set, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert {p.code for p in problems} == {code}
    assert problems[0].span.file == f"{pack}{where}"
    assert policy_set.sources == ()
    assert policy_set.policies == ()


def test_a_pack_signed_by_another_key_is_refused(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "p.tgz"
    pack.write_bytes(make(base, keys["other"]))
    _, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert [p.code for p in problems] == ["pack.signature"]
    assert "does not verify under the key given" in problems[0].message
    # re-signing a changed manifest with another key is the same refusal
    members = _changed_manifest(_members(make(base, keys["pem"])))
    key = dsse.load_private(keys["other"])
    members["pack.dsse.json"] = dsse.sign(members["pack.json"], key, packs.PAYLOAD_TYPE)
    pack.write_bytes(_retar(members))
    _, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert [p.code for p in problems] == ["pack.signature"]


def _link(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("evil.yaml")
    info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
    tar.addfile(info)


def _folder_entry(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("waivers")
    info.type = tarfile.DIRTYPE
    tar.addfile(info)


def _escape(tar: tarfile.TarFile) -> None:
    info = tarfile.TarInfo("../outside.yaml")
    info.size = 2
    tar.addfile(info, io.BytesIO(b"{}"))


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (_link, "a symbolic link"),
        (_folder_entry, "a directory entry"),
        (_escape, "unsafe member name '../outside.yaml'"),
    ],
    ids=["link", "folder", "dotdot"],
)
def test_archives_with_anything_but_plain_files_are_unreadable(
    base: Path,
    keys: dict[str, Path],
    tmp_path: Path,
    extra: Callable[[tarfile.TarFile], None],
    said: str,
) -> None:
    pack = tmp_path / "p.tgz"
    pack.write_bytes(_retar(_members(make(base, keys["pem"])), extra))
    _, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert [p.code for p in problems] == ["pack.unreadable"]
    assert said in problems[0].message


def test_corrupt_truncated_and_foreign_archives_are_unreadable(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    data = make(base, keys["pem"])
    for name, content in [
        ("truncated.tgz", data[: len(data) // 2]),
        ("text.tgz", b"not an archive"),
        ("other.tgz", _retar({"README.md": b"hello"})),
    ]:
        (tmp_path / name).write_bytes(content)
        _, problems = load_policy_set([str(tmp_path / name)], packs=trust(keys))
        assert [p.code for p in problems] == ["pack.unreadable"], name
    with pytest.raises(UsageError, match="no such policy pack"):
        load_policy_set([str(tmp_path / "absent.tgz")], packs=trust(keys))


def test_a_pack_too_large_is_refused_before_it_is_opened(
    keys: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(packs, "MAX_ARCHIVE_BYTES", 100)
    (tmp_path / "big.tgz").write_bytes(b"\0" * 101)
    _, problems = load_policy_set([str(tmp_path / "big.tgz")], packs=trust(keys))
    assert [p.code for p in problems] == ["pack.unreadable"]
    assert "more than the" in problems[0].message


# -- git sources -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory, base: Path) -> tuple[Path, str]:
    root = tmp_path_factory.mktemp("repo") / "policies-repo"
    shutil.copytree(base, root / "baseline")
    (root / "README.md").write_text("policies\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "baseline")
    sha = git(root, "rev-parse", "HEAD")
    # after the pinned commit: a change in the working tree and a later commit are not read
    (root / "baseline" / "org.yaml").write_text("not: [valid")
    git(root, "commit", "-q", "-am", "later")
    return root, sha


def test_a_git_source_reads_the_pinned_commit(repo: tuple[Path, str], base: Path) -> None:
    root, sha = repo
    entry = f"git+file://{root}@{sha}#baseline"
    from_git, problems = load_policy_set([entry])
    assert problems == []
    from_folder, _ = load_policy_set([str(base)])
    assert from_git.digest() == from_folder.digest()
    assert sorted(s.path for s in from_git.sources) == [
        f"{entry}!baseline/org.yaml",
        f"{entry}!baseline/waivers/slow.yaml",
    ]
    (origin,) = from_git.origins
    assert origin.git is not None
    assert (origin.git.url, origin.git.commit, origin.git.subdir) == (
        f"file://{root}",
        sha,
        "baseline",
    )
    whole, problems = load_policy_set([f"git+file://{root}@{sha}"])
    assert problems == []
    assert whole.digest() == from_folder.digest()


@pytest.mark.parametrize(
    ("suffix", "said"),
    [
        ("@main", "is not a full commit sha"),
        ("@{short}", "is not a full commit sha"),
        ("", "the commit is not pinned"),
        ("@{missing}", "no commit 0000000000000000000000000000000000000000 in the"),
        ("@{sha}#nowhere", "nowhere is not a folder at that commit"),
        ("@{sha}#../up", "is not a plain folder"),
    ],
    ids=["branch", "short-sha", "unpinned", "unknown-commit", "no-folder", "dotdot"],
)
def test_a_git_source_must_be_pinned_and_exist(
    repo: tuple[Path, str], suffix: str, said: str
) -> None:
    root, sha = repo
    filled = suffix.format(sha=sha, short=sha[:7], missing="0" * 40)
    with pytest.raises(UsageError, match=said.replace("+", r"\+")):
        load_policy_set([f"git+file://{root}{filled}"])


def test_only_local_repositories_are_read(repo: tuple[Path, str], tmp_path: Path) -> None:
    root, sha = repo
    for url in (f"git+https://example.com/x.git@{sha}", f"git+ssh://host/x@{sha}"):
        with pytest.raises(UsageError, match="only file:// repositories"):
            load_policy_set([url])
    inside = root / "baseline"  # a folder of a repository is not a repository
    with pytest.raises(UsageError, match="not a git repository"):
        load_policy_set([f"git+file://{inside}@{sha}"])


# -- bundles -------------------------------------------------------------------------------------


def test_the_bundle_records_the_pack_and_verify_replays_it(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    import jsonschema

    from govgate.usecases.schemas import generate

    pack = tmp_path / "baseline.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    policy_set, problems = load_policy_set([str(pack)], packs=trust(keys))
    assert problems == []
    snap = evidence()
    decision = decide(policy_set, snap, stage="offline", now=NOW)
    files = build.contents(decision, assess(decision), policy_set, snap, {"git": {}})
    origin = policy_set.origins[0]
    assert origin.pack is not None
    manifest_name, envelope_name = build.pack_files(origin.pack.manifest_sha256)
    assert files[manifest_name] == _members(pack.read_bytes())["pack.json"]
    assert envelope_name in files
    predicate = json.loads(files["statement.json"])["predicate"]
    (recorded,) = predicate["policy_origins"]
    assert recorded["pack"]["name"] == "org-baseline"
    assert recorded["pack"]["signature"] == "verified"
    assert predicate["policy_set_sha256"] == recorded["pack"]["policy_set_sha256"]
    jsonschema.validate(predicate, generate("Attestation"))
    ReleaseDecision.model_validate(predicate)
    result = verify(files, pack_key=dsse.load_public(keys["pub"]))
    assert result.problems == []
    assert result.replayed
    other = dsse.load_private(keys["other"]).public_key()
    assert any("signature" in p for p in check_packs(files, other)[0])
    # a forged origin record (another pack version) is caught by the manifest and the replay
    forged = dict(files)
    records = json.loads(files[build.ORIGINS])
    records[0]["pack"]["version"] = "2.0.0"
    forged[build.ORIGINS] = json.dumps(records).encode()
    assert not verify(forged).ok


def test_a_bundle_whose_pack_files_do_not_match_its_policies_fails(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "baseline.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    policy_set, _ = load_policy_set([str(pack)], packs=trust(keys))
    fewer = PolicySet(policy_set.policies, (), policy_set.sources[:1], policy_set.origins)
    snap = evidence()
    decision = decide(fewer, snap, stage="offline", now=NOW)
    files = build.contents(decision, assess(decision), fewer, snap, {})
    problems, _ = check_packs(files)
    assert problems == [
        f"pack: {pack}: the bundled policies from it are not the files its manifest lists"
    ]


def test_a_symbolic_link_in_a_git_source_is_refused_not_followed(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "org.yaml").write_text(policy(RULES, name="org-baseline"))
    (root / "secret.yaml").symlink_to("/etc/hostname")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "links")
    entry = f"git+file://{root}@{git(root, 'rev-parse', 'HEAD')}"
    policy_set, problems = load_policy_set([entry])
    assert [(p.code, p.span.file) for p in problems] == [("git.link", f"{entry}!secret.yaml")]
    assert [s.path for s in policy_set.sources] == [f"{entry}!org.yaml"]


ORG_LOCAL = policy(RULES, name="self-declared").replace(
    "owners: [t@example.com]}", "owners: [t@example.com], layer: org}"
)


def test_a_local_file_named_like_a_pack_member_is_refused(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    pack = tmp_path / "org.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    spoof = tmp_path / "org.tgz!evil.yaml"  # the name a member of the pack is loaded under
    spoof.write_text(ORG_LOCAL)
    loaded, problems = load_policy_set([str(pack), str(spoof)], packs=trust(keys))
    assert [(p.code, p.span.file) for p in problems] == [("policy.path", str(spoof))]
    assert "self-declared" not in {p.name for p in loaded.policies}


@pytest.mark.parametrize("remote", ["integrity-only pack", "git source"])
def test_an_org_document_beside_any_pack_or_git_source_must_come_from_it(
    base: Path, keys: dict[str, Path], repo: tuple[Path, str], tmp_path: Path, remote: str
) -> None:
    if remote == "git source":
        root, sha = repo
        entry = f"git+file://{root}@{sha}#baseline"
    else:
        pack = tmp_path / "org.tgz"
        pack.write_bytes(make(base, keys["pem"]))
        entry = str(pack)
    team = tmp_path / "team"
    team.mkdir()
    (team / "mine.yaml").write_text(ORG_LOCAL)
    _, problems = load_policy_set([entry, str(team)], packs=PackTrust(require_signature=False))
    assert [p.code for p in problems] == ["layer.unsigned-org"]
    assert "policy 'self-declared' declares layer org but comes from no policy pack" in (
        problems[0].message
    )


def test_where_signatures_are_required_only_a_signed_pack_ships_org_documents(
    base: Path, keys: dict[str, Path], tmp_path: Path
) -> None:
    """A pinned git commit or an integrity-only pack is anyone's to make: with a key given (or
    required), an org document from one is refused; validate and test (no signature asked)
    accept it as the org's."""
    root = tmp_path / "org-repo"
    root.mkdir()
    (root / "org.yaml").write_text(ORG_LOCAL)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-q", "-m", "org")
    entry = f"git+file://{root}@{git(root, 'rev-parse', 'HEAD')}"
    pack = tmp_path / "org.tgz"
    pack.write_bytes(make(base, keys["pem"]))
    _, problems = load_policy_set([str(pack), entry], packs=trust(keys))
    assert [p.code for p in problems] == ["layer.unsigned-org"]
    assert "comes from no signed policy pack" in problems[0].message
    _, relaxed = load_policy_set([str(pack), entry], packs=PackTrust(require_signature=False))
    assert relaxed == []
