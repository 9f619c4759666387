"""SL801–SL807 on the reference chart rendered by Helm's SDK: the clean render is clean, and each
way of breaking it (values or a patched template in a copy of the chart) gives the finding,
pointing at the rendered node and naming the template that produced it."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from starter_lint import pointer, render
from starter_lint.checks.contract import covered
from starter_lint.manifests.model import ManifestObject
from starter_lint.manifests.workloads import container_roles, pod_template, port_number, repository
from starter_lint.options import Options
from starter_lint.pipeline import run

from .support import NEEDS_HELM_SDK, REPO

CHART = REPO / "examples" / "chart"
PROD = REPO / "examples" / "values.prod.yaml"

pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)


@pytest.fixture(autouse=True)
def sdk_only(monkeypatch):
    """Render with Helm's SDK even where a helm binary is installed: one renderer, same output."""
    real_which = shutil.which
    monkeypatch.setattr(
        render.shutil, "which", lambda name, *a, **k: None if name == "helm" else real_which(name, *a, **k)
    )


def check_chart(tmp_path, values_text=None, chart=CHART, files=(PROD,), select=("SL8",)):
    paths = [str(f) for f in files]
    if values_text is not None:
        extra = tmp_path / "override.yaml"
        extra.write_text(textwrap.dedent(values_text), encoding="utf-8")
        paths.append(str(extra))
    report = run(Options(files=paths, chart=str(chart), cwd=str(tmp_path), select=list(select)))
    return report.active


def patched_chart(tmp_path, template: str, old: str, new: str):
    chart = tmp_path / "chart"
    if not chart.exists():
        shutil.copytree(CHART, chart)
    path = chart / "templates" / template
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {template}"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return chart


def only(findings, rule):
    hits = [f for f in findings if f.rule == rule]
    assert hits, f"no {rule}; got {[(f.rule, f.message) for f in findings]}"
    return hits


# ---------------------------------------------------------------------------------------------
# Clean renders


def test_clean_prod_render_has_no_cross_resource_finding(tmp_path):
    assert check_chart(tmp_path) == []


def test_static_secrets_render_is_clean_too(tmp_path):
    findings = check_chart(
        tmp_path,
        """
        externalSecrets: {enabled: false}
        api:
          secrets: {DATABASE_URL: "postgres://db/app", REDIS_URL: "redis://cache:6379/0"}
        worker:
          secrets: {DATABASE_URL: "postgres://db/app"}
        """,
    )
    assert findings == []


# ---------------------------------------------------------------------------------------------
# Broken renders


def test_sl801_hpa_scales_a_renamed_deployment(tmp_path):
    chart = patched_chart(
        tmp_path,
        "hpa.yaml",
        "    name: {{ include \"starter.componentName\" $ctx }}\n  minReplicas",
        "    name: {{ include \"starter.componentName\" $ctx }}-v2\n  minReplicas",
    )
    hits = only(check_chart(tmp_path, chart=chart), "SL801")
    assert {f.logical for f in hits} == {
        "HorizontalPodAutoscaler/starter-api#/spec/scaleTargetRef/name",
        "HorizontalPodAutoscaler/starter-web#/spec/scaleTargetRef/name",
    }
    assert all(f.template == "starter/templates/hpa.yaml" for f in hits)
    assert any("starter-api-v2" in f.message and "starter-api" in f.message for f in hits)
    assert all(f.location.path.startswith("<rendered ") for f in hits)


def test_sl801_min_above_max(tmp_path):
    hits = only(check_chart(tmp_path, "autoscaling: {web: {minReplicas: 8, maxReplicas: 4}}\n"), "SL801")
    assert [f.logical for f in hits] == ["HorizontalPodAutoscaler/starter-web#/spec/minReplicas"]
    assert "minReplicas 8 above maxReplicas 4" in hits[0].message


def test_sl802_selector_typo(tmp_path):
    chart = patched_chart(
        tmp_path,
        "services.yaml",
        '{{- include "starter.selectorLabels" $ctx | nindent 4 }}',
        '{{- include "starter.selectorLabels" (dict "root" $ "component" (printf "%sx" $component)) | nindent 4 }}',
    )
    hits = only(check_chart(tmp_path, chart=chart), "SL802")
    assert {f.logical for f in hits} == {
        "Service/starter-api#/spec/selector/app.kubernetes.io~1component",
        "Service/starter-web#/spec/selector/app.kubernetes.io~1component",
    }
    assert all(f.template == "starter/templates/services.yaml" for f in hits)
    web = next(f for f in hits if "starter-web" in f.logical)
    assert (
        "app.kubernetes.io/component=webx" in web.message and "app.kubernetes.io/component=web" in web.message
    )


def test_sl802_target_port_not_declared(tmp_path):
    chart = patched_chart(tmp_path, "services.yaml", "targetPort: http", "targetPort: https")
    hits = only(check_chart(tmp_path, chart=chart), "SL802")
    assert len(hits) == 2 and all("'https'" in f.message for f in hits)
    assert all(f.logical.endswith("#/spec/ports/0/targetPort") for f in hits)


def test_sl803_api_host_routes_to_a_missing_service(tmp_path):
    chart = patched_chart(
        tmp_path,
        "ingress.yaml",
        '{{- $api := include "starter.componentName" (dict "root" $ "component" "api") -}}',
        '{{- $api := "starter-backend" -}}',
    )
    hits = only(check_chart(tmp_path, chart=chart), "SL803")
    assert [f.logical for f in hits] == ["Ingress/starter#/spec/rules/1/http/paths/0/backend/service/name"]
    assert hits[0].template == "starter/templates/ingress.yaml"
    assert "starter-backend" in hits[0].message and "starter-api" in hits[0].message


def test_sl803_port_the_service_does_not_offer(tmp_path):
    chart = patched_chart(
        tmp_path, "ingress.yaml", "                  name: http", "                  number: 8080"
    )
    hits = only(check_chart(tmp_path, chart=chart), "SL803")
    assert len(hits) == 3
    assert all(f.logical.endswith("/backend/service/port/number") and "offers 80" in f.message for f in hits)


def test_sl804_host_without_tls(tmp_path):
    hits = only(
        check_chart(
            tmp_path,
            """
        ingress:
          hosts:
            - host: app.acme-corp.io
            - host: Admin.acme-corp.io
        """,
        ),
        "SL804",
    )
    assert [f.logical for f in hits] == ["Ingress/starter#/spec/rules/1/host"]
    assert hits[0].template == "starter/templates/ingress.yaml"
    assert "Admin.acme-corp.io" in hits[0].message


def test_sl804_api_host_without_api_tls(tmp_path):
    hits = only(check_chart(tmp_path, "ingress: {apiTls: []}\n"), "SL804")
    assert [f.logical for f in hits] == ["Ingress/starter#/spec/rules/1/host"]
    assert "api.acme-corp.io" in hits[0].message


def test_sl804_wildcard_tls_covers_the_rendered_hosts(tmp_path):
    findings = check_chart(
        tmp_path,
        """
        ingress:
          tls:
            - secretName: wildcard-tls
              hosts: ["*.acme-corp.io"]
          apiTls: []
        """,
    )
    assert [f for f in findings if f.rule == "SL804"] == []


def test_sl805_secret_nobody_renders(tmp_path):
    chart = patched_chart(tmp_path, "secrets.yaml", 'list "api" "web" "worker"', 'list "api" "web"')
    hits = only(check_chart(tmp_path, chart=chart), "SL805")
    assert [f.logical for f in hits] == [
        "Deployment/starter-worker#/spec/template/spec/containers/0/envFrom/0/secretRef/name"
    ]
    assert hits[0].template == "starter/templates/worker-deployment.yaml"
    assert "starter-worker-secrets" in hits[0].message


def test_sl805_secret_name_override_in_one_place_only(tmp_path):
    chart = patched_chart(
        tmp_path,
        "_helpers.tpl",
        "name: {{ include \"starter.secretName\" . }}",
        "name: {{ include \"starter.componentName\" . }}-env",
    )
    hits = only(check_chart(tmp_path, chart=chart), "SL805")
    assert {f.logical.split("#")[0] for f in hits} == {"Deployment/starter-api", "Deployment/starter-worker"}


def test_sl806_api_with_billing_on_and_three_replicas(tmp_path):
    hits = only(
        check_chart(
            tmp_path,
            """
        worker: {enabled: false}
        autoscaling: {api: {minReplicas: 3, maxReplicas: 3}}
        """,
        ),
        "SL806",
    )
    assert sorted(f.message.split(" (")[0] for f in hits) == [
        "Deployment starter-api container api runs billing retries",
        "Deployment starter-api container api runs billing stream replay",
    ]
    assert all("up to 3 replicas" in f.message for f in hits)
    assert {f.message.split(", so ")[1].split(";")[0] for f in hits} == {
        "every replica runs billing retries at the same time",
        "every replica runs billing stream replay at the same time",
    }
    assert all(f.template == "starter/templates/api-deployment.yaml" for f in hits)


def test_sl806_api_env_turns_retries_back_on_next_to_the_worker(tmp_path):
    hits = only(check_chart(tmp_path, 'api: {env: {ENABLE_BILLING_RETRY_WORKER: "true"}}\n'), "SL806")
    assert len(hits) == 1
    finding = hits[0]
    assert finding.logical.startswith("Deployment/starter-api#/spec/template/spec/containers/0/env/")
    assert finding.logical.endswith("/value") and "billing retries" in finding.message
    assert finding.template == "starter/templates/api-deployment.yaml"


@pytest.mark.parametrize("value,fires", [('"0"', False), ('"no"', False), ('"1"', True), ('"maybe"', True)])
def test_sl806_reads_the_flag_as_sl401_does(tmp_path, value, fires):
    # one reading of the flag (flags.read_flag) on both sides: "0" is off for SL806 and SL401 alike
    override = f"api: {{env: {{ENABLE_BILLING_RETRY_WORKER: {value}}}}}\n"
    findings = check_chart(tmp_path, override, select=("SL806", "SL401"))
    # SL806 sees the consequence of SL401's cause: it is the SL401 finding's related location
    findings = [f for owner in findings for f in (owner,) + owner.related]
    assert sorted({f.rule for f in findings}) == (["SL401", "SL806"] if fires else [])
    assert all("billing retries" in f.message for f in findings if f.rule == "SL806")


def test_sl806_single_replica_api_without_worker_is_fine(tmp_path):
    findings = check_chart(tmp_path, "worker: {enabled: false}\nautoscaling: {enabled: false}\n")
    assert [f for f in findings if f.rule == "SL806"] == []


def test_sl807_web_probe_on_the_api_path(tmp_path):
    chart = patched_chart(tmp_path, "web-deployment.yaml", "path: /api/health/ready", "path: /health/ready")
    hits = only(check_chart(tmp_path, chart=chart), "SL807")
    assert [f.logical for f in hits] == [
        "Deployment/starter-web#/spec/template/spec/containers/0/readinessProbe/httpGet/path"
    ]
    assert hits[0].template == "starter/templates/web-deployment.yaml"
    assert "/api/health/ready" in hits[0].message


def test_sl807_api_probe_removed(tmp_path):
    chart = patched_chart(tmp_path, "api-deployment.yaml", "readinessProbe:", "startupProbe:")
    hits = only(check_chart(tmp_path, chart=chart), "SL807")
    assert [f.logical for f in hits] == ["Deployment/starter-api#/spec/template/spec/containers/0/name"]
    assert "has no readiness probe" in hits[0].message


def test_sl807_sidecars_beside_the_api_are_not_the_api(tmp_path):
    chart = patched_chart(
        tmp_path,
        "api-deployment.yaml",
        "      containers:\n",
        "      containers:\n        - name: cloudsql-proxy\n"
        "          image: gcr.io/cloud-sql-connectors/cloud-sql-proxy:2.11.0\n",
    )
    assert check_chart(tmp_path, chart=chart) == []


def test_findings_point_into_the_rendered_stream(tmp_path):
    chart = patched_chart(tmp_path, "web-deployment.yaml", "path: /api/health/ready", "path: /ready")
    options = Options(files=[str(PROD)], chart=str(chart), cwd=str(tmp_path), select=["SL807"])
    report = run(options)
    finding = only(report.active, "SL807")[0]
    text = report.sources[finding.location.path]
    assert text.splitlines()[finding.location.line - 1].strip() == "path: /ready"


# ---------------------------------------------------------------------------------------------
# Building blocks


@pytest.mark.parametrize(
    "host,tls,expected",
    [
        ("app.acme-corp.io", ["app.acme-corp.io"], True),
        ("APP.acme-corp.io", ["app.ACME-corp.io"], True),
        ("app.acme-corp.io", ["*.acme-corp.io"], True),
        ("acme-corp.io", ["*.acme-corp.io"], False),
        ("a.b.acme-corp.io", ["*.acme-corp.io"], False),
        ("*.acme-corp.io", ["*.acme-corp.io"], True),
        ("*.acme-corp.io", ["app.acme-corp.io"], False),
        ("app.acme-corp.io", [], False),
        ("app.acme-corp.io.", ["app.acme-corp.io"], True),  # one trailing dot: the same DNS name
        ("app.acme-corp.io", ["*.acme-corp.io."], True),
        ("app.acme-corp.io..", ["app.acme-corp.io"], False),
    ],
)
def test_host_covered(host, tls, expected):
    # SL804 reads coverage as SL301/SL304 do: one function (contract.covered)
    assert covered(host, tls) is expected


def roles(name, *containers):
    obj = ManifestObject(
        {
            "kind": "Deployment",
            "metadata": {"name": name},
            "spec": {
                "template": {
                    "metadata": {"labels": {}},
                    "spec": {"containers": [{"name": c} for c in containers]},
                }
            },
        },
        "x",
        0,
        1,
    )
    return [role for _, _, role in container_roles(pod_template(obj))]


def test_container_roles_from_names_and_words():
    assert roles("starter-api", "api") == ["api"]
    assert roles("myapi-starter-worker", "worker") == ["worker"]
    # the workload's name speaks for its first container only when no container name does
    assert roles("starter-web", "app", "nginx-sidecar") == ["web", None]
    assert roles("starter-api", "api", "cloudsql-proxy") == ["api", None]
    assert roles("rapid", "main") == [None]


def test_image_repository():
    assert (
        repository({"image": "registry.example.org:5000/app-api:1.8.2"})
        == "registry.example.org:5000/app-api"
    )
    # Docker Hub names resolve as a registry does: `app-api` is docker.io/library/app-api
    assert repository({"image": "app-api@sha256:abc"}) == "docker.io/library/app-api"
    assert repository({"image": "acme/app-api:1"}) == repository({"image": "docker.io/acme/app-api:2"})
    assert repository({"image": 3}) is None and repository({}) is None


def test_pointers_follow_rfc_6901():
    assert pointer.build("spec", "a/b", 0, "~x") == "/spec/a~1b/0/~0x"
    assert pointer.tokens("") == [] and pointer.tokens("/") == [""]  # "" the root, "/" the key ""
    assert pointer.tokens(pointer.build("a/b", "~1")) == ["a/b", "~1"]
    assert pointer.value_at({"": 1, "a": [5, 6]}, "/") == 1
    assert pointer.value_at({"a": [5, 6]}, "/a/1") == 6 and pointer.value_at({"a": [5, 6]}, "") == {
        "a": [5, 6]
    }
    assert (
        pointer.value_at({"a": [5, 6]}, "/a/01") is None and pointer.value_at({"a": [5, 6]}, "/a/²") is None
    )
    assert pointer.path("/spec/ports/0/port") == ("spec", "ports", 0, "port")


def test_port_number_reads_only_ascii_decimal_strings():
    assert port_number("8080") == 8080 and port_number(8080) == 8080
    assert port_number("http") is None and port_number("²") is None and port_number("٣") is None
    assert port_number(True) is None and port_number(10**400) is None


# ---------------------------------------------------------------------------------------------
# Given manifests: namespaces, hooks, optional references


def check_manifests(tmp_path, text, select, namespace="default"):
    path = tmp_path / "rendered.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return run(Options(manifests=[str(path)], cwd=str(tmp_path), select=[select], namespace=namespace)).active


DEPLOYMENT = """
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: starter-api
      namespace: {namespace}
    spec:
      selector:
        matchLabels: {{app: api}}
      template:
        metadata:
          labels: {{app: api}}
        spec:
          containers:
            - name: api
              image: registry.example.org/app-api:1.8.2
              ports: [{{name: http, containerPort: 8000}}]
    """


def test_references_do_not_cross_namespaces(tmp_path):
    text = (
        DEPLOYMENT.format(namespace="prod")
        + """
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: starter-api
      namespace: staging
    spec:
      selector: {app: api}
      ports: [{port: 80, targetPort: http}]
    """
    )
    hits = check_manifests(tmp_path, text, "SL802")
    assert [f.logical for f in hits] == ["Service/staging/starter-api#/spec/selector"]
    assert "no workload is rendered in its namespace" in hits[0].message


def test_objects_without_namespace_are_in_the_release_namespace(tmp_path):
    text = (
        DEPLOYMENT.format(namespace="prod")
        + """
    ---
    apiVersion: v1
    kind: Service
    metadata:
      name: starter-api
    spec:
      selector: {app: api}
      ports: [{port: 80, targetPort: http}]
    """
    )
    assert check_manifests(tmp_path, text, "SL802", namespace="prod") == []
    assert len(check_manifests(tmp_path, text, "SL802", namespace="default")) == 1


def test_hooks_do_not_count_for_billing_and_probes(tmp_path):
    text = """
    apiVersion: v1
    kind: Pod
    metadata:
      name: starter-api-test
      annotations: {"helm.sh/hook": test}
    spec:
      containers:
        - name: api
          image: registry.example.org/app-api:1.8.2
    ---
    apiVersion: apps/v1
    kind: DaemonSet
    metadata:
      name: starter-worker
    spec:
      selector:
        matchLabels: {app: worker}
      template:
        metadata:
          labels: {app: worker}
        spec:
          containers:
            - name: worker
              image: registry.example.org/app-api:1.8.2
              env:
                - {name: ENABLE_BILLING_RETRY_WORKER, value: "false"}
                - {name: ENABLE_BILLING_STREAM_REPLAY, value: "FALSE"}
    """
    assert check_manifests(tmp_path, text, "SL807") == []
    assert check_manifests(tmp_path, text, "SL806") == []


def test_daemonset_api_runs_on_every_node(tmp_path):
    text = DEPLOYMENT.format(namespace="prod").replace("kind: Deployment", "kind: DaemonSet")
    hits = check_manifests(tmp_path, text, "SL806")
    assert len(hits) == 2 and all("one per node" in f.message for f in hits)


def test_optional_and_controller_filled_secrets_are_not_reported(tmp_path):
    text = """
    apiVersion: v1
    kind: Secret
    metadata:
      name: token
      annotations: {kubernetes.io/service-account.name: starter}
    type: kubernetes.io/service-account-token
    ---
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: starter-api
    spec:
      selector:
        matchLabels: {app: api}
      template:
        metadata:
          labels: {app: api}
        spec:
          volumes:
            - name: extra
              secret: {secretName: extra-config, optional: true}
            - name: token
              projected:
                sources:
                  - secret: {name: token}
          containers:
            - name: api
              image: registry.example.org/app-api:1.8.2
              env:
                - name: TOKEN
                  valueFrom:
                    secretKeyRef: {name: token, key: token}
    """
    assert check_manifests(tmp_path, text, "SL805") == []
    hits = check_manifests(
        tmp_path, text.replace("- secret: {name: token}", "- secret: {name: tokn}"), "SL805"
    )
    assert [f.logical for f in hits] == [
        "Deployment/starter-api#/spec/template/spec/volumes/1/projected/sources/0/secret/name"
    ]
