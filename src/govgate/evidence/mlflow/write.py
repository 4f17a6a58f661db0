"""What govgate writes to MLflow: evaluation runs, model versions, aliases, bundles.

Promotion is a compare-and-set: an alias moves only if it still points where it did when the
evidence was read, and a concurrent writer is detected by a claim and a read-back
(:func:`promote_alias`).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from govgate import jsonsafe
from govgate.errors import EvidenceError, PromotionError
from govgate.evidence.items import ITEMS_DIR
from govgate.evidence.mlflow.settings import TAG_BUNDLE, TAG_DECISION_DIGEST, TAG_VERDICT, quote
from govgate.evidence.mlflow.source import MlflowSource


def log_bundle(
    source: MlflowSource, run_id: str, folder: Path, decision_digest: str, verdict: str
) -> str:
    """Log a bundle folder to the candidate run and tag the run; return the artifact path."""
    artifact_path = f"govgate/bundles/{decision_digest[:16]}"
    what = f"logging the audit bundle to run {run_id}"
    source.call(what, source.client.log_artifacts, run_id, str(folder), artifact_path)
    from mlflow.entities import RunTag

    # one call, one transaction: two checks of the same run never leave a verdict from one
    # and a digest or bundle path from the other (replay checks they name the same decision)
    tags = [
        RunTag(TAG_VERDICT, verdict),
        RunTag(TAG_DECISION_DIGEST, decision_digest),
        RunTag(TAG_BUNDLE, artifact_path),
    ]
    source.call(what, source.client.log_batch, run_id, tags=tags)
    return artifact_path


def log_look(
    source: MlflowSource, run_id: str, metrics: Mapping[str, float], step: int, at_ms: int
) -> None:
    """Log one look at a canary to its run: every metric at ``step`` (the look number), in one
    call, so a look is recorded whole or not at all."""
    from mlflow.entities import Metric

    batch = [Metric(key, float(value), at_ms, step) for key, value in sorted(metrics.items())]
    what = f"recording look {step} on run {run_id}"
    source.call(what, source.client.log_batch, run_id, metrics=batch)


def start_run(source: MlflowSource, experiment: str, run_name: str, tags: dict[str, str]) -> str:
    """A new RUNNING run in the named experiment (created if missing); its id."""
    what = f"starting a run in experiment {experiment!r}"
    found = source.call(what, source.client.get_experiment_by_name, experiment)
    experiment_id = (
        found.experiment_id
        if found
        else source.call(what, source.client.create_experiment, experiment)
    )
    run = source.call(what, source.client.create_run, experiment_id, tags=tags, run_name=run_name)
    return str(run.info.run_id)


def log_eval(
    source: MlflowSource,
    run_id: str,
    *,
    params: dict[str, str],
    metrics: dict[str, float],
    items: bytes,
    dataset: tuple[str, str, str, int],
) -> None:
    """Params, metrics, the per-item table and the dataset input of an evaluation run."""
    import tempfile

    from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param

    what = f"logging evaluation run {run_id}"
    stamp = 0
    source.call(
        what,
        source.client.log_batch,
        run_id,
        metrics=[Metric(k, float(v), stamp, 0) for k, v in sorted(metrics.items())],
        params=[Param(k, v) for k, v in sorted(params.items())],
    )
    with tempfile.TemporaryDirectory(prefix="govgate-items-") as tmp:
        path = Path(tmp) / "items.parquet"
        path.write_bytes(items)
        source.call(what, source.client.log_artifact, run_id, str(path), ITEMS_DIR)
    name, digest, where, rows = dataset
    profile = f'{{"num_rows": {rows}}}'
    entry = DatasetInput(
        Dataset(name, digest, "local", where, None, profile),
        [InputTag("mlflow.data.context", "eval")],
    )
    source.call(what, source.client.log_inputs, run_id, datasets=[entry])


def finish_run(source: MlflowSource, run_id: str, status: str) -> None:
    source.call(f"closing run {run_id}", source.client.set_terminated, run_id, status=status)


def register_version(source: MlflowSource, name: str, run_id: str) -> str:
    """Register a new version of ``name`` whose source is ``run_id``; its version number."""
    what = f"registering a version of {name!r}"
    if not source.call(
        what, source.client.search_registered_models, filter_string=f"name = '{quote(name)}'"
    ):
        source.call(what, source.client.create_registered_model, name)
    version = source.call(
        what, source.client.create_model_version, name, f"runs:/{run_id}/model", run_id=run_id
    )
    return str(version.version)


def set_run_tag(source: MlflowSource, run_id: str, key: str, value: str) -> None:
    source.call(f"tagging run {run_id}", source.client.set_tag, run_id, key, value)


def set_alias(source: MlflowSource, name: str, alias: str, version: str) -> None:
    source.call(
        f"setting models:/{name}@{alias}",
        source.client.set_registered_model_alias,
        name,
        alias,
        version,
    )


def alias_version(source: MlflowSource, name: str, alias: str) -> str | None:
    """The version ``models:/NAME@ALIAS`` points to, or None when the alias is not set."""
    version = _found(
        source,
        f"reading models:/{name}@{alias}",
        source.client.get_model_version_by_alias,
        name,
        alias,
    )
    return None if version is None else str(version.version)


#: Registered-model tag naming the check that is moving an alias now (``.<alias>`` appended).
TAG_PROMOTING = "govgate.promoting"
#: Model-version tag recording who moved an alias to the version (``.<alias>`` appended).
TAG_PROMOTED = "govgate.promoted"
#: Model-version tag on the version ``govgate revert`` moved an alias away from.
TAG_REVERTED = "govgate.reverted"
#: Model-version tag on the version ``govgate revert`` moved an alias back to.
TAG_RESTORED = "govgate.restored"
#: Registered-model tags, one per move by ``govgate promote`` or ``revert``
#: (``.<alias>.<UTC instant>.<random>`` appended): the alias's history, append-only.
TAG_HISTORY = "govgate.history"


@dataclass(frozen=True, slots=True)
class Note:
    """A tag written once an alias is confirmed moved: on a model version, or (``version``
    None) on the registered model."""

    key: str
    value: str
    version: str | None = None


def promotion_record(record: Mapping[str, Any], alias: str, previous: str | None) -> str:
    """The value of a ``govgate.promoted.<alias>`` tag: ``record`` with the alias and the
    version it moved from (``previous``, what ``govgate revert`` moves it back to)."""
    return json.dumps({**record, "alias": alias, "previous": previous}, sort_keys=True)


def promote_alias(
    source: MlflowSource,
    name: str,
    alias: str,
    version: str,
    expected: str | None,
    record: Mapping[str, Any] | None = None,
) -> None:
    """Move the alias to ``version`` if it still points at ``expected``, and confirm it.

    MLflow has no atomic compare-and-set, so concurrent checks are detected, not prevented:

    1. the alias must still point at ``expected`` (else ``evidence.changed``: nothing moved);
    2. this check writes a claim (a random token) to a registered-model tag; of two checks
       racing, the later claim wins. The alias is read again, and the claim must still be this
       check's (else ``promotion.raced``: nothing moved);
    3. the alias is moved, then read back: it must point at ``version`` (else
       ``promotion.lost``: another writer moved it after this check) with this check's claim
       still standing (else ``promotion.unconfirmed``: another check may move it next);
    4. ``record`` (who moved it, when, on which decision) is written on the version.
    """
    notes: tuple[Note, ...] = ()
    if record is not None:
        key = f"{TAG_PROMOTED}.{alias}"
        notes = (Note(key, promotion_record(record, alias, expected), version),)
    move_alias(source, name, alias, version, expected, notes)


def move_alias(
    source: MlflowSource,
    name: str,
    alias: str,
    version: str,
    expected: str | None,
    notes: Sequence[Note] = (),
    *,
    rival: str = "govgate check",
    doing: str = "promoting",
) -> None:
    """:func:`promote_alias`'s compare-and-set, claim and read-back, writing ``notes`` once the
    alias is read back at ``version`` (recorded even when the claim was overtaken since: the
    alias did move). ``rival`` and ``doing`` word the messages (``govgate revert`` moves it
    back: "another govgate command claimed ...: not reverting")."""
    target = f"models:/{name}@{alias}"
    _require_at(source, name, alias, expected, doing)
    token = secrets.token_hex(16)
    claim_key = f"{TAG_PROMOTING}.{alias}"
    claim = json.dumps({"token": token, "version": version, "previous": expected})
    what = f"claiming {target}"
    try:
        source.call(what, source.client.set_registered_model_tag, name, claim_key, claim)
    except EvidenceError as exc:
        # two claims written at the same instant: a store may refuse the second write (SQLite's
        # unique key on the tag). If another claim stands now, this one lost the race.
        if exc.code != "evidence.store-error":
            raise
        other = _claim_token(source, name, claim_key)
        if other is None or other == token:
            raise
        raise PromotionError(
            "promotion.raced",
            f"another {rival} claimed {target} at the same time (the store refused this "
            f"claim's write): not {doing}",
            hint="run the gate again: it decides against whatever the alias points to then",
        ) from None
    _require_at(source, name, alias, expected, doing)
    if _claim_token(source, name, claim_key) != token:
        raise PromotionError(
            "promotion.raced",
            f"another {rival} claimed {target} at the same time: not {doing}",
            hint="run the gate again: it decides against whatever the alias points to then",
        )
    try:
        set_alias(source, name, alias, version)
    except EvidenceError as exc:
        if exc.code not in ("evidence.timeout", "evidence.unreachable", "evidence.store-error"):
            raise  # refused (permission, not found): the alias did not move
        raise PromotionError(
            "promotion.unconfirmed",
            f"moving {target} to version {version} did not finish ({exc.message}): it may "
            "or may not have moved",
            hint=f"read {target} before acting on this promotion",
        ) from None
    now_at = alias_version(source, name, alias)
    if now_at != version:
        raise PromotionError(
            "promotion.lost",
            f"moved {target} to version {version}, but it points to version "
            f"{now_at or 'nothing'} now: another writer moved it right after this check",
            hint="the promotion of this version did not hold; see who moved the alias, and "
            "run the gate again if this version should be promoted",
        )
    for note in notes:  # it moved: who moved it is recorded, confirmed or not
        recording = f"recording who moved {target}"
        if note.version is None:
            client = source.client
            source.call(recording, client.set_registered_model_tag, name, note.key, note.value)
        else:
            source.call(
                recording,
                source.client.set_model_version_tag,
                name,
                note.version,
                note.key,
                note.value,
            )
    if _claim_token(source, name, claim_key) != token:
        raise PromotionError(
            "promotion.unconfirmed",
            f"moved {target} to version {version}, but another {rival} claimed it "
            "meanwhile and may move it next",
            hint=f"read {target} again before acting on this promotion",
        )


def model_version_tags(source: MlflowSource, name: str, version: str) -> dict[str, str] | None:
    """The tags of version ``version`` of ``name``, or None when there is no such version.
    Reads the model registry only, never a run."""
    found = _found(
        source, f"reading models:/{name}/{version}", source.client.get_model_version, name, version
    )
    return None if found is None else dict(found.tags or {})


def _found(source: MlflowSource, what: str, fn: Any, *args: Any) -> Any:
    """``source.call(what, fn, *args)``, or None when MLflow says there is no such thing."""
    try:
        return source.call(what, fn, *args)
    except EvidenceError as exc:
        if exc.code == "evidence.not-found":
            return None
        raise


def require_registered_model(source: MlflowSource, name: str) -> None:
    """``evidence.not-found`` (exit 7) unless the registry holds a model named ``name``."""
    source.call(f"reading registered model {name!r}", source.client.get_registered_model, name)


def _require_at(
    source: MlflowSource, name: str, alias: str, expected: str | None, doing: str = "promoting"
) -> None:
    current = alias_version(source, name, alias)
    if current != expected:
        read = "when the evidence was read" if doing == "promoting" else "a moment ago"
        raise EvidenceError(
            "evidence.changed",
            f"models:/{name}@{alias} points to version {current or 'nothing'} now, but to "
            f"{expected or 'nothing'} {read}: not {doing}",
            hint="run the gate again against the current champion"
            if doing == "promoting"
            else f"read models:/{name}@{alias} again: someone else moved it meanwhile",
        )


def _claim_token(source: MlflowSource, name: str, key: str) -> str | None:
    model = source.call(f"reading models:/{name}", source.client.get_registered_model, name)
    try:  # a tag anyone can write: read as untrusted JSON
        token = jsonsafe.loads((model.tags or {}).get(key, "").encode()).get("token")
    except (ValueError, AttributeError):
        return None
    return token if isinstance(token, str) else None
