"""Strict JSON Schema validation compiled into closures, for Kubernetes and CRD schemas.

Kubernetes' schemas use a small part of JSON Schema (type, properties, additionalProperties,
required, items, enum, oneOf, `$ref`; CRDs add the string/number/array bounds, pattern,
anyOf/allOf/not). This module compiles exactly that part into closures, one per schema node and only for the
definitions an input uses (so a run costs what its objects touch, not the 1 MB schema),
following `$ref`s into the bundled definitions without inlining them; a `$ref` back into a
definition that is already being validated validates as `{}`, which is what kubeconform's
standalone schemas do (recursive JSONSchemaProps are cut). Compiling is cheap enough per run
that nothing needs caching between runs, and importing this costs no jsonschema import (a
tenth of a second of a pre-commit run).
`format` is an annotation, as in kubeconform (draft 2020-12 does not assert it).
`pattern` and `patternProperties` run through RE2 (`inputregex.py`), as in the API server: a
CRD's pattern never meets a backtracking engine; one RE2 cannot compile is not checked, and the
verdict lists it as unchecked (SL701 says so in a note) instead of guessing.
`tests/test_validate_kube.py` holds it to kubeconform's recorded verdicts and to jsonschema's.

Messages follow kubeconform's wording, but never quote a value from the manifest (it may be a
secret): they name the field and what the schema wants.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from ..inputregex import Unverifiable, compile_pattern
from ..jsontypes import json_type
from ..pointer import build, escape
from .schemas import resolve_ref
from .verdicts import SchemaError

# a compiled schema node: (instance, path as nested (parent, key) pairs, errors found so far)
Step = Callable[[Any, Any, list[SchemaError]], None]


def _is_type(value, wanted: str) -> bool:
    if wanted == "object":
        return isinstance(value, dict)
    if wanted == "string":
        return isinstance(value, str)
    if wanted == "array":
        return isinstance(value, list)
    if wanted == "null":
        return value is None
    if wanted == "boolean":
        return isinstance(value, bool)
    if wanted == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and math.isfinite(value) and value.is_integer()
        )
    if wanted == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _want(types) -> str:
    ordered = sorted(types, key=lambda t: (t != "null", list(types).index(t)))
    return " or ".join(ordered)


def _quote_all(names) -> str:
    return ", ".join(f"'{n}'" for n in names)


def _equal(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    return a == b


def to_pointer(path) -> str:
    """JSON pointer of a path chain `(parent, token)` (built only when an error is reported)."""
    tokens = []
    while path is not None:
        path, token = path
        tokens.append(token)
    tokens.reverse()
    return build(*tokens)


def _noop(data, path, out) -> None:
    return None


# the keywords a schema node validates with (`SchemaValidator._build`); any other is an annotation
_OBJECT_KEYWORDS = (
    "required",
    "properties",
    "patternProperties",
    "additionalProperties",
    "propertyNames",
    "minProperties",
    "maxProperties",
)
_ARRAY_KEYWORDS = ("items", "minItems", "maxItems", "uniqueItems")
_STRING_KEYWORDS = ("minLength", "maxLength", "pattern")
_NUMBER_KEYWORDS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")
VALIDATED_KEYWORDS = frozenset(
    ("$ref", "type", "enum", "const", "oneOf", "anyOf", "allOf", "not")
    + _OBJECT_KEYWORDS
    + _ARRAY_KEYWORDS
    + _STRING_KEYWORDS
    + _NUMBER_KEYWORDS
)


def _type_only(schema) -> Callable[[Any], bool] | None:
    """The type predicate of a schema node that validates nothing but its type, else None."""
    if (
        not isinstance(schema, dict)
        or schema.get("type") is None
        or len(VALIDATED_KEYWORDS.intersection(schema)) != 1
    ):
        return None
    return _type_predicate(schema["type"])


def _type_predicate(types):
    wanted = tuple((types,) if isinstance(types, str) else types)
    if wanted in (("object", "null"), ("null", "object")):
        return lambda v: v is None or type(v) is dict
    if wanted in (("string", "null"), ("null", "string")):
        return lambda v: v is None or type(v) is str
    if wanted == ("object",):
        return lambda v: type(v) is dict
    if wanted == ("string",):
        return lambda v: type(v) is str
    if len(wanted) == 1:
        only = wanted[0]
        return lambda v: _is_type(v, only)
    if len(wanted) == 2 and "null" in wanted:  # a nullable field
        other = wanted[1] if wanted[0] == "null" else wanted[0]
        return lambda v: v is None or _is_type(v, other)
    return lambda v: any(_is_type(v, t) for t in wanted)


def _type_error(data, path, wanted) -> SchemaError:
    return SchemaError(to_pointer(path), f"got {json_type(data)}, want {_want(wanted)}")


# types whose test needs no call (as _type_predicate and _is_type decide them): the Python type,
# whether it is tested by `type(data) is` (else isinstance), whether null is allowed too
_FAST_TYPES: dict = {}
for _json_type, _python_type, _exact in (
    ("object", dict, True),
    ("string", str, True),
    ("array", list, False),
    ("boolean", bool, False),
):
    _FAST_TYPES[(_json_type,)] = (_python_type, _exact, False)
    _FAST_TYPES[(_json_type, "null")] = _FAST_TYPES[("null", _json_type)] = (_python_type, _exact, True)


def _typed_step(wanted, step) -> Step | None:
    """A node of one of the _FAST_TYPES (Kubernetes' schemas: nearly every node) and at most one
    step, tested without a call of its type predicate; else None."""
    try:
        fast = _FAST_TYPES.get(tuple(wanted))
    except TypeError:  # a malformed `type` (`[[string]]`): the general path says what is wrong
        return None
    if fast is None:
        return None
    python_type, exact, nullable = fast
    if exact:

        def typed(data, path, out):
            if type(data) is not python_type and not (nullable and data is None):
                out.append(_type_error(data, path, wanted))
                return
            if step is not None:
                step(data, path, out)

        return typed

    def instance(data, path, out):
        if not isinstance(data, python_type) and not (nullable and data is None):
            out.append(_type_error(data, path, wanted))
            return
        if step is not None:
            step(data, path, out)

    return instance


def _is_multiple(data, multiple) -> bool:
    """`data` is a whole multiple of `multiple`, as jsonschema decides it: integers exactly (a
    manifest's integer may have hundreds of digits, past what a float holds), a quotient that
    is not finite in exact fractions."""
    if isinstance(data, int) and isinstance(multiple, int) and not isinstance(multiple, bool):
        return data % multiple == 0
    try:
        quotient = data / multiple
        if math.isfinite(quotient):
            return quotient == int(quotient)
    except OverflowError:
        pass
    if isinstance(data, float) and not math.isfinite(data):
        return False
    from fractions import Fraction  # deferred: only a quotient a float cannot hold

    try:
        return (Fraction(data) / Fraction(multiple)).denominator == 1
    except (ValueError, OverflowError, ZeroDivisionError, TypeError):
        return False


class SchemaValidator:
    """Validates data against a schema whose `$ref`s point into `definitions`.

    Each schema node is turned once into a closure that checks exactly the keywords it has
    (compiled on first use, `$ref` targets lazily), so validating thousands of objects costs
    no per-node keyword lookups. A `$ref` to a definition that is already being validated
    further up validates as `{}`: kubeconform's standalone schemas cut recursion the same way.
    """

    def __init__(
        self,
        definitions: Mapping | None = None,
        resolve: Callable[[str, Mapping], tuple] = resolve_ref,
        patterns: Callable[[str], Any] = compile_pattern,
    ):
        """`resolve(ref, definitions)` gives a `$ref`'s (name, schema); `patterns(regex)` a
        pattern (`found_in(text)`) or an Unverifiable: kubernetes-validate's definitions and RE2,
        as the API server runs CRD patterns, unless a caller's schema says otherwise."""
        self.definitions: Mapping = {} if definitions is None else definitions
        self._resolve = resolve
        self._patterns = patterns
        self._compiled: dict = {}  # id(schema) -> (schema, function); the schema keeps the id alive
        self._active: set = set()  # definitions being validated (the recursion cut)
        self.unchecked: list = []  # of the last `errors` call: patterns that could not be checked

    def errors(self, schema, data) -> list:
        out: list = []
        self._active.clear()
        self.unchecked = []
        self.compile(schema)(data, None, out)
        return out

    def _not_checked(self, path, pattern: Unverifiable) -> None:
        """A pattern RE2 cannot run: noted once per place, never an error (nor a pass claimed)."""
        shown = pattern.pattern if len(pattern.pattern) <= 120 else pattern.pattern[:119] + "…"
        note = SchemaError(to_pointer(path), f"pattern '{shown}' was not checked: {pattern.reason}")
        if note not in self.unchecked:
            self.unchecked.append(note)

    def compile(self, schema):
        hit = self._compiled.get(id(schema))
        if hit is None:
            hit = self._compiled[id(schema)] = (schema, self._build(schema))
        return hit[1]

    def _build(self, schema):
        if schema is False:  # (before the test below: `not False` holds too)
            return lambda data, path, out: out.append(SchemaError(to_pointer(path), "not allowed"))
        if schema is True or not schema:
            return _noop
        ref_step = self._ref_step(schema["$ref"]) if "$ref" in schema else None
        types = schema.get("type")
        type_ok = _type_predicate(types) if types is not None else None
        wanted = (types,) if isinstance(types, str) else types
        steps = [
            step
            for step in (
                self._enum_step(schema),
                self._object_step(schema),
                self._array_step(schema),
                self._string_step(schema),
                self._number_step(schema),
            )
            if step is not None
        ] + self._combinator_steps(schema)

        if ref_step is None and type_ok is not None and len(steps) <= 1:
            # the common shapes, without a call of the type predicate and a loop of steps: a
            # leaf of one type (most nodes) and an object of properties
            typed = _typed_step(wanted, steps[0] if steps else None)
            if typed is not None:
                return typed

        def run(data, path, out):
            if ref_step is not None:
                ref_step(data, path, out)
            if type_ok is not None and not type_ok(data):
                out.append(SchemaError(to_pointer(path), f"got {json_type(data)}, want {_want(wanted)}"))
                return
            for step in steps:
                step(data, path, out)

        return run if (steps or type_ok is not None) else (ref_step or _noop)

    def _ref_step(self, ref: str):
        name, target = self._resolve(ref, self.definitions)
        active = self._active
        compiled: list[Step] = []

        def ref_step(data, path, out):
            if name in active:
                return
            if not compiled:
                compiled.append(self.compile(target))
            active.add(name)
            try:
                compiled[0](data, path, out)
            finally:
                active.discard(name)

        return ref_step

    @staticmethod
    def _enum_step(schema):
        if "enum" not in schema and "const" not in schema:
            return None
        choices = schema.get("enum")
        enum_message = (
            ""  # unused: without `enum` every value is one of the choices
            if choices is None
            else "value must be one of "
            + ", ".join(repr(c) if not isinstance(c, str) else f"'{c}'" for c in choices)
        )
        has_const, const = "const" in schema, schema.get("const")

        def enum_step(data, path, out):
            if choices is not None and not any(_equal(data, c) for c in choices):
                out.append(SchemaError(to_pointer(path), enum_message))
            if has_const and not _equal(data, const):
                out.append(SchemaError(to_pointer(path), "value must be the constant the schema names"))

        return enum_step

    def _object_step(self, schema):
        if not any(k in schema for k in _OBJECT_KEYWORDS):
            return None
        required = tuple(schema.get("required") or ())
        declared = schema.get("properties") or {}
        properties: dict[str, Step] = {}  # compiled on first use: most declared fields are never set
        patterns = [
            (self._patterns(regex), self.compile(sub))
            for regex, sub in (schema.get("patternProperties") or {}).items()
        ]
        unverifiable = [compiled for compiled, _fn in patterns if isinstance(compiled, Unverifiable)]
        verifiable = [(compiled, fn) for compiled, fn in patterns if not isinstance(compiled, Unverifiable)]
        not_checked = self._not_checked
        additional = schema.get("additionalProperties", True)
        closed = additional is False
        additional_fn = self.compile(additional) if isinstance(additional, dict) and additional else None
        low, high = schema.get("minProperties"), schema.get("maxProperties")
        names = schema.get("propertyNames")
        names_fn = self.compile(names) if isinstance(names, (dict, bool)) and names is not True else None
        compile_schema = self.compile

        def object_step(data, path, out):
            if type(data) is not dict:
                return
            if names_fn is not None:
                for key in data:
                    found: list = []
                    names_fn(key, (path, key), found)
                    if found:  # the key names no value: said at the key (as additional properties)
                        pointer = to_pointer(path)
                        out.append(
                            SchemaError(
                                pointer, "a property name is not valid", at=f"{pointer}/{escape(str(key))}"
                            )
                        )
            if required:
                for name in required:
                    if name not in data:
                        missing = [name for name in required if name not in data]
                        word = "property" if len(missing) == 1 else "properties"
                        out.append(SchemaError(to_pointer(path), f"missing {word} {_quote_all(missing)}"))
                        break
            extra: list[str] | None = None
            if not patterns:  # nearly every object: each key is declared, or additional
                for key, value in data.items():
                    fn = properties.get(key)
                    if fn is None:
                        if key not in declared:
                            if closed:
                                (extra if extra is not None else (extra := [])).append(key)
                            elif additional_fn is not None:
                                additional_fn(value, (path, key), out)
                            continue
                        fn = properties[key] = compile_schema(declared[key])
                    fn(value, (path, key), out)
            for key, value in data.items() if patterns else ():
                fn = properties.get(key)
                if fn is None and key in declared:
                    fn = properties[key] = compile_schema(declared[key])
                matched = fn is not None
                if fn is not None:
                    fn(value, (path, key), out)
                for compiled, pattern_fn in verifiable:
                    if compiled.found_in(key):
                        matched = True
                        pattern_fn(value, (path, key), out)
                if not matched and unverifiable:  # it may match one of them: neither allowed nor not
                    for pattern in unverifiable:
                        not_checked(path, pattern)
                elif not matched:
                    if closed:
                        (extra if extra is not None else (extra := [])).append(key)
                    elif additional_fn is not None:
                        additional_fn(value, (path, key), out)
            if extra:
                pointer = to_pointer(path)
                out.append(
                    SchemaError(
                        pointer,
                        f"additional properties {_quote_all(extra)} not allowed",
                        at=f"{pointer}/{escape(extra[0])}",
                    )
                )
            if low is not None and len(data) < low:
                out.append(
                    SchemaError(to_pointer(path), f"minimum {low} properties required, but got {len(data)}")
                )
            if high is not None and len(data) > high:
                out.append(
                    SchemaError(to_pointer(path), f"maximum {high} properties allowed, but got {len(data)}")
                )

        return object_step

    def _array_step(self, schema):
        if not any(k in schema for k in _ARRAY_KEYWORDS):
            return None
        items = schema.get("items")
        # one schema for every item (`false`: no item); draft 4's list of schemas is not read
        items = items if (isinstance(items, dict) and items) or items is False else None
        items_fn: list = []  # compiled on the first non-empty array
        low, high, unique = schema.get("minItems"), schema.get("maxItems"), schema.get("uniqueItems")

        def array_step(data, path, out):
            if type(data) is not list:
                return
            if items is not None and data:
                if not items_fn:
                    items_fn.append(self.compile(items))
                check_item = items_fn[0]
                for i, value in enumerate(data):
                    check_item(value, (path, i), out)
            if low is not None and len(data) < low:
                out.append(
                    SchemaError(
                        to_pointer(path), f"minimum {low} items required, but found {len(data)} items"
                    )
                )
            if high is not None and len(data) > high:
                out.append(
                    SchemaError(
                        to_pointer(path), f"maximum {high} items required, but found {len(data)} items"
                    )
                )
            if unique:
                seen: list = []
                for i, value in enumerate(data):
                    if any(_equal(value, other) for other in seen):
                        out.append(SchemaError(to_pointer(path), f"items at index {i} is a duplicate"))
                        break
                    seen.append(value)

        return array_step

    def _string_step(self, schema):
        if not any(k in schema for k in _STRING_KEYWORDS):
            return None
        low, high = schema.get("minLength"), schema.get("maxLength")
        regex = schema.get("pattern")
        compiled = self._patterns(regex) if regex is not None else None
        not_checked = self._not_checked

        def string_step(data, path, out):
            if type(data) is not str:
                return
            if low is not None and len(data) < low:
                out.append(SchemaError(to_pointer(path), f"length must be >= {low}, but got {len(data)}"))
            if high is not None and len(data) > high:
                out.append(SchemaError(to_pointer(path), f"length must be <= {high}, but got {len(data)}"))
            if isinstance(compiled, Unverifiable):
                not_checked(path, compiled)
            elif compiled is not None and not compiled.found_in(data):
                out.append(SchemaError(to_pointer(path), f"does not match pattern '{regex}'"))

        return string_step

    @staticmethod
    def _number_step(schema):
        if not any(k in schema for k in _NUMBER_KEYWORDS):
            return None
        low, high = schema.get("minimum"), schema.get("maximum")
        xlow, xhigh = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
        xlow = None if isinstance(xlow, bool) else xlow  # draft 4's boolean form: no bound of its own
        xhigh = None if isinstance(xhigh, bool) else xhigh
        multiple = schema.get("multipleOf")

        def number_step(data, path, out):
            if isinstance(data, bool) or not isinstance(data, (int, float)):
                return
            if low is not None and data < low:
                out.append(SchemaError(to_pointer(path), f"must be >= {low}"))
            if high is not None and data > high:
                out.append(SchemaError(to_pointer(path), f"must be <= {high}"))
            if xlow is not None and data <= xlow:
                out.append(SchemaError(to_pointer(path), f"must be > {xlow}"))
            if xhigh is not None and data >= xhigh:
                out.append(SchemaError(to_pointer(path), f"must be < {xhigh}"))
            if multiple and not _is_multiple(data, multiple):
                out.append(SchemaError(to_pointer(path), f"not multipleOf {multiple}"))

        return number_step

    def _combinator_steps(self, schema) -> list:
        steps = []
        for keyword in ("oneOf", "anyOf"):
            choices = schema.get(keyword) or ()
            branches = [self.compile(branch) for branch in choices]
            if branches:
                steps.append(self._choice_step(keyword, branches, [_type_only(branch) for branch in choices]))
        for branch in schema.get("allOf") or ():
            steps.append(self.compile(branch))
        if "not" in schema:
            negated = self.compile(schema["not"])

            def not_step(data, path, out):
                found: list = []
                negated(data, path, found)
                if not found:
                    out.append(SchemaError(to_pointer(path), "not failed"))

            steps.append(not_step)
        return steps

    @staticmethod
    def _choice_step(keyword: str, branches: list, tests: list):
        """`tests`: for each branch that only names a type, its type predicate (the branch
        passes exactly when it holds): asked without building the error it would report."""

        def choice_step(data, path, out):
            matched = []
            for i, branch in enumerate(branches):
                test = tests[i]
                if test is not None:
                    if test(data):
                        matched.append(i)
                    continue
                found: list = []
                branch(data, path, found)
                if not found:
                    matched.append(i)
            if not matched:
                out.append(SchemaError(to_pointer(path), f"{keyword} failed, none matched"))
            elif keyword == "oneOf" and len(matched) > 1:
                out.append(
                    SchemaError(
                        to_pointer(path), f"valid against schemas at indexes {matched[0]} and {matched[1]}"
                    )
                )

        return choice_step
