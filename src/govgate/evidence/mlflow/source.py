"""A tracking store, opened lazily: the one object that holds an MLflow client.

The only code that imports MLflow's client (deferred: ~2-3 s). The same code reads the embedded
default (``sqlite:///mlflow.db``) and a remote ``mlflow server``; only the URI differs. Each
call runs with the settings' HTTP retry and timeout budget in the environment, and only then.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from govgate._env import scoped_environ
from govgate.errors import EvidenceError
from govgate.evidence.mlflow.errors import require_finished, translate
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.redact import RedactionPolicy


def _quiet_mlflow() -> None:
    import logging

    for name in ("mlflow", "alembic", "urllib3.connectionpool"):
        logging.getLogger(name).setLevel(logging.ERROR)


class _OverrunError(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(seconds)
        self.seconds = seconds


def _within(seconds: float, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """``fn(*args, **kwargs)``, or ``evidence.timeout`` once ``seconds`` have passed.

    The call runs in a daemon thread, since a blocking read cannot be interrupted from outside;
    a call that overruns is abandoned (its socket closes when the process ends, and nothing it
    returns late is used). MLflow's client is not made for cancellation, so this is the one
    bound that holds whatever the server does.
    """
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = fn(*args, **kwargs)
        except BaseException as exc:  # handed to the caller as is
            outcome["error"] = exc

    worker = threading.Thread(target=work, name="govgate-mlflow-call", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _OverrunError(seconds)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


class MlflowSource:
    """A tracking store, opened lazily. One instance reads each run at most once."""

    def __init__(
        self,
        settings: MlflowSettings,
        redaction: RedactionPolicy | None = None,
        *,
        create_store: bool = False,
    ) -> None:
        self.settings = settings
        self.redaction = redaction or RedactionPolicy()
        self.create_store = create_store  # writers (eval runs) may create a local store
        self._client: Any = None

    @property
    def client(self) -> Any:
        if self._client is None:
            if not self.create_store:
                self._check_local_store()
            try:
                with scoped_environ(self.settings.environment()):
                    from mlflow.tracking import MlflowClient

                    _quiet_mlflow()  # after the import: importing MLflow configures its loggers
                    self._client = MlflowClient(tracking_uri=self.settings.tracking_uri)
            except Exception as exc:  # a driver missing, a store MLflow refuses to open
                raise translate(self.settings, "opening the tracking store", exc) from exc
        return self._client

    def _check_local_store(self) -> None:
        """Reading must not create a store: a missing SQLite file is an error, not an empty db."""
        uri = self.settings.tracking_uri
        if uri.startswith("sqlite:///"):
            path = Path(uri[len("sqlite:///") :])
            if not path.is_file():
                raise EvidenceError(
                    "evidence.not-found",
                    f"no MLflow store at {path.as_posix()}",
                    hint="run from the folder that holds mlflow.db, or pass --tracking-uri",
                    tried=self.settings.describe(),
                )

    def call(self, what: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Call the MLflow client, turning every failure into a documented EvidenceError.

        The whole call is bounded by the settings' deadline, not only each socket read: a
        server that sends an artifact a byte at a time ends in ``evidence.timeout``. That holds
        for a local tracking store too, whose artifacts may live behind HTTP (an experiment's
        ``artifact_location``), S3 or any other store MLflow reads.
        """
        try:
            with scoped_environ(self.settings.environment()):
                return _within(self.settings.deadline_s(), fn, *args, **kwargs)
        except _OverrunError as overrun:
            raise EvidenceError(
                "evidence.timeout",
                f"{what}: MLflow did not finish in {overrun.seconds:g} s (the whole call, "
                "retries included)",
                hint="check the server, or raise --mlflow-timeout",
                tried=self.settings.describe(),
            ) from None
        except EvidenceError:
            raise
        except Exception as exc:  # MLflow, requests and SQLAlchemy raise many types
            raise translate(self.settings, what, exc) from exc

    def run(self, run_id: str, what: str) -> Any:
        run = self.call(what, self.client.get_run, run_id)
        require_finished(run, what)
        return run

    def download(self, run_id: str, path: str, destination: Path) -> Path:
        """Download a run's artifact (file or folder) into ``destination``."""
        local = self.call(
            f"run {run_id} artifact {path}",
            self.client.download_artifacts,
            run_id,
            path,
            str(destination),
        )
        return Path(local)
