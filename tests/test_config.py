"""The config file: defaults, named targets, rule overrides, ignores, and errors with lines."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from starter_lint.config import apply_config, find_config
from starter_lint.errors import StarterLintError
from starter_lint.findings import Severity
from starter_lint.options import Options

from .support import REPO, cli

AMBIGUOUS = "worker:\n  enabled: yes\n"


def load(tmp_path: Path, text: str, cwd: Path | None = None) -> Options:
    (tmp_path / ".starter-lint.yaml").write_text(text)
    options = Options(cwd=str(cwd or tmp_path))
    apply_config(options, None)
    return options


def error_of(tmp_path: Path, text: str) -> str:
    with pytest.raises(StarterLintError) as info:
        load(tmp_path, text)
    return str(info.value)


def test_found_upward_and_paths_relative_to_the_file(tmp_path):
    (tmp_path / ".git").mkdir()  # the repository root: discovery goes up to here
    deep = tmp_path / "a" / "b"
    deep.mkdir(parents=True)
    options = load(
        tmp_path,
        "fail-on: warning\nselect: [SL1, sl3]\nignore: SL106\nkube-version: '1.29'\n"
        "rule-dirs: [policies]\ncrd-dirs: [crds]\nbaseline: base.json\nquiet: true\n"
        "chart: charts/app\n",
        cwd=deep,
    )
    assert find_config(str(deep)) == tmp_path / ".starter-lint.yaml"
    assert options.fail_on is Severity.WARNING
    assert options.select == ["SL1", "SL3"] and options.ignore == ["SL106"]
    assert options.kube_version == "1.29" and options.quiet is True
    assert options.rule_dirs == [str(tmp_path / "policies")] and options.crds == [str(tmp_path / "crds")]
    assert options.baseline == str(tmp_path / "base.json") and options.chart == str(tmp_path / "charts/app")
    assert options.config == str(tmp_path / ".starter-lint.yaml")


def test_no_config_changes_nothing(tmp_path):
    options = Options(cwd=str(tmp_path))
    apply_config(options, None)
    assert options == Options(cwd=str(tmp_path))


def test_targets_become_pipeline_targets(tmp_path):
    options = load(
        tmp_path,
        "chart: charts/app\ntargets:\n  prod:\n    values: [values.yaml, values.prod.yaml]\n"
        "    set: [api.replicas=3]\n    set-string: [api.env.X=1]\n"
        "  rendered:\n    manifests: out/\n    chart: other\n",
    )
    prod, rendered = options.targets
    assert prod.name == "prod" and prod.files == [
        str(tmp_path / "values.yaml"),
        str(tmp_path / "values.prod.yaml"),
    ]
    assert prod.set == [("api.replicas=3", "set"), ("api.env.X=1", "set-string")] and prod.chart == str(
        tmp_path / "charts/app"
    )
    assert rendered.manifests == [str(tmp_path / "out/")] and rendered.chart == str(tmp_path / "other")


def test_rules_and_ignores(tmp_path):
    options = load(
        tmp_path,
        "rules:\n  SL104: {severity: error}\n  sl103: note\n  SL102: {enabled: false}\n"
        "ignores:\n  - rules: [SL301]\n    paths: ['values/*.yaml']\n    values-path: 'ingress.*'\n"
        "    resource: 'Ingress/*'\n    reason: served by the CDN\n    expires: 2026-12-31\n",
    )
    assert options.severity_overrides == {"SL104": Severity.ERROR, "SL103": Severity.NOTE}
    assert "SL102" in options.ignore
    (ignore,) = options.config_ignores
    assert (
        ignore.rules == ("SL301",)
        and ignore.paths == ("values/*.yaml",)
        and ignore.values_paths == ("ingress.*",)
    )
    assert ignore.resources == ("Ingress/*",) and ignore.reason == "served by the CDN"
    assert ignore.expires == datetime.date(2026, 12, 31) and ignore.where == ".starter-lint.yaml:6"


@pytest.mark.parametrize(
    "text,expected",
    [
        (
            "fail-on: error\nfail_onn: warning\n",
            ".starter-lint.yaml:2: unknown key 'fail_onn' in the config; did you mean 'fail-on'?",
        ),
        ("fail-on: fatal\n", ".starter-lint.yaml:1: 'fail-on' must be error, warning or note"),
        ("select: {a: 1}\n", ".starter-lint.yaml:1: 'select' must be a list of strings, not a mapping"),
        ("select: [SL1, nope]\n", ".starter-lint.yaml:1: 'select': 'NOPE' is not a rule id"),
        ("jobs: 0\n", ".starter-lint.yaml:1: 'jobs' must be a positive integer"),
        ("quiet: 'yes please'\n", ".starter-lint.yaml:1: 'quiet' must be true or false"),
        (
            "\n\nignores:\n  - rules: [SL301]\n    paths: [a.yaml]\n",
            ".starter-lint.yaml:4: this ignore has no 'reason'",
        ),
        (
            "ignores:\n  - rules: [SL301]\n    reason: x\n    expires: 2026-13-45\n",
            ".starter-lint.yaml:4: 'expires' must be a date",
        ),
        (
            "ignores:\n  - rules: [SL301]\n    reason: x\n    expire: 2026-01-01\n",
            ".starter-lint.yaml:4: unknown key 'expire' in an 'ignores' entry; did you mean 'expires'?",
        ),
        ("ignores:\n  - reason: everything\n", ".starter-lint.yaml:2: this ignore matches everything"),
        (
            "rules:\n  SL1040: {severity: error}\n",
            ".starter-lint.yaml:2: unknown rule 'SL1040'; did you mean 'SL104'?",
        ),
        (
            "rules:\n  SL104: {severty: error}\n",
            ".starter-lint.yaml:2: unknown key 'severty' in rule SL104; did you mean 'severity'?",
        ),
        (
            "targets:\n  prod:\n    valeus: [a.yaml]\n",
            ".starter-lint.yaml:3: unknown key 'valeus' in target 'prod'; did you mean 'values'?",
        ),
        ("targets:\n  prod: {}\n", ".starter-lint.yaml:2: target 'prod' has nothing to check"),
        (
            "targets:\n  prod: {values: [a.yaml]}\nmanifests: [rendered/]\n",
            ".starter-lint.yaml:3: top-level 'manifests' beside 'targets' applies to no target",
        ),
        (
            "values: [common.yaml]\ntargets:\n  prod: {values: [a.yaml]}\n",
            ".starter-lint.yaml:1: top-level 'values' beside 'targets' applies to no target",
        ),
        (
            "targets:\n  prod: {values: [a.yaml]}\nset: [api.replicas=2]\n",
            ".starter-lint.yaml:3: top-level 'set' beside 'targets' applies to no target",
        ),
        (
            "ignores:\n  - rules: [SL104]\n    reason: x\n  - rules: [SL3O1]\n    reason: typo\n",
            ".starter-lint.yaml:4: 'rules': 'SL3O1' is not a rule id",
        ),
        (
            "ignores:\n  - rules: [SL3011]\n    reason: typo\n",
            ".starter-lint.yaml:2: 'rules': 'SL3011' is not a rule id",
        ),
        (
            "ignores:\n  - rules: [SL0]\n    reason: typo\n",
            ".starter-lint.yaml:2: 'rules': SL0 names no rule",
        ),
        (
            "ignores:\n  - rules: [SL309]\n    reason: typo\n",
            ".starter-lint.yaml:2: 'rules': SL309 names no rule; did you mean",
        ),
        ("- a\n- b\n", ".starter-lint.yaml:1: the config must be a mapping"),
        ("fail-on: error\nfail-on: note\n", ".starter-lint.yaml:2: not valid YAML"),
        ("a: [\n", ".starter-lint.yaml:2: not valid YAML"),
    ],
)
def test_errors_name_the_line(tmp_path, text, expected):
    assert error_of(tmp_path, text).startswith(expected)


def test_config_error_is_exit_2_with_one_line(tmp_path):
    (tmp_path / ".starter-lint.yaml").write_text("fail-on: error\nselct: [SL1]\n")
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "starter-lint: error: .starter-lint.yaml:2: unknown key 'selct' in the config; did you mean 'select'?"
    )


def test_explicit_config_and_cli_override(tmp_path):
    (tmp_path / "conf.yaml").write_text("fail-on: warning\nselect: [SL104]\n")
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    assert cli("check", "values.yaml", "--config", "conf.yaml", cwd=tmp_path).returncode == 1
    assert (
        cli("check", "values.yaml", "--config", "conf.yaml", "--fail-on", "error", cwd=tmp_path).returncode
        == 0
    )
    done = cli("check", "values.yaml", "--config", "missing.yaml", cwd=tmp_path)
    assert done.returncode == 2 and "missing.yaml: no such file" in done.stderr


def test_severity_override_changes_the_exit_code(tmp_path):
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    (tmp_path / ".starter-lint.yaml").write_text("select: [SL104]\n")
    assert cli("check", "values.yaml", cwd=tmp_path).returncode == 0
    (tmp_path / ".starter-lint.yaml").write_text("select: [SL104]\nrules:\n  SL104: {severity: error}\n")
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 1 and "error SL104" in done.stdout


def test_named_targets_are_checked_and_reported_per_target(tmp_path):
    shutil_copy = (REPO / "examples" / "values.prod.yaml").read_text()
    (tmp_path / "envs").mkdir()
    (tmp_path / "envs" / "prod.yaml").write_text(shutil_copy)
    (tmp_path / "envs" / "staging.yaml").write_text(AMBIGUOUS)
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git").mkdir()  # the config is found upward from sub/, up to the repository root
    (tmp_path / ".starter-lint.yaml").write_text(
        "select: [SL104]\ntargets:\n  prod: {values: [envs/prod.yaml]}\n  staging: {values: envs/staging.yaml}\n"
    )
    done = cli("check", "--format", "json", cwd=tmp_path / "sub")
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert [t["name"] for t in report["targets"]] == ["prod", "staging"]
    assert report["targets"][0]["findings"] == [] and report["targets"][1]["findings"][0]["rule"] == "SL104"
    # a file on the command line that a target lists is checked as that target; another file alone
    done = cli("check", "../envs/prod.yaml", "--format", "json", cwd=tmp_path / "sub")
    assert [t["name"] for t in json.loads(done.stdout)["targets"]] == ["prod"]
    (tmp_path / "envs" / "qa.yaml").write_text(AMBIGUOUS)
    done = cli("check", "../envs/qa.yaml", "../envs/staging.yaml", "--format", "json", cwd=tmp_path / "sub")
    assert [t["name"] for t in json.loads(done.stdout)["targets"]] == ["../envs/qa.yaml", "staging"]


def test_config_ignores_apply_end_to_end(tmp_path):
    (tmp_path / "values.yaml").write_text(AMBIGUOUS)
    (tmp_path / ".starter-lint.yaml").write_text(
        "fail-on: warning\nselect: [SL104]\nignores:\n  - rules: [SL104]\n    values-path: worker.*\n"
        "    reason: the chart coerces it\n"
    )
    done = cli("check", "values.yaml", cwd=tmp_path)
    assert done.returncode == 0 and "(1 suppressed)" in done.stdout


def test_a_top_level_chart_is_the_chart_of_targets_without_one(tmp_path):
    options = load(
        tmp_path,
        "chart: charts/app\ntargets:\n  prod: {values: [p.yaml]}\n"
        "  other: {values: [o.yaml], chart: charts/other}\n",
    )
    assert [t.chart for t in options.targets] == [
        str(tmp_path / "charts/app"),
        str(tmp_path / "charts/other"),
    ]
