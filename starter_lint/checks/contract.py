"""Accessors for the chart contract (hosting guide), shared by the SL2xx–SL6xx checks.

One place decides which components run, where a component's secrets live, how an env var is
looked up, how a billing flag reads (`flags.read_flag`), how hosts are read and compared, what counts as a number,
and how Kubernetes quantities are parsed, so the rule modules never repeat (or disagree on)
these readings. The cross-resource rules (SL8xx) use the same readings on rendered objects.

A field of the wrong type is SL100's (values) or SL701's (manifests) to report; every other rule
reads fields through `as_list` / `as_dict` / `number` and skips what it cannot read.
"""

from __future__ import annotations

import ipaddress
import re
from functools import cache
from typing import TYPE_CHECKING, Any

from ..fields import as_dict, as_list
from ..findings import Problem, ValuesPath, format_path

# re-exported (`X as X`): the checks read these from the contract
from ..flags import Flag as Flag
from ..flags import read_flag as read_flag
from ..gofmt import helm_string as helm_string
from ..lazy_pattern import LazyPattern
from ..records import record

if TYPE_CHECKING:
    from decimal import Decimal

COMPONENTS = ("api", "web", "worker")
SCALED = ("api", "web")  # components with an HPA (autoscaling.<c>)

# Kubernetes' env var name rule (docs/design/rules.md, 'Names')
ENV_NAME = LazyPattern(r"[-._a-zA-Z][-._a-zA-Z0-9]*\Z")


def invalid_env_name(path: ValuesPath) -> Problem | None:
    """The finding for a key that becomes an env var name (an `env` key, a secret key) and is
    not a valid one, at the key; None when it is valid."""
    if ENV_NAME.match(str(path[-1])):
        return None
    return Problem(
        f"{format_path(path)}: the key is not a valid env var name (letters, digits, "
        "'_', '-', '.', not starting with a digit): rename it",
        path=path,
        key="name",
        at_key=True,
    )


def truthy(value: Any) -> bool:
    """Go template truthiness (`{{ if .Values.x }}`): false, 0, nil and empty are false.

    A string "false" is *true* for the chart; SL100 reports the wrong type.
    """
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value != 0
    if isinstance(value, (str, list, dict)):
        return len(value) > 0
    return True


def worker_enabled(ctx) -> bool:
    return truthy(ctx.get(("worker", "enabled")))


def enabled_components(ctx) -> tuple:
    """The components the chart renders: api and web, and the worker when enabled."""
    return COMPONENTS if worker_enabled(ctx) else SCALED


def autoscaling_enabled(ctx) -> bool:
    return truthy(ctx.get(("autoscaling", "enabled")))


def external_secrets_enabled(ctx) -> bool:
    return truthy(ctx.get(("externalSecrets", "enabled")))


def secrets_path(ctx, component: str) -> tuple:
    """The active secrets map of a component: External Secrets data, or the static secrets."""
    if external_secrets_enabled(ctx):
        return ("externalSecrets", component, "data")
    return (component, "secrets")


def inactive_secrets_path(ctx, component: str) -> tuple:
    if external_secrets_enabled(ctx):
        return (component, "secrets")
    return ("externalSecrets", component, "data")


def mapping(ctx, path: tuple) -> dict:
    """The map at `path`, or {} when it is absent or not a map (SL100 reports the type)."""
    return as_dict(ctx.get(tuple(path)))


def env(ctx, component: str) -> dict:
    return mapping(ctx, (component, "env"))


def secrets(ctx, component: str) -> dict:
    return mapping(ctx, secrets_path(ctx, component))


def is_set(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


@record(frozen=True)
class EnvSource:
    """Where a component gets an env var from: plain `env`, or the active secrets path."""

    path: tuple
    value: Any
    from_secrets: bool


def lookup(ctx, component: str, name: str) -> EnvSource | None:
    """The env var `name` of `component`: a non-empty plain env value, else a secrets-path key.

    A key on the secrets path counts even when its value is empty (SL203 reports that).
    """
    plain = env(ctx, component)
    if name in plain and is_set(plain[name]):
        return EnvSource((component, "env", name), plain[name], False)
    path = secrets_path(ctx, component)
    held = secrets(ctx, component)
    if name in held:
        return EnvSource(path + (name,), held[name], True)
    return None


# ---------------------------------------------------------------------------------------------
# Hosts


@record(frozen=True)
class HostRef:
    """One host as the values hold it: the raw value and the values path that set it."""

    host: Any
    path: tuple

    @property
    def name(self) -> str | None:
        """Lower-cased for comparison (DNS is case-insensitive); None when not a string."""
        return self.host.strip().lower() if isinstance(self.host, str) else None


def _host_of(entry: Any, path: tuple) -> HostRef:
    """A hosts entry is `{host: …}` or a bare string."""
    if isinstance(entry, dict):
        return HostRef(entry.get("host"), path + ("host",))
    return HostRef(entry, path)


def ingress_enabled(ctx) -> bool:
    return truthy(ctx.get(("ingress", "enabled")))


def hosts(ctx, key: str) -> list:
    """`ingress.hosts` or `ingress.apiHosts` as HostRefs."""
    return [
        _host_of(entry, ("ingress", key, i)) for i, entry in enumerate(as_list(ctx.get(("ingress", key))))
    ]


def tls_entries(ctx, key: str) -> list:
    """(path, entry) for each `ingress.tls` / `ingress.apiTls` entry."""
    return [(("ingress", key, i), entry) for i, entry in enumerate(as_list(ctx.get(("ingress", key))))]


def tls_entry_hosts(entry: Any, path: tuple) -> list:
    """The hosts of one TLS entry at `path`."""
    return [
        _host_of(host, path + ("hosts", j)) for j, host in enumerate(as_list(as_dict(entry).get("hosts")))
    ]


def tls_hosts(ctx, key: str) -> list:
    """Every host of every TLS entry of `ingress.tls` / `ingress.apiTls`."""
    return [ref for path, entry in tls_entries(ctx, key) for ref in tls_entry_hosts(entry, path)]


def host_key(host: str) -> str:
    """A host as DNS compares it: case-insensitive, one trailing dot (the root) dropped."""
    text = host.strip().lower()
    return text[:-1] if text.endswith(".") else text


def covers(pattern: str, host: str) -> bool:
    """A TLS/ingress host pattern covers a host: equal, or `*.example.org` for one more label.

    `*.example.org` covers `a.example.org`, not `a.b.example.org` nor `example.org`; a wildcard
    host is covered only by the same wildcard. Compared as `host_key` reads them.
    """
    pattern, host = host_key(pattern), host_key(host)
    if pattern == host:
        return True
    if pattern.startswith("*.") and not host.startswith("*"):
        suffix = pattern[1:]
        label = host[: -len(suffix)] if host.endswith(suffix) else ""
        return bool(label) and "." not in label
    return False


def covered(host: str, patterns) -> bool:
    return any(covers(pattern, host) for pattern in patterns)


_LABEL = LazyPattern(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")


def host_problem(host: Any) -> tuple | None:
    """Why `host` is not a DNS name an Ingress accepts: (reason, suggested host or None).

    None when it is valid (a lower-case RFC 1123 name, optionally `*.` + such a name).
    """
    if not isinstance(host, str) or not host.strip():
        return ("is empty" if isinstance(host, str) or host is None else "is not a string", None)
    text = host.strip()
    if "@" in text:  # user-info (`bob:pw@app.acme.io`): never suggested, never shown
        scheme, _, rest = text.rpartition("://")
        text = (scheme + "://" if scheme else "") + rest.rpartition("@")[2]
        if "://" not in text:
            return (
                "has user credentials; a host is only the name",
                re.split(r"[/:?#]", text, maxsplit=1)[0].lower() or None,
            )
    if "://" in text:
        rest = text.split("://", 1)[1]
        bare = re.split(r"[/:?#]", rest, maxsplit=1)[0].lower()
        return ("has a URL scheme; a host is only the name", bare or None)
    if "/" in text:
        return ("has a path; paths belong in ingressPaths", text.split("/", 1)[0].lower() or None)
    try:
        ipaddress.ip_address(text)
        return ("is an IP address; an Ingress host must be a DNS name", None)
    except ValueError:
        if ":" in text:  # not an IPv6 address: a port
            return ("has a port; the Ingress serves ports 80/443", text.rsplit(":", 1)[0].lower() or None)
    if text != host:
        return ("has surrounding spaces", text.lower())
    if text != text.lower():
        return ("has upper-case letters; Kubernetes only accepts lower case", text.lower())
    if text.endswith("."):
        return ("ends with a dot", text.rstrip("."))
    name = text
    if "*" in name:
        if not name.startswith("*.") or "*" in name[2:]:
            return ("has a wildcard that is not the whole first label (write *.example.org)", None)
        name = name[2:]
    if len(name) > 253:
        return ("is longer than 253 characters", None)
    labels = name.split(".")
    if any(not _LABEL.match(label) for label in labels):
        return ("is not a DNS name (labels of a-z, 0-9 and '-', not starting or ending with '-')", None)
    return None


# ---------------------------------------------------------------------------------------------
# Kubernetes quantities

_QUANTITY = LazyPattern(
    r"(?P<number>[+-]?(?:\d+(?:\.\d*)?|\.\d+))"
    r"(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?\Z",
    re.ASCII,
)  # not "٣"


@cache
def _suffix_scales() -> dict[str, Decimal]:
    """What each quantity suffix multiplies by (built on first use: `decimal` loads on demand)."""
    from decimal import Decimal  # deferred: 2 ms at start-up; only resource amounts need it

    return {
        "": Decimal(1),
        "n": Decimal("1e-9"),
        "u": Decimal("1e-6"),
        "m": Decimal("1e-3"),
        "k": Decimal("1e3"),
        "M": Decimal("1e6"),
        "G": Decimal("1e9"),
        "T": Decimal("1e12"),
        "P": Decimal("1e15"),
        "E": Decimal("1e18"),
        "Ki": Decimal(2) ** 10,
        "Mi": Decimal(2) ** 20,
        "Gi": Decimal(2) ** 30,
        "Ti": Decimal(2) ** 40,
        "Pi": Decimal(2) ** 50,
        "Ei": Decimal(2) ** 60,
    }


def parse_quantity(value: Any) -> Decimal:
    """A Kubernetes resource quantity (`500m`, `0.5`, `512Mi`, `1e3`, a YAML number) as a Decimal.

    Raises ValueError for anything Kubernetes would refuse as a resource amount.
    """
    if isinstance(value, bool) or value is None:
        raise ValueError("is not a quantity")
    if isinstance(value, (int, float)):
        text = repr(value)
    elif isinstance(value, str):
        text = value.strip()
    else:
        raise ValueError("is not a quantity")
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError("is not a Kubernetes quantity (such as 500m, 0.5, 512Mi, 1Gi)")
    suffix = match.group("suffix") or ""
    from decimal import Decimal, DecimalException  # deferred: 2 ms at start-up; only resource amounts need it

    try:
        number = Decimal(match.group("number"))
        scale = Decimal(10) ** int(suffix[1:]) if suffix[:1] in ("e", "E") else _suffix_scales()[suffix]
        amount = number * scale
    except (DecimalException, ValueError, OverflowError):  # DecimalException: Overflow of 1e9999999
        raise ValueError("is not a Kubernetes quantity (such as 500m, 0.5, 512Mi, 1Gi)") from None
    if amount < 0:
        raise ValueError("is negative")
    return amount
