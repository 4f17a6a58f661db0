"""How many items would likely settle an inconclusive rule, if the observed value held.

* **Rates** (Clopper-Pearson and the approximate rate methods): the exact figure. With the
  observed rate ``p`` held fixed, the smallest ``n`` at which the deciding bound of ``p * n``
  events in ``n`` items clears the threshold, found by search on the same bound function the
  gate uses. At zero events the bound shrinks like ``1 / n`` (not ``1 / sqrt(n)``): 0 events
  against a 1% ceiling at 95% needs 299 items, which this finds. The same search runs on the
  canary's confidence sequence (``stats/sequential.py``), which needs more: 442 items there.
* **Means, paired differences and fairness gaps/ratios**: a one-sided bound's distance from the
  point value shrinks like ``1 / sqrt(n)``, so the bound reaches the threshold at about
  ``n * (distance / gap)**2`` items, where ``gap`` is the value's distance from the threshold.
  A planning figure, stated as such; for fairness ``n`` is all items of the groups compared.

Computed only for the structured shorthands, whose threshold and deciding bound are known.
"""

from __future__ import annotations

import math

from scipy import stats as sps

from govgate.policy.compiled import CompiledRule, Subject
from govgate.stats import sequential as seq
from govgate.stats.bounds import Estimate, rate
from govgate.terms import RateMethod, SubjectKind

MAX_ESTIMATE = 10**9
RATE_METHODS: frozenset[str] = frozenset(RateMethod)

Observed = dict[str, float | int | str | bool | None]


def _needed(
    value: float, lower: float, upper: float, n: int, threshold: float, at_most: bool
) -> int | None:
    """Items for the deciding bound to clear ``threshold`` (value must be <= it if ``at_most``)."""
    if n <= 0 or value == threshold:
        return None
    below = value < threshold
    # at_most: pass needs upper <= T (value below), fail needs lower > T (value above)
    distance = (upper - value) if below == at_most else (value - lower)
    gap = abs(threshold - value)
    if not (math.isfinite(distance) and distance > 0):
        return None
    estimate = math.ceil(n * (distance / gap) ** 2)
    return estimate if n < estimate <= MAX_ESTIMATE else None


def rate_needed(
    p: float,
    n: int,
    threshold: float,
    at_most: bool,
    confidence: float,
    method: RateMethod,
    *,
    sequential: bool = False,
) -> int | None:
    """The smallest item count at which ``p * n`` events would settle the rule (exact search;
    ``sequential``: on the confidence sequence)."""
    if not (0.0 <= p <= 1.0) or p == threshold or n <= 0:
        return None
    below = p < threshold

    def settled(m: int) -> bool:
        k = p * m
        est: Estimate | None
        if sequential:  # the mixture is continuous in k: fractional counts need no rounding
            lower, upper = seq.rate_bounds(k, m, 1.0 - confidence)
            est = Estimate(p, m, lower, upper, confidence, seq.RATE_METHOD)
        else:
            est = rate(0, m, confidence, method) if k == 0 else None
        if est is None:  # a fractional event count: the bound is continuous in k
            est = _rate_real(k, m, confidence, method)
        if below == at_most:  # the pass side: the bound on the far side must clear T
            bound = est.upper if at_most else est.lower
            assert bound is not None
            return bound <= threshold if at_most else bound >= threshold
        bound = est.lower if at_most else est.upper
        assert bound is not None
        return bound > threshold if at_most else bound < threshold

    lo, hi = n, n
    while not settled(hi):
        lo, hi = hi, hi * 2
        if hi > MAX_ESTIMATE:
            return None
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if settled(mid):
            hi = mid
        else:
            lo = mid
    return hi if hi > n else None


def _rate_real(k: float, n: int, confidence: float, method: RateMethod) -> Estimate:
    """Bounds for a fractional event count (``p * n``), so the search is monotone in n."""
    if method is not RateMethod.CLOPPER_PEARSON:
        return rate(min(n, max(0, round(k))), n, confidence, method)
    alpha = 1.0 - confidence
    lower = 0.0 if k <= 0 else float(sps.beta.ppf(alpha, k, n - k + 1))
    upper = 1.0 if k >= n else float(sps.beta.ppf(confidence, k + 1, n - k))
    return Estimate(k / n, n, lower, upper, confidence, method)


def _num(observed: Observed, path: str) -> float | None:
    value = observed.get(path)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _fairness_needed(subject: Subject, observed: Observed) -> int | None:
    base = subject.path
    total = sum(
        int(v)
        for path, v in observed.items()
        if path.startswith(f"{base}.groups[") and path.endswith("].n") and isinstance(v, int)
    )
    name = subject.threshold_kind or "max_gap"
    fields = (name, f"{name}_lower", f"{name}_upper")
    values = [_num(observed, f"{base}.{f}") for f in fields]
    if any(v is None for v in values) or total <= 0 or subject.threshold is None:
        return None
    value, lower, upper = (float(v) for v in values)  # type: ignore[arg-type]
    return _needed(value, lower, upper, total, subject.threshold, bool(subject.at_most))


def samples_needed(rule: CompiledRule, observed: Observed) -> int | None:
    """Items needed for the bound to clear the threshold, if the effect stays as observed;
    read from the rule's :class:`Subject`, as compiled (``None`` when no model applies)."""
    s = rule.subject
    if s.path is None or s.threshold is None or s.at_most is None:
        return None
    base, limit, at_most = s.path, s.threshold, s.at_most
    match s.kind:
        case SubjectKind.FAIRNESS:
            return _fairness_needed(s, observed)
        case SubjectKind.STAT:
            method = observed.get(f"{base}.method")
            value, n = _num(observed, f"{base}.value"), _num(observed, f"{base}.n")
            sequential = method == seq.RATE_METHOD
            if (method in RATE_METHODS or sequential) and value is not None and n is not None:
                rate_method = RateMethod(RateMethod.CLOPPER_PEARSON if sequential else str(method))
                return rate_needed(
                    value,
                    int(n),
                    float(limit),
                    at_most,
                    rule.confidence,
                    rate_method,
                    sequential=sequential,
                )
            fields = ("value", "lower", "upper", "n")
        case SubjectKind.DELTA:
            if s.threshold_kind == "margin_ratio":
                baseline = _num(observed, f"{s.baseline}.value") if s.baseline else None
                if baseline is None:
                    return None
                limit = limit * baseline
            limit = limit if at_most else -limit
            fields = ("delta", "delta_lower", "delta_upper", "n")
        case _:
            return None
    values = [_num(observed, f"{base}.{f}") for f in fields]
    if any(v is None for v in values):
        return None
    value, lower, upper, n = (float(v) for v in values)  # type: ignore[arg-type]
    return _needed(value, lower, upper, int(n), float(limit), at_most)
