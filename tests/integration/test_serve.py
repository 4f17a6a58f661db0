"""`govgate serve` over HTTP: a real server process on 127.0.0.1, a real MLflow store.

The judge answers a decision as a 200 with `verdict` and `exit_code`; everything else is a JSON
error with a status that is never 200, so no error reads as a pass. Servers start once per
session (tests/integration/conftest.py); nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from govgate.cli import main
from govgate.exitcodes import ExitCode
from tests.integration.conftest import JUDGE_TOKEN, Judges
from tests.support import canary
from tests.support.servers import JudgeServer, call, free_port, spawn_judge

pytestmark = pytest.mark.integration

DOCUMENTED = {"pass": 0, "warn": 0, "fail": 4, "rollback": 5, "inconclusive": 6}


def judge(server: JudgeServer, **fields: str) -> tuple[int, dict[str, Any]]:
    answer = server.get("/v1/judge", **fields)
    return answer.status, answer.json()


def metric_values(server: JudgeServer) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of /metrics, parsed by prometheus_client's own parser."""
    from prometheus_client.parser import text_string_to_metric_families

    answer = server.get("/metrics")
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.body.decode())
        for sample in family.samples
    }


def endless_head(url: str) -> bytes:
    """What the server answers to a request line sent 4 KiB at a time, never ending."""
    import socket
    import time
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as sock:
        sock.sendall(b"GET /v1/judge?candidate=")
        try:
            for _ in range(64):  # at most 256 KiB
                sock.sendall(b"m" * 4096)
                time.sleep(0.01)
        except OSError:  # the server answered and closed while this was still sending
            pass
        answer = b""
        try:
            while chunk := sock.recv(4096):
                answer += chunk
        except OSError:
            pass
    return answer


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def unreachable_judge(judges: Judges) -> JudgeServer:
    """A judge on loopback without a token, whose MLflow is a closed port."""
    return judges.unreachable


# -- decisions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["pass", "rollback", "fail", "inconclusive"])
def test_each_verdict_comes_with_its_documented_exit_code(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path], label: str
) -> None:
    uri, refs, root = canary_store
    status, body = judge(canary_judge, candidate=refs[label])
    assert status == 200, body
    assert body["verdict"] == canary.EXPECTED[label]
    assert body["exit_code"] == DOCUMENTED[body["verdict"]]
    assert body["decision"]["verdict"] == body["verdict"].upper()
    assert body["decision"]["baseline"]["version"] == "1"  # the default baseline: @champion
    assert body["decision"]["stage"] == "canary"
    # the rest is the document `govgate check --format json` prints for the same question
    code, out, err = cli(
        "check",
        "--tracking-uri",
        uri,
        "--policies",
        str(root / "policies"),
        "--candidate",
        refs[label],
        "--baseline",
        f"models:/{canary.MODEL}@champion",
        "--stage",
        "canary",
        "--format",
        "json",
    )
    assert code == body["exit_code"], err
    report = json.loads(out)
    assert set(body) == {"verdict", "exit_code", "cache", "look_recorded", *report}
    assert body["look_recorded"] == body["decision"]["looks"]["number"]  # a canary is a look
    assert body["headline"] == report["headline"]
    assert body["decision"]["rules"] == report["decision"]["rules"]
    # the risk assessment too, but for the digest of its decision (decided at another instant)
    assert {**body["risk"], "decision_digest": ""} == {**report["risk"], "decision_digest": ""}


def test_a_post_body_asks_the_same_question(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path]
) -> None:
    _, refs, _ = canary_store
    answer = canary_judge.post(
        "/v1/judge",
        {
            "model": canary.MODEL,
            "candidate": refs["rollback"].rsplit("/", 1)[1],  # the short form: VERSION
            "baseline": "@champion",
        },
    )
    assert answer.status == 200
    assert answer.json()["verdict"] == "rollback"
    assert answer.json()["decision"]["candidate"]["run_id"] == refs["rollback-run"]


def test_repeated_looks_reuse_the_snapshot_until_the_run_changes(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path]
) -> None:
    from mlflow.tracking import MlflowClient

    uri, refs, _ = canary_store
    ref = refs["inconclusive"]
    judge(canary_judge, candidate=ref)  # whatever an earlier test left, it is cached now
    before = metric_values(canary_judge)
    first, second = judge(canary_judge, candidate=ref)[1], judge(canary_judge, candidate=ref)[1]
    assert (first["cache"], second["cache"]) == ("hit", "hit")
    hits = ("govgate_judge_snapshot_cache_total", (("result", "hit"),))
    assert metric_values(canary_judge)[hits] == before[hits] + 2
    # a reused snapshot is as of this look, not of the first read
    assert second["decision"]["decided_at"] > first["decision"]["decided_at"]
    assert second["decision"]["rules"] == first["decision"]["rules"]
    # each look is recorded on the run and counted by the next, cached or not
    assert second["look_recorded"] == first["look_recorded"] + 1
    assert second["decision"]["looks"]["previous"] == first["decision"]["looks"]["number"]

    # the canary's harness logs a new point: the next look reads the run again
    MlflowClient(tracking_uri=uri).log_metric(refs["inconclusive-run"], "requests_scored", 40)
    status, changed = judge(canary_judge, candidate=ref)
    assert (status, changed["cache"]) == (200, "changed")
    assert changed["decision"]["evidence_digest"] != second["decision"]["evidence_digest"]
    assert judge(canary_judge, candidate=ref)[1]["cache"] == "hit"
    changes = ("govgate_judge_snapshot_cache_total", (("result", "changed"),))
    assert metric_values(canary_judge)[changes] == before[changes] + 1


def test_the_cache_reads_new_look_records_as_a_whole_read_would(tmp_path: Path) -> None:
    """Each canary look logs a record to the candidate's run, and the next decision counts
    it: a cached snapshot must hold the records a fresh read would, byte for byte."""
    import datetime as dt

    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    from govgate.evidence.mlflow.settings import MlflowSettings
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.refs import parse_ref
    from govgate.evidence.snapshot import take_snapshot
    from govgate.serve.cache import SnapshotCache

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    refs = canary.build(client, tmp_path, n=300, labels=("champion", "pass"))
    settings = MlflowSettings(tracking_uri=uri)
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    candidate = parse_ref(refs["pass"])
    baseline = parse_ref(f"models:/{canary.MODEL}@champion")
    seen: list[str] = []

    def lookup(cache: SnapshotCache) -> Any:
        return cache.snapshot(
            candidate, baseline, stage="canary", settings=settings, now=now, note=seen.append
        )

    def fresh() -> Any:
        return take_snapshot(candidate, baseline, stage="canary", settings=settings, now=now)

    def look(step: int) -> None:
        at = 1_790_000_000_000 + step
        records = [
            Metric("govgate.look", step, at, step),
            Metric("govgate.look.verdict", 2, at, step),
        ]
        client.log_batch(refs["pass-run"], metrics=records)

    cache = SnapshotCache(MlflowSource(settings), entries=4, max_age_s=300)
    lookup(cache)
    for step in (1, 2, 3):  # a first record (no history yet), then histories that grow
        look(step)
        cached = lookup(cache)
        assert seen[-1] == "hit"
        assert cached.evidence == fresh().evidence
        assert cached.evidence.candidate.metrics["govgate.look"] == step
    assert lookup(cache).evidence == fresh().evidence  # unchanged: a plain hit
    client.log_metric(refs["pass-run"], "requests_scored", 300)  # evidence, not a look
    assert lookup(cache).evidence == fresh().evidence
    assert seen[-3:] == ["hit", "hit", "changed"]
    stale = SnapshotCache(MlflowSource(settings), entries=4, max_age_s=0)
    lookup(stale)
    lookup(stale)
    assert seen[-2:] == ["miss", "expired"]


# -- refusals ------------------------------------------------------------------------------------


def error_of(status: int, body: dict[str, Any], expected: int, code: str) -> dict[str, str]:
    assert status == expected, body
    assert set(body) == {"error"}  # no verdict: never read as a decision
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return dict(body["error"])


def test_an_unknown_model_or_version_is_404(canary_judge: JudgeServer) -> None:
    error_of(*judge(canary_judge, candidate="models:/ghost-model/1"), 404, "evidence.not-found")
    missing = error_of(
        *judge(canary_judge, candidate=f"models:/{canary.MODEL}/99"), 404, "evidence.not-found"
    )
    assert "version 99" in missing["message"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"candidate": "models:/other-model/1"}, "serve.model-not-allowed"),
        ({"candidate": "evidence.json"}, "serve.reference-not-allowed"),
        ({"candidate": "snapshot:/etc/passwd"}, "serve.reference-not-allowed"),
        ({"candidate": "runs:/" + "a" * 32}, "serve.reference-not-allowed"),
        ({"candidate": "search:canary-evals?tags.x = '1'"}, "serve.reference-not-allowed"),
        (
            {"candidate": f"models:/{canary.MODEL}/2", "baseline": "models:/other-model/1"},
            "serve.baseline-not-allowed",
        ),
    ],
    ids=["model", "snapshot-file", "snapshot-path", "run-id", "search", "baseline"],
)
def test_a_reference_outside_the_allow_list_is_403(
    canary_judge: JudgeServer, fields: dict[str, str], code: str
) -> None:
    error_of(*judge(canary_judge, **fields), 403, code)


def test_the_token_is_required_and_never_logged(canary_judge: JudgeServer) -> None:
    url = canary_judge.url + f"/v1/judge?candidate=models:/{canary.MODEL}/2"
    missing = call(url)
    error_of(missing.status, missing.json(), 401, "serve.unauthenticated")
    assert missing.headers["www-authenticate"].startswith("Bearer")
    wrong_token = "x" + JUDGE_TOKEN[1:]
    wrong = call(url, headers={"Authorization": f"Bearer {wrong_token}"})
    error_of(wrong.status, wrong.json(), 401, "serve.unauthenticated")
    basic = call(url, headers={"Authorization": f"Basic {JUDGE_TOKEN}"})
    assert basic.status == 401
    scrape = call(canary_judge.url + "/metrics")
    assert scrape.status == 401
    assert call(canary_judge.url + "/healthz").status == 200  # probes need no token
    log = canary_judge.log.read_text()
    assert "/v1/judge' 401" in log
    assert JUDGE_TOKEN not in log
    assert wrong_token not in log


def test_sizes_are_bounded(canary_judge: JudgeServer) -> None:
    long = canary_judge.get("/v1/judge", candidate="models:/" + "m" * 8000 + "/1")
    error_of(long.status, long.json(), 414, "serve.query-too-large")
    huge = canary_judge.get("/v1/judge", candidate="m" * 100_000)  # one piece: h11 parses it
    error_of(huge.status, huge.json(), 414, "serve.query-too-large")
    # a head that keeps coming is cut by the HTTP parser (h11) once 32 KiB wait unparsed
    assert endless_head(canary_judge.url).startswith(b"HTTP/1.1 400 ")
    body = canary_judge.auth() | {"Content-Type": "application/json"}
    big = call(canary_judge.url + "/v1/judge", "POST", body=b" " * 20_000, headers=body)
    error_of(big.status, big.json(), 413, "serve.body-too-large")
    field = canary_judge.get("/v1/judge", candidate="models:/" + "m" * 300 + "/1")
    error_of(field.status, field.json(), 400, "serve.bad-field")
    assert call(canary_judge.url + "/healthz").status == 200  # still serving


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{not json", "serve.bad-json"),
        (b'{"candidate": "models:/canary-model/2", "candidate": "1"}', "serve.bad-json"),
        (b'["models:/canary-model/2"]', "serve.bad-json"),
        (b'{"candidate": 2}', "serve.bad-field"),
        (b'{"candidate": "models:/canary-model/2", "policies": "/tmp"}', "serve.unknown-field"),
        (b'{"candidate": "models:/canary-model/2", "stage": "prod"}', "serve.bad-stage"),
    ],
    ids=["syntax", "duplicate-key", "not-an-object", "not-a-string", "policies", "stage"],
)
def test_a_bad_post_is_400(canary_judge: JudgeServer, body: bytes, code: str) -> None:
    headers = canary_judge.auth() | {"Content-Type": "application/json"}
    answer = call(canary_judge.url + "/v1/judge", "POST", body=body, headers=headers)
    error_of(answer.status, answer.json(), 400, code)


def test_other_methods_paths_and_media_types_are_json_errors(canary_judge: JudgeServer) -> None:
    put = call(canary_judge.url + "/v1/judge", "PUT", body=b"{}", headers=canary_judge.auth())
    error_of(put.status, put.json(), 405, "serve.method-not-allowed")
    assert "GET" in put.headers["allow"]
    nowhere = call(canary_judge.url + "/v2/promote", headers=canary_judge.auth())
    error_of(nowhere.status, nowhere.json(), 404, "serve.not-found")
    text = call(
        canary_judge.url + "/v1/judge",
        "POST",
        body=b"candidate=models:/canary-model/2",
        headers=canary_judge.auth() | {"Content-Type": "application/x-www-form-urlencoded"},
    )
    error_of(text.status, text.json(), 415, "serve.content-type")


def test_log_lines_show_request_strings_escaped(canary_judge: JudgeServer) -> None:
    answer = call(canary_judge.url + "/v1/%0Afake%20line%1b[31m", headers=canary_judge.auth())
    assert answer.status == 404
    log = canary_judge.log.read_text()
    assert "/v1/\\x0afake line\\x1b[31m' 404" in log
    assert not any(line.startswith("fake") for line in log.splitlines())
    assert "\x1b" not in log


def test_health_names_the_policies_without_asking_mlflow(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path]
) -> None:
    from govgate.policy.loader import load_policy_set

    _, _, root = canary_store
    policy_set, problems = load_policy_set([str(root / "policies")])
    assert problems == []
    health = call(canary_judge.url + "/healthz").json()
    assert health["status"] == "ok"
    assert health["policy_set_digest"] == policy_set.digest()
    assert (health["policies"], health["rules"], health["waivers"], health["models"]) == (
        1,
        2,
        0,
        2,
    )


def test_metrics_parse_and_count_decisions(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path]
) -> None:
    _, refs, _ = canary_store
    before = metric_values(canary_judge)
    assert judge(canary_judge, candidate=refs["rollback"])[1]["verdict"] == "rollback"
    judge(canary_judge, candidate="models:/other-model/1")
    after = metric_values(canary_judge)

    def delta(name: str, **labels: str) -> float:
        key = (name, tuple(sorted(labels.items())))
        return after[key] - before.get(key, 0.0)

    assert delta("govgate_judge_decisions_total", verdict="rollback") == 1
    assert delta("govgate_judge_decisions_total", verdict="pass") == 0
    assert delta("govgate_judge_rule_outcomes_total", outcome="fail") == 1  # the error rate
    assert delta("govgate_judge_rule_outcomes_total", outcome="pass") == 1  # toxicity
    assert delta("govgate_judge_errors_total", code="serve.model-not-allowed") == 1
    assert delta("govgate_judge_latency_seconds_count") == 2
    assert after[("govgate_judge_in_flight", ())] == 0
    info = [k for k in after if k[0] == "govgate_judge_info"]
    assert len(info) == 1
    assert dict(info[0][1])["policy_set_digest"]


# -- MLflow unreachable --------------------------------------------------------------------------


def test_an_unreachable_mlflow_is_503_never_a_pass(unreachable_judge: JudgeServer) -> None:
    answer = unreachable_judge.get("/v1/judge", candidate=f"models:/{canary.MODEL}/2")
    error = error_of(answer.status, answer.json(), 503, "evidence.unreachable")
    assert "unreachable" in error["message"]
    assert int(answer.headers["retry-after"]) > 0
    values = metric_values(unreachable_judge)  # loopback without a token: no token needed
    assert values[("govgate_judge_decisions_total", (("verdict", "pass"),))] == 0
    assert values[("govgate_judge_errors_total", (("code", "evidence.unreachable"),))] == 1


def test_a_loopback_judge_answers_only_requests_addressed_to_this_machine(
    unreachable_judge: JudgeServer,
) -> None:
    """Without a token, a web page cannot reach the judge by pointing a name at 127.0.0.1."""
    url = unreachable_judge.url + f"/v1/judge?candidate=models:/{canary.MODEL}/2"
    rebound = call(url, headers={"Host": "attacker.example:8080"})
    error_of(rebound.status, rebound.json(), 403, "serve.host-not-allowed")
    assert call(unreachable_judge.url + "/metrics", headers={"Host": "localhost"}).status == 200


def test_sigterm_stops_the_judge_cleanly(unreachable_judge: JudgeServer) -> None:
    assert unreachable_judge.stop() == 0
    assert "govgate serve: stopped" in unreachable_judge.log.read_text()


# -- start-up ------------------------------------------------------------------------------------


def test_a_judge_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    code, _, err = cli("serve", "--host", "0.0.0.0", "--allow-model", "m", "--policies", "x")
    assert code == ExitCode.USAGE
    assert "--host 0.0.0.0 accepts connections from other machines, and no token" in err
    short = tmp_path / "token"
    short.write_text("tiny-secret\n")
    code, _, err = cli(
        "serve", "--host", "0.0.0.0", "--allow-model", "m", "--token-file", str(short)
    )
    assert code == ExitCode.USAGE
    assert "at least 16 characters" in err
    assert "tiny-secret" not in err  # a token is never shown, even a bad one


def test_a_judge_with_an_invalid_policy_or_no_store_never_listens(
    tmp_path: Path, canary_store: tuple[str, dict[str, str], Path]
) -> None:
    _, _, root = canary_store
    bad = tmp_path / "policies"
    bad.mkdir()
    (bad / "p.yaml").write_text("apiVersion: govgate/v1\nkind: Policy\nspec: {}\n")
    port = str(free_port())
    code, _, err = cli("serve", "--port", port, "--allow-model", "m", "--policies", str(bad))
    assert code == ExitCode.POLICY_INVALID, err
    code, _, err = cli(
        "serve",
        "--port",
        port,
        "--allow-model",
        "m",
        "--policies",
        str(root / "policies"),
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'missing.db'}",
    )
    assert code == ExitCode.EVIDENCE_UNAVAILABLE, err
    assert re.search(r"no MLflow store at .*missing\.db", err)


# -- a real mlflow server ------------------------------------------------------------------------


def test_the_judge_over_a_real_mlflow_server(
    mlflow_server: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    from mlflow.tracking import MlflowClient

    uri, _ = mlflow_server
    model = "served-canary"  # its own model and experiment: the server's other runs stay as is
    canary.write_policies(tmp_path / "policies")
    server = spawn_judge(  # starting (imports) while the store is filled
        tmp_path / "judge",
        "--tracking-uri",
        uri,
        "--policies",
        str(tmp_path / "policies"),
        "--allow-model",
        model,
        token=JUDGE_TOKEN,
    )
    try:
        refs = canary.build(
            MlflowClient(tracking_uri=uri),
            tmp_path,
            model=model,
            experiment="served",
            labels=("champion", "pass", "rollback"),
        )
        server.wait_ready()
        status, passed = judge(server, model=model, candidate=refs["pass"].rsplit("/", 1)[1])
        assert (status, passed["verdict"], passed["exit_code"]) == (200, "pass", 0)
        assert passed["decision"]["candidate"]["run_id"] == refs["pass-run"]
        status, rolled = judge(server, model=model, candidate=refs["rollback"])
        assert (status, rolled["verdict"], rolled["exit_code"]) == (200, "rollback", 5)
        assert judge(server, model=model, candidate=refs["pass"])[1]["cache"] == "hit"
    finally:
        assert server.stop() == 0
