"""SL107 unused-suppression: suppressions that suppress nothing.

An inline rule id that names no rule, an inline rule that suppresses nothing on its line (or
file), and — in a run of the whole config — an `ignores:` entry, or one of its rules, paths,
values paths or resources, that suppresses nothing. A suppression is judged only where it could
have been used: every rule it names ran on its file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import Location, Problem
from ..options import rule_matches

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable
    from typing import Any

    from ..catalog import Catalog
    from ..directives import Directive
    from ..options import Options
    from ..results import TargetResult

UNUSED_SUPPRESSION = "SL107"


def _ran_all(part: str, ran: Collection[str], catalog: Iterable[str], options: Options | None = None) -> bool:
    """Every rule `part` names ran: only then can it be told that it suppressed nothing. An
    admission policy (`SL901/<name>`) ran when its rule did and the run selected it."""
    rule, slash, _name = part.partition("/")
    if slash:
        return rule in ran and options is not None and options.selects(part)
    named = [rule_id for rule_id in catalog if rule_matches(rule_id, [part])]
    return bool(named) and all(rule_id in ran for rule_id in named)


def unused_inline(
    results: list[TargetResult], catalog: Catalog, options: Options | None = None
) -> list[tuple[int, Problem]]:
    """(index of the target result to report it with, Problem) for every rule of an inline
    disable that suppressed nothing in any target that checked its file. A disable of SL107
    itself (`SL107`, `SL1`, `all`) is not judged: it may be there for these very findings."""
    used: set[tuple[Any, ...]] = set().union(*(result.used for result in results)) if results else set()
    out: list[tuple[int, Problem]] = []
    first_with: dict[str, int] = {}  # file -> index of the first target that checked it
    ran_on: dict[str, set[str]] = {}  # file -> ids of the rules that ran on it in any target
    for index, result in enumerate(results):
        for path, text in (result.sources or {}).items():
            if text and "starter-lint" in text:
                first_with.setdefault(path, index)
                ran_on.setdefault(path, set()).update(result.rules_run)
    if not first_with:
        return out
    from .. import directives as syntax  # deferred: few files have inline disables

    policies = _loaded_policies(options)

    for path, index in first_with.items():
        directives = syntax.parse_directives(results[index].sources[path])
        keys: dict[str, int] = {}
        for directive in directives.all():
            if directive in directives.misplaced:
                continue  # reported by the SL107 check
            for part in directive.rules:
                if (
                    rule_matches(UNUSED_SUPPRESSION, [part])
                    or syntax.unknown_rule_parts([part], catalog, policies)
                    or not _ran_all(part, ran_on[path], catalog, options)
                    or ("inline", path, directive.line, part) in used
                ):
                    continue
                scope = "in this file" if directive.kind == "disable-file" else "on its line"
                owner = _owner_of_folded(results, path, directive, part)
                advice = (
                    f"{part} is reported here as part of the {owner} finding (one mistake, one "
                    f"finding): disable {owner} instead"
                    if owner
                    else "remove it"
                )
                out.append(
                    (
                        index,
                        Problem(
                            f"`# starter-lint: {directive.kind}={part}` suppresses nothing: no {part} finding "
                            f"{scope}; {advice}",
                            location=Location(path, directive.line, directive.col),
                            key=syntax.numbered_key(f"inline:{directive.kind}:{part}", keys),
                        ),
                    )
                )
    return out


def _owner_of_folded(results: list[TargetResult], path: str, directive: Directive, part: str) -> str:
    """The rule of the finding that a `part` finding under this directive was folded into
    (related.py), or "": the disable names the consequence of a mistake another rule reports."""
    lines = None if directive.kind == "disable-file" else (directive.line, directive.line + 1)
    for result in results:
        for finding in result.findings:
            for related in finding.related:
                where = related.location
                if (
                    where.path == path
                    and (lines is None or where.line in lines)
                    and rule_matches(related.rule, [part])
                ):
                    return finding.rule
    return ""


def unused_ignores(
    results: list[TargetResult], options: Options, catalog: Catalog
) -> list[tuple[int, Problem]]:
    """(0, Problem) for every config `ignores:` entry, or part of one, that suppressed nothing,
    in a run of the whole config (an ignore for files or targets a run did not check is no
    unused ignore)."""
    if getattr(options, "partial_run", False) or not results:
        return []
    used: set[tuple[Any, ...]] = set().union(*(result.used for result in results))
    ran: set[str] = set().union(*(result.rules_run for result in results))
    out: list[tuple[int, Problem]] = []
    for number, ignore in enumerate(getattr(options, "config_ignores", None) or ()):
        location = ignore.location or Location(ignore.where.rpartition(":")[0] or ignore.where, 1, 1)
        if not all(_ran_all(rule, ran, catalog, options) for rule in ignore.rules):
            continue
        if ("ignore", number) not in used:
            out.append(
                (
                    0,
                    Problem(
                        "this ignore suppresses nothing: no finding matches it; remove it or fix it",
                        location=location,
                        key=f"ignore:{number}",
                    ),
                )
            )
            continue
        for kind, item in ignore.parts():
            if ("ignore", number, kind, item) not in used:
                out.append(
                    (
                        0,
                        Problem(
                            f"{item!r} in '{kind}' of this ignore matches none of the findings it "
                            f"suppresses; remove it",
                            location=location,
                            key=f"ignore:{kind}:{item}",
                        ),
                    )
                )
    return out


def _loaded_policies(options: Options | None) -> Collection[str]:
    """The names of the run's admission policies (what `disable=SL901/<name>` may name)."""
    if options is None or not getattr(options, "policies", None):
        return ()
    from ..policy.load import run_policies  # deferred: only runs with --policy; loaded once, cached

    policies = run_policies(options)
    return policies.admission.policies if policies is not None else ()
