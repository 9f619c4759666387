"""The Kubernetes CEL libraries the chosen CEL library lacks, in plain Python (docs/cel-libraries.md).

The API server enables these for admission policies: lists (isSorted, sum, min, max, indexOf,
lastIndexOf), regex (find, findAll), url, ip and cidr, quantity, semver, format and sets.
cel-expr-python brings strings, optionals, cel-go's lists and two-variable comprehensions itself.
Each function is declared here as data (name, parameter types, result type, implementation);
policy/cel.py registers them with the library. The url, ip/cidr, quantity and semver libraries,
values of their own type, are k8s_types.py; the format library is k8s_format.py.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cmp_to_key
from typing import Any

from ..inputregex import InputPattern, Unverifiable, compile_pattern
from ..records import record
from .limits import charge


@record(frozen=True)
class FunctionSpec:
    name: str
    overload_id: str
    params: tuple[str, ...]  # "string", "int", "uint", "double", "bool", "dyn", "list", "map"
    result: str
    member: bool
    impl: Callable[..., Any]


# ---------------------------------------------------------------------------------------------
# lists


def _compare(a: Any, b: Any) -> int:
    numbers = all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in (a, b))
    if type(a) is not type(b) and not numbers:
        raise TypeError(f"no such overload: cannot compare {type(a).__name__} with {type(b).__name__}")
    return (a > b) - (a < b)


def _is_sorted(items: list) -> bool:
    return all(_compare(items[i], items[i + 1]) <= 0 for i in range(len(items) - 1))


_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1


def _sum(items: list) -> Any:
    """As Kubernetes' lists library: numbers only, and an int sum beyond int64 is
    an overflow error, not a bigger number (Python's ints have no limit, CEL's do)."""
    if not items:
        return 0
    for item in items:
        if isinstance(item, bool) or not isinstance(item, (int, float)):
            raise TypeError(f"no such overload: sum of a list holding {type(item).__name__}")
    total = items[0]
    for item in items[1:]:
        total = total + item
        if type(total) is int and not _INT64_MIN <= total <= _INT64_MAX:
            raise OverflowError("integer overflow in sum()")
    return total


def _least(items: list) -> Any:
    if not items:
        raise ValueError("min called on an empty list")
    return sorted(items, key=cmp_to_key(_compare))[0]


def _greatest(items: list) -> Any:
    if not items:
        raise ValueError("max called on an empty list")
    return sorted(items, key=cmp_to_key(_compare))[-1]


def _index_of(items: list | str, item: Any) -> int:
    if isinstance(items, str):
        raise TypeError("no such overload")
    return next((i for i, x in enumerate(items) if x == item), -1)


def _last_index_of(items: list, item: Any) -> int:
    return next((i for i in range(len(items) - 1, -1, -1) if items[i] == item), -1)


# ---------------------------------------------------------------------------------------------
# regex


def _pattern(regex: str) -> InputPattern:
    compiled = compile_pattern(regex)
    if isinstance(compiled, Unverifiable):
        raise ValueError(f"invalid regular expression {regex!r}: {compiled.reason}")
    return compiled


def _find(text: str, regex: str) -> str:
    return _pattern(regex).first_match(text) or ""


def _find_all(text: str, regex: str, limit: int = -1) -> list[str]:
    if limit == 0:
        return []
    found = _pattern(regex).all_matches(text)
    return found if limit < 0 else found[:limit]


# ---------------------------------------------------------------------------------------------
# sets


MAX_PAIRWISE = 1_000_000  # comparisons of unhashable elements (maps, lists) one call may make


def _key(value: Any) -> Any:
    """A hashable key equal where CEL's equality is (1 == 1.0, but true != 1), or None."""
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, (int, float)):
        return ("number", value)
    if isinstance(value, (str, bytes)) or value is None:
        return (type(value).__name__, value)
    return None


def _members(items: list, wanted: list) -> list[bool]:
    """For each of `wanted`: is it in `items` (hashed when it can be, else compared pairwise,
    within MAX_PAIRWISE: a policy's own loops are bounded by the library, these are ours)."""
    keys = {_key(x) for x in items}
    unhashed = [x for x in items if _key(x) is None]
    # each unhashable wanted value is compared with every unhashable item
    charge(len(unhashed) * sum(1 for value in wanted if _key(value) is None))
    out = []
    for value in wanted:
        key = _key(value)
        if key is not None:
            out.append(key in keys)
            continue
        if len(unhashed) * len(wanted) > MAX_PAIRWISE:
            raise ValueError("cost limit exceeded (sets over too many maps or lists)")
        out.append(any(x == value for x in unhashed))
    return out


def _set_contains(items: list, sub: list) -> bool:
    return all(_members(items, sub))


def _set_equivalent(a: list, b: list) -> bool:
    return _set_contains(a, b) and _set_contains(b, a)


def _set_intersects(a: list, b: list) -> bool:
    return any(_members(a, b))


# ---------------------------------------------------------------------------------------------
# lists.range and distinct in place of cel-cpp's: its range fails on n < 0 (cel-go's gives an
# empty list) and builds any n outside the budget; its distinct compares every pair, outside any
# budget (8,000 lists: 8 s). A function the library declares cannot be declared again, so
# these are declared as OVERRIDE_CONTAINER's, which the environment's container makes a name
# resolve to before the library's (policy/cel.py)

OVERRIDE_CONTAINER = "kubernetes"


def _range(n: int) -> list[int]:
    """lists.range(n): 0 to n - 1, as cel-go's (none for n <= 0), drawing n from the budget."""
    charge(max(n, 0))
    return list(range(n))


def _canonical(value: Any) -> Any:
    """A hashable key equal where CEL's equality is, for lists and maps too (a list of 1 equals a
    list of 1.0); None for a value never equal to anything (NaN, inside or not). Draws the
    elements it reads from the budget."""
    if isinstance(value, list):
        charge(len(value))
        items = [_canonical(v) for v in value]
        return None if None in items else ("list", tuple(items))
    if isinstance(value, dict):
        charge(len(value))
        pairs = [(_canonical(k), _canonical(v)) for k, v in value.items()]
        return None if any(None in pair for pair in pairs) else ("map", frozenset(pairs))
    if isinstance(value, float) and value != value:
        return None
    key = _key(value)
    return key if key is not None else (type(value).__name__, value)  # timestamps, durations


def _distinct(items: list) -> list:
    """The elements without repeats, first occurrences in order: cel-go's distinct, which
    compares with CEL's equality (1, 1.0 and 1u are one element), hashed instead of compared
    pairwise."""
    seen: set = set()
    out = []
    for item in items:
        key = _canonical(item)
        if key is None or key not in seen:
            out.append(item)
            if key is not None:
                seen.add(key)
    return out


def spec(name: str, params: str, result: str, impl: Callable[..., Any], member: bool = True) -> FunctionSpec:
    types = tuple(params.split(",")) if params else ()
    return FunctionSpec(name, f"k8s_{name}_{'_'.join(types) or 'none'}", types, result, member, impl)


FUNCTIONS: tuple[FunctionSpec, ...] = (
    spec("isSorted", "list", "bool", _is_sorted),
    spec("sum", "list", "dyn", _sum),
    spec("min", "list", "dyn", _least),
    spec("max", "list", "dyn", _greatest),
    spec("indexOf", "list,dyn", "int", _index_of),
    spec("lastIndexOf", "list,dyn", "int", _last_index_of),
    spec("find", "string,string", "string", _find),
    spec("findAll", "string,string", "list", _find_all),
    spec("findAll", "string,string,int", "list", _find_all),
    spec("sets.contains", "list,list", "bool", _set_contains, member=False),
    spec("sets.equivalent", "list,list", "bool", _set_equivalent, member=False),
    spec("sets.intersects", "list,list", "bool", _set_intersects, member=False),
    spec(f"{OVERRIDE_CONTAINER}.lists.range", "int", "list", _range, member=False),
    spec(f"{OVERRIDE_CONTAINER}.distinct", "list", "list", _distinct),
)
