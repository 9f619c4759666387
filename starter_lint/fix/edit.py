"""Applying fixes to a values file's text with ruamel.yaml's round trip, keeping the rest.

A fix names a values path in the file the finding points at and the value to write there
(`findings.Fix`). ruamel.yaml's round-trip mode keeps comments, key order and the quoting of
untouched scalars as they were; indentation, line endings (LF or CRLF), a UTF-8 BOM and the file
mode are kept, and a symlink is written through to its target. Whether the result is what the
fixes say is `verify`'s question.
"""

from __future__ import annotations

import codecs
import io
import itertools
import math
import os
import re

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.constructor import RoundTripConstructor
from ruamel.yaml.error import YAMLError
from ruamel.yaml.representer import RoundTripRepresenter
from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

from ..errors import StarterLintError
from ..findings import format_path
from ..paths import write_atomic
from ..yamlio import YamlLoadError, key_to_string, load_values, resolve_plain
from .select import KEY_FIX

_MISSING = object()


def _indentation(text: str) -> tuple:
    """(mapping indent, sequence indent, dash offset) as the file uses them."""
    mapping, offset = None, None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for line, following in itertools.pairwise(lines):
        if not re.match(r"^\s*(- +)?[^\s#][^#]*:\s*(#.*)?$", line):
            continue  # only a key that opens a block
        dash = re.match(r"^\s*(- +)?", line)  # always matches: both parts are optional
        own = len(line) - len(line.lstrip()) + (len(dash.group(1) or "") if dash else 0)
        child = len(following) - len(following.lstrip())
        if child <= own:
            continue
        if following.lstrip().startswith("- "):
            offset = child - own if offset is None else offset
        else:
            mapping = child - own if mapping is None else mapping
        if mapping is not None and offset is not None:
            break
    mapping = mapping or 2
    offset = offset if offset is not None else 0
    return mapping, max(mapping, offset + 2), offset


def _helm_key(key) -> str | None:
    try:
        value = resolve_plain(key) if isinstance(key, str) else key
        return value if isinstance(value, str) else key_to_string(value)
    except (YamlLoadError, ValueError, TypeError):
        return None


def _find_key(mapping, part):
    """The ruamel key that Helm reads as `part` (exact text first, then YAML 1.1 resolution)."""
    for key in mapping:
        if isinstance(key, str) and key == part:
            return key
    for key in mapping:
        if _helm_key(key) == part:
            return key
    return _MISSING


def _to_yaml(value, like=_MISSING):
    """The ruamel node for `value`. A string replacing a string keeps that string's style (plain
    stays plain where Helm would read the plain text as the same string); any other string is
    double-quoted (`"1.10"`, `"true"`, a new setting)."""
    if isinstance(value, str):
        if isinstance(like, ScalarString):
            return type(like)(value)
        if type(like) is str and "\n" not in value and resolve_plain(value) == value:
            return value  # ruamel still quotes it if the text cannot be plain YAML
        return DoubleQuotedScalarString(value)
    if isinstance(value, dict):
        out = CommentedMap()
        for key, item in value.items():
            out[key] = _to_yaml(item)
        return out
    if isinstance(value, (list, tuple)):
        return CommentedSeq([_to_yaml(item) for item in value])
    return value


def _walk(root, path: tuple, create: bool):
    """The container holding path[-1] and the key/index there (created when `create`)."""
    node = root
    for part in path[:-1]:
        if isinstance(node, list) and isinstance(part, int):
            if not 0 <= part < len(node):
                return None, _MISSING
            node = node[part]
            continue
        if not isinstance(node, dict):
            return None, _MISSING
        key = _find_key(node, part)
        if key is _MISSING or ((node[key] is None or isinstance(node[key], _NullText)) and create):
            if not create:
                return None, _MISSING
            if key is _MISSING:
                key = part
            node[key] = CommentedMap()
        elif not isinstance(node[key], (dict, list)):
            return None, _MISSING
        node = node[key]
    last = path[-1]
    if isinstance(node, list):
        return (node, last) if isinstance(last, int) and 0 <= last < len(node) else (None, _MISSING)
    if not isinstance(node, dict):
        return None, _MISSING
    key = _find_key(node, last)
    return node, (last if key is _MISSING else key)


def _set_value(root, fix) -> bool:
    container, key = _walk(root, tuple(fix.path), create=fix.value is not None)
    if container is None:
        return False
    if fix.value is None:
        if isinstance(container, dict) and key in container:
            del container[key]
            return True
        return False
    exists = isinstance(container, list) or key in container
    container[key] = _to_yaml(fix.value, container[key] if exists else _MISSING)
    return True


def _fix_value(roots: list, fix) -> bool:
    """Set the value in the last document that holds it (the one whose value Helm 4 keeps; a
    new key goes into the last document); delete it from every document that holds it."""
    if fix.value is None:
        return any([_set_value(root, fix) for root in roots])
    holders = [root for root in roots if _holds(root, tuple(fix.path))]
    return _set_value(holders[-1] if holders else roots[-1], fix)


def _holds(root, path: tuple) -> bool:
    container, key = _walk(root, path, create=False)
    return container is not None and (isinstance(container, list) or key in container)


def _quote_key(root, fix) -> bool:
    container, key = _walk(root, tuple(fix.path), create=False)
    # a round-trip loaded mapping: it keeps the key's comment
    if not isinstance(container, CommentedMap) or key not in container or not isinstance(fix.value, str):
        return False
    position = list(container).index(key)
    value = container[key]
    comment = container.ca.items.pop(key, None)
    del container[key]
    new_key = DoubleQuotedScalarString(fix.value)
    container.insert(position, new_key, value)
    if comment is not None:
        container.ca.items[new_key] = comment
    return True


def _newline(text: str) -> str:
    """The file's line ending: CRLF when most lines end so (a mixed file comes out consistent)."""
    crlf = text.count("\r\n")
    return "\r\n" if crlf and crlf * 2 >= text.count("\n") else "\n"


def _cannot_round_trip(text: str, exc, shown: str) -> StarterLintError:
    """One line saying why ruamel cannot rewrite the file, in the user's terms."""
    try:
        notes = load_values(text, shown).notes
    except YamlLoadError:
        notes = []
    for note in notes:
        if note.kind == "duplicate-key":
            return StarterLintError(
                f"{shown}:{note.span.line}: cannot fix a file with a duplicate key "
                f"({format_path(note.path)}, SL103): keep one of them, then run fix again; nothing written"
            )
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"{shown}:{mark.line + 1}" if mark is not None else shown
    return StarterLintError(
        f"{where}: cannot fix this file without rewriting more than the fixes ({problem}); nothing written"
    )


class _OutOfRangeNumber(str):
    """A plain scalar ruamel reads as a float beyond float64 (`12e3000`). Go's ParseFloat fails
    on it, so Helm reads the text as a string; ruamel would write it back as `.inf`, which Helm
    refuses. It keeps its text, written back as it was."""


class _NullText(str):
    """A null written as `null`, `Null`, `NULL` or `~`: ruamel would write every null back as an
    empty value, rewriting lines no fix touched. It keeps its text."""


class _RoundTripConstructor(RoundTripConstructor):
    """ruamel's round-trip reader, keeping out-of-range floats and written nulls as their text."""

    def construct_yaml_float(self, node):
        value = super().construct_yaml_float(node)
        if isinstance(value, float) and math.isinf(value) and "inf" not in node.value.lower():
            return _OutOfRangeNumber(node.value)
        return value

    def construct_yaml_null(self, node):
        return _NullText(node.value) if node.value else None


class _RoundTripRepresenter(RoundTripRepresenter):
    """ruamel's round-trip writer, with its own representers (below) for that kept text."""


_RoundTripConstructor.add_constructor("tag:yaml.org,2002:float", _RoundTripConstructor.construct_yaml_float)
_RoundTripConstructor.add_constructor("tag:yaml.org,2002:null", _RoundTripConstructor.construct_yaml_null)
_RoundTripRepresenter.add_representer(
    _NullText, lambda self, data: self.represent_scalar("tag:yaml.org,2002:null", str(data))
)
# under the float tag, the resolver finds the plain text implicit: it is written unquoted
_RoundTripRepresenter.add_representer(
    _OutOfRangeNumber, lambda self, data: self.represent_scalar("tag:yaml.org,2002:float", str(data))
)


def _round_trip_yaml():
    """ruamel's round-trip YAML, but with out-of-range floats and nulls kept as their text."""
    yaml = YAML(typ="rt")
    yaml.Constructor, yaml.Representer = _RoundTripConstructor, _RoundTripRepresenter
    return yaml


def apply_fixes(text: str, findings: list, shown: str = "<values>", all_documents: bool = False) -> str:
    """The text with every finding's fix applied (values first, then keys, deepest first), in
    the file's line endings. Which fixes to pass is `choose_fixes`'s decision. `all_documents`:
    the file is read as Helm 4 reads it, every document merged."""
    newline = _newline(text)
    work = text.replace("\r\n", "\n")
    yaml = _round_trip_yaml()
    yaml.preserve_quotes = True
    yaml.width = 4096
    mapping, sequence, offset = _indentation(work)
    yaml.indent(mapping=mapping, sequence=sequence, offset=offset)
    try:
        documents = list(yaml.load_all(work))
    except YAMLError as exc:
        raise _cannot_round_trip(text, exc, shown) from None
    # Helm 3 reads the first document; Helm 4 merges them all, so a fix goes where its value is
    roots = [d for d in documents if isinstance(d, dict)] if all_documents else documents[:1]
    if not roots or not isinstance(roots[0], dict):
        return text
    values = [f for f in findings if f.key != KEY_FIX]
    keys = sorted((f for f in findings if f.key == KEY_FIX), key=lambda f: -len(f.fix.path))
    changed = False
    for finding in values:
        changed |= _fix_value(roots, finding.fix)
    for finding in keys:  # a key written in several documents is quoted in each (a list: no short cut)
        changed |= any([_quote_key(root, finding.fix) for root in roots])
    if not changed:
        return text
    yaml.explicit_start = work.lstrip().startswith("---")
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(documents[0], out)
    else:
        yaml.dump_all(documents, out)
    return out.getvalue().replace("\n", newline)


def atomic_write(path: str, text: str) -> None:
    """Replace the file in one step, keeping its permissions and UTF-8 BOM; a symlink is written
    through (its target changes, the link stays)."""
    target = os.path.realpath(path)
    try:
        with open(target, "rb") as handle:
            bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    except OSError:
        bom = False
    write_atomic(target, ("\ufeff" + text) if bom and not text.startswith("\ufeff") else text)
