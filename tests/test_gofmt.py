"""Go's number formatting (starter_lint.gofmt): strconv's shortest 'g' for float64 and float32,
Helm's `%v` of a value, encoding/json's integral numbers. Expected strings are Go's output."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from starter_lint.gofmt import format_float, helm_string, json_number, shortest_digits


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (100.0, "100"),
        (-2.5, "-2.5"),
        (999999.0, "999999"),
        (123456.7, "123456.7"),
        (1e6, "1e+06"),  # 'g' with shortest precision switches to an exponent at 1e+06
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (0.000123, "0.000123"),
        (1e21, "1e+21"),
        (12345678901234567890.0, "1.2345678901234567e+19"),
        (5e-324, "5e-324"),
        (1.7976931348623157e308, "1.7976931348623157e+308"),
        (-0.0, "-0"),
        (0.0, "0"),
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
    ],
)
def test_format_float64_is_strconv_g_shortest(value, expected):
    assert format_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.1, "0.1"),  # the float32 nearest 0.1, printed with the digits a float32 needs
        (1.1, "1.1"),
        (2.5, "2.5"),
        (16777217.0, "1.6777216e+07"),  # rounds to the float32 16777216
        (3.4028235e38, "3.4028235e+38"),  # the largest float32
        (1e39, "+Inf"),  # beyond float32
        (-1e39, "-Inf"),
        (1e-45, "1e-45"),  # the smallest float32 denormal
        (-0.0, "-0"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
    ],
)
def test_format_float32_rounds_to_float32_first(value, expected):
    assert format_float(value, 32) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (1000000, "1e+06"),
        (1500, "1500"),
        (0.5, "0.5"),
        (-0.0, "0"),  # the loader reads -0 as the integer 0: a zero always prints as 0
        (10**400, "+Inf"),  # an integer beyond float64
        (-(10**400), "-Inf"),
        ("text", "text"),
        (None, "None"),
    ],
)
def test_helm_string_is_go_percent_v(value, expected):
    assert helm_string(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1.0, 1),
        (-3.0, -3),
        (2.0**53, 9007199254740992),
        (12345678901234567890.0, 12345678901234567000),  # shortest digits, not ...7168
        (-1e20, -100000000000000000000),
        (1e21, 1e21),  # encoding/json writes an exponent from 1e21: stays a float
        (1.5, 1.5),
    ],
)
def test_json_number_writes_integral_floats_in_full(value, expected):
    result = json_number(value)
    assert result == expected and type(result) is type(expected)


@pytest.mark.parametrize(
    ("value", "bits", "expected"),
    [
        (123.0, 64, ("", "123", 3)),
        (0.0001, 64, ("", "1", -3)),
        (-1e16, 64, ("-", "1", 17)),
        (0.1, 64, ("", "1", 0)),
        (struct.unpack("f", struct.pack("f", 0.1))[0], 32, ("", "1", 0)),
    ],
)
def test_shortest_digits(value, bits, expected):
    assert shortest_digits(value, bits) == expected


@given(st.floats(allow_nan=False, allow_infinity=False).filter(lambda f: f != 0))
def test_float64_text_reads_back_as_the_same_float(value):
    text = format_float(value)
    assert float(text) == value
    sign, digits, point = shortest_digits(value)
    assert float(f"{sign}0.{digits}e{point}") == value and not digits.endswith("0")


@given(st.floats(width=32, allow_nan=False, allow_infinity=False).filter(lambda f: f != 0))
def test_float32_text_reads_back_as_the_same_float32(value):
    text = format_float(value, 32)
    assert struct.unpack("f", struct.pack("f", float(text)))[0] == value
