"""SL806: billing retries and stream replay run in exactly one rendered workload, and never in
an API that can run more than one replica.

A container runs the billing code when it is the API (`is_api_container`), sets a billing
variable, or runs the same image repository as an API container (the worker runs the API
image); a billing flag's value reads as `flags.read_flag` says, as it does for SL401–SL403
on the values. Hooks and tests are not part of the running release.
"""

from __future__ import annotations

from ..findings import Location
from ..manifests.index import index_of
from ..manifests.model import describe, manifest_problem
from ..manifests.workloads import BILLING_FLAGS, BillingRunner, billing_runners, max_replicas
from ..pointer import build as pointer
from . import check


@check("SL806", needs="manifests")
def billing_rendered(ctx):
    # the findings of both flags are placed at once: one read of each workload's document for
    # its flags' env entries (with many releases in one namespace, nearly every worker has two)
    found = list(_billing_problems(ctx))
    objects: dict[int, tuple] = {}
    for runner, where, _, _ in found:
        obj = runner.template.obj
        objects.setdefault(id(obj), (obj, []))[1].append(where)
    placed: dict[tuple[int, str], Location] = {}
    for obj, pointers in objects.values():
        for where, location in zip(pointers, obj.locate_many(pointers), strict=True):
            placed.setdefault((id(obj), where), location)
    for runner, where, message, key in found:
        obj = runner.template.obj
        yield manifest_problem(
            obj, where, message, key=f"{key}:{runner.container.get('name')}", location=placed[id(obj), where]
        )


def _billing_problems(ctx):
    """(runner, where it is shown, message, key) of each problem, in the order they are reported."""
    index = index_of(ctx.manifests, ctx.options)
    runners = billing_runners(ctx.manifests)
    has_worker = any(not r.is_api for r in runners)
    for flag, what in BILLING_FLAGS.items():
        on = [r for r in runners if r.flags[flag][0]]
        reported = set()
        for runner in on:
            if not runner.is_api:
                continue
            count = max_replicas(index, runner.template.obj)
            if count > 1:
                reported.add(id(runner))
                shown = "one per node" if count == float("inf") else f"up to {count:g} replicas"
                # with a worker rendered, the API only has to leave the job to it
                remedy = (
                    f"set {flag}=\"false\" in the API (or drop it from api.env: the chart then turns "
                    "it off), the worker runs it"
                    if has_worker
                    else f"set {flag}=\"false\" in the API (enable the dedicated worker: worker.enabled=true) "
                    "or keep the API at one replica"
                )
                yield (
                    runner,
                    _where(runner, flag),
                    f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) and can run {shown}, so "
                    f"every replica runs {what} at the same time; {remedy}",
                    f"{flag}:replicas",
                )
        if len(on) < 2:
            continue
        # the dedicated owner keeps it; every other runner is the one to fix
        owner = next((r for r in on if not r.is_api and r.flags[flag][1] is not None), None) or next(
            (r for r in on if not r.is_api), on[0]
        )
        for runner in on:
            if runner is owner or id(runner) in reported:
                continue
            yield (
                runner,
                _where(runner, flag),
                f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) as does "
                f"{_runner_name(owner)}; exactly one workload may: set {flag}=\"false\" here",
                f"{flag}:owner",
            )


def _runner_name(runner: BillingRunner) -> str:
    return f"{describe(runner.template.obj)} container {runner.container.get('name') or '?'}"


def _where(runner: BillingRunner, flag: str) -> str:
    """The flag's env entry, or the container's name when the flag is not set there."""
    return runner.flags[flag][1] or pointer(*runner.path, "name")
