"""A policy set ready for the gate: the compiled forms of policies, rules and waivers.

The loader (``policy/loader.py``, which does the I/O) builds these; the gate, risk, reports,
bundles and history only read them, so they import this module and never the loader. A
shorthand rule's **subject** (the evidence unit it decides on, its kind, its threshold and
direction) is derived once, here, when the rule is compiled, and carried on every result.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict

from govgate.cel import CompiledExpression, Reference
from govgate.cel.vocabulary import UNIT_DEPTH
from govgate.errors import SourceSpan
from govgate.policy import model
from govgate.policy.origins import PolicyOrigin
from govgate.policy.shorthand import RuleCel
from govgate.terms import Basis, Direction, RelativeBasis, Stage, SubjectKind


def unit_depth(ref: Reference) -> int:
    """How many path segments name one unit of evidence (a metric, a stat, a comparison)."""
    return min(len(ref.path), UNIT_DEPTH.get(ref.root, 0))


class Subject(BaseModel):
    """What a rule decides on: the observed path of the evidence unit (``compare.quality``),
    its kind, whether the value must stay at most the threshold, and the threshold itself with
    its name in the shorthand (``max``, ``margin_ratio``, ``min_ratio`` ...). A ``margin_ratio``
    is relative to the baseline unit at ``baseline``. An ``slo`` burn-rate rule decides on
    point values: its path is the long window's burn rate (``candidate.slo.NAME.burn_rate_1h``).
    Custom expressions over one statistic have a path and kind but no threshold; other
    expressions have none.

    Built once, when the rule is compiled; carried on the compiled rule and on every result,
    so the engine, sample-size hints, risk and reports never re-derive it from rule forms."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str | None = None
    kind: SubjectKind | None = None
    at_most: bool | None = None
    threshold: float | None = None
    threshold_kind: str | None = None
    baseline: str | None = None


#: the subject of a rule that is not over one unit of evidence
NO_SUBJECT = Subject()


def subject_of(rule: model.Rule, evidence: tuple[Reference, ...]) -> Subject:
    if (t := rule.threshold) is not None:
        path = Reference("candidate", ("stats" if t.basis is Basis.BOUND else "metrics", t.metric))
        kind = SubjectKind.STAT if t.basis is Basis.BOUND else SubjectKind.POINT
        limit, name = (t.max, "max") if t.max is not None else (t.min, "min")
        return Subject(
            path=path.dotted(),
            kind=kind,
            at_most=t.max is not None,
            threshold=limit,
            threshold_kind=name,
        )
    if (r := rule.relative) is not None:
        at_most = r.direction is Direction.LOWER_IS_BETTER
        margin, name = (
            (r.margin, "margin") if r.margin is not None else (r.margin_ratio, "margin_ratio")
        )
        paired = r.basis is RelativeBasis.PAIRED
        path = (
            Reference("compare", (r.metric,))
            if paired
            else Reference("candidate", ("metrics", r.metric))
        )
        base = Reference("baseline", ("stats" if paired else "metrics", r.metric))
        return Subject(
            path=path.dotted(),
            kind=SubjectKind.DELTA if paired else SubjectKind.POINT,
            at_most=at_most,
            threshold=margin,
            threshold_kind=name,
            baseline=base.dotted() if name == "margin_ratio" else None,
        )
    if (f := rule.fairness) is not None:
        path = Reference("fairness", ("by_group", f.group, "stats", f.metric))
        gap = f.max_gap is not None
        limit, name = (f.max_gap, "max_gap") if gap else (f.min_ratio, "min_ratio")
        return Subject(
            path=path.dotted(),
            kind=SubjectKind.FAIRNESS,
            at_most=gap,
            threshold=limit,
            threshold_kind=name,
        )
    if (s := rule.slo) is not None:  # a point value: the long window's burn rate
        path = Reference("candidate", ("slo", s.name, f"burn_rate_{s.burn_rate.long}"))
        return Subject(
            path=path.dotted(),
            kind=SubjectKind.POINT,
            at_most=True,
            threshold=s.burn_rate.max,
            threshold_kind="max",
        )
    # a custom expression over one statistic: shown in reports (no threshold is known)
    units = {(ref.root, ref.path[: unit_depth(ref)]) for ref in evidence}
    if len(units) == 1:
        root, unit = next(iter(units))
        if root in ("candidate", "baseline") and unit[:1] == ("stats",) and len(unit) == 2:
            return Subject(path=Reference(root, unit).dotted(), kind=SubjectKind.STAT)
    return NO_SUBJECT


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A file that was read: its path as given, content digest, size, and the exact bytes
    evaluated (an audit bundle stores these, never a second read of the file)."""

    path: str
    sha256: str
    size: int
    data: bytes = field(default=b"", repr=False, compare=False)


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready for the gate: its CEL (whatever form it was written in), compiled."""

    policy: str
    rule: model.Rule
    span: SourceSpan
    cel: RuleCel
    expression: CompiledExpression
    violation: CompiledExpression | None
    message: tuple[tuple[str, CompiledExpression], ...]
    evidence: tuple[Reference, ...]
    stages: tuple[Stage, ...]
    confidence: float
    subject: Subject = NO_SUBJECT

    @property
    def key(self) -> str:
        return f"{self.policy}/{self.rule.id}"


@dataclass(frozen=True)
class Expectation:
    """Evidence a policy expects on every run (``spec.expects``), with where it was declared."""

    reference: Reference
    span: SourceSpan


@dataclass(frozen=True)
class LoadedPolicy:
    document: model.Policy
    source: SourceFile
    span: SourceSpan
    variables: tuple[tuple[str, CompiledExpression], ...]
    rules: tuple[CompiledRule, ...]
    expects: tuple[Expectation, ...] = ()

    @property
    def name(self) -> str:
        return self.document.metadata.name


@dataclass(frozen=True)
class LoadedWaiver:
    document: model.Waiver
    source: SourceFile
    span: SourceSpan


@dataclass(frozen=True)
class PolicySet:
    policies: tuple[LoadedPolicy, ...]
    waivers: tuple[LoadedWaiver, ...]
    sources: tuple[SourceFile, ...]
    #: where the files came from, one per entry of ``--policies`` (folders, files, packs with
    #: their signer, pinned git commits); not part of :meth:`digest`
    origins: tuple[PolicyOrigin, ...] = ()

    @property
    def rule_count(self) -> int:
        return sum(len(p.rules) for p in self.policies)

    def digest(self) -> str:
        """sha256 over the sorted content digests of every file: independent of paths."""
        listing = "".join(f"{d}\n" for d in sorted(s.sha256 for s in self.sources))
        return hashlib.sha256(listing.encode()).hexdigest()
