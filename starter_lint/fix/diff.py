"""`fix --diff`: a unified diff of a fix plan that never shows a secret value.

The diff applies with `git apply` and `patch -p1` to the file as it is; a line holding a secret
(by the loader's positions, `secret_lines`, or by the run's secret texts) is never context, and a
line a terminal or CI runner would interpret is never printed: such a file gets no diff
(`DiffRefused` says why) and is fixed in place instead.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Protocol

from ..errors import StarterLintError
from ..redact import MIN_FINDING_SCRUB_LENGTH, REDACTED, scrub
from ..redact_source import secret_columns
from ..report.escape import terminal
from ..textio import split_lines

if TYPE_CHECKING:
    from ..yamlio import LoadedYaml

_CONTEXT_LINES = 3


class DiffPlan(Protocol):
    """What a diff reads of a fix plan (`select.FileFix`, which imports this module)."""

    shown: str
    before: str
    after: str
    hidden_before: dict[int, int]  # line -> first column of a secret value
    hidden_after: dict[int, int]


# a difflib opcode: (tag, old start, old stop, new start, new stop)
Opcode = tuple[str, int, int, int, int]
# ((old start, stop), (new start, stop), [(sign, line)])
Hunk = tuple[tuple[int, int], tuple[int, int], list[tuple[str, str]]]


def unified_diff(plan: DiffPlan, secrets: Iterable[str] = ()) -> str:
    """A unified diff that `git apply` and `patch -p1` apply to the file as it is, and that
    never shows a secret value: a line holding one (found by position, `hidden_before` /
    `hidden_after`; or one of `secrets`, the run's secret texts, where it occurs elsewhere,
    as an anchor's value aliased into a secret, when long enough not to hit ordinary words)
    is never a context line — hunks stop before it. Where a patch that applies would have to
    show such a line (it is changed, or directly beside a change), DiffRefused says which.
    A file whose name `terminal` would escape (a line break, ESC, bidi control, a byte that is
    not UTF-8) gets no diff either: its header would have to write the name raw (a new line,
    perhaps a workflow command) or name another file."""
    if terminal(plan.shown) != plan.shown:
        raise DiffRefused(
            f"{plan.shown}: no --diff: the file name holds a line break, control or bidi character, "
            f"which a patch header can neither show safely nor name the file by; run "
            f"`starter-lint fix` on it and review the change in your editor"
        )
    old, new = plan.before.splitlines(keepends=True), plan.after.splitlines(keepends=True)
    secret_old = [a != b for a, b in zip(old, _redact_lines(old, plan.hidden_before, secrets), strict=False)]
    secret_new = [a != b for a, b in zip(new, _redact_lines(new, plan.hidden_after, secrets), strict=False)]
    out: list[str] = []
    for hunk in _hunks(old, new, secret_old, secret_new, plan.shown):
        if not out:
            out += [f"--- a/{plan.shown}\n", f"+++ b/{plan.shown}\n"]
        (a1, a2), (b1, b2) = hunk[0], hunk[1]
        out.append(f"@@ -{_range(a1, a2)} +{_range(b1, b2)} @@\n")
        for sign, line in hunk[2]:
            _refuse_unsafe_text(line, plan.shown)
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


def _hunks(
    old: list[str], new: list[str], secret_old: list[bool], secret_new: list[bool], shown: str
) -> list[Hunk]:
    """((old start, stop), (new start, stop), [(sign, line)]) per hunk: up to _CONTEXT_LINES of
    context each side, never a secret line; two changes share a hunk when the lines between them
    are few and hold no secret."""
    changes: list[Opcode] = [
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

    groups: list[list[Opcode]] = []
    for change in changes:
        if groups:
            gap = range(groups[-1][-1][2], change[1])
            if len(gap) <= 2 * _CONTEXT_LINES and not any(secret_old[i] for i in gap):
                groups[-1].append(change)
                continue
        groups.append([change])
    out: list[Hunk] = []
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


def _redact_lines(lines: list[str], hidden: dict[int, int], secrets: Iterable[str] = ()) -> list[str]:
    long_secrets = [s for s in secrets if len(s) >= MIN_FINDING_SCRUB_LENGTH]
    out = [scrub(line, long_secrets) for line in lines]
    for number, col in hidden.items():
        if 1 <= number <= len(out):
            line = lines[number - 1]
            ending = line[len(line.rstrip("\r\n")) :]
            out[number - 1] = line[: col - 1] + REDACTED + ending
    return out


def secret_lines(loaded: LoadedYaml) -> dict[int, int]:
    """line -> column from which a diff line is hidden: where the first secret on it starts
    (`redact_source.secret_columns`, the loader's positions: found where it is, not by its text)."""
    lines = split_lines(loaded.text)
    hidden: dict[int, int] = {}
    for line, ranges in secret_columns(loaded).items():
        col = min(start for start, _ in ranges)
        text = lines[line - 1] if line <= len(lines) else ""
        # the whole rest of the line goes: take an opening quote along, or one would dangle
        hidden[line] = col - 1 if col >= 2 and text[col - 2 : col - 1] in ("'", '"') else col
    return hidden
