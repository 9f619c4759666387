"""Which apiVersions are gone or going between the minimum Kubernetes version and the newest known.

Two sources: a table of the removals Kubernetes announced (its deprecated-API migration guide,
including those older than the oldest bundled schemas, 1.25) plus External Secrets Operator's
`v1beta1`; and the bundled schemas themselves (a kind/apiVersion served in one bundled version
and not in a later one was removed there). The table gives the replacement; otherwise the
newest apiVersion of the same group serving the kind is suggested.
"""

from __future__ import annotations

from ..option_table import DEFAULT_KUBE_VERSION
from ..records import record
from .schemas import bundled_versions, kube_schemas, parse_version, split_api_version


@record(frozen=True)
class Removal:
    """An API version of a kind that Kubernetes (or its operator) no longer serves."""

    api_version: str
    kind: str
    removed_in: tuple | None  # Kubernetes (major, minor), None: no longer served by its operator
    replacement: str | None  # apiVersion to use instead, None: no replacement
    note: str = ""


_WORKLOADS = ("Deployment", "DaemonSet", "ReplicaSet", "StatefulSet")
_TABLE = [
    *(
        Removal(av, kind, (1, 16), "apps/v1")
        for av in ("extensions/v1beta1", "apps/v1beta1", "apps/v1beta2")
        for kind in _WORKLOADS
    ),
    Removal("extensions/v1beta1", "NetworkPolicy", (1, 16), "networking.k8s.io/v1"),
    Removal("extensions/v1beta1", "PodSecurityPolicy", (1, 16), None, "use Pod Security Admission instead"),
    Removal("extensions/v1beta1", "Ingress", (1, 22), "networking.k8s.io/v1"),
    Removal("networking.k8s.io/v1beta1", "Ingress", (1, 22), "networking.k8s.io/v1"),
    Removal("networking.k8s.io/v1beta1", "IngressClass", (1, 22), "networking.k8s.io/v1"),
    Removal(
        "admissionregistration.k8s.io/v1beta1",
        "MutatingWebhookConfiguration",
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    Removal(
        "admissionregistration.k8s.io/v1beta1",
        "ValidatingWebhookConfiguration",
        (1, 22),
        "admissionregistration.k8s.io/v1",
    ),
    Removal("apiextensions.k8s.io/v1beta1", "CustomResourceDefinition", (1, 22), "apiextensions.k8s.io/v1"),
    Removal("apiregistration.k8s.io/v1beta1", "APIService", (1, 22), "apiregistration.k8s.io/v1"),
    Removal("authentication.k8s.io/v1beta1", "TokenReview", (1, 22), "authentication.k8s.io/v1"),
    *(
        Removal("authorization.k8s.io/v1beta1", kind, (1, 22), "authorization.k8s.io/v1")
        for kind in ("SubjectAccessReview", "LocalSubjectAccessReview", "SelfSubjectAccessReview")
    ),
    Removal("certificates.k8s.io/v1beta1", "CertificateSigningRequest", (1, 22), "certificates.k8s.io/v1"),
    Removal("coordination.k8s.io/v1beta1", "Lease", (1, 22), "coordination.k8s.io/v1"),
    *(
        Removal("rbac.authorization.k8s.io/v1beta1", kind, (1, 22), "rbac.authorization.k8s.io/v1")
        for kind in ("ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")
    ),
    Removal("scheduling.k8s.io/v1beta1", "PriorityClass", (1, 22), "scheduling.k8s.io/v1"),
    *(
        Removal("storage.k8s.io/v1beta1", kind, (1, 22), "storage.k8s.io/v1")
        for kind in ("CSIDriver", "CSINode", "StorageClass", "VolumeAttachment")
    ),
    Removal("batch/v1beta1", "CronJob", (1, 25), "batch/v1"),
    Removal("discovery.k8s.io/v1beta1", "EndpointSlice", (1, 25), "discovery.k8s.io/v1"),
    Removal("events.k8s.io/v1beta1", "Event", (1, 25), "events.k8s.io/v1"),
    Removal("autoscaling/v2beta1", "HorizontalPodAutoscaler", (1, 25), "autoscaling/v2"),
    Removal("policy/v1beta1", "PodDisruptionBudget", (1, 25), "policy/v1"),
    Removal("policy/v1beta1", "PodSecurityPolicy", (1, 25), None, "use Pod Security Admission instead"),
    Removal("node.k8s.io/v1beta1", "RuntimeClass", (1, 25), "node.k8s.io/v1"),
    Removal("autoscaling/v2beta2", "HorizontalPodAutoscaler", (1, 26), "autoscaling/v2"),
    *(
        Removal("flowcontrol.apiserver.k8s.io/v1beta1", kind, (1, 26), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    Removal("storage.k8s.io/v1beta1", "CSIStorageCapacity", (1, 27), "storage.k8s.io/v1"),
    *(
        Removal("flowcontrol.apiserver.k8s.io/v1beta2", kind, (1, 29), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    *(
        Removal("flowcontrol.apiserver.k8s.io/v1beta3", kind, (1, 32), "flowcontrol.apiserver.k8s.io/v1")
        for kind in ("FlowSchema", "PriorityLevelConfiguration")
    ),
    *(
        Removal(
            "external-secrets.io/v1beta1",
            kind,
            None,
            "external-secrets.io/v1",
            "is deprecated and no longer served by current External Secrets Operator",
        )
        for kind in ("ExternalSecret", "SecretStore", "ClusterSecretStore", "ClusterExternalSecret")
    ),
]
KNOWN_REMOVALS = {(r.api_version, r.kind): r for r in _TABLE}


@record(frozen=True)
class ApiProblem:
    """What happens to an object's API version on the target Kubernetes version."""

    kind: str
    api_version: str
    message: str  # what happens to it, e.g. "was removed in Kubernetes 1.26"
    replacement: str | None
    served_at_minimum: bool


def _text(version: tuple) -> str:
    return f"{version[0]}.{version[1]}"


class ApiVersions:
    """Answers "is this apiVersion going away?" for a minimum Kubernetes version."""

    def __init__(self, minimum: str = DEFAULT_KUBE_VERSION):
        self.minimum = parse_version(minimum)
        self.versions = bundled_versions()
        self.newest = self.versions[-1]
        self._groups: set | None = None

    def _kubernetes_group(self, api_version: str) -> bool:
        """True when the minimum or newest Kubernetes serves anything in this API group."""
        if self._groups is None:
            self._groups = {
                split_api_version(av)[0]
                for v in (self.minimum, self.newest)
                if v in self.versions
                for av, _ in kube_schemas(_text(v)).kinds
            }
        return split_api_version(api_version)[0] in self._groups

    def _served(self, version: tuple, api_version: str, kind: str) -> bool:
        return kube_schemas(_text(version)).served(api_version, kind)

    def _replacement(self, api_version: str, kind: str, at: tuple | None = None) -> str | None:
        """The most stable apiVersion of the same group serving `kind` at `at` (default: newest)."""
        group = split_api_version(api_version)[0]
        schemas = kube_schemas(_text(at or self.newest))
        candidates = [
            av
            for (av, k) in schemas.kinds
            if k == kind and split_api_version(av)[0] == group and av != api_version
        ]

        def stability(av):  # v1 > v1beta3 > v1alpha1, GA first
            version = split_api_version(av)[1]
            level = 2 if "alpha" in version else 1 if "beta" in version else 0
            return level, -len(version), tuple(-ord(c) for c in version)  # newest first

        return sorted(candidates, key=stability)[0] if candidates else None

    def check(self, api_version: str, kind: str, known_kinds=None) -> ApiProblem | None:
        """An ApiProblem when `kind` at `api_version` is removed or not yet served, else None."""
        known = KNOWN_REMOVALS.get((api_version, kind))
        if known is not None:
            if known.removed_in is None:
                return ApiProblem(kind, api_version, known.note, known.replacement, False)
            if known.removed_in <= self.newest:
                served = known.removed_in > self.minimum
                when = (
                    f"was removed in Kubernetes {_text(known.removed_in)}"
                    if not served
                    else f"is removed in Kubernetes {_text(known.removed_in)}, after the minimum "
                    f"{_text(self.minimum)}"
                )
                return ApiProblem(
                    kind,
                    api_version,
                    when + (f" ({known.note})" if known.note else ""),
                    known.replacement,
                    served,
                )
            return None
        if not self._kubernetes_group(api_version):
            return None  # a CRD (or a typo): SL702's business, and no bundled version to scan
        if not any(
            self._served(v, api_version, kind) for v in (self.minimum, self.newest) if v in self.versions
        ):
            served_in = [v for v in self.versions if self._served(v, api_version, kind)]
            if not served_in:
                return None  # not a Kubernetes API at all (a CRD or a typo): SL702's business
            last = served_in[-1]
            if last < self.minimum:
                later = [v for v in self.versions if v > last]
                return ApiProblem(
                    kind,
                    api_version,
                    f"was removed in Kubernetes {_text(later[0])}",
                    self._replacement(api_version, kind),
                    False,
                )
            return ApiProblem(
                kind,
                api_version,
                f"is not served by Kubernetes {_text(self.minimum)} (first served in "
                f"{_text(served_in[0])}); raise --kube-version or use an older apiVersion",
                self._older(api_version, kind),
                False,
            )
        if (
            self.minimum in self.versions
            and self._served(self.minimum, api_version, kind)
            and not self._served(self.newest, api_version, kind)
        ):
            gone = next(
                v for v in self.versions if v > self.minimum and not self._served(v, api_version, kind)
            )
            return ApiProblem(
                kind,
                api_version,
                f"is removed in Kubernetes {_text(gone)}, after the minimum {_text(self.minimum)}",
                self._replacement(api_version, kind),
                True,
            )
        if (
            self.minimum in self.versions
            and not self._served(self.minimum, api_version, kind)
            and self._served(self.newest, api_version, kind)
        ):
            first = next(v for v in self.versions if self._served(v, api_version, kind))
            return ApiProblem(
                kind,
                api_version,
                f"is not served by Kubernetes {_text(self.minimum)} (first served in "
                f"{_text(first)}); raise --kube-version or use an older apiVersion",
                self._older(api_version, kind),
                False,
            )
        return None

    def _older(self, api_version: str, kind: str) -> str | None:
        return self._replacement(api_version, kind, self.minimum) if self.minimum in self.versions else None
