"""Read YAML exactly as Helm reads values, keeping the position of every key and value.

Helm parses values with go-yaml v2 (YAML 1.1 scalar rules), converts the result to JSON and back,
so every number becomes a float64 and every key a string. We rebuild that from a YAML *event*
stream (never a constructor), so no tag can ever construct a Python object, aliases are budgeted
before anything is expanded, and each node keeps its line and column.

Events come from libyaml (PyYAML's C parser: the C library go-yaml v2 is a port of, and fast),
or, where libyaml 0.2 is more lenient than go-yaml or refuses a text, from ruamel.yaml's pure
parser with go-yaml's scanner rules (`goyaml_scanner.py`). The decoding mirrors go-yaml v2's
`resolve()` (resolve.go) and decoder (decode.go: merge keys, alias ratio), then
sigs.k8s.io/yaml's JSON conversion; `tests/test_helm_parity.py` checks all of it against Helm's
own SDK on a generated corpus.
"""

from __future__ import annotations

import contextlib
import functools
import math
import re
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .textio import MAX_DEPTH, YamlLoadError, decode_bytes  # noqa: F401  re-exported: the loader's API
from .tree import merge_maps

MAX_VALUES_BYTES = 4 * 1024 * 1024  # a values file beyond this is not a values file
MAX_EXPANDED_NODES = 2_000_000  # hard cap on alias expansion, whatever the ratio


@dataclass(frozen=True)
class Span:
    """1-based start and end; the end column is one past the last character."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class YamlNote:
    """Something legal but surprising the loader saw: the source of SL103/SL104 findings."""

    kind: str  # "duplicate-key" | "key-collision" | "ambiguous-scalar" | "ambiguous-key"
    path: tuple  # values path of the affected key or value
    span: Span
    message: str
    fix_value: Any = None  # for ambiguous scalars: the value the author most likely meant
    has_fix: bool = False


class _SyntaxError(YamlLoadError):
    """The YAML parser refused the text (as opposed to a value Helm cannot use)."""


@dataclass
class LoadedYaml:
    path: str
    data: dict
    spans: dict = field(default_factory=dict)  # values path -> Span of the value
    key_spans: dict = field(default_factory=dict)  # values path -> Span of its key
    notes: list = field(default_factory=list)
    documents: int = 1
    text: str = ""
    alias_targets: dict = field(default_factory=dict)  # values path of an alias -> anchored node

    def span_of(self, path: tuple) -> Span | None:
        return self.spans.get(tuple(path))

    def origin_span(self, path: tuple) -> Span | None:
        """Where the value at `path` is written when an alias (`*name`, at or above `path`)
        copied it: its node inside the anchored one, or the whole anchored node where the path
        cannot be followed there (a merge key inside it). None for a value not copied."""
        if not self.alias_targets:
            return None
        for cut in range(len(path), -1, -1):
            node = self.alias_targets.get(path[:cut])
            if node is not None:
                break
        else:
            return None
        for part in path[cut:]:
            child = _child_node(node, part)
            if child is None:
                return node.span
            node = child.value if child.kind == "alias" else child
        return node.span


# --------------------------------------------------------------------------------------------
# --------------------------------------------------------------------------------------------
# go-yaml v2 scalar resolution (resolve.go), tag by tag

_TAG = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL = _TAG + "str", _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null"
BINARY, TIMESTAMP, MERGE_TAG = _TAG + "binary", _TAG + "timestamp", _TAG + "merge"
_RESOLVABLE = {"", STR, INT, FLOAT, BOOL, NULL, TIMESTAMP}

_RESOLVE_MAP: dict = {}
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
_PLAIN_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_DECIMAL_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][-+]?[0-9]+)?$")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2**63), 2**63 - 1, 2**64 - 1
_DIGITS = {2: "01", 8: "01234567", 10: "0123456789", 16: "0123456789abcdefABCDEF"}


class _ResolveError(Exception):
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
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})[Tt](\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?(Z|[+-]\d{2}:\d{2})$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}):(\d{1,2}):(\d{1,2})(\.\d+)?()$"),
    re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})()()()()()$"),
)


def _is_timestamp(text: str) -> bool:
    """go-yaml's parseTimestamp: the formats it hands to time.Parse, with Go's range checks."""
    import calendar

    for form in _TIMESTAMP_FORMS:
        match = form.match(text)
        if not match:
            continue
        year, month, day = int(match[1]), int(match[2]), int(match[3])
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year or 2000, month)[1]:
            return False
        return not (match[4] and (int(match[4]) > 23 or int(match[5]) > 59 or int(match[6]) > 59))
    return False


@functools.lru_cache(maxsize=8192)  # values files repeat their scalars a lot
def resolve(tag: str, text: str):
    """go-yaml v2's resolve(tag, in): the (tag, value) of a scalar; _ResolveError if they clash."""
    if tag not in _RESOLVABLE:
        return tag, text
    rtag, value = _resolve_untyped(tag, text)
    if tag in ("", rtag, STR, BINARY):
        return rtag, value
    if tag == FLOAT and rtag == INT and value <= _INT64_MAX:  # go-yaml converts int, not uint64
        return FLOAT, float(value)
    # the scalar's text stays out of the message: it may be a secret (`API_TOKEN: !!int sk_…`),
    # and the error's line and column already point at it
    raise _ResolveError(f"cannot decode a !!{rtag.rsplit(':', 1)[-1]} as a !!{tag.rsplit(':', 1)[-1]}")


def _resolve_untyped(tag: str, text: str):
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
    return _resolve_untyped("", text)[1]


def _decode_binary(text: str) -> str:
    """!!binary: Go's base64.StdEncoding (line breaks ignored), bytes read as Go strings are."""
    import base64
    import binascii

    data = text.replace("\r", "").replace("\n", "")
    if len(data) % 4 or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", data):
        raise _ResolveError("!!binary value contains invalid base64 data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise _ResolveError("!!binary value contains invalid base64 data") from None
    # json.Marshal replaces each invalid UTF-8 byte by U+FFFD, one for one
    return re.sub("[\udc80-\udcff]", "\ufffd", raw.decode("utf-8", "surrogateescape"))


def helm_number(value):
    """A number as Helm holds it after the JSON round trip: a float64, printed like Go does."""
    as_float = float(value)
    if math.isnan(as_float) or math.isinf(as_float):
        shown = "NaN" if math.isnan(as_float) else "+Inf" if as_float > 0 else "-Inf"
        raise YamlLoadError(f"json: unsupported value: {shown} (Helm cannot load .inf or .nan)")
    if as_float.is_integer() and abs(as_float) < 1e21:
        if abs(as_float) <= 2**53:
            return int(as_float)
        from decimal import Decimal

        return int(Decimal(repr(as_float)))  # Go prints the shortest digits: 12345678901234567000
    return as_float


def _float32_shortest(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 32): shortest digits that round-trip through float32."""
    try:
        f32 = struct.unpack("f", struct.pack("f", value))[0]
    except OverflowError:  # beyond float32: Go prints +Inf
        return "+Inf" if value > 0 else "-Inf"
    if math.isinf(f32):  # beyond float32: Go prints +Inf
        return "+Inf" if f32 > 0 else "-Inf"
    if f32 == 0:
        return "0" if math.copysign(1, f32) > 0 else "-0"
    for digits in range(1, 10):
        text = f"{f32:.{digits - 1}e}"
        if struct.unpack("f", struct.pack("f", float(text)))[0] == f32:
            break
    mantissa, exp_text = text.split("e")
    exp = int(exp_text)
    mantissa_digits = mantissa.replace("-", "").replace(".", "")
    sign = "-" if mantissa.startswith("-") else ""
    if exp < -4 or exp >= 6:  # 'g' with shortest precision switches at 1e+06 (eprec = 6)
        frac = mantissa_digits[1:]
        return (
            f"{sign}{mantissa_digits[0]}{'.' + frac if frac else ''}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
        )
    if exp >= 0:
        whole = mantissa_digits[: exp + 1].ljust(exp + 1, "0")
        frac = mantissa_digits[exp + 1 :]
    else:
        whole = "0"
        frac = "0" * (-exp - 1) + mantissa_digits
    return f"{sign}{whole}{'.' + frac if frac else ''}"


def key_to_string(value) -> str:
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
        text = _float32_shortest(value) if not math.isinf(value) else ("+Inf" if value > 0 else "-Inf")
        return {"+Inf": ".inf", "-Inf": "-.inf"}.get(text, text)
    if value is None:
        raise YamlLoadError("unsupported map key of type: <nil> (a null key)")
    return str(value)


def _shown_key(value) -> str:
    try:
        return key_to_string(value)
    except YamlLoadError:
        return str(value)


# --------------------------------------------------------------------------------------------
# Events -> a light node tree (iterative, so deep nesting cannot exhaust the Python stack)


class _Node:
    __slots__ = ("anchor", "implicit", "kind", "span", "style", "tag", "value")

    def __init__(self, kind, tag, value, style, span, anchor, implicit=False):
        self.kind = kind  # "scalar" | "seq" | "map" | "alias"
        self.tag = tag or ""
        self.value = value  # str, list of child nodes, or the aliased node
        self.style = style
        self.span = span
        self.anchor = anchor
        self.implicit = implicit  # a plain scalar without a tag (or with the tag `!`)


def _mark_error(exc, line_offset: int) -> YamlLoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and problem and context not in problem else str(problem)
    if mark is not None:
        return YamlLoadError(message, mark.line + 1 + line_offset, mark.column + 1)
    return YamlLoadError(message)


EVENT_BACKEND: str | None = None  # "libyaml" | "ruamel" | None: libyaml when PyYAML has it


def event_backend() -> str:
    """libyaml (PyYAML's C parser) is the C library go-yaml was ported from, and ~20x faster than
    the pure-Python parser; ruamel.yaml with the go-yaml scanner fixes is the fallback."""
    if EVENT_BACKEND:
        return EVENT_BACKEND
    try:
        import yaml

        return "libyaml" if getattr(yaml, "__with_libyaml__", False) else "ruamel"
    except ImportError:  # pragma: no cover - PyYAML is a dependency
        return "ruamel"


def _ruamel_events(text: str):
    from ruamel.yaml import YAML

    from .goyaml_scanner import GoYamlReader, GoYamlScanner

    yaml = YAML(typ="safe", pure=True)
    yaml.Reader = GoYamlReader
    yaml.Scanner = GoYamlScanner
    yaml.version = (1, 1)  # the parser's YAML 1.1 rules: no empty implicit keys, `...` ends the stream
    for event in yaml.parse(text):
        if type(event).__name__ == "ScalarEvent":
            event.implicit = (event.style is None and not event.tag) or event.tag == "!"
        yield event


def _libyaml_events(text: str):
    import yaml

    for event in yaml.parse(text, Loader=yaml.CSafeLoader):
        if type(event).__name__ == "ScalarEvent":
            event.implicit = bool(event.implicit[0])
            event.style = event.style or None
        yield event


# Where libyaml 0.2 (newer than the libyaml go-yaml was ported from) is more lenient than go-yaml:
# `?` before a `]` or `}` on its line, or after a `[` or `{` (`?` inside flow plain scalars), a
# byte order mark after the start, `,[]{}` after a `!` in one word (tags). Such texts, and any
# text libyaml refuses, are read with the go-yaml-exact ruamel path instead.
# Each alternative starts only where a line or a word starts (`^`, `(?<!\S)`) and runs through
# it once, so the search is linear: an unanchored `\?[^\n]*[\]}]` restarts at every `?` and
# takes quadratic time on one long line of `?`, `[` or `!` (200 KB of `[`: 79 s).
_LIBYAML_LENIENT = re.compile(
    r"^[^\n?]*\?[^\n]*[\]}]|^[^\n\[{]*[\[{][^\n]*\?|.\ufeff|(?<!\S)[^\s!]*!\S*[,\[\]{}]", re.S | re.M
)


# The pure-Python go-yaml path reads some ten thousand tokens a second: beyond this size, a text
# libyaml reads (or refuses) keeps libyaml's verdict, so that a stranger's 4 MB file cannot buy
# minutes of it with one `?` or one syntax error. Smaller texts get go-yaml's exact verdict.
MAX_GOYAML_PATH_CHARS = 256 * 1024


def _documents(text: str, limit: int | None, line_offset: int = 0) -> Iterator[_Node | None]:
    """Yield the root node of each document (None for an empty one); at most `limit` of them."""
    if event_backend() == "ruamel" or (len(text) <= MAX_GOYAML_PATH_CHARS and _LIBYAML_LENIENT.search(text)):
        yield from _ruamel_documents(text, limit, line_offset)
        return
    produced = 0
    try:
        for root in _documents_from(_libyaml_events(text), text, limit, line_offset):
            produced += 1
            yield root
    except _SyntaxError as exc:
        if produced:
            raise
        _refuse_if_too_deep(exc)  # libyaml's own limit (1000) is above ours
        if len(text) > MAX_GOYAML_PATH_CHARS:
            raise
        yield from _ruamel_documents(text, limit, line_offset)


def _ruamel_documents(text: str, limit: int | None, line_offset: int) -> Iterator[_Node | None]:
    try:
        yield from _documents_from(_ruamel_events(text), text, limit, line_offset)
    except _SyntaxError as exc:
        _refuse_if_too_deep(exc)  # the go-yaml scanner stops at our limit (goyaml_scanner.py)
        raise


def _refuse_if_too_deep(exc: _SyntaxError) -> None:
    """A scanner's own nesting limit, reported as the loader's."""
    if "maximum nesting depth" in exc.message:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels", exc.line, exc.col) from None


def _documents_from(iterator, text: str, limit: int | None, line_offset: int) -> Iterator[_Node | None]:
    import yaml as pyyaml
    from ruamel.yaml.error import YAMLError

    def span(start, end) -> Span:
        return Span(
            start.line + 1 + line_offset, start.column + 1, end.line + 1 + line_offset, end.column + 1
        )

    anchors: dict = {}
    stack: list = []
    root = None
    produced = 0
    while True:
        try:
            event = next(iterator)
        except StopIteration:
            return
        except (YAMLError, pyyaml.YAMLError) as exc:
            if getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None):
                error = _mark_error(exc, line_offset)
                raise _SyntaxError(error.message, error.line, error.col) from None
            position = getattr(exc, "position", None)
            line = text.count("\n", 0, position) + 1 + line_offset if isinstance(position, int) else 1
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _SyntaxError(first, line, 1) from None
        except (ValueError, TypeError, AttributeError, IndexError, KeyError, AssertionError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise _SyntaxError(f"invalid YAML: {first}") from None
        etype = type(event).__name__
        if etype == "DocumentStartEvent":
            version = getattr(event, "version", None)
            if version is not None and tuple(version) != (1, 1):
                mark = event.start_mark
                raise YamlLoadError(
                    "found incompatible YAML document (go-yaml reads YAML 1.1 only)",
                    mark.line + 1 + line_offset,
                    mark.column + 1,
                )
            anchors, stack, root = {}, [], None
            continue
        if etype == "DocumentEndEvent":
            yield root
            produced += 1
            if limit is not None and produced >= limit:
                return
            continue
        if etype in ("StreamStartEvent", "StreamEndEvent"):
            continue
        if etype == "ScalarEvent":
            node = _Node(
                "scalar",
                event.tag,
                event.value,
                event.style,
                span(event.start_mark, event.end_mark),
                event.anchor,
                event.implicit,
            )
            if event.anchor:
                anchors[event.anchor] = node
        elif etype == "AliasEvent":
            target = anchors.get(event.anchor)
            if target is None:
                mark = event.start_mark
                raise YamlLoadError(
                    f"unknown anchor '{event.anchor}' referenced",
                    mark.line + 1 + line_offset,
                    mark.column + 1,
                )
            node = _Node("alias", None, target, None, span(event.start_mark, event.end_mark), None)
        elif etype in ("MappingStartEvent", "SequenceStartEvent"):
            if len(stack) >= MAX_DEPTH:
                mark = event.start_mark
                raise YamlLoadError(
                    f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1 + line_offset, mark.column + 1
                )
            kind = "map" if etype == "MappingStartEvent" else "seq"
            node = _Node(kind, event.tag, [], None, span(event.start_mark, event.start_mark), event.anchor)
            if event.anchor:  # go-yaml registers an anchor where its node starts
                anchors[event.anchor] = node
            stack.append(node)
            continue
        elif etype in ("MappingEndEvent", "SequenceEndEvent"):
            node = stack.pop()
            start = node.span
            node.span = Span(
                start.line, start.col, event.end_mark.line + 1 + line_offset, event.end_mark.column + 1
            )
        else:  # comments and anything else carry no data
            continue
        if stack:
            stack[-1].value.append(node)
        else:
            root = node


# --------------------------------------------------------------------------------------------
# Nodes -> go-yaml's decoded value (phase 1) -> Helm's JSON-able values (phase 2)
#
# Phase 1 is go-yaml's decoder: maps are keyed by the *resolved* key (true, "true", 1 and 1.0 are
# four keys), the last duplicate wins, `<<` merges write into the map in place, and aliases are
# decoded again wherever they are used (here: decoded once and shared, never mutated).
# Phase 2 is sigs.k8s.io/yaml's JSON conversion of what survived phase 1: keys become strings
# (where two keys become one string Helm's pick is random; we take the last and report it),
# unsupported keys and Inf/NaN values fail, numbers become float64.


class _GoMap:
    """A decoded mapping: resolved key identity -> (key node, raw key, value, value node)."""

    __slots__ = ("entries",)

    def __init__(self):
        self.entries: dict = {}


def _allowed_alias_ratio(decoded: int) -> float:
    """go-yaml v2.4 decode.go allowedAliasRatio (the billion-laughs guard)."""
    if decoded <= 400_000:
        return 0.99
    if decoded >= 4_000_000:
        return 0.10
    return 0.99 - 0.89 * (decoded - 400_000) / 3_600_000


_OCTAL_LOOKING = re.compile(r"^[-+]?0[0-9_]+$|^[-+]?0[oO][0-7_]+$")
# a decimal number written with a leading zero (`0800`, `09.5`): not octal in Go, read as 800, 9.5
_LEADING_ZERO = re.compile(r"[-+]?0[0-9_]")


class _Decoder:
    def __init__(self, record: bool):
        self.record = record
        self.spans: dict = {}
        self.key_spans: dict = {}
        self.alias_targets: dict = {}
        self.notes: list = []
        self._cache: dict = {}  # id(node) -> decoded value
        self._counts: dict = {}  # id(node) -> go-yaml unmarshal calls to decode it
        self._active: set = set()  # nodes being counted or decoded (an alias may not enter one)
        self.decoded = 1  # the document node
        self.aliased = 0

    # go-yaml's alias accounting -------------------------------------------------------------
    def _count(self, node: _Node) -> int:
        known = self._counts.get(id(node))
        if known is not None:
            return known
        if id(node) in self._active:
            self._contains_itself(node)
        self._active.add(id(node))
        if node.kind == "scalar":
            total = 1
        elif node.kind == "alias":
            total = 1 + self._count(node.value)
        elif node.kind == "seq":
            total = 1 + sum(self._count(child) for child in node.value)
        else:
            total = 1
            children = node.value
            for i in range(0, len(children) - 1, 2):
                if self._is_merge(children[i]):
                    value = children[i + 1]
                    total += (
                        sum(self._count(c) for c in value.value)
                        if value.kind == "seq"
                        else self._count(value)
                    )
                else:
                    total += self._count(children[i]) + self._count(children[i + 1])
        self._counts[id(node)] = total
        self._active.discard(id(node))
        return total

    def _contains_itself(self, node: _Node):
        raise YamlLoadError(f"anchor '{node.anchor}' value contains itself", node.span.line, node.span.col)

    def _tick(self, node: _Node) -> None:
        """One unmarshal call outside any alias; an alias adds its whole expansion at once."""
        self.decoded += 1
        if node.kind == "alias":
            expansion = self._count(node.value)
            self.decoded += expansion
            self.aliased += expansion
            if self.decoded > MAX_EXPANDED_NODES:
                raise YamlLoadError("document contains excessive aliasing", node.span.line, node.span.col)
        if (
            self.aliased > 100
            and self.decoded > 1000
            and self.aliased / self.decoded > _allowed_alias_ratio(self.decoded)
        ):
            raise YamlLoadError("document contains excessive aliasing", node.span.line, node.span.col)

    # phase 1 -----------------------------------------------------------------------------------
    @staticmethod
    def _is_merge(node: _Node) -> bool:
        return node.kind == "scalar" and node.value == "<<" and (node.implicit or node.tag == MERGE_TAG)

    def decode(self, node: _Node, path: tuple, counted: bool = True):
        if counted:
            self._tick(node)
        if node.kind == "alias":
            return self._shared(node.value, path)
        if node.kind == "scalar":
            return self.scalar(node, path)
        self._active.add(id(node))
        if node.kind == "seq":
            value = [self.decode(child, path + (i,), counted) for i, child in enumerate(node.value)]
        else:
            value = self.mapping(node, path, counted)
        self._active.discard(id(node))
        return value

    def _shared(self, node: _Node, path: tuple):
        key = id(node)
        if key in self._active:
            self._contains_itself(node)
        if key not in self._cache:
            saved = self.record
            self.record = False
            try:
                self._cache[key] = self.decode(node, path, counted=False)
            finally:
                self.record = saved
        return self._cache[key]

    def scalar(self, node: _Node, path: tuple, is_key: bool = False):
        tag = "" if node.implicit and node.tag != "!" else ("!" if node.implicit else node.tag)
        if not node.implicit and not node.tag:
            return node.value  # quoted or block scalar without a tag: a string
        try:
            rtag, value = resolve(tag, node.value)
            if rtag == BINARY:
                value = _decode_binary(node.value)
        except _ResolveError as exc:
            where = f" (the value of {_where(path)})" if path and not is_key else ""
            raise YamlLoadError(f"{exc}{where}", node.span.line, node.span.col) from None
        if rtag == TIMESTAMP:
            value = node.value
        if self.record and node.implicit and not is_key:
            self._note_ambiguous(node, path, node.value, value)
        return value

    def _note_ambiguous(self, node: _Node, path: tuple, text: str, value) -> None:
        if isinstance(value, bool) and text not in _PLAIN_BOOLS:
            self.notes.append(
                YamlNote(
                    "ambiguous-scalar",
                    path,
                    node.span,
                    f"`{text}` is read as the boolean {str(value).lower()} (YAML 1.1); write "
                    f"{str(value).lower()} for a boolean or \"{text}\" for a string",
                    fix_value=value,
                    has_fix=True,
                )
            )
        elif (
            isinstance(value, int)
            and not isinstance(value, bool)
            and _OCTAL_LOOKING.match(text)
            and text.strip("+-0_oO") != ""
        ):
            self.notes.append(
                YamlNote(
                    "ambiguous-scalar",
                    path,
                    node.span,
                    f"`{text}` is read as the octal number {value}; quote it (\"{text}\") if you meant "
                    f"the digits, or write {value}",
                    fix_value=text,
                    has_fix=True,
                )
            )
        elif (
            isinstance(value, (int, float))
            and not isinstance(value, bool)
            and value != 0
            and _LEADING_ZERO.match(text)
        ):
            shown = helm_number(value)
            self.notes.append(
                YamlNote(
                    "ambiguous-scalar",
                    path,
                    node.span,
                    f"`{text}` is read as the number {shown} (a leading zero is dropped); quote it "
                    f"(\"{text}\") if you meant the digits, or write {shown}",
                    fix_value=text,
                    has_fix=True,
                )
            )
        elif isinstance(value, float) and re.fullmatch(r"[-+]?[0-9]+\.[0-9]*0", text):
            self.notes.append(
                YamlNote(
                    "ambiguous-scalar",
                    path,
                    node.span,
                    f"`{text}` is read as the number {helm_number(value)!r}, so a version like `{text}` "
                    f"loses its trailing zero; quote it (\"{text}\")",
                    fix_value=text,
                    has_fix=True,
                )
            )
        elif isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
            self.notes.append(
                YamlNote(
                    "ambiguous-scalar",
                    path,
                    node.span,
                    f"`{text}` is above 2^53 and Helm rounds it to {helm_number(value)}; quote it "
                    f"(\"{text}\") to keep every digit",
                    fix_value=text,
                    has_fix=True,
                )
            )

    def key(self, node: _Node, parent: tuple):
        target = node.value if node.kind == "alias" else node
        if target.kind != "scalar":
            raise YamlLoadError(
                "invalid map key: a mapping or list cannot be a key in Helm values",
                node.span.line,
                node.span.col,
            )
        raw = self.scalar(target, parent, is_key=True)
        if self.record and node.kind == "scalar" and node.implicit and not isinstance(raw, str):
            shown = _shown_key(raw)
            kind = "the boolean" if isinstance(raw, bool) else "null" if raw is None else "the number"
            self.notes.append(
                YamlNote(
                    "ambiguous-key",
                    parent + (shown,),
                    node.span,
                    f"the key `{node.value}` is read as {kind} {shown if raw is not None else ''}".rstrip()
                    + f", so Helm stores it as \"{shown}\"; quote the key (\"{node.value}\")",
                    fix_value=node.value,
                    has_fix=True,
                )
            )
        return raw

    def mapping(self, node: _Node, path: tuple, counted: bool) -> _GoMap:
        out = _GoMap()
        entries = out.entries
        merged_keys: set = set()
        children = node.value
        for i in range(0, len(children) - 1, 2):
            knode, vnode = children[i], children[i + 1]
            if self._is_merge(knode):
                self._merge(vnode, path, out, merged_keys, counted)
                continue
            if counted:
                self._tick(knode)
            raw = self.key(knode, path)
            identity = (type(raw), raw) if raw == raw else (float, "nan")
            child_path = path + (_shown_key(raw),)
            if self.record and identity in entries:
                if identity in merged_keys:
                    pass  # an explicit key after `<<` overrides the merged one: the intended use
                else:
                    self.notes.append(
                        YamlNote(
                            "duplicate-key",
                            child_path,
                            knode.span,
                            f"duplicate key `{_shown_key(raw)}` in {_where(path)}: Helm keeps the last "
                            f"one, other tools may keep the first",
                        )
                    )
            merged_keys.discard(identity)
            value = self.decode(vnode, child_path, counted)
            entries.pop(identity, None)  # keep the document order of the winning key
            entries[identity] = (knode, raw, value, vnode)
        return out

    def _merge(self, vnode: _Node, path: tuple, out: _GoMap, merged_keys: set, counted: bool) -> None:
        """go-yaml's d.merge: a map, an alias of a map, or a list of them (earlier ones win)."""

        def want_map(at: _Node):
            raise YamlLoadError(
                "map merge requires map or sequence of maps as the value", at.span.line, at.span.col
            )

        if vnode.kind == "seq":
            sources = list(reversed(vnode.value))
        elif vnode.kind in ("map", "alias"):
            sources = [vnode]
        else:
            want_map(vnode)
        for source in sources:
            target = source.value if source.kind == "alias" else source
            if target.kind != "map":
                want_map(source)
            merged = self.decode(source, path, counted)
            for identity, entry in merged.entries.items():
                if self.record and identity in out.entries and identity not in merged_keys:
                    knode = out.entries[identity][0]
                    self.notes.append(
                        YamlNote(
                            "duplicate-key",
                            path + (_shown_key(entry[1]),),
                            knode.span,
                            f"`{_shown_key(entry[1])}` is set before the merge key `<<` in {_where(path)}, "
                            f"so the merged value replaces it; put explicit keys after `<<`",
                        )
                    )
                out.entries[identity] = entry
                merged_keys.add(identity)

    # phase 2 -----------------------------------------------------------------------------------
    def to_json(self, value, node: _Node, path: tuple, record: bool):
        if record:
            self.spans[path] = node.span
            if node.kind == "alias":
                self.alias_targets[path] = node.value  # where the copied value is written
                record = False
        if isinstance(value, _GoMap):
            winners: dict = {}  # string key -> entry; Helm's pick among colliding keys is random
            for entry in value.entries.values():
                knode, raw = entry[0], entry[1]
                try:
                    key = key_to_string(raw) if not isinstance(raw, str) else raw
                except YamlLoadError as exc:
                    raise YamlLoadError(exc.message, knode.span.line, knode.span.col) from None
                if key in winners:
                    if record:
                        self.notes.append(
                            YamlNote(
                                "key-collision",
                                path + (key,),
                                knode.span,
                                f"keys `{key}` of different YAML types collide in {_where(path)} once "
                                f"Helm turns them into strings; which one wins changes from run to run",
                            )
                        )
                    self._check_keys(winners.pop(key)[2])  # the loser is converted, then dropped
                winners[key] = entry
            out: dict = {}
            for key, (knode, _raw, item, vnode) in winners.items():
                child = path + (key,)
                if record:
                    self.key_spans[child] = knode.span
                out[key] = self.to_json(item, vnode, child, record)
            return out
        if isinstance(value, list):
            items = node.value.value if node.kind == "alias" else node.value
            return [self.to_json(item, items[i], path + (i,), record) for i, item in enumerate(value)]
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            try:
                return helm_number(value)
            except YamlLoadError as exc:
                raise YamlLoadError(exc.message, node.span.line, node.span.col) from None
        return value

    def _check_keys(self, value) -> None:
        """sigs.k8s.io/yaml converts every key, even below a value a colliding key replaces."""
        if isinstance(value, _GoMap):
            for knode, raw, item, _vnode in value.entries.values():
                try:
                    key_to_string(raw)
                except YamlLoadError as exc:
                    raise YamlLoadError(exc.message, knode.span.line, knode.span.col) from None
                self._check_keys(item)
        elif isinstance(value, list):
            for item in value:
                self._check_keys(item)


def _child_node(node: _Node, part) -> _Node | None:
    """The node of a map's key `part` (the last one written) or a list's item `part`; None when
    it is not written there (a merged or non-string key)."""
    if node.kind == "map" and isinstance(part, str):
        children = node.value
        for i in range(len(children) - 2, -1, -2):
            key = children[i]
            if key.kind == "scalar" and key.value == part and key.value != "<<":
                return children[i + 1]
    elif node.kind == "seq" and isinstance(part, int) and 0 <= part < len(node.value):
        return node.value[part]
    return None


def _where(path: tuple) -> str:
    from .findings import format_path

    return f"`{format_path(path)}`" if path else "the top level"


def _strip_nulls(value):
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def _read_document(root: _Node | None, decoder: _Decoder) -> dict | None:
    """One document as sigs.k8s.io/yaml.Unmarshal into a map gives it (None: empty)."""
    if root is None:
        return None
    value = decoder.decode(root, ())
    result = decoder.to_json(value, root, (), decoder.record)
    if result is None:
        return None
    if not isinstance(result, dict):
        kind = "a list" if isinstance(result, list) else "a scalar"
        raise YamlLoadError(
            f"the top level of a values file must be a mapping, not {kind}", root.span.line, root.span.col
        )
    return result


def load_documents(text: str) -> list:
    """Every document of a YAML stream (a CRD file) as JSON-like data, None for an empty one.

    The values loader's rules bound the cost: go-yaml's alias ratio and the expansion cap
    (`_Decoder._tick`), the nesting limit; keys become strings and numbers JSON numbers, as
    sigs.k8s.io/yaml reads a manifest. Errors are YamlLoadError with a position.
    """
    out = []
    with _deep_nesting_refused():
        for root in _documents(text, None):
            if root is None:
                out.append(None)
                continue
            decoder = _Decoder(record=False)
            out.append(decoder.to_json(decoder.decode(root, ()), root, (), False))
    return out


@contextlib.contextmanager
def _deep_nesting_refused():
    """Decoding recurses once per level: room for MAX_DEPTH levels, a clean error beyond."""
    if sys.getrecursionlimit() < 10_000:
        sys.setrecursionlimit(10_000)
    try:
        yield
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels") from None


def split_documents(text: str) -> list:
    """k8s.io/apimachinery's YAMLReader, as Helm's LoadValues splits a chart's values.yaml.

    Returns (first line number - 1, chunk text) pairs. A separator line is `---` followed by
    nothing but blanks or a comment; anything else after `---` is an error, as in Helm.
    """
    chunks = []
    buffer: list = []
    start = 0
    lines = [line + "\n" for line in text.split("\n")]  # only LF ends a line for the reader
    lines[-1] = lines[-1][:-1]
    for number, line in enumerate(lines):
        if not line:
            continue
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                raise YamlLoadError(f"invalid Yaml document separator: {rest}", number + 1, 4)
            if buffer:
                chunks.append((start, "".join(buffer)))
                buffer = []
                start = number + 1
                continue
        if not buffer:
            start = number
        buffer.append(line)
    if buffer:
        chunks.append((start, "".join(buffer)))
    return chunks


def load_values(
    text: str, path: str = "<values>", *, chart_defaults: bool = False, merge_documents: bool = False
) -> LoadedYaml:
    """Parse one values file as Helm does.

    `-f` files (the default): only the first document counts, as the Helm SDK's ReadValues and
    Helm 3's `-f` read them, and nulls are kept (they delete keys from the layers below).
    `merge_documents=True`: every document is merged, nulls kept, as Helm 4's `-f` reads a file
    (LoadValues, helm/helm#13655). A chart's values.yaml (`chart_defaults=True`): the documents
    are merged as LoadValues does, and null-valued keys are dropped as rendering drops them.
    """
    with _deep_nesting_refused():
        if chart_defaults or merge_documents:
            return _load_all_documents(text, path, drop_nulls=chart_defaults)
        return _load_user_values(text, path)


# Characters go-yaml's reader refuses ("control characters are not allowed")
_NON_PRINTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_DOCUMENT_MARKER = re.compile(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)
_CONTENT = re.compile(r"^(?![ \t]*(?:#|\r?$)|---(?:[ \t\r]|$)|%)[^\n]", re.M)  # a line of a document


def _load_user_values(text: str, path: str) -> LoadedYaml:
    decoder = _Decoder(record=True)
    count = 1
    original = text
    bad = _NON_PRINTABLE.search(text)
    if bad:
        # go-yaml checks characters as it reads its input, 512 bytes at a time, and stops after
        # the first document: a bad character in a block it never reads is no error
        markers = [
            m for m in _DOCUMENT_MARKER.finditer(text, 0, bad.start()) if _CONTENT.search(text, 0, m.start())
        ]
        if markers:
            first_end = len(text[: markers[0].start()].encode("utf-8")) + 3  # its `---` and one more
            if len(text[: bad.start()].encode("utf-8")) // 512 > first_end // 512:
                text, count = text[: markers[0].start()], 2
    documents = _documents(text, 2)
    end = object()
    data = _read_document(next(documents, None), decoder) or {}
    try:  # only to warn about what Helm ignores: is there a second document with content?
        second = next(documents, end)
        empty = (
            second is end
            or second is None
            or (second.kind == "scalar" and second.implicit and _resolve_untyped("", second.value)[0] == NULL)
        )
        if not empty:
            count = 2
    except YamlLoadError:
        count = 2
    return LoadedYaml(
        path=path,
        data=data,
        spans=decoder.spans,
        key_spans=decoder.key_spans,
        notes=decoder.notes,
        documents=count,
        text=original,
        alias_targets=decoder.alias_targets,
    )


def _load_all_documents(text: str, path: str, drop_nulls: bool) -> LoadedYaml:
    spans: dict = {}
    key_spans: dict = {}
    alias_targets: dict = {}
    notes: list = []
    data: dict = {}
    chunks = split_documents(text[1:] if text.startswith("\ufeff") else text)  # Helm strips a BOM
    for offset, chunk in chunks:
        decoder = _Decoder(record=True)
        for root in _documents(chunk, 1, offset):
            data = merge_maps(data, _read_document(root, decoder) or {})
        spans.update(decoder.spans)
        key_spans.update(decoder.key_spans)
        alias_targets.update(decoder.alias_targets)
        notes.extend(decoder.notes)
    return LoadedYaml(
        path=path,
        data=_strip_nulls(data) if drop_nulls else data,
        spans=spans,
        key_spans=key_spans,
        notes=notes,
        documents=max(len(chunks), 1),
        text=text,
        alias_targets=alias_targets,
    )
