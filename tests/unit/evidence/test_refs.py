from __future__ import annotations

import pytest

from govgate.errors import UsageError
from govgate.evidence.refs import ModelRef, RunRef, SearchRef, SnapshotRef, parse_ref

RUN = "0123456789abcdef0123456789abcdef"


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        (RUN, RunRef(RUN)),
        (f"runs:/{RUN}", RunRef(RUN)),
        (f"runs:/{RUN}/model", RunRef(RUN)),
        ("models:/rag-assistant@champion", ModelRef("rag-assistant", alias="champion")),
        ("models:/rag assistant/12", ModelRef("rag assistant", version="12")),
        ("search:rag-evals?tags.stage = 'canary'", SearchRef("rag-evals", "tags.stage = 'canary'")),
        ("search:rag-evals?", SearchRef("rag-evals", "")),
        ("out/evidence.json", SnapshotRef("out/evidence.json")),
        ("snapshot:old.snap", SnapshotRef("old.snap")),
        ("out/evidence.json#baseline", SnapshotRef("out/evidence.json", "baseline")),
    ],
)
def test_forms(text: str, ref: object) -> None:
    assert parse_ref(text) == ref


@pytest.mark.parametrize(
    "text",
    [
        "",
        "runs:/short",
        "models:/x",
        "models:/x@",
        "models:/x/v1",
        "search:noquery",
        "abc",
        "out/evidence.json#other",
    ],
)
def test_bad_references_are_usage_errors_naming_the_forms(text: str) -> None:
    with pytest.raises(UsageError) as info:
        parse_ref(text)
    assert "models:/NAME@ALIAS" in info.value.hint
