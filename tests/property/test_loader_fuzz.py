"""The loader never crashes: arbitrary bytes and mutated policies give problems, not tracebacks.

Bounded: a few hundred examples each (derandomised in CI), so the suite stays fast.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from govgate.document.yaml import load_yaml
from govgate.policy.loader import default_compiler, load_policy_set
from tests.conftest import ROOT

# cel-python raises the recursion limit to 2500 when its environment is first built (it needs
# the depth for evaluation); build it before hypothesis watches the limit.
default_compiler().check("1 < 2")

SEED = (ROOT / "policies" / "rag-assistant" / "safety.yaml").read_bytes()
TOKENS = st.sampled_from(
    [
        b"\n",
        b"  ",
        b"- ",
        b": ",
        b"&a ",
        b"*a",
        b"!!str ",
        b"!x ",
        b"[",
        b"]",
        b"{",
        b"}",
        b",",
        b"'",
        b'"',
        b"|",
        b">-",
        b"---\n",
        b"? ",
        b"#",
        b"\t",
        b"\xff",
        b"\x00",
        b"no",
        b"1e-2",
        b".nan",
        b"kind: Policy\n",
        b"apiVersion: govgate/v1\n",
        b"rules:",
        b"expression: ",
        b"candidate.metrics.x",
        b" <= ",
        b"((",
        b"))",
        b"{{",
        b"}}",
    ]
)


@settings(max_examples=300)
@given(st.binary(max_size=400))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    _, problems = load_yaml(data, "fuzz.yaml")
    assert all(p.span.file == "fuzz.yaml" for p in problems)


def _json_like(value: Any) -> bool:
    if value is None or isinstance(value, bool | int | float | str):
        return True
    if isinstance(value, list):
        return all(_json_like(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _json_like(v) for k, v in value.items())
    return False


@settings(max_examples=300)
@given(st.lists(TOKENS, max_size=60).map(b"".join))
def test_yaml_like_token_soup_never_raises(data: bytes) -> None:
    """load_yaml's contract: never an exception; each problem names the file, a position in it
    (or just past its end, where the parser stopped) and a one-line `yaml.*` message; each
    document is plain data; nothing parsed and nothing reported only for a file with no content.
    """
    documents, problems = load_yaml(data, "fuzz.yaml")
    last_line = data.count(b"\n") + 2  # the line after the last: where end-of-input is
    for p in problems:
        assert p.span.file == "fuzz.yaml"
        assert 1 <= p.span.line <= last_line
        assert p.span.column >= 1
        assert p.code.startswith("yaml."), p.code
        assert p.message
        assert "\n" not in p.message
    assert [d.index for d in documents] == list(range(len(documents)))
    for d in documents:
        assert d.file == "fuzz.yaml"
        assert _json_like(d.value), d.value
        for line, column in [*d.positions.values(), *d.key_positions.values()]:
            assert 1 <= line <= last_line
            assert column >= 1
    if not documents and not problems:
        lines = data.decode("utf-8-sig").splitlines()
        assert all(re.fullmatch(r"\s*(#.*)?", line) for line in lines), data  # blank or comment


def _mutate(data: bytes, edits: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for position, delete, insert in edits:
        at = position % (len(out) + 1)
        out[at : at + delete] = insert
    return bytes(out)


EDITS = st.lists(
    st.tuples(st.integers(0, 10_000), st.integers(0, 4), st.one_of(TOKENS, st.binary(max_size=3))),
    min_size=1,
    max_size=4,
)


@settings(max_examples=200)
@given(EDITS)
@example([(0, 0, b"")])  # the seed itself: the no-problem branch below is always exercised
def test_mutated_policies_never_crash_the_full_pipeline(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, int, bytes]]
) -> None:
    path: Path = tmp_path_factory.mktemp("fuzz") / "policy.yaml"
    path.write_bytes(_mutate(SEED, edits))
    policy_set, problems = load_policy_set([path.as_posix()])
    for p in problems:
        assert p.span.file == path.as_posix()
        assert p.message
        assert "\n" not in p.message
    # a file that reported no problem loaded its one policy with all its rules
    if not problems:
        assert [len(p.rules) for p in policy_set.policies] == [3]
