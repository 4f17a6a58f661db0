"""``validate``: every problem in every policy, waiver, policy test and eval suite, in one pass.

Problems make the files invalid (exit 3); warnings (an unknown control id) are shown and
recorded but change nothing. The machine-readable result is :class:`ValidateResult`, whose
JSON Schema (``validate-result-v1``) ships with the package (``govgate schema --kind
ValidateResult``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from govgate.document.nodes import YamlDocument
from govgate.errors import Problem
from govgate.exitcodes import ExitCode
from govgate.policy.compiled import PolicySet, SourceFile
from govgate.policy.packs import PackTrust
from govgate.policytest.runner import PreparedTests

VALIDATE_SCHEMA_ID = "https://govgate.dev/schemas/validate-result-v1.json"


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CheckedFile(_Out):
    """A file that was read."""

    path: str = Field(description="As given on the command line, or found in a folder.")
    sha256: str = Field(description="Digest of its bytes.")
    bytes: int = Field(description="Its size.")


class PolicyEntry(_Out):
    """A policy that loaded."""

    name: str
    version: str
    file: str
    line: int
    rules: list[str] = Field(description="Its rule ids, in order.")


class WaiverEntry(_Out):
    """A waiver that loaded."""

    name: str
    policy: str
    rule: str
    expires: str
    file: str
    line: int


class PolicyTestEntry(_Out):
    """A policy test file that loaded."""

    name: str
    file: str
    cases: int


class SuiteEntry(_Out):
    """An eval suite that loaded (``govgate eval run`` reads it the same way)."""

    name: str
    file: str
    line: int
    task: str
    metrics: list[str] = Field(description="The names the suite logs its metrics under.")


class ProblemEntry(_Out):
    """One problem or warning: what, where (file, 1-based line and column, JSON pointer and
    0-based document index in the file), and what to do about it."""

    code: str = Field(description="Stable dotted identifier, e.g. cel.unknown-name.")
    message: str
    hint: str = Field(description="What to do about it; empty when there is nothing to add.")
    file: str
    line: int = Field(description="1-based; 0 when unknown.")
    column: int = Field(description="1-based; 0 when unknown.")
    pointer: str = Field(description="JSON pointer of the node in the document.")
    document: int = Field(description="0-based index of the YAML document in the file.")


class ValidateResult(_Out):
    """What ``govgate validate --format json`` prints."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    schema_: str = Field(
        default=VALIDATE_SCHEMA_ID,
        alias="$schema",
        json_schema_extra={"const": VALIDATE_SCHEMA_ID},
    )
    valid: bool = Field(description="No problems (warnings do not count).")
    files: list[CheckedFile]
    policies: list[PolicyEntry]
    waivers: list[WaiverEntry]
    tests: list[PolicyTestEntry]
    suites: list[SuiteEntry]
    problems: list[ProblemEntry] = Field(description="Everything that makes the files invalid.")
    warnings: list[ProblemEntry] = Field(
        description="What deserves a look but changes nothing (exit code, validity)."
    )
    policy_set_digest: str | None = Field(
        description="Digest of the policy files, when policies were validated and are valid."
    )


@dataclass(frozen=True)
class LoadedSuiteDocument:
    """An eval suite document that passed its checks, and where it is."""

    name: str
    file: str
    line: int
    task: str
    metrics: tuple[str, ...]


@dataclass(frozen=True)
class ValidateOutcome:
    policy_set: PolicySet
    tests: PreparedTests
    problems: tuple[Problem, ...]
    checked_policies: bool  # policy files were among the paths (not only test files)
    warnings: tuple[Problem, ...] = ()
    suites: tuple[LoadedSuiteDocument, ...] = ()
    other_sources: tuple[SourceFile, ...] = ()  # files that held only eval suites

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.POLICY_INVALID if self.problems else ExitCode.OK

    @property
    def sources(self) -> list[Any]:
        return [
            *self.policy_set.sources,
            *self.other_sources,
            *(t.source for t in self.tests.tests),
        ]

    def result(self) -> ValidateResult:
        policy_set, problems = self.policy_set, self.problems
        loaded_policies = bool(policy_set.policies or policy_set.waivers)
        return ValidateResult(
            valid=not problems,
            files=[CheckedFile(path=s.path, sha256=s.sha256, bytes=s.size) for s in self.sources],
            policies=[
                PolicyEntry(
                    name=p.name,
                    version=p.document.metadata.version,
                    file=p.source.path,
                    line=p.span.line,
                    rules=[r.rule.id for r in p.rules],
                )
                for p in policy_set.policies
            ],
            waivers=[
                WaiverEntry(
                    name=w.document.metadata.name,
                    policy=w.document.spec.policy,
                    rule=w.document.spec.rule,
                    expires=w.document.spec.expires,
                    file=w.source.path,
                    line=w.span.line,
                )
                for w in policy_set.waivers
            ],
            tests=[
                PolicyTestEntry(
                    name=t.document.metadata.name,
                    file=t.source.path,
                    cases=len(t.document.spec.cases),
                )
                for t in self.tests.tests
            ],
            suites=[
                SuiteEntry(
                    name=s.name, file=s.file, line=s.line, task=s.task, metrics=list(s.metrics)
                )
                for s in self.suites
            ],
            problems=[ProblemEntry.model_validate(p.to_json()) for p in problems],
            warnings=[ProblemEntry.model_validate(w.to_json()) for w in self.warnings],
            policy_set_digest=policy_set.digest()
            if not problems and self.checked_policies and loaded_policies
            else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The machine-readable result (schema ``validate-result-v1``)."""
        return self.result().model_dump(mode="json", by_alias=True)


def run_validate(paths: Sequence[str], packs: PackTrust | None = None) -> ValidateOutcome:
    """Load the policies, waivers and eval suites among ``paths``, and the policy tests beside
    them. Eval suites are checked as ``govgate eval run`` reads them (schema and model: no
    dataset is read, and nothing of the evals extra is imported). ``packs``: how policy packs
    among ``paths`` (or named by their tests) are trusted; by default, since validating decides
    no release, their integrity is checked and their signature is not (the set's origins say
    so)."""
    from govgate.policy.loader import (
        Findings,
        discover,
        is_remote,
        is_test_file,
        load_policy_set,
    )
    from govgate.policytest.runner import prepare_policy_tests, unique_problems

    given = [Path(p) for p in paths]
    test_files = [str(p) for p in given if p.is_file() and is_test_file(p)]
    # packs and git sources as written (a path would fold the slashes of git+file:///)
    policy_paths = [p if is_remote(p) else str(Path(p)) for p in paths]
    policy_paths = [p for p in policy_paths if p not in test_files]
    packs = packs if packs is not None else PackTrust(require_signature=False)
    suites, findings = _SuiteCheck(), Findings()
    policy_set, problems = (
        load_policy_set(policy_paths, others={"EvalSuite": suites}, findings=findings, packs=packs)
        if policy_paths
        else (PolicySet((), (), ()), [])
    )
    # policy tests beside the policies: their documents, policy paths and rule keys (a folder
    # without test files adds nothing the policies above did not already report)
    folders = [str(p) for p in given if p.is_dir() and discover([str(p)], tests=True)]
    tests = prepare_policy_tests(
        [*test_files, *folders], require_tests=bool(test_files), packs=packs
    )
    return ValidateOutcome(
        policy_set=policy_set,
        tests=tests,
        problems=tuple(unique_problems([*problems, *suites.not_suites(tests.problems)])),
        checked_policies=bool(policy_paths),
        warnings=tuple(findings.warnings),
        suites=tuple(suites.found),
        other_sources=tuple(findings.other_sources),
    )


class _SuiteCheck:
    """The check of ``kind: EvalSuite`` documents (a :data:`~govgate.policy.loader.DocumentCheck`):
    the loader `govgate eval run` uses, on each document; the valid ones are kept in ``found``."""

    def __init__(self) -> None:
        self.found: list[LoadedSuiteDocument] = []
        self.files: set[str] = set()

    def __call__(self, doc: YamlDocument, documents: int) -> list[Problem]:
        from govgate.evals.suite import check_suite

        self.files.add(doc.file)
        if documents != 1:  # as `govgate eval run` requires
            return [
                Problem(
                    "schema.kind",
                    "a suite file holds exactly one document",
                    doc.span("/kind"),
                    "move the suite to a file of its own (suite.yaml in the suite's folder)",
                )
            ]
        suite, problems = check_suite(doc)
        if suite is not None:
            self.found.append(
                LoadedSuiteDocument(
                    name=suite.metadata.name,
                    file=doc.file,
                    line=doc.span("").line,
                    task=suite.spec.task.value,
                    metrics=tuple(m.name or m.metric.value for m in suite.spec.metrics),
                )
            )
        return problems

    def not_suites(self, problems: Sequence[Problem]) -> list[Problem]:
        """The policy tests load the policies of the folders they sit in without this check:
        a suite among them is not an unknown kind there, since it was checked here."""
        return [p for p in problems if not (p.code == "schema.kind" and p.span.file in self.files)]
