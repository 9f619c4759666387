"""The `--baseline` file: findings accepted by fingerprint (`starter-lint baseline` writes it)."""

from __future__ import annotations

import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING

from ..errors import StarterLintError
from ..paths import read_control_file

if TYPE_CHECKING:
    from collections.abc import Iterable
    from typing import Any

    from ..findings import Finding

# 2: fingerprints name list items by their key (identity.py), not their position; the
# fingerprints of version 1 files no longer match, so such a file is refused, not silently ignored
BASELINE_VERSION = 2
MAX_BASELINE_BYTES = 32 * 1024 * 1024  # a baseline of 100k findings is about 30 MB


@lru_cache(maxsize=8)
def _load_baseline(path: str, mtime: float) -> frozenset[str]:
    text = read_control_file(path, MAX_BASELINE_BYTES, "--baseline")
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise StarterLintError(f"--baseline {path}: not JSON ({exc})") from None
    version = document.get("version") if isinstance(document, dict) else None
    if isinstance(version, int) and not isinstance(version, bool) and version != BASELINE_VERSION:
        if version < BASELINE_VERSION:
            raise StarterLintError(
                f"--baseline {path}: written by an older starter-lint (baseline version {version}, whose "
                f"fingerprints held list positions); regenerate it with `starter-lint baseline --output {path}`"
            )
        raise StarterLintError(
            f"--baseline {path}: baseline version {version} is newer than this "
            f"starter-lint reads ({BASELINE_VERSION}); upgrade starter-lint"
        )
    entries = document.get("findings") if isinstance(document, dict) else None
    if not isinstance(entries, list) or not all(
        isinstance(e, dict) and isinstance(e.get("fingerprint"), str) for e in entries
    ):
        raise StarterLintError(
            f"--baseline {path}: not a starter-lint baseline "
            "(expected {\"findings\": [{\"fingerprint\": ...}]}; "
            "write one with `starter-lint baseline --output FILE`)"
        )
    return frozenset(e["fingerprint"] for e in entries)


def baseline_fingerprints(path: str) -> frozenset[str]:
    try:
        mtime = os.path.getmtime(path)
    except OSError:
        mtime = 0.0
    return _load_baseline(os.path.abspath(path), mtime)


def baseline_document(findings: Iterable[Finding]) -> dict[str, Any]:
    """What `starter-lint baseline` writes: sorted fingerprints, with context for humans."""
    entries: dict[str, dict[str, Any]] = {}
    for finding in findings:
        entries[finding.fingerprint] = {
            "fingerprint": finding.fingerprint,
            "rule": finding.rule,
            "path": finding.location.path,
            "logical": finding.logical,
            "identity": finding.identity or finding.logical,
            "message": finding.message,
        }
    return {
        "version": BASELINE_VERSION,
        "tool": "starter-lint",
        "findings": [entries[key] for key in sorted(entries)],
    }
