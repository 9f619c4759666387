"""The loader's entry points: a values file as Helm reads it (load_values, with positions and
notes), every document of a YAML stream (load_documents, for CRD files), and Helm's split of a
chart's values.yaml into documents (split_documents)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from ..findings import ValuesPath
from ..lazy_pattern import LazyPattern
from ..records import replace
from ..textio import MAX_DEPTH, YamlLoadError, room_for_nesting
from ..tree import merge_maps
from .decode import Decoder, read_document
from .events import document_roots
from .model import LoadedYaml, Node, Span, YamlNote
from .resolve import NULL, resolve_untyped

MAX_VALUES_BYTES = 4 * 1024 * 1024  # a values file beyond this is not a values file


def _strip_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_nulls(v) for k, v in value.items() if v is not None}
    return value


def as_chart_defaults(loaded: LoadedYaml) -> LoadedYaml:
    """A values.yaml read with its nulls (`merge_documents=True`) as `chart_defaults=True` reads
    it: the same spans and notes, the null-valued keys dropped as rendering drops them."""
    return replace(loaded, data=_strip_nulls(loaded.data))


def load_documents(text: str) -> list[Any]:
    """Every document of a YAML stream (a CRD file) as JSON-like data, None for an empty one.

    The values loader's rules bound the cost: go-yaml's alias ratio and the expansion cap
    (`Decoder._tick`), the nesting limit; keys become strings and numbers JSON numbers, as
    sigs.k8s.io/yaml reads a manifest. Errors are YamlLoadError with a position.
    """
    out: list[Any] = []
    with _deep_nesting_refused():
        for root in document_roots(text, None):
            if root is None:
                out.append(None)
                continue
            decoder = Decoder(record=False)
            out.append(decoder.to_json(decoder.decode(root, ()), root, (), False))
    return out


@contextlib.contextmanager
def _deep_nesting_refused() -> Iterator[None]:
    """Decoding recurses once per level: room for MAX_DEPTH levels, a clean error beyond."""
    room_for_nesting()
    try:
        yield
    except RecursionError:
        raise YamlLoadError(f"nesting deeper than {MAX_DEPTH} levels") from None


def split_documents(text: str) -> list[tuple[int, str]]:
    """k8s.io/apimachinery's YAMLReader, as Helm's LoadValues splits a chart's values.yaml.

    Returns (first line number - 1, chunk text) pairs. A separator line is `---` followed by
    nothing but blanks or a comment; anything else after `---` is an error, as in Helm.
    """
    chunks: list[tuple[int, str]] = []
    buffer: list[str] = []
    start = 0
    lines = [line + "\n" for line in text.split("\n")]  # only LF ends a line for the reader
    lines[-1] = lines[-1][:-1]
    for number, line in enumerate(lines):
        if not line:
            continue
        if line.startswith("---"):
            rest = line[3:].strip()
            if rest and not rest.startswith("#"):
                # Helm's message quotes the rest of the line; ours does not: it may be a secret
                raise YamlLoadError(
                    "invalid Yaml document separator: text after `---` on its line (Helm 4 takes "
                    "`---` alone, or with a comment, as the start of a document)",
                    number + 1,
                    4,
                )
            if buffer:
                chunks.append((start, "".join(buffer)))
                buffer = []
                start = number + 1
                continue
        if not buffer:
            start = number
        buffer.append(line)
    if buffer:
        chunks.append((start, "".join(buffer)))
    return chunks


def load_values(
    text: str, path: str = "<values>", *, chart_defaults: bool = False, merge_documents: bool = False
) -> LoadedYaml:
    """Parse one values file as Helm does.

    `-f` files (the default): only the first document counts, as the Helm SDK's ReadValues and
    Helm 3's `-f` read them, and nulls are kept (they delete keys from the layers below).
    `merge_documents=True`: every document is merged, nulls kept, as Helm 4's `-f` reads a file
    (LoadValues, helm/helm#13655). A chart's values.yaml (`chart_defaults=True`): the documents
    are merged as LoadValues does, and null-valued keys are dropped as rendering drops them.
    """
    with _deep_nesting_refused():
        if chart_defaults or merge_documents:
            return _load_all_documents(text, path, drop_nulls=chart_defaults)
        return _load_user_values(text, path)


# Characters go-yaml's reader refuses ("control characters are not allowed")
_NON_PRINTABLE = LazyPattern("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_DOCUMENT_MARKER = LazyPattern(r"^(?:---|\.\.\.)(?=[ \t\r\n]|$)", re.M)
_CONTENT = LazyPattern(r"^(?![ \t]*(?:#|\r?$)|---(?:[ \t\r]|$)|%)[^\n]", re.M)  # a line of a document


def _load_user_values(text: str, path: str) -> LoadedYaml:
    decoder = Decoder(record=True)
    count = 1
    original = text
    bad = _NON_PRINTABLE.search(text)
    if bad:
        # go-yaml checks characters as it reads its input, 512 bytes at a time, and stops after
        # the first document: a bad character in a block it never reads is no error
        markers = [
            m for m in _DOCUMENT_MARKER.finditer(text, 0, bad.start()) if _CONTENT.search(text, 0, m.start())
        ]
        if markers:
            first_end = len(text[: markers[0].start()].encode("utf-8")) + 3  # its `---` and one more
            if len(text[: bad.start()].encode("utf-8")) // 512 > first_end // 512:
                text, count = text[: markers[0].start()], 2
    roots = document_roots(text, 2)
    data = read_document(next(roots, None), decoder) or {}
    try:  # only to note what Helm 3 ignores: is there a second document with content?
        if _has_content(next(roots, None)):
            count = 2
    except YamlLoadError:
        count = 2
    return LoadedYaml(
        path=path,
        data=data,
        spans=decoder.spans,
        key_spans=decoder.key_spans,
        notes=decoder.notes,
        documents=count,
        text=original,
        alias_targets=decoder.alias_targets,
    )


def _has_content(root: Node | None) -> bool:
    """A document that is more than nothing: not empty, not a plain `null`/`~`."""
    return root is not None and not (
        root.kind == "scalar" and root.implicit and resolve_untyped("", root.value)[0] == NULL
    )


def _chunk_roots(chunk: str, offset: int) -> list[Node | None]:
    """The document of one chunk of Helm 4's split. A chunk of nothing but directives (`%TAG`,
    `%YAML`) lost its `---` to the split: go-yaml checks the directives, then finds no document
    start (Helm 3, reading the whole file, reads them with their document)."""
    try:
        return list(document_roots(chunk, 1, offset))
    except YamlLoadError:
        directives = [i for i, line in enumerate(chunk.split("\n")) if line.startswith("%")]
        if not directives or _CONTENT.search(chunk):
            raise
        list(document_roots(chunk + "---\n", 1, offset))  # the directives' own errors first
        raise YamlLoadError(
            "did not find expected <document start>: Helm 4 cuts the file at every `---` line, "
            "which leaves this directive without its document",
            offset + directives[0] + 1,
            1,
        ) from None


def _load_all_documents(text: str, path: str, drop_nulls: bool) -> LoadedYaml:
    spans: dict[ValuesPath, Span] = {}
    key_spans: dict[ValuesPath, Span] = {}
    alias_targets: dict[ValuesPath, Node] = {}
    notes: list[YamlNote] = []
    data: dict[str, Any] = {}
    count = 0
    chunks = split_documents(text[1:] if text.startswith("\ufeff") else text)  # Helm strips a BOM
    for offset, chunk in chunks:
        decoder = Decoder(record=True)
        for root in _chunk_roots(chunk, offset):
            count += _has_content(root)
            data = merge_maps(data, read_document(root, decoder) or {})
        spans.update(decoder.spans)
        key_spans.update(decoder.key_spans)
        alias_targets.update(decoder.alias_targets)
        notes.extend(decoder.notes)
    return LoadedYaml(
        path=path,
        data=_strip_nulls(data) if drop_nulls else data,
        spans=spans,
        key_spans=key_spans,
        notes=notes,
        documents=max(count, 1),
        text=text,
        alias_targets=alias_targets,
        all_documents=True,
    )
