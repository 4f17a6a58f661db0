"""The engine: policies x evidence (x waivers, now) -> a Decision. Pure and deterministic.

No I/O, no clock (``now`` is passed in), no unseeded randomness: the same policies and the same
snapshot always give byte-identical decision JSON. For each rule that applies to the stage:

1. resolve every piece of evidence it reads (through its variables too): missing evidence is a
   GAP (or a FAIL with ``on_missing: fail``) *whatever the expression would say*, unusable
   evidence (a NaN metric, a broken table) is an ERROR;
2. evaluate the expression within its step budget: true is PASS;
3. otherwise evaluate the violation: true is FAIL, false is INCONCLUSIVE (with an estimate of
   the sample size that would settle it); a rule without a violation expression FAILs;
4. any evaluation error is an ERROR, never a pass.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from govgate._version import __version__
from govgate.cel import CompiledExpression, Reference, evaluate, from_cel, to_cel, truth
from govgate.errors import CelError
from govgate.evidence.model import RunEvidence, Snapshot
from govgate.gate.approvals import basis_of, judge, requirements
from govgate.gate.looks import looks_of
from govgate.gate.measured import Records, measured_by, records, require
from govgate.gate.outcome import (
    ApprovalRecord,
    Decision,
    ExpectedGap,
    Looks,
    MissingEvidence,
    Observation,
    PolicyApplied,
    Preregistration,
    RequiredApproval,
    RequiredControl,
    RuleResult,
    RunSummary,
    awaiting_approval,
    governed,
    verdict_of,
)
from govgate.gate.samples import samples_needed
from govgate.gate.selection import selects
from govgate.gate.slo import windows_of
from govgate.gate.units import Invalid, Missing
from govgate.gate.view import EvidenceView
from govgate.gate.waivers import apply_waivers
from govgate.policy import layers
from govgate.policy.compiled import CompiledRule, LoadedPolicy, PolicySet, unit_depth
from govgate.policy.model import Statistics
from govgate.terms import (
    Enforce,
    OnMissing,
    Outcome,
    PreregistrationMode,
    Sequential,
    Stage,
    Verdict,
)

#: The tag an evaluation run carries with the digest of the policies in force when it was
#: scored (written by ``govgate eval run``): pre-registration of the release criteria.
POLICY_DIGEST_TAG = "govgate.policy_digest"
#: How a result decided on approximate bounds is labelled, in its reason and in every report.
APPROXIMATE_LABEL = "approximate: not guaranteed at this n"


def _json_value(value: Any) -> float | int | str | bool | None:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None  # an unknown bound is "no bound"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return None


#: fields of a statistic that are flags about it, not values it measured: they reach results
#: as ``approximate`` and as the reason of an inconclusive rule, not as observations
_NOT_OBSERVED = frozenset({"approximate", "note", "ratio_defined", "below_minimum", "point_value"})


@dataclass(frozen=True, slots=True)
class _Read:
    observed: list[Observation]
    missing: list[MissingEvidence]
    invalid: list[str]
    approximate: list[str]
    notes: list[str]
    few: list[str]
    labels: list[str]  # said in the reason whatever the outcome: point values, truncation


def _observations(path: str, value: Any) -> list[Observation]:
    if isinstance(value, list):  # a metric history: how many points, and the newest value
        points = [Observation(path=f"{path}.points", value=len(value))]
        newest = max(value, key=lambda p: (p["timestamp"], p["step"]), default=None)
        if newest is not None:
            points.append(Observation(path=f"{path}.newest", value=_json_value(newest["value"])))
        return points
    if isinstance(value, dict):
        out: list[Observation] = []
        for key in sorted(value):
            if key in _NOT_OBSERVED:
                continue
            if key == "groups":  # each group's estimate, for reports and charts
                for group in sorted(value[key]):
                    estimate = value[key][group]
                    for field in ("value", "n", "lower", "upper"):
                        out.append(
                            Observation(
                                path=f'{path}.groups["{group}"].{field}',
                                value=_json_value(estimate[field]),
                            )
                        )
            else:
                out.extend(_observations(f"{path}.{key}", value[key]))
        return out
    return [Observation(path=path, value=_json_value(value))]


def _put(tree: dict[str, Any], keys: tuple[str, ...], value: Any) -> None:
    for key in keys[:-1]:
        tree = tree.setdefault(key, {})
    tree[keys[-1]] = value


def _summary(run: RunEvidence | None, found: Records) -> RunSummary | None:
    """The decision's summary of a run; ``found``: each run's provenance record, as the rules
    read it."""
    if run is None:
        return None
    m = run.model
    record, why = found[run.role]
    return RunSummary(
        run_id=run.run_id,
        experiment=run.experiment_name,
        stage=run.stage,
        model=m.name if m else None,
        version=m.version if m else None,
        alias=m.alias if m else None,
        model_digest=m.digest if m else None,
        notes=list(record.notes) if record is not None else [],
        provenance="recorded" if record is not None else (why or "unknown"),
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        if not math.isfinite(value):
            return "unbounded"
        return f"{value:.4g}"
    if isinstance(value, dict) and "value" in value:
        return _fmt(value["value"])
    return str(value)


class _PolicyRun:
    """Evaluates one policy's rules against the evidence view; variables at most once."""

    def __init__(self, policy: LoadedPolicy, view: EvidenceView, stage: str) -> None:
        self.policy = policy
        self.view = view
        self.stage = stage
        self.spec = policy.document.spec
        self.settings: Statistics = self.spec.statistics
        self.variables = dict(policy.variables)
        self.slos = {slo.name: slo for slo in self.spec.slos}
        self._values: dict[tuple[str, float], Any] = {}

    def _unit(
        self, ref: Reference, confidence: float, windows: dict[str, tuple[str, ...]]
    ) -> tuple[tuple[str, ...], Any]:
        """The unit ``ref`` belongs to; an SLO's holds the ``windows`` the reader names."""
        depth = unit_depth(ref)
        keys = (ref.root, *ref.path[:depth])
        if ref.root in ("candidate", "baseline") and ref.path[:1] == ("slo",) and depth == 2:
            definition = self.slos.get(ref.path[1])
            if definition is None:  # the linter refuses this: kept for hand-built policy sets
                return keys, Missing(f"this policy defines no SLO {ref.path[1]!r}")
            return keys, self.view.slo(ref.root, definition, windows.get(ref.path[1], ()))
        return keys, self.view.resolve(ref, confidence, self.settings)

    def _activation(self, compiled: CompiledExpression, confidence: float) -> dict[str, Any]:
        tree: dict[str, Any] = {}
        windows = windows_of(compiled.references)
        for ref in compiled.references:
            if ref.root == "variables":
                continue
            keys, value = self._unit(ref, confidence, windows)
            if ref.root == "fairness":  # by_group("COL") is a method: fairness["COL"]...
                keys = (keys[0], *keys[2:])
            _put(tree, keys, value)
        names = compiled.variables
        if names:
            tree["variables"] = {name: self._variable(name, confidence) for name in sorted(names)}
        return {root: to_cel(value) for root, value in tree.items()}

    def _variable(self, name: str, confidence: float) -> Any:
        """A variable's value at the confidence of the rule that reads it, evaluated at most
        once per confidence: a rule at 99.9% reading ``variables.tox.upper`` gets the 99.9%
        bound, never the policy's default."""
        key = (name, confidence)
        if key not in self._values:
            compiled = self.variables[name]
            try:
                result = evaluate(compiled, self._activation(compiled, confidence))
                self._values[key] = from_cel(result)
            except CelError as exc:
                self._values[key] = exc
        value = self._values[key]
        if isinstance(value, CelError):
            raise CelError(value.code, f"variable {name}: {value.message}")
        return value

    def _read(self, compiled: CompiledRule) -> _Read:
        """Every evidence unit a rule reads: observed, missing, unusable, and flags on them."""
        observed: list[Observation] = []
        missing: list[MissingEvidence] = []
        invalid: list[str] = []
        approximate: list[str] = []
        notes: list[str] = []
        few: list[str] = []  # units on fewer items than any statistic is bounded from
        labels: list[str] = []
        windows = windows_of(compiled.evidence)
        for ref in compiled.evidence:
            keys, unit = self._unit(ref, compiled.confidence, windows)
            whole = Reference(ref.root, ref.path[: len(keys) - 1])  # the whole unit
            name = whole.dotted()
            if isinstance(unit, Missing):
                missing.append(_missing(whole, unit.reason))
            elif isinstance(unit, Invalid):
                invalid.append(f"{name}: {unit.reason}")
            else:  # a stat's value, n, bounds and method, not just the field the rule read
                observed.extend(_observations(name, unit))
                if isinstance(unit, dict) and unit.get("approximate") is True:
                    approximate.append(name)
                if isinstance(unit, dict) and unit.get("note"):
                    notes.append(f"{name}: {unit['note']}")
                if isinstance(unit, dict) and unit.get("below_minimum") is True:
                    few.append(name)
                if isinstance(unit, dict) and unit.get("point_value") is True:
                    labels.append(str(unit["method"]))
                if isinstance(unit, list) and (cut := self._truncated(whole)) is not None:
                    labels.append(cut)
        approximate = sorted(set(approximate))
        notes = list(dict.fromkeys(notes))
        missing = list({(m.unit, m.reason): m for m in missing}.values())
        invalid = list(dict.fromkeys(invalid))
        observed = sorted({o.path: o for o in observed}.values(), key=lambda o: o.path)
        return _Read(observed, missing, invalid, approximate, notes, few, _unique(labels))

    def _truncated(self, unit: Reference) -> str | None:
        """What a rule reading a truncated metric history is told, or None."""
        found = self.view.history_truncated(unit.root, unit.path[1])
        if found is None:
            return None
        kept, logged = found
        return f"{unit.dotted()}: the newest {kept:,} of {logged:,} points (history truncated)"

    def rule(self, compiled: CompiledRule) -> RuleResult:
        rule = compiled.rule
        base = self._base(compiled)
        if self.stage not in {s.value for s in compiled.stages}:
            judged = "policy" if self.stage not in {s.value for s in self.spec.stages} else "rule"
            return RuleResult(
                **base,
                outcome=Outcome.SKIPPED,
                reason=f"the {judged} does not judge stage {self.stage}",
            )
        read = self._read(compiled)
        observed, missing, invalid = read.observed, read.missing, read.invalid
        approximate, notes, few = read.approximate, read.notes, read.few
        labels = read.labels
        if invalid:
            return RuleResult(
                **base,
                outcome=Outcome.ERROR,
                observed=observed,
                missing=missing,
                reason="evidence is present but unusable: " + "; ".join(invalid),
                error="; ".join(invalid),
            )
        if missing:
            outcome = Outcome.FAIL if rule.on_missing is OnMissing.FAIL else Outcome.GAP
            what = (
                "missing evidence counts as a failure (on_missing: fail)"
                if outcome is (Outcome.FAIL)
                else "evidence is missing, so the rule cannot pass"
            )
            return RuleResult(
                **base,
                outcome=outcome,
                observed=observed,
                missing=missing,
                reason=f"{what}: {'; '.join(map(str, missing))}",
            )
        message = self._message(compiled)

        def result(outcome: Outcome, reason: str, **extra: Any) -> RuleResult:
            if approximate:  # an opt-in the policy made: said wherever the reason is shown
                reason += f"; {APPROXIMATE_LABEL} ({', '.join(approximate)})"
            for label in labels:  # point values (no bound) and truncated histories
                reason += f"; {label}"
            return RuleResult(
                **base,
                outcome=outcome,
                reason=reason,
                observed=observed,
                message=message,
                approximate=approximate,
                **extra,
            )

        try:
            if self._truth(compiled.expression, compiled.confidence, "expression"):
                if few:  # a point value (stats.X.value, compare.X.delta) on a handful of items
                    floor = (
                        "fewer items than govgate bounds any statistic from"
                        if all(".slo." not in name for name in few)
                        else "too few items or events to pass"
                    )
                    return result(
                        Outcome.INCONCLUSIVE,
                        f"the expression holds, but on {floor} ({'; '.join(notes)})",
                    )
                return result(Outcome.PASS, "the expression holds on the evidence")
            if compiled.violation is None:
                return result(Outcome.FAIL, "the expression is false on the evidence")
            breached = self._truth(compiled.violation, compiled.confidence, "violation")
        except CelError as exc:
            return result(
                Outcome.ERROR,
                f"could not evaluate: {exc.message}",
                error=f"{exc.code}: {exc.message}",
            )
        if breached:
            return result(Outcome.FAIL, "the evidence shows a breach (the violation holds)")
        needed = None if notes else samples_needed(compiled, {o.path: o.value for o in observed})
        more = (
            f"; about {needed:,} items in all would likely settle it, if the observed value holds"
            if needed is not None
            else ""
        )
        why = f" ({'; '.join(notes)})" if notes else ""
        return result(
            Outcome.INCONCLUSIVE,
            "the evidence shows neither compliance nor a breach at "
            f"{compiled.confidence:.0%} confidence{why}{more}",
            samples_needed=needed,
        )

    def skipped(self, compiled: CompiledRule, reason: str) -> RuleResult:
        """The rule, not evaluated: its policy does not govern the candidate, or a stricter
        team rule replaces it."""
        return RuleResult(**self._base(compiled), outcome=Outcome.SKIPPED, reason=reason)

    def expected(self) -> list[ExpectedGap]:
        """The policy's ``expects`` that this evidence lacks (or holds unusable)."""
        out = []
        for item in self.policy.expects:
            windows = windows_of([item.reference])
            _, unit = self._unit(item.reference, self.spec.confidence, windows)
            if isinstance(unit, Missing | Invalid):
                out.append(
                    ExpectedGap(
                        policy=self.policy.name,
                        missing=_missing(item.reference, unit.reason),
                        file=item.span.file,
                        line=item.span.line,
                        owners=list(self.policy.document.metadata.owners),
                    )
                )
        return out

    def _truth(self, compiled: CompiledExpression, confidence: float, what: str) -> bool:
        return truth(evaluate(compiled, self._activation(compiled, confidence)), what)

    def _message(self, compiled: CompiledRule) -> str | None:
        text = compiled.rule.message
        if text is None:
            return None
        for source, placeholder in compiled.message:
            try:
                value = _fmt(
                    from_cel(
                        evaluate(placeholder, self._activation(placeholder, compiled.confidence))
                    )
                )
            except CelError:
                value = "n/a"
            text = _replace_placeholder(text, source, value)
        return " ".join(text.split())

    def _base(self, compiled: CompiledRule) -> dict[str, Any]:
        rule = compiled.rule
        meta = self.policy.document.metadata
        subject = compiled.subject
        return {
            "policy": compiled.policy,
            "policy_version": meta.version,
            "rule": rule.id,
            "title": rule.title,
            "category": rule.category.value,
            "enforce": rule.enforce.value,
            "file": compiled.span.file,
            "line": compiled.span.line,
            "form": rule.form,
            "expression": compiled.cel.expression,
            "violation": compiled.cel.violation,
            "confidence": compiled.confidence,
            "subject": subject if subject.path is not None else None,
            "risk": rule.risk.model_dump(mode="json", exclude_none=True) if rule.risk else None,
            "owner": rule.owner,
            "owners": list(meta.owners),
            "controls": _unique([*meta.controls, *rule.controls]),
            "unit": self.spec.units.get(_metric_name(subject.path)) if subject.path else None,
        }

    def context(self, compiled: CompiledRule) -> list[Observation]:
        """The baseline's counterpart of what the rule decides on (and for a comparison each
        model's own statistic), for reports to put side by side. Never decided on: a part
        that is missing or unusable is left out, and the rule's outcome does not change."""
        path = compiled.subject.path
        if path is None or self.view.snapshot.evidence.baseline is None:
            return []
        confidence, settings = compiled.confidence, self.settings
        units: list[tuple[str, Any]] = []
        if fair := _FAIRNESS.fullmatch(path):
            column, name = fair.group(1), fair.group(2)
            unit = self.view.fairness_of("baseline", column, name, confidence, settings)
            units.append((f"baseline.{path}", unit))
        elif path.startswith("compare."):
            name = path.removeprefix("compare.")
            for role in ("candidate", "baseline"):
                ref = Reference(role, ("stats", name))
                units.append((ref.dotted(), self.view.resolve(ref, confidence, settings)))
        elif path.startswith(("candidate.stats.", "candidate.metrics.")):
            section, name = path.split(".", 2)[1:]
            ref = Reference("baseline", (section, name))
            if compiled.subject.baseline != ref.dotted():  # a margin_ratio observed it already
                units.append((ref.dotted(), self.view.resolve(ref, confidence, settings)))
        out: list[Observation] = []
        for name, unit in units:
            if not isinstance(unit, Missing | Invalid):
                out.extend(_observations(name, unit))
        return out


#: a fairness subject's path: by_group("COLUMN").stats.METRIC
_FAIRNESS = re.compile(r'fairness\.by_group\("([^"]+)"\)\.stats\.(.+)')


def _metric_name(path: str) -> str:
    """The metric a subject path names: its last part (``candidate.stats.toxicity_rate``)."""
    if fair := _FAIRNESS.fullmatch(path):
        return fair.group(2)
    parts = path.split(".", 2)
    return parts[-1] if parts[0] in ("candidate", "baseline") else path.split(".", 1)[-1]


def _unique(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))


def _replace_placeholder(text: str, source: str, value: str) -> str:
    return re.sub(r"\{\{\s*" + re.escape(source) + r"\s*\}\}", lambda _: value, text, count=1)


def decide(
    policy_set: PolicySet,
    snapshot: Snapshot,
    *,
    stage: str,
    now: dt.datetime,
    fail_on_warn: bool = False,
    approvals: Sequence[ApprovalRecord] = (),
) -> Decision:
    """The decision for ``stage`` at ``now``: pure, deterministic, every outcome recorded.
    ``fail_on_warn``: the caller blocks on WARN (recorded, so every output agrees with it).
    ``approvals``: the approval documents given, their signatures and signers already checked
    outside the gate (:mod:`govgate.gate.approvals` judges the rest)."""
    view = EvidenceView(snapshot, stage, now)
    evidence = snapshot.evidence
    results: list[RuleResult] = []
    expected: list[ExpectedGap] = []
    required: list[RequiredControl] = []
    applied_policies: list[PolicyApplied] = []
    governing: list[str] = []  # selected policies with a blocking rule that judges this stage
    prereg_required: list[str] = []
    wanted: list[RequiredApproval] = []  # approvals the governing policies require
    selection = {p.name: selects(p, evidence.candidate) for p in policy_set.policies}
    found = records(evidence)  # how each run's numbers were measured
    # an org rule is replaced only where its replacement is judged: by a policy that governs
    # this candidate, at this stage (else the org rule is judged itself)
    replaced = {
        o.org.key: o.team.key
        for o in layers.overrides(policy_set.policies)[0]
        if selection[o.team_policy.name].selected
        and stage in {s.value for s in o.team_policy.document.spec.stages}
        and stage in {s.value for s in o.team.stages}
    }
    for policy in sorted(policy_set.policies, key=lambda p: (p.source.path, p.span.line)):
        run = _PolicyRun(policy, view, stage)
        selected, why = selection[policy.name].selected, selection[policy.name].reason
        meta = policy.document.metadata
        applied_policies.append(
            PolicyApplied(
                policy=policy.name,
                version=meta.version,
                file=policy.source.path,
                layer=meta.layer.value,
                selected=selected,
                reason=why,
            )
        )
        if not selected:
            results.extend(
                run.skipped(rule, f"the policy does not govern this candidate: {why}")
                for rule in policy.rules
            )
            continue
        judges = stage in {s.value for s in policy.document.spec.stages}
        for rule in policy.rules:
            if rule.key in replaced:
                results.append(
                    run.skipped(
                        rule, f"replaced by the stricter {replaced[rule.key]} (metadata.extends)"
                    )
                )
                continue
            result = run.rule(rule)
            if result.outcome is not Outcome.SKIPPED:
                update: dict[str, Any] = {"measured_by": measured_by(rule, found)}
                if context := run.context(rule):
                    update["context"] = context
                result = require(result.model_copy(update=update), rule, stage)
            results.append(result)
            if result.outcome is not Outcome.SKIPPED and result.enforce is Enforce.BLOCK:
                governing.append(policy.name)
        if judges and policy.document.spec.preregistration is PreregistrationMode.REQUIRED:
            prereg_required.append(f"policy {policy.name}")
        if judges:
            wanted.extend(requirements(policy, evidence.candidate, stage))
        required.extend(
            RequiredControl(
                control=control,
                policy=policy.name,
                file=policy.source.path,
                line=policy.span.line,
                owners=list(policy.document.metadata.owners),
            )
            for control in policy.document.spec.required_controls
        )
        if stage in {s.value for s in policy.document.spec.stages}:
            expected.extend(run.expected())
    results, uses = apply_waivers(results, policy_set.waivers, evidence, stage, now)
    counts = {o.value: 0 for o in Outcome}
    for r in results:
        counts[r.outcome.value] += 1
    candidate = _summary(evidence.candidate, found)
    assert candidate is not None
    recorded = evidence.candidate.tags.get(POLICY_DIGEST_TAG)
    applied = policy_set.digest()
    prereg = Preregistration(
        status="not-recorded"
        if recorded is None
        else "match"
        if recorded == applied
        else "mismatch",
        recorded=recorded,
        applied=applied,
    )
    who = f"model {candidate.model!r}" if candidate.model else f"run {candidate.run_id}"
    verdict, code, why = governed(
        verdict_of(results, stage),
        governing=sorted(set(governing)),
        unselected=[p.policy for p in applied_policies if not p.selected],
        undecided={name: s.reason for name, s in sorted(selection.items()) if s.undecided},
        candidate=who,
        stage=stage,
        required=prereg_required,
        prereg=prereg,
    )
    state = judge(approvals, wanted, candidate, basis_of(evidence, applied, stage), now)
    verdict, code, why = awaiting_approval((verdict, code, why), state)
    return Decision(
        verdict=verdict,
        verdict_reason=why,
        verdict_code=code,
        stage=stage,
        decided_at=now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        govgate_version=__version__,
        evidence_digest=snapshot.digest(),
        policy_set_digest=policy_set.digest(),
        candidate=candidate,
        baseline=_summary(evidence.baseline, found),
        counts=counts,
        rules=results,
        waivers=uses,
        expected_gaps=expected,
        preregistration=prereg,
        required_controls=required,
        policies=applied_policies,
        looks=_looks(policy_set, evidence, results, verdict, now, stage, snapshot),
        fail_on_warn=fail_on_warn,
        approvals=state,
    )


def _looks(
    policy_set: PolicySet,
    evidence: Any,
    results: list[RuleResult],
    verdict: Verdict,
    now: dt.datetime,
    stage: str,
    snapshot: Snapshot,
) -> Looks | None:
    """On the canary stage, this look and the looks recorded on the candidate's run."""
    if stage != Stage.CANARY:
        return None
    judging = [p for p in policy_set.policies if stage in {s.value for s in p.document.spec.stages}]
    sequential = all(p.document.spec.statistics.sequential is not Sequential.NEVER for p in judging)
    table = snapshot.items("candidate")
    last = None
    if table is not None and table.ts is not None and table.rows > 0:
        last = float(table.ts.max())
    return looks_of(
        evidence.candidate,
        results,
        verdict,
        now.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        table.rows if table is not None else None,
        last,
        sequential=sequential,
    )


def _missing(unit: Reference, reason: str) -> MissingEvidence:
    return MissingEvidence(
        unit=unit.dotted(), root=unit.root, segments=list(unit.path), reason=reason
    )
