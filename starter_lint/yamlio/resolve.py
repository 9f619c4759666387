"""How a scalar's text becomes Helm's value: go-yaml v2's resolution (resolve.go, YAML 1.1 rules,
tag by tag), and sigs.k8s.io/yaml's JSON conversion of what it gives (keys become strings,
numbers float64: key_to_string, helm_number)."""

from __future__ import annotations

import base64
import binascii
import functools
import math
import re
from typing import Any

from ..gofmt import format_float, json_number
from ..lazy_pattern import LazyPattern
from ..textio import YamlLoadError

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = _TAG + "str", _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"
BINARY, TIMESTAMP, MERGE_TAG = _TAG + "binary", _TAG + "timestamp", _TAG + "merge"
_RESOLVABLE = {"", STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}

_RESOLVE_MAP: dict[str, tuple[str, Any]] = {}  # plain text -> (tag, value)
for _words, _value, _tag in (
    (("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"), True, BOOL),
    (("n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"), False, BOOL),
    (("", "~", "null", "Null", "NULL"), None, NULL),
    ((".nan", ".NaN", ".NAN"), math.nan, FLOAT),
    ((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), math.inf, FLOAT),
    (("-.inf", "-.Inf", "-.INF"), -math.inf, FLOAT),
):
    for _w in _words:
        _RESOLVE_MAP[_w] = (_tag, _value)
_RESOLVE_MAP["<<"] = (MERGE_TAG, "<<")  # a merge only as a key; as a value it is the text
_HINT_MAP = set("yYnNtTfFoO~<")  # go-yaml's resolveTable 'M' entries ('<' for the merge key)
_YAML_STYLE_FLOAT = LazyPattern(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_DECIMAL_FLOAT = LazyPattern(r"^[-+]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][-+]?[0-9]+)?$")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


class ResolveError(Exception):
    pass


def _strconv_int(text: str, signed: bool) -> int | None:
    """strconv.ParseInt(text, 0, 64) (signed) or ParseUint(text, 0, 64); None on any error."""
    s, sign = text, 1
    if s[:1] in "+-":
        if not signed:
            return None
        sign, s = (-1 if s[0] == "-" else 1), s[1:]
    base = 10
    low = s[:2].lower()
    if low in ("0x", "0o", "0b"):
        base, s = {"0x": 16, "0o": 8, "0b": 2}[low], s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, s = 8, s[1:]
    if not s or any(c not in _DIGITS[base] for c in s):
        return None
    value = sign * int(s, base)
    low_bound, high_bound = (_INT64_MIN, _INT64_MAX) if signed else (0, _UINT64_MAX)
    return value if low_bound <= value <= high_bound else None


def _strconv_float(text: str) -> float | None:
    """strconv.ParseFloat(text, 64) for the decimal spellings; None on a syntax or range error."""
    if not _GO_DECIMAL_FLOAT.match(text):
        return None
    value = float(text)
    return None if math.isinf(value) else value


_TIMESTAMP_FORMS = (
    LazyPattern(r"^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    LazyPattern(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?()$"),
    LazyPattern(r"^(\d{4})-(\d{1,2})-(\d{1,2})()()()()()$"),
)


def _is_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp: the formats it hands to time.Parse, with Go's range checks."""
    for form in _TIMESTAMP_FORMS:
        match = form.match(text)
        if not match:
            continue
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if not 1 <= month <= 12 or not 1 <= day <= _days_in_month(year or 2000, month):
            return False
        return not (match[4] and (int(match[4]) > 23 or int(match[5]) > 59 or int(match[6]) > 59))
    return False


def _days_in_month(year: int, month: int) -> int:
    if month == 2:
        return 29 if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) else 28
    return 30 if month in (4, 6, 9, 11) else 31


@functools.lru_cache(maxsize=8192)  # values files repeat their scalars a lot
def resolve_scalar(tag: str, text: str) -> tuple[str, Any]:
    """go-yaml v2's resolve(tag, in): the (tag, value) of a scalar; ResolveError if they clash."""
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = resolve_untyped(tag, text)
    if tag in ("", rtag, STR, BINARY):
        return rtag, value
    if tag == FLOAT and rtag == INT and value <= _INT64_MAX:  # go-yaml converts int, not uint64
        return FLOAT, float(value)
    # the scalar's text stays out of the message: it may be a secret (`API_TOKEN: !!int sk_…`),
    # and the error's line and column already point at it
    raise ResolveError(f"cannot decode a !!{rtag.rsplit(':', 1)[-1]} as a !!{tag.rsplit(':', 1)[-1]}")


def resolve_untyped(tag: str, text: str) -> tuple[str, Any]:
    first = text[:1]
    if tag == STR or not (
        text == ""
        or first in _HINT_MAP
        or first == "."
        or first in "+-"
        or (first.isdigit() and first.isascii())
    ):
        return STR, text
    if text in _RESOLVE_MAP:
        return _RESOLVE_MAP[text]
    if first == ".":
        value = _strconv_float(text)
        return (FLOAT, value) if value is not None else (STR, text)
    if first in _HINT_MAP:
        return STR, text
    if tag in ("", TIMESTAMP) and _is_timestamp(text):
        return TIMESTAMP, text  # go-yaml hands timestamps to interface{} values as their text
    plain = text.replace("_", "")
    for signed in (True, False):
        value = _strconv_int(plain, signed)
        if value is not None:
            return INT, value
    if _YAML_STYLE_FLOAT.match(plain):
        value = _strconv_float(plain)
        if value is not None:
            return FLOAT, value
    for prefix, sign in (("0b", 1), ("-0b", -1)):
        if plain.startswith(prefix) and plain[len(prefix) :] and all(c in "01" for c in plain[len(prefix) :]):
            value = sign * int(plain[len(prefix) :], 2)
            if _INT64_MIN <= value <= _UINT64_MAX:
                return INT, value
    return STR, text


def resolve_plain(text: str) -> Any:
    """The value go-yaml v2 gives an untagged plain scalar (before the JSON round trip)."""
    return resolve_untyped("", text)[1]


def decode_binary(text: str) -> str:
    """!!binary: Go's base64.StdEncoding (line breaks ignored), bytes read as Go strings are."""
    data = text.replace("\r", "").replace("\n", "")
    if len(data) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", data):
        raise ResolveError("!!binary value contains invalid base64 data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ResolveError("!!binary value contains invalid base64 data") from None
    # json.Marshal replaces each invalid UTF-8 byte by U+FFFD, one for one
    return re.sub("[\udc80-\udcff]", "\ufffd", raw.decode("utf-8", "surrogateescape"))


def key_to_string(value: Any) -> str:
    """sigs.k8s.io/yaml's key conversion: bools, ints and floats become strings."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if value > _INT64_MAX:
            raise YamlLoadError(f"unsupported map key of type: uint64, key: {value}")
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        text = format_float(value, 32)  # sigs.k8s.io/yaml prints a float key as a float32
        return {"+Inf": ".inf", "-Inf": "-.inf"}.get(text, text)
    if value is None:
        raise YamlLoadError("unsupported map key of type: <nil> (a null key)")
    return str(value)


def shown_key(value: Any) -> str:
    try:
        return key_to_string(value)
    except YamlLoadError:
        return str(value)


def helm_number(value: float) -> int | float:
    """A number as Helm holds it after the JSON round trip: a float64, printed like Go does."""
    as_float = float(value)
    if math.isnan(as_float) or math.isinf(as_float):
        raise YamlLoadError(
            f"json: unsupported value: {format_float(as_float)} (Helm cannot load .inf or .nan)"
        )
    return json_number(as_float)
