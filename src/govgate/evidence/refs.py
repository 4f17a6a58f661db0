"""References to evidence, as users write them on the command line.

| form | meaning |
| --- | --- |
| ``runs:/<run_id>`` or a bare 32-hex run id | that run |
| ``models:/NAME@ALIAS`` | the evaluation run of the version the alias points to |
| ``models:/NAME/VERSION`` | the evaluation run of that version |
| ``search:EXPERIMENT?FILTER`` | the newest run in the experiment matching an MLflow filter |
| ``snapshot:PATH[#ROLE]`` or a ``.json`` path | a snapshot file written by govgate |

``#candidate`` or ``#baseline`` picks a run from a snapshot (default: the role being resolved).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from govgate.errors import UsageError

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_NAME = r"[^/@\s][^/@]*"


@dataclass(frozen=True, slots=True)
class RunRef:
    run_id: str


@dataclass(frozen=True, slots=True)
class ModelRef:
    name: str
    alias: str | None = None
    version: str | None = None

    def __str__(self) -> str:
        return (
            f"models:/{self.name}@{self.alias}"
            if self.alias
            else f"models:/{self.name}/{self.version}"
        )


@dataclass(frozen=True, slots=True)
class SearchRef:
    experiment: str
    filter: str


@dataclass(frozen=True, slots=True)
class SnapshotRef:
    """A snapshot file; ``role`` picks its candidate or baseline (default: the same role)."""

    path: str
    role: str | None = None


Ref = RunRef | ModelRef | SearchRef | SnapshotRef


def parse_ref(text: str) -> Ref:
    """Parse a reference; raise :class:`UsageError` naming the accepted forms."""
    raw = text.strip()
    if raw.startswith("runs:/"):
        run_id = raw[len("runs:/") :].strip("/").split("/")[0]
        if _RUN_ID.match(run_id):
            return RunRef(run_id)
    elif _RUN_ID.match(raw):
        return RunRef(raw)
    elif raw.startswith("models:/"):
        body = raw[len("models:/") :]
        if m := re.fullmatch(rf"({_MODEL_NAME})@([A-Za-z0-9_\-]+)", body):
            return ModelRef(m.group(1), alias=m.group(2))
        if m := re.fullmatch(rf"({_MODEL_NAME})/([0-9]+)", body):
            return ModelRef(m.group(1), version=m.group(2))
    elif raw.startswith("search:"):
        experiment, sep, filter_string = raw[len("search:") :].partition("?")
        if experiment and sep:
            return SearchRef(experiment, filter_string)
    elif raw.startswith("snapshot:") or raw.endswith(
        (".json", ".json#candidate", ".json#baseline")
    ):
        path, _, role = raw.removeprefix("snapshot:").partition("#")
        if role in ("", "candidate", "baseline") and path:
            return SnapshotRef(path, role or None)
    raise UsageError(
        f"not an evidence reference: {text!r}",
        hint="use runs:/RUN_ID, a run id, models:/NAME@ALIAS, models:/NAME/VERSION, "
        "search:EXPERIMENT?FILTER or a snapshot .json file",
    )
