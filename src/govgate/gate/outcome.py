"""Outcomes are data: every rule's result, the waivers, and the verdict derived from them.

The verdict is computed in one place (:func:`verdict_of`) from the rule outcomes, never stored
separately from them, and the exit code is computed from the verdict in one place (the CLI).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict

from govgate import canonical
from govgate.evidence.provenance import Measure
from govgate.exitcodes import ExitCode, for_verdict
from govgate.policy.compiled import Subject
from govgate.terms import Category, Enforce, Outcome, Stage, Verdict

#: v2: a rule result carries its ``subject`` whole and ``missing`` as records; v3: the decision
#: records ``fail_on_warn`` (so every output states the exit code it implies), a rule result
#: its ``unit``, its ``context`` (the baseline's counterparts) and rule-level ``controls``
DECISION_FORMAT: Final = "govgate.decision/v4"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Observation(_Frozen):
    """One value a rule read, by its evidence path. Every number in a report comes from here."""

    path: str
    value: float | int | str | bool | None


class MissingEvidence(_Frozen):
    """One unit of evidence a rule needed and did not get, as data: the unit's dotted path
    for people, its root and path segments for code (a metric named ``a.b`` stays one
    segment), and why it is missing. Risk reads the parts; nothing re-parses the text."""

    unit: str
    root: str
    segments: list[str]
    reason: str

    def __str__(self) -> str:
        return f"{self.unit}: {self.reason}"


class WaiverRef(_Frozen):
    name: str
    approver: str
    ticket: str
    expires: str
    justification: str
    waived_outcome: Outcome


class MeasuredBy(_Frozen):
    """How one number a rule reads was measured on one run (its ``govgate.provenance``)."""

    side: Literal["candidate", "baseline"]
    name: str  # the statistic or metric, as rules name it
    measures: list[Measure]  # the methods, with the items each measured when they mix
    recorded: bool  # False: the run records nothing for it (measured by an unknown method)
    note: str | None = None  # why the run's record could not be read, when it could not


class RuleResult(_Frozen):
    policy: str
    policy_version: str
    rule: str
    title: str | None
    category: str
    enforce: Enforce
    outcome: Outcome
    reason: str  # one sentence: why this outcome
    file: str
    line: int
    form: str
    expression: str  # the CEL evaluated, whatever form the rule was written in
    violation: str | None
    confidence: float
    #: what the rule decides on (the evidence unit, its kind, threshold and direction), as
    #: compiled; None for an expression that is not over one unit
    subject: Subject | None = None
    observed: list[Observation] = []
    missing: list[MissingEvidence] = []
    message: str | None = None
    error: str | None = None
    samples_needed: int | None = None
    #: evidence units whose bounds come from an approximate method the policy opted in to:
    #: every report marks the finding "approximate: not guaranteed at this n"
    approximate: list[str] = []
    waiver: WaiverRef | None = None
    risk: dict[str, Any] | None = None
    owner: str | None = None
    owners: list[str] = []
    #: the policy's metadata.controls and the rule's own controls, in that order
    controls: list[str] = []
    #: the unit of the value decided on, as the policy declares it (``spec.units``)
    unit: str | None = None
    #: the baseline's counterpart of the value decided on (its stat, metric or groups), and
    #: for a comparison each model's own statistic: shown beside the finding, never decided on
    context: list[Observation] = []
    #: how each number the rule reads was measured, on each run (``govgate.provenance``)
    measured_by: list[MeasuredBy] = []

    @property
    def key(self) -> str:
        return f"{self.policy}/{self.rule}"


class WaiverUse(_Frozen):
    name: str
    policy: str
    rule: str
    status: Literal["applied", "expired", "out-of-scope", "unused"]
    reason: str
    approver: str
    ticket: str
    expires: str
    file: str


class ExpectedGap(_Frozen):
    """Evidence a policy expects on every run (``spec.expects``) that this run lacks."""

    policy: str
    missing: MissingEvidence
    file: str
    line: int
    owners: list[str] = []


class Preregistration(_Frozen):
    """Were the criteria applied the ones the evaluation run recorded before scoring?"""

    status: Literal["match", "mismatch", "not-recorded"]
    recorded: str | None  # the candidate run's govgate.policy_digest tag
    applied: str  # the digest of the policies applied now


class RequiredControl(_Frozen):
    """A control a policy says the policy set must cover (``spec.required_controls``)."""

    control: str
    policy: str
    file: str
    line: int
    owners: list[str] = []


class PolicyApplied(_Frozen):
    """Whether a policy governs this candidate (its ``spec.selector``), and why."""

    policy: str
    version: str
    file: str
    layer: str
    selected: bool
    reason: str


class RunSummary(_Frozen):
    run_id: str
    experiment: str | None = None
    stage: str | None = None
    model: str | None = None
    version: str | None = None
    alias: str | None = None
    model_digest: str | None = None
    #: what the run's evaluation recorded a reviewer must know (items left unscored,
    #: heuristics used), from its ``govgate.provenance`` record
    notes: list[str] = []
    #: "recorded", or why how its numbers were measured is unknown (no record, malformed)
    provenance: str = "recorded"


class LookBound(_Frozen):
    """One structured rule's bounds at this look, against its threshold (for the chart)."""

    rule: str  # POLICY/RULE
    path: str  # the evidence unit decided on
    threshold: float  # what the bound is compared with (a comparison's signed margin)
    at_most: bool
    lower: float | None
    upper: float | None


class Look(_Frozen):
    """One look at a canary: recorded on its run (earlier looks) or this decision (the last)."""

    number: int
    at: str | None  # the instant it was decided, when recorded
    items: int | None  # the candidate's per-item rows at that look
    #: the latest arrival (``ts``, seconds) among them: the next look checks that nothing was
    #: inserted before it, which would make it a different sequence
    last_arrival: float | None = None
    verdict: Verdict | None
    bounds: dict[str, dict[str, float]] = {}  # POLICY/RULE -> {"lower": .., "upper": ..}


class Looks(_Frozen):
    """The looks at a canary, this one last (``gate/looks.py``)."""

    number: int  # this look's number: 1 + the highest recorded
    previous: int  # looks recorded before this one
    sequential: bool  # every statistical bound on this stage is a confidence sequence
    rules: list[LookBound] = []
    history: list[Look] = []


#: What became of one approval document: ``verified`` is the use case's word for one whose
#: signature and signer it checked (the engine then judges it, and never leaves it so); the
#: others say why it does not count, or that it does (``counted``).
ApprovalStatus = Literal[
    "verified",
    "counted",
    "duplicate",
    "not-required",
    "other-model",
    "other-decision",
    "expired",
    "malformed",
    "unknown-key",
    "bad-signature",
    "wrong-approver",
    "wrong-role",
]


class ApprovalRecord(_Frozen):
    """One approval document (``kind: Approval``), as plain data: read and verified outside
    the engine (its signature, and whether the trust file lets its signer approve in its role),
    then judged by it (:mod:`govgate.gate.approvals`: this model version, this decision basis,
    not expired, a role a policy requires). Every field but the first four is what the
    document claims, shown to reviewers; ``signer`` is the person the trust file names for the
    key whose signature verified."""

    file: str
    sha256: str
    status: ApprovalStatus
    reason: str
    role: str | None = None
    approver: str | None = None
    email: str | None = None
    signer: str | None = None
    keyid: str | None = None
    model: str | None = None
    version: str | None = None
    basis: str | None = None
    evidence_content_sha256: str | None = None
    policy_set_sha256: str | None = None
    stage: str | None = None
    approved_at: str | None = None
    expires: str | None = None
    comment: str | None = None


class DecisionBasis(_Frozen):
    """What an approval is bound to: ``sha256`` of the canonical JSON of the other three. The
    evidence's content digest leaves out when and by which govgate it was read and what govgate
    wrote on the runs afterwards, so the gate re-run on the same runs names the same basis."""

    sha256: str
    evidence_content_sha256: str
    policy_set_sha256: str
    stage: str


class RequiredApproval(_Frozen):
    """A role a policy governing this candidate requires approvals from
    (``spec.requires_approval``), and who counted."""

    policy: str
    role: str
    count: int
    approvers: list[str] = []
    file: str
    line: int

    @property
    def met(self) -> bool:
        return len(self.approvers) >= self.count


class Approvals(_Frozen):
    """The decision basis approvals must name, what the policies require, and every approval
    document given, with what became of it."""

    basis: DecisionBasis
    required: list[RequiredApproval] = []
    documents: list[ApprovalRecord] = []


class Decision(_Frozen):
    format: Literal["govgate.decision/v4"] = DECISION_FORMAT
    verdict: Verdict
    verdict_reason: str
    #: why, as a stable code: rules.passed, rules.warned, rules.failed, rules.rollback,
    #: rules.unsettled, rules.none-apply, waivers.only, policy.none-governs,
    #: preregistration.missing, preregistration.mismatch, approval.awaiting
    verdict_code: str
    stage: str
    decided_at: str
    govgate_version: str
    evidence_digest: str
    policy_set_digest: str
    candidate: RunSummary
    baseline: RunSummary | None = None
    counts: dict[str, int]
    rules: list[RuleResult]
    waivers: list[WaiverUse] = []
    expected_gaps: list[ExpectedGap] = []
    preregistration: Preregistration | None = None
    #: the controls the policies require evidence for (coverage is read off the rules)
    required_controls: list[RequiredControl] = []
    #: every policy loaded, whether it governs this candidate and why
    policies: list[PolicyApplied] = []
    #: on the canary stage: this look's number and the looks recorded before it
    looks: Looks | None = None
    #: the caller asked that a WARN block (``--fail-on-warn``): part of the decision, so every
    #: report, annotation and JUnit file states the exit code the caller acts on
    fail_on_warn: bool = False
    #: the decision basis approvals name, the approvals the policies require and every
    #: approval document given (``govgate check --approvals``), with what became of it
    approvals: Approvals | None = None

    @property
    def exit_code(self) -> ExitCode:
        """What the CLI exits with for this decision (:func:`govgate.exitcodes.for_verdict`)."""
        return for_verdict(self.verdict, fail_on_warn=self.fail_on_warn)

    @property
    def blocks(self) -> bool:
        """The caller must not release (or must roll back): the exit code is not 0."""
        return self.exit_code is not ExitCode.OK

    def canonical_json(self) -> bytes:
        return canonical.dumps(self.model_dump(mode="json"))

    def digest(self) -> str:
        return hashlib.sha256(self.canonical_json()).hexdigest()


def _falls_short(outcome: Outcome) -> bool:
    return outcome in (Outcome.FAIL, Outcome.INCONCLUSIVE, Outcome.GAP, Outcome.ERROR)


def verdict_of(rules: list[RuleResult], stage: str) -> tuple[Verdict, str, str]:
    """The verdict, its code and why, from the rule outcomes. Fail closed: no evidence, no pass.

    ROLLBACK: a blocking rollback rule failed on a canary. FAIL: a blocking rule failed or
    could not be evaluated (error). INCONCLUSIVE: a blocking rule's evidence is missing or too
    weak, or nothing was shown at all (no rule evaluated, or none passed). WARN: only warn-level
    rules fell short. PASS: every blocking rule passed (or is waived), and at least one passed.
    Audit rules never change the verdict. (The engine then applies what governs the rules:
    :func:`governed`.)
    """
    deciding = [r for r in rules if r.outcome is not Outcome.SKIPPED and r.enforce != "audit"]
    blocking = [r for r in deciding if r.enforce is Enforce.BLOCK]
    if not deciding:
        return (
            Verdict.INCONCLUSIVE,
            "rules.none-apply",
            f"no blocking or warning rule applies to stage {stage}",
        )
    rollbacks = [
        r for r in blocking if r.category == Category.ROLLBACK and r.outcome is Outcome.FAIL
    ]
    if stage == Stage.CANARY and rollbacks:
        return Verdict.ROLLBACK, "rules.rollback", f"rollback criteria failed: {_keys(rollbacks)}"
    failed = [r for r in blocking if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
    if failed:
        return (
            Verdict.FAIL,
            "rules.failed",
            f"blocking rules failed or could not be evaluated: {_keys(failed)}",
        )
    unsure = [r for r in blocking if r.outcome in (Outcome.GAP, Outcome.INCONCLUSIVE)]
    if unsure:
        return (
            Verdict.INCONCLUSIVE,
            "rules.unsettled",
            f"evidence missing or too weak for: {_keys(unsure)}",
        )
    if not any(r.outcome is Outcome.PASS for r in deciding):
        return (
            Verdict.INCONCLUSIVE,
            "waivers.only",
            "no rule passed: waivers alone do not make a release pass",
        )
    warned = [r for r in deciding if r.enforce is Enforce.WARN and _falls_short(r.outcome)]
    if warned:
        return Verdict.WARN, "rules.warned", f"warning rules fell short: {_keys(warned)}"
    return Verdict.PASS, "rules.passed", "every blocking rule passed"


def governed(
    verdict: tuple[Verdict, str, str],
    *,
    governing: list[str],
    unselected: list[str],
    candidate: str,
    stage: str,
    required: list[str],
    prereg: Preregistration,
    undecided: Mapping[str, str] | None = None,
) -> tuple[Verdict, str, str]:
    """The verdict once what governs the rules is applied: a candidate that no blocking policy
    governs at this stage is INCONCLUSIVE (never a pass); a policy that requires
    pre-registration blocks (FAIL) a run whose recorded policy digest is not the applied set's.
    (With every policy selected and no rule at this stage, "no rule applies" says it better.)
    An org policy whose selector the evidence cannot settle (``undecided``: policy name to
    why) makes it INCONCLUSIVE too: the baseline is never skipped on a guess.
    A ROLLBACK or a FAIL stays what it is."""
    if verdict[0] in (Verdict.ROLLBACK, Verdict.FAIL):
        return verdict
    if undecided:
        why = "; ".join(f"{name}: {reason}" for name, reason in undecided.items())
        return (
            Verdict.INCONCLUSIVE,
            "policy.unknown-model",
            f"cannot tell whether org policy {', '.join(undecided)} governs {candidate} ({why})",
        )
    if not governing and (unselected or verdict[1] != "rules.none-apply"):
        why = f" ({', '.join(unselected)} do not select it)" if unselected else ""
        return (
            Verdict.INCONCLUSIVE,
            "policy.none-governs",
            f"no policy with a blocking rule governs {candidate} at stage {stage}{why}",
        )
    if required and prereg.status != "match":
        who = ", ".join(required)
        if prereg.status == "not-recorded":
            return (
                Verdict.FAIL,
                "preregistration.missing",
                f"{who} requires pre-registration, and the candidate run recorded no policy "
                "digest (govgate.policy_digest)",
            )
        return (
            Verdict.FAIL,
            "preregistration.mismatch",
            f"{who} requires pre-registration, and the candidate run recorded policy digest "
            f"{(prereg.recorded or '')[:12]}, not the applied set's {prereg.applied[:12]}",
        )
    return verdict


def awaiting_approval(
    verdict: tuple[Verdict, str, str], approvals: Approvals
) -> tuple[Verdict, str, str]:
    """A release the rules let through (PASS or WARN) that lacks an approval a policy requires
    is INCONCLUSIVE, awaiting it; any other verdict stays what it is (an approval never
    overrides a failure or missing evidence)."""
    short = [r for r in approvals.required if not r.met]
    if verdict[0] not in (Verdict.PASS, Verdict.WARN) or not short:
        return verdict
    roles = ", ".join(dict.fromkeys(r.role for r in short))
    detail = "; ".join(
        f"policy {r.policy} requires {r.count} from {r.role}, {len(r.approvers)} counted"
        for r in short
    )
    return (
        Verdict.INCONCLUSIVE,
        "approval.awaiting",
        f"awaiting approval from {roles} ({detail}); the rules alone give {verdict[0].value}",
    )


def _keys(rules: list[RuleResult]) -> str:
    names = [r.key for r in rules]
    return ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
