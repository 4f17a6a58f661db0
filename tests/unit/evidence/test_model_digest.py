"""The model version tag govgate.model.digest: used only as sha256: and 64 lowercase hex digits,
else the evidence is refused (evidence.invalid, exit 7) before anything is snapshotted."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from govgate.errors import EvidenceError
from govgate.evidence.mlflow.read import check_model_digest, read
from govgate.evidence.mlflow.settings import TAG_MODEL_DIGEST, TAG_MODEL_NAME, TAG_MODEL_VERSION
from govgate.evidence.mlflow.source import MlflowSource
from govgate.evidence.model import ModelInfo, Resolution
from govgate.evidence.redact import RedactionPolicy
from govgate.exitcodes import ExitCode

GOOD = "sha256:" + "0123456789abcdef" * 4
BAD = [
    ("sha256:" + "0123456789ABCDEF" * 4, "uppercase hex digits"),
    ("sha256:" + "g" * 64, "not sha256: and 64 lowercase hex digits"),
    ("sha256:" + "a" * 63, "not sha256: and 64 lowercase hex digits"),
    (GOOD + "\n", "not sha256: and 64 lowercase hex digits"),
    (" " + GOOD, "not sha256: and 64 lowercase hex digits"),
    ("sha512:" + "a" * 64, "not sha256: and 64 lowercase hex digits"),
    ("0123456789abcdef" * 4, "not sha256: and 64 lowercase hex digits"),
    ("", "not sha256: and 64 lowercase hex digits"),
]


def test_a_well_formed_digest_or_none_is_kept() -> None:
    check_model_digest(ModelInfo(name="m", version="1", digest=GOOD), "candidate run r1")
    check_model_digest(ModelInfo(name="m", version="1"), "candidate run r1")
    check_model_digest(None, "candidate run r1")


@pytest.mark.parametrize(("digest", "why"), BAD)
def test_a_malformed_digest_is_refused_naming_run_version_and_tag(digest: str, why: str) -> None:
    with pytest.raises(EvidenceError) as info:
        check_model_digest(
            ModelInfo(name="assistant", version="3", digest=digest), "candidate run r1"
        )
    error = info.value
    assert error.code == "evidence.invalid"
    assert error.exit_code == ExitCode.EVIDENCE_UNAVAILABLE
    assert int(error.exit_code) == 7
    assert error.message.startswith(
        f"candidate run r1: model version assistant/3 has tag {TAG_MODEL_DIGEST} {digest!r}"
    )
    assert f"({why})" in error.message
    assert "64 lowercase hex digits" in error.hint
    assert "delete the tag" in error.hint


def test_a_long_value_is_cut_short_in_the_message() -> None:
    with pytest.raises(EvidenceError) as info:
        check_model_digest(ModelInfo(name="m", version="1", digest="x" * 5000), "baseline run b")
    assert len(info.value.message) < 400
    assert "'" + "x" * 80 + "...'" in info.value.message


def _source(version_tags: dict[str, str]) -> MlflowSource:
    """Just enough of an MLflow source for ``read`` to reach the model of a run."""
    client = SimpleNamespace(
        get_experiment=lambda experiment_id: SimpleNamespace(name="exp"),
        get_model_version=lambda name, version: SimpleNamespace(tags=version_tags),
    )

    def call(what: str, fn: Any, *args: Any) -> Any:
        return fn(*args)

    fake = SimpleNamespace(client=client, call=call, redaction=RedactionPolicy())
    return cast(MlflowSource, fake)


def _run() -> Any:
    info = SimpleNamespace(
        run_id="r42", experiment_id="0", status="FINISHED", start_time=1, end_time=2
    )
    tags = {TAG_MODEL_NAME: "assistant", TAG_MODEL_VERSION: "3"}
    return SimpleNamespace(
        info=info, data=SimpleNamespace(metrics={}, params={}, tags=tags), inputs=None
    )


def test_reading_a_run_whose_model_version_has_a_malformed_digest_fails_closed() -> None:
    """Through the run's govgate tags: refused before any table is read or snapshotted."""
    resolution = Resolution(reference="runs:/r42", method="run-id", detail="run id given")
    source = _source({TAG_MODEL_DIGEST: "sha256:" + "AB" * 32})
    with pytest.raises(EvidenceError) as info:
        read(source, _run(), resolution, None, "candidate")
    assert info.value.code == "evidence.invalid"
    assert info.value.message.startswith("candidate run r42: model version assistant/3 has tag")


def test_reading_a_model_given_by_reference_checks_its_digest_too() -> None:
    """Through ``models:/NAME@ALIAS``: the resolver's ModelInfo passes the same check."""
    resolution = Resolution(reference="models:/assistant@c", method="run-id", detail="x")
    model = ModelInfo(name="assistant", version="3", alias="c", digest="sha256:short")
    with pytest.raises(EvidenceError, match="candidate run r42: model version assistant/3"):
        read(_source({}), _run(), resolution, model, "candidate")
