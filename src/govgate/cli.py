"""Command line: parse -> settings -> build -> run -> exit code.

The only module that prints, reads the environment or exits. Commands import what they need
when they run, so ``govgate --help`` and ``govgate validate`` never pay for MLflow or ragas.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TextIO, assert_never

from govgate._version import __version__
from govgate.errors import EvidenceError, GovgateError, PolicyInvalidError, Problem, UsageError
from govgate.exitcodes import ExitCode
from govgate.terms import Verdict

VALIDATE_SCHEMA_ID = "https://govgate.dev/schemas/validate-result-v1.json"
SNAPSHOT_SCHEMA_ID = "https://govgate.dev/schemas/snapshot-result-v1.json"
DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"  # the embedded default; see evidence/mlflow_source

#: Environment variables govgate forces, whatever the user's shell says: no usage telemetry
#: leaves this process, from MLflow or from ragas.
TELEMETRY_OFF = {
    "MLFLOW_DISABLE_TELEMETRY": "true",
    "DO_NOT_TRACK": "true",
    "RAGAS_DO_NOT_TRACK": "true",
}


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see: {self.prog} --help")


def _parser() -> _Parser:
    parser = _Parser(
        prog="govgate",
        description="Policy-as-code release gate for ML and LLM systems.",
        epilog="Exit codes: 0 ok/pass, 1 crash, 2 usage, 3 invalid policy, 4 blocked, "
        "5 rollback, 6 inconclusive, 7 evidence unavailable, 8 verification failed.",
    )
    parser.add_argument("--version", action="version", version=f"govgate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    validate = sub.add_parser(
        "validate",
        help="check policy, waiver and policy test files (schema, CEL, references)",
        description="Check policy and waiver documents: YAML safety, JSON Schema, CEL syntax "
        "and lint, duplicate ids, waiver targets. Reports every problem in every file.",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        default=["policies"],
        metavar="PATH",
        help="policy files or folders (default: policies)",
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")

    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of govgate documents",
        description="Print the JSON Schema (draft 2020-12) that govgate documents follow. "
        "Point yaml-language-server at it for completion and checks in editors.",
    )
    schema.add_argument(
        "--kind", choices=["all", "Policy", "Waiver", "PolicyTest", "EvalSuite"], default="all"
    )

    test = sub.add_parser(
        "test",
        help="run policy unit tests (*.test.yaml) and report rule coverage",
        description="Decide every case of every policy test file (kind: PolicyTest) with the "
        "same loader and engine as check, compare verdicts and rule outcomes with what the "
        "case expects, and report which rules no case shows passing and failing. Exit 0 when "
        "every case matches, 4 when one does not, 3 when a test or policy is invalid.",
    )
    test.add_argument(
        "paths",
        nargs="*",
        default=["policies"],
        metavar="PATH",
        help="test files or folders searched for *.test.yaml (default: policies)",
    )
    test.add_argument("--format", choices=["text", "json", "junit"], default="text")
    test.add_argument("--output", "-o", metavar="FILE", help="write the report here, not stdout")
    test.add_argument(
        "--require-coverage",
        action="store_true",
        help="also exit 4 when a rule in the tested folders is not shown both passing and failing",
    )

    evidence = sub.add_parser(
        "evidence",
        help="snapshot evidence from MLflow, or inspect a snapshot",
        description="Resolve candidate and baseline references and snapshot them.",
    )
    ev_sub = evidence.add_subparsers(
        dest="evidence_command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    snap = ev_sub.add_parser(
        "snapshot",
        help="resolve references and write an evidence snapshot",
        description="References: runs:/RUN_ID or a run id, models:/NAME@ALIAS, "
        "models:/NAME/VERSION, search:EXPERIMENT?FILTER, or a snapshot .json file.",
    )
    _evidence_options(snap, stage_required=False)
    snap.add_argument(
        "--policies",
        nargs="+",
        metavar="PATH",
        help="check first that the evidence asked for is what these policies need "
        "(a baseline when a rule compares with one)",
    )
    _mlflow_options(snap)
    snap.add_argument(
        "--output",
        "-o",
        default="evidence.json",
        metavar="FILE",
        help="snapshot file (tables go to items/ beside it)",
    )
    snap.add_argument("--format", choices=["text", "json"], default="text")
    check = sub.add_parser(
        "check",
        help="decide a release: policies x evidence -> verdict and exit code",
        description="Resolve the candidate (and baseline), evaluate every policy that judges "
        "the stage, and exit with the verdict's code (see Exit codes in the README).",
    )
    _evidence_options(check, stage_required=True)
    check.add_argument(
        "--policies",
        nargs="+",
        default=["policies"],
        metavar="PATH",
        help="policy files or folders (default: policies)",
    )
    check.add_argument(
        "--waivers",
        nargs="+",
        default=[],
        metavar="PATH",
        help="waiver files or folders, in addition to those among the policies",
    )
    _mlflow_options(check)
    check.add_argument(
        "--format",
        action="append",
        metavar="FORMAT[=FILE]",
        help="text (default), json, markdown, html, junit, sarif or github; repeat for several "
        "reports in one run, each to its own FILE (at most one goes to stdout)",
    )
    check.add_argument("--output", "-o", metavar="FILE", help="write the report here, not stdout")
    check.add_argument(
        "--fail-on-warn", action="store_true", help="exit 4 (blocked) on WARN instead of 0"
    )
    check.add_argument(
        "--snapshot-out",
        metavar="FILE",
        help="also write the evidence snapshot the decision was made from",
    )
    check.add_argument(
        "--now",
        metavar="ISO8601",
        help="decide as of this instant (replays; waiver expiry); default: now",
    )

    check.add_argument(
        "--bundle", metavar="DIR", help="write an audit bundle to this new directory (atomically)"
    )
    check.add_argument(
        "--bundle-archive", metavar="FILE", help="also write the bundle as one .tar.gz or .zip"
    )
    check.add_argument(
        "--sign-key", metavar="PEM", help="sign the bundle's statement with this Ed25519 key (DSSE)"
    )
    check.add_argument(
        "--no-mlflow-log",
        action="store_true",
        help="do not log the bundle and verdict to the candidate run",
    )
    check.add_argument(
        "--promote-alias",
        metavar="ALIAS",
        help="on PASS only, move models:/NAME@ALIAS to the candidate, if the alias "
        "still points where it did when the evidence was read",
    )

    replay = sub.add_parser(
        "replay",
        help="re-decide past runs under the current policies; show which decisions change",
        description="Find finished evaluation runs (an experiment, a model's eval runs, a time "
        "window), snapshot each, decide it with the same engine as check, and compare with "
        "the decision logged on the run. Each run is decided at the stage, against the "
        "baseline run and as of the instant of its logged decision, unless overridden. No "
        "evaluation is re-run.",
    )
    replay.add_argument(
        "--policies",
        nargs="+",
        default=["policies"],
        metavar="PATH",
        help="the policies to replay under (default: policies)",
    )
    _history_options(replay, last=20)
    diff = sub.add_parser(
        "diff",
        help="what a policy change does to the verdicts of the last N runs",
        description="Decide the same past runs (one snapshot each) under the OLD and the NEW "
        "policy set, and show every verdict and rule outcome that changes.",
    )
    diff.add_argument("old", metavar="OLD", help="the policies before: a file or folder")
    diff.add_argument("new", metavar="NEW", help="the policies after: a file or folder")
    _history_options(diff, last=10)

    init = sub.add_parser(
        "init",
        help="scaffold policies/, evals/, a pre-commit config and a workflow into a repository",
        description="Write starter policies (with their unit tests), an eval suite, a "
        "pre-commit config and a GitHub workflow into an existing repository, with the names "
        "given. Never overwrites a file: existing files are kept and listed.",
    )
    init.add_argument("path", nargs="?", default=".", metavar="DIR", help="default: .")
    init.add_argument("--model", required=True, metavar="NAME", help="registered model name")
    init.add_argument(
        "--kind",
        choices=["llm", "classifier"],
        default="llm",
        help="llm: safety, quality, cost, latency and canary rollback; classifier: accuracy, "
        "fairness and drift (default: llm)",
    )
    init.add_argument(
        "--owner", default="ml-owners@example.com", metavar="EMAIL", help="policy owner"
    )
    init.add_argument(
        "--group",
        default="segment",
        metavar="COLUMN",
        help="classifier: the attribute fairness is judged across (default: segment)",
    )
    init.add_argument(
        "--action",
        metavar="REF",
        help="the govgate action for the workflow, pinned: OWNER/REPO/.github/actions/"
        "govgate@<commit sha>",
    )

    evals = sub.add_parser("eval", help="score a model's outputs on a suite and log the run")
    eval_sub = evals.add_subparsers(
        dest="eval_command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    run = eval_sub.add_parser(
        "run",
        help="score outputs (or a traffic log) and log one MLflow run the gate reads",
        description="Scores the outputs on the suite's metrics and logs one MLflow run: "
        "metrics, the per-item table, the dataset with its digest, the model version and stage "
        "tags, and the digest of the policies in force (pre-registration).",
    )
    run.add_argument("suite", metavar="SUITE", help="a suite folder or suite.yaml")
    run.add_argument(
        "--outputs",
        required=True,
        metavar="FILE",
        help="JSONL of the model's outputs (or traffic log), one per item id",
    )
    run.add_argument("--model", required=True, metavar="NAME", help="registered model name")
    version = run.add_mutually_exclusive_group(required=True)
    version.add_argument("--version", metavar="V", help="the model version these outputs are from")
    version.add_argument(
        "--register", action="store_true", help="register a new model version from this run"
    )
    run.add_argument(
        "--stage", choices=["offline", "shadow", "canary"], help="default: the suite's stage"
    )
    run.add_argument(
        "--policies",
        nargs="*",
        metavar="PATH",
        help="policies in force, recorded by digest (default: policies/ if present)",
    )
    _mlflow_options(run)

    demo = sub.add_parser(
        "demo",
        help="the main job, end to end, on the shipped examples and a local store",
        description="Scores the shipped champion and candidate outputs of both example suites "
        "into the MLflow store (default sqlite:///mlflow.db), registers the champions as "
        "@champion, runs the gate with the shipped policies, and writes reports and signed "
        "audit bundles under --out.",
    )
    demo.add_argument("--out", default="out/demo", metavar="DIR")
    _mlflow_options(demo)

    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair for signing bundles")
    keygen.add_argument(
        "--out",
        default="govgate-signing",
        metavar="PREFIX",
        help="writes PREFIX.pem (private, mode 600) and PREFIX.pub",
    )

    verify = sub.add_parser(
        "verify",
        help="verify an audit bundle offline: digests, signature, replay",
        description="Checks every digest, the signature (required with --key), and re-evaluates "
        "the decision from the bundled policies and evidence. Exit 0 when it verifies, 8 when "
        "it does not.",
    )
    verify.add_argument("bundle", metavar="BUNDLE", help="bundle directory, .tar.gz or .zip")
    verify.add_argument("--key", metavar="PUB", help="the signer's public key (PEM)")
    verify.add_argument("--format", choices=["text", "json"], default="text")

    inspect = ev_sub.add_parser("inspect", help="check a snapshot file and summarise it")
    inspect.add_argument("path", metavar="FILE")
    inspect.add_argument("--format", choices=["text", "json"], default="text")
    return parser


def _evidence_options(parser: argparse.ArgumentParser, *, stage_required: bool) -> None:
    parser.add_argument(
        "--candidate",
        required=True,
        metavar="REF",
        help="runs:/ID, a run id, models:/NAME@ALIAS, models:/NAME/VERSION, "
        "search:EXPERIMENT?FILTER or a snapshot .json file",
    )
    parser.add_argument("--baseline", metavar="REF", help="the champion to compare with")
    parser.add_argument("--stage", required=stage_required, choices=["offline", "shadow", "canary"])


def _history_options(parser: argparse.ArgumentParser, *, last: int) -> None:
    parser.add_argument("--experiment", metavar="NAME", help="runs of this MLflow experiment")
    parser.add_argument(
        "--model", metavar="NAME", help="evaluation runs of this registered model's versions"
    )
    parser.add_argument(
        "--stage", choices=["offline", "shadow", "canary"], help="only runs of this stage"
    )
    parser.add_argument("--since", metavar="DATE", help="runs started at or after (UTC)")
    parser.add_argument("--until", metavar="DATE", help="runs started before the end of (UTC)")
    parser.add_argument("--filter", default="", metavar="MLFLOW_FILTER", help="extra run filter")
    parser.add_argument(
        "--last", type=int, default=last, metavar="N", help=f"newest N runs (default {last})"
    )
    parser.add_argument(
        "--baseline",
        metavar="REF",
        help="compare every run with this champion (default: the baseline of its logged "
        "decision, else none)",
    )
    parser.add_argument(
        "--now", metavar="ISO8601", help="decide as of this instant (default: as logged)"
    )
    parser.add_argument("--format", choices=["text", "json"], default="text")
    parser.add_argument(
        "--fail-on-change",
        action="store_true",
        help="exit 4 when a verdict changes (and 7 when a run could not be replayed)",
    )
    _mlflow_options(parser)


def _mlflow_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="MLflow tracking URI (default: $MLFLOW_TRACKING_URI, else sqlite:///mlflow.db)",
    )
    parser.add_argument(
        "--mlflow-timeout",
        type=int,
        default=10,
        metavar="SECONDS",
        help="per-request timeout for a remote MLflow (default 10)",
    )
    parser.add_argument(
        "--mlflow-retries",
        type=int,
        default=2,
        metavar="N",
        help="retries for a remote MLflow (default 2)",
    )


def main(
    argv: Sequence[str] | None = None, stdout: TextIO | None = None, stderr: TextIO | None = None
) -> int:
    """Run govgate; return the exit code (see :class:`ExitCode`)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    args_list = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args_list
    os.environ.update(TELEMETRY_OFF)
    try:
        with contextlib.redirect_stdout(out):  # --help and --version print through argparse
            args = _parser().parse_args(args_list)
        if args.command is None:
            _parser().print_help(out)
            return ExitCode.USAGE
        command: Callable[[argparse.Namespace, TextIO, TextIO], int] = _COMMANDS[args.command]
        return command(args, out, err)
    except SystemExit as exc:  # --help / --version
        return int(exc.code or 0)
    except KeyboardInterrupt:
        err.write("govgate: interrupted\n")
        return ExitCode.INTERRUPTED
    except UsageError as exc:
        _error(err, exc)
        return ExitCode.USAGE
    except PolicyInvalidError as exc:
        for problem in exc.problems:
            _problem_text(err, problem)
        return ExitCode.POLICY_INVALID
    except EvidenceError as exc:
        err.write(f"govgate: evidence unavailable: {exc} [{exc.code}]\n")
        if exc.hint:
            err.write(f"  hint: {exc.hint}\n")
        if debug:
            traceback.print_exc(file=err)
        return ExitCode.EVIDENCE_UNAVAILABLE
    except GovgateError as exc:
        _error(err, exc)
        if debug:
            traceback.print_exc(file=err)
        return ExitCode.CRASH
    except Exception as exc:
        _unexpected(err, exc)
        if debug:
            traceback.print_exc(file=err)
        return ExitCode.CRASH


def _unexpected(err: TextIO, exc: Exception) -> None:
    if isinstance(exc, OSError):  # the machine, not govgate: a full disk, a permission
        where = f" ({exc.filename})" if exc.filename else ""
        err.write(f"govgate: error: {exc.strerror or exc}{where}\n")
    else:
        err.write("govgate: internal error (this is a bug; please report it with --debug output)\n")


def _error(err: TextIO, exc: GovgateError) -> None:
    err.write(f"govgate: error: {exc}\n")
    if exc.hint:
        err.write(f"  hint: {exc.hint}\n")


def _problem_text(out: TextIO, problem: Problem) -> None:
    out.write(f"{problem.span.location()}: error: {problem.message} [{problem.code}]\n")
    if problem.hint:
        out.write(f"  hint: {problem.hint}\n")


# -- commands ------------------------------------------------------------------------------------


def _cmd_validate(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.policy.compiled import PolicySet
    from govgate.policy.loader import is_test_file, load_policy_set
    from govgate.policytest.runner import prepare_policy_tests, unique_problems

    paths = [Path(p) for p in args.paths]
    test_files = [str(p) for p in paths if p.is_file() and is_test_file(p)]
    policy_paths = [str(p) for p in paths if str(p) not in test_files]
    policy_set, problems = (
        load_policy_set(policy_paths) if policy_paths else (PolicySet((), (), ()), [])
    )
    folders = [str(p) for p in paths if p.is_dir()]
    # policy tests beside the policies: their documents, policy paths and rule keys
    tests = prepare_policy_tests([*test_files, *folders], require_tests=bool(test_files))
    problems = unique_problems([*problems, *tests.problems])
    sources = [*policy_set.sources, *(t.source for t in tests.tests)]
    files = len(sources)
    if args.format == "json":
        payload = {
            "$schema": VALIDATE_SCHEMA_ID,
            "valid": not problems,
            "files": [{"path": s.path, "sha256": s.sha256, "bytes": s.size} for s in sources],
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
                for t in tests.tests
            ],
            "problems": [p.to_json() for p in problems],
            "policy_set_digest": policy_set.digest() if not problems and policy_paths else None,
        }
        out.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
        return ExitCode.POLICY_INVALID if problems else ExitCode.OK
    if problems:
        for problem in problems:
            _problem_text(out, problem)
        bad_files = len({p.span.file for p in problems})
        out.write(
            f"invalid: {len(problems)} problem{'s' if len(problems) != 1 else ''} "
            f"in {bad_files} of {max(files, bad_files)} file{'s' if files != 1 else ''}\n"
        )
        return ExitCode.POLICY_INVALID
    parts = []
    if policy_paths:
        n_pol, n_wai = len(policy_set.policies), len(policy_set.waivers)
        parts.append(
            f"{n_pol} polic{'ies' if n_pol != 1 else 'y'} ({policy_set.rule_count} rules), "
            f"{n_wai} waiver{'s' if n_wai != 1 else ''}"
        )
    if tests.tests:
        n_tests = len(tests.tests)
        parts.append(f"{n_tests} test file{'s' if n_tests != 1 else ''} ({tests.cases} cases)")
    out.write(f"ok: {', '.join(parts)} in {files} file{'s' if files != 1 else ''}\n")
    return ExitCode.OK


def _load_valid(paths: list[str]) -> Any:
    """Load a policy set for a command that needs a valid one; every problem is reported."""
    from govgate.policy.loader import load_policy_set

    policy_set, problems = load_policy_set(paths)
    if problems:
        raise PolicyInvalidError(problems)
    return policy_set


def _cmd_schema(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.policy import schema

    if args.kind == "all":
        out.write(schema.shipped_text())
        return ExitCode.OK
    if args.kind == "EvalSuite":
        from govgate.evals.suite import shipped_schema

        out.write(schema.dumps(shipped_schema()))
        return ExitCode.OK
    full = schema.shipped()
    single = {
        "$schema": full["$schema"],
        "$id": full["$id"].replace(".schema.json", f".{args.kind.lower()}.schema.json"),
        "$ref": f"#/$defs/{args.kind}",
        "$defs": full["$defs"],
    }
    out.write(schema.dumps(single))
    return ExitCode.OK


def _mlflow_settings(args: argparse.Namespace) -> Any:
    from govgate.evidence.mlflow_source import MlflowSettings

    uri = args.tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI
    if args.mlflow_timeout < 1 or args.mlflow_retries < 0:
        raise UsageError("--mlflow-timeout must be >= 1 and --mlflow-retries >= 0")
    settings = MlflowSettings(
        tracking_uri=uri, timeout_s=args.mlflow_timeout, max_retries=args.mlflow_retries
    )
    os.environ.update(settings.environment())  # MLflow reads its HTTP settings from here
    return settings


def _run_summary(run: Any) -> dict[str, Any]:
    items = run.items
    return {
        "role": run.role,
        "run_id": run.run_id,
        "experiment": run.experiment_name,
        "stage": run.stage,
        "model": run.model.model_dump(mode="json") if run.model else None,
        "resolved_by": run.resolution.method,
        "metrics": len(run.metrics),
        "nonfinite_metrics": sorted(run.nonfinite_metrics),
        "items": None
        if items is None
        else {
            "rows": items.rows,
            "sha256": items.sha256,
            "artifact_sha256": items.artifact_sha256,
            "columns": items.columns,
            "problem": items.problem,
        },
        "redactions": [r.model_dump(mode="json") for r in run.redactions],
    }


def _write_summary(out: TextIO, fmt: str, path: str, snapshot: Any) -> None:
    evidence = snapshot.evidence
    runs = [r for r in (evidence.candidate, evidence.baseline) if r is not None]
    if fmt == "json":
        payload = {
            "$schema": SNAPSHOT_SCHEMA_ID,
            "path": path,
            "sha256": snapshot.digest(),
            "taken_at": evidence.taken_at,
            "runs": [_run_summary(r) for r in runs],
        }
        out.write(json.dumps(payload, indent=2) + "\n")
        return
    out.write(f"snapshot {path}\nsha256 {snapshot.digest()}\n")
    for run in runs:
        model = f", model {run.model.name} v{run.model.version}" if run.model else ""
        out.write(
            f"{run.role}: run {run.run_id} ({run.experiment_name}, stage {run.stage or '-'}"
            f"{model}) via {run.resolution.method}\n"
        )
        items = run.items
        table = (
            "no per-item table"
            if items is None
            else f"per-item table: {items.problem}"
            if items.problem
            else f"{items.rows} items, {len(items.columns)} columns"
        )
        out.write(
            f"  {len(run.metrics)} metrics, {len(run.params)} params, {len(run.tags)} tags, "
            f"{table}, {len(run.redactions)} redacted\n"
        )
        if run.nonfinite_metrics:
            out.write(f"  not usable (NaN/inf): {', '.join(sorted(run.nonfinite_metrics))}\n")


def _cmd_evidence(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    import datetime as dt
    from pathlib import Path

    from govgate.evidence.model import read_snapshot, write_snapshot
    from govgate.evidence.refs import parse_ref
    from govgate.evidence.snapshot import take_snapshot

    if args.evidence_command == "inspect":
        snapshot = read_snapshot(Path(args.path))
        _write_summary(out, args.format, args.path, snapshot)
        return ExitCode.OK
    candidate = parse_ref(args.candidate)
    baseline = parse_ref(args.baseline) if args.baseline else None
    if args.policies:
        if args.stage is None:
            raise UsageError("--policies needs --stage: rules apply to stages")
        from govgate.gate.preflight import require_baseline

        policy_set = _load_valid(args.policies)
        require_baseline(policy_set, args.stage, baseline is not None)
    snapshot = take_snapshot(
        candidate,
        baseline,
        stage=args.stage,
        settings=_mlflow_settings(args),
        now=dt.datetime.now(dt.UTC),
    )
    write_snapshot(snapshot, Path(args.output))
    _write_summary(out, args.format, args.output, snapshot)
    return ExitCode.OK


def _now(args: argparse.Namespace) -> Any:
    import datetime as dt

    if not getattr(args, "now", None):
        return dt.datetime.now(dt.UTC)
    try:
        when = dt.datetime.fromisoformat(args.now.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"--now {args.now!r} is not an ISO 8601 date-time") from None
    if when.tzinfo is None:
        raise UsageError("--now needs a time zone, e.g. 2026-11-21T12:00:00Z")
    return when


def _sign_key(args: argparse.Namespace) -> Any:
    if not args.sign_key:
        return None
    if not (args.bundle or args.bundle_archive):
        raise UsageError("--sign-key signs a bundle: add --bundle DIR or --bundle-archive FILE")
    from govgate.bundle.signing import load_private

    return load_private(Path(args.sign_key))


def environment() -> dict[str, Any]:
    """What ran the gate: versions, git commit, CI run. Only named variables are read."""
    import platform
    import subprocess
    from importlib import metadata

    packages: dict[str, str | None] = {}
    names = (
        "govgate",
        "pydantic",
        "cel-python",
        "jsonschema",
        "PyYAML",
        "numpy",
        "scipy",
        "pyarrow",
        "cryptography",
        "mlflow",
        "ragas",
    )
    for name in names:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = None
    git: dict[str, Any]
    try:
        run = subprocess.run
        commit = run(
            ["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()
        dirty = (
            run(
                ["git", "status", "--porcelain"],
                capture_output=True,
                text=True,
                timeout=5,
                check=True,
            ).stdout.strip()
            != ""
        )
        git = {"commit": commit, "dirty": dirty}
    except (OSError, subprocess.SubprocessError):
        git = {"commit": None}
    ci_names = (
        "CI",
        "GITHUB_REPOSITORY",
        "GITHUB_RUN_ID",
        "GITHUB_RUN_ATTEMPT",
        "GITHUB_SHA",
        "GITHUB_REF",
        "GITHUB_WORKFLOW",
        "GITHUB_ACTOR",
    )
    return {
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "packages": packages,
        "git": git,
        "ci": {name: os.environ[name] for name in ci_names if name in os.environ},
    }


def _write_bundle(
    args: argparse.Namespace,
    err: TextIO,
    decision: Any,
    risk: Any,
    policy_set: Any,
    snapshot: Any,
    sign_key: Any,
    settings: Any,
    *,
    log: bool,
) -> None:
    from govgate.bundle import build, store
    from govgate.bundle.signing import sign

    signer = (lambda payload: sign(payload, sign_key)) if sign_key is not None else None
    files = build.contents(decision, risk, policy_set, snapshot, environment(), signer)
    try:
        if args.bundle:
            store.write_directory(Path(args.bundle), files)
            signed = " (signed)" if signer else ""
            err.write(f"govgate: audit bundle written to {args.bundle}{signed}\n")
        if args.bundle_archive:
            store.write_archive(Path(args.bundle_archive), files)
            err.write(f"govgate: audit bundle archive written to {args.bundle_archive}\n")
    except OSError as exc:  # a full disk, a read-only mount: say so, and record nothing
        raise store.BundleError(
            f"could not write the audit bundle: {exc.strerror or exc}",
            hint="free space or choose another path; nothing was logged to the candidate run",
        ) from None
    if log and args.bundle:
        from govgate.evidence.mlflow_source import MlflowSource, log_bundle

        path = log_bundle(
            MlflowSource(settings),
            decision.candidate.run_id,
            Path(args.bundle),
            decision.digest(),
            decision.verdict.value,
        )
        err.write(f"govgate: bundle logged to run {decision.candidate.run_id} at {path}\n")


def _promotion_target(
    args: argparse.Namespace, snapshot: Any, settings: Any
) -> tuple[str, str, str, str | None]:
    """(model, alias, candidate version, version the alias pointed to when evidence was read)."""
    cand = snapshot.evidence.candidate
    if cand.model is None or not cand.model.version:
        raise UsageError(
            "--promote-alias needs a candidate that is a registered model version",
            hint="pass --candidate models:/NAME/VERSION or models:/NAME@ALIAS",
        )
    base = snapshot.evidence.baseline
    if base is not None and base.model and base.model.alias == args.promote_alias:
        expected = base.model.version  # read once, with the evidence
    else:
        from govgate.evidence.mlflow_source import MlflowSource, alias_version

        expected = alias_version(MlflowSource(settings), cand.model.name, args.promote_alias)
    return cand.model.name, args.promote_alias, cand.model.version, expected


def _promote(
    err: TextIO, decision: Any, settings: Any, target: tuple[str, str, str, str | None]
) -> None:
    name, alias, version, expected = target
    if decision.verdict.value != "PASS":
        err.write(
            f"govgate: not promoting models:/{name}@{alias}: the verdict is "
            f"{decision.verdict.value}, and only PASS promotes\n"
        )
        return
    from govgate.evidence.mlflow_source import MlflowSource, promote_alias

    promote_alias(MlflowSource(settings), name, alias, version, expected)
    err.write(
        f"govgate: promoted models:/{name}@{alias} to version {version} "
        f"(was {expected or 'unset'})\n"
    )


def _progress(err: TextIO) -> Callable[[int, int], None] | None:
    """A one-line progress indicator on a terminal; nothing when stderr is not one."""
    if not _color(err):
        return None

    def show(done: int, total: int) -> None:
        if done == total or done % 25 == 0:
            err.write(f"\r  scoring {done}/{total}" + ("\n" if done == total else ""))
            err.flush()

    return show


def _policy_digest(paths: list[str] | None) -> str | None:
    chosen = paths if paths else (["policies"] if Path("policies").is_dir() else [])
    if not chosen:
        return None
    return str(_load_valid(chosen).digest())


def _cmd_eval(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.evals.runner import run_eval
    from govgate.evals.suite import load_suite

    suite = load_suite(Path(args.suite))
    if suite.document.spec.judge is not None:
        raise UsageError(
            f"{suite.path}: spec.judge names an LLM provider; this version of the CLI does not "
            "connect to providers",
            hint="run LLM-judged metrics through govgate.evals.runner.run_eval(judge=...) with a "
            "ragas InstructorBaseRagasLLM, or remove spec.judge for offline runs",
        )
    settings = _mlflow_settings(args)
    result = run_eval(
        suite,
        Path(args.outputs),
        model=args.model,
        version=args.version,
        register=args.register,
        stage=args.stage,
        settings=settings,
        policy_digest=_policy_digest(args.policies),
        progress=_progress(err),
    )
    shown = ", ".join(f"{k}={v:.4g}" for k, v in sorted(result.metrics.items())[:12])
    out.write(
        f"run {result.run_id}: {suite.name} for {result.model} version {result.version}, "
        f"stage {result.stage}, {result.items} items\n  {shown}\n"
    )
    for note in result.notes:
        out.write(f"  note: {note}\n")
    return ExitCode.OK


def _cmd_demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Both example suites, end to end: evaluate, register, gate, report, bundle."""
    import shutil

    from govgate.bundle.signing import generate
    from govgate.evals.runner import run_eval
    from govgate.evals.suite import load_suite
    from govgate.evidence.mlflow_source import MlflowSource, set_alias

    settings = _mlflow_settings(args)
    root = Path(args.out)
    if root.exists():
        shutil.rmtree(root)  # the demo owns its output folder
    root.mkdir(parents=True)
    generate(root / "signing.pem", root / "signing.pub")
    verdicts = {}
    examples = (
        ("rag-assistant", "rag-assistant", ["policies/rag-assistant", "policies/waivers"]),
        ("credit-risk", "credit-risk", ["policies/tabular-classifier"]),
    )
    for suite_name, model, policy_paths in examples:
        suite = load_suite(Path("evals") / suite_name)
        digest = _policy_digest(policy_paths)  # the policies that will judge this model
        versions = {}
        for role in ("champion", "candidate"):
            result = run_eval(
                suite,
                suite.folder / "outputs" / f"{role}.jsonl",
                model=model,
                version=None,
                register=True,
                stage=None,
                settings=settings,
                policy_digest=digest,
            )
            versions[role] = result.version
            out.write(
                f"evaluated {suite_name} {role}: run {result.run_id}, {model} version "
                f"{result.version}, {result.items} items\n"
            )
        set_alias(MlflowSource(settings), model, "champion", str(versions["champion"]))
        folder = root / suite_name
        argv = [
            "check",
            "--tracking-uri",
            settings.tracking_uri,
            "--stage",
            "offline",
            "--policies",
            *policy_paths,
            "--candidate",
            f"models:/{model}/{versions['candidate']}",
            "--baseline",
            f"models:/{model}@champion",
            "--format",
            f"markdown={folder / 'report.md'}",
            "--format",
            f"html={folder / 'report.html'}",
            "--format",
            f"json={folder / 'report.json'}",
            "--format",
            f"sarif={folder / 'report.sarif'}",
            "--format",
            f"junit={folder / 'junit.xml'}",
            "--bundle",
            str(folder / "bundle"),
            "--sign-key",
            str(root / "signing.pem"),
        ]
        code = main(argv, stdout=io.StringIO(), stderr=io.StringIO())
        report = json.loads((folder / "report.json").read_text())
        verdicts[suite_name] = report["decision"]["verdict"]
        out.write(
            f"\n{suite_name}: {report['headline']}\n  exit code {code}; reports and a "
            f"signed bundle in {folder}/\n\n"
        )
    out.write(
        f"verify a bundle: govgate verify {root}/rag-assistant/bundle --key "
        f"{root}/signing.pub\nbrowse the runs: mlflow ui --backend-store-uri "
        f"{settings.tracking_uri}\n"
    )
    expected = {"rag-assistant": "PASS", "credit-risk": "FAIL"}
    if verdicts != expected:
        err.write(f"govgate: the demo did not decide as designed: {verdicts}\n")
        return ExitCode.CRASH
    return ExitCode.OK


def _cmd_keygen(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.bundle.signing import generate

    private, public = Path(f"{args.out}.pem"), Path(f"{args.out}.pub")
    key = generate(private, public)
    out.write(f"private key {private} (keep it secret)\npublic key  {public}\nkey id {key}\n")
    return ExitCode.OK


def _cmd_verify(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.bundle import store
    from govgate.bundle.signing import load_public
    from govgate.bundle.verify import Verification, verify

    key = load_public(Path(args.key)) if args.key else None
    path = Path(args.bundle)
    if not path.exists():
        raise UsageError(f"{path}: no such bundle")
    try:
        result = verify(store.read(path), key)
    except store.BundleError as exc:
        result = Verification(problems=[f"unreadable: {exc.message}"])
    if args.format == "json":
        payload = {
            "bundle": str(path),
            "verified": result.ok,
            "problems": result.problems,
            "signed": result.signed,
            "signature_verified": result.signature_verified,
            "replayed": result.replayed,
            "verdict": result.verdict,
        }
        out.write(json.dumps(payload, indent=2) + "\n")
    elif not result.ok:
        count = len(result.problems)
        out.write(f"{path}: NOT VERIFIED ({count} problem{'s' if count != 1 else ''})\n")
        out.writelines(f"  {p}\n" for p in result.problems)
    else:
        signature = (
            "signature verified"
            if result.signature_verified
            else "signed, not checked (no --key)"
            if result.signed
            else "not signed"
        )
        out.write(
            f"{path}: verified: every digest matches, {signature}, decision replayed "
            f"byte for byte (verdict {result.verdict})\n"
        )
    return ExitCode.OK if result.ok else ExitCode.VERIFY_FAILED


REPORT_FORMATS = ("text", "json", "markdown", "html", "junit", "sarif", "github")


def _report_targets(args: argparse.Namespace) -> list[tuple[str, str | None]]:
    """``--format FMT[=FILE]`` (repeatable) and ``--output`` as (format, file or stdout)."""
    targets: list[tuple[str, str | None]] = []
    for spec in args.format or ["text"]:
        fmt, _, target = spec.partition("=")
        if fmt not in REPORT_FORMATS:
            raise UsageError(
                f"unknown report format {fmt!r}", hint="formats: " + ", ".join(REPORT_FORMATS)
            )
        targets.append((fmt, target or None))
    to_stdout = [t for t in targets if t[1] is None]
    if args.output:
        if len(to_stdout) != 1:
            raise UsageError("--output names one file: use FORMAT=FILE for several reports")
        targets = [(f, args.output) if t is None else (f, t) for f, t in targets]
    elif len(to_stdout) > 1:
        raise UsageError("only one report can go to stdout: use FORMAT=FILE for the others")
    return targets


def _color(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and "NO_COLOR" not in os.environ


def exit_code_for(verdict: str, fail_on_warn: bool) -> ExitCode:
    """The one place a verdict becomes an exit code (every verdict handled: ``assert_never``)."""
    v = Verdict(verdict)
    match v:
        case Verdict.PASS:
            return ExitCode.OK
        case Verdict.WARN:
            return ExitCode.BLOCKED if fail_on_warn else ExitCode.OK
        case Verdict.FAIL:
            return ExitCode.BLOCKED
        case Verdict.ROLLBACK:
            return ExitCode.ROLLBACK
        case Verdict.INCONCLUSIVE:
            return ExitCode.INCONCLUSIVE
        case _:
            assert_never(v)


def _cmd_check(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from pathlib import Path

    from govgate.evidence.model import write_snapshot
    from govgate.evidence.refs import SnapshotRef, parse_ref
    from govgate.evidence.snapshot import take_snapshot
    from govgate.gate.engine import decide
    from govgate.gate.preflight import require_baseline
    from govgate.report import RENDERERS, render_text
    from govgate.risk.assess import assess

    # every usage error before any work: options, report targets, the signing key
    now = _now(args)
    targets = _report_targets(args)
    sign_key = _sign_key(args)
    for option, target in (("--bundle", args.bundle), ("--bundle-archive", args.bundle_archive)):
        if target and Path(target).exists():
            raise UsageError(
                f"{option} {target}: already exists",
                hint="a bundle is written once; remove it or choose another path",
            )
    policy_set = _load_valid([*args.policies, *args.waivers])
    candidate = parse_ref(args.candidate)
    baseline = parse_ref(args.baseline) if args.baseline else None
    require_baseline(policy_set, args.stage, baseline is not None)
    settings = _mlflow_settings(args)
    snapshot = take_snapshot(candidate, baseline, stage=args.stage, settings=settings, now=now)
    if args.snapshot_out:
        write_snapshot(snapshot, Path(args.snapshot_out))
    promotion = _promotion_target(args, snapshot, settings) if args.promote_alias else None
    decision = decide(policy_set, snapshot, stage=args.stage, now=now)
    risk = assess(decision)
    for fmt, target in targets:
        if fmt == "text":
            text = render_text(decision, risk, color=target is None and _color(out))
        else:
            text = RENDERERS[fmt](decision, risk)
        if target is None:
            out.write(text)
        else:
            Path(target).parent.mkdir(parents=True, exist_ok=True)
            Path(target).write_text(text, encoding="utf-8")
            err.write(f"govgate: {fmt} report written to {target}\n")
    from_mlflow = not isinstance(candidate, SnapshotRef)
    if args.bundle or args.bundle_archive:
        _write_bundle(
            args,
            err,
            decision,
            risk,
            policy_set,
            snapshot,
            sign_key,
            settings,
            log=from_mlflow and not args.no_mlflow_log,
        )
    if promotion is not None:
        _promote(err, decision, settings, promotion)
    return exit_code_for(decision.verdict.value, args.fail_on_warn)


def _cmd_test(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.policytest.render import RENDERERS
    from govgate.policytest.runner import run_policy_tests

    run, problems = run_policy_tests(args.paths)
    if run is None:
        for problem in problems:
            _problem_text(err, problem)
        err.write(f"govgate: no test ran: {len(problems)} problem(s) in the tests or policies\n")
        return ExitCode.POLICY_INVALID
    text = RENDERERS[args.format](run)
    if args.output:
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(text, encoding="utf-8")
        err.write(
            f"govgate: {args.format} report written to {args.output}: "
            f"{len(run.cases)} cases, {len(run.failed)} failed, "
            f"{len(run.coverage) - len(run.uncovered)} of {len(run.coverage)} rules covered\n"
        )
    else:
        out.write(text)
    if run.failed:
        return ExitCode.BLOCKED
    if args.require_coverage and run.uncovered:
        err.write(
            "govgate: rule coverage incomplete: "
            + ", ".join(c.rule.key for c in run.uncovered)
            + " (--require-coverage)\n"
        )
        return ExitCode.BLOCKED
    return ExitCode.OK


def _selection(args: argparse.Namespace) -> Any:
    import datetime as dt

    from govgate.history import Selection
    from govgate.policy.model import expiry_instant

    if not (args.experiment or args.model):
        raise UsageError(
            "say which runs: --experiment NAME and/or --model NAME",
            hint="e.g. --model rag-assistant --last 10",
        )
    if args.last < 1:
        raise UsageError("--last must be at least 1")

    def instant(option: str, text: str | None, end: bool) -> dt.datetime | None:
        if text is None:
            return None
        try:
            if end:
                return expiry_instant(text)  # a bare date: through the end of that day
            if len(text) == 10:
                return dt.datetime.fromisoformat(text).replace(tzinfo=dt.UTC)
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError as exc:
            raise UsageError(f"{option} {text!r} is not a date or date-time: {exc}") from None
        if value.tzinfo is None:
            raise UsageError(f"{option} needs a time zone, e.g. 2026-11-21T12:00:00Z")
        return value

    return Selection(
        experiment=args.experiment,
        model=args.model,
        stage=args.stage,
        since=instant("--since", args.since, end=False),
        until=instant("--until", args.until, end=True),
        filter=args.filter,
        last=args.last,
    )


def _history(
    args: argparse.Namespace, out: TextIO, rows: Any, kind: str, before: str, after: str
) -> int:
    from govgate.history import render_table, to_json

    if args.format == "json":
        out.write(to_json(rows, kind, before, after))
    else:
        out.write(render_table(rows, before, after))
    if not rows:
        raise EvidenceError(
            "evidence.not-found",
            "no finished run matches the selection",
            hint="check --experiment/--model, --stage and the dates",
        )
    errors = [r for r in rows if r.error is not None]
    if len(errors) == len(rows) or (args.fail_on_change and errors):
        return ExitCode.EVIDENCE_UNAVAILABLE
    if args.fail_on_change and any(r.changed for r in rows):
        return ExitCode.BLOCKED
    return ExitCode.OK


def _cmd_replay(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.evidence.refs import parse_ref
    from govgate.history import gather, replay

    selection = _selection(args)
    now = _now(args) if args.now else None
    baseline = parse_ref(args.baseline) if args.baseline else None
    policy_set = _load_valid(args.policies)
    items = gather(_mlflow_settings(args), selection, baseline=baseline, now=now)
    rows = replay(policy_set, items)
    return _history(args, out, rows, "replay", "past", "replayed")


def _cmd_diff(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.evidence.refs import parse_ref
    from govgate.history import diff, gather

    selection = _selection(args)
    now = _now(args) if args.now else None
    baseline = parse_ref(args.baseline) if args.baseline else None
    old, new = _load_valid([args.old]), _load_valid([args.new])
    items = gather(_mlflow_settings(args), selection, baseline=baseline, now=now)
    rows = diff(old, new, items)
    return _history(args, out, rows, "diff", "old", "new")


def _cmd_init(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from govgate.scaffold import ACTION_PLACEHOLDER, plan, write

    target = Path(args.path)
    if not target.is_dir():
        raise UsageError(f"{args.path}: no such folder", hint="run init inside your repository")
    planned = plan(
        model=args.model, kind=args.kind, owner=args.owner, group=args.group, action=args.action
    )
    result = write(target, planned)
    for path in result.created:
        out.write(f"created {path}\n")
    for path in result.kept:
        out.write(f"kept    {path} (exists: not overwritten)\n")
    out.write("\nnext:\n")
    out.write("  govgate validate policies/ && govgate test policies/   # the scaffold passes\n")
    out.write(
        f"  govgate eval run evals/{args.model} --outputs OUTPUTS.jsonl --model {args.model} "
        "--register\n"
    )
    workflow = next((p for p in planned if p.path.endswith("govgate.yml")), None)
    if args.action is None and workflow is not None and workflow.path in result.created:
        out.write(
            f"  in {workflow.path}: replace {ACTION_PLACEHOLDER} with the govgate action "
            "pinned to a commit\n"
        )
    if ".pre-commit-config.yaml" in result.kept:
        out.write("  add the govgate-validate and govgate-test hooks to .pre-commit-config.yaml\n")
    return ExitCode.OK


_COMMANDS: dict[str, Callable[[argparse.Namespace, TextIO, TextIO], int]] = {
    "init": _cmd_init,
    "replay": _cmd_replay,
    "diff": _cmd_diff,
    "test": _cmd_test,
    "check": _cmd_check,
    "keygen": _cmd_keygen,
    "eval": _cmd_eval,
    "demo": _cmd_demo,
    "verify": _cmd_verify,
    "validate": _cmd_validate,
    "schema": _cmd_schema,
    "evidence": _cmd_evidence,
}


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
