"""What a chart's template writes for one rendered field: a literal, or which `.Values` it reads.

The trace (trace.py) matches a rendered scalar with the values a user file sets. An equal value
alone is not proof: `replicas: 1` written in the template equals any other key set to 1. The
template that rendered the object (Helm's `# Source:` comment) says more: the lines that write
the field's key (`replicas:`, `image:`) either hold a literal — then no values line set it — or
`{{ … }}` actions whose `.Values` references name the candidates. A static reading with no
template parser (template_refs.py), so it only narrows: where the lines cannot be told (no line
writes the key: `toYaml`, an `include`; a block scalar), the caller keeps its other evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from ..pointer import tokens
from ..template_refs import (
    EVERYTHING,
    TemplatePath,
    calls_tpl,
    prefix_matches,
    references_at,
    template_references,
)

# greedy to the line's end and stripped in Python: a lazy value before `[ \t]*$` was quadratic in a
# run of spaces (templates are input)
_KEY_LINE = r"^[ \t]*(?:-[ \t]+)*[\"']?{key}[\"']?[ \t]*:(?:[ \t]+(?P<value>.*))?$"
_COMMENT = re.compile(r"[ \t]#")  # where a comment starts (fixed width: linear on long blanks)
# the fraction only after a dot: `\d+\.?\d*` split a long run of digits every way (quadratic)
_NUMBER = re.compile(r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\Z")


@dataclass
class FieldSource:
    """What the template writes for one field. `literal`: a line writes it as a plain value equal
    to the rendered one and no line writes it from an action. `refs`: the values paths (in the
    target's values) the actions on its key's lines read; empty when none can be told.
    `reads`: every values path the chart's templates read (None: any, as with `tpl` or
    `toYaml .Values`), so that an equal value no template reads is no candidate."""

    literal: bool = False
    refs: set[tuple] = field(default_factory=set)
    reads: set[tuple] | None = None

    def may_read(self, path: tuple) -> bool:
        return self.reads is None or any(prefix_matches(ref, path) for ref in self.reads)

    def writes(self, path: tuple) -> bool:
        return any(prefix_matches(ref, path) for ref in self.refs)


def _chart_of(ctx: Any, template: str) -> tuple[tuple, Any, str] | None:
    """(values prefix, chart node, path below its templates/) of Helm's `# Source:` name: the
    root chart's `<name>/templates/x.yaml`, an enabled subchart's `<name>/charts/<key>/templates/…`."""
    charts = getattr(getattr(ctx, "values", None), "charts", None)
    if getattr(ctx, "chart", None) is None or charts is None:
        return None
    root = charts.enabled.get(())
    if root is None:
        return None
    for prefix, node in charts.enabled.items():
        head = root.name + "".join(f"/charts/{key}" for key in prefix) + "/templates/"
        if template.startswith(head):
            return prefix, node, template[len(head) :]
    return None


def _in_values(prefix: tuple, refs: set[TemplatePath]) -> set[tuple]:
    """A subchart's `.Values.x` as the target's values path `<its key>.x` (and a global as the
    chart's own `global.x`, which Helm copies down)."""
    found = {prefix + ref for ref in refs}
    return found | {ref for ref in refs if prefix and ref[:1] == ("global",)}


@lru_cache(maxsize=1024)
def _scan(text: str) -> tuple[frozenset[TemplatePath], bool]:
    """(values paths `text` reads, whether it calls `tpl`): once per template per run, not per finding."""
    return frozenset(template_references(text)), calls_tpl(text)


@lru_cache(maxsize=256)
def _by_action(text: str) -> tuple[tuple[int, frozenset[TemplatePath]], ...]:
    """(offset, values paths read) of each action of a template, once per template per run."""
    return tuple((start, frozenset(refs)) for start, refs in references_at(text))


def chart_reads(ctx: Any) -> set[tuple] | None:
    """Every values path any template of the rendered charts may read, None for any: each chart's
    references under its key and, as named templates are shared by all the charts, as the root
    chart's too (an over-reading is safe: it only keeps a candidate)."""
    charts = getattr(getattr(ctx, "values", None), "charts", None)
    if getattr(ctx, "chart", None) is None or charts is None:
        return None
    reads: set[tuple] = set()
    for prefix, node in charts.enabled.items():
        for text in node.templates.values():
            refs, tpl = _scan(text)
            if tpl or EVERYTHING in refs:
                return None
            reads |= _in_values(prefix, set(refs)) | set(refs)
    return reads


def _uncommented(value: str) -> str:
    comment = _COMMENT.search(value)
    return value[: comment.start()].rstrip() if comment else value


def _scalar(text: str) -> Any:
    """A plain YAML scalar as written: quotes removed, a number read as one."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return text[1:-1]
    if _NUMBER.match(text):
        return float(text)
    return text


def _same(rendered: Any, written: Any) -> bool:
    if isinstance(rendered, bool) or rendered is None:
        return False
    if isinstance(rendered, (int, float)) and isinstance(written, float):
        return float(rendered) == written
    return str(rendered) == str(written)


def field_source(
    ctx: Any, template: str, pointer: str, rendered: Any, reads: set[tuple] | None
) -> FieldSource | None:
    """What `template` writes at `pointer` (whose rendered value is `rendered`); None when the
    template is not one of the target's chart (the caller keeps matching values alone).
    `reads`: chart_reads(ctx), computed once per target."""
    found = _chart_of(ctx, template)
    if found is None:
        return None
    prefix, node, below = found
    texts = [text for shown, text in node.templates.items() if shown.endswith("/templates/" + below)]
    if len(texts) != 1:
        return None
    text = texts[0]
    source = FieldSource(reads=reads)
    key = tokens(pointer)[-1] if pointer else ""
    if not key or key.isdigit():
        return source
    literal_equal = templated = False
    for line in re.finditer(_KEY_LINE.format(key=re.escape(key)), text, re.MULTILINE):
        value = (line.group("value") or "").strip()
        if "{{" in value:
            templated = True
            at = line.start("value")
            for start, refs in _by_action(text):
                if at <= start < line.end():
                    source.refs |= _in_values(prefix, set(refs))
        elif not value or value[0] in "|>":
            templated = True  # the value is on the lines below: what writes it is not told here
        elif _same(rendered, _scalar(_uncommented(value))):
            literal_equal = True
    source.literal = literal_equal and not templated
    return source
