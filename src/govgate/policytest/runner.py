"""``govgate test``: run policy unit tests through the same loader and engine as ``check``.

A test file (``*.test.yaml``, ``kind: PolicyTest``) names the policy files it tests, relative to
itself, and cases: a stage, evidence (a compact fixture or a snapshot file) and the expected
verdict and rule outcomes. Every case is decided by :func:`govgate.gate.engine.decide` on the
policy set :func:`load_policy_set` loads: there is no second evaluator to drift from the first.

Fail closed, as everywhere: no test files, a case that asserts nothing, a rule key that names
no rule, a policy that does not load, a path that leads out of the test's root (``paths.py``):
each is a problem (exit 3), never a vacuous pass.
Coverage counts, per rule, which outcomes some case asserts; a rule is *covered* when cases
assert both that it passes and that it fails. Rules in the tested folders that no test file
loads count as uncovered.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from govgate.document.nodes import json_pointer
from govgate.errors import EvidenceError, Problem, SourceSpan
from govgate.evidence.model import Snapshot, read_snapshot
from govgate.exitcodes import ExitCode
from govgate.policy import cases
from govgate.policy.compiled import CompiledRule, PolicySet
from govgate.policy.loader import (
    LoadedTest,
    discover,
    is_remote,
    load_policy_set,
    load_policy_tests,
)
from govgate.policy.packs import PackTrust
from govgate.policytest.paths import OUTSIDE_HINT, Roots, confine, stray_file
from govgate.terms import Outcome

#: The instant a case decides at unless it says ``now``: fixed, so a test passes or fails
#: the same way on any day (waiver expiry is the only thing ``now`` changes).
DEFAULT_NOW = "2026-01-01T00:00:00Z"
#: A rule is covered when some case asserts each of these outcomes for it.
COVERING = ("pass", "fail")


@dataclass(frozen=True)
class RuleRef:
    """A rule as coverage counts it: where it is defined, and what it is."""

    file: str
    line: int
    policy: str
    rule: str
    enforce: str
    category: str

    @property
    def key(self) -> str:
        return f"{self.policy}/{self.rule}"


@dataclass
class RuleCoverage:
    rule: RuleRef
    asserted: set[str] = field(default_factory=set)
    cases: int = 0

    @property
    def missing(self) -> list[str]:
        return [o for o in COVERING if o not in self.asserted]

    @property
    def covered(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class CaseResult:
    file: str
    test: str
    case: str
    line: int
    stage: str
    verdict: str
    verdict_reason: str
    expected_verdict: str | None
    outcomes: dict[str, str]  # rule key -> outcome, for every rule of the policy set
    asserted: dict[str, str]  # rule key -> expected outcome
    reasons: dict[str, str]  # rule key -> why that outcome, for every rule
    mismatches: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.mismatches


@dataclass(frozen=True)
class TestRun:
    files: tuple[str, ...]
    cases: tuple[CaseResult, ...]
    coverage: tuple[RuleCoverage, ...]

    @property
    def failed(self) -> list[CaseResult]:
        return [c for c in self.cases if not c.passed]

    @property
    def uncovered(self) -> list[RuleCoverage]:
        return [c for c in self.coverage if not c.covered]

    def exit_code(self, *, require_coverage: bool) -> ExitCode:
        """4 when a case does not match, or (``require_coverage``) a rule is not covered."""
        if self.failed or (require_coverage and self.uncovered):
            return ExitCode.BLOCKED
        return ExitCode.OK

    @property
    def never_asserted(self) -> list[str]:
        """Outcomes no case asserts for any rule (gap, error, waived ... never exercised)."""
        seen = {o for c in self.coverage for o in c.asserted}
        return [o.value for o in Outcome if o.value not in seen]


@dataclass(frozen=True)
class _Case:
    index: int
    case: cases.PolicyTestCase
    snapshot: Snapshot | None  # read from a file, or None for an inline fixture
    asserted: dict[str, str]  # resolved rule key -> expected outcome


@dataclass(frozen=True)
class _Prepared:
    test: LoadedTest
    policy_set: PolicySet
    cases: tuple[_Case, ...]


def parse_instant(text: str) -> dt.datetime:
    """A date (midnight UTC) or an RFC 3339 date-time, as in ``now:``."""
    if len(text) == 10:
        return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _display(path: Path) -> str:
    return Path(os.path.normpath(path)).as_posix()


def _rule_ref(compiled: CompiledRule, file: str) -> RuleRef:
    return RuleRef(
        file=file,
        line=compiled.span.line,
        policy=compiled.policy,
        rule=compiled.rule.id,
        enforce=compiled.rule.enforce.value,
        category=compiled.rule.category.value,
    )


class _Session:
    def __init__(self, now: dt.datetime | None = None, packs: PackTrust | None = None) -> None:
        self.now = now  # waiver lifetimes are measured from it (None: the loader's clock)
        self.packs = packs  # how policy packs are trusted (None: the loader's default)
        self.problems: list[Problem] = []
        self._sets: dict[tuple[str, ...], tuple[PolicySet, list[Problem]]] = {}
        self.coverage: dict[tuple[str, str, str], RuleCoverage] = {}

    def policy_set(self, paths: list[str]) -> tuple[PolicySet, list[Problem]]:
        key = tuple(sorted(str(Path(p).resolve()) for p in paths))
        if key not in self._sets:
            self._sets[key] = load_policy_set(paths, now=self.now, packs=self.packs)
        return self._sets[key]

    def count(self, policy_set: PolicySet) -> None:
        """Put every rule of ``policy_set`` in the coverage table (once, by file and name)."""
        for policy in policy_set.policies:
            for compiled in policy.rules:
                ident = (str(Path(policy.source.path).resolve()), policy.name, compiled.rule.id)
                if ident not in self.coverage:
                    ref = _rule_ref(compiled, policy.source.path)
                    self.coverage[ident] = RuleCoverage(ref)

    def coverage_of(self, policy_set: PolicySet, key: str) -> RuleCoverage:
        for policy in policy_set.policies:
            for compiled in policy.rules:
                if compiled.key == key:
                    ident = (str(Path(policy.source.path).resolve()), policy.name, compiled.rule.id)
                    return self.coverage[ident]
        raise KeyError(key)  # pragma: no cover - keys are resolved against the set first

    def outside(self, test: LoadedTest, pointer: str, why: str) -> None:
        """A path of ``test`` that leads out of its root: refused, never read."""
        self.problems.append(Problem("test.outside-root", why, test.span(pointer), OUTSIDE_HINT))

    def prepare(self, test: LoadedTest, root: Path) -> _Prepared | None:
        """Check ``test`` against the policies it names (inside ``root``), ready to run."""
        spec = test.document.spec
        paths = self._policy_paths(test, root)
        snapshots = self._snapshot_paths(test, root)
        if paths is None or snapshots is None:
            return None
        policy_set, problems = self.policy_set(paths)
        if problems:
            self.problems.extend(problems)
            return None
        if not policy_set.policies:
            self.problems.append(
                Problem(
                    "test.no-policy",
                    "the files under test hold no policy, only waivers",
                    test.span("/spec/policies"),
                    "name the policy files the waivers apply to as well",
                )
            )
            return None
        self.count(policy_set)
        cases = [
            self._case(test, policy_set, i, c, snapshots.get(i)) for i, c in enumerate(spec.cases)
        ]
        if any(c is None for c in cases):
            return None
        return _Prepared(test, policy_set, tuple(c for c in cases if c is not None))

    def _policy_paths(self, test: LoadedTest, root: Path) -> list[str] | None:
        """The policy files and folders ``test`` names, each inside ``root`` and there."""
        base = Path(test.source.path).parent
        paths: list[str] = []
        ok = True
        for i, relative in enumerate(test.document.spec.policies):
            target, why = confine(relative, base, root)
            if target is not None and target.is_dir():
                why = stray_file(relative, target, root)
            if target is None or why:
                self.outside(test, f"/spec/policies/{i}", why)
                ok = False
                continue
            if not target.exists():
                self.problems.append(
                    Problem(
                        "test.policy-missing",
                        f"{relative!r}: no such file or folder (looked for {_display(target)})",
                        test.span(f"/spec/policies/{i}"),
                        "policy paths are relative to the test file",
                    )
                )
                ok = False
            paths.append(_display(target))
        return paths if ok else None

    def _snapshot_paths(self, test: LoadedTest, root: Path) -> dict[int, Path] | None:
        """The snapshot file of each case that names one (by case index), all inside ``root``;
        checked whether or not the policies load, so that every such problem is reported."""
        base = Path(test.source.path).parent
        found: dict[int, Path] = {}
        ok = True
        for i, case in enumerate(test.document.spec.cases):
            if case.snapshot is None:
                continue
            path, why = confine(case.snapshot, base, root)
            if path is None:
                self.outside(test, f"/spec/cases/{i}/snapshot", why)
                ok = False
            else:
                found[i] = path
        return found if ok else None

    def _case(
        self,
        test: LoadedTest,
        policy_set: PolicySet,
        index: int,
        case: cases.PolicyTestCase,
        snapshot_path: Path | None,
    ) -> _Case | None:
        keys = {r.key: r for p in policy_set.policies for r in p.rules}
        by_id: dict[str, list[str]] = {}
        for key, compiled in keys.items():
            by_id.setdefault(compiled.rule.id, []).append(key)
        asserted: dict[str, str] = {}
        ok = True
        for written, outcome in case.expect.rules.items():
            pointer = json_pointer(["spec", "cases", index, "expect", "rules", written])
            if written in keys:
                resolved = written
            elif len(by_id.get(written, [])) == 1:
                resolved = by_id[written][0]
            else:
                ok = False
                if written in by_id:
                    message = f"rule id {written!r} is in several policies: {by_id[written]}"
                    hint = "write policy/rule to say which"
                else:
                    close = difflib.get_close_matches(written, [*by_id, *keys], n=1)
                    message = f"no rule {written!r} in the policies under test"
                    hint = (f"did you mean {close[0]!r}? " if close else "") + (
                        "name a rule by its id, or policy/rule"
                    )
                self.problems.append(
                    Problem("test.unknown-rule", message, test.yaml.key_span(pointer), hint)
                )
                continue
            if resolved in asserted:
                self.problems.append(
                    Problem(
                        "test.duplicate",
                        f"rule {resolved} is asserted twice in this case",
                        test.yaml.key_span(pointer),
                        "assert each rule once",
                    )
                )
                ok = False
            asserted[resolved] = outcome
        snapshot = None
        if snapshot_path is not None:  # the case names a snapshot, inside the test's root
            pointer = f"/spec/cases/{index}/snapshot"
            try:
                snapshot = read_snapshot(Path(_display(snapshot_path)))
            except EvidenceError as exc:
                self.problems.append(
                    Problem(
                        "test.snapshot",
                        str(exc),
                        test.span(pointer),
                        "snapshot paths are relative to the test file; write one with "
                        "`govgate evidence snapshot` or `govgate check --snapshot-out`",
                    )
                )
                ok = False
        return _Case(index, case, snapshot, asserted) if ok else None

    def run_case(self, prepared: _Prepared, item: _Case) -> CaseResult:
        # the engine and the fixtures (numpy, scipy, pyarrow) only when a case runs:
        # `govgate validate` checks test files without paying for them
        from govgate.gate.engine import decide
        from govgate.policytest.fixtures import fixture_snapshot

        test, case = prepared.test, item.case
        now = parse_instant(case.now or DEFAULT_NOW)
        span = test.span(f"/spec/cases/{item.index}")
        snapshot = item.snapshot
        if snapshot is None:
            assert case.evidence is not None
            snapshot = fixture_snapshot(
                case.evidence,
                stage=case.stage.value,
                seed=case.name,
                reference=f"{test.source.path}:{span.line}",
                now=now,
                model=test.document.spec.model,
            )
        decision = decide(prepared.policy_set, snapshot, stage=case.stage.value, now=now)
        outcomes = {r.key: r.outcome.value for r in decision.rules}
        reasons = {r.key: r.reason for r in decision.rules}
        mismatches: list[str] = []
        expected = case.expect.verdict
        if expected is not None and expected != decision.verdict.value:
            mismatches.append(
                f"verdict: expected {expected}, got {decision.verdict.value} "
                f"({decision.verdict_reason})"
            )
        for key, want in item.asserted.items():
            got = outcomes[key]
            if got != want:
                mismatches.append(f"{key}: expected {want}, got {got} ({reasons[key]})")
            coverage = self.coverage_of(prepared.policy_set, key)
            coverage.asserted.add(want)
            coverage.cases += 1
        return CaseResult(
            file=test.source.path,
            test=test.document.metadata.name,
            case=case.name,
            line=span.line,
            stage=case.stage.value,
            verdict=decision.verdict.value,
            verdict_reason=decision.verdict_reason,
            expected_verdict=expected,
            outcomes=outcomes,
            asserted=dict(item.asserted),
            reasons=reasons,
            mismatches=tuple(mismatches),
        )


@dataclass(frozen=True)
class PreparedTests:
    """Tests loaded and checked against their policies, ready to run (or problems)."""

    tests: tuple[LoadedTest, ...]
    problems: tuple[Problem, ...]
    _session: _Session
    _prepared: tuple[_Prepared | None, ...]

    @property
    def cases(self) -> int:
        return sum(len(t.document.spec.cases) for t in self.tests)

    def run(self) -> TestRun:
        assert not self.problems, "run only a set of tests that has no problems"
        session = self._session
        cases = [session.run_case(p, c) for p in self._prepared if p is not None for c in p.cases]
        coverage = sorted(session.coverage.values(), key=lambda c: (c.rule.file, c.rule.line))
        return TestRun(tuple(t.source.path for t in self.tests), tuple(cases), tuple(coverage))


def prepare_policy_tests(
    paths: Sequence[str],
    *,
    require_tests: bool = True,
    now: dt.datetime | None = None,
    packs: PackTrust | None = None,
) -> PreparedTests:
    """Load every test under ``paths`` and check it against its policies, without running it:
    test documents, the policies they name (inside each test's root), rule keys, snapshot
    files. ``govgate validate`` stops here; ``govgate test`` goes on to
    :meth:`PreparedTests.run`. ``now``: what waiver lifetimes are measured from (default the
    current time; the cases themselves decide at their own ``now``). ``packs``: how policy
    packs are trusted; a pack (or git source) among ``paths`` holds no tests, and its rules
    join the coverage table as a folder's do.
    """
    session = _Session(now, packs)
    tests, problems = load_policy_tests(paths, required=require_tests)
    session.problems.extend(problems)
    folders = [p for p in paths if Path(p).is_dir() or is_remote(p)]
    if folders and (any(is_remote(p) for p in folders) or discover(folders)):
        # the policies in the tested folders: rules no test file loads are uncovered
        universe, universe_problems = session.policy_set(folders)
        session.problems.extend(universe_problems)
        session.count(universe)
    roots = Roots.of(paths)
    prepared = tuple(session.prepare(t, roots.root_of(t.source.path)) for t in tests)
    return PreparedTests(tuple(tests), tuple(unique_problems(session.problems)), session, prepared)


def run_policy_tests(
    paths: Sequence[str], *, now: dt.datetime | None = None, packs: PackTrust | None = None
) -> tuple[TestRun | None, list[Problem]]:
    """Load and run every policy test under ``paths``; problems mean nothing ran."""
    prepared = prepare_policy_tests(paths, now=now, packs=packs)
    if prepared.problems:
        return None, list(prepared.problems)
    return prepared.run(), []


def unique_problems(problems: list[Problem]) -> list[Problem]:
    """Each problem once (a policy file loaded by two test files reports once)."""
    seen: set[tuple[str, str, SourceSpan]] = set()
    out: list[Problem] = []
    for p in problems:
        key = (p.code, p.message, p.span)
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
