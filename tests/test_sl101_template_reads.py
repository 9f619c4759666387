"""SL101 knows the keys a chart's templates read, not only those its values.yaml holds: a
subchart's `.Values.fullnameOverride` that its values.yaml omits is not a key Helm ignores.
Checked through the real pipeline, and against Helm's SDK: a key SL101 accepts because a
template reads it changes the render; a key it reports does not."""

from __future__ import annotations

import random

import pytest

from starter_lint.findings import Severity

from .support import NEEDS_HELM_SDK
from .test_values_rules import _lint

CHART = "apiVersion: v2\nname: {name}\nversion: 0.1.0\n"
PG_TEMPLATE = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Values.fullnameOverride | default "pg" }}
  labels: {{- toYaml (.Values.commonLabels | default dict) | nindent 4 }}
data:
  tz: {{ .Values.timezone | default "UTC" | quote }}
  user: {{ .Values.auth.username | quote }}
"""


def _chart(files: dict, subchart: dict | None = None, top_values: str = "replicas: 1\n") -> dict:
    """A chart's files (templates, values) with `subchart`'s files as charts/postgresql."""
    chart = {"Chart.yaml": CHART.format(name="app"), "values.yaml": top_values, **files}
    if subchart is not None:
        chart["charts/postgresql/Chart.yaml"] = CHART.format(name="postgresql")
        chart.update({f"charts/postgresql/{name}": text for name, text in subchart.items()})
    return chart


def _findings(tmp_path, chart: dict, values: str, rule: str = "SL101") -> dict:
    """{logical path: message} of `rule`'s findings for the -f file `values` against `chart`
    (written to tmp_path/chart)."""
    return {f.logical: f.message for f in _lint(tmp_path, {"values.yaml": values}, rule, chart=chart)}


def _postgresql(template: str = PG_TEMPLATE, condition: str = "") -> dict:
    chart_yaml = CHART.format(name="app")
    if condition:
        chart_yaml += f"dependencies:\n  - name: postgresql\n    version: 0.1.0\n    condition: {condition}\n"
    subchart = {
        "values.yaml": "auth:\n  username: ''\n  password: ''\nport: 5432\n",
        "templates/cm.yaml": template,
    }
    return _chart({"Chart.yaml": chart_yaml, "templates/d.yaml": "{{ .Values.replicas }}\n"}, subchart)


def test_keys_a_subcharts_templates_read_are_known_and_suggested(tmp_path):
    chart = _postgresql()
    findings = _findings(
        tmp_path,
        chart,
        """\
        postgresql:
          fullnameOverride: mydb
          commonLabels: {team: data, tier: {deep: 1}}
          timezon: Europe/Paris
          auth: {username: app, usrname: x}
        """,
    )
    assert sorted(findings) == ["postgresql.auth.usrname", "postgresql.timezon"]
    assert "did you mean postgresql.timezone?" in findings["postgresql.timezon"]
    assert "no template of postgresql reads it" in findings["postgresql.timezon"]
    # a map the values.yaml names keys of keeps them: auth is read key by key
    assert "did you mean postgresql.auth.username?" in findings["postgresql.auth.usrname"]


def test_a_subchart_reading_values_whole_still_has_its_values_yamls_keys(tmp_path):
    # a checksum of `.Values` reads every key, but a typo is a typo: it opens nothing
    chart = _postgresql(template="checksum: {{ toYaml .Values | sha256sum }}\n")
    values = "postgresql:\n  anything: 1\n  auth: {usrname: x}\nreplicsa: 2\n"
    assert sorted(_findings(tmp_path, chart, values)) == [
        "postgresql.anything",
        "postgresql.auth.usrname",
        "replicsa",
    ]


def test_a_subchart_map_read_whole_keeps_the_keys_its_values_yaml_names(tmp_path):
    # Bitnami's image helper gets `.Values.image` whole and reads a few keys of it
    template = (
        '{{ include "pg.image" (dict "imageRoot" .Values.image) }} {{ toYaml .Values.auth }}'
        " {{ .Values.port }}\n"
        '{{- define "pg.image" -}}{{ .imageRoot.registry }}/{{ .imageRoot.repository }}{{- end }}\n'
    )
    chart = _postgresql(template=template)
    chart["charts/postgresql/values.yaml"] += "image: {registry: r, repository: p, tag: '1'}\n"
    values = "postgresql:\n  image: {tg: '2'}\n  auth: {usrname: x}\n  prot: 1\n"
    findings = _findings(tmp_path, chart, values)
    assert sorted(findings) == ["postgresql.auth.usrname", "postgresql.image.tg", "postgresql.prot"]
    assert "did you mean postgresql.image.tag?" in findings["postgresql.image.tg"]
    assert "did you mean postgresql.auth.username?" in findings["postgresql.auth.usrname"]


def test_a_key_below_a_subchart_map_read_whole_is_a_warning_that_says_it_may_be_rendered(tmp_path):
    # `seccompProfile` may be a real field the map hands whole to the manifest: no claim Helm ignores it
    template = "{{ omit .Values.primary.podSecurityContext \"enabled\" | toYaml }} {{ .Values.port }}\n"
    chart = _postgresql(template=template)
    chart["charts/postgresql/values.yaml"] += (
        "primary:\n  podSecurityContext: {enabled: true, fsGroup: 1001}\n"
    )
    values = "postgresql:\n  primary:\n    podSecurityContext: {seccompProfile: {type: x}, fsGrop: 1}\n"
    findings = {f.logical: f for f in _lint(tmp_path, {"values.yaml": values}, "SL101", chart=chart)}
    assert sorted(findings) == [
        "postgresql.primary.podSecurityContext.fsGrop",
        "postgresql.primary.podSecurityContext.seccompProfile",
    ]
    assert {f.severity for f in findings.values()} == {Severity.WARNING}
    typo = findings["postgresql.primary.podSecurityContext.fsGrop"].message
    assert typo == (
        "postgresql.primary.podSecurityContext.fsGrop is not a key of postgresql's values.yaml; a template"
        " of postgresql reads postgresql.primary.podSecurityContext whole, so it may still reach the"
        " manifest: check the spelling (did you mean postgresql.primary.podSecurityContext.fsGroup?)"
    )
    real = findings["postgresql.primary.podSecurityContext.seccompProfile"].message
    assert real.endswith("may still reach the manifest: check the spelling")
    assert "ignores" not in typo + real and "no template" not in typo + real


def test_a_key_below_a_subchart_map_nobody_reads_whole_stays_an_error(tmp_path):
    chart = _postgresql()  # auth is read key by key (`.Values.auth.username`), never whole
    findings = _lint(tmp_path, {"values.yaml": "postgresql:\n  auth: {usrname: x}\n"}, "SL101", chart=chart)
    assert [(f.logical, f.severity) for f in findings] == [("postgresql.auth.usrname", Severity.ERROR)]
    assert "so Helm ignores it; did you mean postgresql.auth.username?" in findings[0].message


def test_a_subchart_map_read_whole_takes_any_key_where_values_yaml_has_none(tmp_path):
    # an empty map, a null, or nothing at all in values.yaml: every key set there is rendered
    template = "{{ toYaml .Values.resources }} {{ toYaml .Values.podLabels }} {{ toYaml .Values.extra }}\n"
    chart = _postgresql(template=template)
    chart["charts/postgresql/values.yaml"] += "resources: {}\npodLabels: ~\n"
    values = "postgresql:\n  resources: {limits: {cpu: 1}}\n  podLabels: {a: b}\n  extra: {c: {d: 1}}\n"
    assert _findings(tmp_path, chart, values) == {}


def test_the_top_charts_values_read_whole_opens_nothing(tmp_path):
    template = "checksum: {{ toYaml .Values | sha256sum }}\n"
    chart = _chart({"templates/cm.yaml": template}, top_values="custom: {a: 1}\n")
    values = "custom: {a: 2, b: 3}\ncustm: {b: 2}\n"
    assert sorted(_findings(tmp_path, chart, values)) == ["custm", "custom.b"]


def test_a_disabled_subcharts_template_reads_count_too(tmp_path):
    chart = _postgresql(condition="postgresql.enabled")
    values = "postgresql:\n  enabled: false\n  fullnameOverride: db\n  timezon: UTC\n"
    findings = _findings(tmp_path, chart, values)
    assert sorted(findings) == ["postgresql.timezon"]
    assert "while it is disabled" in findings["postgresql.timezon"]


def test_the_top_charts_template_reads_are_known_but_the_contract_still_decides_its_maps(tmp_path):
    template = "{{ .Values.extraThing }} {{ toYaml .Values.ingress }} {{ toYaml .Values.custom }}\n"
    chart = _chart({"templates/cm.yaml": template}, top_values="custom: {a: 1}\n")
    values = """\
        extraThing: 1
        extraThng: 2
        custom: {b: 2}
        ingress:
          tsl: []
    """
    findings = _findings(tmp_path, chart, values)
    assert sorted(findings) == ["extraThng", "ingress.tsl"]
    assert "did you mean extraThing?" in findings["extraThng"]
    assert "and no template of the chart reads it" in findings["extraThng"]
    # the contract names ingress's keys: reading the map whole does not make a typo there known
    assert "did you mean ingress.tls?" in findings["ingress.tsl"]


def test_a_computed_key_names_no_key_and_stays_out_of_subcharts(tmp_path):
    template = '{{ range $c := list "api" }}{{ (index $.Values $c).extra }}{{ end }}\n'
    chart = _chart(
        {"templates/cm.yaml": template},
        subchart={"values.yaml": "port: 1\n"},
        top_values="api: {image: x}\nweb: {image: y}\n",
    )
    values = "api: {extra: 1}\nweb: {extra: 2}\nautoscalling: {}\npostgresql: {extra: 3}\n"
    assert sorted(_findings(tmp_path, chart, values)) == ["autoscalling", "postgresql.extra"]


def test_tpl_references_in_values_are_known(tmp_path):
    template = "{{ tpl .Values.message . }}\n"
    chart = _chart({"templates/cm.yaml": template}, top_values="message: hi\n")
    values = 'message: "{{ .Values.fromTpl }}"\nfromTpl: x\nstray: y\n'
    assert sorted(_findings(tmp_path, chart, values)) == ["stray"]


def test_sl106_wording(tmp_path):
    chart = _postgresql()
    findings = _findings(tmp_path, chart, "postgresql:\n  port: 1\n", rule="SL106")
    assert (
        "no template in chart/templates or in its subcharts' templates reads it"
        in findings["postgresql.port"]
    )


@pytest.mark.parametrize("seed", range(6))
def test_keys_sl101_accepts_change_helms_render_and_keys_it_reports_do_not(tmp_path, seed):
    """Differential: a subchart whose templates read a random choice of keys (leaf, map whole,
    with a default), none in its values.yaml. For each candidate key, SL101 reports it exactly
    when setting it leaves the SDK's render unchanged."""
    try:
        import helm_python as helm
    except ImportError as exc:
        pytest.skip(f"{NEEDS_HELM_SDK} ({exc})")
    rng = random.Random(seed)
    names = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"]
    read = rng.sample(names, 3)
    forms = [
        "{{{{ .Values.{k} | default \"d\" }}}}",
        "{{{{ toYaml (.Values.{k} | default dict) }}}}",
        "{{{{ with .Values.{k} }}}}{{{{ toJson . }}}}{{{{ end }}}}",
        "{{{{ index .Values \"{k}\" | default \"d\" | toJson }}}}",
    ]
    lines = [f"{k}: {rng.choice(forms).format(k=k)}" for k in read]
    template = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pg\ndata:\n  x: |\n" + "".join(
        f"    {line}\n" for line in lines
    )
    chart = _postgresql(template=template)
    _findings(tmp_path, chart, "{}\n")  # writes the chart to tmp_path/chart
    candidates = [*names, *(k[:-1] for k in read)]  # typos of the read keys, too
    with helm.Chart.load(str(tmp_path / "chart")) as loaded:
        plain = loaded.render({})
        for key in candidates:
            value = {"v": f"set-{key}"} if rng.random() < 0.5 else f"set-{key}"
            changed = loaded.render({"postgresql": {key: value}}) != plain
            reported = f"postgresql.{key}" in _findings(tmp_path, chart, f"postgresql:\n  {key}: {value!r}\n")
            assert reported == (not changed), (key, value, template)


def test_whole_reads_below_a_subchart_agree_with_helms_render(tmp_path):
    """Differential, hand-written: a map handed whole to a helper that reads a few of its keys
    (Bitnami's image helper), and an empty map rendered whole. SL101 reports a key exactly when
    setting it leaves the SDK's render unchanged. (A map values.yaml names keys of that is
    rendered whole, `toYaml .Values.auth` or a `toYaml .Values` checksum, is left out: there a
    typo does change the render, and SL101 reports it all the same.)"""
    try:
        import helm_python as helm
    except ImportError as exc:
        pytest.skip(f"{NEEDS_HELM_SDK} ({exc})")
    template = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pg\ndata:\n"
        '  img: {{ include "pg.image" (dict "imageRoot" .Values.image) | quote }}\n'
        "  res: {{ toYaml .Values.resources | quote }}\n"
        '{{- define "pg.image" -}}{{ .imageRoot.registry }}/{{ .imageRoot.repository }}{{- end }}\n'
    )
    chart = _postgresql(template=template)
    chart["charts/postgresql/values.yaml"] += "image: {registry: r, repository: p}\nresources: {}\n"
    _findings(tmp_path, chart, "{}\n")  # writes the chart to tmp_path/chart
    candidates = [
        ("image", "registry"),
        ("image", "tg"),
        ("image", "repo"),
        ("resources", "limits"),
        ("resources", "x"),
    ]
    with helm.Chart.load(str(tmp_path / "chart")) as loaded:
        plain = loaded.render({})
        for parent, key in candidates:
            changed = loaded.render({"postgresql": {parent: {key: "v"}}}) != plain
            values = f"postgresql:\n  {parent}:\n    {key}: v\n"
            reported = f"postgresql.{parent}.{key}" in _findings(tmp_path, chart, values)
            assert reported == (not changed), (parent, key)
