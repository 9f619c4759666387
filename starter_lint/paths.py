"""Reading input files: one place decides display paths, size limits and read errors."""
from __future__ import annotations

import os
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


def read_bytes(path, limit: int | None = None) -> bytes:
    """The file's bytes, at most `limit + 1` of them (so the caller can tell it was too large)."""
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
