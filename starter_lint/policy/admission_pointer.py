"""Which element of a list a denied `LIST.all(x, P)` / `!LIST.exists(x, P)` validation is about.

An SL901 finding points at the first `object.a.b` its expression reads (admission_eval.py): for
`object.spec.template.spec.containers.all(c, c.image.startsWith('registry.example.org/'))`
that is the containers list, which no values line sets. When the whole expression has one of
these two shapes, the predicate is evaluated once per element (`LIST.map(x, P)`, in the same
bindings) to find the first element that fails it, and the finding points at the field the
predicate reads there (`/spec/template/spec/containers/1/image`), so the trace can find the
values line that set it. Anything else — another shape, a predicate that reads variables, an
evaluation error, no failing element — gives None and the caller keeps its pointer.
"""

from __future__ import annotations

import re
from typing import Any

from ..pointer import build
from .admission import Expression
from .cel import Bindings, CelError, CelEvaluationError, compile_expression

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_HEAD = re.compile(
    r"\s*(?P<negated>!\s*)?object(?P<path>(?:\s*\.\s*" + _NAME + r")+?)\s*\.\s*"
    r"(?P<macro>all|exists)\s*\(\s*(?P<var>" + _NAME + r")\s*,"
)


def _closing(text: str, start: int) -> int | None:
    """The position of the `)` closing the call whose arguments start at `start` (strings with
    their escapes skipped), or None when it does not close."""
    depth, position, quote = 1, start, ""
    while position < len(text):
        char = text[position]
        if quote:
            if char == "\\":
                position += 1
            elif char == quote:
                quote = ""
        elif char in "\"'":
            quote = char
        elif char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
            if depth == 0:
                return position
        position += 1
    return None


def _shape(source: str) -> tuple[list[str], str, str, bool] | None:
    """(list path, variable, predicate, whether an element fails when the predicate is true) of
    `object.<path>.all(x, P)` or `!object.<path>.exists(x, P)`, the whole expression; else None."""
    if '"""' in source or "'''" in source:
        return None  # triple-quoted strings: not read by the scanner above
    head = _HEAD.match(source)
    if head is None or bool(head.group("negated")) != (head.group("macro") == "exists"):
        return None
    end = _closing(source, head.end())
    if end is None or source[end + 1 :].strip():
        return None
    predicate = source[head.end() : end].strip()
    if not predicate or re.search(r"\bvariables\b", predicate):
        return None  # the variables are not in these bindings
    path = re.split(r"\s*\.\s*", head.group("path").strip(". \t\n"))
    return path, head.group("var"), predicate, head.group("macro") == "exists"


def _field(predicate: str, var: str, element: Any) -> list[str]:
    """The deepest keys of the first `x.a.b` the predicate reads that the element has."""
    for match in re.finditer(r"\b" + re.escape(var) + r"((?:\s*\.\s*" + _NAME + r")+)", predicate):
        node, found = element, []
        for part in re.split(r"\s*\.\s*", match.group(1).strip(". \t\n")):
            if not isinstance(node, dict) or part not in node:
                break
            node = node[part]
            found.append(part)
        if found:
            return found
    return []


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
