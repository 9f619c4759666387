"""Reading a `--set-file` value: the file's text, as Helm reads it, with the tool's limits.

Helm reads the path relative to the working directory (`os.ReadFile`; `-` is standard input and
a URL is fetched through its getters) and keeps the bytes as a string. Here the path is relative
to the working directory too, from the command line and from a config alike (config.py keeps a
config's paths inside the repository); a directory, a missing file, a file above the values size
limit, a symlink leading out of the repository and text that is not UTF-8 (Python holds no raw
bytes in a string; Helm would carry them into the manifests) are one clear error. Standard input
and URLs are not read: nothing a repository names makes the tool wait or reach the network.
"""

from __future__ import annotations

import os
import stat

from ..errors import InputError
from ..paths import StrPath, allowed_roots, read_bytes, refuse_outside_link
from ..yamlio import MAX_VALUES_BYTES
from .strvals import ReadFile

_URL_SCHEMES = ("http://", "https://", "oci://")


def set_file_reader(cwd: StrPath | None = None) -> ReadFile:
    """A reader for the --set-file parser: a path as written -> the file's text."""
    folder = os.path.abspath(cwd or os.getcwd())

    def read(path: str) -> str:
        if path.strip() == "-":
            raise InputError("--set-file: reading a value from standard input (-) is not supported")
        if path.lower().startswith(_URL_SCHEMES):
            raise InputError(f"--set-file {path}: a URL is not fetched; give a local file")
        if not path:
            raise InputError("--set-file: an empty path names no file")
        absolute = os.path.join(folder, path)
        refuse_outside_link(absolute, allowed_roots(absolute, folder), f"--set-file {path}", folder)
        if os.path.isdir(absolute):
            raise InputError(f"--set-file {path}: is a directory, not a file")
        if not os.path.lexists(absolute):
            raise InputError(f"--set-file {path}: no such file")
        try:
            regular = stat.S_ISREG(os.stat(absolute).st_mode)
        except OSError as exc:
            raise InputError(f"--set-file {path}: cannot read ({exc.strerror or exc})") from None
        if not regular:  # a FIFO or a device would block the run, or never end
            raise InputError(f"--set-file {path}: not a regular file (a FIFO, a device or a socket)")
        raw = read_bytes(absolute, MAX_VALUES_BYTES)
        if len(raw) > MAX_VALUES_BYTES:
            raise InputError(
                f"--set-file {path}: file is larger than {MAX_VALUES_BYTES // (1024 * 1024)} MiB, "
                "the limit of a values file"
            )
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(
                f"--set-file {path}: not UTF-8 text (byte {exc.start}); starter-lint reads text files only"
            ) from None

    return read
