"""The switch for the fast paths (event-built objects, event-stream positions, …).

Each fast path reads `FAST_PATHS` when it runs and falls back to the general path (the one that
handles every YAML feature) when it is off. The tests turn it off to prove the two give the same
report byte for byte; users never need to.
"""

from __future__ import annotations

FAST_PATHS = True
