"""SL107 unused-suppression, the part a file shows by itself: inline disables that cannot work.
Disables and config ignores that suppressed nothing are found after suppression, over the whole
run (suppress.unused_suppressions)."""

from __future__ import annotations

from ..catalog import load_catalog
from ..findings import Location, Problem
from . import check


def _sources(ctx) -> list:
    """(display path, text) of every file this target read that can hold inline disables."""
    out = [(loaded.path, loaded.text) for loaded in ctx.loaded]
    out += list((getattr(ctx.manifests, "sources", None) or {}).items())
    return [(path, text) for path, text in out if text and "starter-lint" in text]


@check("SL107", needs="any")
def inline_disables_that_cannot_work(ctx):
    catalog = load_catalog(
        tuple(getattr(ctx.options, "rule_dirs", None) or ()),
        ctx.policies.rules if ctx.policies is not None else (),
    )
    sources = _sources(ctx)
    if not sources:
        return
    policies = _admission_policies_run(ctx)
    from .. import directives as syntax  # deferred: few files have inline disables

    for path, text in sources:
        directives = syntax.parse_directives(text)
        keys: dict[str, int] = {}
        for directive in directives.all():
            location = Location(path, directive.line, directive.col)
            for part in syntax.unknown_rule_parts(directive.rules, catalog, policies):
                named = "no loaded admission policy" if "/" in part else "no rule"
                yield Problem(
                    f"`{part}` in this {directive.kind} comment names {named}, so it suppresses "
                    "nothing; `starter-lint rules` lists them",
                    location=location,
                    key=syntax.numbered_key(f"unknown:{part}", keys),
                )
            if directive in directives.misplaced:
                yield Problem(
                    "`disable-file` works only in the comments at the top of the file, before any "
                    "value: move it there (or use `disable=` on the line)",
                    location=location,
                    key=syntax.numbered_key("misplaced-disable-file", keys),
                )


def _admission_policies_run(ctx):
    """The names of the admission policies SL901 runs with on this target, or None where it
    runs with none (no --policy, no objects, SL901 not selected): there a `SL901/<name>` cannot
    be told from a policy of another run (docs/suppressions.md)."""
    if ctx.policies is None or ctx.options is None:
        return None
    from ..policy.admission import RULE_ID  # deferred: only runs with --policy
    from ..policy.run import policies_run  # deferred: only runs with --policy

    if RULE_ID not in policies_run(ctx, ctx.options.selects):
        return None
    return ctx.policies.admission.policies
