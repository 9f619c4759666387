"""The policies as checks: each values policy under its own rule id, the admission policies as SL901.

The pipeline calls `start_policies` once per target with the run's PolicySet on the context
(read-only, loaded once per run by load.py); a values policy runs where values checks run (a
target with values, not a chart's own defaults), the admission policies where objects are. All
of a target's policies are evaluated at once within the hard limits of limits.py (a forked
child bounded in memory and time), so a runaway policy stops the run with one line. The child
starts before the shipped checks and computes while they run; it hands back its findings
finished by the pipeline's own `finish` (placed, scrubbed, identified: per finding, so the same
in either process), so both cores share that cost too.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TypeVar

from ..context import Context
from ..findings import Problem
from ..redact import MIN_FINDING_SCRUB_LENGTH, redact_values, redacted_copy
from ..redact_source import secret_strings
from .admission import RULE_ID as ADMISSION_RULE_ID
from .admission_eval import evaluate_admission
from .cel import Bindings
from .limits import Pending, check_pairs, start_limited
from .values_policy import evaluate_values_policy

# shipped rules that no check in checks/ implements: start_policies runs them
SHIPPED_RULES = (ADMISSION_RULE_ID,)


Finished = TypeVar("Finished")


def start_policies(
    ctx: Context,
    selects: Callable[[str], bool],
    finish: Callable[[list[tuple[str, Problem]]], Finished],
) -> Pending[Finished] | None:
    """finish((rule id, Problem) of every selected policy that applies to this target), started
    in the limited child; None when no policy runs here. Raises where the stage cannot start
    (too many binding x object pairs)."""
    policies = ctx.policies
    if policies is None or not policies_run(ctx, selects):
        return None
    if ctx.manifests is not None and selects(ADMISSION_RULE_ID):
        check_pairs(len(policies.admission.bindings), len(ctx.manifests.objects), policies.files)
        if policies.admission:
            # found here, before the child forks, the policies' and the findings' scrubbing share them
            secret_strings(ctx)
    return start_limited(lambda: finish(list(_evaluate(ctx, selects))), policies.files)


def _evaluate(ctx: Context, selects: Callable[[str], bool]) -> Iterator[tuple[str, Problem]]:
    policies = ctx.policies
    assert policies is not None
    if ctx.values is not None and not (ctx.chart_defaults or ctx.subchart_defaults):
        selected = [policy for policy in policies.values_policies if selects(policy.id)]
        activation = activation_of(ctx) if selected else None
        for policy in selected:
            assert activation is not None
            for problem in evaluate_values_policy(policy, activation):
                yield policy.id, problem
    if ctx.manifests is not None and selects(ADMISSION_RULE_ID):
        # `--ignore SL901/name` (or `--select` of some policies): only the bindings of the others
        admission = policies.admission.selected(lambda name: selects(f"{ADMISSION_RULE_ID}/{name}"))
        yield from evaluate_admission(admission, ctx)


def policies_run(ctx: Context, selects: Callable[[str], bool]) -> tuple[str, ...]:
    """The rule ids of the policies that ran on this target (for unused-suppression judging)."""
    policies = ctx.policies
    if policies is None:
        return ()
    ran: list[str] = []
    if ctx.values is not None and not (ctx.chart_defaults or ctx.subchart_defaults):
        ran += [policy.id for policy in policies.values_policies if selects(policy.id)]
    if ctx.manifests is not None and policies.admission and selects(ADMISSION_RULE_ID):
        ran.append(ADMISSION_RULE_ID)
    return tuple(ran)


def activation_of(ctx: Context) -> Bindings:
    """What a values policy's expressions see for this target, converted once for all of them:
    the values with every secret replaced by "<redacted>", as `starter-lint values` shows them
    (a policy can test that a secret is set, never what it is: an expression can transform a
    value past any scrubbing of its output, docs/policies.md)."""
    assert ctx.values is not None, "values policies run on targets with values"
    files = [loaded.path for loaded in ctx.loaded]
    # a short secret ("test") only where it is written, as in findings' messages and SL901: a
    # values string that merely equals it is no secret
    secrets = [s for s in secret_strings(ctx, with_manifests=False) if len(s) >= MIN_FINDING_SCRUB_LENGTH]
    values = redact_values(ctx.values.values, secrets)
    target = redacted_copy({"name": ctx.target, "files": files}, (), secrets)
    return Bindings({"values": values, "target": target})
