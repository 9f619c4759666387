"""Does an admission policy (or binding) apply to the CREATE of a rendered object?

As the API server decides it (kubernetes.io/docs/reference/access-authn-authz/
validating-admission-policy/, "Matching requests: matchConstraints"): the resource rules
(group, version, resource, operation, scope, resourceNames; `*` is every resource but no
subresource, `*/*` every resource and subresource, `pods/status`-style entries name only
subresources, which a CREATE of the object never is), minus excludeResourceRules, then the
namespaceSelector (against the labels of the object's namespace; a cluster-scoped object always
matches it, a Namespace is matched by its own labels) and the objectSelector.

The resource of a kind: the CustomResourceDefinition's names and scope when the render or the
policy files hold it, else a table of the built-in kinds, else kubectl's guess for a custom
resource (lowercase; `s` -> `ses`, consonant + `y` -> `ies`, else `+s`), namespaced. An object's namespace labels come from Namespace objects of the render or the policy
files, plus `kubernetes.io/metadata.name` which the API server sets on every namespace; a
selector that needs labels of a namespace nobody gave is UNKNOWN, said so in a note, never guessed.
"""

from __future__ import annotations

from typing import Any

from ..fields import as_dict
from ..records import record

# kind -> (plural resource, namespaced?) for the built-in kinds a chart renders
_BUILTIN = {
    "Pod": ("pods", True),
    "Service": ("services", True),
    "ConfigMap": ("configmaps", True),
    "Secret": ("secrets", True),
    "ServiceAccount": ("serviceaccounts", True),
    "PersistentVolumeClaim": ("persistentvolumeclaims", True),
    "Endpoints": ("endpoints", True),
    "LimitRange": ("limitranges", True),
    "ResourceQuota": ("resourcequotas", True),
    "ReplicationController": ("replicationcontrollers", True),
    "Event": ("events", True),
    "PodTemplate": ("podtemplates", True),
    "Deployment": ("deployments", True),
    "StatefulSet": ("statefulsets", True),
    "DaemonSet": ("daemonsets", True),
    "ReplicaSet": ("replicasets", True),
    "ControllerRevision": ("controllerrevisions", True),
    "Job": ("jobs", True),
    "CronJob": ("cronjobs", True),
    "HorizontalPodAutoscaler": ("horizontalpodautoscalers", True),
    "Ingress": ("ingresses", True),
    "NetworkPolicy": ("networkpolicies", True),
    "PodDisruptionBudget": ("poddisruptionbudgets", True),
    "Role": ("roles", True),
    "RoleBinding": ("rolebindings", True),
    "Lease": ("leases", True),
    "EndpointSlice": ("endpointslices", True),
    "CSIStorageCapacity": ("csistoragecapacities", True),
    "Namespace": ("namespaces", False),
    "Node": ("nodes", False),
    "PersistentVolume": ("persistentvolumes", False),
    "ClusterRole": ("clusterroles", False),
    "ClusterRoleBinding": ("clusterrolebindings", False),
    "StorageClass": ("storageclasses", False),
    "VolumeAttachment": ("volumeattachments", False),
    "CSIDriver": ("csidrivers", False),
    "CSINode": ("csinodes", False),
    "IngressClass": ("ingressclasses", False),
    "PriorityClass": ("priorityclasses", False),
    "RuntimeClass": ("runtimeclasses", False),
    "CustomResourceDefinition": ("customresourcedefinitions", False),
    "APIService": ("apiservices", False),
    "MutatingWebhookConfiguration": ("mutatingwebhookconfigurations", False),
    "ValidatingWebhookConfiguration": ("validatingwebhookconfigurations", False),
    "ValidatingAdmissionPolicy": ("validatingadmissionpolicies", False),
    "ValidatingAdmissionPolicyBinding": ("validatingadmissionpolicybindings", False),
    "FlowSchema": ("flowschemas", False),
    "PriorityLevelConfiguration": ("prioritylevelconfigurations", False),
}

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"


class Unknown(Exception):
    """A namespaceSelector needs labels of a namespace that no Namespace object gives."""

    def __init__(self, namespace: str):
        super().__init__(namespace)
        self.namespace = namespace


def guess_resource(kind: str) -> str:
    """kubectl's plural for a kind it has no discovery for (UnsafeGuessKindToResource), except
    that a vowel before the `y` keeps it (Gateway -> gateways, as CRDs name it)."""
    lower = kind.lower()
    if lower.endswith("s"):
        return lower + "es"
    if lower.endswith("y") and lower[-2:-1] not in tuple("aeiou"):
        return lower[:-1] + "ies"
    return lower + "s"


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def crd_resources(objects) -> dict:
    """(group, kind) -> (plural, namespaced?) from the CustomResourceDefinitions among `objects`."""
    found = {}
    for obj in objects:
        if isinstance(obj, dict) and obj.get("kind") == "CustomResourceDefinition":
            spec = as_dict(obj.get("spec"))
            names = as_dict(spec.get("names"))
            if isinstance(names.get("kind"), str) and isinstance(names.get("plural"), str):
                found[(_text(spec.get("group")), names["kind"])] = (
                    names["plural"],
                    spec.get("scope") != "Cluster",
                )
    return found


def resource_of(kind: str, group: str = "", crds: dict | None = None) -> tuple[str, bool]:
    """(plural resource, namespaced?) of a kind: its CRD if given, the table of built-in kinds,
    else kubectl's guess, namespaced."""
    return (crds or {}).get((group, kind)) or _BUILTIN.get(kind) or (guess_resource(kind), True)


@record(frozen=True, slots=True)
class Request:
    """What a CREATE of one rendered object looks like to an admission policy."""

    group: str
    version: str
    kind: str
    resource: str
    namespaced: bool
    name: str
    namespace: str  # "" for a cluster-scoped object
    labels: dict

    @classmethod
    def of(cls, obj: dict, default_namespace: str, crds: dict | None = None) -> Request:
        group, _, version = _text(obj.get("apiVersion")).rpartition("/")
        kind = _text(obj.get("kind"))
        resource, namespaced = resource_of(kind, group, crds)
        metadata = as_dict(obj.get("metadata"))
        labels = as_dict(metadata.get("labels"))
        name = _text(metadata.get("name"))
        namespace = _text(metadata.get("namespace"))
        return cls(
            group,
            version,
            kind,
            resource,
            namespaced,
            name,
            (namespace or default_namespace) if namespaced else "",
            {str(k): str(v) for k, v in labels.items()},
        )

    def as_cel(self) -> dict:
        """The AdmissionRequest the expressions see as `request`. No user sends it offline, so
        userInfo has its fields, empty (`'system:nodes' in request.userInfo.groups` is false)."""
        kind = {"group": self.group, "version": self.version, "kind": self.kind}
        resource = {"group": self.group, "version": self.version, "resource": self.resource}
        return {
            "uid": "",
            "kind": kind,
            "resource": resource,
            "requestKind": kind,
            "requestResource": resource,
            "name": self.name,
            "namespace": self.namespace,
            "operation": "CREATE",
            "userInfo": {"username": "", "uid": "", "groups": [], "extra": {}},
            "dryRun": False,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"},
        }


def _listed(values: Any, wanted: str) -> bool:
    return isinstance(values, list) and ("*" in values or wanted in values)


def _resource_listed(resources: Any, resource: str) -> bool:
    # a CREATE of the object is of the resource itself, never a subresource
    return isinstance(resources, list) and any(entry in ("*", "*/*", resource) for entry in resources)


def rule_matches(rule: dict, request: Request, exact: bool) -> bool:
    """One NamedRuleWithOperations against a CREATE. With matchPolicy Equivalent (the default) a
    rule for another version of the same group and resource matches too: the API server would
    convert the object to the version the rule names."""
    if not _listed(rule.get("operations"), "CREATE"):
        return False
    if not _listed(rule.get("apiGroups"), request.group):
        return False
    if exact and not _listed(rule.get("apiVersions"), request.version):
        return False
    if not exact and not isinstance(rule.get("apiVersions"), list):
        return False
    if not _resource_listed(rule.get("resources"), request.resource):
        return False
    scope = rule.get("scope", "*")
    if scope != "*" and scope != ("Namespaced" if request.namespaced else "Cluster"):
        return False
    names = rule.get("resourceNames")
    return not names or request.name in names


def selector_matches(selector: Any, labels: dict) -> bool:
    """A metav1.LabelSelector: matchLabels and matchExpressions all hold (empty/absent: everything)."""
    if not selector:
        return True
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for requirement in selector.get("matchExpressions") or ():
        key, operator, values = requirement["key"], requirement["operator"], requirement.get("values") or []
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and key in labels and labels[key] in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


def _selector_keys(selector: dict) -> set:
    return set(selector.get("matchLabels") or {}) | {r["key"] for r in selector.get("matchExpressions") or ()}


def namespace_labels(request: Request, namespaces: dict, selector: Any) -> dict | None:
    """The labels the namespaceSelector is held to; None: it matches without looking (cluster-scoped)."""
    if request.kind == "Namespace" and not request.group:
        return {**request.labels, NAMESPACE_NAME_LABEL: request.name}
    if not request.namespaced:
        return None
    known = namespaces.get(request.namespace)
    if known is not None:
        return {**known, NAMESPACE_NAME_LABEL: request.namespace}
    if selector and _selector_keys(selector) - {NAMESPACE_NAME_LABEL}:
        raise Unknown(request.namespace)
    return {NAMESPACE_NAME_LABEL: request.namespace}


def _rules_select(match: dict, request: Request, rules_required: bool) -> bool:
    exact = match.get("matchPolicy", "Equivalent") == "Exact"
    rules = match.get("resourceRules")
    if (rules or rules_required) and not any(rule_matches(rule, request, exact) for rule in rules or ()):
        return False
    return not any(rule_matches(rule, request, exact) for rule in match.get("excludeResourceRules") or ())


def _names_resources(match: dict) -> bool:
    """Whether a resource rule (or an excluding one) of `match` names resources: then the
    request's name decides too."""
    rules = (match.get("resourceRules") or []) + (match.get("excludeResourceRules") or [])
    return any(rule.get("resourceNames") for rule in rules)


def reads_more_than_kind(match: dict | None) -> bool:
    """Whether matching `match` reads more of a request than its group, version, resource and
    scope: its name (resourceNames), its labels (objectSelector) or its namespace's
    (namespaceSelector). When not, one request of a kind answers for every request of it."""
    if match is None:
        return False
    return bool(match.get("objectSelector") or match.get("namespaceSelector")) or _names_resources(match)


def may_select_kind(match: dict, request: Request) -> bool:
    """False when a policy's matchConstraints select no request of this group, version, resource
    and scope, whatever its name, namespace or labels (their resource rules name no resourceNames)."""
    return _names_resources(match) or _rules_select(match, request, True)


def matches(
    match: dict | None, request: Request, namespaces: dict, rules_required: bool, cache: dict | None = None
) -> bool:
    """A MatchResources (a policy's matchConstraints or a binding's matchResources) selects the
    request. A binding's resourceRules may be left out (then they do not narrow); a policy's
    may not. Raises Unknown when the answer depends on a namespace's unknown labels.

    `cache` (one per run) keeps the resource rules' verdict per kind of request: thousands of
    objects share a handful of group/version/resource triples."""
    if match is None:
        return True
    if cache is None:
        selected = _rules_select(match, request, rules_required)
    else:
        names = cache.get(id(match))
        if names is None:
            names = cache[id(match)] = _names_resources(match)
        key: tuple = (id(match), request.group, request.version, request.resource, request.namespaced)
        key += (rules_required, request.name) if names else (rules_required,)
        known = cache.get(key)
        selected = (
            known
            if known is not None
            else cache.setdefault(key, _rules_select(match, request, rules_required))
        )
    if not selected:
        return False
    if not selector_matches(match.get("objectSelector"), request.labels):
        return False
    selector = match.get("namespaceSelector")
    labels = namespace_labels(request, namespaces, selector) if selector else None
    return labels is None or selector_matches(selector, labels)
