"""Which element of a list a denied `LIST.all(x, P)` / `!LIST.exists(x, P)` validation is about.

An SL901 finding points at the first `object.a.b` its expression reads (admission_eval.py): for
`object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.org/'))`
that is the containers list, which no values line sets. When the whole expression has one of
these two shapes, the predicate is evaluated once per element (`LIST.map(x, P)`, in the same
bindings) to find the first element that fails it, and the finding points at the field the
predicate reads there (`/spec/template/spec/containers/1/image`), so the trace can find the
values line that set it. Anything else — another shape, a predicate that reads variables, an
evaluation error, no failing element — gives None and the caller keeps its pointer.

A validation that reads a variable instead (`size(variables.untrusted) == 0`, where `untrusted`
filters `object.spec.template.spec.containers.map(c, c.image)`): `variable_pointer` points at
the first field, in document order, under the paths the variable reads of `object` (through the
variables it reads) whose value is one of the variable's values (a scalar, or a list of scalars
the validation wants empty). Those paths are ones the verdict's digest holds
(admission_verdicts.py), so a pointer kept for one object names the same value in every object
sharing the verdict. A redacted value is never matched.
"""

from __future__ import annotations

import re
from typing import Any

from ..pointer import build
from ..redact import REDACTED
from .admission import Expression
from .admission_verdicts import CALL_OPEN, OBJECT_PATH, VARIABLE_REF  # the paths the verdict's digest holds
from .cel import Bindings, CelError, CelEvaluationError, bracket_closings, code_only, compile_expression

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HEAD = re.compile(
    r"\s*(?P<negated>!\s*)?object(?P<path>(?:\s*\.\s*" + _NAME + r")+?)\s*\.\s*"
    r"(?P<macro>all|exists)\s*\(\s*(?P<var>" + _NAME + r")\s*,"
)


def _shape(source: str) -> tuple[list[str], str, str, bool] | None:
    """(list path, variable, predicate, whether an element fails when the predicate is true) of
    `object.<path>.all(x, P)` or `!object.<path>.exists(x, P)`, the whole expression; else None."""
    code = code_only(source)  # same offsets; strings and comments blanked
    head = _HEAD.match(code)
    if head is None or bool(head.group("negated")) != (head.group("macro") == "exists"):
        return None
    end = bracket_closings(code).get(code.index("(", head.end("macro")))
    if end is None or source[end + 1 :].strip():
        return None
    predicate = source[head.end() : end].strip()
    if not predicate or re.search(r"\bvariables\b", predicate):
        return None  # the variables are not in these bindings
    path = re.split(r"\s*\.\s*", head.group("path").strip(". \t\n"))
    return path, head.group("var"), predicate, head.group("macro") == "exists"


def _deepest_keys(node: Any, dotted: str) -> list[str]:
    """The keys of `.a.b.c` (as a regex group gives it) that `node` has, from the top."""
    found: list[str] = []
    for part in re.split(r"\s*\.\s*", dotted.strip(". \t\n")):
        if not isinstance(node, dict) or part not in node:
            break
        node = node[part]
        found.append(part)
    return found


def _field(predicate: str, var: str, element: Any) -> list[str]:
    """The deepest keys of the first `x.a.b` the predicate reads that the element has."""
    for match in re.finditer(r"\b" + re.escape(var) + r"((?:\s*\.\s*" + _NAME + r")+)", predicate):
        found = _deepest_keys(element, match.group(1))
        if found:
            return found
    return []


def read_pointer(source: str, obj: dict, variables: dict[str, Expression]) -> str:
    """The deepest node of the first `object.a.b` path in `source` that `obj` has, looking into
    the variables it reads (`variables.x`, each once, breadth first) where it reads no such path
    itself ("" if none). Each variable once: a chain where each reads the one before twice would
    otherwise be followed 2^n times."""
    sources, seen = [source], set()
    while sources:
        text = code_only(sources.pop(0))
        for match in OBJECT_PATH.finditer(text):
            found = _deepest_keys(obj, match.group(1))
            if found:
                return build(*found)
        for name in VARIABLE_REF.findall(text):
            if name in variables and name not in seen:
                seen.add(name)
                sources.append(variables[name].source)
    return ""


def element_pointer(expression: Expression, obj: dict, bindings: Bindings) -> str | None:
    """The pointer of the field (or element) of the first list element that makes a denied
    `all`/`!exists` validation fail; None when that cannot be told."""
    shape = _shape(expression.source)
    if shape is None:
        return None
    path, var, predicate, fails_when_true = shape
    items: Any = obj
    for key in path:
        items = items.get(key) if isinstance(items, dict) else None
    if not isinstance(items, list) or not items:
        return None
    names = getattr(expression.compiled, "variables", None)  # a test's stand-in compiler has none
    if names is None:
        return None
    source = f"object.{'.'.join(path)}.map({var}, {predicate})"
    try:
        results = compile_expression(source, names).evaluate(bindings)
    except (CelError, CelEvaluationError):
        return None
    if not isinstance(results, list) or len(results) != len(items):
        return None
    failing = [i for i, result in enumerate(results) if result is fails_when_true]
    if not failing:
        return None
    first = failing[0]
    return build(*path, first, *_field(predicate, var, items[first]))


_PROJECTION = re.compile(
    r"\s*\(\s*(?P<var>" + _NAME + r")\s*,\s*(?P=var)(?P<field>(?:\s*\.\s*" + _NAME + r")+)\s*\)"
)
# a validation that wants the variable's list empty: then each of its items is a failing value
_EMPTY = (
    r"size\(\s*variables\.{}\s*\)\s*==\s*0",
    r"0\s*==\s*size\(\s*variables\.{}\s*\)",
    r"variables\.{}\s*\.\s*size\(\s*\)\s*==\s*0",
    r"variables\.{}\s*==\s*\[\s*\]",
)
_INDEX = re.compile(r"\s*\[")
_PARTIAL = re.compile(r"(?:\bhas\(|(?<![\w.])in)$")  # before a path only tested, or its keys read
_SCALARS = (str, int, float, bool)
_MAX_LEAVES = 10_000  # an object is bounded, but a pointer is not worth more than this walk


def _patterns(source: str, variables: dict[str, Expression]) -> list[tuple]:
    """The paths (`*` for a list's items) whose values `source` reads of `object` whole, itself
    or through the variables it reads: `object.a.b` (not under `has(` or `in`, which read less),
    `object.a.map(x, x.f)` as a/*/f. Paths read otherwise (a method, an index) are not followed."""
    found: list[tuple] = []
    sources, seen = [source], set()
    while sources:
        text = code_only(sources.pop(0))  # a path inside a string literal is no read
        for match in OBJECT_PATH.finditer(text):
            parts = tuple(re.split(r"\s*\.\s*", match.group(1).strip(". \t\n")))
            if CALL_OPEN.match(text, match.end()):
                projection = _PROJECTION.match(text, match.end())
                if parts[-1] == "map" and projection is not None:
                    fields = re.split(r"\s*\.\s*", projection.group("field").strip(". \t\n"))
                    found.append(parts[:-1] + ("*", *fields))
                continue
            before = match.start()
            while before and text[before - 1].isspace():
                before -= 1
            if not _INDEX.match(text, match.end()) and not _PARTIAL.search(text[max(0, before - 6) : before]):
                found.append(parts)
        for name in VARIABLE_REF.findall(text):  # each variable once: a chain may read one many times
            if name in variables and name not in seen:
                seen.add(name)
                sources.append(variables[name].source)
    return found


def _leaves(obj: Any, patterns: list[tuple]) -> Any:
    """(pointer parts, value) of the scalars under the patterns, in document order."""
    stack: list = [(obj, (), patterns)]
    walked = 0
    while stack and walked < _MAX_LEAVES:
        node, parts, left = stack.pop()
        walked += 1
        whole = any(not pattern for pattern in left)
        if isinstance(node, dict):
            children = [(k, [p[1:] for p in left if p and p[0] == k]) for k in node]
        elif isinstance(node, list):
            children = [(i, [p[1:] for p in left if p and p[0] == "*"]) for i in range(len(node))]
        else:
            if whole:
                yield parts, node
            continue
        for key, rest in reversed(children):
            if whole or rest:
                stack.append((node[key], (*parts, key), [()] if whole else rest))


def variable_pointer(
    expression: Expression, obj: dict, variables: dict[str, Expression], values: dict
) -> str | None:
    """The pointer of the first field of `obj` holding one of the values of a variable the
    denied validation reads (see the module's docstring); None when there is none."""
    for name in dict.fromkeys(VARIABLE_REF.findall(code_only(expression.source))):
        value = values.get(name)
        if isinstance(value, list):
            wants_empty = any(
                re.fullmatch(shape.format(re.escape(name)), expression.source.strip()) for shape in _EMPTY
            )
            if not value or not wants_empty or not all(isinstance(item, _SCALARS) for item in value):
                continue
            items = value
        elif isinstance(value, _SCALARS):
            items = [value]
        else:
            continue
        wanted = {(type(item), item) for item in items if not (isinstance(item, str) and REDACTED in item)}
        patterns = _patterns(variables[name].source, variables) if name in variables else []
        if not wanted or not patterns:
            continue
        for parts, leaf in _leaves(obj, patterns):
            if isinstance(leaf, _SCALARS) and (type(leaf), leaf) in wanted:  # never a redacted one
                return build(*parts)
    return None
