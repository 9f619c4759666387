"""SL808: a render of the reference chart checked against values it was not rendered from."""

from __future__ import annotations

import shutil
import textwrap

import pytest

from starter_lint import render
from starter_lint.options import Options
from starter_lint.pipeline import build_context, plan_targets, run

from .support import NEEDS_HELM_SDK, REPO

CHART = REPO / "examples" / "chart"
PROD = REPO / "examples" / "values.prod.yaml"

pytest.importorskip("helm_python", reason=NEEDS_HELM_SDK)


def render_to_file(directory, name, values_text=None):
    """`helm template` of the reference chart with values.prod.yaml (+ an override), saved to a file."""
    files = [str(PROD)]
    if values_text is not None:
        override = directory / f"{name}.values.yaml"
        override.write_text(textwrap.dedent(values_text), encoding="utf-8")
        files.append(str(override))
    options = Options(files=files, chart=str(CHART), cwd=str(directory))
    ctx, _ = build_context(plan_targets(options)[0], options)
    real_which = shutil.which
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            render.shutil, "which", lambda n, *a, **k: None if n == "helm" else real_which(n, *a, **k)
        )
        manifests = render.render_chart(str(CHART), ctx, options)
    path = directory / f"{name}.yaml"
    path.write_text(manifests.sources[manifests.files[0]], encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def renders(tmp_path_factory):
    """Renders made once for the module: the current one and stale ones."""
    directory = tmp_path_factory.mktemp("renders")
    return {
        "current": render_to_file(directory, "current"),
        "old-image": render_to_file(
            directory, "old-image", 'api: {image: "registry.example.org/starter/app-api:1.8.1"}\n'
        ),
        "old-hosts": render_to_file(
            directory,
            "old-hosts",
            """
            ingress:
              hosts: [{host: app.acme-corp.com}]
              tls: [{secretName: app-tls, hosts: [app.acme-corp.com]}]
            """,
        ),
        "old-hpa": render_to_file(
            directory, "old-hpa", "autoscaling: {api: {minReplicas: 2, maxReplicas: 8}}\n"
        ),
        "no-worker": render_to_file(directory, "no-worker", "worker: {enabled: false}\n"),
    }


def check(tmp_path, manifests, values_text=None, chart=None):
    files = [str(PROD)]
    if values_text is not None:
        override = tmp_path / "override.yaml"
        override.write_text(textwrap.dedent(values_text), encoding="utf-8")
        files.append(str(override))
    options = Options(
        files=files,
        manifests=[str(manifests)],
        chart=str(chart) if chart else None,
        cwd=str(tmp_path),
        select=["SL8"],
    )
    return run(options).active


def drift(findings):
    return [f for f in findings if f.rule == "SL808"]


def test_current_render_has_no_drift_and_no_cross_resource_finding(tmp_path, renders):
    assert check(tmp_path, renders["current"]) == []
    assert check(tmp_path, renders["current"], chart=CHART) == []


def test_stale_image(tmp_path, renders):
    hits = drift(check(tmp_path, renders["old-image"]))
    assert [f.logical for f in hits] == ["Deployment/starter-api#/spec/template/spec/containers/0/image"]
    assert hits[0].template == "starter/templates/api-deployment.yaml"
    assert "app-api:1.8.1" in hits[0].message and "app-api:1.8.2" in hits[0].message
    assert "render them again" in hits[0].message
    assert hits[0].location.path.endswith("old-image.yaml")


def test_render_with_one_image_checked_against_values_with_another(tmp_path, renders):
    hits = drift(
        check(tmp_path, renders["current"], 'web: {image: "registry.example.org/starter/app-web:1.9.0"}\n')
    )
    assert [f.logical for f in hits] == ["Deployment/starter-web#/spec/template/spec/containers/0/image"]
    assert hits[0].template == "starter/templates/web-deployment.yaml"


def test_stale_hosts_both_directions(tmp_path, renders):
    hits = drift(check(tmp_path, renders["old-hosts"]))
    by_logical = {f.logical: f for f in hits}
    assert set(by_logical) == {"Ingress/starter#/spec/rules/0/host", "ingress.hosts[0].host"}
    assert by_logical["Ingress/starter#/spec/rules/0/host"].template == "starter/templates/ingress.yaml"
    # the host the values add points at the values file line that sets it
    missing = by_logical["ingress.hosts[0].host"]
    assert missing.location.path.endswith("values.prod.yaml")
    assert PROD.read_text().splitlines()[missing.location.line - 1].strip() == "- host: app.acme-corp.io"


def test_stale_hpa_bounds(tmp_path, renders):
    hits = drift(check(tmp_path, renders["old-hpa"]))
    assert sorted(f.logical for f in hits) == [
        "HorizontalPodAutoscaler/starter-api#/spec/maxReplicas",
        "HorizontalPodAutoscaler/starter-api#/spec/minReplicas",
    ]
    assert all(f.template == "starter/templates/hpa.yaml" for f in hits)


def test_worker_enabled_but_not_rendered(tmp_path, renders):
    hits = drift(check(tmp_path, renders["no-worker"]))
    assert [f.logical for f in hits] == ["worker.enabled"]
    assert hits[0].location.path.endswith("values.prod.yaml")


def test_worker_rendered_but_disabled(tmp_path, renders):
    hits = drift(check(tmp_path, renders["current"], "worker: {enabled: false}\n"))
    assert [f.logical for f in hits] == ["Deployment/starter-worker#/metadata/name"]
    assert hits[0].template == "starter/templates/worker-deployment.yaml"


def test_autoscaling_and_ingress_switched_off_in_the_values(tmp_path, renders):
    hits = drift(
        check(tmp_path, renders["current"], "autoscaling: {enabled: false}\ningress: {enabled: false}\n")
    )
    assert sorted(f.logical for f in hits) == [
        "HorizontalPodAutoscaler/starter-api#/metadata/name",
        "HorizontalPodAutoscaler/starter-web#/metadata/name",
        "Ingress/starter#/metadata/name",
    ]


def test_a_chart_rendered_by_starter_lint_is_not_checked_for_drift(tmp_path):
    options = Options(files=[str(PROD)], chart=str(CHART), cwd=str(tmp_path), select=["SL808"])
    real_which = shutil.which
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            render.shutil, "which", lambda n, *a, **k: None if n == "helm" else real_which(n, *a, **k)
        )
        report = run(options)
    assert report.targets[0].objects == 10 and report.active == []


def test_manifests_without_values_are_not_checked_for_drift(tmp_path, renders):
    report = run(Options(manifests=[str(renders["old-image"])], cwd=str(tmp_path), select=["SL808"]))
    assert report.targets[0].objects == 10 and report.active == []
