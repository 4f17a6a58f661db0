"""Scoring: per-item columns the gate can bound, and the aggregates logged beside them.

Every rate or mean the gate may judge is logged per item (``rate.*``, ``score.*``,
``latency.*`` columns of ``govgate/items.parquet``) so that bounds, paired comparisons and
fairness can be computed; aggregates are logged as MLflow metrics too. An item whose model call
failed (``error: true``) is not scored for answer metrics (empty, never zero).

Safety flags come from the outputs when a classifier or judge set them (``flags.toxic``,
``flags.pii``, ``flags.policy_violation``, ``flags.hallucinated``). Otherwise govgate's offline
defaults are used, and the run's notes say so: they are simple, transparent heuristics (a term
list, PII patterns, token overlap with the retrieved contexts), fit for a demo and a smoke test,
not a substitute for a real classifier.
"""

from __future__ import annotations

import asyncio
import math
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from govgate._env import TELEMETRY_OFF, scoped_environ
from govgate._version import __version__
from govgate.errors import UsageError
from govgate.evals.heuristics import (
    BLOCKED,
    PII,
    REFUSAL,
    TOXIC_TERMS,
    drift,
    unsupported,
    words,
)
from govgate.evals.suite import TEXT_METRICS, Metric, MetricSpec, SuiteSpec
from govgate.evidence.provenance import Measure
from govgate.terms import Method

Record = dict[str, Any]
Progress = Callable[[int, int], None]
GOVGATE = f"govgate {__version__}"

DEFAULT_COLUMN = {
    Metric.ANSWER_SIMILARITY: "score.answer_similarity",
    Metric.ROUGE: "score.rouge_l",
    Metric.BLEU: "score.bleu",
    Metric.EXACT_MATCH: "rate.exact_match",
    Metric.CONTEXT_PRECISION: "score.context_precision",
    Metric.CONTEXT_RECALL: "score.context_recall",
    Metric.FAITHFULNESS: "score.faithfulness",
    Metric.ANSWER_RELEVANCY: "score.answer_relevancy",
    Metric.ACCURACY: "rate.accuracy",
    Metric.POSITIVE_RATE: "rate.positive_rate",
    Metric.LATENCY: "latency.latency_ms",
    Metric.ERROR_RATE: "rate.error_rate",
    Metric.REFUSAL_RATE: "rate.refusal_rate",
    Metric.TOXICITY: "rate.toxicity_rate",
    Metric.PII: "rate.pii_rate",
    Metric.POLICY_VIOLATION: "rate.policy_violation_rate",
    Metric.HALLUCINATION: "rate.hallucination_rate",
    Metric.COST: "score.cost_usd",
}


def column_for(spec: MetricSpec) -> str | None:
    default = DEFAULT_COLUMN.get(spec.metric)
    if default is None:
        return None
    return f"{default.split('.', 1)[0]}.{spec.name}" if spec.name else default


#: ragas scores lie in [0, 1] by definition: declared on the run so the gate bounds them validly
UNIT_RANGE_METRICS = frozenset(
    {
        Metric.ANSWER_SIMILARITY,
        Metric.ROUGE,
        Metric.BLEU,
        Metric.CONTEXT_PRECISION,
        Metric.CONTEXT_RECALL,
        Metric.FAITHFULNESS,
        Metric.ANSWER_RELEVANCY,
    }
)


@dataclass
class Scored:
    columns: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: column -> [low, high], recorded on the run as the ``govgate.ranges`` tag
    ranges: dict[str, list[float]] = field(default_factory=dict)
    #: statistic or metric name -> how it was measured (the ``govgate.provenance`` tag)
    measures: dict[str, list[Measure]] = field(default_factory=dict)

    def measured(
        self, name: str, method: Method, by: str, *, version: str | None = None, **more: Any
    ) -> None:
        """Record that ``name`` was measured by ``by`` (one method for all its items)."""
        self.measures.setdefault(name, []).append(
            Measure(method=method, by=by, version=version or GOVGATE, **more)
        )


def _flag(output: Record, name: str) -> bool | None:
    flags = output.get("flags") or {}
    value = flags.get(name) if isinstance(flags, dict) else None
    return None if value is None else bool(value)


def _failed(output: Record) -> bool:
    return bool(output.get("error"))


def _nan_if_failed(outputs: Sequence[Record], values: Sequence[float]) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64)
    array[[_failed(o) for o in outputs]] = np.nan
    return array


def _ragas_scores(
    metric: Metric,
    rows: Sequence[Record],
    outputs: Sequence[Record],
    spec: SuiteSpec,
    judge: Any,
    embeddings: Any,
    progress: Progress | None,
) -> np.ndarray:
    """One ragas metric over every item, through ragas' own metric classes."""
    with warnings.catch_warnings():  # ragas announces its API move on every import
        warnings.simplefilter("ignore", DeprecationWarning)
        from ragas.dataset_schema import SingleTurnSample
        from ragas.metrics import NonLLMContextPrecisionWithReference, NonLLMContextRecall
        from ragas.metrics.collections import (
            AnswerRelevancy,
            BleuScore,
            ExactMatch,
            Faithfulness,
            NonLLMStringSimilarity,
            RougeScore,
        )
    f = spec.fields

    async def one(row: Record, out: Record) -> float:
        response = str(out.get("response", ""))
        if metric is Metric.ANSWER_SIMILARITY:
            return float(
                (
                    await NonLLMStringSimilarity().ascore(
                        reference=str(row[f.reference]), response=response
                    )
                ).value
            )
        if metric is Metric.ROUGE:
            return float(
                (
                    await RougeScore().ascore(reference=str(row[f.reference]), response=response)
                ).value
            )
        if metric is Metric.BLEU:
            return float(
                (await BleuScore().ascore(reference=str(row[f.reference]), response=response)).value
            )
        if metric is Metric.EXACT_MATCH:
            return float(
                (
                    await ExactMatch().ascore(reference=str(row[f.reference]), response=response)
                ).value
            )
        if metric is Metric.FAITHFULNESS:
            result = await Faithfulness(llm=judge).ascore(
                user_input=str(row[f.question]),
                response=response,
                retrieved_contexts=list(out.get("retrieved_contexts") or []),
            )
            return float(result.value)
        if metric is Metric.ANSWER_RELEVANCY:
            result = await AnswerRelevancy(llm=judge, embeddings=embeddings).ascore(
                user_input=str(row[f.question]), response=response
            )
            return float(result.value)
        retrieved = list(out.get("retrieved_contexts") or [])
        reference = list(row.get(f.contexts) or [])
        if not reference:
            return math.nan  # nothing to recall, nothing to be precise about: not scored
        if not retrieved and metric is Metric.CONTEXT_RECALL:
            return 0.0  # a retrieval miss recalls none of the reference (ragas' max() of none)
        sample = SingleTurnSample(retrieved_contexts=retrieved, reference_contexts=reference)
        scorer = (
            NonLLMContextPrecisionWithReference()
            if metric is Metric.CONTEXT_PRECISION
            else NonLLMContextRecall()
        )
        return float(await scorer.single_turn_ascore(sample))

    async def run_all() -> list[float]:
        values = []
        for i, (row, out) in enumerate(zip(rows, outputs, strict=True)):
            values.append(math.nan if _failed(out) else await one(row, out))
            if progress is not None:
                progress(i + 1, len(rows))
        return values

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return np.asarray(asyncio.run(run_all()), dtype=np.float64)


def refused(out: Record) -> bool:
    """Did the model decline to answer (the output says so, or the answer reads as a refusal)?"""
    return bool(out.get("refused")) or bool(REFUSAL.search(str(out.get("response", ""))))


def _hallucinated(row: Record, out: Record, spec: SuiteSpec) -> float:
    flag = _flag(out, "hallucinated")
    if flag is not None:
        return float(flag)
    if refused(out):
        return 0.0  # a refusal asserts nothing: it is counted by refusal_rate, not here
    support = " ".join(
        [*(out.get("retrieved_contexts") or []), str(row.get(spec.fields.question, ""))]
    )
    return float(unsupported(str(out.get("response", "")), support))


def _cost(outputs: Sequence[Record], spec: SuiteSpec) -> np.ndarray:
    costs = []
    for out in outputs:
        model = out.get("model")
        price = spec.prices.get(str(model)) if model is not None else None
        if price is None and len(spec.prices) == 1:
            price = next(iter(spec.prices.values()))
        if price is None:
            raise UsageError(
                f"no price for model {model!r} in the suite's price table",
                hint="add it under spec.prices, or set model in the outputs",
            )
        cached = float(out.get("cached_input_tokens") or 0)
        uncached = float(out.get("input_tokens") or 0) - cached
        cached_price = (
            price.cached_input_per_1k
            if price.cached_input_per_1k is not None
            else (price.input_per_1k)
        )
        costs.append(
            (
                uncached * price.input_per_1k
                + cached * cached_price
                + float(out.get("output_tokens") or 0) * price.output_per_1k
            )
            / 1000.0
        )
    return np.asarray(costs, dtype=np.float64)


def _positive(value: Any) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "approve", "approved", "positive")


RAGAS = TEXT_METRICS - {Metric.HALLUCINATION}  # hallucination is govgate's own heuristic


@dataclass
class _Context:
    spec: SuiteSpec
    rows: Sequence[Record]
    outputs: Sequence[Record]
    result: Scored
    column: str
    reference: Sequence[Record]


def _flagged(
    ctx: _Context,
    flag: str,
    fallback: Callable[[Record, Record], float],
    heuristic: str,
    note: str | None = None,
) -> None:
    """A rate from ``flags.<flag>`` when the outputs carry it, else from ``fallback`` (the
    offline ``heuristic``); each part recorded with the items it measured."""
    values = [
        float(flagged) if (flagged := _flag(o, flag)) is not None else fallback(r, o)
        for r, o in zip(ctx.rows, ctx.outputs, strict=True)
    ]
    ctx.result.columns[ctx.column] = _nan_if_failed(ctx.outputs, values)
    source = ctx.spec.flag_sources.get(flag)  # type: ignore[call-overload]
    outside = (
        Measure(method=Method(source.method), by=source.by, version=source.version)
        if source is not None
        else Measure(method=Method.UNKNOWN, by=f"flags.{flag} in the outputs")
    )
    if _split(ctx, lambda o: _flag(o, flag) is not None, outside, heuristic) and note:
        ctx.result.notes.append(note)


def _split(
    ctx: _Context, given: Callable[[Record], bool], outside: Measure, heuristic: str
) -> bool:
    """Record how the column's scored items were measured: those the outputs gave a value for
    by ``outside``, the rest by govgate's ``heuristic``, each with its count. True when the
    heuristic measured any."""
    scored = [o for o in ctx.outputs if not _failed(o)]
    count = sum(given(o) for o in scored)
    name = ctx.column.split(".", 1)[1]
    if count:
        ctx.result.measures.setdefault(name, []).append(outside.model_copy(update={"items": count}))
    if count < len(scored):
        ctx.result.measured(name, Method.HEURISTIC, heuristic, items=len(scored) - count)
        return True
    return False


def _accuracy(ctx: _Context) -> None:
    label = ctx.spec.fields.label
    ctx.result.columns[ctx.column] = _nan_if_failed(
        ctx.outputs,
        [
            float(_positive(o.get("prediction")) == _positive(r.get(label)))
            for r, o in zip(ctx.rows, ctx.outputs, strict=True)
        ],
    )


def _positive_rate(ctx: _Context) -> None:
    ctx.result.columns[ctx.column] = _nan_if_failed(
        ctx.outputs, [float(_positive(o.get("prediction"))) for o in ctx.outputs]
    )


def _latency(ctx: _Context) -> None:
    latency = np.asarray([float(o.get("latency_ms", math.nan)) for o in ctx.outputs])
    ctx.result.columns[ctx.column] = latency
    present = latency[~np.isnan(latency)]
    if present.size:
        for q in (50, 90, 95, 99):
            ctx.result.metrics[f"latency_ms_p{q}"] = float(np.quantile(present, q / 100))


def _errors(ctx: _Context) -> None:
    ctx.result.columns[ctx.column] = np.asarray([float(_failed(o)) for o in ctx.outputs])


def _refusals(ctx: _Context) -> None:
    ctx.result.columns[ctx.column] = _nan_if_failed(
        ctx.outputs,
        [float(refused(o)) for o in ctx.outputs],
    )
    _split(
        ctx,
        lambda o: o.get("refused") is not None,
        Measure(method=Method.UNKNOWN, by="the outputs' refused field"),
        "govgate offline refusal phrases",
    )


def _tokens(ctx: _Context) -> None:
    for name in ("input_tokens", "output_tokens"):
        ctx.result.columns[f"score.{name}"] = np.asarray(
            [float(o.get(name) or 0) for o in ctx.outputs]
        )
    total = ctx.result.columns["score.input_tokens"] + ctx.result.columns["score.output_tokens"]
    ctx.result.metrics["tokens_per_request"] = float(np.mean(total))


def _costs(ctx: _Context) -> None:
    costs = _cost(ctx.outputs, ctx.spec)
    ctx.result.columns[ctx.column] = costs
    ctx.result.metrics["cost_usd_per_1k_requests"] = float(costs.mean() * 1000)
    succeeded = sum(not _failed(o) and not o.get("refused") for o in ctx.outputs)
    if succeeded:
        ctx.result.metrics["cost_usd_per_success"] = float(costs.sum() / succeeded)


def _toxicity(ctx: _Context) -> None:
    _flagged(
        ctx,
        "toxic",
        lambda r, o: float(bool(set(words(str(o.get("response", "")))) & TOXIC_TERMS)),
        "govgate offline toxic-term list",
        "toxicity: govgate's offline term list (no flags.toxic given)",
    )


def _pii(ctx: _Context) -> None:
    _flagged(
        ctx,
        "pii",
        lambda r, o: float(bool(PII.search(str(o.get("response", ""))))),
        "govgate offline PII patterns (email, phone, card number)",
        "pii: govgate's offline PII patterns (no flags.pii given)",
    )


def _policy_violation(ctx: _Context) -> None:
    def fallback(r: Record, o: Record) -> float:
        text = str(o.get("response", ""))
        return float(bool(PII.search(text) or BLOCKED.search(text)))

    _flagged(
        ctx,
        "policy_violation",
        fallback,
        "govgate offline PII patterns and blocked phrases",
        "policy_violation: PII patterns and blocked phrases (offline)",
    )


def _hallucination(ctx: _Context) -> None:
    _flagged(
        ctx,
        "hallucinated",
        lambda r, o: _hallucinated(r, o, ctx.spec),
        "govgate offline word overlap with the retrieved contexts",
        "hallucination: under half the answer's words found in the retrieved contexts "
        "(offline heuristic; refusals are not counted)",
    )


def _drift(ctx: _Context) -> None:
    found = drift(ctx.spec, ctx.rows, ctx.reference)
    ctx.result.metrics.update(found)
    for name in found:
        ctx.result.measured(name, Method.COMPUTED, "govgate: PSI, KS and share shift")


SCORERS: dict[Metric, Callable[[_Context], None]] = {
    Metric.ACCURACY: _accuracy,
    Metric.POSITIVE_RATE: _positive_rate,
    Metric.LATENCY: _latency,
    Metric.ERROR_RATE: _errors,
    Metric.REFUSAL_RATE: _refusals,
    Metric.TOKENS: _tokens,
    Metric.COST: _costs,
    Metric.TOXICITY: _toxicity,
    Metric.PII: _pii,
    Metric.POLICY_VIOLATION: _policy_violation,
    Metric.HALLUCINATION: _hallucination,
    Metric.DRIFT: _drift,
}


def _score_ragas(
    metric: Metric,
    column: str,
    spec: SuiteSpec,
    rows: Sequence[Record],
    outputs: Sequence[Record],
    result: Scored,
    judge: Any,
    embeddings: Any,
    progress: Progress | None,
) -> None:
    """One ragas metric's column, its notes (items left unscored, retrieval misses) and how it
    was measured."""
    if metric in (Metric.FAITHFULNESS, Metric.ANSWER_RELEVANCY) and judge is None:
        raise UsageError(
            f"the {metric.value} metric needs an LLM judge",
            hint="configure spec.judge, or remove the metric offline",
        )
    if metric is Metric.ANSWER_RELEVANCY and embeddings is None:
        raise UsageError("answer_relevancy needs embeddings as well as a judge")
    with scoped_environ(TELEMETRY_OFF):  # ragas reads its switch once, on first use
        values = _ragas_scores(metric, rows, outputs, spec, judge, embeddings, progress)
    result.columns[column] = values
    result.notes.append(f"{metric.value}: ragas")
    judged = metric in (Metric.FAITHFULNESS, Metric.ANSWER_RELEVANCY)
    result.measured(
        column.split(".", 1)[1],
        Method.JUDGE if judged else Method.COMPUTED,
        f"ragas {metric.value}",
        version=f"ragas {_ragas_version()}",
        detail=f"{spec.judge.provider} {spec.judge.model}"
        if judged and spec.judge is not None
        else None,
    )
    unscored = int(np.isnan(values).sum()) - sum(_failed(o) for o in outputs)
    if unscored:
        result.notes.append(
            f"{metric.value}: {unscored} item{'s' * (unscored != 1)} not scored (no "
            "reference contexts in the dataset, or a score ragas leaves undefined)"
        )
    if metric is Metric.CONTEXT_RECALL:
        misses = sum(
            not _failed(o) and not o.get("retrieved_contexts") and bool(r.get(spec.fields.contexts))
            for r, o in zip(rows, outputs, strict=True)
        )
        if misses:
            result.notes.append(
                f"context_recall: {misses} item{'s' * (misses != 1)} retrieved nothing, "
                "scored 0 (none of the reference recalled)"
            )


def score(
    spec: SuiteSpec,
    rows: Sequence[Record],
    outputs: Sequence[Record],
    *,
    reference: Sequence[Record] = (),
    judge: Any = None,
    embeddings: Any = None,
    progress: Progress | None = None,
) -> Scored:
    """Score aligned dataset rows and model outputs (same order, same ids)."""
    result = Scored()
    for group in spec.groups:
        # no value is null, which the gate labels "(missing)" (a real value so spelled is refused)
        result.columns[f"group.{group}"] = [
            None if r.get(group) is None else str(r[group]) for r in rows
        ]
    for metric_spec in spec.metrics:
        metric = metric_spec.metric
        column = column_for(metric_spec) or ""
        if metric in RAGAS:
            _score_ragas(metric, column, spec, rows, outputs, result, judge, embeddings, progress)
        else:
            SCORERS[metric](_Context(spec, rows, outputs, result, column, reference))
            for name, by in COMPUTED.get(metric, {}).items():
                produced = name.replace("{column}", column.split(".", 1)[-1])
                if produced in result.metrics or produced in _names(result):
                    result.measured(produced, Method.COMPUTED, by)
        if column and metric_spec.range is not None:
            result.ranges[column] = [float(v) for v in metric_spec.range]
        elif column and metric in UNIT_RANGE_METRICS:
            result.ranges[column] = [0.0, 1.0]
    for name, values in result.columns.items():
        if name.startswith(("rate.", "score.")):
            array = np.asarray(values, dtype=np.float64)
            if (~np.isnan(array)).any():
                result.metrics[name.split(".", 1)[1]] = float(np.nanmean(array))
    result.metrics["n_items"] = float(len(rows))
    result.measured("n_items", Method.COMPUTED, "govgate: the items scored")
    return result


def _names(result: Scored) -> set[str]:
    """The statistic names the scored columns give (``rate.x`` gives ``x``)."""
    return {name.split(".", 1)[1] for name in result.columns if "." in name}


def _ragas_version() -> str:
    from importlib.metadata import version

    return version("ragas")


#: what govgate computes itself, by metric: each name it logs ({column}: the metric's column
#: name) and how it is computed, as the run records it
COMPUTED: dict[Metric, dict[str, str]] = {
    Metric.ACCURACY: {"{column}": "govgate: prediction equals the label"},
    Metric.POSITIVE_RATE: {"{column}": "govgate: share of positive predictions"},
    Metric.LATENCY: {
        "{column}": "the outputs' latency_ms",
        **{
            f"latency_ms_p{q}": f"govgate: p{q} of the outputs' latency_ms"
            for q in (50, 90, 95, 99)
        },
    },
    Metric.ERROR_RATE: {"{column}": "the outputs' error field"},
    Metric.TOKENS: {
        "input_tokens": "the outputs' input_tokens",
        "output_tokens": "the outputs' output_tokens",
        "tokens_per_request": "govgate: mean input plus output tokens",
    },
    Metric.COST: {
        "{column}": "govgate: the outputs' tokens at the suite's prices",
        "cost_usd_per_1k_requests": "govgate: mean cost x 1,000",
        "cost_usd_per_success": "govgate: total cost / items neither failed nor refused",
    },
}
