"""SL101 unknown-key and SL106 unused-value over a chart with subcharts, through the real pipeline
(which subcharts are enabled is coalescing's answer: `cache.enabled` decides for redis here)."""

from __future__ import annotations

import io
import os
import tarfile
import textwrap

import pytest

from starter_lint import pipeline
from starter_lint.checks import subcharts
from starter_lint.options import Options

CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
DEPENDENCIES = """\
dependencies:
  - name: redis
    version: 0.1.0
    alias: cache
    condition: cache.enabled
  - name: postgresql
    version: ~0.1
    tags: [database]
  - name: notbuilt
    version: 1.0.0
"""


def run_without_render(tmp_path, chart, select: list) -> object:
    """The pipeline on tmp_path/values.yaml over `chart`, with tmp_path/empty.yaml as the
    manifests (the values rules need no render), run from tmp_path."""
    options = Options(cwd=str(tmp_path), select=select, chart=str(chart))
    options.files.append(str(tmp_path / "values.yaml"))
    options.manifests = [str(tmp_path / "empty.yaml")]
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        return pipeline.run(options)
    finally:
        os.chdir(old)


def _archive(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    return buffer.getvalue()


def _chart_files() -> dict[str, str | bytes]:
    return {
        "Chart.yaml": CHART.format(name="app") + DEPENDENCIES,
        "values.yaml": "replicas: 1\n",
        "templates/d.yaml": "r: {{ .Values.replicas }} g: {{ .Values.global.region }}\n",
        "charts/redis/Chart.yaml": CHART.format(name="redis"),
        "charts/redis/values.yaml": "auth:\n  password: ''\nunread: 1\n",
        "charts/redis/templates/s.yaml": "{{ .Values.auth.password }} {{ .Values.global.zone }}\n",
        "charts/postgresql-1.tgz": _archive(
            {
                "postgresql/Chart.yaml": CHART.format(name="postgresql"),
                "postgresql/values.yaml": "port: 5432\n",
                "postgresql/templates/s.yaml": "{{ .Values.port }}\n",
                "postgresql/charts/metrics/Chart.yaml": CHART.format(name="metrics"),
                "postgresql/charts/metrics/values.yaml": "interval: 30s\n",
                "postgresql/charts/metrics/templates/m.yaml": "{{ .Values.interval }}\n",
            }
        ),
    }


@pytest.fixture
def lint(tmp_path):
    """lint(values text, rule) -> (path, message) of each finding of `rule`; the chart is _chart_files()."""
    chart = tmp_path / "chart"
    for name, content in _chart_files().items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (chart / name).write_bytes(content)
        else:
            (chart / name).write_text(content, encoding="utf-8")
    (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")

    def run(values: str, rule: str) -> list:
        (tmp_path / "values.yaml").write_text(textwrap.dedent(values), encoding="utf-8")
        report = run_without_render(tmp_path, chart, [rule])
        return sorted((f.logical, f.message) for f in report.active if f.rule == rule)

    return run


def _paths(findings):
    return [path for path, _ in findings]


def test_sl101_checks_subchart_keys_against_the_subcharts_values(lint):
    values = """\
        replicas: 2
        global: {region: eu, anything: [1]}
        cache:
          enabled: true
          global: {zone: a}
          auth: {password: x}
          auht: {}
        postgresql:
          port: 1
          prot: 2
          metrics: {interval: 10s, intervall: 1}
        tags: {database: true}
        notbuilt: {whatever: {deep: 1}}
        redis: {auth: {}}
    """
    findings = lint(values, "SL101")
    assert _paths(findings) == [
        "cache.auht",
        "postgresql.metrics.intervall",
        "postgresql.prot",
        "redis",  # listed under an alias: its values live under `cache`
    ]
    messages = dict(findings)
    assert "subchart redis's values.yaml (chart/charts/redis/values.yaml)" in messages["cache.auht"]
    assert "did you mean cache.auth?" in messages["cache.auht"]
    assert (
        "postgresql-1.tgz!postgresql/charts/metrics/values.yaml" in messages["postgresql.metrics.intervall"]
    )


def test_sl101_under_a_disabled_subchart_says_it_is_disabled(lint):
    values = "cache:\n  enabled: false\n  auth: {password: x}\n  auht: 1\n"
    [(path, message)] = lint(values, "SL101")
    assert path == "cache.auht"
    assert "ignores all of subchart redis's values while it is disabled" in message


def test_sl106_reads_subchart_templates_under_the_subcharts_key(lint):
    values = """\
        replicas: 2
        global: {region: eu, zone: a, unused: 1}
        cache:
          enabled: true
          auth: {password: x}
          unread: 2
        postgresql: {port: 1, metrics: {interval: 1s}}
        tags: {database: true}
        notbuilt: {x: 1}
    """
    findings = lint(values, "SL106")
    # global.unused would be reported, but `notbuilt` is not in charts/: its templates may read it
    assert _paths(findings) == ["cache.unread"]
    assert "no template in chart/templates or in its subcharts' templates reads it" in findings[0][1]


def test_sl106_reports_an_unread_global_when_every_subchart_is_loaded(lint, tmp_path):
    chart_yaml = tmp_path / "chart" / "Chart.yaml"
    chart_yaml.write_text(chart_yaml.read_text().replace("  - name: notbuilt\n", ""))
    findings = lint("global: {region: eu, zone: a, unused: 1}\n", "SL106")
    assert _paths(findings) == ["global.unused"]


def test_sl106_leaves_a_disabled_subcharts_values_alone(lint):
    values = "cache:\n  enabled: false\n  auth: {password: x}\n  unread: 1\n"
    assert lint(values, "SL106") == []
    assert _paths(lint(values.replace("false", "true"), "SL106")) == ["cache.unread"]


def test_without_subcharts_global_is_left_alone_as_before(tmp_path):
    chart = tmp_path / "chart"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text(CHART.format(name="app"))
    (chart / "values.yaml").write_text("replicas: 1\n")
    (chart / "templates" / "d.yaml").write_text("{{ .Values.replicas }}\n")
    (tmp_path / "values.yaml").write_text("global: {x: 1}\nreplicas: 2\n")
    (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    report = run_without_render(tmp_path, chart, ["SL101", "SL106"])
    assert [(f.rule, f.logical) for f in report.active] == []  # global: known, and not SL106's to judge


def test_places_are_where_helm_gives_each_subchart_its_values(tmp_path):
    """Differential: each subchart renders `.Values.marker`; the user sets a marker at every
    place subcharts.places() names (aliases, listed and unlisted subcharts, folders in an
    archive, three levels). Helm's SDK renders each marker in the right subchart only if every
    place is right."""
    helm = pytest.importorskip("helm_python")
    from starter_lint.pipeline import build_context, plan_targets

    template = {"templates/m.yaml": "{{ .Values.marker }}\n"}
    files: dict[str, str | bytes] = {
        "Chart.yaml": CHART.format(name="app")
        + "dependencies:\n  - {name: redis, version: 0.1.0, alias: cache}\n  - {name: db, version: 0.1.0}\n",
        **template,
        "charts/redis/Chart.yaml": CHART.format(name="redis"),
        "charts/redis/templates/m.yaml": template["templates/m.yaml"],
        "charts/redis/charts/metrics/Chart.yaml": CHART.format(name="metrics"),
        "charts/redis/charts/metrics/templates/m.yaml": template["templates/m.yaml"],
        "charts/extra/Chart.yaml": CHART.format(name="extra"),
        "charts/extra/templates/m.yaml": template["templates/m.yaml"],
        "charts/db-1.tgz": _archive(
            {
                "db/Chart.yaml": CHART.format(name="db")
                + "dependencies:\n  - {name: leaf, version: 0.1.0, alias: lf}\n",
                "db/templates/m.yaml": template["templates/m.yaml"],
                "db/charts/leaf/Chart.yaml": CHART.format(name="leaf"),
                "db/charts/leaf/templates/m.yaml": template["templates/m.yaml"],
                "db/charts/leaf/charts/tip/Chart.yaml": CHART.format(name="tip"),
                "db/charts/leaf/charts/tip/templates/m.yaml": template["templates/m.yaml"],
            }
        ),
    }
    chart = tmp_path / "chart"
    for name, content in files.items():
        (chart / name).parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            (chart / name).write_bytes(content)
        else:
            (chart / name).write_text(content, encoding="utf-8")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        options = Options(chart="chart", cwd=str(tmp_path))
        ctx, _ = build_context(plan_targets(options)[0], options)
    finally:
        os.chdir(old)
    paths = [place.path for place in subcharts.places(ctx)]
    assert sorted(paths) == [
        ("cache",),
        ("cache", "metrics"),
        ("db",),
        ("db", "lf"),
        ("db", "lf", "tip"),
        ("extra",),
    ]
    user: dict = {"marker": "root"}
    for path in paths:
        node = user
        for key in path:
            node = node.setdefault(key, {})
        node["marker"] = "-".join(path)
    with helm.Chart.load(str(chart)) as loaded:
        rendered = loaded.render(user)
    assert sorted(text.strip() for text in rendered.values() if text.strip()) == sorted(
        ["root", *("-".join(path) for path in paths)]
    )
