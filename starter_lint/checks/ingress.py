"""SL301–SL307: ingress hosts, TLS coverage, paths and the public URL (only with ingress.enabled).

Hosts compare case-insensitively; a wildcard covers exactly one more label. Hosts that are not
DNS names are reported once, by SL306, and left out of the coverage rules.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..findings import Fix, Problem, format_path
from ..lazy_pattern import LazyPattern
from ..redact import url_credentials
from . import check
from .contract import (
    covered,
    host_key,
    host_problem,
    hosts,
    ingress_enabled,
    mapping,
    tls_entries,
    tls_entry_hosts,
    tls_hosts,
)

# a Secret name is a DNS-1123 subdomain
_SECRET_NAME = LazyPattern(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")


def _valid(refs) -> list:
    """HostRefs whose (lower-cased) host is a DNS name; the rest is SL306's."""
    return [ref for ref in refs if ref.name is not None and host_problem(ref.name) is None]


def _names(refs) -> list:
    return [ref.name for ref in _valid(refs)]


def _where_to_add(ctx, key: str) -> str:
    entries = tls_entries(ctx, key)
    if len(entries) == 1:
        return f"add it to {format_path(entries[0][0] + ('hosts',))}"
    if entries:
        return f"add it to the hosts of an ingress.{key} entry"
    return f"add an ingress.{key} entry with a secretName and this host"


@check("SL301")
def tls_host_coverage(ctx):
    if not ingress_enabled(ctx):
        return
    patterns = _names(tls_hosts(ctx, "tls"))
    for ref in _valid(hosts(ctx, "hosts")):
        if not covered(ref.name, patterns):
            yield Problem(
                f"{format_path(ref.path)} {ref.name} is not covered by any ingress.tls "
                f"hosts entry, so it is served without its certificate: {_where_to_add(ctx, 'tls')}",
                path=ref.path,
                key=ref.name,
            )


def _orphans(tls_refs, served: list):
    for ref in _valid(tls_refs):
        if not any(covered(host, [ref.name]) for host in served):
            yield ref


@check("SL302")
def tls_host_orphan(ctx):
    if not ingress_enabled(ctx):
        return
    served = _names(hosts(ctx, "hosts")) + _names(hosts(ctx, "apiHosts"))
    for ref in _orphans(tls_hosts(ctx, "tls"), served):
        yield Problem(
            f"{format_path(ref.path)} {ref.name} matches no ingress.hosts or ingress.apiHosts "
            "entry (a certificate for a name the ingress does not serve fails HTTP-01 "
            "validation): remove it or add the host to ingress.hosts",
            path=ref.path,
            key=ref.name,
        )


@check("SL303")
def tls_secret_name(ctx):
    if not ingress_enabled(ctx):
        return
    owners: dict = {}
    for key in ("tls", "apiTls"):
        for path, entry in tls_entries(ctx, key):
            if not isinstance(entry, dict):
                yield Problem(
                    f"{format_path(path)} is not a mapping: write `- secretName: <name>` "
                    "with its `hosts:` list",
                    path=path,
                    key="shape",
                )
                continue
            name = entry.get("secretName")
            if not isinstance(name, str) or not name.strip():
                yield Problem(
                    f"{format_path(path)} has no secretName: set {format_path(path + ('secretName',))} "
                    "to the Secret that holds (or cert-manager writes) the certificate",
                    path=path + ("secretName",),
                    key="missing",
                )
                continue
            if not _SECRET_NAME.match(name) or len(name) > 253:
                suggestion = re.sub(r"[^a-z0-9.-]+", "-", name.strip().lower()).strip("-.")
                hint = f" such as {suggestion}" if suggestion and _SECRET_NAME.match(suggestion) else ""
                yield Problem(
                    f"{format_path(path + ('secretName',))} is not a valid Secret name (lower-case "
                    f"letters, digits, '-' and '.'): rename it{hint}",
                    path=path + ("secretName",),
                    key="invalid",
                )
                continue
            names = frozenset(ref.name for ref in tls_entry_hosts(entry, path))
            if name in owners and owners[name][1] != names:
                yield Problem(
                    f"{format_path(path + ('secretName',))} {name} is also the secretName of "
                    f"{format_path(owners[name][0])} with other hosts: the two certificates "
                    "overwrite each other; give each entry its own secretName",
                    path=path + ("secretName",),
                    key="shared",
                )
            owners.setdefault(name, (path, names))


@check("SL304")
def api_host_tls(ctx):
    if not ingress_enabled(ctx):
        return
    patterns = _names(tls_hosts(ctx, "apiTls")) + _names(tls_hosts(ctx, "tls"))
    for ref in _valid(hosts(ctx, "apiHosts")):
        if not covered(ref.name, patterns):
            yield Problem(
                f"{format_path(ref.path)} {ref.name} is not covered by ingress.apiTls or "
                f"ingress.tls: {_where_to_add(ctx, 'apiTls')}",
                path=ref.path,
                key=f"uncovered:{ref.name}",
            )
    api_served = _names(hosts(ctx, "apiHosts"))
    for ref in _orphans(tls_hosts(ctx, "apiTls"), api_served):
        yield Problem(
            f"{format_path(ref.path)} {ref.name} matches no ingress.apiHosts entry: remove it "
            "or add the host to ingress.apiHosts",
            path=ref.path,
            key=f"orphan:{ref.name}",
        )


def _path_problem(value) -> str | None:
    if not isinstance(value, str) or not value:
        return "is not set"
    if not value.startswith("/"):
        return f"is not absolute: write /{value.lstrip('./')}"
    if any(c.isspace() for c in value) or "?" in value or "#" in value:
        return "holds spaces, '?' or '#': an ingress path is a plain URL path"
    if "//" in value:
        return "holds '//': write it with single slashes"
    return None


def _normal(path: str) -> str:
    return path.rstrip("/") or "/"


def _within(path: str, prefix: str) -> bool:
    """`path` is `prefix` or lies below it, as a Prefix ingress path matches."""
    return prefix == "/" or path == prefix or path.startswith(prefix + "/")


@check("SL305")
def ingress_paths(ctx):
    if not ingress_enabled(ctx):
        return
    paths = mapping(ctx, ("ingressPaths",))
    bad = set()
    for key in ("api", "web", "apiHost"):
        problem = _path_problem(paths.get(key))
        if problem:
            bad.add(key)
            yield Problem(f"ingressPaths.{key} {problem}", path=("ingressPaths", key), key=key)
    yield from _shared_hosts(ctx, paths, bad)
    if {"api", "web"} & bad:
        return
    api, web = _normal(paths["api"]), _normal(paths["web"])
    if _within(web, api):
        what = "is the same path as" if api == web else "contains"
        # point at the side the user changed; the message names both keys
        blamed = (
            "web"
            if ctx.set_by_user(("ingressPaths", "web")) and not ctx.set_by_user(("ingressPaths", "api"))
            else "api"
        )
        yield Problem(
            f"ingressPaths.api ({api}) {what} ingressPaths.web ({web}), so the API route "
            "shadows the web pages: put the API prefix below the web path (web: /, api: /api)",
            path=("ingressPaths", blamed),
            key="shadow",
        )


def _shared_hosts(ctx, paths: dict, bad: set):
    """A host in both ingress.hosts and ingress.apiHosts gets the web rules and the API rule: the
    apiHost path routes that host to the API Service and shadows the web path there; on the same
    path (`/` by default) one host and path lead to two Services, which ingress-nginx's admission
    webhook rejects."""
    web_hosts = {host_key(ref.name): ref for ref in _valid(hosts(ctx, "hosts"))}
    for ref in _valid(hosts(ctx, "apiHosts")):
        other = web_hosts.get(host_key(ref.name))
        if other is None:
            continue
        api_host = None if "apiHost" in bad else _normal(paths["apiHost"])
        web_paths = {_normal(paths[key]) for key in ("web", "api") if key not in bad}
        if api_host is not None and api_host in web_paths:
            effect = (
                f"{api_host} on that host leads to both the web and the API Service (the ingress is rejected)"
            )
        else:
            shown = f" ({api_host})" if api_host is not None else ""
            effect = f"ingressPaths.apiHost{shown} on that host shadows the web path"
        yield Problem(
            f"{format_path(ref.path)} {ref.name} is also in ingress.hosts ({format_path(other.path)}), "
            f"so {effect}: serve the API on a host of its own, or remove it from ingress.apiHosts",
            path=ref.path,
            key=f"shared-host:{host_key(ref.name)}",
        )


@check("SL306")
def host_format(ctx):
    if not ingress_enabled(ctx):
        return
    refs = hosts(ctx, "hosts") + hosts(ctx, "apiHosts") + tls_hosts(ctx, "tls") + tls_hosts(ctx, "apiTls")
    for ref in refs:
        problem = host_problem(ref.host)
        if problem is None:
            continue
        reason, suggestion = problem
        if suggestion is not None and host_problem(suggestion) is None:
            fix = None
            if suggestion == ref.host.lower() and suggestion != ref.host:
                fix = Fix(f"write {suggestion}", safe=True, path=ref.path, value=suggestion)
            yield Problem(
                f"{format_path(ref.path)} {reason}: write {suggestion}",
                path=ref.path,
                fix=fix,
                key="host-format",
            )
        else:
            yield Problem(f"{format_path(ref.path)} {reason}", path=ref.path, key="host-format")


def _without_password(url: str) -> str:
    """`url` with the password of its credentials cut out (`http://bob:pw@h` → `http://bob:@h`):
    the rest still parses, and nothing printed from it can hold the secret (SL205 reports it)."""
    span = url_credentials(url)
    return url if span is None else url[: span[0]] + url[span[1] :]


@check("SL307")
def public_url_host(ctx):
    if not ingress_enabled(ctx):
        return
    path = ("api", "env", "APP_PUBLIC_URL")
    url = ctx.get(path)
    if not isinstance(url, str) or not url.strip():
        return  # absent: SL602
    try:
        parts = urlsplit(_without_password(url.strip()))
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:  # a bad port or IPv6 literal
        host, port, parts = "", None, None
    served = _names(hosts(ctx, "hosts")) + _names(hosts(ctx, "apiHosts"))
    if parts is None or not host:
        first = next(
            (name for name in _names(hosts(ctx, "hosts")) if not name.startswith("*")), "<your ingress host>"
        )
        yield Problem(f"api.env.APP_PUBLIC_URL is not a URL: write https://{first}", path=path, key="not-url")
        return
    page = parts.path if parts.path not in ("", "/") else ""
    if parts.scheme.lower() != "https":
        yield Problem(
            f"api.env.APP_PUBLIC_URL uses {parts.scheme or 'no scheme'}: write https://{host}{page} "
            "(the ingress terminates TLS)",
            path=path,
            key="scheme",
        )
    elif port is not None and port != 443:
        yield Problem(
            f"api.env.APP_PUBLIC_URL has the port {port}, but the ingress serves HTTPS on 443: "
            f"write https://{host}{page}",
            path=path,
            key="port",
        )
    if not covered(host, served):
        hint = f" (the ingress serves {', '.join(served)})" if served else ""
        yield Problem(
            f"api.env.APP_PUBLIC_URL points at {host}, which no ingress.hosts or "
            f"ingress.apiHosts entry serves{hint}: add {host} to ingress.hosts or fix the URL",
            path=path,
            key="host",
        )
