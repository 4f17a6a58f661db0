"""The per-item table's ``ts`` column: arrival times a canary is judged in the order of."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from govgate.evidence.items import parse_items


def _parse(ts: Any) -> tuple[Any, str | None]:
    table = pa.table({"item_id": ["a", "b"], "rate.x": [0, 1], "ts": ts})
    sink = io.BytesIO()
    pq.write_table(table, sink)
    return parse_items(sink.getvalue(), "parquet")


@pytest.mark.parametrize(
    "ts",
    [
        pa.array([1_767_225_600.0, 1_767_225_601.5]),
        pa.array([1_767_225_600, 1_767_225_601]),
        pa.array(["2026-01-01T00:00:00Z", "2026-01-01T01:00:01.500+01:00"]),
        pa.array(
            [dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2026, 1, 1, 0, 0, 1, 500_000)]
        ),
    ],
)
def test_arrival_times_are_read_as_seconds_and_stored_canonically(ts: Any) -> None:
    table, problem = _parse(ts)
    assert problem is None
    assert table is not None
    assert table.ts[0] == 1_767_225_600.0
    assert table.ts[1] == pytest.approx(1_767_225_601.0, abs=0.5)
    assert not table.ts.flags.writeable
    assert table.roles["ts"] == "ts"
    again, _ = parse_items(table.to_parquet(), "parquet")  # what a snapshot stores
    assert again is not None
    np.testing.assert_array_equal(again.ts, table.ts)
    assert again.to_parquet() == table.to_parquet()


@pytest.mark.parametrize(
    ("ts", "says"),
    [
        (pa.array([1.767e12, 1.767e12 + 1]), "look like milliseconds"),
        (pa.array(["2026-01-01 00:00:00", "2026-01-01 00:00:01"]), "timestamps with a zone"),
        (pa.array(["sk-live-AAAA", "x"]), "timestamps with a zone"),
        (pa.array([None, 1_767_225_600.0]), "1 rows have no ts"),
        (pa.array([float("inf"), 1.0]), "not finite"),
        (pa.array([[1.0], [2.0]]), "must hold timestamps or seconds"),
    ],
)
def test_arrival_times_that_cannot_be_ordered_make_the_table_unusable(ts: Any, says: str) -> None:
    table, problem = _parse(ts)
    assert table is None
    assert problem is not None
    assert says in problem
    assert "sk-live" not in problem  # a value from the evidence is never quoted back
