"""Reading input files: one place decides display paths, size limits and read errors."""
from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from .errors import InputError


def display_path(path, cwd=None) -> str:
    """Relative to the working directory when inside it (SARIF wants relative URIs)."""
    if str(path) == "-":
        return "<stdin>"
    absolute = Path(os.path.abspath(path))
    base = Path(os.path.abspath(cwd or os.getcwd()))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()


_stdin: dict = {}
_instead: dict = {}     # absolute path -> bytes read in place of the file (`reading_instead`)


class reading_instead:
    """Within the block, reading these files (absolute path -> text) gives the text instead:
    how `fix` checks what its edits would leave before (or without) writing them."""

    def __init__(self, texts: dict):
        self.texts = {os.path.abspath(path): text.encode("utf-8") for path, text in texts.items()}

    def __enter__(self):
        _instead.update(self.texts)
        return self

    def __exit__(self, *exc):
        for path in self.texts:
            _instead.pop(path, None)


def _stdin_bytes(limit) -> bytes:
    """Standard input, read once: every target that names `-` sees the same bytes."""
    import sys

    if "data" not in _stdin:
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            text = sys.stdin.read() if limit is None else sys.stdin.read(limit + 1)
            _stdin["data"] = text.encode("utf-8", "surrogateescape")
        else:
            _stdin["data"] = stream.read() if limit is None else stream.read(limit + 1)
    return _stdin["data"]


def read_bytes(path, limit: int | None = None) -> bytes:
    """The file's bytes, at most `limit + 1` of them (so the caller can tell it was too large);
    `-` is standard input, as Helm reads `-f -`."""
    if str(path) == "-":
        return _stdin_bytes(limit)
    if _instead and os.path.abspath(path) in _instead:
        data = _instead[os.path.abspath(path)]
        return data if limit is None else data[:limit + 1]
    p = Path(path)
    try:
        if p.is_dir():
            raise InputError(f"{path}: is a directory, not a file")
        with open(p, "rb") as handle:
            return handle.read() if limit is None else handle.read(limit + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except PermissionError:
        raise InputError(f"{path}: permission denied") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None


@lru_cache(maxsize=None)
def _repo_root(start: str) -> Path:
    folder = Path(start)
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def repo_root(cwd=None) -> Path:
    """The git top level above the working directory, else the working directory."""
    return _repo_root(os.path.abspath(cwd or os.getcwd()))


@lru_cache(maxsize=4096)
def repo_relative(shown: str, cwd=None) -> str:
    """A display path as its repository sees it (POSIX, from the git top level above the file),
    so that a fingerprint is the same whichever folder the tool ran from. Pseudo paths
    (`<stdin>`, `<rendered chart>`) keep only what they are, not where the chart was."""
    if not shown or shown == "--set":
        return shown
    if shown.startswith("<"):
        return shown.split(" ", 1)[0].rstrip(">") + ">"
    base = os.path.abspath(cwd or os.getcwd())
    absolute = Path(os.path.abspath(os.path.join(base, shown)))
    root = _repo_root(str(absolute.parent))
    if not (root / ".git").exists():
        root = repo_root(cwd)
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def write_atomic(path, text: str, what: str = "") -> None:
    """Write `text` to `path` through a temporary file and a rename, so that a reader never sees
    half a file. A new file gets the permissions the umask gives; an existing one keeps its own."""
    import tempfile

    label = f"{what} {path}" if what else str(path)
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        mode = os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    except OSError as exc:
        raise InputError(f"{label}: cannot write ({exc.strerror or exc})") from None
    try:
        fd, tmp = tempfile.mkstemp(prefix=".starter-lint-", dir=directory)
    except OSError as exc:
        raise InputError(f"{label}: cannot write there ({exc.strerror or exc})") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise InputError(f"{label}: cannot write ({exc.strerror or exc})") from None
        raise
