"""CEL expressions compiled and evaluated: the one module that imports the CEL library.

The library is cel-expr-python (Google's cel-cpp); docs/cel-libraries.md says why. It type-checks
an expression at compile time against the declared variables (all `dyn`, as Kubernetes declares
`object` and `params` when it has no schema), so an unknown identifier or function is a compile
error with its line and column. The environment is Kubernetes 1.34's for admission policies
(docs/cel-libraries.md): the library's own extensions (strings at Kubernetes' version 2,
optionals; lists and two-variable comprehensions through its environment configuration, the
only way the binding reaches them; not its math, bindings or encoders, which Kubernetes does
not enable), ordering across int, uint and double (cel-go's CrossTypeNumericComparisons), and
the Kubernetes libraries registered from k8s_library.py, k8s_types.py and k8s_format.py (plain
Python), which also has `lists.range` and `distinct` in place of cel-cpp's (through the container).

Runaway expressions: cel-cpp stops an evaluation after 10,000 comprehension iterations in total
("Iteration budget exceeded"), which bounds `map` nested over a large list, and every Kubernetes
function written in Python draws from the cost budget of limits.py by the size of its inputs,
reset at each evaluation. Either way a runaway is a CelEvaluationError saying "cost limit
exceeded". Neither bounds what an expression builds (a string joined inside nested maps): the
memory and time limits of the child process the policies run in (limits.py) do.

Values cross the boundary as plain JSON-like Python both ways.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Collection, Mapping
from functools import cache
from typing import Any

from ..errors import StarterLintError
from .k8s_format import FORMAT_FUNCTIONS
from .k8s_library import FUNCTIONS, OVERRIDE_CONTAINER, FunctionSpec
from .k8s_types import TYPE_FUNCTIONS
from .limits import charge, reset_cost, size_of

INT64_MIN, INT64_MAX = -(1 << 63), (1 << 63) - 1
_POSITION = re.compile(r"<input>:(\d+):(\d+): (.*?)(?:\n|$)")
_STATUS = re.compile(r"^[A-Z_]+:(?: |$)")  # "INVALID_ARGUMENT: " in front of every library message
_IN_CONTAINER = re.compile(r" \(in container '[\w.]*'\)")
# cel-go's parser limit (expressionSizeCodePointLimit), which the API server keeps; a str's len()
# counts code points
MAX_EXPRESSION_LENGTH = 100_000
_NEEDS = "CEL policies need the cel-expr-python package (Python 3.11 or later): pip install cel-expr-python"


class CelError(StarterLintError):
    """An expression that does not compile: a syntax error, an unknown name, a type mismatch."""

    def __init__(self, message: str, line: int = 1, column: int = 1) -> None:
        message = _IN_CONTAINER.sub("", message)  # the container is ours, not the policy's
        super().__init__(f"{line}:{column}: {message}" if line > 1 else f"column {column}: {message}")
        self.message = message
        self.line = line  # 1-based, within the expression
        self.column = column  # 1-based, within that line


class CelEvaluationError(StarterLintError):
    """An expression that compiled but failed on this input (no such key, overflow, cost limit)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@cache
def _library() -> Any:  # Any: the cel module has no type information mypy reads
    try:
        from cel_expr_python import cel  # deferred: 30 ms to load, and only runs with --policy need it
    except ImportError:
        raise StarterLintError(_NEEDS) from None
    return cel


def _type(cel: Any, name: str) -> Any:
    if name == "list":
        return cel.Type.List(cel.Type.DYN)
    if name == "map":
        return cel.Type.Map(cel.Type.DYN, cel.Type.DYN)
    return getattr(cel.Type, name.upper())


def _declaration(cel: Any, name: str, specs: list[FunctionSpec]) -> Any:
    overloads = [
        cel.Overload(
            spec.overload_id,
            _type(cel, spec.result),
            [_type(cel, p) for p in spec.params],
            is_member=spec.member,
            impl=_guarded(spec.impl),
        )
        for spec in specs
    ]
    return cel.FunctionDecl(name, overloads)


def _guarded(impl: Any) -> Any:
    """The function, its Python errors turned into the message CEL reports (never a traceback)."""

    def call(*args: Any) -> Any:
        try:
            charge(sum(size_of(a) for a in args))
            return impl(*(_plain(a) for a in args))
        except MemoryError:  # the memory limit's (limits.py), not the expression's fault
            raise
        # any other exception: only a RuntimeError's message reaches CEL's error (others are
        # "UNKNOWN:" with no message)
        except Exception as exc:
            raise RuntimeError(str(exc) or type(exc).__name__) from None

    return call


# Ordering operators with the cross-type numeric overloads Kubernetes enables (1 < 2.0, 1u < 2):
# cel-cpp evaluates them, but its checker declares only same-type ordering, so the operators are
# declared anew (same-type overloads kept) in place of the standard library's declarations.
_ORDERINGS = {"_<_": "less", "_<=_": "less_equals", "_>_": "greater", "_>=_": "greater_equals"}
_ORDERED_TYPES = (
    *("int", "uint", "double", "string", "bytes", "bool"),
    *("google.protobuf.Timestamp", "google.protobuf.Duration"),
)
_CROSS_NUMERIC = (
    *(("int", "double"), ("double", "int"), ("int", "uint")),
    *(("uint", "int"), ("uint", "double"), ("double", "uint")),
)


@cache
def _configuration() -> str:
    """The library's environment configuration (YAML): the cel-go extensions Kubernetes enables
    that cel-cpp has too, and the ordering operators' declarations."""
    pairs = [(t, t) for t in _ORDERED_TYPES] + list(_CROSS_NUMERIC)
    lines = [
        "name: starter-lint",
        "extensions:",
        # Kubernetes enables cel-go's lists at version 3, which adds only cost estimates to 2's
        # functions (slice, flatten, distinct, range, reverse, sort, sortBy); cel-cpp stops at 2
        "  - {name: lists, version: 2}",
        "  - {name: cel.lib.ext.comprev2, version: latest}",  # all/exists/existsOne(i, v, ...), transformList
        "stdlib:",
        "  exclude_functions:",
        *(f"    - name: {operator}" for operator in _ORDERINGS),
        "functions:",
    ]
    for operator, name in _ORDERINGS.items():
        lines += [f"  - name: {operator}", "    overloads:"]
        for left, right in pairs:
            ids = "_".join(t.rpartition(".")[2].lower() for t in (left, right))
            lines += [
                f"      - id: {name}_{ids}",
                f"        args: [{{type_name: {left}}}, {{type_name: {right}}}]",
                "        return: {type_name: bool}",
            ]
    return "\n".join(lines) + "\n"


@cache
def _environment(variables: frozenset[str]) -> Any:
    cel = _library()
    from cel_expr_python.ext import ext_optional, ext_strings  # deferred: with the library

    return cel.NewEnv(
        config=_parsed_configuration(),
        # names resolve to the container's first: k8s_library.py's lists.range and distinct in
        # place of the library's, which cannot be declared again
        container=cel.ExpressionContainer(name=OVERRIDE_CONTAINER),
        variables={name: cel.Type.DYN for name in sorted(variables)},
        extensions=[
            # version 2, as Kubernetes enables it (3 adds a string `reverse()` the API server refuses)
            ext_strings.ExtStrings(2),
            ext_optional.ExtOptional(),
            # an extension, not `functions=`: only so can `indexOf` gain list overloads next to
            # the strings extension's
            cel.CelExtension("kubernetes", _kubernetes_declarations()),
        ],
    )


# what every environment shares, made once (an admission run makes two: with and without `variables`)
@cache
def _parsed_configuration() -> Any:
    return _library().NewEnvConfigFromYaml(_configuration())


@cache
def _kubernetes_declarations() -> list:
    by_name: dict[str, list[FunctionSpec]] = {}
    for spec in FUNCTIONS + TYPE_FUNCTIONS + FORMAT_FUNCTIONS:
        by_name.setdefault(spec.name, []).append(spec)
    return [_declaration(_library(), name, specs) for name, specs in by_name.items()]


class Bindings:
    """Values of variables converted once, for several expressions evaluated over the same input
    (an admission policy runs its conditions, variables and validations over one object, and
    every policy over the same objects): 10x faster than a mapping converted at each evaluation."""

    __slots__ = ("_activations", "_converted")

    def __init__(self, values: Mapping[str, object], converted: Mapping[str, object] | None = None) -> None:
        self._converted = {**(converted or {}), **{name: _to_cel(value) for name, value in values.items()}}
        self._activations: dict[frozenset[str], tuple[Any, dict]] = {}

    def with_values(self, values: Mapping[str, object]) -> Bindings:
        """These bindings with more (or other) variables; the values converted already are kept."""
        return Bindings(values, self._converted)

    def for_variables(self, variables: frozenset[str]) -> Any:
        """The library's activation for expressions compiled with these variable names."""
        found = self._activations.get(variables)
        if found is None:
            data = {name: self._converted.get(name) for name in variables}
            # the data is kept beside the activation, which reads it when an expression asks
            found = self._activations[variables] = (_environment(variables).Activation(data), data)
        return found[0]


class CompiledExpression:
    """A checked expression; evaluate it any number of times."""

    __slots__ = ("_expression", "source", "variables")

    def __init__(self, source: str, variables: frozenset[str], expression: Any) -> None:
        self.source = source
        self.variables = variables
        self._expression = expression

    def evaluate(self, activation: Mapping[str, object] | Bindings) -> object:
        """The result as plain Python; CelEvaluationError when the expression fails on this input."""
        reset_cost()
        try:
            if isinstance(activation, Bindings):
                value = self._expression.eval(activation=activation.for_variables(self.variables))
            else:
                data = {name: _to_cel(activation.get(name)) for name in self.variables}
                value = self._expression.eval(data=data)
        except MemoryError:  # std::bad_alloc: the memory limit's breach (limits.py)
            raise
        # cel-cpp raises RuntimeError mostly, but ValueError, IndexError, OverflowError for some
        # C++ exceptions (std::length_error, std::out_of_range): each is this input's failure
        except Exception as exc:
            raise CelEvaluationError(_runtime_message(str(exc) or type(exc).__name__)) from None
        try:
            if value.type().name() == "ERROR":
                raise CelEvaluationError(_runtime_message(str(value.value())))
            return _plain(value.plain_value())
        except TypeError:  # an optional as the result: the binding types it ERROR, with no value
            raise CelEvaluationError("the result is not a plain value (an optional?)") from None


def compile_expression(source: str, variables: Collection[str]) -> CompiledExpression:
    """The expression compiled for these variable names (cached); CelError when it does not compile."""
    return _compile(source, frozenset(variables))


@cache
def _compile(source: str, variables: frozenset[str]) -> CompiledExpression:
    if not isinstance(source, str) or not source.strip():
        raise CelError("the expression is empty")
    if len(source) > MAX_EXPRESSION_LENGTH:  # refused before any scan: a scan of it is wasted work
        raise CelError(
            f"the expression is {len(source):,} characters long; CEL's limit is "
            f"{MAX_EXPRESSION_LENGTH:,} (the API server refuses it too)"
        )
    found = _TRANSFORM_MAP.search(code_only(source))
    if found is not None:  # caught here: the library would compile it and fail at each evaluation
        raise CelError(_NO_TRANSFORM_MAP, *_position_of(source, found.start(1)))
    environment = _environment(variables)
    try:
        return CompiledExpression(source, variables, environment.compile(source))
    except RuntimeError as exc:
        text = str(exc)
        match = _POSITION.search(text)
        if match is None:
            raise CelError(_STATUS.sub("", text).strip()) from None
        message = _compile_message(match.group(3).replace(" (in container '')", ""), source)
        raise CelError(message, int(match.group(1)), int(match.group(2))) from None


# The format library's optionals are maps (docs/cel-libraries.md): cel-cpp's orValue/or and
# equality with optional.none() do not take them, and its words name the emulation, not the fix
_OPTIONAL_ON_MAP = re.compile(
    r"found no matching overload for '(orValue|or|_==_|_!=_)' applied to '\(map\(dyn, dyn\)"
)


# cel-go libraries Kubernetes does not declare (docs/cel-libraries.md): their names are
# "undeclared references", which says nothing of why
_NOT_IN_KUBERNETES = (
    ("cel.bind", re.compile(r"(?<![\w.])cel\s*\.\s*bind\s*\(")),
    ("base64", re.compile(r"(?<![\w.])base64\s*\.")),
    ("math", re.compile(r"(?<![\w.])math\s*\.")),
)


def _compile_message(text: str, source: str) -> str:
    if "undeclared reference" in text:
        for library, call in _NOT_IN_KUBERNETES:
            if call.search(source):
                return f"{text} ({library} is not in Kubernetes' CEL environment)"
    found = _OPTIONAL_ON_MAP.search(text)
    if found is None:
        return text
    if found.group(1) in ("orValue", "or"):
        return (
            "orValue()/or() on a format library result is not supported here; write "
            "`v.hasValue() ? v.value() : []` (docs/cel-libraries.md)"
        )
    return (
        "a format library result cannot be compared with an optional here; write "
        "`v.hasValue()` or `!v.hasValue()` (docs/cel-libraries.md)"
    )


# cel-cpp's two-variable comprehensions declare transformMap and transformMapEntry, but
# cel-expr-python 0.1 does not register the function they build maps with (cel.@mapInsert), nor
# can it be registered from Python (its declaration exists already)
_TRANSFORM_MAP = re.compile(r"\.\s*(transformMap(?:Entry)?)\s*\(")
_NO_TRANSFORM_MAP = (
    "transformMap and transformMapEntry are not available in this CEL library "
    "(cel-expr-python 0.1 lacks their run-time part; see docs/cel-libraries.md)"
)


_SKIPPED_START = re.compile(r"//|'''|\"\"\"|'|\"")  # a comment, or a string literal's opening quote
_RAW_PREFIX = re.compile(r"(?<![\w.])(?:[rR][bB]?|[bB][rR])$")  # r'…', rb'…', br'…': no escapes


def bracket_closings(code: str) -> dict[int, int]:
    """Where each bracket of `code` (code_only's output: no literal or comment left to hold one)
    closes: the offset of each `(`, `[` or `{` -> the offset of its closing bracket, in one pass."""
    closes: dict[int, int] = {}
    opened: list[int] = []
    for at, char in enumerate(code):
        if char in "([{":
            opened.append(at)
        elif char in ")]}" and opened:
            closes[opened.pop()] = at
    return closes


def code_only(source: str) -> str:
    """The source with its string literals and comments blanked (spaces; newlines kept, so
    offsets are the same): what a scan for calls must read."""
    parts: list[str] = []
    position = 0
    while (found := _SKIPPED_START.search(source, position)) is not None:
        start, quote = found.start(), found.group()
        if quote == "//":
            end = source.find("\n", start)
            end = len(source) if end < 0 else end
        else:
            # only the 2 characters before the quote (the lookbehind reads the one before them):
            # a search from 0 made the scan quadratic in the number of literals
            raw = _RAW_PREFIX.search(source, max(0, start - 2), start) is not None
            end = start + len(quote)
            while end < len(source) and not source.startswith(quote, end):
                end += 2 if source[end] == "\\" and not raw else 1
            end = min(end + len(quote), len(source))
        parts += [source[position:start], re.sub(r"[^\n]", " ", source[start:end])]
        position = end
    return "".join(parts) + source[position:]


def _position_of(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of a 0-based offset in the source."""
    line = source.count("\n", 0, offset) + 1
    return line, offset - (source.rfind("\n", 0, offset) + 1) + 1


def _runtime_message(text: str) -> str:
    text = _STATUS.sub("", text.strip()).removesuffix("[INTERNAL]").strip()
    if not text:  # "UNKNOWN:" alone: never an empty message
        return "the CEL library reported an error without a message"
    if "Iteration budget exceeded" in text:
        return "cost limit exceeded (more than 10,000 comprehension iterations)"
    if "cel.@mapInsert" in text:  # what _TRANSFORM_MAP misses (a string literal cannot call it)
        return _NO_TRANSFORM_MAP
    return text


def _to_cel(value: object) -> object:
    """JSON-like Python as the library takes it: ints beyond int64 become doubles (as YAML 1.2
    readers such as Helm's do), tuples become lists, other leaves become strings."""
    if isinstance(value, dict):
        return {str(k): _to_cel(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_cel(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, (str, float)):
        return value
    if isinstance(value, int):
        return value if INT64_MIN <= value <= INT64_MAX else float(value)
    return str(value)  # a YAML date or timestamp: Helm sees it as its text


def _plain(value: Any) -> Any:
    """A library value as plain Python (lists, dicts, bytes, str, numbers, bool, None)."""
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bytearray):
        return bytes(value)
    if isinstance(value, (datetime.datetime, datetime.timedelta)):
        return value
    if value is None or isinstance(value, (bool, int, float, str, bytes)):
        return value
    name = getattr(value, "name", None)  # a CEL type value, such as type(1)
    return name() if callable(name) else str(value)
