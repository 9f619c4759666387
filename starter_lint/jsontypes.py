"""The JSON type of a loaded value, in schema words ("integer") and in message words ("a number")."""

from __future__ import annotations

from typing import Any

_SCHEMA_NAMES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (list, "array"),
    (dict, "object"),
)
_PROSE = {
    "null": "null",
    "boolean": "a boolean",
    "integer": "a number",
    "number": "a number",
    "string": "a string",
    "array": "a list",
    "object": "a mapping",
}


def json_type(value: Any) -> str:
    """JSON Schema's name for the type of `value` (bool is checked before int: it is a subclass)."""
    if value is None:
        return "null"
    for python_type, name in _SCHEMA_NAMES:
        if isinstance(value, python_type):
            return name
    return type(value).__name__


def describe_type(value: Any) -> str:
    """ "a mapping", "a list", "a string", "a number", "a boolean" or "null", for messages."""
    name = json_type(value)
    return _PROSE.get(name, name)
