"""Waiver lifetime: a waiver may stay in force at most ``spec.waivers.max_days`` (default 90)
days from the day it is loaded, for the policy it waives; a longer one is a load error."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.evidence.model import write_snapshot
from govgate.exitcodes import ExitCode
from govgate.policy.loader import load_policy_set, load_policy_sources
from govgate.policy.model import days_in_force
from tests.support.snapshots import policy, rates, run, snapshot

#: a fixed "today" for the boundary tests: the limit is counted in days from it (UTC)
NOW = dt.datetime(2026, 12, 2, 15, 30, tzinfo=dt.UTC)
RULES = "    - id: tox\n      category: safety\n      threshold: {metric: tox, max: 0.01}\n"
COST = "    - id: cost\n      category: cost\n      threshold: {metric: c, max: 2, basis: point}\n"


def waiver(expires: str, *, target: str = "p", name: str = "w") -> str:
    return f"""apiVersion: govgate/v1
kind: Waiver
metadata: {{name: {name}}}
spec:
  policy: {target}
  rule: tox
  justification: accepted while the new output filter is rolled out
  approver: head-of-safety@example.com
  ticket: SAFE-7
  expires: "{expires}"
"""


def limited(max_days: int | None, name: str = "p") -> str:
    """The one-rule policy ``name``, with ``spec.waivers.max_days`` when given."""
    setting = f"  waivers: {{max_days: {max_days}}}\n" if max_days is not None else ""
    return policy(RULES, name=name, statistics=setting)


def problems(tmp_path: Path, *documents: str, now: dt.datetime = NOW) -> list[tuple[str, str]]:
    for i, text in enumerate(documents):
        (tmp_path / f"doc{i}.yaml").write_text(text)
    _, found = load_policy_set([str(tmp_path)], now=now)
    return [(p.code, p.message) for p in found]


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_a_fifty_year_waiver_is_a_validate_error_with_its_place_and_what_to_do(
    tmp_path: Path,
) -> None:
    (tmp_path / "p.yaml").write_text(limited(None))
    (tmp_path / "w.yaml").write_text(waiver("2076-12-01"))
    code, out, _ = cli("validate", str(tmp_path))
    assert code == ExitCode.POLICY_INVALID
    today = dt.datetime.now(dt.UTC).date()
    days = (dt.date(2076, 12, 1) - today).days
    first, hint, *_ = out.splitlines()
    assert first == (
        f"{(tmp_path / 'w.yaml').as_posix()}:10:12: error: the waiver stays in force {days} "
        f"days from today ({today}), over the 90-day limit of policy 'p' [waiver.lifetime]"
    )
    assert hint == (
        f"  hint: set expires to {today + dt.timedelta(days=90)} or earlier, and renew the "
        "waiver, with a fresh approval, if it is still needed then (the limit is the policy's "
        "spec.waivers.max_days: default 90, at most 365)"
    )


@pytest.mark.parametrize(
    ("expires", "days"),
    [
        ("2027-03-02", 90),  # a date is in force through the end of that day (UTC)
        ("2027-03-02T23:59:59Z", 90),
        ("2027-03-03T00:00:00Z", 90),  # ends at the first instant of day 91
        ("2027-03-03T00:30:00+01:00", 90),  # the same day in UTC
        ("2026-12-02", 0),
        ("2026-11-01", -31),  # expired: it no longer applies, nothing to refuse
        ("2027-03-03", 91),
        ("2027-03-03T00:00:01Z", 91),
        ("9999-12-31", 2912107),
    ],
)
def test_the_lifetime_is_counted_in_days_from_today_utc(
    tmp_path: Path, expires: str, days: int
) -> None:
    assert days_in_force(expires, NOW.date()) == days
    found = problems(tmp_path, limited(None), waiver(expires))
    assert [code for code, _ in found] == (["waiver.lifetime"] if days > 90 else [])


def test_a_policy_sets_the_limit_for_waivers_of_its_own_rules(tmp_path: Path) -> None:
    documents = (
        limited(30, "strict"),
        limited(180, "lenient"),
        limited(None, "plain"),
        waiver("2027-01-01", target="strict", name="a"),  # 30 days: the most allowed
        waiver("2027-01-02", target="strict", name="b"),  # 31 days
        waiver("2027-05-31", target="lenient", name="c"),  # 180 days
        waiver("2027-06-01", target="lenient", name="d"),  # 181 days
        waiver("2027-03-02", target="plain", name="e"),  # 90: the default
        waiver("2027-03-03", target="plain", name="f"),  # 91
    )
    assert problems(tmp_path, *documents) == [
        (
            "waiver.lifetime",
            f"the waiver stays in force {days} days from today (2026-12-02), over the "
            f"{limit}-day limit of policy {name!r}",
        )
        for days, limit, name in ((31, 30, "strict"), (181, 180, "lenient"), (91, 90, "plain"))
    ]


def test_a_waiver_of_a_policy_not_loaded_gets_the_strictest_limit_in_sight(
    tmp_path: Path,
) -> None:
    alone = tmp_path / "alone"
    alone.mkdir()
    assert problems(alone, waiver("2027-03-02", target="elsewhere")) == []
    assert [c for c, _ in problems(alone, waiver("2027-03-03", target="elsewhere"))] == [
        "waiver.lifetime"
    ]
    together = tmp_path / "together"
    together.mkdir()
    found = problems(together, limited(30), waiver("2027-01-15", target="elsewhere"))
    assert found == [
        ("waiver.unknown-policy", "no loaded policy is named 'elsewhere'"),
        (
            "waiver.lifetime",
            "the waiver stays in force 44 days from today (2026-12-02), over the 30-day limit "
            "(the strictest in sight: policy 'elsewhere' is not loaded)",
        ),
    ]


def test_a_policy_whose_rules_do_not_compile_still_sets_its_limit(tmp_path: Path) -> None:
    broken = limited(30).replace("max: 0.01}", "max: 0.01}\n      message: '{{ nope }}'")
    found = problems(tmp_path, broken, waiver("2027-01-15"))
    assert [c for c, _ in found] == ["cel.unknown-name", "waiver.lifetime"]
    assert "30-day limit of policy 'p'" in found[1][1]


@pytest.mark.parametrize(("max_days", "code"), [(0, "schema.minimum"), (366, "schema.maximum")])
def test_a_policy_may_allow_between_one_day_and_a_year(
    tmp_path: Path, max_days: int, code: str
) -> None:
    assert [c for c, _ in problems(tmp_path, limited(max_days))] == [code]


def test_a_waiver_inside_the_limit_still_applies(tmp_path: Path) -> None:
    """Through ``govgate check``, whose loader measures from the real clock: a 30-day waiver
    waives the failing rule; a 50-year one stops the check before anything is decided."""
    (tmp_path / "p.yaml").write_text(policy(RULES + COST))  # waivers alone never pass
    evidence = tmp_path / "snap" / "evidence.json"
    evidence.parent.mkdir()
    toxic = run("candidate", metrics={"c": 1.0}, columns={"rate.tox": rates(400, 40)})
    write_snapshot(snapshot(toxic), evidence)
    argv = ["check", "--candidate", str(evidence), "--stage", "canary"]
    argv += ["--policies", str(tmp_path / "p.yaml"), "--waivers", str(tmp_path / "w.yaml")]
    soon = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).date().isoformat()
    (tmp_path / "w.yaml").write_text(waiver(soon))
    code, out, err = cli(*argv)
    assert code == ExitCode.OK, out + err
    assert "WAIVED       p/tox" in out
    (tmp_path / "w.yaml").write_text(waiver("2076-12-01"))
    code, out, err = cli(*argv)
    assert code == ExitCode.POLICY_INVALID
    assert "[waiver.lifetime]" in out + err


def test_a_bundle_is_verified_as_decided_unless_a_clock_is_given() -> None:
    sources = [("p.yaml", limited(None).encode()), ("w.yaml", waiver("2076-12-01").encode())]
    _, found = load_policy_sources(sources)
    assert found == []
    _, found = load_policy_sources(sources, now=NOW)
    assert [p.code for p in found] == ["waiver.lifetime"]
