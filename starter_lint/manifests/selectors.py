"""Pod templates indexed by namespace and label, so that label selectors (a Service's, SL802) cost
a look-up per label instead of a scan of every pod template.

A selector matches a pod template in its namespace when the template carries every selector
label with the same value. Many Services often share one selector (every pod of a chart), so the
pods a selector matches, and the ports they declare, are gathered once per distinct selector and
shared by the Services that use it. The pod template closest to a selector that matches none (the
one sharing most of its labels, the first in input order on a tie) is found from the label sets
as well: 3,000 Services and 3,000 Deployments in one namespace cost linear time, not 9 million
comparisons (docs/design/performance.md).

Label values that cannot be keys (a list or a mapping, a schema error SL701 reports) match no
pod, as a value that differs does.
"""

from __future__ import annotations

import math
from functools import cached_property
from itertools import combinations
from typing import Any

from ..fields import as_list, number
from ..records import field, record
from .workloads import PodTemplate

# above this many labels the subsets of a selector are too many to try: scan the templates
_MAX_SUBSET_LABELS = 8


@record
class SelectedPods:
    """The pod templates one selector matches, in input order, and the ports they declare."""

    templates: list
    declared: list = field(default_factory=list)  # (name, containerPort) of every container port
    names: set = field(default_factory=set)  # the declared port names that are strings
    values: set = field(default_factory=set)  # the declared containerPort values that are keys

    def declares_name(self, name: str) -> bool:
        return name in self.names

    def declares_number(self, wanted: Any) -> bool:
        """A declared containerPort equals `wanted` (NaN equals nothing)."""
        return wanted in self.values and not (isinstance(wanted, float) and math.isnan(wanted))

    @cached_property
    def names_shown(self) -> list:
        """The declared port names, as text, sorted (for a message; once per selector)."""
        return sorted({str(name) for name, _ in self.declared if name})

    @cached_property
    def numbers_shown(self) -> list:
        """The declared numeric containerPorts, distinct and sorted (for a message)."""
        return sorted({v for _, v in self.declared if number(v) is not None})


def _selected(templates: list) -> SelectedPods:
    selected = SelectedPods(templates)
    for template in templates:
        for _, container in template.containers():
            for container_port in as_list(container.get("ports")):
                if isinstance(container_port, dict):
                    name, value = container_port.get("name"), container_port.get("containerPort")
                    selected.declared.append((name, value))
                    if isinstance(name, str):
                        selected.names.add(name)
                    try:
                        selected.values.add(value)
                    except TypeError:  # a list or a mapping: equals no port number
                        pass
    return selected


class PodSelectorIndex:
    """{(namespace, label, value): positions} and {namespace: positions} of pod templates."""

    def __init__(self, templates: list, default_namespace: str):
        self.templates = templates
        self.default_namespace = default_namespace
        self._by_label: dict = {}
        self._by_namespace: dict = {}
        self._selected: dict = {}  # (namespace, frozenset of selector items) -> SelectedPods
        self._first_of: dict = {}  # (namespace, frozenset of labels) -> first position having them all
        for position, template in enumerate(templates):
            namespace = template.obj.namespace or default_namespace
            self._by_namespace.setdefault(namespace, []).append(position)
            for key, value in template.labels.items():
                try:
                    self._by_label.setdefault((namespace, key, value), set()).add(position)
                except TypeError:
                    continue

    def matching(self, namespace: str, selector: dict) -> SelectedPods:
        """The pod templates of `namespace` that carry every label of `selector`."""
        try:
            key = (namespace, frozenset(selector.items()))
        except TypeError:  # a label value that is not a key: it matches no pod
            return SelectedPods([])
        selected = self._selected.get(key)
        if selected is None:
            positions = set.intersection(*(self._labelled(namespace, k, v) for k, v in selector.items()))
            selected = self._selected[key] = _selected([self.templates[i] for i in sorted(positions)])
        return selected

    def closest(self, namespace: str, selector: dict) -> PodTemplate | None:
        """The pod template of `namespace` sharing most of the selector's labels (the first in
        input order on a tie), None when the namespace has none."""
        candidates = self._by_namespace.get(namespace)
        if not candidates:
            return None
        items = list(selector.items())
        try:
            frozenset(items)
        except TypeError:
            return _closest_by_scan(selector, [self.templates[i] for i in candidates])
        if len(items) > _MAX_SUBSET_LABELS:
            return _closest_by_scan(selector, [self.templates[i] for i in candidates])
        # a template sharing c labels is in the label sets of exactly one c-subset of the selector:
        # the largest c with a shared template wins, and the first position among its subsets
        for size in range(len(items), 0, -1):
            firsts = [
                first
                for subset in combinations(items, size)
                if (first := self._first_having(namespace, subset)) is not None
            ]
            if firsts:
                return self.templates[min(firsts)]
        return self.templates[candidates[0]]  # no template shares a label: the first one

    def _labelled(self, namespace: str, key: Any, value: Any) -> set:
        return self._by_label.get((namespace, key, value), set())

    def _first_having(self, namespace: str, labels: tuple) -> int | None:
        """The first position of a template in `namespace` carrying all `labels`, None if none."""
        cache_key = (namespace, frozenset(labels))
        if cache_key not in self._first_of:
            sets = sorted((self._labelled(namespace, k, v) for k, v in labels), key=len)
            shared = set.intersection(*sets) if sets[0] else set()
            self._first_of[cache_key] = min(shared) if shared else None
        first: int | None = self._first_of[cache_key]
        return first


def _closest_by_scan(selector: dict, candidates: list) -> PodTemplate | None:
    """The general form of `PodSelectorIndex.closest`: count every candidate's shared labels."""
    if not candidates:
        return None
    return max(candidates, key=lambda t: sum(t.labels.get(k) == v for k, v in selector.items()))
