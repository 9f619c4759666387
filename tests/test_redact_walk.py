"""`secret_parts` finds exactly what the plain path-by-path classifier finds.

The walk decides "below a secret path" as it descends and skips strings with no URL and no
`NAME=value`; the reference below is the straightforward classifier it replaced (every scalar's
full path tested on its own). Both run on every YAML file under tests/ and on random trees made
of the keys and values the rules care about.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from starter_lint.redact import (
    _ENV_ASSIGNMENT,
    credential_spans,
    is_credential_name,
    is_secret_key,
    merge_spans,
    secret_parts,
)

TESTS = Path(__file__).resolve().parent
WHOLE_BELOW = [(), ("data", "stringData")]


def _secret_by_path(path: tuple, value: Any = None) -> bool:
    if len(path) >= 2 and "secrets" in path[1:-1]:
        return True
    if len(path) >= 2 and path[-1] == "secrets" and not isinstance(value, (dict, list)):
        return True
    return any(
        (
            _env_key(path[i - 1])
            and is_secret_key(path[i])
            and not (len(path) > i + 2 and path[i + 1] == "valueFrom")
        )
        or path[i - 1] == "stringData"
        for i in range(1, len(path))
    )


def _env_key(key: Any) -> bool:
    """`env`, `extraEnv`, `ENV`: a key of environment variables."""
    return isinstance(key, str) and key.lower()[-3:] == "env"


def _credential_named(path: tuple, node: Any, in_list: tuple, owner_map: Any) -> bool:
    """A string or number at a credential-named key, or in lists written there (`in_list[i]`:
    path[i] is a list index, not a map key; `owner_map`: the map that holds that key); not a
    `secret:` beside a `key:` or `name:` (a reference to a Secret); a PEM private key anywhere."""
    keys = [part for part, index in zip(path, in_list, strict=True) if not index]
    if isinstance(node, str) and "PRIVATE KEY-----" in node and "-----BEGIN" in node:
        return True
    if isinstance(node, bool) or not keys or not is_credential_name(keys[-1]):
        return False
    return not (keys[-1].lower() == "secret" and ("key" in owner_map or "name" in owner_map))


def reference_secret_parts(data: Any, whole_below: tuple = ()) -> list:
    out = []
    stack: list = [((), data, None, (), None)]
    while stack:
        path, node, parent, in_list, owner_map = stack.pop()
        if isinstance(node, dict):
            stack.extend(
                (path + (key,), value, node, in_list + (False,), node)
                for key, value in reversed(list(node.items()))
            )
            continue
        if isinstance(node, list):
            stack.extend(
                (path + (i,), value, node, in_list + (True,), owner_map)
                for i, value in reversed(list(enumerate(node)))
            )
            continue
        if node is None:
            continue
        if (
            _secret_by_path(path, node)
            or _credential_named(path, node, in_list, owner_map)
            or (path and path[0] in whole_below)
            or (
                path
                and path[-1] == "value"
                and isinstance(parent, dict)
                and is_secret_key(parent.get("name"))
            )
        ):
            out.append((path, node, None))
            continue
        if not isinstance(node, str):
            continue
        spans = credential_spans(node)
        if len(path) >= 2 and _env_key(path[-2]) and isinstance(path[-1], int):
            assignment = _ENV_ASSIGNMENT.fullmatch(node)
            if assignment and is_secret_key(assignment.group(1)):
                spans = merge_spans(spans + [assignment.span(2)])
        if spans:
            out.append((path, node, spans))
    return out


KEYS = [
    "secrets",
    "env",
    "extraEnv",
    "valueFrom",
    "apiKeys",
    "secretKeys",
    "stringData",
    "data",
    "value",
    "name",
    "DB_PASSWORD",
    "PUBLIC_KEY",
    "password",
    "postgresPassword",
    "existingSecret",
    "apiKey",
    "secret",
    "key",
    "keystorePass",
    "spec",
    "a",
    0,
    1,
    True,
]
SCALARS = [
    "x",
    "postgres://user:pw@db:5432/app",
    "see https://u:p@h.example/x",
    "API_TOKEN=abc",
    "DB_PASSWORD=hunter2",
    "PLAIN=1",
    "true",
    False,
    ["x", 3],
    "DB_PASSWORD",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
    "",
    1,
    2.5,
    True,
    None,
]


def _tree(rng: random.Random, depth: int) -> Any:
    roll = rng.random()
    if depth <= 0 or roll < 0.35:
        return rng.choice(SCALARS)
    if roll < 0.7:
        return {rng.choice(KEYS): _tree(rng, depth - 1) for _ in range(rng.randint(0, 4))}
    return [_tree(rng, depth - 1) for _ in range(rng.randint(0, 3))]


@pytest.mark.parametrize("seed", range(300))
def test_random_trees(seed):
    rng = random.Random(seed)
    data = _tree(rng, 6)
    for whole_below in WHOLE_BELOW:
        assert list(secret_parts(data, whole_below)) == reference_secret_parts(data, whole_below)


def _loaded_fixtures() -> list:
    out = []
    for path in sorted(TESTS.rglob("*.yaml")) + sorted(TESTS.rglob("*.yml")):
        try:
            out.extend(yaml.safe_load_all(path.read_text(encoding="utf-8")))
        except (yaml.YAMLError, UnicodeDecodeError, ValueError):
            continue
    return out


def test_fixtures():
    documents = _loaded_fixtures()
    assert documents
    for data in documents:
        for whole_below in WHOLE_BELOW:
            assert list(secret_parts(data, whole_below)) == reference_secret_parts(data, whole_below)


@pytest.mark.parametrize("above", ["plain", "secrets", "data", "credential list", "env"])
def test_deep_nesting_in_every_context(above):
    """The walk recurses once or twice per level: data nested deeper than the loaders allow, in
    and out of a secret context, is walked from Python's default recursion limit (secret_parts
    makes room, as the CLI does), its secrets found at the bottom."""
    import sys

    from starter_lint.textio import MAX_DEPTH

    trees = []
    for bottom in ({"password": "s3cret-value"}, ["postgres://u:pw@db/x"]):
        data: Any = bottom
        for level in range(MAX_DEPTH + 100):
            data = {f"k{level % 7}": data} if level % 3 else [data]
        trees.append(
            {
                "plain": {"a": data},
                "secrets": {"app": {"secrets": data}},
                "data": {"data": data},
                "credential list": {"apiKeys": [data]},
                "env": {"env": {"X": data}},
            }[above]
        )
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)  # Python's default, as a library caller's may be
    try:
        found = [list(secret_parts(tree, ("data",))) for tree in trees]
    finally:
        sys.setrecursionlimit(before)
    assert found == [reference_secret_parts(tree, ("data",)) for tree in trees]
    assert all(found)


def test_plain_keys_learnt_in_one_walk_change_nothing_in_the_next():
    """A key learnt as plain in one context (`password` is never learnt: it names a credential)
    is plain in every other: the same tree walked twice, and after other trees, gives the same."""
    rng = random.Random(7)
    trees = [_tree(rng, 6) for _ in range(50)]
    first = [list(secret_parts(tree, ("data", "stringData"))) for tree in trees]
    again = [list(secret_parts(tree, ("data", "stringData"))) for tree in reversed(trees)]
    assert first == list(reversed(again))
    assert first == [reference_secret_parts(tree, ("data", "stringData")) for tree in trees]
