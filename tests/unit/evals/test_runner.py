"""govgate eval run: suites load safely, runs carry what the gate needs, interrupts are honest."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from govgate._version import __version__
from govgate.cli import main
from govgate.errors import PolicyInvalidError, UsageError
from govgate.evals import runner
from govgate.evals.runner import run_eval
from govgate.evals.suite import generate_schema, load_suite, shipped_schema
from govgate.evidence.mlflow.settings import MlflowSettings
from govgate.exitcodes import ExitCode
from govgate.policy.schema import dumps
from tests.conftest import ROOT

RAG = ROOT / "evals" / "rag-assistant"


def cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    return main(list(argv), stdout=out, stderr=err), out.getvalue(), err.getvalue()


def test_shipped_suites_load_and_the_schema_is_fresh() -> None:
    assert dumps(generate_schema()) == dumps(shipped_schema())
    assert load_suite(RAG).name == "rag-assistant"
    assert load_suite(ROOT / "evals" / "credit-risk" / "suite.yaml").document.spec.groups == [
        "age_band"
    ]
    code, out, _ = cli("schema", "--kind", "EvalSuite")
    assert code == 0
    assert json.loads(out)["$id"].endswith("govgate-evalsuite-v1.schema.json")


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        (
            "apiVersion: govgate/v1\nkind: EvalSuite\nmetadata: {name: s}\nspec:\n  task: rag_qa\n"
            "  dataset: d.jsonl\n  metrics: [{metric: rouge}, {metric: blue}]\n",
            "schema.enum",
            7,
        ),
        (
            "apiVersion: govgate/v1\nkind: EvalSuite\nmetadata: {name: s}\nspec:\n"
            "  task: classification\n  dataset: d.jsonl\n  metrics: [{metric: drift}]\n",
            "schema.invalid",
            5,  # the spec mapping: drift without spec.drift is a whole-spec inconsistency
        ),
        (
            "apiVersion: govgate/v1\nkind: EvalSuite\nmetadata: {name: s}\nspec:\n  task: rag_qa\n"
            "  dataset: d.jsonl\n  metrics: [{metric: rouge}]\n  prices: &p {}\n",
            "yaml.anchor",
            8,
        ),
    ],
)
def test_bad_suites_report_file_and_line(tmp_path: Path, text: str, code: str, line: int) -> None:
    (tmp_path / "suite.yaml").write_text(text)
    with pytest.raises(PolicyInvalidError) as info:
        load_suite(tmp_path)
    problem = info.value.problems[0]
    assert (problem.code, problem.span.line) == (code, line)


def test_a_run_carries_what_the_gate_needs(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    result = run_eval(
        load_suite(RAG),
        RAG / "outputs" / "candidate.jsonl",
        model="rag-assistant",
        version=None,
        register=True,
        stage="shadow",
        settings=MlflowSettings(tracking_uri=uri),
        policy_digest="d" * 64,
    )
    client = MlflowClient(tracking_uri=uri)
    run = client.get_run(result.run_id)
    assert run.info.status == "FINISHED"
    tags = run.data.tags
    assert (tags["govgate.model.name"], tags["govgate.model.version"], tags["govgate.stage"]) == (
        "rag-assistant",
        "1",
        "shadow",
    )
    assert tags["govgate.policy_digest"] == "d" * 64
    assert len(tags["govgate.dataset_digest"]) == 64
    # ragas scores are declared [0, 1], so the gate can bound their means validly; metrics of
    # unknown range (latency, cost: the suite declares none) are not declared at all
    ranges = json.loads(tags["govgate.ranges"])
    assert ranges["score.answer_similarity"] == [0.0, 1.0]
    assert ranges["score.context_recall"] == [0.0, 1.0]
    assert "latency.latency_ms" not in ranges
    assert "score.cost_usd" not in ranges
    assert run.data.metrics["n_items"] == 650
    assert run.data.metrics["cost_usd_per_1k_requests"] > 0
    assert "latency_ms_p95" in run.data.metrics
    (dataset,) = run.inputs.dataset_inputs
    assert dataset.dataset.digest == tags["govgate.dataset_digest"][:16]
    # how each number was measured, and the run's notes, travel with the run (and a snapshot)
    record = json.loads(tags["govgate.provenance"])
    assert record["format"] == "govgate.provenance/v1"
    assert set(run.data.metrics) <= set(record["measures"])
    assert record["measures"]["toxicity_rate"] == [
        {"by": "govgate offline toxic-term list", "items": 649, "method": "heuristic",
         "version": f"govgate {__version__}"}
    ]  # fmt: skip
    assert "toxicity: govgate's offline term list (no flags.toxic given)" in record["notes"]
    # the gate reads it: every column the shipped RAG policies need is in the per-item table
    code, out, err = cli(
        "evidence",
        "snapshot",
        "--tracking-uri",
        uri,
        "--candidate",
        "models:/rag-assistant/1",
        "--stage",
        "shadow",
        "--format",
        "json",
        "-o",
        str(tmp_path / "e.json"),
    )
    assert code == 0, err
    snapshot = json.loads((tmp_path / "e.json").read_text())
    assert snapshot["candidate"]["tags"]["govgate.provenance"] == (tags["govgate.provenance"])
    columns = json.loads(out)["runs"][0]["items"]["columns"]
    assert {
        "rate.toxicity_rate",
        "rate.hallucination_rate",
        "rate.policy_violation_rate",
        "score.answer_similarity",
        "score.context_recall",
        "latency.latency_ms",
        "group.language",
    } <= set(columns)


def test_interrupted_scoring_leaves_no_run(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"

    def stop(done: int, total: int) -> None:
        if done == 10:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_eval(
            load_suite(RAG),
            RAG / "outputs" / "champion.jsonl",
            model="m",
            version="1",
            register=False,
            stage=None,
            settings=MlflowSettings(tracking_uri=uri),
            policy_digest=None,
            progress=stop,
        )
    # scoring comes before the store is even opened: no database, no run, no artifact folder
    assert not (tmp_path / "mlflow.db").exists()
    assert list(tmp_path.iterdir()) == []


def test_interrupted_logging_marks_the_run_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"

    def interrupted(*_: object, **__: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(runner, "log_eval", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_eval(
            load_suite(RAG),
            RAG / "outputs" / "champion.jsonl",
            model="m",
            version="1",
            register=False,
            stage=None,
            settings=MlflowSettings(tracking_uri=uri),
            policy_digest=None,
        )
    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("rag-assistant")
    (run,) = client.search_runs([experiment.experiment_id])
    assert run.info.status == "KILLED"


def test_outputs_errors_name_the_file_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "out.jsonl"
    bad.write_text('{"id": "rag-0000", "response": "x"}\n{not json}\n')
    with pytest.raises(UsageError, match=r"out.jsonl:2:2: not JSON"):
        run_eval(
            load_suite(RAG),
            bad,
            model="m",
            version="1",
            register=False,
            stage=None,
            settings=MlflowSettings(tracking_uri="sqlite:///unused.db"),
            policy_digest=None,
        )
    bad.write_text('{"id": "nope", "response": "x"}\n')
    code, _, err = cli(
        "eval",
        "run",
        str(RAG),
        "--outputs",
        str(bad),
        "--model",
        "m",
        "--version",
        "1",
        "--tracking-uri",
        f"sqlite:///{tmp_path / 'x.db'}",
    )
    assert code == ExitCode.USAGE
    assert "output ids are not in the dataset" in err


def test_a_canary_traffic_log_keeps_each_items_arrival(tmp_path: Path) -> None:
    """Outputs that say when they were served (``ts``) give the per-item table its ``ts``
    column, which a canary is judged in the order of; a log that has it for some outputs only
    is an error naming the first without, not a table with holes."""
    text = (RAG / "outputs" / "candidate.jsonl").read_text()
    outputs = [json.loads(line) for line in text.splitlines() if line.strip()]
    log = tmp_path / "canary.jsonl"
    log.write_text(
        "".join(
            json.dumps({**o, "ts": 1_767_225_600 + 2 * i}) + "\n" for i, o in enumerate(outputs)
        )
    )
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    settings = MlflowSettings(tracking_uri=uri)
    result = run_eval(
        load_suite(RAG),
        log,
        model="rag-assistant",
        version=None,
        register=True,
        stage="canary",
        settings=settings,
        policy_digest=None,
    )
    code, out, err = cli(
        "evidence", "snapshot", "--tracking-uri", uri, "--candidate", result.run_id,
        "--stage", "canary", "--format", "json", "-o", str(tmp_path / "e.json"),
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)["runs"][0]["items"]["columns"]["ts"] == "ts"
    partial = tmp_path / "partial.jsonl"
    lines = log.read_text().splitlines()
    partial.write_text("\n".join([*lines[:3], json.dumps(outputs[3]), *lines[4:]]) + "\n")
    with pytest.raises(UsageError, match=r"partial.jsonl: output 4 \(in dataset order\) has no ts"):
        run_eval(
            load_suite(RAG),
            partial,
            model="rag-assistant",
            version="1",
            register=False,
            stage="canary",
            settings=settings,
            policy_digest=None,
        )
