"""The folder starter-lint caches schemas in (`STARTER_LINT_CACHE_DIR`, else the XDG cache), a
private one for the run when that cannot be written, and atomic writes into it.
"""

from __future__ import annotations

import atexit
import os
from functools import lru_cache
from pathlib import Path


def cache_root() -> Path:
    explicit = os.environ.get("STARTER_LINT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "starter-lint"


def write_atomically(path: Path, text: str) -> None:
    import tempfile  # deferred: a run whose schemas are cached writes nothing (it imports shutil)

    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


@lru_cache(maxsize=1)
def run_cache_root() -> Path:
    """A private folder for this run alone, removed at exit: the cache when `cache_root()` cannot
    be written (a read-only home in a CI container). Slower, never wrong."""
    import shutil  # deferred: only when the cache cannot be written
    import tempfile  # deferred: only when the cache cannot be written

    folder = tempfile.mkdtemp(prefix="starter-lint-cache-")
    atexit.register(shutil.rmtree, folder, True)
    return Path(folder)
