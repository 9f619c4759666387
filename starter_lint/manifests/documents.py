"""The documents of a rendered manifest stream: where each starts, and why one cannot be read.

A stream is cut into documents at `---` / `...` marker lines (YAML forbids those lines inside a
document at column 0, so the cut is exact), so that a syntax error costs one document. A loaded
document too deep or too large once its aliases are expanded is refused here, once, before any
rule walks it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import yaml

from ..findings import Location, Problem
from ..lazy_pattern import LazyPattern
from ..textio import LINE_BREAK, LINE_BREAK_CHARS, split_lines

MAX_DEPTH = 200  # deeper nesting is refused before Python recursion
MAX_EXPANDED_NODES = 1_000_000  # values in one document once aliases are expanded

# `---` or `...` ending at a blank or a line break; a document marker only where a line starts,
# which `document_markers` checks on each match (a look-behind in the pattern scans 4x slower)
_MARKER = LazyPattern(rf"(---|\.\.\.)(?=[ \t{LINE_BREAK_CHARS}]|\Z)")
_DIRECTIVE = LazyPattern(r"^%")
_LINE_BREAKS = tuple(LINE_BREAK_CHARS)


class Document:
    """One document of a stream: its own lines (markers excluded) and where they start.

    A document cut by the parser's marks keeps only its span of the file's text, which the
    ManifestSet holds anyway (for excerpts): `text` is built when first asked for (positions of
    a finding), so a large input is not kept twice.
    """

    __slots__ = ("_end", "_indent", "_source", "_start", "first_line", "index")

    def __init__(self, text: str, first_line: int, index: int, span: tuple[int, int, int] | None = None):
        self._source = text  # the document's text, or with `span` the whole file's
        # (start, end, indent): text[start:end], its first `indent` columns blanked
        self._start, self._end, self._indent = span if span is not None else (0, -1, 0)
        self.first_line = first_line  # 1-based line of `text`'s first line in the file
        self.index = index

    def detach(self, text: str) -> None:
        """Let go of the file's `text` (to hand the document to another process that holds the
        text: `attach` it there); a document that has built its own text keeps that."""
        if self._source is text:
            self._source = ""

    def attach(self, text: str) -> None:
        if self._end >= 0 and not self._source:
            self._source = text

    def __reduce__(self) -> tuple[type[Document], tuple[str, int, int, tuple[int, int, int]]]:
        # compact when handed between processes (turns.py): the constructor's arguments, and the
        # file's text is one object every document of the file shares, so it is pickled once
        return Document, (self._source, self.first_line, self.index, (self._start, self._end, self._indent))

    @property
    def text(self) -> str:
        if self._end < 0:
            return self._source
        own = self._source[self._start : self._end]
        if self._indent:  # `--- {…}`: keep the columns, drop what precedes the node
            own = " " * self._indent + own[self._indent :]
        # kept once built: only documents with findings ask, and each finding asks again
        self._source, self._end = (own if own.endswith(_LINE_BREAKS) else own + "\n"), -1
        return self._source

    def last_line(self, breaks: int | None = None) -> int:
        """The file line of the document's last line (trailing line breaks not counted), from
        the span when there is one: loading asks this of every document, findings `text`.
        `breaks`: how many line breaks the span holds, when the caller knows (the parser's marks
        count them): then only the trailing ones are counted here, not every line."""
        if self._end < 0:
            return self.first_line + len(LINE_BREAK.findall(self._source.rstrip(LINE_BREAK_CHARS)))
        end = self._end
        while end > self._start and self._source[end - 1] in LINE_BREAK_CHARS:
            end -= 1
        if breaks is not None:  # no CR LF is cut at `end`: it follows a character that is no break
            return self.first_line + breaks - len(LINE_BREAK.findall(self._source, end, self._end))
        return self.first_line + len(LINE_BREAK.findall(self._source, self._start, end))


def document_markers(text: str) -> Iterator[re.Match[str]]:
    """The document markers of a stream (`---`, `...` at the start of a line), in order."""
    for match in _MARKER.finditer(text):
        start = match.start()
        if start == 0 or text[start - 1] in LINE_BREAK_CHARS:
            yield match


def document_start_after(text: str, offset: int) -> int | None:
    """Where the first `---` marker at or after `offset` starts (a place to cut a stream into
    two streams that read as it does), None when there is none."""
    for match in _MARKER.finditer(text, offset):
        start = match.start()
        if match.group(1) == "---" and (start == 0 or text[start - 1] in LINE_BREAK_CHARS):
            return start
    return None


def cut_point(text: str) -> int | None:
    """Where to cut a stream in two: the first `---` past its middle that directly follows a
    line of the previous document. Lines between a document's end and the next marker (after
    `...` or a flow document: comments, a `# Source:` line) belong, in one pass, to the next
    document's header; a cut there would lose them, so such a marker is passed over."""
    offset = len(text) // 2
    while (cut := document_start_after(text, offset)) is not None:
        if cut > 0 and _holds_content(_line_before(text, cut)):
            return cut
        offset = cut + 3
    return None


def _line_before(text: str, start: int) -> str:
    """The line that ends just before the line starting at `start`."""
    end = start - 1
    if end > 0 and text[end] == "\n" and text[end - 1] == "\r":
        end -= 1
    return text[max(text.rfind(char, 0, end) for char in LINE_BREAK_CHARS) + 1 : end]


def _holds_content(line: str) -> bool:
    """Whether a line holds a document's content: not blank, a comment, a directive or a bare
    marker (`--- {a: 1}` does, `--- # note` and `...` do not)."""
    line = line.strip()
    if line.startswith(("---", "...")):
        rest = line[3:].strip()
        return line.startswith("---") and bool(rest) and not rest.startswith("#")
    return bool(line) and not line.startswith(("#", "%"))


def split_documents(text: str) -> Iterator[Document]:
    """The documents of a stream, each with the file line its text starts on."""
    start, line, index = 0, 1, 0
    for match in document_markers(text):
        chunk = text[start : match.start()]
        if chunk.strip() or index or match.group(1) == "...":
            yield Document(chunk, line, index)
            index += 1
        line += len(LINE_BREAK.findall(chunk))
        # a `--- ` line may carry content (`--- !!map`, `--- {a: 1}`): keep it with the next document
        end_of_line = LINE_BREAK.search(text, match.end())
        rest = text[match.end() : len(text) if end_of_line is None else end_of_line.start()]
        if match.group(1) == "---" and rest.strip() and not rest.strip().startswith("#"):
            start = match.end()
            continue
        start = len(text) if end_of_line is None else end_of_line.end()
        line += 1
    tail = text[start:]
    if tail.strip() or index == 0:
        yield Document(tail, line, index)


def content_line(document: Document) -> int:
    """The line of the document's first non-blank, non-comment line (where a reader looks)."""
    for offset, raw in enumerate(split_lines(document.text)):
        stripped = raw.strip()
        if stripped and not stripped.startswith("#") and not _DIRECTIVE.match(stripped):
            return document.first_line + offset
    return document.first_line


def shape_problem(value: Any) -> str | None:
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


def yaml_error(exc: yaml.YAMLError, document: Document, path: str) -> Problem:
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
