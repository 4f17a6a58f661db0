"""Multiple comparisons: Holm's step-down adjustment (controls the family-wise error rate)."""

from __future__ import annotations


def holm(p_values: list[float | None]) -> list[float | None]:
    """Holm-adjusted p-values, in the input order; ``None`` entries stay ``None``."""
    indexed = sorted((p, i) for i, p in enumerate(p_values) if p is not None)
    m = len(indexed)
    adjusted: list[float | None] = [None] * len(p_values)
    running = 0.0
    for rank, (p, i) in enumerate(indexed):
        running = max(running, min(1.0, (m - rank) * p))
        adjusted[i] = running
    return adjusted
