"""One policy document compiled: its variables, rules and expectations, every problem placed.

Each rule's CEL (written, or generated from a shorthand) is compiled and linted once per
process; a problem inside an expression string is placed at its own line and column in the
file, through the YAML source map. The compiled rule carries its :class:`Subject`.

A document that failed its schema or model is still read for the CEL it holds
(:meth:`PolicyBuilder.check_readable`): every variable, rule and expectation that can be read
is checked as it would be in a valid document, and a rule that cannot be read has its
``expression``, ``violation`` and ``message`` checked when they are strings the schema accepts.
Nothing derived from a broken part is checked (no generated CEL for a broken shorthand, no
unknown-variable error when the variables cannot all be read), so every problem reported
stands on its own.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from govgate.cel import CelCompiler, CompiledExpression, Reference
from govgate.cel.lint import close_match
from govgate.document.nodes import YamlDocument
from govgate.durations import seconds as duration_seconds
from govgate.errors import Problem
from govgate.policy import model
from govgate.policy.compiled import (
    CompiledRule,
    Expectation,
    LoadedPolicy,
    SourceFile,
    subject_of,
)
from govgate.policy.shorthand import rule_cel
from govgate.terms import Stage

_M = TypeVar("_M", bound=BaseModel)
_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


@dataclass
class _Scope:
    """What a policy's CEL may name, and what its rules inherit. ``None`` where a broken part
    of the document hides it: the checks that need it are skipped, not guessed."""

    policy: str
    stages: tuple[Stage, ...] | None
    confidence: float
    variables: list[str] | None  # every variable's name, in order
    slo_names: list[str] | None
    slos: dict[str, model.Slo]  # the SLOs that could be read
    compiled: list[tuple[str, CompiledExpression]] = field(default_factory=list)
    var_evidence: dict[str, tuple[Reference, ...]] = field(default_factory=dict)
    #: variables whose evidence is not known: they failed, or use one that did (transitively)
    uncertain: set[str] = field(default_factory=set)

    def before(self, index: int) -> list[str] | None:
        """The variables a variable at ``index`` may use: those defined above it."""
        return None if self.variables is None else self.variables[:index]


class PolicyBuilder:
    """Compiles policy documents with one CEL compiler, adding problems to ``problems``."""

    def __init__(self, compiler: CelCompiler, problems: list[Problem]) -> None:
        self.compiler = compiler
        self.problems = problems

    def _add(
        self, code: str, message: str, doc: YamlDocument, pointer: str, hint: str = ""
    ) -> None:
        self.problems.append(Problem(code, message, doc.span(pointer), hint))

    def build(
        self, policy: model.Policy, doc: YamlDocument, source: SourceFile
    ) -> LoadedPolicy | None:
        """The compiled policy, or ``None`` when any part of it has a problem (all reported)."""
        span = doc.span("")
        spec = policy.spec
        scope = _Scope(
            policy=policy.metadata.name,
            stages=tuple(spec.stages),
            confidence=spec.confidence,
            variables=[v.name for v in spec.variables],
            slo_names=[s.name for s in spec.slos],
            slos={s.name: s for s in spec.slos},
        )
        ok = True
        for i, var in enumerate(spec.variables):
            ok = self._variable(var.name, var.expression, i, scope, doc) and ok
        rules: list[CompiledRule] = []
        for i, rule in enumerate(spec.rules):
            compiled_rule = self._rule(rule, i, scope, doc)
            if compiled_rule is None:
                ok = False
            else:
                rules.append(compiled_rule)
        expects = [self._expect(text, i, doc, scope) for i, text in enumerate(spec.expects)]
        if ok and all(e is not None for e in expects):
            return LoadedPolicy(
                policy,
                source,
                span,
                tuple(scope.compiled),
                tuple(rules),
                tuple(e for e in expects if e is not None),
            )
        return None

    def check_readable(self, doc: YamlDocument, broken: Collection[str]) -> None:
        """Check the CEL of a policy document that failed its schema or model, wherever it can
        still be read. ``broken``: the pointers of the problems already reported; a node at or
        under one of them is not read."""

        def readable(pointer: str) -> bool:
            return not any(b == pointer or b.startswith(pointer + "/") for b in broken)

        value = doc.value
        spec = value.get("spec") if isinstance(value, dict) else None
        if not isinstance(spec, dict):
            return
        variables = _entries(spec, "variables")
        rules = _entries(spec, "rules")
        slos = _entries(spec, "slos")
        scope = _Scope(
            policy=str(_get(value, "metadata", "name") or ""),
            stages=_stages(spec.get("stages")) if readable("/spec/stages") else None,
            confidence=0.95,
            variables=_names(variables, "name"),
            slo_names=_names(slos, "name"),
            slos={
                s.name: s
                for i, raw in enumerate(slos or [])
                if readable(f"/spec/slos/{i}") and (s := _parse(model.Slo, raw)) is not None
            },
        )
        for i, var in enumerate(variables or []):
            expression = var.get("expression") if isinstance(var, dict) else None
            name = var.get("name") if isinstance(var, dict) else None
            if isinstance(expression, str) and readable(f"/spec/variables/{i}/expression"):
                self._variable(name if isinstance(name, str) else "", expression, i, scope, doc)
        for i, raw in enumerate(rules or []):
            base = f"/spec/rules/{i}"
            rule = _parse(model.Rule, raw)
            if rule is not None:  # the rule itself is sound: check it whole
                self._rule(rule, i, scope, doc)
                continue
            if not isinstance(raw, dict):
                continue
            for key in ("expression", "violation"):
                text = raw.get(key)
                if isinstance(text, str) and text.strip() and readable(f"{base}/{key}"):
                    self._cel(text, scope.variables, doc, f"{base}/{key}", slos=scope.slo_names)
            message = raw.get("message")
            if isinstance(message, str) and readable(f"{base}/message"):
                self._placeholders(message, scope, doc, f"{base}/message")
        for i, text in enumerate(_entries(spec, "expects") or []):
            if isinstance(text, str) and text.strip() and readable(f"/spec/expects/{i}"):
                self._expect(text, i, doc, scope)

    def _variable(
        self, name: str, expression: str, index: int, scope: _Scope, doc: YamlDocument
    ) -> bool:
        pointer = f"/spec/variables/{index}/expression"
        compiled = self._cel(expression, scope.before(index), doc, pointer, slos=scope.slo_names)
        if compiled is None:
            scope.uncertain.add(name)
            return False
        scope.compiled.append((name, compiled))
        scope.var_evidence[name] = _with_variables(compiled, scope.var_evidence)
        if (
            compiled.variables & scope.uncertain
            or not compiled.variables <= scope.var_evidence.keys()
        ):
            scope.uncertain.add(name)
        return True

    def _expect(
        self, text: str, index: int, doc: YamlDocument, scope: _Scope
    ) -> Expectation | None:
        pointer = f"/spec/expects/{index}"
        compiled = self._cel(text, [], doc, pointer, slos=scope.slo_names)
        if compiled is None:
            return None
        refs = compiled.evidence
        if len(refs) != 1 or refs[0].dotted() != text.strip():
            self._add(
                "policy.expects",
                f"{text!r} is not a single evidence reference",
                doc,
                pointer,
                "write a path such as candidate.metrics.cost or candidate.stats.toxicity_rate",
            )
            return None
        return Expectation(refs[0], doc.span(pointer))

    def _rule(
        self, rule: model.Rule, index: int, scope: _Scope, doc: YamlDocument
    ) -> CompiledRule | None:
        base = f"/spec/rules/{index}"
        ok = True
        if rule.stages is not None and scope.stages is not None:
            extra = [s.value for s in rule.stages if s not in scope.stages]
            if extra:
                self._add(
                    "policy.stage",
                    f"rule stages {extra} are not among the policy's stages "
                    f"{[s.value for s in scope.stages]}",
                    doc,
                    f"{base}/stages",
                    "a rule can only narrow the stages of its policy",
                )
                ok = False
        if rule.slo is not None and not self._slo_rule(rule.slo, scope, doc, f"{base}/slo"):
            return None  # its CEL would only repeat the problem, at a worse place
        cel = rule_cel(rule)
        form_pointer = f"{base}/{rule.form}"
        expr_pointer = f"{base}/expression" if rule.form == "expression" else form_pointer
        slos = scope.slo_names
        expression = self._cel(cel.expression, scope.variables, doc, expr_pointer, slos=slos)
        violation = None
        if cel.violation is not None:
            viol_pointer = f"{base}/violation" if rule.form == "expression" else form_pointer
            violation = self._cel(cel.violation, scope.variables, doc, viol_pointer, slos=slos)
            ok = ok and violation is not None
        message: list[tuple[str, CompiledExpression]] = []
        if rule.message is not None:
            placeholders = self._placeholders(rule.message, scope, doc, f"{base}/message")
            ok = ok and placeholders is not None
            message = placeholders or []
        if not ok or expression is None:
            return None
        evidence = _with_variables(expression, scope.var_evidence)
        used = expression.variables
        if violation is not None:
            evidence = _merge(evidence, _with_variables(violation, scope.var_evidence))
            used = used | violation.variables
        if not evidence and not used & scope.uncertain and used <= scope.var_evidence.keys():
            # (a variable that failed to compile may read evidence: it has its own problem)
            self._add(
                "policy.no-evidence",
                "the rule reads no evidence, so it would decide the same on any run "
                "(an empty one too)",
                doc,
                expr_pointer,
                "refer to what the rule judges, e.g. candidate.stats.toxicity_rate.upper <= 0.01",
            )
            return None
        if not evidence or scope.stages is None:
            return None
        return CompiledRule(
            policy=scope.policy,
            rule=rule,
            span=doc.span(base),
            cel=cel,
            expression=expression,
            violation=violation,
            message=tuple(message),
            evidence=evidence,
            stages=tuple(rule.stages if rule.stages is not None else scope.stages),
            confidence=rule.confidence if rule.confidence is not None else scope.confidence,
            subject=subject_of(rule, evidence),
        )

    def _slo_rule(
        self, rule: model.SloRule, scope: _Scope, doc: YamlDocument, pointer: str
    ) -> bool:
        """An ``slo`` shorthand names an SLO of this policy, with windows inside its window."""
        slos = scope.slos
        slo = slos.get(rule.name)
        if slo is None and (scope.slo_names is None or rule.name in scope.slo_names):
            return False  # the SLO is there, or may be, but could not be read: its own problem
        if slo is None:
            defined = ", ".join(sorted(slos)) or "none"
            self._add(
                "policy.slo",
                f"the rule names SLO {rule.name!r}, which this policy does not define",
                doc,
                f"{pointer}/name",
                close_match(rule.name, slos)
                + f"define it under spec.slos (this policy defines: {defined})",
            )
            return False
        long_s, window_s = duration_seconds(rule.burn_rate.long), duration_seconds(slo.window)
        if long_s is not None and window_s is not None and long_s > window_s:
            self._add(
                "policy.slo",
                f"the long window ({rule.burn_rate.long}) is longer than the window of SLO "
                f"{rule.name!r} ({slo.window})",
                doc,
                f"{pointer}/burn_rate/long",
                "a burn rate is measured over part of the SLO window: shorten the long window "
                "(the SRE workbook's tiers for a 30d SLO: 1h/5m, 6h/30m, 3d/6h)",
            )
            return False
        return True

    def _placeholders(
        self, text: str, scope: _Scope, doc: YamlDocument, pointer: str
    ) -> list[tuple[str, CompiledExpression]] | None:
        out: list[tuple[str, CompiledExpression]] = []
        ok = True
        for match in _PLACEHOLDER.finditer(text):
            source = match.group(1).strip()
            inner = match.group(1)
            start = match.start(1) + len(inner) - len(inner.lstrip())
            compiled = self._cel(
                source, scope.variables, doc, pointer, offset=start, slos=scope.slo_names
            )
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
        variables: Collection[str] | None,
        doc: YamlDocument,
        pointer: str,
        offset: int = 0,
        slos: Collection[str] | None = (),
    ) -> CompiledExpression | None:
        """Compile ``source``, which starts at character ``offset`` of the scalar at pointer;
        ``variables`` and ``slos`` are the names the policy defines (``variables.NAME``,
        ``candidate.slo.NAME``), ``None`` when they cannot be known (then not checked)."""
        compiled, issues = self.compiler.check(source, variables, slos)
        for issue in issues:
            at = offset + _offset_of(source, issue.line, issue.column)
            self.problems.append(
                Problem(issue.code, issue.message, doc.text_span(pointer, at), issue.hint)
            )
        return compiled


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        value = value.get(key) if isinstance(value, dict) else None
    return value


def _entries(spec: dict[str, Any], key: str) -> list[Any] | None:
    """``spec[key]`` when it is a list (absent: an empty one), else ``None``."""
    found = spec.get(key, [])
    return found if isinstance(found, list) else None


def _names(entries: list[Any] | None, key: str) -> list[str] | None:
    """Every entry's name, or ``None`` when an entry has none that can be read."""
    if entries is None:
        return None
    names = [e.get(key) if isinstance(e, dict) else None for e in entries]
    return [n for n in names if isinstance(n, str)] if None not in names else None


def _stages(value: Any) -> tuple[Stage, ...] | None:
    if not isinstance(value, list) or not value:
        return None
    try:
        return tuple(Stage(v) for v in value)
    except (TypeError, ValueError):
        return None


def _parse(cls: type[_M], value: Any) -> _M | None:
    """``value`` as ``cls`` (strict, as the loader reads documents), or ``None``."""
    try:
        return cls.model_validate_json(json.dumps(value), strict=True)
    except (ValidationError, TypeError, ValueError):
        return None


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
