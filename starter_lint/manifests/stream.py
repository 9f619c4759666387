"""Read rendered manifest streams into a ManifestSet, fast, without ever constructing a tag.

A stream is cut into documents at `---` / `...` marker lines (YAML forbids those lines inside a
document at column 0, so the cut is exact) and each document is loaded on its own: a syntax
error costs one document (an SL102 finding), never the rest of the stream. Loading uses PyYAML's
C parser with a safe constructor that turns every value into plain JSON-like data the way
Kubernetes' own reader does (timestamps stay strings, keys become strings). Positions are not
computed at load time: a finding asks `ManifestObject.locate(pointer)`, which composes only that
document's nodes.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import yaml

from .. import speedups
from ..findings import Location, Problem
from ..textio import LINE_BREAK_CHARS, after_lines, line_at, wide_breaks
from ..turns import batches, can_split, in_turns
from .documents import (
    MAX_DEPTH,
    MAX_EXPANDED_NODES,
    Document,
    content_line,
    cut_point,
    shape_problem,
    split_documents,
    yaml_error,
)
from .files import expand_paths, read_manifest, regular_size
from .model import ManifestObject, ManifestSet
from .positions import DocumentLocator
from .yaml_loader import ManifestLoader, construct, load_plain_stream

# what load_paths does to the objects it has read, where it read them (it may set their verdict)
Prepare = Callable[[list[ManifestObject]], None]

_BREAK_CHARS = frozenset(LINE_BREAK_CHARS)
_SOURCE = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$", re.M)


# ---------------------------------------------------------------------------------------------
# Loading


def load_text(text: str, display_path: str, options=None, into: ManifestSet | None = None) -> ManifestSet:
    """Every object of one stream (List items flattened), with YAML errors as SL102 problems."""
    if into is not None:
        _load_into(text, display_path, into)
        return into
    result = ManifestSet()
    with _collector_paused():
        _load_in_parts(text, display_path, result)  # a large render is read by two processes
    _note_if_empty(result)
    return result


def _load_into(text: str, display_path: str, result: ManifestSet, broken: bool = False) -> None:
    """`broken`: the stream is known to hold a YAML error or a duplicate key (a part of it did):
    straight to reading each document on its own, which the whole stream would come to."""
    result.files.append(display_path)
    result.sources[display_path] = text
    if broken or _load_stream(text, display_path, result) is None:
        for document in split_documents(text):
            _load_document(document, display_path, result)


def _load_stream(
    text: str, path: str, result: ManifestSet, begin: int = 0, end: int | None = None
) -> int | None:
    """The fast path: the whole stream (or its part text[begin:end], cut where a document
    starts) through one parser, document lines from its marks. Returns how many documents the
    parser read (documents are numbered from 0 within the part).

    Returns None, having added nothing, when the stream has a YAML error or a duplicate key:
    then every document is loaded on its own, so that one bad document costs only itself.
    """
    part = text if begin == 0 and end is None else text[begin:end]
    loaded = load_plain_stream(part, MAX_DEPTH) if speedups.FAST_PATHS else None
    # no aliases and nesting within bounds: no document can be too big to check (shape_problem)
    plain = loaded is not None and len(part) <= MAX_EXPANDED_NODES
    if loaded is None:
        loaded = _compose_stream(part)
        if loaded is None:
            return None
    lines_before = line_at(text, begin) - 1 if begin else 0
    starts = _LineStarts(part)
    previous_end = 0
    for index, (start, end_mark, data) in enumerate(loaded):
        if data is None:
            previous_end = end_mark.line
            continue
        last = end_mark.line if end_mark.column > 0 or end_mark.line == start.line else end_mark.line - 1
        before = starts.at(previous_end)
        span = (begin + starts.at(start.line), begin + starts.at(last + 1), start.column)
        source = _SOURCE.search(part[before : span[0] - begin])
        first_line = lines_before + start.line + 1
        document = Document(text, first_line, index, span)
        template = sys.intern(source.group(1)) if source else None  # one per template, not per object
        # the span holds lines start.line … last, each with its break but a last one at the end
        # of the text without
        breaks = last - start.line + (1 if text[span[1] - 1 : span[1]] in _BREAK_CHARS else 0)
        _add_data(data, document, path, template, first_line, result, checked=plain, breaks=breaks)
        previous_end = last + 1
    return len(loaded)


def _load_in_parts(text: str, shown: str, result: ManifestSet, prepare: Prepare | None = None) -> None:
    """One large stream read by two processes, cut where a document starts near its middle: the
    same objects as one pass (`_load_into`), which is what a part that is not plain and clean
    (a YAML error, a duplicate key, a document that is no object) falls back to."""
    cut = cut_point(text) if len(text) >= SPLIT_BYTES and can_split() else None
    if cut is None:  # small, no child possible (one pass is the reference), or no place to cut
        _load_into(text, shown, result)
        return
    parts = in_turns(
        lambda piece: _load_part(text, shown, piece[0], piece[1], prepare),
        [(0, cut), (cut, len(text))],
        2,
        SPLIT_BYTES,
        [cut, len(text) - cut],
    )
    read = [part for part in parts if isinstance(part, tuple)]
    if len(read) < len(parts):
        # a part cut where a document starts reads as it does in the whole: its YAML error or
        # duplicate key is the whole stream's (then each document is read on its own)
        _load_into(text, shown, result, broken=_BROKEN in parts)
        return
    result.files.append(shown)
    result.sources[shown] = text
    numbered = 0  # documents before the part: the parts number theirs from 0
    for loaded, count in read:
        renumbered: set = set()
        for obj in loaded.objects:
            document = obj._locator.document
            if id(document) not in renumbered:  # the items of a List share one
                renumbered.add(id(document))
                document.attach(text)
                document.index += numbered
            obj.index += numbered
        result.objects += loaded.objects
        numbered += count


_BROKEN = "broken"  # a part with a YAML error or a duplicate key


def _load_part(text: str, shown: str, begin: int, end: int, prepare: Prepare | None) -> tuple | str | None:
    """(the objects of text[begin:end], prepared, and how many documents it holds); `_BROKEN`
    when the part has a YAML error or a duplicate key; None when it has other problems, which
    name documents by their number in the file (the whole stream is read again). The documents
    are handed back without the text: both processes hold it."""
    loaded = ManifestSet()
    count = _load_stream(text, shown, loaded, begin, end)
    if count is None:
        return _BROKEN
    if loaded.problems:
        return None
    if prepare is not None:
        prepare(loaded.objects)
    for obj in loaded.objects:
        obj._locator.document.detach(text)
    return loaded, count


class _LineStarts:
    """Where line N (0-based, as the parser's marks count lines) starts; the end of the text past
    the last line. Documents come in order, so the text is read forward once (`after_lines`): no
    list of every line's start (a file of blank lines would cost an int object per line)."""

    __slots__ = ("_line", "_offset", "_text", "_wide")

    def __init__(self, text: str):
        self._text = text
        self._wide = wide_breaks(text)
        self._line, self._offset = 0, 0

    def at(self, line: int) -> int:
        if line < self._line:  # not in order: read again from the start
            self._line, self._offset = 0, 0
        if line > self._line:
            offset = after_lines(self._text, self._offset, line - self._line, self._wide)
            if offset is None:
                return len(self._text)
            self._line, self._offset = line, offset
        return self._offset


def _compose_stream(text: str) -> list | None:
    """(start mark, end mark, data) of each document, composed; None for a YAML error or a
    duplicate key."""
    loader = ManifestLoader(text)
    loaded = []
    try:
        while loader.check_node():
            node = loader.get_node()
            loaded.append((node.start_mark, node.end_mark, construct(loader, node)))
    except (yaml.YAMLError, RecursionError):
        return None
    finally:
        loader.dispose()
    return None if loader.duplicates else loaded


def _load_document(document: Document, path: str, result: ManifestSet) -> None:
    source = _SOURCE.search(document.text)
    template = sys.intern(source.group(1)) if source else None
    loader = ManifestLoader(document.text)
    try:
        node = loader.get_single_node()
        data = construct(loader, node) if node is not None else None
    except yaml.YAMLError as exc:
        result.problems.append(("SL102", yaml_error(exc, document, path)))
        return
    except RecursionError:
        result.problems.append(
            (
                "SL102",
                Problem(
                    f"{path} document {document.index + 1} is nested too deeply; flatten it",
                    location=Location(path, content_line(document), 1),
                    key=f"manifest-depth:{document.index}",
                ),
            )
        )
        return
    finally:
        loader.dispose()
    for key, mark in loader.duplicates:
        result.problems.append(
            (
                "SL103",
                Problem(
                    f"{path} document {document.index + 1}: key {key!r} appears twice in one mapping; Kubernetes "
                    "refuses the document: keep one of them",
                    location=Location(path, document.first_line + mark.line, mark.column + 1),
                    template=template,
                    key=f"manifest-duplicate:{document.index}:{key}",
                ),
            )
        )
    if data is not None:
        _add_data(data, document, path, template, content_line(document), result)


def _add_data(
    data,
    document: Document,
    path: str,
    template: str | None,
    line: int,
    result: ManifestSet,
    checked: bool = False,
    breaks: int | None = None,
) -> None:
    """Turn one loaded document into objects (List items flattened) or SL102/SL704 problems;
    `checked`: the document is known to be within the size and depth bounds."""
    if not isinstance(data, dict):
        result.problems.append(
            (
                "SL704",
                Problem(
                    f"{path} document {document.index + 1} is a {type(data).__name__ if not isinstance(data, list) else 'list'}, "
                    "not a Kubernetes object; a manifest document must be a mapping with apiVersion, kind and metadata",
                    location=Location(path, line, 1),
                    template=template,
                    key=f"not-a-mapping:{document.index}",
                ),
            )
        )
        return
    shape = None if checked else shape_problem(data)
    if shape is not None:
        result.problems.append(
            (
                "SL102",
                Problem(
                    f"{path} document {document.index + 1} {shape}",
                    location=Location(path, line, 1),
                    key=f"manifest-shape:{document.index}",
                ),
            )
        )
        return
    end_line = document.last_line(breaks)
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for position, item in enumerate(items):
            if isinstance(item, dict):
                obj = ManifestObject(item, path, document.index, line, template, end_line)
                obj._locator = DocumentLocator(document, path, ("items", str(position)))
                # the item's own start line, for messages that only name the object
                obj.line = obj.locate("/kind").line if "kind" in item else line
                result.objects.append(obj)
            else:
                result.problems.append(
                    (
                        "SL704",
                        Problem(
                            f"{path} document {document.index + 1}: {kind} item {position} is not an object; "
                            "each item of a List must be a Kubernetes object",
                            location=Location(path, line, 1),
                            template=template,
                            key=f"list-item:{document.index}:{position}",
                        ),
                    )
                )
        return
    obj = ManifestObject(data, path, document.index, line, template, end_line)
    obj._locator = DocumentLocator(document, path)
    result.objects.append(obj)


def _note_if_empty(result: ManifestSet) -> None:
    if result.objects or result.problems:  # a broken document already says why
        return
    shown = ", ".join(result.files) or "the input"
    # an error, not a warning: `helm template … | starter-lint --manifests -` after a failed render
    # reads nothing, and a gate that passes on nothing is no gate
    result.problems.append(
        (
            "SL704",
            Problem(
                f"no Kubernetes objects in {shown}; nothing was validated: check that the render produced output",
                location=Location(result.files[0] if result.files else "<stdin>", 1, 1),
                key="no-objects",
            ),
        )
    )


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Loading allocates hundreds of thousands of containers and frees none of them in cycles,
    so the cyclic collector would only re-scan live data (713 collections while loading the
    500-release benchmark input). It is paused while loading; a library user's collector is left
    enabled or disabled as it was found. The loaded objects are not frozen (`gc.freeze`): a run
    of many targets would then keep every earlier target's objects for good."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        # what was allocated while paused sits in the youngest generation: the next collections
        # would each walk all of it once more on its way to the oldest (two walks of every loaded
        # container, 0.1 s at 500 releases, and in a forked child a copy of every page they
        # touch). Moved to the oldest generation at once, where a full collection still finds
        # any cycle; nothing stays frozen (skipped when someone else froze objects on purpose)
        if speedups.FAST_PATHS and gc.get_freeze_count() == 0:
            gc.freeze()
            gc.unfreeze()
        if was_enabled:
            gc.enable()


# inputs from this many bytes on are read by two processes at once (turns.py): below it the
# fork and the hand-over cost more than half the reading saves (~3 ms per 100 KiB of YAML read,
# ~2 ms to fork and hand a result back)
SPLIT_BYTES = 1024 * 1024
# the files of a large input are taken by the two processes in this many batches of about equal
# bytes: one turn (a validator call, a result to hand over) per ~1/32 of the work, and the process
# that goes faster (the other core shared with another program) takes more batches
TURNS = 32


def load_paths(paths: list, options=None, prepare: Prepare | None = None) -> ManifestSet:
    """Load every manifest file under `paths` into one ManifestSet (missing paths: InputError).

    `prepare`, when given, is called on the objects read, in the process that read them: with
    two processes reading a large input (turns.py), each prepares the files it took at once (the
    caller's validation, checks.manifests.validation_ahead), and what it sets on an object comes
    back with the object."""
    cwd = getattr(options, "cwd", None)
    files = expand_paths(list(paths), cwd)
    result = ManifestSet()
    with _collector_paused():
        if len(files) == 1:  # one stream (a file, or stdin): cut in two if it is large
            parts = [_load_files(files, cwd, prepare, whole=False)]
        elif "-" in files:  # stdin is read once, here
            parts = [_load_files(files, cwd, prepare)]
        else:
            sizes = [regular_size(path) for path in files]
            regular = [size for size in sizes if size is not None]
            if len(regular) < len(
                sizes
            ):  # a FIFO, /dev/stdin: read once, here (a child's half may be redone)
                parts = [_load_files(files, cwd, prepare)]
            else:
                parts = _first_here_then_in_turns(files, regular, cwd, prepare)
        for part in parts:
            result.files += part.files
            result.sources.update(part.sources)
            result.objects += part.objects
            result.problems += part.problems
    _note_if_empty(result)
    return result


def _first_here_then_in_turns(files: list, sizes: list, cwd, prepare: Prepare | None) -> list:
    """The files' parts, in order, taken in turns in batches by this process and a forked child
    when they are large.
    With `prepare`, a small first file is read and prepared here before the child is forked:
    what preparing makes once per process (the validator's parsed schemas, compiled checks and
    patterns, for the kinds a release holds) is then made once and shared with the child, not
    made again in it (2 MiB less in the child at 500 releases, and its CPU)."""
    first: list = []
    if prepare is not None and len(files) > 2 and sizes[0] * 16 <= sum(sizes):
        first = [_load_files(files[:1], cwd, prepare)]
        files, sizes = files[1:], sizes[1:]
    sized = batches(list(zip(files, sizes, strict=True)), sizes, TURNS)
    return first + in_turns(
        lambda batch: _load_files([path for path, _ in batch], cwd, prepare),
        sized,
        2,
        SPLIT_BYTES,
        [sum(size for _, size in batch) for batch in sized],
    )


def _load_files(files, cwd, prepare: Prepare | None = None, whole: bool = True) -> ManifestSet:
    """The files' objects and problems, in order (one half of a large input, or all of it),
    prepared; `whole=False`: a large file may be read in two parts by two processes."""
    result = ManifestSet()
    for path in files:
        shown, text, problem = read_manifest(path, cwd)
        if problem is not None:
            result.files.append(shown)
            result.problems.append(("SL102", problem))
        elif whole:
            _load_into(text, shown, result)
        else:
            _load_in_parts(text, shown, result, prepare)
    if prepare is not None:
        prepare(result.objects)
    return result
