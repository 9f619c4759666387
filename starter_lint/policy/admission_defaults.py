"""The API server's defaults, filled in before an admission policy sees an object.

A CREATE is decoded with the type's defaults applied before any admission runs (the API server's
order: decode and default, mutating admission, then validating admission), so a policy reads
`object.spec.replicas` as 1 where a chart rendered none, a container's `resources` as `{}` and a
port's `protocol` as TCP. Without them, Kubernetes' own documentation example
(`object.spec.replicas <= params.maxReplicas`) would deny every autoscaled Deployment, whose
chart leaves `replicas` out. The table holds the defaults of the built-in workload, pod and
Service fields that policies commonly read (k8s.io/api's SetDefaults_* functions); a field with
no entry here is left as rendered, and a value the render sets is never changed.
"""

from __future__ import annotations

import copy
from typing import Any

# the pod template's path in each workload kind (apiVersion's group, kind)
_POD_SPEC_PATHS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "Pod"): ("spec",),
    ("", "ReplicationController"): ("spec", "template", "spec"),
    ("apps", "Deployment"): ("spec", "template", "spec"),
    ("apps", "StatefulSet"): ("spec", "template", "spec"),
    ("apps", "DaemonSet"): ("spec", "template", "spec"),
    ("apps", "ReplicaSet"): ("spec", "template", "spec"),
    ("batch", "Job"): ("spec", "template", "spec"),
    ("batch", "CronJob"): ("spec", "jobTemplate", "spec", "template", "spec"),
}
_REPLICATED = {
    ("", "ReplicationController"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("apps", "ReplicaSet"),
}
_POD_DEFAULTS = {
    "restartPolicy": "Always",
    "dnsPolicy": "ClusterFirst",
    "schedulerName": "default-scheduler",
    "terminationGracePeriodSeconds": 30,
    "securityContext": {},
}
_CONTAINER_DEFAULTS = {
    "terminationMessagePath": "/dev/termination-log",
    "terminationMessagePolicy": "File",
    "resources": {},
}


def _setdefault(mapping: dict[str, Any], key: str, value: Any) -> None:
    """Fill in a field the render left out, or rendered as null (`replicas: {{ .Values.x }}` with
    x unset): the API server defaults both."""
    if mapping.get(key) is None:
        mapping[key] = copy.copy(value)


def _group_kind(obj: dict[str, Any]) -> tuple[str, str]:
    api_version = str(obj.get("apiVersion") or "")
    group = api_version.rsplit("/", 1)[0] if "/" in api_version else ""
    return group, str(obj.get("kind") or "")


def _pull_policy(image: object) -> str:
    """Always for an image with no tag or the `latest` tag, IfNotPresent otherwise (a digest
    counts as pinned), as the API server defaults it."""
    text = str(image or "")
    if "@" in text:
        return "IfNotPresent"
    name = text.rsplit("/", 1)[-1]
    tag = name.split(":", 1)[1] if ":" in name else ""
    return "Always" if tag in ("", "latest") else "IfNotPresent"


def _own(mapping: dict[str, Any], key: str) -> Any:
    """mapping[key] made a shallow copy of its own when it is a map or a list (to be changed),
    and returned: only what gets a default is copied, the rest is shared with the render."""
    node = mapping.get(key)
    if isinstance(node, (dict, list)):
        node = mapping[key] = copy.copy(node)
    return node


def _own_items(mapping: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """The maps of the list mapping[key], each (and the list) a copy of its own."""
    items = _own(mapping, key)
    if not isinstance(items, list):
        return []
    for i, item in enumerate(items):
        if isinstance(item, dict):
            items[i] = dict(item)
    return [item for item in items if isinstance(item, dict)]


def _default_container(container: dict[str, Any]) -> None:
    for key, value in _CONTAINER_DEFAULTS.items():
        _setdefault(container, key, value)
    _setdefault(container, "imagePullPolicy", _pull_policy(container.get("image")))
    for port in _own_items(container, "ports"):
        _setdefault(port, "protocol", "TCP")


def _default_pod_spec(spec: dict[str, Any], kind: tuple[str, str]) -> None:
    for key, value in _POD_DEFAULTS.items():
        if key == "restartPolicy" and kind[0] == "batch":
            continue  # a Job's pods must say Never or OnFailure: no default to fill in
        _setdefault(spec, key, value)
    for field in ("initContainers", "containers"):
        for container in _own_items(spec, field):
            _default_container(container)


def _default_service(spec: dict[str, Any]) -> None:
    _setdefault(spec, "type", "ClusterIP")
    _setdefault(spec, "sessionAffinity", "None")
    for port in _own_items(spec, "ports"):
        _setdefault(port, "protocol", "TCP")
        if "port" in port:
            _setdefault(port, "targetPort", port["port"])


def _at(obj: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    """The map at `path`, it and the maps on the way copies of their own."""
    node: Any = obj
    for key in path:
        node = _own(node, key) if isinstance(node, dict) else None
    return node if isinstance(node, dict) else None


def with_defaults(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of the rendered object with the API server's defaults of the fields above filled
    in (the object itself unchanged: findings are located in what was rendered). Only the maps
    and lists on the way to a default are copied; the rest is shared (a policy never changes
    what it reads)."""
    kind = _group_kind(obj)
    if kind not in _POD_SPEC_PATHS and kind != ("", "Service"):
        return obj
    out = dict(obj)
    if kind == ("", "Service"):
        spec = _at(out, ("spec",))
        if spec is not None:
            _default_service(spec)
        return out
    if kind in _REPLICATED:
        spec = _at(out, ("spec",))
        if spec is not None:
            _setdefault(spec, "replicas", 1)
    pod_spec = _at(out, _POD_SPEC_PATHS[kind])
    if pod_spec is not None:
        _default_pod_spec(pod_spec, kind)
    return out
