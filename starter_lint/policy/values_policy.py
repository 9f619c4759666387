"""`kind: ValuesPolicy` (apiVersion starter-lint.io/v1): a team's rule over the merged values.

Read from a policy file (load.py hands each such document here), checked field by field — an
unknown field, a missing one, a bad id or a CEL expression that does not compile is one
`file:line: message` InputError — and evaluated once per target that has values, as a check
whose rule id is the policy's `spec.id` (docs/policies.md). The expressions see `values` (the
merged values, as Helm sees them) and `target` (`name`, `files`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from ..errors import InputError
from ..fields import as_dict
from ..findings import Problem, Severity, format_path
from ..option_table import POLICY_ID_PATTERN
from ..pointer import build, is_index, tokens
from ..records import record
from ..rule_file import Rule
from .cel import Bindings, CelError, CelEvaluationError, CompiledExpression, compile_expression

API_VERSION = "starter-lint.io/v1"
KIND = "ValuesPolicy"
VARIABLES = ("values", "target")
_TOP = {"apiVersion", "kind", "metadata", "spec"}
_SPEC = {"id", "severity", "summary", "docs", "what", "why", "fix", "tags", "validations", "examples"}
_VALIDATION = {"expression", "message", "messageExpression", "path"}
_EXAMPLES = {"fail", "pass"}
# the policy's name and docs URL are printed by `rules`, `explain` and SARIF: a Kubernetes
# object name (DNS-1123 subdomain), and a URL with no whitespace or control character
OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_DOCS_URL = re.compile(r"https://[\x21-\x7e]+")


@record(frozen=True)
class Validation:
    source: str
    expression: CompiledExpression
    message: str | None
    message_expression: CompiledExpression | None
    path: tuple  # the values path a finding points at (() for the file)


@record(frozen=True)
class ValuesPolicy:
    id: str
    name: str
    rule: Rule
    validations: tuple[Validation, ...]
    fail_examples: tuple[Any, ...]  # values that must produce a finding
    pass_examples: tuple[Any, ...]  # values that must not
    where: str  # file:line of the policy, for `policy test`
    examples_at: dict[str, tuple[str, ...]]  # "fail"/"pass" -> file:line of each example, for `policy test`


OBJECT_NAME_RULE = (
    "metadata.name must be a DNS-1123 subdomain, as a Kubernetes object's "
    "name (lower-case letters, digits, '-' and '.', at most 253 characters)"
)


def is_object_name(name: Any) -> bool:
    """A Kubernetes object's name (DNS-1123 subdomain): what `rules`, `explain` and
    `--select SL901/<name>` print and take."""
    return isinstance(name, str) and len(name) <= 253 and bool(OBJECT_NAME.fullmatch(name))


def _fail(document: Any, path: Sequence, message: str) -> InputError:
    line = document.locate(build(*path)).line if path else document.line
    return InputError(f"{document.path}:{line}: {message}")


def _mapping(document: Any, value: Any, path: tuple, allowed: set, required: Sequence[str]) -> dict:
    where = format_path(path) or "the document"
    if not isinstance(value, dict):
        raise _fail(document, path, f"ValuesPolicy: {where} must be a mapping")
    for key in value:
        if key not in allowed:
            raise _fail(
                document,
                path + (key,),
                f"ValuesPolicy: unknown field {format_path(path + (key,))} "
                f"(known: {', '.join(sorted(allowed))})",
            )
    for key in required:
        if key not in value:
            raise _fail(document, path, f"ValuesPolicy: {where} has no {key}")
    return value


def _text(document: Any, spec: dict, key: str, path: tuple, required: bool = False) -> str:
    value = spec.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(
            document,
            path + (key,),
            f"ValuesPolicy: {'.'.join(map(str, path + (key,)))} must be a non-empty string",
        )
    return value


def values_path(text: str) -> tuple:
    """`replicaCount`, `image.tag`, `env[0].name`, or a JSON pointer `/env/0/name`, as a values path."""
    if text.startswith("/"):
        parts = tokens(text)
    else:
        parts = [p for p in text.replace("[", ".").replace("]", "").split(".") if p]
    # `²` is a digit to str.isdigit, and int() refuses 4,300 digits: a list index is what
    # pointer.path reads as one
    return tuple(int(p) if is_index(p) else p for p in parts)


def compile_error(
    document: Any, path: tuple, exc: CelError, prefix: str = "", source: str = ""
) -> InputError:
    """An expression that does not compile: `file:line:column: <prefix>field: message`, at the
    place in the policy file the error is (a block scalar's lines follow its `|` line). Where
    the file column is not the expression's (a folded `>` block is one line to CEL; a quoted
    scalar with escapes), `file:line: … (column C)`, the column within the expression."""
    where = document.locate(build(*path))
    line = where.line
    block = where.end_line is not None and where.end_line > where.line and where.end_col == 1
    if block:
        line += exc.line  # a block scalar (`|`, `>`): its text starts on the line after the indicator
    column = _file_column(document, where, block, line, source, exc) if source else None
    if column is not None:
        return InputError(f"{document.path}:{line}:{column}: {prefix}{format_path(path)}: {exc.message}")
    position = f"expression line {exc.line}, column {exc.column}" if exc.line > 1 else f"column {exc.column}"
    return InputError(f"{document.path}:{line}: {prefix}{format_path(path)}: {exc.message} ({position})")


def _file_column(document: Any, where: Any, block: bool, line: int, source: str, exc: CelError) -> int | None:
    """The file column of a compile error: a one-line scalar's start (after its quote) or a
    literal block's indentation, plus the expression's column; None when it cannot be known."""
    if not block:
        if where.end_line not in (None, where.line) or where.end_col is None or exc.line != 1:
            return None  # a plain or quoted scalar over several lines: folded, as `>` is
        width = where.end_col - where.col
        quote = {len(source): 0, len(source) + 2: 1}.get(width)  # plain, or quoted without escapes
        return None if quote is None else where.col + quote + exc.column - 1
    line_text = getattr(document, "source_line", None)  # a ManifestObject's; a test's stand-in has none
    if line_text is None:
        return None
    indicator, text = (line_text(where.line) or "")[where.col - 1 : where.col], line_text(line)
    expression_lines = source.split("\n")
    if indicator != "|" or text is None or exc.line > len(expression_lines):
        return None  # a folded block (`>`): CEL's line is not the file's
    written = expression_lines[exc.line - 1]
    if not text.endswith(written):
        return None
    return len(text) - len(written) + exc.column


def _compile(document: Any, source: Any, path: tuple) -> CompiledExpression:
    if not isinstance(source, str):
        raise _fail(document, path, f"ValuesPolicy: {format_path(path)} must be a CEL expression (a string)")
    try:
        return compile_expression(source, VARIABLES)
    except CelError as exc:
        raise compile_error(document, path, exc, "ValuesPolicy: ", source) from None


def parse_values_policy(document: Any) -> ValuesPolicy:
    """The policy of one `kind: ValuesPolicy` document; InputError `file:line: message` when wrong."""
    top = _mapping(document, document.obj, (), _TOP, ("spec",))
    if top.get("apiVersion") != API_VERSION:
        raise _fail(document, ("apiVersion",), f"ValuesPolicy: apiVersion must be {API_VERSION}")
    metadata = as_dict(top.get("metadata"))
    spec = _mapping(document, top["spec"], ("spec",), _SPEC, ("id", "summary", "validations"))
    policy_id = _text(document, spec, "id", ("spec",), required=True)
    if not POLICY_ID_PATTERN.fullmatch(policy_id):
        raise _fail(
            document,
            ("spec", "id"),
            f"ValuesPolicy: spec.id {policy_id!r} must be 2-8 capital letters then 3-4 digits "
            "(such as ACME001), and not begin with SL (the shipped rules' prefix)",
        )
    severity_text = spec.get("severity", "error")
    try:
        severity = Severity.parse(severity_text)
    except ValueError as exc:
        raise _fail(document, ("spec", "severity"), f"ValuesPolicy: spec.severity: {exc}") from None
    docs = _text(document, spec, "docs", ("spec",))
    if docs and not _DOCS_URL.fullmatch(docs):
        raise _fail(
            document,
            ("spec", "docs"),
            "ValuesPolicy: spec.docs must be an https:// URL (no spaces or control characters)",
        )
    tags = spec.get("tags") or []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _fail(document, ("spec", "tags"), "ValuesPolicy: spec.tags must be a list of strings")
    raw_validations = spec["validations"]
    if not isinstance(raw_validations, list) or not raw_validations:
        raise _fail(
            document, ("spec", "validations"), "ValuesPolicy: spec.validations must be a non-empty list"
        )
    validations = tuple(_validation(document, item, i) for i, item in enumerate(raw_validations))
    examples = _mapping(document, spec.get("examples") or {}, ("spec", "examples"), _EXAMPLES, ())
    for key in ("fail", "pass"):
        if not isinstance(examples.get(key, []), list):
            raise _fail(
                document,
                ("spec", "examples", key),
                f"ValuesPolicy: spec.examples.{key} must be a list of values",
            )
    name = metadata.get("name") or policy_id.lower()
    if not is_object_name(name):
        raise _fail(document, ("metadata", "name"), f"ValuesPolicy: {OBJECT_NAME_RULE}")
    summary = _text(document, spec, "summary", ("spec",), required=True)
    rule = Rule(
        id=policy_id,
        name=name,
        severity=severity,
        summary=summary.strip(),
        what=_text(document, spec, "what", ("spec",)),
        rationale=_text(document, spec, "why", ("spec",)) or summary,
        remediation=_text(document, spec, "fix", ("spec",)) or "Change the values so the policy holds.",
        tags=tuple(["policy", *tags]),
        fix="none",
        fix_safety="",
        scope="deployment",
        security_severity=None,
        failing=(),
        passing=(),
        source=f"{document.path}:{document.line}",
        help_url=docs or None,
    )
    return ValuesPolicy(
        id=policy_id,
        name=name,
        rule=rule,
        validations=validations,
        fail_examples=tuple(examples.get("fail") or ()),
        pass_examples=tuple(examples.get("pass") or ()),
        where=f"{document.path}:{document.line}",
        examples_at={
            key: tuple(
                f"{document.path}:{document.locate(build('spec', 'examples', key, i)).line}"
                for i in range(len(examples.get(key) or ()))
            )
            for key in ("fail", "pass")
        },
    )


def _validation(document: Any, item: Any, index: int) -> Validation:
    path = ("spec", "validations", index)
    item = _mapping(document, item, path, _VALIDATION, ("expression",))
    if "message" not in item and "messageExpression" not in item:
        raise _fail(document, path, "ValuesPolicy: a validation needs a message or a messageExpression")
    message = _text(document, item, "message", path) or None
    message_expression = (
        _compile(document, item["messageExpression"], path + ("messageExpression",))
        if "messageExpression" in item
        else None
    )
    raw_path = item.get("path", "")
    if not isinstance(raw_path, str):
        raise _fail(
            document,
            path + ("path",),
            "ValuesPolicy: a validation's path is a string (image.tag, /image/tag)",
        )
    return Validation(
        source=item["expression"] if isinstance(item["expression"], str) else "",
        expression=_compile(document, item["expression"], path + ("expression",)),
        message=message,
        message_expression=message_expression,
        path=values_path(raw_path),
    )


def _message(policy: ValuesPolicy, validation: Validation, activation: Bindings) -> str:
    fallback = validation.message or f"failed the policy's validation `{validation.source}`"
    if validation.message_expression is None:
        return fallback
    try:
        result = validation.message_expression.evaluate(activation)
    except CelEvaluationError:
        return fallback  # as the API server: a failing messageExpression falls back to message
    return result.strip() if isinstance(result, str) and result.strip() else fallback


def evaluate_values_policy(policy: ValuesPolicy, activation: Bindings) -> Iterator[Problem]:
    """A Problem per validation that is false on these values, or that cannot be evaluated."""
    for index, validation in enumerate(policy.validations):
        try:
            result = validation.expression.evaluate(activation)
        except CelEvaluationError as exc:
            yield Problem(
                f"policy {policy.id} could not be evaluated: {exc.message}",
                path=validation.path or None,
                key=f"{index}:error",
            )
            continue
        if result is True:
            continue
        if result is False:
            yield Problem(
                _message(policy, validation, activation), path=validation.path or None, key=str(index)
            )
        else:
            yield Problem(
                f"policy {policy.id} could not be evaluated: its expression gave {type(result).__name__}, not a bool",
                path=validation.path or None,
                key=f"{index}:error",
            )
