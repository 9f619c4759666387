"""How the app reads a boolean env flag (ENABLE_BILLING_RETRY_WORKER, ENABLE_BILLING_STREAM_REPLAY).

One reading for the values (SL401–SL403, through checks/contract.py) and the rendered workloads
(SL806, manifests/workloads.py), so that `"0"` is off on both sides.
"""

from __future__ import annotations

import enum
from typing import Any

from .gofmt import helm_string


class Flag(enum.Enum):
    ON = "on"
    OFF = "off"
    UNSET = "unset"  # the app default applies: on


FLAG_ON = ("true", "1", "yes", "on")
FLAG_OFF = ("false", "0", "no", "off")


def read_flag(value: Any) -> Flag:
    """How the app reads a boolean env flag, case-insensitively: true/1/yes/on and false/0/no/off.

    None, a blank string and any other text (`"maybe"`, a mapping) are UNSET: the app does not
    recognise them and keeps its default, which is on. A YAML bool or number is read as Helm
    renders it (`true`, `0`). Whoever asks "does it run?" asks `read_flag(v) is not Flag.OFF`.
    """
    if isinstance(value, (bool, int, float)):
        value = helm_string(value)
    if not isinstance(value, str):
        return Flag.UNSET
    text = value.strip().lower()
    if text in FLAG_ON:
        return Flag.ON
    if text in FLAG_OFF:
        return Flag.OFF
    return Flag.UNSET
