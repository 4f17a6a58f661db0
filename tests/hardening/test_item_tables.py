"""Item tables whose ids or group values are not labels, or whose labels could merge.

Lists, objects and bytes as ids or group values were internal errors (an Arrow cast raised);
a real group named ``(missing)`` merged with the items that had no group at all.
"""

from __future__ import annotations

import io
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govgate.evidence.items import MISSING_GROUP, parse_items


def _parquet(columns: dict[str, pa.Array]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


N = 12
RATES = pa.array([0] * N)
IDS = pa.array([f"q{i}" for i in range(N)])


@pytest.mark.parametrize(
    ("column", "values", "words"),
    [
        ("item_id", pa.array([[i] for i in range(N)]), "text or whole numbers, not lists"),
        ("item_id", pa.array([{"a": i} for i in range(N)]), "not objects"),
        ("item_id", pa.array([bytes([i]) for i in range(N)]), "not bytes"),
        ("item_id", pa.array([i + 0.5 for i in range(N)]), "not decimal numbers"),
        ("group.lang", pa.array([["en"]] * N),
         "'group.lang' must hold labels (text, whole numbers, booleans), not lists"),
        ("group.lang", pa.array([{"x": 1}] * N), "not objects"),
        ("group.lang", pa.array([b"en"] * N), "not bytes"),
    ],
)  # fmt: skip
def test_ids_and_group_values_that_are_not_labels_make_the_table_unusable(
    column: str, values: pa.Array, words: str
) -> None:
    columns = {"item_id": IDS, "rate.tox": RATES, column: values}
    table, problem = parse_items(_parquet(columns), "parquet")
    assert table is None
    assert problem is not None
    assert words in problem


def test_the_json_table_form_with_list_ids_is_unusable_too() -> None:
    doc = {"columns": ["item_id", "rate.tox"], "data": [[[i], 0] for i in range(N)]}
    table, problem = parse_items(json.dumps(doc).encode(), "mlflow-table-json")
    assert table is None
    assert "not lists" in str(problem)


def test_labels_of_every_ordinary_kind_are_accepted() -> None:
    columns = {
        "item_id": pa.array(range(N)),  # whole-number ids
        "rate.tox": RATES,
        "group.lang": pa.array(["en", "de"] * (N // 2)).dictionary_encode(),  # pandas categorical
        "group.flag": pa.array([True, False] * (N // 2)),
    }
    table, problem = parse_items(_parquet(columns), "parquet")
    assert problem is None
    assert table is not None
    assert table.groups["group.flag"][1] == ("true", "false")


def test_a_real_group_named_missing_never_merges_with_items_that_have_no_group() -> None:
    labels = pa.array([MISSING_GROUP, None] + ["en"] * (N - 2))
    table, problem = parse_items(
        _parquet({"item_id": IDS, "rate.tox": RATES, "group.lang": labels}), "parquet"
    )
    assert table is None
    assert f"has the value {MISSING_GROUP!r}" in str(problem)
    # items with no group are still one group of their own, stored as null again
    labels = pa.array([None, None] + ["en"] * (N - 2))
    table, problem = parse_items(
        _parquet({"item_id": IDS, "rate.tox": RATES, "group.lang": labels}), "parquet"
    )
    assert problem is None
    assert table is not None
    assert table.groups["group.lang"][1] == (MISSING_GROUP, "en")
    stored = pq.read_table(pa.BufferReader(table.to_parquet())).column("group.lang")
    assert stored.null_count == 2
    again, problem = parse_items(table.to_parquet(), "parquet")
    assert problem is None
    assert again is not None
    assert again.groups["group.lang"][1] == (MISSING_GROUP, "en")


def test_random_looking_ids_of_an_id_scheme_are_not_taken_for_secrets() -> None:
    """KSUID-like ids (27 random base62 characters each) are an id scheme; the same shape
    among ordinary ids is one planted value, and refused (test_secrets.py)."""
    import random
    import string

    rng = random.Random(7)
    alphabet = string.ascii_letters + string.digits
    ids = pa.array(["".join(rng.choice(alphabet) for _ in range(27)) for _ in range(1000)])
    table, problem = parse_items(
        _parquet({"item_id": ids, "rate.tox": pa.array([0] * 1000)}), "parquet"
    )
    assert problem is None
    assert table is not None
    assert table.rows == 1000
