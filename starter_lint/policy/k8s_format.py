"""The Kubernetes format library (Kubernetes 1.31+): named string formats and their validation.

`format.dns1123Label().validate(name)` is Kubernetes' way to check a name as the API server
checks names; `format.named("dns1123Label")` finds a format by its name. In Kubernetes both
return optionals (`validate`: none when the string is valid, else the list of error messages).
A function written in Python cannot return a CEL optional with cel-expr-python 0.1, so these
return a map tagged as an optional, and `hasValue()` and `value()` are declared for it too: the
usual uses (`!format.dns1123Label().validate(x).hasValue()`, `….validate(x).value().join(', ')`)
read as in Kubernetes. `orValue()` and `or()` cannot be (cel-cpp evaluates them as operators
of real optionals only), and such a value is not equal to `optional.none()` or `optional.of(…)`
(docs/cel-libraries.md). Messages follow
Kubernetes' validation functions (k8s.io/apimachinery/pkg/util/validation). Registered with the
other Kubernetes functions by policy/cel.py.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Callable
from typing import Any

from .k8s_library import FunctionSpec, spec
from .k8s_types import KIND_KEY, parse_url, tagged

_LABEL = "[a-z0-9]([-a-z0-9]*[a-z0-9])?"
_DNS1035 = "[a-z]([-a-z0-9]*[a-z0-9])?"
_SUBDOMAIN = rf"{_LABEL}(\.{_LABEL})*"
_QUALIFIED = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]"
_LABEL_VALUE = rf"({_QUALIFIED})?"
_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}", re.IGNORECASE
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATETIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt ]([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.[0-9]+)?)?"
    r"(?:[Zz]|[+-][0-9]{2}:?[0-9]{2})?"
)


def _matches(pattern: str, text: str, what: str, examples: str) -> list[str]:
    if re.fullmatch(pattern, text, re.ASCII):
        return []
    return [f"{what} (e.g. {examples}, regex used for validation is '{pattern}')"]


def _longer(text: str, limit: int, part: str = "") -> list[str]:
    return [f"{part}must be no more than {limit} characters"] if len(text) > limit else []


def _pattern_check(pattern: str, limit: int, what: str, examples: str) -> Callable[[str], list[str]]:
    """A format that is a length limit and a pattern (both messages when both fail)."""
    return lambda text: _longer(text, limit) + _matches(pattern, text, what, examples)


_label = _pattern_check(
    _LABEL,
    63,
    "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', "
    "and must start and end with an alphanumeric character",
    "'my-name',  or '123-abc'",
)
_subdomain = _pattern_check(
    _SUBDOMAIN,
    253,
    "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', "
    "and must start and end with an alphanumeric character",
    "'example.com'",
)
_dns1035 = _pattern_check(
    _DNS1035,
    63,
    "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an "
    "alphabetic character, and end with an alphanumeric character",
    "'my-name',  or 'abc-123'",
)
_label_value = _pattern_check(
    _LABEL_VALUE,
    63,
    "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', "
    "and must start and end with an alphanumeric character",
    "'MyValue',  or 'my_value',  or '12345'",
)


def _prefix(check: Callable[[str], list[str]]) -> Callable[[str], list[str]]:
    """A generateName prefix: as the format, but it may end with '-' (the name continues). As in
    Kubernetes, the '-' and the character before it become one 'a' (its length check counts one
    character fewer)."""
    return lambda text: check(text[:-2] + "a" if len(text) > 1 and text.endswith("-") else text)


def _qualified_name(text: str) -> list[str]:
    """A label or annotation key: a name of 63 characters at most, after an optional
    DNS-subdomain prefix and '/'."""
    parts = text.split("/")
    if len(parts) > 2:
        return [
            "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start "
            "and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex "
            f"used for validation is '{_QUALIFIED}') with an optional DNS subdomain prefix and '/' "
            "(e.g. 'example.com/MyName')"
        ]
    errors = []
    if len(parts) == 2:
        if not parts[0]:
            errors.append("prefix part must be non-empty")
        else:
            errors += ["prefix part " + message for message in _subdomain(parts[0])]
    name = parts[-1]
    if not name:
        return [*errors, "name part must be non-empty"]
    errors += _longer(name, 63, "name part ")
    errors += [
        "name part " + message
        for message in _matches(
            _QUALIFIED,
            name,
            "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an "
            "alphanumeric character",
            "'MyName',  or 'my.name',  or '123-abc'",
        )
    ]
    return errors


def _uri(text: str) -> list[str]:
    try:
        parse_url(text)
    except ValueError:
        return [f"parse {text!r}: invalid URI for request"]
    return []


def _byte(text: str) -> list[str]:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ["invalid base64"]
    return []


def _date(text: str) -> list[str]:
    try:
        if _DATE.fullmatch(text) is None:
            raise ValueError(text)
        datetime.date.fromisoformat(text)
    except ValueError:
        return ["invalid date"]
    return []


def _datetime(text: str) -> list[str]:
    """RFC 3339 date-time (the zone optional, as the OpenAPI format library takes it)."""
    match = _DATETIME.fullmatch(text)
    try:
        if match is None:
            raise ValueError(text)
        date, hour, minute, second = match.groups()
        datetime.date.fromisoformat(date)
        datetime.time(int(hour), int(minute), int(second or 0))
    except ValueError:
        return ["invalid datetime"]
    return []


FORMATS: dict[str, Callable[[str], list[str]]] = {
    "dns1123Label": _label,
    "dns1123Subdomain": _subdomain,
    "dns1035Label": _dns1035,
    "qualifiedName": _qualified_name,
    "dns1123LabelPrefix": _prefix(_label),
    "dns1123SubdomainPrefix": _prefix(_subdomain),
    "dns1035LabelPrefix": _prefix(_dns1035),
    "labelValue": _label_value,
    "uri": _uri,
    "uuid": lambda text: [] if _UUID.fullmatch(text) else ["does not match the UUID format"],
    "byte": _byte,
    "date": _date,
    "datetime": _datetime,
}


def _optional(value: Any = None, present: bool = False) -> dict:
    return {KIND_KEY: "optional", "value": value} if present else {KIND_KEY: "optional"}


def _named(name: str) -> dict:
    return _optional({KIND_KEY: "format", "value": name}, present=name in FORMATS)


def _validate(fmt: dict, text: str) -> dict:
    check = FORMATS.get(tagged(fmt, "format"))
    if check is None:  # not made by format.…(): a map written to look like one
        raise TypeError("no such overload: expected a format")
    errors = check(text)
    return _optional(errors, present=bool(errors))


def _present(value: Any) -> bool:
    if not isinstance(value, dict) or value.get(KIND_KEY) != "optional":
        raise TypeError("no such overload: expected an optional")
    return "value" in value


def _value(value: Any) -> Any:
    if not _present(value):
        raise ValueError("optional.none() dereference")
    return value["value"]


FORMAT_FUNCTIONS: tuple[FunctionSpec, ...] = (
    *(
        spec(f"format.{name}", "", "map", lambda name=name: {KIND_KEY: "format", "value": name}, False)
        for name in FORMATS
    ),
    spec("format.named", "string", "map", _named, member=False),
    spec("validate", "map,string", "map", _validate),
    spec("hasValue", "map", "bool", _present),
    spec("value", "map", "dyn", _value),
)
