"""Reading a `--set-file` value: the file's text, as Helm reads it, with the tool's limits.

Helm reads the path relative to the working directory (`os.ReadFile`; `-` is standard input and
a URL is fetched through its getters) and keeps the bytes as a string. Here a command-line path
is relative to the working directory too, and a config's `set-file` path to the config's folder,
as its other paths are (config.py resolves it and keeps it inside the repository); a directory, a missing file, a file above the values size
limit, a symlink leading out of the repository and text that is not UTF-8 (Python holds no raw
bytes in a string; Helm would carry them into the manifests) are one clear error. Standard input
and URLs are not read: nothing a repository names makes the tool wait or reach the network.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping

from ..errors import InputError
from ..paths import StrPath, allowed_roots, read_bytes, refuse_outside_link
from ..yamlio import MAX_VALUES_BYTES
from .strvals import ReadFile

_URL_SCHEMES = ("http://", "https://", "oci://")


def set_file_reader(
    cwd: StrPath | None = None, config_files: Mapping[str, tuple[str, str]] | None = None
) -> ReadFile:
    """A reader for the --set-file parser: a path as written -> the file's text. `config_files`:
    a config's set-file paths as written -> (the file, where the config names it)."""
    folder = os.path.abspath(cwd or os.getcwd())
    config_files = config_files or {}

    def read(path: str) -> str:
        if path.strip() == "-":
            raise InputError("--set-file: reading a value from standard input (-) is not supported")
        if path.lower().startswith(_URL_SCHEMES):
            raise InputError(f"--set-file {path}: a URL is not fetched; give a local file")
        if not path:
            raise InputError("--set-file: an empty path names no file")
        absolute, what = os.path.join(folder, path), f"--set-file {path}"
        if path in config_files:
            absolute, where = config_files[path]
            what = f"{what} ({where}, relative to the config's folder)"
        refuse_outside_link(absolute, allowed_roots(absolute, folder), what, folder)
        if os.path.isdir(absolute):
            raise InputError(f"{what}: is a directory, not a file")
        if not os.path.lexists(absolute):
            raise InputError(f"{what}: no such file")
        try:
            regular = stat.S_ISREG(os.stat(absolute).st_mode)
        except OSError as exc:
            raise InputError(f"{what}: cannot read ({exc.strerror or exc})") from None
        if not regular:  # a FIFO or a device would block the run, or never end
            raise InputError(f"{what}: not a regular file (a FIFO, a device or a socket)")
        raw = read_bytes(absolute, MAX_VALUES_BYTES)
        if len(raw) > MAX_VALUES_BYTES:
            raise InputError(
                f"{what}: file is larger than {MAX_VALUES_BYTES // (1024 * 1024)} MiB, "
                "the limit of a values file"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{what}: not UTF-8 text (byte {exc.start}); starter-lint reads text files only"
            ) from None

    return read
