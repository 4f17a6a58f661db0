"""Secrets never reach a snapshot or a bundle: measured on a corpus, then planted in a real run.

``secrets_corpus.py`` holds realistic fake secrets of many kinds and harmless look-alikes
(digests, run ids, paths, tokenizer settings), written independently of the detector. The
detector's recall and false positives on it are printed in tests/hardening/README.md, and the
first test keeps those figures true.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest
from mlflow.entities import Dataset, DatasetInput
from mlflow.tracking import MlflowClient

from govgate.cli import main
from govgate.errors import EvidenceError
from govgate.evidence.items import parse_items
from govgate.evidence.model import read_snapshot, write_snapshot
from govgate.evidence.redact import REDACTED, filter_values, scrub, secret_reason
from tests.hardening.secrets_corpus import (
    LOOKALIKES,
    REVIEW_LOOKALIKES,
    REVIEW_SECRETS,
    SECRETS,
    Sample,
    kinds,
)
from tests.support.mlflow_store import StoreBuilder, items_frame
from tests.support.snapshots import policy, run, snapshot

README = Path(__file__).with_name("README.md")
PLANTED = SECRETS + REVIEW_SECRETS
HARMLESS = LOOKALIKES + REVIEW_LOOKALIKES
MLFLOW_KEY = re.compile(r"^(?!.*//)[\w.\- :/]{1,250}$")  # what MLflow accepts as a name
RULE = (
    "    - id: tox\n      category: safety\n      threshold: {metric: toxicity_rate, max: 0.05}\n"
)


def flagged(sample: Sample) -> bool:
    return secret_reason(sample.key or "note", sample.value) is not None


def needles(sample: Sample) -> list[str]:
    """The random parts of a secret: what must never be found in an output, whatever is cut.

    Hex runs count only where a key names the secret: alone, hex is an id or a digest (a key
    id beside a private key, a date), which the detector keeps by design.
    """
    return [
        run
        for run in re.findall(r"[A-Za-z0-9+]{10,}", sample.value)
        if sample.key is not None or not re.fullmatch(r"[0-9a-fA-F]+", run)
        if len(re.findall(r"[0-9]", run)) >= 2 and len(re.findall(r"[A-Za-z]", run)) >= 3
    ]


def test_the_corpus_figures_in_the_readme_are_what_the_detector_does() -> None:
    missed = [f"{s.kind}: {s.note}" for s in SECRETS if not flagged(s)]
    false = [f"{s.kind}: {s.value!r}" for s in LOOKALIKES if flagged(s)]
    assert len(SECRETS) >= 50
    assert len(kinds()) >= 20
    assert len(LOOKALIKES) >= 50
    assert missed == []  # recall is 100% on the corpus's kinds
    assert len(false) <= 0.02 * len(LOOKALIKES), false
    figures = (
        f"recall {len(SECRETS) - len(missed)}/{len(SECRETS)} secrets of {len(kinds())} kinds, "
        f"false positives {len(false)}/{len(LOOKALIKES)} look-alikes"
    )
    assert figures in README.read_text(encoding="utf-8")


def test_what_the_review_found_stays_fixed_and_its_figures_are_true() -> None:
    missed = [f"{s.kind}: {s.key}" for s in REVIEW_SECRETS if not flagged(s)]
    false = [f"{s.kind}: {s.value!r}" for s in REVIEW_LOOKALIKES if flagged(s)]
    assert missed == []
    assert false == []
    for sample in REVIEW_SECRETS:
        if sample.key is None:  # cut, and clean once cut (a snapshot must read back)
            text, reason = scrub(sample.value)
            assert reason is not None, sample.kind
            assert scrub(text)[1] is None, (sample.kind, text)
    figures = (
        f"{len(REVIEW_SECRETS)}/{len(REVIEW_SECRETS)} of the review's secrets, "
        f"0/{len(REVIEW_LOOKALIKES)} of its look-alikes"
    )
    assert figures in README.read_text(encoding="utf-8")


def test_free_text_loses_the_secret_and_keeps_the_rest() -> None:
    for sample in SECRETS:
        if sample.key is not None:
            continue  # the key gives it away: the whole value goes (below)
        text, reason = scrub(sample.value)
        assert reason is not None, sample.kind
        assert REDACTED in text
        assert scrub(text)[1] is None, (sample.kind, text)  # cut once, clean after
        assert not [n for n in needles(sample) if n in text], (sample.kind, text)
    for sample in LOOKALIKES:
        assert scrub(sample.value) == (sample.value, None), sample.kind


def test_a_secret_under_a_key_that_names_one_is_redacted_whole() -> None:
    keyed = {s.key: s.value for s in SECRETS if s.key is not None}
    kept, redactions, dropped = filter_values(keyed, ("*",))
    assert dropped == []
    assert set(kept.values()) == {REDACTED}
    assert {key for key, _ in redactions} == set(keyed)
    assert all(value not in reason for _, reason in redactions for value in keyed.values())


def test_secret_group_labels_ids_and_column_names_never_enter_a_table() -> None:
    body = items_frame(40, 0)
    for sample in SECRETS[:20]:
        labels = body.assign(**{"group.language": [sample.value] + ["en"] * 39})
        table, problem = parse_items(
            labels.to_json(orient="split", index=False).encode(), "mlflow-table-json"
        )
        assert table is None, sample.kind
        assert "secret" in str(problem), sample.kind
        ids = body.assign(item_id=[sample.value] + [f"q{i}" for i in range(39)])
        table, problem = parse_items(
            ids.to_json(orient="split", index=False).encode(), "mlflow-table-json"
        )
        assert table is None, sample.kind
        assert "secret" in str(problem), sample.kind
    named = [s for s in SECRETS if s.key is None and MLFLOW_KEY.match(s.value)]
    columns = body.assign(**{f"rate.{s.value}": 0 for s in named})
    table, problem = parse_items(columns.to_parquet(), "parquet")
    assert problem is None
    assert table is not None
    stored = table.to_parquet()
    assert [n for s in named for n in needles(s) if n.encode() in stored] == []
    assert table.ignored.count(REDACTED) == len(named)


def test_no_planted_secret_reaches_any_file_of_a_bundle(tmp_path: Path) -> None:
    """Every place a run carries a string: params (keys and values), tags, metric names, the
    experiment and run names, dataset names and sources, item-table column names."""
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri)
    b = StoreBuilder(client, tmp_path)
    as_keys = [s for s in PLANTED if s.key is None and MLFLOW_KEY.match(s.value)]
    params = {s.key or f"note{i}": s.value for i, s in enumerate(PLANTED)}
    params |= {s.value: "1" for s in as_keys}
    harmless = {s.key or f"plain{i}": s.value for i, s in enumerate(HARMLESS)}
    harmless = {key: value for key, value in harmless.items() if MLFLOW_KEY.match(key)}
    params |= harmless
    # under a neutral key, only secrets their value gives away (bare hex is a digest there)
    tags = {f"dataset.note{i}": s.value for i, s in enumerate(PLANTED) if s.key is None}
    frame = items_frame(500, 0, seed=3).assign(**{f"score.{s.value}": 0.5 for s in as_keys[:10]})
    run_id = b.eval_run(
        SECRETS[0].value,  # the run's name
        "assistant",
        "1",
        "canary",
        metrics={"toxicity_rate": 0.001, **{s.value: 0.5 for s in as_keys}},
        params=params,
        tags=tags,
        items=frame,
    )
    client.rename_experiment(client.get_run(run_id).info.experiment_id, SECRETS[1].value)
    sas = next(s for s in SECRETS if s.kind == "azure-sas-token" and "://" in s.value)
    client.log_inputs(
        run_id, datasets=[DatasetInput(Dataset(as_keys[0].value, "d1g3st", "http", sas.value), [])]
    )
    (tmp_path / "p.yaml").write_text(policy(RULE))
    bundle = tmp_path / "bundle"
    argv = ["check", "--tracking-uri", uri, "--policies", str(tmp_path / "p.yaml"), "--candidate",
            f"runs:/{run_id}", "--stage", "canary", "--bundle", str(bundle)]  # fmt: skip
    err = io.StringIO()
    code = main(argv, stdout=io.StringIO(), stderr=err)
    assert code == 0, err.getvalue()
    files = {
        p.relative_to(bundle).as_posix(): p.read_bytes() for p in bundle.rglob("*") if p.is_file()
    }
    assert {"evidence/evidence.json", "decision.json", "statement.json"} <= set(files)
    leaks = sorted(
        (name, s.kind)
        for s in PLANTED
        for n in needles(s)
        for name, data in files.items()
        if n.encode() in data
    )
    assert leaks == [], leaks
    kept = json.loads(files["evidence/evidence.json"])["candidate"]["params"]
    assert len(harmless) >= 0.9 * len(HARMLESS)
    assert {key: kept.get(key) for key in harmless} == harmless


def test_a_hand_edited_snapshot_holding_a_secret_is_refused(tmp_path: Path) -> None:
    clean = snapshot(run("candidate", metrics={"toxicity_rate": 0.01}))
    path = tmp_path / "evidence.json"
    write_snapshot(clean, path)
    assert read_snapshot(path).digest() == clean.digest()
    secret = next(s for s in SECRETS if s.kind == "stripe-live-key")
    document = json.loads(path.read_text())
    document["candidate"]["experiment_name"] = f"team {secret.value}"
    path.write_text(json.dumps(document))
    with pytest.raises(EvidenceError) as caught:
        read_snapshot(path)
    assert caught.value.code == "evidence.invalid"
    assert "candidate's experiment_name holds a secret (value looks like a stripe-key)" in str(
        caught.value
    )
    assert secret.value not in str(caught.value)
