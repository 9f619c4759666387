"""Helm's `--set` / `--set-string` syntax (pkg/strvals), for the common cases.

`a.b=c,d[0]=e,f={x,y}`; `\\` escapes `,` `.` `=` `[`; typed scalars as Helm types them: `true`/
`false` (any case), `null`, integers without a leading zero; everything else (floats included)
stays a string. `--set-string` keeps every value a string.
"""
from __future__ import annotations

from ..errors import StarterLintError

MAX_INDEX = 65536


class SetSyntaxError(StarterLintError):
    pass


def typed_value(text: str, string_only: bool):
    if string_only:
        return text
    low = text.lower()
    if low == "true":
        return True
    if low == "false":
        return False
    if low == "null":
        return None
    if text == "0":
        return 0
    if len(text) > 1 and text[0] == "0":
        return text
    sign = text[1:] if text[:1] in "+-" else text
    if sign.isdigit() and sign.isascii():
        value = int(text)
        if -(2 ** 63) <= value < 2 ** 63:
            return value
    return text


def parse_assignments(expression: str):
    """Yield (path, raw value or list of raw values, source text) for each assignment."""
    i, n = 0, len(expression)
    while i < n:
        start = i
        path: list = []
        segment: list = []
        while True:
            if i >= n:
                shown = expression[start:i]
                raise SetSyntaxError(f"--set {expression!r}: key {shown!r} has no value (write {shown}=VALUE)")
            ch = expression[i]
            if ch == "\\" and i + 1 < n:
                segment.append(expression[i + 1])
                i += 2
                continue
            if ch == ",":
                raise SetSyntaxError(f"--set {expression!r}: key {''.join(segment)!r} has no value")
            if ch == ".":
                if not segment and (not path or not isinstance(path[-1], int)):
                    raise SetSyntaxError(f"--set {expression!r}: empty key at offset {i}")
                if segment:
                    path.append("".join(segment))
                segment = []
                i += 1
                continue
            if ch == "[":
                if segment:
                    path.append("".join(segment))
                    segment = []
                elif not path:
                    raise SetSyntaxError(f"--set {expression!r}: a list index needs a key before it")
                close = expression.find("]", i)
                index_text = expression[i + 1: close] if close > 0 else ""
                if close < 0 or not index_text.isdigit():
                    raise SetSyntaxError(f"--set {expression!r}: bad list index at offset {i}")
                index = int(index_text)
                if index > MAX_INDEX:
                    raise SetSyntaxError(f"--set {expression!r}: index {index} is larger than {MAX_INDEX}")
                path.append(index)
                i = close + 1
                continue
            if ch == "=":
                if segment:
                    path.append("".join(segment))
                if not path:
                    raise SetSyntaxError(f"--set {expression!r}: empty key at offset {i}")
                i += 1
                break
            segment.append(ch)
            i += 1
        if i < n and expression[i] == "{":
            close = expression.find("}", i)
            if close < 0:
                raise SetSyntaxError(f"--set {expression!r}: list value is missing its closing }}")
            items, _ = _split_value(expression[i + 1: close], 0, stop_at_comma=False)
            value = items
            i = close + 1
        else:
            value, i = _split_value(expression, i, stop_at_comma=True)
        yield tuple(path), value, expression[start:i]
        if i < n and expression[i] == ",":
            i += 1


def _split_value(text: str, i: int, stop_at_comma: bool):
    """Read a scalar up to an unescaped comma; or, for a list body, every comma-separated item."""
    items, current = [], []
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\\" and i + 1 < n:
            current.append(text[i + 1])
            i += 2
            continue
        if ch == ",":
            if stop_at_comma:
                return "".join(current), i
            items.append("".join(current))
            current = []
            i += 1
            continue
        current.append(ch)
        i += 1
    if stop_at_comma:
        return "".join(current), i
    if current or items:
        items.append("".join(current))
    return items, i


def set_path(target: dict, path: tuple, value) -> None:
    """Set `value` at `path`, creating maps and lists (padded with nulls) as Helm does."""
    node = target
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        following = None if last else path[depth + 1]
        fresh = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(None)
            if last:
                node[part] = value
            else:
                if not isinstance(node[part], (dict, list)) or isinstance(node[part], list) != isinstance(following, int):
                    node[part] = fresh
                node = node[part]
        else:
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, (dict, list)) or isinstance(child, list) != isinstance(following, int):
                    child = fresh
                    node[part] = child
                node = child


def apply_set(target: dict, expression: str, *, string_only: bool = False, record: dict | None = None,
              touched: dict | None = None) -> None:
    """Apply one --set expression to `target` in place (Helm's strvals.ParseInto).

    `touched` receives the same assignments (for provenance); `record` maps each path to the
    expression text that set it.
    """
    from ..yamlio import helm_number

    for path, raw, source in parse_assignments(expression):
        if isinstance(raw, list):
            value = [typed_value(item, string_only) for item in raw]
            value = [helm_number(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
        else:
            value = typed_value(raw, string_only)
            if isinstance(value, int) and not isinstance(value, bool):
                value = helm_number(value)
        set_path(target, path, value)
        if touched is not None:
            set_path(touched, path, value)
        if record is not None:
            record[path] = ("--set-string " if string_only else "") + source
