"""SL805: every Secret a pod reads (env, envFrom, volumes) is one the render provides, with the
key it reads when the render shows the keys (a Secret, ExternalSecret or SealedSecret).
"""

from __future__ import annotations

from ..manifests.index import index_of
from ..manifests.model import describe, manifest_problem
from ..manifests.workloads import pod_templates, secret_providers, secret_references
from ..pointer import build as pointer
from . import check


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
