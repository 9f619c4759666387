"""Walking loaded YAML/JSON data (dicts, lists, scalars) with the path to every node."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def walk(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, node) for the node and everything below it, depth first, in document order."""
    yield path, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, path + (key,))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, path + (i,))


def leaves(node: Any, *, empty_containers: bool = False) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """(path, value) of every scalar; with `empty_containers`, `{}` and `[]` count as leaves too."""
    for path, value in walk(node):
        if not isinstance(value, (dict, list)) or (empty_containers and not value):
            yield path, value


def merge_maps(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    """Helm's mergeMaps: a new dict; maps merge recursively, `top` wins, nulls are kept."""
    out = dict(base)
    for key, value in top.items():
        below = out.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            out[key] = merge_maps(below, value)
        else:
            out[key] = value
    return out


def get_path(data: Any, path: tuple[Any, ...], default: Any = None) -> Any:
    """The value at `path` (keys and list indices), or `default` when any step is missing."""
    node = data
    for part in path:
        if (isinstance(node, dict) and not isinstance(part, int) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            node = node[part]
        else:
            return default
    return node


def same_values(a: Any, b: Any) -> bool:
    """Equal as Helm values: types matter (true is not 1), int and float do not (Helm's float64)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_values(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_values(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and a == b


def differing_paths(
    a: dict[str, Any], b: dict[str, Any], path: tuple[Any, ...] = ()
) -> Iterator[tuple[Any, ...]]:
    """The paths where two values trees differ, as deep as both are maps: a key only one has, or
    whose values are not `same_values`; in `a`'s key order, then `b`'s new keys."""
    for key in list(a) + [k for k in b if k not in a]:
        here = path + (key,)
        if key in a and key in b and isinstance(a[key], dict) and isinstance(b[key], dict):
            yield from differing_paths(a[key], b[key], here)
        elif key not in a or key not in b or not same_values(a[key], b[key]):
            yield here
