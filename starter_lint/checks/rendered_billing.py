"""SL806: billing retries and stream replay run in exactly one rendered workload, and never in
an API that can run more than one replica.

A container runs the billing code when it is the API (`is_api_container`), sets a billing
variable, or runs the same image repository as an API container (the worker runs the API
image); a billing flag's value reads as `contract.read_flag` says, as it does for SL401–SL403
on the values. Hooks and tests are not part of the running release.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Problem
from ..manifests.index import index_of
from ..manifests.model import describe, manifest_problem
from ..manifests.workloads import (
    PodTemplate,
    container_roles,
    env_entries,
    is_api_container,
    max_replicas,
    repository,
    running_pod_templates,
)
from ..pointer import build as pointer
from . import check
from .contract import Flag, read_flag

BILLING_FLAGS = {
    "ENABLE_BILLING_RETRY_WORKER": "billing retries",
    "ENABLE_BILLING_STREAM_REPLAY": "billing stream replay",
}
BILLING_MARKERS = tuple(BILLING_FLAGS) + ("BILLING_RETRY_DEPLOYMENT_MODE",)


@dataclass
class BillingRunner:
    template: PodTemplate
    path: tuple  # the container's pointer path
    container: dict
    is_api: bool
    flags: dict  # flag -> (on?, pointer to the env value or None when unset, how it reads)


def billing_runners(manifests) -> list:
    """Containers of running workloads that carry the API's billing code, with their flags."""
    pods = [(template, container_roles(template)) for template in running_pod_templates(manifests)]
    api_images = {
        repository(container)
        for _, roles in pods
        for _, container, role in roles
        if is_api_container(container, role)
    } - {None}
    runners = []
    for template, roles in pods:
        for path, container, role in roles:
            env = env_entries(container)
            is_api = is_api_container(container, role)
            carries_billing = (
                is_api
                or any(flag in env for flag in BILLING_MARKERS)
                or (role != "web" and repository(container) in api_images)
            )
            if not carries_billing:
                continue
            flags: dict[str, tuple[bool, str | None, str]] = {}
            for flag in BILLING_FLAGS:
                if flag not in env:
                    flags[flag] = (True, None, f"{flag} unset, on by default")  # the app default is on
                    continue
                position, entry = env[flag]
                at = pointer(*path, "env", position, "value" if "value" in entry else "valueFrom")
                if "value" not in entry:
                    # a value from a Secret or ConfigMap cannot be read here: assume the app default (on)
                    flags[flag] = (True, at, f"{flag} from valueFrom, on by default")
                    continue
                state = read_flag(entry["value"])
                how = f"{flag} on" if state is Flag.ON else f"{flag} not a true/false value, on by default"
                flags[flag] = (state is not Flag.OFF, at, how)
            runners.append(BillingRunner(template, path, container, is_api, flags))
    return runners


@check("SL806", needs="manifests")
def billing_rendered(ctx):
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
                yield _runner_problem(
                    runner,
                    flag,
                    f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) and can run {shown}, so "
                    f"every replica runs {what} at the same time; {remedy}",
                    key=f"{flag}:replicas",
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
            yield _runner_problem(
                runner,
                flag,
                f"{_runner_name(runner)} runs {what} ({runner.flags[flag][2]}) as does "
                f"{_runner_name(owner)}; exactly one workload may: set {flag}=\"false\" here",
                key=f"{flag}:owner",
            )


def _runner_name(runner: BillingRunner) -> str:
    return f"{describe(runner.template.obj)} container {runner.container.get('name') or '?'}"


def _runner_problem(runner: BillingRunner, flag: str, message: str, key: str) -> Problem:
    where = runner.flags[flag][1] or pointer(*runner.path, "name")
    obj = runner.template.obj
    return manifest_problem(obj, where, message, key=f"{key}:{runner.container.get('name')}")
