"""``promote`` and ``revert``: move a model alias from a verified bundle, and back.

``promote`` trusts nothing it is handed. The bundle must verify (every digest, the signature
under the configured key, a byte-for-byte replay), its verdict must be PASS, and the candidate
it decided on must still be what the store holds: the run is read again through the evidence
reader and what the bundle recorded (run, model version, per-item table, metrics, params, tags
...) is compared with what is there now. The alias must still point where it did when the
decision compared the candidate with it. Only then does it move, with the claim and read-back
of :func:`~govgate.evidence.mlflow.write.move_alias`, and the version records who moved it, on
which decision and bundle.

``revert`` is the kill switch: it reads the model registry only (never a run or an artifact),
so it works when runs are deleted or their artifact store is down. The alias's holder records
the version it replaced (``govgate.promoted.<alias>``: ``previous``); the alias goes back to
it, and both versions record the revert, its reason, who and when.

Every refusal is a :class:`RefusedError` with a stable code and the exit code it means.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from govgate import jsonsafe
from govgate._version import __version__
from govgate.errors import GovgateError, UsageError
from govgate.evidence.mlflow.settings import (
    TAG_BUNDLE,
    TAG_DECISION_DIGEST,
    TAG_VERDICT,
    MlflowSettings,
)
from govgate.evidence.model import Evidence, RunEvidence
from govgate.exitcodes import ExitCode
from govgate.gate.outcome import Decision
from govgate.usecases.check import MAX_SKEW

#: an alias as MLflow accepts it (and as it goes into a tag key: govgate.promoted.<alias>)
_ALIAS = re.compile(r"[A-Za-z0-9_\-]{1,64}")
_RESERVED_ALIAS = re.compile(r"latest|v[0-9]+", re.IGNORECASE)
#: the most of a revert's reason that is kept (a tag value, shown in reviews)
MAX_REASON_CHARS = 1000
#: run tags ``check --bundle`` writes after it read the evidence: not part of what it decided on
_WRITTEN_AFTER = frozenset({TAG_VERDICT, TAG_DECISION_DIGEST, TAG_BUNDLE})


class RefusedError(GovgateError):
    """``promote`` or ``revert`` refused, and nothing moved. ``code`` is stable (tests and
    machines match on it); each subclass carries the exit code it means."""

    exit_code: ClassVar[ExitCode] = ExitCode.USAGE

    def __init__(self, code: str, message: str, hint: str = "") -> None:
        super().__init__(message, None, hint)
        self.code = code


class UnpromotableError(RefusedError):
    """Exit 2: the request cannot be carried out as asked (no key configured, a bundle whose
    candidate is not a registered model version, a baseline of another model)."""

    exit_code = ExitCode.USAGE


class NotPassError(RefusedError):
    """Exit 4: the bundle's verdict is not PASS, so it does not authorise a release."""

    exit_code = ExitCode.BLOCKED


class StaleError(RefusedError):
    """Exit 7: the store no longer holds what the bundle decided on (``promotion.stale``,
    ``promotion.reverted``), or holds nothing govgate promoted to revert (``revert.*``)."""

    exit_code = ExitCode.EVIDENCE_UNAVAILABLE


class UnverifiedError(RefusedError):
    """Exit 8: the bundle does not verify (``promotion.unverified``, ``promotion.unsigned``)."""

    exit_code = ExitCode.VERIFY_FAILED


@dataclass(frozen=True, slots=True)
class KeyChoice:
    """A public key the bundle's signature must verify under, and where it was configured
    (``--key``, ``$GOVGATE_BUNDLE_KEY``), for messages."""

    path: Path
    where: str


@dataclass(frozen=True)
class PromoteSettings:
    bundle: Path  # as given: recorded made absolute
    alias: str
    mlflow: MlflowSettings
    clock: dt.datetime  # when the promotion runs
    #: every key configured; all must be one key, and the signature must verify under it
    keys: Sequence[KeyChoice] = ()
    #: promote without checking a signature (``--unsafe-no-key``), only when no key is configured
    unsafe_no_key: bool = False
    #: what ran the command (its ``ci`` names are recorded): read once, when the alias moves
    environment: Callable[[], Mapping[str, Any]] = dict


@dataclass(frozen=True, slots=True)
class PromoteOutcome:
    model: str
    alias: str
    version: str
    previous: str | None
    bundle: str
    verdict: str
    decision_sha256: str
    signature_verified: bool
    #: the version already held the alias by this bundle's decision: nothing was written
    already: bool = False

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK


@dataclass(frozen=True)
class RevertSettings:
    model: str
    alias: str
    reason: str
    mlflow: MlflowSettings
    clock: dt.datetime
    environment: Callable[[], Mapping[str, Any]] = dict


@dataclass(frozen=True, slots=True)
class RevertOutcome:
    model: str
    alias: str
    moved_from: str
    moved_to: str

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK


def check_alias(alias: str) -> None:
    """A usage error (exit 2) for an alias MLflow would refuse or that is reserved."""
    if not _ALIAS.fullmatch(alias) or _RESERVED_ALIAS.fullmatch(alias):
        raise UsageError(
            f"--alias {alias!r}: an alias is 1-64 letters, digits, '_' and '-', and not "
            "'latest' or v<number> (MLflow reserves those)",
        )


def _iso(when: dt.datetime) -> str:
    return when.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _instant(text: Any) -> dt.datetime | None:
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


def _who() -> dict[str, str | None]:
    """The user and host, as ``check --promote-alias`` records them."""
    import getpass
    import platform

    try:
        user: str | None = getpass.getuser()
    except (OSError, KeyError):  # no login name (some containers)
        user = None
    return {"user": user, "host": platform.node() or None}


def _history_key(alias: str, clock: dt.datetime) -> str:
    from govgate.evidence.mlflow.write import TAG_HISTORY

    stamp = clock.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    return f"{TAG_HISTORY}.{alias}.{stamp}.{secrets.token_hex(4)}"


def _json_tag(text: str | None) -> dict[str, Any] | None:
    """A tag anyone can write, read as untrusted JSON: an object, else None."""
    if text is None:
        return None
    try:
        value = jsonsafe.loads(text.encode())
    except (ValueError, UnicodeError):
        return None
    return value if isinstance(value, dict) else None


# -- promote ----------------------------------------------------------------------------------


def _public_key(settings: PromoteSettings) -> Any:
    """The one key the signature must verify under, or None (``--unsafe-no-key``)."""
    from govgate.bundle.signing import keyid, load_public

    if not settings.keys:
        if not settings.unsafe_no_key:
            raise UnpromotableError(
                "promotion.no-key",
                f"no key to check the signature of {settings.bundle} against: a bundle anyone "
                "could have written (with policies of their own) is not promoted",
                hint="pass --key PUB or set $GOVGATE_BUNDLE_KEY to the public key of the "
                "gate that signs this project's bundles (--unsafe-no-key skips the check)",
            )
        return None
    if settings.unsafe_no_key:
        where = " and ".join(k.where for k in settings.keys)
        raise UsageError(
            f"--unsafe-no-key, but a key is configured ({where}): the signature is checked",
            hint="drop --unsafe-no-key",
        )
    loaded = [(choice, load_public(choice.path)) for choice in settings.keys]
    first_choice, first = loaded[0]
    for choice, key in loaded[1:]:
        if keyid(key) != keyid(first):
            raise UsageError(
                f"{first_choice.where} ({first_choice.path}) and {choice.where} "
                f"({choice.path}) are different public keys: which one signs the bundles?",
                hint="configure one key (--key for this command, or $GOVGATE_BUNDLE_KEY)",
            )
    return first


def _verified(settings: PromoteSettings, key: Any) -> tuple[dict[str, bytes], Any]:
    """The bundle's bytes, read once, and their verification (what ``verify_path`` does, on
    the same bytes the rest of the promotion reads: a file swapped after verification cannot
    be promoted)."""
    from govgate.bundle import reader
    from govgate.bundle.build import ENVELOPE
    from govgate.bundle.limits import BundleError
    from govgate.bundle.verify import verify

    path = settings.bundle
    if not path.exists():
        raise UsageError(f"{path}: no such bundle", hint="name a bundle directory or archive")
    try:
        files = reader.read(path)
    except BundleError as exc:
        raise UnverifiedError(
            "promotion.unverified",
            f"{path}: cannot be read as a bundle ({exc.message})",
            hint=exc.hint or "promote the bundle `govgate check --bundle` wrote",
        ) from None
    result = verify(files, key)
    if not result.ok:
        unsigned = key is not None and ENVELOPE not in files
        count = len(result.problems)
        shown = "; ".join(result.problems[:3]) + ("; ..." if count > 3 else "")
        raise UnverifiedError(
            "promotion.unsigned" if unsigned else "promotion.unverified",
            f"{path}: not signed, and the signature is required (a key is configured)"
            if unsigned
            else f"{path}: does not verify ({count} problem{'s' * (count != 1)}: {shown})",
            hint=f"run `govgate verify {path}` with the key to see every problem; promote only "
            "a bundle the gate signed and nobody changed",
        )
    if key is not None and not result.signature_verified:  # verify requires it; never assume
        raise UnverifiedError("promotion.unsigned", f"{path}: the signature was not verified")
    return files, result


def _recorded(
    path: Path, files: Mapping[str, bytes], digest: str | None
) -> tuple[Decision, Evidence]:
    """The verified bundle's decision and evidence, as models."""
    try:
        decision = Decision.model_validate(jsonsafe.loads(files["decision.json"]))
        evidence = Evidence.model_validate(jsonsafe.loads(files["evidence/evidence.json"]))
    except (KeyError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        raise UnverifiedError(
            "promotion.unverified", f"{path}: its decision or evidence cannot be read ({exc})"
        ) from None
    if decision.digest() != digest:
        raise UnverifiedError(
            "promotion.unverified",
            f"{path}: decision.json does not read back as the decision that was replayed",
        )
    return decision, evidence


def _expected_previous(evidence: Evidence, alias: str, current: str | None) -> str | None:
    """The version the alias must point at now: the baseline the decision compared the
    candidate with, if it had one (then it must be a version of the candidate's model)."""
    cand, base = evidence.candidate.model, evidence.baseline
    assert cand is not None
    if base is None:
        return current  # the decision compared with nothing: it replaces whatever is there
    target = f"models:/{cand.name}@{alias}"
    if base.model is None or base.model.name != cand.name or not base.model.version:
        raise UnpromotableError(
            "promotion.unrelated-baseline",
            f"promoting to {target} would replace a version of {cand.name}, but the bundle's "
            f"baseline is not one (run {base.run_id}): the decision never saw what it replaces",
            hint=f"run the gate with --baseline {target} and promote that bundle",
        )
    return base.model.version


def _reference(run: RunEvidence) -> Any:
    """How to read the candidate again: as the bundle found it (by model version, so a second
    evaluation run logged for the version since is seen), else by run id."""
    from govgate.evidence.refs import ModelRef, RunRef

    model = run.model
    if run.resolution.by_version and model and model.version:
        return ModelRef(model.name, version=model.version)
    return RunRef(run.run_id)


def _facts(run: RunEvidence) -> dict[str, Any]:
    """What a decision on the run read, by name, leaving out what govgate writes on the run
    after reading it (the verdict, decision and bundle tags; a canary's look records; the
    records of alias moves on the model version)."""
    from govgate.evidence.mlflow import write
    from govgate.gate.looks import LOOK

    # model version tags the alias moves write (promote, revert): not what was decided on
    moves = tuple(f"{t}." for t in (write.TAG_PROMOTED, write.TAG_REVERTED, write.TAG_RESTORED))

    def mine(key: str) -> bool:
        return not key.startswith(LOOK)

    model = run.model
    items = run.items
    return {
        "run id": run.run_id,
        "run status": run.status,
        "stage": run.stage,
        "model version": None if model is None else f"{model.name}/{model.version}",
        "model digest": None if model is None else model.digest,
        "model version tags": None
        if model is None
        else {k: v for k, v in model.tags.items() if not k.startswith(moves)},
        "per-item table": None
        if items is None
        else {
            "artifact sha256": items.artifact_sha256,
            "sha256": items.sha256,
            "rows": items.rows,
            "problem": items.problem,
        },
        "metrics": {k: v for k, v in run.metrics.items() if mine(k)},
        "non-finite metrics": {k: v for k, v in run.nonfinite_metrics.items() if mine(k)},
        "metric history": {
            k: [p.model_dump() for p in v] for k, v in run.metric_history.items() if mine(k)
        },
        "params": run.params,
        "tags": {k: v for k, v in run.tags.items() if k not in _WRITTEN_AFTER},
        "datasets": sorted((d.name, d.digest, d.context or "") for d in run.datasets),
    }


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def changes(recorded: RunEvidence, now: RunEvidence) -> list[str]:
    """Every difference between the candidate as the bundle recorded it and as it is now,
    in words; empty when the store still holds what was decided on."""
    before, after = _facts(recorded), _facts(now)
    found = []
    for name, old in before.items():
        new = after[name]
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict) and name != "per-item table":
            keys = sorted(set(old) | set(new), key=str)
            parts = [
                f"{key}: {_shown(old.get(key, 'absent'))} -> {_shown(new.get(key, 'absent'))}"
                for key in keys
                if old.get(key, "absent") != new.get(key, "absent")
            ]
            more = f", and {len(parts) - 3} more" if len(parts) > 3 else ""
            found.append(f"{name} ({'; '.join(parts[:3])}{more})")
        else:
            found.append(f"{name} ({_shown(old)} -> {_shown(new)})")
    return found


def _require_unchanged(settings: PromoteSettings, decision: Decision, evidence: Evidence) -> None:
    """Read the candidate again, as the check did, and refuse any difference."""
    from govgate.evidence.snapshot import take_snapshot

    recorded = evidence.candidate
    now = take_snapshot(
        _reference(recorded),
        None,
        stage=decision.stage,
        settings=settings.mlflow,
        now=settings.clock,
    ).evidence.candidate
    found = changes(recorded, now)
    if found:
        raise StaleError(
            "promotion.stale",
            f"the candidate changed in the store since {settings.bundle} was made: "
            + ", ".join(found)
            + " (bundle -> store now): not promoting",
            hint="run the gate again on the candidate as it is now, and promote that bundle",
        )


def _approvals_that_hold(decision: Any, now: dt.datetime, target: str) -> list[dict[str, Any]]:
    """The approvals the decision counted, as recorded on the version; every one must still
    be in force now (``promotion.approval-expired``): a release approved until yesterday is
    not approved today."""
    from govgate.policy.model import expiry_instant

    given = decision.approvals.documents if decision.approvals is not None else []
    counted = [d for d in given if d.status == "counted"]
    for document in counted:
        if expiry_instant(document.expires or "") <= now:
            raise StaleError(
                "promotion.approval-expired",
                f"the approval by {document.signer or document.approver} ({document.role}) the "
                f"decision counted expired {document.expires}: not promoting to {target}",
                hint="ask for a new approval (govgate approve), run the gate with it, and "
                "promote that bundle",
            )
    return [
        {
            "role": d.role,
            "signer": d.signer,
            "keyid": d.keyid,
            "sha256": d.sha256,
            "expires": d.expires,
        }
        for d in counted
    ]


#: how far a decision's instant may lie ahead of the promoting machine's clock: the skew
#: ``check`` allows when it dates a decision it attests (one constant, so a revert's
#: comparison with a decision's instant holds)
_SKEW_MINUTES = int(MAX_SKEW.total_seconds() // 60)


def _require_read_live(files: Mapping[str, bytes], path: Path) -> None:
    """Only a bundle of evidence the gate read from the registry itself is promoted: one made
    from a snapshot file (which whoever wrote it could have edited) is not."""
    environment = _json_tag(files.get("environment.json", b"").decode("utf-8", "replace"))
    if environment is None or environment.get("evidence_read") != "registry":
        raise UnpromotableError(
            "promotion.snapshot-evidence",
            f"{path}: its decision was made on evidence from a snapshot file (or does not say "
            "where its evidence was read): a snapshot can be replayed, never promoted",
            hint="run the gate on the registered version (--candidate models:/NAME/VERSION) "
            "and promote that bundle",
        )


def _require_in_time(decision: Decision, clock: dt.datetime, path: Path) -> None:
    """A decision dated after the promotion (``check --now`` in the future, or a clock far
    ahead) would outrank a revert made after it was really taken: refused."""
    decided = _instant(decision.decided_at)
    if decided is None or decided > clock + MAX_SKEW:
        raise UnpromotableError(
            "promotion.future-decision",
            f"{path}: its decision is dated {decision.decided_at}, after this promotion "
            f"({_iso(clock)}, allowing {_SKEW_MINUTES} minutes of clock "
            "skew): a decision is promoted only once its instant has come",
            hint="promote a bundle of a check that decided as of its own time (no --now in the "
            "future)",
        )


def _require_waivers_in_force(decision: Decision, clock: dt.datetime, target: str) -> None:
    """Every waiver the decision applied must still be in force: a PASS that leaned on an
    exception which has since expired is not a PASS today (``promotion.waiver-expired``)."""
    from govgate.policy.model import expiry_instant

    for use in decision.waivers:
        if use.status != "applied":
            continue
        try:
            ends = expiry_instant(use.expires)
        except ValueError:
            ends = None
        if ends is None or ends <= clock:
            raise StaleError(
                "promotion.waiver-expired",
                f"the decision applied waiver {use.name!r} ({use.policy}/{use.rule}), which "
                f"expired {use.expires}: not promoting to {target}",
                hint="fix the rule it excused or renew the waiver, run the gate again, and "
                "promote that bundle",
            )


def _require_not_reverted(
    tags: Mapping[str, str], decision: Decision, target: str, version: str, alias: str
) -> None:
    """A version reverted from the alias comes back only on a decision made after the revert:
    the kill switch holds until the gate runs again."""
    from govgate.evidence.mlflow.write import TAG_REVERTED

    reverted = _json_tag(tags.get(f"{TAG_REVERTED}.{alias}"))
    if reverted is None:
        return
    at, decided = _instant(reverted.get("at")), _instant(decision.decided_at)
    undid = reverted.get("undid_decision_sha256")
    # a decision is dated at most MAX_SKEW after it was really made: only one dated later than
    # that after the revert was made after it (and never the decision the revert undid)
    later = at is not None and decided is not None and decided > at + MAX_SKEW
    if later and undid != decision.digest():
        return
    raise StaleError(
        "promotion.reverted",
        f"version {version} was reverted from {target} at {reverted.get('at', '?')} "
        f"(reason: {str(reverted.get('reason', '?'))[:200]!r}), after this bundle's decision "
        f"({decision.decided_at}; a decision counts as later only {_SKEW_MINUTES} minutes "
        "after it, the clock skew allowed): a reverted version is not promoted on an older "
        "decision",
        hint="run the gate again on the version, and promote that bundle",
    )


def run_promote(settings: PromoteSettings) -> PromoteOutcome:
    """Promote the bundle's candidate to the alias, or raise: :class:`RefusedError` (nothing
    moved), an :class:`~govgate.errors.EvidenceError` (the store could not be read, or the
    alias moved meanwhile) or a :class:`~govgate.errors.PromotionError` (a race)."""
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import (
        TAG_PROMOTED,
        Note,
        alias_version,
        model_version_tags,
        move_alias,
        promotion_record,
    )
    from govgate.evidence.redact import scrub
    from govgate.usecases.check import _mover

    alias = settings.alias
    check_alias(alias)
    key = _public_key(settings)
    files, result = _verified(settings, key)
    path = settings.bundle
    if result.verdict != "PASS":
        raise NotPassError(
            "promotion.not-pass",
            f"{path}: the decision's verdict is {result.verdict}: only a PASS is promoted",
            hint="fix what kept the release from passing, run the gate again, and promote "
            "the bundle of a PASS",
        )
    decision, evidence = _recorded(path, files, result.decision_sha256)
    _require_read_live(files, path)
    cand = evidence.candidate.model
    if cand is None or not cand.version:
        raise UnpromotableError(
            "promotion.not-a-version",
            f"{path}: the candidate (run {evidence.candidate.run_id}) is not a registered "
            "model version, so there is nothing to point an alias at",
            hint="gate a registered version: --candidate models:/NAME/VERSION",
        )
    if not evidence.candidate.resolution.by_version:
        raise UnpromotableError(
            "promotion.not-a-version",
            f"{path}: the candidate was gated as run {evidence.candidate.run_id}, whose own "
            f"tags name {cand.name} version {cand.version}: a run's tags are whatever its "
            "logger wrote, so the decision is not shown to be about that version",
            hint=f"gate the registered version: --candidate models:/{cand.name}/{cand.version}",
        )
    target = f"models:/{cand.name}@{alias}"
    source = MlflowSource(settings.mlflow)
    current = alias_version(source, cand.name, alias)
    expected = _expected_previous(evidence, alias, current)
    tags = model_version_tags(source, cand.name, cand.version)
    if tags is None:
        raise StaleError(
            "promotion.stale",
            f"{path}: version {cand.version} of {cand.name} is no longer in the registry",
            hint="it was deleted after the decision: there is nothing to promote",
        )
    held = _json_tag(tags.get(f"{TAG_PROMOTED}.{alias}"))
    bundle = scrub(str(path.absolute()))[0]
    if current == cand.version:
        if held is not None and held.get("decision_sha256") == decision.digest():
            return PromoteOutcome(
                cand.name, alias, cand.version, held.get("previous"), bundle, "PASS",
                decision.digest(), result.signature_verified, already=True,
            )  # fmt: skip
        raise StaleError(
            "promotion.stale",
            f"{target} already points to version {cand.version}, moved there by another "
            "decision or by hand: not promoting",
            hint=f"see the version's tag {TAG_PROMOTED}.{alias} for who moved it",
        )
    if current != expected:
        raise StaleError(
            "promotion.stale",
            f"{target} points to version {current or 'nothing'} now, but the bundle's decision "
            f"compared the candidate with version {expected}: not promoting",
            hint=f"run the gate again against the current {target}, and promote that bundle",
        )
    _require_in_time(decision, settings.clock, path)
    _require_not_reverted(tags, decision, target, cand.version, alias)
    _require_waivers_in_force(decision, settings.clock, target)
    _require_unchanged(settings, decision, evidence)
    approvals = _approvals_that_hold(decision, settings.clock, target)
    decided = _instant(decision.decided_at) or settings.clock
    record = _mover(settings.environment(), decision, decided, bundle)
    record.update(
        {
            "via": "govgate promote",
            "verdict": decision.verdict.value,
            "promoted_at": _iso(settings.clock),
            "signature": "verified" if result.signature_verified else "not checked",
            "approvals": approvals,
        }
    )
    entry = {
        "action": "promote",
        "alias": alias,
        "from": expected,
        "to": cand.version,
        "at": record["promoted_at"],
        "by": record["by"],
        "decision_sha256": record["decision_sha256"],
        "bundle": bundle,
    }
    notes = (
        Note(f"{TAG_PROMOTED}.{alias}", promotion_record(record, alias, expected), cand.version),
        Note(_history_key(alias, settings.clock), json.dumps(entry, sort_keys=True)),
    )
    move_alias(source, cand.name, alias, cand.version, expected, notes, rival="govgate command")
    return PromoteOutcome(
        cand.name, alias, cand.version, expected, bundle, "PASS", decision.digest(),
        result.signature_verified,
    )  # fmt: skip


# -- revert -----------------------------------------------------------------------------------


def _reason(text: str) -> str:
    from govgate.evidence.redact import scrub

    reason = text.strip()
    if not reason:
        raise UsageError("--reason is empty: say why the alias is reverted")
    if len(reason) > MAX_REASON_CHARS:
        raise UsageError(f"--reason is {len(reason)} characters; at most {MAX_REASON_CHARS}")
    if scrub(reason)[1] is not None:
        raise UsageError(
            "--reason looks like it holds a secret (a key, a token, a password): it would be "
            "written to the model registry",
            hint="say why without the secret",
        )
    return reason


def run_revert(settings: RevertSettings) -> RevertOutcome:
    """Move the alias back to the version its holder's promotion replaced, from the model
    registry alone; or raise :class:`RefusedError` when govgate promoted nothing to revert."""
    from govgate.evidence.mlflow.source import MlflowSource
    from govgate.evidence.mlflow.write import (
        TAG_PROMOTED,
        TAG_RESTORED,
        TAG_REVERTED,
        Note,
        alias_version,
        model_version_tags,
        move_alias,
        require_registered_model,
    )

    name, alias = settings.model, settings.alias
    check_alias(alias)
    reason = _reason(settings.reason)
    target = f"models:/{name}@{alias}"
    source = MlflowSource(settings.mlflow)
    require_registered_model(source, name)
    current = alias_version(source, name, alias)
    if current is None:
        raise StaleError(
            "revert.unset",
            f"{target} is not set: there is nothing to revert",
            hint=f"the model's versions' {TAG_PROMOTED}.{alias} tags say where it was",
        )
    tags = model_version_tags(source, name, current) or {}
    promoted_key = f"{TAG_PROMOTED}.{alias}"
    raw = tags.get(promoted_key)
    record = _json_tag(raw)
    if raw is None or record is None:
        what = "has no" if raw is None else "has a malformed"
        raise StaleError(
            "revert.not-promoted",
            f"{target} points to version {current}, which {what} {promoted_key} tag: govgate "
            "did not move the alias there, so there is nothing govgate promoted to revert",
            hint="move the alias by hand (MLflow) if it must change",
        )
    assert raw is not None
    promotion = hashlib.sha256(raw.encode()).hexdigest()
    undone = _json_tag(tags.get(f"{TAG_REVERTED}.{alias}"))
    if undone is not None and undone.get("undid") == promotion:
        raise StaleError(
            "revert.already-reverted",
            f"the promotion of version {current} to {target} was reverted at "
            f"{undone.get('at', '?')}; the alias points to it again, but not by a govgate "
            "promotion: nothing govgate promoted to revert",
            hint="move the alias by hand (MLflow) if it must change",
        )
    previous = record.get("previous")
    if previous is None:
        raise StaleError(
            "revert.no-previous",
            f"version {current} was promoted to {target} when the alias was not set: there is "
            "no previous version to restore",
            hint="move the alias by hand (MLflow) to the version that should serve",
        )
    if not isinstance(previous, str) or not previous.isdigit() or previous == current:
        raise StaleError(
            "revert.not-promoted",
            f"version {current}'s {promoted_key} tag names {previous!r} as the previous "
            "version: not a govgate promotion record",
            hint="move the alias by hand (MLflow) if it must change",
        )
    if model_version_tags(source, name, previous) is None:
        raise StaleError(
            "revert.previous-gone",
            f"version {previous}, which {target} pointed to before version {current}, is no "
            "longer in the registry: nothing to restore",
            hint="move the alias by hand (MLflow) to the version that should serve",
        )
    entry = {
        "action": "revert",
        "alias": alias,
        "from": current,
        "to": previous,
        "reason": reason,
        "at": _iso(settings.clock),
        "by": _who(),
        "ci": dict(settings.environment().get("ci") or {}),
        "tool": f"govgate {__version__}",
        "undid": promotion,  # sha256 of the promotion record reverted
        "undid_decision_sha256": record.get("decision_sha256"),
    }
    value = json.dumps(entry, sort_keys=True)
    notes = (
        Note(f"{TAG_REVERTED}.{alias}", value, current),
        Note(f"{TAG_RESTORED}.{alias}", value, previous),
        Note(_history_key(alias, settings.clock), value),
    )
    move_alias(
        source, name, alias, previous, current, notes, rival="govgate command", doing="reverting"
    )
    return RevertOutcome(name, alias, current, previous)
