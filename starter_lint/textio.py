"""Text as every YAML reader here receives it: bytes decoded the way go-yaml accepts them
(UTF-8, or UTF-16 with a BOM), and the error a file that cannot be read as YAML raises.

Kept apart from yamlio (the Helm values loader) so that reading manifests does not import it.
"""

from __future__ import annotations

import codecs

# YAML nesting deeper than this is refused (json and Python recursion), by every reader of
# YAML-shaped input: the loaders, the go-yaml scanner port and `--set`
MAX_DEPTH = 500


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
