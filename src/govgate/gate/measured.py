"""How the evidence a rule reads was measured, and a rule's requirement of it.

Every rule result carries, for each statistic or metric it reads on each run, the methods that
measured it, from the run's ``govgate.provenance`` record (:mod:`govgate.evidence.provenance`):
every report shows them beside the finding. A run without the record, or with a malformed one,
measured its numbers by an ``unknown`` method.

A rule with ``requires: {method: [...]}`` passes only on evidence measured by those methods:
a PASS on evidence measured by anything else (a heuristic where a classifier is required, an
unknown method) becomes a gap (or a failure, with ``on_missing: fail``) naming what measured
it. The requirement only withholds a pass: a rule that fails, errs or is inconclusive stays so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from govgate.cel.expression import Reference
from govgate.evidence import provenance
from govgate.evidence.model import Evidence
from govgate.evidence.provenance import Measure, Provenance
from govgate.gate.outcome import MeasuredBy, MissingEvidence, RuleResult
from govgate.policy.compiled import CompiledRule
from govgate.terms import OnMissing, Outcome

Records = Mapping[str, tuple[Provenance | None, str | None]]


def records(evidence: Evidence) -> dict[str, tuple[Provenance | None, str | None]]:
    """Each run's provenance record (or why there is none), by role."""
    runs = {"candidate": evidence.candidate, "baseline": evidence.baseline}
    return {role: provenance.read(run.tags) for role, run in runs.items() if run is not None}


Side = Literal["candidate", "baseline"]
#: the roots whose numbers a run measures (``variables``, ``stage`` and the like are not)
_MEASURED_ROOTS = frozenset({"candidate", "baseline", "compare", "fairness"})


def _read(ref: Reference) -> list[tuple[Side, str]]:
    """The (run, name) pairs a reference reads a measured number of: ``candidate.stats.X``,
    ``baseline.metrics.X``, ``compare.X`` (both runs), ``fairness.by_group(G).stats.X``."""
    path = ref.path
    if len(path) >= 2 and path[0] in ("stats", "metrics"):
        if ref.root == "candidate":
            return [("candidate", path[1])]
        if ref.root == "baseline":
            return [("baseline", path[1])]
    if ref.root == "compare" and path:
        return [("candidate", path[0]), ("baseline", path[0])]
    if ref.root == "fairness" and len(path) >= 4 and path[0] == "by_group" and path[2] == "stats":
        return [("candidate", path[3])]
    return []


def measured_by(compiled: CompiledRule, found: Records) -> list[MeasuredBy]:
    """How each number the rule reads was measured, on each run that is in the evidence."""
    pairs = dict.fromkeys(pair for ref in compiled.evidence for pair in _read(ref))
    out = []
    for side, name in pairs:
        if side not in found:
            continue  # no such run: the rule's own result says the evidence is missing
        record, why = found[side]
        out.append(
            MeasuredBy(
                side=side,
                name=name,
                measures=provenance.measured(record, name),
                recorded=record is not None and bool(record.measures.get(name)),
                note=why if record is None else None,
            )
        )
    return out


def _describe(measures: list[Measure]) -> str:
    return ", ".join(m.describe() for m in measures)


def require(result: RuleResult, compiled: CompiledRule, stage: str) -> RuleResult:
    """``result`` with the rule's measurement requirement applied (a PASS on evidence measured
    otherwise than required is a gap, or a failure under ``on_missing: fail``)."""
    need = compiled.rule.requires
    if need is None or result.outcome is not Outcome.PASS:
        return result
    if need.stages is not None and stage not in {s.value for s in need.stages}:
        return result
    allowed = set(need.method)
    accepted = " or ".join(need.method)
    wanting = [
        m for m in result.measured_by if any(x.method.value not in allowed for x in m.measures)
    ]
    # what the rule reads that no run's record can vouch for (an SLO, a history, tags): the
    # requirement cannot be shown met, so it is not
    unvouched = [ref for ref in compiled.evidence if ref.root in _MEASURED_ROOTS and not _read(ref)]
    if not wanting and not unvouched and result.measured_by:
        return result
    missing = [
        MissingEvidence(
            unit=f"{m.side}.{m.name}",
            root=m.side,
            segments=[m.name],
            reason=f"measured by {_describe(m.measures)}; the rule requires {accepted}",
        )
        for m in wanting
    ] + [
        MissingEvidence(
            unit=ref.dotted(),
            root=ref.root,
            segments=list(ref.path),
            reason="no run records how this was measured (only statistics and metrics have a "
            f"provenance record); the rule requires {accepted}",
        )
        for ref in dict.fromkeys(unvouched)
    ]
    if not missing:  # a rule that reads no evidence at all
        missing = [
            MissingEvidence(
                unit="(no evidence)",
                root="candidate",
                segments=[],
                reason=f"the rule reads no measured number; it requires {accepted}",
            )
        ]
    fail = compiled.rule.on_missing is OnMissing.FAIL
    what = (
        "evidence measured otherwise than required counts as a failure (on_missing: fail)"
        if fail
        else "the evidence is not measured as the rule requires, so it cannot pass"
    )
    return result.model_copy(
        update={
            "outcome": Outcome.FAIL if fail else Outcome.GAP,
            "reason": f"{what}: {'; '.join(map(str, missing))}",
            "missing": [*result.missing, *missing],
            "message": None,  # the rule's own message speaks of a breach, which this is not
        }
    )
