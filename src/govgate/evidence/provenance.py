"""How each number on a run was measured: the ``govgate.provenance`` run tag.

``govgate eval run`` records, for every statistic and metric it logs, the method that measured
it (a :class:`~govgate.terms.Method` class, with the measurer's name and version, and how many
items it measured when a column mixes methods), and the run's notes (what a reviewer must know:
items left unscored, heuristics used). A harness of its own may write the same tag; a run
without it is measured by an ``unknown`` method, which every report says.

The tag is evidence, read like any other: untrusted. A tag that is not this format is
*malformed*, recorded as such, and every number on the run counts as measured by an unknown
method (a policy that requires a method gets a gap, never a pass).

Format (compact JSON, at most :data:`MAX_CHARS` characters)::

    {"format": "govgate.provenance/v1",
     "measures": {"toxicity_rate": [{"method": "heuristic", "by": "govgate term list",
                                     "version": "govgate 0.1.0", "items": 1000}], ...},
     "notes": ["toxicity: govgate's offline term list (no flags.toxic given)"]}

``measures`` is keyed by the statistic's or metric's name (``toxicity_rate`` for the
``rate.toxicity_rate`` column, ``latency_ms_p95`` for a metric), as rules name them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Annotated, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, ValidationError

from govgate import jsonsafe
from govgate.evidence.redact import REDACTED
from govgate.terms import Method

TAG: Final = "govgate.provenance"
FORMAT: Final = "govgate.provenance/v1"
#: an MLflow tag value holds 8,000 characters; the rest is left for a margin
MAX_CHARS: Final = 7500
#: the longest record read (a snapshot file could hold any length; MLflow stores 8,000)
MAX_READ: Final = 8000
_NAME = r"^[A-Za-z0-9_.:-]{1,200}$"


class _Strict(BaseModel):
    """Unknown keys refused; every string and count strictly typed (a record is evidence,
    read as untrusted); the method read from its value, as a decision's JSON holds it."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Measure(_Strict):
    """One method that measured (some of) a statistic's items."""

    method: Method
    by: StrictStr = Field(min_length=1, max_length=200)  # the measurer: metric, model, rule
    version: StrictStr | None = Field(default=None, max_length=100)
    #: how many items it measured, when a column mixes methods (flags on some outputs only)
    items: StrictInt | None = Field(default=None, ge=0, le=10**12)
    #: a judge's configuration: provider and model, prompt sha256, temperature
    detail: StrictStr | None = Field(default=None, max_length=300)

    def describe(self) -> str:
        """``heuristic (govgate term list, govgate 0.1.0; 40 items)`` (not escaped)."""
        parts = [self.by]
        if self.version:
            parts.append(self.version)
        if self.detail:
            parts.append(self.detail)
        count = f"; {self.items} items" if self.items is not None else ""
        return f"{self.method.value} ({', '.join(parts)}{count})"


class Provenance(_Strict):
    format: Literal["govgate.provenance/v1"]
    measures: dict[
        Annotated[StrictStr, Field(pattern=_NAME)],
        Annotated[list[Measure], Field(max_length=20)],
    ] = Field(default={}, max_length=1000)
    notes: list[Annotated[StrictStr, Field(max_length=500)]] = Field(default=[], max_length=50)


def tag_value(
    measures: Mapping[str, Sequence[Measure]], notes: Sequence[str], *, limit: bool = True
) -> str:
    """The tag's value for a run; :class:`ValueError` when it would not fit in a tag (unless
    ``limit`` is off: a policy test's fixture, which never goes to MLflow)."""
    record = Provenance(
        format=FORMAT, measures={k: list(v) for k, v in measures.items()}, notes=list(notes)
    )
    text = json.dumps(
        record.model_dump(mode="json", exclude_none=True), sort_keys=True, separators=(",", ":")
    )
    if limit and len(text) > MAX_CHARS:
        raise ValueError(
            f"the provenance record is {len(text)} characters; an MLflow tag holds {MAX_CHARS}"
        )
    return text


def read(tags: Mapping[str, str]) -> tuple[Provenance | None, str | None]:
    """The run's provenance and None, or None and why not (absent, or malformed: said how)."""
    text = tags.get(TAG)
    if text is None:
        return None, f"the run has no {TAG} tag: how its numbers were measured is unknown"
    if text == REDACTED:
        return None, (
            f"the run's {TAG} tag held a secret-looking string and was redacted: read as unknown"
        )
    if len(text) > MAX_READ:
        return None, f"the run's {TAG} tag is longer than a tag holds ({len(text)} characters)"
    try:
        jsonsafe.loads(text.encode())  # duplicate keys, depth, NaN: refused before the model
        return Provenance.model_validate_json(text), None
    except ValidationError as exc:
        error = exc.errors()[0]
        where = "/".join(str(part) for part in error["loc"]) or "the record"
        why = f"{where}: {error['msg']}"[:200]
        return None, f"the run's {TAG} tag is malformed ({why}): read as unknown"
    except (ValueError, UnicodeError) as exc:
        return None, f"the run's {TAG} tag is malformed ({str(exc)[:200]}): read as unknown"


def measured(provenance: Provenance | None, name: str) -> list[Measure]:
    """How ``name`` was measured on the run: its record, else one unknown measure."""
    if provenance is not None and provenance.measures.get(name):
        return list(provenance.measures[name])
    return [Measure(method=Method.UNKNOWN, by="not recorded")]
