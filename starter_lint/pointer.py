"""JSON pointers (RFC 6901): how findings name a node inside a rendered object.

`""` is the whole document and `"/"` is the key `""` of it (RFC 6901 §5); `~1` stands for `/`
and `~0` for `~` within a token. A pointer that does not start with `/` is read as if it did
(lenient for hand-written pointers; the tool itself only builds well-formed ones). An array
index is `0` or ASCII digits without a leading zero (§4): `"²"` or `"01"` never index a list.
"""

from __future__ import annotations

import re
from typing import Any

_INDEX = re.compile(r"(?:0|[1-9][0-9]*)\Z")


def escape(token: Any) -> str:
    """One reference token: `~` -> `~0`, `/` -> `~1`."""
    return str(token).replace("~", "~0").replace("/", "~1")


def build(*tokens: Any) -> str:
    """The pointer of the keys and indices `tokens` (none: the whole document)."""
    joined = "/".join(map(str, tokens))
    # nearly no key holds `~` or `/`: then the pointer is the tokens joined, with no escape
    # call per token (a schema error or a finding builds one of ten or more tokens)
    if tokens and "~" not in joined and joined.count("/") == len(tokens) - 1:
        return "/" + joined
    return "".join("/" + escape(token) for token in tokens)


def tokens(pointer: str) -> list[str]:
    """The unescaped reference tokens of `pointer` (`""` -> [], `"/"` -> [""])."""
    if not pointer:
        return []
    text = pointer[1:] if pointer.startswith("/") else pointer
    return [token.replace("~1", "/").replace("~0", "~") for token in text.split("/")]


# digits of the longest index a list can have: a longer token (a mapping key of thousands of
# digits, where a walk meets a list) is past any end, and Python refuses int() of 4,300 digits
_MAX_INDEX_DIGITS = 18


def is_index(token: str) -> bool:
    """Whether a token names a list position (digits, no leading zero, at most 18 of them)."""
    return len(token) <= _MAX_INDEX_DIGITS and _INDEX.match(token) is not None


def index(token: str, length: int) -> int | None:
    """The list position a token names in a list of `length` items, or None."""
    if not is_index(token):
        return None
    position = int(token)
    return position if position < length else None


def path(pointer: str) -> tuple[str | int, ...]:
    """The pointer as a path tuple, array indices as ints (for `format_path`)."""
    return tuple(int(token) if is_index(token) else token for token in tokens(pointer))


def value_at(node: Any, pointer: str) -> Any:
    """The node at `pointer` inside `node`, or None when it is not there."""
    for token in tokens(pointer):
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list) and index(token, len(node)) is not None:
            node = node[int(token)]
        else:
            return None
    return node
