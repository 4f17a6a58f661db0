"""The model registry's names, read for ``govgate validate --tracking-uri`` (selectors)."""

from __future__ import annotations

from govgate.evidence.mlflow.source import MlflowSource

#: registered models read at most (a registry larger than this is named as such)
MAX_MODELS = 10_000


def registered_model_names(source: MlflowSource) -> tuple[list[str], bool]:
    """Every registered model's name, sorted, and whether the read stopped at MAX_MODELS."""
    names: list[str] = []
    token: str | None = None
    while len(names) < MAX_MODELS:
        page = source.call(
            "listing registered models",
            source.client.search_registered_models,
            max_results=1000,
            page_token=token,
        )
        names.extend(m.name for m in page)
        token = getattr(page, "token", None)
        if not token:
            return sorted(names), False
    return sorted(names[:MAX_MODELS]), True
