"""The command line's grammar: every command, option and help text, and nothing else.

argparse, because the problem was never the parser: a stdlib parser that raises
:class:`~govgate.errors.UsageError` (exit 2) instead of exiting keeps every exit code in
:func:`govgate.cli.main.main`.
"""

from __future__ import annotations

import argparse

from govgate._version import __version__
from govgate.errors import UsageError

STAGES = ["offline", "shadow", "canary"]


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so main() owns every exit code."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message, hint=f"see: {self.prog} --help")


def build_parser() -> _Parser:
    parser = _Parser(
        prog="govgate",
        description="Policy-as-code release gate for ML and LLM systems.",
        epilog="Exit codes: 0 ok/pass, 1 crash, 2 usage, 3 invalid policy, 4 blocked, "
        "5 rollback, 6 inconclusive, 7 evidence unavailable, 8 verification failed, "
        "9 could not write an output, 10 passed but the alias move was raced.",
    )
    parser.add_argument("--version", action="version", version=f"govgate {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    validate = sub.add_parser(
        "validate",
        help="check policy, waiver, policy test and eval suite files (schema, CEL, references)",
        description="Check policy, waiver, policy test and eval suite documents: YAML safety, "
        "JSON Schema, CEL syntax and lint, duplicate ids, waiver targets. Reports every "
        "problem in every file in one run, then warnings (which do not change the exit code).",
    )
    validate.add_argument(
        "paths",
        nargs="*",
        default=["policies"],
        metavar="PATH",
        help="policy, waiver, test and eval suite files or folders (default: policies)",
    )
    validate.add_argument("--format", choices=["text", "json"], default="text")
    _pack_options(validate, unsafe=False)
    validate.add_argument(
        "--tracking-uri",
        metavar="URI",
        help="also warn about policies whose spec.selector.models match no registered model "
        "in this MLflow store (read-only; nothing else is read)",
    )
    validate.set_defaults(mlflow_timeout=10, mlflow_retries=2)

    schema = sub.add_parser(
        "schema",
        help="print the JSON Schema of govgate documents or outputs",
        description="Print a JSON Schema (draft 2020-12): of the documents govgate reads "
        "(point yaml-language-server at it for completion and checks in editors), or of an "
        "output it writes.",
    )
    schema.add_argument(
        "--kind",
        choices=[
            "all",
            "Policy",
            "Waiver",
            "PolicyTest",
            "EvalSuite",
            "Report",
            "Decision",
            "Risk",
            "Attestation",
            "ValidateResult",
        ],
        default="all",
        help="all (default): the policy, waiver and policy test documents (govgate-v1); "
        "one document kind; EvalSuite; or an output: Report (check --format json), Decision "
        "(decision.json), Risk (risk.json), Attestation (the predicate of a bundle's "
        "statement.json), ValidateResult (validate --format json)",
    )

    policy = sub.add_parser(
        "policy",
        help="facts about a policy set: its digest",
        description="policy digest: prints the digest of the policy set under PATH (what "
        "`govgate eval run` records on a run as govgate.policy_digest, and what "
        "spec.preregistration: required compares with). A harness of your own records it "
        "before scoring.",
    )
    policy_sub = policy.add_subparsers(
        dest="policy_command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    digest = policy_sub.add_parser(
        "digest", help="print the digest of the policy set under PATH (default policies/)"
    )
    digest.add_argument("paths", nargs="*", default=["policies"], metavar="PATH")
    digest.add_argument("--format", choices=["text", "json"], default="text")

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
    _pack_options(test, unsafe=False)

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
        action="extend",
        metavar="PATH",
        help="check first that the evidence asked for is what these policies need "
        "(a baseline when a rule compares with one)",
    )
    _pack_options(snap)
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
        action="extend",
        default=None,
        metavar="PATH",
        help="policy files or folders (default: policies)",
    )
    check.add_argument(
        "--waivers",
        nargs="+",
        action="extend",
        default=None,
        metavar="PATH",
        help="waiver files or folders, in addition to those among the policies",
    )
    _pack_options(check)
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
        help="decide as of this later instant (waiver expiry); never before the evidence: "
        "default: now, or a snapshot file's own instant",
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
    check.add_argument(
        "--approvals",
        nargs="+",
        action="extend",
        default=None,
        metavar="PATH",
        help="signed approvals (govgate approve), files or folders of *.json: those that "
        "verify under --trust and name this decision count (see docs/approvals.md)",
    )
    check.add_argument(
        "--trust",
        metavar="FILE",
        help="who may approve, as whom: approvers' public keys and roles (default: $GOVGATE_TRUST)",
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
        action="extend",
        default=None,
        metavar="PATH",
        help="the policies to replay under (default: policies)",
    )
    _pack_options(replay)
    _history_options(replay, last=20)
    diff = sub.add_parser(
        "diff",
        help="what a policy change does to the verdicts of the last N runs",
        description="Decide the same past runs (one snapshot each) under the OLD and the NEW "
        "policy set, and show every verdict and rule outcome that changes.",
    )
    diff.add_argument("old", metavar="OLD", help="the policies before: a file or folder")
    diff.add_argument("new", metavar="NEW", help="the policies after: a file or folder")
    _pack_options(diff)
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
    run.add_argument("--stage", choices=STAGES, help="default: the suite's stage")
    run.add_argument(
        "--alias",
        metavar="ALIAS",
        help="point models:/NAME@ALIAS at the version (e.g. candidate; champion for a "
        "model's first version); refused for an alias a gate moved (use govgate promote)",
    )
    run.add_argument(
        "--policies",
        nargs="*",
        action="extend",
        metavar="PATH",
        help="policies in force, recorded by digest (default: policies/ if present)",
    )
    _pack_options(run)
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

    pack = sub.add_parser(
        "pack",
        help="build a signed policy pack (an organisation baseline), or verify one",
        description="A policy pack is one deterministic .tgz of a folder's policy and waiver "
        "files, a manifest of their digests and a DSSE signature of it (Ed25519). Load it "
        "wherever policies are loaded: --policies PACK.tgz --policy-key PUB (see docs/packs.md).",
    )
    pack_sub = pack.add_subparsers(
        dest="pack_command", metavar="COMMAND", required=True, parser_class=_Parser
    )
    pack_build = pack_sub.add_parser(
        "build",
        help="pack and sign the policies of a folder",
        description="Validate DIR as `govgate validate DIR` does (exit 3 on any problem), then "
        "write its policy and waiver files (not its policy tests or eval suites) as a signed "
        "pack. The same files, name, version and key give the same bytes.",
    )
    pack_build.add_argument("path", metavar="DIR", help="the folder of policies to pack")
    pack_build.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="the pack to write (.tgz)"
    )
    pack_build.add_argument(
        "--sign-key", required=True, metavar="PEM", help="sign it with this Ed25519 key"
    )
    pack_build.add_argument("--name", metavar="N", help="the pack's name (default: DIR's name)")
    pack_build.add_argument("--version", metavar="V", default="0", help="its version (default 0)")
    pack_verify = pack_sub.add_parser(
        "verify",
        help="check a pack's signature, or the packs an audit bundle records, offline",
        description="A pack file: verify it as loading does (archive, signature, every member). "
        "An audit bundle (directory, .tar.gz or .zip): verify the signature of every pack it "
        "records (packs/*.dsse.json) and that its bundled policies are the pack's files. "
        "Exit 0, or 3 for a refused pack, 8 for a bundle whose packs do not verify.",
    )
    pack_verify.add_argument("path", metavar="PATH", help="a pack .tgz or an audit bundle")
    pack_verify.add_argument(
        "--key", required=True, metavar="PUB", help="the pack publisher's public key (PEM)"
    )

    keygen = sub.add_parser("keygen", help="make an Ed25519 key pair for signing bundles")
    keygen.add_argument(
        "--out",
        default="govgate-signing",
        metavar="PREFIX",
        help="writes PREFIX.pem (private, mode 600) and PREFIX.pub",
    )

    approve = sub.add_parser(
        "approve",
        help="sign an approval of a verified bundle's decision, for check --approvals",
        description="Verifies the bundle (digests and a replay), then writes one signed "
        "approval (kind: Approval) of its decision basis (evidence, policies, stage) and "
        "model version: it counts on any re-run of the gate on the same runs and policies "
        "at that stage, until it expires. Refused for a FAIL, a ROLLBACK or a decision "
        "inconclusive for want of evidence. Exit 0 written, 2 usage, 4/5/6 the verdict "
        "cannot be approved, 8 the bundle does not verify.",
    )
    approve.add_argument("bundle", metavar="BUNDLE", help="bundle directory, .tar.gz or .zip")
    approve.add_argument(
        "--key", required=True, metavar="PEM", help="your Ed25519 private key (govgate keygen)"
    )
    approve.add_argument(
        "--role", required=True, metavar="ROLE", help="the role you approve in (model-risk)"
    )
    approve.add_argument(
        "--bundle-key",
        metavar="PUB",
        help="the gate's public key: the bundle's signature must verify under it (default: "
        "$GOVGATE_BUNDLE_KEY; with neither, the signature is not checked and a warning says so)",
    )
    approve.add_argument(
        "--approver", metavar="NAME", help="your name, as the trust file lists it (optional)"
    )
    approve.add_argument("--email", metavar="EMAIL", help="your email (with --approver)")
    approve.add_argument(
        "--expires",
        metavar="DATE",
        help="a date (valid through its end, UTC) or an RFC 3339 instant, within a year "
        "(default: 30 days from now)",
    )
    approve.add_argument("--comment", metavar="TEXT", help="why, for the record (optional)")
    approve.add_argument(
        "--output", "-o", required=True, metavar="FILE", help="the approval to write (.json)"
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

    promote = sub.add_parser(
        "promote",
        help="move a model alias to the candidate of a verified PASS bundle",
        description="Verifies the bundle (digests, the signature, a replay), requires its "
        "verdict to be PASS, reads the candidate again from MLflow and refuses any change "
        "since the bundle was made, then moves models:/NAME@ALIAS to the candidate version "
        "(only if it still points at the version the decision compared with) and records "
        "who, when, the decision and the bundle on the version. The signature must verify "
        "under --key or $GOVGATE_BUNDLE_KEY. Exit 0 promoted, 2 usage or no key, 4 not PASS, "
        "7 the store changed or could not be read, 8 the bundle does not verify, 10 raced.",
    )
    promote.add_argument("bundle", metavar="BUNDLE", help="bundle directory, .tar.gz or .zip")
    promote.add_argument(
        "--alias", required=True, metavar="ALIAS", help="the alias to move (e.g. champion)"
    )
    promote.add_argument(
        "--key",
        metavar="PUB",
        help="the public key (PEM) the bundle's signature must verify under "
        "(default: $GOVGATE_BUNDLE_KEY)",
    )
    promote.add_argument(
        "--unsafe-no-key",
        action="store_true",
        help="promote with no key configured: the signature is not checked (prints a warning)",
    )
    _mlflow_options(promote)

    revert = sub.add_parser(
        "revert",
        help="the kill switch: move an alias back to the version govgate promoted it from",
        description="Moves models:/MODEL@ALIAS back to the version its current holder "
        "replaced (the govgate.promoted.ALIAS tag govgate wrote on it), confirms it by "
        "reading it back, and records the reason, who and when on both versions. Reads the "
        "model registry only: works when runs or artifacts are unreadable. Exit 0 reverted, "
        "2 usage, 7 nothing govgate promoted to revert (or the store could not be read), "
        "10 raced.",
    )
    revert.add_argument("model", metavar="MODEL", help="registered model name")
    revert.add_argument(
        "--alias", required=True, metavar="ALIAS", help="the alias to move back (e.g. champion)"
    )
    revert.add_argument(
        "--reason", required=True, metavar="TEXT", help="why: recorded on both versions"
    )
    _mlflow_options(revert)

    serve = sub.add_parser(
        "serve",
        help="judge canaries over HTTP for a controller (Argo Rollouts, Flagger)",
        description="Answer GET/POST /v1/judge with the decision JSON of `check --format json` "
        "plus verdict and exit_code, decided with the policies loaded and validated at start, "
        "for registered versions of the allowed models only (see docs/serve.md). Also "
        "GET /healthz and GET /metrics (Prometheus). Needs a bearer token unless it listens "
        "on loopback only. Runs until SIGTERM (exit 0) or SIGINT (130); exits 2 on a bad "
        "option or address, 3 on an invalid policy, 7 when the MLflow store is missing.",
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=8080, help="port (default 8080; 0: any free)")
    serve.add_argument(
        "--policies",
        nargs="+",
        action="extend",
        default=None,
        metavar="PATH",
        help="the policy (and waiver) files or folders every decision uses (default: policies)",
    )
    _pack_options(serve)
    serve.add_argument(
        "--allow-model",
        action="append",
        required=True,
        metavar="NAME",
        help="a registered model requests may name (repeat for several; at least one)",
    )
    serve.add_argument(
        "--baseline-alias",
        default="champion",
        metavar="ALIAS",
        help="the baseline when a request names none: models:/NAME@ALIAS (default champion)",
    )
    serve.add_argument(
        "--token-file",
        metavar="FILE",
        help="the bearer token requests must send (else $GOVGATE_SERVE_TOKEN); required "
        "unless --host is a loopback address",
    )
    _mlflow_options(serve)
    serve.add_argument(
        "--max-concurrency",
        type=int,
        default=4,
        metavar="N",
        help="decisions computed at once (default 4); more requests wait in a queue",
    )
    serve.add_argument(
        "--max-queue",
        type=int,
        default=64,
        metavar="N",
        help="requests that may wait for a worker (default 64); more are answered 503",
    )
    serve.add_argument(
        "--request-timeout",
        type=float,
        default=25.0,
        metavar="SECONDS",
        help="the most a judge request may take, queueing included, before a 503 (default 25)",
    )
    serve.add_argument(
        "--cache-entries",
        type=int,
        default=16,
        metavar="N",
        help="snapshots kept for repeated looks (default 16; 0: read the runs every time)",
    )
    serve.add_argument(
        "--cache-max-age",
        type=float,
        default=300.0,
        metavar="SECONDS",
        help="read the runs again after this long even when unchanged (default 300)",
    )

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
    parser.add_argument("--stage", required=stage_required, choices=STAGES)


def _history_options(parser: argparse.ArgumentParser, *, last: int) -> None:
    parser.add_argument("--experiment", metavar="NAME", help="runs of this MLflow experiment")
    parser.add_argument(
        "--model", metavar="NAME", help="evaluation runs of this registered model's versions"
    )
    parser.add_argument("--stage", choices=STAGES, help="only runs of this stage")
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


def _pack_options(parser: argparse.ArgumentParser, *, unsafe: bool = True) -> None:
    """How policy packs among the policies are trusted (see docs/packs.md)."""
    parser.add_argument(
        "--policy-key",
        metavar="PUB",
        help="the public key (PEM) policy packs must be signed by (else $GOVGATE_POLICY_KEY)"
        + ("" if unsafe else "; without one, packs are checked for integrity only"),
    )
    if unsafe:
        parser.add_argument(
            "--unsafe-unsigned-pack",
            action="store_true",
            help="load policy packs without a key: their integrity is checked, not who signed "
            "them (a warning is printed)",
        )
