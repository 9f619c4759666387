"""The workloads of a rendered release: pod templates, container roles, env, images, ports,
secret references and replica bounds, read from ManifestObjects for the cross-resource rules
(SL8xx) and the drift rule (SL808).

Wrong-typed fields are SL701's to report: everything here reads through `as_list` / `as_dict`
and skips what it cannot read. Workloads that are Helm hooks or tests (`helm.sh/hook`) are not
part of the running release (`running_pod_templates` leaves them out).

How a container's role is told (no label is part of the contract, so names and probes decide):
- by name: the container's name split into words (`starter-api` → starter, api): a word `api`
  makes it the API, `web` the web app, `worker` the worker; when no container of a pod has a
  role by its own name, the workload's name gives the first container its role (sidecars
  beside it get none);
- a container whose name says nothing but that serves readiness on `/health/ready` is the API
  as well (`is_api_container`, for the billing topology of SL806).

A container runs the billing code (`billing_runners`) when it is the API, sets a billing
variable, or runs the same image repository as an API container (the worker runs the API
image); a billing flag's value reads as `flags.read_flag` says, as it does for SL401–SL403 on
the values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..fields import as_dict, as_list, number
from ..flags import Flag, read_flag
from ..image_ref import parse_image
from ..pointer import build as pointer
from ..records import record
from .index import ManifestIndex
from .model import ManifestObject, ManifestSet

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


# ---------------------------------------------------------------------------------------------
# Pod templates


@record
class PodTemplate:
    """A pod template inside a workload object (or a bare Pod): its labels and spec."""

    obj: ManifestObject
    base: tuple  # path of the pod template (metadata + spec) inside the object
    labels: dict
    spec: dict

    def containers(self, lists=("containers",)) -> Iterator[tuple]:
        """(pointer path tuple, container dict) of the given container lists."""
        for list_name in lists:
            for index, container in enumerate(as_list(self.spec.get(list_name))):
                if isinstance(container, dict):
                    yield self.base + ("spec", list_name, index), container


def pod_template(obj: ManifestObject) -> PodTemplate | None:
    """The pod template of a workload (a Pod is its own), None for other kinds or no spec."""
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


def pod_templates(manifests: ManifestSet) -> list:
    """Every object's pod template, in input order (hooks and jobs included): found once per
    ManifestSet (five rules ask), each caller gets its own list."""
    templates = getattr(manifests, "templates", None)
    if templates is None:
        templates = [t for t in (pod_template(obj) for obj in manifests.objects) if t is not None]
        if isinstance(manifests, ManifestSet):
            manifests.templates = templates
    return list(templates)


def is_hook(obj: ManifestObject) -> bool:
    """A Helm hook or test (`helm.sh/hook`): not part of the running release."""
    annotations = obj.metadata.get("annotations")
    return isinstance(annotations, dict) and "helm.sh/hook" in annotations


def running_pod_templates(manifests: ManifestSet) -> list:
    """Pod templates of the long-running workloads of the release (no hooks, jobs or tests)."""
    return [t for t in pod_templates(manifests) if t.obj.kind in LONG_RUNNING and not is_hook(t.obj)]


# ---------------------------------------------------------------------------------------------
# Roles


def name_words(name) -> set:
    """The lower-case words of a name (`Starter-API_1` -> starter, api, 1)."""
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
    """The path of the container's HTTP readiness probe, None without one."""
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


def port_number(value) -> float | None:
    """A port given as a number or a decimal string (`"8080"`), else None (a name, or unreadable)."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdecimal()):  # "²".isdigit() is true, int("²") fails
            return None
        try:
            return int(value)
        except ValueError:  # more digits than Python converts
            return None
    return number(value)


def is_api_container(container: dict, role: str | None) -> bool:
    """A name that says api/web/worker decides; the API's readiness path only speaks for a
    container whose names say nothing (a web app probing /health/ready is SL807's, not the API)."""
    return role == "api" or (role is None and readiness_path(container) == API_READY_PATH)


# ---------------------------------------------------------------------------------------------
# Secrets a pod template reads, and the Secrets a render provides


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


def secret_providers(index: ManifestIndex) -> dict:
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


# ---------------------------------------------------------------------------------------------
# Replicas


def max_replicas(index: ManifestIndex, obj: ManifestObject) -> float:
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


# ---------------------------------------------------------------------------------------------
# Billing runners (SL806)

BILLING_FLAGS = {
    "ENABLE_BILLING_RETRY_WORKER": "billing retries",
    "ENABLE_BILLING_STREAM_REPLAY": "billing stream replay",
}
BILLING_MARKERS = tuple(BILLING_FLAGS) + ("BILLING_RETRY_DEPLOYMENT_MODE",)


@record
class BillingRunner:
    """A container that runs the billing code, and how its billing flags read."""

    template: PodTemplate
    path: tuple  # the container's pointer path
    container: dict
    is_api: bool
    flags: dict  # flag -> (on?, pointer to the env value or None when unset, how it reads)


def billing_runners(manifests) -> list:
    """Containers of running workloads that carry the API's billing code, with their flags."""
    pods = [(template, container_roles(template)) for template in running_pod_templates(manifests)]
    api_images = {
        repository(container)
        for _, roles in pods
        for _, container, role in roles
        if is_api_container(container, role)
    } - {None}
    runners = []
    for template, roles in pods:
        for path, container, role in roles:
            env = env_entries(container)
            is_api = is_api_container(container, role)
            carries_billing = (
                is_api
                or any(flag in env for flag in BILLING_MARKERS)
                or (role != "web" and repository(container) in api_images)
            )
            if not carries_billing:
                continue
            flags: dict[str, tuple[bool, str | None, str]] = {}
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
