"""Evaluation suites (``kind: EvalSuite``): what to score, on which data, with which metrics.

Suites are YAML like policies, read by the same safe loader, checked against their own JSON
Schema (generated from these models and shipped as ``govgate-evalsuite-v1.schema.json``) and
reported with the same ``file:line:col`` problems.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from govgate.document.load import load_single, validate
from govgate.document.nodes import YamlDocument
from govgate.document.patterns import SLUG
from govgate.errors import Problem, UsageError
from govgate.policy.model import Range
from govgate.terms import Stage

SCHEMA_ID = "https://govgate.dev/schemas/govgate-evalsuite-v1.schema.json"
SCHEMA_FILE = "govgate-evalsuite-v1.schema.json"


class Task(StrEnum):
    """What the model does: answers questions over retrieved contexts, labels items, or
    generates text."""

    RAG_QA = "rag_qa"
    CLASSIFICATION = "classification"
    GENERATION = "generation"


class Metric(StrEnum):
    """Every metric a suite can ask for; README.md ("Evals") says what each one logs."""

    # ragas, offline (no LLM, no embeddings)
    ANSWER_SIMILARITY = "answer_similarity"
    ROUGE = "rouge"
    BLEU = "bleu"
    EXACT_MATCH = "exact_match"
    CONTEXT_PRECISION = "context_precision"
    CONTEXT_RECALL = "context_recall"
    # ragas, judged by an LLM (spec.judge)
    FAITHFULNESS = "faithfulness"
    ANSWER_RELEVANCY = "answer_relevancy"
    # classification
    ACCURACY = "accuracy"
    POSITIVE_RATE = "positive_rate"
    # operational
    LATENCY = "latency"
    ERROR_RATE = "error_rate"
    REFUSAL_RATE = "refusal_rate"
    TOKENS = "tokens"
    COST = "cost"
    # safety
    TOXICITY = "toxicity"
    PII = "pii"
    POLICY_VIOLATION = "policy_violation"
    HALLUCINATION = "hallucination"
    # drift
    DRIFT = "drift"


JUDGED = frozenset({Metric.FAITHFULNESS, Metric.ANSWER_RELEVANCY})
TEXT_TASKS = frozenset({Task.RAG_QA, Task.GENERATION})
TEXT_METRICS = frozenset(
    {
        Metric.ANSWER_SIMILARITY,
        Metric.ROUGE,
        Metric.BLEU,
        Metric.EXACT_MATCH,
        Metric.CONTEXT_PRECISION,
        Metric.CONTEXT_RECALL,
        Metric.FAITHFULNESS,
        Metric.ANSWER_RELEVANCY,
        Metric.HALLUCINATION,
    }
)
CLASS_METRICS = frozenset({Metric.ACCURACY, Metric.POSITIVE_RATE})


class _Doc(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", strict=True)


class MetricSpec(_Doc):
    """One metric the suite scores and logs."""

    metric: Metric = Field(description="The metric to score (README.md, Evals, lists each).")
    name: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,63}$")] | None = Field(
        default=None, description="Log under this name instead of the metric's default name."
    )
    range: Range | None = Field(
        default=None,
        description="[low, high] every per-item value lies in (e.g. a latency under the "
        "request timeout, a cost under the price of the maximum tokens). Recorded on the run "
        "(tag govgate.ranges) so the gate can bound the metric's mean validly; ragas scores "
        "are declared [0, 1] without it.",
    )


#: the flags an output may carry, set by a measurer outside govgate (flags.NAME)
FLAGS = ("toxic", "pii", "policy_violation", "hallucinated")


class FlagSource(_Doc):
    """What set one of the outputs' flags: recorded on the run as how the rate was measured."""

    method: Literal["classifier", "judge", "human", "heuristic"] = Field(
        description="The class of measurer: a trained classifier, an LLM judge, human "
        "labellers, or a heuristic (a policy may require more than a heuristic)."
    )
    by: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="The measurer's name (a model id, a labelling team, a rule set)."
    )
    version: Annotated[str, Field(min_length=1, max_length=100)] | None = Field(
        default=None, description="Its version (a model version, a guideline revision)."
    )


class Price(_Doc):
    """USD per 1,000 tokens for one model."""

    input_per_1k: Annotated[float, Field(ge=0, description="USD per 1,000 input tokens.")]
    output_per_1k: Annotated[float, Field(ge=0, description="USD per 1,000 output tokens.")]
    cached_input_per_1k: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="Price of cached input tokens; default: the input price."
    )


class Drift(_Doc):
    """Input drift against a reference sample, feature by feature."""

    reference: Annotated[str, Field(min_length=1, description="JSONL of the reference inputs.")]
    numeric: list[str] = Field(default=[], description="Numeric input fields to compare.")
    categorical: list[str] = Field(default=[], description="Categorical input fields to compare.")


class Judge(_Doc):
    """The LLM that judges faithfulness and answer relevancy."""

    provider: Literal["openai"] = Field(description="The judge's provider: openai.")
    model: Annotated[str, Field(min_length=1, description="The judge model's name.")]


class Fields(_Doc):
    """Dataset field names, where they differ from the defaults."""

    question: str = Field(default="question", description="The input (question) field.")
    reference: str = Field(default="reference", description="The reference answer field.")
    contexts: str = Field(
        default="reference_contexts", description="The retrieved contexts field (a list)."
    )
    label: str = Field(default="label", description="The expected label (classification).")


class SuiteSpec(_Doc):
    """What to score: the task, the dataset and its fields, and the metrics."""

    task: Task = Field(description="rag_qa, classification or generation.")
    dataset: Annotated[str, Field(min_length=1, description="JSONL, relative to the suite file.")]
    id_field: str = Field(default="id", description="The field that joins items to outputs.")
    fields: Fields = Field(
        default=Fields(), description="Dataset field names, if not the defaults."
    )
    groups: list[str] = Field(default=[], description="Dataset fields to slice fairness by.")
    stage: Stage = Field(default=Stage.OFFLINE, description="The stage the run is evidence for.")
    metrics: Annotated[
        list[MetricSpec], Field(min_length=1, description="At least one metric to score.")
    ]
    prices: dict[str, Price] = Field(default={}, description="By the model name in outputs.")
    drift: Drift | None = Field(default=None, description="The reference the drift metric uses.")
    judge: Judge | None = Field(default=None, description="The LLM for the judged metrics.")
    flag_sources: dict[Literal["toxic", "pii", "policy_violation", "hallucinated"], FlagSource] = (
        Field(
            default={},
            description="What set each flag the outputs carry (flags.toxic: a classifier, "
            "name and version). A flag given without a source here is recorded as measured "
            "by an unknown method; an output without the flag is scored by govgate's "
            "offline heuristic, and the run records that too.",
        )
    )

    @model_validator(mode="after")
    def _consistent(self) -> SuiteSpec:
        asked = {m.metric for m in self.metrics}
        if self.task not in TEXT_TASKS and asked & TEXT_METRICS:
            raise ValueError(
                f"metrics {sorted(m.value for m in asked & TEXT_METRICS)} need a "
                f"text task (rag_qa or generation), not {self.task.value}"
            )
        if self.task is not Task.CLASSIFICATION and asked & CLASS_METRICS:
            raise ValueError("accuracy and positive_rate need task: classification")
        if Metric.DRIFT in asked and self.drift is None:
            raise ValueError("the drift metric needs spec.drift (a reference and its features)")
        if Metric.COST in asked and not self.prices:
            raise ValueError("the cost metric needs spec.prices")
        names = [m.name or m.metric.value for m in self.metrics]
        if len(set(names)) != len(names):
            raise ValueError("two metrics log under the same name")
        return self


class SuiteMetadata(_Doc):
    """The suite's name and what it evaluates."""

    name: Annotated[str, Field(pattern=SLUG, description="Name of the suite (a slug).")]
    description: str | None = Field(default=None, description="What the suite evaluates.")


class EvalSuite(_Doc):
    """An evaluation suite (kind: EvalSuite), run by `govgate eval run`."""

    apiVersion: Literal["govgate/v1"] = Field(  # noqa: N815
        description="The document format: govgate/v1."
    )
    kind: Literal["EvalSuite"] = Field(description="EvalSuite.")
    metadata: SuiteMetadata = Field(description="Name and description.")
    spec: SuiteSpec = Field(description="What to score, on which data, with which metrics.")


@dataclass(frozen=True)
class LoadedSuite:
    document: EvalSuite
    path: Path  # the suite file
    sha256: str

    @property
    def folder(self) -> Path:
        return self.path.parent

    @property
    def name(self) -> str:
        return self.document.metadata.name

    def file(self, relative: str) -> Path:
        """A file named by the suite, which must stay inside the suite's folder."""
        target = (self.folder / relative).resolve()
        if self.folder.resolve() not in target.parents:
            raise UsageError(f"{self.path}: {relative!r} is outside the suite's folder")
        return target


def generate_schema() -> dict[str, Any]:
    from govgate.policy.schema import generate_for

    return generate_for(
        {"EvalSuite": EvalSuite},
        SCHEMA_ID,
        "govgate evaluation suites (govgate/v1)",
        "See README.md (Evals) in the govgate repository. Validate with `govgate validate`, "
        "run with `govgate eval run`.",
    )


@cache
def shipped_schema() -> dict[str, Any]:
    text = resources.files("govgate.evals").joinpath(SCHEMA_FILE).read_text(encoding="utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator

    return Draft202012Validator({"$ref": "#/$defs/EvalSuite", "$defs": shipped_schema()["$defs"]})


def check_suite(doc: YamlDocument) -> tuple[EvalSuite | None, list[Problem]]:
    """One suite document through the shipped schema and the strict model: what
    :func:`load_suite` runs on a suite file's document, and ``govgate validate`` on every
    ``kind: EvalSuite`` document. Needs none of the evals extra (ragas, mlflow)."""
    return validate(doc, _validator(), EvalSuite)


def load_suite(path: Path) -> LoadedSuite:
    """Load a suite file (or the ``suite.yaml`` in a folder); every problem is reported."""
    import hashlib

    file = path / "suite.yaml" if path.is_dir() else path
    suite, data = load_single(file, _validator(), EvalSuite, "suite")
    return LoadedSuite(suite, file, hashlib.sha256(data).hexdigest())
