"""Positions between Locations (1-based, YAML line breaks, code points) and LSP positions
(0-based, CR/LF line breaks, UTF-16 code units)."""

from __future__ import annotations

from lsprotocol import types

from starter_lint.findings import Location
from starter_lint.server.positions import TextPositions


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def test_ascii_round_trip():
    text = "a: 1\nbb: 2\n"
    positions = TextPositions(text)
    assert positions.range_of(Location("v.yaml", 2, 1)) == types.Range(start=pos(1, 0), end=pos(1, 5))
    assert positions.location_point(pos(1, 4)) == (2, 5)


def test_astral_characters_count_two_utf16_units():
    text = "k: '😀x'\n"
    positions = TextPositions(text)
    # column 6 (code points) is the x after the emoji: "k: '" is 4 UTF-16 units, the emoji 2
    assert positions.position_of(positions.offset_of(1, 6)) == pos(0, 6)
    assert positions.location_point(pos(0, 6)) == (1, 6)
    # a character inside the surrogate pair names the pair's start
    assert positions.location_point(pos(0, 5)) == (1, 5)


def test_yaml_only_line_breaks_do_not_shift_lsp_lines():
    # U+2028 ends a line for YAML (and so for a Location) but not for the editor
    text = "a: 'x\u2028y'\nb: 2\n"
    positions = TextPositions(text)
    assert positions.range_of(Location("v.yaml", 3, 1)).start == pos(1, 0)
    assert positions.location_point(pos(1, 0)) == (3, 1)


def test_crlf_and_clamping():
    text = "a: 1\r\nb: 2"
    positions = TextPositions(text)
    assert positions.range_of(Location("v.yaml", 2, 1)) == types.Range(start=pos(1, 0), end=pos(1, 4))
    # past the end of a line or of the text is clamped, never an error
    assert positions.range_of(Location("v.yaml", 1, 99)).start == pos(0, 4)
    assert positions.range_of(Location("v.yaml", 40, 1)).start == pos(1, 0)
    assert positions.location_point(pos(7, 80)) == (2, 5)


def test_region_with_an_end():
    text = "a:\n  b: long\n"
    loc = Location("v.yaml", 2, 6, end_line=2, end_col=10)
    assert TextPositions(text).range_of(loc) == types.Range(start=pos(1, 5), end=pos(1, 9))


def test_empty_text():
    positions = TextPositions("")
    assert positions.range_of(Location("v.yaml", 1, 1)) == types.Range(start=pos(0, 0), end=pos(0, 0))
    assert positions.location_point(pos(0, 0)) == (1, 1)
