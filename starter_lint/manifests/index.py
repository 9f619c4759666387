"""Objects of a ManifestSet by kind and by kind/namespace/name, for cross-resource rules.

Namespaces: an object without `metadata.namespace` is in the release namespace
(`options.namespace`, "default" unless told), which is where Helm installs it.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable

from .model import ManifestObject, ManifestSet


class ManifestIndex:
    def __init__(self, objects: Iterable[ManifestObject], namespace: str = "default"):
        self.namespace = namespace
        self.objects = list(objects)
        self._by_kind: dict = defaultdict(list)
        # identity -> its first object, and of the few identities shared, every object: not a
        # list per object (6,000 lists at 500 releases)
        self._by_identity: dict = {}
        self._twins: dict = {}
        self._by_name: dict = {}  # (kind, namespace, name) -> the first such object
        self._hpas_by_target: dict | None = None
        self._names: dict | None = None  # (kind, namespace) -> sorted names, built when asked
        for obj in self.objects:
            # `identity` read once per object (thousands of them: each property read costs)
            identity = self.identity(obj)
            _, kind, namespace, name = identity
            self._by_kind[kind].append(obj)
            first = self._by_identity.setdefault(identity, obj)
            if first is not obj:
                self._twins.setdefault(identity, [first]).append(obj)
            self._by_name.setdefault((kind, namespace, name), obj)

    def identity(self, obj: ManifestObject) -> tuple:
        """(group, kind, namespace, name): what the API server keys an object by."""
        api_version = obj.api_version
        # interned: one string per group, not one per object
        group = sys.intern(api_version.rpartition("/")[0]) if "/" in api_version else ""
        return group, obj.kind, obj.namespace or self.namespace, obj.name

    def of_kind(self, *kinds: str) -> list:
        return [obj for kind in kinds for obj in self._by_kind.get(kind, ())]

    def get(self, kind: str, name: str, namespace: str | None = None) -> ManifestObject | None:
        return self._by_name.get((kind, namespace or self.namespace, name))

    def names_in_namespace(self, kind: str, namespace: str) -> list:
        """The sorted names of the objects of `kind` in `namespace`: computed once per kind, so a
        message listing them for each of many dangling references costs no scan each."""
        if self._names is None:
            self._names = defaultdict(list)
            for obj in self.objects:
                self._names[(obj.kind, obj.namespace or self.namespace)].append(obj.name)
            for names in self._names.values():
                names.sort()
        return list(self._names.get((kind, namespace), ()))

    def hpas_targeting(self, obj: ManifestObject) -> list:
        """HorizontalPodAutoscalers whose scaleTargetRef names `obj` (same kind, name, namespace)."""
        if self._hpas_by_target is None:
            self._hpas_by_target = defaultdict(list)
            for hpa in self._by_kind.get("HorizontalPodAutoscaler", ()):
                ref = hpa.get("spec", "scaleTargetRef")
                if (
                    isinstance(ref, dict)
                    and isinstance(ref.get("kind"), str)
                    and isinstance(ref.get("name"), str)
                ):
                    key = (ref["kind"], hpa.namespace or self.namespace, ref["name"])
                    self._hpas_by_target[key].append(hpa)
        return self._hpas_by_target.get((obj.kind, obj.namespace or self.namespace, obj.name), [])

    def duplicates(self) -> list:
        """Lists of objects (two or more) that share one identity, in input order."""
        twins = self._twins
        return [twins[identity] for identity in self._by_identity if identity in twins and identity[3]]


def index_of(manifests: ManifestSet, options=None) -> ManifestIndex:
    """The index of a ManifestSet, built once and kept on it."""
    if manifests.index is None:
        manifests.index = ManifestIndex(manifests.objects, getattr(options, "namespace", None) or "default")
    return manifests.index
