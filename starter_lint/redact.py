"""Secret values never reach any output: what counts as secret, and how it is hidden.

Three kinds of secret (SPEC §4): values under `<component>.secrets`, values of secret-like env
keys (`*_PASSWORD`, `*_SECRET`, `*_TOKEN`, `*_KEY`, …), and credentials inside URLs. Checks print
keys, not values; as a safety net every rendered output is scrubbed of the secret strings the
target contains (`scrub`).
"""
from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Iterable

from .tree import walk

REDACTED = "<redacted>"
MIN_SCRUB_LENGTH = 3  # shorter strings would mangle ordinary output ("1", "on")

_SECRET_KEY = re.compile(
    r"(^|_)(PASSWORD|PASSWD|PASSPHRASE|PWD|SECRET|SECRET_KEY|CLIENT_SECRET|TOKEN|KEY|APIKEY|"
    r"PRIVATE_KEY|CREDENTIALS?|DSN|CERT_KEY|SIGNING_KEY)$", re.IGNORECASE)
# keys that are public by design (Stripe's publishable key, a public half of a key pair)
_PUBLIC_KEY = re.compile(r"(^|_)(PUBLIC|PUBLISHABLE)_KEY$", re.IGNORECASE)
_URL_CREDENTIALS = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?P<user>[^:@/\s]*):(?P<password>[^@/\s]+)@")


def is_secret_key(name: Any) -> bool:
    """An env var name whose value is a secret (AUTH_KEY_SECRET_NAME is a name, not a secret)."""
    return isinstance(name, str) and bool(_SECRET_KEY.search(name)) and not _PUBLIC_KEY.search(name)


def url_password(value: Any):
    """The password inside `scheme://user:password@host`, or None."""
    if not isinstance(value, str):
        return None
    match = _URL_CREDENTIALS.match(value.strip())
    return match.group("password") if match else None


def is_secret_path(path: tuple, value: Any = None) -> bool:
    """Values paths whose value must be hidden."""
    if any(part == "secrets" for part in path[:-1]) and len(path) >= 2:
        return True
    if len(path) >= 2 and path[-2] == "env" and is_secret_key(path[-1]):
        return True
    if len(path) >= 2 and path[-2] == "stringData":
        return True
    return url_password(value) is not None


def values_secrets(values: Any) -> set:
    out: set = set()
    for path, value in walk(values):
        if isinstance(value, (dict, list)) or value is None or isinstance(value, bool):
            continue
        text = str(value)
        password = url_password(text)
        if password:
            out.add(password)
            out.add(text)
        elif is_secret_path(path, value):
            out.add(text)
    return out


def manifest_secrets(obj: dict) -> set:
    out: set = set()
    if not isinstance(obj, dict):
        return out
    if obj.get("kind") == "Secret":
        for key in ("data", "stringData"):
            block = obj.get(key)
            if isinstance(block, dict):
                for value in block.values():
                    if isinstance(value, str):
                        out.add(value)
                        if key == "data":
                            try:
                                out.add(base64.b64decode(value, validate=True).decode("utf-8"))
                            except (binascii.Error, UnicodeDecodeError, ValueError):
                                pass
    for path, value in walk(obj):
        if isinstance(value, dict) and isinstance(value.get("name"), str) and isinstance(value.get("value"), str):
            if is_secret_key(value["name"]) or url_password(value["value"]):
                out.add(value["value"])
        if isinstance(value, str) and url_password(value):
            out.add(value)
            out.add(url_password(value))
    return out


def secret_strings(ctx) -> frozenset:
    """Every secret string a target holds, in its files and layers and manifests."""
    out: set = set()
    if ctx.values is not None:
        for layer in ctx.values.layers:
            out |= values_secrets(layer.data)
    for loaded in ctx.loaded:
        out |= values_secrets(loaded.data)
    manifests = getattr(ctx, "manifests", None)
    if manifests is not None:
        for obj in manifests.objects:
            out |= manifest_secrets(obj.obj)
    return frozenset(s for s in out if len(s) >= MIN_SCRUB_LENGTH)


def redact_values(values: Any, path: tuple = ()) -> Any:
    """A copy of `values` with every secret replaced by <redacted> (URLs keep their host)."""
    if isinstance(values, dict):
        return {k: redact_values(v, path + (k,)) for k, v in values.items()}
    if isinstance(values, list):
        return [redact_values(v, path + (i,)) for i, v in enumerate(values)]
    if values is not None and is_secret_path(path):
        return REDACTED  # the whole value: under *.secrets or a secret-like env key
    password = url_password(values)
    if password:
        return values.replace(password, REDACTED, 1)
    return values


def scrub(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of a secret (raw or JSON-escaped) in an output text."""
    import json

    for secret in sorted(secrets, key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, REDACTED)
        escaped = json.dumps(secret)[1:-1]
        if escaped != secret and escaped in text:
            text = text.replace(escaped, REDACTED)
    return text
