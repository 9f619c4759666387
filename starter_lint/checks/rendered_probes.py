"""SL807: the rendered API and web containers wait for the app's own readiness endpoint.

A container's role is told by its names (`manifests.workloads.container_roles`); hooks and tests
are not part of the running release.
"""

from __future__ import annotations

from ..manifests.model import describe, manifest_problem
from ..manifests.workloads import API_READY_PATH, WEB_READY_PATH, container_roles, running_pod_templates
from ..pointer import build as pointer
from . import check

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
