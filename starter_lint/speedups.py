"""The switch for the fast paths (event-built objects, event-stream positions, …).

Each fast path reads `FAST_PATHS` when it runs and falls back to the general path (the one that
handles every YAML feature) when it is off. The tests turn it off to prove the two give the same
report byte for byte; users never need to.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FAST_PATHS = True
# allocations (net of those freed) between young collections while the live objects are frozen
# (700 by default): what the checks and the policies' findings keep is alive until the report,
# and each young collection walks it again, each tenth an older generation, and then a full one
# (at 500 releases with 20 policies: 0.03 s of collections, one full)
YOUNG_COLLECTION_THRESHOLD = 100_000


@contextmanager
def live_objects_frozen() -> Iterator[None]:
    """What is alive now (a target's loaded manifests and values: hundreds of thousands of
    containers, none garbage until the target ends) kept out of the cyclic collector's walks
    until the block ends (`gc.freeze`). The checks and the reports allocate on top of it, and
    every full collection they trigger would walk all of it (at 500 releases with 20 policies:
    two or three of them, 0.04 s each, in the parent alone). Unfrozen at the end, into the oldest
    generation, where a later full collection finds any cycle among them. Skipped when the fast
    paths are off, or when objects are frozen already (by a caller, on purpose: unfreezing
    would release theirs too)."""
    if not FAST_PATHS or gc.get_freeze_count():
        yield
        return
    gc.freeze()
    thresholds = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        # what the block made and still holds (a target's findings, up to the threshold's worth)
        # joins the oldest generation with the objects frozen before it: left young, the next
        # collections would walk all of it twice more before the report is written
        gc.freeze()
        gc.unfreeze()
