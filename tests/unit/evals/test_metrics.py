"""Metrics: each produces per-item columns the gate can bound, and honest aggregates."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from govgate.errors import UsageError
from govgate.evals.heuristics import drift
from govgate.evals.metrics import score
from govgate.evals.suite import Metric, MetricSpec, SuiteSpec

if TYPE_CHECKING:
    from ragas.llms.base import InstructorBaseRagasLLM


def spec(*metrics: str | Mapping[str, object], task: str = "rag_qa", **extra: Any) -> SuiteSpec:
    data = {
        "task": task,
        "dataset": "d.jsonl",
        "metrics": [{"metric": m} if isinstance(m, str) else m for m in metrics],
        **extra,
    }
    return SuiteSpec.model_validate_json(json.dumps(data), strict=True)


ROWS = [
    {
        "id": "a",
        "question": "What is the return window?",
        "reference": "Returns within 30 days.",
        "reference_contexts": ["Returns are accepted within 30 days."],
    },
    {
        "id": "b",
        "question": "Is shipping free?",
        "reference": "Shipping is free over 50 euros.",
        "reference_contexts": ["Shipping is free for orders over 50 euros."],
    },
    {
        "id": "c",
        "question": "Warranty?",
        "reference": "Two years.",
        "reference_contexts": ["Two year warranty."],
    },
]
OUTPUTS = [
    {
        "id": "a",
        "response": "Returns within 30 days.",
        "retrieved_contexts": ["Returns are accepted within 30 days."],
        "latency_ms": 100,
        "input_tokens": 1000,
        "cached_input_tokens": 600,
        "output_tokens": 100,
        "model": "m",
    },
    {
        "id": "b",
        "response": "You idiot, read the FAQ. Call +49 170 1234567.",
        "retrieved_contexts": ["Unrelated text."],
        "latency_ms": 300,
        "input_tokens": 500,
        "output_tokens": 50,
        "model": "m",
    },
    {
        "id": "c",
        "response": "",
        "error": True,
        "latency_ms": 5000,
        "input_tokens": 400,
        "output_tokens": 0,
        "model": "m",
    },
]


def test_ragas_offline_metrics_and_failed_items() -> None:
    result = score(
        spec("answer_similarity", "exact_match", "context_recall", "rouge"), ROWS, OUTPUTS
    )
    similarity = result.columns["score.answer_similarity"]
    assert similarity[0] == pytest.approx(1.0)
    assert 0.0 <= similarity[1] < 0.6
    assert math.isnan(similarity[2])  # the call failed: not scored, never zero
    assert result.columns["rate.exact_match"][:2].tolist() == [1.0, 0.0]
    assert result.columns["score.context_recall"][0] == pytest.approx(1.0)
    assert result.metrics["answer_similarity"] == pytest.approx(np.nanmean(similarity))
    assert "answer_similarity: ragas" in result.notes


def test_operational_metrics_and_cost() -> None:
    prices = {"m": {"input_per_1k": 1.0, "output_per_1k": 2.0, "cached_input_per_1k": 0.5}}
    result = score(spec("latency", "error_rate", "tokens", "cost", prices=prices), ROWS, OUTPUTS)
    assert result.columns["latency.latency_ms"].tolist() == [100.0, 300.0, 5000.0]
    assert result.metrics["latency_ms_p50"] == 300.0
    assert result.columns["rate.error_rate"].tolist() == [0.0, 0.0, 1.0]
    # (400 uncached * 1 + 600 cached * 0.5 + 100 out * 2) / 1000 = 0.9; (500 + 100) / 1000 = 0.6
    assert result.columns["score.cost_usd"].tolist() == pytest.approx([0.9, 0.6, 0.4])
    assert result.metrics["cost_usd_per_1k_requests"] == pytest.approx(1000 * (0.9 + 0.6 + 0.4) / 3)
    assert result.metrics["cost_usd_per_success"] == pytest.approx((0.9 + 0.6 + 0.4) / 2)
    assert result.metrics["tokens_per_request"] == pytest.approx((1100 + 550 + 400) / 3)


def test_declared_ranges_are_recorded_for_the_gate() -> None:
    """A suite's `range:` and the [0, 1] of ragas scores reach the run's govgate.ranges tag;
    a metric with no known range is not given one."""
    result = score(
        spec({"metric": "latency", "range": [0, 30000]}, "answer_similarity", "tokens"),
        ROWS,
        OUTPUTS,
    )
    assert result.ranges == {
        "latency.latency_ms": [0.0, 30000.0],
        "score.answer_similarity": [0.0, 1.0],
    }
    with pytest.raises(ValueError, match="finite low < high"):
        spec({"metric": "latency", "range": [10, 0]})


def test_safety_defaults_are_heuristics_and_flags_override_them() -> None:
    result = score(spec("toxicity", "pii", "policy_violation", "hallucination"), ROWS, OUTPUTS)
    assert result.columns["rate.toxicity_rate"][:2].tolist() == [0.0, 1.0]
    assert result.columns["rate.pii_rate"][:2].tolist() == [0.0, 1.0]
    assert result.columns["rate.policy_violation_rate"][:2].tolist() == [0.0, 1.0]
    assert result.columns["rate.hallucination_rate"][:2].tolist() == [0.0, 1.0]
    assert math.isnan(result.columns["rate.toxicity_rate"][2])
    assert any("offline term list" in n for n in result.notes)
    flagged = [dict(o, flags={"toxic": False, "hallucinated": False}) for o in OUTPUTS]
    again = score(spec("toxicity", "hallucination"), ROWS, flagged)
    assert again.columns["rate.toxicity_rate"][:2].tolist() == [0.0, 0.0]
    assert not any("offline" in n for n in again.notes)


def test_classification_and_renamed_metric() -> None:
    rows = [{"id": str(i), "label": i % 2, "band": "a" if i < 4 else "b"} for i in range(8)]
    outputs = [{"id": str(i), "prediction": 1 if i in (1, 3, 4) else 0} for i in range(8)]
    s = spec(
        "accuracy",
        {"metric": "positive_rate", "name": "approval_rate"},
        task="classification",
        groups=["band"],
    )
    result = score(s, rows, outputs)
    assert result.columns["rate.accuracy"].tolist() == [1, 1, 1, 1, 0, 0, 1, 0]
    assert result.columns["rate.approval_rate"].tolist() == [0, 1, 0, 1, 1, 0, 0, 0]
    assert result.columns["group.band"] == ["a"] * 4 + ["b"] * 4


def test_drift_psi_ks_and_share_shift() -> None:
    rng = np.random.default_rng(0)
    reference = [
        {"x": float(v), "region": "north" if v > 0 else "south"} for v in rng.normal(0, 1, 3000)
    ]
    same = [
        {"x": float(v), "region": "north" if v > 0 else "south"} for v in rng.normal(0, 1, 3000)
    ]
    shifted = [{"x": float(v), "region": "north"} for v in rng.normal(1, 1, 3000)]
    s = spec(
        "drift",
        task="classification",
        drift={"reference": "r.jsonl", "numeric": ["x"], "categorical": ["region"]},
    )
    calm, moved = drift(s, same, reference), drift(s, shifted, reference)
    assert calm["psi_x"] < 0.02 < 0.2 < moved["psi_x"]
    assert calm["ks_x"] < 0.05 < moved["ks_x"]
    assert moved["share_shift_region"] == pytest.approx(0.5, abs=0.03)
    assert moved["psi_max"] == moved["psi_x"]


@pytest.mark.parametrize(
    ("metrics", "task", "extra", "words"),
    [
        (["rouge"], "classification", {}, "need a text task"),
        (["accuracy"], "rag_qa", {}, "need task: classification"),
        (["drift"], "classification", {}, "needs spec.drift"),
        (["cost"], "rag_qa", {}, "needs spec.prices"),
    ],
)
def test_inconsistent_suites_are_refused(
    metrics: list[str], task: str, extra: dict[str, Any], words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        spec(*metrics, task=task, **extra)


def test_judged_metrics_need_a_judge() -> None:
    with pytest.raises(UsageError, match="needs an LLM judge"):
        score(spec("faithfulness"), ROWS, OUTPUTS)


def fake_judge() -> InstructorBaseRagasLLM:
    """A deterministic judge behind ragas' own instructor-based LLM interface.

    Statements are the response's sentences; a statement is faithful when most of its words
    appear in the context the prompt carries; generated questions are the response itself.
    """
    from ragas.llms.base import InstructorBaseRagasLLM

    class Judge(InstructorBaseRagasLLM):
        def generate(self, prompt: str, response_model: Any) -> Any:
            raise NotImplementedError

        async def agenerate(self, prompt: str, response_model: Any) -> Any:
            name = response_model.__name__
            if name == "StatementGeneratorOutput":
                answer = prompt.rsplit("answer", 1)[-1]
                sentences = [s.strip() for s in re.split(r"[.!?]", answer) if len(s.split()) > 2]
                return response_model(statements=sentences[:3] or ["nothing"])
            if name == "NLIStatementOutput":
                context = prompt.lower()
                statements = re.findall(r'"([^"]{5,})"', prompt)[-3:] or ["nothing"]
                judged = []
                for statement in statements:
                    words = [w for w in re.findall(r"[a-z]+", statement.lower()) if len(w) > 3]
                    support = sum(w in context for w in words) / max(len(words), 1)
                    judged.append(
                        {
                            "statement": statement,
                            "reason": "overlap",
                            "verdict": int(support > 0.5),
                        }
                    )
                return response_model(statements=judged)
            if name == "AnswerRelevanceOutput":
                return response_model(question="What is the return window?", noncommittal=0)
            raise AssertionError(f"unexpected response model {name}")

    return Judge()


def test_llm_judged_metrics_through_ragas_interfaces_with_a_fake() -> None:
    from ragas.embeddings.base import BaseRagasEmbedding

    class Embeddings(BaseRagasEmbedding):
        def embed_text(self, text: str, **kw: Any) -> list[float]:
            vector = np.zeros(64)
            for word in re.findall(r"[a-z]+", text.lower()):
                vector[sum(map(ord, word)) % 64] += 1
            return [float(v) for v in vector / (np.linalg.norm(vector) or 1)]

        async def aembed_text(self, text: str, **kw: Any) -> list[float]:
            return self.embed_text(text)

    result = score(
        spec("faithfulness", "answer_relevancy"),
        ROWS[:1],
        OUTPUTS[:1],
        judge=fake_judge(),
        embeddings=Embeddings(),
    )
    assert 0.0 <= result.columns["score.faithfulness"][0] <= 1.0
    assert result.columns["score.answer_relevancy"][0] == pytest.approx(1.0, abs=1e-6)
    assert MetricSpec(metric=Metric.FAITHFULNESS).metric is Metric.FAITHFULNESS


def _methods(result: Any, name: str) -> list[tuple[str, str, int | None]]:
    return [(m.method.value, m.by, m.items) for m in result.measures[name]]


def test_every_number_records_how_it_was_measured() -> None:
    """Flags from the outputs are recorded with the source the suite declares (or unknown);
    items without a flag are the heuristic's, counted; ragas and govgate's own arithmetic say
    which metric and version."""
    half = [dict(o, flags={"toxic": False}) if o["id"] == "a" else o for o in OUTPUTS]
    sources = {"toxic": {"method": "classifier", "by": "detox-large", "version": "2.1"}}
    prices = {"m": {"input_per_1k": 1.0, "output_per_1k": 2.0}}
    result = score(
        spec("toxicity", "hallucination", "answer_similarity", "cost", "latency",
             flag_sources=sources, prices=prices),
        ROWS, half,
    )  # fmt: skip
    # item c failed (not scored); a carries the classifier's flag, b the term list's verdict
    assert _methods(result, "toxicity_rate") == [
        ("classifier", "detox-large", 1),
        ("heuristic", "govgate offline toxic-term list", 1),
    ]
    assert result.measures["toxicity_rate"][0].version == "2.1"
    assert _methods(result, "hallucination_rate") == [
        ("heuristic", "govgate offline word overlap with the retrieved contexts", 2)
    ]
    (ragas,) = result.measures["answer_similarity"]
    assert (ragas.method.value, ragas.by) == ("computed", "ragas answer_similarity")
    assert ragas.version is not None
    assert ragas.version.startswith("ragas 0.")
    assert _methods(result, "cost_usd_per_1k_requests") == [
        ("computed", "govgate: mean cost x 1,000", None)
    ]
    assert _methods(result, "latency_ms_p95")[0][0] == "computed"
    assert set(result.metrics) <= set(result.measures)  # no logged number goes unexplained
    undeclared = score(spec("toxicity"), ROWS, half)
    assert _methods(undeclared, "toxicity_rate")[0] == ("unknown", "flags.toxic in the outputs", 1)


def test_a_refusal_is_not_a_hallucination() -> None:
    outputs = [
        {"id": "a", "response": "I can't help with that request.", "retrieved_contexts": ["x"]},
        {"id": "b", "response": "Mars has seven purple moons.", "retrieved_contexts": ["Mars"]},
    ]
    result = score(spec("hallucination", "refusal_rate"), ROWS[:2], outputs)
    assert result.columns["rate.hallucination_rate"].tolist() == [0.0, 1.0]
    assert result.columns["rate.refusal_rate"].tolist() == [1.0, 0.0]


def test_missing_contexts_are_scored_as_the_metric_defines_or_left_unscored() -> None:
    """A retrieval miss recalls none of the reference (0), a row without reference contexts
    gives nothing to score against (not scored, counted in the notes): never a crash."""
    rows = [
        dict(ROWS[0]),
        dict(ROWS[1]),
        {k: v for k, v in ROWS[2].items() if k != "reference_contexts"},
    ]
    outputs: list[dict[str, Any]] = [
        {"id": "a", "response": "x", "retrieved_contexts": []},
        {"id": "b", "response": "x"},  # no retrieved_contexts at all
        {"id": "c", "response": "x", "retrieved_contexts": ["Two year warranty."]},
    ]
    result = score(spec("context_recall", "context_precision"), rows, outputs)
    recall = result.columns["score.context_recall"]
    assert recall[:2].tolist() == [0.0, 0.0]
    assert math.isnan(recall[2])
    precision = result.columns["score.context_precision"]
    assert precision[:2].tolist() == [0.0, 0.0]  # ragas' own value when nothing was retrieved
    assert math.isnan(precision[2])
    assert (
        "context_recall: 2 items retrieved nothing, scored 0 (none of the reference recalled)"
        in (result.notes)
    )
    assert any(n.startswith("context_precision: 1 item not scored") for n in result.notes)
