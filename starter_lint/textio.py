"""Text as every YAML reader here receives it: bytes decoded the way go-yaml accepts them
(UTF-8, or UTF-16 with a BOM), and the error a file that cannot be read as YAML raises.

Kept apart from yamlio (the Helm values loader) so that reading manifests does not import it.
"""

from __future__ import annotations

import codecs
import re
import sys

# YAML nesting deeper than this is refused (json and Python recursion), by every reader of
# YAML-shaped input: the loaders, the go-yaml scanner port and `--set`
MAX_DEPTH = 500
# what the walks over loaded data need (one or two Python calls per level): Python's default of
# 1,000 would leave MAX_DEPTH levels no room below a caller's own frames
RECURSION_LIMIT = 10_000


def room_for_nesting() -> None:
    """Raise Python's recursion limit to RECURSION_LIMIT (never lower it)."""
    if sys.getrecursionlimit() < RECURSION_LIMIT:
        sys.setrecursionlimit(RECURSION_LIMIT)


# The line breaks YAML 1.1 counts, as libyaml and go-yaml do when they give a position: CR LF, CR,
# LF, NEL, LS, PS. Every line number here is a line in this sense, so a line is cut the same way
# wherever it is counted (str.splitlines also cuts at \v, \f and \x1c-\x1e; str.split("\n") misses
# CR, NEL, LS and PS), and a position from the parser always names a line that exists.
LINE_BREAK_CHARS = "\r\n\x85\u2028\u2029"
LINE_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


class YamlLoadError(Exception):
    """The text is not YAML Helm would load (syntax, top-level type, aliasing, Inf/NaN…)."""

    def __init__(self, message: str, line: int = 1, col: int = 1):
        super().__init__(message)
        self.message = message
        self.line = line
        self.col = col


def decode_bytes(raw: bytes) -> str:
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise YamlLoadError(f"invalid UTF-16 at byte {exc.start}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise YamlLoadError(f"not UTF-8 text (invalid byte at offset {exc.start})", line, 1) from None
    return text


def split_lines(text: str, keepends: bool = False) -> list[str]:
    """The lines of `text` as YAML counts them (like str.splitlines: no empty last line for a
    final break); `keepends` keeps each line's break, so joining them gives `text` back."""
    if not keepends:
        lines = LINE_BREAK.split(text)
        return lines[:-1] if lines[-1] == "" else lines
    out, start = [], 0
    for match in LINE_BREAK.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


# one line and its break, as LINE_BREAK cuts it (a CR followed by LF is one break: `\r(?!\n)`
# keeps a failed match from backtracking into counting it as two)
_LINE = f"(?:[^{LINE_BREAK_CHARS}]*(?:\r\n|\r(?!\n)|[{LINE_BREAK_CHARS.replace(chr(13), '')}]))"
# the same, for a text without U+2028 and U+2029: its character classes hold no character past
# Latin-1, so each pattern compiles in a fifth of the time (0.35 ms of a small run's start-up each)
_NARROW_LINE = "(?:[^\r\n\x85]*(?:\r\n|\r(?!\n)|[\n\x85]))"
# (whether the text may hold U+2028/U+2029, n: a power of two up to 64) -> a pattern of n lines
_SKIPS: dict[tuple[bool, int], re.Pattern[str]] = {}


def wide_breaks(text: str) -> bool:
    """Whether `text` holds a line break past Latin-1 (U+2028, U+2029): at once for a text of
    Latin-1 characters only, one scan of it otherwise."""
    return "\u2028" in text or "\u2029" in text


def after_lines(text: str, offset: int, count: int, wide: bool = True) -> int | None:
    """Where the line `count` lines below the one that starts at `offset` starts (past `count`
    line breaks), None when fewer breaks follow: skipped by the regex engine in steps of up to 64
    lines, not one match object and one Python step per line. `wide=False` when the text holds
    no U+2028 or U+2029 (`wide_breaks`)."""
    while count > 0:
        step = 1 << min(count.bit_length() - 1, 6)
        pattern = _SKIPS.get((wide, step))
        if pattern is None:
            pattern = _SKIPS[wide, step] = re.compile(f"{_LINE if wide else _NARROW_LINE}{{{step}}}")
        match = pattern.match(text, offset)
        if match is None:
            return None
        offset, count = match.end(), count - step
    return offset


def line_at(text: str, index: int) -> int:
    """The 1-based line of the character at `index`, lines cut where YAML cuts them."""
    # counted in C, not matched: a large stream's line is asked for once, far into it
    breaks = sum(text.count(char, 0, index) for char in LINE_BREAK_CHARS) - text.count("\r\n", 0, index)
    return breaks + 1


MESSAGE_TEXT_LIMIT = 200  # characters of an input's own text a message or provenance line quotes


def clipped(text: str, limit: int = MESSAGE_TEXT_LIMIT) -> str:
    """`text` as a message quotes it: whole, or its first `limit` characters and the length (a
    120 KB --set-json in an error line, or once per list item in provenance, helps nobody)."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"
