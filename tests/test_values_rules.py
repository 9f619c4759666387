"""SL101 unknown-key, SL105 placeholder-value, SL106 unused-value through the real pipeline."""

from __future__ import annotations

import os
import textwrap

import pytest

from starter_lint.options import Options
from starter_lint.pipeline import run
from starter_lint.placeholders import is_example_host
from starter_lint.template_refs import ANY, EVERYTHING, template_references


def _lint(tmp_path, files: dict, rule: str, set_args=(), chart: dict | None = None):
    """Run one rule over `-f` files (name -> text, in order); returns its active findings."""
    options = Options(cwd=str(tmp_path), select=[rule])
    for name, text in files.items():
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        options.files.append(str(path))
    options.set = [(expression, "set") for expression in set_args]
    if chart is not None:
        directory = tmp_path / "chart"
        for name, text in {"Chart.yaml": "apiVersion: v2\nname: demo\nversion: 0.1.0\n", **chart}.items():
            (directory / name).parent.mkdir(parents=True, exist_ok=True)
            (directory / name).write_text(textwrap.dedent(text), encoding="utf-8")
        options.chart = str(directory)
        options.manifests = [str(tmp_path / "empty.yaml")]  # no render needed for values rules
        (tmp_path / "empty.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n")
    old = os.getcwd()
    os.chdir(tmp_path)
    try:
        report = run(options)
    finally:
        os.chdir(old)
    return [f for f in report.active if f.rule == rule]


def _where(findings):
    return sorted((f.location.path, f.location.line, f.logical) for f in findings)


# ---------------------------------------------------------------------------------------------
# SL101


@pytest.mark.parametrize(
    "text,logical,suggestion",
    [
        ("ingress:\n  tsl: []\n", "ingress.tsl", "did you mean ingress.tls?"),
        ("Ingress:\n  enabled: true\n", "Ingress", "did you mean ingress?"),
        (
            "externalSecrets:\n  secretStoreRefs:\n    name: x\n",
            "externalSecrets.secretStoreRefs",
            "did you mean externalSecrets.secretStoreRef?",
        ),
        (
            "api:\n  resources:\n    request:\n      cpu: 1\n",
            "api.resources.request",
            "did you mean api.resources.requests?",
        ),
        (
            "ingress:\n  hosts:\n    - hots: a.acme.io\n",
            "ingress.hosts[0].hots",
            "did you mean ingress.hosts[0].host?",
        ),
        ("zzzz: 1\n", "zzzz", "remove it or fix its name"),
    ],
)
def test_sl101_suggests_the_closest_key_at_the_same_level(tmp_path, text, logical, suggestion):
    [finding] = _lint(tmp_path, {"values.yaml": text}, "SL101")
    assert finding.logical == logical
    assert finding.message.endswith(suggestion)
    assert (
        finding.location.line
        == text.count("\n", 0, text.index(logical.split(".")[-1].split("[")[0] + ":")) + 1
    )


def test_sl101_open_maps_accept_any_key(tmp_path):
    text = """\
        api:
          env: {ANYTHING: "1", lower.case-ok: "2"}
          secrets: {WHATEVER: x}
          resources:
            limits: {nvidia.com/gpu: 1}
        externalSecrets:
          worker:
            data: {CUSTOM_KEY: prod/custom}
        global:
          anything: {goes: here}
    """
    assert _lint(tmp_path, {"values.yaml": text}, "SL101") == []


def test_sl101_reports_each_user_layer_at_its_key_and_never_the_base(tmp_path):
    findings = _lint(
        tmp_path,
        {"a.yaml": "web:\n  imag: x\n", "b.yaml": "api:\n  env: {}\n  imag: y\n"},
        "SL101",
        set_args=["worker.enabeld=true"],
    )
    assert _where(findings) == [
        ("a.yaml", 2, "web.imag"),
        ("a.yaml", 2, "worker.enabeld"),
        ("b.yaml", 3, "api.imag"),
    ] or _where(findings) == [
        ("a.yaml", 2, "web.imag"),
        ("b.yaml", 1, "worker.enabeld"),
        ("b.yaml", 3, "api.imag"),
    ]
    by_key = {f.logical: f.message for f in findings}
    assert "(set by --set)" in by_key["worker.enabeld"] and "worker.enabled" in by_key["worker.enabeld"]


CHART_VALUES = """\
    podAnnotations: {}
    affinity: ~
    tolerations: []
    extraContainers:
      - name: sidecar
        image: busybox
    api:
      image: registry/app-api:tag
      replicas: 1
"""


def test_sl101_with_a_chart_knows_its_keys_and_opens_its_empty_maps(tmp_path):
    text = """\
        podAnnotations: {team: payments}
        affinity:
          nodeAffinity: {}
        tolerations:
          - key: dedicated
            operator: Exists
        extraContainers:
          - name: other
            imagePullPolicy: Always
            image: busybox:1.36
        api:
          replicas: 3
          replica: 3
        ingress:
          tsl: []
    """
    findings = _lint(tmp_path, {"values.yaml": text}, "SL101", chart={"values.yaml": CHART_VALUES})
    assert {f.logical: f.message.rsplit("; ", 1)[1] for f in findings} == {
        "extraContainers[0].imagePullPolicy": "remove it or fix its name",
        "api.replica": "did you mean api.replicas?",
        "ingress.tsl": "did you mean ingress.tls?",
    }
    assert all("values contract or the chart's values.yaml" in f.message for f in findings)


# ---------------------------------------------------------------------------------------------
# SL105

REAL_IMAGES = "api:\n  image: registry.acme.io/app-api:1.8.2\nweb:\n  image: registry.acme.io/app-web:1.8.2\n"
REAL_HOSTS = (
    "ingress:\n  hosts:\n    - host: app.acme.io\n  tls:\n    - secretName: t\n      hosts: [app.acme.io]\n"
)


def test_sl105_base_only_placeholders_point_at_the_nearest_key_the_file_sets(tmp_path):
    text = REAL_IMAGES + "ingress:\n  className: traefik\n"
    findings = _lint(tmp_path, {"values.yaml": text}, "SL105")
    assert _where(findings) == [
        ("values.yaml", 5, "ingress.hosts[0].host"),
        ("values.yaml", 5, "ingress.tls[0].hosts[0]"),
    ]
    assert all("which your values do not override: add ingress." in f.message for f in findings)


def test_sl105_base_only_placeholder_without_an_ancestor_is_line_1(tmp_path):
    findings = _lint(
        tmp_path, {"values.yaml": "# prod\n" + REAL_HOSTS + "web:\n  image: registry.acme.io/w:1\n"}, "SL105"
    )
    assert _where(findings) == [("values.yaml", 1, "api.image")]
    assert "add api.image with the image you published" in findings[0].message


def test_sl105_user_placeholders_point_at_the_value(tmp_path):
    text = (
        REAL_IMAGES.replace("registry.acme.io/app-web:1.8.2", "registry/app-web:tag")
        + REAL_HOSTS
        + (
            "  apiHosts: [api.example.org]\n"
            "externalSecrets:\n  api:\n    data:\n      DATABASE_URL: <secret-id>\n"
        )
    )
    findings = _lint(tmp_path, {"values.yaml": text}, "SL105")
    assert _where(findings) == [
        ("values.yaml", 4, "web.image"),
        ("values.yaml", 11, "ingress.apiHosts[0]"),
        ("values.yaml", 15, "externalSecrets.api.data.DATABASE_URL"),
    ]


def test_sl105_worker_placeholders_only_when_the_worker_runs(tmp_path):
    off = _lint(tmp_path, {"values.yaml": REAL_IMAGES + REAL_HOSTS + "worker:\n  enabled: false\n"}, "SL105")
    assert off == []
    on = _lint(tmp_path, {"values.yaml": REAL_IMAGES + REAL_HOSTS + "worker:\n  enabled: true\n"}, "SL105")
    assert _where(on) == [("values.yaml", 11, "worker.image")]  # at `worker:`, the nearest key


def test_sl105_never_prints_a_secret_url(tmp_path):
    text = (
        REAL_HOSTS
        + "web:\n  image: registry.acme.io/w:1\napi:\n  image: registry.acme.io/a:1\n"
        + "  secrets:\n    DATABASE_URL: postgres://u:hunter2pw@db.example.com/app\n"
    )
    assert _lint(tmp_path, {"values.yaml": text}, "SL105") == []  # inactive path: SL204's
    text += "externalSecrets:\n  enabled: false\n"
    [finding] = _lint(tmp_path, {"values.yaml": text}, "SL105")
    assert finding.logical == "api.secrets.DATABASE_URL" and "hunter2pw" not in finding.message


def test_example_hosts():
    assert is_example_host("app.example.com") and is_example_host("*.example.org")
    assert is_example_host("EXAMPLE.NET.") and is_example_host("shop.example")
    assert not is_example_host("example.com.au") and not is_example_host("myexample.com")


# ---------------------------------------------------------------------------------------------
# SL106


def test_template_references():
    text = """\
        {{/* .Values.commented */}}
        {{- with .Values.podAnnotations }}{{ toYaml . }}{{ end }}
        {{- range $host := .Values.ingress.hosts }}{{ $host.host }}{{ end }}
        {{ index .Values "extra-labels" "team" }} {{ get .Values.api "image" }}
        {{ dig "a" "b" "fallback" .Values.deep }} {{ hasKey $.Values.web "env" }}
        {{- $values := index .root.Values .component -}}{{ $values.secretName }}
        {{- $bounds := .Values.autoscaling.api }}{{ $bounds.minReplicas }}
        {{- $unread := .Values.neverUsed }}
        {{ (index .Values.externalSecrets $c).data }} {{ .Values.worker.enabled | quote }}
    """
    assert template_references(textwrap.dedent(text)) == {
        ("podAnnotations",),
        ("ingress", "hosts"),
        ("extra-labels", "team"),
        ("api", "image"),
        ("deep", "a", "b"),
        ("web", "env"),
        (ANY, "secretName"),
        ("autoscaling", "api", "minReplicas"),
        ("externalSecrets", ANY, "data"),
        ("worker", "enabled"),
    }
    assert EVERYTHING in template_references("{{ toYaml .Values | nindent 2 }}")
    assert EVERYTHING in template_references('{{ include "x" (dict "v" $.Values) }}')


SL106_CHART = {
    "values.yaml": """\
        image: registry/app:tag
        replicas: 1
        podAnnotations: {}
        resources: {}
        hosts: []
        components:
          api: {secretName: ""}
          web: {secretName: ""}
        unusedMap:
          a: 1
    """,
    "templates/_helpers.tpl": """\
        {{- define "demo.secret" -}}
        {{- $c := index .root.Values.components .name -}}
        {{ $c.secretName | default "x" }}
        {{- end -}}
    """,
    "templates/cm.yaml": """\
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: demo
          {{- with .Values.podAnnotations }}
          annotations: {{- toYaml . | nindent 4 }}
          {{- end }}
        data:
          image: {{ .Values.image | quote }}
          hosts: {{ range .Values.hosts }}{{ .host }} {{ end }}
          resources: {{ toYaml .Values.resources | quote }}
          secret: {{ include "demo.secret" (dict "root" $ "name" "api") }}
    """,
}


def test_sl106_reports_keys_no_template_reads_at_the_key(tmp_path):
    text = """\
        image: registry.acme.io/app:1.2.0
        replicas: 3
        podAnnotations: {team: payments}
        resources:
          requests: {cpu: 100m}
        hosts:
          - host: app.acme.io
        components:
          web:
            secretName: web-secrets
            extra: 1
        unusedMap:
          a: 2
          b: 3
        global:
          shared: true
        replicaz: 2
    """
    findings = _lint(tmp_path, {"values.yaml": text}, "SL106", set_args=["unusedMap.c=1"], chart=SL106_CHART)
    # the --set one is located through provenance: the file's `unusedMap:` line
    assert _where(findings) == [
        ("values.yaml", 2, "replicas"),
        ("values.yaml", 12, "unusedMap"),
        ("values.yaml", 12, "unusedMap"),
    ]
    assert "replicas is set but no template in chart/templates reads it" in findings[0].message
    assert sum("(set by --set)" in f.message for f in findings) == 1


def test_sl106_everything_used_when_values_are_passed_whole(tmp_path):
    chart = dict(SL106_CHART)
    chart["templates/all.yaml"] = "# {{ toYaml .Values | sha256sum }}\n"
    assert _lint(tmp_path, {"values.yaml": "replicas: 3\nunusedMap: {a: 2}\n"}, "SL106", chart=chart) == []


def test_sl106_tpl_reads_what_values_reference(tmp_path):
    chart = dict(SL106_CHART)
    chart["templates/tpl.yaml"] = '# {{ tpl (.Values.image | toString) . }}\n'
    text = 'image: "registry.acme.io/app:{{ .Values.replicas }}"\nreplicas: 3\nunusedMap: {a: 2}\n'
    findings = _lint(tmp_path, {"values.yaml": text}, "SL106", chart=chart)
    assert [f.logical for f in findings] == ["unusedMap"]


def test_sl106_needs_a_chart(tmp_path):
    assert _lint(tmp_path, {"values.yaml": "api:\n  image: x\n"}, "SL106") == []


def test_sl101_leaves_anchor_holders_alone(tmp_path):
    from starter_lint.options import Options
    from starter_lint.pipeline import run

    (tmp_path / "v.yaml").write_text(
        "x-secrets: &backing\n  DATABASE_URL: prod/db\nexternalSecrets:\n  api:\n    data: *backing\n"
        "x_typo: 1\n"
    )
    report = run(Options(values_files=[str(tmp_path / "v.yaml")], select=["SL101"], cwd=str(tmp_path)))
    assert [f.logical for f in report.active] == ["x_typo"]
