"""Costs that stay linear on large rendered sets (docs/design/performance.md): many Services and
workloads in one namespace (SL802 works per distinct selector, not per Service × pod), and a
manifest file holding a document too large to be a Kubernetes object is refused unread."""

from __future__ import annotations

import json

import pytest

from starter_lint.manifests import files, selectors
from starter_lint.manifests.workloads import PodTemplate
from starter_lint.options import Options
from starter_lint.pipeline import run

COUNT = 600


def _deployment(i: int) -> str:
    return (
        f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\n"
        f"spec:\n  selector: {{matchLabels: {{app: shop, id: d{i}}}}}\n"
        f"  template:\n    metadata: {{labels: {{app: shop, id: d{i}}}}}\n"
        f"    spec: {{containers: [{{name: app, image: app:1, ports: [{{name: http, containerPort: 8080}}]}}]}}\n"
    )


def _service(i: int, selector: str, target: str = "http") -> str:
    return (
        f"---\napiVersion: v1\nkind: Service\nmetadata: {{name: s{i}}}\n"
        f"spec: {{selector: {selector}, ports: [{{name: web, port: 80, targetPort: {target}}}]}}\n"
    )


def _sl802(tmp_path, text: str) -> list:
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run(Options(manifests=["m.yaml"], cwd=str(tmp_path), select=["SL802"]))
    return [f for f in report.active if f.rule == "SL802"]


@pytest.fixture
def container_reads(monkeypatch):
    """How many times SL802 reads a pod template's containers."""
    calls = []
    real = PodTemplate.containers

    def counted(self, *args, **kwargs):
        calls.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PodTemplate, "containers", counted)
    return calls


def test_services_sharing_one_selector_read_each_pod_once(tmp_path, container_reads):
    # each Service once re-read the containers of every pod it selects: 3,000 × 3,000 took 20 s
    text = "".join(
        _deployment(i) + _service(i, "{app: shop}", "grpc" if i % 2 else "http") for i in range(COUNT)
    )
    findings = _sl802(tmp_path, text)
    assert len(findings) == COUNT // 2  # the Services targeting the undeclared port `grpc`
    assert "which no selected container declares (named ports: http)" in findings[0].message
    assert len(container_reads) <= 2 * COUNT


def test_unmatched_selectors_find_the_closest_pod_without_a_scan(tmp_path, monkeypatch):
    # each unmatched Service once scanned every pod template of its namespace for the closest one
    def no_scan(*args):
        raise AssertionError("the closest template was found by a scan")

    monkeypatch.setattr(selectors, "_closest_by_scan", no_scan)
    text = "".join(_deployment(i) + _service(i, f"{{app: shop, id: x{i}}}") for i in range(COUNT))
    findings = _sl802(tmp_path, text)
    assert len(findings) == COUNT
    # every template shares `app: shop`: the first in input order is the closest
    assert all("the closest, Deployment d0, has id=d0" in f.message for f in findings)


def test_a_document_too_large_for_kubernetes_is_refused_unread(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_DOCUMENT_CHARS", 2_000)
    big = "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: big}\ndata:\n" + "".join(
        f"  k{i}: v\n" for i in range(400)
    )
    (tmp_path / "m.yaml").write_text(_deployment(0) + big, encoding="utf-8")
    report = run(Options(manifests=["m.yaml"], cwd=str(tmp_path)))
    assert [(f.rule, f.location.line) for f in report.active] == [("SL102", 11)]  # its first line
    assert "holds a document of more than" in report.active[0].message
    assert "the file was not read" in report.active[0].message


def test_many_small_documents_beyond_the_document_limit_are_read(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "MAX_DOCUMENT_CHARS", 2_000)
    text = "".join(_deployment(i) for i in range(40))  # 40 documents, together beyond the limit
    assert len(text) > 2_000
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    report = run(Options(manifests=["m.yaml"], cwd=str(tmp_path), select=["SL1", "SL7"]))
    assert not report.active


@pytest.mark.parametrize("form", ["yaml", "json"])
def test_a_list_of_any_size_is_read(tmp_path, monkeypatch, form):
    """`kubectl get -o yaml` output: the API server's limit is per item, not per List."""
    monkeypatch.setattr(files, "MAX_DOCUMENT_CHARS", 2_000)
    items = [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": f"c{i}"}} for i in range(200)]
    if form == "json":
        text = json.dumps({"apiVersion": "v1", "kind": "List", "items": items})
    else:
        text = "apiVersion: v1\nkind: ConfigMapList  # from kubectl\nitems:\n" + "".join(
            f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: c{i}\n" for i in range(200)
        )
    assert len(text) > 2_000
    (tmp_path / f"m.{form}").write_text(text, encoding="utf-8")
    report = run(Options(manifests=[f"m.{form}"], cwd=str(tmp_path), select=["SL1", "SL7"]))
    assert not [f for f in report.active if f.rule == "SL102"]
