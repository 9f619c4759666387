"""Code actions on findings: their fixes, and "disable SLnnn on this line" (docs/editor.md).

A fix is computed as `starter-lint fix` computes it (fix/edit.py `apply_fixes`, on the one
`key: value` entry it changes where that can be cut out of the editor's text, else on the whole
text; then the whole text re-read as Helm reads it: only the fixed path may change) and sent as
the smallest edit covering what changed, so the editor keeps the cursor and undo history of the
rest. The fix `fix` would apply for a values path (a safe one) is the preferred action; an
unsafe one (it changes what Helm renders, fix/select.py) is offered too, its title saying why,
never preferred. A fix that cannot be applied to this text is not offered. Actions carry no
`diagnostics` (the kind is `quickfix`): the server builds the diagnostics, this module does not. The file is read as Helm 4 reads a `-f` file (every document merged), the
default `--helm-version`.

A disable action writes the inline suppression directives.py reads: a comment line of its own
above the finding's line, indented like it (it also covers a line inside a flow collection,
where a trailing comment would not always be possible), or, where a directive already covers
the line, the rule added to that directive's list (a new comment line there would move the old
directive off the line it covers). Broken YAML (SL102) gets neither: there is nothing to fix
by rule and nothing a suppression should hide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from lsprotocol import types

from ..catalog import Catalog
from ..directives import parse_directives
from ..errors import StarterLintError
from ..findings import Finding
from ..fix import apply_fixes, choose_fixes, expected_values, fix_is_safe, unsafe_reason
from ..records import replace
from ..tree import get_path, same_values
from ..yamlio import LoadedYaml, YamlLoadError, load_values
from .positions import TextPositions

BROKEN_YAML = "SL102"
REASON_PLACEHOLDER = "reason: why this is fine"
_SHOWN = "<editor>"  # the name apply_fixes and load_values may put in an error we do not show
_ENTRY_PREFIX = re.compile(r"[ ]*(?:-[ ]+)*")  # what may precede a key cut out with its entry
_LINE_END = 2**31 - 1  # past any line's last character (LSP's uinteger)
_DIRECTIVE_RULES = re.compile(r"#\s*starter-lint:\s*disable\s*=\s*[A-Za-z0-9]+(?:\s*,\s*[A-Za-z0-9]+)*")


def _intersects(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (ends included: a cursor at a finding's end counts)."""
    return (a.start.line, a.start.character) <= (b.end.line, b.end.character) and (
        b.start.line,
        b.start.character,
    ) <= (a.end.line, a.end.character)


def smallest_edit(positions: TextPositions, after: str) -> types.TextEdit:
    """The one replacement turning `positions.text` into `after`: the text between their common
    prefix and common suffix. Neither end splits a CR LF (LSP counts it as one line break)."""
    before = positions.text
    limit = min(len(before), len(after))
    start = 0
    while start < limit and before[start] == after[start]:
        start += 1
    suffix = 0
    while suffix < limit - start and before[-1 - suffix] == after[-1 - suffix]:
        suffix += 1
    end_before, end_after = len(before) - suffix, len(after) - suffix
    if 0 < start < len(before) and before[start - 1] == "\r" and before[start] == "\n":
        start -= 1
    if 0 < end_before < len(before) and before[end_before - 1] == "\r" and before[end_before] == "\n":
        end_before, end_after = end_before + 1, end_after + 1
    return types.TextEdit(
        range=types.Range(start=positions.position_of(start), end=positions.position_of(end_before)),
        new_text=after[start:end_after],
    )


def _workspace_edit(uri: str, edit: types.TextEdit) -> types.WorkspaceEdit:
    return types.WorkspaceEdit(changes={uri: [edit]})


def _entry_span(positions: TextPositions, original: LoadedYaml, path: tuple) -> tuple[int, int] | None:
    """The offsets of the `key: value` entry at `path` in a block mapping, from its key to the
    end of its value's last line (a trailing comment included); None where it cannot be cut out
    (inside a flow collection, or no key there)."""
    key_span, span = original.key_spans.get(path), original.spans.get(path)
    if key_span is None or span is None:
        return None
    text = positions.text
    start = positions.offset_of(key_span.line, key_span.col)
    if not _ENTRY_PREFIX.fullmatch(text[positions.offset_of(key_span.line, 1) : start]):
        return None
    last = span.end_line
    # a block value ends where the next line begins: its last line is the one before
    if (
        last > key_span.line
        and not text[positions.offset_of(last, 1) : positions.offset_of(last, span.end_col)].strip()
    ):
        last -= 1
    return start, positions.offset_of(last, len(text) + 1)


def _entry_fix(positions: TextPositions, finding: Finding, original: LoadedYaml) -> str | None:
    """The text with the fix applied by `apply_fixes` to the one entry it changes (for a new key:
    the last entry of its mapping, which it follows), cut out and indented back; None where no
    entry can be cut out. A ruamel round trip of a 500-line file takes a few hundred
    milliseconds, of one entry about one: the editor asks for actions on every cursor move."""
    fix = finding.fix
    if fix is None or original.documents != 1 or original.alias_targets:
        return None
    path = tuple(fix.path)
    if not path or not isinstance(path[-1], str):
        return None
    anchor = path
    if path not in original.key_spans:
        parent = get_path(original.data, path[:-1], None)
        keys = [path[:-1] + (key,) for key in parent or ()] if isinstance(parent, dict) else []
        keys = [key for key in keys if key in original.key_spans]
        if not keys or fix.value is None:
            return None
        anchor = max(keys, key=lambda key: (original.key_spans[key].line, original.key_spans[key].col))
    span = _entry_span(positions, original, anchor)
    if span is None:
        return None
    text = positions.text
    indent = " " * (original.key_spans[anchor].col - 1)
    lines = text[span[0] : span[1]].split("\n")
    if any(line.strip() and not line.startswith(indent) for line in lines[1:]):
        return None
    fragment = "\n".join(lines[:1] + [line[len(indent) :] if line.strip() else line for line in lines[1:]])
    moved = finding.with_(fix=replace(fix, path=(path[-1],)))
    out = apply_fixes(fragment, [moved], _SHOWN)
    if out == fragment:
        return text
    out = out[:-2] if out.endswith("\r\n") else out[:-1] if out.endswith("\n") else out
    out_lines = out.split("\n")
    out = "\n".join(out_lines[:1] + [indent + line if line.strip() else line for line in out_lines[1:]])
    return text[: span[0]] + out + text[span[1] :]


def _applied(positions: TextPositions, finding: Finding, original: LoadedYaml) -> str | None:
    """The text with the finding's fix applied, or None where it cannot be: as `starter-lint fix`
    applies it (fix/edit.py), to the entry it changes where that can be cut out, else to the
    whole text; either way only the fixed path may change in the values Helm reads."""
    for attempt in (_entry_fix, _whole_fix):
        try:
            after = attempt(positions, finding, original)
            if after is None or after == positions.text:
                continue
            fixed = load_values(after, _SHOWN, merge_documents=True)
        except (StarterLintError, YamlLoadError):
            continue
        if same_values(fixed.data, expected_values(original.data, [finding])):
            return after
    return None  # rewriting the text would change other values: `fix` holds it back too


def _whole_fix(positions: TextPositions, finding: Finding, original: LoadedYaml) -> str:
    return apply_fixes(positions.text, [finding], _SHOWN, all_documents=True)


def _fix_action(
    uri: str, positions: TextPositions, finding: Finding, original: LoadedYaml, preferred: bool
) -> types.CodeAction | None:
    """The quick fix of one finding, or None where it cannot be applied to this text."""
    fix = finding.fix
    if fix is None:
        return None
    try:
        safe = fix_is_safe(finding)
    except StarterLintError:
        return None
    after = _applied(positions, finding, original)
    if after is None:
        return None
    reason = unsafe_reason(finding, original.data) or (None if safe else "the rule marks this fix unsafe")
    title = f"{finding.rule}: {fix.description}"
    return types.CodeAction(
        title=title if reason is None else f"{title} (unsafe: {reason})",
        kind=types.CodeActionKind.QuickFix,
        edit=_workspace_edit(uri, smallest_edit(positions, after)),
        is_preferred=preferred and reason is None,
    )


def _line_span(positions: TextPositions, line: int) -> tuple[int, int]:
    """The offsets where a Location's 1-based line starts and ends (before its line break)."""
    start = positions.offset_of(line, 1)
    return start, positions.offset_of(line, len(positions.text) + 1)


def _disable_action(uri: str, positions: TextPositions, finding: Finding) -> types.CodeAction:
    """`# starter-lint: disable=SLnnn <reason>` for the finding's line: a comment line above it,
    or the rule added to the directive that already covers it."""
    text = positions.text
    line = finding.location.line
    title = f"Disable {finding.rule} on this line (with a reason)"
    for directive in parse_directives(text).by_line.get(line, []):
        if directive.kind != "disable":
            continue
        start, end = _line_span(positions, directive.line)
        match = _DIRECTIVE_RULES.match(text, start + directive.col - 1, end)
        if match is not None:
            at = positions.position_of(match.end())
            edit = types.TextEdit(range=types.Range(start=at, end=at), new_text="," + finding.rule)
            return types.CodeAction(
                title=title, kind=types.CodeActionKind.QuickFix, edit=_workspace_edit(uri, edit)
            )
    start, end = _line_span(positions, line)
    content = text[start:end]
    indent = content[: len(content) - len(content.lstrip(" "))]
    newline = "\r\n" if "\r\n" in text else "\n"
    comment = f"{indent}# starter-lint: disable={finding.rule} {REASON_PLACEHOLDER}{newline}"
    at = positions.position_of(start)
    edit = types.TextEdit(range=types.Range(start=at, end=at), new_text=comment)
    return types.CodeAction(title=title, kind=types.CodeActionKind.QuickFix, edit=_workspace_edit(uri, edit))


def _has_fix(finding: Finding) -> bool:
    """Whether the finding has a fix `fix` could apply (a values path, and a rule declaring one)."""
    if finding.fix is None or not finding.fix.path:
        return False
    try:
        fix_is_safe(finding)
    except (StarterLintError, KeyError):
        return False  # a rule that declares no fix, or one from a rule-dirs file only
    return True


def _with_fixes(finding: Finding) -> Iterator[Finding]:
    """The finding and the findings of the same cause folded into it (related.py) in this file:
    a related finding's fix is a fix of the same mistake (SL604's "true" for SL104's yes)."""
    yield finding
    for related in finding.related:
        if related.location.path == finding.location.path:
            yield related


def _fix_actions(
    uri: str, positions: TextPositions, candidates: list[Finding], original: LoadedYaml
) -> list[types.CodeAction]:
    """One action per distinct edit of the candidates' fixes (SL104 and SL604 may propose the
    same); the fix `starter-lint fix` would apply for a values path is the preferred one."""
    chosen = {id(f) for f in choose_fixes(candidates, original.data)[0]}
    fixes: list[types.CodeAction] = []
    seen: set[tuple[int, int, int, int, str]] = set()
    for finding in candidates:
        action = _fix_action(uri, positions, finding, original, id(finding) in chosen)
        if action is None or action.edit is None or action.edit.changes is None:
            continue
        edit = action.edit.changes[uri][0]
        start, end = edit.range.start, edit.range.end
        key = (start.line, start.character, end.line, end.character, edit.new_text)
        if key not in seen:
            seen.add(key)
            fixes.append(action)
    return fixes


def code_actions(
    uri: str, text: str, findings: Sequence[Finding], range_: types.Range, catalog: Catalog
) -> list[types.CodeAction]:
    """The quick fixes of the findings whose range meets `range_` (an empty range, a cursor:
    its whole line): each fix that applies to `text` (safe ones preferred), then one "disable"
    per rule and line."""
    positions = TextPositions(text)
    if range_.start == range_.end:  # a cursor: what its line shows (the lightbulb is per line)
        line = range_.start.line
        range_ = types.Range(
            start=types.Position(line=line, character=0), end=types.Position(line=line, character=_LINE_END)
        )
    here = [
        f
        for f in findings
        if f.rule != BROKEN_YAML and f.rule in catalog and _intersects(positions.range_of(f.location), range_)
    ]
    candidates = [f for owner in here for f in _with_fixes(owner) if _has_fix(f)]
    try:
        original = load_values(text, _SHOWN, merge_documents=True) if candidates else None
    except YamlLoadError:
        original = None  # broken YAML: no fix applies (SL102 says where)
    fixes = _fix_actions(uri, positions, candidates, original) if original is not None else []
    fixes.sort(key=lambda action: not action.is_preferred)
    disables: dict[tuple[str, int], types.CodeAction] = {}
    for finding in here:
        disables.setdefault((finding.rule, finding.location.line), _disable_action(uri, positions, finding))
    return fixes + list(disables.values())
