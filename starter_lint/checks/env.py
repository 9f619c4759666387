"""SL602–SL605: the environment the API and web need, and env entries Kubernetes accepts.

A required variable counts as set from plain `env` or from the active secrets path. Values of
secret-like keys are never echoed.
"""

from __future__ import annotations

import difflib

from ..findings import Fix, Problem, format_path
from ..lazy_pattern import LazyPattern
from ..redact import is_secret_key, url_password
from ..textio import split_lines
from . import check
from .contract import enabled_components, env, helm_string, invalid_env_name, lookup, secrets, secrets_path

SECRETS_PROVIDERS = ("aws_sm", "azure_kv", "gcp_sm", "vault", "infisical")
AUTH_KEY_STORAGE_BACKEND = "secret-manager"

# variable -> what to set it to (hosting guide, "Environment Variables (minimal)")
REQUIRED_ENV = {
    "api": {
        "ENVIRONMENT": 'such as "production"',
        "APP_PUBLIC_URL": "the https URL users open, such as https://app.example.org",
        "SECRETS_PROVIDER": f"one of {', '.join(SECRETS_PROVIDERS)}",
        "AUTH_KEY_STORAGE_BACKEND": f'"{AUTH_KEY_STORAGE_BACKEND}"',
        "AUTH_KEY_STORAGE_PROVIDER": "the secret manager that stores the auth signing key",
        "AUTH_KEY_SECRET_NAME": "the name of the secret holding the auth signing key",
        "STORAGE_PROVIDER": "the object storage (S3, Azure Blob, GCS or MinIO) and its provider settings",
    },
    "web": {
        "API_BASE_URL": "the URL the web app reaches the API at",
    },
}
_NUMBER_LITERAL = LazyPattern(r"[-+]?(0[xXoObB][0-9a-fA-F_]+|[0-9_]*\.?[0-9_]+([eE][-+]?[0-9]+)?)\Z")
# the first word of a provider name users write, and the provider it means
_PROVIDER_WORDS = {
    "aws": "aws_sm",
    "amazon": "aws_sm",
    "azure": "azure_kv",
    "gcp": "gcp_sm",
    "google": "gcp_sm",
    "gcloud": "gcp_sm",
    "hashicorp": "vault",
    "vault": "vault",
    "infisical": "infisical",
}


@check("SL602")
def required_env(ctx):
    for component, required in REQUIRED_ENV.items():
        for name, hint in required.items():
            if lookup(ctx, component, name) is not None:
                continue
            mapped = f"or map it in {format_path(secrets_path(ctx, component))}"
            plain = env(ctx, component)
            if name in plain and plain[name] is None:  # a null stays in the map: Helm renders "<nil>"
                message = (
                    f"{component}.env.{name} is null (Helm renders it as <nil>): give it a value "
                    f"({hint}), {mapped}"
                )
            elif name in plain:
                message = f"{component}.env.{name} is empty: give it a value ({hint}), {mapped}"
            else:
                message = f"{component}.env.{name} is not set: add it to {component}.env ({hint}), {mapped}"
            yield Problem(message, path=(component, "env", name), key=name)


def closest_provider(value) -> str | None:
    text = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if text in SECRETS_PROVIDERS:
        return text
    word = text.split("_", 1)[0]
    if word in _PROVIDER_WORDS:
        return _PROVIDER_WORDS[word]
    match = difflib.get_close_matches(text, SECRETS_PROVIDERS, n=1, cutoff=0.5)
    return match[0] if match else None


@check("SL603")
def env_enum(ctx):
    for component in ("api", "worker"):
        if component not in enabled_components(ctx):
            continue
        values = env(ctx, component)
        name = "SECRETS_PROVIDER"
        if name in values and values[name] is not None and values[name] not in SECRETS_PROVIDERS:
            path = (component, "env", name)
            closest = closest_provider(values[name])
            hint = f'write "{closest}"' if closest else f"use one of {', '.join(SECRETS_PROVIDERS)}"
            yield Problem(
                f"{format_path(path)} is not a supported secrets provider "
                f"({', '.join(SECRETS_PROVIDERS)}): {hint}",
                path=path,
                key=name,
                fix=Fix(f'set {format_path(path)} to "{closest}"', safe=False, path=path, value=closest)
                if closest
                else None,
            )
        name = "AUTH_KEY_STORAGE_BACKEND"
        if name in values and values[name] is not None and values[name] != AUTH_KEY_STORAGE_BACKEND:
            path = (component, "env", name)
            yield Problem(
                f'{format_path(path)} must be "{AUTH_KEY_STORAGE_BACKEND}" (the only backend the '
                f'app supports in Kubernetes): write {name}: "{AUTH_KEY_STORAGE_BACKEND}"',
                path=path,
                key=name,
                fix=Fix(
                    f'set {format_path(path)} to "{AUTH_KEY_STORAGE_BACKEND}"',
                    safe=False,
                    path=path,
                    value=AUTH_KEY_STORAGE_BACKEND,
                ),
            )


def _written(ctx, path: tuple) -> str | None:
    """The scalar exactly as the user's file spells it (for `1.10`, which Helm reads as 1.1)."""
    origin = ctx.origin(path)
    if origin is None or origin.kind != "file" or origin.span is None:
        return None
    span = origin.span
    for loaded in ctx.loaded:
        if loaded.path == origin.source and span.line == span.end_line:
            lines = split_lines(loaded.text)
            if span.line <= len(lines):
                text = lines[span.line - 1][span.col - 1 : span.end_col - 1].strip()
                # only a plain number literal; an alias (`*port`) or a tag says nothing useful
                return text if _NUMBER_LITERAL.match(text) else None
    return None


def _kind(value) -> str:
    if isinstance(value, bool):
        return "the boolean"
    return "the number"


def _exact_decimal(value) -> str | None:
    """An integer's decimal digits when a float64 holds it exactly (Helm keeps every digit)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) <= 2**53:
        return str(value)
    return None


@check("SL604")
def env_value_type(ctx):
    for component in enabled_components(ctx):
        for key, value in env(ctx, component).items():
            if isinstance(value, str):
                continue
            path = (component, "env", key)
            where = format_path(path)
            if value is None:
                # the key stays in the map (it is not in the chart's defaults) and `toString` of
                # nil is "<nil>": the container gets that text
                yield Problem(
                    f"{where} is null, which renders as the string <nil>: give it a quoted "
                    "value or delete the key",
                    path=path,
                    key="null",
                )
                continue
            if isinstance(value, (dict, list)):
                yield Problem(
                    f"{where} is a {'mapping' if isinstance(value, dict) else 'list'}, but an env "
                    "value is a string: write it as one quoted string",
                    path=path,
                    key="structured",
                )
                continue
            if is_secret_key(key) or url_password(str(value)):
                yield Problem(
                    f"{where} is not a string (Kubernetes env values are strings): quote its value",
                    path=path,
                    key="scalar",
                )
                continue
            rendered = helm_string(value)
            # what the author wrote: the literal in the file (`1.10`, `0800`, 20 digits), else the
            # integer's digits when a float64 holds them exactly; Helm renders the float64 with %v
            written = None if isinstance(value, bool) else _written(ctx, path) or _exact_decimal(value)
            if written is not None and written != rendered:
                yield Problem(
                    f"{where} is {_kind(value)} {rendered} as Helm renders it: write {key}: \"{written}\" "
                    "if you mean the text",
                    path=path,
                    key="scalar",
                    fix=Fix(f'quote it as "{written}"', safe=False, path=path, value=written),
                )
                continue
            # quoting what Helm renders changes nothing deployed; it is safe when that is also what
            # the file says (a bool renders as written: true/false)
            safe = isinstance(value, bool) or written == rendered
            yield Problem(
                f"{where} is {_kind(value)} {rendered}, not a string (Kubernetes env values are "
                f'strings): write {key}: "{rendered}"',
                path=path,
                key="scalar",
                fix=Fix(f'quote it as "{rendered}"', safe=safe, path=path, value=rendered),
            )


@check("SL605")
def env_name(ctx):
    for component in enabled_components(ctx):
        held = secrets(ctx, component)
        for key in env(ctx, component):
            path = (component, "env", key)
            invalid = invalid_env_name(path)
            if invalid is not None:
                yield invalid
            elif key in held:
                other = format_path(secrets_path(ctx, component) + (key,))
                yield Problem(
                    f"{format_path(path)} is also set in {other}; the two definitions of {key} "
                    f"conflict (the plain value shadows the secret): remove one of them",
                    path=path,
                    key="both",
                )
