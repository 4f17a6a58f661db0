"""Real services on 127.0.0.1 for tests and benchmarks: `mlflow server`, `govgate serve`, and
PostgreSQL.

PostgreSQL is Debian's (`postgresql` package; `.ci/run` installs it when missing), run from a
fresh data directory on a free loopback port with trust auth for one local user, and stopped
with it. As root it runs as the `postgres` user the package creates (PostgreSQL refuses root).
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class MlflowServer:
    uri: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)


def start_server(
    root: Path, timeout: float = 90.0, backend: str | None = None, workers: int = 1
) -> MlflowServer:
    """`mlflow server` on a free loopback port; backend default: a SQLite file under root."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = root / "server.log"
    env = {
        **os.environ,
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
    }
    mlflow_exe = Path(sys.executable).parent / "mlflow"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                str(mlflow_exe),
                "server",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--backend-store-uri",
                backend or f"sqlite:///{root / 'server.db'}",
                "--artifacts-destination",
                str(root / "artifacts"),
                "--workers",
                str(workers),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=root,
            start_new_session=True,
        )
    uri = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"mlflow server exited: {log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{uri}/health", timeout=2) as response:
                if response.status == 200:
                    return MlflowServer(uri, process, log)
        except OSError:
            time.sleep(0.5)
    server = MlflowServer(uri, process, log)
    server.stop()
    raise RuntimeError(f"mlflow server did not start in {timeout} s: {log.read_text()[-2000:]}")


@dataclass
class Postgres:
    uri: str
    data: Path
    run_as: list[str]
    pg_ctl: str

    def stop(self) -> None:
        subprocess.run(
            [*self.run_as, self.pg_ctl, "-D", str(self.data), "-m", "immediate", "stop"],
            capture_output=True,
            check=False,
        )
        shutil.rmtree(self.data.parent, ignore_errors=True)


def postgres_bin() -> Path | None:
    """The directory of Debian's PostgreSQL server programs, if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def start_postgres(database: str = "mlflow") -> Postgres:
    """A throwaway PostgreSQL server with one database; raises RuntimeError if unavailable."""
    bindir = postgres_bin()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
    root = Path(tempfile.mkdtemp(prefix="govgate-pg-"))  # not under pytest's 0700 tmp
    run_as: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        run_as = ["runuser", "-u", "postgres", "--"]
    data, sock, port = root / "data", root / "sock", free_port()
    subprocess.run([*run_as, "mkdir", str(sock)], check=True)
    subprocess.run(
        [
            *run_as,
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "govgate",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        capture_output=True,
        check=True,
    )
    options = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        [
            *run_as,
            str(bindir / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(root / "log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        capture_output=True,
        check=True,
    )
    subprocess.run(
        [
            *run_as,
            str(bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-U",
            "govgate",
            database,
        ],
        capture_output=True,
        check=True,
    )
    return Postgres(
        f"postgresql+psycopg2://govgate@127.0.0.1:{port}/{database}",
        data,
        run_as,
        str(bindir / "pg_ctl"),
    )


class DripProxy:
    """An HTTP proxy on 127.0.0.1 in front of a real server that sends the bodies of chosen
    responses a byte at a time: every socket read succeeds within any timeout, the whole
    response takes hours. Bounded: it drips for at most ``limit_s`` and stops with the test."""

    def __init__(self, upstream: str, slow: str, *, every_s: float = 0.5, limit_s: float = 120):
        import http.client
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import urlparse

        target = urlparse(upstream)
        stop = threading.Event()
        self._stop = stop

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # quiet
                return

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                conn = http.client.HTTPConnection(
                    target.hostname or "127.0.0.1", target.port, timeout=30
                )
                headers = {k: v for k, v in self.headers.items() if k.lower() != "host"}
                conn.request(self.command, self.path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                conn.close()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if slow not in self.path:
                    self.wfile.write(data)
                    return
                deadline = time.monotonic() + limit_s
                for i in range(len(data)):
                    if stop.is_set() or time.monotonic() > deadline:
                        return
                    try:
                        self.wfile.write(data[i : i + 1])
                        self.wfile.flush()
                    except OSError:  # the client gave up
                        return
                    stop.wait(every_s)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.uri = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._server.shutdown()
        self._server.server_close()


@dataclass
class Answer:
    """One HTTP response: status, headers (lower-case names) and body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    url: str,
    method: str = "GET",
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    target: str | None = None,
    timeout: float = 60.0,
) -> Answer:
    """One request over a fresh connection (http.client: no redirects, no proxies, any status
    returned, not raised); ``target`` sends a request line as given (huge or odd ones)."""
    from http.client import HTTPConnection
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    conn = HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=timeout)
    try:
        path = target or (parts.path + (f"?{parts.query}" if parts.query else ""))
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
    finally:
        conn.close()


@dataclass
class JudgeServer:
    """A `govgate serve` process on 127.0.0.1, its log (stdout and stderr) and its token."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path
    token: str | None

    def auth(self, token: str | None = None) -> dict[str, str]:
        given = token or self.token
        return {"Authorization": f"Bearer {given}"} if given else {}

    def get(self, path: str, **fields: str) -> Answer:
        from urllib.parse import urlencode

        query = f"?{urlencode(fields)}" if fields else ""
        return call(self.url + path + query, headers=self.auth())

    def post(self, path: str, document: object) -> Answer:
        headers = {**self.auth(), "Content-Type": "application/json"}
        return call(self.url + path, "POST", body=json.dumps(document).encode(), headers=headers)

    def wait_ready(self, timeout: float = 120.0) -> None:
        """Until /healthz answers; stops the server and raises if it exits or takes too long."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"govgate serve exited {self.process.returncode}: {self.log.read_text()}"
                )
            try:
                if call(f"{self.url}/healthz", timeout=2).status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"govgate serve did not start in {timeout} s: {self.log.read_text()}")

    def stop(self) -> int:
        """SIGTERM, as Kubernetes stops a pod; returns the exit code."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=20)
        return int(self.process.returncode)


def start_judge(root: Path, *args: str, **options: Any) -> JudgeServer:
    """`govgate serve ARGS` on a free loopback port, once /healthz answers (see spawn_judge)."""
    server = spawn_judge(root, *args, **options)
    server.wait_ready()
    return server


def spawn_judge(
    root: Path, *args: str, token: str | None = None, env: dict[str, str] | None = None
) -> JudgeServer:
    """`govgate serve ARGS` starting on a free loopback port (wait_ready waits for it, so
    several can start at once); with ``token``, it is passed as a --token-file under root."""
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = root / f"serve-{port}.log"
    extra: list[str] = []
    if token is not None:
        token_file = root / f"token-{port}"
        token_file.write_text(token + "\n")
        extra = ["--token-file", str(token_file)]
    command = [str(Path(sys.executable).parent / "govgate"), "serve", "--host", "127.0.0.1"]
    environment = {
        **{k: v for k, v in os.environ.items() if k != "GOVGATE_SERVE_TOKEN"},
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "DO_NOT_TRACK": "true",
        **(env or {}),
    }
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port), *extra, *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            cwd=root,
            start_new_session=True,
        )
    return JudgeServer(f"http://127.0.0.1:{port}", process, log, token)
