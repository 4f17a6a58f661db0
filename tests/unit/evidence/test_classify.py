"""MLflow failures are classified by error code and exception type, never by stray digits."""

from __future__ import annotations

import pytest
import requests
from mlflow.exceptions import MlflowException

from govgate.evidence.mlflow.errors import translate
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.mlflow.source import MlflowSource


def chained(outer: Exception, inner: BaseException) -> Exception:
    outer.__cause__ = inner
    return outer


def mlflow_error(message: str, code: str = "INTERNAL_ERROR") -> MlflowException:
    from mlflow.protos import databricks_pb2

    return MlflowException(message, error_code=getattr(databricks_pb2, code))


CASES = [
    (
        chained(
            mlflow_error("API request to http://127.0.0.1:40319/x failed"),
            requests.exceptions.ConnectionError("port 40319: Connection refused"),
        ),
        "unreachable",
    ),
    (
        chained(
            mlflow_error("API request to http://127.0.0.1:40319/x failed"),
            requests.exceptions.ReadTimeout("read timed out"),
        ),
        "timeout",
    ),
    (mlflow_error("API request to endpoint /x failed with error code 403 != 200"), "permission"),
    (mlflow_error("Unauthorized", "UNAUTHENTICATED"), "permission"),
    (mlflow_error("Run 'abc' not found", "RESOURCE_DOES_NOT_EXIST"), "not-found"),
    (mlflow_error("Registered model alias x not found.", "INVALID_PARAMETER_VALUE"), "not-found"),
    (mlflow_error("database is locked on port 4031"), "store-error"),
    (RuntimeError("something else"), "store-error"),
]


@pytest.mark.parametrize(("exc", "kind"), CASES)
def test_classification(exc: Exception, kind: str) -> None:
    source = MlflowSource(MlflowSettings(tracking_uri="http://127.0.0.1:40319", max_retries=1))
    err = translate(source.settings, "candidate run x", exc)
    assert err.code == f"evidence.{kind}"
    assert "MLflow at http://127.0.0.1:40319, 1 retries, 10 s timeout per request" in err.tried


def test_credentials_in_the_uri_never_reach_a_message() -> None:
    settings = MlflowSettings(tracking_uri="https://alice:s3cret-pass@mlflow.example")
    source = MlflowSource(settings)
    err = translate(
        source.settings, "x", RuntimeError("https://alice:s3cret-pass@mlflow.example said no")
    )
    assert "s3cret" not in str(err)
    assert "s3cret" not in err.tried
