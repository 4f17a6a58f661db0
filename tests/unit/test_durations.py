"""Durations are read strictly: one grammar for risk, SLO windows and CEL field names."""

from __future__ import annotations

import pytest

from govgate.cel.vocabulary import slo_window
from govgate.document.patterns import DURATION
from govgate.durations import DURATION_PATTERN, seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5m", 300), ("1h", 3_600), ("6h", 21_600), ("3d", 259_200), ("30d", 2_592_000),
     ("1w", 604_800), ("99999w", 99_999 * 604_800)],
)  # fmt: skip
def test_durations_in_seconds(text: str, expected: int) -> None:
    assert seconds(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "5", "0m", "05m", "1h30m", "1.5h", "30s", "30 d", "30D", "-1h", "100000m", "1h\n", "h"],
)
def test_anything_else_is_not_a_duration(text: str) -> None:
    assert seconds(text) is None
    assert slo_window(f"burn_rate_{text}") is None


def test_the_schema_the_models_and_the_cel_fields_share_one_grammar() -> None:
    assert DURATION == DURATION_PATTERN
    assert slo_window("burn_rate_1h") == "1h"
    assert slo_window("bad_events_30d") == "30d"
    assert slo_window("burn_rate") is None
