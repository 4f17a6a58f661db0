"""`govgate serve` without a server: what a request may ask, the error table, the worker queue,
and the command line's refusals. The server itself is tested over HTTP in
tests/integration/test_serve.py."""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from govgate.cli import main
from govgate.cli.commands.serve import settings as serve_settings
from govgate.cli.parser import build_parser
from govgate.errors import EvidenceError, PolicyInvalidError, Problem, SourceSpan, UsageError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.exitcodes import ExitCode
from govgate.serve.app import _host_name, _Queue
from govgate.serve.errors import EVIDENCE_STATUS, RequestError, http_error, internal_error
from govgate.serve.requests import JudgeRequest, from_body, from_query, judge_request
from govgate.serve.settings import ServeSettings, loopback

ALLOWED = frozenset({"rag", "credit"})


def ask(**fields: object) -> JudgeRequest:
    return judge_request(fields, ALLOWED, "champion")


def refused(**fields: object) -> RequestError:
    with pytest.raises(RequestError) as caught:
        ask(**fields)
    return caught.value


# -- requests ------------------------------------------------------------------------------------


def test_a_request_names_full_references_of_one_model() -> None:
    assert ask(candidate="models:/rag/3") == JudgeRequest(
        "rag", "models:/rag/3", "models:/rag@champion", "canary"
    )
    assert ask(model="rag", candidate="@candidate", baseline="2", stage="shadow") == JudgeRequest(
        "rag", "models:/rag@candidate", "models:/rag/2", "shadow"
    )
    assert ask(candidate="models:/rag@canary", baseline="models:/rag@stable", stage="").stage == (
        "canary"
    )


@pytest.mark.parametrize(
    ("fields", "status", "code"),
    [
        ({}, 400, "serve.missing-candidate"),
        ({"candidate": "3"}, 400, "serve.bad-reference"),  # a short form needs the model
        ({"candidate": "models:/rag"}, 400, "serve.bad-reference"),
        ({"model": "credit", "candidate": "models:/rag/3"}, 400, "serve.model-mismatch"),
        ({"candidate": "models:/other/1"}, 403, "serve.model-not-allowed"),
        ({"model": "other", "candidate": "1"}, 403, "serve.model-not-allowed"),
        (
            {"candidate": "models:/rag/1", "baseline": "models:/credit/1"},
            403,
            "serve.baseline-not-allowed",
        ),
        ({"candidate": "runs:/" + "0" * 32}, 403, "serve.reference-not-allowed"),
        ({"candidate": "0" * 32}, 403, "serve.reference-not-allowed"),
        ({"candidate": "evidence.json"}, 403, "serve.reference-not-allowed"),
        ({"candidate": "snapshot:x.json#baseline"}, 403, "serve.reference-not-allowed"),
        ({"candidate": "search:exp?tags.a = 'b'"}, 403, "serve.reference-not-allowed"),
        ({"candidate": "models:/rag/1", "baseline": "ev.json"}, 403, "serve.reference-not-allowed"),
        ({"candidate": "models:/rag/1", "stage": "production"}, 400, "serve.bad-stage"),
        ({"candidate": "models:/rag/1", "policies": "/etc"}, 400, "serve.unknown-field"),
        ({"candidate": ["models:/rag/1"]}, 400, "serve.bad-field"),
        ({"candidate": "models:/rag/1\n"}, 400, "serve.bad-field"),
        ({"candidate": "models:/rag\x1b[2J/1"}, 400, "serve.bad-field"),
        ({"candidate": "models:/" + "r" * 300 + "/1"}, 400, "serve.bad-field"),
    ],
)
def test_a_request_outside_what_the_server_judges_is_refused(
    fields: dict[str, object], status: int, code: str
) -> None:
    error = refused(**fields)
    assert (error.status, error.code) == (status, code)
    assert error.message


def test_a_query_string_gives_each_field_once() -> None:
    assert from_query(b"candidate=models%3A%2Frag%2F3&stage=canary") == {
        "candidate": "models:/rag/3",
        "stage": "canary",
    }
    assert from_query(b"candidate=models:/rag@champion") == {"candidate": "models:/rag@champion"}
    assert from_query(b"") == {}
    for query in (b"candidate=1&candidate=2", b"a=1&b=2&c=3&d=4&e=5", b"candidate=%ff", b"x"):
        with pytest.raises(RequestError) as caught:
            from_query(query)
        assert caught.value.status == 400


def test_a_body_is_one_strict_json_object() -> None:
    assert from_body(b'{"candidate": "models:/rag/3"}') == {"candidate": "models:/rag/3"}
    for body in (b"", b"{", b"[]", b'{"a": 1, "a": 2}', b'{"a": NaN}', b'{"a": {"b": {"c": 1}}}'):
        with pytest.raises(RequestError) as caught:
            from_body(body)
        assert (caught.value.status, caught.value.code) == (400, "serve.bad-json")


# -- errors --------------------------------------------------------------------------------------


def test_every_evidence_error_has_a_status_and_none_is_a_success() -> None:
    from tests.unit.test_docs import SOURCES

    codes = set(re.findall(r'"(evidence\.[a-z-]+)"', SOURCES)) - {"evidence.json"}  # a file
    assert codes <= set(EVIDENCE_STATUS), codes - set(EVIDENCE_STATUS)
    for code in codes:
        answer = http_error(EvidenceError(code, "x"))
        assert answer.status >= 400
        assert answer.code == code
    assert http_error(EvidenceError("evidence.unreachable", "x")).status == 503
    assert http_error(EvidenceError("evidence.unreachable", "x")).retry_after
    assert http_error(EvidenceError("evidence.not-found", "x")).status == 404


def test_govgate_errors_map_to_statuses_in_one_table() -> None:
    assert http_error(UsageError("bad ref")).status == 400
    problem = Problem("schema.x", "broken", SourceSpan("p.yaml", 1, 1))
    assert http_error(PolicyInvalidError([problem])).status == 503
    assert http_error(RequestError(413, "serve.body-too-large", "big")).status == 413
    crash = internal_error()
    assert crash.status == 500
    assert "bug" in crash.message
    assert set(crash.body()) == {"error"}
    assert set(crash.body()["error"]) == {"code", "message", "hint"}


def test_loopback_means_this_machine_only() -> None:
    for host in ("127.0.0.1", "127.8.0.1", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert loopback(host), host
    for host in ("0.0.0.0", "::", "10.0.0.1", "judge.example", "127.0.0.1.nip.io"):
        assert not loopback(host), host
    assert _host_name("[::1]:8080") == "::1"
    assert _host_name("localhost:80") == "localhost"
    assert _host_name("127.0.0.1") == "127.0.0.1"


# -- the worker queue ----------------------------------------------------------------------------


class SlowJudge:
    """Stands in for the judge: each decision takes ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.running = 0
        self.most = 0
        self.calls = 0
        self.lock = threading.Lock()

    def decide(self, request: JudgeRequest) -> Any:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(self.seconds)
        with self.lock:
            self.running -= 1
        return f"decision on {request.candidate}"


def queue_settings(**limits: Any) -> ServeSettings:
    return ServeSettings(policies=(), allow_models=ALLOWED, mlflow=MlflowSettings(), **limits)


def outcomes(
    limits: dict[str, Any], seconds: float, versions: list[int]
) -> tuple[list[str], SlowJudge]:
    """What each request (one per version in ``versions``, sent at once) was answered."""
    queue = _Queue(queue_settings(**limits))
    judge = SlowJudge(seconds)

    async def one(version: int) -> str:
        request = JudgeRequest("rag", f"models:/rag/{version}", "models:/rag@champion", "canary")
        try:
            judged, shared = await queue.run(judge, request)  # type: ignore[arg-type]
        except RequestError as exc:
            return exc.code
        return f"{judged}{' (shared)' if shared else ''}"

    async def run_all() -> list[str]:
        answers = list(await asyncio.gather(*(one(v) for v in versions)))
        while judge.running or queue.deciding:  # a worker that outlived its callers
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.05)
        return answers

    answers = asyncio.run(run_all())
    queue.executor.shutdown(wait=True)
    return answers, judge


def test_the_queue_runs_at_most_max_concurrency_and_refuses_past_its_length() -> None:
    answers, judge = outcomes({"max_concurrency": 2, "max_queue": 1}, 0.2, [1, 2, 3, 4, 5])
    assert judge.most == 2
    assert answers[:3] == [f"decision on models:/rag/{v}" for v in (1, 2, 3)]
    assert answers[3:] == ["serve.busy", "serve.busy"]


def test_identical_requests_in_flight_share_one_decision() -> None:
    answers, judge = outcomes({"max_concurrency": 4}, 0.2, [1, 1, 1, 2])
    assert judge.calls == 2  # one decision (one look) per question, however many ask it
    one = "decision on models:/rag/1"
    assert answers == [one, f"{one} (shared)", f"{one} (shared)", "decision on models:/rag/2"]


def test_a_decision_over_the_deadline_is_a_503_and_keeps_its_worker() -> None:
    answers, judge = outcomes({"max_concurrency": 1, "request_timeout_s": 0.2}, 0.6, [1, 2])
    # the first times out while deciding; the second finds the worker still busy with it
    assert answers == ["serve.timeout", "serve.timeout"]
    assert judge.most == 1
    assert judge.calls == 1


# -- the command line ----------------------------------------------------------------------------


def args(*argv: str) -> Any:
    return build_parser().parse_args(["serve", "--allow-model", "rag", *argv])


def test_beyond_loopback_a_token_is_required(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOVGATE_SERVE_TOKEN", raising=False)
    with pytest.raises(UsageError, match="no token is set"):
        serve_settings(args("--host", "0.0.0.0"))
    assert serve_settings(args()).token is None  # loopback: allowed without one
    secret = "s3cret-token-value-0123456789"
    monkeypatch.setenv("GOVGATE_SERVE_TOKEN", secret)
    chosen = serve_settings(args("--host", "0.0.0.0"))
    assert chosen.token == secret
    assert secret not in repr(chosen)
    token_file = tmp_path / "token"
    token_file.write_text(secret + "\n")
    with pytest.raises(UsageError, match="given twice"):
        serve_settings(args("--host", "0.0.0.0", "--token-file", str(token_file)))
    monkeypatch.delenv("GOVGATE_SERVE_TOKEN")
    assert serve_settings(args("--token-file", str(token_file))).token == secret


@pytest.mark.parametrize(
    "token", ["short", "has a space in it somewhere", "new\nline-token-0123456"]
)
def test_a_weak_or_malformed_token_is_refused_without_being_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    monkeypatch.delenv("GOVGATE_SERVE_TOKEN", raising=False)
    token_file = tmp_path / "token"
    token_file.write_text(token)
    with pytest.raises(UsageError) as caught:
        serve_settings(args("--token-file", str(token_file)))
    assert token.strip() not in str(caught.value) + caught.value.hint


@pytest.mark.parametrize(
    "argv",
    [
        ["--max-concurrency", "0"],
        ["--max-queue", "-1"],
        ["--request-timeout", "0"],
        ["--port", "70000"],
        ["--baseline-alias", "champ ion"],
        ["--tracking-uri", "mlflow.db"],
    ],
)
def test_limits_out_of_range_are_usage_errors(argv: list[str]) -> None:
    with pytest.raises(UsageError):
        serve_settings(args(*argv))


def test_serve_needs_an_allowed_model() -> None:
    err = io.StringIO()
    assert main(["serve"], stdout=io.StringIO(), stderr=err) == ExitCode.USAGE
    assert "--allow-model" in err.getvalue()
