"""The shipped control catalog: well-formed, complete where it claims to be, and what the
shipped policies name."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import Counter
from importlib import resources
from typing import Any

import pytest

from govgate.document.yaml import load_yaml
from govgate.policy import controls
from govgate.policy.controls import Control, catalog, framework_of, lookup, suggest
from tests.conftest import ROOT

WELL_FORMED = {
    "NIST AI RMF 1.0": re.compile(r"NIST-AI-RMF-(GOVERN|MAP|MEASURE|MANAGE)-[1-9]\.[1-9][0-9]?"),
    "EU AI Act": re.compile(r"EU-AI-ACT-ART-[1-9][0-9]{0,2}"),
    "ISO/IEC 42001:2023": re.compile(r"ISO-42001-A\.([2-9]|10)\.[1-9](\.[1-9])?"),
    "SR 11-7": re.compile(r"SR-11-7"),
}
# NIST AI 100-1, Part 2 (tables 1 to 4): subcategories per category of each function
NIST_SHAPE = {
    "GOVERN": {1: 7, 2: 3, 3: 2, 4: 3, 5: 2, 6: 2},
    "MAP": {1: 6, 2: 3, 3: 5, 4: 2, 5: 2},
    "MEASURE": {1: 3, 2: 13, 3: 3, 4: 3},
    "MANAGE": {1: 4, 2: 4, 3: 2, 4: 3},
}
EU_ARTICLES = {9, 10, 11, 12, 13, 14, 15, 17, 26, 27, 43, 72, 73}


def expected_reference(control: Control) -> str:
    """Where an id says the control is: "MEASURE 2.6", "Article 15", "Annex A.6.2.4"."""
    match control.framework:
        case "NIST AI RMF 1.0":
            return control.id.removeprefix("NIST-AI-RMF-").replace("-", " ")
        case "EU AI Act":
            return "Article " + control.id.removeprefix("EU-AI-ACT-ART-")
        case "ISO/IEC 42001:2023":
            return "Annex " + control.id.removeprefix("ISO-42001-")
        case _:
            return "SR Letter 11-7"


def raw_data() -> dict[str, Any]:
    text = resources.files("govgate.policy").joinpath(controls.DATA_FILE).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def policy_control_ids() -> set[str]:
    ids: set[str] = set()
    for path in sorted((ROOT / "policies").rglob("*.yaml")):
        docs, problems = load_yaml(path.read_bytes(), path.as_posix())
        assert problems == [], path
        for doc in docs:
            if isinstance(doc.value, dict) and doc.value.get("kind") == "Policy":
                ids.update(doc.value.get("metadata", {}).get("controls", []))
    return ids


def test_every_id_is_unique_and_well_formed_for_its_framework() -> None:
    entries = raw_data()["controls"]
    assert [n for n, k in Counter(e["id"] for e in entries).items() if k > 1] == []
    for control in catalog().values():
        assert WELL_FORMED[control.framework].fullmatch(control.id), control
        assert control.reference == expected_reference(control), control
        assert framework_of(control.id) == control.framework, control
        assert 0 < len(control.title) < 90, control
        assert control.title == control.title.strip(), control


def test_every_framework_is_in_the_catalog_in_order() -> None:
    seen = list(dict.fromkeys(c.framework for c in catalog().values()))
    assert tuple(seen) == controls.FRAMEWORKS


def test_every_control_a_shipped_policy_names_is_in_the_catalog() -> None:
    ids = policy_control_ids()
    assert "NIST-AI-RMF-MEASURE-2.6" in ids  # the shipped policies still name controls
    assert sorted(i for i in ids if lookup(i) is None) == []


def test_the_nist_catalog_has_every_subcategory_of_all_four_functions() -> None:
    found: dict[str, Counter[int]] = {}
    for control in catalog().values():
        if control.framework == "NIST AI RMF 1.0":
            function, number = control.reference.split(" ")
            category, _, sub = number.partition(".")
            found.setdefault(function, Counter())[int(category)] += 1
            assert 1 <= int(sub) <= NIST_SHAPE[function][int(category)], control
    assert {f: dict(c) for f, c in found.items()} == NIST_SHAPE
    assert sum(sum(c.values()) for c in NIST_SHAPE.values()) == 72


def test_the_eu_ai_act_list_has_the_high_risk_articles() -> None:
    articles = {
        int(c.reference.removeprefix("Article "))
        for c in catalog().values()
        if c.framework == "EU AI Act"
    }
    assert articles >= EU_ARTICLES


def test_iso_42001_has_the_38_annex_a_controls_of_nine_objectives() -> None:
    iso = [c.id for c in catalog().values() if c.framework == "ISO/IEC 42001:2023"]
    assert len(iso) == 38
    assert {i.split(".")[1] for i in iso} == {str(n) for n in range(2, 11)}
    assert {"ISO-42001-A.2.2", "ISO-42001-A.6.2.4", "ISO-42001-A.10.4"} <= set(iso)


def test_the_data_file_header_names_its_sources_and_says_titles_are_paraphrases() -> None:
    data = raw_data()
    assert "paraphrase" in data["note"]
    sources = {s["framework"]: s for s in data["sources"]}
    assert tuple(sources) == controls.FRAMEWORKS
    for source in sources.values():
        assert source["title"]
        assert source["url"].startswith("https://")
    assert "NIST.AI.100-1" in sources["NIST AI RMF 1.0"]["url"]
    assert "2024/1689" in sources["EU AI Act"]["url"]
    assert "81230" in sources["ISO/IEC 42001:2023"]["url"]
    assert "sr1107" in sources["SR 11-7"]["url"]


def test_lookup_is_exact_and_case_sensitive() -> None:
    control = lookup("NIST-AI-RMF-MEASURE-2.6")
    assert isinstance(control, Control)
    assert (control.id, control.framework, control.reference) == (
        "NIST-AI-RMF-MEASURE-2.6",
        "NIST AI RMF 1.0",
        "MEASURE 2.6",
    )
    assert lookup("EU-AI-ACT-ART-15") is not None
    assert lookup("nist-ai-rmf-measure-2.6") is None
    assert lookup(" NIST-AI-RMF-MEASURE-2.6") is None
    assert lookup("NIST-AI-RMF-MEASURE-2.14") is None


@pytest.mark.parametrize(
    "query",
    [
        "NIST-AI-RMF-MEASUR-2.6",
        "nist-ai-rmf-measure-2.6",
        "NIST_AI_RMF_MEASURE_2.6",
        " NIST AI RMF MEASURE 2.6 ",
    ],
)
def test_suggest_finds_the_canonical_id_first(query: str) -> None:
    found = suggest(query)
    assert found[0] == "NIST-AI-RMF-MEASURE-2.6"
    assert 1 <= len(found) <= 3
    assert len(set(found)) == len(found)


def test_suggest_is_empty_when_nothing_is_close_and_honours_the_limit() -> None:
    assert suggest("ACME-RISK-1") == []
    assert suggest("") == []
    assert suggest("NIST-AI-RMF-MEASURE-2.6", limit=0) == []
    assert suggest("NIST-AI-RMF-MEASURE-2.1", limit=1) == ["NIST-AI-RMF-MEASURE-2.1"]
    assert len(suggest("NIST-AI-RMF-MEASURE-2", limit=10)) == 10
    assert all(lookup(i) is not None for i in suggest("EU-AI-ACT-ART-99", limit=50))


def test_framework_of_goes_by_prefix_even_for_unknown_ids() -> None:
    assert framework_of("NIST-AI-RMF-MEASURE-9.9") == "NIST AI RMF 1.0"
    assert framework_of("eu-ai-act-art-999") == "EU AI Act"
    assert framework_of("ISO-42001-A.99") == "ISO/IEC 42001:2023"
    assert framework_of("SR-11-7") == "SR 11-7"
    assert framework_of("SR-11-70") is None
    assert framework_of("NIST-AI-RMFX-1") is None
    assert framework_of("ISO-27001-A.5.1") is None
    assert framework_of("ACME-42") is None


def test_the_catalog_is_read_only_and_loaded_once() -> None:
    first = catalog()
    assert catalog() is first
    with pytest.raises(TypeError):
        first["X"] = first["SR-11-7"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        first["SR-11-7"].title = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d["controls"].append(dict(d["controls"][0])), "duplicate id"),
        (lambda d: d["controls"][0].update(framework="SOC 2"), "unknown framework"),
        (lambda d: d["controls"][0].update(framework="EU AI Act"), "another framework"),
        (lambda d: d["controls"][0].update(title=""), "'title' must be"),
        (lambda d: d["sources"][0].pop("prefix"), "'prefix' must be"),
    ],
    ids=["duplicate", "framework", "prefix", "title", "source"],
)
def test_a_broken_data_file_fails_loudly(mutate: Any, message: str) -> None:
    data = raw_data()
    mutate(data)
    with pytest.raises(ValueError, match=message):
        controls._parse(data)


def test_importing_and_loading_the_catalog_stays_light() -> None:
    probe = (
        "import sys; from govgate.policy.controls import catalog; catalog(); "
        "print(sorted(m for m in ('pydantic', 'yaml', 'numpy', 'celpy', 'jsonschema')"
        " if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
