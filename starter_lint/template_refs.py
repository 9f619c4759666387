"""Which `.Values` paths a chart's Go templates read, found without a template parser.

A static reading: `.Values.a.b`, `$.Values…`, a variable bound to a values path (`$v := .Values.a`,
then `$v.b`), and the accessors `index`, `get`, `hasKey` and `dig`. It over-approximates — a
reference to a map reads all of it; an `index` with a computed key reads every key there (ANY);
`toYaml .Values` reads everything (EVERYTHING) — so that SL106 only reports a key no template
can reach. Every scan is linear in the template's length (templates and `tpl` values are input).
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from typing import Any

from .lazy_pattern import LazyPattern

_CHAIN = r"(?:\.[A-Za-z_][A-Za-z0-9_]*)*"
_QUOTED_TEXT = r'"(?:[^"\\]|\\.)*"'
# a value expression's start: `.Values.a.b` (after `$`, `$root`, `.root`…) or a variable `$v.a`
_BASE = r"(?:[$\w.]*?\.Values(?![A-Za-z0-9_])" + _CHAIN + r"|\$[A-Za-z_][A-Za-z0-9_]*" + _CHAIN + ")"
# index <base> <key>... / get <base> <key> / hasKey <base> <key>, optionally `( … ).tail`
_ACCESSOR = LazyPattern(
    r"(?P<open>\(\s*)?\b(?P<fn>index|get|hasKey)\s+(?P<base>" + _BASE + r")"
    r"(?P<args>(?:\s+(?:" + _QUOTED_TEXT + r"|[$.\w]+))+)"
    r"(?(open)\s*\)(?P<tail>" + _CHAIN + "))"
)
# dig "a" "b" <default> <base>  (the last quoted argument is the default unless one follows)
_DIG = LazyPattern(
    r"\bdig(?P<keys>(?:\s+" + _QUOTED_TEXT + r")+)(?P<default>\s+[^\s\"()]+)?\s+\(?\s*"
    r"(?P<base>" + _BASE + ")"
)
_VALUES = LazyPattern(r"\.Values(?![A-Za-z0-9_])(" + _CHAIN + ")")
_VARIABLE = LazyPattern(r"\$([A-Za-z_][A-Za-z0-9_]*)(" + _CHAIN + r")(?![A-Za-z0-9_])")
_ASSIGNMENT = LazyPattern(r"\$([A-Za-z_][A-Za-z0-9_]*)\s*:?=\s*(.*)", re.DOTALL)  # on an action's body
_ARGUMENT = LazyPattern(_QUOTED_TEXT + r"|[$.\w]+")
_TPL = LazyPattern(r"\btpl\b")
# a values path as a template reads it: keys, ANY for a computed one
TemplatePath = tuple[str, ...]

EVERYTHING: TemplatePath = ()  # a reference to the whole of .Values
ANY = "*"  # a key computed at render time: any key at that level


def _chain(text: str) -> TemplatePath:
    return tuple(part for part in text.split(".") if part)


def _base_path(text: str, variables: dict[str, TemplatePath]) -> TemplatePath | None:
    """The values path a base expression reads, or None when it is not values."""
    match = _VALUES.search(text)
    if match and text.index(".Values") == match.start() and "$" not in text[1 : match.start()]:
        return _chain(match.group(1))
    var = _VARIABLE.match(text)
    if var and var.group(1) in variables:
        return variables[var.group(1)] + _chain(var.group(2))
    return None


def _accessor_path(match: re.Match[str], variables: dict[str, TemplatePath]) -> TemplatePath | None:
    base = _base_path(match.group("base"), variables)
    if base is None:
        return None
    args = _ARGUMENT.findall(match.group("args"))
    if match.group("fn") != "index":
        args = args[:1]
    keys = tuple(arg[1:-1] if arg.startswith('"') else ANY for arg in args)
    return base + keys + _chain(match.group("tail") or "")


def _expression_references(
    text: str, variables: dict[str, TemplatePath]
) -> list[tuple[int, int, TemplatePath]]:
    """(start, end, path) of every values reference in an action's text, outermost first."""
    found: list[tuple[int, int, TemplatePath]] = []
    # spans already read as accessors and as digs: each list in finditer order, so sorted and
    # disjoint, and a position is looked up by bisection (a scan of all spans was quadratic)
    accessors: tuple[list[int], list[int]] = ([], [])  # (starts, ends)
    digs: tuple[list[int], list[int]] = ([], [])

    def covers(spans: tuple[list[int], list[int]], position: int) -> bool:
        starts, ends = spans
        index = bisect.bisect_right(starts, position) - 1
        return index >= 0 and position < ends[index]

    def free(span: tuple[int, int]) -> bool:
        return not covers(accessors, span[0]) and not covers(digs, span[0])

    for match in _ACCESSOR.finditer(text):
        path = _accessor_path(match, variables)
        if path is not None:
            found.append((match.start(), match.end(), path))
            accessors[0].append(match.start())
            accessors[1].append(match.end())
    for match in _DIG.finditer(text):
        base = _base_path(match.group("base"), variables)
        if base is not None and free(match.span()):
            keys = tuple(k[1:-1] for k in re.findall(_QUOTED_TEXT, match.group("keys")))
            found.append((match.start(), match.end(), base + (keys if match.group("default") else keys[:-1])))
            digs[0].append(match.start())
            digs[1].append(match.end())
    for match in _VALUES.finditer(text):
        if free(match.span()):
            found.append((match.start(), match.end(), _chain(match.group(1))))
    for match in _VARIABLE.finditer(text):
        if match.group(1) in variables and free(match.span()):
            found.append((match.start(), match.end(), variables[match.group(1)] + _chain(match.group(2))))
    return sorted(found)


def _actions_at(text: str) -> Iterator[tuple[int, str]]:
    """(offset of its `{{`, body) of each `{{ … }}`, the body without its trim markers (`{{-`,
    `-}}`) and the spaces around, in linear time: plain string searches, where a `{{(.*?)}}` regex
    retries from every `{{` that no `}}` follows (16k of them in a value passed to `tpl` took minutes)."""
    start = text.find("{{")
    while start != -1:
        end = text.find("}}", start + 2)
        if end == -1:
            return
        body = text[start + 2 : end].strip()
        if body.startswith("-"):
            body = body[1:].lstrip()
        if body.endswith("-"):
            body = body[:-1].rstrip()
        yield start, body
        start = text.find("{{", end + 2)


def template_actions(text: str) -> Iterator[str]:
    """The body of each `{{ }}` action of a template, in order, without its trim markers;
    linear in the text, as the trace reads chart templates a stranger wrote."""
    for _, body in _actions_at(text):
        yield body


def references_at(text: str) -> Iterator[tuple[int, set[TemplatePath]]]:
    """(offset of its `{{`, values paths it reads) of each action of a template, a variable read
    where it is used (`$v := .Values.a` … `{{ $v.b }}` reads a.b at the second action)."""
    variables: dict[str, TemplatePath] = {}
    for start, action in _actions_at(text):
        if action.startswith("/*") and action.endswith("*/"):
            continue  # a comment
        assignment = _ASSIGNMENT.match(action)
        if assignment:
            name, value = assignment.groups()
            found = _expression_references(value, variables)
            if len(found) == 1 and found[0][0] == 0 and found[0][1] == len(value):
                variables[name] = found[0][2]  # `$v := .Values.a`: read where $v is used
                continue
            variables.pop(name, None)
            yield start, {path for _, _, path in found}
            continue
        yield start, {path for _, _, path in _expression_references(action, variables)}


def template_references(text: str) -> set[TemplatePath]:
    """Values paths a template reads (ANY for computed keys); `()` means all of .Values."""
    refs: set[TemplatePath] = set()
    for _, found in references_at(text):
        refs |= found
    return refs


def calls_tpl(text: str) -> bool:
    """A template that renders values as templates (`tpl`): what the values reference is read too."""
    return any(_TPL.search(action) for action in template_actions(text))


def prefix_matches(prefix: tuple[Any, ...], path: tuple[Any, ...]) -> bool:
    """`prefix` is a prefix of `path`, ANY (in a reference) matching any key."""
    return len(prefix) <= len(path) and all(
        a == b or ANY in (a, b) for a, b in zip(prefix, path, strict=False)
    )
