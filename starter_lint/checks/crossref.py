"""SL801–SL807: rendered objects that refer to each other must agree (names, labels, ports, TLS,
secrets), and the rendered topology must keep the starter's billing and health contracts.

Every rule works on the whole rendered set, so a dangling reference is found whichever template
produced it. Objects without a namespace are in the release namespace (`ManifestIndex`).
Workloads that are Helm hooks or tests (`helm.sh/hook`) are not part of the running release
and are left out of the topology rules (SL806, SL807).

How a container's role is told (no label is part of the contract, so names and probes decide):
- by name: the container's name split into words (`starter-api` → starter, api): a word `api`
  makes it the API, `web` the web app, `worker` the worker; when no container of a pod has a
  role by its own name, the workload's name gives the first container its role (sidecars
  beside it get none);
- for billing (SL806) a container that serves readiness on `/health/ready` is the API as well,
  and a container runs the billing code when it is the API, sets a billing variable, or runs
  the same image repository as an API container (the worker runs the API image); a billing
  flag's value reads as `contract.read_flag` says, as it does for SL401–SL403 on the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..findings import Problem
from ..manifests.index import index_of
from ..pointer import build as pointer
from . import check
from .contract import Flag, as_dict, as_list, covered, number, read_flag
from .images import parse_image

# kinds whose objects carry a pod template, and where it is
POD_TEMPLATE_PATHS = {
    "Deployment": ("spec", "template"),
    "StatefulSet": ("spec", "template"),
    "DaemonSet": ("spec", "template"),
    "ReplicaSet": ("spec", "template"),
    "ReplicationController": ("spec", "template"),
    "Job": ("spec", "template"),
    "CronJob": ("spec", "jobTemplate", "spec", "template"),
}
LONG_RUNNING = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "ReplicationController", "Pod")
SCALABLE = ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
CONTAINER_LISTS = ("initContainers", "containers", "ephemeralContainers")
API_READY_PATH = "/health/ready"
WEB_READY_PATH = "/api/health/ready"
BILLING_FLAGS = {
    "ENABLE_BILLING_RETRY_WORKER": "billing retries",
    "ENABLE_BILLING_STREAM_REPLAY": "billing stream replay",
}
BILLING_MARKERS = tuple(BILLING_FLAGS) + ("BILLING_RETRY_DEPLOYMENT_MODE",)


# ---------------------------------------------------------------------------------------------
# Problems, pod templates (wrong-typed fields are SL701's: read through as_list / as_dict)


def manifest_problem(obj, where: str, message: str, key: str, severity=None) -> Problem:
    """A Problem at the node `where` (a JSON pointer) of a rendered object."""
    return Problem(
        message,
        location=obj.locate(where),
        logical=f"{obj.ref}#{where}",
        template=obj.template,
        key=key,
        severity=severity,
    )


def describe(obj) -> str:
    return f"{obj.kind} {obj.name or '?'}"


@dataclass
class PodTemplate:
    obj: object  # the ManifestObject
    base: tuple  # path of the pod template (metadata + spec) inside the object
    labels: dict
    spec: dict

    def containers(self, lists=("containers",)) -> Iterator[tuple]:
        """(pointer path tuple, container dict) of the given container lists."""
        for list_name in lists:
            for index, container in enumerate(as_list(self.spec.get(list_name))):
                if isinstance(container, dict):
                    yield self.base + ("spec", list_name, index), container


def pod_template(obj) -> PodTemplate | None:
    if obj.kind == "Pod":
        spec = obj.get("spec")
        return (
            PodTemplate(obj, (), as_dict(obj.metadata.get("labels")), spec)
            if isinstance(spec, dict)
            else None
        )
    path = POD_TEMPLATE_PATHS.get(obj.kind)
    if path is None:
        return None
    template = obj.get(*path)
    if not isinstance(template, dict):
        return None
    spec = template.get("spec")
    labels = as_dict(as_dict(template.get("metadata")).get("labels"))
    return PodTemplate(obj, path, labels, spec) if isinstance(spec, dict) else None


def pod_templates(manifests) -> list:
    return [t for t in (pod_template(obj) for obj in manifests.objects) if t is not None]


def is_hook(obj) -> bool:
    annotations = obj.metadata.get("annotations")
    return isinstance(annotations, dict) and "helm.sh/hook" in annotations


def running_pod_templates(manifests) -> list:
    """Pod templates of the long-running workloads of the release (no hooks, jobs or tests)."""
    return [t for t in pod_templates(manifests) if t.obj.kind in LONG_RUNNING and not is_hook(t.obj)]


def same_namespace(index, a, b) -> bool:
    return (a.namespace or index.namespace) == (b.namespace or index.namespace)


# ---------------------------------------------------------------------------------------------
# Roles


def name_words(name) -> set:
    return set(re.split(r"[^a-z0-9]+", str(name or "").lower())) - {""}


def role_of_name(name) -> str | None:
    """ "api", "web", "worker" or None: the role a name's words give (`starter-api` -> api)."""
    words = name_words(name)
    for role in ("worker", "api", "web"):
        if role in words:
            return role
    return None


def container_roles(template: PodTemplate) -> list:
    """(pointer path, container, role or None) of a pod's containers.

    A container's own name decides; the workload's name decides only for the pod's first
    container and only when no container has a role by its own name, so that sidecars
    (`cloudsql-proxy` next to the API) are not taken for the app.
    """
    containers = list(template.containers())
    roles = [role_of_name(container.get("name")) for _, container in containers]
    if containers and not any(roles):
        roles[0] = role_of_name(template.obj.name)
    return [(path, container, role) for (path, container), role in zip(containers, roles, strict=False)]


def readiness_path(container: dict) -> str | None:
    path = as_dict(as_dict(container.get("readinessProbe")).get("httpGet")).get("path")
    return path if isinstance(path, str) else None


def env_entries(container: dict) -> dict:
    """env var name -> (index, entry) for the container's `env` list (last entry wins, as in Kubernetes)."""
    out = {}
    for index, entry in enumerate(as_list(container.get("env"))):
        if isinstance(entry, dict) and isinstance(entry.get("name"), str):
            out[entry["name"]] = (index, entry)
    return out


def repository(container: dict) -> str | None:
    """The image repository a container runs (tag and digest removed), None without an image."""
    image = container.get("image")
    return parse_image(image).repository if isinstance(image, str) else None


def port_number(value) -> int | None:
    """A port given as a number or a decimal string (`"8080"`), else None (a name, or unreadable)."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdecimal()):  # "²".isdigit() is true, int("²") fails
            return None
        try:
            return int(value)
        except ValueError:  # more digits than Python converts
            return None
    return number(value)


# ---------------------------------------------------------------------------------------------
# SL801 hpa-target


@check("SL801", needs="manifests")
def hpa_target(ctx):
    index = index_of(ctx.manifests, ctx.options)
    for hpa in index.of_kind("HorizontalPodAutoscaler"):
        target = hpa.get("spec", "scaleTargetRef")
        if (
            isinstance(target, dict)
            and isinstance(target.get("name"), str)
            and isinstance(target.get("kind"), str)
        ):
            kind, name = target["kind"], target["name"]
            if index.get(kind, name, hpa.namespace or None) is None:
                rendered = sorted(o.name for o in index.of_kind(kind) if same_namespace(index, o, hpa))
                known = (
                    f" (rendered {kind}s: {', '.join(rendered)})" if rendered else f" (no {kind} is rendered)"
                )
                yield manifest_problem(
                    hpa,
                    "/spec/scaleTargetRef/name",
                    f"{describe(hpa)} scales {kind} {name}, which the render does not contain{known}; "
                    "point spec.scaleTargetRef at a rendered workload",
                    key="target",
                )
        low, high = hpa.get("spec", "minReplicas", default=1), hpa.get("spec", "maxReplicas")
        if number(low) is not None and number(high) is not None and low > high:
            yield manifest_problem(
                hpa,
                "/spec/minReplicas",
                f"{describe(hpa)} has minReplicas {low:g} above maxReplicas {high:g}; the API server "
                "rejects it: set minReplicas at most maxReplicas",
                key="min-max",
            )


# ---------------------------------------------------------------------------------------------
# SL802 service-selector


@check("SL802", needs="manifests")
def service_selector(ctx):
    index = index_of(ctx.manifests, ctx.options)
    templates = pod_templates(ctx.manifests)
    by_label, by_namespace = _label_index(index, templates)
    for service in index.of_kind("Service"):
        selector = service.get("spec", "selector")
        if service.get("spec", "type") == "ExternalName" or not isinstance(selector, dict) or not selector:
            continue
        namespace = service.namespace or index.namespace
        try:
            matching = set.intersection(
                *(by_label.get((namespace, k, v), set()) for k, v in selector.items())
            )
        except TypeError:  # a label value that is not a string (a schema error, SL701's to report)
            matching = set()
        matched = [templates[i] for i in sorted(matching)]
        if not matched:
            best = _closest(selector, [templates[i] for i in by_namespace.get(namespace, ())])
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
                problem = _target_port_problem(service, position, port, matched)
                if problem is not None:
                    yield problem


def _label_index(index, templates: list) -> tuple:
    """{(namespace, label, value): positions} and {namespace: positions} of the pod templates, so
    matching a selector is a set intersection instead of a scan of every template."""
    by_label: dict = {}
    by_namespace: dict = {}
    for position, template in enumerate(templates):
        namespace = template.obj.namespace or index.namespace
        by_namespace.setdefault(namespace, []).append(position)
        for key, value in template.labels.items():
            try:
                by_label.setdefault((namespace, key, value), set()).add(position)
            except TypeError:
                continue
    return by_label, by_namespace


def _closest(selector: dict, candidates: list) -> PodTemplate | None:
    """The pod template sharing most of the selector's labels (to name what differs)."""
    if not candidates:
        return None
    return max(candidates, key=lambda t: sum(t.labels.get(k) == v for k, v in selector.items()))


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


def _target_port_problem(service, position: int, port: dict, matched: list) -> Problem | None:
    target = port.get("targetPort", port.get("port"))
    where = pointer("spec", "ports", position, "targetPort" if "targetPort" in port else "port")
    declared = []  # (name, number) of every container port of the selected pods
    for template in matched:
        for _, container in template.containers():
            for container_port in as_list(container.get("ports")):
                if isinstance(container_port, dict):
                    declared.append((container_port.get("name"), container_port.get("containerPort")))
    wanted = port_number(target)
    if isinstance(target, str) and wanted is None:
        if any(name == target for name, _ in declared):
            return None
        names = sorted({str(name) for name, _ in declared if name})
        return manifest_problem(
            service,
            where,
            f"{describe(service)} port {port.get('name') or position} targets the named port {target!r}, "
            f"which no selected container declares ({'named ports: ' + ', '.join(names) if names else 'no named ports'}); "
            "use a containerPort name of the selected pods",
            key="target-port",
        )
    if wanted is None or not declared:
        # a container may listen on a port it does not declare: only declared ports can be compared
        return None
    if any(value == wanted for _, value in declared):
        return None
    numbers = ", ".join(str(v) for v in sorted({v for _, v in declared if number(v) is not None}))
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
                rendered = sorted(
                    s.name for s in index.of_kind("Service") if same_namespace(index, s, ingress)
                )
                yield manifest_problem(
                    ingress,
                    pointer(*name_at),
                    f"{describe(ingress)} routes to Service {name}, which the render does not contain "
                    f"({'rendered Services: ' + ', '.join(rendered) if rendered else 'no Service is rendered'}); "
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


# ---------------------------------------------------------------------------------------------
# SL805 secret-ref


def secret_references(template: PodTemplate) -> Iterator[tuple]:
    """(pointer path tuple of the name, secret name, how, key or None, optional?) of a pod template."""
    for path, container in template.containers(CONTAINER_LISTS):
        for i, source in enumerate(as_list(container.get("envFrom"))):
            ref = as_dict(source).get("secretRef")
            if isinstance(ref, dict):
                yield (
                    path + ("envFrom", i, "secretRef", "name"),
                    ref.get("name"),
                    "envFrom",
                    None,
                    ref.get("optional"),
                )
        for i, entry in enumerate(as_list(container.get("env"))):
            ref = as_dict(as_dict(entry).get("valueFrom")).get("secretKeyRef")
            if isinstance(ref, dict):
                yield (
                    path + ("env", i, "valueFrom", "secretKeyRef", "name"),
                    ref.get("name"),
                    f"env {entry.get('name')}",
                    ref.get("key"),
                    ref.get("optional"),
                )
    for v, volume in enumerate(as_list(template.spec.get("volumes"))):
        if not isinstance(volume, dict):
            continue
        base = template.base + ("spec", "volumes", v)
        if isinstance(volume.get("secret"), dict):
            secret = volume["secret"]
            yield (
                base + ("secret", "secretName"),
                secret.get("secretName"),
                f"volume {volume.get('name')}",
                None,
                secret.get("optional"),
            )
        sources = as_dict(volume.get("projected")).get("sources")
        for s, source in enumerate(as_list(sources)):
            if isinstance(source, dict) and isinstance(source.get("secret"), dict):
                secret = source["secret"]
                yield (
                    base + ("projected", "sources", s, "secret", "name"),
                    secret.get("name"),
                    f"volume {volume.get('name')}",
                    None,
                    secret.get("optional"),
                )


def secret_providers(index) -> dict:
    """(namespace, Secret name) -> the keys it will hold (None = not knowable from the render)."""
    out: dict = {}
    for secret in index.of_kind("Secret"):
        fields = [secret.get(f) for f in ("data", "stringData") if isinstance(secret.get(f), dict)]
        # a Secret without data is filled by a controller (service account tokens): keys unknown
        keys = set().union(*fields) if fields else None
        out[(secret.namespace or index.namespace, secret.name)] = keys
    for external in index.of_kind("ExternalSecret"):
        spec = as_dict(external.get("spec"))
        target = as_dict(spec.get("target"))
        name = _name_or(target.get("name"), external.name)
        # dataFrom and target templates add keys the render cannot list
        knowable = not spec.get("dataFrom") and not target.get("template")
        keys = (
            {
                d["secretKey"]
                for d in as_list(spec.get("data"))
                if isinstance(as_dict(d).get("secretKey"), str)
            }
            if knowable
            else None
        )
        out[(external.namespace or index.namespace, name)] = keys
    for sealed in index.of_kind("SealedSecret"):
        name = _name_or(sealed.get("spec", "template", "metadata", "name"), sealed.name)
        out[(sealed.namespace or index.namespace, name)] = None
    return out


def _name_or(name, default: str) -> str:
    """A name field when it is a non-empty string, else the default name."""
    return name if isinstance(name, str) and name else default


@check("SL805", needs="manifests")
def secret_ref(ctx):
    index = index_of(ctx.manifests, ctx.options)
    providers = secret_providers(index)
    for template in pod_templates(ctx.manifests):
        namespace = template.obj.namespace or index.namespace
        for path, name, how, key, optional in secret_references(template):
            if not isinstance(name, str) or not name or optional is True:
                continue
            at = pointer(*path)
            if (namespace, name) not in providers:
                yield manifest_problem(
                    template.obj,
                    at,
                    f"{describe(template.obj)} reads Secret {name} ({how}), which no rendered Secret or "
                    "ExternalSecret provides; the pod will not start: map its secrets (externalSecrets.<component>.data "
                    "or <component>.secrets) or fix the name",
                    key=f"secret:{name}:{how}",
                )
                continue
            keys = providers[(namespace, name)]
            if isinstance(key, str) and keys is not None and key not in keys:
                yield manifest_problem(
                    template.obj,
                    at[: -len("/name")] + "/key",
                    f"{describe(template.obj)} reads key {key} of Secret {name} ({how}), which the rendered "
                    "Secret does not hold; add the key to the secret's data or fix secretKeyRef.key",
                    key=f"secret-key:{name}:{how}",
                )


# ---------------------------------------------------------------------------------------------
# SL806 billing-rendered


@dataclass
class BillingRunner:
    template: PodTemplate
    path: tuple  # the container's pointer path
    container: dict
    is_api: bool
    flags: dict  # flag -> (on?, pointer to the env value or None when unset, how it reads)


def billing_runners(manifests) -> list:
    """Containers of running workloads that carry the API's billing code, with their flags."""
    pods = [(template, container_roles(template)) for template in running_pod_templates(manifests)]
    api_images = {
        repository(container) for _, roles in pods for _, container, role in roles if _is_api(container, role)
    } - {None}
    runners = []
    for template, roles in pods:
        for path, container, role in roles:
            env = env_entries(container)
            is_api = _is_api(container, role)
            carries_billing = (
                is_api
                or any(flag in env for flag in BILLING_MARKERS)
                or (role != "web" and repository(container) in api_images)
            )
            if not carries_billing:
                continue
            flags = {}
            for flag in BILLING_FLAGS:
                if flag not in env:
                    flags[flag] = (True, None, f"{flag} unset, on by default")  # the app default is on
                    continue
                position, entry = env[flag]
                at = pointer(*path, "env", position, "value" if "value" in entry else "valueFrom")
                if "value" not in entry:
                    # a value from a Secret or ConfigMap cannot be read here: assume the app default (on)
                    flags[flag] = (True, at, f"{flag} from valueFrom, on by default")
                    continue
                state = read_flag(entry["value"])
                how = f"{flag} on" if state is Flag.ON else f"{flag} not a true/false value, on by default"
                flags[flag] = (state is not Flag.OFF, at, how)
            runners.append(BillingRunner(template, path, container, is_api, flags))
    return runners


def _is_api(container: dict, role: str | None) -> bool:
    """A name that says api/web/worker decides; the API's readiness path only speaks for a
    container whose names say nothing (a web app probing /health/ready is SL807's, not the API)."""
    return role == "api" or (role is None and readiness_path(container) == API_READY_PATH)


def max_replicas(index, obj) -> float | None:
    """How many pods a workload can run: the largest HPA maxReplicas targeting it, else spec.replicas."""
    if obj.kind == "DaemonSet":
        return float("inf")  # one per node
    if obj.kind not in SCALABLE:
        return 1
    bounds = [hpa.get("spec", "maxReplicas") for hpa in index.hpas_targeting(obj)]
    bounds = [b for b in bounds if number(b) is not None]
    own = number(obj.get("spec", "replicas", default=1))
    own = 1 if own is None else own
    return max([own] + bounds)


@check("SL806", needs="manifests")
def billing_rendered(ctx):
    index = index_of(ctx.manifests, ctx.options)
    runners = billing_runners(ctx.manifests)
    has_worker = any(not r.is_api for r in runners)
    for flag, what in BILLING_FLAGS.items():
        on = [r for r in runners if r.flags[flag][0]]
        reported = set()
        for runner in on:
            if not runner.is_api:
                continue
            count = max_replicas(index, runner.template.obj)
            if count > 1:
                reported.add(id(runner))
                shown = "one per node" if count == float("inf") else f"up to {count:g} replicas"
                # with a worker rendered, the API only has to leave the job to it
                remedy = (
                    f"set {flag}=\"false\" in the API (or drop it from api.env: the chart then turns "
                    "it off), the worker runs it"
                    if has_worker
                    else f"set {flag}=\"false\" in the API (enable the dedicated worker: worker.enabled=true) "
                    "or keep the API at one replica"
                )
                yield _runner_problem(
                    runner,
                    flag,
                    f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) and can run {shown}, so "
                    f"every replica runs {what} at the same time; {remedy}",
                    key=f"{flag}:replicas",
                )
        if len(on) < 2:
            continue
        # the dedicated owner keeps it; every other runner is the one to fix
        owner = next((r for r in on if not r.is_api and r.flags[flag][1] is not None), None) or next(
            (r for r in on if not r.is_api), on[0]
        )
        for runner in on:
            if runner is owner or id(runner) in reported:
                continue
            yield _runner_problem(
                runner,
                flag,
                f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) as does "
                f"{_runner_name(owner)}; exactly one workload may: set {flag}=\"false\" here",
                key=f"{flag}:owner",
            )


def _runner_name(runner: BillingRunner) -> str:
    return f"{describe(runner.template.obj)} container {runner.container.get('name') or '?'}"


def _runner_problem(runner: BillingRunner, flag: str, message: str, key: str) -> Problem:
    where = runner.flags[flag][1] or pointer(*runner.path, "name")
    obj = runner.template.obj
    return manifest_problem(obj, where, message, key=f"{key}:{runner.container.get('name')}")


# ---------------------------------------------------------------------------------------------
# SL807 health-probes

EXPECTED_READINESS = {"api": API_READY_PATH, "web": WEB_READY_PATH}


@check("SL807", needs="manifests")
def health_probes(ctx):
    for template in running_pod_templates(ctx.manifests):
        for path, container, role in container_roles(template):
            expected = EXPECTED_READINESS.get(role)
            if expected is None:
                continue
            probe = container.get("readinessProbe")
            http = probe.get("httpGet") if isinstance(probe, dict) else None
            actual = http.get("path") if isinstance(http, dict) else None
            if actual == expected:
                continue
            label = "API" if role == "api" else "web"
            who = f"{describe(template.obj)} container {container.get('name') or '?'} (the {label})"
            if not isinstance(probe, dict):
                where, state = pointer(*path, "name"), "has no readiness probe"
            elif not isinstance(http, dict):
                where, state = (
                    pointer(*path, "readinessProbe"),
                    "has a readiness probe that is not an HTTP GET",
                )
            else:
                where = pointer(*path, "readinessProbe", "httpGet", "path" if "path" in http else "port")
                state = f"checks readiness on {actual!s}" if actual is not None else "checks readiness on /"
            yield manifest_problem(
                template.obj,
                where,
                f"{who} {state}; set readinessProbe.httpGet.path to {expected} so that traffic waits for the "
                "app's own readiness (database, Redis)",
                key=f"readiness:{container.get('name')}",
            )
