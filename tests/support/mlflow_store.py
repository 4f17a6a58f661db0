"""Build real MLflow stores for tests: runs, tags, per-item tables, registered models."""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

SECRET = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"


#: Score columns the helpers fill with values in [0, 1], declared as such on their runs.
UNIT_SCORES = frozenset({"score.answer_similarity", "score.context_recall"})


def items_frame(n: int, toxic: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rate = np.zeros(n, dtype=int)
    rate[:toxic] = 1
    return pd.DataFrame(
        {
            "item_id": [f"q{i:05d}" for i in range(n)],
            "ts": 1_700_000_000.0 + np.arange(n),  # arrival, one a second: canaries need it
            "rate.toxicity_rate": rate,
            "score.answer_similarity": rng.random(n),
            "latency.latency_ms": rng.gamma(2.0, 300.0, n),
            "group.language": np.where(np.arange(n) % 3 == 0, "de", "en"),
            "meta.prompt": [f"prompt {i} with {SECRET}" for i in range(n)],  # must never be copied
        }
    )


@dataclass
class StoreBuilder:
    client: Any
    tmp: Path
    clock: int = 1_700_000_000_000
    ids: dict[str, str] = field(default_factory=dict)

    def experiment(self, name: str) -> str:
        found = self.client.get_experiment_by_name(name)
        if found:
            return str(found.experiment_id)
        location = (self.tmp / "artifacts" / name).as_uri()
        return str(self.client.create_experiment(name, artifact_location=location))

    def run(
        self,
        label: str,
        experiment: str = "rag-evals",
        *,
        tags: dict[str, str] | None = None,
        metrics: dict[str, float | list[float]] | None = None,
        params: dict[str, str] | None = None,
        items: pd.DataFrame | None = None,
        items_format: str = "parquet",
        status: str = "FINISHED",
        ranges: dict[str, list[float]] | None = None,
    ) -> str:
        self.clock += 1000
        tags = dict(tags or {})
        if items is not None and "govgate.ranges" not in tags:
            # what `govgate eval run` declares for ragas scores: they lie in [0, 1]
            declared = (
                ranges
                if ranges is not None
                else {c: [0.0, 1.0] for c in items.columns if c in UNIT_SCORES}
            )
            if declared:
                tags["govgate.ranges"] = json.dumps(declared, sort_keys=True)
        run = self.client.create_run(
            self.experiment(experiment), start_time=self.clock, tags=tags, run_name=label
        )
        run_id: str = run.info.run_id
        for key, value in (metrics or {}).items():
            for step, v in enumerate(value if isinstance(value, list) else [value]):
                self.client.log_metric(run_id, key, v, step=step, timestamp=self.clock + step)
        for key, text in (params or {}).items():
            self.client.log_param(run_id, key, text)
        if items is not None:
            folder = Path(tempfile.mkdtemp(dir=self.tmp))
            if items_format == "parquet":
                path = folder / "items.parquet"
                items.to_parquet(path)
            else:
                path = folder / "items.json"
                path.write_text(items.to_json(orient="split", index=False))
            self.client.log_artifact(run_id, str(path), "govgate")
        if status != "RUNNING":
            self.client.set_terminated(run_id, status=status, end_time=self.clock + 500)
        self.ids[label] = run_id
        return run_id

    def eval_run(self, label: str, model: str, version: str, stage: str, **kw: Any) -> str:
        tags = {
            "govgate.model.name": model,
            "govgate.model.version": version,
            "govgate.stage": stage,
            **kw.pop("tags", {}),
        }
        return self.run(label, tags=tags, **kw)

    def version(self, model: str, run_id: str | None, tags: dict[str, str] | None = None) -> str:
        if not self.client.search_registered_models(filter_string=f"name = '{model}'"):
            self.client.create_registered_model(model)
        source = f"runs:/{run_id}/model" if run_id else "s3://models/elsewhere"
        mv = self.client.create_model_version(model, source, run_id=run_id, tags=tags or {})
        return str(mv.version)


def populate(client: Any, tmp: Path) -> dict[str, str]:
    """The store every evidence test reads. Returns run ids by label."""
    b = StoreBuilder(client, tmp)
    common = {"max_tokens": "512", "openai_api_key": SECRET, "prompt_note": f"key {SECRET}"}
    base = b.eval_run(
        "baseline",
        "rag-assistant",
        "1",
        "canary",
        metrics={"toxicity_rate": 0.004, "error_rate": [0.01, 0.02, 0.015], "broken": float("nan")},
        params=common,
        items=items_frame(600, 2, seed=1),
        tags={"team": "assistant", "internal.note": "not allow-listed"},
    )
    cand = b.eval_run(
        "candidate",
        "rag-assistant",
        "2",
        "canary",
        metrics={"toxicity_rate": 0.006, "error_rate": 0.01},
        params=common,
        items=items_frame(600, 4, seed=2),
        items_format="json",
    )
    b.version("rag-assistant", base, tags={"govgate.model.digest": "sha256:" + "ab" * 32})
    b.version("rag-assistant", cand)
    client.set_registered_model_alias("rag-assistant", "champion", "1")
    client.set_registered_model_alias("rag-assistant", "challenger", "2")
    # dataset input on the baseline run
    from mlflow.entities import Dataset, DatasetInput, InputTag

    client.log_inputs(
        base,
        datasets=[
            DatasetInput(
                Dataset("rag-questions", "d1g3st", "local", "https://u:pw@data.example/q.jsonl"),
                [InputTag("mlflow.data.context", "eval")],
            )
        ],
    )
    # a version whose only run is its source run (no govgate tags)
    source = b.run("source-only", metrics={"toxicity_rate": 0.001})
    b.version("fallback-model", source)
    # two finished evaluation runs for one version and stage
    b.eval_run("amb-1", "ambiguous-model", "1", "canary")
    b.eval_run("amb-2", "ambiguous-model", "1", "canary")
    b.version("ambiguous-model", None)
    # an evaluation run still running
    b.eval_run("busy", "running-model", "1", "shadow", status="RUNNING")
    b.version("running-model", None)
    # a failed evaluation run, and nothing else
    b.eval_run("failed-eval", "failed-model", "1", "shadow", status="FAILED")
    b.version("failed-model", None)
    # a version with no evaluation run and no source run
    b.version("orphan-model", None)
    # runs by id
    b.run("failed", status="FAILED")
    b.run("running", status="RUNNING")
    b.eval_run("offline-run", "rag-assistant", "3", "offline")
    # search: newest finished wins; newest running is an error
    b.run("team-a-old", "search-exp", tags={"team": "a"})
    b.run("team-a-new", "search-exp", tags={"team": "a"})
    b.run("team-b-old", "search-exp", tags={"team": "b"})
    b.run("team-b-busy", "search-exp", tags={"team": "b"}, status="RUNNING")
    return b.ids


def rag_items(n: int, *, toxic: float, seed: int, quality_shift: float = 0.0) -> pd.DataFrame:
    """Per-item results carrying everything the shipped RAG policies read."""
    rng = np.random.default_rng(seed)
    base_quality = np.clip(rng.normal(0.78, 0.12, n), 0, 1)
    return pd.DataFrame(
        {
            "item_id": [f"rag-{i:05d}" for i in range(n)],
            "ts": 1_700_000_000.0 + np.arange(n),  # arrival: a canary is judged in this order
            "rate.toxicity_rate": (rng.random(n) < toxic).astype(int),
            "rate.hallucination_rate": (rng.random(n) < 0.01).astype(int),
            "rate.policy_violation_rate": np.zeros(n, dtype=int),
            "rate.error_rate": (rng.random(n) < 0.004).astype(int),
            "score.answer_similarity": np.clip(
                base_quality + quality_shift + rng.normal(0, 0.02, n), 0, 1
            ),
            "score.context_recall": np.clip(rng.normal(0.9, 0.05, n), 0, 1),
            "latency.latency_ms": rng.gamma(2.0, 300.0, n),
            "group.language": rng.choice(["en", "de", "fr"], n),
        }
    )


def credit_items(n: int, *, young_penalty: float, seed: int) -> pd.DataFrame:
    """Per-item results carrying everything the shipped credit-risk policy reads."""
    rng = np.random.default_rng(seed)
    band = rng.choice(["18-25", "26-40", "41-65", "65+"], n)
    young = band == "18-25"
    return pd.DataFrame(
        {
            "item_id": [f"app-{i:06d}" for i in range(n)],
            "ts": 1_700_000_000.0 + np.arange(n),
            "rate.accuracy": (rng.random(n) < np.where(young, 0.93 - young_penalty, 0.93)).astype(
                int
            ),
            "rate.approval_rate": (
                rng.random(n) < np.where(young, 0.60 - young_penalty, 0.60)
            ).astype(int),
            "group.age_band": band,
        }
    )
