"""Canonical JSON (RFC 8785): same value, same bytes."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from govgate.canonical import CanonicalJSONError, dumps, sha256


@pytest.mark.parametrize(
    ("value", "text"),
    [  # ECMAScript Number::toString, as RFC 8785 appendix B lists
        (0.0, "0"),
        (-0.0, "0"),
        (1.0, "1"),
        (100.0, "100"),
        (1e21, "1e+21"),
        (1e20, "100000000000000000000"),
        (1e-6, "0.000001"),
        (1e-7, "1e-7"),
        (1.5e-7, "1.5e-7"),
        (0.1, "0.1"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-1.25, "-1.25"),
        (0.30000000000000004, "0.30000000000000004"),
        (9007199254740992.0, "9007199254740992"),
        (333333333.3333333, "333333333.3333333"),
    ],
)
def test_numbers(value: float, text: str) -> None:
    assert dumps(value) == text.encode()


def test_objects_sort_by_utf16_code_units_and_strings_escape_minimally() -> None:
    value = {"b": [1, 2.5, None, True, False], "a": 'é\n"\\', "\u20ac": 1, "\U0001f600": 2, "": {}}
    assert (
        dumps(value)
        == (
            '{"":{},"a":"é\\n\\"\\\\","b":[1,2.5,null,true,false],"\u20ac":1,"\U0001f600":2}'
        ).encode()
    )
    assert dumps("\x01\x1f") == b'"\\u0001\\u001f"'


def test_large_integers_are_written_as_the_double_they_equal() -> None:
    assert dumps(2**60) == dumps(float(2**60)) == b"1152921504606847000"  # as ECMAScript prints
    assert dumps(9007199254740994) == dumps(9007199254740994.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, {1: "x"}, object(), 2**60 + 1])
def test_values_without_a_canonical_form_raise(bad: object) -> None:
    with pytest.raises(CanonicalJSONError):
        dumps(bad)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON)
def test_canonical_json_round_trips_and_is_stable(value: object) -> None:
    data = dumps(value)
    parsed = json.loads(data, parse_int=float)  # canonical JSON numbers are IEEE doubles
    assert parsed == value
    assert dumps(parsed) == data
    assert sha256(value) == sha256(parsed)


@pytest.mark.parametrize("text", ["\ud800", "a\udfffb", {"\ud800": 1}])
def test_lone_surrogates_raise_the_canonical_error(text: object) -> None:
    """Not a UnicodeEncodeError ("internal error"): a value with no canonical form."""
    with pytest.raises(CanonicalJSONError):
        dumps(text)
