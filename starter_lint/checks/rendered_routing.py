"""SL802–SL804: traffic reaches what the render contains: a Service selects rendered pods on
ports they declare, an Ingress routes to a rendered Service and port, and serves its hosts
with TLS.

Every rule works on the whole rendered set, so a dangling reference is found whichever template
produced it. Objects without a namespace are in the release namespace (`ManifestIndex`).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..fields import as_dict, as_list
from ..findings import Problem
from ..manifests.index import index_of
from ..manifests.model import describe, listed_names, manifest_problem
from ..manifests.selectors import PodSelectorIndex, SelectedPods
from ..manifests.workloads import PodTemplate, pod_templates, port_number
from ..pointer import build as pointer
from . import check
from .contract import covered

# ---------------------------------------------------------------------------------------------
# SL802 service-selector


@check("SL802", needs="manifests")
def service_selector(ctx):
    index = index_of(ctx.manifests, ctx.options)
    pods = PodSelectorIndex(pod_templates(ctx.manifests), index.namespace)
    for service in index.of_kind("Service"):
        selector = service.get("spec", "selector")
        if service.get("spec", "type") == "ExternalName" or not isinstance(selector, dict) or not selector:
            continue
        namespace = service.namespace or index.namespace
        selected = pods.matching(namespace, selector)
        if not selected.templates:
            best = pods.closest(namespace, selector)
            differing = [k for k, v in selector.items() if best is None or best.labels.get(k) != v]
            # point at the label that differs from the closest pod template (the likely typo)
            where = (
                pointer("spec", "selector", differing[0])
                if best is not None and differing
                else "/spec/selector"
            )
            yield manifest_problem(service, where, _selector_message(service, selector, best), key="selector")
            continue
        ports = service.get("spec", "ports")
        for position, port in enumerate(as_list(ports)):
            if isinstance(port, dict):
                problem = _target_port_problem(service, position, port, selected)
                if problem is not None:
                    yield problem


def _selector_message(service, selector: dict, best: PodTemplate | None) -> str:
    wanted = ", ".join(f"{k}={v}" for k, v in sorted(selector.items(), key=lambda kv: str(kv[0])))
    if best is not None:
        differing = [
            f"{k}={best.labels[k]}" if k in best.labels else f"no {k}"
            for k, v in selector.items()
            if best.labels.get(k) != v
        ]
        closest = f"; the closest, {describe(best.obj)}, has {', '.join(differing)}"
    else:
        closest = "; no workload is rendered in its namespace"
    return (
        f"{describe(service)} selects pods with {wanted}, but no rendered pod template has these "
        f"labels{closest}: make spec.selector match the workload's pod labels"
    )


def _target_port_problem(service, position: int, port: dict, selected: SelectedPods) -> Problem | None:
    target = port.get("targetPort", port.get("port"))
    where = pointer("spec", "ports", position, "targetPort" if "targetPort" in port else "port")
    wanted = port_number(target)
    if isinstance(target, str) and wanted is None:
        if selected.declares_name(target):
            return None
        names = selected.names_shown
        return manifest_problem(
            service,
            where,
            f"{describe(service)} port {port.get('name') or position} targets the named port {target!r}, "
            f"which no selected container declares ({'named ports: ' + ', '.join(names) if names else 'no named ports'}); "
            "use a containerPort name of the selected pods",
            key="target-port",
        )
    if wanted is None or not selected.declared:
        # a container may listen on a port it does not declare: only declared ports can be compared
        return None
    if selected.declares_number(wanted):
        return None
    numbers = ", ".join(str(v) for v in selected.numbers_shown)
    return manifest_problem(
        service,
        where,
        f"{describe(service)} port {port.get('name') or position} targets port {wanted}, but the selected "
        f"containers declare {numbers}; set targetPort to a declared containerPort",
        key="target-port",
    )


# ---------------------------------------------------------------------------------------------
# SL803 ingress-backend


def ingress_backends(ingress) -> Iterator[tuple]:
    """(pointer path tuple of the backend, backend dict) of the default backend and every path."""
    spec = ingress.get("spec") if isinstance(ingress.get("spec"), dict) else {}
    for key in ("defaultBackend", "backend"):
        if isinstance(spec.get(key), dict):
            yield ("spec", key), spec[key]
    rules = spec.get("rules")
    for r, rule in enumerate(as_list(rules)):
        http = rule.get("http") if isinstance(rule, dict) else None
        paths = http.get("paths") if isinstance(http, dict) else None
        for p, path in enumerate(as_list(paths)):
            if isinstance(path, dict) and isinstance(path.get("backend"), dict):
                yield ("spec", "rules", r, "http", "paths", p, "backend"), path["backend"]


def _backend_reference(at: tuple, backend: dict) -> tuple | None:
    """(service name, its pointer path, port name or number, its pointer path) of a backend."""
    if isinstance(backend.get("service"), dict):  # networking.k8s.io/v1
        service = backend["service"]
        port = as_dict(service.get("port"))
        port_field = "name" if "name" in port else "number"
        return (
            service.get("name"),
            at + ("service", "name"),
            port.get(port_field),
            at + ("service", "port", port_field),
        )
    if "serviceName" in backend:  # the removed v1beta1 shape
        return (
            backend.get("serviceName"),
            at + ("serviceName",),
            backend.get("servicePort"),
            at + ("servicePort",),
        )
    return None  # a resource backend


@check("SL803", needs="manifests")
def ingress_backend(ctx):
    index = index_of(ctx.manifests, ctx.options)
    for ingress in index.of_kind("Ingress"):
        for at, backend in ingress_backends(ingress):
            reference = _backend_reference(at, backend)
            if reference is None or not isinstance(reference[0], str) or not reference[0]:
                continue
            name, name_at, port_value, port_at = reference
            service = index.get("Service", name, ingress.namespace or None)
            if service is None:
                rendered = index.names_in_namespace("Service", ingress.namespace or index.namespace)
                yield manifest_problem(
                    ingress,
                    pointer(*name_at),
                    f"{describe(ingress)} routes to Service {name}, which the render does not contain "
                    f"({'rendered Services: ' + listed_names(rendered) if rendered else 'no Service is rendered'}); "
                    "name a rendered Service",
                    key=f"service:{pointer(*at)}",
                )
                continue
            if not isinstance(port_value, str) and port_number(port_value) is None:
                continue  # no port, or one of a wrong type (SL701's)
            ports = [p for p in as_list(service.get("spec", "ports")) if isinstance(p, dict)]
            wanted = port_number(port_value)
            if isinstance(port_value, str) and wanted is None:
                found = any(p.get("name") == port_value for p in ports)
                offered = sorted(str(p["name"]) for p in ports if p.get("name"))
            else:
                found = wanted is not None and any(p.get("port") == wanted for p in ports)
                offered = sorted(str(p["port"]) for p in ports if "port" in p)
            if not found:
                yield manifest_problem(
                    ingress,
                    pointer(*port_at),
                    f"{describe(ingress)} routes to port {port_value} of Service {name}, which offers "
                    f"{', '.join(offered) or 'no ports'}; use one of the Service's ports",
                    key=f"port:{pointer(*at)}",
                )


# ---------------------------------------------------------------------------------------------
# SL804 ingress-tls-rendered


@check("SL804", needs="manifests")
def ingress_tls_rendered(ctx):
    index = index_of(ctx.manifests, ctx.options)
    for ingress in index.of_kind("Ingress"):
        tls = [t for t in as_list(ingress.get("spec", "tls")) if isinstance(t, dict)]
        if any(not t.get("hosts") for t in tls):
            continue  # an entry without hosts serves its certificate for every host (controller default)
        tls_hosts = [h for t in tls for h in as_list(t.get("hosts")) if isinstance(h, str)]
        for position, rule in enumerate(as_list(ingress.get("spec", "rules"))):
            host = rule.get("host") if isinstance(rule, dict) else None
            if not isinstance(host, str) or not host or covered(host, tls_hosts):
                continue
            if tls:
                detail = f"its TLS hosts are {', '.join(tls_hosts)}"
            else:
                detail = "it has no TLS section"
            yield manifest_problem(
                ingress,
                pointer("spec", "rules", position, "host"),
                f"{describe(ingress)} serves host {host} without TLS ({detail}); add the host to a "
                "spec.tls[].hosts entry (ingress.tls / ingress.apiTls in the values)",
                key=f"host:{host.lower()}",
            )
