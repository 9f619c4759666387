"""The Kubernetes CEL libraries the chosen CEL library lacks, in plain Python (docs/cel-libraries.md).

The API server enables these for admission policies: lists (isSorted, sum, min, max, indexOf,
lastIndexOf), regex (find, findAll), url, ip and cidr, quantity and sets. cel-expr-python brings
strings, optionals and math itself. Each function is declared here as data (name, parameter
types, result type, implementation); policy/cel.py registers them with the library.

cel-expr-python cannot register opaque types from Python, so a URL, an IP address, a CIDR range
and a quantity are maps tagged with KIND_KEY; their member functions check the tag. A quantity
keeps its amount in canonical form, so `quantity('1Gi') == quantity('1024Mi')` holds as in
Kubernetes; `string()` of one is that plain decimal form (`1073741824`, where Kubernetes says `1Gi`).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cmp_to_key
from typing import Any

from ..checks.contract import parse_quantity
from ..inputregex import InputPattern, Unverifiable, compile_pattern

KIND_KEY = "@kubernetesType"


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    overload_id: str
    params: tuple[str, ...]  # "string", "int", "uint", "double", "bool", "dyn", "list", "map"
    result: str
    member: bool
    impl: Callable[..., Any]


# ---------------------------------------------------------------------------------------------
# lists


def _compare(a: Any, b: Any) -> int:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if type(a) is not type(b) and not numbers:
        raise TypeError(f"no such overload: cannot compare {type(a).__name__} with {type(b).__name__}")
    return (a > b) - (a < b)


def _is_sorted(items: list) -> bool:
    return all(_compare(items[i], items[i + 1]) <= 0 for i in range(len(items) - 1))


def _sum(items: list) -> Any:
    if not items:
        return 0
    total = items[0]
    for item in items[1:]:
        _compare(total, item)  # same type, numbers only
        total = total + item
    return total


def _least(items: list) -> Any:
    if not items:
        raise ValueError("min called on an empty list")
    return sorted(items, key=cmp_to_key(_compare))[0]


def _greatest(items: list) -> Any:
    if not items:
        raise ValueError("max called on an empty list")
    return sorted(items, key=cmp_to_key(_compare))[-1]


def _index_of(items: list | str, item: Any) -> int:
    if isinstance(items, str):
        raise TypeError("no such overload")
    return next((i for i, x in enumerate(items) if x == item), -1)


def _last_index_of(items: list, item: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if items[i] == item), -1)


# ---------------------------------------------------------------------------------------------
# regex


def _pattern(regex: str) -> InputPattern:
    compiled = compile_pattern(regex)
    if isinstance(compiled, Unverifiable):
        raise ValueError(f"invalid regular expression {regex!r}: {compiled.reason}")
    return compiled


def _find(text: str, regex: str) -> str:
    return _pattern(regex).first_match(text) or ""


def _find_all(text: str, regex: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    found = _pattern(regex).all_matches(text)
    return found if limit < 0 else found[:limit]


# ---------------------------------------------------------------------------------------------
# sets


MAX_PAIRWISE = 1_000_000  # comparisons of unhashable elements (maps, lists) one call may make


def _key(value: Any) -> Any:
    """A hashable key equal where CEL's equality is (1 == 1.0, but true != 1), or None."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, (str, bytes)) or value is None:
        return (type(value).__name__, value)
    return None


def _members(items: list, wanted: list) -> list[bool]:
    """For each of `wanted`: is it in `items` (hashed when it can be, else compared pairwise,
    within MAX_PAIRWISE: a policy's own loops are bounded by the library, these are ours)."""
    keys = {_key(x) for x in items}
    unhashed = [x for x in items if _key(x) is None]
    out = []
    for value in wanted:
        key = _key(value)
        if key is not None:
            out.append(key in keys)
            continue
        if len(unhashed) * len(wanted) > MAX_PAIRWISE:
            raise ValueError("cost limit exceeded (sets over too many maps or lists)")
        out.append(any(x == value for x in unhashed))
    return out


def _set_contains(items: list, sub: list) -> bool:
    return all(_members(items, sub))


def _set_equivalent(a: list, b: list) -> bool:
    return _set_contains(a, b) and _set_contains(b, a)


def _set_intersects(a: list, b: list) -> bool:
    return any(_members(a, b))


# ---------------------------------------------------------------------------------------------
# url


def _parse_url(text: str) -> urllib.parse.SplitResult:
    parts = urllib.parse.urlsplit(text)
    if not parts.scheme and not text.startswith("/"):
        raise ValueError(f"URL parse error during conversion from string: {text!r} is not absolute")
    if any(c in text for c in " \t\n"):
        raise ValueError(f"URL parse error during conversion from string: {text!r}")
    return parts


def _url(text: str) -> dict:
    _parse_url(text)
    return {KIND_KEY: "url", "value": text}


def _is_url(text: str) -> bool:
    try:
        _parse_url(text)
    except ValueError:
        return False
    return True


def _tagged(value: Any, kind: str) -> str:
    if not isinstance(value, dict) or value.get(KIND_KEY) != kind:
        raise TypeError(f"no such overload: expected a {kind}")
    return str(value["value"])


def _url_part(part: str) -> Callable[[dict], Any]:
    def read(value: dict) -> Any:
        parts = _parse_url(_tagged(value, "url"))
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


def _is_ip(text: str) -> bool:
    try:
        _parse_ip(text)
    except ValueError:
        return False
    return True


def _address(value: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return _parse_ip(value if isinstance(value, str) else _tagged(value, "ip"))


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


def _is_cidr(text: str) -> bool:
    try:
        _parse_cidr(text)
    except ValueError:
        return False
    return True


def _network(value: Any) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface:
    return _parse_cidr(value if isinstance(value, str) else _tagged(value, "cidr"))


def _contains_ip(cidr: dict, ip: Any) -> bool:
    return _address(ip) in _network(cidr).network


def _contains_cidr(cidr: dict, other: Any) -> bool:
    inner = _network(other).network
    outer = _network(cidr).network
    return inner.version == outer.version and inner.subnet_of(outer)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------------------
# quantity


def _amount(text: str) -> Decimal:
    text = text.strip()
    negative = text.startswith("-")
    amount = parse_quantity(text[1:] if negative else text)
    return -amount if negative else amount


def _quantity(text: str) -> dict:
    # the amount in canonical form, so that quantity('1Gi') == quantity('1024Mi') as in Kubernetes
    return {KIND_KEY: "quantity", "value": format(_amount(text).normalize(), "f")}


def _is_quantity(text: str) -> bool:
    try:
        _amount(text)
    except ValueError:
        return False
    return True


def _q(value: Any) -> Decimal:
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    return _amount(_tagged(value, "quantity"))


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
    x, y = _q(a), _q(b)
    return (x > y) - (x < y)


def _as_string(value: dict) -> str:
    """string() of a URL, IP, CIDR or quantity: its text (a quantity's in plain decimal form)."""
    if not isinstance(value, dict) or value.get(KIND_KEY) not in ("url", "ip", "cidr", "quantity"):
        raise TypeError("no such overload: string() of a map")
    return str(value["value"])


def _spec(name: str, params: str, result: str, impl: Callable[..., Any], member: bool = True) -> FunctionSpec:
    types = tuple(params.split(",")) if params else ()
    return FunctionSpec(name, f"k8s_{name}_{'_'.join(types) or 'none'}", types, result, member, impl)


FUNCTIONS: tuple[FunctionSpec, ...] = (
    _spec("string", "map", "string", _as_string, member=False),
    _spec("isSorted", "list", "bool", _is_sorted),
    _spec("sum", "list", "dyn", _sum),
    _spec("min", "list", "dyn", _least),
    _spec("max", "list", "dyn", _greatest),
    _spec("indexOf", "list,dyn", "int", _index_of),
    _spec("lastIndexOf", "list,dyn", "int", _last_index_of),
    _spec("find", "string,string", "string", _find),
    _spec("findAll", "string,string", "list", _find_all),
    _spec("findAll", "string,string,int", "list", _find_all),
    _spec("sets.contains", "list,list", "bool", _set_contains, member=False),
    _spec("sets.equivalent", "list,list", "bool", _set_equivalent, member=False),
    _spec("sets.intersects", "list,list", "bool", _set_intersects, member=False),
    _spec("url", "string", "map", _url, member=False),
    _spec("isURL", "string", "bool", _is_url, member=False),
    _spec("getScheme", "map", "string", _url_part("scheme")),
    _spec("getHost", "map", "string", _url_part("host")),
    _spec("getHostname", "map", "string", _url_part("hostname")),
    _spec("getPort", "map", "string", _url_part("port")),
    _spec("getEscapedPath", "map", "string", _url_part("path")),
    _spec("getQuery", "map", "map", _url_part("query")),
    _spec("ip", "string", "map", _ip, member=False),
    _spec("isIP", "string", "bool", _is_ip, member=False),
    _spec("family", "map", "int", lambda v: _address(v).version),
    _spec("isUnspecified", "map", "bool", _ip_test("is_unspecified")),
    _spec("isLoopback", "map", "bool", _ip_test("is_loopback")),
    _spec(
        "isLinkLocalMulticast",
        "map",
        "bool",
        lambda v: _address(v).is_multicast and _address(v).is_link_local,
    ),
    _spec(
        "isLinkLocalUnicast",
        "map",
        "bool",
        lambda v: _address(v).is_link_local and not _address(v).is_multicast,
    ),
    _spec("isGlobalUnicast", "map", "bool", lambda v: _address(v).is_global and not _address(v).is_multicast),
    _spec("cidr", "string", "map", _cidr, member=False),
    _spec("isCIDR", "string", "bool", _is_cidr, member=False),
    _spec("containsIP", "map,map", "bool", _contains_ip),
    _spec("containsIP", "map,string", "bool", _contains_ip),
    _spec("containsCIDR", "map,map", "bool", _contains_cidr),
    _spec("containsCIDR", "map,string", "bool", _contains_cidr),
    _spec("ip", "map", "map", lambda v: {KIND_KEY: "ip", "value": str(_network(v).ip)}),
    _spec("masked", "map", "map", lambda v: {KIND_KEY: "cidr", "value": str(_network(v).network)}),
    _spec("prefixLength", "map", "int", lambda v: _network(v).network.prefixlen),
    _spec("quantity", "string", "map", _quantity, member=False),
    _spec("isQuantity", "string", "bool", _is_quantity, member=False),
    _spec("sign", "map", "int", lambda v: (_q(v) > 0) - (_q(v) < 0)),
    _spec("isInteger", "map", "bool", lambda v: _q(v) == _q(v).to_integral_value()),
    _spec("asInteger", "map", "int", _as_integer),
    _spec("asApproximateFloat", "map", "double", lambda v: float(_q(v))),
    _spec("compareTo", "map,map", "int", _compare_to),
    _spec("isGreaterThan", "map,map", "bool", lambda a, b: _compare_to(a, b) > 0),
    _spec("isLessThan", "map,map", "bool", lambda a, b: _compare_to(a, b) < 0),
    _spec("add", "map,map", "map", _arith(1)),
    _spec("add", "map,int", "map", _arith(1)),
    _spec("sub", "map,map", "map", _arith(-1)),
    _spec("sub", "map,int", "map", _arith(-1)),
)
