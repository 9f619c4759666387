"""The Kubernetes CEL libraries of values with a type of their own: url, ip and cidr, quantity, semver.

cel-expr-python cannot register opaque types from Python, so a URL, an IP address, a CIDR range
and a quantity are maps tagged with KIND_KEY; their member functions check the tag. A quantity
keeps its amount in canonical form, so `quantity('1Gi') == quantity('1024Mi')` holds as in
Kubernetes; `string()` of one is that plain decimal form (`1073741824`, where Kubernetes says `1Gi`).
Registered with the other Kubernetes functions (k8s_library.py) by policy/cel.py.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Callable
from decimal import ROUND_UP, Decimal
from typing import Any

from ..checks.contract import parse_quantity
from .k8s_library import FunctionSpec, spec

KIND_KEY = "@kubernetesType"


# ---------------------------------------------------------------------------------------------
# url


def parse_url(text: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        raise ValueError(f"URL parse error during conversion from string: {text!r} is not absolute")
    if any(c in text for c in " \t\n"):
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return parts


def _url(text: str) -> dict:
    parse_url(text)
    return {KIND_KEY: "url", "value": text}


def _parses(parse: Callable[[str], Any]) -> Callable[[str], bool]:
    """`isURL`, `isIP`, `isCIDR`, `isQuantity`, `isSemver`: whether the parser takes the text."""

    def test(text: str, *options: Any) -> bool:
        try:
            parse(text, *options)
        except ValueError:
            return False
        return True

    return test


def tagged(value: Any, kind: str) -> str:
    """The text of a value of this kind; a map that only looks like one (a policy can write
    {'@kubernetesType': 'semver', ...} itself) is no such overload, as any other map."""
    text = value.get("value") if isinstance(value, dict) and value.get(KIND_KEY) == kind else None
    if not isinstance(text, str):
        raise TypeError(f"no such overload: expected a {kind}")
    return text


def _url_part(part: str) -> Callable[[dict], Any]:
    def read(value: dict) -> Any:
        parts = parse_url(tagged(value, "url"))
        if part == "host":
            return parts.netloc.rpartition("@")[2]
        if part == "hostname":
            return parts.hostname or ""
        if part == "port":
            return str(parts.port) if parts.port is not None else ""
        if part == "path":
            return parts.path
        if part == "query":
            return {k: v for k, v in urllib.parse.parse_qs(parts.query, keep_blank_values=True).items()}
        return parts.scheme

    return read


# ---------------------------------------------------------------------------------------------
# ip and cidr


def _parse_ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    if "%" in text or "/" in text:
        raise ValueError(f"IP Address {text!r} parse error during conversion from string")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise ValueError(f"IP Address {text!r} parse error during conversion from string") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise ValueError(f"IPv4-mapped IPv6 address {text!r} is not allowed")
    return address


def _ip(text: str) -> dict:
    return {KIND_KEY: "ip", "value": str(_parse_ip(text))}


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return _parse_ip(value if isinstance(value, str) else tagged(value, "ip"))


def _ip_test(test: str) -> Callable[[dict], bool]:
    return lambda value: bool(getattr(_address(value), test))


def _parse_cidr(text: str) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    if "/" not in text:
        raise ValueError(f"network address parse error during conversion from string: {text!r}")
    try:
        return ipaddress.ip_interface(text)
    except ValueError:
        raise ValueError(f"network address parse error during conversion from string: {text!r}") from None


def _cidr(text: str) -> dict:
    return {KIND_KEY: "cidr", "value": str(_parse_cidr(text))}


def _network(value: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    return _parse_cidr(value if isinstance(value, str) else tagged(value, "cidr"))


def _contains_ip(cidr: dict, ip: Any) -> bool:
    return _address(ip) in _network(cidr).network


def _contains_cidr(cidr: dict, other: Any) -> bool:
    inner = _network(other).network
    outer = _network(cidr).network
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# quantity


# Kubernetes' resource.Quantity caps a magnitude at 2^63-1 and rounds one below a nano up to
# it (ParseQuantity): so `quantity('1e999999')` is not a million-digit number here either
_MAX_AMOUNT = Decimal((1 << 63) - 1)
_NANO = Decimal("1e-9")


def _amount(text: str) -> Decimal:
    text = text.strip()
    negative = text.startswith("-")
    try:
        amount = min(parse_quantity(text[1:] if negative else text), _MAX_AMOUNT)
    except ValueError as exc:  # its message is the predicate of a sentence ("is not a …")
        raise ValueError(f"{text!r} {exc}") from None
    amount = amount.quantize(_NANO, rounding=ROUND_UP)  # 28 digits at most: the context's precision
    return -amount if negative else amount


def _quantity(text: str) -> dict:
    # the amount in canonical form, so that quantity('1Gi') == quantity('1024Mi') as in Kubernetes
    return {KIND_KEY: "quantity", "value": format(_amount(text).normalize(), "f")}


def _q(value: Any) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _amount(tagged(value, "quantity"))


def _as_integer(value: dict) -> int:
    amount = _q(value)
    if amount != amount.to_integral_value() or not -(1 << 63) <= amount < (1 << 63):
        raise ValueError("cannot convert value to integer")
    return int(amount)


def _arith(sign: int) -> Callable[[dict, Any], dict]:
    def apply(a: dict, b: Any) -> dict:
        total = _q(a) + sign * _q(b)
        return {KIND_KEY: "quantity", "value": format(total.normalize(), "f")}

    return apply


def _compare_to(a: dict, b: dict) -> int:
    """compareTo of two quantities or two semantic versions (the functions are shared)."""
    if isinstance(a, dict) and a.get(KIND_KEY) == "semver":
        x, y = _precedence(a), _precedence(b)
        return (x > y) - (x < y)
    p, q = _q(a), _q(b)
    return (p > q) - (p < q)


# ---------------------------------------------------------------------------------------------
# semver (Kubernetes 1.33+, library version 1: the `normalize` argument)

_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENTIFIER = rf"(?:{_NUMBER}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_SEMVER = re.compile(
    rf"({_NUMBER})\.({_NUMBER})\.({_NUMBER})(?:-({_IDENTIFIER}(?:\.{_IDENTIFIER})*))?"
    r"(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)


def _normalized(text: str) -> str:
    """As Kubernetes' normalization: no leading "v", leading zeros dropped, a missing minor or
    patch number 0 (a shortened version with pre-release or build data is an error)."""
    parts = text.removeprefix("v").split(".", 2)
    for i, part in enumerate(parts):
        if len(part) > 1:
            stripped = part.lstrip("0")
            parts[i] = stripped if stripped[:1].isdigit() else "0" + stripped
    if len(parts) < 3:
        if any(c in parts[-1] for c in "+-"):
            raise ValueError("short version cannot contain PreRelease/Build meta data")
        parts += ["0"] * (3 - len(parts))
    return ".".join(parts)


def _semver(text: str, normalize: bool = False) -> dict:
    """A semantic version (semver.org 2.0.0), kept without its build metadata, which neither
    Kubernetes' comparisons nor its equality read."""
    match = _SEMVER.fullmatch(_normalized(text) if normalize else text)
    if match is None:
        raise ValueError(f"invalid semantic version {text!r}")
    major, minor, patch, pre = match.groups()
    if max(int(major), int(minor), int(patch)) > (1 << 63) - 1:
        raise ValueError(f"invalid semantic version {text!r}: a number beyond int64")
    return {KIND_KEY: "semver", "value": f"{major}.{minor}.{patch}" + (f"-{pre}" if pre else "")}


def _precedence(value: Any) -> tuple:
    """semver.org's precedence as a sortable key: numbers, then no pre-release above any, then
    pre-release identifiers field by field (numeric below alphanumeric, numbers by value)."""
    match = _SEMVER.fullmatch(tagged(value, "semver"))
    if match is None:  # not made by semver(): a map written to look like one
        raise TypeError("no such overload: expected a semver")
    major, minor, patch, pre = match.groups()
    fields = tuple((0, int(f), "") if f.isdigit() else (1, 0, f) for f in pre.split(".")) if pre else ()
    return (int(major), int(minor), int(patch), 0 if pre else 1, fields)


def _semver_part(index: int) -> Callable[[dict], int]:
    return lambda value: _precedence(value)[index]


def _as_string(value: dict) -> str:
    """string() of a URL, IP, CIDR or quantity: its text (a quantity's in plain decimal form)."""
    kind = value.get(KIND_KEY) if isinstance(value, dict) else None
    if kind not in ("url", "ip", "cidr", "quantity"):
        raise TypeError("no such overload: string() of a map")
    return tagged(value, kind)


TYPE_FUNCTIONS: tuple[FunctionSpec, ...] = (
    spec("string", "map", "string", _as_string, member=False),
    spec("url", "string", "map", _url, member=False),
    spec("isURL", "string", "bool", _parses(parse_url), member=False),
    spec("getScheme", "map", "string", _url_part("scheme")),
    spec("getHost", "map", "string", _url_part("host")),
    spec("getHostname", "map", "string", _url_part("hostname")),
    spec("getPort", "map", "string", _url_part("port")),
    spec("getEscapedPath", "map", "string", _url_part("path")),
    spec("getQuery", "map", "map", _url_part("query")),
    spec("ip", "string", "map", _ip, member=False),
    spec("isIP", "string", "bool", _parses(_parse_ip), member=False),
    spec("family", "map", "int", lambda v: _address(v).version),
    spec("isUnspecified", "map", "bool", _ip_test("is_unspecified")),
    spec("isLoopback", "map", "bool", _ip_test("is_loopback")),
    spec(
        "isLinkLocalMulticast",
        "map",
        "bool",
        lambda v: _address(v).is_multicast and _address(v).is_link_local,
    ),
    spec(
        "isLinkLocalUnicast",
        "map",
        "bool",
        lambda v: _address(v).is_link_local and not _address(v).is_multicast,
    ),
    spec("isGlobalUnicast", "map", "bool", lambda v: _address(v).is_global and not _address(v).is_multicast),
    spec("cidr", "string", "map", _cidr, member=False),
    spec("isCIDR", "string", "bool", _parses(_parse_cidr), member=False),
    spec("containsIP", "map,map", "bool", _contains_ip),
    spec("containsIP", "map,string", "bool", _contains_ip),
    spec("containsCIDR", "map,map", "bool", _contains_cidr),
    spec("containsCIDR", "map,string", "bool", _contains_cidr),
    spec("ip", "map", "map", lambda v: {KIND_KEY: "ip", "value": str(_network(v).ip)}),
    spec("masked", "map", "map", lambda v: {KIND_KEY: "cidr", "value": str(_network(v).network)}),
    spec("prefixLength", "map", "int", lambda v: _network(v).network.prefixlen),
    spec("quantity", "string", "map", _quantity, member=False),
    spec("isQuantity", "string", "bool", _parses(_amount), member=False),
    spec("sign", "map", "int", lambda v: (_q(v) > 0) - (_q(v) < 0)),
    spec("isInteger", "map", "bool", lambda v: _q(v) == _q(v).to_integral_value()),
    spec("asInteger", "map", "int", _as_integer),
    spec("asApproximateFloat", "map", "double", lambda v: float(_q(v))),
    spec("compareTo", "map,map", "int", _compare_to),
    spec("isGreaterThan", "map,map", "bool", lambda a, b: _compare_to(a, b) > 0),
    spec("isLessThan", "map,map", "bool", lambda a, b: _compare_to(a, b) < 0),
    spec("semver", "string", "map", _semver, member=False),
    spec("semver", "string,bool", "map", _semver, member=False),
    spec("isSemver", "string", "bool", _parses(_semver), member=False),
    spec("isSemver", "string,bool", "bool", _parses(_semver), member=False),
    spec("major", "map", "int", _semver_part(0)),
    spec("minor", "map", "int", _semver_part(1)),
    spec("patch", "map", "int", _semver_part(2)),
    spec("add", "map,map", "map", _arith(1)),
    spec("add", "map,int", "map", _arith(1)),
    spec("sub", "map,map", "map", _arith(-1)),
    spec("sub", "map,int", "map", _arith(-1)),
)
