"""A canary in a real MLflow store, for the tests and the benchmark of ``govgate serve``.

One registered model with a champion (version 1, ``@champion``) and one candidate version per
verdict, each with a FINISHED evaluation run tagged for the canary stage and a per-item table,
and the policy that judges them: a rollback rule on the error rate and a blocking safety
ceiling on toxicity, both judged on exact (Clopper-Pearson) bounds.

| label (version) | items | errors | toxic | verdict |
| --- | --- | --- | --- | --- |
| 1 (champion) | n | 0.5% | 1% | (the baseline) |
| pass | n | 0.5% | 1% | PASS |
| rollback | n | 6% | 1% | ROLLBACK (the error rate's lower bound is over 2%) |
| fail | n | 0.5% | 12% | FAIL (toxicity's lower bound is over 5%) |
| inconclusive | 40 | 0 | 0 | INCONCLUSIVE (40 items cannot show either) |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from tests.support.mlflow_store import StoreBuilder

MODEL = "canary-model"
EXPERIMENT = "canary-evals"

POLICY = """apiVersion: govgate/v1
kind: Policy
metadata: {name: canary-judge, version: "1", owners: [oncall@example.com]}
spec:
  stages: [canary]
  confidence: 0.95
  rules:
    - id: canary-error-rate
      category: rollback
      threshold: {metric: error_rate, max: 0.02}
    - id: toxicity-ceiling
      category: safety
      threshold: {metric: toxicity_rate, max: 0.05}
"""

#: label -> (items, error rate, toxicity rate); the champion is version 1
VERSIONS: dict[str, tuple[int | None, float, float]] = {
    "champion": (None, 0.005, 0.01),
    "pass": (None, 0.005, 0.01),
    "rollback": (None, 0.06, 0.01),
    "fail": (None, 0.005, 0.12),
    "inconclusive": (40, 0.0, 0.0),
}
EXPECTED = {"pass": "pass", "rollback": "rollback", "fail": "fail", "inconclusive": "inconclusive"}


def items(n: int, *, errors: float, toxic: float, seed: int) -> pd.DataFrame:
    """``n`` items with exactly ``round(errors * n)`` errors and ``round(toxic * n)`` toxic
    answers, in a seeded order."""
    rng = np.random.default_rng(seed)
    error = np.zeros(n, dtype=int)
    error[: round(errors * n)] = 1
    toxicity = np.zeros(n, dtype=int)
    toxicity[: round(toxic * n)] = 1
    return pd.DataFrame(
        {
            "item_id": [f"req-{i:07d}" for i in range(n)],
            # arrival times (seconds since the epoch): canary bounds are confidence sequences
            # over the items in this order, valid however often the controller looks
            "ts": 1_790_000_000.0 + np.arange(n, dtype=float),
            "rate.error_rate": rng.permutation(error),
            "rate.toxicity_rate": rng.permutation(toxicity),
        }
    )


def write_policies(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "canary.yaml").write_text(POLICY)
    return folder


def build(
    client: Any,
    tmp: Path,
    *,
    n: int = 2000,
    model: str = MODEL,
    experiment: str = EXPERIMENT,
    labels: tuple[str, ...] = tuple(VERSIONS),
) -> dict[str, str]:
    """The canary store (``labels``: which versions, in order, the champion first): returns
    ``label -> models:/MODEL/VERSION`` and ``label-run -> run id``."""
    builder = StoreBuilder(client, tmp)
    refs: dict[str, str] = {}
    for seed, label in enumerate(labels):
        size, errors, toxic = VERSIONS[label]
        version = str(seed + 1)
        run_id = builder.eval_run(
            f"{model}-{label}",
            model,
            version,
            "canary",
            experiment=experiment,
            items=items(size or n, errors=errors, toxic=toxic, seed=seed),
        )
        registered = builder.version(model, run_id)
        assert registered == version, (registered, version)
        refs[label] = f"models:/{model}/{version}"
        refs[f"{label}-run"] = run_id
    client.set_registered_model_alias(model, "champion", "1")
    return refs
