"""The `--set` family applied as Helm applies it, and what provenance may show of it.

Helm's `MergeValues` (pkg/cli/values/options.go) applies the kinds in a fixed order whatever the
order on the command line: the `-f` files, then every `--set-json`, `--set`, `--set-string`,
`--set-file` and `--set-literal` (`SET_KINDS`), each in its own order, each writing into the
values so far (`strvals.ParseInto`, so `--set a.b=1` over a file's `a: [1]` is an error there
too). A `--set-json` that is a whole JSON object (`{"a":1}`) is merged instead, as Helm merges a
file. The parsers are in strvals; `tests/test_setargs.py` checks them against Helm's own.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from typing import Any

from ..findings import ValuesPath
from ..option_table import SET_KINDS  # Helm applies them in this order
from ..redact import (
    MIN_SCRUB_LENGTH,
    REDACTED,
    merge_spans,
    redact_set_expression,
    redact_values,
    replace_spans,
    secrets_pattern,
    set_secret_spans,
    value_holds_secret,
    value_text_may_hold_secret,
)
from ..textio import MAX_DEPTH, clipped
from ..yamlio import MAX_VALUES_BYTES
from .gojson import GoJsonError, decode_object
from .strvals import (
    MAX_INDEX,
    MAX_LIST_SLOTS,
    Parser,
    ReadFile,
    Scalar,
    SetBudget,
    SetSyntaxError,
    go_space,
    typed_value,
)

__all__ = [
    "MAX_INDEX",
    "MAX_LIST_SLOTS",
    "SET_KINDS",
    "Scalar",
    "SetBudget",
    "SetSyntaxError",
    "apply_set",
    "helm_order",
    "set_path",
    "shown_expression",
    "typed_value",
]

MAX_SET_FILE_BYTES = MAX_VALUES_BYTES  # all --set-file values of one target together, as one values file


def helm_order(set_args: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """(expression, kind) pairs in the order Helm applies them: by kind, then as given."""
    return sorted(set_args, key=lambda arg: SET_KINDS.index(arg[1]))


def set_path(target: dict[str, Any], path: ValuesPath, value: Any) -> None:
    """Set `value` at `path`, creating maps and lists (padded with nulls) on the way."""
    node: Any = target  # a map or a list, as the path steps through them
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        following = None if last else path[depth + 1]
        fresh: list[Any] | dict[str, Any] = [] if isinstance(following, int) else {}
        if isinstance(part, int):
            while len(node) <= part:
                node.append(None)
            if last:
                node[part] = value
            else:
                if not isinstance(node[part], (dict, list)) or isinstance(node[part], list) != isinstance(
                    following, int
                ):
                    node[part] = fresh
                node = node[part]
        else:
            if last:
                node[part] = value
            else:
                child = node.get(part)
                if not isinstance(child, (dict, list)) or isinstance(child, list) != isinstance(
                    following, int
                ):
                    child = fresh
                    node[part] = child
                node = child


def _merge_into(target: dict[str, Any], top: dict[str, Any]) -> None:
    """Helm's loader.MergeMaps, in place: maps merge, anything else replaces."""
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            _merge_into(target[key], value)
        else:
            target[key] = value


def _object_form(kind: str, expression: str) -> str | None:
    """A --set-json that is one JSON object (`{"a":1}`), trimmed as strings.TrimSpace does."""
    if kind != "set-json":
        return None
    start, end = 0, len(expression)
    while start < end and go_space(expression[start]):
        start += 1
    while end > start and go_space(expression[end - 1]):
        end -= 1
    return expression[start:end] if expression[start:end].startswith("{") else None


def _file_budget(read_file: ReadFile | None, budget: SetBudget) -> ReadFile | None:
    """The reader, counting what it reads: `a={f,f,f,…}` may name one file many times."""
    if read_file is None:
        return None
    reader = read_file

    def read(path: str) -> str:
        text = reader(path)
        budget.file_bytes += len(text)
        if budget.file_bytes > MAX_SET_FILE_BYTES:
            raise SetSyntaxError(
                f"the files it reads hold more than {MAX_SET_FILE_BYTES // (1024 * 1024)} MiB in all"
            )
        return text

    return read


def apply_set(
    target: dict[str, Any],
    expression: str,
    *,
    kind: str = "set",
    string_only: bool = False,
    record: dict[ValuesPath, tuple[str, str]] | None = None,
    touched: dict[str, Any] | None = None,
    budget: SetBudget | None = None,
    read_file: ReadFile | None = None,
) -> None:
    """Apply one expression of `kind` (SET_KINDS; `string_only` means "set-string") to `target`
    in place, as Helm's strvals.Parse*Into does.

    `touched` receives the same assignments (for provenance); `record` maps each assigned path
    to (kind, expression); `budget` is shared by the expressions of one target; `read_file`
    reads a --set-file path. A malformed expression raises SetSyntaxError naming the flag and
    the expression, secrets hidden.
    """
    kind = "set-string" if string_only else kind
    budget = budget if budget is not None else SetBudget()
    parser = Parser(expression, kind, budget, _file_budget(read_file, budget))
    whole = _object_form(kind, expression)
    try:
        if whole is not None:
            obj = decode_object(whole, MAX_DEPTH)
            _merge_into(target, obj)
            parser.assigned = [((key,), value, (0, len(expression))) for key, value in obj.items()]
        else:
            parser.parse(target)
    except (SetSyntaxError, GoJsonError) as exc:
        raise SetSyntaxError(_error_line(kind, expression, exc, parser, whole is not None)) from None
    for path, value, _span in parser.assigned:
        if touched is not None:
            if whole is not None:
                _merge_into(touched, copy.deepcopy({path[0]: value}))
            else:  # a copy: a later --set writes into a JSON map or list in place
                set_path(touched, path, copy.deepcopy(value) if kind == "set-json" else value)
        if record is not None:
            record[path] = (kind, expression)


def _error_line(kind: str, expression: str, exc: Exception, parser: Parser, whole: bool) -> str:
    message = str(exc)
    if whole:
        spans = [(0, len(expression))] if value_text_may_hold_secret((), expression) else []
        detail = "" if spans else f": {message}"
        return f"--{kind} {clipped(replace_spans(expression, spans))!r}: not one JSON object{detail}"
    spans = _secret_spans(kind, expression, (), parser)
    if parser.value_path is not None and kind != "set-file" and parser.value_span[0] < len(expression):
        start = parser.value_span[0]  # the value Helm could not read: hidden if it may be secret
        failed = parser.value_span[1] <= start  # no assignment completed it
        if failed and value_text_may_hold_secret(parser.value_path, expression[start:]):
            spans = merge_spans(spans + [(start, len(expression))])
    quoted, at = getattr(exc, "quoted", ""), getattr(exc, "at", ())
    if at and quoted and any(start < at[1] and at[0] < end for start, end in spans):
        message = message.replace(quoted, f'"{REDACTED}"')
    return f"--{kind} {clipped(replace_spans(expression, spans))!r}: {clipped(message)}"


def _secret_spans(
    kind: str, expression: str, secrets: Iterable[str], parser: Parser | None = None
) -> list[tuple[int, int]]:
    """(start, end) of the parts of an expression provenance or an error must not show."""
    if kind in ("set", "set-string"):
        return set_secret_spans(expression, secrets)
    if parser is None:  # read it again, into nothing, to find where its values are
        parser = Parser(expression, kind, SetBudget(), lambda _path: "")
        try:
            if _object_form(kind, expression) is None:
                parser.parse({})
        except (SetSyntaxError, GoJsonError):
            pass
    spans = []
    if kind != "set-file":  # a --set-file value is a path: the file's text is the secret
        spans = [span for path, value, span in parser.assigned if value_holds_secret(path, value)]
    pattern = secrets_pattern(frozenset(secrets), MIN_SCRUB_LENGTH)
    if pattern is not None:
        spans += [match.span() for match in pattern.finditer(expression)]
    return merge_spans(spans)


def shown_expression(kind: str, expression: str, secrets: Iterable[str]) -> str:
    """`--<kind> <expression>` as provenance shows it: secret values hidden (`secrets`: every
    secret string of the target, hidden wherever it occurs), clipped (each list item's
    provenance names it: a long one would make the output grow with the square of the list)."""
    return clipped(_shown_expression(kind, expression, secrets))


def _shown_expression(kind: str, expression: str, secrets: Iterable[str]) -> str:
    whole = _object_form(kind, expression)
    if whole is not None:
        try:
            obj = decode_object(whole, MAX_DEPTH)
        except GoJsonError:
            return f"--{kind} {REDACTED}"
        if value_holds_secret((), obj) or redact_values(obj, secrets) != obj:
            return f"--{kind} {json.dumps(redact_values(obj, secrets), separators=(',', ':'))}"
        return f"--{kind} {expression}"
    if kind in ("set", "set-string"):
        return f"--{kind} {redact_set_expression(expression, secrets)}"
    return f"--{kind} {replace_spans(expression, _secret_spans(kind, expression, secrets))}"


def set_file_paths(expression: str) -> list[str]:
    """The paths a --set-file expression names (read, not opened), so a config's can be checked
    before anything reads them; an expression Helm cannot parse gives those before the error."""
    paths: list[str] = []

    def note(path: str) -> str:
        paths.append(path)
        return ""

    try:
        Parser(expression, "set-file", SetBudget(), note).parse({})
    except SetSyntaxError:
        pass
    return paths
