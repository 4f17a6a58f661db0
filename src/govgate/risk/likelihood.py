"""How likely a rule that did not pass is to breach in truth, from its own statistics."""

from __future__ import annotations

import math
from typing import Any

from scipy import stats as sps

from govgate.gate.outcome import RuleResult
from govgate.policy.compiled import NO_SUBJECT
from govgate.risk.matrix import band
from govgate.risk.model import Likelihood
from govgate.stats.sequential import RATE_METHOD as RATE_CS
from govgate.terms import Outcome, SubjectKind


def _like(p: float | None, basis: str, without: str = "no bound") -> Likelihood:
    if p is None:
        return Likelihood(probability=None, band=None, basis=without)
    return Likelihood(probability=p, band=band(p), basis=basis)


def _obs(rule: RuleResult) -> dict[str, Any]:
    return {o.path: o.value for o in rule.observed}


def likelihood(rule: RuleResult) -> tuple[Likelihood, dict[str, Any]]:
    """P(true value breaches the threshold | evidence), and the numbers it was computed from."""
    sub = rule.subject or NO_SUBJECT
    unit, kind = sub.path, sub.kind
    obs = _obs(rule)
    facts: dict[str, Any] = {}
    if (
        kind == SubjectKind.STAT and unit is not None and sub.threshold is None
    ):  # a custom expression
        facts = {
            "observed": obs.get(f"{unit}.value"),
            "n": obs.get(f"{unit}.n"),
            "lower": obs.get(f"{unit}.lower"),
            "upper": obs.get(f"{unit}.upper"),
        }
    if kind is None or sub.threshold is None:
        return Likelihood(
            probability=None, band=None, basis="custom expression: no likelihood is computed"
        ), facts
    if rule.outcome in (Outcome.GAP, Outcome.ERROR):
        return Likelihood(
            probability=None, band=None, basis="the evidence for it is missing or unusable"
        ), facts
    if kind == SubjectKind.POINT:
        facts = {"observed": obs.get(unit) if unit else None}
        breached = rule.outcome in (Outcome.FAIL,) or (
            rule.waiver is not None and rule.waiver.waived_outcome is Outcome.FAIL
        )
        p = 1.0 if breached else 0.0
        return Likelihood(
            probability=p, band=band(p), basis="decided on a logged point value: no sampling model"
        ), facts
    assert unit is not None
    threshold = sub.threshold
    z = float(sps.norm.ppf(rule.confidence))
    if kind == SubjectKind.STAT:
        value, n = obs.get(f"{unit}.value"), obs.get(f"{unit}.n")
        lower, upper = obs.get(f"{unit}.lower"), obs.get(f"{unit}.upper")
        method = str(obs.get(f"{unit}.method", ""))
        at_most = bool(sub.at_most)
        bound, bound_kind = (upper, "upper") if at_most else (lower, "lower")
        facts = {"observed": value, "lower": lower, "upper": upper, "n": n}
        if value is None or n is None or threshold is None:
            return Likelihood(probability=None, band=None, basis="no estimate"), facts
        # a rate, however its bounds were computed (a canary's confidence sequence too): the
        # likelihood is the posterior's, which does not depend on how often it was looked at
        if method in ("clopper-pearson", "approximate-wilson", "approximate-jeffreys", RATE_CS):
            k = round(float(value) * int(n))
            if rule.outcome is Outcome.INCONCLUSIVE and k == (0 if at_most else int(n)):
                # no event to estimate from: the posterior would be the prior's, not the data's
                return Likelihood(
                    probability=None,
                    band=None,
                    basis=f"no {'events' if at_most else 'misses'} observed in n={int(n)}: "
                    "too little evidence to estimate how likely a breach is",
                ), facts
            posterior = sps.beta(k + 1, int(n) - k + 1)
            p = float(posterior.sf(threshold) if at_most else posterior.cdf(threshold))
            basis = f"Beta({k} + 1, {int(n) - k} + 1) posterior of the rate, n={int(n)}"
            return Likelihood(probability=p, band=band(p), basis=basis), facts
        return _like(
            _normal(float(value), bound, threshold, at_most, z),
            f"normal approximation from the {method} bound, n={n}",
            f"no {bound_kind} bound (too few items, n={n})",
        ), facts
    if kind == SubjectKind.DELTA:
        value, n = obs.get(f"{unit}.delta"), obs.get(f"{unit}.n")
        at_most = bool(sub.at_most)
        bound = obs.get(f"{unit}.delta_upper" if at_most else f"{unit}.delta_lower")
        limit = _delta_limit(rule, obs)
        facts = {
            "observed": value,
            "n": n,
            "lower": obs.get(f"{unit}.delta_lower"),
            "upper": obs.get(f"{unit}.delta_upper"),
        }
        if value is None or limit is None:
            return Likelihood(probability=None, band=None, basis="no comparison"), facts
        method = obs.get(f"{unit}.method", "comparison")
        return _like(
            _normal(float(value), bound, limit, at_most, z),
            f"normal approximation from the {method} bound, n={n}",
        ), facts
    # fairness
    name = sub.threshold_kind
    value = obs.get(f"{unit}.{name}")
    at_most = bool(sub.at_most)
    bound = obs.get(f"{unit}.{name}_upper" if at_most else f"{unit}.{name}_lower")
    facts = {
        "observed": value,
        "lower": obs.get(f"{unit}.{name}_lower"),
        "upper": obs.get(f"{unit}.{name}_upper"),
        "n": sum(
            v
            for k, v in obs.items()
            if k.startswith(f"{unit}.groups[") and k.endswith("].n") and isinstance(v, int)
        ),
    }
    if value is None or threshold is None:
        return Likelihood(probability=None, band=None, basis="no fairness estimate"), facts
    return _like(
        _normal(float(value), bound, threshold, at_most, z),
        "normal approximation from the simultaneous group bounds",
    ), facts


def _delta_limit(rule: RuleResult, obs: dict[str, Any]) -> float | None:
    sub = rule.subject or NO_SUBJECT
    if sub.threshold is None:
        return None
    at_most = bool(sub.at_most)
    margin = sub.threshold
    if sub.threshold_kind == "margin_ratio":
        base = obs.get(f"{sub.baseline}.value") if sub.baseline else None
        if not isinstance(base, int | float):
            return None
        margin = sub.threshold * float(base)
    return margin if at_most else -margin


def _normal(value: float, bound: Any, threshold: float, at_most: bool, z: float) -> float | None:
    """P(true > threshold) (or < for at-least rules) under N(value, se), se from the bound."""
    if not isinstance(bound, int | float) or not math.isfinite(bound) or z <= 0:
        return None
    se = abs(float(bound) - value) / z
    if se == 0:
        breached = value > threshold if at_most else value < threshold
        return 1.0 if breached else 0.0
    zscore = (threshold - value) / se
    return float(sps.norm.sf(zscore) if at_most else sps.norm.cdf(zscore))


# -- assessment ---------------------------------------------------------------------------------
