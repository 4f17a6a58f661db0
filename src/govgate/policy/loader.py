"""Load policy and waiver files into a compiled :class:`PolicySet`, collecting every problem.

The pipeline, per file, is the shared one of ``document/load.py``: bytes (size-capped) -> safe
YAML -> JSON Schema (every error with a pointer) -> duplicate checks -> pydantic (strict,
frozen); then ``policy/build.py`` compiles and lints the CEL (each expression once per
process). Then across files: duplicate policy and waiver names, waivers naming rules that do
not exist, waivers that stay in force longer than their policy allows.

One run reports everything that can be known without guessing. A policy the schema or the
model rejects is still read for its CEL (``PolicyBuilder.check_readable``), its name still
counts for duplicates, and waivers of it are not told that it does not exist; a document whose
YAML lost values is not judged, but the other documents of its file are. Documents of a kind
another command reads (``govgate validate`` passes the eval suite check) go to the check the
caller gives for that kind.

**Waiver lifetime.** A waiver records no approval date, only when it ends, so its lifetime is
measured from the day it is loaded (UTC): ``expires`` may be at most ``spec.waivers.max_days``
(default 90) days after today, for the policy the waiver names. A waiver of a policy that is not
loaded gets the strictest limit in sight (the default, or a lower one a loaded policy sets). The
check is monotone: a waiver accepted today is accepted on every later day, so a repository's CI
never starts failing on its own; it only refuses a waiver that would have been too long the day
it was written or renewed. Bundles (:func:`load_policy_sources`) are records of past decisions
and are not checked, unless a ``now`` is given.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from govgate.cel import CelCompiler
from govgate.document.load import read_limited, validate
from govgate.document.nodes import YamlDocument
from govgate.document.yaml import DEFAULT_LIMITS, YamlLimits, load_yaml
from govgate.errors import Problem, SourceSpan, UsageError
from govgate.policy import cases, layers, model, schema
from govgate.policy.build import PolicyBuilder
from govgate.policy.compiled import (
    LoadedPolicy,
    LoadedWaiver,
    PolicySet,
    SourceFile,
)
from govgate.policy.origins import OriginKind, PolicyOrigin

if TYPE_CHECKING:
    from govgate.policy.packs import PackTrust

#: Checks one document of a kind another part of govgate reads (``validate`` passes the eval
#: suite check): given the document and how many documents its file holds, its problems.
DocumentCheck = Callable[[YamlDocument, int], list[Problem]]

YAML_SUFFIXES = (".yaml", ".yml")
TEST_SUFFIXES = (".test.yaml", ".test.yml")
POLICY_KINDS = ("Policy", "Waiver")


@dataclass(frozen=True)
class LoadedTest:
    """A ``kind: PolicyTest`` document, with its YAML positions (for per-case spans)."""

    document: cases.PolicyTest
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
    Policy packs and git sources are not files to discover (they hold no tests, and
    :func:`load_policy_set` reads them itself): they are left out. Raises :class:`UsageError`
    for a path that does not exist.
    """
    found: list[Path] = []
    for raw in paths:
        if is_remote(raw):
            continue
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


def is_remote(entry: str) -> bool:
    """Does ``entry`` name a policy pack (``*.tgz``, ``*.tar.gz``) or a git source
    (``git+file://...@SHA``) rather than policy files and folders?"""
    from govgate.policy import gitsource, packs

    return gitsource.is_git(entry) or packs.is_pack(entry)


def _wanted(path: PurePosixPath) -> bool:
    """Would a folder search pick this file (its path under the folder)? See :func:`discover`."""
    return (
        path.suffix in YAML_SUFFIXES
        and not path.name.endswith(TEST_SUFFIXES)
        and not any(part.startswith(".") for part in path.parts)
    )


def _origin(entry: str) -> PolicyOrigin:
    kind = OriginKind.FOLDER if Path(entry).is_dir() else OriginKind.FILE
    return PolicyOrigin(kind, entry)


def _load_remote(
    loader: _Loader, entry: str, trust: PackTrust, limits: YamlLimits
) -> tuple[PolicyOrigin | None, list[str]]:
    """Load the files of a pack (verified first: nothing of a refused pack is read as YAML)
    or of a pinned git commit into ``loader``; the origin, or None when it was refused, and
    the names its files were loaded under."""
    from govgate.policy import gitsource, packs

    if gitsource.is_git(entry):
        files, origin, problems = gitsource.read(gitsource.parse(entry), _wanted, limits.max_bytes)
        loader.problems.extend(problems)
    else:
        if not Path(entry).is_file():
            raise UsageError(
                f"{entry}: no such policy pack", hint="pass a pack file (.tgz) that exists"
            )
        pack, problems = packs.load_pack(Path(entry), entry, trust)
        loader.problems.extend(problems)
        if pack is None:
            return None, []
        files = [(f"{entry}!{path}", data) for path, data in pack.files]
        origin = pack.origin
    for name, data in files:
        loader.load_bytes(name, data)
    return origin, [name for name, _ in files]


def load_policy_sources(
    sources: Sequence[tuple[str, bytes]],
    *,
    compiler: CelCompiler | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
    now: dt.datetime | None = None,
) -> tuple[PolicySet, list[Problem]]:
    """Load policy and waiver files given as (name, bytes), e.g. from an audit bundle.

    ``now``: measure waiver lifetimes from this instant; ``None`` (the default) does not check
    them, because a bundle is verified as it was decided, on any later day.
    """
    loader = _Loader(compiler or default_compiler(), limits, now=now)
    for name, data in sources:
        loader.load_bytes(name, data)
    loader.cross_checks()
    problems = _sorted(loader.problems)
    return PolicySet(tuple(loader.policies), tuple(loader.waivers), tuple(loader.sources)), problems


@dataclass(frozen=True)
class Findings:
    """What a load finds besides the set and its problems, for whoever asks (``govgate
    validate``): warnings, which do not make the files invalid, and the files that held only
    documents of the ``others`` kinds (not part of the set, nor of its digest)."""

    warnings: list[Problem] = field(default_factory=list)
    other_sources: list[SourceFile] = field(default_factory=list)


def load_policy_set(
    paths: Sequence[str],
    *,
    compiler: CelCompiler | None = None,
    limits: YamlLimits = DEFAULT_LIMITS,
    now: dt.datetime | None = None,
    others: Mapping[str, DocumentCheck] | None = None,
    findings: Findings | None = None,
    packs: PackTrust | None = None,
) -> tuple[PolicySet, list[Problem]]:
    """Load everything under ``paths``. The set is only safe to use when no problems came back.

    ``paths`` are files and folders, policy packs (``*.tgz``: verified before anything in them
    is read, under ``packs``, by default ``KEY_REQUIRED``: fail closed) and pinned git
    sources (``git+file:///REPO@SHA[#SUBDIR]``), in any mix; the set records each one's origin.
    ``now``: the instant waiver lifetimes are measured from; default the current time.
    ``others``: a check for each document kind besides Policy and Waiver that may sit among
    the files (by ``kind``); without one, such a document is an unknown kind. ``findings``:
    filled in with the warnings and the files of other kinds.
    """
    from govgate.policy.packs import KEY_REQUIRED

    trust = packs if packs is not None else KEY_REQUIRED
    local = [p for p in paths if not is_remote(p)]
    files = discover(local)
    clock = now if now is not None else dt.datetime.now(dt.UTC)
    loader = _Loader(
        compiler or default_compiler(), limits, now=clock, others=others, warn=findings is not None
    )
    for path in files:
        if "!" in str(path):
            loader.problems.append(
                Problem(
                    "policy.path",
                    f"{path}: a policy file's path may not contain '!', which names a file "
                    "inside a pack or a git source (PACK!PATH)",
                    SourceSpan(str(path)),
                    "rename the file or its folder",
                )
            )
            continue
        loader.load_file(path)
    origins = [_origin(p) for p in dict.fromkeys(local)]
    remote = [p for p in dict.fromkeys(paths) if is_remote(p)]
    shipped: dict[str, PolicyOrigin] = {}  # file name -> the pack or git source it came from
    for entry in remote:
        origin, names = _load_remote(loader, entry, trust, limits)
        if origin is not None:
            origins.append(origin)
            shipped.update(dict.fromkeys(names, origin))
    loader.cross_checks()
    loader.problems.extend(
        layers.origin_problems(
            loader.policies,
            loader.waivers,
            origins,
            shipped,
            signed_only=trust.key is not None or trust.require_signature,
        )
    )
    if not files and not loader.sources and not loader.problems:
        loader.problems.append(
            Problem(
                "policy.empty",
                "no policy files (*.yaml, *.yml) found",
                SourceSpan(", ".join(paths) or "."),
                "a gate with no policies decides nothing: add a policy",
            )
        )
    elif not (loader.policies or loader.waivers or loader.problems or loader.others_found):
        loader.problems.append(
            Problem(
                "policy.empty",
                "no policy or waiver documents found",
                SourceSpan(", ".join(paths)),
                "a gate with no policies decides nothing: add a policy",
            )
        )
    if findings is not None:
        findings.warnings.extend(_sorted(loader.warnings))
        findings.other_sources.extend(loader.other_sources)
    problems = _sorted(loader.problems)
    policy_set = PolicySet(
        tuple(loader.policies), tuple(loader.waivers), tuple(loader.sources), tuple(origins)
    )
    return policy_set, problems


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
        self,
        compiler: CelCompiler,
        limits: YamlLimits,
        kinds: tuple[str, ...] = POLICY_KINDS,
        now: dt.datetime | None = None,
        others: Mapping[str, DocumentCheck] | None = None,
        warn: bool = False,
    ) -> None:
        self.compiler = compiler
        self.limits = limits
        self.kinds = kinds
        self.now = now  # waiver lifetimes are measured from it; None: not checked
        self.others = dict(others or {})
        self.others_found = 0
        self.problems: list[Problem] = []
        self.warn = warn  # look for what deserves a warning (only validate shows them)
        self.warnings: list[Problem] = []
        self.policies: list[LoadedPolicy] = []
        self.waivers: list[LoadedWaiver] = []
        self.tests: list[LoadedTest] = []
        self.sources: list[SourceFile] = []
        self.other_sources: list[SourceFile] = []  # files holding only ``others`` documents
        self._policy_spans: dict[str, SourceSpan] = {}
        self._waiver_spans: dict[str, SourceSpan] = {}
        self._waiver_docs: list[tuple[model.Waiver, YamlDocument]] = []
        self._waiver_days: dict[str, int] = {}  # policy name -> spec.waivers.max_days
        self._failed: set[str] = set()  # policies that did not load, by the name they give

    # -- files and documents ----------------------------------------------------------------

    def load_file(self, path: Path) -> None:
        name = path.as_posix()
        data = self._read(path, name)
        if data is not None:
            self.load_bytes(name, data)

    def _read(self, path: Path, name: str) -> bytes | None:
        data, problem = read_limited(path, name, self.limits)
        if problem is not None:
            self.problems.append(problem)
        return data

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
        self.problems.extend(problems)
        damaged = {p.span.document for p in problems}
        present = [d for d in documents if d.value is not None]
        if not present and not problems:
            self.problems.append(
                Problem(
                    "policy.empty",
                    "file has no documents",
                    SourceSpan(name, 1, 1),
                    "remove the file or add a " + " or ".join(self.kinds) + " document",
                )
            )
        others_before = self.others_found
        for doc in present:
            if doc.index in damaged:  # values were dropped from it: do not judge what is left
                self._failed_policy(doc)
            else:
                self.load_document(doc, source, len(present))
        if present and self.others_found - others_before == len(present):
            # only documents of other kinds: not a file of the policy set (nor of its digest)
            self.sources.remove(source)
            self.other_sources.append(source)

    def load_document(self, doc: YamlDocument, source: SourceFile, documents: int = 1) -> None:
        """Check one document of a file that holds ``documents`` of them."""
        value = doc.value
        if not isinstance(value, dict):
            self._add("schema.type", "a document must be a mapping", doc, "")
            return
        kind = value.get("kind")
        if isinstance(kind, str) and kind in self.others:
            self.others_found += 1
            self.problems.extend(self.others[kind](doc, documents))
            return
        if kind not in schema.KINDS:
            where = "/kind" if "kind" in value else ""
            got = f" {kind!r}" if isinstance(kind, str) else ""
            self._add(
                "schema.kind",
                f"unknown kind{got}" if "kind" in value else "missing key 'kind'",
                doc,
                where,
                "kind must be one of: " + ", ".join([*schema.KINDS, *self.others]),
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
        if kind == "Policy" and self.warn:
            self.warnings.extend(_unknown_controls(value, doc))
        parsed, problems = validate(doc, _validator(kind), schema.KINDS[kind], _duplicates)
        if parsed is None:
            self.problems.extend(problems)
            if kind == "Policy":
                self._failed_policy(doc)
                broken = {p.span.pointer for p in problems}
                PolicyBuilder(self.compiler, self.problems).check_readable(doc, broken)
            return
        if isinstance(parsed, model.Policy):
            self._policy(parsed, doc, source)
        elif isinstance(parsed, cases.PolicyTest):
            self.tests.append(LoadedTest(parsed, source, doc))
        else:
            assert isinstance(parsed, model.Waiver)
            self._waiver(parsed, doc, source)

    def _add(
        self, code: str, message: str, doc: YamlDocument, pointer: str, hint: str = ""
    ) -> None:
        self.problems.append(Problem(code, message, doc.span(pointer), hint))

    # -- policies -------------------------------------------------------------------------------

    def _claim(self, name: str, doc: YamlDocument) -> bool:
        """Take the policy name for ``doc``; False (and a problem) when another has it."""
        if name in self._policy_spans:
            self._add(
                "policy.duplicate",
                f"duplicate policy name {name!r} (first at {self._policy_spans[name].location()})",
                doc,
                "/metadata/name",
                "policy names must be unique across the policy set",
            )
            return False
        self._policy_spans[name] = doc.span("")
        return True

    def _policy(self, policy: model.Policy, doc: YamlDocument, source: SourceFile) -> None:
        name = policy.metadata.name
        if not self._claim(name, doc):
            return
        self._waiver_days[name] = policy.spec.waivers.max_days  # known even if the CEL fails
        built = PolicyBuilder(self.compiler, self.problems).build(policy, doc, source)
        if built is not None:
            self.policies.append(built)

    def _failed_policy(self, doc: YamlDocument) -> None:
        """A policy document that will not load, noted by the name it gives (if it can be read):
        a second policy of that name is still a duplicate, and waivers of it are judged against
        its waiver limit when it can be read, and not told that the policy does not exist."""
        value = doc.value
        if not isinstance(value, dict) or value.get("kind") != "Policy":
            return
        metadata, spec = value.get("metadata"), value.get("spec")
        name = metadata.get("name") if isinstance(metadata, dict) else None
        if not isinstance(name, str) or not name:
            return
        if not self._claim(name, doc):
            return
        self._failed.add(name)
        limits = spec.get("waivers", {}) if isinstance(spec, dict) else None
        days = (
            limits.get("max_days", model.DEFAULT_MAX_WAIVER_DAYS)
            if isinstance(limits, dict)
            else None
        )
        if type(days) is int and 1 <= days <= model.LONGEST_MAX_WAIVER_DAYS:
            self._waiver_days[name] = days

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
        """Waivers must name a rule that exists, when the policy they name was loaded, and end
        within the lifetime their policy allows."""
        self._waiver_rules()
        self._waiver_lifetimes()
        self.problems.extend(layers.overrides(self.policies)[1])
        self.problems.extend(layers.waiver_problems(self.policies, self.waivers))

    def _waiver_rules(self) -> None:
        rules = {p.name: {r.rule.id for r in p.rules} for p in self.policies}
        failed = set(self._policy_spans) - set(rules) | self._failed  # with their own problems
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

    def _waiver_lifetimes(self) -> None:
        """``expires`` at most ``spec.waivers.max_days`` days after today (see the module)."""
        if self.now is None:
            return
        today = self.now.astimezone(dt.UTC).date()
        strictest = min([model.DEFAULT_MAX_WAIVER_DAYS, *self._waiver_days.values()])
        for waiver, doc in self._waiver_docs:
            spec = waiver.spec
            if spec.policy in self._failed and spec.policy not in self._waiver_days:
                continue  # its policy's limit cannot be read: that policy has its own problem
            limit = self._waiver_days.get(spec.policy, strictest)
            days = model.days_in_force(spec.expires, today)
            if days <= limit:
                continue
            whose = (
                f"of policy {spec.policy!r}"
                if spec.policy in self._waiver_days
                else f"(the strictest in sight: policy {spec.policy!r} is not loaded)"
            )
            self._add(
                "waiver.lifetime",
                f"the waiver stays in force {days} days from today ({today}), over the "
                f"{limit}-day limit {whose}",
                doc,
                "/spec/expires",
                f"set expires to {today + dt.timedelta(days=limit)} or earlier, and renew the "
                "waiver, with a fresh approval, if it is still needed then (the limit is the "
                "policy's spec.waivers.max_days: default "
                f"{model.DEFAULT_MAX_WAIVER_DAYS}, at most {model.LONGEST_MAX_WAIVER_DAYS})",
            )


def _unknown_controls(value: dict[str, Any], doc: YamlDocument) -> list[Problem]:
    """A warning for each control id of a policy that the catalog does not know: in
    ``metadata.controls``, ``spec.required_controls`` and each rule's ``controls``. Ids outside
    the catalog are allowed (an organisation's own), so this is never a problem."""
    from govgate.policy.controls import lookup, suggest

    metadata, spec = value.get("metadata"), value.get("spec")
    lists: list[tuple[str, Any]] = []
    if isinstance(metadata, dict):
        lists.append(("/metadata/controls", metadata.get("controls")))
    if isinstance(spec, dict):
        lists.append(("/spec/required_controls", spec.get("required_controls")))
        rules = spec.get("rules")
        for i, rule in enumerate(rules if isinstance(rules, list) else []):
            if isinstance(rule, dict):
                lists.append((f"/spec/rules/{i}/controls", rule.get("controls")))
    warnings: list[Problem] = []
    for pointer, ids in lists:
        for j, ident in enumerate(ids if isinstance(ids, list) else []):
            if not isinstance(ident, str) or not ident.strip() or lookup(ident) is not None:
                continue
            close = suggest(ident, limit=1)
            warnings.append(
                Problem(
                    "control.unknown",
                    f"unknown control id {ident!r}"
                    + (f": did you mean {close[0]!r}?" if close else ""),
                    doc.span(f"{pointer}/{j}"),
                    "ids outside govgate's catalog are allowed (your own controls); "
                    "docs/controls.md lists the catalog",
                )
            )
    return warnings


@cache
def _validator(kind: str) -> Any:
    from jsonschema import Draft202012Validator

    full = schema.shipped()
    return Draft202012Validator({"$ref": f"#/$defs/{kind}", "$defs": full["$defs"]})


def _duplicates(value: dict[str, Any], doc: YamlDocument) -> list[Problem]:
    """Ids that must be unique within a document (rules, variables, SLOs, test cases)."""
    spec = value.get("spec") if isinstance(value, dict) else None
    if not isinstance(spec, dict):
        return []
    problems: list[Problem] = []
    lists = {
        "Policy": (
            ("rules", "id", "rule id", "policy"),
            ("variables", "name", "variable", "policy"),
            ("slos", "name", "SLO name", "policy"),
        ),
        "PolicyTest": (("cases", "name", "case name", "test file"),),
    }
    for key, name_field, what, within in lists.get(str(value.get("kind", "")), ()):
        first: dict[str, int] = {}
        items = spec.get(key, [])
        for i, item in enumerate(items if isinstance(items, list) else []):
            ident = item.get(name_field) if isinstance(item, dict) else None
            if not isinstance(ident, str):
                continue
            if ident in first:
                line = doc.span(f"/spec/{key}/{first[ident]}/{name_field}").line
                problems.append(
                    Problem(
                        "policy.duplicate",
                        f"duplicate {what} {ident!r} (first at line {line})",
                        doc.span(f"/spec/{key}/{i}/{name_field}"),
                        f"each {what} must be unique within a {within}",
                    )
                )
            else:
                first[ident] = i
    return problems
