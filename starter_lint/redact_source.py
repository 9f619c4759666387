"""Secrets where they are written: the columns of a source line that hold one, and the line
with them hidden.

A values file's secrets are found by path and position (`secret_columns`: a whole value under
a secret path, only the password of a URL, the anchored node an alias copies into a secret), in
the values this run reads and in every document of the file read on its own (a document one
Helm major skips, or a later one overrides, is still in the text an excerpt or a diff shows);
a manifest's by the object that owns the line (`manifest_secret_columns`); in a document no
parser could read, line by line by indentation. Source excerpts (`redact_line`) and the strings
scrubbed from findings (`secret_strings`, which adds each secret as it is written) use them.
"""

from __future__ import annotations

import operator
import re
import weakref
from bisect import bisect_right
from collections.abc import Iterable, Iterator

from .findings import Location
from .lazy_pattern import LazyPattern
from .pointer import build
from .redact import (
    MIN_FINDING_SCRUB_LENGTH,
    MIN_SCRUB_LENGTH,
    REDACTED,
    credential_spans,
    is_credential_name,
    is_secret_key,
    manifest_secret_parts,
    merge_spans,
    parts_secrets,
    replace_spans,
    secret_parts,
    secrets_pattern,
    values_secrets,
)
from .textio import YamlLoadError, split_lines

_COLUMNS: dict = {}  # id(LoadedYaml) -> its secret columns, while the LoadedYaml lives


def secret_strings(ctx, with_manifests: bool = True) -> frozenset:
    """Every secret string a target holds, in its files and layers and manifests (the manifests'
    only `with_manifests`: walking 6,000 objects is a sixth of a clean run that shows no text).
    Found once per target (the admission policies ask first, then the findings' scrubbing)."""
    manifests = getattr(ctx, "manifests", None) if with_manifests else None
    # what the strings were found in, by identity: a target given other values, layers or
    # manifests, or objects added or replaced after, is walked again, never answered with a
    # stale set (an id alone can be reused once its object is gone; comparing ~6,000 objects'
    # identities costs ~0.1 ms)
    objects = tuple(manifests.objects) if manifests is not None else ()
    made_of = (ctx.values, manifests, *ctx.loaded, *objects)
    key = (id(ctx), manifests is not None)
    kept = _STRINGS.get(key)
    if kept is not None and len(kept[0]) == len(made_of) and all(map(operator.is_, kept[0], made_of)):
        return kept[1]
    found = _secret_strings(ctx, manifests)
    if kept is None:
        try:
            weakref.finalize(ctx, _STRINGS.pop, key, None)  # the entry goes with the target
        except TypeError:  # a stand-in target that cannot be watched: not kept
            return found
    _STRINGS[key] = (made_of, found)
    return found


# (id of the target, with manifests) -> (what its strings were found in, its secret strings),
# while the target lives
_STRINGS: dict = {}


def _secret_strings(ctx, manifests) -> frozenset:
    out: set = set()
    if ctx.values is not None:
        for layer in ctx.values.layers:
            out |= values_secrets(layer.data)
    for loaded in ctx.loaded:
        out |= values_secrets(loaded.data)
        if loaded.other_reading is not None:  # the document the other Helm major reads holds secrets too
            out |= values_secrets(loaded.other_reading.data)
        out |= _source_texts(loaded)  # `0755123`, read as 252499, is written as 0755123
    if manifests is not None:
        # in this process, not split with a forked child (turns.py): the pages of objects
        # both walk would be copied (10 MiB more at 500 releases) for no wall time gained
        strings, parts_of = _objects_secrets(enumerate(manifests.objects))
        out |= strings
        try:  # kept for manifest_secret_columns, while the objects live
            weakref.finalize(manifests, _PARTS.pop, id(manifests), None)
            _PARTS[id(manifests)] = (manifests.objects, len(manifests.objects), parts_of)
        except TypeError:  # a stand-in that cannot be watched: its objects are walked again
            pass
    return frozenset(s for s in out if len(s) >= MIN_SCRUB_LENGTH)


# id(ManifestSet) -> (its objects, how many, {position of an object: its manifest_secret_parts}),
# of the objects that hold a secret (few: a finding's excerpt then costs no second walk of every object that owns a line)
_PARTS: dict = {}


def _objects_secrets(numbered) -> tuple[set, dict]:
    """The secret strings of the (position, object)s `numbered`, and the secret parts of each
    object that holds any, by position."""
    out: set = set()
    parts_of: dict = {}
    for position, obj in numbered:
        parts = list(manifest_secret_parts(obj.obj))
        if parts:
            parts_of[position] = parts
            out |= parts_secrets(parts)
    return out, parts_of


def _source_texts(loaded) -> set:
    """The secrets of a values file as written (unquoted), one line each."""
    lines = split_lines(loaded.text)
    out = set()
    for line, ranges in secret_columns(loaded).items():
        for col, end in ranges:
            text = lines[line - 1][col - 1 : end - 1].strip()
            if len(text) >= 2 and text[0] in "'\"" and text[-1] == text[0]:
                text = text[1:-1]
            out.add(text)
    return out


def secret_columns(loaded) -> dict:
    """{line: [(col, end_col), …]} of a loaded values file: the 1-based, end-exclusive columns
    that hold a secret (a whole value under a secret path, only the password of a URL).
    Computed once per loaded file: the secret strings and the text excerpts both need it."""
    key = id(loaded)
    cached = _COLUMNS.get(key)
    if cached is None:
        cached = _COLUMNS[key] = _secret_columns(loaded)
        weakref.finalize(loaded, _COLUMNS.pop, key, None)  # the entry goes with the file
    return cached


def holds_secret(loaded, span) -> bool:
    """Whether a span of a loaded values file overlaps a secret written there (by path, or an
    anchored value an alias or merge carries into a secret)."""
    for line in range(span.line, span.end_line + 1):
        start = span.col if line == span.line else 1
        end = span.end_col if line == span.end_line else float("inf")
        if any(col < end and start < stop for col, stop in secret_columns(loaded).get(line, ())):
            return True
    return False


def _secret_columns(loaded) -> dict:
    lines = split_lines(loaded.text)
    out: dict = {}

    def add(ranges):
        for line, col, end in ranges:
            if end > col:
                out.setdefault(line, []).append((col, end))

    add(_reading_columns(lines, loaded))
    # the other documents: Helm 3 reads the first, Helm 4 lets a later one override a value, and
    # the other major may refuse one; each is read alone (its secret paths are its own), and one
    # no parser reads is read line by line
    for first, stop, reading in _each_document(loaded.text, lines):
        if reading is not None:
            add(_reading_columns(lines, reading))
        else:
            add(
                (line, col, end)
                for line, ranges in _unloaded_lines(lines, first, stop, True)
                for col, end in ranges
            )
    return {line: sorted(set(ranges)) for line, ranges in out.items()}


def _reading_columns(lines: list, loaded) -> Iterator[tuple]:
    """(line, col, end_col) of the secrets of one reading of a values file (its data and spans)."""
    for path, value, spans in secret_parts(loaded.data):
        # where the value is written: its own position (for an alias, the `*name`) and, when it
        # comes through an alias, the anchored node it was copied from
        for span in (loaded.spans.get(path), loaded.origin_span(path)):
            if span is not None:
                yield from (spans is not None and _part_columns(lines, span, value, spans)) or _span_columns(
                    lines, span
                )


# a `---` or `...` line, after any YAML line break (a C-speed test that a file is one document)
_ANY_MARKER = LazyPattern(r"(?:^|[\r\x85\u2028\u2029])(?:---|\.\.\.)(?:\s|$)", re.M)


def _each_document(text: str, lines: list) -> Iterator[tuple]:
    """(first, stop, reading) of every document of a file of several (0-based lines [first, stop),
    its `---` or `...` line first): the document parsed on its own, or None where it does not
    parse. Nothing for a file of one document: its reading is the file's."""
    if not _ANY_MARKER.search(text, 1):
        return
    starts = [0] + [i for i in range(1, len(lines)) if _MARKER_LINE.match(lines[i])]
    regions = [
        (a, b) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True) if _has_content(lines, a, b)
    ]
    if len(regions) < 2:
        return
    from .yamlio.decode import Decoder, read_document  # deferred: only a file of several documents
    from .yamlio.events import document_roots  # deferred: as above
    from .yamlio.model import LoadedYaml  # deferred: as above

    kept = split_lines(text, keepends=True)
    for first, stop in regions:
        decoder = Decoder(record=True)
        try:
            roots = list(document_roots("".join(kept[first:stop]), 1, first))
            data = read_document(roots[0] if roots else None, decoder) or {}
        except (YamlLoadError, RecursionError):
            yield first, stop, None
            continue
        yield first, stop, LoadedYaml("", data, spans=decoder.spans, alias_targets=decoder.alias_targets)


def _has_content(lines: list, first: int, stop: int) -> bool:
    """Whether lines [first, stop) hold more than markers, directives, comments and blanks."""
    for index in range(first, stop):
        text = lines[index]
        if index == first and _MARKER_LINE.match(text):
            text = text[3:]
        text = text.strip()
        if text and text[0] not in "#%":
            return True
    return False


def manifest_secret_columns(manifests, wanted: dict) -> dict:
    """{file: {line: [(col, end_col)]}} of the manifest lines an excerpt shows (`wanted`: file ->
    line numbers): where an object writes a secret, found by position, so its escaped, folded or
    base64-over-lines source goes too; in a document that did not load (no object to ask), the
    values a Secret's data, a secret-like key or the `value` after a secret-like `name` holds."""
    by_file: dict = {}
    for position, obj in enumerate(manifests.objects):
        by_file.setdefault(obj.path, []).append((position, obj))
    # found with the secret strings (only those objects hold any), while the objects are the same
    objects, count, parts_of = _PARTS.get(id(manifests), (None, 0, None))
    if objects is not manifests.objects or count != len(objects):
        parts_of = None
    out: dict = {}
    for path, numbers in wanted.items():
        text = manifests.sources.get(path)
        if text is None:
            continue
        lines = split_lines(text)
        # the items of one List document all end where the document ends, so each would own
        # every line below its start: they form one group, looked up once per line (not items x
        # lines); a wanted line's secrets are then found in every item, which hides no less
        groups: list[list] = []
        for position, obj in by_file.get(path, []):
            first = groups[-1][0][1] if groups else None
            if first is not None and (first.index, first.end_line) == (obj.index, obj.end_line):
                groups[-1].append((position, obj))
            else:
                groups.append([(position, obj)])
        starts = [group[0][1].line for group in groups]
        columns: dict = {}
        located: set = set()

        def add(ranges):
            for line, col, end in ranges:
                if end > col:
                    columns.setdefault(line, []).append((col, end))  # noqa: B023 (called in this iteration)

        def add_secrets_of(position, obj):
            parts = manifest_secret_parts(obj.obj) if parts_of is None else parts_of.get(position, ())
            for pointer, value, spans in parts:
                for where in obj.value_locations(build(*pointer)):
                    add(
                        (spans is not None and _part_columns(lines, where, value, spans))  # noqa: B023
                        or _span_columns(lines, where)  # noqa: B023
                    )

        for number in sorted(numbers):
            owners = []
            for i in range(bisect_right(starts, number) - 1, -1, -1):
                first = groups[i][0][1]
                if (first.end_line or first.line) < number:
                    break
                owners.append(i)
            for i in owners:
                if i in located:
                    continue
                located.add(i)
                for position, obj in groups[i]:
                    add_secrets_of(position, obj)
            if not owners:
                add((number, col, end) for col, end in _unloaded_secret_columns(lines, number))
        out[path] = {line: sorted(ranges) for line, ranges in columns.items()}
    return out


_MARKER_LINE = LazyPattern(r"(---|\.\.\.)(\s|$)")
_SECRET_KIND = LazyPattern(r"\s*(-\s+)?kind\s*:\s*['\"]?Secret['\"]?\s*(#.*)?")
_KEY_LINE = LazyPattern(r"(?P<indent>\s*(?:-\s+)*)(?P<q>['\"]?)(?P<key>[\w.-]+)(?P=q)(?:\s*:(?:\s+|$)|=)")
_FLOW_KEY = LazyPattern(r"[{,]\s*(?P<q>['\"]?)(?P<key>[\w.-]+)(?P=q)\s*:")
_LIST_ITEM = LazyPattern(r"-(\s|$)")
# what may follow a key that opens a block: an anchor or tag, a comment
_EMPTY_REST = LazyPattern(r"\s*(?:[&!][^\s]*\s*)*(?:#.*)?")
_FLOW_SECRET_ENTRY = LazyPattern(r"\bname\s*:\s*['\"]?(?P<name>[\w.-]+)['\"]?\s*,\s*value\s*:\s*")


def _unloaded_secret_columns(lines: list, number: int) -> list:
    """[(col, end_col)] of line `number` that may hold a secret, in a manifest document no parser
    could read (`_unloaded_lines`)."""
    if not 0 < number <= len(lines):
        return []
    first = number - 1
    while first > 0 and not _MARKER_LINE.match(lines[first - 1]):
        first -= 1
    for line, ranges in _unloaded_lines(lines, first, number):
        if line == number:
            return ranges
    return []


def _unloaded_lines(lines: list, first: int, stop: int, values: bool = False) -> Iterator[tuple]:
    """(line, [(col, end_col)]) of the lines [first, stop) (0-based) of a document no parser
    could read that may hold a secret: the text is read line by line, by indentation. A secret
    block opens at `data:` or `stringData:` of a Secret, at a secret-like key (`DB_PASSWORD: …`,
    `- API_TOKEN=…`, `{API_TOKEN: …}`), at the `value:` after a secret-like `name:` and, in a
    values file (`values`), at a `secrets:` below the top level and at `stringData:`; the rest
    of its line and every deeper line after it are hidden (a value folded over lines, base64 broken over
    lines, a syntax error in it)."""
    if first < stop and _MARKER_LINE.match(lines[first]):
        first += 1  # the document's own `---` line
    last = stop
    while last < len(lines) and not _MARKER_LINE.match(lines[last]):
        last += 1
    is_secret_object = any(_SECRET_KIND.fullmatch(line) for line in lines[first:last])
    block = None  # indentation of the key that opened a secret block
    list_at = None  # indentation of such a key with nothing after it: a list may follow at it
    secret_name = None  # indentation of a `name:` holding a secret-like name
    for index in range(first, stop):
        line = lines[index]
        content = line.lstrip(" \t")
        if not content or content.startswith("#"):
            continue
        depth = len(line) - len(content)
        # deeper lines continue the block; so do the items of a list written at the key's own
        # indentation (`password:` then `- …`, as YAML allows)
        if block is not None and (depth > block or (depth == list_at and _LIST_ITEM.match(content))):
            yield index + 1, [(depth + 1, len(line) + 1)]
            continue
        block = list_at = None
        hidden = None
        flow = _FLOW_SECRET_ENTRY.search(line)
        if flow and is_secret_key(flow.group("name")):
            hidden = flow.end()
        match = _KEY_LINE.match(line)
        if match is not None:
            key, column = match.group("key"), len(match.group("indent"))
            if key == "name":
                named = line[match.end() :].strip().strip("'\"")
                secret_name = column if is_secret_key(named) else None
            if (
                (is_secret_object and key in ("data", "stringData"))
                or is_secret_key(key)
                or is_credential_name(key)
                or (key == "value" and secret_name == column)
                or (values and (key == "stringData" or (key == "secrets" and column > 0)))
            ):
                block = column
                list_at = column if _EMPTY_REST.fullmatch(line, match.end()) else None
                hidden = match.end() if hidden is None else min(hidden, match.end())
        for flow_key in _FLOW_KEY.finditer(line):  # `{DB_PASSWORD: …}`, `api: {secrets: {…`
            key = flow_key.group("key")
            if is_secret_key(key) or is_credential_name(key) or (values and key in ("secrets", "stringData")):
                block = depth if block is None else block  # its flow continues on deeper lines
                hidden = flow_key.end() if hidden is None else min(hidden, flow_key.end())
                break
        if hidden is not None and hidden < len(line):
            yield index + 1, [(hidden + 1, len(line) + 1)]


_NODE_PROPERTIES = LazyPattern(r"(?:[&!][^\s,\[\]{}]*\s+)+")


def _span_columns(lines: list, span) -> list:
    """(line, col, end_col) of every line a scalar covers (a block or folded one spans several),
    from its text on: its anchor and tag (`&pw !!str`) are no secret."""
    if 0 < span.line <= len(lines):
        properties = _NODE_PROPERTIES.match(
            lines[span.line - 1],
            span.col - 1,
            span.end_col - 1 if span.line == span.end_line else len(lines[span.line - 1]),
        )
        if properties is not None and properties.end() > span.col - 1:
            span = Location("", span.line, properties.end() + 1, span.end_line, span.end_col)
    if span.line == span.end_line and 0 < span.line <= len(lines):
        source = lines[span.line - 1][span.col - 1 : span.end_col - 1]
        if len(source) >= 2 and source[0] in "'\"" and source[-1] == source[0]:
            return [(span.line, span.col + 1, span.end_col - 1)]  # keep the quotes: they are not secret
    out = []
    for line in range(span.line, span.end_line + 1):
        length = len(lines[line - 1]) if 0 < line <= len(lines) else 0
        out.append(
            (
                line,
                span.col if line == span.line else 1,
                span.end_col if line == span.end_line else length + 1,
            )
        )
    return out


def _part_columns(lines: list, span, value: str, spans: list) -> list | None:
    """[(line, col, end_col)] of the secret parts of a string in the source, when the scalar is
    written on one line exactly as it reads (no escape); else None (the caller hides it whole)."""
    if span.end_line != span.line or not 0 < span.line <= len(lines):
        return None
    source = lines[span.line - 1][span.col - 1 : span.end_col - 1]
    inner, offset = source, span.col
    if len(source) >= 2 and source[0] in ("'", '"') and source[-1] == source[0]:
        inner, offset = source[1:-1], span.col + 1
    if inner != value:
        return None
    return [(span.line, offset + start, offset + end) for start, end in spans]


def redact_line(
    line: str,
    ranges: Iterable[tuple],
    secrets: Iterable[str] = (),
    min_length: int = MIN_FINDING_SCRUB_LENGTH,
) -> tuple:
    """(`line` with the given columns, every URL password and every occurrence of `secrets`
    (`min_length` characters or more) replaced by <redacted>, a function mapping an original
    1-based column to the redacted line's)."""
    spans = [(col - 1, end - 1) for col, end in ranges] + credential_spans(line)
    pattern = secrets_pattern(frozenset(secrets), min_length)
    if pattern is not None:
        spans += [match.span() for match in pattern.finditer(line)]
    merged = merge_spans((max(0, s), min(len(line), e)) for s, e in spans)
    shown = replace_spans(line, merged)

    def column(col: int, is_end: bool = False) -> int:
        """A start column inside a redaction moves to its start, an end column to its end."""
        index, shift = col - 1, 0
        for start, end in merged:
            if index >= end:
                shift += len(REDACTED) - (end - start)
            elif index > start:
                return start + shift + (len(REDACTED) if is_end else 0) + 1
            else:
                break
        return index + shift + 1

    return shown, column
