"""Positions between starter-lint's and the Language Server Protocol's way of counting.

A `Location` counts from 1, its lines cut at every YAML line break (textio.LINE_BREAK: also NEL,
LS and PS) and its columns in code points. LSP counts from 0, cuts lines only at CR LF, CR and LF,
and counts characters in UTF-16 code units (the protocol's default position encoding, and the one
every editor supports). So a column past an emoji, or a line after a U+2028 inside a quoted
string, names a different place in each: both go through the offset into the text.
"""

from __future__ import annotations

import bisect
import re

from lsprotocol import types

from ..findings import Location
from ..textio import LINE_BREAK

_LSP_LINE_BREAK = re.compile("\r\n|[\r\n]")


def _lines(text: str, breaks: re.Pattern[str]) -> tuple[list[int], list[int]]:
    """Where each line starts, and where its text ends (before its line break)."""
    starts, ends = [0], []
    for match in breaks.finditer(text):
        ends.append(match.start())
        starts.append(match.end())
    ends.append(len(text))
    return starts, ends


class TextPositions:
    """One document's text, for converting positions both ways (built once per document
    version: each conversion is then a binary search)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._yaml_starts, self._yaml_ends = _lines(text, LINE_BREAK)
        self._lsp_starts, self._lsp_ends = _lines(text, _LSP_LINE_BREAK)

    def offset_of(self, line: int, col: int) -> int:
        """The offset of a Location's 1-based (line, column); past the end of a line or of the
        text is clamped to it (a finding may point one past a line's last character)."""
        index = min(max(line - 1, 0), len(self._yaml_starts) - 1)
        start = self._yaml_starts[index]
        return min(start + max(col - 1, 0), self._yaml_ends[index])

    def position_of(self, offset: int) -> types.Position:
        """The LSP position (0-based line, UTF-16 character) of an offset."""
        offset = min(max(offset, 0), len(self.text))
        index = bisect.bisect_right(self._lsp_starts, offset) - 1
        start = self._lsp_starts[index]
        return types.Position(line=index, character=_utf16_length(self.text[start:offset]))

    def offset_at(self, position: types.Position) -> int:
        """The offset of an LSP position; a character past its line's end is the line's end, and
        one inside a surrogate pair is the pair's start (as the protocol asks)."""
        index = min(max(position.line, 0), len(self._lsp_starts) - 1)
        start = self._lsp_starts[index]
        end = self._lsp_ends[index]
        units = 0
        for offset in range(start, end):
            width = 2 if ord(self.text[offset]) > 0xFFFF else 1
            if units + width > position.character:
                return offset
            units += width
        return end

    def location_point(self, position: types.Position) -> tuple[int, int]:
        """The 1-based (line, column) a Location would give the place an LSP position names."""
        offset = self.offset_at(position)
        index = bisect.bisect_right(self._yaml_starts, offset) - 1
        return index + 1, offset - self._yaml_starts[index] + 1

    def range_of(self, location: Location) -> types.Range:
        """The LSP range of a Location: its region where it has an end, else from its column to
        the end of its line (an editor underlines nothing for an empty range)."""
        start = self.offset_of(location.line, location.col)
        if location.end_line is not None and location.end_col is not None:
            end = self.offset_of(location.end_line, location.end_col)
        else:
            index = min(max(location.line - 1, 0), len(self._yaml_starts) - 1)
            end = self._yaml_ends[index]
        return types.Range(start=self.position_of(start), end=self.position_of(max(end, start)))


def _utf16_length(text: str) -> int:
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)
