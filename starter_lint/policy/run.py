"""The policies as checks: each values policy under its own rule id, the admission policies as SL901.

The pipeline runs `policy_stage` once per target with the run's PolicySet on the context
(read-only, loaded once per run by load.py); a values policy runs where values checks run (a
target with values, not a chart's own defaults), the admission policies where objects are. All
of a target's policies are evaluated at once within the hard limits of limits.py (a forked
child bounded in memory and time), so a runaway policy stops the run with one line. The
pipeline starts that child before the shipped checks, so it computes while they run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from ..context import Context
from ..findings import Problem
from ..redact import MIN_FINDING_SCRUB_LENGTH, redact_values, redacted_copy
from ..redact_source import secret_strings
from .admission import RULE_ID as ADMISSION_RULE_ID
from .admission_eval import evaluate_admission
from .cel import Bindings
from .limits import check_pairs
from .values_policy import evaluate_values_policy

# shipped rules that no check in checks/ implements: policy_stage runs them
SHIPPED_RULES = (ADMISSION_RULE_ID,)


def policy_stage(
    ctx: Context, selects: Callable[[str], bool]
) -> Callable[[], list[tuple[str, Problem]]] | None:
    """The work of this target's policy stage, to run in the limited child (limits.start_limited):
    it gives the (rule id, Problem) of every selected policy that applies. None when no policy
    runs here; PolicyLimitExceeded when the stage may not run (too many binding x object pairs)."""
    policies = ctx.policies
    if policies is None or not policies_run(ctx, selects):
        return None
    if ctx.manifests is not None and selects(ADMISSION_RULE_ID):
        check_pairs(len(policies.admission.bindings), len(ctx.manifests.objects), policies.files)
        if policies.admission:
            # found here, before the child forks, the policies' and the findings' scrubbing share them
            secret_strings(ctx)
    return lambda: list(_evaluate(ctx, selects))


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
