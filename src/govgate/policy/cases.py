"""Policy test documents (``kind: PolicyTest``): evidence fixtures and what each case expects.

A case builds its evidence deterministically from these fields (``policytest/fixtures.py``)
and is decided by the same loader and engine as ``govgate check``. Frozen pydantic models, like
the policy and waiver documents in ``model.py``; the JSON Schema is generated from both.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from govgate.document.patterns import DATE_OR_DATETIME
from govgate.policy.model import WaiverMetadata, _Doc
from govgate.terms import Stage


class FixtureColumn(_Doc):
    """How to fill one per-item column of a policy test case (deterministic, no randomness).

    Exactly one form: ``count`` (that many 1s among the items), ``rate`` (round(rate x items)
    1s), ``value`` (a constant), ``mean`` with ``sd`` (normal quantiles: the column's mean is
    ``mean`` and its standard deviation ``sd``), ``values`` (listed, repeated in order) or
    ``by`` with ``rates`` (a rate per label of one of the run's ``groups``). Counted 1s and
    quantiles are placed in an order fixed by the case, run and column names, so candidate and
    baseline columns are not artificially aligned.
    """

    count: Annotated[int, Field(ge=0)] | None = None
    rate: Annotated[float, Field(ge=0, le=1)] | None = None
    value: float | None = None
    mean: float | None = None
    sd: Annotated[float, Field(ge=0)] | None = None
    values: Annotated[list[float], Field(min_length=1)] | None = None
    by: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")] | None = Field(
        default=None, description="A group of this run (a key of groups)."
    )
    rates: dict[str, Annotated[float, Field(ge=0, le=1)]] | None = Field(
        default=None, description="The rate of 1s for each label of the group."
    )

    @model_validator(mode="after")
    def _one_form(self) -> FixtureColumn:
        forms = [f for f in COLUMN_FORMS if getattr(self, f) is not None]
        if len(forms) != 1:
            raise ValueError(
                f"a column needs exactly one of {', '.join(COLUMN_FORMS)}; got {forms or 'none'}"
            )
        if (self.mean is None) != (self.sd is None):
            raise ValueError("mean and sd go together")
        if (self.by is None) != (self.rates is None):
            raise ValueError("by and rates go together")
        return self


COLUMN_FORMS = ("count", "rate", "value", "mean", "values", "by")


class FixtureRun(_Doc):
    """One run of a policy test case: metrics, params, tags, model, per-item columns."""

    metrics: dict[str, float] = {}
    nan_metrics: list[Annotated[str, Field(min_length=1)]] = Field(
        default=[], description="Metrics the run logged as NaN: present, but not usable."
    )
    params: dict[str, str] = {}
    tags: dict[str, str] = {}
    measured_by: dict[
        Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]{1,200}$")],
        Literal["human", "judge", "classifier", "computed", "heuristic", "unknown"],
    ] = Field(
        default={},
        description="How each statistic or metric was measured (toxicity_rate: classifier), "
        "as a run's govgate.provenance record says; a name not listed is measured by an "
        "unknown method.",
    )
    model: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, description="Registered model name (waiver scopes match on it)."
    )
    items: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        default=None, description="How many rows the per-item table has (item ids q0, q1, ...)."
    )
    groups: Annotated[
        dict[
            Annotated[str, Field(pattern=r"^[A-Za-z0-9_.\-]+$")],
            Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)],
        ],
        Field(min_length=1),
    ] = Field(
        default={},
        description="Group columns (group.NAME): labels assigned to the items in turn.",
    )
    columns: Annotated[
        dict[
            Annotated[str, Field(pattern=r"^(rate|score|latency)\.[A-Za-z0-9_.\-]+$")],
            FixtureColumn,
        ],
        Field(min_length=1),
    ] = Field(default={}, description="Numeric per-item columns, by their table column name.")

    @model_validator(mode="after")
    def _table(self) -> FixtureRun:
        if self.measured_by and "govgate.provenance" in self.tags:
            raise ValueError("give measured_by or a govgate.provenance tag, not both")
        if bool(self.columns or self.groups) != (self.items is not None):
            raise ValueError("items goes with columns (or groups), and they with items")
        for name, column in self.columns.items():
            if column.count is not None and self.items is not None and column.count > self.items:
                raise ValueError(
                    f"column {name!r}: count {column.count} is more than the {self.items} items"
                )
            if column.by is None:
                continue
            labels = self.groups.get(column.by)
            if labels is None:
                raise ValueError(
                    f"column {name!r}: by names {column.by!r}, which is not among groups "
                    f"{sorted(self.groups)}"
                )
            unknown = sorted(set(column.rates or {}) - set(labels))
            missing = sorted(set(labels) - set(column.rates or {}))
            if unknown or missing:
                raise ValueError(
                    f"column {name!r}: rates must name each label of group {column.by!r}"
                    + (f"; not labels: {unknown}" if unknown else "")
                    + (f"; missing: {missing}" if missing else "")
                )
        return self


class FixtureEvidence(_Doc):
    candidate: FixtureRun
    baseline: FixtureRun | None = None


class CaseExpectation(_Doc):
    verdict: Literal["PASS", "WARN", "FAIL", "ROLLBACK", "INCONCLUSIVE"] | None = None
    rules: dict[
        Annotated[str, Field(min_length=1)],
        Literal["pass", "fail", "inconclusive", "gap", "error", "waived", "skipped"],
    ] = Field(default={}, description="Outcome by rule id (or policy/rule when ids repeat).")

    @model_validator(mode="after")
    def _something(self) -> CaseExpectation:
        if self.verdict is None and not self.rules:
            raise ValueError(
                "expect a verdict, rule outcomes, or both: a case must be able to fail"
            )
        return self


class PolicyTestCase(_Doc):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    stage: Stage
    now: Annotated[str, Field(pattern=DATE_OR_DATETIME)] | None = Field(
        default=None,
        description="The instant to decide at (waiver expiry); default 2026-01-01T00:00:00Z, "
        "fixed so that a test gives the same result on any day.",
    )
    evidence: FixtureEvidence | None = None
    snapshot: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, description="An evidence snapshot file (relative to the test file) instead."
    )
    expect: CaseExpectation

    @model_validator(mode="after")
    def _one_source(self) -> PolicyTestCase:
        if (self.evidence is None) == (self.snapshot is None):
            raise ValueError("a case needs exactly one of evidence or snapshot")
        return self


class PolicyTestSpec(_Doc):
    policies: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] = Field(
        description="Policy and waiver files (or folders) under test, relative to this file."
    )
    model: Annotated[str, Field(min_length=1)] | None = Field(
        default=None,
        description="The registered model of every case's candidate that names none (policy "
        "selectors and waiver scopes match on it).",
    )
    cases: Annotated[list[PolicyTestCase], Field(min_length=1)]


class PolicyTest(_Doc):
    """Unit tests for policies: evidence fixtures and the outcomes they must produce."""

    apiVersion: Literal["govgate/v1"]  # noqa: N815
    kind: Literal["PolicyTest"]
    metadata: WaiverMetadata
    spec: PolicyTestSpec
