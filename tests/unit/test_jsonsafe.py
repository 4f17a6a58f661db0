"""jsonsafe.loads: what json.loads accepts that govgate must not, refused with the reason."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from govgate import canonical, jsonsafe
from govgate.jsonsafe import JSONInputError


def nesting(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(nesting, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(nesting, value), default=0)
    return 0


# strings full of what could fool a scan: quotes, backslashes, brackets, escapes
tricky_text = st.text(alphabet=st.sampled_from('[]{}"\\/ ab\n\u00e9\U0001f600'), max_size=12)
finite = st.floats(allow_nan=False, allow_infinity=False)
scalars = st.none() | st.booleans() | st.integers() | finite
json_values = st.recursive(
    scalars | tricky_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(tricky_text, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300)
@given(json_values, st.booleans())
def test_valid_json_reads_as_json_loads_reads_it(value: Any, ascii_only: bool) -> None:
    data = json.dumps(value, ensure_ascii=ascii_only).encode()
    assert jsonsafe.loads(data) == json.loads(data)
    assert jsonsafe.depth(data) == nesting(value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b"1", 0),
        (b"[]", 1),
        (b'{"a": [{}]}', 3),
        (b'"[[[["', 0),
        (b'"\\"[[" ', 0),
        (b'["\\\\", [[]]]', 3),
        (b'["\\\\\\"[", []]', 2),
        (b'[" ] ", "{", [["}"]]]', 3),
    ],
)
def test_depth_counts_brackets_outside_strings_only(text: bytes, expected: int) -> None:
    assert jsonsafe.depth(text) == expected


def test_the_depth_limit_is_exact_and_checked_before_parsing() -> None:
    assert jsonsafe.loads(b"[" * 64 + b"]" * 64, max_depth=64)
    with pytest.raises(JSONInputError, match=r"^nested deeper than the 64 levels allowed$"):
        jsonsafe.loads(b"[" * 65 + b"]" * 65)
    with pytest.raises(JSONInputError, match="nested deeper than the 3 levels allowed"):
        jsonsafe.loads(b'{"a": {"b": {"c": {}}}}', max_depth=3)


@pytest.mark.parametrize(
    "text",
    [b"[" * 100_000, b'{"a":' * 100_000, b"[" * 100_000 + b"]" * 100_000, b'["x", ' * 50_000],
)
def test_hostile_nesting_is_refused_quickly_and_never_as_a_recursion_error(text: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(JSONInputError, match="nested deeper than the 64 levels allowed"):
        jsonsafe.loads(text)
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "text",
    [b'"' + b'\\"' * 1_000_000, b'"ab' * 1_000_000, b"\\" * 3_000_001, b'"[' * 1_000_000],
)
def test_the_depth_scan_is_linear_on_quotes_and_backslashes_that_never_close(text: bytes) -> None:
    started = time.perf_counter()
    with pytest.raises(JSONInputError):
        jsonsafe.loads(text)
    assert time.perf_counter() - started < 2


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"a": 1, "a": 2}', "duplicate key 'a' in an object"),
        (b'[{"x": {"k": 1, "k": 1}}]', "duplicate key 'k' in an object"),
        (b"NaN", "NaN is not JSON (no canonical form)"),
        (b'{"x": [Infinity]}', "Infinity is not JSON (no canonical form)"),
        (b"-Infinity", "-Infinity is not JSON (no canonical form)"),
        (b"[1e999]", "the number 1e999 is too large for a float"),
        (b'{"x": -1.5e400}', "the number -1.5e400 is too large for a float"),
        (b'"\\ud800"', "a lone surrogate escape \\ud800 in a string"),
        (b'["\\udc00x"]', "a lone surrogate escape \\udc00 in a string"),
        (b'{"\\ud83d": 1}', "a lone surrogate escape \\ud83d in a string"),
        (b'"\\ud83d\\u0041"', "a lone surrogate escape \\ud83d in a string"),
        (b"\xff", "not UTF-8 (byte 0)"),
        (b'["a", "\xc3"]', "not UTF-8 (byte 7)"),
        (b"\xef\xbb\xbf{}", "Unexpected UTF-8 BOM"),
        (b"[1,]", "Expecting value: line 1 column 4 (char 3)"),
        (b"", "Expecting value"),
        (b"[" + b"9" * 5000 + b"]", "Exceeds the limit"),
    ],
)
def test_what_has_no_canonical_form_or_is_not_json_is_refused_with_the_reason(
    text: bytes, reason: str
) -> None:
    with pytest.raises(JSONInputError) as caught:
        jsonsafe.loads(text)
    assert reason in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_a_surrogate_pair_is_one_character_and_has_a_canonical_form() -> None:
    value = jsonsafe.loads(b'{"smile": "\\ud83d\\ude00", "escaped": "\\\\ud800"}')
    assert value == {"smile": "\U0001f600", "escaped": "\\ud800"}
    assert canonical.dumps(value)


def test_the_size_limit_is_checked_before_anything_is_decoded() -> None:
    with pytest.raises(JSONInputError, match=r"^11 bytes, more than the 10 bytes read as JSON$"):
        jsonsafe.loads(b"\xff" * 11, max_bytes=10)
    assert jsonsafe.MAX_BYTES == 64 * 1024**2
    assert jsonsafe.loads(b" " * 5 + b"[]", max_bytes=7) == []


def test_a_ten_megabyte_document_reads_in_well_under_a_few_seconds() -> None:
    rows = [{"id": f"item-{i}", "score": i / 7, "text": 'q"\\[' * (i % 5)} for i in range(120_000)]
    data = json.dumps({"items": rows}).encode()
    assert len(data) > 8 * 1024**2
    started = time.perf_counter()
    assert jsonsafe.loads(data) == {"items": rows}
    assert time.perf_counter() - started < 5
