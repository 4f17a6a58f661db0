"""The per-item table format: parsed columnar, validated, stored without extra columns."""

from __future__ import annotations

import io
import json
from collections.abc import Callable

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govgate.evidence.items import TableFormat, parse_items


def parquet(columns: dict[str, list[object]]) -> bytes:
    sink = io.BytesIO()
    pq.write_table(pa.table(columns), sink)
    return sink.getvalue()


def table_json(columns: dict[str, list[object]]) -> bytes:
    names = list(columns)
    rows = [list(r) for r in zip(*columns.values(), strict=True)]
    return json.dumps({"columns": names, "data": rows}).encode()


GOOD: dict[str, list[object]] = {
    "item_id": ["a", "b", "c"],
    "rate.toxic": [0, 1, None],
    "score.correct": [0.5, 1.0, 0.25],
    "latency.latency_ms": [120.0, 80.0, 300.0],
    "group.lang": ["en", None, "de"],
    "meta.prompt": ["p1", "sk-abcdefghijklmnopqrstuvwxyz", "p3"],
}


@pytest.mark.parametrize("encode", [parquet, table_json])
def test_roles_from_column_names(encode: Callable[[dict[str, list[object]]], bytes]) -> None:
    fmt: TableFormat = "parquet" if encode is parquet else "mlflow-table-json"
    table, problem = parse_items(encode(GOOD), fmt)
    assert problem is None
    assert table is not None
    assert table.rows == 3
    assert table.ids.to_pylist() == ["a", "b", "c"]
    assert table.roles == {
        "rate.toxic": "rate",
        "score.correct": "score",
        "latency.latency_ms": "latency",
        "group.lang": "group",
    }
    assert table.ignored == ("meta.prompt",)
    toxic = table.of_role("rate")["toxic"]
    assert toxic[:2].tolist() == [0.0, 1.0]
    assert np.isnan(toxic[2])  # empty = not scored, never 0
    group = table.group("lang")
    assert group is not None
    codes, categories = group
    assert [categories[c] for c in codes] == ["en", "(missing)", "de"]
    with pytest.raises(ValueError, match="read-only"):
        toxic[0] = 1.0


def test_stored_form_drops_ignored_columns_and_is_deterministic() -> None:
    table, _ = parse_items(parquet(GOOD), "parquet")
    assert table is not None
    stored = table.to_parquet()
    assert stored == table.to_parquet()
    assert b"sk-abcdefghij" not in stored
    again, problem = parse_items(stored, "parquet")
    assert problem is None
    assert again is not None
    assert again.roles == table.roles
    assert again.to_parquet() == stored
    assert again.groups["group.lang"][1] == table.groups["group.lang"][1]


@pytest.mark.parametrize(
    ("columns", "problem"),
    [
        ({"id": ["a"]}, "no 'item_id' column"),
        ({"item_id": ["a", "a", "b"]}, "1 duplicate item_id values in 3 rows"),
        ({"item_id": ["a", None]}, "1 rows have no item_id"),
        ({"item_id": ["a", "b"], "rate.t": [0, 2]}, "values must be 0 or 1"),
        ({"item_id": ["a", "b"], "rate.t": [0.5, 1]}, "values must be 0 or 1"),
        ({"item_id": ["a", "b"], "score.s": [1.0, float("inf")]}, "infinite values"),
        ({"item_id": ["a", "b"], "score.s": ["x", "y"]}, "must be numeric"),
        ({"item_id": ["a", "b"], "latency.l": [1.0, -2.0]}, "negative durations"),
        ({"item_id": ["a", "ghp_" + "x" * 36]}, "look like secrets"),
        ({"item_id": ["a", "b"], "group.g": ["en", "AKIAIOSFODNN7EXAMPLE"]}, "look like secrets"),
    ],
)
def test_unusable_tables_say_why(columns: dict[str, list[object]], problem: str) -> None:
    table, found = parse_items(parquet(columns), "parquet")
    assert table is None
    assert found is not None
    assert problem in found


@pytest.mark.parametrize(
    "data", [b"not parquet", b"{}", b'{"columns": ["item_id"], "data": [["a", 1]]}', b"[1, 2]"]
)
def test_unreadable_tables_say_why(data: bytes) -> None:
    fmt: TableFormat = "parquet" if data == b"not parquet" else "mlflow-table-json"
    table, problem = parse_items(data, fmt)
    assert table is None
    assert problem is not None
    assert problem.startswith("the per-item table cannot be read")


def test_large_tables_load_columnar() -> None:
    n = 200_000
    data = parquet(
        {
            "item_id": [f"i{i}" for i in range(n)],
            "score.s": np.random.default_rng(0).random(n).tolist(),
        }
    )
    table, problem = parse_items(data, "parquet")
    assert problem is None
    assert table is not None
    assert table.columns["score.s"].dtype == np.float64
    assert table.rows == n
