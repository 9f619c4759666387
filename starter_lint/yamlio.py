"""Read YAML exactly as Helm reads values, keeping the position of every key and value.

Helm parses values with go-yaml v2 (YAML 1.1 scalar rules), converts the result to JSON and back,
so every number becomes a float64 and every key a string. We rebuild that on top of ruamel.yaml's
*event* stream (never its constructors), so no tag can ever construct a Python object, aliases are
budgeted before anything is expanded, and each node keeps its line and column.

The scalar rules mirror go-yaml v2's `resolve()` (resolve.go) and sigs.k8s.io/yaml's
`convertToJSONableObject` for keys; `tests/test_helm_parity.py` checks them against Helm's own SDK.
"""
from __future__ import annotations

import codecs
import math
import re
import struct
import sys
from dataclasses import dataclass, field
from typing import Any, Iterator, Optional

MAX_VALUES_BYTES = 4 * 1024 * 1024   # a values file beyond this is not a values file
MAX_DEPTH = 500                      # deeper nesting is refused (json and Python recursion)
MAX_EXPANDED_NODES = 2_000_000       # hard cap on alias expansion, whatever the ratio


@dataclass(frozen=True)
class Span:
    """1-based start and end (end column exclusive-ish, as ruamel reports it)."""

    line: int
    col: int
    end_line: int
    end_col: int


@dataclass(frozen=True)
class YamlNote:
    """Something legal but surprising the loader saw: the source of SL103/SL104 findings."""

    kind: str            # "duplicate-key" | "key-collision" | "ambiguous-scalar" | "ambiguous-key"
    path: tuple          # values path of the affected key or value
    span: Span
    message: str
    fix_value: Any = None  # for ambiguous scalars: the value the author most likely meant
    has_fix: bool = False


class YamlLoadError(Exception):
    """The text is not YAML Helm would load (syntax, top-level type, aliasing, Inf/NaN…)."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


@dataclass
class LoadedYaml:
    path: str
    data: dict
    spans: dict = field(default_factory=dict)      # values path -> Span of the value
    key_spans: dict = field(default_factory=dict)  # values path -> Span of its key
    notes: list = field(default_factory=list)
    documents: int = 1
    text: str = ""

    def span_of(self, path: tuple) -> Optional[Span]:
        return self.spans.get(tuple(path))


# --------------------------------------------------------------------------------------------
# Decoding bytes (go-yaml accepts UTF-8, and UTF-16 with a BOM)

def decode_bytes(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    elif raw.startswith(codecs.BOM_UTF16_LE) or raw.startswith(codecs.BOM_UTF16_BE):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise YamlLoadError(f"invalid UTF-16 at byte {exc.start}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlLoadError(f"not UTF-8 text (invalid byte at offset {exc.start})", line, 1) from None
    return text


# --------------------------------------------------------------------------------------------
# go-yaml v2 scalar resolution

_BOOL_NULL = {}
for _words, _value in (
    (("y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "true", "True", "TRUE"), True),
    (("n", "N", "no", "No", "NO", "off", "Off", "OFF", "false", "False", "FALSE"), False),
):
    for _w in _words:
        _BOOL_NULL[_w] = _value
for _w in ("", "~", "null", "Null", "NULL"):
    _BOOL_NULL[_w] = None
_SPECIAL_FLOATS = {".nan": math.nan, ".NaN": math.nan, ".NAN": math.nan,
                   ".inf": math.inf, ".Inf": math.inf, ".INF": math.inf,
                   "+.inf": math.inf, "+.Inf": math.inf, "+.INF": math.inf,
                   "-.inf": -math.inf, "-.Inf": -math.inf, "-.INF": -math.inf}
_PLAIN_BOOLS = {"true", "True", "TRUE", "false", "False", "FALSE"}
_YAML_STYLE_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$")
_GO_FLOAT = re.compile(r"^[-+]?(\.[0-9]+|[0-9]+\.?[0-9]*)([eE][-+]?[0-9]+)?$")
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -(2 ** 63), 2 ** 63 - 1, 2 ** 64 - 1
MERGE = object()  # the `<<` merge key


def _go_parse_int(text: str) -> Optional[int]:
    """strconv.ParseInt/ParseUint with base 0 (underscores already removed by the caller)."""
    s = text
    sign = 1
    if s[:1] in "+-":
        if s[0] == "-":
            sign = -1
        s = s[1:]
    if not s:
        return None
    base = 10
    low = s.lower()
    if low.startswith("0x"):
        base, s = 16, s[2:]
    elif low.startswith("0o"):
        base, s = 8, s[2:]
    elif low.startswith("0b"):
        base, s = 2, s[2:]
    elif len(s) > 1 and s[0] == "0":
        base, s = 8, s[1:]
    if not s or not all(c in "0123456789abcdefABCDEF"[: base if base <= 10 else 22] for c in s):
        return None
    try:
        value = sign * int(s, base)
    except ValueError:
        return None
    if _INT64_MIN <= value <= _UINT64_MAX:
        return value
    return None


def _go_parse_float(text: str) -> Optional[float]:
    """strconv.ParseFloat(…, 64) for the decimal forms go-yaml lets through; None on error."""
    if not _GO_FLOAT.match(text):
        return None
    value = float(text)
    if math.isinf(value):
        return None  # ErrRange: go-yaml keeps the text as a string ("1e400")
    return value


def resolve_plain(text: str) -> Any:
    """The value go-yaml v2 gives an untagged plain scalar (before the JSON round trip)."""
    if text in _BOOL_NULL:
        return _BOOL_NULL[text]
    if text == "<<":
        return MERGE
    if text in _SPECIAL_FLOATS:
        return _SPECIAL_FLOATS[text]
    first = text[:1]
    if first == ".":
        return _go_parse_float(text) if _go_parse_float(text) is not None else text
    if first.isdigit() or first in "+-":
        plain = text.replace("_", "")
        value = _go_parse_int(plain)
        if value is not None:
            return value
        if _YAML_STYLE_FLOAT.match(plain):
            fvalue = _go_parse_float(plain)
            if fvalue is not None:
                return fvalue
    return text


def helm_number(value):
    """A number as Helm holds it after the JSON round trip: a float64, printed like Go does."""
    as_float = float(value)
    if math.isnan(as_float) or math.isinf(as_float):
        raise YamlLoadError("json: unsupported value: " + ("NaN" if math.isnan(as_float) else "Inf"))
    if as_float.is_integer() and abs(as_float) < 1e21:
        return int(as_float)
    return as_float


def _float32_shortest(value: float) -> str:
    """strconv.FormatFloat(v, 'g', -1, 32): shortest digits that round-trip through float32."""
    f32 = struct.unpack("f", struct.pack("f", value))[0]
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
        return f"{sign}{mantissa_digits[0]}{'.' + frac if frac else ''}e{'-' if exp < 0 else '+'}{abs(exp):02d}"
    if exp >= 0:
        whole = mantissa_digits[: exp + 1].ljust(exp + 1, "0")
        frac = mantissa_digits[exp + 1:]
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
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return _float32_shortest(value)
    if value is None:
        raise YamlLoadError("unsupported map key of type: <nil> (a null key)")
    return str(value)


# --------------------------------------------------------------------------------------------
# Events -> a light node tree (iterative, so deep nesting cannot exhaust the Python stack)

class _Node:
    __slots__ = ("kind", "tag", "value", "style", "span", "anchor", "size", "alias_size", "depth")

    def __init__(self, kind, tag, value, style, span, anchor):
        self.kind = kind          # "scalar" | "seq" | "map" | "alias"
        self.tag = tag
        self.value = value        # str, list of child nodes, or the aliased node
        self.style = style
        self.span = span
        self.anchor = anchor
        self.size = 1             # nodes after expanding aliases
        self.alias_size = 0       # of which reached through aliases
        self.depth = 1


def _span(start, end) -> Span:
    return Span(start.line + 1, start.column + 1, end.line + 1, end.column + 1)


def _mark_error(exc) -> YamlLoadError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).strip().splitlines()[0]
    context = getattr(exc, "context", None)
    message = f"{context}, {problem}" if context and problem and context not in problem else str(problem)
    if mark is not None:
        return YamlLoadError(message, mark.line + 1, mark.column + 1)
    return YamlLoadError(message)


def _events(text: str):
    from ruamel.yaml import YAML  # imported here: start-up cost only when values are read

    yaml = YAML(typ="safe", pure=True)
    return yaml.parse(text)


def _documents(text: str, limit: Optional[int]) -> Iterator[_Node]:
    """Yield the root node of each document (None for an empty one); at most `limit` of them."""
    from ruamel.yaml import events as ev
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    anchors: dict = {}
    stack: list = []
    root = None
    produced = 0
    iterator = iter(_events(text))
    while True:
        try:
            event = next(iterator)
        except StopIteration:
            return
        except MarkedYAMLError as exc:
            raise _mark_error(exc) from None
        except (YAMLError, ValueError, TypeError, AttributeError, IndexError, KeyError) as exc:
            raise YamlLoadError(f"invalid YAML: {str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}") from None
        etype = type(event)
        if etype is ev.DocumentStartEvent:
            anchors, stack, root = {}, [], None
            continue
        if etype is ev.DocumentEndEvent:
            yield root
            produced += 1
            if limit is not None and produced >= limit:
                return
            continue
        if etype in (ev.StreamStartEvent, ev.StreamEndEvent):
            continue
        if etype is ev.ScalarEvent:
            node = _Node("scalar", event.tag, event.value, event.style,
                         _span(event.start_mark, event.end_mark), event.anchor)
            if event.anchor:
                anchors[event.anchor] = node
        elif etype is ev.AliasEvent:
            target = anchors.get(event.anchor)
            if target is None:
                mark = event.start_mark
                raise YamlLoadError(f"unknown anchor '{event.anchor}' referenced", mark.line + 1, mark.column + 1)
            node = _Node("alias", None, target, None, _span(event.start_mark, event.end_mark), None)
            node.size = target.size
            node.alias_size = target.size
            node.depth = target.depth
        elif etype in (ev.MappingStartEvent, ev.SequenceStartEvent):
            kind = "map" if etype is ev.MappingStartEvent else "seq"
            node = _Node(kind, event.tag, [], None, _span(event.start_mark, event.start_mark), event.anchor)
            if len(stack) >= MAX_DEPTH:
                mark = event.start_mark
                raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels", mark.line + 1, mark.column + 1)
            stack.append(node)
            continue
        elif etype in (ev.MappingEndEvent, ev.SequenceEndEvent):
            node = stack.pop()
            start = node.span
            node.span = Span(start.line, start.col, event.end_mark.line + 1, event.end_mark.column + 1)
            node.size = 1 + sum(child.size for child in node.value)
            node.alias_size = sum(child.alias_size for child in node.value)
            node.depth = 1 + max((child.depth for child in node.value), default=0)
            if node.size > MAX_EXPANDED_NODES:
                raise YamlLoadError("document contains excessive aliasing", start.line, start.col)
            if node.anchor:
                anchors[node.anchor] = node
        else:  # comments and anything else carry no data
            continue
        if stack:
            stack[-1].value.append(node)
        else:
            root = node


def _check_alias_ratio(root: _Node) -> None:
    """go-yaml v2.4's guard against billion-laughs documents (decode.go, allowedAliasRatio)."""
    total, aliased = root.size, root.alias_size
    if aliased <= 100 or total <= 1000:
        return
    if total <= 400_000:
        allowed = 0.99
    elif total >= 4_000_000:
        allowed = 0.10
    else:
        allowed = 0.99 - 0.89 * (total - 400_000) / 3_600_000
    if aliased / total > allowed:
        raise YamlLoadError("document contains excessive aliasing", root.span.line, root.span.col)


# --------------------------------------------------------------------------------------------
# Nodes -> Helm's values, with positions and notes

_STR_TAGS = {"tag:yaml.org,2002:str", "!", "tag:yaml.org,2002:binary"}
_TYPED_TAGS = {"tag:yaml.org,2002:int": int, "tag:yaml.org,2002:float": float,
               "tag:yaml.org,2002:bool": bool, "tag:yaml.org,2002:null": type(None)}
_OCTAL_LOOKING = re.compile(r"^[-+]?0[0-9_]+$|^[-+]?0[oO][0-7_]+$")


class _Builder:
    def __init__(self, record: bool):
        self.record = record
        self.spans: dict = {}
        self.key_spans: dict = {}
        self.notes: list = []

    # scalars ---------------------------------------------------------------------------------
    def scalar(self, node: _Node, path: tuple, is_key: bool = False):
        tag, text = node.tag, node.value
        if node.style is None and tag in (None, "tag:yaml.org,2002:merge"):
            value = resolve_plain(text)
            if value is MERGE:
                return MERGE
            if self.record and not is_key:
                self._note_ambiguous(node, path, text, value)
        elif tag in _TYPED_TAGS:
            value = resolve_plain(text) if text != "<<" else text
            expected = _TYPED_TAGS[tag]
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
                short = tag.rsplit(":", 1)[-1]
                raise YamlLoadError(f"cannot decode !!str `{text}` as a !!{short}", node.span.line, node.span.col)
        else:
            # quoted, block, !!str, or an unknown tag: go-yaml keeps the text; nothing is constructed
            value = text
        if isinstance(value, (int, float)) and not isinstance(value, bool) and not is_key:
            try:
                value = helm_number(value)
            except YamlLoadError as exc:
                raise YamlLoadError(exc.message, node.span.line, node.span.col) from None
        return value

    def _note_ambiguous(self, node: _Node, path: tuple, text: str, value) -> None:
        if isinstance(value, bool) and text not in _PLAIN_BOOLS:
            self.notes.append(YamlNote(
                "ambiguous-scalar", path, node.span,
                f"`{text}` is read as the boolean {str(value).lower()} (YAML 1.1); write "
                f"{str(value).lower()} for a boolean or \"{text}\" for a string",
                fix_value=value, has_fix=True))
        elif isinstance(value, int) and _OCTAL_LOOKING.match(text) and text.strip("+-0_") != "":
            self.notes.append(YamlNote(
                "ambiguous-scalar", path, node.span,
                f"`{text}` is read as the octal number {value}; quote it (\"{text}\") if you meant "
                f"the digits, or write {value}", fix_value=text, has_fix=True))
        elif isinstance(value, float) and re.fullmatch(r"[-+]?[0-9]+\.[0-9]*0", text):
            shown = repr(helm_number(value)) if not math.isinf(value) else text
            self.notes.append(YamlNote(
                "ambiguous-scalar", path, node.span,
                f"`{text}` is read as the number {shown}, so a version like `{text}` loses its "
                f"trailing zero; quote it (\"{text}\")", fix_value=text, has_fix=True))
        elif isinstance(value, int) and abs(value) > 2 ** 53:
            self.notes.append(YamlNote(
                "ambiguous-scalar", path, node.span,
                f"`{text}` is above 2^53 and Helm rounds it to {int(float(value))}; quote it "
                f"(\"{text}\") to keep every digit", fix_value=text, has_fix=True))

    # keys --------------------------------------------------------------------------------------
    def key(self, node: _Node, parent: tuple):
        if node.kind == "alias":
            node = node.value
        if node.kind != "scalar":
            raise YamlLoadError("a mapping or list cannot be a key in Helm values", node.span.line, node.span.col)
        raw = self.scalar(node, parent, is_key=True)
        if raw is MERGE:
            return MERGE, MERGE
        string = key_to_string(raw) if not isinstance(raw, str) else raw
        if self.record and not isinstance(raw, str) and node.style is None:
            shown = f"the boolean {string}" if isinstance(raw, bool) else f"the {'null' if raw is None else 'number'} {string}"
            self.notes.append(YamlNote(
                "ambiguous-key", parent + (string,), node.span,
                f"the key `{node.value}` is read as {shown}, so Helm stores it as \"{string}\"; "
                f"quote the key (\"{node.value}\")", fix_value=node.value, has_fix=True))
        raw_identity = (type(raw).__name__, raw)
        return string, raw_identity

    # collections -----------------------------------------------------------------------------
    def build(self, node: _Node, path: tuple):
        if node.kind == "alias":
            if self.record and path not in self.spans:
                self.spans[path] = node.span
            return self._expand(node.value, path)
        if self.record:
            self.spans[path] = node.span
        if node.kind == "scalar":
            value = self.scalar(node, path)
            if value is MERGE:
                return "<<"
            return value
        if node.kind == "seq":
            return [self.build(child, path + (i,)) for i, child in enumerate(node.value)]
        return self.mapping(node, path)

    def _expand(self, node: _Node, path: tuple):
        """An alias: the anchored value again, without recording positions below it."""
        saved = self.record
        self.record = False
        try:
            return self.build(node, path)
        finally:
            self.record = saved

    def mapping(self, node: _Node, path: tuple) -> dict:
        out: dict = {}
        seen: dict = {}  # string key -> raw identity of the key that set it
        children = node.value
        for i in range(0, len(children) - 1, 2):
            knode, vnode = children[i], children[i + 1]
            key, identity = self.key(knode, path)
            if key is MERGE:
                self._merge(vnode, path, out, seen)
                continue
            child_path = path + (key,)
            if key in seen and self.record:
                kspan = knode.span
                if seen[key] == identity:
                    self.notes.append(YamlNote(
                        "duplicate-key", child_path, kspan,
                        f"duplicate key `{key}` in {_where(path)}: Helm keeps the last one, other "
                        f"tools may keep the first"))
                elif seen[key] is not MERGE:
                    self.notes.append(YamlNote(
                        "key-collision", child_path, kspan,
                        f"keys `{key}` of different YAML types collide in {_where(path)} once Helm "
                        f"turns them into strings; which one wins changes from run to run"))
            seen[key] = identity
            if self.record:
                self.key_spans[child_path] = knode.span
            out[key] = self.build(vnode, child_path)
        return out

    def _merge(self, vnode: _Node, path: tuple, out: dict, seen: dict) -> None:
        target = vnode.value if vnode.kind == "alias" else vnode
        if target.kind == "map":
            sources = [vnode]
        elif target.kind == "seq":
            sources = list(reversed(target.value))  # go-yaml: earlier maps in the list win
        else:
            raise YamlLoadError("map merge requires map or sequence of maps as the value",
                                vnode.span.line, vnode.span.col)
        for source in sources:
            snode = source.value if source.kind == "alias" else source
            if snode.kind != "map":
                raise YamlLoadError("map merge requires map or sequence of maps as the value",
                                    source.span.line, source.span.col)
            merged = self._expand(snode, path) if source.kind == "alias" else self.mapping(snode, path)
            for key, value in merged.items():
                out[key] = value
                seen[key] = MERGE


def _where(path: tuple) -> str:
    from .findings import format_path

    return f"`{format_path(path)}`" if path else "the top level"


def _strip_nulls(value):
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def load_values(text: str, path: str = "<values>", *, chart_defaults: bool = False) -> LoadedYaml:
    """Parse one values file as Helm does.

    `-f` files (the default): only the first document counts and nulls are kept (they delete keys
    from the layers below). A chart's values.yaml (`chart_defaults=True`): every document is
    merged and null-valued keys are dropped.
    """
    if sys.getrecursionlimit() < 10_000:
        sys.setrecursionlimit(10_000)
    builder = _Builder(record=True)
    data: dict = {}
    documents = 0
    first_done = False
    limit = None if chart_defaults else 2  # read one past the first, only to warn about it
    try:
        for root in _documents(text, limit):
            documents += 1
            if documents > 1 and not chart_defaults:
                break
            if root is None:
                first_done = True
                continue
            _check_alias_ratio(root)
            value = builder.build(root, ())
            if value is None:
                first_done = True
                continue
            if not isinstance(value, dict):
                kind = "a list" if isinstance(value, list) else "a scalar"
                raise YamlLoadError(f"the top level of a values file must be a mapping, not {kind}",
                                    root.span.line, root.span.col)
            if chart_defaults:
                from .values.layers import merge_maps

                data = merge_maps(data, _strip_nulls(value))
            else:
                data = value
            first_done = True
    except YamlLoadError:
        if chart_defaults or not first_done:
            raise
        # an error past the first document of a -f file: Helm never reads that far
        documents = 2
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels") from None
    loaded = LoadedYaml(path=path, data=data, spans=builder.spans, key_spans=builder.key_spans,
                        notes=builder.notes, documents=documents, text=text)
    return loaded
