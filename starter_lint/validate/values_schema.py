"""The values contract as a JSON Schema: validation (SL100) and the key model (SL101).

`schemas/values.schema.json` is the single description of the contract: Helm enforces it when it
is dropped into a chart, SL100 reports its violations with values paths and safe messages, and
SL101 asks it which keys exist at a level. Messages are built here from the failing keyword,
never from jsonschema's own text (which echoes values, and values may be secrets).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from ..findings import format_path
from ..jsontypes import describe_type
from ..pointer import value_at
from ..records import record
from ..redact import is_secret_path
from ..resources import schemas_dir

SCHEMA_FILE = "values.schema.json"
# A schema annotation naming the rule that reports a keyword's violations with a more specific
# message: {"x-starter-lint": {"pattern": "SL306"}}. Validators ignore unknown keywords.
DEFERRED = "x-starter-lint"
MAX_SHOWN = 60  # longest value echoed in a message

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "a boolean (true or false)",
    "object": "a mapping",
    "array": "a list",
    "null": "null",
}


@lru_cache(maxsize=1)
def contract_schema() -> dict:
    with open(schemas_dir() / SCHEMA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=1)
def contract_validator():
    from jsonschema import Draft7Validator  # deferred: 0.1 s to import; values failing `passes` only

    return Draft7Validator(contract_schema())


# What SL100 asks first: do the values pass the contract at all? Most values files do (a
# pre-commit hook checks the files of each commit), and jsonschema's import alone is 0.04 s of a
# 0.11 s cold check of one values file. The built-in interpreter (json_schema.py, which
# validates manifests) answers that yes or no; jsonschema, imported only for values that fail
# it, then says what is wrong, with the messages it always gave. The built-in answer must be
# jsonschema's: it is asked only where the contract uses nothing it decides otherwise (below),
# runs `pattern` with Python's `re` as jsonschema does, and counts a pattern it could not run as
# a failure. tests/test_values_schema_first_pass.py holds the two answers equal.

# keywords no validator asserts (draft-07 without a format checker) and the contract's own
_ANNOTATIONS = frozenset(
    ("$schema", "$comment", "title", "description", "default", "examples", "format", "definitions", DEFERRED)
)
_SCHEMA_MAPS = ("properties", "patternProperties", "definitions")  # name -> schema
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")
_SCHEMAS = ("additionalProperties", "propertyNames", "items", "not")  # a schema (or a boolean)
_LOCAL_REF = "#/definitions/"


class _NotDecidedAlike(Exception):
    """The contract uses something the built-in interpreter does not decide as jsonschema does."""


class _PythonPattern:
    """A `pattern` run by Python's `re`, as jsonschema runs it (RE2, the interpreter's engine for
    manifests, reads a few constructs otherwise: `$` before a final line break, `\\b`)."""

    __slots__ = ("found_in",)

    def __init__(self, regex: str) -> None:
        self.found_in = re.compile(regex).search


def _resolve_local(ref: str, definitions: Mapping) -> tuple:
    """The contract's `#/definitions/<name>` references: (name, schema)."""
    name = ref[len(_LOCAL_REF) :] if isinstance(ref, str) and ref.startswith(_LOCAL_REF) else None
    if name is None or name not in definitions:
        raise _NotDecidedAlike(f"reference {ref!r}")
    return name, definitions[name]


def _check_alike(schema: Any, definitions: Mapping, following: tuple = ()) -> None:
    """Raise _NotDecidedAlike unless the interpreter decides `schema` as jsonschema does: only
    keywords it validates (or annotations), local references without a cycle (the interpreter
    cuts one short), `items` as one schema, enum and const choices of JSON scalars."""
    if isinstance(schema, bool):
        return
    if not isinstance(schema, dict):
        raise _NotDecidedAlike("a schema that is not an object")
    from .json_schema import VALIDATED_KEYWORDS  # deferred: with the first pass

    for keyword, value in schema.items():
        if keyword not in VALIDATED_KEYWORDS and keyword not in _ANNOTATIONS:
            raise _NotDecidedAlike(f"keyword {keyword!r}")
        if keyword in _SCHEMA_MAPS:
            for sub in (value or {}).values():
                _check_alike(sub, definitions, following)
        elif keyword in _SCHEMA_LISTS:
            for sub in value or ():
                _check_alike(sub, definitions, following)
        elif keyword in _SCHEMAS:
            _check_alike(value, definitions, following)
        elif keyword == "$ref":
            name, target = _resolve_local(value, definitions)
            if name in following:
                raise _NotDecidedAlike(f"a reference cycle through {name!r}")
            _check_alike(target, definitions, (*following, name))
        elif keyword in ("enum", "const"):
            for choice in value if keyword == "enum" else (value,):
                if not (choice is None or isinstance(choice, (str, int, float, bool))):
                    raise _NotDecidedAlike(f"{keyword} choice {choice!r}")


@lru_cache(maxsize=1)
def _first_pass():
    """The built-in interpreter on the contract, or None where it would not decide it alike."""
    schema = contract_schema()
    definitions = schema.get("definitions") or {}
    try:
        if not isinstance(definitions, dict):
            raise _NotDecidedAlike("definitions that are not an object")
        _check_alike(schema, definitions)
    except _NotDecidedAlike:
        return None
    from .json_schema import SchemaValidator  # deferred: with the first pass

    return SchemaValidator(definitions, resolve=_resolve_local, patterns=_PythonPattern)


def passes(values: Any) -> bool:
    """True when the values meet the contract schema (as jsonschema would say), without
    jsonschema; False when they do not, or when this pass cannot tell."""
    interpreter = _first_pass()
    if interpreter is None:
        return False
    try:
        errors = interpreter.errors(contract_schema(), values)
    except RecursionError:  # nested past what the pass walks: jsonschema says what it says
        return False
    return not errors and not interpreter.unchecked


@record(frozen=True)
class Violation:
    """One contract violation: where, what to tell the user, and which rule owns it, if any."""

    path: tuple
    message: str
    keyword: str
    deferred_to: str | None = None  # a rule id that reports this keyword's failures itself


def shown(path: tuple, value: Any) -> str:
    """` ('value')` for a message, or "" where the value is secret or not a scalar."""
    if isinstance(value, (dict, list)) or is_secret_path(tuple(path), value):
        return ""
    text = json.dumps(value, ensure_ascii=False)
    if len(text) > MAX_SHOWN:
        text = text[: MAX_SHOWN - 1] + "…\""
    return f" ({text})"


def _types(schema: dict) -> list:
    declared = schema.get("type")
    if declared is None:
        return []
    return [declared] if isinstance(declared, str) else list(declared)


def _expected(schema: dict) -> str:
    names = [_TYPE_NAMES.get(t, t) for t in _types(schema)]
    if not names:
        return ""
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " or " + names[-1]


def _describe(error, described: str) -> Violation | None:
    """A Violation for one jsonschema error, None for those SL100 leaves to SL101."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    keyword = error.validator
    path = tuple(error.absolute_path)
    where = format_path(path) or "the values"
    value = error.instance
    deferred = (schema.get(DEFERRED) or {}).get(keyword)
    about = schema.get("description") or described
    hint = f": {about[0].lower()}{about[1:].rstrip('.')}" if about else ""
    if "propertyNames" in error.schema_path:
        # jsonschema checks each key as an instance of its own at the map's path
        key_path = path + (value,)
        return Violation(
            key_path,
            f"{format_path(key_path)}: the key {json.dumps(value)} is not a "
            "valid environment variable name ([-._a-zA-Z][-._a-zA-Z0-9]*); rename it",
            "propertyNames",
            deferred,
        )
    if keyword == "additionalProperties" and schema.get("additionalProperties") is False:
        return None  # unknown keys: SL101 names them and suggests the closest known key
    if keyword == "type":
        if "integer" in _types(schema) and isinstance(value, float) and not value.is_integer():
            # "a whole number, not a number" says nothing: name the value
            message = f"{where}{shown(path, value)} must be {_expected(schema)}, not a fraction"
        else:
            message = f"{where} must be {_expected(schema)}, not {describe_type(value)}"
        if "string" in _types(schema) and isinstance(value, (bool, int, float)):
            message += "; quote it"
        elif "boolean" in _types(schema) and value in ("true", "false"):
            message += "; write it without quotes"
    elif keyword == "enum":
        message = (
            f"{where}{shown(path, value)} must be one of "
            f"{', '.join(json.dumps(v) for v in error.validator_value)}"
        )
    elif keyword == "pattern":
        title = schema.get("title")
        expected = f"must be {title}" if title else f"does not match {error.validator_value}{hint}"
        message = f"{where}{shown(path, value)} {expected}"
    elif keyword in ("minimum", "exclusiveMinimum"):
        message = f"{where}{shown(path, value)} must be at least {error.validator_value}"
    elif keyword in ("maximum", "exclusiveMaximum"):
        message = f"{where}{shown(path, value)} must be at most {error.validator_value}"
    elif keyword == "maxLength":
        message = f"{where} is longer than {error.validator_value} characters"
    elif keyword == "minLength":
        message = f"{where} must have at least {error.validator_value} characters"
    elif keyword == "required":
        missing = [k for k in error.validator_value if not (isinstance(value, dict) and k in value)]
        message = f"{where} is missing {', '.join(missing)}; add it"
    else:
        message = f"{where} does not satisfy the contract schema ({keyword}{hint})"
    return Violation(path, message, keyword, deferred)


def _branches(error) -> dict:
    out: dict = {}
    for sub in error.context or ():
        out.setdefault(sub.relative_schema_path[0], []).append(sub)
    return out


def _explain(error, described: str = "") -> Iterable[Violation]:
    """Violations for an error; anyOf/oneOf are explained through the branch the value fits."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        branches = _branches(error)
        # the branches whose type the value has: their errors say what is really wrong
        fitting = [
            errors
            for errors in branches.values()
            if not any(e.validator == "type" and not e.relative_path for e in errors)
        ]
        described = (error.schema.get("description") if isinstance(error.schema, dict) else "") or described
        if len(fitting) == 1:
            for sub in fitting[0]:
                yield from _explain(sub, described)
            return
        if len(fitting) > 1:  # several shapes fit the type: jsonschema's pick of the closest
            from jsonschema.exceptions import best_match  # deferred: with jsonschema (contract_validator)

            yield from _explain(best_match([e for errors in fitting for e in errors]), described)
            return
        path = tuple(error.absolute_path)
        alternatives = []
        for sub_schema in error.validator_value:
            name = _expected(follow_ref(sub_schema))
            if name and name not in alternatives:
                alternatives.append(name)
        where = format_path(path) or "the values"
        expected = " or ".join(alternatives) or "one of the allowed shapes"
        yield Violation(
            path, f"{where} must be {expected}, not {describe_type(error.instance)}", error.validator
        )
        return
    violation = _describe(error, described)
    if violation is not None:
        yield violation


def violations(values: dict, validator=None) -> list:
    """Every contract violation in the effective values, in a stable order."""
    if validator is None and passes(values):
        return []  # jsonschema is not imported for values that meet the contract
    validator = validator or contract_validator()
    out, seen = [], set()
    for error in validator.iter_errors(values):
        for violation in _explain(error):
            identity = (violation.path, violation.message)
            if identity not in seen:
                seen.add(identity)
                out.append(violation)
    return sorted(out, key=lambda v: (tuple(map(str, v.path)), v.message))


# ---------------------------------------------------------------------------------------------
# The key model: which keys the contract knows at a level (SL101)


def follow_ref(schema: Any, root: dict | None = None) -> dict:
    """Follow a local `$ref` ("#/definitions/x"); draft-07 ignores the keywords beside it."""
    root = root if root is not None else contract_schema()
    seen = 0
    while isinstance(schema, dict) and "$ref" in schema and seen < 32:
        ref = schema["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        node = value_at(root, ref[1:])
        schema, seen = (node if node is not None else {}), seen + 1
    return schema if isinstance(schema, dict) else {}


def expand(schema: Any, root: dict | None = None) -> list:
    """The concrete schemas a value at this node may match (refs resolved, anyOf/… flattened)."""
    node = follow_ref(schema, root)
    out = [node] if node else []
    for keyword in ("allOf", "anyOf", "oneOf"):
        for branch in node.get(keyword) or ():
            out.extend(expand(branch, root))
    return out


def _is_object_schema(node: dict) -> bool:
    return "object" in _types(node) or "properties" in node or "additionalProperties" in node


@record(frozen=True)
class KeyVerdict:
    """What a schema level says about keys: None = no opinion, else open or a closed set."""

    open: bool
    names: frozenset = frozenset()


def key_verdict(nodes: list) -> KeyVerdict | None:
    objects = [n for n in nodes if _is_object_schema(n)]
    if not objects:
        return None
    if any(n.get("additionalProperties", True) is not False or n.get("patternProperties") for n in objects):
        return KeyVerdict(open=True)
    names = frozenset(k for n in objects for k in (n.get("properties") or {}))
    return KeyVerdict(open=False, names=names)


def child_nodes(nodes: list, key: str) -> list:
    out = []
    for node in nodes:
        properties = node.get("properties") or {}
        if key in properties:
            out.extend(expand(properties[key]))
        elif isinstance(node.get("additionalProperties"), dict):
            out.extend(expand(node["additionalProperties"]))
    return out


def item_nodes(nodes: list) -> list:
    out = []
    for node in nodes:
        if isinstance(node.get("items"), dict):
            out.extend(expand(node["items"]))
    return out


def root_nodes() -> list:
    return expand(contract_schema())
