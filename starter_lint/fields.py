"""Reading a field of loaded YAML/JSON data as the type a rule needs, or as nothing.

A field of the wrong type is SL100's (values) or SL701's (manifests) to report; every other rule
reads fields through `as_list` / `as_dict` / `number` and skips what it cannot read. The values
checks, the chart contract accessors and the rendered-workload model share these readings.
"""

from __future__ import annotations

from typing import Any


def as_list(value: Any) -> list[Any]:
    """`value` when it is a list, else [] (a wrong type is another rule's finding)."""
    return value if isinstance(value, list) else []


def as_dict(value: Any) -> dict[Any, Any]:
    """`value` when it is a mapping, else {}."""
    return value if isinstance(value, dict) else {}


def number(value: Any) -> float | None:
    """`value` when it is a YAML number a float can hold (not a bool), else None.

    An integer too large for a float64 is no number here: Kubernetes and Helm cannot hold it
    either (SL701 / SL100 report it), and it could not be compared with or shown as a float.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if isinstance(value, int):
        try:
            float(value)
        except OverflowError:
            return None
    return value
