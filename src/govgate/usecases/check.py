"""``check``: policies x evidence -> a decision, its reports, a bundle, maybe a promotion.

The order is the contract. Every usage error comes before any work (report targets, bundle
paths, the signing key); the policies load before MLflow is asked anything; the evidence is
read once; reports and the bundle are written before anything is logged to MLflow; and only a
PASS moves an alias, and only if it still points where it did when the evidence was read.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate._version import __version__
from govgate.errors import EvidenceError, PolicyInvalidError, UsageError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.model import Snapshot
from govgate.evidence.refs import Ref, SnapshotRef, parse_ref
from govgate.exitcodes import ExitCode
from govgate.files import write_text
from govgate.gate.outcome import Decision
from govgate.policy.compiled import PolicySet
from govgate.policy.packs import KEY_REQUIRED, PackTrust
from govgate.risk.model import RiskAssessment
from govgate.terms import Verdict

REPORT_FORMATS = ("text", "json", "markdown", "html", "junit", "sarif", "github")


@dataclass(frozen=True, slots=True)
class ReportTarget:
    """One report: its format, and the file it goes to (``None``: the caller's stdout)."""

    format: str
    path: Path | None = None


@dataclass(frozen=True)
class CheckSettings:
    """Everything one ``check`` needs. ``candidate`` and ``baseline`` are references as the
    user wrote them (parsed after the policies load, so policy problems are reported first);
    ``environment`` is the record of what ran the gate
    (:func:`govgate.usecases.environment.environment`), kept in the bundle."""

    candidate: str
    stage: str
    clock: dt.datetime  # when this check runs: the instant live evidence is read
    mlflow: MlflowSettings
    #: decide as of this instant (``--now``); None: the clock for live evidence, the recorded
    #: instant of a snapshot file. Never before the evidence it decides on.
    now: dt.datetime | None = None
    policies: Sequence[str] = ("policies",)
    baseline: str | None = None
    reports: Sequence[ReportTarget] = (ReportTarget("text"),)
    color: bool = False
    fail_on_warn: bool = False
    snapshot_out: Path | None = None
    bundle_dir: Path | None = None
    bundle_archive: Path | None = None
    sign_key: Path | None = None
    log_to_mlflow: bool = True
    promote_alias: str | None = None
    #: what ran the gate, read only when a bundle is written (it runs git)
    environment: Callable[[], Mapping[str, Any]] = dict
    #: how policy packs among ``policies`` are trusted: by default a key is required
    packs: PackTrust = KEY_REQUIRED
    #: where live evidence comes from: ``take_snapshot`` by default, or a function with its
    #: signature (``govgate serve`` passes its cache, which reuses a snapshot while the runs
    #: are unchanged)
    snapshot_source: Callable[..., Snapshot] | None = None
    #: approval documents (files, or folders of ``*.json``) and the trust file they are
    #: checked against (``--trust``, required with approvals; read whenever one is named)
    approvals: Sequence[Path] = ()
    trust: Path | None = None

    @property
    def attests(self) -> bool:
        """Does this check record its decision where it could authorise a release (a bundle,
        a promotion)? Then it is never dated ahead of the clock."""
        return bool(self.promote_alias or self.bundle_dir or self.bundle_archive)


@dataclass(frozen=True, slots=True)
class Written:
    """A file this check wrote: ``what`` is a report format, ``snapshot``, ``bundle`` or
    ``bundle archive``."""

    what: str
    path: Path


@dataclass(frozen=True, slots=True)
class Promotion:
    """What ``--promote-alias`` did: moved the alias, or why it did not."""

    model: str
    alias: str
    version: str
    previous: str | None
    promoted: bool


@dataclass(frozen=True, slots=True)
class StdoutReport:
    """The report for the caller's stdout, as soon as it is rendered."""

    text: str


#: told of each report and file as it is done, so a caller can show them even when a later
#: step (the bundle, the MLflow log, the promotion) fails
Listener = Callable[[StdoutReport | Written], None]


@dataclass(frozen=True)
class CheckOutcome:
    decision: Decision
    risk: RiskAssessment
    fail_on_warn: bool
    stdout_report: str | None = None
    written: tuple[Written, ...] = ()
    signed: bool = False
    logged_to: str | None = None  # artifact path of the bundle logged to the candidate run
    promotion: Promotion | None = None
    look_recorded: int | None = None  # the look number logged to the canary's run

    @property
    def exit_code(self) -> ExitCode:
        return self.decision.exit_code


def load_valid(
    paths: Sequence[str], now: dt.datetime | None = None, packs: PackTrust | None = None
) -> PolicySet:
    """Load a policy set for a command that needs a valid one; every problem is reported.
    ``now``: the instant waiver lifetimes are measured from (default: the current time).
    ``packs``: how policy packs among ``paths`` are trusted (default: a key is required)."""
    from govgate.policy.loader import load_policy_set

    policy_set, problems = load_policy_set(list(paths), now=now, packs=packs)
    if problems:
        raise PolicyInvalidError(problems)
    return policy_set


def _preflight(settings: CheckSettings) -> Any:
    """Every usage error before any work; returns the signing key, if one was named."""
    from govgate.bundle.store import ARCHIVE_SUFFIXES, archive_suffix

    if sum(1 for r in settings.reports if r.path is None) > 1:
        raise UsageError("only one report can go to stdout: use FORMAT=FILE for the others")
    for report in settings.reports:
        if report.format not in REPORT_FORMATS:
            raise UsageError(
                f"unknown report format {report.format!r}",
                hint="formats: " + ", ".join(REPORT_FORMATS),
            )
    for option, target in (
        ("--bundle", settings.bundle_dir),
        ("--bundle-archive", settings.bundle_archive),
    ):
        if target is not None and target.exists():
            raise UsageError(
                f"{option} {target}: already exists",
                hint="a bundle is written once; remove it or choose another path",
            )
    archive = settings.bundle_archive
    if archive is not None and archive_suffix(archive) not in ARCHIVE_SUFFIXES:
        raise UsageError(
            f"--bundle-archive {archive}: the archive must end in .tar.gz, .tgz or .zip"
        )
    if settings.sign_key is None:
        return None
    if settings.bundle_dir is None and archive is None:
        raise UsageError("--sign-key signs a bundle: add --bundle DIR or --bundle-archive FILE")
    from govgate.bundle.signing import load_private

    return load_private(settings.sign_key)


def _approvals(settings: CheckSettings) -> tuple[list[Any], dict[str, bytes]]:
    """The approval records to decide with (signatures and signers checked against the trust
    file) and their bundle files; a missing file or trust file is a usage error, before any
    work."""
    if settings.approvals and settings.trust is None:
        raise UsageError(
            "approvals are checked against a trust file, and none was named",
            hint="add --trust FILE (or set $GOVGATE_TRUST): who may approve, with their keys",
        )
    if settings.trust is None:
        return [], {}
    from govgate.approval.bundle import bundle_files
    from govgate.approval.trust import load_trust
    from govgate.approval.verify import read_documents, verify_documents

    trust = load_trust(settings.trust)
    documents = read_documents(settings.approvals)
    records = verify_documents(documents, trust)
    return records, bundle_files(documents, records, trust)


def _live(settings: CheckSettings, candidate: Ref, baseline: Ref | None) -> bool:
    """Is every reference read from the registry in this process? Only then may the check
    write to MLflow (a verdict tag, an alias): a snapshot file can be forged by whoever wrote
    it, so it can be replayed and reported on, never promoted or logged as a decision."""
    files = [r for r in (candidate, baseline) if isinstance(r, SnapshotRef)]
    if files and settings.promote_alias:
        raise UsageError(
            f"--promote-alias needs evidence read from the registry now, and {files[0].path} is "
            "a snapshot file: a snapshot can be replayed, never promoted",
            hint="pass --candidate models:/NAME/VERSION (and --baseline models:/NAME@ALIAS)",
        )
    if not files and settings.now is not None and settings.now < settings.clock:
        raise UsageError(
            f"--now {_iso(settings.now)} is before this check reads its evidence "
            f"({_iso(settings.clock)}): a decision on live evidence cannot be backdated",
            hint="to decide as of a past instant, replay a snapshot (--candidate FILE.json) or "
            "a bundle (govgate verify, govgate replay)",
        )
    if settings.attests and settings.now is not None and settings.now > settings.clock:
        what = "--promote-alias" if settings.promote_alias else "a bundle"
        raise UsageError(
            f"--now {_iso(settings.now)} is after the clock ({_iso(settings.clock)}), and "
            f"{what} records the decision as made then: a decision dated ahead could outrank a "
            "revert made before that instant",
            hint="leave --now out (a future --now is for trying waiver expiry, with no bundle "
            "and no promotion)",
        )
    return not files


#: how far a decision's instant may lie ahead of this check's clock when it is attested (a
#: bundle, a promotion): a run the store says ended later (the server's clock ahead) is skew
MAX_SKEW = dt.timedelta(minutes=5)


def _require_not_ahead(settings: CheckSettings, now: dt.datetime) -> None:
    """A bundle or a promotion dated well after the check ran (a run whose logged end lies in
    the future, a snapshot file's edited instant) could outrank a revert made meanwhile."""
    if settings.attests and now > settings.clock + MAX_SKEW:
        raise UsageError(
            f"the decision would be dated {_iso(now)}, after this check's clock "
            f"({_iso(settings.clock)}) by more than {int(MAX_SKEW.total_seconds() // 60)} "
            "minutes of clock skew (a run in the evidence ends, or the snapshot was taken, "
            "then): a bundle or promotion is never dated ahead",
            hint="check the clocks of this machine and the tracking server, or leave out "
            "--bundle and --promote-alias to report on it",
        )


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def decision_instant(asked: dt.datetime | None, snapshot: Snapshot, *, live: bool) -> dt.datetime:
    """The instant the decision is made as of: never before the evidence it decides on (the
    instant it was read, and the end of every run in it). A snapshot file keeps its recorded
    instant unless ``--now`` moves it later; a run whose end the store records after the read
    (clock skew) moves the default instant to that end."""
    evidence = snapshot.evidence
    read_at = dt.datetime.fromisoformat(evidence.taken_at.replace("Z", "+00:00"))
    ends = [
        dt.datetime.fromtimestamp(run.end_time / 1000, tz=dt.UTC)
        for run in (evidence.candidate, evidence.baseline)
        if run is not None and run.end_time is not None
    ]
    earliest = max([read_at, *ends])
    when = asked if asked is not None else earliest  # a run that ended after the read: skew
    if when < earliest:
        what = "the snapshot was taken" if when < read_at else "a run in it ended"
        raise UsageError(
            f"--now {_iso(when)} is before {what} ({_iso(earliest)}): a decision is never made "
            "as of an instant before its evidence existed",
            hint="leave --now out to decide as of the snapshot's own instant",
        )
    return when


def _expected_alias(settings: CheckSettings, snapshot: Any, alias: str) -> Promotion:
    """The promotion asked for, with the version the alias pointed to when evidence was read."""
    cand = snapshot.evidence.candidate
    registered = cand.resolution.by_version
    if cand.model is None or not cand.model.version or not registered:
        raise UsageError(
            "--promote-alias needs a candidate read as a registered model version (a run's "
            "own model tags are whatever its logger wrote)",
            hint="pass --candidate models:/NAME/VERSION or models:/NAME@ALIAS",
        )
    base = snapshot.evidence.baseline
    if base is not None and base.model and base.model.alias == alias:
        previous = base.model.version  # read once, with the evidence
        return Promotion(cand.model.name, alias, cand.model.version, previous, promoted=False)
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import alias_version

    previous = alias_version(MlflowSource(settings.mlflow), cand.model.name, alias)
    if base is not None:
        # the alias must point at what the candidate was compared with: a promotion never
        # replaces a version the decision did not see
        target = f"models:/{cand.model.name}@{alias}"
        if base.model is None or base.model.name != cand.model.name or not base.model.version:
            raise UsageError(
                f"--promote-alias {alias} would replace {target}, but the baseline is not a "
                f"version of {cand.model.name}",
                hint=f"pass --baseline {target}: compare the candidate with what it replaces",
            )
        if previous != base.model.version:
            raise EvidenceError(
                "evidence.changed",
                f"{target} points to version {previous or 'nothing'}, but the candidate was "
                f"compared with version {base.model.version}: not promoting",
                hint=f"pass --baseline {target}: compare the candidate with what it replaces",
            )
    return Promotion(cand.model.name, alias, cand.model.version, previous, promoted=False)


def _reports(
    settings: CheckSettings, decision: Decision, risk: RiskAssessment, tell: Listener
) -> tuple[str | None, list[Written]]:
    from govgate.report import RENDERERS, render_text

    stdout: str | None = None
    written: list[Written] = []
    for target in settings.reports:
        if target.format == "text":
            text = render_text(decision, risk, color=target.path is None and settings.color)
        else:
            text = RENDERERS[target.format](decision, risk)
        if target.path is None:
            stdout = text
            tell(StdoutReport(text))
        else:
            write_text(target.path, text)
            written.append(Written(target.format, target.path))
            tell(written[-1])
    return stdout, written


def _bundle(
    settings: CheckSettings,
    decision: Decision,
    risk: RiskAssessment,
    policy_set: PolicySet,
    snapshot: Any,
    key: Any,
    tell: Listener,
    environment: Callable[[], Mapping[str, Any]],
    approvals: Mapping[str, bytes] | None = None,
    *,
    live: bool,
) -> list[Written]:
    from govgate.bundle import build, store
    from govgate.bundle.signing import sign

    signer = (lambda payload: sign(payload, key)) if key is not None else None
    record = dict(environment())
    # where the evidence was read: a snapshot file can be replayed and reported on, but only a
    # bundle of evidence read from the registry in this process is promoted
    record["evidence_read"] = "registry" if live else "snapshot-file"
    files = build.contents(decision, risk, policy_set, snapshot, record, signer, approvals)
    written = []
    if settings.bundle_dir is not None:
        store.write_directory(settings.bundle_dir, files)
        written.append(Written("bundle", settings.bundle_dir))
        tell(written[-1])
    if settings.bundle_archive is not None:
        store.write_archive(settings.bundle_archive, files)
        written.append(Written("bundle archive", settings.bundle_archive))
        tell(written[-1])
    return written


def _ignore(_: StdoutReport | Written) -> None:
    pass


def _mover(
    environment: Mapping[str, Any], decision: Decision, now: dt.datetime, logged_to: str | None
) -> dict[str, Any]:
    """Who moved an alias, and on what: recorded on the model version it now points to."""
    import getpass
    import platform

    try:
        user: str | None = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        user = None
    return {
        "by": {"user": user, "host": platform.node() or None},
        "ci": environment.get("ci") or {},
        "decision_sha256": decision.digest(),
        "decided_at": _iso(now),
        "candidate_run": decision.candidate.run_id,
        "bundle": logged_to,
        "tool": f"govgate {__version__}",
    }


def run_check(settings: CheckSettings, tell: Listener = _ignore) -> CheckOutcome:
    """Decide one release. Raises a :class:`~govgate.errors.GovgateError` (each with its exit
    code) for anything that keeps a decision from being made or recorded; ``tell`` has heard
    of every report and file written before that."""
    from govgate.evidence.model import write_snapshot
    from govgate.evidence.snapshot import take_snapshot
    from govgate.gate.engine import decide
    from govgate.gate.preflight import require_baseline
    from govgate.risk.assess import assess

    key = _preflight(settings)
    approvals, approval_files = _approvals(settings)
    # the record of what ran the gate (git, package versions) is read at most once, and only
    # when a bundle or a promotion needs it
    environment = functools.cache(settings.environment)
    policy_set = load_valid(settings.policies, now=settings.clock, packs=settings.packs)
    candidate = parse_ref(settings.candidate)
    baseline = parse_ref(settings.baseline) if settings.baseline else None
    live = _live(settings, candidate, baseline)
    require_baseline(policy_set, settings.stage, baseline is not None)
    snapshot = (settings.snapshot_source or take_snapshot)(
        candidate,
        baseline,
        stage=settings.stage,
        settings=settings.mlflow,
        now=settings.clock,
    )
    now = decision_instant(settings.now, snapshot, live=live)
    _require_not_ahead(settings, now)
    written: list[Written] = []
    if settings.snapshot_out is not None:
        write_snapshot(snapshot, settings.snapshot_out)
        written.append(Written("snapshot", settings.snapshot_out))
        tell(written[-1])
    alias = settings.promote_alias
    promotion = _expected_alias(settings, snapshot, alias) if alias else None
    decision = decide(
        policy_set,
        snapshot,
        stage=settings.stage,
        now=now,
        fail_on_warn=settings.fail_on_warn,
        approvals=approvals,
    )
    risk = assess(decision)
    stdout, reports = _reports(settings, decision, risk, tell)
    written += reports
    bundled = settings.bundle_dir is not None or settings.bundle_archive is not None
    if bundled:
        written += _bundle(
            settings, decision, risk, policy_set, snapshot, key, tell, environment,
            approval_files, live=live,
        )  # fmt: skip
    logged_to = None
    if settings.bundle_dir is not None and live and settings.log_to_mlflow:
        from govgate.evidence.mlflow.source import MlflowSource
        from govgate.evidence.mlflow.write import log_bundle

        logged_to = log_bundle(
            MlflowSource(settings.mlflow),
            decision.candidate.run_id,
            settings.bundle_dir,
            decision.digest(),
            decision.verdict.value,
        )
    looked = None
    if decision.looks is not None and live and settings.log_to_mlflow:
        # a canary check is a look: recorded on the canary's run (step = the look number), so
        # the next check counts it and a report can draw each bound over the looks
        from govgate.evidence.mlflow.source import MlflowSource
        from govgate.evidence.mlflow.write import log_look
        from govgate.gate.looks import look_metrics

        log_look(
            MlflowSource(settings.mlflow),
            decision.candidate.run_id,
            look_metrics(decision.looks),
            decision.looks.number,
            int(now.timestamp() * 1000),
        )
        looked = decision.looks.number
    if promotion is not None and decision.verdict is Verdict.PASS:
        from govgate.evidence.mlflow.source import MlflowSource
        from govgate.evidence.mlflow.write import promote_alias

        promote_alias(
            MlflowSource(settings.mlflow),
            promotion.model,
            promotion.alias,
            promotion.version,
            promotion.previous,
            record=_mover(environment(), decision, now, logged_to),
        )
        promotion = Promotion(
            promotion.model, promotion.alias, promotion.version, promotion.previous, True
        )
    return CheckOutcome(
        decision=decision,
        risk=risk,
        fail_on_warn=settings.fail_on_warn,
        stdout_report=stdout,
        written=tuple(written),
        signed=key is not None,
        logged_to=logged_to,
        promotion=promotion,
        look_recorded=looked,
    )
