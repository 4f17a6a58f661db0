"""Load policy and waiver files into a compiled :class:`PolicySet`, collecting every problem.

The pipeline, per file: bytes -> safe YAML (safeyaml.py) -> JSON Schema (structure, every error
with a pointer) -> duplicate checks -> pydantic (typed, frozen) -> CEL compile and lint (each
expression once per process). Then across files: duplicate policy and waiver names, waivers
naming rules that do not exist. A stage that finds problems in a document stops later stages for
that document only, so one run reports everything that can be known without guessing.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from govgate.cel import CelCompiler, CompiledExpression, Reference
from govgate.errors import Problem, SourceSpan, UsageError
from govgate.policy import model, schema
from govgate.policy.compiled import (
    CompiledRule,
    Expectation,
    LoadedPolicy,
    LoadedWaiver,
    PolicySet,
    SourceFile,
    subject_of,
)
from govgate.policy.shorthand import rule_cel
from govgate.safeyaml import DEFAULT_LIMITS, YAML11_BOOLEANS, YamlDocument, YamlLimits, load_yaml

YAML_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
POLICY_KINDS = ("Policy", "Waiver")
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass(frozen=True)
class LoadedTest:
    """A ``kind: PolicyTest`` document, with its YAML positions (for per-case spans)."""

    document: model.PolicyTest
    source: SourceFile
    yaml: YamlDocument

    def span(self, pointer: str) -> SourceSpan:
        return self.yaml.span(pointer)


@cache
def default_compiler() -> CelCompiler:
    """The process-wide compiler: each distinct expression is compiled once per process."""
    return CelCompiler()


def is_test_file(path: Path) -> bool:
    return path.name.endswith(TEST_SUFFIXES)


def discover(paths: Sequence[str], *, tests: bool = False) -> list[Path]:
    """YAML files named by ``paths`` (files as given; folders searched recursively, sorted).

    In folders, policy test files (``*.test.yaml``) are found only with ``tests=True``, and then
    nothing else is: tests sit next to the policies they test without joining the policy set.
    Raises :class:`UsageError` for a path that does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.rglob("*")
                    if p.suffix in YAML_SUFFIXES
                    and is_test_file(p) == tests
                    and p.is_file()
                    and not any(part.startswith(".") for part in p.relative_to(path).parts)
                )
            )
        elif path.is_file():
            found.append(path)
        else:
            raise UsageError(
                f"{raw}: no such file or folder",
                hint=f"pass {'test' if tests else 'policy'} files or folders that exist",
            )
    unique: dict[str, Path] = {}
    for p in found:
        unique.setdefault(str(p.resolve()), p)
    return list(unique.values())


def load_policy_sources(
    sources: Sequence[tuple[str, bytes]],
    *,
    compiler: CelCompiler | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> tuple[PolicySet, list[Problem]]:
    """Load policy and waiver files given as (name, bytes), e.g. from an audit bundle."""
    loader = _Loader(compiler or default_compiler(), limits)
    for name, data in sources:
        loader.load_bytes(name, data)
    loader.cross_checks()
    problems = _sorted(loader.problems)
    return PolicySet(tuple(loader.policies), tuple(loader.waivers), tuple(loader.sources)), problems


def load_policy_set(
    paths: Sequence[str],
    *,
    compiler: CelCompiler | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
) -> tuple[PolicySet, list[Problem]]:
    """Load everything under ``paths``. The set is only safe to use when no problems came back."""
    files = discover(paths)
    loader = _Loader(compiler or default_compiler(), limits)
    for path in files:
        loader.load_file(path)
    loader.cross_checks()
    if not files:
        loader.problems.append(
            Problem(
                "policy.empty",
                "no policy files (*.yaml, *.yml) found",
                SourceSpan(", ".join(paths) or "."),
                "a gate with no policies decides nothing: add a policy",
            )
        )
    elif not loader.policies and not loader.waivers and not loader.problems:
        loader.problems.append(
            Problem(
                "policy.empty",
                "no policy or waiver documents found",
                SourceSpan(", ".join(paths)),
                "a gate with no policies decides nothing: add a policy",
            )
        )
    problems = _sorted(loader.problems)
    return PolicySet(tuple(loader.policies), tuple(loader.waivers), tuple(loader.sources)), problems


def load_policy_tests(
    paths: Sequence[str], *, required: bool = True, limits: YamlLimits = DEFAULT_LIMITS
) -> tuple[list[LoadedTest], list[Problem]]:
    """Load the policy test files (``*.test.yaml``) under ``paths``; problems as for policies.

    ``required``: finding no test file is a problem (``govgate test``), not just nothing to do.
    """
    files = discover(paths, tests=True)
    loader = _Loader(default_compiler(), limits, kinds=("PolicyTest",))
    for path in files:
        loader.load_file(path)
    if not files and required:
        loader.problems.append(
            Problem(
                "test.empty",
                "no policy test files (*.test.yaml) found",
                SourceSpan(", ".join(paths) or "."),
                "write a test file next to each policy: see policies/README.md, Policy tests",
            )
        )
    return loader.tests, _sorted(loader.problems)


def _sorted(problems: list[Problem]) -> list[Problem]:
    return sorted(
        problems, key=lambda p: (p.span.file, p.span.document, p.span.line, p.span.column, p.code)
    )


class _Loader:
    def __init__(
        self, compiler: CelCompiler, limits: YamlLimits, kinds: tuple[str, ...] = POLICY_KINDS
    ) -> None:
        self.compiler = compiler
        self.limits = limits
        self.kinds = kinds
        self.problems: list[Problem] = []
        self.policies: list[LoadedPolicy] = []
        self.waivers: list[LoadedWaiver] = []
        self.tests: list[LoadedTest] = []
        self.sources: list[SourceFile] = []
        self._policy_spans: dict[str, SourceSpan] = {}
        self._waiver_spans: dict[str, SourceSpan] = {}
        self._waiver_docs: list[tuple[model.Waiver, YamlDocument]] = []

    # -- files and documents ----------------------------------------------------------------

    def load_file(self, path: Path) -> None:
        name = path.as_posix()
        data = self._read(path, name)
        if data is not None:
            self.load_bytes(name, data)

    def _read(self, path: Path, name: str) -> bytes | None:
        try:
            size = path.stat().st_size
            if size > self.limits.max_bytes:
                self.problems.append(
                    Problem(
                        "yaml.too-large",
                        f"file is {size} bytes, over the {self.limits.max_bytes}-byte limit",
                        SourceSpan(name, 1, 1),
                        "split it into several files",
                    )
                )
                return None
            return path.read_bytes()
        except OSError as exc:
            self.problems.append(
                Problem("input.unreadable", f"cannot read file: {exc.strerror}", SourceSpan(name))
            )
            return None

    def load_bytes(self, name: str, data: bytes) -> None:
        """Load one file's bytes, reported under ``name`` (its path as the user gave it)."""
        if len(data) > self.limits.max_bytes:
            self.problems.append(
                Problem(
                    "yaml.too-large",
                    f"file is {len(data)} bytes, over the {self.limits.max_bytes}-byte limit",
                    SourceSpan(name, 1, 1),
                )
            )
            return
        source = SourceFile(name, hashlib.sha256(data).hexdigest(), len(data), data)
        self.sources.append(source)
        documents, problems = load_yaml(data, name, self.limits)
        if problems:
            self.problems.extend(problems)
            return  # values were dropped from a broken file: do not judge what is left
        present = [d for d in documents if d.value is not None]
        if not present:
            self.problems.append(
                Problem(
                    "policy.empty",
                    "file has no documents",
                    SourceSpan(name, 1, 1),
                    "remove the file or add a " + " or ".join(self.kinds) + " document",
                )
            )
        for doc in present:
            self.load_document(doc, source)

    def load_document(self, doc: YamlDocument, source: SourceFile) -> None:
        value = doc.value
        if not isinstance(value, dict):
            self._add("schema.type", "a document must be a mapping", doc, "")
            return
        kind = value.get("kind")
        if kind not in schema.KINDS:
            where = "/kind" if "kind" in value else ""
            got = f" {kind!r}" if isinstance(kind, str) else ""
            self._add(
                "schema.kind",
                f"unknown kind{got}" if "kind" in value else "missing key 'kind'",
                doc,
                where,
                "kind must be one of: " + ", ".join(schema.KINDS),
            )
            return
        if kind not in self.kinds:
            self._add(
                "schema.kind",
                f"a {kind} document does not belong here",
                doc,
                "/kind",
                "policy tests go in files named *.test.yaml, which `govgate test` runs; "
                "policies and waivers go in other files"
                if kind == "PolicyTest" or "PolicyTest" in self.kinds
                else "",
            )
            return
        errors = list(_validator(kind).iter_errors(value))
        if errors:
            for error in relevant_errors(errors):
                self.problems.append(schema_problem(error, doc))
            return
        if self._duplicates(value, doc):
            return
        cls = schema.KINDS[kind]
        try:
            parsed = cls.model_validate_json(json.dumps(value), strict=True)
        except ValidationError as exc:
            for problem in model_problems(exc, doc):
                self.problems.append(problem)
            return
        if isinstance(parsed, model.Policy):
            self._policy(parsed, doc, source)
        elif isinstance(parsed, model.PolicyTest):
            self.tests.append(LoadedTest(parsed, source, doc))
        else:
            assert isinstance(parsed, model.Waiver)
            self._waiver(parsed, doc, source)

    def _add(
        self, code: str, message: str, doc: YamlDocument, pointer: str, hint: str = ""
    ) -> None:
        self.problems.append(Problem(code, message, doc.span(pointer), hint))

    def _duplicates(self, value: dict[str, Any], doc: YamlDocument) -> bool:
        spec = value.get("spec", {})
        found = False
        lists = {
            "Policy": (
                ("rules", "id", "rule id", "policy"),
                ("variables", "name", "variable", "policy"),
            ),
            "PolicyTest": (("cases", "name", "case name", "test file"),),
        }
        for key, name_field, what, within in lists.get(value.get("kind", ""), ()):
            first: dict[str, int] = {}
            for i, item in enumerate(spec.get(key, [])):
                ident = item.get(name_field)
                if ident in first:
                    line = doc.span(f"/spec/{key}/{first[ident]}/{name_field}").line
                    self._add(
                        "policy.duplicate",
                        f"duplicate {what} {ident!r} (first at line {line})",
                        doc,
                        f"/spec/{key}/{i}/{name_field}",
                        f"each {what} must be unique within a {within}",
                    )
                    found = True
                else:
                    first[ident] = i
        return found

    # -- policies -------------------------------------------------------------------------------

    def _policy(self, policy: model.Policy, doc: YamlDocument, source: SourceFile) -> None:
        name = policy.metadata.name
        span = doc.span("")
        if name in self._policy_spans:
            self._add(
                "policy.duplicate",
                f"duplicate policy name {name!r} (first at {self._policy_spans[name].location()})",
                doc,
                "/metadata/name",
                "policy names must be unique across the policy set",
            )
            return
        self._policy_spans[name] = span
        spec = policy.spec
        ok = True
        variables: list[tuple[str, CompiledExpression]] = []
        var_evidence: dict[str, tuple[Reference, ...]] = {}
        for i, var in enumerate(spec.variables):
            compiled = self._cel(
                var.expression, [n for n, _ in variables], doc, f"/spec/variables/{i}/expression"
            )
            if compiled is None:
                ok = False
                continue
            variables.append((var.name, compiled))
            var_evidence[var.name] = _with_variables(compiled, var_evidence)
        names = [v.name for v in spec.variables]
        rules: list[CompiledRule] = []
        for i, rule in enumerate(spec.rules):
            compiled_rule = self._rule(policy, rule, i, names, var_evidence, doc)
            if compiled_rule is None:
                ok = False
            else:
                rules.append(compiled_rule)
        expects = self._expects(spec.expects, doc)
        if ok and expects is not None:
            self.policies.append(
                LoadedPolicy(policy, source, span, tuple(variables), tuple(rules), expects)
            )

    def _expects(self, items: list[str], doc: YamlDocument) -> tuple[Expectation, ...] | None:
        out: list[Expectation] = []
        ok = True
        for i, text in enumerate(items):
            pointer = f"/spec/expects/{i}"
            compiled = self._cel(text, [], doc, pointer)
            if compiled is None:
                ok = False
                continue
            refs = compiled.evidence
            if len(refs) != 1 or refs[0].dotted() != text.strip():
                self._add(
                    "policy.expects",
                    f"{text!r} is not a single evidence reference",
                    doc,
                    pointer,
                    "write a path such as candidate.metrics.cost or candidate.stats.toxicity_rate",
                )
                ok = False
                continue
            out.append(Expectation(refs[0], doc.span(pointer)))
        return tuple(out) if ok else None

    def _rule(
        self,
        policy: model.Policy,
        rule: model.Rule,
        index: int,
        variables: list[str],
        var_evidence: dict[str, tuple[Reference, ...]],
        doc: YamlDocument,
    ) -> CompiledRule | None:
        base = f"/spec/rules/{index}"
        spec = policy.spec
        ok = True
        if rule.stages is not None:
            extra = [s.value for s in rule.stages if s not in spec.stages]
            if extra:
                self._add(
                    "policy.stage",
                    f"rule stages {extra} are not among the policy's stages "
                    f"{[s.value for s in spec.stages]}",
                    doc,
                    f"{base}/stages",
                    "a rule can only narrow the stages of its policy",
                )
                ok = False
        cel = rule_cel(rule)
        form_pointer = f"{base}/{rule.form}"
        expr_pointer = f"{base}/expression" if rule.form == "expression" else form_pointer
        expression = self._cel(cel.expression, variables, doc, expr_pointer)
        violation = None
        if cel.violation is not None:
            viol_pointer = f"{base}/violation" if rule.form == "expression" else form_pointer
            violation = self._cel(cel.violation, variables, doc, viol_pointer)
            ok = ok and violation is not None
        message: list[tuple[str, CompiledExpression]] = []
        if rule.message is not None:
            placeholders = self._placeholders(rule.message, variables, doc, f"{base}/message")
            ok = ok and placeholders is not None
            message = placeholders or []
        if not ok or expression is None:
            return None
        evidence = _with_variables(expression, var_evidence)
        if violation is not None:
            evidence = _merge(evidence, _with_variables(violation, var_evidence))
        return CompiledRule(
            policy=policy.metadata.name,
            rule=rule,
            span=doc.span(base),
            cel=cel,
            expression=expression,
            violation=violation,
            message=tuple(message),
            evidence=evidence,
            stages=tuple(rule.stages if rule.stages is not None else spec.stages),
            confidence=rule.confidence if rule.confidence is not None else spec.confidence,
            subject=subject_of(rule, evidence),
        )

    def _placeholders(
        self, text: str, variables: list[str], doc: YamlDocument, pointer: str
    ) -> list[tuple[str, CompiledExpression]] | None:
        out: list[tuple[str, CompiledExpression]] = []
        ok = True
        for match in _PLACEHOLDER.finditer(text):
            source = match.group(1).strip()
            inner = match.group(1)
            start = match.start(1) + len(inner) - len(inner.lstrip())
            compiled = self._cel(source, variables, doc, pointer, offset=start)
            if compiled is None:
                ok = False
            else:
                out.append((source, compiled))
        rest = _PLACEHOLDER.sub("", text)
        if "{{" in rest or "}}" in rest:
            at = _unbalanced(text)
            self.problems.append(
                Problem(
                    "policy.message",
                    "unbalanced {{ or }} in message",
                    doc.text_span(pointer, at),
                    "placeholders look like {{ candidate.stats.toxicity_rate.upper }}",
                )
            )
            ok = False
        return out if ok else None

    def _cel(
        self,
        source: str,
        variables: list[str],
        doc: YamlDocument,
        pointer: str,
        offset: int = 0,
    ) -> CompiledExpression | None:
        """Compile ``source``, which starts at character ``offset`` of the scalar at pointer."""
        compiled, issues = self.compiler.check(source, variables)
        for issue in issues:
            at = offset + _offset_of(source, issue.line, issue.column)
            self.problems.append(
                Problem(issue.code, issue.message, doc.text_span(pointer, at), issue.hint)
            )
        return compiled

    # -- waivers --------------------------------------------------------------------------------

    def _waiver(self, waiver: model.Waiver, doc: YamlDocument, source: SourceFile) -> None:
        name = waiver.metadata.name
        if name in self._waiver_spans:
            self._add(
                "policy.duplicate",
                f"duplicate waiver name {name!r} (first at {self._waiver_spans[name].location()})",
                doc,
                "/metadata/name",
                "waiver names must be unique",
            )
            return
        self._waiver_spans[name] = doc.span("")
        self.waivers.append(LoadedWaiver(waiver, source, doc.span("")))
        self._waiver_docs.append((waiver, doc))

    def cross_checks(self) -> None:
        """Waivers must name a rule that exists, when the policy they name was loaded."""
        rules = {p.name: {r.rule.id for r in p.rules} for p in self.policies}
        failed = set(self._policy_spans) - set(rules)  # policies with their own problems
        for waiver, doc in self._waiver_docs:
            spec = waiver.spec
            if spec.policy in rules and spec.rule not in rules[spec.policy]:
                match = difflib.get_close_matches(spec.rule, sorted(rules[spec.policy]), n=1)
                self._add(
                    "waiver.unknown-rule",
                    f"policy {spec.policy!r} has no rule {spec.rule!r}",
                    doc,
                    "/spec/rule",
                    (f"did you mean {match[0]!r}? " if match else "")
                    + "a waiver must name an existing rule",
                )
            elif spec.policy not in rules and spec.policy not in failed and self.policies:
                self._add(
                    "waiver.unknown-policy",
                    f"no loaded policy is named {spec.policy!r}",
                    doc,
                    "/spec/policy",
                    "validate waivers together with the policies they waive",
                )


# -- helpers ------------------------------------------------------------------------------------


def _with_variables(
    compiled: CompiledExpression, var_evidence: dict[str, tuple[Reference, ...]]
) -> tuple[Reference, ...]:
    """An expression's evidence, including what the variables it uses read (transitively)."""
    refs: tuple[Reference, ...] = compiled.evidence
    for name in sorted(compiled.variables):
        refs = _merge(refs, var_evidence.get(name, ()))
    return refs


def _merge(a: Iterable[Reference], b: Iterable[Reference]) -> tuple[Reference, ...]:
    seen: dict[tuple[str, tuple[str, ...]], Reference] = {}
    for ref in (*a, *b):
        seen.setdefault((ref.root, ref.path), ref)
    return tuple(seen.values())


def _offset_of(text: str, line: int, column: int) -> int:
    """0-based offset of a 1-based (line, column) in ``text``."""
    lines = text.split("\n")
    before = sum(len(x) + 1 for x in lines[: max(line - 1, 0)])
    return before + max(column - 1, 0)


def _unbalanced(text: str) -> int:
    """Offset of the first ``{{`` or ``}}`` that is not part of a complete placeholder."""
    covered = [m.span() for m in _PLACEHOLDER.finditer(text)]
    for token in ("{{", "}}"):
        i = text.find(token)
        while i >= 0:
            if not any(a <= i < b for a, b in covered):
                return i
            i = text.find(token, i + 1)
    return 0


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    full = schema.shipped()
    return Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": full["$defs"]})


def relevant_errors(errors: list[Any]) -> list[Any]:
    """Errors deepest first, without the echo of an unknown key: a rule whose only form key is
    misspelt (``treshold``) is reported as the unknown key, not also as "needs one of"."""
    unknown_at = {tuple(e.absolute_path) for e in errors if e.validator == "additionalProperties"}
    kept = [
        e for e in errors if not (e.validator == "oneOf" and tuple(e.absolute_path) in unknown_at)
    ]
    return sorted(kept, key=lambda e: (-len(e.absolute_path), list(map(str, e.absolute_path))))


def json_pointer(path: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)


_PATTERN_WORDS = {
    model.SLUG: "lower-case letters, digits and . _ - (a slug, at most 64 characters)",
    model.IDENTIFIER: "a name of letters, digits and _ that does not start with a digit",
    model.METRIC_NAME: "letters, digits, spaces and _ . - /",
    model.DURATION: "a duration like 30m, 4h, 2d or 1w",
    model.DATE_OR_DATETIME: "a date (2026-12-31) or an RFC 3339 date-time (2026-12-31T18:00:00Z)",
}
_JSON_TYPES = {
    str: "a string",
    bool: "a boolean",
    int: "a number",
    float: "a number",
    list: "a list",
    dict: "a mapping",
    type(None): "empty",
}


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_problem(error: Any, doc: YamlDocument) -> Problem:
    pointer = json_pointer(error.absolute_path)
    keyword = error.validator
    instance = error.instance
    span = doc.span(pointer)
    hint = ""
    if keyword == "additionalProperties":
        return _unknown_key_problem(error, doc, pointer)
    if keyword == "required":
        missing = next((r for r in error.validator_value if r not in instance), "?")
        if missing == "expires":
            hint = "every waiver needs an expiry date, e.g. expires: 2026-12-31"
        elif missing == "rules":
            hint = "a policy needs at least one rule"
        return Problem("schema.required", f"missing required key {missing!r}", span, hint)
    if keyword == "oneOf" and all(set(branch) == {"required"} for branch in error.validator_value):
        options = [branch["required"][0] for branch in error.validator_value]
        present = [o for o in options if isinstance(instance, dict) and o in instance]
        return Problem(
            "schema.one-of",
            f"needs exactly one of {', '.join(options)}"
            + (f"; found {', '.join(present)}" if present else ""),
            span,
            f"keep only one of: {', '.join(present)}" if present else "",
        )
    if keyword == "dependentRequired":
        return Problem(
            "schema.one-of",
            "violation goes with expression; shorthands generate their own",
            span,
            "remove violation, or write the rule as an expression",
        )
    if keyword == "type":
        return _type_problem(error, doc, pointer)
    if keyword == "enum":
        options = [str(o) for o in error.validator_value]
        match = difflib.get_close_matches(str(instance), options, n=1)
        return Problem(
            "schema.enum",
            f"{_short(instance)} is not one of: {', '.join(options)}",
            span,
            f"did you mean {match[0]!r}?" if match else "",
        )
    if keyword == "const":
        return Problem(
            "schema.const",
            f"expected {error.validator_value!r}, got {_short(instance)}",
            span,
            "this version of govgate reads apiVersion govgate/v1"
            if pointer == "/apiVersion"
            else "",
        )
    if keyword == "pattern":
        words = _PATTERN_WORDS.get(error.validator_value, f"the pattern {error.validator_value}")
        return Problem("schema.pattern", f"{_short(instance)} is not {words}", span)
    if keyword in ("minItems", "minLength") and error.validator_value == 1:
        return Problem("schema.empty", "must not be empty", span)
    if keyword == "uniqueItems":
        repeated = next((v for i, v in enumerate(instance) if v in instance[:i]), None)
        return Problem(
            "schema.unique", f"duplicate entry {_short(repeated)}", span, "list each entry once"
        )
    return Problem(f"schema.{keyword}", _one_line(error.message), span)


def _unknown_key_problem(error: Any, doc: YamlDocument, pointer: str) -> Problem:
    instance = error.instance
    allowed = sorted(error.schema.get("properties", {}))
    extra = sorted(set(instance) - set(allowed)) if isinstance(instance, dict) else []
    key = extra[0] if extra else "?"
    match = difflib.get_close_matches(key, allowed, n=1)
    return Problem(
        "schema.unknown-key",
        f"unknown key {key!r}" + (f" (and {len(extra) - 1} more)" if len(extra) > 1 else ""),
        doc.key_span(f"{pointer}/{key}"),
        (f"did you mean {match[0]!r}? " if match else "") + "allowed keys: " + ", ".join(allowed),
    )


def _type_problem(error: Any, doc: YamlDocument, pointer: str) -> Problem:
    instance = error.instance
    span = doc.span(pointer)
    hint = ""
    want = error.validator_value
    got = _JSON_TYPES.get(type(instance), type(instance).__name__)
    info = doc.scalars.get(pointer)
    if isinstance(instance, str) and instance in YAML11_BOOLEANS and doc.is_plain(pointer):
        hint = (
            f"govgate reads YAML 1.2, where {instance} is the string {instance!r}, "
            "not a boolean as in YAML 1.1: write true or false, or quote it"
        )
    elif want == "string" and type(instance) in (int, float):
        hint = f'quote it: "{doc.raw.get(pointer, instance)}"'
    elif want in ("number", "integer") and isinstance(instance, str):
        hint = (
            "remove the quotes to make it a number"
            if info is not None and info.style in ("'", '"')
            else "write a plain number such as 0.01 or 1e-2"
        )
    return Problem(
        "schema.type", f"expected {_type_words(want)}, got {got} {_short(instance)}", span, hint
    )


def _type_words(want: Any) -> str:
    names = {
        "string": "a string",
        "number": "a number",
        "integer": "an integer",
        "boolean": "a boolean",
        "array": "a list",
        "object": "a mapping",
    }
    if isinstance(want, list):
        return " or ".join(str(names.get(w, w)) for w in want)
    return names.get(want, str(want))


def _one_line(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= 200 else line[:197] + "..."


def model_problems(exc: ValidationError, doc: YamlDocument) -> list[Problem]:
    out: list[Problem] = []
    for err in exc.errors():
        loc = [
            p for p in err.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-"))
        ]
        message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        out.append(Problem("schema.invalid", message, doc.span(json_pointer(loc))))
    return out
