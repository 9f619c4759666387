"""`check --target`, how files named on the command line resolve to config targets, and each
command's --help listing only the options it takes (issue 10)."""

from __future__ import annotations

import json
import re

import pytest

from starter_lint.catalog import load_catalog
from starter_lint.options import Options
from starter_lint.pipeline import run

from .support import NEEDS_HELM_SDK, REPO, cli

CONFIG = "select: [SL104]\ntargets:\n  prod: {values: [prod.yaml]}\n  staging: {values: [staging.yaml]}\n"


@pytest.fixture
def work(tmp_path):
    (tmp_path / "prod.yaml").write_text("worker:\n  enabled: yes\n")
    (tmp_path / "staging.yaml").write_text("worker:\n  enabled: on\n")
    (tmp_path / ".starter-lint.yaml").write_text(CONFIG)
    return tmp_path


def names(done) -> list:
    assert done.returncode in (0, 1), done.stderr
    return [t["name"] for t in json.loads(done.stdout)["targets"]]


def test_check_target_is_repeatable_and_keeps_the_config_order(work):
    assert names(cli("check", "--format", "json", "--target", "staging", cwd=work)) == ["staging"]
    assert names(cli("check", "--format", "json", "--target", "staging", "--target", "prod", cwd=work)) == [
        "prod",
        "staging",
    ]


def test_an_unknown_target_is_exit_2_with_the_closest_name(work):
    done = cli("check", "--target", "stagign", cwd=work)
    assert done.returncode == 2
    assert done.stderr == (
        "starter-lint: error: --target stagign: no such target (did you mean 'staging'? "
        "there are: prod, staging)\n"
    )
    done = cli("check", "--target", "prod", "prod.yaml", cwd=work)
    assert done.returncode == 2 and "--target chooses among the config's targets" in done.stderr
    (work / ".starter-lint.yaml").unlink()
    done = cli("check", "--target", "prod", cwd=work)
    assert done.returncode == 2 and "no such target (there are: none)" in done.stderr


def test_values_target_suggests_the_closest_name_too(work):
    done = cli("values", "--target", "prd", cwd=work)
    assert done.returncode == 2 and "did you mean 'prod'?" in done.stderr


def test_a_listed_file_takes_its_targets_layers_and_set(tmp_path):
    (tmp_path / "common.yaml").write_text("worker:\n  enabled: yes\n")
    (tmp_path / "prod.yaml").write_text("api:\n  image: registry.example.org/app-api:1.0.0\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL104, SL601]\ntargets:\n  prod: {values: [common.yaml, prod.yaml], set: [api.image=x:latest]}\n"
    )
    done = cli("check", "--format", "json", "--", "prod.yaml", "common.yaml", cwd=tmp_path)
    report = json.loads(done.stdout)
    assert [t["name"] for t in report["targets"]] == ["prod"]  # two files of one target: checked once
    assert sorted(f["rule"] for f in report["targets"][0]["findings"]) == ["SL104", "SL601"]


def test_set_on_the_command_line_applies_to_config_targets(work):
    done = cli(
        "check",
        "--format",
        "json",
        "--select",
        "SL601",
        "--set",
        "api.image=x:latest",
        "--target",
        "prod",
        cwd=work,
    )
    assert [f["rule"] for t in json.loads(done.stdout)["targets"] for f in t["findings"]] == ["SL601"]


def test_chart_defaults_run_the_file_scope_rules_only(tmp_path):
    import shutil

    chart = tmp_path / "chart"
    shutil.copytree(REPO / "examples" / "chart", chart)
    report = run(Options(values_files=[str(chart / "values.yaml")], cwd=str(tmp_path)))
    (result,) = report.targets
    catalog = load_catalog()
    assert result.target.chart_defaults and not report.active
    assert result.rules_run and all(catalog[rule_id].scope == "file" for rule_id in result.rules_run)
    assert {"SL101", "SL103", "SL104", "SL107"} <= set(result.rules_run)
    # a near-miss of a contract key is a typo; a key of the chart's own is not
    (chart / "values.yaml").write_text(
        (chart / "values.yaml").read_text() + "ingres: {}\npodAnnotations: {}\n"
    )
    report = run(Options(values_files=[str(chart / "values.yaml")], cwd=str(tmp_path)))
    assert [(f.rule, f.logical) for f in report.active] == [("SL101", "ingres")]


def test_a_deployment_file_kept_in_a_chart_folder_is_checked_over_that_chart(tmp_path):
    """charts/app/values.prod.yaml, listed by no target, is a deployment's file: the deployment
    rules run on it, over that chart's values.yaml (not the chart-defaults file scope)."""
    import shutil

    chart = tmp_path / "charts" / "app"
    shutil.copytree(REPO / "examples" / "chart", chart)
    (tmp_path / ".git").mkdir()
    (tmp_path / ".starter-lint.yaml").write_text(
        "targets:\n  prod: {chart: charts/app, values: [deploy/prod.yaml]}\n"
    )
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "prod.yaml").write_text("{}\n")
    (chart / "values.prod.yaml").write_text("api:\n  image: registry.example.org/app-api:latest\n")
    pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)  # the chart renders
    done = cli(
        "check", "--format", "json", "--select", "SL601", "--", "charts/app/values.prod.yaml", cwd=tmp_path
    )
    assert done.returncode == 1, done.stderr
    found = [(f["rule"], f["path"]) for t in json.loads(done.stdout)["targets"] for f in t["findings"]]
    assert ("SL601", "charts/app/values.prod.yaml") in found


def test_scope_is_documented_in_the_rules_page():
    page = (REPO / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in load_catalog().values():
        assert ("Scope: file" in page.split(f"## {rule.id} ")[1].split("\n## ")[0]) == (rule.scope == "file")


HELP_OPTION = re.compile(r"^  (?:(-\w), )?(--[\w-]+)", re.M)


def help_options(command: str) -> set:
    text = cli(command, "--help").stdout
    return {long for _, long in HELP_OPTION.findall(text.partition("\nOptions:\n")[2])} - {"--help"}


def test_baseline_help_lists_only_what_it_accepts(work):
    options = help_options("baseline")
    assert {"--output", "--select", "--manifests", "--config"} <= options
    assert not options & {"--format", "--fail-on", "--no-color", "--quiet", "--baseline"}
    for refused in ("--format", "--fail-on", "--no-color", "-q"):
        done = cli("baseline", "prod.yaml", refused, cwd=work)
        assert done.returncode == 2 and "No such option" in done.stderr, refused
    assert {"--target", "--format", "--fail-on", "--baseline", "--no-color", "--quiet"} <= help_options(
        "check"
    )


def test_shell_completion_script_and_target_names(work):
    done = cli(env={"_STARTER_LINT_COMPLETE": "bash_source"})
    assert done.returncode == 0 and "_starter_lint_completion" in done.stdout
    done = cli(
        cwd=work,
        env={
            "_STARTER_LINT_COMPLETE": "bash_complete",
            "COMP_WORDS": "starter-lint check --target s",
            "COMP_CWORD": "3",
        },
    )
    assert done.stdout.split() == ["plain,staging"]


def test_manifests_alone_never_check_the_configs_chart_defaults_as_a_deployment(tmp_path):
    """`check --manifests FILE` with a config whose top-level `chart:` is the targets' default: the
    manifests are checked on their own; the chart's placeholders are not a deployment's."""
    import shutil

    shutil.copytree(REPO / "examples" / "chart", tmp_path / "charts" / "app")
    (tmp_path / ".git").mkdir()
    (tmp_path / "prod.yaml").write_text("{}\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        "chart: charts/app\ntargets:\n  prod: {values: [prod.yaml]}\n"
    )
    (tmp_path / "cm.yaml").write_text(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n"
        "  namespace: default\ndata:\n  key: value\n"
    )
    done = cli("check", "--format", "json", "--manifests", "cm.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    found = [(f["rule"], f["path"]) for t in json.loads(done.stdout)["targets"] for f in t["findings"]]
    assert not [f for f in found if f[1].startswith("charts/")], found


def test_a_mistake_in_a_shared_layer_is_reported_once(tmp_path):
    (tmp_path / "common.yaml").write_text("worker:\n  enabled: yes\n")
    (tmp_path / "prod.yaml").write_text("{}\n")
    (tmp_path / "staging.yaml").write_text("api:\n  env:\n    DEBUG: on\n")
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL104]\ntargets:\n  prod: {values: [common.yaml, prod.yaml]}\n"
        "  staging: {values: [common.yaml, staging.yaml]}\n  dev: {values: [common.yaml]}\n"
    )
    for args in ((), ("--", "common.yaml")):
        done = cli("check", "--format", "json", *args, cwd=tmp_path)
        found = [
            (t["name"], f["path"], f["line"], f["notes"])
            for t in json.loads(done.stdout)["targets"]
            for f in t["findings"]
        ]
        assert [f[:3] for f in found if f[1] == "common.yaml"] == [("prod", "common.yaml", 2)], found
        assert "also reported for staging, dev" in found[0][3][0]
        if not args:  # a target's own file is still its own
            assert ("staging", "staging.yaml", 3) in [f[:3] for f in found]


def test_baseline_and_fix_take_target_too(work):
    recorded = json.loads(cli("baseline", "--target", "prod", cwd=work).stdout)
    assert {f["path"] for f in recorded["findings"]} == {"prod.yaml"}
    done = cli("fix", "--target", "staging", "--select", "SL104", cwd=work)
    assert done.returncode == 0, done.stderr
    assert "enabled: true" in (work / "staging.yaml").read_text()
    assert (work / "prod.yaml").read_text() == "worker:\n  enabled: yes\n"
    assert cli("fix", "--target", "stagin", cwd=work).returncode == 2


BITNAMI_VALUES = (
    "auth:\n  password: ''\n"
    "ingress:\n  enabled: false\n  hostname: db.local\n  tls: false\n  ingressClassName: ''\n"
    "primary:\n  resources: {}\n"
)


def umbrella(tmp_path):
    """charts/app (a chart) with its dependency charts/app/charts/postgresql, Bitnami-shaped."""
    app = tmp_path / "charts" / "app"
    sub = app / "charts" / "postgresql"
    sub.mkdir(parents=True)
    (app / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (app / "values.yaml").write_text("ingres: {}\n")
    (sub / "Chart.yaml").write_text("apiVersion: v2\nname: postgresql\nversion: 16.0.0\n")
    (sub / "values.yaml").write_text(BITNAMI_VALUES)
    return app, sub


def test_a_subcharts_own_values_get_no_contract_rules(tmp_path):
    """A subchart's values.yaml (named alone, as the pre-commit hook names changed files) is a
    third-party chart's defaults: its keys are not the starter's contract (no SL100/SL101), but
    its YAML is still judged (a duplicate key, an ambiguous scalar)."""
    from starter_lint.targets import SUBCHART_DEFAULTS_RULES

    _app, sub = umbrella(tmp_path)
    done = cli("check", "--format", "json", "--", "charts/app/charts/postgresql/values.yaml", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert [f for t in json.loads(done.stdout)["targets"] for f in t["findings"]] == []

    report = run(Options(values_files=[str(sub / "values.yaml")], cwd=str(tmp_path)))
    (result,) = report.targets
    assert result.target.subchart_defaults and result.target.chart_defaults
    assert set(result.rules_run) == set(SUBCHART_DEFAULTS_RULES)

    (sub / "values.yaml").write_text(BITNAMI_VALUES + "primary:\n  enabled: true\n")
    report = run(Options(values_files=[str(sub / "values.yaml")], cwd=str(tmp_path)))
    assert sorted({f.rule for f in report.active}) == ["SL103"]
    (sub / "values.yaml").write_text(BITNAMI_VALUES + "readReplicas:\n  enabled: yes\n")
    report = run(Options(values_files=[str(sub / "values.yaml")], cwd=str(tmp_path)))
    assert [(f.rule, f.logical) for f in report.active] == [("SL104", "readReplicas.enabled")]
    (sub / "values.yaml").write_text("auth: [\n")
    report = run(Options(values_files=[str(sub / "values.yaml")], cwd=str(tmp_path)))
    assert [f.rule for f in report.active] == ["SL102"]


def test_the_parent_charts_values_stay_chart_defaults(tmp_path):
    """The umbrella chart's own values.yaml is the starter's chart defaults (file-scope rules,
    SL101 near-misses of contract keys), and a subchart folder that the user names as the chart
    (--chart, a config target's `chart`) is the user's chart, not a third-party one."""
    app, sub = umbrella(tmp_path)
    report = run(Options(values_files=[str(app / "values.yaml")], cwd=str(tmp_path)))
    (result,) = report.targets
    assert result.target.chart_defaults and not result.target.subchart_defaults
    assert [(f.rule, f.logical) for f in report.active] == [("SL101", "ingres")]

    (sub / "values.yaml").write_text("ingres: {}\n")
    named = run(Options(values_files=[str(sub / "values.yaml")], chart=str(sub), cwd=str(tmp_path)))
    assert not named.targets[0].target.subchart_defaults
    assert [(f.rule, f.logical) for f in named.active] == [("SL101", "ingres")]


def test_a_values_yaml_under_a_charts_folder_of_no_chart_is_a_chart(tmp_path):
    """charts/app/values.yaml in a repository whose root is no chart is the starter's chart."""
    chart = tmp_path / "charts" / "app"
    chart.mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: app\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("ingres: {}\n")
    report = run(Options(values_files=[str(chart / "values.yaml")], cwd=str(tmp_path)))
    assert not report.targets[0].target.subchart_defaults
    assert [(f.rule, f.logical) for f in report.active] == [("SL101", "ingres")]
