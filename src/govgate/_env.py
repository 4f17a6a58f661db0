"""Environment variables set for the length of a call, then put back as they were.

MLflow reads its HTTP retry and timeout settings, and MLflow and ragas their telemetry switches,
from ``os.environ``. Setting them for good would leak one call's settings into the next call in
the same process (a test suite, a harness, ``govgate serve``), so every writer scopes them.
Not thread-safe: ``os.environ`` is one per process; callers that run concurrently must agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

#: What govgate forces whatever the user's shell says: no usage telemetry leaves the process,
#: from MLflow or from ragas.
TELEMETRY_OFF = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
}


@contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Set ``values`` in ``os.environ`` inside the block; restore every one of them after."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, old in before.items():
            if old is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = old
