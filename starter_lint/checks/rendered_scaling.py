"""SL801: an HPA must scale a workload the render contains, within bounds the API server takes.

Objects without a namespace are in the release namespace (`ManifestIndex`).
"""

from __future__ import annotations

from ..fields import number
from ..manifests.index import index_of
from ..manifests.model import describe, listed_names, manifest_problem
from . import check


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
                rendered = index.names_in_namespace(kind, hpa.namespace or index.namespace)
                known = (
                    f" (rendered {kind}s: {listed_names(rendered)})"
                    if rendered
                    else f" (no {kind} is rendered)"
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
