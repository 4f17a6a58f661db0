"""The routes, on starlette: ``/v1/judge`` (GET and POST), ``/healthz`` and ``/metrics``.

Every request is checked in this order, and the first failure answers: the token (or, on a
loopback server without one, that the Host header names this machine, so a web page cannot
reach the judge through DNS rebinding), the query and body sizes, the fields and the allow list,
a free worker within the deadline; then the decision. Errors are JSON
``{"error": {"code", "message", "hint"}}`` with the status of :func:`~govgate.serve.errors.
http_error`. Decisions run in worker threads (``max_concurrency``), so the event loop keeps
answering health checks and refusals while MLflow is read. Every log line shows what the
request said only through :func:`govgate.display.visible`, and never shows the token.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
import traceback
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from govgate.display import visible
from govgate.errors import GovgateError
from govgate.serve.errors import RETRY_AFTER_S, HttpError, RequestError, http_error, internal_error
from govgate.serve.judge import Judge, Judged
from govgate.serve.metrics import Metrics
from govgate.serve.requests import JudgeRequest, from_body, from_query, judge_request
from govgate.serve.settings import ServeSettings, loopback

if TYPE_CHECKING:  # starlette loads when the server starts, never with the command line
    from starlette.requests import Request
    from starlette.responses import Response

Log = Callable[[str], None]


def _shown(value: str, limit: int = 200) -> str:
    """A request's string in a log line: visible, bounded, quoted."""
    text = visible(value)
    return "'" + (text[:limit] + "..." if len(text) > limit else text) + "'"


def _host_name(header: str) -> str:
    """The host of a Host header: ``[::1]:8080`` -> ``::1``, ``localhost:80`` -> ``localhost``."""
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if header.count(":") == 1 else header


class _Queue:
    """Judge requests in flight, on the event loop: at most ``max_concurrency`` decisions at
    once in worker threads, at most ``max_queue`` more requests waiting.

    Identical requests in flight (the same candidate, baseline and stage) share one decision:
    a request that arrives while that question is being decided gets the same answer, decided
    a moment before it arrived, and the canary gets one look rather than one per caller (a
    look's number is one more than the last recorded: concurrent ones would repeat it).
    """

    def __init__(self, settings: ServeSettings) -> None:
        self.settings = settings
        self.slots = asyncio.Semaphore(settings.max_concurrency)
        self.executor = ThreadPoolExecutor(
            max_workers=settings.max_concurrency, thread_name_prefix="govgate-judge"
        )
        self.waiting = 0
        self.deciding: dict[tuple[str, str, str], asyncio.Task[Judged]] = {}

    async def run(self, judge: Judge, request: JudgeRequest) -> tuple[Judged, bool]:
        """The decision, and whether it was shared with an identical request in flight."""
        settings = self.settings
        if self.waiting >= settings.max_concurrency + settings.max_queue:
            raise RequestError(
                503,
                "serve.busy",
                f"{self.waiting} requests are already in flight: the server is at its limit",
                hint="ask again after Retry-After, or run more replicas",
                retry_after=1,
            )
        key = (request.candidate, request.baseline, request.stage)
        task = self.deciding.get(key)
        shared = task is not None
        if task is None:
            task = asyncio.get_running_loop().create_task(self._decide(judge, request))
            self.deciding[key] = task
            task.add_done_callback(lambda done: self._decided(key, done))
        self.waiting += 1
        try:
            # shielded: a caller that stops waiting leaves the decision to the others
            judged = await asyncio.wait_for(asyncio.shield(task), settings.request_timeout_s)
        except TimeoutError:
            raise self._late("no decision was made") from None
        finally:
            self.waiting -= 1
        return judged, shared

    async def _decide(self, judge: Judge, request: JudgeRequest) -> Judged:
        try:
            await asyncio.wait_for(self.slots.acquire(), self.settings.request_timeout_s)
        except TimeoutError:
            raise self._late("no worker became free") from None
        work = asyncio.get_running_loop().run_in_executor(self.executor, judge.decide, request)
        # the worker keeps its slot until it is done, even when every caller stopped waiting:
        # a stuck MLflow fills the workers, and the requests after it are told so (503)
        work.add_done_callback(self._done)
        return await work

    def _decided(self, key: tuple[str, str, str], task: asyncio.Task[Judged]) -> None:
        if self.deciding.get(key) is task:
            del self.deciding[key]
        if not task.cancelled():
            task.exception()  # retrieved here: callers that timed out never will

    def _done(self, work: asyncio.Future[Judged]) -> None:
        self.slots.release()
        if not work.cancelled():
            work.exception()

    def _late(self, what: str) -> RequestError:
        seconds = self.settings.request_timeout_s
        return RequestError(
            503,
            "serve.timeout",
            f"{what} within the request deadline ({seconds:g} s)",
            hint="ask again later; check MLflow's health, or raise --request-timeout",
            retry_after=RETRY_AFTER_S,
        )


class _Routes:
    """The endpoints of one server, over its judge, metrics and queue."""

    def __init__(
        self,
        settings: ServeSettings,
        judge: Judge,
        metrics: Metrics,
        health: Mapping[str, Any],
        log: Log,
    ) -> None:
        self.settings = settings
        self.judge = judge
        self.metrics = metrics
        self.health = dict(health)
        self.log = log
        self.queue = _Queue(settings)
        self.started = time.monotonic()
        token = settings.token
        self.digest = hashlib.sha256(token.encode()).digest() if token else None

    # -- answers ---------------------------------------------------------------------------

    def refuse(
        self, request: Request, began: float, error: HttpError, headers: Mapping[str, str] = {}
    ) -> Response:
        """An error answer: counted, logged, and JSON."""
        from starlette.responses import JSONResponse

        extra = {**headers, "Cache-Control": "no-store"}
        if error.retry_after is not None:
            extra["Retry-After"] = str(error.retry_after)
        if error.status == 401:
            extra["WWW-Authenticate"] = 'Bearer realm="govgate serve"'
        self.metrics.error(error.code)
        self.line(request, error.status, began, f"error={error.code}")
        return JSONResponse(error.body(), status_code=error.status, headers=extra)

    def line(self, request: Request, status: int, began: float, detail: str) -> None:
        elapsed = (time.perf_counter() - began) * 1000
        self.log(
            f"{visible(request.method)} {_shown(request.scope['path'])} {status} "
            f"{elapsed:.0f} ms {detail}"
        )

    # -- checks, in order ------------------------------------------------------------------

    def authorize(self, request: Request) -> None:
        if self.digest is None:  # listening on loopback only: the caller must be on this machine
            host = request.headers.get("host")
            if host is not None and not loopback(_host_name(host)):
                raise RequestError(
                    403,
                    "serve.host-not-allowed",
                    "this server answers only requests addressed to this machine",
                    hint="address it as 127.0.0.1, [::1] or localhost",
                )
            return
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given.strip():
            raise RequestError(
                401,
                "serve.unauthenticated",
                "a bearer token is required",
                hint="send Authorization: Bearer <the server's token>",
            )
        # equal-length digests, compared in constant time: neither the token nor its length leak
        if not hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), self.digest):
            raise RequestError(
                401,
                "serve.unauthenticated",
                "the bearer token is not this server's",
                hint="send the token the server was started with",
            )

    async def fields(self, request: Request) -> Mapping[str, object]:
        settings = self.settings
        query: bytes = request.scope.get("query_string", b"")
        if len(query) > settings.max_query_bytes:
            raise RequestError(
                414,
                "serve.query-too-large",
                f"the query string is {len(query)} bytes; the limit is {settings.max_query_bytes}",
                hint="send only model, candidate, baseline and stage",
            )
        if request.method == "GET":
            return from_query(query)
        if query:
            raise RequestError(
                400, "serve.bad-query", "a POST sends its fields in the JSON body, not the query"
            )
        media = request.headers.get("content-type", "").partition(";")[0].strip().lower()
        if media != "application/json":
            raise RequestError(
                415,
                "serve.content-type",
                "the body must be JSON (Content-Type: application/json)",
                hint='send {"candidate": "models:/NAME/VERSION"} as application/json',
            )
        limit = settings.max_body_bytes
        declared = request.headers.get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            raise _too_large(limit)
        body = bytearray()
        async for chunk in request.stream():
            body += chunk
            if len(body) > limit:
                raise _too_large(limit)
        return from_body(bytes(body))

    # -- endpoints -------------------------------------------------------------------------

    async def judge_endpoint(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        began = time.perf_counter()
        self.metrics.in_flight.inc()
        try:
            self.authorize(request)
            settings = self.settings
            asked = judge_request(
                await self.fields(request), settings.allow_models, settings.baseline_alias
            )
            judged, shared = await self.queue.run(self.judge, asked)
        except GovgateError as exc:
            return self.refuse(request, began, http_error(exc))
        except Exception:  # a bug: logged here, never shown to the caller
            self.log("internal error (a bug; please report it):")
            for text in traceback.format_exc().splitlines():
                self.log("  " + visible(text))
            return self.refuse(request, began, internal_error())
        finally:
            self.metrics.latency.observe(time.perf_counter() - began)
            self.metrics.in_flight.dec()
        if shared:
            self.metrics.shared.inc()
        else:  # a shared decision is counted once, by the request that asked for it
            self.metrics.decided(judged.verdict, judged.outcomes)
        self.line(
            request,
            200,
            began,
            f"verdict={judged.document['verdict']} cache={'shared' if shared else judged.cache} "
            f"candidate={_shown(asked.candidate)} baseline={_shown(asked.baseline)} "
            f"stage={asked.stage}",
        )
        return JSONResponse(judged.document, headers={"Cache-Control": "no-store"})

    async def healthz(self, request: Request) -> Response:
        from starlette.responses import JSONResponse

        uptime = round(time.monotonic() - self.started, 1)
        body = {"status": "ok", **self.health, "uptime_s": uptime}
        return JSONResponse(body, headers={"Cache-Control": "no-store"})

    async def metrics_endpoint(self, request: Request) -> Response:
        from starlette.responses import Response

        began = time.perf_counter()
        try:
            self.authorize(request)
        except RequestError as exc:
            return self.refuse(request, began, http_error(exc))
        body, media_type = self.metrics.exposition()
        return Response(body, media_type=media_type)

    async def http_exception(self, request: Request, exc: Exception) -> Response:
        """Routing's own refusals (no such path, a method the path does not take), as JSON."""
        from starlette.exceptions import HTTPException

        assert isinstance(exc, HTTPException)
        code = {404: "serve.not-found", 405: "serve.method-not-allowed"}.get(
            exc.status_code, f"serve.http-{exc.status_code}"
        )
        hint = "endpoints: GET|POST /v1/judge, GET /healthz, GET /metrics"
        error = HttpError(exc.status_code, code, str(exc.detail), hint)
        return self.refuse(request, time.perf_counter(), error, exc.headers or {})


def build_app(
    settings: ServeSettings,
    judge: Judge,
    metrics: Metrics,
    health: Mapping[str, Any],
    log: Log,
) -> Any:
    """The ASGI application. ``health`` is what ``/healthz`` shows besides the uptime."""
    from starlette.applications import Starlette
    from starlette.exceptions import HTTPException
    from starlette.routing import Route

    routes = _Routes(settings, judge, metrics, health, log)
    return Starlette(
        routes=[
            Route("/v1/judge", routes.judge_endpoint, methods=["GET", "POST"]),
            Route("/healthz", routes.healthz, methods=["GET"]),
            Route("/metrics", routes.metrics_endpoint, methods=["GET"]),
        ],
        exception_handlers={HTTPException: routes.http_exception},
    )


def _too_large(limit: int) -> RequestError:
    return RequestError(
        413,
        "serve.body-too-large",
        f"the body is over {limit} bytes",
        hint="send only model, candidate, baseline and stage",
    )
