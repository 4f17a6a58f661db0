"""The Argo Rollouts examples (.github/examples/argo-rollouts/) against a real `govgate serve`.

The templates are checked against Argo Rollouts' own CRD schemas (vendored in
tests/fixtures/argo-rollouts/, made strict: the API server would drop an unknown field, and with
it the setting), then the analysis template is run the way Argo runs it: its args substituted
into the Web provider's URL and headers, the URL called, and its success and failure
conditions evaluated on the answer. They are written in the part of Argo's expression language
that CEL shares, so celpy evaluates them as Argo's expr would.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft7Validator

from tests.conftest import FIXTURES, ROOT
from tests.integration.conftest import JUDGE_TOKEN
from tests.support import canary
from tests.support.servers import JudgeServer, call

pytestmark = pytest.mark.integration

EXAMPLES = ROOT / ".github" / "examples" / "argo-rollouts"
SCHEMAS = FIXTURES / "argo-rollouts"


def strict(schema: Any) -> Any:
    """The schema with unknown fields refused wherever the CRD names the fields."""
    node = copy.deepcopy(schema)
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if (
                "properties" in current
                and "additionalProperties" not in current
                and not current.get("x-kubernetes-preserve-unknown-fields")
            ):
                current["additionalProperties"] = False
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return node


def validate(document: Any, schema_file: str) -> list[str]:
    schema = strict(json.loads((SCHEMAS / schema_file).read_text()))
    validator = Draft7Validator(schema)
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in validator.iter_errors(document)
    ]


def load(name: str) -> Any:
    return yaml.safe_load((EXAMPLES / name).read_text())


def metric_of(template: Any) -> dict[str, Any]:
    metrics = template["spec"]["metrics"]
    assert len(metrics) == 1
    metric: dict[str, Any] = metrics[0]
    return metric


def substitute(text: str, args: dict[str, str]) -> str:
    """Argo's ``{{args.NAME}}`` substitution; an argument that has no value is an error."""

    def value(match: re.Match[str]) -> str:
        return args[match.group(1)]

    return re.sub(r"\{\{\s*args\.([A-Za-z0-9_-]+)\s*\}\}", value, text)


def phase(metric: dict[str, Any], result: Any) -> str:
    """Argo's reading of one measurement (utils/evaluate): failure first, then success,
    else Inconclusive; the conditions evaluated by CEL."""
    import celpy

    env = celpy.Environment()
    activation = {"result": celpy.json_to_cel(result)}

    def holds(expression: str) -> bool:
        value = env.program(env.compile(expression)).evaluate(activation)
        assert isinstance(value, celpy.celtypes.BoolType), (expression, value)
        return bool(value)

    if holds(metric["failureCondition"]):
        return "Failed"
    if holds(metric["successCondition"]):
        return "Successful"
    return "Inconclusive"


@pytest.mark.parametrize(
    ("name", "schema"),
    [
        ("analysis-template.yaml", "analysistemplate.schema.json"),
        ("job-template.yaml", "analysistemplate.schema.json"),
        ("rollout-example.yaml", "rollout.schema.json"),
    ],
)
def test_the_examples_follow_argo_rollouts_crds(name: str, schema: str) -> None:
    document = load(name)
    assert document["apiVersion"] == "argoproj.io/v1alpha1"
    assert validate(document, schema) == []


def test_the_strict_schema_catches_a_misspelt_field() -> None:
    """The check above can fail: a field Argo does not know is an error."""
    document = load("analysis-template.yaml")
    metric_of(document)["failureLimits"] = 0
    assert any("failureLimits" in e for e in validate(document, "analysistemplate.schema.json"))


def test_the_analysis_template_looks_until_a_pass_and_aborts_on_the_first_failure() -> None:
    template = load("analysis-template.yaml")
    assert template["kind"] == "AnalysisTemplate"
    metric = metric_of(template)
    web = metric["provider"]["web"]
    assert web["jsonPath"] == "{$}"
    assert web.get("method", "GET") == "GET"
    assert {h["key"]: h["value"] for h in web["headers"]} == {
        "Authorization": "Bearer {{args.judge-token}}"
    }
    token = next(a for a in template["spec"]["args"] if a["name"] == "judge-token")
    assert token["valueFrom"]["secretKeyRef"] == {"name": "govgate-judge-token", "key": "token"}
    assert "value" not in token  # the token comes from the Secret, never from the template
    # Argo's assessment (analysis/analysis.go): inconclusive looks must not end the run before
    # `count`; one pass ends it Successful; the first FAIL or ROLLBACK ends it Failed
    count = int(metric["count"])
    assert int(metric["inconclusiveLimit"]) >= count
    assert int(metric["consecutiveSuccessLimit"]) == 1
    assert int(metric["failureLimit"]) == 0
    assert int(metric["consecutiveErrorLimit"]) >= 1
    assert metric["interval"]
    assert metric["initialDelay"]
    assert int(web["timeoutSeconds"]) > 25  # above the judge's default --request-timeout


def test_the_rollout_example_uses_the_template_with_its_args() -> None:
    rollout = load("rollout-example.yaml")
    template = load("analysis-template.yaml")
    required = {
        a["name"] for a in template["spec"]["args"] if "value" not in a and "valueFrom" not in a
    }
    steps = rollout["spec"]["strategy"]["canary"]["steps"]
    analyses = [s["analysis"] for s in steps if "analysis" in s]
    assert analyses
    for analysis in analyses:
        assert analysis["templates"] == [{"templateName": template["metadata"]["name"]}]
        assert {a["name"] for a in analysis["args"]} == required


def test_the_job_template_runs_govgate_check_and_looks_again_while_inconclusive() -> None:
    job = metric_of(load("job-template.yaml"))["provider"]["job"]
    container = job["spec"]["template"]["spec"]["containers"][0]
    script = container["command"][-1]
    assert "govgate check --stage canary" in script
    assert '"$code" -ne 6' in script  # 6 is INCONCLUSIVE: look again, do not fail at once
    assert job["spec"]["backoffLimit"] == 0


@pytest.mark.parametrize("label", ["pass", "rollback", "fail", "inconclusive"])
def test_the_template_reads_the_judges_answers_as_argo_would(
    canary_judge: JudgeServer, canary_store: tuple[str, dict[str, str], Path], label: str
) -> None:
    template = load("analysis-template.yaml")
    metric = metric_of(template)
    web = metric["provider"]["web"]
    version = canary_store[1][label].rsplit("/", 1)[1]  # models:/MODEL/VERSION
    args = {a["name"]: a.get("value", "") for a in template["spec"]["args"]}
    args |= {
        "judge-url": canary_judge.url,
        "model": canary.MODEL,
        "candidate-version": version,
        "judge-token": JUDGE_TOKEN,  # what Argo reads from the Secret
    }
    url = substitute(web["url"], args)
    headers = {h["key"]: substitute(h["value"], args) for h in web["headers"]}
    answer = call(url, headers=headers, timeout=float(web["timeoutSeconds"]))
    assert answer.status == 200  # a non-2xx answer is an Error measurement in Argo
    result = answer.json()  # jsonPath "{$}": the whole document
    assert result["verdict"] == canary.EXPECTED[label]
    expected = {
        "pass": "Successful",
        "rollback": "Failed",
        "fail": "Failed",
        "inconclusive": "Inconclusive",
    }
    assert phase(metric, result) == expected[label]


def test_warn_succeeds_and_every_other_verdict_is_read_as_documented() -> None:
    """The verdicts no shipped canary produces (WARN), read on their own."""
    metric = metric_of(load("analysis-template.yaml"))
    phases = {v: phase(metric, {"verdict": v}) for v in DOCUMENTED_VERDICTS}
    assert phases == {
        "pass": "Successful",
        "warn": "Successful",
        "fail": "Failed",
        "rollback": "Failed",
        "inconclusive": "Inconclusive",
    }


DOCUMENTED_VERDICTS = ("pass", "warn", "fail", "rollback", "inconclusive")


def test_the_readme_walks_through_every_file() -> None:
    readme = (EXAMPLES / "README.md").read_text()
    for path in sorted(Path(EXAMPLES).glob("*.yaml")):
        assert path.name in readme
