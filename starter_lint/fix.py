"""`starter-lint fix`: apply the fixes of findings to the values files, keeping the rest.

A fix names a values path in the file the finding points at and the value to write there
(`findings.Fix`). It is applied with ruamel.yaml's round-trip mode, so comments, key order and
the quoting of untouched scalars stay as they were; indentation, line endings (LF or CRLF), a
UTF-8 BOM and the file mode are kept, and a symlink is written through to its target.

Safe and unsafe, as ruff means them: a **safe** fix does not change what Helm renders. It may
change only the path it names, to exactly the value it names, and where it turns a value from
one YAML type into another (`yes` -> `true`, `5` -> `"5"`, `017` -> `15`) the text Helm renders for
it stays the same; a fix of a key keeps the key Helm reads (`on:` -> `"true":`). Everything else
(`1.10` -> `"1.10"`, where Helm read 1.1) is **unsafe** and applied only with `--unsafe-fixes`.
A rule marks its fix safe or unsafe; this module checks the claim for every fix before applying
it and holds back (and reports) a "safe" fix that would change what Helm renders. After applying,
the file is re-read with the Helm-exact loader and compared with the original: any difference
other than the named paths taking the named values is an error and nothing is written.
"""

from __future__ import annotations

import codecs
import copy
import difflib
import functools
import io
import itertools
import os
import re
from dataclasses import dataclass, field

from .errors import StarterLintError
from .report.escape import terminal

_MISSING = object()
KEY_FIX = "ambiguous-key"  # the SL104 identity key of a finding about a key, not a value
_CONTEXT_LINES = 3
REWRITE_CHANGES_OTHERS = "rewriting the file for it would change other values Helm loads"


@dataclass
class FileFix:
    path: str  # the file on disk
    shown: str  # its display path
    findings: list = field(default_factory=list)  # those whose fix is applied
    held: list = field(default_factory=list)  # (finding, reason) of fixes not applied
    before: str = ""
    after: str = ""
    hidden_before: dict = field(default_factory=dict)  # line -> first column of a secret value
    hidden_after: dict = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def diff(self, secrets=()) -> str:
        """A unified diff that `git apply` and `patch -p1` apply to the file as it is, and that
        never shows a secret value: a line holding one (found by position, `hidden_before` /
        `hidden_after`; or one of `secrets`, the run's secret texts, where it occurs elsewhere,
        as an anchor's value aliased into a secret, when long enough not to hit ordinary words)
        is never a context line — hunks stop before it. Where a patch that applies would have to
        show such a line (it is changed, or directly beside a change), DiffRefused says which.
        A file whose name `terminal` would escape (a line break, ESC, bidi control, a byte that is
        not UTF-8) gets no diff either: its header would have to write the name raw (a new line,
        perhaps a workflow command) or name another file."""
        if terminal(self.shown) != self.shown:
            raise DiffRefused(
                f"{self.shown}: no --diff: the file name holds a line break, control or bidi character, "
                f"which a patch header can neither show safely nor name the file by; run "
                f"`starter-lint fix` on it and review the change in your editor"
            )
        old, new = self.before.splitlines(keepends=True), self.after.splitlines(keepends=True)
        secret_old = [
            a != b for a, b in zip(old, _redact_lines(old, self.hidden_before, secrets), strict=False)
        ]
        secret_new = [
            a != b for a, b in zip(new, _redact_lines(new, self.hidden_after, secrets), strict=False)
        ]
        out = []
        for hunk in _hunks(old, new, secret_old, secret_new, self.shown):
            if not out:
                out += [f"--- a/{self.shown}\n", f"+++ b/{self.shown}\n"]
            (a1, a2), (b1, b2) = hunk[0], hunk[1]
            out.append(f"@@ -{_range(a1, a2)} +{_range(b1, b2)} @@\n")
            for sign, line in hunk[2]:
                _refuse_unsafe_text(line, self.shown)
                out.append(
                    sign + line
                    if line.endswith(("\n", "\r"))
                    else f"{sign}{line}\n\\ No newline at end of file\n"
                )
        return "".join(out)


def _refuse_unsafe_text(line: str, shown: str) -> None:
    """A diff prints the file's lines as they are (escaping them would make the patch name other
    text): a line a terminal or a CI runner would interpret — a control, ESC or bidi character, or
    a leading `::` that GitHub Actions reads as a workflow command — gets no diff."""
    text = line.rstrip("\r\n")
    if terminal(text) != text or text.lstrip().startswith("::"):
        raise DiffRefused(
            f"{shown}: no --diff: the diff would print a line with a control or bidi character, or "
            f"one beginning with `::` (a CI runner would obey it); run `starter-lint fix` on it and "
            f"review the change in your editor"
        )


class DiffRefused(StarterLintError):
    """A patch that applies would have to show a line holding a secret value."""


def _hunks(old: list, new: list, secret_old: list, secret_new: list, shown: str) -> list:
    """((old start, stop), (new start, stop), [(sign, line)]) per hunk: up to _CONTEXT_LINES of
    context each side, never a secret line; two changes share a hunk when the lines between them
    are few and hold no secret."""
    changes = [
        op for op in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes() if op[0] != "equal"
    ]
    for _tag, i1, i2, j1, j2 in changes:
        secret = next((i + 1 for i in range(i1, i2) if secret_old[i]), None) or next(
            (j + 1 for j in range(j1, j2) if secret_new[j]), None
        )
        if secret is not None:
            raise DiffRefused(
                f"{shown}: no --diff: the fix changes line {secret}, which holds a secret value; "
                f"run `starter-lint fix {shown}` and review the change in your editor"
            )

    def context_before(i: int, floor: int) -> int:  # first old line of the leading context
        start = i
        while start > max(floor, i - _CONTEXT_LINES) and not secret_old[start - 1]:
            start -= 1
        return start

    def context_after(i: int, ceiling: int) -> int:  # old line after the trailing context
        stop = i
        while stop < min(ceiling, i + _CONTEXT_LINES) and not secret_old[stop]:
            stop += 1
        return stop

    groups: list = []
    for change in changes:
        if groups:
            gap = range(groups[-1][-1][2], change[1])
            if len(gap) <= 2 * _CONTEXT_LINES and not any(secret_old[i] for i in gap):
                groups[-1].append(change)
                continue
        groups.append([change])
    out = []
    for number, group in enumerate(groups):
        first, last = group[0], group[-1]
        floor = groups[number - 1][-1][2] if number else 0
        ceiling = groups[number + 1][0][1] if number + 1 < len(groups) else len(old)
        start, stop = context_before(first[1], floor), context_after(last[2], len(old))
        stop = min(stop, ceiling)
        if (start == first[1] and first[1] > 0) or (stop == last[2] and last[2] < len(old)):
            beside = first[1] if start == first[1] and first[1] > 0 else last[2] + 1
            raise DiffRefused(
                f"{shown}: no --diff: line {beside}, next to a fixed line, holds a secret value "
                "that a patch would have to show as context; run "
                f"`starter-lint fix {shown}` and review the change in your editor"
            )
        # GNU patch reads a hunk with less context on one side as lying at that end of the file
        # (and applies it only with fuzz elsewhere): keep both sides alike unless it does
        leading, trailing = first[1] - start, stop - last[2]
        if leading < trailing and start > 0:
            stop = last[2] + leading
        elif trailing < leading and stop < len(old):
            start = first[1] - trailing
        lines = [(" ", line) for line in old[start : first[1]]]
        offset = first[3] - first[1]  # new line number = old line number + offset
        for index, (_tag, i1, i2, j1, j2) in enumerate(group):
            lines += [("-", line) for line in old[i1:i2]] + [("+", line) for line in new[j1:j2]]
            following = group[index + 1][1] if index + 1 < len(group) else stop
            lines += [(" ", line) for line in old[i2:following]]
        last_offset = last[4] - last[2]
        out.append(((start, stop), (start + offset, stop + last_offset), lines))
    return out


def _range(start: int, stop: int) -> str:
    """difflib's unified range: `start,length` (1-based; an empty range names the line before)."""
    length = stop - start
    if length == 1:
        return str(start + 1)
    return f"{start + 1 if length else start},{length}"


def _redact_lines(lines: list, hidden: dict, secrets=()) -> list:
    from .redact import MIN_FINDING_SCRUB_LENGTH, REDACTED, scrub

    long_secrets = [s for s in secrets if len(s) >= MIN_FINDING_SCRUB_LENGTH]
    out = [scrub(line, long_secrets) for line in lines]
    for number, col in hidden.items():
        if 1 <= number <= len(out):
            line = lines[number - 1]
            ending = line[len(line.rstrip("\r\n")) :]
            out[number - 1] = line[: col - 1] + REDACTED + ending
    return out


def secret_lines(loaded) -> dict:
    """line -> column from which a diff line is hidden: where the first secret on it starts
    (`redact_source.secret_columns`, the loader's positions: found where it is, not by its text)."""
    from .redact_source import secret_columns

    lines = loaded.text.splitlines()
    hidden = {}
    for line, ranges in secret_columns(loaded).items():
        col = min(start for start, _ in ranges)
        text = lines[line - 1] if line <= len(lines) else ""
        # the whole rest of the line goes: take an opening quote along, or one would dangle
        hidden[line] = col - 1 if col >= 2 and text[col - 2 : col - 1] in ("'", '"') else col
    return hidden


# ---------------------------------------------------------------------------------------------
# Which findings, in which files


def fixable(report, options) -> list:
    """FileFix per user values file that has active findings with a fix (safe or not), in input
    order; `plan_fixes` decides which are applied."""
    from .paths import display_path

    by_file: dict = {}
    for result in report.targets:
        target = result.target
        if target is None:
            continue
        user_files = {display_path(p, options.cwd): p for p in target.files}
        # a related finding (related.py) is the same mistake: its fix is a candidate too, and
        # `choose_fixes` keeps one per values path (SL604's "true" over SL104's true)
        for finding in [f for owner in result.active for f in (owner,) + tuple(owner.related)]:
            fix = finding.fix
            if fix is None or not fix.path or finding.location.path not in user_files:
                continue
            shown = finding.location.path
            entry = by_file.setdefault(shown, FileFix(user_files[shown], shown))
            if all(f.fix != fix or f.key != finding.key for f in entry.findings):
                entry.findings.append(finding)
    return list(by_file.values())


# ---------------------------------------------------------------------------------------------
# Safe or unsafe: what Helm renders before and after


def _rendered(value) -> str:
    from .checks.contract import helm_string

    return value if isinstance(value, str) else helm_string(value)


def unsafe_reason(finding, original: dict) -> str | None:
    """Why applying this fix would change what Helm renders (None: it would not). `original` is
    the file's data as Helm loads it. Never shows a secret value."""
    from .redact import is_secret_path
    from .values.layers import get_path

    fix, path = finding.fix, tuple(finding.fix.path)
    where = _display(path)
    if finding.key == KEY_FIX:
        if fix.value != path[-1]:
            return f'Helm reads the key as "{path[-1]}"; the fix would make it "{fix.value}"'
        return None
    old = get_path(original, path, _MISSING)
    new = fix.value
    if (
        old is _MISSING
        or old is None
        or new is None
        or isinstance(old, (dict, list))
        or isinstance(new, (dict, list))
    ):
        return None  # adding, deleting or restructuring a setting: the rule's own claim
    if isinstance(old, str) and isinstance(new, str):
        return None  # a string for a string (`App.Acme.io` -> `app.acme.io`): the rule's claim
    if _rendered(old) == _rendered(new) and (isinstance(new, str) or _same(old, new)):
        return None
    if is_secret_path(path, old) or is_secret_path(path, new):
        return f"Helm renders {where} differently after this fix"
    return f'Helm renders {where} as "{_rendered(old)}"; the fix would make it "{_rendered(new)}"'


def _display(path: tuple) -> str:
    from .findings import format_path

    return format_path(path)


def _same(a, b) -> bool:
    """Equal as Helm values: types matter (true is not 1), int and float do not (Helm's float64)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=False))
    return type(a) is type(b) and a == b


def choose_fixes(findings: list, original: dict | None = None, unsafe: bool = False) -> tuple:
    """(findings whose fix is applied, [(finding, reason) held back]).

    One fix per values path (a key and its value are different paths). Per path a safe fix beats
    an unsafe one, and among equals the domain rule (higher id: SL604 over SL104) beats the
    generic YAML rule; without `unsafe` an unsafe fix is never applied. Safe means the rule marks
    it safe *and* `unsafe_reason` finds nothing (with `original` given)."""

    def reason(finding) -> str | None:
        if not finding.fix.safe:
            return "the rule marks this fix unsafe"
        return None if original is None else unsafe_reason(finding, original)

    reasons = {id(f): reason(f) for f in findings}
    chosen: dict = {}
    for finding in sorted(findings, key=lambda f: (reasons[id(f)] is None, f.rule), reverse=True):
        if reasons[id(finding)] is None or unsafe:
            chosen.setdefault((finding.key == KEY_FIX, tuple(finding.fix.path)), finding)
    applied = [f for f in findings if any(f is c for c in chosen.values())]
    held = [
        (f, reasons[id(f)])
        for f in findings
        if reasons[id(f)] is not None
        and not any(f is c for c in chosen.values())
        and (f.key == KEY_FIX, tuple(f.fix.path)) not in chosen
    ]
    return applied, held


# ---------------------------------------------------------------------------------------------
# Editing YAML text


def _indentation(text: str) -> tuple:
    """(mapping indent, sequence indent, dash offset) as the file uses them."""
    mapping, offset = None, None
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for line, following in itertools.pairwise(lines):
        if not re.match(r"^\s*(- +)?[^\s#][^#]*:\s*(#.*)?$", line):
            continue  # only a key that opens a block
        own = len(line) - len(line.lstrip()) + (len(re.match(r"^\s*(- +)?", line).group(1) or ""))
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
    from .yamlio import YamlLoadError, key_to_string, resolve_plain

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
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString, ScalarString

    from .yamlio import resolve_plain

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
    from ruamel.yaml.comments import CommentedMap

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


def _quote_key(root, fix) -> bool:
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    container, key = _walk(root, tuple(fix.path), create=False)
    if not isinstance(container, dict) or key not in container or not isinstance(fix.value, str):
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
    from .yamlio import YamlLoadError, load_values

    try:
        notes = load_values(text, shown).notes
    except YamlLoadError:
        notes = []
    for note in notes:
        if note.kind == "duplicate-key":
            return StarterLintError(
                f"{shown}:{note.span.line}: cannot fix a file with a duplicate key "
                f"({_display(note.path)}, SL103): keep one of them, then run fix again; nothing written"
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


def _round_trip_yaml():
    """ruamel's round-trip YAML, but with out-of-range floats and nulls kept as their text."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.Constructor, yaml.Representer = _round_trip_classes()
    return yaml


@functools.lru_cache(maxsize=1)
def _round_trip_classes():
    import math

    from ruamel.yaml.constructor import RoundTripConstructor
    from ruamel.yaml.representer import RoundTripRepresenter

    class Constructor(RoundTripConstructor):
        def construct_yaml_float(self, node):
            value = super().construct_yaml_float(node)
            if isinstance(value, float) and math.isinf(value) and "inf" not in node.value.lower():
                return _OutOfRangeNumber(node.value)
            return value

        def construct_yaml_null(self, node):
            return _NullText(node.value) if node.value else None

    class Representer(RoundTripRepresenter):
        pass

    Constructor.add_constructor("tag:yaml.org,2002:float", Constructor.construct_yaml_float)
    Constructor.add_constructor("tag:yaml.org,2002:null", Constructor.construct_yaml_null)
    Representer.add_representer(
        _NullText, lambda self, data: self.represent_scalar("tag:yaml.org,2002:null", str(data))
    )
    # under the float tag, the resolver finds the plain text implicit: it is written unquoted
    Representer.add_representer(
        _OutOfRangeNumber, lambda self, data: self.represent_scalar("tag:yaml.org,2002:float", str(data))
    )
    return Constructor, Representer


def apply_fixes(text: str, findings: list, shown: str = "<values>") -> str:
    """The text with every finding's fix applied (values first, then keys, deepest first), in
    the file's line endings. Which fixes to pass is `choose_fixes`'s decision."""
    from ruamel.yaml.error import YAMLError

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
    if not documents or not isinstance(documents[0], dict):
        return text
    root = documents[0]
    values = [f for f in findings if f.key != KEY_FIX]
    keys = sorted((f for f in findings if f.key == KEY_FIX), key=lambda f: -len(f.fix.path))
    changed = False
    for finding in values:
        changed |= _set_value(root, finding.fix)
    for finding in keys:
        changed |= _quote_key(root, finding.fix)
    if not changed:
        return text
    yaml.explicit_start = work.lstrip().startswith("---")
    out = io.StringIO()
    if len(documents) == 1:
        yaml.dump(root, out)
    else:
        yaml.dump_all(documents, out)
    return out.getvalue().replace("\n", newline)


# ---------------------------------------------------------------------------------------------
# What the result must load as


def expected_values(original: dict, findings: list) -> dict:
    """The original data with each fix's path set to its value (keys renamed), nothing else."""
    data = copy.deepcopy(original)
    for finding in [f for f in findings if f.key != KEY_FIX] + sorted(
        (f for f in findings if f.key == KEY_FIX), key=lambda f: -len(f.fix.path)
    ):
        path = tuple(finding.fix.path)
        node = data
        for part in path[:-1]:
            if isinstance(node, dict):
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = {}
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                node = node[part]
            else:
                break
        else:
            last = path[-1]
            if finding.key == KEY_FIX:
                if isinstance(node, dict) and last in node:
                    node[finding.fix.value] = node.pop(last)
            elif finding.fix.value is None:
                if isinstance(node, dict):
                    node.pop(last, None)
            elif isinstance(node, dict) or (
                isinstance(node, list) and isinstance(last, int) and 0 <= last < len(node)
            ):
                node[last] = copy.deepcopy(finding.fix.value)
    return data


def _load(shown: str, text: str, what: str):
    from .yamlio import YamlLoadError, load_values

    try:
        return load_values(text, shown)
    except YamlLoadError as exc:
        raise StarterLintError(
            f"internal: {what} {shown} would break it ({exc.message}); nothing written"
        ) from None


def _differs(shown: str, text: str, original, findings: list) -> bool:
    after = _load(shown, text, "fixing")
    return not _same(after.data, expected_values(original.data, findings))


def _apply_checked(plan, original) -> None:
    """Fill `plan.after`: all fixes at once when the result loads as expected; else each fix
    alone, holding back those that change more than their own path."""
    plan.after = apply_fixes(plan.before, plan.findings, plan.shown)
    if not plan.changed or not _differs(plan.shown, plan.after, original, plan.findings):
        return
    kept = []
    for finding in plan.findings:
        alone = apply_fixes(plan.before, [finding], plan.shown)
        if alone != plan.before and _differs(plan.shown, alone, original, [finding]):
            plan.held.append((finding, REWRITE_CHANGES_OTHERS))
        else:
            kept.append(finding)
    plan.findings = kept
    plan.after = apply_fixes(plan.before, kept, plan.shown)
    if plan.changed and _differs(plan.shown, plan.after, original, kept):
        raise StarterLintError(
            f"internal: the fixes of {plan.shown} would change other values Helm loads; nothing written"
        )


# ---------------------------------------------------------------------------------------------


def atomic_write(path: str, text: str) -> None:
    """Replace the file in one step, keeping its permissions and UTF-8 BOM; a symlink is written
    through (its target changes, the link stays)."""
    from .paths import write_atomic

    target = os.path.realpath(path)
    try:
        with open(target, "rb") as handle:
            bom = handle.read(len(codecs.BOM_UTF8)) == codecs.BOM_UTF8
    except OSError:
        bom = False
    write_atomic(target, ("\ufeff" + text) if bom and not text.startswith("\ufeff") else text)


def plan_fixes(report, options, unsafe: bool = False) -> list:
    """FileFix objects with `before` and `after` filled in (nothing written yet); `unsafe` also
    applies the fixes that change what Helm renders."""
    from .paths import read_bytes
    from .yamlio import decode_bytes

    plans = fixable(report, options)
    for plan in plans:
        raw = read_bytes(plan.path)
        if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise StarterLintError(f"{plan.shown}: cannot fix a UTF-16 file; convert it to UTF-8 first")
        plan.before = decode_bytes(raw)
        original = _load(plan.shown, plan.before, "reading")
        plan.findings, plan.held = choose_fixes(plan.findings, original.data, unsafe)
        _apply_checked(plan, original)
        if plan.changed:
            plan.hidden_before = secret_lines(original)
            plan.hidden_after = secret_lines(_load(plan.shown, plan.after, "fixing"))
    return plans


def notices(plans: list, unsafe: bool = False) -> list:
    """Lines for stderr: each fix a rule calls safe that was held back (it would change what Helm
    renders, or rewriting the file for it would change other values), and how many fixes their
    rules mark unsafe `--unsafe-fixes` would add."""
    lines, unsafe_edits = [], set()
    for plan in plans:
        for finding, reason in plan.held:
            if reason == REWRITE_CHANGES_OTHERS:
                lines.append(
                    f"{plan.shown}:{finding.location.line}: {finding.rule} fix not applied: {reason}"
                )
            elif finding.fix.safe:
                lines.append(
                    f"{plan.shown}:{finding.location.line}: {finding.rule} fix not applied as "
                    f"safe: {reason}" + ("" if unsafe else " (apply it with --unsafe-fixes)")
                )
            else:
                # one edit, however many rules propose it (SL104 and SL604 on one scalar)
                unsafe_edits.add((plan.shown, finding.key == KEY_FIX, tuple(finding.fix.path)))
    hidden = len(unsafe_edits)
    if hidden and not unsafe:
        lines.append(
            f"{hidden} unsafe fix not applied (it changes what Helm renders; review it and rerun "
            "with --unsafe-fixes)"
            if hidden == 1
            else f"{hidden} unsafe fixes not applied (they change what Helm renders; review them and "
            "rerun with --unsafe-fixes)"
        )
    return lines


def fixed_counts(plans: list, before, after) -> dict:
    """Display path -> how many active findings there the edits really removed: those of the
    report `before` that the report `after` (the checks run again on the edited text) no longer
    has, by fingerprint. One edit can fix several findings (SL104 and SL604 on one scalar)."""

    def active(report, shown):
        return {f.fingerprint for f in report.active if f.location.path == shown}

    return {plan.shown: len(active(before, plan.shown) - active(after, plan.shown)) for plan in plans}
