"""SL808: manifests given with `--manifests` that the values would not render (a stale render).

Checked when a target has both values and given manifests; a chart rendered by starter-lint
itself cannot drift from the values it was rendered with, so rendered sets are skipped. The
release's objects are found by role, as the cross-resource rules find them (`manifests.workloads`):
containers and HPAs named for the api, web and worker.
"""

from __future__ import annotations

from ..fields import as_list, number
from ..findings import Problem, format_path
from ..manifests.index import index_of
from ..manifests.model import manifest_problem
from ..manifests.workloads import container_roles, name_words, running_pod_templates
from ..pointer import build as pointer
from . import check
from .contract import autoscaling_enabled, host_key, hosts, ingress_enabled, worker_enabled

ROLES = ("api", "web", "worker")
RENDER_AGAIN = "the manifests are a stale render: render them again from these values"


def _role_containers(manifests) -> dict:
    """role -> [(PodTemplate, container pointer path, container)] of the running workloads."""
    out: dict = {role: [] for role in ROLES}
    for template in running_pod_templates(manifests):
        for path, container, role in container_roles(template):
            if role in out:
                out[role].append((template, path, container))
    return out


@check("SL808", needs="manifests")
def values_drift(ctx):
    if ctx.values is None or ctx.manifests.rendered_by:
        return
    containers = _role_containers(ctx.manifests)
    yield from _image_drift(ctx, containers)
    yield from _worker_drift(ctx, containers)
    yield from _host_drift(ctx)
    yield from _hpa_drift(ctx, containers)


def _image_drift(ctx, containers):
    for role in ROLES:
        expected = ctx.get((role, "image"))
        if not isinstance(expected, str) or (role == "worker" and not worker_enabled(ctx)):
            continue
        for template, path, container in containers[role]:
            image = container.get("image")
            if isinstance(image, str) and image != expected:
                yield manifest_problem(
                    template.obj,
                    pointer(*path, "image"),
                    f"{template.obj.kind} {template.obj.name} runs {image} but {role}.image is {expected}; "
                    f"{RENDER_AGAIN}",
                    key=f"image:{role}:{container.get('name')}",
                )


def _worker_drift(ctx, containers):
    enabled = worker_enabled(ctx)
    if enabled and not containers["worker"] and (containers["api"] or containers["web"]):
        yield Problem(
            f"worker.enabled is true but the manifests hold no worker workload; {RENDER_AGAIN}",
            path=("worker", "enabled"),
            key="worker:missing",
        )
    if not enabled:
        seen = set()
        for template, _, _ in containers["worker"]:
            if id(template.obj) in seen:
                continue
            seen.add(id(template.obj))
            yield manifest_problem(
                template.obj,
                "/metadata/name",
                f"{template.obj.kind} {template.obj.name} is a worker but worker.enabled is not true; "
                f"{RENDER_AGAIN}",
                key="worker:extra",
            )


def _host_drift(ctx):
    ingresses = index_of(ctx.manifests, ctx.options).of_kind("Ingress")
    enabled = ingress_enabled(ctx)
    if not enabled:
        for ingress in ingresses:
            yield manifest_problem(
                ingress,
                "/metadata/name",
                f"Ingress {ingress.name} is rendered but ingress.enabled is not true; {RENDER_AGAIN}",
                key="ingress:extra",
            )
        return
    expected = [
        (ref.path, ref.host)
        for key in ("hosts", "apiHosts")
        for ref in hosts(ctx, key)
        if isinstance(ref.host, str)
    ]
    if not ingresses:
        if expected:
            yield Problem(
                f"ingress.enabled is true but the manifests hold no Ingress; {RENDER_AGAIN}",
                path=("ingress", "enabled"),
                key="ingress:missing",
            )
        return
    wanted = {host_key(host) for _, host in expected}
    rendered = set()
    for ingress in ingresses:
        for position, rule in enumerate(as_list(ingress.get("spec", "rules"))):
            host = rule.get("host") if isinstance(rule, dict) else None
            if not isinstance(host, str) or not host:
                continue
            rendered.add(host_key(host))
            if host_key(host) not in wanted:
                yield manifest_problem(
                    ingress,
                    pointer("spec", "rules", position, "host"),
                    f"Ingress {ingress.name} serves {host}, which neither ingress.hosts nor ingress.apiHosts "
                    f"lists; {RENDER_AGAIN}",
                    key=f"host:extra:{host.lower()}",
                )
    for path, host in expected:
        if host_key(host) not in rendered:
            yield Problem(
                f"{format_path(path)} is {host} but no rendered Ingress serves it; {RENDER_AGAIN}",
                path=path,
                key=f"host:missing:{host.lower()}",
            )


def _hpa_role(hpa):
    for name in (hpa.get("spec", "scaleTargetRef", "name"), hpa.name):
        words = name_words(name)
        for role in ("api", "web"):
            if role in words and "worker" not in words:
                return role
    return None


def _hpa_drift(ctx, containers):
    hpas = index_of(ctx.manifests, ctx.options).of_kind("HorizontalPodAutoscaler")
    enabled = autoscaling_enabled(ctx)
    for role in ("api", "web"):
        mine = [hpa for hpa in hpas if _hpa_role(hpa) == role]
        if not enabled:
            for hpa in mine:
                yield manifest_problem(
                    hpa,
                    "/metadata/name",
                    f"HorizontalPodAutoscaler {hpa.name} is rendered but autoscaling.enabled is "
                    f"not true; {RENDER_AGAIN}",
                    key=f"hpa:extra:{role}",
                )
            continue
        if not mine:
            if containers[role]:
                yield Problem(
                    f"autoscaling.enabled is true but the manifests hold no HorizontalPodAutoscaler for "
                    f"the {role}; {RENDER_AGAIN}",
                    path=("autoscaling", "enabled"),
                    key=f"hpa:missing:{role}",
                )
            continue
        for bound in ("minReplicas", "maxReplicas"):
            expected = ctx.get(("autoscaling", role, bound))
            if number(expected) is None:
                continue
            for hpa in mine:
                actual = hpa.get("spec", bound, default=1 if bound == "minReplicas" else None)
                if number(actual) is not None and float(actual) != float(expected):
                    yield manifest_problem(
                        hpa,
                        pointer("spec", bound),
                        f"HorizontalPodAutoscaler {hpa.name} has {bound} {actual:g} but autoscaling.{role}.{bound} "
                        f"is {expected:g}; {RENDER_AGAIN}",
                        key=f"hpa:{role}:{bound}",
                    )
