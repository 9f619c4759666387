"""SL201–SL206: the secrets contract (External Secrets by default, static secrets as fallback).

Secret values never appear in a message: only key paths do.
"""

from __future__ import annotations

import re

from ..findings import Problem, format_path
from ..lazy_pattern import LazyPattern
from ..redact import is_secret_key, url_password
from . import check
from .contract import (
    COMPONENTS,
    enabled_components,
    env,
    external_secrets_enabled,
    inactive_secrets_path,
    invalid_env_name,
    is_set,
    lookup,
    mapping,
    secrets,
    secrets_path,
)

STORE_KINDS = ("SecretStore", "ClusterSecretStore")
REQUIRED_SECRETS = ("DATABASE_URL", "REDIS_URL")
# Values that stand for a secret instead of holding one: `${VAR}` for envsubst, SOPS ciphertext
_REFERENCE = LazyPattern(r"^\s*(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|ENC\[[A-Z0-9_]+,.*\])\s*$", re.DOTALL)


def _secret_target(ctx, component: str, name: str) -> str:
    """Where `name` belongs for `component`, as a dotted values path."""
    return format_path(secrets_path(ctx, component) + (name,))


@check("SL201")
def secret_store_ref(ctx):
    if not external_secrets_enabled(ctx):
        return
    ref = mapping(ctx, ("externalSecrets", "secretStoreRef"))
    name = ref.get("name")
    if not isinstance(name, str) or not name.strip():
        yield Problem(
            "externalSecrets.secretStoreRef.name is empty: set it to the name of the "
            "SecretStore or ClusterSecretStore that holds the provider credentials",
            path=("externalSecrets", "secretStoreRef", "name"),
        )
    kind = ref.get("kind")
    if kind not in STORE_KINDS:
        fixed = next(
            (k for k in STORE_KINDS if isinstance(kind, str) and k.lower() == kind.strip().lower()), None
        )
        hint = f"write {fixed}" if fixed else "set it to SecretStore or ClusterSecretStore"
        shown = "is not set" if kind in (None, "") else "is not SecretStore or ClusterSecretStore"
        yield Problem(
            f"externalSecrets.secretStoreRef.kind {shown}: {hint}",
            path=("externalSecrets", "secretStoreRef", "kind"),
        )


@check("SL202")
def required_secrets(ctx):
    for component in ("api", "worker"):
        if component not in enabled_components(ctx):
            continue
        for name in REQUIRED_SECRETS:
            if lookup(ctx, component, name) is not None:
                continue
            target = _secret_target(ctx, component, name)
            elsewhere = inactive_secrets_path(ctx, component) + (name,)
            unused = ""
            if name in mapping(ctx, elsewhere[:-1]):
                unused = f" ({format_path(elsewhere)} is set, but that path is switched off)"
            what = "the provider secret identifier" if external_secrets_enabled(ctx) else "the connection URL"
            yield Problem(
                f"{component} has no {name}{unused}: add {target} with {what}",
                path=secrets_path(ctx, component) + (name,),
            )


@check("SL203")
def secret_key_names(ctx):
    external = external_secrets_enabled(ctx)
    for component in enabled_components(ctx):
        base = secrets_path(ctx, component)
        for key, value in secrets(ctx, component).items():
            path = base + (key,)
            invalid = invalid_env_name(path)
            if invalid is not None:
                yield invalid
            if isinstance(value, (dict, list)):
                yield Problem(
                    f"{format_path(path)} is a {'mapping' if isinstance(value, dict) else 'list'}: "
                    f"set it to {'a provider secret identifier' if external else 'the secret value'} "
                    "string",
                    path=path,
                    key="type",
                )
            elif not is_set(value):
                what = "provider secret identifier" if external else "secret value"
                yield Problem(
                    f"{format_path(path)} has an empty {what}: set it, or remove the key",
                    path=path,
                    key="empty",
                )


@check("SL204")
def inactive_secrets(ctx):
    mode = "true" if external_secrets_enabled(ctx) else "false"
    flip = "false" if mode == "true" else "true"
    for component in enabled_components(ctx):
        path = inactive_secrets_path(ctx, component)
        for key in mapping(ctx, path):
            if not ctx.set_by_user(path + (key,)):
                continue  # the chart's own defaults are not the user's mistake
            yield Problem(
                f"{format_path(path + (key,))} is ignored while externalSecrets.enabled is {mode}: "
                f"move it to {_secret_target(ctx, component, key)}, or set "
                f"externalSecrets.enabled={flip}",
                path=path + (key,),
            )


def secret_like_env(key, value) -> bool:
    """A plain env entry that carries a secret: a secret-like name or a URL with credentials."""
    if not is_set(value) or isinstance(value, (dict, list)):
        return False
    return is_secret_key(key) or url_password(value) is not None


@check("SL205")
def secret_in_env(ctx):
    # every component: a secret in a values file is exposed whether or not the worker runs
    for component in COMPONENTS:
        for key, value in env(ctx, component).items():
            if not secret_like_env(key, value) or not isinstance(key, str):
                continue
            why = "holds a URL with credentials" if url_password(value) else "looks like a secret"
            yield Problem(
                f"{format_path((component, 'env', key))} {why} in plain env (visible in the pod spec): move it "
                f"to {_secret_target(ctx, component, key)} and delete it from {component}.env",
                path=(component, "env", key),
            )


def _literal(value) -> bool:
    return (
        is_set(value)
        and not isinstance(value, (dict, list))
        and not (isinstance(value, str) and _REFERENCE.match(value))
    )


@check("SL206")
def static_secrets_committed(ctx):
    # every component and either mode: a literal secret in a values file is committed either way
    for component in COMPONENTS:
        path = (component, "secrets")
        for key, value in mapping(ctx, path).items():
            origin = ctx.origin(path + (key,))
            if origin is None or origin.kind != "file" or not _literal(value):
                continue
            yield Problem(
                f"{format_path(path + (key,))} is a literal secret in {origin.source}: use "
                f"External Secrets (externalSecrets.enabled=true and "
                f"{format_path(('externalSecrets', component, 'data', key))} = a provider identifier), or pass it "
                f"at deploy time (--set-file / an uncommitted values file)",
                path=path + (key,),
            )


@check("SL207")
def secret_name_collision(ctx):
    """Two components whose `secretName` overrides name the same Secret: the chart renders two
    ExternalSecrets (or Secrets) of one name, one replaces the other, and a component starts with
    the other one's variables (the API without DATABASE_URL)."""
    owners: dict = {}
    for component in enabled_components(ctx):
        name = ctx.get((component, "secretName"))
        if not isinstance(name, str) or not name.strip():
            continue  # the chart's default name is per component
        first = owners.setdefault(name.strip(), component)
        if first != component:
            yield Problem(
                f"{component}.secretName is \"{name.strip()}\", the same Secret as {first}.secretName: "
                f"the chart renders both under one name and one replaces the other; give "
                f"{component} its own name (or leave {component}.secretName empty for the default)",
                path=(component, "secretName"),
                key=f"{first}:{component}",
            )
