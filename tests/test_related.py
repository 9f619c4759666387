"""One mistake, one finding (related.py): every ownership pair of the policy, with the pair present
(one finding, the consequence a related location in text, JSON and SARIF) and with only the
consequence (it reports on its own). Rendered pairs render the example chart with Helm's SDK."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.findings import Finding, Location, Severity
from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.related import MATCHES, POLICY, owners_of, policy_markdown, relate
from starter_lint.report import render

from . import sarif_rules
from .support import REPO

CHART = REPO / "examples" / "chart"
CLEAN = (REPO / "examples" / "values.prod.yaml").read_text(encoding="utf-8")
SCHEMA = REPO / "schemas" / "values.schema.json"

can_render = bool(shutil.which("helm") or importlib.util.find_spec("helm_python"))
needs_render = pytest.mark.skipif(not can_render, reason="renders the chart: pip install helm-python-sdk")


def edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


API_ENV_END = '    STORAGE_S3_REGION: "eu-west-1"\n'


# ---------------------------------------------------------------------------------------------
# The pairs: a values mistake that gives both findings, and a setup where only the consequence is


@dataclass(frozen=True)
class Pair:
    owner: str
    consequence: str
    mistake: tuple  # (old, new) edits of the clean values
    rendered: bool = True  # the consequence is a rendered rule: check with --chart
    schema: bool = False  # the chart ships the drop-in values.schema.json
    alone: tuple = ()  # (old, new) edits of the clean values for "consequence alone"
    alone_template: tuple = ()  # (template file, old, new): the chart differs from the contract
    alone_ignore: tuple = ()  # rules not selected in the "consequence alone" run
    owners: int = 1  # findings of the owner rule the mistake gives
    consequences: int = 1  # findings of the consequence rule it gives

    @property
    def id(self) -> str:
        return f"{self.owner}-{self.consequence}"


HOST_LINE = "    - host: app.acme-corp.io\n  tls:"
API_TLS = (
    "ingress.yaml",
    "{{- $tls := concat (.Values.ingress.tls | default list) (.Values.ingress.apiTls | default list) -}}",
    "{{- $tls := .Values.ingress.tls | default list -}}",
)
API_BILLING_ON = (
    "api-deployment.yaml",
    '{{- $_ := set $env "ENABLE_BILLING_RETRY_WORKER" "false" -}}',
    '{{- $_ := set $env "ENABLE_BILLING_RETRY_WORKER" "true" -}}',
)
HPA_BOUNDS = (
    "hpa.yaml",
    "minReplicas: {{ $bounds.minReplicas }}",
    "minReplicas: {{ add $bounds.maxReplicas 1 }}",
)
CPU = '      cpu: "500m"\n'

PAIRS = [
    Pair(
        "SL301",
        "SL804",
        ((HOST_LINE, "    - host: app.acme-corp.io\n    - host: admin.acme-corp.io\n  tls:"),),
        alone_template=API_TLS,
    ),
    Pair(
        "SL304",
        "SL804",
        (
            (
                "    - host: api.acme-corp.io\n  apiTls:",
                "    - host: api.acme-corp.io\n    - host: api2.acme-corp.io\n  apiTls:",
            ),
        ),
        alone_template=API_TLS,
    ),
    Pair(
        "SL401",
        "SL806",
        ((API_ENV_END, API_ENV_END + '    ENABLE_BILLING_RETRY_WORKER: "true"\n'),),
        alone_template=API_BILLING_ON,
    ),
    Pair(
        "SL403",
        "SL806",
        (("worker:\n  enabled: true", "worker:\n  enabled: false"),),
        consequences=2,
        alone_template=API_BILLING_ON,
    ),
    Pair(
        "SL501",
        "SL801",
        (
            (
                "  web:\n    minReplicas: 2\n    maxReplicas: 6",
                "  web:\n    minReplicas: 8\n    maxReplicas: 6",
            ),
        ),
        alone_template=HPA_BOUNDS,
    ),
    Pair(
        "SL100",
        "SL705",
        (("    minReplicas: 3", '    minReplicas: "3"'),),
        schema=True,
        alone=(("    minReplicas: 3", '    minReplicas: "3"'),),
        alone_ignore=("SL100",),
    ),
    Pair(
        "SL101",
        "SL705",
        (("worker:\n  enabled: true", "worker:\n  replicaCount: 1\n  enabled: true"),),
        schema=True,
        alone=(("worker:\n  enabled: true", "worker:\n  replicaCount: 1\n  enabled: true"),),
        alone_ignore=("SL101",),
    ),
    Pair(
        "SL603",
        "SL705",
        (('SECRETS_PROVIDER: "aws_sm"', 'SECRETS_PROVIDER: "aws-secrets"'),),
        schema=True,
        alone=(('SECRETS_PROVIDER: "aws_sm"', 'SECRETS_PROVIDER: "aws-secrets"'),),
        alone_ignore=("SL603", "SL100"),
    ),
    Pair(
        "SL104",
        "SL604",
        ((API_ENV_END, API_ENV_END + "    FEATURE_RATE: 1.10\n"),),
        rendered=False,
        alone=((API_ENV_END, API_ENV_END + "    WORKERS: 4\n"),),
    ),
    Pair("SL504", "SL503", ((CPU, ""),), rendered=False, alone=((CPU, ""),), alone_ignore=("SL504",)),
    Pair(
        "SL100",
        "SL504",
        ((CPU, '      cpu: ""\n'),),
        rendered=False,
        alone=((CPU, ""),),
        alone_ignore=("SL503",),
    ),
    Pair(
        "SL100",
        "SL503",
        ((CPU, '      cpu: ""\n'),),
        rendered=False,
        alone=((CPU, ""),),
        alone_ignore=("SL504",),
    ),
    Pair(
        "SL402",
        "SL401",
        (('ENABLE_BILLING_STREAM_REPLAY: "true"', 'ENABLE_BILLING_STREAM_REPLAY: "false"'),),
        rendered=False,
        alone=(
            ("worker:\n  enabled: true", "worker:\n  enabled: false"),
            ("autoscaling:\n  enabled: true", "autoscaling:\n  enabled: false"),
            (API_ENV_END, API_ENV_END + '    ENABLE_BILLING_STREAM_REPLAY: "false"\n'),
        ),
    ),
]


def test_every_pair_of_the_policy_is_tested():
    assert sorted((o.owner, o.consequence) for o in POLICY) == sorted((p.owner, p.consequence) for p in PAIRS)


# ---------------------------------------------------------------------------------------------


def write_chart(tmp_path: Path, pair: Pair, template_edit: tuple = ()) -> Path:
    chart = tmp_path / "charts" / "app"
    shutil.copytree(CHART, chart)
    if pair.schema:
        shutil.copy(SCHEMA, chart / "values.schema.json")
    if template_edit:
        name, old, new = template_edit
        path = chart / "templates" / name
        path.write_text(edit(path.read_text(encoding="utf-8"), old, new), encoding="utf-8")
    return chart


def check(tmp_path: Path, values: str, chart=None, ignore=(), manifests=()):
    """The report of `check -f deploy/values.yaml [--chart] [--manifests]` run in `tmp_path`."""
    (tmp_path / ".git").mkdir(exist_ok=True)  # the repository root for SARIF paths
    values_path = tmp_path / "deploy" / "values.yaml"
    values_path.parent.mkdir(parents=True, exist_ok=True)
    values_path.write_text(values, encoding="utf-8")
    options = Options(
        files=["deploy/values.yaml"],
        chart=str(chart.relative_to(tmp_path)) if chart else None,
        manifests=list(manifests),
        ignore=list(ignore),
        cwd=str(tmp_path),
    )
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return run(options), options
    finally:
        os.chdir(old)


def rendered(report, options, fmt: str) -> str:
    old = os.getcwd()
    os.chdir(options.cwd)
    try:
        return render(report, load_catalog(), Options(format=fmt, cwd=options.cwd, color=False))
    finally:
        os.chdir(old)


def of_rules(report, *rules) -> list:
    return [f for f in report.active if f.rule in rules]


def apply_edits(text: str, edits) -> str:
    for old, new in edits:
        text = edit(text, old, new)
    return text


def run_pair(pair: Pair, tmp_path: Path, edits, template_edit=(), ignore=()):
    if pair.rendered and not can_render:
        pytest.skip("renders the chart: pip install helm-python-sdk")
    chart = write_chart(tmp_path, pair, template_edit) if pair.rendered else None
    return check(tmp_path, apply_edits(CLEAN, edits), chart=chart, ignore=ignore)


def test_the_clean_values_give_nothing(tmp_path):
    report, _ = check(tmp_path, CLEAN)
    assert report.active == []


@needs_render
def test_the_clean_values_give_nothing_with_the_chart(tmp_path):
    report, _ = check(tmp_path, CLEAN, chart=write_chart(tmp_path, PAIRS[0]))
    assert report.active == []


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_pair_present_gives_one_finding_with_a_related_location(pair, tmp_path):
    report, options = run_pair(pair, tmp_path, pair.mistake)
    owners = of_rules(report, pair.owner)
    assert len(owners) == pair.owners, [(f.rule, f.message) for f in report.active]
    assert of_rules(report, pair.consequence) == [], "the consequence must not be reported separately"
    related = [r for f in owners for r in f.related if r.rule == pair.consequence]
    assert len(related) == pair.consequences
    owner = next(f for f in owners if f.related)

    text = rendered(report, options, "text")
    notes = [line for line in text.splitlines() if line.strip().startswith("note: same cause:")]
    assert any(f" {pair.consequence} " in line for line in notes), text
    assert text.count(f" {pair.owner} ") == pair.owners  # the finding's own line, once per finding

    for fmt, prefix in (("github", "Note: same cause: "), ("junit", "(same cause: ")):
        out = rendered(report, options, fmt)
        assert prefix in out and f" {pair.consequence} " in out.partition(prefix)[2], fmt

    document = json.loads(rendered(report, options, "json"))
    found = [f for t in document["targets"] for f in t["findings"] if f["rule"] == pair.owner]
    assert {r["rule"] for f in found for r in f["related"]} >= {pair.consequence}
    assert not [f for t in document["targets"] for f in t["findings"] if f["rule"] == pair.consequence]
    entry = next(r for f in found for r in f["related"] if r["rule"] == pair.consequence)
    assert entry["path"] and entry["line"] >= 1 and entry["message"]

    log = json.loads(rendered(report, options, "sarif"))
    results = [r for run_ in log["runs"] for r in run_["results"]]
    assert not [r for r in results if r["ruleId"] == pair.consequence]
    result = next(r for r in results if r["ruleId"] == pair.owner and r.get("relatedLocations"))
    locations = result["relatedLocations"]
    assert [loc["id"] for loc in locations] == list(range(1, len(locations) + 1))
    assert all(loc["message"]["text"] for loc in locations)
    assert any(loc["message"]["text"].startswith(pair.consequence + " ") for loc in locations)
    for loc in locations:  # GitHub shows a related location the message links to
        assert f"]({loc['id']})" in result["message"]["text"]
    assert result["partialFingerprints"]["starterLint/v1"] == owner.fingerprint
    sarif_path = tmp_path / "out.sarif"
    sarif_path.write_text(rendered(report, options, "sarif"), encoding="utf-8")
    shared_sarif_check(sarif_path, tmp_path)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
def test_consequence_alone_reports_on_its_own(pair, tmp_path):
    report, _ = run_pair(pair, tmp_path, pair.alone, pair.alone_template, pair.alone_ignore)
    alone = of_rules(report, pair.consequence)
    assert alone, [(f.rule, f.message) for f in report.active]
    assert of_rules(report, pair.owner) == []
    assert all(not f.related for f in alone)


def shared_sarif_check(path: Path, root: Path) -> None:
    """The SARIF passes the schema and GitHub's rules (tests/sarif_rules.py)."""
    found = sarif_rules.problems_in_file(path, root)
    assert not found, "\n".join(found)


# ---------------------------------------------------------------------------------------------
# How the stage behaves: matching by identity, severity, suppression, chains


def finding(
    rule, logical, key="", line=1, severity=Severity.ERROR, target="t", path="values.yaml"
) -> Finding:
    return Finding(
        rule=rule,
        name=rule.lower(),
        severity=severity,
        message=f"{rule} says so",
        location=Location(path, line, 1),
        logical=logical,
        target=target,
        key=key,
    )


def test_same_rule_pair_about_another_host_is_not_folded():
    owner = finding("SL301", "ingress.hosts[1].host", key="admin.acme-corp.io", line=30)
    other = finding(
        "SL804",
        "Ingress/starter#/spec/rules/2/host",
        key="host:shop.acme-corp.io",
        line=9,
        path="<rendered chart>",
    )
    assert sorted(f.rule for f in relate([owner, other])) == ["SL301", "SL804"]
    same = finding(
        "SL804",
        "Ingress/starter#/spec/rules/1/host",
        key="host:Admin.acme-corp.io",
        line=8,
        path="<rendered chart>",
    )
    out = relate([owner, other, same])
    assert sorted(f.rule for f in out) == ["SL301", "SL804"]
    assert next(f for f in out if f.rule == "SL301").related == (same,)


def test_billing_matches_component_and_flag():
    owner = finding("SL401", "api.env.ENABLE_BILLING_RETRY_WORKER")
    worker = finding(
        "SL806",
        "Deployment/starter-worker#/spec/template/spec/containers/0/env/1/value",
        key="ENABLE_BILLING_RETRY_WORKER:owner:worker",
        path="<rendered chart>",
    )
    replay = finding(
        "SL806",
        "Deployment/starter-api#/spec/template/spec/containers/0/env/2/value",
        key="ENABLE_BILLING_STREAM_REPLAY:owner:api",
        path="<rendered chart>",
    )
    api = finding(
        "SL806",
        "Deployment/starter-api#/spec/template/spec/containers/0/env/1/value",
        key="ENABLE_BILLING_RETRY_WORKER:owner:api",
        path="<rendered chart>",
    )
    out = relate([owner, worker, replay, api])
    assert sorted(f.rule for f in out) == ["SL401", "SL806", "SL806"]
    assert next(f for f in out if f.rule == "SL401").related == (api,)


def test_the_owner_takes_the_higher_severity_and_keeps_its_fingerprint():
    owner = finding("SL104", "api.env.RATE", severity=Severity.WARNING)
    consequence = finding("SL604", "api.env.RATE", severity=Severity.ERROR)
    (out,) = relate([owner, consequence])
    assert out.severity is Severity.ERROR and out.fingerprint == owner.fingerprint


def test_chains_resolve_to_the_first_cause():
    schema = finding("SL100", "api.resources.requests.cpu", line=5)
    resources = finding("SL504", "api.resources.requests.cpu", line=5, key="requests.cpu:missing")
    hpa = finding("SL503", "api.resources.requests.cpu", line=5)
    (out,) = relate([hpa, resources, schema])
    assert out.rule == "SL100" and sorted(r.rule for r in out.related) == ["SL503", "SL504"]


def test_other_targets_are_not_related():
    schema = finding("SL100", "autoscaling.api.minReplicas", target="prod")
    render_failed = finding("SL705", "", key="render", target="staging")
    assert len(relate([schema, render_failed])) == 2


def test_suppressing_the_owner_suppresses_its_related_locations(tmp_path):
    pair = next(p for p in PAIRS if p.owner == "SL104")
    values = apply_edits(
        CLEAN,
        (
            (
                API_ENV_END,
                API_ENV_END + "    FEATURE_RATE: 1.10  # starter-lint: disable=SL104 a float on purpose\n",
            ),
        ),
    )
    report, options = check(tmp_path, values)
    assert report.active == []
    (suppressed,) = report.suppressed
    assert suppressed.rule == pair.owner and [r.rule for r in suppressed.related] == [pair.consequence]
    assert json.loads(rendered(report, options, "json"))["counts"]["suppressed"] == 1


def test_a_suppression_of_the_consequence_alone_leaves_the_owner(tmp_path):
    values = apply_edits(
        CLEAN,
        ((API_ENV_END, API_ENV_END + "    FEATURE_RATE: 1.10  # starter-lint: disable=SL604 reason\n"),),
    )
    report, _ = check(tmp_path, values)
    # the owner stays, and SL107 says the disable did nothing (SL604 is part of SL104's finding)
    assert [f.rule for f in report.active] == ["SL104", "SL107"]
    assert "disable SL104 instead" in next(f for f in report.active if f.rule == "SL107").message


def test_secrets_in_related_findings_are_scrubbed():
    from starter_lint.redact import scrub_finding

    owner = finding("SL104", "api.env.RATE").with_(
        related=(finding("SL604", "api.env.RATE").with_(message="value s3cr3t-value-123 is wrong"),)
    )
    assert "s3cr3t" not in scrub_finding(owner, {"s3cr3t-value-123"}).related[0].message


# ---------------------------------------------------------------------------------------------
# The policy as data, and where it is written for users


def test_the_policy_is_acyclic_and_names_known_rules_and_matches():
    catalog = load_catalog()
    for ownership in POLICY:
        assert ownership.owner in catalog and ownership.consequence in catalog
        assert ownership.same in MATCHES

    def reaches(rule, seen=()):
        return any(
            o.owner == rule or reaches(o.owner, seen + (rule,))
            for o in owners_of(rule)
            if o.owner not in seen
        )

    assert not any(reaches(rule) for rule in {o.consequence for o in POLICY})


def test_docs_page_has_the_current_policy_table():
    page = (REPO / "docs" / "related-findings.md").read_text(encoding="utf-8")
    assert policy_markdown() in page, (
        "docs/related-findings.md: paste related.policy_markdown() into the table"
    )


def test_each_affected_rule_file_names_its_partners():
    catalog = load_catalog()
    for ownership in POLICY:
        for rule, partner in (
            (ownership.owner, ownership.consequence),
            (ownership.consequence, ownership.owner),
        ):
            what = catalog[rule].what
            assert partner in what and "related-findings.md" in what, (rule, partner)
