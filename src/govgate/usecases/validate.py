"""``validate``: every problem in every policy, waiver and policy-test file, in one pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate.errors import Problem
from govgate.exitcodes import ExitCode
from govgate.policy.compiled import PolicySet
from govgate.policytest.runner import PreparedTests

VALIDATE_SCHEMA_ID = "https://govgate.dev/schemas/validate-result-v1.json"


@dataclass(frozen=True)
class ValidateOutcome:
    policy_set: PolicySet
    tests: PreparedTests
    problems: tuple[Problem, ...]
    checked_policies: bool  # policy files were among the paths (not only test files)

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.POLICY_INVALID if self.problems else ExitCode.OK

    @property
    def sources(self) -> list[Any]:
        return [*self.policy_set.sources, *(t.source for t in self.tests.tests)]

    def to_json(self) -> dict[str, Any]:
        """The machine-readable result (schema ``validate-result-v1``)."""
        policy_set, problems = self.policy_set, self.problems
        return {
            "$schema": VALIDATE_SCHEMA_ID,
            "valid": not problems,
            "files": [{"path": s.path, "sha256": s.sha256, "bytes": s.size} for s in self.sources],
            "policies": [
                {
                    "name": p.name,
                    "version": p.document.metadata.version,
                    "file": p.source.path,
                    "line": p.span.line,
                    "rules": [r.rule.id for r in p.rules],
                }
                for p in policy_set.policies
            ],
            "waivers": [
                {
                    "name": w.document.metadata.name,
                    "policy": w.document.spec.policy,
                    "rule": w.document.spec.rule,
                    "expires": w.document.spec.expires,
                    "file": w.source.path,
                    "line": w.span.line,
                }
                for w in policy_set.waivers
            ],
            "tests": [
                {
                    "name": t.document.metadata.name,
                    "file": t.source.path,
                    "cases": len(t.document.spec.cases),
                }
                for t in self.tests.tests
            ],
            "problems": [p.to_json() for p in problems],
            "policy_set_digest": policy_set.digest()
            if not problems and self.checked_policies
            else None,
        }


def run_validate(paths: Sequence[str]) -> ValidateOutcome:
    """Load the policies and waivers among ``paths`` and the policy tests beside them."""
    from govgate.policy.loader import is_test_file, load_policy_set
    from govgate.policytest.runner import prepare_policy_tests, unique_problems

    given = [Path(p) for p in paths]
    test_files = [str(p) for p in given if p.is_file() and is_test_file(p)]
    policy_paths = [str(p) for p in given if str(p) not in test_files]
    policy_set, problems = (
        load_policy_set(policy_paths) if policy_paths else (PolicySet((), (), ()), [])
    )
    folders = [str(p) for p in given if p.is_dir()]
    # policy tests beside the policies: their documents, policy paths and rule keys
    tests = prepare_policy_tests([*test_files, *folders], require_tests=bool(test_files))
    return ValidateOutcome(
        policy_set=policy_set,
        tests=tests,
        problems=tuple(unique_problems([*problems, *tests.problems])),
        checked_policies=bool(policy_paths),
    )
