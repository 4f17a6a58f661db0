"""One policy document compiled: its variables, rules and expectations, every problem placed.

Each rule's CEL (written, or generated from a shorthand) is compiled and linted once per
process; a problem inside an expression string is placed at its own line and column in the
file, through the YAML source map. The compiled rule carries its :class:`Subject`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable

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

_PLACEHOLDER = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)


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
        ok = True
        variables: list[tuple[str, CompiledExpression]] = []
        var_evidence: dict[str, tuple[Reference, ...]] = {}
        slos = [s.name for s in spec.slos]
        for i, var in enumerate(spec.variables):
            compiled = self._cel(
                var.expression,
                [n for n, _ in variables],
                doc,
                f"/spec/variables/{i}/expression",
                slos=slos,
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
        expects = self._expects(spec.expects, doc, slos)
        if ok and expects is not None:
            return LoadedPolicy(policy, source, span, tuple(variables), tuple(rules), expects)
        return None

    def _expects(
        self, items: list[str], doc: YamlDocument, slos: list[str]
    ) -> tuple[Expectation, ...] | None:
        out: list[Expectation] = []
        ok = True
        for i, text in enumerate(items):
            pointer = f"/spec/expects/{i}"
            compiled = self._cel(text, [], doc, pointer, slos=slos)
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
        slos = {s.name: s for s in spec.slos}
        if rule.slo is not None and not self._slo_rule(rule.slo, slos, doc, f"{base}/slo"):
            return None  # its CEL would only repeat the problem, at a worse place
        cel = rule_cel(rule)
        form_pointer = f"{base}/{rule.form}"
        expr_pointer = f"{base}/expression" if rule.form == "expression" else form_pointer
        expression = self._cel(cel.expression, variables, doc, expr_pointer, slos=slos)
        violation = None
        if cel.violation is not None:
            viol_pointer = f"{base}/violation" if rule.form == "expression" else form_pointer
            violation = self._cel(cel.violation, variables, doc, viol_pointer, slos=slos)
            ok = ok and violation is not None
        message: list[tuple[str, CompiledExpression]] = []
        if rule.message is not None:
            placeholders = self._placeholders(
                rule.message, variables, doc, f"{base}/message", list(slos)
            )
            ok = ok and placeholders is not None
            message = placeholders or []
        if not ok or expression is None:
            return None
        evidence = _with_variables(expression, var_evidence)
        if violation is not None:
            evidence = _merge(evidence, _with_variables(violation, var_evidence))
        if not evidence:
            self._add(
                "policy.no-evidence",
                "the rule reads no evidence, so it would decide the same on any run "
                "(an empty one too)",
                doc,
                expr_pointer,
                "refer to what the rule judges, e.g. candidate.stats.toxicity_rate.upper <= 0.01",
            )
            return None
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

    def _slo_rule(
        self, rule: model.SloRule, slos: dict[str, model.Slo], doc: YamlDocument, pointer: str
    ) -> bool:
        """An ``slo`` shorthand names an SLO of this policy, with windows inside its window."""
        slo = slos.get(rule.name)
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
        self,
        text: str,
        variables: list[str],
        doc: YamlDocument,
        pointer: str,
        slos: list[str],
    ) -> list[tuple[str, CompiledExpression]] | None:
        out: list[tuple[str, CompiledExpression]] = []
        ok = True
        for match in _PLACEHOLDER.finditer(text):
            source = match.group(1).strip()
            inner = match.group(1)
            start = match.start(1) + len(inner) - len(inner.lstrip())
            compiled = self._cel(source, variables, doc, pointer, offset=start, slos=slos)
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
        slos: Collection[str] = (),
    ) -> CompiledExpression | None:
        """Compile ``source``, which starts at character ``offset`` of the scalar at pointer;
        ``slos`` are the names the policy defines (``candidate.slo.NAME``)."""
        compiled, issues = self.compiler.check(source, variables, slos)
        for issue in issues:
            at = offset + _offset_of(source, issue.line, issue.column)
            self.problems.append(
                Problem(issue.code, issue.message, doc.text_span(pointer, at), issue.hint)
            )
        return compiled


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
