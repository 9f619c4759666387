"""Verdicts of the admission policies kept per distinct input, for admission_eval.py.

The objects of a chart rendered for many releases differ mostly in names, which few expressions
read, so most (policy, object) evaluations repeat one already made. A verdict is kept under a
digest of exactly what the policy's expressions can read: the values along their `object.a.b`
paths (or the whole object when an expression reads `object` otherwise), and the params,
request, namespaceObject and oldObject they name. Equal digests mean the expressions see equal
inputs, so the kept verdict is the one evaluating would give; each finding still gets its own
object's location. With speedups.FAST_PATHS off, every verdict is computed (the tests compare).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .. import speedups
from .admission import Policy
from .cel import bracket_closings, code_only

try:  # CPython's own BLAKE2: hashlib would load OpenSSL (3 ms, 3 MiB) for the same function
    from _blake2 import blake2b
except ImportError:  # an interpreter built without it
    from hashlib import blake2b

# `object.a.b`: a path an expression reads (admission_eval.py points findings at it too)
OBJECT_PATH = re.compile(r"\bobject((?:\s*\.\s*[A-Za-z_][A-Za-z0-9_]*)+)")
# `variables.x`: a variable an expression reads; `(` after a path: a method or macro call on it
VARIABLE_REF = re.compile(r"\bvariables\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\b")
CALL_OPEN = re.compile(r"\s*\(")
_OBJECT = re.compile(r"\bobject\b")
_INPUTS = ("oldObject", "request", "params", "namespaceObject")  # read whole when an expression names them


class Verdicts:
    """The verdicts of one run (in one process), by policy and what its expressions read."""

    def __init__(self) -> None:
        self._verdicts: dict = {}
        self._reads: dict = {}  # id(policy) -> (signature, paths, inputs)
        self._inputs_of: Callable[[], dict] = dict  # the request and namespaceObject of the current object
        self._hidden_of: Callable[[], Any] = dict  # the current object, its secrets hidden
        self._made: dict = {}  # "inputs", "hidden": made for the current object
        self._params: dict = {}  # id(params object) -> digest (params objects live as long as the run)
        self._digests: dict = {}  # paths (or an input's name) -> digest, for the current object

    def start(self, inputs: Callable[[], dict], hidden: Callable[[], Any]) -> None:
        """Verdicts for a next object: what makes its request and namespaceObject, and itself
        with its secrets hidden (each made once, when first needed)."""
        self._inputs_of, self._hidden_of = inputs, hidden
        self._made = {}
        self._digests = {}

    def inputs(self) -> dict:
        """The current object's request and namespaceObject, secrets hidden."""
        if "inputs" not in self._made:
            self._made["inputs"] = self._inputs_of()
        return self._made["inputs"]

    def hidden(self) -> Any:
        """The current object as the policies read it: secrets hidden."""
        if "hidden" not in self._made:
            self._made["hidden"] = self._hidden_of()
        return self._made["hidden"]

    def _input_digest(self, name: str, param: Any) -> bytes:
        """The digest of one input the policy names: params per params object (for the run), the
        others per object."""
        memo, at = (self._params, id(param)) if name == "params" else (self._digests, name)
        found = memo.get(at)
        if found is None:
            found = memo[at] = _digest(param if name == "params" else self.inputs()[name])
        return found

    def verdict(
        self, policy: Policy, obj: dict, param: Any, compute: Callable[..., tuple], base: Any
    ) -> tuple:
        """(denials, the failure that ended them or None) that `compute(policy, obj, base, param)`
        gives for this policy, object (its secrets not yet hidden) and params object, computed
        once per distinct input. (The arguments, not a partial of them: asked for every binding
        on every object it selects.)"""
        if not speedups.FAST_PATHS:  # the reference path: every policy evaluated on every object
            return compute(policy, obj, base, param)
        read = self._reads.get(id(policy))
        if read is None:
            paths, inputs = _reads(policy)
            # whether hiding what is read depends on more than the values read (_object_digest)
            contextual = paths is not None and any(map(_contextual, paths))
            read = self._reads[id(policy)] = (_signature(policy), paths, inputs, contextual)
        signature, paths, inputs, contextual = read
        digest = self._digests.get(paths)
        if digest is None:
            digest = self._digests[paths] = self._object_digest(obj, paths, contextual)
        if inputs:
            key: tuple = (signature, digest, *[self._input_digest(name, param) for name in inputs])
        else:
            key = (signature, digest)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = compute(policy, obj, base, param)
        return found

    def _object_digest(self, obj: dict, paths: tuple | None, contextual: bool) -> bytes:
        """The digest of what the policy reads of the object. What a policy reads has its
        secrets hidden (admission_eval.hidden), and hiding a value depends on it, its path and
        the object's kind, and for a key named `secret` or `value` on the map holding it too
        (redact.secret_parts): where that is all within what is read (not a Secret, no such
        key on a path or among an item's fields read) equal values read are equal values
        hidden, and the object is digested as rendered, without hiding its secrets (the whole
        object when it is read whole)."""
        raw = obj.get("kind") != "Secret" and not contextual
        seen = obj if raw else self.hidden()
        if paths is not None:
            seen = [_walk(seen, path, use) for path, use in paths]
        return _digest(("rendered" if raw else "hidden", seen))


# keys whose hiding depends on the map holding them (redact.names_credential, a `{name, value}` entry)
_CONTEXTUAL = frozenset({"secret", "value"})


def _contextual(read: tuple) -> bool:
    """Whether a key on the path, or a field read of its items, is one of _CONTEXTUAL."""
    path, use = read
    names = (*path, *(use[1] if use[0] == "fields" else ()))
    return any(str(name).lower() in _CONTEXTUAL for name in names)


def _reads(policy: Policy) -> tuple:
    """What the policy's expressions can read of their input: the `object.a.b` paths with what
    each reads there (`_uses`; None when `object` is also read otherwise, whole) and the other
    inputs they name. Read from the code alone (string literals and comments blanked), in time
    linear in the sources: where a read cannot be told simply, the value is read whole."""
    sources = [expression.source for _, expression in policy.match_conditions + policy.variables]
    for validation in policy.validations:
        sources.append(validation.expression.source)
        if validation.message_expression is not None:
            sources.append(validation.message_expression.source)
    found: dict | None = {}
    for source in sources:
        code = code_only(source)
        if found is None or len(_OBJECT.findall(code)) != len(OBJECT_PATH.findall(code)):
            found = None  # `object` not only as object.a…: bare, indexed, a macro's variable
            continue
        scan = _Scan(code)
        for match in OBJECT_PATH.finditer(code):
            parts = tuple(re.split(r"\s*\.\s*", match.group(1).strip(". \t\n")))
            if CALL_OPEN.match(code, match.end()):  # object.a.size(), object.a.all(…): reads a
                parts, use = parts[:-1], scan.macro_fields(parts[-1], match.end())
            else:
                use = _use(code, match.start(), match.end())
            found[parts] = _joined(found.get(parts, _PRESENCE), use)
    text = "\n".join(sources)  # an input named anywhere, even in a string, is read: never less
    return (
        None if found is None else tuple(sorted(found.items())),
        tuple(name for name in _INPUTS if re.search(rf"\b{name}\b", text)),
    )


# what an expression reads at a path: whether it is there (`has(object.a)`), the keys of the map
# there (`'k' in object.a`), some fields of each item of the list there (`object.a.all(c,
# c.f)`), or all of it; the digest holds only that, so objects that differ elsewhere share
_PRESENCE = ("presence",)
_KEYS = ("keys",)
_WHOLE = ("whole",)
# the macros whose result is made only of what their expressions compute of each item, never
# an item itself, and so of nothing but the fields those read: a boolean (all, exists,
# exists_one: one variable, two arguments) or map's list of `f(c)` (`map(c, f)`, `map(c, p,
# f)`). filter, sortBy… return the items themselves, which what follows may read whole.
_ARGUMENTS = {"all": 2, "exists": 2, "exists_one": 2, "existsOne": 2, "map": 3}  # at most
# what may follow `x in object.a` so that `in` is the operator applied to object.a itself
_ENDS_OPERAND = re.compile(r"\s*(?:$|[)\]},:?]|&&|\|\|)")
_HAS_BEFORE = re.compile(r"\bhas\(\s*$")
_IN_BEFORE = re.compile(r"(?<![\w.])in\s*$")
_CLOSES_HAS = re.compile(r"\s*\)")
_BEFORE = 64  # how far before a path `has(` or `in` is looked for (more blanks: read whole)
_MACRO_HEAD = re.compile(r"\s*\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,")
_FIELD = re.compile(r"\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*\()")  # a field, not a method
_SELECTED = re.compile(r"\s*[.\[]")  # a result dotted or indexed: read for more than a boolean


def _use(code: str, start: int, end: int) -> tuple:
    """What the `object.a.b` at code[start:end] (not followed by a call) reads, from the code
    around it (a bounded window before it: linear in the code)."""
    window = max(0, start - _BEFORE)
    if _HAS_BEFORE.search(code, window, start) and _CLOSES_HAS.match(code, end):
        return _PRESENCE
    if _IN_BEFORE.search(code, window, start) and _ENDS_OPERAND.match(code, end):
        return _KEYS
    return _WHOLE


def _joined(one: tuple, other: tuple) -> tuple:
    """What two reads of one path read together."""
    if one in (_PRESENCE, other):
        return other
    if other == _PRESENCE:
        return one
    if one[0] == other[0] == "fields":
        return ("fields", tuple(sorted(set(one[1]) | set(other[1]))))
    return _WHOLE


class _Scan:
    """The macro calls of one expression's code (literals and comments blanked): where each
    bracket closes (found once), and a budget of body text read, so nested macros stay linear."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.closes = bracket_closings(code)
        self.budget = 8 * len(code) + 4096

    def macro_fields(self, method: str, at: int) -> tuple:
        """What `object.a.<method>(…)` at `at` reads of the list a: for a macro of _ARGUMENTS
        with one variable, a boolean one's result used as it is, whose variable is only ever
        followed by a field (`c.image`), those fields of each item; else all of it."""
        code = self.code
        head = _MACRO_HEAD.match(code, at)
        if method not in _ARGUMENTS or head is None:
            return _WHOLE
        opening = code.index("(", at)
        closing = self.closes.get(opening)
        if closing is None or code[closing] != ")":
            return _WHOLE
        if method != "map" and _SELECTED.match(code, closing + 1):
            return _WHOLE  # a boolean dotted or indexed: not the macro it seems
        self.budget -= closing - head.end()
        if self.budget < 0:  # nested past telling cheaply
            return _WHOLE
        depth, arguments = 0, 2
        for char in code[head.end() : closing]:  # all(i, c, p): two variables, the item second
            depth += (char in "([{") - (char in ")]}")
            arguments += char == "," and depth == 0
        if arguments > _ARGUMENTS[method]:
            return _WHOLE
        fields = set()
        variable = re.compile(rf"(?<![\w.]){head.group(1)}\b")
        for use in variable.finditer(code, head.end(), closing):
            field = _FIELD.match(code, use.end(), closing)
            if field is None:  # the item itself (bare, indexed, a method on it, a nested macro's variable)
                return _WHOLE
            fields.add(field.group(1))
        return ("fields", tuple(sorted(fields)))


def _walk(obj: dict, path: tuple, use: tuple) -> tuple:
    """What an expression sees along one path: how far it leads and what it reads there."""
    node: Any = obj
    for depth, part in enumerate(path):
        if not isinstance(node, dict):
            return depth, "value", node
        if part not in node:
            return depth, "absent"
        node = node[part]
    if use == _PRESENCE:
        return len(path), "present"
    if use == _KEYS and isinstance(node, dict):
        return len(path), "keys", tuple(node)
    if use[0] == "fields" and isinstance(node, list):
        items = [
            {f: item[f] for f in use[1] if f in item} if isinstance(item, dict) else ("item", item)
            for item in node
        ]
        return len(path), "items", items
    return len(path), "value", node


def _signature(policy: Policy) -> str:
    """Everything of a policy that its verdict on an input depends on (two copies share verdicts)."""
    return repr(
        (
            [(name, e.field, e.source) for name, e in policy.match_conditions + policy.variables],
            [
                (v.expression.field, v.expression.source, v.message, v.reason)
                + ((v.message_expression.field, v.message_expression.source) if v.message_expression else ())
                for v in policy.validations
            ],
        )
    )


def _digest(value: Any) -> bytes:
    # repr tells apart what CEL tells apart (1, 1.0, "1", True; the order of a map's keys)
    return blake2b(repr(value).encode(), digest_size=16).digest()
