"""The safe YAML loader: YAML 1.2 values, positions, and refusal of what can deceive."""

from __future__ import annotations

import time
from collections.abc import Iterable

import pytest

from govgate.document.nodes import YamlDocument
from govgate.document.yaml import YamlLimits, load_yaml
from govgate.errors import Problem


def load(
    text: str | bytes, limits: YamlLimits | None = None
) -> tuple[list[YamlDocument], list[Problem]]:
    data = text.encode() if isinstance(text, str) else text
    return load_yaml(data, "f.yaml", limits or YamlLimits())


def codes(problems: Iterable[Problem]) -> list[str]:
    return [p.code for p in problems]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("a: no", "no"),  # YAML 1.1: false
        ("a: yes", "yes"),
        ("a: on", "on"),
        ("a: 1e-2", 0.01),  # YAML 1.1 (PyYAML): the string '1e-2'
        ("a: 1_000", "1_000"),  # YAML 1.1: 1000
        ("a: 010", 10),  # YAML 1.1: 8
        ("a: 0o10", 8),
        ("a: 0x1F", 31),
        ("a: 1:30", "1:30"),  # YAML 1.1: 90 (sexagesimal)
        ("a: .5", 0.5),
        ("a: -2.", -2.0),
        ("a: true", True),
        ("a: False", False),
        ("a: ~", None),
        ("a:", None),
        ("a: '0.01'", "0.01"),
        ('a: "true"', "true"),
        ("a: !!str 12", "12"),
        ("a: 2026-12-31", "2026-12-31"),  # YAML 1.1: a date object
    ],
)
def test_plain_scalars_resolve_as_yaml_1_2(text: str, value: object) -> None:
    docs, problems = load(text)
    assert problems == []
    assert docs[0].value == {"a": value}
    assert type(docs[0].value["a"]) is type(value)


def test_positions_are_recorded_for_every_node() -> None:
    docs, _ = load("a:\n  b: [1, {c: x}]\n  'd e': |\n    text\n")
    doc = docs[0]
    assert doc.positions["/a/b/1/c"] == (2, 14)
    assert doc.span("/a/b/1/c").location() == "f.yaml:2:14"
    assert doc.key_span("/a/d e").location() == "f.yaml:3:3"
    # an unknown pointer falls back to its nearest ancestor
    assert doc.span("/a/b/7/zz").line == 2


def test_offsets_inside_scalars_map_to_the_file() -> None:
    text = (
        "plain: abc def\n"
        "quoted: 'abc def'\n"
        "literal: |\n  first\n  second line\n"
        "folded: >-\n  one\n  two three\n"
        "multi: one\n  two\n"
    )
    doc = load(text)[0][0]
    assert doc.text_span("/plain", 4).location() == "f.yaml:1:12"
    assert doc.text_span("/quoted", 4).location() == "f.yaml:2:14"
    assert doc.text_span("/literal", len("first\nsec")).location() == "f.yaml:5:6"
    assert doc.value["folded"] == "one two three"
    assert doc.text_span("/folded", len("one two ")).location() == "f.yaml:8:7"  # the t
    assert doc.value["multi"] == "one two"
    assert doc.text_span("/multi", len("one t")).location() == "f.yaml:10:4"  # the w


def test_duplicate_keys_are_all_reported_and_the_first_value_kept() -> None:
    docs, problems = load("a: 1\nb: {x: 1, x: 2}\na: 3\n")
    assert codes(problems) == ["yaml.duplicate-key", "yaml.duplicate-key"]
    assert [p.span.line for p in problems] == [2, 3]
    assert docs[0].value == {"a": 1, "b": {"x": 1}}


def test_duplicate_key_with_collection_value_is_skipped_whole() -> None:
    docs, problems = load("a: [1]\na: {b: [1, 2, {c: 3}]}\nd: 4\n")
    assert codes(problems) == ["yaml.duplicate-key"]
    assert docs[0].value == {"a": [1], "d": 4}


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("a: &x 1\nb: *x\n", "yaml.anchor"),
        ("a: !!python/object:os.system x\n", "yaml.tag"),
        ("a: !custom x\n", "yaml.tag"),
        ("? [1, 2]\n: v\n", "yaml.key-type"),
        ("1: v\n", "yaml.key-type"),
        ("true: v\n", "yaml.key-type"),
        ("a: .nan\n", "yaml.non-finite"),
        ("a: -.Inf\n", "yaml.non-finite"),
        ("a: [1, 2\n", "yaml.syntax"),
        ("a: b: c\n", "yaml.syntax"),
        ("a:\tb\n\t- c", "yaml.syntax"),
        ("a: \x07\n", "yaml.syntax"),
    ],
)
def test_deceptive_or_broken_input_is_a_problem_not_an_exception(text: str, code: str) -> None:
    _, problems = load(text)
    assert code in codes(problems)
    assert all(p.span.line >= 1 for p in problems)


def test_merge_keys_are_refused() -> None:
    _, problems = load("base: &b {x: 1}\nderived:\n  <<: *b\n  y: 2\n")
    assert {"yaml.anchor", "yaml.alias"} <= set(codes(problems))


def test_alias_bomb_is_rejected_without_expansion() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{cur}: &{cur} [*{prev},*{prev},*{prev},*{prev},*{prev},*{prev},*{prev}]")
    start = time.perf_counter()
    _, problems = load("\n".join(lines))
    assert time.perf_counter() - start < 5  # generous: expansion would be ~10^9 nodes
    assert "yaml.alias" in codes(problems)


def test_non_utf8_is_reported_with_its_position() -> None:
    _, problems = load(b"a: 1\nb: caf\xe9\n")
    assert codes(problems) == ["yaml.encoding"]
    assert problems[0].span.location() == "f.yaml:2:7"


def test_utf8_bom_is_accepted() -> None:
    docs, problems = load(b"\xef\xbb\xbfa: 1\n")
    assert problems == []
    assert docs[0].value == {"a": 1}


def test_size_limit_is_checked_before_parsing() -> None:
    _, problems = load("a: " + "x" * 100, YamlLimits(max_bytes=50))
    assert codes(problems) == ["yaml.too-large"]


def test_depth_limit() -> None:
    _, problems = load("a: " + "[" * 40 + "]" * 40)
    assert codes(problems) == ["yaml.too-deep"]
    _, problems = load("a: " + "[" * 20 + "]" * 20)
    assert problems == []


def test_node_and_scalar_limits() -> None:
    _, problems = load("[" + ",".join(["1"] * 200) + "]", YamlLimits(max_nodes=100))
    assert codes(problems) == ["yaml.too-large"]
    _, problems = load("a: " + "x" * 200, YamlLimits(max_scalar_chars=100))
    assert codes(problems) == ["yaml.too-large"]


def test_document_limit() -> None:
    _, problems = load("---\na: 1\n" * 5, YamlLimits(max_documents=3))
    assert codes(problems) == ["yaml.too-large"]


def test_multiple_documents_keep_their_index() -> None:
    docs, problems = load("a: 1\n---\nb: 2\n")
    assert problems == []
    assert [(d.index, d.value) for d in docs] == [(0, {"a": 1}), (1, {"b": 2})]
    assert docs[1].span("/b").document == 1
