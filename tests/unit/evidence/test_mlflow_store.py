"""Resolving and snapshotting against a real SQLite MLflow store."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from pathlib import Path

import pytest

from govgate.cli import main
from govgate.errors import EvidenceError
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.evidence.model import Snapshot, read_snapshot, write_snapshot
from govgate.evidence.refs import parse_ref
from govgate.evidence.snapshot import take_snapshot
from govgate.exitcodes import ExitCode
from tests.support.mlflow_store import SECRET

NOW = dt.datetime(2026, 11, 21, 12, 0, tzinfo=dt.UTC)
Store = tuple[str, dict[str, str]]


def snap(
    store: Store, candidate: str, baseline: str | None = None, stage: str | None = None
) -> Snapshot:
    uri, _ = store
    return take_snapshot(
        parse_ref(candidate),
        parse_ref(baseline) if baseline else None,
        stage=stage,
        settings=MlflowSettings(tracking_uri=uri),
        now=NOW,
    )


def error_of(
    store: Store, candidate: str, baseline: str | None = None, stage: str | None = None
) -> EvidenceError:
    with pytest.raises(EvidenceError) as info:
        snap(store, candidate, baseline, stage)
    return info.value


def test_alias_resolves_to_the_tagged_evaluation_run(sqlite_store: Store) -> None:
    _, ids = sqlite_store
    s = snap(
        sqlite_store, "models:/rag-assistant@challenger", "models:/rag-assistant@champion", "canary"
    )
    cand, base = s.evidence.candidate, s.evidence.baseline
    assert base is not None
    assert (cand.run_id, base.run_id) == (ids["candidate"], ids["baseline"])
    assert cand.resolution.method == "model-version-eval-run"
    assert cand.model is not None
    assert (cand.model.name, cand.model.version, cand.model.alias) == (
        "rag-assistant",
        "2",
        "challenger",
    )
    assert base.model is not None
    assert base.model.digest == "sha256:" + "ab" * 32
    assert cand.model.digest is None  # MLflow has none: stated, not invented
    assert cand.stage == "canary"


def test_version_reference_and_run_id_forms(sqlite_store: Store) -> None:
    _, ids = sqlite_store
    by_version = snap(sqlite_store, "models:/rag-assistant/1", stage="canary").evidence.candidate
    assert by_version.run_id == ids["baseline"]
    for ref in (ids["candidate"], f"runs:/{ids['candidate']}"):
        run = snap(sqlite_store, ref).evidence.candidate
        assert run.run_id == ids["candidate"]
        assert run.resolution.method == "run-id"
        assert run.model is not None
        assert run.model.version == "2"  # from the run's govgate tags


def test_version_without_eval_run_falls_back_to_its_source_run(sqlite_store: Store) -> None:
    _, ids = sqlite_store
    run = snap(sqlite_store, "models:/fallback-model/1", stage="offline").evidence.candidate
    assert run.run_id == ids["source-only"]
    assert run.resolution.method == "model-version-source-run"
    assert "source run" in run.resolution.detail


@pytest.mark.parametrize("stage", ["shadow", "canary"])
def test_a_run_with_no_stage_tag_never_stands_for_a_live_stage(
    sqlite_store: Store, stage: str
) -> None:
    """A training run (the version's source run) has no govgate.stage tag: nothing says it
    measured shadow or canary traffic, so it is refused there (and is offline evidence only)."""
    _, ids = sqlite_store
    with pytest.raises(EvidenceError) as caught:
        snap(sqlite_store, "models:/fallback-model/1", stage=stage)
    assert caught.value.code == "evidence.stage-mismatch"
    assert f"run {ids['source-only']} has no govgate.stage tag" in caught.value.message


@pytest.mark.parametrize(
    ("candidate", "baseline", "stage", "code", "words"),
    [
        (
            "models:/ambiguous-model/1",
            None,
            "canary",
            "evidence.ambiguous",
            "2 evaluation runs match",
        ),
        ("models:/running-model/1", None, "shadow", "evidence.run-state", "still RUNNING"),
        ("models:/failed-model/1", None, "shadow", "evidence.run-state", "is FAILED"),
        ("models:/orphan-model/1", None, "canary", "evidence.not-found", "no source run"),
        ("models:/rag-assistant/9", None, "canary", "evidence.not-found", "not found"),
        ("models:/rag-assistant@nobody", None, "canary", "evidence.not-found", "alias @nobody"),
        ("models:/no-such-model@champion", None, None, "evidence.not-found", "not found"),
        ("0123456789abcdef0123456789abcdef", None, None, "evidence.not-found", "not found"),
        ("search:nope?", None, None, "evidence.not-found", "no experiment named 'nope'"),
        ("search:search-exp?tags.team = 'zzz'", None, None, "evidence.not-found", "no run matches"),
        ("search:search-exp?tags.team = 'b'", None, None, "evidence.run-state", "RUNNING"),
        (
            "models:/rag-assistant@challenger",
            "models:/rag-assistant/2",
            "canary",
            "evidence.same-run",
            "same run",
        ),
    ],
)
def test_every_doubt_is_an_error_not_a_choice(
    sqlite_store: Store,
    candidate: str,
    baseline: str | None,
    stage: str | None,
    code: str,
    words: str,
) -> None:
    err = error_of(sqlite_store, candidate, baseline, stage)
    assert err.code == code
    assert words in str(err)


@pytest.mark.parametrize("label", ["failed", "running"])
def test_runs_by_id_must_be_finished(sqlite_store: Store, label: str) -> None:
    err = error_of(sqlite_store, sqlite_store[1][label])
    assert err.code == "evidence.run-state"
    assert "not FINISHED" in str(err)


def test_stage_mismatch(sqlite_store: Store) -> None:
    err = error_of(sqlite_store, sqlite_store[1]["offline-run"], stage="canary")
    assert err.code == "evidence.stage-mismatch"


def test_search_takes_the_newest_matching_run(sqlite_store: Store) -> None:
    run = snap(sqlite_store, "search:search-exp?tags.team = 'a'").evidence.candidate
    assert run.run_id == sqlite_store[1]["team-a-new"]
    assert run.resolution.method == "search"


def test_what_a_run_holds(sqlite_store: Store) -> None:
    base = snap(sqlite_store, sqlite_store[1]["baseline"]).evidence.candidate
    assert base.metrics == {"error_rate": 0.015, "toxicity_rate": 0.004}
    assert base.nonfinite_metrics == {"broken": "nan"}
    assert [p.value for p in base.metric_history["error_rate"]] == [0.01, 0.02, 0.015]
    assert "toxicity_rate" not in base.metric_history  # logged once: the value is enough
    assert base.params["max_tokens"] == "512"
    assert base.params["openai_api_key"] == "[REDACTED]"
    assert {(r.section, r.key) for r in base.redactions} >= {
        ("params", "openai_api_key"),
        ("params", "prompt_note"),
        ("datasets", "rag-questions"),
    }
    assert base.dropped == {"tags": ["internal.note"]}
    assert base.tags["team"] == "assistant"
    (ds,) = base.datasets
    assert (ds.name, ds.digest, ds.context) == ("rag-questions", "d1g3st", "eval")
    assert "pw@" not in ds.source
    assert base.items is not None
    assert base.items.rows == 600
    assert base.items.ignored_columns == ["meta.prompt"]


def test_log_table_json_is_read_too(sqlite_store: Store) -> None:
    s = snap(sqlite_store, sqlite_store[1]["candidate"])
    items = s.evidence.candidate.items
    assert items is not None
    assert items.artifact_format == "mlflow-table-json"
    table = s.items("candidate")
    assert table is not None
    assert table.of_role("rate")["toxicity_rate"].sum() == 4


def test_a_secret_never_reaches_the_snapshot(sqlite_store: Store, tmp_path: Path) -> None:
    s = snap(
        sqlite_store, "models:/rag-assistant@challenger", "models:/rag-assistant@champion", "canary"
    )
    write_snapshot(s, tmp_path / "evidence.json")
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) == 3  # evidence.json and two tables
    for f in files:
        data = f.read_bytes()
        assert SECRET.encode() not in data
        assert b"sk-proj" not in data
        assert b"u:pw@" not in data


def test_snapshot_round_trip_gives_the_identical_digest(
    sqlite_store: Store, tmp_path: Path
) -> None:
    s = snap(
        sqlite_store, "models:/rag-assistant@challenger", "models:/rag-assistant@champion", "canary"
    )
    path = tmp_path / "out" / "evidence.json"
    digest = write_snapshot(s, path)
    assert digest == s.digest() == hashlib.sha256(path.read_bytes()).hexdigest()
    back = read_snapshot(path)
    assert back.digest() == digest
    assert back.evidence == s.evidence
    table, original = back.items("baseline"), s.items("baseline")
    assert table is not None
    assert original is not None
    assert table.to_parquet() == original.to_parquet()
    # and a snapshot is itself a reference: replay gives the same evidence
    again = take_snapshot(
        parse_ref(str(path)),
        parse_ref(f"{path}#baseline"),
        stage="canary",
        settings=MlflowSettings(tracking_uri="sqlite:///nowhere.db"),
        now=NOW,
    )
    assert again.evidence.candidate == s.evidence.candidate
    assert again.evidence.baseline == s.evidence.baseline


def test_a_changed_table_is_refused(sqlite_store: Store, tmp_path: Path) -> None:
    s = snap(sqlite_store, sqlite_store[1]["baseline"])
    path = tmp_path / "evidence.json"
    write_snapshot(s, path)
    (table,) = list((tmp_path / "items").iterdir())
    table.write_bytes(table.read_bytes() + b"x")
    with pytest.raises(EvidenceError) as info:
        read_snapshot(path)
    assert info.value.code == "evidence.invalid"
    assert "does not match its digest" in str(info.value)
    table.unlink()
    with pytest.raises(EvidenceError, match="is missing"):
        read_snapshot(path)


def test_a_table_path_cannot_escape_the_snapshot(sqlite_store: Store, tmp_path: Path) -> None:
    s = snap(sqlite_store, sqlite_store[1]["baseline"])
    path = tmp_path / "evidence.json"
    write_snapshot(s, path)
    doc = json.loads(path.read_bytes())
    doc["candidate"]["items"]["file"] = "../../etc/passwd"
    path.write_text(json.dumps(doc))
    with pytest.raises(EvidenceError, match="escapes"):
        read_snapshot(path)


def test_reading_a_missing_sqlite_store_does_not_create_one(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    with pytest.raises(EvidenceError) as info:
        take_snapshot(
            parse_ref("0123456789abcdef0123456789abcdef"),
            None,
            stage=None,
            settings=MlflowSettings(tracking_uri=uri),
            now=NOW,
        )
    assert info.value.code == "evidence.not-found"
    assert not (tmp_path / "mlflow.db").exists()


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_cli_snapshot_and_inspect(sqlite_store: Store, tmp_path: Path) -> None:
    uri, ids = sqlite_store
    target = tmp_path / "evidence.json"
    code, out, err = cli(
        *("evidence", "snapshot", "--tracking-uri", uri, "--stage", "canary"),
        *("--candidate", "models:/rag-assistant@challenger"),
        *("--baseline", "models:/rag-assistant@champion", "-o", str(target)),
    )
    assert code == ExitCode.OK, err
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in out
    assert f"candidate: run {ids['candidate']}" in out
    code, out, _ = cli("evidence", "inspect", str(target), "--format", "json")
    assert code == 0
    assert json.loads(out)["sha256"] == digest


@pytest.mark.parametrize(
    ("argv", "code", "words"),
    [
        (["--candidate", "models:/rag-assistant@nobody"], "not-found", "alias @nobody"),
        (["--candidate", "0123456789abcdef0123456789abcdef"], "not-found", "not found"),
        (
            ["--candidate", "models:/ambiguous-model/1", "--stage", "canary"],
            "ambiguous",
            "2 evaluation runs match",
        ),
        (
            ["--candidate", "models:/running-model/1", "--stage", "shadow"],
            "run-state",
            "still RUNNING",
        ),
        (["--candidate", "models:/failed-model/1", "--stage", "shadow"], "run-state", "FAILED"),
        (["--candidate", "search:search-exp?tags.team = 'b'"], "run-state", "not FINISHED"),
        (
            [
                "--candidate",
                "search:rag-evals?tags.`govgate.stage` = 'offline'",
                "--stage",
                "canary",
            ],
            "stage-mismatch",
            "evaluated for stage 'offline'",
        ),
        (
            [
                "--candidate",
                "models:/rag-assistant/2",
                "--baseline",
                "models:/rag-assistant@challenger",
            ],
            "same-run",
            "same run",
        ),
    ],
)
def test_cli_evidence_failures_exit_7(
    sqlite_store: Store, tmp_path: Path, argv: list[str], code: str, words: str
) -> None:
    exit_code, _, err = cli(
        "evidence",
        "snapshot",
        "--tracking-uri",
        sqlite_store[0],
        *argv,
        "-o",
        str(tmp_path / "e.json"),
    )
    assert exit_code == ExitCode.EVIDENCE_UNAVAILABLE.value == 7
    assert err.startswith("govgate: evidence unavailable: ")
    assert words in err
    assert f"[evidence.{code}]" in err
    assert "Traceback" not in err
    assert not (tmp_path / "e.json").exists()


def test_cli_bad_reference_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = cli(
        "evidence", "snapshot", "--candidate", "latest", "-o", str(tmp_path / "e.json")
    )
    assert code == ExitCode.USAGE
    assert "not an evidence reference" in err
