"""The control catalog: governance control ids a policy's ``metadata.controls`` may name.

The catalog ships with the package as ``controls.json`` next to this module: every NIST AI RMF
1.0 subcategory, the EU AI Act articles that bear on high-risk and general-purpose AI, the
ISO/IEC 42001:2023 Annex A controls, and SR 11-7. Each entry has an id (``NIST-AI-RMF-MEASURE-
2.6``, ``EU-AI-ACT-ART-15``, ``ISO-42001-A.6.2.4``, ``SR-11-7``), its framework, a short title
and where in the framework it sits. Titles are paraphrases written for govgate, not the
frameworks' wording; the file's header names the source documents. docs/controls.md has the
id scheme.

Ids compare in two ways:

- :func:`lookup` is exact and case-sensitive. Control ids travel into decisions, SARIF tags
  and bundles as written, so one control has one spelling; ``nist-ai-rmf-measure-2.6`` is
  not in the catalog.
- :func:`suggest` and :func:`framework_of` compare normalised ids (surrounding whitespace
  dropped, letters upper-cased, runs of spaces or underscores read as one hyphen), so a
  near miss in case or spelling still finds its canonical id and its framework.

The file is read once, on first use; importing this module reads nothing and imports only
the standard library.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

DATA_FILE = "controls.json"

#: The frameworks the catalog covers, in the order the data file lists them.
FRAMEWORKS = ("NIST AI RMF 1.0", "EU AI Act", "ISO/IEC 42001:2023", "SR 11-7")

#: How close (difflib ratio, 0 to 1) a known id must be to a normalised query to be suggested.
SUGGEST_CUTOFF = 0.6

_SEPARATORS = re.compile(r"[\s_]+")


@dataclass(frozen=True, slots=True)
class Control:
    """One governance control: ``reference`` says where in its framework it is."""

    id: str  # e.g. "NIST-AI-RMF-MEASURE-2.6"
    framework: str  # one of FRAMEWORKS
    title: str  # a short paraphrase, not the framework's wording
    reference: str  # e.g. "MEASURE 2.6", "Article 15", "Annex A.6.2.4", "SR Letter 11-7"


@dataclass(frozen=True, slots=True)
class _Catalog:
    controls: Mapping[str, Control]
    prefixes: tuple[tuple[str, str], ...]  # (normalised id prefix, framework)
    normalised: tuple[tuple[str, str], ...]  # (normalised id, canonical id), in catalog order


def _normalise(control_id: str) -> str:
    return _SEPARATORS.sub("-", control_id.strip()).upper()


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{DATA_FILE}: {where}: {key!r} must be a non-empty string")
    return value


def _parse(raw: Mapping[str, Any]) -> _Catalog:
    """Build the catalog from the data file's JSON; a malformed file is a packaging bug."""
    prefixes = tuple(
        (_normalise(_text(s, "prefix", f"sources[{i}]")), _text(s, "framework", f"sources[{i}]"))
        for i, s in enumerate(raw["sources"])
    )
    controls: dict[str, Control] = {}
    for i, entry in enumerate(raw["controls"]):
        where = f"controls[{i}]"
        control = Control(
            id=_text(entry, "id", where),
            framework=_text(entry, "framework", where),
            title=_text(entry, "title", where),
            reference=_text(entry, "reference", where),
        )
        if control.id in controls:
            raise ValueError(f"{DATA_FILE}: {where}: duplicate id {control.id!r}")
        if control.framework not in FRAMEWORKS:
            raise ValueError(f"{DATA_FILE}: {where}: unknown framework {control.framework!r}")
        if _framework_by_prefix(control.id, prefixes) != control.framework:
            raise ValueError(f"{DATA_FILE}: {where}: {control.id!r} has another framework's prefix")
        controls[control.id] = control
    return _Catalog(
        controls=MappingProxyType(controls),
        prefixes=prefixes,
        normalised=tuple((_normalise(c), c) for c in controls),
    )


@cache
def _catalog() -> _Catalog:
    text = resources.files("govgate.policy").joinpath(DATA_FILE).read_text(encoding="utf-8")
    parsed: dict[str, Any] = json.loads(text)
    return _parse(parsed)


def catalog() -> Mapping[str, Control]:
    """Every known control by id, in the data file's order (framework by framework); read-only."""
    return _catalog().controls


def lookup(control_id: str) -> Control | None:
    """The control with exactly this id (case-sensitive), or None."""
    return _catalog().controls.get(control_id)


def suggest(control_id: str, limit: int = 3) -> list[str]:
    """Known ids close to ``control_id``, best first, for a did-you-mean; [] when none is close.

    Ids are compared normalised (case, spaces and underscores do not count), so a known id
    written in another case comes first. Equally close ids keep the catalog's order.
    """
    if limit < 1:
        return []
    matcher = SequenceMatcher(a="", b=_normalise(control_id), autojunk=False)
    scored: list[tuple[float, int, str]] = []
    for order, (key, canonical) in enumerate(_catalog().normalised):
        matcher.set_seq1(key)
        if matcher.real_quick_ratio() < SUGGEST_CUTOFF or matcher.quick_ratio() < SUGGEST_CUTOFF:
            continue
        score = matcher.ratio()
        if score >= SUGGEST_CUTOFF:
            scored.append((-score, order, canonical))
    scored.sort()
    return [canonical for _, _, canonical in scored[:limit]]


def framework_of(control_id: str) -> str | None:
    """The framework whose id prefix ``control_id`` carries, whether or not it is in the catalog.

    ``NIST-AI-RMF-MEASURE-9.9`` is a NIST AI RMF id (just not a known one); ``ACME-42`` has
    no framework. A prefix counts when the id is the prefix itself or continues with ``-``.
    """
    return _framework_by_prefix(control_id, _catalog().prefixes)


def _framework_by_prefix(control_id: str, prefixes: tuple[tuple[str, str], ...]) -> str | None:
    key = _normalise(control_id)
    for prefix, framework in prefixes:
        if key == prefix or key.startswith(prefix + "-"):
            return framework
    return None
