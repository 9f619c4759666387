"""Wrong-typed fields must never crash a rule: SL701 / SL100 report the type, every other rule skips
what it cannot read. A valid rendered release (the reference chart with the production values, plus
a few hand-written objects for the reference shapes the chart does not render) and a valid values
file get random fields replaced by values of the wrong type; the whole rule set runs in-process.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from starter_lint import render
from starter_lint.catalog import load_catalog
from starter_lint.options import Options
from starter_lint.pipeline import Report, build_context, plan_targets, run
from starter_lint.tree import walk
from starter_lint.values.load import _contract_defaults

from .support import NEEDS_HELM_SDK, REPO

CHART = REPO / "examples" / "chart"
PROD = REPO / "examples" / "values.prod.yaml"
CATALOG = load_catalog()

# objects the chart does not render, for the reference shapes the cross-resource rules read
EXTRA = """
apiVersion: v1
kind: Pod
metadata: {name: starter-api-debug, labels: {app: debug}}
spec:
  containers:
    - name: api
      image: registry.example.org/starter/app-api:1.8.2
      ports: [{name: http, containerPort: 8000}]
      envFrom: [{secretRef: {name: starter-api-secrets}}, {configMapRef: {name: settings}}]
      env:
        - {name: ENABLE_BILLING_RETRY_WORKER, value: "0"}
        - {name: ENABLE_BILLING_STREAM_REPLAY, value: "No"}
        - {name: DATABASE_URL, valueFrom: {secretKeyRef: {name: starter-api-secrets, key: DATABASE_URL}}}
      readinessProbe: {httpGet: {path: /health/ready, port: http}}
  volumes:
    - {name: certs, secret: {secretName: starter-api-secrets}}
    - {name: both, projected: {sources: [{secret: {name: starter-api-secrets}}]}}
---
apiVersion: v1
kind: Service
metadata: {name: starter-debug}
spec:
  selector: {app: debug}
  ports: [{name: http, port: 80, targetPort: http}, {port: 81, targetPort: "8000"}]
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: starter-worker-cron}
spec:
  schedule: "* * * * *"
  jobTemplate: {spec: {template: {spec: {containers: [{name: worker, image: app:1}]}}}}
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: starter-debug}
spec:
  defaultBackend: {service: {name: starter-debug, port: {name: http}}}
  tls: [{hosts: ["*.acme-corp.io"], secretName: wild}]
  rules:
    - host: app.acme-corp.io
      http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: starter-debug, port: {number: 81}}}}]}
"""

# fields the cross-resource rules read: set where absent, so that a wrong type can land on them
FIELDS = (
    "envFrom",
    "env",
    "volumes",
    "ports",
    "containers",
    "initContainers",
    "readinessProbe",
    "httpGet",
    "path",
    "selector",
    "targetPort",
    "port",
    "rules",
    "tls",
    "hosts",
    "host",
    "http",
    "paths",
    "backend",
    "service",
    "name",
    "number",
    "scaleTargetRef",
    "minReplicas",
    "maxReplicas",
    "replicas",
    "data",
    "dataFrom",
    "target",
    "template",
    "secretRef",
    "valueFrom",
    "secretKeyRef",
    "secret",
    "secretName",
    "projected",
    "sources",
    "image",
    "labels",
    "metadata",
    "spec",
    "namespace",
    "annotations",
    "value",
    "key",
    "optional",
    "containerPort",
    "serviceName",
    "servicePort",
    "defaultBackend",
    "stringData",
)

WRONG = st.one_of(
    st.sampled_from(
        [
            "²",
            "٣",
            "1e9999999",
            "-1e9999999",
            "9" * 400,
            "",
            " ",
            "/",
            "~1",
            "false",
            "0",
            "no",
            "*.",
            "*",
            ".",
            "@",
            ":",
            10**400,
            -(10**400),
            float("inf"),
            float("nan"),
            -1,
            0,
            True,
            False,
            None,
            [],
            {},
            [None],
            [3],
            {"": None},
        ]
    ),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.lists(st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3),
    st.dictionaries(
        st.text(max_size=4), st.one_of(st.none(), st.integers(), st.text(max_size=4)), max_size=3
    ),
)


def _assign(document, path: tuple, value) -> None:
    """Set the node at `path` (the root itself is never replaced: a document stays a mapping)."""
    node = document
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _targets(document) -> list:
    """Every place a wrong value can go: each existing node, and each reference field of each mapping."""
    places = []
    for path, node in walk(document):
        if path:
            places.append(path)
        if isinstance(node, dict):
            places.extend(path + (field,) for field in FIELDS if field not in node)
    return places


def _check_report(report) -> None:
    assert isinstance(report, Report)
    for finding in report.findings:
        assert finding.rule in CATALOG
        assert finding.message and finding.location.line >= 1


@pytest.fixture(scope="module")
def release(tmp_path_factory) -> list:
    """The documents of the production render plus EXTRA, as plain data."""
    pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)
    tmp = tmp_path_factory.mktemp("release")
    options = Options(files=[str(PROD)], chart=str(CHART), cwd=str(tmp))
    ctx, _ = build_context(plan_targets(options)[0], options)
    real_which = shutil.which
    with pytest.MonkeyPatch.context() as patch:  # Helm's SDK: the same render wherever the test runs
        patch.setattr(
            render.shutil,
            "which",
            lambda name, *a, **k: None if name == "helm" else real_which(name, *a, **k),
        )
        manifests = render.render_chart(str(CHART), ctx, options)
    documents = [copy.deepcopy(obj.obj) for obj in manifests.objects] + list(yaml.safe_load_all(EXTRA))
    kinds = {d["kind"] for d in documents}
    assert {"Deployment", "Service", "Ingress", "HorizontalPodAutoscaler", "ExternalSecret"} <= kinds
    return documents


def test_the_unchanged_release_runs_clean(release, tmp_path):
    stream = tmp_path / "release.yaml"
    stream.write_text(yaml.safe_dump_all(release), encoding="utf-8")
    report = run(Options(files=[str(PROD)], manifests=[str(stream)], cwd=str(tmp_path), validator="builtin"))
    _check_report(report)
    assert [(f.rule, f.message) for f in report.findings if f.rule.startswith("SL8")] == []


def _run_release(documents, directory) -> Report:
    stream = Path(directory, "release.yaml")
    stream.write_text(yaml.safe_dump_all(documents), encoding="utf-8")
    # with the values, so that SL808 (drift) compares them with the broken manifests too
    return run(Options(files=[str(PROD)], manifests=[str(stream)], cwd=str(directory), validator="builtin"))


CONTAINER = ("spec", "template", "spec", "containers", 0)
# the crashes a reviewer found, and their kin: (kind, name, path, wrong value)
KNOWN = [
    ("Deployment", "starter-api", CONTAINER + ("envFrom",), 3),
    ("Deployment", "starter-api", CONTAINER + ("env",), 3),
    ("Deployment", "starter-api", CONTAINER + ("ports",), 3),
    ("Deployment", "starter-api", CONTAINER + ("readinessProbe", "httpGet"), "x"),
    ("Deployment", "starter-api", CONTAINER + ("image",), ["x"]),
    ("Deployment", "starter-api", ("spec", "replicas"), 10**400),
    ("Pod", "starter-api-debug", ("spec", "volumes"), 3),
    ("Pod", "starter-api-debug", ("spec", "volumes", 1, "projected"), "x"),
    (
        "Pod",
        "starter-api-debug",
        ("spec", "containers", 0, "env", 2, "valueFrom", "secretKeyRef", "key"),
        ["x"],
    ),
    ("Service", "starter-api", ("spec", "ports", 0, "targetPort"), "²"),
    ("Service", "starter-debug", ("spec", "ports", 1, "targetPort"), "9" * 5000),
    (
        "Ingress",
        "starter-debug",
        ("spec", "rules", 0, "http", "paths", 0, "backend", "service", "port", "number"),
        "²",
    ),
    ("Ingress", "starter-debug", ("spec", "defaultBackend", "service", "port"), {"number": {"a": 1}}),
    ("Ingress", "starter-debug", ("spec", "tls", 0, "hosts"), 3),
    ("HorizontalPodAutoscaler", "starter-api", ("spec", "minReplicas"), 10**400),
    ("ExternalSecret", "starter-api-secrets", ("spec", "target"), {"name": ["x"]}),
    ("ExternalSecret", "starter-api-secrets", ("spec", "data", 0, "secretKey"), {"x": 1}),
]


@pytest.mark.parametrize(
    "kind,name,path,value", KNOWN, ids=[f"{k}-{'.'.join(map(str, p))}" for k, _, p, _ in KNOWN]
)
def test_known_wrong_types_in_manifests(release, tmp_path, kind, name, path, value):
    documents = copy.deepcopy(release)
    target = next(d for d in documents if d["kind"] == kind and d["metadata"]["name"] == name)
    _assign(target, path, value)
    _check_report(_run_release(documents, tmp_path))


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_wrong_types_in_manifests_never_crash_a_rule(release, data):
    documents = copy.deepcopy(release)
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        document = data.draw(st.sampled_from(documents), label="object")
        path = data.draw(st.sampled_from(_targets(document)), label="field")
        _assign(document, path, data.draw(WRONG, label="value"))
    with tempfile.TemporaryDirectory() as tmp:
        report = _run_release(documents, tmp)
    _check_report(report)


def _values_documents() -> dict:
    """The contract defaults with the production values over them: every contract key is present."""
    merged = copy.deepcopy(_contract_defaults().data)
    production = yaml.safe_load(PROD.read_text(encoding="utf-8"))

    def merge(into: dict, top: dict) -> None:
        for key, value in top.items():
            if isinstance(value, dict) and isinstance(into.get(key), dict):
                merge(into[key], value)
            else:
                into[key] = copy.deepcopy(value)

    merge(merged, production)
    return merged


VALUES = _values_documents()
VALUE_FIELDS = (
    "enabled",
    "image",
    "env",
    "secrets",
    "data",
    "hosts",
    "tls",
    "apiHosts",
    "apiTls",
    "host",
    "secretName",
    "minReplicas",
    "maxReplicas",
    "replicas",
    "replicaCount",
    "resources",
    "requests",
    "limits",
    "cpu",
    "memory",
    "ENABLE_BILLING_RETRY_WORKER",
    "ENABLE_BILLING_STREAM_REPLAY",
    "BILLING_RETRY_DEPLOYMENT_MODE",
    "APP_PUBLIC_URL",
    "SECRETS_PROVIDER",
)


def _run_values(values: dict, directory) -> Report:
    path = Path(directory, "values.yaml")
    path.write_text(yaml.safe_dump(values), encoding="utf-8")
    return run(Options(files=[str(path)], cwd=str(directory)))


KNOWN_VALUES = [
    (("api", "resources", "requests", "cpu"), "1e9999999"),
    (("api", "resources", "limits", "memory"), "-1e9999999"),
    (("api", "resources", "requests", "memory"), "٣Gi"),
    (("autoscaling", "api", "maxReplicas"), 10**400),
    (("api", "env", "ENABLE_BILLING_RETRY_WORKER"), float("inf")),
    (("api", "env", "ENVIRONMENT"), 10**400),
    (("ingress", "hosts"), 3),
    (("ingress", "tls", 0, "hosts"), {"a": 1}),
]


@pytest.mark.parametrize("path,value", KNOWN_VALUES, ids=[".".join(map(str, p)) for p, _ in KNOWN_VALUES])
def test_known_wrong_types_in_values(tmp_path, path, value):
    values = copy.deepcopy(VALUES)
    _assign(values, path, value)
    _check_report(_run_values(values, tmp_path))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_wrong_types_in_values_never_crash_a_rule(data):
    values = copy.deepcopy(VALUES)
    places = [path for path, _ in walk(values) if path] + [
        path + (field,)
        for path, node in walk(values)
        if isinstance(node, dict)
        for field in VALUE_FIELDS
        if field not in node
    ]
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        path = data.draw(st.sampled_from(places), label="field")
        try:
            _assign(values, path, data.draw(WRONG, label="value"))
        except (KeyError, IndexError, TypeError):
            continue  # an earlier change replaced a parent of this path
    with tempfile.TemporaryDirectory() as tmp:
        report = _run_values(values, tmp)
    _check_report(report)
