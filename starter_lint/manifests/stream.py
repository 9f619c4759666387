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

import re
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

import yaml

from .. import pointer as pointers
from ..errors import InputError
from ..findings import Location, Problem
from ..paths import display_path, read_bytes
from ..textio import YamlLoadError, decode_bytes
from .model import ManifestObject, ManifestSet

MAX_MANIFEST_BYTES = 64 * 1024 * 1024  # one rendered stream beyond this is refused (SL102)
MAX_DEPTH = 200  # deeper nesting is refused before Python recursion
MAX_EXPANDED_NODES = 1_000_000  # values in one document once aliases are expanded
MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")

_MARKER = re.compile(r"^(---|\.\.\.)(?=[ \t\r]|$)", re.M)
_SOURCE = re.compile(r"^#\s*Source:\s*(\S.*?)\s*$", re.M)
_DIRECTIVE = re.compile(r"^%")

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ManifestLoader(_Base):  # type: ignore[misc, valid-type]
    """SafeLoader with Kubernetes' scalar semantics; tags it does not know are errors (SL102)."""

    def __init__(self, stream):
        super().__init__(stream)
        self.duplicates: list = []  # (key, mark) of keys set twice in one mapping

    def resolve(self, kind, value, implicit):
        # PyYAML's own resolve, minus path resolvers (none are registered): the C parser calls
        # it for every scalar, so it is a third of the loading time of a large stream
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in _IMPLICIT.get(value[:1], _WILDCARD):
                    if regexp.match(value):
                        return tag
            return "tag:yaml.org,2002:str"
        return "tag:yaml.org,2002:map" if kind is yaml.MappingNode else "tag:yaml.org,2002:seq"


_WILDCARD = tuple(_Base.yaml_implicit_resolvers.get(None, ()))
_IMPLICIT = {
    first: tuple(pairs) + _WILDCARD
    for first, pairs in _Base.yaml_implicit_resolvers.items()
    if first is not None
}


def _timestamp_as_string(loader, node):
    # sigs.k8s.io/yaml (go-yaml v2) keeps timestamp-looking scalars as strings
    return loader.construct_scalar(node)


def _construct_tagged(loader, node):
    """A node PyYAML's constructors build (numbers, booleans, tags). Their errors quote the
    scalar (`invalid literal for int(): 'hunter2'`), which may be a secret: the error says
    only which tag does not fit, at the node."""
    try:
        return loader.construct_object(node, deep=True)
    except yaml.YAMLError:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError):
        raise yaml.constructor.ConstructorError(
            None,
            None,
            f"the value cannot be read as its tag {node.tag.replace('tag:yaml.org,2002:', '!!')} says "
            "(remove the tag or fix the value)",
            node.start_mark,
        ) from None


def _mapping_with_string_keys(loader, node):
    loader.flatten_mapping(node)
    out = {}
    for key_node, value_node in node.value:
        key = _construct_tagged(loader, key_node)
        if not isinstance(key, str):
            # JSON keys are strings: true -> "true", 1 -> "1", null -> "null" (as yaml-to-JSON does)
            key = "null" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))
        if key in out:
            # go-yaml refuses the document ("key already set in map"); so does kubectl apply
            loader.duplicates.append((key, key_node.start_mark))
        out[key] = _construct_tagged(loader, value_node)
    return out


def _binary_as_string(loader, node):
    # a !!binary value is base64 text in JSON; keep the text rather than bytes
    return "".join(loader.construct_scalar(node).split())


_ManifestLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_string)
_ManifestLoader.add_constructor("tag:yaml.org,2002:map", _mapping_with_string_keys)
_ManifestLoader.add_constructor("tag:yaml.org,2002:binary", _binary_as_string)

_STR, _MAP, _SEQ = "tag:yaml.org,2002:str", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"
_MERGE = "tag:yaml.org,2002:merge"


def _construct(loader: _ManifestLoader, root) -> object:
    """Plain data of a composed document, as the loader's constructors would build it.

    Strings, mappings and sequences (nearly every node of a manifest) are built here directly,
    twice as fast as PyYAML's general constructor; anything else (numbers, booleans, merge keys,
    tags) goes through the loader, so the semantics stay PyYAML's plus the overrides above. An
    alias is one shared node: it is built once and shared, never expanded here.
    """
    memo: dict = {}
    duplicates = loader.duplicates
    intern = sys.intern  # keys and short values repeat across thousands of objects: store each once

    def build(node):
        tag = node.tag
        kind = type(node)
        # a tag on a node of another kind (`!!map text`) is the constructors' error to raise
        if tag == _STR and kind is yaml.ScalarNode:
            value = node.value
            return intern(value) if len(value) <= 64 else value
        if tag == _MAP and kind is yaml.MappingNode:
            built = memo.get(id(node))
            if built is not None:
                return built
            if any(key_node.tag == _MERGE for key_node, _ in node.value):
                built = memo[id(node)] = _mapping_with_string_keys(loader, node)
                return built
            out = memo[id(node)] = {}
            for key_node, value_node in node.value:
                key = intern(key_node.value) if key_node.tag == _STR else _construct_tagged(loader, key_node)
                if type(key) is not str:
                    key = "null" if key is None else (str(key).lower() if isinstance(key, bool) else str(key))
                if key in out:
                    duplicates.append((key, key_node.start_mark))
                out[key] = build(value_node)
            return out
        if tag == _SEQ and kind is yaml.SequenceNode:
            built = memo.get(id(node))
            if built is not None:
                return built
            items = memo[id(node)] = []
            items.extend(build(child) for child in node.value)
            return items
        return _construct_tagged(loader, node)

    return build(root)


# ---------------------------------------------------------------------------------------------
# Documents


class _Document:
    __slots__ = ("first_line", "index", "text")

    def __init__(self, text: str, first_line: int, index: int):
        self.text = text  # the document's own lines (markers excluded)
        self.first_line = first_line  # 1-based line of `text`'s first line in the file
        self.index = index


def split_documents(text: str) -> Iterator[_Document]:
    """The documents of a stream, each with the file line its text starts on."""
    start, line, index = 0, 1, 0
    for match in _MARKER.finditer(text):
        chunk = text[start : match.start()]
        if chunk.strip() or index or match.group(1) == "...":
            yield _Document(chunk, line, index)
            index += 1
        line += chunk.count("\n")
        # a `--- ` line may carry content (`--- !!map`, `--- {a: 1}`): keep it with the next document
        end_of_line = text.find("\n", match.end())
        rest = text[match.end() : len(text) if end_of_line < 0 else end_of_line]
        if match.group(1) == "---" and rest.strip() and not rest.strip().startswith("#"):
            start = match.end()
            continue
        start = len(text) if end_of_line < 0 else end_of_line + 1
        line += 1
    tail = text[start:]
    if tail.strip() or index == 0:
        yield _Document(tail, line, index)


def _content_line(document: _Document) -> int:
    """The line of the document's first non-blank, non-comment line (where a reader looks)."""
    for offset, raw in enumerate(document.text.split("\n")):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#") and not _DIRECTIVE.match(stripped):
            return document.first_line + offset
    return document.first_line


def _shape_problem(value) -> str | None:
    """Why a loaded document is too big to check (nesting, or aliases expanding), or None.

    Aliases are shared, not copied, by the loader; every later walk (validation, rules,
    redaction) would expand them, so the expanded size is bounded here, once.
    """
    stack = [(value, 0)]
    budget = MAX_EXPANDED_NODES
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"is nested more than {MAX_DEPTH} levels deep; flatten it"
        children = node.values() if type(node) is dict else node
        containers = [(child, depth + 1) for child in children if type(child) in (dict, list)]
        budget -= len(node)
        if budget < 0:
            return (
                f"expands to more than {MAX_EXPANDED_NODES:,} values (an alias bomb?); "
                "write the data without aliases"
            )
        stack.extend(containers)
    return None


def _yaml_error(exc: yaml.YAMLError, document: _Document, path: str) -> Problem:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    line = document.first_line + (mark.line if mark is not None else 0)
    col = (mark.column + 1) if mark is not None else 1
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    context = getattr(exc, "context", None)
    detail = f"{context}, {problem}" if context and context not in problem else problem
    if "could not determine a constructor" in str(exc):
        detail = f"{problem} (tags are never constructed; remove the tag)"
    return Problem(
        f"{path} document {document.index + 1} is not valid YAML: {detail}; "
        "fix the syntax (the other documents are still checked)",
        location=Location(path, line, col),
        key=f"manifest-yaml:{document.index}",
    )


# ---------------------------------------------------------------------------------------------
# Positions on demand


@lru_cache(maxsize=64)
def _compose(text: str):
    try:
        return yaml.compose(text, Loader=_Base)
    except yaml.YAMLError:
        return None


def _entries(node) -> dict:
    """key text -> [(key node, value node)] in order, of a mapping node whose keys are scalars:
    built once per node (composed documents are cached), so a finding in a wide mapping costs a
    look-up, not a scan of its keys."""
    entries = node.__dict__.get("_entries_by_key")
    if entries is None:
        entries = {}
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                entries.setdefault(k.value, []).append((k, v))
        node._entries_by_key = entries
    return entries


def _node_at(root, tokens) -> tuple:
    """(node, key node or None) at the JSON pointer tokens, or the nearest existing ancestor."""
    node, key_node = root, None
    for token in tokens:
        if isinstance(node, yaml.MappingNode):
            entries = _entries(node).get(token)
            if not entries:
                return node, key_node
            key_node, node = entries[0]
        elif isinstance(node, yaml.SequenceNode) and pointers.index(token, len(node.value)) is not None:
            node, key_node = node.value[int(token)], None
        else:
            return node, key_node
    return node, key_node


def _scalars_at(root, tokens) -> list:
    """Every scalar node at the JSON pointer tokens, following each key written more than once."""
    nodes = [root]
    for token in tokens:
        found = []
        for node in nodes:
            if isinstance(node, yaml.MappingNode):
                found += [v for _, v in _entries(node).get(token, ())]
            elif isinstance(node, yaml.SequenceNode) and pointers.index(token, len(node.value)) is not None:
                found.append(node.value[int(token)])
        nodes = found
    return [node for node in nodes if isinstance(node, yaml.ScalarNode)]


def _make_locator(document: _Document, path: str, prefix: tuple):
    def locate(pointer: str, own: bool = False):
        """Where a finding at `pointer` is shown; `own`: the spans of every scalar written there
        (a key written twice holds two; none when the pointer leads through a merge key)."""
        root = _compose(document.text)
        if root is None:
            return [] if own else None
        if own:
            return [
                Location(
                    path,
                    document.first_line + node.start_mark.line,
                    node.start_mark.column + 1,
                    document.first_line + node.end_mark.line,
                    node.end_mark.column + 1,
                )
                for node in _scalars_at(root, list(prefix) + pointers.tokens(pointer))
            ]
        node, key_node = _node_at(root, list(prefix) + pointers.tokens(pointer))
        # a mapping or sequence is shown at its key (the line a reader looks for)
        anchor = key_node if key_node is not None and not isinstance(node, yaml.ScalarNode) else node
        if (
            key_node is not None
            and isinstance(node, yaml.ScalarNode)
            and node.start_mark.line != key_node.start_mark.line
        ):
            anchor = key_node
        start, end = anchor.start_mark, anchor.end_mark
        if anchor is node and isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and key_node is None:
            end = start
        return Location(
            path,
            document.first_line + start.line,
            start.column + 1,
            document.first_line + end.line,
            end.column + 1,
        )

    return locate


# ---------------------------------------------------------------------------------------------
# Loading


def load_text(text: str, display_path: str, options=None, into: ManifestSet | None = None) -> ManifestSet:
    """Every object of one stream (List items flattened), with YAML errors as SL102 problems."""
    result = into if into is not None else ManifestSet()
    result.files.append(display_path)
    result.sources[display_path] = text
    if not _load_stream(text, display_path, result):
        for document in split_documents(text):
            _load_document(document, display_path, result)
    if into is None:
        _note_if_empty(result)
    return result


def _load_stream(text: str, path: str, result: ManifestSet) -> bool:
    """The fast path: the whole stream through one parser, document lines from its marks.

    Returns False, having added nothing, when the stream has a YAML error or a duplicate key:
    then every document is loaded on its own, so that one bad document costs only itself.
    """
    loader = _ManifestLoader(text)
    loaded = []
    try:
        while loader.check_node():
            node = loader.get_node()
            loaded.append((node.start_mark, node.end_mark, _construct(loader, node)))
    except (yaml.YAMLError, RecursionError):
        return False
    finally:
        loader.dispose()
    if loader.duplicates:
        return False
    lines = text.split("\n")
    previous_end = 0
    for index, (start, end, data) in enumerate(loaded):
        if data is None:
            previous_end = end.line
            continue
        last = end.line if end.column > 0 or end.line == start.line else end.line - 1
        own = lines[start.line : last + 1]
        if start.column:  # `--- {…}`: keep the columns, drop what precedes the node
            own[0] = " " * start.column + own[0][start.column :]
        source = _SOURCE.search("\n".join(lines[previous_end : start.line]))
        document = _Document("\n".join(own) + "\n", start.line + 1, index)
        _add_data(data, document, path, source.group(1) if source else None, start.line + 1, result)
        previous_end = last + 1
    return True


def _load_document(document: _Document, path: str, result: ManifestSet) -> None:
    source = _SOURCE.search(document.text)
    template = source.group(1) if source else None
    loader = _ManifestLoader(document.text)
    try:
        node = loader.get_single_node()
        data = _construct(loader, node) if node is not None else None
    except yaml.YAMLError as exc:
        result.problems.append(("SL102", _yaml_error(exc, document, path)))
        return
    except RecursionError:
        result.problems.append(
            (
                "SL102",
                Problem(
                    f"{path} document {document.index + 1} is nested too deeply; flatten it",
                    location=Location(path, _content_line(document), 1),
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
        _add_data(data, document, path, template, _content_line(document), result)


def _add_data(
    data, document: _Document, path: str, template: str | None, line: int, result: ManifestSet
) -> None:
    """Turn one loaded document into objects (List items flattened) or SL102/SL704 problems."""
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
    shape = _shape_problem(data)
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
    end_line = document.first_line + document.text.rstrip("\n").count("\n")
    kind = data.get("kind")
    items = data.get("items")
    if isinstance(kind, str) and kind.endswith("List") and isinstance(items, list):
        for position, item in enumerate(items):
            if isinstance(item, dict):
                obj = ManifestObject(item, path, document.index, line, template, end_line)
                obj._locator = _make_locator(document, path, ("items", str(position)))
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
    obj._locator = _make_locator(document, path, ())
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


def expand_paths(paths: list, cwd=None) -> list:
    """Files to read, in order: files as given, directories recursively (sorted), `-` = stdin.
    A symlink leading outside the repository (or outside a folder named outside it) is an
    InputError: it is not followed."""
    from ..paths import confined_files

    out = []
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


def _read(path, cwd) -> tuple:
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
        line = text.count("\n", 0, text.index("\x00")) + 1
        return (
            shown,
            None,
            Problem(
                f"{shown} has a NUL byte: not a YAML text file", location=Location(shown, line, 1), key="nul"
            ),
        )
    return shown, text, None


def load_paths(paths: list, options=None) -> ManifestSet:
    """Load every manifest file under `paths` into one ManifestSet (missing paths: InputError)."""
    cwd = getattr(options, "cwd", None)
    result = ManifestSet()
    for path in expand_paths(list(paths), cwd):
        shown, text, problem = _read(path, cwd)
        if problem is not None:
            result.files.append(shown)
            result.problems.append(("SL102", problem))
            continue
        load_text(text, shown, options, into=result)
    _note_if_empty(result)
    return result
