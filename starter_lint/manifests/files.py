"""Which files a `--manifests` argument names, and each read into text or refused with an SL102
problem: too large, not text, a NUL byte, or a document larger than any Kubernetes object.

Reading is apart from loading (stream.py) so that the limits are in one place: the renderer
reads a chart's output under the same file limit.
"""

from __future__ import annotations

import os
import re
import stat
from itertools import pairwise
from pathlib import Path

from ..errors import InputError
from ..findings import Location, Problem
from ..paths import confined_files, display_path, read_bytes
from ..textio import YamlLoadError, decode_bytes, line_at
from .documents import document_markers, split_documents

MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # one rendered stream beyond this is refused (SL102)
# a file holding a document beyond this is refused unread (SL102): the API server takes request
# bodies of at most 3 MiB and etcd stores at most 1.5 MiB per object, so it is no manifest (a
# values file given as --manifests, a dump), and reading it would cost seconds and a gigabyte
MAX_DOCUMENT_CHARS = 8 * 1024 * 1024
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def expand_paths(paths: list, cwd=None) -> list:
    """Files to read, in order: files as given, directories recursively (sorted), `-` = stdin.
    A symlink leading outside the repository (or outside a folder named outside it) is an
    InputError: it is not followed."""
    out: list[str | Path] = []
    for given in paths:
        if str(given) == "-":
            out.append("-")
            continue
        p = Path(given)
        if not p.is_absolute() and cwd:
            p = Path(cwd) / p
        if not p.exists():
            raise InputError(f"--manifests {given}: no such file or directory")
        out.extend(confined_files(p, f"--manifests {given}", cwd, MANIFEST_SUFFIXES))
    return out


def read_manifest(path, cwd) -> tuple:
    """(display path, text or None, problem or None)."""
    shown = display_path(path, cwd)
    raw = read_bytes(path, MAX_MANIFEST_BYTES)
    if len(raw) > MAX_MANIFEST_BYTES:
        return (
            shown,
            None,
            Problem(
                f"{shown} is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB; split the stream",
                location=Location(shown, 1, 1),
                key="too-large",
            ),
        )
    try:
        text = decode_bytes(raw)
    except YamlLoadError as exc:
        return (
            shown,
            None,
            Problem(
                f"{shown} is not a text file YAML can read: {exc.message}",
                location=Location(shown, exc.line, exc.col),
                key="decode",
            ),
        )
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return (
            shown,
            None,
            Problem(
                f"{shown} is not UTF-8 text (byte {exc.start}); save it as UTF-8",
                location=Location(shown, line, 1),
                key="decode",
            ),
        )
    if "\x00" in text:
        line = line_at(text, text.index("\x00"))
        return (
            shown,
            None,
            Problem(
                f"{shown} has a NUL byte: not a YAML text file", location=Location(shown, line, 1), key="nul"
            ),
        )
    oversized = oversized_document_line(text)
    if oversized is not None:
        message = (
            f"{shown} holds a document of more than {MAX_DOCUMENT_CHARS >> 20} Mi characters, which no "
            "Kubernetes object is (the API server takes at most 3 MiB), so the file was not read: give a "
            "values file with -f, not as manifests; separate the objects of a stream with `---`"
        )
        return shown, None, Problem(message, location=Location(shown, oversized, 1), key="document-too-large")
    return shown, text, None


# a List (`kubectl get -o yaml`, `kubectl apply --dry-run -o json`) holds objects of any number:
# the API server's limit is per item, so a List is read whatever its size (up to the file limit)
_LIST_KIND = re.compile(
    r'^kind:[ \t]*["\']?[A-Za-z0-9]*List["\']?[ \t]*(?:#.*)?$|"kind"\s*:\s*"[A-Za-z0-9]*List"', re.M
)


def oversized_document_line(text: str) -> int | None:
    """The first line of a document longer than MAX_DOCUMENT_CHARS that is not a List, None
    when there is none.

    A document lies between two markers: when no two markers are further apart than the limit
    (a fast scan), no document is longer; only otherwise are the documents cut to be measured."""
    if len(text) <= MAX_DOCUMENT_CHARS:
        return None
    bounds = [0, *(marker.start() for marker in document_markers(text)), len(text)]
    if all(end - start <= MAX_DOCUMENT_CHARS for start, end in pairwise(bounds)):
        return None
    return next(
        (
            d.first_line
            for d in split_documents(text)
            if len(d.text) > MAX_DOCUMENT_CHARS and not _LIST_KIND.search(d.text)
        ),
        None,
    )


def regular_size(path) -> int | None:
    """The size of a regular file; None for anything else (a FIFO, a device, /dev/stdin), which
    cannot be read a second time."""
    try:
        status = os.stat(path)
    except OSError:  # reading it will say why
        return 0
    return status.st_size if stat.S_ISREG(status.st_mode) else None
