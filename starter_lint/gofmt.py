"""How Go prints numbers, and so how Helm shows a value: one formatter for every reader.

Helm holds every number of its values as a float64 (its values go through JSON), so a template's
`{{ .Values.x }}` prints Go's `%v` of a float64 (`1e+06` for 1000000), sigs.k8s.io/yaml turns a
float map key into a string through a float32, and encoding/json writes an integral float64 in
full with its shortest digits (12345678901234567000). All three rest on strconv's shortest
decimal digits of a float; this module is that, and nothing else (a leaf: no imports of ours).
"""

from __future__ import annotations

import math
import struct
from typing import Any

_JSON_EXACT_INTEGERS = 2**53  # every integer up to here is a float64 of its own
_JSON_EXPONENT_FROM = 1e21  # encoding/json writes an exponent from here on


def shortest_digits(value: float, bits: int = 64) -> tuple[str, str, int]:
    """strconv's shortest decimal form of a finite, non-zero float64 (or of a float32 value):
    (sign, digits, point) with value = sign 0.digits x 10**point, no trailing zero in digits."""
    if bits == 32:
        for precision in range(9):  # 9 significant digits always read back as the same float32
            text = f"{value:.{precision}e}"
            if _as_float32(float(text)) == value:
                break
    else:
        text = repr(value)  # Python's repr is the shortest float64 round trip, as Go's is
    sign = "-" if text.startswith("-") else ""
    mantissa, _, exponent = text.lstrip("-").partition("e")
    whole, _, fraction = mantissa.partition(".")
    written = whole + fraction
    digits = written.lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(written) - len(digits))
    return sign, digits.rstrip("0"), point


def format_float(value: float, bits: int = 64) -> str:
    """strconv.FormatFloat(value, 'g', -1, bits): Go's `%v` of a float64 (bits=64) or float32."""
    if math.isnan(value):
        return "NaN"
    if bits == 32:
        try:
            value = _as_float32(value)
        except OverflowError:  # beyond float32: Go prints +Inf
            return "+Inf" if value > 0 else "-Inf"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0" if math.copysign(1, value) > 0 else "-0"
    sign, digits, point = shortest_digits(value, bits)
    exponent = point - 1
    if exponent < -4 or exponent >= 6:  # 'g' with shortest precision switches at 1e+06 (eprec = 6)
        fraction = digits[1:]
        shown_exponent = f"{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
        return f"{sign}{digits[0]}{'.' + fraction if fraction else ''}e{shown_exponent}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return f"{sign}{digits}{'0' * (point - len(digits))}"
    return f"{sign}{digits[:point]}.{digits[point:]}"


def helm_string(value: Any) -> str:
    """What `{{ .Values.x | quote }}` yields: Go's %v of a bool or float64 (1e+06 for 1000000)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        try:
            amount = float(value)
        except OverflowError:  # an integer beyond float64: Go reads it as ±Inf
            return "+Inf" if value > 0 else "-Inf"
        if amount == 0:
            return "0"  # the loader reads -0 as the integer 0 (json_number), so a zero prints as 0
        return format_float(amount)
    return str(value)


def json_number(value: float) -> int | float:
    """A finite float64 as encoding/json writes it, read back: an integral value below 1e21 is
    written in full with its shortest digits and comes back as that int (12345678901234567000
    for 12345678901234567890); any other value stays the float."""
    if value.is_integer() and abs(value) < _JSON_EXPONENT_FROM:
        if abs(value) <= _JSON_EXACT_INTEGERS:
            return int(value)
        sign, digits, point = shortest_digits(value)
        return int(f"{sign}{digits}{'0' * (point - len(digits))}")
    return value


def _as_float32(value: float) -> float:
    """`value` rounded to the nearest float32 (OverflowError beyond its range)."""
    single: float = struct.unpack("f", struct.pack("f", value))[0]
    return single
