"""Policy and waiver documents (``apiVersion: govgate/v1``), as frozen pydantic models.

These models are the source of truth for the document shape: the JSON Schema that ships in the
package (``govgate schema``) is generated from them, and a test keeps the shipped file equal to
a fresh generation. Validators here check only what one document can show; cross-document
checks (duplicate policy names, waivers that name unknown rules) live in the loader.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Annotated, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from govgate.document.patterns import (
    DATE_OR_DATETIME,
    DURATION,
    IDENTIFIER,
    METRIC_NAME,
    SLUG,
)
from govgate.durations import seconds as duration_seconds
from govgate.terms import (
    Basis,
    Category,
    Direction,
    Enforce,
    Impact,
    Layer,
    MeanMethod,
    OnMissing,
    PreregistrationMode,
    RateMethod,
    RelativeBasis,
    Sequential,
    Stage,
)

API_VERSION = "govgate/v1"


_T = TypeVar("_T")


def _unique(values: list[_T]) -> list[_T]:
    seen: list[_T] = []
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate entry {value!r}")
        seen.append(value)
    return values


#: A list whose entries must differ; ``uniqueItems`` in the schema, the same check in the model.
_NO_REPEATS = (AfterValidator(_unique), Field(json_schema_extra={"uniqueItems": True}))
Name = Annotated[str, Field(min_length=1, max_length=200)]


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


Text = Annotated[str, Field(min_length=1, max_length=2000)]
Confidence = Annotated[
    float,
    Field(
        ge=0.5,
        le=0.999,
        description="Confidence level of one-sided bounds, e.g. 0.95.",
    ),
]


class Metadata(_Doc):
    """Who a policy is, whose it is and which controls it implements."""

    name: Annotated[str, Field(pattern=SLUG, description="Unique name of the policy (a slug).")]
    version: Annotated[
        str,
        Field(
            min_length=1,
            max_length=64,
            description='Version of this policy, as a string: quote it ("3", "1.10").',
        ),
    ]
    owners: Annotated[
        list[Name],
        *_NO_REPEATS,
        Field(min_length=1, description="Who answers for this policy (emails or team names)."),
    ]
    description: Text | None = Field(
        default=None, description="What the policy protects, in a sentence or two."
    )
    controls: Annotated[
        list[Name],
        *_NO_REPEATS,
        Field(description="Control ids this policy implements, e.g. NIST-AI-RMF-MEASURE-2.6."),
    ] = []
    layer: Layer = Field(
        default=Layer.TEAM,
        description="org: part of the organisation's baseline, which team policies may tighten "
        "but never loosen, remove or waive (only an org waiver can); team (default).",
    )
    extends: Annotated[str, Field(pattern=SLUG)] | None = Field(
        default=None,
        description="The org policy this team policy tightens: a rule here with the id of one "
        "of its rules replaces it, and must be at least as strict (checked at load).",
    )


class Risk(_Doc):
    """What a failure of this rule means in production, for the risk assessment."""

    impact: Impact = Field(
        description="How bad a breach would be: low, medium, high or critical (with the "
        "likelihood from the evidence, it sets the finding's risk level)."
    )
    detection: Text | None = Field(
        default=None, description="How and where a breach would be noticed in production."
    )
    time_to_detect: Annotated[str, Field(pattern=DURATION)] | None = Field(
        default=None, description="How long until a breach is noticed: 30m, 4h, 2d, 1w."
    )
    mitigation: Text | None = Field(
        default=None, description="What limits the harm of a breach while it lasts."
    )
    rollback: Text | None = Field(
        default=None, description="How to undo the release if the rule is breached."
    )


class Variable(_Doc):
    """A named CEL value rules (and later variables) read as variables.NAME."""

    name: Annotated[str, Field(pattern=IDENTIFIER, description="Its name in CEL: variables.NAME.")]
    expression: Annotated[
        str,
        Field(
            min_length=1,
            max_length=4096,
            description="CEL over the evidence and the variables defined above this one.",
        ),
    ]
    description: Text | None = Field(default=None, description="What the value means.")


class Threshold(_Doc):
    """Absolute threshold on one metric of the candidate."""

    metric: Annotated[
        str,
        Field(
            pattern=METRIC_NAME,
            description="The metric, as the evidence names it (candidate.stats.NAME or "
            "candidate.metrics.NAME).",
        ),
    ]
    max: float | None = Field(default=None, description="The metric must not exceed this.")
    min: float | None = Field(default=None, description="The metric must be at least this.")
    basis: Basis = Field(
        default=Basis.BOUND,
        description="bound (default): decide on the one-sided confidence bound from per-item "
        "data; point: on the logged value, with no uncertainty.",
    )

    @model_validator(mode="after")
    def _one_side(self) -> Threshold:
        if (self.max is None) == (self.min is None):
            raise ValueError("a threshold needs exactly one of max or min")
        return self


class Relative(_Doc):
    """Candidate relative to the baseline, with a margin (non-inferiority)."""

    metric: Annotated[
        str, Field(pattern=METRIC_NAME, description="The metric compared with the baseline's.")
    ]
    direction: Direction = Field(
        description="Which way is better for the metric: higher_is_better or lower_is_better."
    )
    margin: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Largest tolerated change for the worse, in metric units."
    )
    margin_ratio: Annotated[float, Field(ge=0, le=10)] | None = Field(
        default=None,
        description="Largest tolerated change for the worse, as a share of the baseline value "
        "(0.10 = 10%).",
    )
    basis: RelativeBasis = Field(
        default=RelativeBasis.PAIRED,
        description="paired (default): candidate minus baseline on shared items, with bounds; "
        "point: the logged values.",
    )

    @model_validator(mode="after")
    def _one_margin(self) -> Relative:
        if (self.margin is None) == (self.margin_ratio is None):
            raise ValueError("a relative rule needs exactly one of margin or margin_ratio")
        return self


class Fairness(_Doc):
    """A bound on the disparity of one metric across the groups of one column."""

    group: Annotated[str, Field(pattern=METRIC_NAME, description="The group column.")]
    metric: Annotated[
        str, Field(pattern=METRIC_NAME, description="The metric compared across the groups.")
    ]
    max_gap: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Largest tolerated difference between the best and worst group."
    )
    min_ratio: Annotated[float, Field(gt=0, le=1)] | None = Field(
        default=None, description="Smallest tolerated ratio of the worst group to the best."
    )

    @model_validator(mode="after")
    def _one_bound(self) -> Fairness:
        if (self.max_gap is None) == (self.min_ratio is None):
            raise ValueError("a fairness rule needs exactly one of max_gap or min_ratio")
        return self


Window = Annotated[str, Field(pattern=DURATION)]
#: A unit as reports print it: short, one line, no control characters (USD, ms, share, %).
Unit = Annotated[str, Field(min_length=1, max_length=24, pattern=r"^[^\x00-\x1f\x7f-\x9f]+$")]


class SloHistory(_Doc):
    """An SLO's events from MLflow metric histories: counts per logged step, at the same steps."""

    requests: Annotated[str, Field(pattern=METRIC_NAME)] = Field(
        description="Metric logged at every step with the number of events (requests) since "
        "the step before."
    )
    errors: Annotated[str, Field(pattern=METRIC_NAME)] = Field(
        description="Metric logged at the same steps with how many of those events were bad "
        "(errors): 0 when none, never left out."
    )


SLO_SOURCES = ("good", "bad", "history")


class Slo(_Doc):
    """A service level objective over the evidence's events, with its error budget.

    The events are the per-item table's rows with a value in one rate column (``good`` or
    ``bad``), at their arrival times (the ``ts`` column), or the counts of two metric
    histories (``history``). Rules read it as ``candidate.slo.NAME.FIELD``: burn rates and
    error rates over windows ending at the newest event, and the budget left."""

    name: Annotated[
        str, Field(pattern=IDENTIFIER, description="Its name in CEL: candidate.slo.NAME.")
    ]
    description: Text | None = Field(default=None, description="What the objective promises.")
    objective: Annotated[float, Field(gt=0, lt=1)] = Field(
        description="The share of events that must be good over the window: 0.995 is 99.5%, "
        "an error budget of 0.5% of the events."
    )
    window: Window = Field(
        description="The SLO window the error budget is measured over, e.g. 30d (a duration: "
        "m, h, d or w)."
    )
    good: Annotated[str, Field(pattern=METRIC_NAME)] | None = Field(
        default=None,
        description="A per-item rate column, rate.NAME: 1 for a good event, 0 for a bad one. "
        "Items with no value are not events.",
    )
    bad: Annotated[str, Field(pattern=METRIC_NAME)] | None = Field(
        default=None,
        description="A per-item rate column, rate.NAME: 1 for a bad event, 0 for a good one.",
    )
    history: SloHistory | None = Field(
        default=None, description="Events from two MLflow metric histories, not the item table."
    )
    min_events: Annotated[int, Field(ge=1, le=1_000_000_000)] = Field(
        default=10,
        description="A window read with fewer events than this says too little: a rule that "
        "holds on it is inconclusive, not a pass (a breach still fails).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Slo:
        given = [s for s in SLO_SOURCES if getattr(self, s) is not None]
        if len(given) != 1:
            raise ValueError(
                "an SLO needs exactly one of good, bad, history"
                + (f" (found {', '.join(given)})" if given else "")
            )
        return self


class BurnRate(_Doc):
    """The multiwindow burn-rate alert of the SRE workbook: a breach when the error budget
    burns faster than ``max`` times the sustainable rate over both windows."""

    long: Window = Field(description="The long window, e.g. 1h: shows the burn is sustained.")
    short: Window = Field(
        description="The short window, e.g. 5m: shows it is still going on (shorter than long)."
    )
    max: Annotated[float, Field(gt=0)] = Field(
        description="The largest tolerated burn rate: 14.4 spends 2% of a 30-day budget in an "
        "hour; 1 spends the budget exactly over the SLO window."
    )

    @model_validator(mode="after")
    def _short_is_shorter(self) -> BurnRate:
        long_s, short_s = duration_seconds(self.long), duration_seconds(self.short)
        if long_s is not None and short_s is not None and short_s >= long_s:
            raise ValueError(
                f"the short window ({self.short}) must be shorter than the long one ({self.long})"
            )
        return self


class SloRule(_Doc):
    """A burn-rate rule on one of the policy's SLOs (``spec.slos``)."""

    name: Annotated[str, Field(pattern=IDENTIFIER, description="An SLO in spec.slos.")]
    burn_rate: BurnRate = Field(
        description="The burn-rate alert: a long and a short window and the largest rate."
    )


RULE_FORMS = ("expression", "threshold", "relative", "fairness", "slo")


#: the measurement classes a rule may require (``unknown`` is never a requirement one meets)
RequirableMethod = Literal["human", "judge", "classifier", "computed", "heuristic"]


class Requires(_Doc):
    """What a rule's evidence must be measured by to pass: evidence measured otherwise (a
    heuristic where a classifier is required, or an unknown method) is a gap, naming what
    measured it. Read from the run's ``govgate.provenance`` record (``govgate eval run``
    writes it)."""

    method: Annotated[list[RequirableMethod], *_NO_REPEATS, Field(min_length=1)] = Field(
        description="The measurement classes accepted (human, judge, classifier, computed, "
        "heuristic): every number the rule reads, on each run it reads, must be measured by one."
    )
    stages: Annotated[list[Stage], *_NO_REPEATS, Field(min_length=1)] | None = Field(
        default=None,
        description="Only at these stages (default: every stage the rule judges), e.g. "
        "[canary] to accept a heuristic offline but not for a release.",
    )


class Rule(_Doc):
    """One release criterion: exactly one form (expression, threshold, relative, fairness or
    slo), what it guards and how strictly it is enforced."""

    id: Annotated[str, Field(pattern=SLUG, description="Unique within the policy.")]
    title: Text | None = Field(default=None, description="One line for reports.")
    category: Category = Field(
        description="What the rule guards: safety, quality, cost, latency, fairness, drift, "
        "reliability or rollback (on a canary, a failed blocking rollback rule rolls back)."
    )
    enforce: Enforce = Field(
        default=Enforce.BLOCK,
        description="block (default): a failure blocks the release; warn: reported, blocks "
        "only with --fail-on-warn; audit: recorded, never blocks.",
    )
    stages: Annotated[list[Stage], *_NO_REPEATS] | None = Field(
        default=None, description="Stages this rule judges; default: all of the policy's stages."
    )
    confidence: Confidence | None = None
    expression: Annotated[str, Field(min_length=1, max_length=4096)] | None = Field(
        default=None, description="CEL; the rule passes when it is true."
    )
    violation: Annotated[str, Field(min_length=1, max_length=4096)] | None = Field(
        default=None,
        description="CEL; the rule fails when it is true. Otherwise a rule whose expression "
        "is false is inconclusive. Without it, a false expression is a failure.",
    )
    threshold: Threshold | None = Field(
        default=None, description="Shorthand: an absolute threshold on one metric."
    )
    relative: Relative | None = Field(
        default=None, description="Shorthand: the candidate against the baseline, with a margin."
    )
    fairness: Fairness | None = Field(
        default=None, description="Shorthand: a bound on a metric's disparity across groups."
    )
    slo: SloRule | None = Field(
        default=None, description="Shorthand: a burn-rate rule on one of spec.slos."
    )
    message: Annotated[str, Field(min_length=1, max_length=2000)] | None = Field(
        default=None, description="Shown when the rule does not pass; {{ CEL }} placeholders."
    )
    risk: Risk | None = Field(
        default=None, description="What a breach means in production, for the risk assessment."
    )
    on_missing: OnMissing = Field(
        default=OnMissing.GAP,
        description="What the rule becomes when evidence it reads is missing: gap (default) or "
        "fail. Never a pass.",
    )
    owner: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        default=None, description="Who answers for this rule; default: the policy's owners."
    )
    controls: Annotated[
        list[Name],
        *_NO_REPEATS,
        Field(
            description="Control ids this rule gives evidence for, beyond its policy's "
            "metadata.controls (which every rule of the policy covers)."
        ),
    ] = []
    requires: Requires | None = Field(
        default=None,
        description="How the evidence must have been measured to pass (requires: {method: "
        "[classifier, judge, human]}): otherwise the rule is a gap naming the method found.",
    )

    @model_validator(mode="after")
    def _one_form(self) -> Rule:
        given = [f for f in RULE_FORMS if getattr(self, f) is not None]
        if len(given) != 1:
            raise ValueError(
                f"a rule needs exactly one of {', '.join(RULE_FORMS)}"
                + (f" (found {', '.join(given)})" if given else "")
            )
        if self.violation is not None and self.expression is None:
            raise ValueError("violation goes with expression; shorthands generate their own")
        return self

    @property
    def form(self) -> str:
        return next(f for f in RULE_FORMS if getattr(self, f) is not None)


def _range(value: list[float]) -> list[float]:
    lo, hi = value
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise ValueError(f"a range is [low, high] with finite low < high, not {value}")
    return value


Range = Annotated[
    list[float],
    Field(min_length=2, max_length=2, description="[low, high]: every value lies in it."),
    AfterValidator(_range),
]


class Statistics(_Doc):
    """How this policy's bounds are computed."""

    rates: RateMethod = Field(
        default=RateMethod.CLOPPER_PEARSON,
        description="Bounds for rates: exact Clopper-Pearson (default), or the labelled "
        "approximate-wilson / approximate-jeffreys (not guaranteed at small n or near 0).",
    )
    means: MeanMethod = Field(
        default=MeanMethod.BETTING,
        description="Bounds for means and paired score differences: betting over a known "
        "range (default; valid at every n; no range, no bound), or the labelled opt-ins "
        "approximate-t / approximate-bootstrap (not guaranteed at this n).",
    )
    ranges: dict[Annotated[str, Field(pattern=METRIC_NAME)], Range] = Field(
        default={},
        description="The range of each score or latency whose mean a rule bounds, by name "
        "(answer_similarity: [0, 1]; cost_usd: [0, 0.05]). Values outside it make the "
        "evidence unusable (an error). Overrides a range the run declares (govgate.ranges).",
    )
    min_group_size: Annotated[int, Field(ge=2, le=1_000_000)] = Field(
        default=30,
        description="Groups with fewer scored items make a fairness result incomplete (a gap).",
    )
    sequential: Sequential = Field(
        default=Sequential.CANARY,
        description="When bounds are confidence sequences over the items in arrival order (the "
        "per-item table's ts column), valid under any number of looks and any stopping rule: "
        "canary (default: on the canary stage, which a controller judges repeatedly), always, "
        "or never (fixed-sample bounds; on a canary they are labelled approximate, since "
        "repeated looks inflate their error).",
    )


#: How many days a waiver may stay in force when its policy does not say (spec.waivers).
DEFAULT_MAX_WAIVER_DAYS = 90
#: The most a policy may allow: a longer exception is a standing change of the policy.
LONGEST_MAX_WAIVER_DAYS = 365


class WaiverLimits(_Doc):
    """How long a waiver of this policy's rules may stay in force (checked on every load)."""

    max_days: Annotated[int, Field(ge=1, le=LONGEST_MAX_WAIVER_DAYS)] = Field(
        default=DEFAULT_MAX_WAIVER_DAYS,
        description="A waiver of one of this policy's rules may expire at most this many days "
        "after the day it is loaded (UTC): a later expiry is an error, never a long waiver. "
        "Default 90, at most 365.",
    )


#: a model-name glob: letters, digits and . _ - / with * and ? wildcards
MODEL_GLOB = r"^[A-Za-z0-9._/*?-]{1,200}$"


class Selector(_Doc):
    """Which candidates a policy governs: every part given must match (an empty one matches
    everything). Stages are the policy's own ``stages``."""

    models: Annotated[list[Annotated[str, Field(pattern=MODEL_GLOB)]], *_NO_REPEATS] = Field(
        default=[],
        description="Registered model names, as globs (rag-*, credit-risk): the candidate's "
        "model must match one (case-insensitive). A candidate with no registered model matches "
        "none; for an org policy, a model not read from the registry leaves the decision "
        "inconclusive.",
    )
    tags: dict[Annotated[str, Field(min_length=1, max_length=250)], Name] = Field(
        default={},
        description="Tags the candidate must carry, on its run or its model version (risk_tier: "
        "high). Only allow-listed tags reach the evidence (govgate.*, model*, team, owner, "
        "risk_tier, ...): a tag outside the allow-list never matches; for an org policy, a "
        "missing tag leaves the decision inconclusive.",
    )


class RequiresApproval(_Doc):
    """Signed approvals (``kind: Approval``, checked against a trust file) a release this
    policy governs needs: without them, a release the rules let through is inconclusive."""

    roles: Annotated[
        list[Annotated[str, Field(pattern=SLUG)]],
        *_NO_REPEATS,
        Field(min_length=1),
    ] = Field(
        description="The roles that must approve (model-risk, security): each needs count "
        "approvals, from different people the trust file lets approve in that role."
    )
    count: Annotated[int, Field(ge=1, le=20)] = Field(
        default=1, description="How many people of each role must approve (default 1)."
    )
    stages: Annotated[list[Stage], *_NO_REPEATS] | None = Field(
        default=None,
        description="The stages approval is required at; default: every stage the policy judges.",
    )
    tags: dict[
        Annotated[str, Field(min_length=1, max_length=250)],
        Annotated[list[Name], *_NO_REPEATS, Field(min_length=1)],
    ] = Field(
        default={},
        description="Only for candidates carrying each of these tags, on the run or the model "
        "version, with one of the values listed (risk_tier: [high, critical]); default: every "
        "candidate the policy governs.",
    )


class PolicySpec(_Doc):
    """What the policy judges: its stages, statistics, expected evidence, SLOs, variables and
    rules."""

    stages: Annotated[
        list[Stage],
        *_NO_REPEATS,
        Field(min_length=1, description="The stages the policy judges: offline, shadow, canary."),
    ]
    confidence: Confidence = 0.95
    selector: Selector | None = Field(
        default=None,
        description="Which candidates the policy governs (model globs, tags); default: every "
        "candidate at its stages. A candidate no blocking policy selects is inconclusive.",
    )
    requires_approval: RequiresApproval | None = Field(
        default=None,
        description="Signed approvals a release needs (roles, how many, optionally only at some "
        "stages or for candidates with some tags): without them, a release the rules let "
        "through is inconclusive (see docs/approvals.md).",
    )
    preregistration: PreregistrationMode = Field(
        default=PreregistrationMode.RECORDED,
        description="recorded (default): a candidate run whose recorded policy digest differs "
        "from the applied set is flagged; required: it is blocked (FAIL), as is a run that "
        "recorded none.",
    )
    statistics: Statistics = Field(
        default=Statistics(), description="How the policy's bounds are computed."
    )
    waivers: WaiverLimits = Field(
        default=WaiverLimits(), description="How long a waiver of its rules may stay in force."
    )
    expects: Annotated[list[Annotated[str, Field(min_length=1, max_length=500)]], *_NO_REPEATS] = (
        Field(
            default=[],
            description="Evidence every run judged by this policy should carry, e.g. "
            "candidate.metrics.cost_usd_per_1k_requests or candidate.stats.toxicity_rate. "
            "Its absence is reported as an observability gap even when no rule reads it.",
        )
    )
    units: dict[Annotated[str, Field(pattern=METRIC_NAME)], Unit] = Field(
        default={},
        description="The unit of each metric, score or statistic a report shows, by name "
        "(cost_usd_per_1k_requests: USD, latency_ms_p95: ms, toxicity_rate: share). Reports "
        "print it beside every value and bound; a name with no unit is shown bare.",
    )
    required_controls: Annotated[list[Name], *_NO_REPEATS] = Field(
        default=[],
        description="Control ids the policy set must give evidence for: a required control "
        "that no rule claims (in metadata.controls or a rule's controls) is an observability "
        "gap in every report.",
    )
    slos: list[Slo] = Field(
        default=[],
        description="Service level objectives rules read as candidate.slo.NAME (and the "
        "slo shorthand): an objective, its window, and where the events come from.",
    )
    variables: list[Variable] = Field(
        default=[], description="Named CEL values the rules read as variables.NAME, in order."
    )
    rules: Annotated[
        list[Rule], Field(min_length=1, description="At least one: a policy with none is invalid.")
    ]

    @model_validator(mode="after")
    def _unique(self) -> PolicySpec:
        _no_duplicates([s.name for s in self.slos], "SLO name")
        _no_duplicates([v.name for v in self.variables], "variable name")
        _no_duplicates([r.id for r in self.rules], "rule id")
        needs = self.requires_approval
        if needs is not None and needs.stages is not None:
            extra = [s.value for s in needs.stages if s not in self.stages]
            if extra:
                raise ValueError(
                    f"requires_approval names stages the policy does not judge: {extra}"
                )
        return self


class Policy(_Doc):
    """A policy (kind: Policy): release criteria as rules over evidence."""

    apiVersion: Literal["govgate/v1"] = Field(  # noqa: N815 - the document's own key
        description="The document format: govgate/v1."
    )
    kind: Literal["Policy"] = Field(description="Policy.")
    metadata: Metadata = Field(description="Name, version, owners and controls.")
    spec: PolicySpec = Field(description="What the policy judges, and how.")


class WaiverMetadata(_Doc):
    """A name and what the document is for (waivers and policy tests)."""

    name: Annotated[
        str, Field(pattern=SLUG, description="Name of the document (a slug); waivers' are unique.")
    ]
    description: Text | None = Field(default=None, description="What the document is for.")


class WaiverScope(_Doc):
    """Where the waiver applies; every field left out means: anywhere."""

    stages: Annotated[list[Stage], *_NO_REPEATS] | None = Field(
        default=None, description="Stages the waiver covers; default: any."
    )
    models: Annotated[list[Name], *_NO_REPEATS] | None = Field(
        default=None, description="Registered model names the waiver covers; default: any."
    )
    runs: Annotated[list[Name], *_NO_REPEATS] | None = Field(
        default=None, description="Candidate run ids the waiver covers; default: any."
    )


class WaiverSpec(_Doc):
    """Which rule the waiver excuses, where, why, on whose approval and until when."""

    policy: Annotated[str, Field(pattern=SLUG, description="The policy the rule belongs to.")]
    rule: Annotated[str, Field(pattern=SLUG, description="The id of the waived rule.")]
    layer: Layer = Field(
        default=Layer.TEAM,
        description="org: issued by the organisation, and the only kind that may waive a rule "
        "of an org policy; team (default).",
    )
    scope: WaiverScope = Field(
        default=WaiverScope(), description="Where it applies; default: everywhere."
    )
    justification: Annotated[
        str,
        Field(
            min_length=20,
            max_length=4000,
            description="Why the release may go ahead anyway (at least 20 characters).",
        ),
    ]
    approver: Annotated[
        str, Field(min_length=1, max_length=200, description="Who approved the exception.")
    ]
    ticket: Annotated[
        str, Field(min_length=1, max_length=200, description="Where the approval is recorded.")
    ]
    expires: Annotated[
        str,
        Field(
            pattern=DATE_OR_DATETIME,
            description="Mandatory. A date (valid through the end of that day, UTC) or an "
            "RFC 3339 date-time. An expired waiver does not apply.",
        ),
    ]

    @field_validator("expires")
    @classmethod
    def _valid_expiry(cls, value: str) -> str:
        try:
            expiry_instant(value)
        except ValueError as exc:  # e.g. 2026-02-30
            raise ValueError(f"invalid expiry {value!r}: {exc}") from None
        return value


class Waiver(_Doc):
    """A waiver (kind: Waiver): an approved, expiring exception for one rule."""

    apiVersion: Literal["govgate/v1"] = Field(  # noqa: N815
        description="The document format: govgate/v1."
    )
    kind: Literal["Waiver"] = Field(description="Waiver.")
    metadata: WaiverMetadata = Field(description="Name and description.")
    spec: WaiverSpec = Field(description="The rule, scope, approval and expiry.")


def expiry_instant(text: str) -> dt.datetime:
    """The instant a waiver stops applying: a bare date means the end of that day, UTC."""
    if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        day = dt.date.fromisoformat(text)
        if day == dt.date.max:  # the last day there is: no next midnight to stop at
            return dt.datetime.max.replace(tzinfo=dt.UTC)
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    value = dt.datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    if value.tzinfo is None:
        raise ValueError("an expiry date-time needs a time zone (Z or +hh:mm)")
    return value


_DAY = dt.timedelta(days=1)


def days_in_force(expires: str, today: dt.date) -> int:
    """How many days after ``today`` a waiver expiring at ``expires`` is still in force at some
    moment: a bare date D (valid through the end of D, UTC) gives D - today; a date-time counts
    the day it falls on. 0 for a waiver that ends today, negative for one that has expired."""
    start = dt.datetime.combine(today, dt.time(), tzinfo=dt.UTC)
    remaining = expiry_instant(expires) - start
    return -(-remaining // _DAY) - 1


def _no_duplicates(values: list[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"duplicate {what} {value!r}")
        seen.add(value)
