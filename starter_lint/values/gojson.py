"""JSON read as Go's encoding/json reads it for `--set-json` (Helm decodes into `any`).

Python's json module is close, but differs where Helm's result would: every number is a
float64 (so `1e400` is an error and `9007199254740993` is 9007199254740992, `json_number`), no
`NaN`/`Infinity`, a lone UTF-16 surrogate escape becomes U+FFFD, and a number Go's scanner
would still be reading (`1.`, `1e`) is an error rather than a shorter number. A value may be
followed by more text (`a=1,b=2`): `decode_value` says where it ended, as Go's
`Decoder.InputOffset` does.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..gofmt import json_number

_GO_JSON_SPACE = " \t\r\n"
_SURROGATE = re.compile("[\ud800-\udfff]")


class GoJsonError(ValueError):
    """What Go's decoder says, in substance (`unexpected EOF`, `invalid character …`)."""


def _number(text: str) -> int | float:
    value = float(text)  # Go's float64; no int-digit limit as int() has
    if value in (float("inf"), float("-inf")):
        shown = text if len(text) <= 40 else f"{text[:20]}…{text[-10:]}"
        raise GoJsonError(f"json: cannot unmarshal number {shown} into Go value of type float64")
    return json_number(value)


def _no_constant(name: str) -> Any:
    raise GoJsonError(f"invalid character {name[0]!r} looking for beginning of value")


_DECODER = json.JSONDecoder(parse_float=_number, parse_int=_number, parse_constant=_no_constant)


def _nesting(text: str, start: int) -> int:
    """How deep the JSON value at `start` nests ([ and { outside strings), read up to its end."""
    depth = deepest = 0
    in_string = escaped = False
    for index in range(start, len(text)):
        ch = text[index]
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
            if depth <= 0:
                break
        elif depth == 0 and index > start and ch in ",":
            break
    return deepest


def _fix_surrogates(value: Any) -> Any:
    """Go decodes a lone surrogate escape (`\\ud800`) to U+FFFD; Python keeps it."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [_fix_surrogates(item) for item in value]
    if isinstance(value, dict):
        return {_fix_surrogates(k): _fix_surrogates(v) for k, v in value.items()}
    return value


def _go_message(text: str, exc: json.JSONDecodeError) -> str:
    """Go's words for where Python's decoder stopped (in substance: the character and why)."""
    message, pos = exc.msg, exc.pos
    if message.startswith("Illegal trailing comma"):
        # Python 3.13 stops at the comma before `]`/`}`; earlier ones (and Go) at what follows it
        pos += 1
        while pos < len(text) and text[pos] in _GO_JSON_SPACE:
            pos += 1
        message = (
            "Expecting value"
            if message.endswith("array")
            else "Expecting property name enclosed in double quotes"
        )
    if pos >= len(text) or message.startswith("Unterminated"):
        return "unexpected EOF"
    ch = text[pos]
    for word in ("true", "false", "null"):
        if message == "Expecting value" and ch == word[0]:
            for i, expected in enumerate(word):
                if pos + i >= len(text):
                    return "unexpected EOF"
                if text[pos + i] != expected:
                    return f"invalid character {text[pos + i]!r} in literal {word} (expecting {expected!r})"
    if message == "Expecting value":
        return f"invalid character {ch!r} looking for beginning of value"
    return f"invalid character {ch!r}: {message[0].lower()}{message[1:]}"


def decode_value(text: str, start: int, max_depth: int) -> tuple[Any, int]:
    """(value, end) of the one JSON value at `text[start:]` (JSON whitespace before it is
    skipped); GoJsonError as Go's Decoder fails, or when it nests deeper than `max_depth`."""
    while start < len(text) and text[start] in _GO_JSON_SPACE:
        start += 1
    if start >= len(text):
        raise GoJsonError("unexpected EOF")
    if _nesting(text, start) > max_depth:
        raise GoJsonError(f"the JSON value nests deeper than {max_depth} levels")
    try:
        value, end = _DECODER.raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise GoJsonError(_go_message(text, exc)) from None
    except RecursionError:
        raise GoJsonError(f"the JSON value nests deeper than {max_depth} levels") from None
    # Go's scanner reads `1.` and `1e` on into an error; Python's stops before the `.`/`e`
    if isinstance(value, (int, float)) and not isinstance(value, bool) and end < len(text):
        number, follows = text[start:end], text[end]
        if (follows == "." and not any(c in number for c in ".eE")) or (
            follows in "eE" and not any(c in number for c in "eE")
        ):  # Python stopped before it: no digit follows the `.` or `e`
            raise GoJsonError(
                "unexpected EOF"
                if end + 1 >= len(text)
                else f"invalid character {text[end + 1]!r} in numeric literal"
            )
    if "\\u" in text[start:end].lower():
        value = _fix_surrogates(value)
    return value, end


def decode_object(text: str, max_depth: int) -> dict[str, Any]:
    """`text` as one JSON object and nothing after it but whitespace (Go's json.Unmarshal)."""
    value, end = decode_value(text, 0, max_depth)
    rest = text[end:].strip(_GO_JSON_SPACE)
    if rest:
        raise GoJsonError(f"invalid character {rest[0]!r} after top-level value")
    if not isinstance(value, dict):
        raise GoJsonError("not a JSON object")
    return value
