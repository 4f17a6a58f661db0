"""Lint a parsed CEL tree: limits, allowed functions, the evidence vocabulary, literal paths.

Walked iteratively (no input can exhaust recursion here):

* length, semantic nesting depth (operators, calls, member access, parentheses) and a raw
  parse-tree depth backstop, so evaluation cannot hit Python's recursion limit;
* comprehension nesting (``all``/``exists``/``exists_one``/``map``/``filter`` inside each other);
* functions and methods outside the allow-list (vocabulary.py);
* names outside the evidence vocabulary, and fields that do not exist in it;
* dynamic evidence references (``candidate.metrics[x]``): the gate must know, before evaluating,
  which evidence a rule reads, so names must be literals.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection
from typing import Any

from govgate.cel import vocabulary as voc
from govgate.cel.expression import CelIssue, CelLimits, Reference

_SEMANTIC = frozenset(
    {
        "relation_lt", "relation_le", "relation_gt", "relation_ge", "relation_eq",
        "relation_ne", "relation_in", "addition_add", "addition_sub", "multiplication_mul",
        "multiplication_div", "multiplication_mod", "unary_not", "unary_neg", "member_dot",
        "member_dot_arg", "member_index", "ident_arg", "paren_expr", "list_lit", "map_lit",
    }
)  # fmt: skip


def _is_tree(node: Any) -> bool:
    return hasattr(node, "data")


def _pos(node: Any) -> tuple[int, int]:
    """1-based (line, column) of a tree node or token; lark leaves some nodes without one."""
    meta = getattr(node, "meta", None)
    if meta is not None and not meta.empty and getattr(meta, "line", None) is not None:
        return int(meta.line), int(meta.column or 1)
    if getattr(node, "line", None) is not None:  # a token
        return int(node.line), int(getattr(node, "column", 1) or 1)
    if _is_tree(node):  # the first token below it
        for token in node.scan_values(lambda v: getattr(v, "line", None) is not None):
            return int(token.line), int(token.column or 1)
    return 1, 1


def _string_literal(node: Any) -> str | None:
    """The value of ``node`` if it is nothing but one string literal."""
    from celpy.evaluation import celstr

    while _is_tree(node):
        if node.data == "literal":
            token = node.children[0]
            if getattr(token, "type", "") == "STRING_LIT":
                return str(celstr(token))
            return None
        trees = [c for c in node.children if _is_tree(c)]
        if len(node.children) != 1 or len(trees) != 1:
            return None
        node = trees[0]
    return None


def close_match(name: str, names: Collection[str]) -> str:
    match = difflib.get_close_matches(name, list(names), n=1)
    return f"did you mean {match[0]!r}? " if match else ""


class Walker:
    """One iterative pass over the parse tree: limits, functions, names, parents."""

    def __init__(self, limits: CelLimits) -> None:
        self.limits = limits
        self.issues: list[CelIssue] = []
        self.roots: list[Any] = []  # ident nodes naming a vocabulary root
        self.parents: dict[int, Any] = {}
        self._reported: set[str] = set()

    def _once(self, code: str, issue: CelIssue) -> None:
        if code not in self._reported:
            self._reported.add(code)
            self.issues.append(issue)

    def walk(self, ast: Any) -> None:
        limits = self.limits
        # (node, semantic depth, raw depth, comprehension nesting, bound names)
        stack: list[tuple[Any, int, int, int, frozenset[str]]] = [(ast, 0, 0, 0, frozenset())]
        while stack:
            node, depth, raw, nesting, bound = stack.pop()
            if node.data in _SEMANTIC:
                depth += 1
            raw += 1
            line, column = _pos(node)
            if depth > limits.max_depth or raw > limits.max_raw_depth:
                self._once(
                    "depth",
                    CelIssue(
                        "cel.too-deep",
                        f"expression nests deeper than {limits.max_depth} levels",
                        line,
                        column,
                        "split it into variables",
                    ),
                )
                continue
            children = [c for c in node.children if _is_tree(c)]
            kind = node.data
            if kind == "member_dot_arg":
                method = str(node.children[1])
                if method not in voc.METHODS:
                    self._function_issue(method, node, voc.METHODS, "method")
                if method in voc.MACROS:
                    self._macro(node, depth, raw, nesting, bound, stack)
                    continue
            elif kind == "ident_arg":
                name = str(node.children[0])
                if name not in voc.GLOBAL_FUNCTIONS:
                    self._function_issue(name, node, voc.GLOBAL_FUNCTIONS, "function")
                elif name == "has":
                    self._has(node)
            elif kind in ("dot_ident", "dot_ident_arg"):
                self.issues.append(
                    CelIssue("cel.unsupported", "leading-dot names are not supported", line, column)
                )
            elif kind == "member_object":
                self.issues.append(
                    CelIssue(
                        "cel.unsupported", "message construction is not supported", line, column
                    )
                )
            elif kind == "ident":
                self._ident(node, bound)
            for child in children:
                self.parents[id(child)] = node
                stack.append((child, depth, raw, nesting, bound))

    def _function_issue(self, name: str, node: Any, allowed: frozenset[str], what: str) -> None:
        token = node.children[1] if what == "method" else node.children[0]
        line, column = _pos(token)
        self.issues.append(
            CelIssue(
                "cel.unknown-function",
                f"unknown {what} {name!r}",
                line,
                column,
                close_match(name, allowed) + f"allowed {what}s: {voc.describe(allowed)}",
            )
        )

    def _has(self, node: Any) -> None:
        """``has()`` takes one field selection ``e.f`` (as in CEL): anything else would be
        evaluated only to be thrown away, an error included."""
        args = node.children[1] if len(node.children) > 1 else None
        arg_list = [c for c in args.children if _is_tree(c)] if args is not None else []
        if len(arg_list) != 1 or field_selection(arg_list[0]) is None:
            line, column = _pos(node.children[0])
            self.issues.append(
                CelIssue(
                    "cel.syntax",
                    "has() takes one field selection",
                    line,
                    column,
                    "write has(e.f), e.g. has(candidate.tags.team); for a key that is not a "
                    'name use "key" in e',
                )
            )

    def _macro(
        self,
        node: Any,
        depth: int,
        raw: int,
        nesting: int,
        bound: frozenset[str],
        stack: list[tuple[Any, int, int, int, frozenset[str]]],
    ) -> None:
        receiver = node.children[0]
        args = node.children[2] if len(node.children) > 2 else None
        arg_list = [c for c in args.children if _is_tree(c)] if args is not None else []
        line, column = _pos(node.children[1])
        if len(arg_list) != 2:
            self.issues.append(
                CelIssue(
                    "cel.syntax",
                    f"{node.children[1]}() takes a variable and an expression",
                    line,
                    column,
                )
            )
            return
        var_name = _bare_ident(arg_list[0])
        if var_name is None:
            self.issues.append(
                CelIssue("cel.syntax", "the first argument of a macro must be a name", line, column)
            )
            return
        if nesting + 1 > self.limits.max_comprehension_nesting:
            self._once(
                "comprehension",
                CelIssue(
                    "cel.too-complex",
                    f"comprehensions nest deeper than {self.limits.max_comprehension_nesting}",
                    line,
                    column,
                    "nested all/exists/map/filter grow multiplicatively; flatten the expression",
                ),
            )
            return
        self.parents[id(receiver)] = node
        self.parents[id(arg_list[1])] = node
        stack.append((receiver, depth, raw, nesting, bound))
        stack.append((arg_list[1], depth, raw, nesting + 1, bound | {var_name}))

    def _ident(self, node: Any, bound: frozenset[str]) -> None:
        name = str(node.children[0])
        if name in bound:
            return
        if name in voc.ROOTS:
            self.roots.append(node)
            return
        line, column = _pos(node.children[0])
        self.issues.append(
            CelIssue(
                "cel.unknown-name",
                f"unknown name {name!r}",
                line,
                column,
                close_match(name, voc.ROOTS) + f"expressions may use: {voc.describe(voc.ROOTS)}",
            )
        )


def field_selection(node: Any) -> Any:
    """The ``e.f`` tree that ``node`` (a ``has()`` argument) consists of, or ``None`` when it
    is anything else: CEL's ``has()`` takes one field selection and nothing else."""
    while _is_tree(node):
        if node.data == "member_dot":
            return node
        trees = [c for c in node.children if _is_tree(c)]
        if len(node.children) != 1 or len(trees) != 1:
            return None
        node = trees[0]
    return None


def _bare_ident(node: Any) -> str | None:
    while _is_tree(node):
        if node.data == "ident":
            return str(node.children[0])
        trees = [c for c in node.children if _is_tree(c)]
        if len(node.children) != 1 or len(trees) != 1:
            return None
        node = trees[0]
    return None


def reference_of(
    ident: Any, parents: dict[int, Any]
) -> tuple[Reference, tuple[tuple[int, int], ...], list[CelIssue]]:
    """Climb from a root name through member access to the longest literal path.

    Returns the reference, the (line, column) of each path segment, and any problems.
    """
    root = str(ident.children[0])
    line, column = _pos(ident.children[0])
    path: list[str] = []
    positions: list[tuple[int, int]] = []
    issues: list[CelIssue] = []
    node = ident
    while True:
        parent = parents.get(id(node))
        if parent is None:
            break
        kind = parent.data
        if kind in ("primary", "member"):
            node = parent
            continue
        if kind == "member_dot" and parent.children[0] is node:
            path.append(str(parent.children[1]))
            positions.append(_pos(parent.children[1]))
        elif kind == "member_index" and parent.children[0] is node:
            key = _string_literal(parent.children[1])
            if key is None:
                if root in voc.EVIDENCE_ROOTS and len(path) < voc.UNIT_DEPTH[root]:
                    at = _pos(parent.children[1])
                    issues.append(
                        CelIssue(
                            "cel.dynamic-reference",
                            "evidence names must be string literals",
                            at[0],
                            at[1],
                            'write candidate.metrics["name"]; the gate must know what a rule reads',
                        )
                    )
                break
            path.append(key)
            positions.append(_pos(parent.children[1]))
        elif (
            kind == "member_dot_arg"
            and parent.children[0] is node
            and str(parent.children[1]) == "by_group"
        ):
            args = parent.children[2] if len(parent.children) > 2 else None
            arg_list = [c for c in args.children if _is_tree(c)] if args is not None else []
            column_name = _string_literal(arg_list[0]) if len(arg_list) == 1 else None
            at = _pos(parent.children[1])
            if column_name is None:
                issues.append(
                    CelIssue(
                        "cel.dynamic-reference",
                        'by_group() takes one string literal, e.g. by_group("language")',
                        at[0],
                        at[1],
                    )
                )
                break
            path.extend(("by_group", column_name))
            positions.extend((at, at))
        else:
            break
        node = parent
    return Reference(root, tuple(path), line, column), tuple(positions), issues


class _PathCheck:
    """Checks one reference's path against the evidence vocabulary, segment by segment."""

    def __init__(self, ref: Reference, positions: tuple[tuple[int, int], ...]) -> None:
        self.ref = ref
        self.path = ref.path
        self.positions = positions

    def at(self, i: int) -> tuple[int, int]:
        return self.positions[i] if i < len(self.positions) else (self.ref.line, self.ref.column)

    def unknown(self, i: int, allowed: Collection[str], where: str) -> list[CelIssue]:
        return [
            CelIssue(
                "cel.unknown-field",
                f"{where} has no field {self.path[i]!r}",
                *self.at(i),
                close_match(self.path[i], allowed) + f"fields: {voc.describe(set(allowed))}",
            )
        ]

    def ends(self, i: int, what: str) -> list[CelIssue]:
        """Nothing may follow segment ``i - 1``."""
        if len(self.path) <= i:
            return []
        return [
            CelIssue(
                "cel.unknown-field",
                f"{what} has no field {self.path[i]!r}",
                *self.at(i),
                "see the evidence vocabulary in the policy language reference",
            )
        ]

    def field(self, i: int, allowed: Collection[str], where: str) -> list[CelIssue]:
        """Segment ``i``, when present, must be one of ``allowed``; nothing may follow it."""
        if len(self.path) > i and self.path[i] not in allowed:
            return self.unknown(i, allowed, where)
        return self.ends(i + 1, f"{where}.{self.path[i]}" if len(self.path) > i else where)

    def check(self) -> list[CelIssue]:
        root = self.ref.root
        if root in ("stage", "now"):
            return self.ends(0, root)
        if root == "variables":
            if self.path:
                return []
            return [
                CelIssue(
                    "cel.unknown-field",
                    "use variables.NAME, not variables alone",
                    self.ref.line,
                    self.ref.column,
                )
            ]
        if root in ("candidate", "baseline"):
            return self.run(root)
        if root == "compare":
            name = self.path[0] if self.path else ""
            return self.field(1, voc.COMPARE_FIELDS, f"compare.{name}")
        return self.fairness()

    def run(self, root: str) -> list[CelIssue]:
        if not self.path:
            return []
        section = self.path[0]
        if section not in voc.RUN_SECTIONS:
            return self.unknown(0, voc.RUN_SECTIONS, root)
        fields = voc.RUN_SECTIONS[section]
        if fields is not None:
            return self.field(1, fields, f"{root}.{section}")
        if section in voc.NAMED_SECTIONS:
            return self.named(root, section)
        if section == "stats" and len(self.path) > 1:
            return self.field(2, voc.STAT_FIELDS, f"{root}.stats.{self.path[1]}")
        name = self.path[1] if len(self.path) > 1 else ""
        return self.ends(2, f"{root}.{section}.{name}")

    def named(self, root: str, section: str) -> list[CelIssue]:
        """``*.history.NAME`` (a list: nothing follows by name) and ``*.slo.NAME.FIELD``."""
        usage = f"{root}.slo.NAME.FIELD" if section == "slo" else f"{root}.history.NAME"
        if len(self.path) < 2:
            return [
                CelIssue(
                    "cel.unknown-field",
                    f"use {usage}, not {root}.{section} alone",
                    *self.at(0),
                    "the gate must know which "
                    + ("SLO" if section == "slo" else "metric's history")
                    + " a rule reads",
                )
            ]
        where = f"{root}.{section}.{self.path[1]}"
        if section == "history":
            return self.ends(2, where)
        if len(self.path) > 2:
            name = self.path[2]
            if name not in voc.SLO_FIELDS and voc.slo_window(name) is None:
                attempt = voc.slo_window_attempt(name)
                if attempt is not None:
                    return [
                        CelIssue(
                            "cel.unknown-field",
                            f"{where} has no field {name!r}: {attempt!r} is not a window",
                            *self.at(2),
                            "a window is a duration like 5m, 1h, 6h, 3d or 1w "
                            "(a whole number without a leading zero and one unit: m, h, d, w)",
                        )
                    ]
                windowed = ", ".join(f"{f}_<window>" for f in voc.SLO_WINDOW_FIELDS)
                suffix = name.rsplit("_", 1)[-1] if "_" in name else ""
                known = set(voc.SLO_FIELDS) | {
                    f"{f}_{suffix}"
                    for f in voc.SLO_WINDOW_FIELDS
                    if voc.slo_window(f"{f}_{suffix}")
                }
                return [
                    CelIssue(
                        "cel.unknown-field",
                        f"{where} has no field {name!r}",
                        *self.at(2),
                        close_match(name, known)
                        + f"fields: {voc.describe(voc.SLO_FIELDS)}, and {windowed} "
                        "(e.g. burn_rate_1h)",
                    )
                ]
        return self.ends(3, f"{where}.{self.path[2]}" if len(self.path) > 2 else where)

    def fairness(self) -> list[CelIssue]:
        path = self.path
        if not path:
            return []
        if path[0] != "by_group":
            return [
                CelIssue(
                    "cel.unknown-field",
                    f"fairness has no field {path[0]!r}",
                    *self.at(0),
                    'use fairness.by_group("COLUMN").stats.METRIC.FIELD',
                )
            ]
        if len(path) > 2 and path[2] != "stats":
            return self.unknown(2, {"stats"}, f'fairness.by_group("{path[1]}")')
        if len(path) > 4 and path[4] == "groups":
            return self.field(6, voc.STAT_FIELDS, "a group") if len(path) > 6 else []
        metric = path[3] if len(path) > 3 else ""
        return self.field(4, voc.FAIRNESS_FIELDS, f"fairness ... stats.{metric}")


def check_vocabulary(ref: Reference, positions: tuple[tuple[int, int], ...]) -> list[CelIssue]:
    """Check a reference's path against the evidence vocabulary."""
    return _PathCheck(ref, positions).check()
