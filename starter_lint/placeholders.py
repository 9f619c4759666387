"""Contract placeholders still in place: `registry/app-api:tag`, example.com hosts and URLs,
`changeme`-style filler.

SL105 reports them in the values; SL404 (checks/billing.py) does not compare a worker image
with an API image that is still a placeholder. Both read a placeholder this one way.
"""

from __future__ import annotations

import re
from typing import Any

# the contract's `registry/app-api:tag` (any `registry/<name>`), or any image tagged literally "tag"
_IMAGE_PLACEHOLDER = re.compile(r"^registry/[^/:@]+(:tag)?$|:tag$")
_EXAMPLE_DOMAINS = ("example.com", "example.net", "example.org")  # RFC 2606
_URL_HOST = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://(?:[^@/\s]*@)?(?P<host>[^:/?#\s]+)")
_FILLER = re.compile(r"^\s*(change[-_ ]?me|replace[-_ ]?me|todo|fixme|tbd|xxx+|<[^<>]+>)\s*$", re.IGNORECASE)
HOST_LISTS = ("hosts", "tls", "apiHosts", "apiTls")


def is_example_host(host: Any) -> bool:
    """A host under the RFC 2606 example domains (example.com/.net/.org, *.example)."""
    if not isinstance(host, str):
        return False
    name = host.strip().lower().rstrip(".")
    return name.endswith(".example") or any(name == d or name.endswith("." + d) for d in _EXAMPLE_DOMAINS)


def placeholder_kind(path: tuple, value: str) -> str | None:
    """What the placeholder stands for ("image", "host", "URL", "value"), None for a real value."""
    if path and path[-1] == "image" and _IMAGE_PLACEHOLDER.search(value.strip()):
        return "image"
    if len(path) >= 3 and path[0] == "ingress" and path[1] in HOST_LISTS and is_example_host(value):
        return "host"
    if len(path) == 3 and path[1] in ("env", "secrets"):
        match = _URL_HOST.match(value.strip())
        if match and is_example_host(match.group("host")):
            return "URL"
    if _FILLER.match(value):
        return "value"
    return None
