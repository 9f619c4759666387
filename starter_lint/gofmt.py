"""How Go and Helm print a value as a string: what `{{ .Values.x | quote }}` yields.

Helm holds every values number as a float64 (after its JSON round trip) and prints it with Go's
%v; a leaf helper, so both the checks (SL604's "write it as a string") and `fix` (does a fix keep
what Helm renders?) read the one formatter.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any


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
            return "0"
        if not math.isfinite(amount):
            return {"nan": "NaN", "inf": "+Inf", "-inf": "-Inf"}[repr(amount)]  # Go's %v
        digits_tuple = Decimal(repr(amount)).normalize().as_tuple()
        digits = "".join(str(d) for d in digits_tuple.digits)
        sign = "-" if digits_tuple.sign else ""
        point = len(digits) + digits_tuple.exponent  # position of the decimal point
        exponent = point - 1
        if exponent < -4 or exponent >= 6:
            # strconv 'g' with shortest precision switches to %e at exponent 6 (eprec = 6)
            fraction = digits[1:]
            return f"{sign}{digits[0]}{'.' + fraction if fraction else ''}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return f"{sign}{digits}{'0' * (point - len(digits))}"
        return f"{sign}{digits[:point]}.{digits[point:]}"
    return str(value)
